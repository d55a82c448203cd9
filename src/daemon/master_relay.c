// SPDX-License-Identifier: GPL-2.0-only
/*
 * The stock UAPI path, RUNSTATEDIR/wireguard/IFNAME.sock, shared by every
 * network namespace of the host (docs/design.md, "Network namespaces").
 *
 * Each daemon serves its own namespace's socket (netns.h). Stock wg(8)
 * knows only the stock path, and `ip netns exec` changes nothing under
 * /var/run, so one daemon of each name serves the stock path for all
 * namespaces: whoever holds the lock file STATS_DIR/IFNAME.lock (flock,
 * released by the kernel even on SIGKILL). A client there from the
 * holder's own namespace is served as usual; a client from another
 * namespace is relayed, by a forked child with a deadline and size caps,
 * to the socket of the client's namespace, and nowhere else: what a
 * client reaches depends only on the namespace the kernel reports for it
 * (SO_PEERCRED, /proc/PID/ns/net), so a client in B can never reach A's
 * daemon. With no daemon of that name in the client's namespace it
 * answers errno=19 (ENODEV), as the kernel would.
 *
 * The init namespace's daemon always holds the stock path, as before
 * this existed: it asks a holder of another namespace to yield. Others
 * take it over when it is free, and retry every second, so that when the
 * holder exits another daemon of that name takes over. As with
 * wireguard-go, removing the socket stops the daemon that serves it.
 */
#include "master.h"
#include "master_relay.h"
#include "master_uapi.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "defaults.h"
#include "log.h"
#include "uapi.h"

#define RELAY_MAX		16		/* relays running at once */
#define RELAY_DEADLINE_S	30		/* a relayed connection's whole life */
#define RELAY_REPLY_MAX		(256U << 20)	/* bytes back to one client */
#define PUBLIC_RETRY		NSEC_PER_SEC
#define PUBLIC_YIELD_HOLD	(5 * NSEC_PER_SEC)	/* after yielding */
#define PUBLIC_TAKE_TRIES	30		/* x 100 ms, init namespace */
#define YIELD_REQ		"tunlane_yield=1\n\n"

static pid_t relays[RELAY_MAX];

static int sun_set(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	memcpy(sun->sun_path, path, strlen(path) + 1);
	return 0;
}

