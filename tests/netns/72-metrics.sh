#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `tunlane metrics` and `tunlane show --prometheus`: two sites with 2 lanes
# each; the exporter runs in A's namespace on its loopback, with no
# capability (as its unit runs it). Checks: both
# outputs pass `promtool check metrics`; the families a WireGuard dashboard
# reads are there with interface/public_key labels, and per-lane series
# for both lanes; during traffic (iperf3) a second scrape shows the peer's
# sent/received bytes and the lanes' byte and packet counters moved; an
# idle client that sends nothing (holding a connection) and an oversized
# request do not stop another scrape from being answered at once, nor do
# 40 idle connections (more than the exporter's 32 slots); out of file
# descriptors (EMFILE), the exporter does not spin.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-up.sh"

tl3_require "needs tunlaned (lanes)"
command -v curl >/dev/null || skip "curl not installed"
command -v promtool >/dev/null || skip "promtool (prometheus) not installed"
command -v setpriv >/dev/null || skip "setpriv (util-linux) not found"
tl3_pair 2 2
tl_ping_until "$NS_A" "$TB4" 15 || fail "no ping through the tunnel"

MPORT=19586
# As systemd/tunlane-metrics.service runs it: root, but no capability.
ip netns exec "$NS_A" setpriv --bounding-set -all --no-new-privs "$TL_CLI" metrics --listen "127.0.0.1:$MPORT" >"$TL_TMP/metrics.log" 2>&1 &
TL_PIDS+=($!)
scrape() { # OUT
	TL_T=10 nsx "$NS_A" curl -sS --max-time 5 -o "$1" -w '%{http_code} %{content_type}' \
		"http://127.0.0.1:$MPORT/metrics"
}
for ((i = 0; i < 50; i++)); do
	code=$(scrape "$TL_TMP/m1.txt" 2>/dev/null) && break
	sleep 0.1
done
[[ $code = "200 text/plain; version=0.0.4"* ]] || fail "first scrape: '$code': $(cat "$TL_TMP/metrics.log")"
out=$(promtool check metrics <"$TL_TMP/m1.txt" 2>&1) || fail "promtool rejects the exporter's output: $out"
TL_T=10 nsx "$NS_A" "$TL_CLI" show "$IF_A" --prometheus >"$TL_TMP/show.prom" || fail "show --prometheus failed"
out=$(promtool check metrics <"$TL_TMP/show.prom" 2>&1) || fail "promtool rejects show --prometheus: $out"

val() { # FILE SERIES: its value (the series must exist)
	local v
	v=$(grep -F "$2 " "$1" | awk '{ print $NF }')
	[[ -n $v ]] || fail "no series $2 in $(basename "$1"): $(grep -c . "$1") lines"
	echo "$v"
}
P="interface=\"$IF_A\",public_key=\"$KB_PUB\""
for f in "$TL_TMP/m1.txt" "$TL_TMP/show.prom"; do
	val "$f" "wireguard_latest_handshake_seconds{$P}" >/dev/null
	val "$f" "tunlane_interface_lanes{interface=\"$IF_A\"}" >/dev/null
	for l in 0 1; do
		val "$f" "tunlane_lane_up{interface=\"$IF_A\",lane=\"$l\"}" >/dev/null
		val "$f" "tunlane_lane_dropped_packets_total{interface=\"$IF_A\",lane=\"$l\",reason=\"replay\"}" >/dev/null
		val "$f" "tunlane_lane_restarts_total{interface=\"$IF_A\",lane=\"$l\"}" >/dev/null
		val "$f" "tunlane_lane_handshakes_total{interface=\"$IF_A\",lane=\"$l\"}" >/dev/null
		val "$f" "tunlane_lane_peers{interface=\"$IF_A\",lane=\"$l\"}" >/dev/null
	done
done
hs=$(val "$TL_TMP/m1.txt" "wireguard_latest_handshake_seconds{$P}")
now=$(date +%s)
((hs > now - 120 && hs <= now + 1)) || fail "latest handshake $hs is not a recent unix time (now $now)"

tx1=$(val "$TL_TMP/m1.txt" "wireguard_sent_bytes_total{$P}")
rx1=$(val "$TL_TMP/m1.txt" "wireguard_received_bytes_total{$P}")
ltx1=$(($(val "$TL_TMP/m1.txt" "tunlane_lane_sent_bytes_total{interface=\"$IF_A\",lane=\"0\"}") + \
	$(val "$TL_TMP/m1.txt" "tunlane_lane_sent_bytes_total{interface=\"$IF_A\",lane=\"1\"}")))
tl_iperf_server "$NS_B" 5201
nsx "$NS_A" iperf3 -c "$TB4" -p 5201 -t 4 -P 4 --connect-timeout 3000 >"$TL_TMP/iperf.log" 2>&1 &
ipid=$!
TL_PIDS+=("$ipid")
sleep 2
code=$(scrape "$TL_TMP/m2.txt") || fail "scrape during traffic failed"
wait "$ipid" || fail "iperf3 failed: $(tail -n 3 "$TL_TMP/iperf.log")"
tx2=$(val "$TL_TMP/m2.txt" "wireguard_sent_bytes_total{$P}")
rx2=$(val "$TL_TMP/m2.txt" "wireguard_received_bytes_total{$P}")
ltx2=$(($(val "$TL_TMP/m2.txt" "tunlane_lane_sent_bytes_total{interface=\"$IF_A\",lane=\"0\"}") + \
	$(val "$TL_TMP/m2.txt" "tunlane_lane_sent_bytes_total{interface=\"$IF_A\",lane=\"1\"}")))
