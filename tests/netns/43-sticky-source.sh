#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Sticky source addresses, v4 and v6, against wireguard-go: the daemon
# under test (A) has two addresses per family on its veth, and the peer
# (B) sends to the second one. A must answer from the address B sent to,
# so B's `wg show endpoints` keeps showing it (without sticky sources the
# reply leaves from the first address and B roams to that). When that
# address is deleted, A's traffic continues from the remaining one and B
# follows. The same after `wg set ... endpoint` moves B to an IPv6
# endpoint of A, and back to IPv4.
. "$(dirname "$0")/lib.sh"
tl_require_root
((TL_IS_TUNLANED)) || note "daemon under test is $(basename "$TL_DAEMON")"
tl_setup_ns
tl_genkey KA
tl_genkey KB
A4B=192.168.241.11 A6B=fd00:241::11
ip -n "$NS_A" addr add "$A4B/24" dev veth0
ip -n "$NS_A" addr add "$A6B/64" dev veth0 nodad
tl_start "$NS_A" dut "$IF_A"
PID_A=$TL_LASTPID
tl_iface "$NS_A" "$IF_A" "$KA_PRIV" "$PORT_A" "$TA4" "$TA6"
tl_peer "$NS_A" "$IF_A" "$KB_PUB" "$TB4/32,$TB6/128"
tl_start "$NS_B" peer "$IF_B"
tl_iface "$NS_B" "$IF_B" "$KB_PRIV" "$PORT_B" "$TB4" "$TB6"
tl_peer "$NS_B" "$IF_B" "$KA_PUB" "$TA4/32,$TA6/128" "$A4B:$PORT_A"

endpoint_of() { wgx "$1" show "$2" endpoints | awk -v k="$3" '$1 == k { print $2 }'; }
# expect WANT WHAT: B's endpoint for A is WANT, now and 1 s later (after
# more replies from A, which would have moved it if they came from
# elsewhere).
expect() {
	local ep end=$((SECONDS + 5))
	until [[ $(endpoint_of "$NS_B" "$IF_B" "$KA_PUB") = "$1" ]]; do
		((SECONDS < end)) || fail "$2: B's endpoint for A is '$(endpoint_of "$NS_B" "$IF_B" "$KA_PUB")', expected $1"
		sleep 0.2
	done
	tl_ping "$NS_A" "$TB4" 3 5 3 >/dev/null || fail "$2: ping A->B lost packets"
	ep=$(endpoint_of "$NS_B" "$IF_B" "$KA_PUB")
	[[ $ep = "$1" ]] || fail "$2: B's endpoint for A moved to '$ep' after A's replies, expected $1"
	log "$2: B's endpoint for A is $ep"
}

# v4: B talks to A's second address; A answers from it.
tl_ping_until "$NS_B" "$TA4" 15 || fail "no ping B->A"
tl_ping "$NS_B" "$TA4" 3 5 3 >/dev/null || fail "ping B->A lost packets"
expect "$A4B:$PORT_A" "v4, second address"
# ...which goes away: A's traffic continues from the first.
ip -n "$NS_A" addr del "$A4B/24" dev veth0
tl_ping "$NS_A" "$TB4" 5 8 3 >/dev/null || fail "v4: no traffic A->B after A's address $A4B was deleted"
expect "$A4:$PORT_A" "v4, after deleting $A4B"

# v6, after B's endpoint is set to A's second IPv6 address.
wgx "$NS_B" set "$IF_B" peer "$KA_PUB" endpoint "[$A6B]:$PORT_A"
tl_ping "$NS_B" "$TA6" 3 5 2 >/dev/null || fail "ping6 B->A lost packets"
expect "[$A6B]:$PORT_A" "v6, second address"
ip -n "$NS_A" addr del "$A6B/64" dev veth0
tl_ping "$NS_A" "$TB6" 5 8 3 >/dev/null || fail "v6: no traffic A->B after A's address $A6B was deleted"
expect "[$A6]:$PORT_A" "v6, after deleting $A6B"

# Back to v4, to the second address again.
ip -n "$NS_A" addr add "$A4B/24" dev veth0
wgx "$NS_B" set "$IF_B" peer "$KA_PUB" endpoint "$A4B:$PORT_A"
tl_ping "$NS_B" "$TA4" 3 5 2 >/dev/null || fail "ping B->A lost packets after the switch back to v4"
expect "$A4B:$PORT_A" "v4 again, second address"
tl_iperf "$NS_A" "$TB4" 5201 "$TL_TMP/tcp.json" -n 64M
tl_check_tcp "$TL_TMP/tcp.json" $((64 << 20)) "TCP A->B from the second address"
expect "$A4B:$PORT_A" "v4 after a TCP transfer (GSO batches)"
_tl_alive "$PID_A" || fail "daemon under test died"
pass "replies leave from the address the peer sent to, v4 and v6; deleted addresses are left"
