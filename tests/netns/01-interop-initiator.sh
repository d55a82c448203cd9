#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The daemon under test initiates the handshake with wireguard-go (which has
# no endpoint for it), then TCP (1 GB each way) and UDP each way.
. "$(dirname "$0")/lib.sh"
tl_require_root
tl_interop_body a
pass "initiator: handshake, TCP and UDP both ways"
