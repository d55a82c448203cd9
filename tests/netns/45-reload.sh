#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `tunlane reload` applies an edited file live while one TCP transfer to
# an unchanged peer (B, two lanes) runs throughout: a peer added, a peer
# removed, another peer's AllowedIPs changed (its route follows), an
# address added (no lane makes a new handshake); then Lanes 2 -> 3 (lanes 0
# and 1 keep their processes) and 3 -> 1 (lane 0 keeps its process and its
# session, and B's lane 1 ends its session with A's retired lane 1 within
# 2 s). The transfer
# completes without a reset and still moves data after the last change.
# Then an MTU change, a bad Lanes request refused, and Lanes 1 -> 2 again,
# where B's lane 1 goes live with A's new lane 1 by itself.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-up.sh"

tl3_require "needs tunlaned and tunlane"
tl3_pair 2 2
TL_IFNS[$IF_A]=$NS_A TL_IFNS[$IF_B]=$NS_B
tl_genkey KC
tl_genkey KD
tl_genkey KE
# Two more peers on A: C (to be removed), D (whose AllowedIPs change).
printf '\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.241.7.0/24\n' "$KC_PUB" >>"$CONF_A"
printf '\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.241.8.0/24\n' "$KD_PUB" >>"$CONF_A"
rl() { TL_T=20 nsx "$NS_A" "$TL_CLI" reload "$CONF_A" >"$TL_TMP/reload.txt" 2>&1; }
rl || fail "first reload: $(cat "$TL_TMP/reload.txt")"
ip -n "$NS_A" route show 10.241.7.0/24 | grep -q "dev $IF_A" || fail "no route for C after reload"
tl_ping_until "$NS_A" "$TB4" 15 || fail "no ping to B"
# Every lane makes its first handshake when it first carries a flow: get
# that done before counting.
tl_iperf "$NS_A" "$TB4" 5200 "$TL_TMP/warm.json" -n 8M -P 8
tl_wait_all_lanes "$NS_A" "$IF_A" 15 || true
hs_count() {
	tl_show_json "$NS_A" "$IF_A" "$TL_TMP/hs.json"
	"$TL_PY" "$TL_TOOL" jget '"%d %d" % (sum(l["handshakes"] for l in d["lanes"]), all(l["latest_handshake"] for l in d["lanes"]))' "$TL_TMP/hs.json"
}
read -r hs all < <(hs_count)
((all == 1)) || fail "a lane has no handshake after the warm-up: $(cat "$TL_TMP/hs.json")"

# The transfer to B runs while the file changes under it.
(tl_iperf "$NS_A" "$TB4" 5201 "$TL_TMP/tcp.json" -t 14 -P 4 -i 1) &
IPERF=$!
sleep 2
"$TL_PY" - "$CONF_A" "$KC_PUB" "$KE_PUB" <<'PY'
import sys
path, c, e = sys.argv[1:]
text = open(path).read()
blocks = text.split("\n[Peer]\n")
blocks = [b for b in blocks if ("PublicKey = " + c) not in b]
text = "\n[Peer]\n".join(blocks)
text = text.replace("AllowedIPs = 10.241.8.0/24", "AllowedIPs = 10.241.9.0/24")
text = text.replace("Address = 10.241.0.1/24", "Address = 10.241.0.1/24, fd00:2410::1/64")
text += "\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.241.10.0/24\n" % e
open(path, "w").write(text)
PY
rl || fail "reload during the transfer: $(cat "$TL_TMP/reload.txt")"
log "reload: $(cat "$TL_TMP/reload.txt")"
read -r hs2 _ < <(hs_count)
((hs2 == hs)) || fail "$((hs2 - hs)) new handshake(s) on A's lanes: B's sessions did not survive the reload"

# Lanes 2 -> 3 under the same transfer: lanes 0 and 1 are not touched.
read -r p0 p1 _ < <(tl3_lane_pids "$IF_A")
lane0_hs() {
	tl_show_json "$NS_A" "$IF_A" "$TL_TMP/l0.json"
	"$TL_PY" "$TL_TOOL" jget 'd["lanes"][0]["handshakes"]' "$TL_TMP/l0.json"
}
h0=$(lane0_hs)
sleep 1
sed -i 's/^Lanes = 2$/Lanes = 3/' "$CONF_A"
rl || fail "Lanes 2 -> 3: $(cat "$TL_TMP/reload.txt")"
read -r q0 q1 q2 < <(tl3_lane_pids "$IF_A")
[[ $q0 = "$p0" && $q1 = "$p1" ]] || fail "Lanes 2 -> 3 restarted a lane that stays: $p0 $p1 -> $q0 $q1"
[[ ${q2:-0} -gt 0 ]] || fail "Lanes 2 -> 3: no lane 2 ($q0 $q1 ${q2:-})"
ip netns exec "$NS_A" ss -Hlun "sport = :$((PORT_A + 2))" | grep -q . || fail "lane 2 does not listen on ListenPort + 2"
log "Lanes 2 -> 3: lane pids $q0 $q1 $q2"

