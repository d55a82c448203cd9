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
 * to the socket of the client's namespace, and nowhere else.
 *
 * Namespaces are told apart by SO_NETNS_COOKIE (never reused, unlike a
 * pid or an inode): an AF_UNIX accept creates the accepted socket in the
 * connecting socket's namespace, so its cookie is the client's. Hence:
 *  - a daemon's own socket closes, unanswered, a connection whose cookie
 *    is not the daemon's (master_uapi.c), although the file is in the
 *    shared /run;
 *  - the relay child enters the client's namespace by its pid
 *    (SO_PEERCRED, /proc/PID/ns/net), makes its socket there and goes on
 *    only if that socket's cookie is the client's (a reused pid gets
 *    errno=1), then connects from there to that namespace's own socket;
 *    with no daemon of that name there it answers errno=19 (ENODEV), as
 *    the kernel would. Nothing the client sends chooses the target, so a
 *    client in B never reaches A's daemon, by either path.
 *
 * The init namespace's daemon always holds the stock path, as before
 * this existed: once its name checks pass, it asks a holder of another
 * namespace to yield (from a child in the holder's namespace), on every
 * try. Others take it over when it is free, and retry every second (30 s
 * while something that does not take our lock serves it), so that when
 * the holder exits another daemon of that name takes over. As with
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
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "defaults.h"
#include "log.h"
#include "uapi.h"
#include "unixsock.h"

#define RELAY_MAX		16		/* relays running at once */
#define RELAY_DEADLINE_S	30		/* a relayed connection's whole life */
#define RELAY_REPLY_MAX		(256U << 20)	/* bytes back to one client */
#define PUBLIC_RETRY		NSEC_PER_SEC
#define PUBLIC_BUSY_RETRY	(30 * NSEC_PER_SEC)	/* held by a stranger */
#define YIELD_DEADLINE_S	2	/* asking a holder to yield */
#define PUBLIC_YIELD_HOLD	(5 * NSEC_PER_SEC)	/* after yielding */
#define PUBLIC_TAKE_TRIES	30		/* x 100 ms, init namespace */
#define YIELD_REQ		"tunlane_yield=1\n\n"

static pid_t relays[RELAY_MAX];

/*
 * A socket made inside pid's network namespace, so that the daemon there,
 * which serves clients of its own namespace only (master_uapi.c), takes
 * our connection; that namespace's id goes to *id. Only for children
 * that exit soon after: it is by pid, and a pid can be reused, so the
 * caller checks the socket's namespace cookie where that matters. fd or
 * -errno.
 */
static int socket_in_netns_of(pid_t pid, struct netns_id *id)
{
	char path[64];
	int nsfd, selffd, fd;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0)
		return -errno;
	selffd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (selffd < 0) {
		fd = -errno;
		close(nsfd);
		return fd;
	}
	fd = netns_socket_in(nsfd, selffd, id);
	close(selffd);
	close(nsfd);
	return fd;
}

/* What a short-lived child of the master starts with: no signal blocked
 * (the master takes them by signalfd), no fd of the master's but the ones
 * below keep, and a deadline. */
static void child_reset(int keep, unsigned int deadline_s)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGALRM, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	if (keep < 0) {
		close_range(3, ~0U, 0);
	} else {
		if (keep > 3)
			close_range(3, (unsigned int)keep - 1, 0);
		close_range((unsigned int)keep + 1, ~0U, 0);
	}
	alarm(deadline_s);
}

/* Binds a listening socket at path, owner only (it hands out private
 * keys). The inode goes to *ino. fd or -errno. */
