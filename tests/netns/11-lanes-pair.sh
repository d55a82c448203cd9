#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Two daemons under test (no wireguard-go), configured with plain `wg set`
# and no MTU of our own, 2 lanes each: the interface comes up with
# WireGuard's default MTU of 1420 (so full-size inner packets fit a 1500-byte
# path), TCP over 1 GB with 4 streams and UDP pass, and `tunlane show --json`
# reports both lanes with their ports, pids and traffic.
. "$(dirname "$0")/lib.sh"
tl_require_root
LANES=${TUNLANE_LANES:-2}
largs=()
((TL_IS_TUNLANED)) && largs=(--lanes "$LANES")
TL_B_ARGS="${largs[*]}" tl_standard_pair both dut "${largs[@]}"
for side in A B; do
	ns=NS_$side ifn=IF_$side
	mtu=$(ip -n "${!ns}" -o link show "${!ifn}" | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')
	[[ $mtu = 1420 ]] || fail "${!ifn} came up with MTU $mtu; WireGuard's default is 1420 (80 bytes of IPv6+UDP+WireGuard overhead under 1500), otherwise full-size packets do not fit the path"
done
tl_ping_until "$NS_A" "$TB4" 15 || fail "no ping reply through the tunnel within 15 s"
tl_wait_handshake "$NS_B" "$IF_B" "$KA_PUB" 5 || fail "$IF_B shows no handshake"
# Full-size packets both ways: 1392 bytes of ICMP payload = 1420-byte packets.
TL_T=10 nsx "$NS_A" "$TL_PY" "$TL_TOOL" ping "$TB4" -c 3 -W 5 -s 1392 --min 3 >/dev/null ||
	fail "1420-byte pings do not pass the tunnel"
tl_iperf "$NS_A" "$TB4" 5201 "$TL_TMP/tcp.json" -n 1G -P 4
tl_check_tcp "$TL_TMP/tcp.json" $((1 << 30)) "TCP, 4 streams, A->B"
tl_iperf "$NS_B" "$TA4" 5202 "$TL_TMP/tcp-r.json" -n 256M -P 4
tl_check_tcp "$TL_TMP/tcp-r.json" $((256 << 20)) "TCP, 4 streams, B->A"
tl_udp "$NS_A" "$TB4" 5203 "$TL_TMP/udp.json" 40 "UDP, 2 streams, A->B" -b 100M -l 1300 -t 3 -P 2
if ((TL_IS_TUNLANED)); then
	for side in A B; do
		ns=NS_$side ifn=IF_$side
		f=$TL_TMP/show-$side.json
		tl_show_json "${!ns}" "${!ifn}" "$f"
		n=$("$TL_PY" "$TL_TOOL" jget 'len(d["lanes"])' "$f")
		((n == LANES)) || fail "${!ifn}: tunlane show lists $n lanes, started with --lanes $LANES"
		per=$("$TL_PY" "$TL_TOOL" jget '" ".join("lane%d:pid=%d,cpu=%d,port=%d,rx=%d,tx=%d,drops=%d" % (l["lane"], l["pid"], l["cpu"], l["listen_port"], l["rx_bytes"], l["tx_bytes"], l["drops"]) for l in d["lanes"])' "$f")
		log "${!ifn}: $per"
		port=$(wgx "${!ns}" show "${!ifn}" listen-port)
		ok=$("$TL_PY" "$TL_TOOL" jget "all(l['pid'] > 0 and l['listen_port'] == $port + l['lane'] for l in d['lanes'])" "$f")
		[[ $ok = 1 ]] || fail "${!ifn}: lane pids/ports unexpected (listen port $port): $per"
		peer_rx=$("$TL_PY" "$TL_TOOL" jget 'd["peers"][0]["rx_bytes"]' "$f")
		lanes_rx=$("$TL_PY" "$TL_TOOL" jget 'sum(l["rx_bytes"] for l in d["lanes"])' "$f")
		((peer_rx > 0 && lanes_rx > 0)) || fail "${!ifn}: rx counters zero (peer $peer_rx, lanes $lanes_rx)"
		tx_err=$("$TL_PY" "$TL_TOOL" jget 'sum(l["drop_reasons"].get("tx_error", 0) for l in d["lanes"])' "$f")
		((tx_err < 100)) || fail "${!ifn}: $tx_err tx_error drops during the transfer: $per"
	done
else
	note "daemon is not tunlaned: lane checks skipped"
fi
pass "daemon <-> daemon with default settings, $LANES lanes"
