#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# A hub lane killed with kill -9 mid-transfer (lib-hub.sh: Lanes = 2, 4
# stock wireguard-go clients, tunlane clients with Lanes = 4 and 1): every
# client runs iperf3 --bidir at a moderate rate with 0.5 s intervals, and
# 3 s in, lane 1 of the hub is killed. Its peers' traffic moves to their
# other live lanes at once (the Lanes = 4 client) or waits on its tun queue
# for the respawned lane, which initiates to every peer it held at their
# last known endpoints (the stock clients, whose endpoints it learned, and
# the Lanes = 1 client, which keeps its session that way). So, for EVERY
# client, whichever lane it was on:
#   - no transfer fails (no connection reset);
#   - no stream stalls for more than 2 s, in either direction;
#   - it still sends to the hub's address on its own link: the respawned
#     lane answers each client from the address that client talks to, even
#     when the answers to several clients are handled in one batch (a hub
#     with one address per link; a client that roamed to another link's
#     address could reach the hub no more);
#   - it is on a live hub lane at the end (the Lanes = 4 client on 0 and 1).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-up.sh"
HUB_STOCK=4
. "$(dirname "$0")/lib-hub.sh"

tl3_require "needs tunlaned (lanes)"
command -v "$TL_PEER" >/dev/null || fail "reference peer '$TL_PEER' not found"
hub_setup

f=$TL_TMP/hub.json
hub_wait_lanes "$f" t4 0,1 20 ||
	fail "after 20 s the hub's live lanes for the Lanes = 4 client are not [0,1]"
on1=()
for n in "${HUB_CLIENTS[@]}"; do
	[[ $(hub_lanes_of "$f" "$n") = *1* ]] && on1+=("$n")
done
pid=$("$TL_PY" "$TL_TOOL" jget 'd["lanes"][1]["pid"]' "$f")
log "hub lane 1 (pid $pid) hosts clients: ${on1[*]}"

(sleep 3 && kill -9 "$pid") &
TL_PIDS+=("$!")
hub_iperf_all -t 8 -i 0.5 -b 20M

for n in "${HUB_CLIENTS[@]}"; do
	read -r err stall < <("$TL_PY" "$TL_TOOL" jget '"%s %.1f" % (d.get("error", "-").replace(" ", "_") or "-", max(max(len(r) for r in "".join("0" if i[k]["bytes"] == 0 else "x" for i in d["intervals"]).split("x")) * 0.5 for k in ("sum", "sum_bidir_reverse")))' "$TL_TMP/iperf-$n.json")
	[[ $err = - ]] || fail "client $n: iperf3 error after the lane was killed: $err"
	log "client $n: longest stall $stall s"
	"$TL_PY" -c "import sys; sys.exit(0 if $stall <= 2.0 else 1)" ||
		fail "client $n: traffic stalled for $stall s (> 2 s)"
done
hub_json "$f"
read -r restarts newpid < <("$TL_PY" "$TL_TOOL" jget '"%d %d" % (d["lanes"][1]["restarts"], d["lanes"][1]["pid"])' "$f")
((restarts >= 1 && newpid != pid)) || fail "hub lane 1 was not restarted (restarts $restarts, pid $newpid)"
for n in "${HUB_CLIENTS[@]}"; do
	ep=$(hub_endpoint_of "$n")
	[[ $ep = "${HUB_LINK[$n]}:$HUB_PORT" ]] ||
		fail "client $n: sends to the hub at $ep, not at ${HUB_LINK[$n]}:$HUB_PORT (its link's address)"
	l=$(hub_lanes_of "$f" "$n")
	case $n in
	t4) [[ $l = 0,1 ]] || fail "Lanes = 4 client: on hub lanes [$l] at the end, expected [0,1]" ;;
	*) [[ $l =~ ^[01]$ ]] || fail "client $n: on hub lanes [$l] at the end, expected exactly one" ;;
	esac
done
pass "kill -9 of a hub lane: no reset, every client resumes within 2 s, keeps its endpoint and is live again"