int master_relay_bind(const char *path, ino_t *ino)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd, ret;

	if ((ret = unixsock_addr(&sun, path)) < 0)
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
	/* Someone answers there: a live daemon, whoever it is. */
	if (unixsock_busy(m->pub_path, 1)) {
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

/* In a child: the yield request to the holder (by pid), at the socket
 * of its namespace, from inside that namespace (that daemon serves its
 * own namespace only). Exits 0 when the holder answered. */
static __attribute__((noreturn)) void yield_child(pid_t holder,
						  const char *ifname,
						  uint64_t own)
{
	struct netns_id ns;
	uint64_t cookie;
	char path[128], buf[64];
	int fd;

	child_reset(-1, YIELD_DEADLINE_S);
	fd = socket_in_netns_of(holder, &ns);
	if (fd < 0 || netns_cookie(fd, &cookie) < 0 || cookie == own ||
	    netns_path(&ns, ifname, "sock", path, sizeof(path)) < 0 ||
	    unixsock_connect_fd(fd, path, YIELD_DEADLINE_S) < 0)
		_exit(1);
	if (write(fd, YIELD_REQ, sizeof(YIELD_REQ) - 1) > 0 &&
	    read(fd, buf, sizeof(buf)) > 0)
		_exit(0);
	_exit(1);
}

/* Asks the daemon of another namespace that serves the stock path to let
 * go of it, at its own namespace's socket. The socket for that is made in
 * the holder's namespace, by a forked child with a deadline, so that the
 * master itself never leaves its own namespace. */
static void public_ask_yield(struct master *m)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd = unixsock_connect(m->pub_path, 2), st = 0;
	pid_t pid;

	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		cred.pid = 0;
	close(fd);
	if (cred.pid <= 0 || cred.pid == getpid())
		return;
	pid = fork();
	if (pid == 0)
		yield_child(cred.pid, m->opts.ifname, m->netns_cookie);
	if (pid < 0)
		return;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		log_info("took %s over from the daemon of another network namespace",
			 m->pub_path);
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
		/* On every try: with several other namespaces' daemons of
		 * this name, another one can take the path between tries. */
		if (ret == -EAGAIN)
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
	int ret;

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
	ret = public_try(m);
	if (ret == 0) {
		log_info("serving %s for every network namespace", m->pub_path);
		public_add(m);
	} else if (ret == -EADDRINUSE) {
		/* Something that does not take our lock (wireguard-go) serves
		 * it: each try is a blocking connect, so seldom. */
		m->pub_retry_at = now + PUBLIC_BUSY_RETRY;
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

/*
 * In the relay child: the connection to the daemon of the client's
 * namespace, made from inside that namespace. The namespace is entered by
 * the client's pid, which may have gone and been reused since it
 * connected, so the socket made there must have the namespace cookie of
 * the client's own accepted socket (the kernel made that one in the
 * client's namespace): otherwise -EPERM, and nothing is reached. -ENODEV:
 * no daemon of that name there. fd or -errno.
 */
static int relay_target(int cfd, pid_t pid, const char *ifname)
{
	struct netns_id ns;
	uint64_t want, got;
	char target[128];
	int fd;

	if (netns_cookie(cfd, &want) < 0)
		return -EPERM;
	fd = socket_in_netns_of(pid, &ns);
	if (fd < 0)
		return -EPERM;
	if (netns_cookie(fd, &got) < 0 || got != want) {
		close(fd);
		return -EPERM;
	}
	if (netns_path(&ns, ifname, "sock", target, sizeof(target)) < 0 ||
	    unixsock_connect_fd(fd, target, RELAY_DEADLINE_S) < 0) {
		close(fd);
		return -ENODEV;
	}
	return fd;
}

static __attribute__((noreturn)) void relay_child(int cfd, pid_t pid,
						  const char *ifname)
{
	static const char enodev[] = "errno=19\n\n", eperm[] = "errno=1\n\n";
	int tfd, fl;

	/* Nothing of the master's but the client: not its sockets, not
	 * its lock (a lock held by a child would outlive a yield). */
	child_reset(cfd, RELAY_DEADLINE_S);
	fl = fcntl(cfd, F_GETFL);
	fcntl(cfd, F_SETFL, fl & ~O_NONBLOCK);
	tfd = relay_target(cfd, pid, ifname);
	if (tfd < 0) {
		relay_drain_request(cfd);
		if (tfd == -EPERM)
			send(cfd, eperm, sizeof(eperm) - 1, MSG_NOSIGNAL);
		else
			send(cfd, enodev, sizeof(enodev) - 1, MSG_NOSIGNAL);
		_exit(0);
	}
	_exit(relay_pump(cfd, tfd) < 0 ? 1 : 0);
}

/* Whose the client is, from the kernel: its pid, for a relay (0: not
 * visible in our pid namespace), after the uid check. */
static int relay_client_pid(int fd, pid_t *pid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	/* The socket is 0600: only its owner (root) and root get here. */
	if (cred.uid != 0 && cred.uid != geteuid())
		return -EPERM;
	*pid = cred.pid > 0 ? cred.pid : 0;
	return 0;
}

static void relay_start(struct master *m, int fd, pid_t client)
{
	int slot = -1;
	pid_t pid;

	for (int i = 0; i < RELAY_MAX && slot < 0; i++)
		if (!relays[i])
			slot = i;
	if (slot < 0 || client <= 0) {
		close(fd);
		return;
	}
	pid = fork();
	if (pid == 0)
		relay_child(fd, client, m->opts.ifname);
	if (pid > 0)
		relays[slot] = pid;
	else
		log_warn("cannot relay a client of %s: %s", m->pub_path,
			 strerror(errno));
	close(fd);
}

/* A client of the stock path: served here when its accepted socket lives
 * in our namespace (the kernel's cookie, not a pid), else relayed. */
void master_public_accept(struct master *m)
{
	uint64_t cookie = 0;
	pid_t client = 0;
	int fd;

	fd = accept4(m->pub_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (relay_client_pid(fd, &client) < 0)
		close(fd);
	else if (netns_cookie(fd, &cookie) == 0 && cookie == m->netns_cookie)
		master_uapi_adopt(m, fd);
	else
		relay_start(m, fd, client);
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
