// SPDX-License-Identifier: GPL-2.0-only
/*
 * The tun queues, both directions: opening a queue and its offloads (the
 * master), reading packets to send and writing received ones (the lanes).
 */
#include "tun.h"
#include "device.h"
#include "offload.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int tun_open_queue(const char *ifname, bool vnet_hdr)
{
	struct ifreq ifr;
	int fd, ret;

	if (strlen(ifname) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	/* IFF_NO_PI: packets are bare IP; the version nibble tells v4 from v6. */
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE |
			(vnet_hdr ? IFF_VNET_HDR : 0);
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

int tun_set_queue(int fd, bool attach)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = attach ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE;
	return ioctl(fd, TUNSETQUEUE, &ifr) < 0 ? -errno : 0;
}

int tun_set_offload(int fd)
{
	/* Most to least: a kernel before 6.2 refuses the USO bits with EINVAL. */
	static const unsigned int tries[] = {
		TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_USO4 | TUN_F_USO6,
		TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6,
		TUN_F_CSUM,
	};
	int hdrsz = (int)OFFLOAD_VNET_HDR_LEN;

	if (ioctl(fd, TUNSETVNETHDRSZ, &hdrsz) < 0)
		return -errno;
	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++)
		if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)tries[i]) == 0)
			return (int)tries[i];
	return -errno;
}

int tun_get_mtu(const char *ifname)
{
	struct ifreq ifr;
	int fd, ret;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ret = ioctl(fd, SIOCGIFMTU, &ifr) < 0 ? -errno : ifr.ifr_mtu;
	close(fd);
	return ret;
}

ssize_t tun_read(struct wg_device *dev, void *buf, size_t len)
{
	ssize_t n = read(dev->tun_fd, buf, len);

	return n < 0 ? -errno : n;
}

void tun_write(struct wg_device *dev, const struct offload_out *o,
	       const struct iovec *pay)
{
	struct iovec iov[2 + OFFLOAD_GRO_MAX_BATCH] = {
		{ .iov_base = (void *)&o->vh, .iov_len = OFFLOAD_VNET_HDR_LEN },
		{ .iov_base = (void *)o->data, .iov_len = o->len },
	};
	int first = dev->vnet_hdr ? 0 : 1, n = 2;

	/* A super-packet from offload_gro_batch_iov(): headers, then its
	 * payloads where they were decrypted (only with a vnet header). */
	if (o->npay && pay && o->npay <= OFFLOAD_GRO_MAX_BATCH) {
		memcpy(iov + 2, pay + o->pay, o->npay * sizeof(*iov));
		n += o->npay;
	}
	if (writev(dev->tun_fd, iov + first, n - first) < 0)
		device_count_drop(dev, DROP_TX_ERROR);
}
