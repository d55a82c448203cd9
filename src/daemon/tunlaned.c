// SPDX-License-Identifier: GPL-2.0-only
/*
 * tunlaned: a WireGuard v1 daemon whose work is spread over lanes, one per
 * queue of a multi-queue tun. Drop-in for wireguard-go under wg-quick
 * (WG_QUICK_USERSPACE_IMPLEMENTATION=tunlaned).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ifname.h"
#include "cpulist.h"
#include "crypto.h"
#include "log.h"
#include "master.h"
#include "noise.h"
#include "privs.h"
#include "notify.h"
#include "version.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: tunlaned [-f|--foreground] [--lanes N] [--cpus LIST] "
		   "[--user USER] [--no-offload] [--no-bpf] [--ready-fd FD] IFNAME\n"
		   "       tunlaned -h|--help | -V|--version\n");
}

static int bad_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "tunlaned: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	usage(stderr);
	return 2;
}

static int parse_lanes(const char *s, unsigned int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > LANES_MAX)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static int parse_user(const char *s, struct lane_privs *p)
{
	struct passwd *pw = getpwnam(s);

	if (!pw)
		return -ENOENT;
	p->change_user = true;
	p->uid = pw->pw_uid;
	p->gid = pw->pw_gid;
	return 0;
}

/* An inherited pipe (from `tunlane up` under systemd) that must be open. */
static int parse_fd(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v <= STDERR_FILENO || v > 65535 ||
	    fcntl((int)v, F_GETFD) < 0)
		return -EBADF;
	fcntl((int)v, F_SETFD, FD_CLOEXEC);
	return (int)v;
}

struct args {
	bool foreground;
	const char *lanes, *cpus, *user;
	/* Where each came from, for the error: "--lanes" or "TUNLANE_LANES". */
	const char *lanes_from, *cpus_from, *user_from;
};

/* Every CPU of --cpus must be one this process may use: a lane pinned to
 * another fails to pin and would run anywhere. */
static int check_cpus(const struct args *a, const int *cpus, int n)
{
	char allowed[256], msg[384];
	int bad = cpulist_first_disallowed(cpus, n, allowed, sizeof(allowed));

	if (bad < 0)
		return 0;
	snprintf(msg, sizeof(msg), "%s \"%%s\" names CPU %d, which this process "
		 "may not use (allowed: %s)", a->cpus_from, bad, allowed);
	return bad_usage(msg, a->cpus);
}

static int parse_args(int argc, char **argv, struct args *a,
		      struct master_opts *o)
{
	static const struct option longopts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "lanes", required_argument, NULL, 'l' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "user", required_argument, NULL, 'u' },
		{ "no-offload", no_argument, NULL, 'o' },
		{ "ready-fd", required_argument, NULL, 'r' },
		{ "no-bpf", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c, cpus[LANES_MAX], ncpus = 0;

	a->lanes = getenv("TUNLANE_LANES");
	a->cpus = getenv("TUNLANE_CPUS");
	a->user = getenv("TUNLANE_USER");
	a->lanes_from = "TUNLANE_LANES";
	a->cpus_from = "TUNLANE_CPUS";
	a->user_from = "TUNLANE_USER";
	o->no_offload = getenv("TUNLANE_OFFLOAD") &&
			!strcmp(getenv("TUNLANE_OFFLOAD"), "off");
	o->no_bpf = getenv("TUNLANE_BPF") && !strcmp(getenv("TUNLANE_BPF"), "off");
	while ((c = getopt_long(argc, argv, "fhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': a->foreground = true; break;
		case 'l': a->lanes = optarg; a->lanes_from = "--lanes"; break;
		case 'c': a->cpus = optarg; a->cpus_from = "--cpus"; break;
		case 'u': a->user = optarg; a->user_from = "--user"; break;
		case 'o': o->no_offload = true; break;
		case 'r':
			if ((o->ready_fd = parse_fd(optarg)) < 0)
				return bad_usage("invalid --ready-fd \"%s\"", optarg);
			break;
		case 'b': o->no_bpf = true; break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("tunlaned %s\n", TUNLANE_VERSION); exit(0);
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc - 1)
		return bad_usage("%s", optind >= argc ? "missing IFNAME" :
						      "too many arguments");
	o->ifname = argv[optind];
	if (!ifname_valid(o->ifname, strlen(o->ifname)))
		return bad_usage("invalid interface name \"%s\"", o->ifname);
	o->lanes = 1;
	if (a->lanes && parse_lanes(a->lanes, &o->lanes) < 0)
		return bad_usage(!strcmp(a->lanes_from, "--lanes") ?
				 "invalid --lanes \"%s\" (1-256)" :
				 "invalid TUNLANE_LANES \"%s\" (1-256)", a->lanes);
	if (a->cpus && (ncpus = cpulist_parse(a->cpus, cpus, LANES_MAX)) < 0)
		return bad_usage(!strcmp(a->cpus_from, "--cpus") ?
				 "invalid --cpus \"%s\" (a CPU list such as 0-3,6)" :
				 "invalid TUNLANE_CPUS \"%s\" (a CPU list such as 0-3,6)",
				 a->cpus);
	if (ncpus > 0 && check_cpus(a, cpus, ncpus))
		return 2;
	if (a->user && parse_user(a->user, &o->privs) < 0)
		return bad_usage(!strcmp(a->user_from, "--user") ?
				 "unknown --user \"%s\"" : "unknown TUNLANE_USER \"%s\"",
				 a->user);
	/* Without capabilities a root lane still owns every root file, so
	 * lanes run as their own user unless told otherwise (--user root
	 * keeps root). Not as nobody, whom others share. */
	if (!a->user && geteuid() == 0 && parse_user(LANE_DEFAULT_USER, &o->privs) < 0) {
		fprintf(stderr, "tunlaned: lane user '%s' does not exist (create "
			"it with: %s; or set User = in the configuration, or "
			"--user)\n", LANE_DEFAULT_USER, LANE_USER_CREATE);
		return 1;
	}
	cpulist_assign(o->cpus, o->lanes, ncpus ? cpus : NULL, ncpus);
	return 0;
}

/* Forks; the parent returns only once the child reports the interface is
 * ready (exit 0) or failed (exit 1), so wg-quick can proceed at once. */
static int daemonize(int *notify_fd)
{
	int p[2], status;
	char c;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		close(p[0]);
		setsid();
		*notify_fd = p[1];
		return 0;
	}
	close(p[1]);
	if (read(p[0], &c, 1) == 1)
		_exit(0);
	waitpid(pid, &status, 0);
	_exit(1);
}

/* A daemon keeps stderr only when it is the journal's stream. */
static void detach_stdio(bool keep_stderr)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	if (!keep_stderr)
		dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

/* Descriptors a shell or service manager left open (fd 10, fd 255...)
 * would reach every lane: keep only stdin, stdout and stderr, and
 * the one pipe passed on purpose (--ready-fd, or -1). The daemonize pipe
 * is made later. */
static void close_inherited_fds(int keep)
{
	DIR *d;
	struct dirent *e;

	if (keep < 0 && close_range(3, ~0U, 0) == 0)
		return;
	if (keep > STDERR_FILENO && (keep == 3 || close_range(3, (unsigned)keep - 1, 0) == 0) &&
	    close_range((unsigned)keep + 1, ~0U, 0) == 0)
		return;
	d = opendir("/proc/self/fd");
	if (!d)
		return;
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);

		if (fd > STDERR_FILENO && fd != dirfd(d) && fd != keep)
			close(fd);
	}
	closedir(d);
}

