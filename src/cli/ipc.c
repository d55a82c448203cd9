// SPDX-License-Identifier: GPL-2.0-only
#include "ipc.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crypto.h"
#include "defaults.h"
#include "netns.h"
#include "unixsock.h"

#define IPC_TIMEOUT_S	10	/* each read and write of a UAPI exchange */

/*
 * This namespace's daemon first, at its own socket (netns.h); without one
 * (a wireguard-go, or a daemon of another namespace), the path stock wg
 * uses. A daemon reached there may belong to another namespace: the
 * callers that care ask ipc_foreign_daemon().
 */
static int ipc_connect(const char *ifname)
{
	char path[128];
	int fd = -ENOENT;

	if (netns_path(NULL, ifname, "sock", path, sizeof(path)) == 0)
		fd = unixsock_connect(path, IPC_TIMEOUT_S);
	if (fd != -ENOENT && fd != -ECONNREFUSED)
		return fd;
	snprintf(path, sizeof(path), "%s/%s.sock", UAPI_SOCK_DIR, ifname);
	return unixsock_connect(path, IPC_TIMEOUT_S);
}

/* Grows a reply buffer by malloc + copy + wipe + free, not realloc: a
 * `get` reply holds private_key, and realloc would leave the old block
 * with it on the heap. */
static int reply_grow(char **buf, size_t len, size_t *cap)
{
	size_t ncap = *cap ? *cap * 2 : 8192;
	char *n = malloc(ncap);

	if (!n)
		return -ENOMEM;
	if (*buf) {
		memcpy(n, *buf, len);
		crypto_wipe(*buf, *cap);
		free(*buf);
	}
	*buf = n;
	*cap = ncap;
	return 0;
}

static int read_reply(int fd, char **out, size_t *olen)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;
	ssize_t r;

	for (;;) {
		if (cap - len < 4096 && reply_grow(&buf, len, &cap) < 0)
			goto nomem;
		r = recv(fd, buf + len, cap - len - 1, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		buf[len] = '\0';
		if (len >= 2 && !memcmp(buf + len - 2, "\n\n", 2) &&
		    strstr(buf, "errno="))
			break;
	}
	if (!buf || !strstr(buf, "errno=")) {
		if (buf)
			crypto_wipe(buf, cap);
		free(buf);
		return -EPROTO;
	}
	*out = buf;
	*olen = len;
	return 0;
nomem:
	if (buf)
		crypto_wipe(buf, cap);
	free(buf);
	return -ENOMEM;
}

int ipc_transact(const char *ifname, const char *req, char **reply,
		 size_t *rlen)
{
	size_t len = strlen(req);
	int fd = ipc_connect(ifname), ret, err;

	if (fd < 0)
		return fd;
	ret = write(fd, req, len) == (ssize_t)len ? 0 : -EIO;
	if (ret == 0)
		ret = read_reply(fd, reply, rlen);
	close(fd);
	if (ret < 0)
		return ret;
	err = atoi(strstr(*reply, "errno=") + 6);
	return err ? -err : 0;
}

