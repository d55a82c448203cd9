// SPDX-License-Identifier: GPL-2.0-only
/*
 * tunshare: command line. "run" supervises N lanes of one multi-queue tun,
 * "show" reports on them. Bad command lines print the usage and exit 2;
 * other errors print one line and exit 1.
 */
#include "tunshare.h"
#include "cpulist.h"
#include "ts_bpf_maps.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "version.h"

#ifndef TS_LIBDIR
#define TS_LIBDIR "/usr/local/lib"
#endif

#define USAGE \
	"usage: tunshare run --dev NAME --lanes N [--cpus LIST] " \
	"[--base-port P] [--address CIDR]... [--route CIDR]... [--mtu M] " \
	"[--user U] [--preload LIB] [--server [ADDR:]PORT --pool CIDR " \
	"[--max-clients N]] " \
	"-- CMD [ARGS...]\n" \
	"       tunshare show --dev NAME\n" \
	"       tunshare -h|--help | -V|--version\n"

const char *ts_log_dev = "";

void ts_log(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* One fprintf on unbuffered stderr: one write, so lines from the
	 * supervisor and its lanes do not interleave mid-line. */
	fprintf(stderr, "tunshare[%s]: %s\n", ts_log_dev, buf);
}

static int usage(const char *why)
{
	if (why)
		fprintf(stderr, "tunshare: %s\n", why);
	fputs(USAGE, stderr);
	return 2;
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("tunshare: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* Strict decimal in [min, max]; -1 when it is not one. */
static long parse_num(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	return v;
}

static int valid_ifname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (; *s; s++)
		if (*s == '/' || *s == '%' || *s == ':' || *s <= ' ')
			return 0;
	return 1;
}

/* The lanes' credentials, resolved now: the child only calls set*id. */
static int set_user(struct ts_conf *c, const char *name)
{
	struct passwd *pw = getpwnam(name);
	long uid;

	if (!pw && (uid = parse_num(name, 0, INT_MAX)) >= 0)
		pw = getpwuid((uid_t)uid);
	if (!pw)
		return fail("unknown user '%s'", name);
	c->user = name;
	c->uid = pw->pw_uid;
	c->gid = pw->pw_gid;
	c->ngroups = (int)(sizeof(c->groups) / sizeof(c->groups[0]));
	if (getgrouplist(pw->pw_name, pw->pw_gid, c->groups, &c->ngroups) < 0)
		return fail("user '%s' is in too many groups", name);
	return 0;
}

static int try_preload(struct ts_conf *c, const char *path)
{
	return access(path, R_OK) == 0 && realpath(path, c->preload) ? 0 : -1;
}

/* --preload, else next to our binary (the build directory), else
 * ../lib from it, else the configured library directory. */
static int find_preload(struct ts_conf *c, const char *opt)
{
	char exe[PATH_MAX], path[PATH_MAX + 32];
	ssize_t n;

	if (opt)
		return try_preload(c, opt) ? fail("cannot read %s", opt) : 0;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		dirname(exe);
		snprintf(path, sizeof(path), "%s/libtunshare.so", exe);
		if (!try_preload(c, path))
			return 0;
		snprintf(path, sizeof(path), "%s/../lib/libtunshare.so", exe);
		if (!try_preload(c, path))
			return 0;
	}
	if (!try_preload(c, TS_LIBDIR "/libtunshare.so"))
		return 0;
	return fail("libtunshare.so not found next to tunshare nor in "
		    TS_LIBDIR "; use --preload");
}

