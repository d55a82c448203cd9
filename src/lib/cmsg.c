// SPDX-License-Identifier: GPL-2.0-only
#include "cmsg.h"

#include <string.h>

void cmsg_put_one(struct msghdr *mh, void *buf, size_t buflen, int level,
		  int type, const void *data, size_t len)
{
	struct cmsghdr *cm;

	memset(buf, 0, buflen);
	mh->msg_control = buf;
	mh->msg_controllen = buflen;
	cm = CMSG_FIRSTHDR(mh);
	cm->cmsg_level = level;
	cm->cmsg_type = type;
	cm->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(cm), data, len);
}
