// SPDX-License-Identifier: GPL-2.0-only
/*
 * tunlane metrics [--listen ADDR:PORT]: a Prometheus exporter. One
 * process, one poll loop, non-blocking sockets. A request must arrive
 * whole (GET, at most HTTP_REQ_MAX bytes) within HTTP_REQ_DEADLINE_MS and
 * its answer leave within HTTP_DEADLINE_MS, else the connection is
 * closed; when every slot is taken, a new connection evicts the oldest
 * client still sending its request, so idle connections (slowloris)
 * cannot lock a real scrape out. Every answer closes the connection
 * (HTTP/1.0 style, also for 1.1 clients).
 *
 * Collecting reads every daemon's UAPI socket and stats page, which is
 * the expensive part (20,000 peers are megabytes), so one collection is
 * rendered at most once per METRICS_CACHE_MS and the rendered buffer is
 * shared (reference counted) by every client answered meanwhile.
 *
 * It reads what `tunlane show` reads, which is root's, so it runs as
 * root; it needs no capability at all (systemd/tunlane-metrics.service
 * empties them), and it never holds an interface's private key (it asks
 * with ipc_get_stats).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "endpoint.h"
#include "prom.h"
#include "subcommands.h"

#define METRICS_DEFAULT_LISTEN "127.0.0.1:9586"
#define HTTP_REQ_MAX 4096
#define HTTP_REQ_DEADLINE_MS 1000
#define HTTP_DEADLINE_MS 5000
#define HTTP_CLIENTS_MAX 32
#define METRICS_CACHE_MS 1000
/* After accept4 fails for want of descriptors (EMFILE, ENFILE), the
 * listener rests this long instead of waking poll at once, forever. */
#define METRICS_ACCEPT_PAUSE_MS 200
#define MS(x) ((uint64_t)(x) * (NSEC_PER_SEC / 1000))

/* A rendered answer body, shared by the clients it is sent to. */
struct http_body {
	size_t refs;
	size_t len;
	char data[];
};

struct http_client {
	int fd;				/* -1: free slot */
	uint64_t accepted, deadline;
	char req[HTTP_REQ_MAX];
	size_t req_len;
	bool answering;			/* the request is complete */
	char head[256];
	size_t head_len;
	struct http_body *body;		/* NULL: no body */
	size_t off;			/* sent of head, then body */
};

static volatile sig_atomic_t metrics_stop;
static struct http_body *metrics_cache;	/* the latest collection */
static uint64_t metrics_cache_at;

static void metrics_on_signal(int sig)
{
	(void)sig;
	metrics_stop = 1;
}

static struct http_body *body_new(const char *data, size_t len)
{
	struct http_body *b = malloc(sizeof(*b) + len);

	if (b) {
		b->refs = 1;
		b->len = len;
		memcpy(b->data, data, len);
	}
	return b;
}

static void body_put(struct http_body *b)
{
	if (b && --b->refs == 0)
		free(b);
}

static void client_close(struct http_client *c)
{
	close(c->fd);
	body_put(c->body);
	c->fd = -1;
	c->body = NULL;
}

/* The answer: a head of its own and a (shared) body; b's reference passes
 * to the client. */