/* Lane i runs on the i-th CPU of --cpus (cycled) or of our affinity. */
static int set_cpus(struct ts_conf *c, const char *list)
{
	static int cpus[1024];
	cpu_set_t allowed;
	int n = 0, ret;

	if (list && (n = cpulist_parse(list, cpus, 1024)) < 0)
		return usage("bad --cpus list");
	if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0)
		return fail("sched_getaffinity: %s", strerror(errno));
	for (int i = 0; i < n; i++)
		if (cpus[i] >= CPU_SETSIZE || !CPU_ISSET(cpus[i], &allowed))
			return fail("CPU %d is not available to tunshare",
				    cpus[i]);
	ret = cpulist_assign(c->cpus, c->lanes, list ? cpus : NULL, n);
	return ret < 0 ? fail("cannot assign CPUs: %s", strerror(-ret)) : 0;
}

static int add_prefix(struct prefix *p, const char **text,
		      unsigned int *n, const char *s, const char *what)
{
	char why[64];

	if (*n == TS_MAX_ADDRS) {
		snprintf(why, sizeof(why), "too many %s options", what);
		return usage(why);
	}
	if (prefix_parse(&p[*n], s, false) < 0) {
		snprintf(why, sizeof(why), "bad %s (want ADDR/PREFIX)", what);
		return usage(why);
	}
	text[(*n)++] = s;
	return 0;
}

struct run_opts {
	const char *cpus, *user, *preload, *pool;
};

/* One option of "run"; 0, or the exit status for main. */
static int run_opt(struct ts_conf *c, struct run_opts *o, int opt)
{
	long v;

	switch (opt) {
	case 'd':
		if (!valid_ifname(optarg))
			return usage("bad --dev name");
		strcpy(c->dev, optarg);
		return 0;
	case 'n':
		if ((v = parse_num(optarg, 1, TS_MAX_LANES)) < 0)
			return usage("--lanes wants 1 to 255");
		c->lanes = (unsigned int)v;
		return 0;
	case 'p':
		if ((v = parse_num(optarg, 1, 65535)) < 0)
			return usage("bad --base-port");
		c->base_port = (int)v;
		return 0;
	case 'm':
		if ((v = parse_num(optarg, 68, 65535)) < 0)
			return usage("--mtu wants 68 to 65535");
		c->mtu = (unsigned int)v;
		return 0;
	case 'a':
		return add_prefix(c->addrs, c->addr_text, &c->naddrs, optarg,
				  "--address");
	case 'r':
		return add_prefix(c->routes, c->route_text, &c->nroutes, optarg,
				  "--route");
	case 's':
		if (ts_server_parse(&c->server_bind, optarg) < 0)
			return usage("bad --server (want [ADDR:]PORT)");
		c->server = true;
		return 0;
	case 'o': o->pool = optarg; return 0;
	case 'M':
		if ((v = parse_num(optarg, 16, 1 << 24)) < 0)
			return usage("--max-clients wants 16 to 16777216");
		c->max_clients = (unsigned int)v;
		return 0;
	case 'c': o->cpus = optarg; return 0;
	case 'u': o->user = optarg; return 0;
	case 'P': o->preload = optarg; return 0;
	default: return usage(NULL);
	}
}

/* --server and --pool go together; the pool must leave each lane at
 * least one address. The device gets the server's address unless
 * --address names its own. */
static int run_check_server(struct ts_conf *c, const struct run_opts *o)
{
	char why[96], addr[INET_ADDRSTRLEN + 4];
	static char text[INET_ADDRSTRLEN + 4];
	int ret;

	if (!c->server && !o->pool)
		return c->max_clients ? usage("--max-clients needs --server") : 0;
	if (!c->server || !o->pool)
		return usage("--server and --pool go together");
	if (c->base_port)
		return usage("--server and --base-port exclude each other");
	if (!c->max_clients)
		c->max_clients = TS_BPF_MAX_CLIENTS;
	if ((ret = ts_pool_parse(&c->pool, o->pool, c->lanes)) < 0) {
		snprintf(why, sizeof(why), ret == -ERANGE ?
			 "--pool %s is too small for %u lanes" :
			 "bad --pool %s (want an IPv4 A.B.C.D/8..30)",
			 o->pool, c->lanes);
		return usage(why);
	}
	if (c->naddrs)
		return 0;
	snprintf(text, sizeof(text), "%s/%u",
		 ts_pool_ntop(ts_pool_server(&c->pool), addr), c->pool.prefix);
	return add_prefix(c->addrs, c->addr_text, &c->naddrs, text,
			  "--address");
}