lp2=$(val "$TL_TMP/m2.txt" "tunlane_lane_sent_packets_total{interface=\"$IF_A\",lane=\"0\"}")
((tx2 > tx1 + 1000000)) || fail "peer sent bytes did not move during traffic: $tx1 -> $tx2"
((rx2 > rx1)) || fail "peer received bytes did not move: $rx1 -> $rx2"
((ltx2 > ltx1 + 1000000)) || fail "lanes' sent bytes did not move: $ltx1 -> $ltx2"
((lp2 > 0)) || fail "lane 0 sent no packets"

# An idle connection and an oversized request must not hold up a scrape.
TL_T=20 nsx "$NS_A" "$TL_PY" -c '
import socket, sys, time
idle = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
big = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
big.sendall(b"GET /" + b"a" * 8000)
time.sleep(8)' "$MPORT" &
TL_PIDS+=($!)
sleep 0.5
t0=$(date +%s%N)
code=$(scrape "$TL_TMP/m3.txt") || fail "scrape with an idle client connected failed"
ms=$((($(date +%s%N) - t0) / 1000000))
((ms < 4000)) || fail "scrape took $ms ms with an idle client connected"
bad=$(TL_T=10 nsx "$NS_A" curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/nothing")
[[ $bad = 404 ]] || fail "/nothing answered $bad, expected 404"
# Slowloris: 40 connections that never send a byte (more than the 32
# slots), each reopened as soon as the exporter drops it. A real scrape
# must still be answered within a few seconds: the oldest idle client is
# evicted for it (before, it waited for idle slots' 5 s deadline).
loris() { # PORT N SECONDS READYFILE: N idle connections, reopened when dropped
	TL_T=$(($3 + 10)) nsx "$NS_A" "$TL_PY" -c '
import select, socket, sys, time
port, n, end = int(sys.argv[1]), int(sys.argv[2]), time.time() + float(sys.argv[3])
def dial():
	s = socket.socket(); s.setblocking(False); s.connect_ex(("127.0.0.1", port)); return s
conns = [dial() for _ in range(n)]
open(sys.argv[4], "w").close()
while time.time() < end:
	r, _, _ = select.select(conns, [], [], 0.05)
	for s in r:
		conns.remove(s); s.close(); conns.append(dial())
' "$@"
}
loris "$MPORT" 40 9 "$TL_TMP/loris.ready" &
TL_PIDS+=($!)
for ((i = 0; i < 50; i++)); do [[ -e $TL_TMP/loris.ready ]] && break; sleep 0.1; done
[[ -e $TL_TMP/loris.ready ]] || fail "the idle-connection client did not start"
sleep 1.5
t0=$(date +%s%N)
code=$(scrape "$TL_TMP/m4.txt") || fail "scrape beside 40 idle connections failed: '$code'"
lms=$((($(date +%s%N) - t0) / 1000000))
[[ $code = "200 "* ]] || fail "scrape beside 40 idle connections answered '$code'"
((lms < 3000)) || fail "scrape took $lms ms beside 40 idle connections"
val "$TL_TMP/m4.txt" "tunlane_interface_lanes{interface=\"$IF_A\"}" >/dev/null
# Out of descriptors: an exporter limited to 8 of them, 12 idle
# connections. accept4 fails with EMFILE with the connection still
# queued; the exporter must rest, not spin on a listener that stays
# readable (before: a whole CPU until the idle clients timed out).
ip netns exec "$NS_A" setpriv --bounding-set -all --no-new-privs prlimit --nofile=8:8 \
	"$TL_CLI" metrics --listen "127.0.0.1:$((MPORT + 1))" >"$TL_TMP/metrics2.log" 2>&1 &
epid=$!
TL_PIDS+=("$epid")
for ((i = 0; i < 50; i++)); do grep -q serving "$TL_TMP/metrics2.log" && break; sleep 0.1; done
grep -q serving "$TL_TMP/metrics2.log" || fail "the 8-descriptor exporter did not start: $(cat "$TL_TMP/metrics2.log")"
loris "$((MPORT + 1))" 12 5 "$TL_TMP/loris2.ready" &
TL_PIDS+=($!)
for ((i = 0; i < 50; i++)); do [[ -e $TL_TMP/loris2.ready ]] && break; sleep 0.1; done
cpu() { awk '{ print $14 + $15 }' "/proc/$epid/stat"; }
c0=$(cpu)
sleep 3
c1=$(cpu)
hz=$(getconf CLK_TCK)
((c1 - c0 < hz / 2)) || fail "out of descriptors, the exporter used $(((c1 - c0) * 1000 / hz)) ms of CPU in 3 s (spinning on accept)"
kill -0 "$epid" 2>/dev/null || fail "the 8-descriptor exporter died: $(cat "$TL_TMP/metrics2.log")"
log "peer bytes sent $tx1 -> $tx2, received $rx1 -> $rx2; lanes sent $ltx1 -> $ltx2; scrape beside an idle client: $ms ms, beside 40 idle connections: $lms ms; out of descriptors: $(((c1 - c0) * 1000 / hz)) ms CPU in 3 s"
pass "promtool-valid, counters move, idle clients do not block"