static void client_respond(struct http_client *c, const char *status,
			   const char *type, struct http_body *b)
{
	int n = snprintf(c->head, sizeof(c->head), "HTTP/1.0 %s\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			 status, type, b ? b->len : 0);

	c->head_len = n > 0 && (size_t)n < sizeof(c->head) ? (size_t)n : 0;
	c->body = b;
	c->off = 0;
	c->answering = true;
	c->deadline = clock_now() + MS(HTTP_DEADLINE_MS);
}

static void client_text(struct http_client *c, const char *status,
			const char *text)
{
	client_respond(c, status, "text/plain; charset=utf-8",
		       body_new(text, strlen(text)));
}

/* One collection serves every scrape for METRICS_CACHE_MS. */
static struct http_body *metrics_collect(void)
{
	char *body = NULL;
	size_t blen = 0;
	FILE *f;
	int ret;

	if (metrics_cache && clock_now() - metrics_cache_at < MS(METRICS_CACHE_MS))
		goto hit;
	f = open_memstream(&body, &blen);
	ret = f ? prom_write(f, NULL) : -ENOMEM;
	if (f && fclose(f) != 0)
		ret = -EIO;
	body_put(metrics_cache);
	metrics_cache = ret < 0 ? NULL : body_new(body, blen);
	metrics_cache_at = clock_now();
	free(body);
	if (!metrics_cache)
		return NULL;
hit:
	metrics_cache->refs++;
	return metrics_cache;
}

static void client_metrics(struct http_client *c)
{
	struct http_body *b = metrics_collect();

	if (!b)
		client_text(c, "500 Internal Server Error", "cannot collect metrics\n");
	else
		client_respond(c, "200 OK", PROM_CONTENT_TYPE, b);
}

/* Called once the headers are complete (or the buffer is full). */
static void client_request(struct http_client *c, bool complete)
{
	char method[8], path[256], version[16];

	if (!complete) {
		client_text(c, "431 Request Header Fields Too Large", "request too large\n");
		return;
	}
	if (sscanf(c->req, "%7s %255s %15s", method, path, version) != 3 ||
	    strncmp(version, "HTTP/1.", 7)) {
		client_text(c, "400 Bad Request", "bad request\n");
		return;
	}
	if (strcmp(method, "GET"))
		client_text(c, "405 Method Not Allowed", "only GET\n");
	else if (!strcmp(path, "/metrics") || !strncmp(path, "/metrics?", 9))
		client_metrics(c);
	else if (!strcmp(path, "/"))
		client_text(c, "200 OK", "tunlane exporter: metrics are at /metrics\n");
	else
		client_text(c, "404 Not Found", "not found; metrics are at /metrics\n");
}

static void client_read(struct http_client *c)
{
	ssize_t n = recv(c->fd, c->req + c->req_len, HTTP_REQ_MAX - 1 - c->req_len, 0);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(c);
		return;
	}
	c->req_len += (size_t)n;
	c->req[c->req_len] = '\0';
	if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n"))
		client_request(c, true);
	else if (c->req_len == HTTP_REQ_MAX - 1)
		client_request(c, false);
	else
		return;
	if (!c->body || !c->head_len)
		client_close(c);	/* out of memory: nothing to say */
}

static void client_write(struct http_client *c)
{
	size_t total = c->head_len + c->body->len;
	const char *p = c->off < c->head_len ? c->head + c->off :
			c->body->data + (c->off - c->head_len);
	size_t len = c->off < c->head_len ? c->head_len - c->off : total - c->off;
	ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(c);
		return;
	}
	c->off += (size_t)n;
	if (c->off == total)
		client_close(c);
}

static int metrics_listen(const char *addr)
{
	union endpoint ep;
	int fd, one = 1;

	if (endpoint_parse(&ep, addr) < 0 || !endpoint_port(&ep)) {
		fprintf(stderr, "%s: invalid --listen \"%s\" (ADDR:PORT, e.g. %s or [::1]:9586)\n",
			prog, addr, METRICS_DEFAULT_LISTEN);
		return -EINVAL;
	}
	fd = socket(ep.sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, &ep.sa, endpoint_len(&ep)) < 0 || listen(fd, 64) < 0) {
		int err = errno;

		fprintf(stderr, "%s: cannot listen on %s: %s\n", prog, addr, strerror(err));
		if (fd >= 0)
			close(fd);
		return -err;
	}
	return fd;
}

/* A free slot, else the slot of the oldest client still sending its
 * request (evicted: it has had the longest to send it), else -1 when
 * every client is being answered. */
static int metrics_slot(struct http_client *cl)
{
	int old = -1;

	for (int i = 0; i < HTTP_CLIENTS_MAX; i++) {
		if (cl[i].fd < 0)
			return i;
		if (!cl[i].answering && (old < 0 || cl[i].accepted < cl[old].accepted))
			old = i;
	}
	if (old >= 0)
		client_close(&cl[old]);
	return old;
}

/* Returns when the listener should be polled again (0: at once). */
static uint64_t metrics_accept(int lfd, struct http_client *cl)
{
	for (int n = 0; n < HTTP_CLIENTS_MAX; n++) {
		int i = metrics_slot(cl), fd;
		uint64_t now = clock_now();

		if (i < 0)
			return 0;
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			       errno == ENOMEM ? now + MS(METRICS_ACCEPT_PAUSE_MS) : 0;
		cl[i] = (struct http_client){ .fd = fd, .body = NULL, .accepted = now,
					      .deadline = now + MS(HTTP_REQ_DEADLINE_MS) };
	}
	return 0;
}

/* Milliseconds until the nearest deadline or the listener's rest ends
 * (-1: none; signals interrupt poll). */
