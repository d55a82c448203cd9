#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Availability under a handshake flood: a 1-lane tunlaned (A) is flooded
# from a third address in B's namespace with forged initiations that pass
# mac1 (tests/netns/hsflood.py), for a bounded time. Meanwhile:
#  - an established session keeps carrying a TCP transfer, without a new
#    handshake (it is never dropped);
#  - the real peer (a 1-lane tunlaned in B) drops its session and makes a
#    new handshake, which must complete through the cookie path (a cookie
#    reply, then the retry with mac2, 5 s later);
#  - A answers with cookie replies (counted as cookie_reply drops), rations
#    them (cookie_limited), and its lane is neither killed nor restarted.
# The throughput ratio against a flood at a closed port is measured by
# bench/flood, not here.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-up.sh"

tl3_require "needs tunlaned (tunlane show)"
FLOOD_S=${TL_FLOOD_S:-20}
FLOODER=192.168.241.3

tl3_pair 1 1
ip -n "$NS_B" addr add "$FLOODER/24" dev veth0
tl_ping_until "$NS_B" "$TA4" 15 || fail "no ping through the tunnel within 15 s"
pid_a=$(tl3_master_pid "$IF_A")
hs_a0=$(tl_handshake_time "$NS_A" "$IF_A" "$KB_PUB")

# The flood runs in the background for FLOOD_S seconds.
TL_T=$((FLOOD_S + 20)) nsx "$NS_B" "$TL_PY" "$TL_ROOT/tests/netns/hsflood.py" \
	--pub "$KA_PUB" --to "$A4:$PORT_A" --bind "$FLOODER" --seconds "$FLOOD_S" \
	>"$TL_TMP/flood.json" 2>"$TL_TMP/flood.err" &
flood_pid=$!
TL_PIDS+=("$flood_pid")
sleep 1

# 1. The established session carries TCP through the flood.
tl_iperf "$NS_B" "$TA4" 5201 "$TL_TMP/tcp.json" -t 4
tl_check_tcp "$TL_TMP/tcp.json" $((1 << 20)) "TCP B->A during the flood"
hs_a1=$(tl_handshake_time "$NS_A" "$IF_A" "$KB_PUB")
[[ $hs_a1 = "$hs_a0" ]] || fail "the established session was replaced during the flood (handshake $hs_a0 -> $hs_a1)"

# 2. B forgets A and comes back: a new handshake into the flooded lane.
t0=$(date +%s)
wgx "$NS_B" set "$IF_B" peer "$KA_PUB" remove || fail "wg set peer remove on B"
wgx "$NS_B" set "$IF_B" peer "$KA_PUB" allowed-ips "$TA4/32" endpoint "$A4:$PORT_A" ||
	fail "wg set peer on B"
_tl_alive "$flood_pid" || fail "the flood ended before the new handshake began (raise TL_FLOOD_S)"
tl_ping_until "$NS_B" "$TA4" 14 || fail "no new handshake through the flood within 14 s"
tl_wait_handshake "$NS_A" "$IF_A" "$KB_PUB" 5 "$hs_a1" ||
	fail "A records no new handshake with B"
took=$(($(date +%s) - t0))
_tl_alive "$flood_pid" || note "the flood ended during the new handshake ($took s)"
log "new handshake during the flood took about $took s (a cookie reply, then the retry)"

wait "$flood_pid" || fail "flooder failed: $(cat "$TL_TMP/flood.err")"
log "flood: $(cat "$TL_TMP/flood.json")"
f=$TL_TMP/show.json
tl_show_json "$NS_A" "$IF_A" "$f"
read -r replies limited restarts < <("$TL_PY" "$TL_TOOL" jget \
	'"%d %d %d" % (d["lanes"][0]["drop_reasons"]["cookie_reply"], d["lanes"][0]["drop_reasons"]["cookie_limited"], d["lanes"][0]["restarts"])' "$f")
log "A: cookie replies $replies, rationed away $limited, lane restarts $restarts"
((replies > 0)) || fail "A sent no cookie reply under the flood"
((limited > 0)) || fail "A rationed no cookie reply under the flood"
((restarts == 0)) || fail "A's lane was restarted $restarts time(s)"
[[ $(tl3_master_pid "$IF_A") = "$pid_a" ]] && _tl_alive "$pid_a" || fail "A's daemon did not survive"
got=$("$TL_PY" "$TL_TOOL" jget 'd["cookie_replies"]' "$TL_TMP/flood.json")
((got > 0)) || fail "the flooder received no cookie reply"
tl_ping "$NS_B" "$TA4" 3 5 3 >/dev/null || fail "tunnel lost packets after the flood"
pass "TCP through the flood, new handshake in ${took} s, $replies cookie replies"
