/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A lane: one unprivileged, single-threaded process owning one tun queue
 * and one UDP socket, running its own WireGuard sessions with the peer's
 * lane of the same number (docs/design.md section 2).
 */
#ifndef TUNLANE_LANE_H
#define TUNLANE_LANE_H

#include <stdbool.h>
#include <sys/types.h>
#include "device.h"
#include "steer.h"

/* Exit codes the master tells apart. */
#define LANE_EXIT_OK     0
#define LANE_EXIT_ERROR  1
#define LANE_EXIT_GONE   3	/* the interface was deleted */

/* A system user of its own: with the shared "nobody", any other nobody
 * process could stop or kill a lane (issue 9). make install and the
 * Debian package create it with this command. */
#define LANE_DEFAULT_USER "tunlane"
#define LANE_USER_CREATE \
	"useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin tunlane"

struct lane_privs {
	bool change_user;
	uid_t uid;
	gid_t gid;
};

/* Pins the process to cpu (if >= 0) and drops every privilege. 0, -EXDEV
 * when all went well but pinning (then the lane runs unpinned), or -errno. */
int lane_drop_privileges(const struct lane_privs *p, int cpu);
/* Answers one control request from the master ("get=1" or "set=1" and a
 * UAPI body, "ping=1", "shared=1", or for a live Lanes change "retire=1"
 * and "resume=1" with public keys; req is NUL-terminated at len). *reply is malloc'd (NULL when
 * out of memory) and may hold keys: wipe it before free. */
void lane_ctl_request(struct wg_device *dev, const char *req, size_t len,
		      char **reply, size_t *rlen);
/* dev->on_retire of a lane (the peer's lane of our number retired): ends
 * the bound session and holds off our initiations to it (device.h). */
void lane_on_retire(struct wg_device *dev, struct wg_peer *p);
/* Runs the event loop until the master goes away; returns an exit code. */
/* steer is the table of live lanes shared with the master and the others. */
int lane_run(struct wg_device *dev, int ctl_fd, struct steer *steer);

#endif
