// SPDX-License-Identifier: GPL-2.0-only
/*
 * wg-quick's hooks and DNS: commands it runs, the way it runs them. Each
 * command is echoed to stderr as "[#] command" first, as wg-quick does,
 * and its own output goes where ours goes.
 */
#include "quick.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define RESOLVCONF_ORDER "/etc/resolvconf/interface-order"

static const char *const hook_names[CONFIG_N_HOOKS] = {
	"PreUp", "PostUp", "PreDown", "PostDown"
};

/* Runs argv with input (if any) on its stdin; 0 when it exits 0. */
static int run(char *const argv[], const char *input)
{
	int pfd[2] = { -1, -1 }, status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	if (input && pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		if (input && dup2(pfd[0], STDIN_FILENO) < 0)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		execvp(argv[0], argv);
		fprintf(stderr, "tunlane: cannot run %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	if (input) {
		close(pfd[0]);
		if (pid > 0) {
			size_t len = strlen(input), off = 0;
			ssize_t n;

			signal(SIGPIPE, SIG_IGN);
			while (off < len &&
			       ((n = write(pfd[1], input + off, len - off)) > 0 ||
				(n < 0 && errno == EINTR)))
				off += n > 0 ? (size_t)n : 0;
		}
		close(pfd[1]);
	}
	if (pid < 0)
		return -1;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* cmd with every %i replaced by ifname, malloc'd. */
static char *expand(const char *cmd, const char *ifname)
{
	size_t n = 0, il = strlen(ifname);
	const char *s;
	char *out, *o;

	for (s = cmd; *s; s++, n++)
		if (s[0] == '%' && s[1] == 'i') {
			n += il - 1;
			s++;
		}
	out = o = malloc(n + 1);
	if (!out)
		return NULL;
	for (s = cmd; *s; s++)
		if (s[0] == '%' && s[1] == 'i') {
			memcpy(o, ifname, il);
			o += il;
			s++;
		} else {
			*o++ = *s;
		}
	*o = '\0';
	return out;
}

int quick_hooks(const struct config *c, enum config_hook h)
{
	const struct config_strs *hooks = &c->hooks[h];

	for (size_t i = 0; i < hooks->n; i++) {
		char *cmd = expand(hooks->v[i], c->ifname);
		char *argv[] = { "sh", "-c", cmd, NULL };
		int ret;

		if (!cmd)
			return -1;
		fprintf(stderr, "[#] %s\n", cmd);
		ret = run(argv, NULL);
		if (ret < 0)
			fprintf(stderr, "tunlane: %s: %s command failed: %s\n",
				c->ifname, hook_names[h], cmd);
		free(cmd);
		if (ret < 0)
			return -1;
	}
	return 0;
}

/* An executable resolvconf somewhere in PATH, as `command -v` finds it. */
static bool have_resolvconf(void)
{
	const char *path = getenv("PATH");
	char file[4096];

	if (!path || !*path)
		path = "/usr/sbin:/usr/bin:/sbin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");

		if (n && n < sizeof(file) - 16) {
			snprintf(file, sizeof(file), "%.*s/resolvconf", (int)n, path);
			if (access(file, X_OK) == 0)
				return true;
		}
		path += n + (path[n] == ':');
	}
	return false;
}

/*
 * resolvconf's record name: the interface, after the first "NAME*" prefix
 * of Debian's interface-order (so "tun.wg0" where it lists "tun*"), as
 * wg-quick's resolvconf_iface_prefix picks it.
 */
static void record_name(char *out, size_t len, const char *ifname)
{
	FILE *f = fopen(RESOLVCONF_ORDER, "re");
	char line[256], prefix[256] = "";

	while (f && fgets(line, sizeof(line), f)) {
		size_t n = strspn(line, "abcdefghijklmnopqrstuvwxyz"
				  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");

		if (n && line[n] == '*' && (line[n + 1] == '\n' || !line[n + 1])) {
			snprintf(prefix, sizeof(prefix), "%.*s.", (int)n, line);
			break;
		}
	}
	if (f)
		fclose(f);
	snprintf(out, len, "%s%s", prefix, ifname);
}

static char *dns_text(const struct config *c)
{
	size_t len = 16;
	char *t, *o;

	for (size_t i = 0; i < c->dns.n; i++)
		len += strlen(c->dns.v[i]) + 12;
	for (size_t i = 0; i < c->dns_search.n; i++)
		len += strlen(c->dns_search.v[i]) + 8;
	t = o = malloc(len);
	if (!t)
		return NULL;
	*o = '\0';	/* an empty text when there is nothing to write */
	for (size_t i = 0; i < c->dns.n; i++)
		o += sprintf(o, "nameserver %s\n", c->dns.v[i]);
	if (c->dns_search.n) {
		o += sprintf(o, "search");
		for (size_t i = 0; i < c->dns_search.n; i++)
			o += sprintf(o, " %s", c->dns_search.v[i]);
		sprintf(o, "\n");
	}
	return t;
}

int quick_dns_set(const struct config *c, struct quick_state *st)
{
	char name[64], *text, *argv[] = { "resolvconf", "-a", name, "-m", "0",
					   "-x", NULL };
	int ret;

	/* wg-quick sets nothing when only search domains are given. */
	if (!c->dns.n)
		return 0;
	if (!have_resolvconf()) {
		fprintf(stderr, "tunlane: %s: DNS not set: no resolvconf in PATH "
			"(install openresolv or systemd-resolved's resolvconf)\n",
			c->ifname);
		return 0;
	}
	record_name(name, sizeof(name), c->ifname);
	text = dns_text(c);
	if (!text)
		return -1;
	/* Recorded first: a crash now still gets it removed. */
	snprintf(st->dns_name, sizeof(st->dns_name), "%s", name);
	if (quick_state_save(c->ifname, st) < 0) {
		free(text);
		return -1;
	}
	fprintf(stderr, "[#] resolvconf -a %s -m 0 -x\n", name);
	ret = run(argv, text);
	free(text);
	if (ret < 0)
		fprintf(stderr, "tunlane: %s: resolvconf failed\n", c->ifname);
	return ret;
}

void quick_dns_unset(const char *name)
{
	char copy[64], *argv[] = { "resolvconf", "-d", copy, "-f", NULL };

	snprintf(copy, sizeof(copy), "%s", name);
	fprintf(stderr, "[#] resolvconf -d %s -f\n", copy);
	run(argv, NULL);
}
