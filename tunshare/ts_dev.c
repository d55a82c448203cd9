// SPDX-License-Identifier: GPL-2.0-only
/*
 * The shared device. The supervisor creates it with one queue of its own
 * and detaches that queue at once: a detached queue gets no packets, but
 * it keeps a non-persistent device alive while lanes come and go. When the
 * supervisor and its lanes are gone, the kernel deletes the device by
 * itself, even after a crash: nothing is left behind, as it would be with
 * TUNSETPERSIST.
 */
#include "tunshare.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Lanes that are not root may attach when they own the device. */
static int dev_set_owner(int fd, const struct ts_conf *c)
{
	if (!c->user)
		return 0;
	if (ioctl(fd, TUNSETOWNER, (unsigned long)c->uid) < 0 ||
	    ioctl(fd, TUNSETGROUP, (unsigned long)c->gid) < 0)
		return -errno;
	return 0;
}

int ts_dev_create(const struct ts_conf *c)
{
	struct ifreq ifr = { .ifr_flags = 0 };
	int fd, ret;

	/* CLOEXEC: lanes must not inherit the supervisor's queue. */
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memcpy(ifr.ifr_name, c->dev, IFNAMSIZ);
	/* IFF_NO_PI is what OpenVPN asks for; IFF_TUN_EXCL makes an existing
	 * device an error instead of a silent attach to it. */
	ifr.ifr_flags = (short)(IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE |
				IFF_TUN_EXCL);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		goto fail;
	if ((ret = dev_set_owner(fd, c)) < 0) {
		errno = -ret;
		goto fail;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_DETACH_QUEUE;
	if (ioctl(fd, TUNSETQUEUE, &ifr) < 0)
		goto fail;
	return fd;
fail:
	ret = -errno;
	close(fd);
	return ret;
}

int ts_dev_configure(const struct ts_conf *c)
{
	int ret;

	if (c->mtu && (ret = nl_link_set_mtu(c->dev, c->mtu)) < 0) {
		ts_log("cannot set MTU %u: %s", c->mtu, strerror(-ret));
		return ret;
	}
	for (unsigned int i = 0; i < c->naddrs; i++) {
		ret = nl_addr_add(c->dev, &c->addrs[i]);
		if (ret < 0) {
			ts_log("cannot add address %s: %s", c->addr_text[i],
			       strerror(-ret));
			return ret;
		}
	}
	if ((ret = nl_link_set_up(c->dev, true)) < 0) {
		ts_log("cannot set the link up: %s", strerror(-ret));
		return ret;
	}
	/* Routes last: the kernel takes them only on a link that is up. */
	for (unsigned int i = 0; i < c->nroutes; i++) {
		ret = nl_route_add(c->dev, &c->routes[i], 0);
		if (ret < 0) {
			ts_log("cannot add route %s: %s", c->route_text[i],
			       strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* Closing the last queue deletes the device; the explicit delete covers a
 * queue still held by a process that escaped us (a lane's own child). */
void ts_dev_remove(int fd, const char *dev)
{
	int ret;

	if (fd >= 0)
		close(fd);
	if (nl_link_index(dev) < 0)
		return;
	ret = nl_link_delete(dev);
	if (ret < 0 && ret != -ENODEV)
		ts_log("cannot delete the device: %s", strerror(-ret));
}
