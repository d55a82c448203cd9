#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Endpoint roaming. (1) wireguard-go initiates from 192.168.241.2:51821, then
# moves to 192.168.241.3:51822: traffic continues and the daemon under test's
# `wg show` endpoint follows it. (2) The daemon under test moves from .1 to
# .4 (address only): traffic continues and wireguard-go's endpoint follows.
#
# wireguard-go 0.0.20220316 keeps sending from its cached ("sticky") source
# address after that address is deleted and gets ENETUNREACH forever; only a
# rebind clears the cache. So when wireguard-go is the one moving, the test
# also changes its listen port, which makes it rebind (and tests port
# roaming). The daemon under test gets no such help.
. "$(dirname "$0")/lib.sh"
tl_require_root
TL_IPERF_T=60
tl_standard_pair b peer "${TL_DUT_ARGS[@]}"
tl_ping_until "$NS_B" "$TA4" 15 || fail "no ping reply through the tunnel within 15 s"
endpoint_of() { wgx "$1" show "$2" endpoints | awk -v k="$3" '$1 == k { print $2 }'; }
ep=$(endpoint_of "$NS_A" "$IF_A" "$KB_PUB")
[[ $ep = "$B4:$PORT_B" ]] || fail "before roaming $IF_A shows endpoint '$ep', expected $B4:$PORT_B"

# Keep a flow running across the move: a ping every 100 ms for 12 s.
move_and_ping() { # NS DEV OLD NEW DST [COMMAND AFTER THE MOVE...]
	nsx "$1" "$TL_PY" "$TL_TOOL" ping "$5" -c 120 -i 0.1 -W 14 --min 1 >"$TL_TMP/roam-ping.txt" 2>&1 &
	local pp=$!
	TL_PIDS+=("$pp")
	sleep 1
	ip -n "$1" addr add "$4/24" dev "$2"
	ip -n "$1" addr del "$3/24" dev "$2"
	if (($# > 5)); then "${@:6}"; fi
	wait "$pp" || true
	local recv
	read -r _ recv < <(sed -n 's/.*: \([0-9]*\) sent, \([0-9]*\) received/\1 \2/p' "$TL_TMP/roam-ping.txt")
	log "ping across the move: $(cat "$TL_TMP/roam-ping.txt")"
	# About 10 of the 120 fall before the move; most of the rest must arrive.
	((${recv:-0} >= 60)) || fail "traffic did not continue across the address change: $(cat "$TL_TMP/roam-ping.txt")"
}

# wait_endpoint NS IF PUB WANT WHAT: IF's endpoint for PUB becomes WANT
# within 5 s; else fails with "WHAT is '...' after it moved, expected WANT".
wait_endpoint() {
	local ep end=$((SECONDS + 5))
	while :; do
		ep=$(endpoint_of "$1" "$2" "$3")
		[[ $ep = "$4" ]] && return 0
		((SECONDS < end)) || fail "$5 is '$ep' after it moved, expected $4"
		sleep 0.2
	done
}

# 1. The peer (initiator) roams; the daemon under test must follow.
move_and_ping "$NS_B" veth0 "$B4" 192.168.241.3 "$TA4" wgx "$NS_B" set "$IF_B" listen-port 51822
wait_endpoint "$NS_A" "$IF_A" "$KB_PUB" 192.168.241.3:51822 "$IF_A endpoint for the peer"
tl_ping "$NS_A" "$TB4" 3 5 3 >/dev/null || fail "ping from the daemon's side fails after the peer moved"
if ((TL_IS_TUNLANED)); then
	grep -q "endpoint changed to 192.168.241.3:51822" "$TL_TMP/$IF_A.log" ||
		fail "no 'endpoint changed to 192.168.241.3:51822' line in the daemon's log (-f logs one line per event)"
fi

# 2. The daemon under test roams; wireguard-go must follow.
if ((TL_IS_TUNLANED)); then
	move_and_ping "$NS_A" veth0 "$A4" 192.168.241.4 "$TB4"
else
	note "daemon under test is wireguard-go: nudging it with a rebind (wg set listen-port $PORT_A)"
	move_and_ping "$NS_A" veth0 "$A4" 192.168.241.4 "$TB4" wgx "$NS_A" set "$IF_A" listen-port "$PORT_A"
fi
wait_endpoint "$NS_B" "$IF_B" "$KA_PUB" "192.168.241.4:$PORT_A" "wireguard-go endpoint for the daemon"
tl_iperf "$NS_A" "$TB4" 5201 "$TL_TMP/tcp.json" -n 50M
tl_check_tcp "$TL_TMP/tcp.json" $((50 << 20)) "TCP after both moves"
_tl_alive "$PID_A" || fail "daemon under test died"
pass "roaming both ways, endpoints follow"
