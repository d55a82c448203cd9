#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# WireGuard's namespace model: the interface is born in A (where its UDP
# sockets stay) and moved into C, renamed there, and moved back; tunlaned
# keeps running through all of it and traffic flows from C over A's veth.
# `wg show` and `tunlane show` work from A by the birth name, `tunlane
# down` from A stops it wherever the interface is and whatever its name.
# While it is in C, Lanes cannot grow past what the daemon ever had (a new
# queue attaches by name: EXDEV) but can shrink and grow back (a retired
# lane's queue attaches again without a name).
# Deleting the interface in C (a real deletion) stops the daemon.
# Namespace awareness: from B, `down` and `show IF` of A's name say
# "IF belongs to another network namespace", `show` lists only B's, and
# B can bring up an interface of that name of its own.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-up.sh"

tl3_require "needs tunlaned and tunlane up"
NS_C=tl-$$-c
ip netns add "$NS_C" || fail "ip netns add $NS_C"
TL_NSS+=("$NS_C")
ip -n "$NS_C" link set lo up
tl3_pair 2 2
TL_IFNS[$IF_A]=$NS_A TL_IFNS[$IF_B]=$NS_B
MASTER=$(tl3_master_pid "$IF_A")
((MASTER > 0)) || fail "no master pid for $IF_A"
tl_ping_until "$NS_A" "$TB4" 15 || fail "no ping before the move"

alive() { sleep 1.5; kill -0 "$MASTER" 2>/dev/null || fail "tunlaned exited after $1: $(tail -n 5 "$TL_TMP"/*.log 2>/dev/null)"; }
# into C: addresses go with the move, so C sets its own, as a container would
ip -n "$NS_A" link set "$IF_A" netns "$NS_C" || fail "cannot move $IF_A into $NS_C"
alive "a move to another namespace"
ip -n "$NS_C" addr add "$TA4/24" dev "$IF_A"
ip -n "$NS_C" link set "$IF_A" up
tl_ping_until "$NS_C" "$TB4" 15 || fail "no ping from $NS_C through the moved interface"
tl_iperf_server "$NS_B" 5201
timeout --foreground 60 ip netns exec "$NS_C" iperf3 -c "$TB4" -p 5201 --connect-timeout 5000 -J -n 16M -P 4 >"$TL_TMP/tcp.json" 2>&1 ||
	fail "iperf3 from $NS_C: $(tail -c 300 "$TL_TMP/tcp.json")"
tl_check_tcp "$TL_TMP/tcp.json" $((16 << 20)) "TCP from $NS_C, sockets in $NS_A"
wgx "$NS_A" show "$IF_A" peers | grep -qx "$KB_PUB" || fail "wg show $IF_A from the birth namespace"
# Lanes while moved: a new queue would attach by name, which here names
# nothing (EXDEV, nothing changes); a retired lane's queue attaches again
# without one.
[[ $(tl3_request "$NS_A" "$IF_A" 'tunlane_set_lanes=3\n\n') = errno=18 ]] || fail "Lanes 2 -> 3 while moved was not refused with EXDEV"
[[ $(tl3_lane_pids "$IF_A" | wc -w) = 2 ]] || fail "a refused Lanes change left lanes '$(tl3_lane_pids "$IF_A")'"
[[ $(tl3_request "$NS_A" "$IF_A" 'tunlane_set_lanes=1\n\n') = errno=0 ]] || fail "Lanes 2 -> 1 while moved failed"
[[ $(tl3_request "$NS_A" "$IF_A" 'tunlane_set_lanes=2\n\n') = errno=0 ]] || fail "Lanes 1 -> 2 (the retired queue) while moved failed"
tl_ping "$NS_C" "$TB4" 3 5 3 >/dev/null || fail "no ping from $NS_C after Lanes 2 -> 1 -> 2 while moved"
TL_T=10 nsx "$NS_A" "$TL_CLI" show "$IF_A" >"$TL_TMP/show-a.txt" 2>&1 || fail "tunlane show from $NS_A: $(cat "$TL_TMP/show-a.txt")"
grep -q "lanes: 2" "$TL_TMP/show-a.txt" || fail "tunlane show from $NS_A: $(cat "$TL_TMP/show-a.txt")"
# renamed in C, then moved back to A under its new name
NEW=tlr$$
ip -n "$NS_C" link set "$IF_A" down
ip -n "$NS_C" link set "$IF_A" name "$NEW" || fail "cannot rename"
alive "a rename"
ip -n "$NS_C" link set "$NEW" netns "$NS_A" || fail "cannot move back"
alive "a move back"
ip -n "$NS_A" addr add "$TA4/24" dev "$NEW"
ip -n "$NS_A" link set "$NEW" up
tl_ping_until "$NS_A" "$TB4" 15 || fail "no ping after the move back"

