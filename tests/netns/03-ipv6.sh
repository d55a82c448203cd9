#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# IPv6 outer endpoints and IPv6 inside the tunnel: the daemon under test
# initiates to wireguard-go at [fd00:241::2]; ping6 and a short iperf3 over
# the inner v6 addresses, v4-in-v6 too, and both sides show v6 endpoints.
. "$(dirname "$0")/lib.sh"
tl_require_root
TL_IPERF_T=60
TL_OUTER=6 tl_standard_pair a peer "${TL_DUT_ARGS[@]}"

tl_ping_until "$NS_A" "$TB6" 15 || fail "no ICMPv6 echo reply from $TB6 through the tunnel within 15 s"
tl_wait_handshake "$NS_A" "$IF_A" "$KB_PUB" 5 || fail "wg show $IF_A: no handshake with the peer"
tl_ping "$NS_A" "$TB6" 5 5 5 >/dev/null || fail "ping6 A->B over the tunnel lost packets"
tl_ping "$NS_B" "$TA6" 5 5 5 >/dev/null || fail "ping6 B->A over the tunnel lost packets"
tl_ping "$NS_A" "$TB4" 3 5 3 >/dev/null || fail "IPv4 inside an IPv6-carried tunnel: ping lost packets"
# Full-size packets for wireguard-go's MTU of 1420 (1420 + 80 bytes of
# IPv6, UDP and WireGuard = 1500 on the veth), v6 inside, both ways.
TL_T=10 nsx "$NS_A" "$TL_PY" "$TL_TOOL" ping "$TB6" -c 3 -W 5 -s 1372 --min 3 >"$TL_TMP/ping.txt" 2>&1 ||
	fail "1420-byte IPv6 packets A->B over IPv6 outer do not pass: $(cat "$TL_TMP/ping.txt")"
TL_T=10 nsx "$NS_B" "$TL_PY" "$TL_TOOL" ping "$TA6" -c 3 -W 5 -s 1372 --min 3 >"$TL_TMP/ping.txt" 2>&1 ||
	fail "1420-byte IPv6 packets B->A over IPv6 outer do not pass: $(cat "$TL_TMP/ping.txt")"

ep=$(wgx "$NS_A" show "$IF_A" endpoints | awk -v k="$KB_PUB" '$1 == k { print $2 }')
[[ $ep = "[$B6]:$PORT_B" ]] || fail "wg show $IF_A endpoints: '$ep', expected [$B6]:$PORT_B"
ep=$(wgx "$NS_B" show "$IF_B" endpoints | awk -v k="$KA_PUB" '$1 == k { print $2 }')
[[ $ep = "[$A6]:$PORT_A" ]] || fail "wireguard-go learned endpoint '$ep', expected [$A6]:$PORT_A (the daemon must send from its v6 address)"

tl_iperf "$NS_A" "$TB6" 5201 "$TL_TMP/tcp6.json" -6 -n 200M
tl_check_tcp "$TL_TMP/tcp6.json" $((200 << 20)) "TCP over v6 in v6, daemon->wireguard-go"
tl_iperf "$NS_B" "$TA6" 5202 "$TL_TMP/tcp6r.json" -6 -n 200M
tl_check_tcp "$TL_TMP/tcp6r.json" $((200 << 20)) "TCP over v6 in v6, wireguard-go->daemon"
tl_udp "$NS_A" "$TB6" 5203 "$TL_TMP/udp6.json" 40 "UDP over v6 in v6" -6 -b 100M -l 1200 -t 2
_tl_alive "$PID_A" || fail "daemon under test died"
pass "IPv6 endpoints and IPv6 in the tunnel"
