#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Handshake flood for tests and bench: forged WireGuard handshake
initiations that pass mac1 (anyone who knows the responder's public key
can compute it; whitepaper 5.4.4) but carry no cookie and name no known
peer, sent for a bounded time from one source address.

mac1 = BLAKE2s-128(key = BLAKE2s-256("mac1----" || responder public key),
                   the message up to mac1).

Prints one JSON line: packets sent, seconds, and cookie replies received.
"""
import argparse
import base64
import hashlib
import json
import os
import socket
import struct
import time


def initiations(pub, n):
    key = hashlib.blake2s(b"mac1----" + pub).digest()
    out = []
    for _ in range(n):
        # type 1, sender index, ephemeral, encrypted static, timestamp
        body = struct.pack("<I", 1) + os.urandom(4 + 32 + 48 + 28)
        mac1 = hashlib.blake2s(body, key=key, digest_size=16).digest()
        out.append(body + mac1 + bytes(16))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pub", required=True, help="responder public key (base64)")
    ap.add_argument("--to", required=True, help="HOST:PORT of the responder")
    ap.add_argument("--bind", default="", help="source address")
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--rate", type=int, default=0, help="packets/s, 0 = as fast as possible")
    a = ap.parse_args()
    host, port = a.to.rsplit(":", 1)
    msgs = initiations(base64.b64decode(a.pub), 1024)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.bind, 0))
    s.connect((host, int(port)))
    s.setblocking(False)
    sent = replies = errors = i = 0
    start = time.monotonic()
    end = start + a.seconds
    while True:
        now = time.monotonic()
        if now >= end:
            break
        if a.rate and sent > (now - start) * a.rate:
            time.sleep(0.001)
        i = (i + 64) % len(msgs)
        for m in msgs[i:i + 64]:
            try:
                s.send(m)
                sent += 1
            except (BlockingIOError, ConnectionRefusedError):
                errors += 1
        while True:
            try:
                r = s.recv(256)
            except (BlockingIOError, ConnectionRefusedError):
                break
            if len(r) == 64 and r[0] == 3:
                replies += 1
    took = time.monotonic() - start
    print(json.dumps({"sent": sent, "seconds": round(took, 3),
                      "rate": int(sent / took), "cookie_replies": replies,
                      "send_errors": errors}))


if __name__ == "__main__":
    main()
