#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Lanes = 1 keeps tunlane a plain WireGuard peer: tunlane in A, brought up
# with `tunlane up` from a config file, against wireguard-go in B configured
# with `wg setconf`. Each side knows the other's endpoint. Ping both ways
# and a short iperf3 both ways; both sides record the handshake, and
# `tunlane show --json` lists exactly one lane carrying the traffic.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-up.sh"

tl3_require "needs tunlaned and tunlane up"
command -v "$TL_PEER" >/dev/null || fail "reference peer '$TL_PEER' not found"

tl_setup_ns
tl_genkey KA
tl_genkey KB
CONF_A=$TL_TMP/$IF_A.conf
tl3_conf "$CONF_A" "$KA_KEY" "$PORT_A" "$TA4/24" 1 "$KB_PUB" "$TB4/32" "$B4:$PORT_B"
tl3_up "$NS_A" "$CONF_A"

# wireguard-go, configured the stock way: wg setconf with a wg(8) file.
tl_start "$NS_B" peer "$IF_B"
cat >"$TL_TMP/wg-b.conf" <<CONF
[Interface]
PrivateKey = $KB_KEY
ListenPort = $PORT_B

[Peer]
PublicKey = $KA_PUB
AllowedIPs = $TA4/32
Endpoint = $A4:$PORT_A
CONF
chmod 600 "$TL_TMP/wg-b.conf"
wgx "$NS_B" setconf "$IF_B" "$TL_TMP/wg-b.conf" || fail "wg setconf $IF_B (wireguard-go) failed"
ip -n "$NS_B" addr add "$TB4/24" dev "$IF_B"
ip -n "$NS_B" link set "$IF_B" mtu 1420 up

tl_ping_until "$NS_A" "$TB4" 15 || fail "tunlane -> wireguard-go: no ping reply within 15 s"
tl_ping "$NS_A" "$TB4" 5 5 5 >/dev/null || fail "ping tunlane -> wireguard-go lost packets"
tl_ping "$NS_B" "$TA4" 5 5 5 >/dev/null || fail "ping wireguard-go -> tunlane lost packets"
tl_wait_handshake "$NS_A" "$IF_A" "$KB_PUB" 5 || fail "wg show $IF_A (tunlane): no handshake with wireguard-go"
tl_wait_handshake "$NS_B" "$IF_B" "$KA_PUB" 5 || fail "wg show $IF_B (wireguard-go): no handshake with tunlane"
log "ping both ways: ok"

tl_iperf "$NS_A" "$TB4" 5201 "$TL_TMP/a2b.json" -n 64M
tl_check_tcp "$TL_TMP/a2b.json" $((64 << 20)) "TCP tunlane -> wireguard-go"
tl_iperf "$NS_B" "$TA4" 5202 "$TL_TMP/b2a.json" -n 64M
tl_check_tcp "$TL_TMP/b2a.json" $((64 << 20)) "TCP wireguard-go -> tunlane"

f=$TL_TMP/show.json
tl_show_json "$NS_A" "$IF_A" "$f"
n=$("$TL_PY" "$TL_TOOL" jget 'len(d["lanes"])' "$f")
((n == 1)) || fail "tunlane show --json lists $n lanes for Lanes = 1"
read -r rx tx hs < <("$TL_PY" "$TL_TOOL" jget '"%d %d %d" % (d["lanes"][0]["rx_bytes"], d["lanes"][0]["tx_bytes"], (d["lanes"][0]["latest_handshake"] or 0))' "$f")
((rx >= 64 << 20 && tx >= 64 << 20)) || fail "lane 0: rx_bytes $rx tx_bytes $tx, expected both >= 64 MiB"
((hs > 0)) || fail "lane 0: latest_handshake 0 after traffic"
pass "Lanes = 1 tunlane <-> wireguard-go (wg setconf): ping and TCP both ways"
