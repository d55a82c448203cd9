/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Loading helpers for the BPF programs tunlane embeds (libbpf underneath),
 * kept small so tunlaned and tunshare share them:
 *
 *   ebpf_open(bytes, len, name, &obj)   opens and loads an embedded object
 *   ebpf_map_fd(obj, "map")             an fd for one of its maps
 *   ebpf_prog_fd(obj, "prog")           an fd for one of its programs
 *   ebpf_attach_tun(tun_fd, prog_fd)    TUNSETSTEERINGEBPF on a tun queue
 *   ebpf_attach_reuseport(fd, prog_fd)  SO_ATTACH_REUSEPORT_EBPF on a socket
 *   ebpf_close(obj)
 *
 * Every function returns 0 (or an fd) or -errno, and logs nothing: the
 * caller decides whether a failure is fatal or a reason to run without BPF.
 * The fds stay valid across fork(), so processes forked after loading can
 * use the maps without any privilege of their own.
 */
#ifndef TUNLANE_EBPF_H
#define TUNLANE_EBPF_H

#include <stddef.h>
#include <stdint.h>

struct ebpf_obj;

int ebpf_open(const void *bytes, size_t len, const char *name,
	      struct ebpf_obj **out);
int ebpf_map_fd(struct ebpf_obj *obj, const char *map);
int ebpf_prog_fd(struct ebpf_obj *obj, const char *prog);
int ebpf_attach_tun(int tun_fd, int prog_fd);
int ebpf_attach_reuseport(int sock_fd, int prog_fd);
/* Map element update and delete through an fd (bpf(2)); 0 or -errno. */
int ebpf_map_update(int map_fd, const void *key, const void *value);
int ebpf_map_delete(int map_fd, const void *key);
void ebpf_close(struct ebpf_obj *obj);
/* The last libbpf message (why a load failed), "" when none. */
const char *ebpf_last_error(void);

#endif