static int add_allowed(struct ipc_peer *p, const char *v)
{
	char **n = realloc(p->allowed_ips, (p->n_allowed_ips + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	p->allowed_ips = n;
	n[p->n_allowed_ips] = strdup(v);
	return n[p->n_allowed_ips++] ? 0 : -ENOMEM;
}

static int add_peer(struct ipc_device *d, const char *hex)
{
	struct ipc_peer *n = realloc(d->peers, (d->n_peers + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	d->peers = n;
	memset(&n[d->n_peers], 0, sizeof(*n));
	return crypto_key_from_hex(n[d->n_peers++].public_key, hex);
}

static int ipc_line(struct ipc_device *d, const char *k, const char *v)
{
	struct ipc_peer *p = d->n_peers ? &d->peers[d->n_peers - 1] : NULL;
	uint8_t priv[CRYPTO_X25519_LEN];
	int ret = 0;

	if (!strcmp(k, "private_key")) {
		if (crypto_key_from_hex(priv, v) == 0 &&
		    crypto_x25519_public(d->public_key, priv) == 0)
			d->has_key = 1;
		crypto_wipe(priv, sizeof(priv));
	} else if (!strcmp(k, "listen_port")) {
		d->listen_port = (unsigned int)strtoul(v, NULL, 10);
	} else if (!strcmp(k, "fwmark")) {
		d->fwmark = (uint32_t)strtoul(v, NULL, 10);
	} else if (!strcmp(k, "public_key")) {
		ret = add_peer(d, v);
	} else if (!p) {
		return 0;
	} else if (!strcmp(k, "endpoint")) {
		endpoint_parse(&p->endpoint, v);
	} else if (!strcmp(k, "last_handshake_time_sec")) {
		p->last_handshake_sec = strtoll(v, NULL, 10);
	} else if (!strcmp(k, "rx_bytes")) {
		p->rx_bytes = strtoull(v, NULL, 10);
	} else if (!strcmp(k, "tx_bytes")) {
		p->tx_bytes = strtoull(v, NULL, 10);
	} else if (!strcmp(k, "persistent_keepalive_interval")) {
		p->persistent_keepalive = (unsigned int)strtoul(v, NULL, 10);
	} else if (!strcmp(k, "allowed_ip")) {
		ret = add_allowed(p, v);
	} else if (!strcmp(k, "preshared_key")) {
		p->has_psk = strspn(v, "0") != strlen(v);
	}
	return ret;
}

static bool ipc_secret(const char *k)
{
	return !strcmp(k, "private_key") || !strcmp(k, "preshared_key");
}

/* Every secret value is wiped from the reply as soon as its line is read
 * (the whole reply again at the end); with keys false (the exporter) a
 * private_key line is not even decoded, so nothing of it is kept. */
static int ipc_get_keys(const char *ifname, struct ipc_device *d, bool keys)
{
	char *reply = NULL, *save = NULL, *line;
	size_t rlen = 0;
	int ret;

	memset(d, 0, sizeof(*d));
	ret = ipc_transact(ifname, "get=1\n\n", &reply, &rlen);
	for (line = ret == 0 ? strtok_r(reply, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		if (!eq)
			continue;
		*eq = '\0';
		if (keys || strcmp(line, "private_key"))
			ret = ipc_line(d, line, eq + 1);
		if (ipc_secret(line))
			crypto_wipe(eq + 1, strlen(eq + 1));
		if (ret < 0)
			break;
	}
	if (reply) {
		crypto_wipe(reply, rlen);
		free(reply);
	}
	if (ret < 0)
		ipc_device_free(d);
	return ret;
}

int ipc_get(const char *ifname, struct ipc_device *d)
{
	return ipc_get_keys(ifname, d, true);
}

int ipc_get_stats(const char *ifname, struct ipc_device *d)
{
	return ipc_get_keys(ifname, d, false);
}

void ipc_device_free(struct ipc_device *d)
{
	for (size_t i = 0; i < d->n_peers; i++) {
		for (size_t j = 0; j < d->peers[i].n_allowed_ips; j++)
			free(d->peers[i].allowed_ips[j]);
		free(d->peers[i].allowed_ips);
		free(d->peers[i].lane_ep);
	}
	free(d->peers);
	memset(d, 0, sizeof(*d));
}

static int cmp_peer_key(const void *a, const void *b)
{
	const struct ipc_peer *const *x = a, *const *y = b;

	return memcmp((*x)->public_key, (*y)->public_key, CRYPTO_X25519_LEN);
}

/* Peers sorted by key once, so 20,000 peers times the lanes stay cheap. */
static struct ipc_peer **sorted_peers(struct ipc_device *d, unsigned int lanes)
{
	struct ipc_peer **v = calloc(d->n_peers ? d->n_peers : 1, sizeof(*v));

	for (size_t i = 0; v && i < d->n_peers; i++) {
		v[i] = &d->peers[i];
		free(v[i]->lane_ep);
		memset(v[i]->live, 0, sizeof(v[i]->live));
		v[i]->lane_ep = calloc(lanes, sizeof(*v[i]->lane_ep));
		v[i]->n_lane_ep = lanes;
		if (!v[i]->lane_ep) {
			free(v);
			return NULL;
		}
	}
	if (v)
		qsort(v, d->n_peers, sizeof(*v), cmp_peer_key);
	return v;
}

static void lanes_line(struct ipc_peer **v, size_t n, unsigned int lanes,
		       const char *line, unsigned int *lane,
		       struct ipc_peer **cur)
{
	struct ipc_peer key, *kp = &key, **hit;

	if (!strncmp(line, "lane=", 5)) {
		*lane = (unsigned int)strtoul(line + 5, NULL, 10);
		*cur = NULL;
	} else if (!strncmp(line, "public_key=", 11)) {
		*cur = NULL;
		if (crypto_key_from_hex(key.public_key, line + 11) == 0 &&
		    (hit = bsearch(&kp, v, n, sizeof(*v), cmp_peer_key)))
			*cur = *hit;
	} else if (!strncmp(line, "endpoint=", 9) && *cur && *lane < lanes) {
		endpoint_parse(&(*cur)->lane_ep[*lane], line + 9);
	} else if (!strcmp(line, "live=1") && *cur && *lane < lanes && *lane < 256) {
		(*cur)->live[*lane / 64] |= 1ULL << (*lane % 64);
	}
}

int ipc_get_lanes(const char *ifname, struct ipc_device *d,
		  unsigned int lanes)
{
	char *reply = NULL, *save = NULL, *line;
	struct ipc_peer **v = sorted_peers(d, lanes), *cur = NULL;
	unsigned int lane = 0;
	size_t rlen = 0;
	int ret;

	if (!v)
		return -ENOMEM;
	ret = ipc_transact(ifname, "tunlane_lanes=1\n\n", &reply, &rlen);
	for (line = ret == 0 ? strtok_r(reply, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		lanes_line(v, d->n_peers, lanes, line, &lane, &cur);
	free(reply);
	free(v);
	return ret;
}

int ipc_daemon_pid(const char *ifname)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd = ipc_connect(ifname), ret;

	if (fd < 0)
		return fd;
	ret = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ? -errno :
									cred.pid;
	close(fd);
	return ret > 0 ? ret : -ESRCH;
}

int ipc_same_netns(int pid)
{
	struct netns_id mine, theirs;
	int ret;

	if (pid <= 0)	/* netns_of() would take it for ourselves */
		return -ENOENT;
	if ((ret = netns_of(0, &mine)) < 0 || (ret = netns_of(pid, &theirs)) < 0)
		return ret;
	return netns_equal(&mine, &theirs);
}

int ipc_foreign_daemon(const char *ifname)
{
	int pid = ipc_daemon_pid(ifname);

	return pid > 0 && ipc_same_netns(pid) == 0 ? pid : 0;
}

int ipc_local_daemon(const char *ifname)
{
	int pid = ipc_daemon_pid(ifname);

	return pid > 0 && ipc_same_netns(pid) != 0 ? pid : 0;
}

static int sock_name(const char *file, char *out, size_t len)
{
	size_t n = strlen(file);

	if (n < 6 || n - 5 >= len || strcmp(file + n - 5, ".sock"))
		return -EINVAL;
	memcpy(out, file, n - 5);
	out[n - 5] = '\0';
	return 0;
}

/* Calls fn for each IFNAME.sock in dir that a daemon of this namespace
 * serves; with skip_own, not for names that have a socket of their own
 * in this namespace's directory (listed already). */
static int ipc_list_dir(const char *dir, bool skip_own,
			void (*fn)(const char *, void *), void *arg)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char name[64], own[128];
	int n = 0;

	while (d && (e = readdir(d))) {
		if (sock_name(e->d_name, name, sizeof(name)) < 0)
			continue;
		if (skip_own && netns_path(NULL, name, "sock", own, sizeof(own)) == 0 &&
		    access(own, F_OK) == 0)
			continue;
		if (ipc_local_daemon(name) <= 0)
			continue;
		fn(name, arg);
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

int ipc_list(void (*fn)(const char *ifname, void *arg), void *arg)
{
	char dir[96];
	int n = 0;

	if (netns_dir(NULL, dir, sizeof(dir)) == 0)
		n = ipc_list_dir(dir, false, fn, arg);
	return n + ipc_list_dir(UAPI_SOCK_DIR, true, fn, arg);
}
