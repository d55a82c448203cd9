// SPDX-License-Identifier: GPL-2.0-only
/*
 * The shared device. The supervisor creates it with one queue of its own
 * and detaches that queue at once: a detached queue gets no packets, but
 * it keeps a non-persistent device alive while lanes come and go. When the
 * supervisor and its lanes are gone, the kernel deletes the device by
 * itself, even after a crash: nothing is left behind, as it would be with
 * TUNSETPERSIST.
 *
 * The supervisor also opens every lane's queue itself, as root, and the
 * lane inherits it (TUNSHARE_FD): the device belongs to root, so nobody
 * else, lanes included, can attach to it by name.
 */
#include "tunshare.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/*
 * Owner and group root: the kernel then refuses a queue attach by name to
 * anyone but root or a holder of CAP_NET_ADMIN (tun_not_capable() in
 * drivers/net/tun.c). Without them, any local user who can open
 * /dev/net/tun could attach one more queue and read or inject plaintext;
 * with the lanes' user as owner, any process of that user could. The
 * lanes never attach: the supervisor opens their queues and hands them
 * over (ts_dev_open_queue()).
 */
static int dev_lock(int fd)
{
	if (ioctl(fd, TUNSETOWNER, 0UL) < 0 || ioctl(fd, TUNSETGROUP, 0UL) < 0)
		return -errno;
	return 0;
}

static int dev_open(const char *dev, short flags)
{
	struct ifreq ifr = { .ifr_flags = flags };
	int fd, ret;

	/* CLOEXEC: a lane inherits only its own queue (ts_lane_spawn()). */
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memcpy(ifr.ifr_name, dev, IFNAMSIZ);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

/* Detached at once: a queue with no lane behind it would black-hole the
 * flows the kernel hashes to it. */
int ts_dev_open_queue(const struct ts_conf *c)
{
	int fd = dev_open(c->dev, IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE), ret;

	if (fd >= 0 && (ret = ts_dev_queue(fd, false)) < 0) {
		close(fd);
		return ret;
	}
	return fd;
}

int ts_dev_queue(int fd, bool attach)
{
	struct ifreq ifr = { .ifr_flags = attach ? IFF_ATTACH_QUEUE :
						    IFF_DETACH_QUEUE };

	return ioctl(fd, TUNSETQUEUE, &ifr) < 0 ? -errno : 0;
}

int ts_dev_create(const struct ts_conf *c)
{
	int fd, ret;

	/* IFF_NO_PI is what OpenVPN asks for; IFF_TUN_EXCL makes an existing
	 * device an error instead of a silent attach to it. */
	fd = dev_open(c->dev, IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE |
			      IFF_TUN_EXCL);
	if (fd < 0)
		return fd;
	if ((ret = dev_lock(fd)) < 0 || (ret = ts_dev_queue(fd, false)) < 0) {
		close(fd);
		return ret;
	}
	return fd;
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
