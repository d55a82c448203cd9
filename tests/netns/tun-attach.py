#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The local-attach probe of tests/netns/60-local-attach.sh: one TUNSETIFF
with IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE on an existing interface's name,
which joins it as one more queue when the kernel allows it. Run it without
privileges. Prints "attach ok" or "attach error ENAME" and exits 0.

  tun-attach.py FD NAME    FD: an open /dev/net/tun (as on distributions
                           where it is mode 0666), or -1 to open it here
"""
import errno
import fcntl
import os
import struct
import sys

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
IFF_MULTI_QUEUE = 0x0100


def main():
    fd, name = int(sys.argv[1]), sys.argv[2]
    try:
        if fd < 0:
            fd = os.open("/dev/net/tun", os.O_RDWR)
        fcntl.ioctl(fd, TUNSETIFF, struct.pack(
            "16sH22x", name.encode(), IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE))
        print("attach ok", flush=True)
    except OSError as e:
        print("attach error %s" % errno.errorcode.get(e.errno, e.errno), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
