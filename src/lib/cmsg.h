/* SPDX-License-Identifier: GPL-2.0-only */
/* Ancillary data (cmsg(3)) for sendmsg: one control message per send. */
#ifndef TUNLANE_CMSG_H
#define TUNLANE_CMSG_H

#include <stddef.h>
#include <sys/socket.h>

/*
 * Makes buf, of CMSG_SPACE(len) bytes, mh's control data: one message of
 * level and type carrying the len bytes at data (SOL_SOCKET/SCM_RIGHTS
 * and an fd, IPPROTO_UDP/UDP_SEGMENT and a segment size...).
 */
void cmsg_put_one(struct msghdr *mh, void *buf, size_t buflen, int level,
		  int type, const void *data, size_t len);

#endif
