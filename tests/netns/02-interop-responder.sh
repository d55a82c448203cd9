#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# wireguard-go initiates the handshake with the daemon under test (which has
# no endpoint for it), then TCP (1 GB each way) and UDP each way.
. "$(dirname "$0")/lib.sh"
tl_require_root
tl_interop_body b
pass "responder: handshake, TCP and UDP both ways"
