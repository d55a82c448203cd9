// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer harness for the master <-> lane control channel (src/daemon
 * ctl.c) and for what each side does with a message it receives: a lane
 * answers the master's request (lane_ctl_request), and the master folds a
 * lane's "get" reply into its peers (master_uapi_merge_reply). Either side
 * may be the one that misbehaves, so both parsers get hostile bytes.
 *
 * Input byte 0: the lane index the reply is said to come from (mod 4),
 * in bit 2 whether to read with a size cap (ctl_recv_max), in bit 3
 * whether the first 4 bytes carry an fd (SCM_RIGHTS) as a socket swap does;
 * the rest is written raw into a stream socketpair whose writing end is
 * then closed, and read back with ctl_recv() until it fails. Each message
 * that comes out is handed to both sides. The devices have no sockets:
 * nothing leaves the process.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "crypto.h"
#include "log.h"
#include "ctl.h"
#include "device.h"
#include "lane.h"
#include "master.h"
#include "master_uapi.h"
#include "noise.h"
#include "uapi.h"

#define LANES 4

static struct master m;

/* Two peers the replies may name, with the keys of 0x01... and 0x02... */
static const char master_conf[] =
	"private_key=0303030303030303030303030303030303030303030303030303030303030303\n"
	"public_key=a4e09292b651c278b9772c569f5fa9bb13d906b46ab68c9df9dc2b4409f8a209\n"
	"allowed_ip=10.0.0.1/32\n"
	"public_key=ce8d3ad1ccb633ec7b70c17814a5c76ecd029685050d344745ba05870e587d59\n"
	"endpoint=127.0.0.1:51820\nallowed_ip=10.0.0.2/32\n\n";

static void apply(struct wg_device *dev, const char *text)
{
	struct uapi_set set;
	char err[256];

	if (uapi_parse_set(&set, text, strlen(text), err, sizeof(err)) < 0 ||
	    device_apply(dev, &set) < 0)
		abort();
	uapi_set_free(&set);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (!getenv("TUNLANE_FUZZ_DEBUG"))
		log_set_max_priority(-1);
	if (crypto_init() < 0)
		abort();
	noise_init();
	m.opts.lanes = m.lanes_hi = LANES;
	if (device_init(&m.dev, "fuzz", false, 0) < 0)
		abort();
	apply(&m.dev, master_conf);
	return 0;
}

static void handle(char *msg, size_t len, unsigned int lane)
{
	struct wg_device dev;
	char *reply = NULL, *out = NULL;
	size_t rlen = 0, olen = 0;

	if (device_init(&dev, "fuzz", true, lane) < 0)
		abort();
	lane_ctl_request(&dev, msg, len, &reply, &rlen);
	if (!reply || rlen != strlen(reply))
		abort();
	free(reply);
	device_free(&dev);
	master_uapi_merge_reply(&m, lane, msg);
	if (device_get(&m.dev, &out, &olen) < 0)
		abort();
	free(out);
}

/* The first 4 bytes go out with an fd attached (SCM_RIGHTS), as the
 * master passes a lane its new UDP socket. */
static void send_with_fd(int sock, const uint8_t *first4)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = (void *)first4, .iov_len = 4 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	memset(cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (fd < 0 || sendmsg(sock, &mh, 0) != 4)
		abort();
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2], lane, flags, fd = -1;
	char *msg;
	size_t len;

	if (!size)
		return 0;
	flags = data[0];
	lane = flags % LANES;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	data++;
	size--;
	if (flags & 8 && size >= 4) {
		send_with_fd(sv[1], data);
		data += 4;
		size -= 4;
	}
	/* Inputs are far below the socket buffer: this never blocks. */
	if (write(sv[1], data, size) != (ssize_t)size)
		abort();
	close(sv[1]);
	/* Bit 2 of byte 0: read as the master reads lane replies, with a
	 * size cap. */
	while ((flags & 4 ? ctl_recv_max(sv[0], &msg, &len, &fd, 100, 1024) :
			    ctl_recv(sv[0], &msg, &len, &fd, 100)) == 0) {
		if (fd >= 0)
			close(fd);
		if (msg[len] != '\0')
			abort();
		handle(msg, len, (unsigned int)lane);
		free(msg);
	}
	if (fd >= 0)
		close(fd);
	close(sv[0]);
	return 0;
}