/*
 * Where a daemon's logs go: stderr when it is systemd's journal stream,
 * else syslog if something listens on /dev/log. With neither they would
 * vanish, so say so once while stderr still reaches the user.
 */
static bool daemon_log_target(const char *ifname)
{
	if (log_stderr_is_journal())
		return true;
	if (access("/dev/log", W_OK) < 0)
		fprintf(stderr, "tunlaned: %s: no /dev/log (syslog) and no journal: "
			"logs will go nowhere; run tunlaned --foreground to see them\n",
			ifname);
	log_open("tunlaned", true);
	return false;
}

int main(int argc, char **argv)
{
	static struct master m;
	struct master_opts o = { .ready_fd = -1 };
	struct args a = { 0 };
	int ret, notify_fd = -1;
	char prefix[IFNAMSIZ + 4];

	/* Before anything, as it may execute us again (crypto_cpu.c). */
	crypto_cpu_select(argv);
	/* Then: the master holds the private key, which a core dump
	 * would write to disk, and which others of our uid could read
	 * through /proc or ptrace. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if ((ret = parse_args(argc, argv, &a, &o)) != 0)
		return ret;
	close_inherited_fds(o.ready_fd);
	if (privs_require_admin("tunlaned") < 0)
		return 1;
	snprintf(prefix, sizeof(prefix), "%s: ", o.ifname);
	log_open("tunlaned", false);
	log_set_prefix(prefix);
	if (crypto_init() < 0) {
		log_err("cannot initialise libcrypto");
		return 1;
	}
	noise_init();
	if (!a.foreground && daemonize(&notify_fd) < 0) {
		log_err("cannot daemonize: %s", strerror(errno));
		return 1;
	}
	o.notify_fd = notify_fd;
	if (master_setup(&m, &o) < 0) {
		master_teardown(&m);
		return 1;
	}
	if (!a.foreground)
		detach_stdio(daemon_log_target(o.ifname));
	if (master_start_lanes(&m) < 0) {
		master_teardown(&m);
		return 1;
	}
	if (notify_fd >= 0) {
		if (write(notify_fd, "", 1) != 1)
			log_warn("cannot notify parent");
		close(notify_fd);
		m.opts.notify_fd = -1;
	}
	/* Run by a service manager directly (not through `tunlane up`): the
	 * interface is ready once its lanes run; `tunlane up` configures it. */
	if (a.foreground && o.ready_fd < 0)
		notify_ready(o.ifname, o.lanes);
	ret = master_run(&m);
	notify_stopping();
	master_teardown(&m);
	log_info("stopped");
	return ret;
}
