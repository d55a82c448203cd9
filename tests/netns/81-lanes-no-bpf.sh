#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The fallback path of per-peer lanes: TUNLANE_BPF=off (as a kernel that
# refuses BPF would) makes tunlaned say so in one log line and spread flows
# over the tun queues by the kernel's own hash, as before per-peer lanes.
# Two sites with Lanes = 2: iperf3 -P 4 both ways completes, both lanes
# carry data, and `show --json` still reports the live lanes [0, 1].
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-up.sh"

tl3_require "needs tunlaned (lanes)"
export TUNLANE_BPF=off
tl3_pair 2 2
for ifn in "$IF_A" "$IF_B"; do
	n=$(grep -c "BPF steering" "$TL_TMP/up-$ifn.out" || true)
	grep -q "BPF steering off" "$TL_TMP/up-$ifn.out" && ((n == 1)) ||
		fail "$ifn: expected one 'BPF steering off' line from tunlane up, got: $(grep BPF "$TL_TMP/up-$ifn.out")"
done
tl_ping_until "$NS_A" "$TB4" 15 || fail "A -> B: no ping reply within 15 s"
tl_iperf "$NS_A" "$TB4" 5201 "$TL_TMP/a2b.json" -P 4 -n 64M
tl_check_tcp "$TL_TMP/a2b.json" $((64 << 20)) "TCP -P 4 A -> B (no BPF)"
tl_iperf "$NS_B" "$TA4" 5202 "$TL_TMP/b2a.json" -P 4 -n 64M
tl_check_tcp "$TL_TMP/b2a.json" $((64 << 20)) "TCP -P 4 B -> A (no BPF)"
f=$TL_TMP/show.json
lanes_tx() {
	tl_show_json "$NS_A" "$IF_A" "$f"
	read -r tx0 tx1 lanes < <("$TL_PY" "$TL_TOOL" jget '"%d %d %s" % (d["lanes"][0]["tx_bytes"], d["lanes"][1]["tx_bytes"], ",".join(str(x) for x in d["peers"][0].get("lanes", [])))' "$f")
	log "A: lane 0 sent $tx0 bytes, lane 1 $tx1; live lanes [$lanes]"
}
lanes_tx
# Without BPF the kernel's flow hash alone spreads the flows: all eight
# can land on one lane (1 in 128), so one more round with new flows.
if ! ((tx0 > 1 << 20 && tx1 > 1 << 20)); then
	note "the flows hashed to one lane; one more round with new flows"
	tl_iperf "$NS_A" "$TB4" 5203 "$TL_TMP/a2b-2.json" -P 8 -n 64M
	lanes_tx
fi
((tx0 > 1 << 20 && tx1 > 1 << 20)) || fail "A: lanes sent $tx0 and $tx1 bytes, expected both to carry data"
[[ $lanes = 0,1 ]] || fail "A: live lanes [$lanes], expected [0,1]"
pass "TUNLANE_BPF=off: one log line, flows spread by the kernel, both lanes live"