/* A blocking client connection with both timeouts, or -errno. */
static int connect_path(const char *path, int timeout_s)
{
	struct timeval tv = { .tv_sec = timeout_s };
	struct sockaddr_un sun;
	int fd, ret;

	if ((ret = sun_set(&sun, path)) < 0)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

/* Binds a listening socket at path, owner only (it hands out private
 * keys). The inode goes to *ino. fd or -errno. */
int master_relay_bind(const char *path, ino_t *ino)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd, ret;

	if ((ret = sun_set(&sun, path)) < 0)
		return ret;
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	old = umask(0077);
	ret = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (ret < 0 || listen(fd, 16) < 0 || stat(path, &st) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	*ino = st.st_ino;
	return fd;
}

/* Someone answers at path (a live daemon, whoever it is). */
static bool path_busy(const char *path)
{
	int fd = connect_path(path, 1);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static int public_lock(struct master *m)
{
	char path[128];

	if (m->pub_lock_fd >= 0)
		return 0;
	snprintf(path, sizeof(path), "%s/%s.lock", STATS_DIR, m->opts.ifname);
	m->pub_lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
			      0600);
	return m->pub_lock_fd < 0 ? -errno : 0;
}

/*
 * One try at the stock path: 0 when we serve it now, -EAGAIN when another
 * daemon of ours holds it, -EADDRINUSE when something that does not take
 * our lock (wireguard-go) serves it, else -errno.
 */
static int public_try(struct master *m)
{
	int ret;

	if ((ret = public_lock(m)) < 0)
		return ret;
	if (flock(m->pub_lock_fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (path_busy(m->pub_path)) {
		flock(m->pub_lock_fd, LOCK_UN);
		return -EADDRINUSE;
	}
	ret = master_relay_bind(m->pub_path, &m->pub_ino);
	if (ret < 0) {
		flock(m->pub_lock_fd, LOCK_UN);
		return ret;
	}
	m->pub_fd = ret;
	return 0;
}

/* Asks the daemon of another namespace that serves the stock path to let
 * go of it, at its own namespace's socket. */
static void public_ask_yield(struct master *m)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct netns_id ns;
	char path[128], buf[64];
	int fd = connect_path(m->pub_path, 2);

	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    cred.pid <= 0 || netns_of(cred.pid, &ns) < 0 ||
	    netns_equal(&ns, &m->netns) ||
	    netns_path(&ns, m->opts.ifname, "sock", path, sizeof(path)) < 0) {
		close(fd);
		return;
	}
	close(fd);
	fd = connect_path(path, 2);
	if (fd < 0)
		return;
	if (write(fd, YIELD_REQ, sizeof(YIELD_REQ) - 1) > 0 &&
	    read(fd, buf, sizeof(buf)) > 0)
		log_info("took %s over from the daemon of another network namespace",
			 m->pub_path);
	close(fd);
}

int master_public_setup(struct master *m)
{
	int ret = -EAGAIN;

	snprintf(m->pub_path, sizeof(m->pub_path), "%s/%s.sock",
		 UAPI_SOCK_DIR, m->opts.ifname);
	mkdir(UAPI_SOCK_DIR, 0755);
	if (!m->netns_init) {
		/* Whoever serves it now relays to us: nothing to wait for. */
		if (public_try(m) < 0)
			m->pub_retry_at = clock_now() + PUBLIC_RETRY;
		return 0;
	}
	for (int i = 0; i < PUBLIC_TAKE_TRIES && ret == -EAGAIN; i++) {
		ret = public_try(m);
		if (ret == -EAGAIN && i == 0)
			public_ask_yield(m);
		if (ret == -EAGAIN)
			usleep(100 * 1000);
	}
	if (ret == -EAGAIN || ret == -EADDRINUSE) {
		log_err("%s is in use by another daemon", m->pub_path);
		return -EADDRINUSE;
	}
	if (ret < 0)
		log_err("cannot listen on %s: %s", m->pub_path, strerror(-ret));
	return ret;
}

void master_public_release(struct master *m)
{
	struct stat st;

	if (m->pub_fd >= 0) {
		if (m->ep_fd >= 0)
			epoll_ctl(m->ep_fd, EPOLL_CTL_DEL, m->pub_fd, NULL);
		/* Only remove the socket if it is still ours. */
		if (stat(m->pub_path, &st) == 0 && st.st_ino == m->pub_ino)
			unlink(m->pub_path);
		close(m->pub_fd);
		m->pub_fd = -1;
	}
	if (m->pub_lock_fd >= 0)
		flock(m->pub_lock_fd, LOCK_UN);
}

int master_public_yield(struct master *m)
{
	if (m->netns_init)
		return -EPERM;	/* the init namespace's daemon keeps it */
	if (m->pub_fd >= 0)
		log_info("letting the init namespace's daemon serve %s",
			 m->pub_path);
	master_public_release(m);
	m->pub_retry_at = clock_now() + PUBLIC_YIELD_HOLD;
	return 0;
}

static void public_add(struct master *m)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &m->pub_fd };

	if (epoll_ctl(m->ep_fd, EPOLL_CTL_ADD, m->pub_fd, &ev) < 0) {
		log_warn("cannot watch %s: %s", m->pub_path, strerror(errno));
		master_public_release(m);
	}
}

int master_public_watch(struct master *m)
{
	if (m->pub_fd >= 0)
		public_add(m);
	return 0;
}

void master_public_tick(struct master *m)
{
	struct stat st;
	uint64_t now = clock_now();

	if (m->pub_fd >= 0) {
		if (stat(m->pub_path, &st) == 0 && st.st_ino == m->pub_ino)
			return;
		/* Removed or replaced while we serve it: like wireguard-go,
		 * we stop (wg removes a socket only when nobody answers). */
		log_info("%s was removed, exiting", m->pub_path);
		m->stop = true;
		return;
	}
	if (m->netns_init || now < m->pub_retry_at)
		return;
	m->pub_retry_at = now + PUBLIC_RETRY;
	if (public_try(m) == 0) {
		log_info("serving %s for every network namespace", m->pub_path);
		public_add(m);
	}
}

/* In the relay child: the requests and the replies, both ways, until the
 * daemon's side ends, within the caps (alarm() is the deadline). A client
 * that shuts down its side still gets the replies. */
