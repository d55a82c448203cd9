#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Lane counts that do not match (A: Lanes = 2, B: Lanes = 1) must be visible:
# A's lane 1 sends to B's port + 1, where nothing listens, so it never
# completes a handshake. After traffic on several flows (16 UDP flows, so
# both of A's lanes get some), `tunlane show` (human) flags lane 1 with
# "NONE" and not lane 0, and `show --json` has latest_handshake null for lane 1
# (which tried, without per-peer lanes; with them it knows not to) and > 0
# for lane 0, even though the
# peer's latest_handshake (the newest of any lane) is > 0. B, whose only
# lane works, shows no "NONE".
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-up.sh"

tl3_require "needs tunlaned (lanes)"

tl3_pair 2 1
# 16 UDP flows (fixed source ports) to the discard port on B's tunnel address.
flows() { tl_udp_flows "$NS_A" "$TB4" 5 0.1; }
f=$TL_TMP/show.json
bpf=1
[[ ${TUNLANE_BPF:-on} = off ]] && bpf=0
end=$((SECONDS + 20))
while :; do
	flows || fail "could not send UDP flows into $IF_A"
	tl_show_json "$NS_A" "$IF_A" "$f"
	read -r hs0 hs1 tx1 peer_hs < <("$TL_PY" "$TL_TOOL" jget '"%d %d %d %d" % ((d["lanes"][0]["latest_handshake"] or 0), (d["lanes"][1]["latest_handshake"] or 0), d["lanes"][1]["tx_packets"], (d["peers"][0]["latest_handshake"] or 0))' "$f")
	# With per-peer lanes (BPF steering, the default) lane 1 need not even
	# try: B's lane 0 session says B runs one lane. Without, it tries.
	((hs0 > 0 && (tx1 > 0 || bpf))) && break
	((SECONDS < end)) || fail "after 20 s of traffic: lane 0 latest_handshake $hs0, lane 1 tx_packets $tx1 (expected a handshake on lane 0)"
	sleep 0.5
done
# Give lane 1 time to get an answer, if one could come.
sleep 2
flows
tl_show_json "$NS_A" "$IF_A" "$f"
read -r hs0 hs1 tx1 rx1 peer_hs n < <("$TL_PY" "$TL_TOOL" jget '"%d %d %d %d %d %d" % ((d["lanes"][0]["latest_handshake"] or 0), (d["lanes"][1]["latest_handshake"] or 0), d["lanes"][1]["tx_packets"], d["lanes"][1]["rx_packets"], (d["peers"][0]["latest_handshake"] or 0), len(d["lanes"]))' "$f")
((n == 2)) || fail "$IF_A: show --json lists $n lanes, expected 2"
((hs0 > 0)) || fail "$IF_A lane 0: latest_handshake $hs0, expected > 0"
((hs1 == 0)) || fail "$IF_A lane 1: latest_handshake $hs1, expected 0 (the peer has one lane)"
# "never" is null in the JSON, as for a peer without an endpoint.
"$TL_PY" "$TL_TOOL" jget 'd["lanes"][1]["latest_handshake"] is None' "$f" | grep -qx 1 ||
	fail "$IF_A lane 1: latest_handshake is not null in the JSON"
((peer_hs > 0)) || fail "$IF_A: peer latest_handshake $peer_hs, expected > 0 (newest of any lane)"
if ((bpf)); then
	lanes=$("$TL_PY" "$TL_TOOL" jget '",".join(str(x) for x in d["peers"][0].get("lanes", []))' "$f")
	[[ $lanes = 0 ]] || fail "$IF_A: the 1-lane peer's live lanes are [$lanes], expected [0]"
fi
log "$IF_A JSON: lane 0 latest_handshake $hs0; lane 1 latest_handshake 0 after $tx1 packets sent, $rx1 received"

human=$(TL_T=10 nsx "$NS_A" "$TL_CLI" show "$IF_A") || fail "tunlane show $IF_A failed"
log "tunlane show $IF_A:"
while IFS= read -r line; do log "    $line"; done <<<"$human"
# The lanes table: rows that start with the lane number.
row0=$(awk '$1 == "0" && NF > 5' <<<"$human")
row1=$(awk '$1 == "1" && NF > 5' <<<"$human")
[[ -n $row0 && -n $row1 ]] || fail "tunlane show $IF_A: no lane rows for lanes 0 and 1"
[[ $row1 = *NONE* ]] || fail "tunlane show $IF_A: lane 1's row does not flag the missing handshake (no 'NONE'): '$row1'"
[[ $row0 != *NONE* ]] || fail "tunlane show $IF_A: lane 0's row says NONE though it has a handshake: '$row0'"

human_b=$(TL_T=10 nsx "$NS_B" "$TL_CLI" show "$IF_B") || fail "tunlane show $IF_B failed"
[[ $human_b != *NONE* ]] || fail "tunlane show $IF_B (1 lane, working) says NONE:"$'\n'"$human_b"
pass "2 lanes against 1: lane 1 flagged NONE in show, latest_handshake null in JSON"
