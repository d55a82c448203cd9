#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The daemon as a drop-in for wireguard-go under wg-quick, on both sides:
# WG_QUICK_USERSPACE_IMPLEMENTATION=tunlaned wg-quick up CONF, with lanes
# from TUNLANE_LANES (default 2 here, so lane i talks to the peer's lane i).
# Handshake, ping, iperf3 TCP and UDP, per-lane counters, then
# `wg-quick down` must leave no process, interface, socket or stats file.
. "$(dirname "$0")/lib.sh"
tl_require_root
command -v wg-quick >/dev/null || fail "wg-quick not found"
LANES=${TUNLANE_LANES:-2}
impl=$(basename "$TL_DAEMON")
tl_setup_ns
tl_genkey KA
tl_genkey KB
writeconf() { # IF KEY PORT ADDR4 ADDR6 PEERPUB PEERALLOWED PEERENDPOINT
	cat >"$TL_TMP/$1.conf" <<CONF
[Interface]
PrivateKey = $2
ListenPort = $3
Address = $4/24, $5/64

[Peer]
PublicKey = $6
AllowedIPs = $7
Endpoint = $8
CONF
	chmod 600 "$TL_TMP/$1.conf"
}
# Both on port 51820 (separate namespaces): lanes use 51820..51820+LANES-1.
writeconf "$IF_A" "$KA_KEY" 51820 "$TA4" "$TA6" "$KB_PUB" "$TB4/32, $TB6/128" "$B4:51820"
writeconf "$IF_B" "$KB_KEY" 51820 "$TB4" "$TB6" "$KA_PUB" "$TA4/32, $TA6/128" "$A4:51820"

quick() { # NS up|down IF
	TL_T=30 nsx "$1" env PATH="$(dirname "$TL_DAEMON"):$PATH" WG_QUICK_USERSPACE_IMPLEMENTATION="$impl" \
		TUNLANE_LANES="$LANES" wg-quick "$2" "$TL_TMP/$3.conf" >"$TL_TMP/wg-quick-$2-$3.txt" 2>&1
}
# PIDs of the daemon processes for IF (master and lanes), found by exact
# command line: the interface names are unique to this test run.
daemon_pids() {
	ps -eo pid=,args= | awk -v n="$impl" -v i="$1" \
		'{ b = $2; sub(".*/", "", b) } b == n && $NF == i { print $1 }'
}
for side in A B; do
	ns=NS_$side ifn=IF_$side
	TL_IFS+=("${!ifn}")
	quick "${!ns}" up "${!ifn}" || fail "wg-quick up ${!ifn} failed: $(cat "$TL_TMP/wg-quick-up-${!ifn}.txt")"
	pids=$(daemon_pids "${!ifn}")
	[[ -n $pids ]] || fail "no $impl process for ${!ifn} after wg-quick up"
	for p in $pids; do TL_PIDS+=("$p"); done
	printf -v "PIDS_$side" '%s' "$pids"
	[[ -S /var/run/wireguard/${!ifn}.sock ]] || fail "no socket for ${!ifn} after wg-quick up"
done

tl_ping_until "$NS_A" "$TB4" 15 || fail "no ping reply through the tunnel within 15 s"
tl_wait_handshake "$NS_A" "$IF_A" "$KB_PUB" 5 || fail "wg show $IF_A: no handshake"
tl_wait_handshake "$NS_B" "$IF_B" "$KA_PUB" 5 || fail "wg show $IF_B: no handshake"
tl_ping "$NS_B" "$TA6" 3 5 3 >/dev/null || fail "ping6 through the tunnel lost packets"
tl_iperf "$NS_A" "$TB4" 5201 "$TL_TMP/tcp.json" -n 1G -P 4
tl_check_tcp "$TL_TMP/tcp.json" $((1 << 30)) "TCP, 4 streams, A->B"
tl_iperf "$NS_B" "$TA4" 5202 "$TL_TMP/tcp-r.json" -n 256M -P 4
tl_check_tcp "$TL_TMP/tcp-r.json" $((256 << 20)) "TCP, 4 streams, B->A"
tl_udp "$NS_A" "$TB4" 5203 "$TL_TMP/udp.json" 40 "UDP A->B" -b 200M -l 1300 -t 3

if ((TL_IS_TUNLANED)); then
	tl_show_json "$NS_A" "$IF_A" "$TL_TMP/show.json"
	n=$("$TL_PY" "$TL_TOOL" jget 'len(d["lanes"])' "$TL_TMP/show.json")
	((n == LANES)) || fail "tunlane show --json lists $n lanes, TUNLANE_LANES=$LANES"
	per=$("$TL_PY" "$TL_TOOL" jget '" ".join("lane%d:pid=%d,port=%d,rx=%d,tx=%d" % (l["lane"], l["pid"], l["listen_port"], l["rx_bytes"], l["tx_bytes"]) for l in d["lanes"])' "$TL_TMP/show.json")
	log "lanes: $per"
	"$TL_PY" "$TL_TOOL" jget 'all(l["pid"] > 0 and l["listen_port"] == 51820 + l["lane"] for l in d["lanes"])' "$TL_TMP/show.json" | grep -qx 1 ||
		fail "lane pids/ports unexpected: $per"
	tot=$("$TL_PY" "$TL_TOOL" jget 'sum(l["tx_bytes"] for l in d["lanes"])' "$TL_TMP/show.json")
	((tot >= 1 << 30)) || fail "lanes tx_bytes sum $tot < 1 GiB after the transfer"
else
	note "daemon is not tunlaned: lane checks skipped"
fi

for side in A B; do
	ns=NS_$side ifn=IF_$side pv=PIDS_$side
	quick "${!ns}" down "${!ifn}" || fail "wg-quick down ${!ifn} failed: $(cat "$TL_TMP/wg-quick-down-${!ifn}.txt")"
	for p in ${!pv}; do
		tl_wait_exit "$p" 5 || fail "$impl PID $p (${!ifn}) still running 5 s after wg-quick down"
	done
	ip -n "${!ns}" link show "${!ifn}" >/dev/null 2>&1 && fail "interface ${!ifn} still exists after wg-quick down"
	[[ -e /var/run/wireguard/${!ifn}.sock ]] && fail "socket /var/run/wireguard/${!ifn}.sock left after wg-quick down"
	[[ -e $(tl_state "${!ifn}" stats) ]] && fail "stats file $(tl_state "${!ifn}" stats) left after wg-quick down"
	[[ -z $(daemon_pids "${!ifn}") ]] || fail "$impl processes for ${!ifn} left: $(daemon_pids "${!ifn}")"
done
pass "wg-quick up/down with $impl on both sides ($LANES lanes)"
