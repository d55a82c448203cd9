#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `tunlane strip` prints the wg(8) part of a config, as `wg-quick strip`
# does: no Address, Lanes or hooks, keys and peers intact. With it,
# `wg syncconf IF <(tunlane strip CONF)` applies an edited file to a
# running 2-lane interface in place: an added peer appears, a peer's
# changed AllowedIPs take effect, and the unchanged peer's session
# survives (no new handshake, traffic flows).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-up.sh"

tl3_require "needs tunlaned and tunlane"
tl3_pair 2 2
TL_IFNS[$IF_A]=$NS_A TL_IFNS[$IF_B]=$NS_B
tl_genkey KC
printf 'PostUp = echo %%i\nDNS = 10.241.0.53\nMTU = 1400\n' >"$TL_TMP/extra"
sed -i "/^Lanes/r $TL_TMP/extra" "$CONF_A"
TL_T=10 "$TL_CLI" strip "$CONF_A" >"$TL_TMP/strip.txt" 2>&1 || fail "strip: $(cat "$TL_TMP/strip.txt")"
for k in Address Lanes PostUp DNS MTU; do
	grep -qi "^$k" "$TL_TMP/strip.txt" && fail "strip kept $k: $(sed 's/Key = .*/Key = (hidden)/' "$TL_TMP/strip.txt")"
done
grep -qx "PrivateKey = $KA_KEY" "$TL_TMP/strip.txt" && grep -qx "PublicKey = $KB_PUB" "$TL_TMP/strip.txt" &&
	grep -qx "Endpoint = $B4:$PORT_B" "$TL_TMP/strip.txt" && grep -qx "ListenPort = $PORT_A" "$TL_TMP/strip.txt" ||
	fail "strip output incomplete"

tl_ping_until "$NS_A" "$TB4" 15 || fail "no ping before syncconf"
tl_wait_all_lanes "$NS_A" "$IF_A" 15 || fail "not every lane handshook within 15 s"
hs=$(tl_handshake_time "$NS_A" "$IF_A" "$KB_PUB")
# Edit: B also routes 10.241.5.0/24, and a new peer C.
sed -i "s|^AllowedIPs = $TB4/32|AllowedIPs = $TB4/32, 10.241.5.0/24|" "$CONF_A"
printf '\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.241.0.77/32\n' "$KC_PUB" >>"$CONF_A"
TL_T=10 "$TL_CLI" strip "$CONF_A" >"$TL_TMP/strip2.txt" || fail "strip after the edit"
wgx "$NS_A" syncconf "$IF_A" "$TL_TMP/strip2.txt" || fail "wg syncconf with tunlane strip's output failed"
wgx "$NS_A" show "$IF_A" peers | grep -qx "$KC_PUB" || fail "the added peer is missing after syncconf"
wgx "$NS_A" show "$IF_A" allowed-ips | grep "^$KB_PUB" | grep -q "10.241.5.0/24" ||
	fail "B's new AllowedIPs missing: $(wgx "$NS_A" show "$IF_A" allowed-ips)"
tl_ping "$NS_A" "$TB4" 5 5 5 >/dev/null || fail "ping to the unchanged peer after syncconf lost packets"
[[ $(tl_handshake_time "$NS_A" "$IF_A" "$KB_PUB") = "$hs" ]] || fail "the unchanged peer made a new handshake after syncconf"
TL_T=10 "$TL_CLI" strip "$TL_TMP/none.conf" >/dev/null 2>&1 && fail "strip of a missing file succeeded"
pass "strip | wg syncconf: peer added, AllowedIPs changed, session kept"
