#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# tunshare --server: one OpenVPN server port served by two stock OpenVPN
# processes on one multi-queue tun, and six stock clients, each in its own
# namespace, all with the same client config. Checks:
#  1. every client connects, and the clients spread over both lanes (at
#     least two each, from the processes' own status files);
#  2. every client pings the server's tunnel address and moves TCP both
#     ways at once (iperf3 --bidir), all six together;
#  3. client-to-client traffic between clients of different lanes works
#     (routed through the tun, so steered to the other process);
#  4. kill -9 of one server process: a transfer of a client of the other
#     lane runs through it unharmed, and the killed lane's clients pass
#     traffic again within 30 s (ping-restart 5 s, pushed by keepalive);
#  5. tunshare show lists the clients per lane;
#  6. forged OpenVPN resets from 3000 source ports, three times the client
#     table (--max-clients 1024), move no known client, and a client that
#     reconnects while the table is full is placed by its hash and works.
set -euo pipefail
. "$(dirname "$0")/lib-tunshare.sh"
. "$(dirname "$0")/lib-ovpn-server.sh"
N=6 LANES=2
ts_require openvpn openssl iperf3

# Bad command lines: one clear line, exit 2, nothing created.
bad() { # WANT ARGS...: tunshare run ARGS must fail with WANT in its message
	local want=$1 out rc=0
	shift
	out=$("$TS_BIN" run --dev "$DEV_A" --lanes 2 "$@" -- true 2>&1) || rc=$?
	((rc == 2)) && [[ $out == *"$want"* ]] ||
		fail "tunshare run $*: want exit 2 and '$want', got $rc: $out"
}
bad "--server and --pool go together" --server 1194
bad "--server and --pool go together" --pool 10.8.0.0/24
bad "bad --server" --server 70000 --pool 10.8.0.0/24
bad "bad --pool" --server 1194 --pool 10.8.0.1/24
bad "too small for 2 lanes" --server 1194 --pool 10.8.0.0/30
bad "exclude each other" --server 1194 --pool 10.8.0.0/24 --base-port 1194
ovs_pki
ovs_netns "$N"
ovs_server "$LANES" --max-clients 1024
for ((k = 0; k < N; k++)); do ovs_client "$k"; done
ovs_wait_clients "$N" 40

# 1. Spread: the status files are rewritten every second.
sleep 1.5
declare -A on
for ((k = 0; k < N; k++)); do
	l=$(ovs_lane_of "$k")
	((l >= 0)) || fail "client $k ($(ovs_client_addr "$k")) is in no lane's status file"
	on[$l]+="$k "
done
for ((l = 0; l < LANES; l++)); do
	set -- ${on[$l]:-}
	(($# >= 2)) || fail "lane $l holds $# clients (${on[$l]:-none}); want at least 2 each"
	log "lane $l: clients ${on[$l]}"
done

# 2. TCP both ways, all clients at once.
pids=()
for ((k = 0; k < N; k++)); do
	tl_iperf_server "$NS_A" $((5201 + k))
	ip netns exec "tl-$$-c$k" timeout 40 iperf3 -c "$OVS_SERVER" -p $((5201 + k)) \
		--connect-timeout 5000 -J --bidir -t 4 >"$TL_TMP/bidir-$k.json" 2>&1 &
	pids+=("$!")
	TL_PIDS+=("$!")
done
for ((k = 0; k < N; k++)); do
	wait "${pids[$k]}" || fail "client $k: iperf3 --bidir failed: $(tail -c 300 "$TL_TMP/bidir-$k.json")"
	# A low bar: six clients share 2 CPUs with everything else.
	tl_check_tcp "$TL_TMP/bidir-$k.json" $((256 << 10)) "client $k, TCP both ways"
done

# 3. Client to client, across lanes.
set -- ${on[0]}
c0=$1
set -- ${on[1]}
c1=$1
tl_ping_until "tl-$$-c$c0" "$(ovs_client_addr "$c1")" 10 ||
	fail "client $c0 (lane 0) cannot reach client $c1 (lane 1)"

# 5. show lists each lane's clients.
ts_show "$NS_A" "$DEV_A" >"$TL_TMP/show.txt" || fail "tunshare show failed"
for ((k = 0; k < N; k++)); do
	grep -q "client .*$(ovs_client_addr "$k")" "$TL_TMP/show.txt" ||
		fail "tunshare show does not list client $k: $(cat "$TL_TMP/show.txt")"
done

# 6. A spray of forged hard resets (opcode 7 in the first byte) from 3000
# ports of client c0's address: each one would be a new client.
ip netns exec "tl-$$-c$c0" "$TL_PY" - "$OVS_PORT" <<'SPRAY' || fail "the reset spray failed"
import socket, sys
dst = ("192.168.241.1", int(sys.argv[1]))
for batch in range(6):
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(500)]
    for s in socks:
        s.sendto(bytes([7 << 3]) + bytes(13), dst)
    for s in socks:
        s.close()
SPRAY
lane_was() { # K: the lane client K was found on in step 1
	local l
	for l in 0 1; do [[ " ${on[$l]} " == *" $1 "* ]] && echo "$l"; done
}
sleep 1.5
for ((k = 0; k < N; k++)); do
	tl_ping_until "tl-$$-c$k" "$OVS_SERVER" 10 ||
		fail "client $k lost its session after the reset spray"
	[[ $(ovs_lane_of "$k") = "$(lane_was "$k")" ]] ||
		fail "client $k moved from lane $(lane_was "$k") to $(ovs_lane_of "$k") after the reset spray"
done
# A reconnect (a new port, a real reset) while the table is full.
pid=OVS_CLIENT_PID_$c0
kill "${!pid}"
wait "${!pid}" 2>/dev/null || true
ovs_client "$c0"
ovs_wait_client "$c0" 40
log "3000 forged resets moved no client; client $c0 reconnected with the table full"

# 4. Kill lane 0's server while a lane-1 client sends.
victim=$(ts_lane_pid "$NS_A" "$DEV_A" 0)
[[ $victim =~ ^[0-9]+$ ]] || fail "no pid for lane 0 in tunshare show"
tl_iperf_server "$NS_A" 5301
ip netns exec "tl-$$-c$c1" timeout 40 iperf3 -c "$OVS_SERVER" -p 5301 \
	--connect-timeout 5000 -J -t 6 >"$TL_TMP/during-kill.json" 2>&1 &
during=$!
TL_PIDS+=("$during")
sleep 2
kill -KILL "$victim"
start=$SECONDS
for k in ${on[0]}; do
	tl_ping_until "tl-$$-c$k" "$OVS_SERVER" 30 ||
		fail "client $k of the killed lane: no traffic within 30 s"
done
log "the killed lane's clients were back after $((SECONDS - start)) s"
wait "$during" || fail "lane 1 client's transfer failed across the kill: $(tail -c 300 "$TL_TMP/during-kill.json")"
tl_check_tcp "$TL_TMP/during-kill.json" $((1 << 20)) "lane 1 client during the kill"
_tl_alive "$TS_PID_A" || fail "tunshare died"
pass "lanes: 0 = ${on[0]}/ 1 = ${on[1]}"
