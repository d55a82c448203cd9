#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Helpers for tests/ops/NN-*.sh: checks of what tunlane ships around its
# binaries (units, metrics format, completion, package). Exit 0 pass, 77
# skip (a tool missing), anything else fail.
set -euo pipefail
TL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TL_BUILD=${BUILD:-build}
case $TL_BUILD in /*) ;; *) TL_BUILD=$TL_ROOT/$TL_BUILD ;; esac
TL_NAME=$(basename "$0" .sh)
OPS_TMP=$(mktemp -d "/tmp/tl-ops-$TL_NAME.XXXXXX")
trap 'rm -rf "$OPS_TMP"' EXIT

log() { printf '  [%s] %s\n' "$TL_NAME" "$*" >&2; }
pass() { echo "PASS: $TL_NAME${1:+: $*}"; exit 0; }
fail() { echo "FAIL: $TL_NAME: $*" >&2; exit 1; }
skip() { echo "SKIP: $TL_NAME: $*"; exit 77; }
need() { command -v "$1" >/dev/null 2>&1 || skip "$1 not installed (scripts/deps installs it)"; }
