#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# retry-once: known open bug: now and then one hub client moves under 256 KiB in its 4 s (about 1 run in 7 on 2 shared cores; README, Limitations)
# A hub with Lanes = 2 (lib-hub.sh) serving 8 stock wireguard-go clients, a
# tunlane client with Lanes = 4 and one with Lanes = 1, all at once:
#   - every client runs TCP both ways at once (iperf3 --bidir) and every
#     transfer completes;
#   - each stock client's session lives on exactly one hub lane, and both
#     hub lanes host stock clients (the kernel's hash spreads initiations:
#     all 9 single-lane clients on one lane has a chance of 1 in 256);
#   - the Lanes = 4 client uses exactly lanes 0 and 1 (on both sides), the
#     Lanes = 1 client exactly one lane;
#   - no no_route drop on the hub during the transfers;
#   - every client still sends to the hub's address on its own link (the
#     hub answers each handshake from the address it came to, even when
#     many arrive together).
# Prints each hub lane's share of the stock clients' bytes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-up.sh"
. "$(dirname "$0")/lib-hub.sh"

tl3_require "needs tunlaned (lanes)"
command -v "$TL_PEER" >/dev/null || fail "reference peer '$TL_PEER' not found"
hub_setup

f=$TL_TMP/hub.json
hub_wait_lanes "$f" t4 0,1 20 ||
	fail "after 20 s the hub's live lanes for the Lanes = 4 client are [$(hub_lanes_of "$f" t4)], expected [0,1]"
nr0=$(tl_drops "$NS_A" "$HUB_IF" no_route)

hub_iperf_all -t 4
for n in "${HUB_CLIENTS[@]}"; do
	read -r err up down < <("$TL_PY" "$TL_TOOL" jget '"%s %d %d" % (d.get("error", "-").replace(" ", "_") or "-", d["end"]["sum_received"]["bytes"], d["end"]["sum_received_bidir_reverse"]["bytes"])' "$TL_TMP/iperf-$n.json")
	[[ $err = - ]] || fail "client $n: iperf3 error: $err"
	((up >= 256 << 10 && down >= 256 << 10)) || fail "client $n: iperf3 --bidir moved only $up bytes up, $down down"
done
log "iperf3 --bidir -t 4: all ${#HUB_CLIENTS[@]} clients completed, both ways"
for n in "${HUB_CLIENTS[@]}"; do
	ep=$(hub_endpoint_of "$n")
	[[ $ep = "${HUB_LINK[$n]}:$HUB_PORT" ]] ||
		fail "client $n: sends to the hub at $ep, not at ${HUB_LINK[$n]}:$HUB_PORT (its link's address)"
done

hub_json "$f"
nr1=$(tl_drops "$NS_A" "$HUB_IF" no_route)
((nr1 == nr0)) || fail "hub: $((nr1 - nr0)) no_route drops during the transfers"
declare -A bytes_on=([0]=0 [1]=0) hosted=([0]=0 [1]=0)
for n in "${HUB_CLIENTS[@]}"; do
	l=$(hub_lanes_of "$f" "$n")
	case $n in
	t4) [[ $l = 0,1 ]] || fail "hub: Lanes = 4 client on lanes [$l], expected [0,1]"; continue ;;
	esac
	[[ $l =~ ^[01]$ ]] || fail "hub: client $n on lanes [$l], expected exactly one"
	[[ $n = t1 ]] && continue
	b=$("$TL_PY" "$TL_TOOL" jget "sum(p['rx_bytes'] + p['tx_bytes'] for p in d['peers'] if p['public_key'] == '${HUB_PUB[$n]}')" "$f")
	bytes_on[$l]=$((bytes_on[$l] + b))
	hosted[$l]=$((hosted[$l] + 1))
done
total=$((bytes_on[0] + bytes_on[1]))
log "hub: stock clients per lane: lane 0 ${hosted[0]}, lane 1 ${hosted[1]}; share of their bytes: lane 0 $((100 * bytes_on[0] / total))%, lane 1 $((100 * bytes_on[1] / total))%"
((hosted[0] > 0 && hosted[1] > 0)) || fail "hub: all stock clients on one lane (lane 0 ${hosted[0]}, lane 1 ${hosted[1]})"
read -r p0 p1 < <("$TL_PY" "$TL_TOOL" jget '"%d %d" % (d["lanes"][0]["peers"], d["lanes"][1]["peers"])' "$f")
log "hub: peers hosted per lane (show --json): lane 0 $p0, lane 1 $p1"
((p0 + p1 == ${#HUB_CLIENTS[@]} + 1)) || fail "hub: lanes host $p0 + $p1 peers, expected ${#HUB_CLIENTS[@]} + 1 (the Lanes = 4 client on both)"
tl_show_json "${HUB_NS[t4]}" "${HUB_CIF[t4]}" "$TL_TMP/t4.json"
l=$("$TL_PY" "$TL_TOOL" jget '",".join(str(x) for x in d["peers"][0]["lanes"])' "$TL_TMP/t4.json")
[[ $l = 0,1 ]] || fail "Lanes = 4 client: live lanes [$l] for the hub, expected [0,1]"
pass "hub Lanes = 2: ${HUB_STOCK} stock clients spread over both lanes, Lanes = 4 client on 2, Lanes = 1 client on 1, TCP both ways"
