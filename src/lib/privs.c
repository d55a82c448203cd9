// SPDX-License-Identifier: GPL-2.0-only
#include "privs.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

bool privs_can_admin(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = { { 0 } };

	if (geteuid() == 0)
		return true;
	if (syscall(SYS_capget, &hdr, data) < 0)
		return false;
	return data[CAP_NET_ADMIN / 32].effective & (1U << (CAP_NET_ADMIN % 32));
}

int privs_require_admin(const char *prog)
{
	if (privs_can_admin())
		return 0;
	fprintf(stderr, "%s: must be run as root (or with CAP_NET_ADMIN)\n", prog);
	return -EPERM;
}