static int metrics_timeout(const struct http_client *cl, uint64_t rest_until)
{
	uint64_t now = clock_now(), next = rest_until > now ? rest_until : UINT64_MAX;

	for (int i = 0; i < HTTP_CLIENTS_MAX; i++)
		if (cl[i].fd >= 0 && cl[i].deadline < next)
			next = cl[i].deadline;
	if (next == UINT64_MAX)
		return -1;
	return next <= now ? 0 : (int)((next - now) / MS(1)) + 1;
}

/* One poll set per turn: the listener while a slot is free or can be
 * freed (a client still sending its request), unless it rests. */
static int metrics_poll(int lfd, struct http_client *cl, struct pollfd *pfd,
			int *map, uint64_t rest_until)
{
	int n = 0;
	bool room = false;

	for (int i = 0; i < HTTP_CLIENTS_MAX; i++) {
		if (cl[i].fd < 0 || !cl[i].answering) {
			room = true;
			if (cl[i].fd < 0)
				continue;
		}
		pfd[n] = (struct pollfd){ .fd = cl[i].fd,
					  .events = cl[i].answering ? POLLOUT : POLLIN };
		map[n++] = i;
	}
	if (room && clock_now() >= rest_until) {
		pfd[n] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		map[n++] = -1;
	}
	return poll(pfd, (nfds_t)n, metrics_timeout(cl, rest_until)) < 0 &&
	       errno != EINTR ? -errno : n;
}

static void metrics_serve(int lfd)
{
	static struct http_client cl[HTTP_CLIENTS_MAX];
	struct pollfd pfd[HTTP_CLIENTS_MAX + 1];
	int map[HTTP_CLIENTS_MAX + 1], n;
	uint64_t rest_until = 0;

	for (int i = 0; i < HTTP_CLIENTS_MAX; i++)
		cl[i].fd = -1;
	while (!metrics_stop && (n = metrics_poll(lfd, cl, pfd, map, rest_until)) >= 0) {
		uint64_t now;

		/* The listener comes last in the set: an accept that evicts a
		 * client does so after every client's events were handled. */
		for (int k = 0; k < n; k++) {
			struct http_client *c = map[k] >= 0 ? &cl[map[k]] : NULL;

			if (!c && (pfd[k].revents & POLLIN))
				rest_until = metrics_accept(lfd, cl);
			else if (!c)
				continue;
			else if ((pfd[k].revents & (POLLERR | POLLHUP | POLLNVAL)) && !c->answering)
				client_close(c);
			else if (pfd[k].revents & POLLIN)
				client_read(c);
			else if (pfd[k].revents & (POLLOUT | POLLERR | POLLHUP))
				client_write(c);
		}
		now = clock_now();
		for (int i = 0; i < HTTP_CLIENTS_MAX; i++)
			if (cl[i].fd >= 0 && now > cl[i].deadline)
				client_close(&cl[i]);
	}
	for (int i = 0; i < HTTP_CLIENTS_MAX; i++)
		if (cl[i].fd >= 0)
			client_close(&cl[i]);
	body_put(metrics_cache);
	metrics_cache = NULL;
}

static int metrics_usage(FILE *f, int code)
{
	fprintf(f, "Usage: %s metrics [--listen ADDR:PORT]\n"
		"Serves Prometheus metrics of every interface at "
		"http://ADDR:PORT/metrics (default %s).\n",
		prog, METRICS_DEFAULT_LISTEN);
	return code;
}

int cmd_metrics(int argc, char **argv)
{
	const char *listen_at = METRICS_DEFAULT_LISTEN;
	struct sigaction sa = { .sa_handler = metrics_on_signal };
	int lfd;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return metrics_usage(stdout, 0);
		if (!strcmp(argv[i], "--listen") && i + 1 < argc)
			listen_at = argv[++i];
		else if (!strncmp(argv[i], "--listen=", 9))
			listen_at = argv[i] + 9;
		else
			return metrics_usage(stderr, 2);
	}
	if (geteuid() != 0) {
		fprintf(stderr, "%s: metrics must be run as root (the daemons' UAPI "
			"sockets and stats pages are root's)\n", prog);
		return 1;
	}
	lfd = metrics_listen(listen_at);
	if (lfd < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGTERM, &sa, NULL);	/* no SA_RESTART: poll returns */
	sigaction(SIGINT, &sa, NULL);
	printf("%s: serving metrics at http://%s/metrics\n", prog, listen_at);
	fflush(stdout);
	metrics_serve(lfd);
	close(lfd);
	return 0;
}
