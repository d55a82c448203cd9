#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Changing the daemon's private key (wg set IF private-key) drops its
# sessions and forces a new handshake under the new identity: once the peer
# knows the new public key, traffic resumes within a few seconds. Then the
# same with the daemon as responder to a peer whose key changed.
. "$(dirname "$0")/lib.sh"
tl_require_root
TL_IPERF_T=60
tl_standard_pair a peer "${TL_DUT_ARGS[@]}"
tl_ping_until "$NS_A" "$TB4" 15 || fail "no ping reply through the tunnel within 15 s"
tl_wait_handshake "$NS_B" "$IF_B" "$KA_PUB" 5 || fail "wireguard-go shows no handshake"
hs1=$(tl_handshake_time "$NS_A" "$IF_A" "$KB_PUB")
sleep 1.1 # handshake times have one-second resolution

# 1. The daemon under test (initiator) gets a new key.
tl_genkey KA2
wgx "$NS_B" set "$IF_B" peer "$KA_PUB" remove peer "$KA2_PUB" allowed-ips "$TA4/32,$TA6/128" ||
	fail "wg set on wireguard-go (swap peer key) failed"
wgx "$NS_A" set "$IF_A" private-key "$KA2_PRIV" || fail "wg set $IF_A private-key failed"
[[ $(wgx "$NS_A" show "$IF_A" public-key) = "$KA2_PUB" ]] || fail "public key shown after the key change is not the new key's"
# The peer no longer knows the old key, so only a fresh handshake under the
# new one can carry this ping. A daemon that keeps its old session would be
# stuck until its 15 s new-handshake timer.
tl_ping_until "$NS_A" "$TB4" 8 || fail "no traffic within 8 s after the private key changed (old session kept?)"
tl_wait_handshake "$NS_B" "$IF_B" "$KA2_PUB" 3 || fail "wireguard-go shows no handshake with the new public key"
hs2=$(tl_handshake_time "$NS_A" "$IF_A" "$KB_PUB")
((hs2 > hs1)) || fail "latest handshake on $IF_A did not advance ($hs1 -> $hs2)"
tl_ping "$NS_B" "$TA4" 3 5 3 >/dev/null || fail "ping B->A fails after the key change"

# 2. The peer (initiator side now) changes its key; the daemon is told the
# new public key and must accept a handshake from it and nothing older.
sleep 1.1
tl_genkey KB2
wgx "$NS_A" set "$IF_A" peer "$KB_PUB" remove peer "$KB2_PUB" allowed-ips "$TB4/32,$TB6/128" endpoint "$B4:$PORT_B" ||
	fail "wg set $IF_A (swap peer key) failed"
wgx "$NS_B" set "$IF_B" private-key "$KB2_PRIV" || fail "wg set $IF_B private-key failed"
tl_ping_until "$NS_B" "$TA4" 10 || fail "no traffic within 10 s after the peer's key changed"
tl_wait_handshake "$NS_A" "$IF_A" "$KB2_PUB" 3 || fail "$IF_A shows no handshake with the peer's new key"
peers=$(wgx "$NS_A" show "$IF_A" peers)
[[ $peers = "$KB2_PUB" ]] || fail "$IF_A peers are '$peers', expected only the new key"
tl_iperf "$NS_A" "$TB4" 5201 "$TL_TMP/tcp.json" -n 50M
tl_check_tcp "$TL_TMP/tcp.json" $((50 << 20)) "TCP after both key changes"
_tl_alive "$PID_A" || fail "daemon under test died"
pass "private key changes force new handshakes and traffic resumes"
