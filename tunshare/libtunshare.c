// SPDX-License-Identifier: GPL-2.0-only
/*
 * libtunshare.so: an LD_PRELOAD shim that lets an unmodified tun program
 * (OpenVPN, for one) attach as one more queue of a shared multi-queue tun.
 *
 * With TUNSHARE_DEV=NAME in the environment:
 *  - TUNSETIFF for NAME hands the program the queue tunshare(8) opened for
 *    this lane (the descriptor TUNSHARE_FD, dup'ed onto the program's own),
 *    instead of failing with EINVAL/EBUSY. The device belongs to root, so
 *    that nobody can attach to it by name; the lane needs no privilege.
 *    Without TUNSHARE_FD (a program started by hand), the call attaches
 *    one more queue instead, with IFF_MULTI_QUEUE added and IFF_TUN_EXCL
 *    removed, which only root can do. A tun request with an empty name or a
 *    pattern ("tun%d") is pointed at NAME too: a lane has exactly one
 *    tun to use, and this lets "--dev tun" configurations work unchanged.
 *    Any other explicit name, and any tap request, is left alone. The
 *    shim never creates NAME: without the supervisor's device the call
 *    fails with ENODEV.
 *  - An open of /dev/net/tun that the kernel refuses (a lane run as a user
 *    who may not open it) returns a copy of the queue instead, which the
 *    program's TUNSETIFF then keeps.
 *  - TUNSETPERSIST, TUNSETOWNER and TUNSETGROUP on a descriptor attached to
 *    NAME succeed without effect: the supervisor owns the device's
 *    lifetime and ownership, and one lane must not change them for all.
 * Without TUNSHARE_DEV, every ioctl goes straight to libc.
 *
 * The shim keeps no per-descriptor state: it asks the kernel (TUNGETIFF)
 * when it needs to know what a descriptor is attached to. It allocates
 * nothing, and it logs (to stderr, with write(2)) only if TUNSHARE_DEBUG is
 * set.
 */
/* The shim defines open() and friends itself, which the fortified inline
 * versions in <fcntl.h> would clash with. */
#undef _FORTIFY_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

typedef int (*ioctl_fn)(int, unsigned long, ...);
typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);

static ioctl_fn real_ioctl;
static open_fn real_open, real_open64;
static openat_fn real_openat, real_openat64;
static char share_dev[IFNAMSIZ];	/* empty: the shim is inactive */
static int share_fd = -1;		/* the lane's queue, from tunshare */
static int debug;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Runs once, before the first ioctl or at load time, whichever is first:
 * so the hot path only reads these variables. */
static void tunshare_init(void)
{
	const char *dev = getenv("TUNSHARE_DEV");

	const char *fd = getenv("TUNSHARE_FD");
	char *end;
	long v;

	real_ioctl = (ioctl_fn)dlsym(RTLD_NEXT, "ioctl");
	real_open = (open_fn)dlsym(RTLD_NEXT, "open");
	real_open64 = (open_fn)dlsym(RTLD_NEXT, "open64");
	real_openat = (openat_fn)dlsym(RTLD_NEXT, "openat");
	real_openat64 = (openat_fn)dlsym(RTLD_NEXT, "openat64");
	debug = getenv("TUNSHARE_DEBUG") != NULL;
	if (dev && *dev && strlen(dev) < IFNAMSIZ && !strchr(dev, '%'))
		strcpy(share_dev, dev);
	if (!share_dev[0] || !fd)
		return;
	errno = 0;
	v = strtol(fd, &end, 10);
	/* Kept open (a program may reopen its tun) but not handed on to
	 * what the program runs in turn. */
	if (!errno && end != fd && !*end && v > STDERR_FILENO && v < 65536 &&
	    fcntl((int)v, F_SETFD, FD_CLOEXEC) == 0)
		share_fd = (int)v;
}

static void udp_init(void);
static pthread_once_t udp_once = PTHREAD_ONCE_INIT;

/* At load time, so that the inherited descriptors are close-on-exec
 * before the program can run anything. */
