# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Helpers for the tests that bring interfaces up with `tunlane up` from
# config files (30-36), sourced right after lib.sh. The daemons `tunlane up`
# starts detach, so they are not the test's children: the EXIT trap here
# finds their masters through the stats pages and hands them to lib.sh's
# cleanup. A test that runs `tunlane up` itself adds the interface to TL3_UP
# (and TL_IFS), so that it is cleaned up the same way.

TL3_UP=()
# Master pid of IFNAME's daemon, from its stats page; 0 if there is none.
tl3_master_pid() {
	"$TL_PY" -c 'import struct, sys
m, v, n, pid = struct.unpack("<IIIi", open(sys.argv[1], "rb").read(16))
print(pid if m == 0x544C5354 else 0)' "$(tl_state "$1" stats)" 2>/dev/null || echo 0
}
# Lane pids of IFNAME, from its stats page (no UAPI "get", which would
# itself restart a lane that does not answer). A 4 KiB header page, then
# one 4 KiB page per lane with its pid first.
tl3_lane_pids() {
	"$TL_PY" -c 'import struct, sys
d = open(sys.argv[1], "rb").read()
n = struct.unpack("<I", d[8:12])[0]
print(" ".join(str(struct.unpack("<i", d[4096 * (i + 1):4096 * (i + 1) + 4])[0]) for i in range(n)))' "$(tl_state "$1" stats)" 2>/dev/null || true
}
# tl3_request NS IFNAME REQUEST: sends a raw UAPI request (printf format,
# so "\n" works) to IFNAME's daemon from NS; prints its errno= line.
tl3_request() {
	# shellcheck disable=SC2059
	printf "$3" | nsx "$1" "$TL_PY" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.stdin.buffer.read())
r = b""
while not r.endswith(b"\n\n"):
    b = s.recv(4096)
    if not b:
        break
    r += b
print([l for l in r.decode().split("\n") if l.startswith("errno=")][-1:][0] if b"errno=" in r else "none")' "$(tl_state "$2" sock)"
}
# The daemons `tunlane up` started are not our children: hand their masters
# to lib.sh's cleanup (which kills them and their lanes) before it runs.
tl3_cleanup() {
	local rc=$? ifn pid
	set +e
	for ifn in "${TL3_UP[@]}"; do
		pid=$(tl3_master_pid "$ifn")
		[[ $pid -gt 0 && $(cat "/proc/$pid/comm" 2>/dev/null) = tunlaned ]] && TL_PIDS+=("$pid")
	done
	(exit "$rc")
	tl_cleanup
}
trap tl3_cleanup EXIT
# lib.sh traps INT and TERM; a closed terminal or pipe must clean up too.
trap 'exit 1' HUP PIPE
# tl3_conf FILE PRIVKEY PORT ADDRESS LANES PEERPUB ALLOWEDIPS [ENDPOINT]
tl3_conf() {
	{
		printf '[Interface]\nPrivateKey = %s\nListenPort = %s\nAddress = %s\nLanes = %s\n\n' "$2" "$3" "$4" "$5"
		printf '[Peer]\nPublicKey = %s\nAllowedIPs = %s\n' "$6" "$7"
		if [[ -n ${8:-} ]]; then printf 'Endpoint = %s\n' "$8"; fi
	} >"$1"
	chmod 600 "$1"
}
# tl3_up NS CONF: `tunlane up CONF` inside NS; the interface is CONF's name.
# What it printed is kept in $TL_TMP/up-IFNAME.out.
tl3_up() {
	local ns=$1 conf=$2 ifn out line
	ifn=$(basename "$conf" .conf)
	TL_IFS+=("$ifn")
	TL3_UP+=("$ifn")
	out=$(TL_T=30 nsx "$ns" "$TL_CLI" up "$conf" 2>&1) || fail "tunlane up $conf failed: $out"
	while IFS= read -r line; do log "up: $line"; done <<<"$out"
	printf '%s\n' "$out" >"$TL_TMP/up-$ifn.out"
}
# tl3_pair LANES_A LANES_B: namespaces, keys, configs in $TL_TMP, both up,
# each side knowing the other's endpoint.
tl3_pair() {
	tl_setup_ns
	tl_genkey KA
	tl_genkey KB
	CONF_A=$TL_TMP/$IF_A.conf CONF_B=$TL_TMP/$IF_B.conf
	tl3_conf "$CONF_A" "$KA_KEY" "$PORT_A" "$TA4/24" "$1" "$KB_PUB" "$TB4/32" "$B4:$PORT_B"
	tl3_conf "$CONF_B" "$KB_KEY" "$PORT_B" "$TB4/24" "$2" "$KA_PUB" "$TA4/32" "$A4:$PORT_A"
	tl3_up "$NS_A" "$CONF_A"
	tl3_up "$NS_B" "$CONF_B"
}
# tl3_require SKIP_REASON: root, tunlaned as the daemon under test (or skip
# with SKIP_REASON) and the tunlane CLI.
tl3_require() {
	tl_require_root
	((TL_IS_TUNLANED)) || skip "$1"
	[[ -x $TL_CLI ]] || fail "$TL_CLI not found (run make)"
}
