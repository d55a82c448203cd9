#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# tunshare respawns a lane that dies: with 8 TCP flows running, SIGKILL one
# OpenVPN process of site B (a TLS client); tunshare logs its exit, starts
# a new one (a new pid in `tunshare show`), which attaches to the same
# device and handshakes again, and the transfer completes. Then the same
# for a process of site A (a TLS server, whose peer notices through
# --ping-restart). Afterwards every lane, new ones included, carries
# traffic again.
set -euo pipefail
. "$(dirname "$0")/lib-tunshare.sh"
. "$(dirname "$0")/lib-openvpn.sh"
LANES=2
ts_openvpn_sites "$LANES"

# kill_lane SITE NS DEV LANE: SIGKILLs that lane's OpenVPN and checks that
# tunshare logged it and runs a new one, handshaken, within 20 s.
kill_lane() {
	local s=$1 ns=$2 dev=$3 l=$4 old new ups i
	old=$(ts_lane_pid "$ns" "$dev" "$l")
	[[ $old =~ ^[0-9]+$ ]] || fail "tunshare show: no pid for lane $l: $(ts_show "$ns" "$dev")"
	ups=$(ts_up_count "$s" "$l")
	kill -KILL "$old"
	for ((i = 0; i < 100; i++)); do
		new=$(ts_lane_pid "$ns" "$dev" "$l")
		[[ $new =~ ^[0-9]+$ && $new != "$old" ]] && break
		sleep 0.1
	done
	[[ $new =~ ^[0-9]+$ && $new != "$old" ]] ||
		fail "site $s lane $l: no new pid in tunshare show 10 s after killing $old"
	grep -q "lane $l (pid $old) was killed by signal 9" "$TL_TMP/tunshare-$s.log" ||
		fail "tunshare did not log the exit of pid $old: $(tail -n 3 "$TL_TMP/tunshare-$s.log")"
	grep -q "lane $l started: pid $new" "$TL_TMP/tunshare-$s.log" ||
		fail "tunshare did not log the start of pid $new"
	ts_wait_up "$s" "$l" 20 $((ups + 1)) ||
		fail "site $s lane $l: the new OpenVPN (pid $new) did not handshake within 20 s"
	log "site $s lane $l: pid $old killed, pid $new took over and handshook"
}

# 1. Kill a client lane while 8 flows run; the transfer must complete.
tl_iperf_server "$NS_B" 5201
timeout 60 ip netns exec "$NS_A" iperf3 -c "$TB4" -p 5201 --connect-timeout 5000 -J -P 8 -t 8 \
	>"$TL_TMP/tcp-kill.json" 2>"$TL_TMP/tcp-kill.json.err" &
IPERF=$!
TL_PIDS+=("$IPERF")
sleep 3
kill_lane b "$NS_B" "$DEV_B" 1
wait "$IPERF" || fail "iperf3 across the kill failed: $(cat "$TL_TMP/tcp-kill.json.err")"
tl_check_tcp "$TL_TMP/tcp-kill.json" $((20 << 20)) "TCP A->B, 8 flows, site B lane 1 killed mid-way"

# 2. Kill a server lane; its peer restarts after --ping-restart (5 s).
kill_lane a "$NS_A" "$DEV_A" 0
ts_wait_up b 0 20 2 || fail "site B lane 0 did not handshake again with the new site A lane 0"
tl_ping_until "$NS_A" "$TB4" 10 || fail "no ping reply through the tunnel after the restarts"

# 3. Every lane carries traffic again.
declare -A b0
sleep 1.2
for s in a b; do for ((l = 0; l < LANES; l++)); do
	b0[$s$l]=$(ts_status "$TL_TMP/status-$s-$l.txt")
done; done
tl_iperf "$NS_A" "$TB4" 5202 "$TL_TMP/tcp-after.json" -P 8 -t 4
tl_check_tcp "$TL_TMP/tcp-after.json" $((20 << 20)) "TCP A->B, 8 flows, after the restarts"
sleep 1.5
R=
for s in a b; do for ((l = 0; l < LANES; l++)); do
	d=$(($(ts_status "$TL_TMP/status-$s-$l.txt") - b0[$s$l]))
	R+="site $s lane $l: $d bytes; "
	((d > 1000000)) || fail "site $s lane $l carried only $d bytes after the restarts ($R)"
done; done
pass "$R"