# Lanes 3 -> 1: lane 0 stays as it was; B's lane 1 hears that A's lane 1
# retired and its flows move to B's lane 0 at once.
sleep 2
sed -i 's/^Lanes = 3$/Lanes = 1/' "$CONF_A"
t_shrink=${EPOCHREALTIME/./}
rl || fail "Lanes 3 -> 1: $(cat "$TL_TMP/reload.txt")"
b_lanes() {
	tl_show_json "$NS_B" "$IF_B" "$TL_TMP/b.json"
	"$TL_PY" "$TL_TOOL" jget '" ".join(str(x) for x in d["peers"][0]["lanes"])' "$TL_TMP/b.json"
}
# Within 2 s of the reload's start (what B answers, not when we asked).
while :; do
	l=$(b_lanes)
	ms=$(((${EPOCHREALTIME/./} - t_shrink) / 1000))
	[[ $l = 0 ]] && break
	((ms < 2000)) || fail "B still counts on A's retired lane 1 $ms ms after the start of Lanes 3 -> 1: live lanes $l"
	sleep 0.1
done
log "Lanes 3 -> 1: B down to lane 0 within $ms ms of the reload's start"
read -r r0 rest < <(tl3_lane_pids "$IF_A")
[[ $r0 = "$p0" && -z $rest ]] || fail "Lanes 3 -> 1: lanes '$r0 $rest', lane 0 was $p0"
ip netns exec "$NS_A" ss -Hlun "sport = :$((PORT_A + 1))" | grep -q . && fail "Lanes 3 -> 1: ListenPort + 1 still open"
h1=$(lane0_hs)
((h1 == h0)) || fail "lane 0 made $((h1 - h0)) handshake(s) across Lanes 2 -> 3 -> 1: its session with B did not go on"
wait "$IPERF" || fail "the transfer to the unchanged peer failed across the reloads"
tl_check_tcp "$TL_TMP/tcp.json" 1 "TCP to B across the reloads"
# Data still moved in the last seconds, after Lanes 3 -> 1.
tail_bytes=$("$TL_PY" "$TL_TOOL" jget 'sum(i["sum"]["bytes"] for i in d["intervals"][-3:])' "$TL_TMP/tcp.json")
((tail_bytes > 0)) || fail "no data in the transfer's last 3 seconds, after Lanes 3 -> 1"
peers=$(wgx "$NS_A" show "$IF_A" peers)
grep -qx "$KE_PUB" <<<"$peers" || fail "added peer E missing"
grep -qx "$KC_PUB" <<<"$peers" && fail "removed peer C still there"
wgx "$NS_A" show "$IF_A" allowed-ips | grep "^$KD_PUB" | grep -q "10.241.9.0/24" || fail "D's new AllowedIPs missing"
ip -n "$NS_A" route show 10.241.7.0/24 | grep -q . && fail "route of removed C left"
ip -n "$NS_A" route show 10.241.8.0/24 | grep -q . && fail "route of D's old AllowedIPs left"
ip -n "$NS_A" route show 10.241.9.0/24 | grep -q "dev $IF_A" || fail "no route for D's new AllowedIPs"
ip -n "$NS_A" route show 10.241.10.0/24 | grep -q "dev $IF_A" || fail "no route for E"
ip -n "$NS_A" -6 addr show dev "$IF_A" | grep -q "fd00:2410::1/64" || fail "added address missing"

# MTU follows the file.
sed -i 's/^Lanes = 1$/Lanes = 1\nMTU = 1400/' "$CONF_A"
rl || fail "MTU reload: $(cat "$TL_TMP/reload.txt")"
ip -n "$NS_A" link show "$IF_A" | grep -q "mtu 1400" || fail "MTU not 1400 after reload"
# A request for too many lanes: one line from the daemon, nothing touched.
reply=$(tl3_request "$NS_A" "$IF_A" 'tunlane_set_lanes=257\n\n')
[[ $reply = "errno=22" ]] || fail "tunlane_set_lanes=257 answered '$reply'"
# Lanes 1 -> 2: the new lane 1 and B's lane 1 renegotiate by themselves.
sed -i 's/^Lanes = 1$/Lanes = 2/' "$CONF_A"
rl || fail "Lanes 1 -> 2: $(cat "$TL_TMP/reload.txt")"
tl_ping "$NS_A" "$TB4" 3 5 3 >/dev/null || fail "ping after Lanes 1 -> 2"
for ((i = 0; i < 50; i++)); do
	[[ $(b_lanes) = "0 1" ]] && break
	sleep 0.2
done
[[ $(b_lanes) = "0 1" ]] || fail "B's lane 1 did not go live with A's new lane 1: live lanes $(b_lanes)"
tl_iperf "$NS_A" "$TB4" 5202 "$TL_TMP/tcp2.json" -n 8M -P 4
tl_check_tcp "$TL_TMP/tcp2.json" $((8 << 20)) "TCP to B with Lanes back at 2"
pass "reload live: peers added/removed/changed, routes and address follow, Lanes 2 -> 3 -> 1 -> 2 under one transfer"
