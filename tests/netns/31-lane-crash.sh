#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# A lane killed with SIGKILL during a transfer: Lanes = 2 on both ends
# (`tunlane up`), iperf3 -P 4 for 12 s, and `kill -9` of the sender's busiest
# lane a few seconds in. The master must start a new lane process (a new pid
# in `tunlane show --json`) within 1 s, that lane's `restarts` must be 1 (the
# others' 0), the respawned lane must carry traffic again, and iperf3 must end
# with exit 0, no error, and bytes sent after the kill.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-up.sh"

tl3_require "needs tunlaned (lanes)"
LANES=2
SECS=12
RESPAWN_MS=1000

tl3_pair "$LANES" "$LANES"
tl_ping_until "$NS_A" "$TB4" 15 || fail "no ping reply through the tunnel within 15 s"

# Cheap reads for polling (no Python): the one-line JSON of `show --json`.
show_raw() { TL_T=5 nsx "$NS_A" "$TL_CLI" show "$IF_A" --json 2>/dev/null; }
lane_pid() { sed -n "s/.*{\"lane\": $1, \"pid\": \(-\?[0-9]*\),.*/\1/p" <<<"$2"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

f0=$TL_TMP/show-0.json
tl_show_json "$NS_A" "$IF_A" "$f0"
base=$("$TL_PY" "$TL_TOOL" jget 'sum(l["rx_bytes"] + l["tx_bytes"] for l in d["lanes"])' "$f0")

tl_iperf_server "$NS_B" 5201
out=$TL_TMP/tcp.json
timeout 60 ip netns exec "$NS_A" iperf3 -c "$TB4" -p 5201 -t "$SECS" -P 4 --connect-timeout 5000 -J >"$out" 2>"$out.err" &
IPERF=$!
TL_PIDS+=("$IPERF")
t_start=$(now_ms)

# Wait for traffic (>= 20 MB through the lanes, and 3 s into the transfer).
end=$((SECONDS + 10))
while :; do
	f=$TL_TMP/show-1.json
	tl_show_json "$NS_A" "$IF_A" "$f"
	moved=$("$TL_PY" "$TL_TOOL" jget "sum(l['rx_bytes'] + l['tx_bytes'] for l in d['lanes']) - $base" "$f")
	((moved >= 20000000 && $(now_ms) - t_start >= 3000)) && break
	_tl_alive "$IPERF" || fail "iperf3 ended early: $(cat "$out.err") $(head -c 500 "$out")"
	((SECONDS < end)) || fail "only $moved bytes through the lanes 10 s into the transfer"
	sleep 0.2
done
# The victim: the lane that has carried the most since the start.
read -r victim old_pid < <("$TL_PY" -c '
import json, sys
a = {l["lane"]: l for l in json.load(open(sys.argv[1]))["lanes"]}
b = {l["lane"]: l for l in json.load(open(sys.argv[2]))["lanes"]}
v = max(b, key=lambda i: b[i]["rx_bytes"] + b[i]["tx_bytes"] - a[i]["rx_bytes"] - a[i]["tx_bytes"])
print(v, b[v]["pid"])' "$f0" "$f")
((old_pid > 0)) || fail "lane $victim has pid $old_pid"
[[ $(ps -o ppid= -p "$old_pid" | tr -d ' ') = $(tl3_master_pid "$IF_A") ]] ||
	fail "lane $victim pid $old_pid is not a child of $IF_A's master"
# What `wg show` counts for the peer must not go backwards with the lane.
sent_before=$(wgx "$NS_A" show "$IF_A" transfer | awk '{ print $3 }')
log "$moved bytes moved; killing lane $victim (pid $old_pid) with SIGKILL"
kill -KILL "$old_pid"
t_kill=$(now_ms)
kill_epoch=$(date +%s.%N)

# Poll every 50 ms for a new pid in that lane's slot.
new_pid=
while :; do
	raw=$(show_raw) || true
	p=$(lane_pid "$victim" "$raw")
	t=$(($(now_ms) - t_kill))
	if [[ -n $p && $p -gt 0 && $p != "$old_pid" ]]; then
		new_pid=$p
		break
	fi
	((t < 5000)) || break
	sleep 0.05
done
[[ -n $new_pid ]] || fail "lane $victim: no new pid within 5 s of kill -9 (last show: ${raw:-none})"
((t <= RESPAWN_MS)) || fail "lane $victim: new pid $new_pid seen only $t ms after kill -9, expected <= $RESPAWN_MS ms"
_tl_alive "$old_pid" && [[ $(ps -o stat= -p "$old_pid") != Z* ]] && fail "killed lane pid $old_pid still alive"
log "lane $victim respawned as pid $new_pid, seen $t ms after the kill"
sent_after=$(wgx "$NS_A" show "$IF_A" transfer | awk '{ print $3 }')
((sent_after >= sent_before)) ||
	fail "wg show's sent bytes went back from $sent_before to $sent_after when lane $victim died"

f2=$TL_TMP/show-2.json
tl_show_json "$NS_A" "$IF_A" "$f2"
restarts=$("$TL_PY" "$TL_TOOL" jget '" ".join(str(l["restarts"]) for l in d["lanes"])' "$f2")
want=$("$TL_PY" -c "print(' '.join('1' if i == $victim else '0' for i in range($LANES)))")
[[ $restarts = "$want" ]] || fail "restarts per lane are '$restarts', expected '$want'"
at_respawn=$("$TL_PY" "$TL_TOOL" jget "[l for l in d['lanes'] if l['lane'] == $victim][0]['rx_bytes'] + [l for l in d['lanes'] if l['lane'] == $victim][0]['tx_bytes']" "$f2")

# iperf3 must finish cleanly.
rc=0
wait "$IPERF" || rc=$?
((rc == 0)) || fail "iperf3 client exited $rc: $(cat "$out.err") $("$TL_PY" "$TL_TOOL" jget 'd.get("error", "")' "$out" 2>/dev/null)"
err=$("$TL_PY" "$TL_TOOL" jget 'd.get("error", "")' "$out") || fail "iperf3 output is not JSON"
[[ -z $err ]] || fail "iperf3 error: $err"
read -r after total got < <("$TL_PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
# timesecs is rounded down, so intervals counted here began after the kill.
off = float(sys.argv[2]) - d["start"]["timestamp"]["timesecs"]
after = sum(i["sum"]["bytes"] for i in d["intervals"] if i["sum"]["start"] >= off)
print(after, d["end"]["sum_sent"]["bytes"], d["end"]["sum_received"]["bytes"])' "$out" "$kill_epoch")
((after > 0)) || fail "iperf3 sent no bytes after the kill (total sent $total)"
((got > 0)) || fail "iperf3: receiver counted no bytes"
log "iperf3: exit 0, $total bytes sent ($after after the kill), $got received"

# The respawned lane works: it carried traffic after it came back.
f3=$TL_TMP/show-3.json
tl_show_json "$NS_A" "$IF_A" "$f3"
now_bytes=$("$TL_PY" "$TL_TOOL" jget "[l for l in d['lanes'] if l['lane'] == $victim][0]['rx_bytes'] + [l for l in d['lanes'] if l['lane'] == $victim][0]['tx_bytes']" "$f3")
lane_after=$((now_bytes - at_respawn))
((lane_after > 1000000)) || fail "respawned lane $victim carried only $lane_after bytes after the respawn"
pid3=$(lane_pid "$victim" "$(cat "$f3")")
[[ $pid3 = "$new_pid" ]] || fail "lane $victim pid changed again ($new_pid -> $pid3) after the respawn"
log "respawned lane $victim carried $lane_after bytes after the respawn; lanes now: $(grep -o '"lane": [0-9]*, "pid": [0-9]*' "$f3" | tr -d '"' | tr '\n' ' ')"
pass "lane $victim killed mid-transfer: respawned in <= $t ms, restarts=1, iperf3 completed ($after bytes after the kill)"