/* Checks what needs all options together, then resolves CPUs, user and
 * library. */
static int run_check(struct ts_conf *c, const struct run_opts *o)
{
	int ret;

	if (!c->dev[0] || !c->lanes)
		return usage("run needs --dev and --lanes");
	if (!c->cmd || !c->cmd[0])
		return usage("run needs a command after --");
	if (c->base_port && c->base_port + (int)c->lanes - 1 > 65535)
		return usage("--base-port plus --lanes goes past port 65535");
	if ((ret = run_check_server(c, o)))
		return ret;
	for (char **a = c->cmd; *a && !c->base_port && !c->server; a++)
		if (strstr(*a, "{port}"))
			return usage("{port} in the command needs --base-port");
	if ((ret = set_cpus(c, o->cpus)))
		return ret;
	if (o->user && (ret = set_user(c, o->user)))
		return ret;
	return find_preload(c, o->preload);
}

static int cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "lanes", required_argument, NULL, 'n' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "base-port", required_argument, NULL, 'p' },
		{ "address", required_argument, NULL, 'a' },
		{ "route", required_argument, NULL, 'r' },
		{ "mtu", required_argument, NULL, 'm' },
		{ "user", required_argument, NULL, 'u' },
		{ "preload", required_argument, NULL, 'P' },
		{ "server", required_argument, NULL, 's' },
		{ "pool", required_argument, NULL, 'o' },
		{ "max-clients", required_argument, NULL, 'M' },
		{ NULL, 0, NULL, 0 }
	};
	static struct ts_conf c;
	struct run_opts o = { NULL, NULL, NULL, NULL };
	int opt, ret;

	/* "+": the command's own options are not ours. */
	while ((opt = getopt_long(argc, argv, "+", longopts, NULL)) != -1)
		if ((ret = run_opt(&c, &o, opt)))
			return ret;
	c.cmd = argv + optind;
	if ((ret = run_check(&c, &o)))
		return ret;
	ts_log_dev = c.dev;
	/* A closed stderr (a pipe whose reader went away) must not kill the
	 * supervisor, and with it every lane: writes just fail (EPIPE). */
	signal(SIGPIPE, SIG_IGN);
	return ts_run(&c) < 0 ? 1 : 0;
}

static int cmd_show(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dev = NULL;
	int opt;

	while ((opt = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		if (opt != 'd')
			return usage(NULL);
		dev = optarg;
	}
	if (!dev || optind != argc)
		return usage("show needs --dev NAME and nothing else");
	if (!valid_ifname(dev))
		return usage("bad --dev name");
	return ts_show(dev) < 0 ? 1 : 0;
}

static bool is_help(const char *a)
{
	return !strcmp(a, "-h") || !strcmp(a, "--help") || !strcmp(a, "help");
}

int main(int argc, char **argv)
{
	/* "tunshare --help", "tunshare help run", "tunshare run --help". */
	if ((argc >= 2 && is_help(argv[1])) ||
	    (argc >= 3 && (!strcmp(argv[1], "run") || !strcmp(argv[1], "show")) &&
	     (!strcmp(argv[2], "-h") || !strcmp(argv[2], "--help")))) {
		fputs(USAGE, stdout);
		return 0;
	}
	if (argc >= 2 && (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version"))) {
		printf("tunshare %s\n", TUNLANE_VERSION);
		return 0;
	}
	if (argc >= 2 && !strcmp(argv[1], "run"))
		return cmd_run(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "show"))
		return cmd_show(argc - 1, argv + 1);
	return usage(argc >= 2 ? "unknown command" : NULL);
}
