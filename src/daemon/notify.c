// SPDX-License-Identifier: GPL-2.0-only
#include "notify.h"

#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <systemd/sd-daemon.h>

#include "log.h"

bool notify_wanted(void)
{
	const char *s = getenv("NOTIFY_SOCKET");

	return s && *s;
}

static void notify_send(const char *ifname, unsigned int lanes, bool ready)
{
	char msg[96];
	int ret;

	if (!notify_wanted())
		return;
	snprintf(msg, sizeof(msg), "%sSTATUS=%s up with %u lane%s",
		 ready ? "READY=1\n" : "", ifname, lanes, lanes == 1 ? "" : "s");
	ret = sd_notify(0, msg);
	if (ret < 0)
		log_warn("cannot notify the service manager: %s", strerror(-ret));
}

void notify_ready(const char *ifname, unsigned int lanes)
{
	notify_send(ifname, lanes, true);
}

void notify_lanes(const char *ifname, unsigned int lanes)
{
	notify_send(ifname, lanes, false);
}

void notify_stopping(void)
{
	if (notify_wanted())
		sd_notify(0, "STOPPING=1");
}
