#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""A tun client for the tunshare tests: opens /dev/net/tun and issues the
ioctls a program like OpenVPN would, through libc (so libtunshare.so, when
preloaded, sees them). Prints one line per step: "setiff ok flags=0xNNNN"
or "setiff error EINVAL", and so on. Never waits longer than --hold.

  tunctl.py NAME [--mq] [--persist 0|1] [--owner UID] [--hold SECS]
"""
import argparse
import errno
import fcntl
import os
import struct
import sys
import time

TUNSETIFF = 0x400454CA
TUNSETPERSIST = 0x400454CB
TUNSETOWNER = 0x400454CC
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
IFF_MULTI_QUEUE = 0x0100


def step(name, fn):
    try:
        r = fn()
        print("%s ok%s" % (name, r or ""), flush=True)
        return True
    except OSError as e:
        print("%s error %s" % (name, errno.errorcode.get(e.errno, e.errno)), flush=True)
        return False


def main():
    p = argparse.ArgumentParser()
    p.add_argument("name")
    p.add_argument("--mq", action="store_true")
    p.add_argument("--persist", type=int)
    p.add_argument("--owner", type=int)
    p.add_argument("--hold", type=float, default=0)
    a = p.parse_args()
    fd = os.open("/dev/net/tun", os.O_RDWR)
    flags = IFF_TUN | IFF_NO_PI | (IFF_MULTI_QUEUE if a.mq else 0)

    def setiff():
        r = fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", a.name.encode(), flags))
        name, fl = struct.unpack("16sH", r[:18])
        return " name=%s flags=0x%04x" % (name.rstrip(b"\0").decode(), fl)

    if not step("setiff", setiff):
        return 0
    if a.persist is not None:
        step("persist", lambda: fcntl.ioctl(fd, TUNSETPERSIST, a.persist))
    if a.owner is not None:
        step("owner", lambda: fcntl.ioctl(fd, TUNSETOWNER, a.owner))
    time.sleep(a.hold)
    return 0


if __name__ == "__main__":
    sys.exit(main())