__attribute__((constructor)) static void tunshare_ctor(void)
{
	pthread_once(&once, tunshare_init);
	pthread_once(&udp_once, udp_init);
}

static void dbg(const char *fmt, ...)
{
	int saved = errno, n;
	char buf[256];
	va_list ap;

	if (!debug)
		return;
	n = snprintf(buf, sizeof(buf), "libtunshare[%d]: ", (int)getpid());
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	/* Best effort, and the caller's errno must survive it. */
	if (write(STDERR_FILENO, buf, (size_t)n) < 0) {
		/* nowhere else to report it */
	}
	errno = saved;
}

/* Is this TUNSETIFF request one for the shared device? Patterns and empty
 * names count when they ask for a tun (not a tap). */
static int wants_shared(const struct ifreq *ifr)
{
	char name[IFNAMSIZ];

	memcpy(name, ifr->ifr_name, IFNAMSIZ);
	name[IFNAMSIZ - 1] = '\0';
	if (!strcmp(name, share_dev))
		return 1;
	if ((ifr->ifr_flags & (IFF_TUN | IFF_TAP)) != IFF_TUN)
		return 0;
	return !name[0] || strchr(name, '%');
}

/* The framing the supervisor gave the device wins: on a queue attach the
 * kernel ignores the caller's feature flags. A caller expecting another
 * framing would misparse every packet, so it is detached and refused. */
#define FRAMING (IFF_TUN | IFF_TAP | IFF_NO_PI | IFF_VNET_HDR)

/* Is share_fd (still) a queue of the shared device? Fills ifr. */
static int share_fd_valid(struct ifreq *ifr)
{
	int saved = errno;

	memset(ifr, 0, sizeof(*ifr));
	if (share_fd < 0 || real_ioctl(share_fd, TUNGETIFF, ifr) < 0 ||
	    strncmp(ifr->ifr_name, share_dev, IFNAMSIZ)) {
		errno = saved;
		return 0;
	}
	return 1;
}

/* The program's descriptor becomes a copy of the lane's queue, with the
 * program's own close-on-exec and status flags. */
