// SPDX-License-Identifier: GPL-2.0-only
/*
 * SaveConfig = true: on `down`, the running configuration replaces the
 * file, as wg-quick's save_config does. The WireGuard part comes from the
 * daemon (a UAPI get, so peers added with `wg set` are kept), the
 * addresses from the interface; DNS, MTU, Table, the hooks and tunlane's
 * Lanes, CPUs and User are carried over from the file. Comments are lost,
 * as with wg-quick.
 */
#include "quick.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"
#include "ipc.h"

static void put_key(FILE *f, const char *name, const char *hex)
{
	uint8_t key[32];
	char b64[CRYPTO_KEY_B64_LEN];

	if (crypto_key_from_hex(key, hex) == 0) {
		crypto_key_to_base64(b64, key);
		fprintf(f, "%s = %s\n", name, b64);
	}
	crypto_wipe(key, sizeof(key));
	crypto_wipe(b64, sizeof(b64));
}

/* Link-local addresses are the kernel's, not the configuration's. */
static int put_address(const struct prefix *p, void *arg)
{
	char buf[INET6_ADDRSTRLEN];

	if (p->family == AF_INET6 && p->addr[0] == 0xfe &&
	    (p->addr[1] & 0xc0) == 0x80)
		return 0;
	inet_ntop(p->family, p->addr, buf, sizeof(buf));
	fprintf(arg, "Address = %s/%u\n", buf, p->cidr);
	return 0;
}

static void put_table(FILE *f, const struct config *c)
{
	if (!c->has_table)
		return;
	if (c->table_mode == CONFIG_TABLE_OFF)
		fprintf(f, "Table = off\n");
	else if (c->table_mode == CONFIG_TABLE_AUTO)
		fprintf(f, "Table = auto\n");
	else
		fprintf(f, "Table = %u\n", c->table);
}

static void put_mtu(FILE *f, const struct config *c)
{
	char path[64];
	unsigned int mtu;
	FILE *m;

	snprintf(path, sizeof(path), "/sys/class/net/%s/mtu", c->ifname);
	if (!c->has_mtu || !(m = fopen(path, "re")))
		return;
	if (fscanf(m, "%u", &mtu) == 1)
		fprintf(f, "MTU = %u\n", mtu);
	fclose(m);
}

static void put_interface_extra(FILE *f, const struct config *c)
{
	static const char *const names[CONFIG_N_HOOKS] = {
		"PreUp", "PostUp", "PreDown", "PostDown"
	};

	nl_addr_list(c->ifname, put_address, f);
	for (size_t i = 0; i < c->dns.n; i++)
		fprintf(f, "DNS = %s\n", c->dns.v[i]);
	for (size_t i = 0; i < c->dns_search.n; i++)
		fprintf(f, "DNS = %s\n", c->dns_search.v[i]);
	put_mtu(f, c);
	put_table(f, c);
	if (c->lanes != 1)
		fprintf(f, "Lanes = %u\n", c->lanes);
	for (int i = 0; i < c->n_cpus; i++)
		fprintf(f, "%s%d%s", i ? "," : "CPUs = ", c->cpus[i],
			i == c->n_cpus - 1 ? "\n" : "");
	if (c->has_user)
		fprintf(f, "User = %s\n", c->user);
	fprintf(f, "SaveConfig = true\n");
	for (int h = 0; h < CONFIG_N_HOOKS; h++)
		for (size_t i = 0; i < c->hooks[h].n; i++)
			fprintf(f, "%s = %s\n", names[h], c->hooks[h].v[i]);
}

/* One "key=value" line of the get reply, in wg-quick's format. */
static void put_line(FILE *f, const char *k, const char *v, bool *allowed)
{
	bool was = *allowed;

	*allowed = false;
	if (!strcmp(k, "private_key")) {
		put_key(f, "PrivateKey", v);
	} else if (!strcmp(k, "listen_port")) {
		fprintf(f, "ListenPort = %s\n", v);
	} else if (!strcmp(k, "fwmark") && strcmp(v, "0")) {
		fprintf(f, "FwMark = 0x%lx\n", strtoul(v, NULL, 10));
	} else if (!strcmp(k, "public_key")) {
		fprintf(f, "\n[Peer]\n");
		put_key(f, "PublicKey", v);
	} else if (!strcmp(k, "preshared_key") && strspn(v, "0") != 64) {
		put_key(f, "PresharedKey", v);
	} else if (!strcmp(k, "endpoint")) {
		fprintf(f, "Endpoint = %s\n", v);
	} else if (!strcmp(k, "persistent_keepalive_interval") && strcmp(v, "0")) {
		fprintf(f, "PersistentKeepalive = %s\n", v);
	} else if (!strcmp(k, "allowed_ip")) {
		fprintf(f, was ? ", %s" : "AllowedIPs = %s", v);
		*allowed = true;
	} else {
		*allowed = was;	/* counters and the like: not config */
	}
}

/* The reply's device lines go first, then the file's own keys, then the
 * peers: the [Interface] of `wg showconf` plus wg-quick's extras. */
static void put_config(FILE *f, const struct config *c, char *reply)
{
	bool allowed = false, extra = false;
	char *save = NULL;

	fprintf(f, "[Interface]\n");
	for (char *l = strtok_r(reply, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(l, '=');

		if (!eq)
			continue;
		*eq = '\0';
		if (!extra && !strcmp(l, "public_key")) {
			put_interface_extra(f, c);
			extra = true;
		}
		if (allowed && strcmp(l, "allowed_ip")) {
			fprintf(f, "\n");	/* the AllowedIPs line ends */
			allowed = false;
		}
		put_line(f, l, eq + 1, &allowed);
	}
	if (allowed)
		fprintf(f, "\n");
	if (!extra)
		put_interface_extra(f, c);
}

int quick_save_config(const struct config *c)
{
	char tmp[sizeof(c->path) + 8], *reply = NULL;
	size_t rlen = 0;
	FILE *f;
	int fd, ret;

	ret = ipc_transact(c->ifname, "get=1\n\n", &reply, &rlen);
	if (ret < 0)
		return ret;
	snprintf(tmp, sizeof(tmp), "%s.tmp", c->path);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		ret = -errno;
		if (fd >= 0)
			close(fd);
		goto out;
	}
	put_config(f, c, reply);
	if (fflush(f) || fsync(fileno(f)))
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, c->path) < 0)
		ret = -errno;
	if (ret)
		unlink(tmp);
out:
	crypto_wipe(reply, rlen);
	free(reply);
	return ret;
}
