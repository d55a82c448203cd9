#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Per-peer lanes between two sites that run different lane counts (A:
# Lanes = 2, B: Lanes = 4), brought up with `tunlane up`: the lanes used
# come to min(2, 4) = 2 by themselves. iperf3 -P 8 both ways completes
# (before per-peer lanes, B's flows on lanes 2-3 were black-holed), both
# sides report lanes [0, 1] for the peer in `show --json`, and B's lanes 2
# and 3 host no peer. No no_route drop is counted on either side once the
# sessions are up. Skipped where the kernel refuses BPF (81 tests that).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-up.sh"

tl3_require "needs tunlaned (lanes)"

tl3_pair 2 4
grep -q "BPF steering on" "$TL_TMP/up-$IF_B.out" ||
	skip "this kernel refused the steering program: $(grep BPF "$TL_TMP/up-$IF_B.out")"
# IPv6 router solicitations and MLD reports go to no peer and are counted
# as no_route: keep them out of the no_route check below.
nsx "$NS_A" sysctl -qw "net.ipv6.conf.$IF_A.disable_ipv6=1" >/dev/null
nsx "$NS_B" sysctl -qw "net.ipv6.conf.$IF_B.disable_ipv6=1" >/dev/null
tl_ping_until "$NS_A" "$TB4" 15 || fail "A -> B: no ping reply within 15 s"

# Lanes 1 of both sides: a bound handshake, tried within a few seconds.
lanes_of() { # NS IF -> "0,1"
	local f=$TL_TMP/lanes.$RANDOM.json
	tl_show_json "$1" "$2" "$f"
	"$TL_PY" "$TL_TOOL" jget '",".join(str(x) for x in d["peers"][0].get("lanes", []))' "$f"
}
end=$((SECONDS + 15))
while :; do
	la=$(lanes_of "$NS_A" "$IF_A")
	lb=$(lanes_of "$NS_B" "$IF_B")
	[[ $la = 0,1 && $lb = 0,1 ]] && break
	((SECONDS < end)) || fail "after 15 s: live lanes A [$la], B [$lb], expected [0,1] on both"
	sleep 0.5
done
log "live lanes for the peer: A [$la], B [$lb]"
na=$(tl_drops "$NS_A" "$IF_A" no_route)
nb=$(tl_drops "$NS_B" "$IF_B" no_route)

tl_iperf "$NS_A" "$TB4" 5201 "$TL_TMP/a2b.json" -P 8 -n 128M
tl_check_tcp "$TL_TMP/a2b.json" $((128 << 20)) "TCP -P 8 A (2 lanes) -> B (4 lanes)"
tl_iperf "$NS_B" "$TA4" 5202 "$TL_TMP/b2a.json" -P 8 -n 128M
tl_check_tcp "$TL_TMP/b2a.json" $((128 << 20)) "TCP -P 8 B (4 lanes) -> A (2 lanes)"

f=$TL_TMP/show-b.json
tl_show_json "$NS_B" "$IF_B" "$f"
read -r p0 p1 p2 p3 tx2 tx3 < <("$TL_PY" "$TL_TOOL" jget '" ".join(str(x) for x in [l["peers"] for l in d["lanes"]] + [d["lanes"][2]["tx_bytes"], d["lanes"][3]["tx_bytes"]])' "$f")
log "B: peers per lane $p0 $p1 $p2 $p3; lanes 2-3 sent $tx2 and $tx3 bytes"
((p0 == 1 && p1 == 1 && p2 == 0 && p3 == 0)) || fail "B: peers per lane $p0 $p1 $p2 $p3, expected 1 1 0 0"
((tx2 < 1 << 20 && tx3 < 1 << 20)) || fail "B: lanes 2-3 carried data ($tx2, $tx3 bytes) though the peer has 2 lanes"
na2=$(tl_drops "$NS_A" "$IF_A" no_route)
nb2=$(tl_drops "$NS_B" "$IF_B" no_route)
((na2 == na && nb2 == nb)) || fail "no_route drops during the transfers: A $na -> $na2, B $nb -> $nb2"
pass "Lanes = 2 <-> Lanes = 4: 2 live lanes found on both sides, iperf3 -P 8 both ways"