static int handed_setiff(int fd, struct ifreq *user, const struct ifreq *q)
{
	int asked = user->ifr_flags & 0xffff;
	int fdfl = fcntl(fd, F_GETFD), fl = fcntl(fd, F_GETFL);
	struct ifreq ifr;

	if (fdfl < 0 || fl < 0)
		return -1;
	if ((q->ifr_flags ^ asked) & FRAMING) {
		dbg("%s has flags 0x%x, the program asked for 0x%x: refused",
		    share_dev, q->ifr_flags & 0xffff, asked);
		errno = EINVAL;
		return -1;
	}
	if (fd != share_fd &&
	    dup3(share_fd, fd, (fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0)
		return -1;
	fcntl(fd, F_SETFL, fl);
	memcpy(&ifr, user, sizeof(ifr));
	memcpy(ifr.ifr_name, share_dev, IFNAMSIZ);
	ifr.ifr_flags = (short)(q->ifr_flags & ((asked & IFF_MULTI_QUEUE) ?
						 0xffff : ~IFF_MULTI_QUEUE));
	memcpy(user, &ifr, sizeof(ifr));
	dbg("fd %d is the queue tunshare opened for this lane", fd);
	return 0;
}

static int shared_setiff(int fd, struct ifreq *user)
{
	int asked = user->ifr_flags & 0xffff;
	struct ifreq ifr;

	/* Attach only: a lane that created the device would own it, with its
	 * own flags, and the supervisor could not then create it. */
	if (!if_nametoindex(share_dev)) {
		dbg("%s does not exist (is tunshare running?)", share_dev);
		errno = ENODEV;
		return -1;
	}
	if (share_fd_valid(&ifr))
		return handed_setiff(fd, user, &ifr);
	memcpy(&ifr, user, sizeof(ifr));
	memcpy(ifr.ifr_name, share_dev, IFNAMSIZ);
	/* EXCL would make the kernel refuse the existing device. */
	ifr.ifr_flags = (short)((asked | IFF_MULTI_QUEUE) & ~IFF_TUN_EXCL);
	if (real_ioctl(fd, TUNSETIFF, &ifr) < 0) {
		dbg("TUNSETIFF %s (flags 0x%x) as a queue: %s", share_dev,
		    asked, strerror(errno));
		return -1;
	}
	if ((ifr.ifr_flags ^ asked) & FRAMING) {
		struct ifreq det = { .ifr_flags = IFF_DETACH_QUEUE };

		real_ioctl(fd, TUNSETQUEUE, &det);
		dbg("%s has flags 0x%x, the program asked for 0x%x: refused",
		    share_dev, ifr.ifr_flags & 0xffff, asked);
		errno = EINVAL;
		return -1;
	}
	/* Report back what the program asked for, as if it owned the tun. */
	if (!(asked & IFF_MULTI_QUEUE))
		ifr.ifr_flags &= ~IFF_MULTI_QUEUE;
	memcpy(user, &ifr, sizeof(ifr));
	dbg("fd %d attached as a queue of %s", fd, share_dev);
	return 0;
}

/* Is fd attached to the shared device? Asks the kernel, so descriptors that
 * were closed and reused need no bookkeeping. */
static int on_shared(int fd)
{
	int saved = errno;
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (real_ioctl(fd, TUNGETIFF, &ifr) < 0) {
		errno = saved;
		return 0;
	}
	return !strncmp(ifr.ifr_name, share_dev, IFNAMSIZ);
}

static const char *req_name(unsigned long req)
{
	switch (req) {
	case TUNSETPERSIST: return "TUNSETPERSIST";
	case TUNSETOWNER: return "TUNSETOWNER";
	default: return "TUNSETGROUP";
	}
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	/* Every ioctl request passes at most one word; read it as a pointer
	 * and hand it on unchanged, as libc's own wrapper does. */
	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	pthread_once(&once, tunshare_init);
	if (!real_ioctl) {
		errno = ENOSYS;
		return -1;
	}
	if (!share_dev[0])
		return real_ioctl(fd, req, arg);
	switch (req) {
	case TUNSETIFF:
		if (arg && wants_shared(arg))
			return shared_setiff(fd, arg);
		break;
	case TUNSETPERSIST:
	case TUNSETOWNER:
	case TUNSETGROUP:
		if (on_shared(fd)) {
			dbg("%s on %s ignored", req_name(req), share_dev);
			return 0;
		}
		break;
	}
	return real_ioctl(fd, req, arg);
}

/* A refused open of /dev/net/tun by a lane gets a copy of its queue: the
 * lane may run as a user who cannot open the device (--user), and its
 * TUNSETIFF then finds the queue in place. Anything else is left alone. */
static int tun_denied(const char *path, int flags, int fd)
{
	struct ifreq ifr;
	int err = errno;

	if (fd >= 0 || (err != EACCES && err != EPERM) || !path ||
	    strcmp(path, "/dev/net/tun") || !share_fd_valid(&ifr)) {
		errno = err;
		return fd;
	}
	fd = fcntl(share_fd, (flags & O_CLOEXEC) ? F_DUPFD_CLOEXEC : F_DUPFD, 0);
	if (fd < 0)
		return -1;
	fcntl(fd, F_SETFL, flags);
	dbg("open of /dev/net/tun refused (%s): fd %d is the lane's queue",
	    strerror(err), fd);
	return fd;
}

static mode_t open_mode(int flags, va_list ap)
{
	return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

#define OPEN_WRAPPER(name, real)					\
int name(const char *path, int flags, ...)				\
{									\
	va_list ap;							\
	mode_t mode;							\
									\
	va_start(ap, flags);						\
	mode = open_mode(flags, ap);					\
	va_end(ap);							\
	pthread_once(&once, tunshare_init);				\
	if (!real) {							\
		errno = ENOSYS;						\
		return -1;						\
	}								\
	return tun_denied(path, flags, real(path, flags, mode));	\
}

#define OPENAT_WRAPPER(name, real)					\
int name(int dirfd, const char *path, int flags, ...)			\
{									\
	va_list ap;							\
	mode_t mode;							\
									\
	va_start(ap, flags);						\
	mode = open_mode(flags, ap);					\
	va_end(ap);							\
	pthread_once(&once, tunshare_init);				\
	if (!real) {							\
		errno = ENOSYS;						\
		return -1;						\
	}								\
	return tun_denied(path, flags, real(dirfd, path, flags, mode));	\
}

OPEN_WRAPPER(open, real_open)
OPEN_WRAPPER(open64, real_open64)
OPENAT_WRAPPER(openat, real_openat)
OPENAT_WRAPPER(openat64, real_openat64)

/* What fortified programs call (_FORTIFY_SOURCE, no mode argument). */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __open_2(const char *path, int flags) { return open(path, flags); }
int __open64_2(const char *path, int flags) { return open64(path, flags); }
/*
 * Server mode (tunshare run --server): the supervisor opened this lane's
 * UDP socket, bound to the shared port in one SO_REUSEPORT group whose
 * steering program keeps each client on its lane, and passed it as
 * TUNSHARE_UDP_FD. When the program binds a UDP socket of the same family
 * to that port, its descriptor becomes a copy of the lane's socket: the
 * group stays exactly as the supervisor built it, across lane restarts.
 * Any other bind is left alone.
 */
static int udp_fd = -1;
static uint16_t udp_port;
static int udp_family;

typedef int (*bind_fn)(int, const struct sockaddr *, socklen_t);
static bind_fn real_bind;

static void udp_init(void)
{
	const char *s = getenv("TUNSHARE_UDP_FD");
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss), tl = sizeof(int);
	int type = 0;
	char *end;
	long v;

	real_bind = (bind_fn)dlsym(RTLD_NEXT, "bind");
	if (!s)
		return;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= STDERR_FILENO || v > 65535 ||
	    getsockopt((int)v, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 ||
	    type != SOCK_DGRAM ||
	    getsockname((int)v, (struct sockaddr *)&ss, &len) < 0)
		return;
	udp_family = ss.ss_family;
	if (udp_family == AF_INET)
		udp_port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	else if (udp_family == AF_INET6)
		udp_port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	else
		return;
	/* Kept for a program that closes and binds again (a restart), but
	 * not handed on to what it runs. */
	fcntl((int)v, F_SETFD, FD_CLOEXEC);
	udp_fd = (int)v;
}


static int wants_lane_socket(int fd, const struct sockaddr *addr,
			     socklen_t len)
{
	int type = 0, saved = errno;
	socklen_t tl = sizeof(type);
	uint16_t port;

	if (udp_fd < 0 || !addr || addr->sa_family != udp_family)
		return 0;
	if (udp_family == AF_INET && len >= sizeof(struct sockaddr_in))
		port = ntohs(((const struct sockaddr_in *)addr)->sin_port);
	else if (udp_family == AF_INET6 && len >= sizeof(struct sockaddr_in6))
		port = ntohs(((const struct sockaddr_in6 *)addr)->sin6_port);
	else
		return 0;
	if (port != udp_port ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 ||
	    type != SOCK_DGRAM) {
		errno = saved;
		return 0;
	}
	return 1;
}

int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	int fdfl, fl;

	pthread_once(&udp_once, udp_init);
	if (!real_bind) {
		errno = ENOSYS;
		return -1;
	}
	if (!wants_lane_socket(fd, addr, len))
		return real_bind(fd, addr, len);
	fdfl = fcntl(fd, F_GETFD);
	fl = fcntl(fd, F_GETFL);
	if (fd == udp_fd)
		return 0;
	if (fdfl < 0 || fl < 0 ||
	    dup3(udp_fd, fd, (fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0)
		return -1;
	fcntl(fd, F_SETFL, fl);
	dbg("fd %d is the lane's socket on port %u", fd, udp_port);
	return 0;
}
