// SPDX-License-Identifier: GPL-2.0-only
/*
 * tunlane metrics [--listen ADDR:PORT]: a Prometheus exporter. One
 * process, one poll loop, non-blocking sockets: a request must arrive
 * whole (GET, at most HTTP_REQ_MAX bytes) within HTTP_DEADLINE_MS and its
 * answer leave within the same deadline, else the connection is closed,
 * so a slow or idle client never holds up the others. Every answer closes
 * the connection (HTTP/1.0 style, also for 1.1 clients).
 *
 * It reads what `tunlane show` reads: each daemon's UAPI socket (get=1)
 * and stats page, which are root's, so it runs as root; it needs no
 * capability at all (systemd/tunlane-metrics.service empties them).
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
#define HTTP_DEADLINE_MS 5000
#define HTTP_CLIENTS_MAX 32

struct http_client {
	int fd;				/* -1: free slot */
	uint64_t deadline;
	char req[HTTP_REQ_MAX];
	size_t req_len;
	char *resp;			/* once the request is complete */
	size_t resp_len, resp_off;
};

static volatile sig_atomic_t metrics_stop;

static void metrics_on_signal(int sig)
{
	(void)sig;
	metrics_stop = 1;
}

static void client_close(struct http_client *c)
{
	close(c->fd);
	free(c->resp);
	c->fd = -1;
	c->resp = NULL;
}

/* The whole answer in one buffer: status line, headers, body. */
static void client_respond(struct http_client *c, const char *status,
			   const char *type, const char *body, size_t blen)
{
	char head[256];
	int n = snprintf(head, sizeof(head), "HTTP/1.0 %s\r\nContent-Type: %s\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			 status, type, blen);

	c->resp_len = c->resp_off = 0;
	c->resp = malloc((size_t)n + blen);
	if (!c->resp)
		return;
	memcpy(c->resp, head, (size_t)n);
	memcpy(c->resp + n, body, blen);
	c->resp_len = (size_t)n + blen;
}

static void client_text(struct http_client *c, const char *status,
			const char *text)
{
	client_respond(c, status, "text/plain; charset=utf-8", text, strlen(text));
}

static void client_metrics(struct http_client *c)
{
	char *body = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&body, &blen);
	int ret = f ? prom_write(f, NULL) : -ENOMEM;

	if (f && fclose(f) != 0)
		ret = -EIO;
	if (ret < 0)
		client_text(c, "500 Internal Server Error", "cannot collect metrics\n");
	else
		client_respond(c, "200 OK", PROM_CONTENT_TYPE, body, blen);
	free(body);
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
	if (!c->resp)
		client_close(c);	/* out of memory: nothing to say */
}

static void client_write(struct http_client *c)
{
	ssize_t n = send(c->fd, c->resp + c->resp_off, c->resp_len - c->resp_off,
			 MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(c);
		return;
	}
	c->resp_off += (size_t)n;
	if (c->resp_off == c->resp_len)
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

static void metrics_accept(int lfd, struct http_client *cl)
{
	for (int i = 0; i < HTTP_CLIENTS_MAX; i++) {
		int fd;

		if (cl[i].fd >= 0)
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		cl[i] = (struct http_client){ .fd = fd, .resp = NULL };
		cl[i].deadline = clock_now() + HTTP_DEADLINE_MS * (NSEC_PER_SEC / 1000);
	}
}

/* One poll set per turn: the listener only while a slot is free. */
static int metrics_poll(int lfd, struct http_client *cl, struct pollfd *pfd,
			int *map)
{
	int n = 0;
	bool room = false;

	for (int i = 0; i < HTTP_CLIENTS_MAX; i++) {
		if (cl[i].fd < 0) {
			room = true;
			continue;
		}
		pfd[n] = (struct pollfd){ .fd = cl[i].fd,
					  .events = cl[i].resp ? POLLOUT : POLLIN };
		map[n++] = i;
	}
	if (room) {
		pfd[n] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		map[n++] = -1;
	}
	return poll(pfd, (nfds_t)n, 500) < 0 && errno != EINTR ? -errno : n;
}

static void metrics_serve(int lfd)
{
	static struct http_client cl[HTTP_CLIENTS_MAX];
	struct pollfd pfd[HTTP_CLIENTS_MAX + 1];
	int map[HTTP_CLIENTS_MAX + 1], n;

	for (int i = 0; i < HTTP_CLIENTS_MAX; i++)
		cl[i].fd = -1;
	while (!metrics_stop && (n = metrics_poll(lfd, cl, pfd, map)) >= 0) {
		uint64_t now = clock_now();

		for (int k = 0; k < n; k++) {
			struct http_client *c = map[k] >= 0 ? &cl[map[k]] : NULL;

			if (!c && (pfd[k].revents & POLLIN))
				metrics_accept(lfd, cl);
			else if (c && (pfd[k].revents & (POLLERR | POLLHUP | POLLNVAL)) && !c->resp)
				client_close(c);
			else if (c && (pfd[k].revents & POLLIN))
				client_read(c);
			else if (c && (pfd[k].revents & (POLLOUT | POLLERR | POLLHUP)))
				client_write(c);
		}
		for (int i = 0; i < HTTP_CLIENTS_MAX; i++)
			if (cl[i].fd >= 0 && now > cl[i].deadline)
				client_close(&cl[i]);
	}
	for (int i = 0; i < HTTP_CLIENTS_MAX; i++)
		if (cl[i].fd >= 0)
			client_close(&cl[i]);
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