static int relay_pump(int cfd, int tfd)
{
	struct pollfd p[2] = { { .fd = cfd, .events = POLLIN },
			       { .fd = tfd, .events = POLLIN } };
	const int to[2] = { tfd, cfd };
	size_t moved[2] = { 0, 0 };
	const size_t cap[2] = { UAPI_MAX_REQUEST, RELAY_REPLY_MAX };
	char buf[65536];

	for (;;) {
		if (poll(p, 2, -1) < 0)
			return -errno;
		for (int i = 0; i < 2; i++) {
			ssize_t n;

			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = recv(p[i].fd, buf, sizeof(buf), 0);
			if (n <= 0 && i == 1)
				return 0;	/* the daemon is done */
			if (n <= 0) {
				shutdown(tfd, SHUT_WR);
				p[0].fd = -1;
				continue;
			}
			moved[i] += (size_t)n;
			if (moved[i] > cap[i] ||
			    send(to[i], buf, (size_t)n, MSG_NOSIGNAL) != n)
				return -E2BIG;
		}
	}
}

/* Reads a request to its end ("\n\n") and throws it away, so that the
 * client gets our answer rather than a reset. */
static void relay_drain_request(int cfd)
{
	char buf[4096], last = 0;
	size_t total = 0;
	ssize_t n;

	while (total < UAPI_MAX_REQUEST &&
	       (n = recv(cfd, buf, sizeof(buf), 0)) > 0) {
		total += (size_t)n;
		if ((last == '\n' && buf[0] == '\n') ||
		    memmem(buf, (size_t)n, "\n\n", 2))
			return;
		last = buf[n - 1];
	}
}

static __attribute__((noreturn)) void relay_child(int cfd, const char *target)
{
	static const char enodev[] = "errno=19\n\n";
	sigset_t none;
	int tfd, fl;

	/* Nothing of the master's but the client: not its sockets, not
	 * its lock (a lock held by a child would outlive a yield). */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGALRM, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	if (cfd > 3)
		close_range(3, (unsigned int)cfd - 1, 0);
	close_range((unsigned int)cfd + 1, ~0U, 0);
	alarm(RELAY_DEADLINE_S);
	fl = fcntl(cfd, F_GETFL);
	fcntl(cfd, F_SETFL, fl & ~O_NONBLOCK);
	tfd = connect_path(target, RELAY_DEADLINE_S);
	if (tfd < 0) {
		relay_drain_request(cfd);
		send(cfd, enodev, sizeof(enodev) - 1, MSG_NOSIGNAL);
		_exit(0);
	}
	_exit(relay_pump(cfd, tfd) < 0 ? 1 : 0);
}

/* Whose the client is, from the kernel: uid and network namespace. */
static int relay_client_ns(int fd, struct netns_id *ns)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	/* The socket is 0600: only its owner (root) and root get here. */
	if (cred.uid != 0 && cred.uid != geteuid())
		return -EPERM;
	if (cred.pid <= 0)
		return -ESRCH;
	return netns_of(cred.pid, ns);
}

static void relay_start(struct master *m, int fd, const struct netns_id *ns)
{
	char target[128];
	int slot = -1;
	pid_t pid;

	for (int i = 0; i < RELAY_MAX && slot < 0; i++)
		if (!relays[i])
			slot = i;
	if (slot < 0 ||
	    netns_path(ns, m->opts.ifname, "sock", target, sizeof(target)) < 0) {
		close(fd);
		return;
	}
	pid = fork();
	if (pid == 0)
		relay_child(fd, target);
	if (pid > 0)
		relays[slot] = pid;
	else
		log_warn("cannot relay a client of %s: %s", m->pub_path,
			 strerror(errno));
	close(fd);
}

void master_public_accept(struct master *m)
{
	struct netns_id ns;
	int fd;

	fd = accept4(m->pub_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (relay_client_ns(fd, &ns) < 0)
		close(fd);
	else if (netns_equal(&ns, &m->netns))
		master_uapi_adopt(m, fd);
	else
		relay_start(m, fd, &ns);
}

bool master_relay_reaped(pid_t pid)
{
	for (int i = 0; i < RELAY_MAX; i++)
		if (relays[i] == pid) {
			relays[i] = 0;
			return true;
		}
	return false;
}

void master_relay_stop(void)
{
	for (int i = 0; i < RELAY_MAX; i++)
		if (relays[i] > 0)
			kill(relays[i], SIGTERM);
}