# From B: another namespace's daemon is not B's to stop or show.
rc=0
TL_T=10 nsx "$NS_B" "$TL_CLI" down "$IF_A" >"$TL_TMP/out" 2>&1 || rc=$?
[[ $rc = 1 && $(cat "$TL_TMP/out") = "tunlane: $IF_A belongs to another network namespace" ]] ||
	fail "down from B: exit $rc, '$(cat "$TL_TMP/out")'"
kill -0 "$MASTER" || fail "down from B stopped A's daemon"
rc=0
TL_T=10 nsx "$NS_B" "$TL_CLI" show "$IF_A" >"$TL_TMP/out" 2>&1 || rc=$?
[[ $rc = 1 && $(cat "$TL_TMP/out") = "tunlane: $IF_A belongs to another network namespace" ]] ||
	fail "show $IF_A from B: exit $rc, '$(cat "$TL_TMP/out")'"
names=$(TL_T=10 nsx "$NS_B" "$TL_CLI" show interfaces)
[[ " $names " = *" $IF_B "* && " $names " != *" $IF_A "* ]] || fail "show interfaces in B: '$names'"
# B may run a name of its own that A also runs (85 tests it in depth).
mkdir -p "$TL_TMP/b" && sed 's/^ListenPort = .*/ListenPort = 51830/' "$CONF_A" >"$TL_TMP/b/$IF_A.conf"
chmod 600 "$TL_TMP/b/$IF_A.conf"
TL_T=30 nsx "$NS_B" "$TL_CLI" up "$TL_TMP/b/$IF_A.conf" >"$TL_TMP/out" 2>&1 ||
	fail "up of $IF_A in B: $(cat "$TL_TMP/out")"
kill -0 "$MASTER" || fail "up in B disturbed A's daemon"
TL_T=20 nsx "$NS_B" "$TL_CLI" down "$IF_A" >"$TL_TMP/out" 2>&1 || fail "down of B's $IF_A: $(cat "$TL_TMP/out")"
kill -0 "$MASTER" || fail "down of B's $IF_A stopped A's daemon"

# down from A by the birth name: the renamed interface goes too.
TL_T=20 nsx "$NS_A" "$TL_CLI" down "$IF_A" >"$TL_TMP/out" 2>&1 || fail "down from A: $(cat "$TL_TMP/out")"
tl_wait_exit "$MASTER" 5 || fail "daemon still running after down"
ip -n "$NS_A" link show "$NEW" >/dev/null 2>&1 && fail "$NEW still exists after down"

# A real deletion, in C, stops the daemon.
tl3_up "$NS_A" "$CONF_A"
MASTER=$(tl3_master_pid "$IF_A")
ip -n "$NS_A" link set "$IF_A" netns "$NS_C"
alive "a second move"
ip -n "$NS_C" link del "$IF_A"
tl_wait_exit "$MASTER" 5 || fail "daemon still running 5 s after its interface was deleted in $NS_C"
[[ -e /var/run/wireguard/$IF_A.sock ]] && fail "socket left after the deletion"
pass "moved, renamed, moved back with traffic; down and show from the birth namespace; deletion in C detected"
