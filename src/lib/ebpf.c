// SPDX-License-Identifier: GPL-2.0-only
#include "ebpf.h"

#include <errno.h>
#include <linux/if_tun.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#ifndef SO_ATTACH_REUSEPORT_EBPF
#define SO_ATTACH_REUSEPORT_EBPF 52
#endif

struct ebpf_obj {
	struct bpf_object *obj;
};

static char last_error[256];

/* libbpf explains a failed load (verifier log, missing kernel feature) on
 * stderr by default; keep its last warning for the caller's one log line. */
static int ebpf_print(enum libbpf_print_level level, const char *fmt,
		      va_list ap)
{
	char line[sizeof(last_error)];
	size_t n;

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strcspn(line, "\n");
	line[n] = '\0';
	if (n)
		memcpy(last_error, line, n + 1);
	return 0;
}

const char *ebpf_last_error(void)
{
	return last_error;
}

int ebpf_open(const void *bytes, size_t len, const char *name,
	      struct ebpf_obj **out)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = name);
	struct ebpf_obj *o;
	int ret;

	libbpf_set_print(ebpf_print);
	last_error[0] = '\0';
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->obj = bpf_object__open_mem(bytes, len, &opts);
	if (!o->obj) {
		ret = errno ? -errno : -EINVAL;
		free(o);
		return ret;
	}
	ret = bpf_object__load(o->obj);
	if (ret < 0) {
		ebpf_close(o);
		return ret;
	}
	*out = o;
	return 0;
}

int ebpf_map_fd(struct ebpf_obj *obj, const char *map)
{
	int fd = bpf_object__find_map_fd_by_name(obj->obj, map);

	return fd < 0 ? -ENOENT : fd;
}

int ebpf_prog_fd(struct ebpf_obj *obj, const char *prog)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj->obj, prog);
	int fd = p ? bpf_program__fd(p) : -1;

	return fd < 0 ? -ENOENT : fd;
}

int ebpf_attach_tun(int tun_fd, int prog_fd)
{
	return ioctl(tun_fd, TUNSETSTEERINGEBPF, &prog_fd) < 0 ? -errno : 0;
}

int ebpf_attach_reuseport(int sock_fd, int prog_fd)
{
	return setsockopt(sock_fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF,
			  &prog_fd, sizeof(prog_fd)) < 0 ? -errno : 0;
}

int ebpf_map_update(int map_fd, const void *key, const void *value)
{
	return bpf_map_update_elem(map_fd, key, value, BPF_ANY) < 0 ? -errno : 0;
}

int ebpf_map_delete(int map_fd, const void *key)
{
	return bpf_map_delete_elem(map_fd, key) < 0 ? -errno : 0;
}

void ebpf_close(struct ebpf_obj *obj)
{
	if (!obj)
		return;
	bpf_object__close(obj->obj);
	free(obj);
}
