#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# A peer whose public key the daemon under test does not know (it has the
# daemon's public key and endpoint, so its handshakes carry a valid mac1)
# must never get a packet into the daemon's tun: the tun's rx counters (the
# packets the daemon writes into the kernel) stay unchanged, ping fails, no
# handshake is recorded, and the failed handshakes are counted as drops.
# Control: once the peer switches to the configured key, the same counter
# moves, so the check can see packets when they do arrive.
. "$(dirname "$0")/lib.sh"
tl_require_root
tl_setup_ns
tl_genkey KA
tl_genkey KB # the key the daemon under test expects
tl_genkey KC # the key the intruder actually has
tl_start "$NS_A" dut "$IF_A" "${TL_DUT_ARGS[@]}"
PID_A=$TL_LASTPID
tl_start "$NS_B" peer "$IF_B"
tl_iface "$NS_A" "$IF_A" "$KA_PRIV" "$PORT_A" "$TA4" "$TA6"
tl_iface "$NS_B" "$IF_B" "$KC_PRIV" "$PORT_B" "$TB4" "$TB6"
tl_peer "$NS_A" "$IF_A" "$KB_PUB" "$TB4/32,$TB6/128"
tl_peer "$NS_B" "$IF_B" "$KA_PUB" "$TA4/32,$TA6/128" "$A4:$PORT_A"

drops0=0 hsf0=0
if ((TL_IS_TUNLANED)); then
	drops0=$(tl_drops "$NS_A" "$IF_A")
	hsf0=$(tl_drops "$NS_A" "$IF_A" handshake_failed)
fi
rxp0=$(tl_ifstat "$NS_A" "$IF_A" rx_packets)
rxb0=$(tl_ifstat "$NS_A" "$IF_A" rx_bytes)

# wireguard-go sends an initiation at once and retries every 5 s: 7 s of
# pings give at least two attempts.
if tl_ping "$NS_B" "$TA4" 14 7 1 >"$TL_TMP/ping.txt" 2>&1; then
	fail "ping from an unknown key got through: $(cat "$TL_TMP/ping.txt")"
fi
rxp1=$(tl_ifstat "$NS_A" "$IF_A" rx_packets)
rxb1=$(tl_ifstat "$NS_A" "$IF_A" rx_bytes)
[[ $rxp1 = "$rxp0" && $rxb1 = "$rxb0" ]] ||
	fail "$IF_A rx counters moved from $rxp0 pkts/$rxb0 B to $rxp1 pkts/$rxb1 B: the daemon wrote packets from an unknown key into the tun"
hs=$(tl_handshake_time "$NS_A" "$IF_A" "$KB_PUB")
[[ $hs = 0 ]] || fail "$IF_A shows a latest handshake ($hs) with the configured peer although it never connected"
hs=$(tl_handshake_time "$NS_B" "$IF_B" "$KA_PUB")
[[ $hs = 0 ]] || fail "the intruder (wireguard-go) completed a handshake ($hs)"
wgx "$NS_A" show "$IF_A" peers | grep -qxF "$KC_PUB" && fail "the unknown key was added as a peer"
if ((TL_IS_TUNLANED)); then
	drops1=$(tl_drops "$NS_A" "$IF_A")
	hsf1=$(tl_drops "$NS_A" "$IF_A" handshake_failed)
	((hsf1 > hsf0)) || fail "drop_reasons.handshake_failed did not increase ($hsf0 -> $hsf1; all drops $drops0 -> $drops1)"
	((drops1 > drops0)) || fail "total drops did not increase ($drops0 -> $drops1)"
	log "drops $drops0 -> $drops1, handshake_failed $hsf0 -> $hsf1"
else
	note "daemon is not tunlaned: drop counter checks skipped"
fi

# Control: with the configured key, packets do reach the tun.
wgx "$NS_B" set "$IF_B" private-key "$KB_PRIV" || fail "wg set $IF_B private-key failed"
tl_ping_until "$NS_B" "$TA4" 15 || fail "control: the configured key cannot connect either"
rxp2=$(tl_ifstat "$NS_A" "$IF_A" rx_packets)
((rxp2 > rxp1)) || fail "control: rx_packets did not move ($rxp1 -> $rxp2) although ping works"
_tl_alive "$PID_A" || fail "daemon under test died"
pass "unknown key: no packet into the tun, handshakes dropped"
