#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `tunlane up` then `tunlane down`, several cycles with Lanes = 1 and 3, on
# both ends of a tunnel with traffic in between. After `up`: the interface
# has its address, MTU 1420 and the route to the peer, every lane has a pid
# (children of one master) and the socket and stats page exist; a second
# `up` of the same config fails without disturbing it. When `down` returns
# (by IFNAME on one side, by config path on the other): no interface, no
# tunlaned process (the pids from `show --json`, and `ps`), no socket, no
# stats page; a second `down` says it is not up.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-up.sh"

tl3_require "needs tunlaned and tunlane up/down"
CYCLES=(1 3 1 3)

tl_setup_ns
tl_genkey KA
tl_genkey KB
CONF_A=$TL_TMP/$IF_A.conf CONF_B=$TL_TMP/$IF_B.conf
TL_IFS+=("$IF_A" "$IF_B")
TL3_UP+=("$IF_A" "$IF_B")

# PIDS (global): master and lane pids of NS IF, checked for consistency.
pids_of() {
	local ns=$1 ifn=$2 lanes=$3 f=$TL_TMP/show-$2.json master p pp
	tl_show_json "$ns" "$ifn" "$f"
	mapfile -t PIDS < <("$TL_PY" "$TL_TOOL" jget '"\n".join(str(l["pid"]) for l in d["lanes"])' "$f")
	((${#PIDS[@]} == lanes)) || fail "$ifn: show --json lists ${#PIDS[@]} lanes, expected $lanes"
	master=$(tl3_master_pid "$ifn")
	((master > 0)) || fail "$ifn: no master pid in $(tl_state "$ifn" stats)"
	for p in "${PIDS[@]}"; do
		((p > 0)) || fail "$ifn: a lane has pid $p after up returned"
		pp=$(ps -o ppid= -p "$p" | tr -d ' ')
		[[ $pp = "$master" ]] || fail "$ifn: lane pid $p has parent '$pp', expected the master $master"
		[[ $(ps -o comm= -p "$p") = tunlaned ]] || fail "$ifn: pid $p is not tunlaned"
	done
	PIDS+=("$master")
}

# gone NS IF WHAT PIDS...: nothing of IF left, checked as soon as down returned.
gone() {
	local ns=$1 ifn=$2 what=$3 p st left=()
	shift 3
	# A zombie has exited and released everything; reaping it is its
	# parent's job (init here, as the daemon detached), not ours.
	for p in "$@"; do
		st=$(ps -o stat= -p "$p" 2>/dev/null) || continue
		[[ $st = Z* ]] || left+=("pid $p ($(ps -o stat=,args= -p "$p"))")
	done
	p=$(ps -eo pid=,comm=,args= | awk -v i="$ifn" '$2 == "tunlaned" && $NF == i { print $1 }' | tr '\n' ' ')
	[[ -z $p ]] || left+=("tunlaned process(es) for $ifn in ps: $p")
	ip -n "$ns" link show "$ifn" >/dev/null 2>&1 && left+=("interface $ifn")
	[[ -e /var/run/wireguard/$ifn.sock ]] && left+=("/var/run/wireguard/$ifn.sock")
	[[ -e $(tl_state "$ifn" stats) ]] && left+=("$(tl_state "$ifn" stats)")
	((${#left[@]} == 0)) || fail "$what returned 0 but left: ${left[*]}"
}

down() { # NS IF ARG WHAT
	local out
	out=$(TL_T=20 nsx "$1" "$TL_CLI" down "$3" 2>&1) || fail "$4 failed: $out"
}

cycle=0
for lanes in "${CYCLES[@]}"; do
	cycle=$((cycle + 1))
	tl3_conf "$CONF_A" "$KA_KEY" "$PORT_A" "$TA4/24" "$lanes" "$KB_PUB" "$TB4/32" "$B4:$PORT_B"
	tl3_conf "$CONF_B" "$KB_KEY" "$PORT_B" "$TB4/24" "$lanes" "$KA_PUB" "$TA4/32" "$A4:$PORT_A"
	tl3_up "$NS_A" "$CONF_A"
	tl3_up "$NS_B" "$CONF_B"
	for side in A B; do
		ns=NS_$side ifn=IF_$side
		[[ -S /var/run/wireguard/${!ifn}.sock ]] || fail "cycle $cycle: no socket for ${!ifn} after up"
		[[ -e $(tl_state "${!ifn}" stats) ]] || fail "cycle $cycle: no stats page for ${!ifn} after up"
		link=$(ip -n "${!ns}" -o link show "${!ifn}") || fail "cycle $cycle: no interface ${!ifn} after up"
		[[ $link = *" mtu 1420 "* && $link = *UP* ]] || fail "cycle $cycle: ${!ifn} not up with MTU 1420: $link"
	done
	addrs=$(ip -n "$NS_A" -o addr show dev "$IF_A")
	[[ $addrs = *"inet $TA4/24 "* ]] || fail "cycle $cycle: $IF_A lacks $TA4/24: $addrs"
	route=$(ip -n "$NS_A" route show "$TB4/32")
	[[ $route = *"dev $IF_A"* ]] || fail "cycle $cycle: no route to $TB4/32 via $IF_A: '$route'"
	pids_of "$NS_A" "$IF_A" "$lanes"
	PIDS_A=("${PIDS[@]}")
	pids_of "$NS_B" "$IF_B" "$lanes"
	PIDS_B=("${PIDS[@]}")
	tl_ping_until "$NS_A" "$TB4" 15 || fail "cycle $cycle: no ping through the tunnel"
	TL_T=20 nsx "$NS_A" iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
	TL_PIDS+=("$!")
	sleep 0.3
	TL_T=20 nsx "$NS_B" iperf3 -c "$TA4" -p 5201 -n 16M -P "$lanes" --connect-timeout 5000 >/dev/null 2>&1 ||
		fail "cycle $cycle: iperf3 through the tunnel failed"

	if ((cycle == 1)); then
		rc=0
		out=$(TL_T=20 nsx "$NS_A" "$TL_CLI" up "$CONF_A" 2>&1) || rc=$?
		((rc == 1)) || fail "a second 'tunlane up' of a running interface exited $rc, expected 1: $out"
		grep -q "already exists" <<<"$out" || fail "a second 'tunlane up': '$out' does not say 'already exists'"
		pids_of "$NS_A" "$IF_A" "$lanes"
		[[ ${PIDS[*]} = "${PIDS_A[*]}" ]] || fail "a second 'tunlane up' changed the pids: ${PIDS_A[*]} -> ${PIDS[*]}"
		tl_ping "$NS_A" "$TB4" 2 5 2 >/dev/null || fail "the tunnel broke after a second 'tunlane up'"
		log "second up of a running interface: exit 1 ('$out'), running one untouched"
	fi

	down "$NS_A" "$IF_A" "$IF_A" "cycle $cycle: tunlane down $IF_A"
	gone "$NS_A" "$IF_A" "cycle $cycle: tunlane down $IF_A" "${PIDS_A[@]}"
	down "$NS_B" "$IF_B" "$CONF_B" "cycle $cycle: tunlane down $CONF_B"
	gone "$NS_B" "$IF_B" "cycle $cycle: tunlane down $CONF_B" "${PIDS_B[@]}"
	log "cycle $cycle (Lanes = $lanes): up, traffic, down by name and by config path: nothing left (pids ${PIDS_A[*]} / ${PIDS_B[*]})"
done

rc=0
out=$(TL_T=10 nsx "$NS_A" "$TL_CLI" down "$IF_A" 2>&1) || rc=$?
((rc == 1)) || fail "tunlane down of an interface already down exited $rc, expected 1: $out"
pass "${#CYCLES[@]} up/down cycles (Lanes ${CYCLES[*]}): nothing left behind"
