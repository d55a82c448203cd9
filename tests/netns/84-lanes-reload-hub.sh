#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# A hub (lib-hub.sh) with Lanes = 3 serving 6 stock wireguard-go clients, a
# tunlane client with Lanes = 4 and one with Lanes = 1, changes Lanes live
# with `tunlane reload`:
#   - 3 -> 1: lane 0 keeps its process; within 2 s every client is live on
#     the hub's lane 0 (the stock clients whose session was on a retired
#     lane because the hub's lane 0 initiated to them at once, the Lanes = 4
#     client's lanes 1 and 2 because they heard that the hub's retired),
#     and every client pings the hub;
#   - 1 -> 3: the Lanes = 4 client goes live on lanes 0, 1 and 2 again by
#     itself (on both sides), and every client still pings the hub.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-up.sh"
HUB_LANES=3 HUB_STOCK=6
. "$(dirname "$0")/lib-hub.sh"

tl3_require "needs tunlaned (lanes)"
command -v "$TL_PEER" >/dev/null || fail "reference peer '$TL_PEER' not found"
hub_setup
conf=$TL_TMP/$HUB_IF.conf
f=$TL_TMP/hub.json

# t4_lanes: the Lanes = 4 client's live lanes for the hub.
t4_lanes() {
	tl_show_json "${HUB_NS[t4]}" "${HUB_CIF[t4]}" "$TL_TMP/t4.json"
	"$TL_PY" "$TL_TOOL" jget '",".join(str(x) for x in d["peers"][0]["lanes"])' "$TL_TMP/t4.json"
}
hub_wait_lanes "$f" t4 0,1,2 20 || fail "the Lanes = 4 client is on the hub's lanes [$(hub_lanes_of "$f" t4)], expected [0,1,2]"
off0=0
for n in "${HUB_CLIENTS[@]}"; do
	[[ $n = t4 ]] && continue
	l=$(hub_lanes_of "$f" "$n")
	[[ $l =~ ^[012]$ ]] || fail "client $n on the hub's lanes [$l], expected exactly one"
	[[ $l = 0 ]] || off0=$((off0 + 1))
done
((off0 > 0)) || fail "all 7 single-lane clients on the hub's lane 0 (a chance of 1 in 2187)"
log "$off0 single-lane client(s) on the hub's lanes 1 and 2"
read -r p0 _ < <(tl3_lane_pids "$HUB_IF")

sed -i 's/^Lanes = 3$/Lanes = 1/' "$conf"
t0=${EPOCHREALTIME/./}
TL_T=20 nsx "$NS_A" "$TL_CLI" reload "$conf" >"$TL_TMP/reload.txt" 2>&1 ||
	fail "Lanes 3 -> 1: $(cat "$TL_TMP/reload.txt")"
read -r q0 rest < <(tl3_lane_pids "$HUB_IF")
[[ $q0 = "$p0" && -z $rest ]] || fail "Lanes 3 -> 1: lanes '$q0 $rest', lane 0 was $p0"
# Every peer on exactly lane 0, seen by a `show` that began within 2 s of
# the start of the reload.
while :; do
	ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
	hub_json "$f"
	off=$("$TL_PY" "$TL_TOOL" jget '" ".join(p["public_key"][:8] for p in d["peers"] if p["lanes"] != [0])' "$f")
	[[ -z $off ]] && break
	((ms < 2000)) || fail "peers $off not live on the hub's lane 0 alone $ms ms after the start of Lanes 3 -> 1"
	sleep 0.1
done
[[ $(t4_lanes) = 0 ]] || fail "the Lanes = 4 client still counts on the hub's retired lanes: [$(t4_lanes)]"
log "Lanes 3 -> 1: every client live on the hub's lane 0 alone within $ms ms of the reload's start"
for n in "${HUB_CLIENTS[@]}"; do
	tl_ping "${HUB_NS[$n]}" "$HUB_IP" 3 5 3 >/dev/null || fail "client $n: no ping to the hub after Lanes 3 -> 1"
done

sed -i 's/^Lanes = 1$/Lanes = 3/' "$conf"
TL_T=20 nsx "$NS_A" "$TL_CLI" reload "$conf" >"$TL_TMP/reload.txt" 2>&1 ||
	fail "Lanes 1 -> 3: $(cat "$TL_TMP/reload.txt")"
read -r r0 r1 r2 < <(tl3_lane_pids "$HUB_IF")
[[ $r0 = "$p0" && ${r2:-0} -gt 0 ]] || fail "Lanes 1 -> 3: lanes '$r0 $r1 ${r2:-}', lane 0 was $p0"
hub_wait_lanes "$f" t4 0,1,2 15 || fail "after Lanes 1 -> 3 the Lanes = 4 client is on the hub's lanes [$(hub_lanes_of "$f" t4)], expected [0,1,2]"
[[ $(t4_lanes) = 0,1,2 ]] || fail "after Lanes 1 -> 3 the Lanes = 4 client uses lanes [$(t4_lanes)], expected [0,1,2]"
for n in "${HUB_CLIENTS[@]}"; do
	tl_ping "${HUB_NS[$n]}" "$HUB_IP" 3 5 3 >/dev/null || fail "client $n: no ping to the hub after Lanes 1 -> 3"
done
pass "hub Lanes 3 -> 1 -> 3 live: stock clients of retired lanes back on lane 0 within 2 s, the Lanes = 4 client down to 1 lane and back to 3"
