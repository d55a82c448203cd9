#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# tunshare with stock OpenVPN: two sites (namespaces joined by veth), each
# running two OpenVPN lanes (TLS point-to-point, pinned self-signed
# certificates) as the queues of one multi-queue tun. Eight TCP flows cross
# the tunnel, and by OpenVPN's own --status counters every OpenVPN process
# carries at least 10% of its site's bytes. Site A runs its lanes as nobody
# (--user), site B as root. TS_LANES=N sets the lanes per
# site (default 2), to compare throughput.
set -euo pipefail
. "$(dirname "$0")/lib-tunshare.sh"
. "$(dirname "$0")/lib-openvpn.sh"
LANES=${TS_LANES:-2}
# Site A's lanes run without privileges (tunshare --user nobody): they get
# the queues tunshare opened for them, the device stays root's.
TS_USER_A=nobody
ts_openvpn_sites "$LANES"

# Both devices are multi-queue, with one attached queue per lane.
for x in "$NS_A:$DEV_A" "$NS_B:$DEV_B"; do
	d=$(ip -n "${x%%:*}" -d link show "${x#*:}")
	[[ $d == *multi_queue* && $d == *"numqueues $LANES "* ]] ||
		fail "${x#*:} is not multi-queue with $LANES queues: $d"
done

# share ROUND: runs iperf3 -P 8 and checks every process's share of its
# site's TCP/UDP bytes; returns 1 (with a note) if one was under 10%.
share() {
	local round=$1 s l before after total ok=0 f
	declare -A b0 d
	sleep 1.2 # the status files are rewritten every second
	for s in a b; do for ((l = 0; l < LANES; l++)); do
		b0[$s$l]=$(ts_status "$TL_TMP/status-$s-$l.txt")
	done; done
	tl_iperf "$NS_A" "$TB4" $((5201 + round)) "$TL_TMP/tcp8-$round.json" -P 8 -t 5
	tl_check_tcp "$TL_TMP/tcp8-$round.json" $((20 << 20)) "TCP A->B, 8 flows, round $round"
	sleep 1.5
	for s in a b; do
		total=0
		for ((l = 0; l < LANES; l++)); do
			after=$(ts_status "$TL_TMP/status-$s-$l.txt")
			d[$s$l]=$((after - b0[$s$l]))
			total=$((total + d[$s$l]))
		done
		((total > 0)) || fail "site $s: the status files show no traffic"
		for ((l = 0; l < LANES; l++)); do
			f="site $s lane $l: ${d[$s$l]} of $total bytes ($((100 * d[$s$l] / total))%)"
			log "$f"
			SHARES+="$f; "
			((100 * d[$s$l] >= 10 * total)) || ok=1
		done
	done
	return $ok
}

# The flows' hash decides their lane, so a round where all 8 flows hash
# to one lane (probability 2/256) is retried once with new flows (new
# source ports), and said so.
SHARES=
if ! share 1; then
	note "round 1: a process carried under 10% (flows hashed unevenly); trying new flows"
	SHARES=
	share 2 || fail "a process carried under 10% of the bytes in two rounds: $SHARES"
fi
for s in A B; do
	pid=TS_PID_$s
	_tl_alive "${!pid}" || fail "tunshare on site $s died"
done
ts_show "$NS_A" "$DEV_A" >"$TL_TMP/show-a.txt" || fail "tunshare show failed"
grep -q '^  queue 1: tx [1-9]' "$TL_TMP/show-a.txt" || fail "tunshare show: no traffic on queue 1: $(cat "$TL_TMP/show-a.txt")"
pass "$SHARES"
