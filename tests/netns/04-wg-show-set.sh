#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `wg show` and `wg showconf` on both sides describe the tunnel; `wg set`,
# `wg setconf` and `wg syncconf` changes take effect on the daemon under test.
. "$(dirname "$0")/lib.sh"
tl_require_root
tl_standard_pair a peer "${TL_DUT_ARGS[@]}"
tl_ping_until "$NS_A" "$TB4" 15 || fail "no ping reply through the tunnel within 15 s"
tl_wait_handshake "$NS_B" "$IF_B" "$KA_PUB" 5 || fail "wireguard-go shows no handshake"

# expect_in TEXT LABEL PATTERN...: every fixed-string pattern occurs in TEXT.
expect_in() {
	local text=$1 label=$2 p
	shift 2
	for p in "$@"; do
		grep -qF -- "$p" <<<"$text" || fail "$label lacks '$p'; it was:"$'\n'"$text"
	done
}

# --- wg show / showconf, both sides --------------------------------------
out=$(wgx "$NS_A" show "$IF_A") || fail "wg show $IF_A failed"
expect_in "$out" "wg show $IF_A" "interface: $IF_A" "public key: $KA_PUB" "private key: (hidden)" \
	"listening port: $PORT_A" "peer: $KB_PUB" "endpoint: $B4:$PORT_B" "allowed ips:" "$TB4/32" \
	"$TB6/128" "latest handshake:" "transfer:"
out=$(wgx "$NS_B" show "$IF_B") || fail "wg show $IF_B failed"
expect_in "$out" "wg show $IF_B (wireguard-go)" "peer: $KA_PUB" "endpoint: $A4:$PORT_A" "latest handshake:"
out=$(wgx "$NS_A" show "$IF_A" dump) || fail "wg show $IF_A dump failed"
line=$(awk -v k="$KB_PUB" '$1 == k' <<<"$out")
read -r _ psk ep aips hs rx tx ka <<<"$line"
[[ $psk = "(none)" && $ep = "$B4:$PORT_B" && $hs -gt 0 && $rx -gt 0 && $tx -gt 0 && $ka = off ]] ||
	fail "wg show $IF_A dump peer line unexpected: '$line'"
[[ $(wgx "$NS_A" show "$IF_A" private-key) = "$KA_KEY" ]] || fail "wg show $IF_A private-key differs from the key set"
[[ $(wgx "$NS_A" show "$IF_A" public-key) = "$KA_PUB" ]] || fail "wg show $IF_A public-key is not the key's public key"

conf=$(wgx "$NS_A" showconf "$IF_A") || fail "wg showconf $IF_A failed"
expect_in "$conf" "wg showconf $IF_A" "[Interface]" "ListenPort = $PORT_A" "PrivateKey = $KA_KEY" \
	"[Peer]" "PublicKey = $KB_PUB" "Endpoint = $B4:$PORT_B" "$TB4/32"
conf_b=$(wgx "$NS_B" showconf "$IF_B") || fail "wg showconf $IF_B failed"
expect_in "$conf_b" "wg showconf $IF_B" "PublicKey = $KA_PUB" "Endpoint = $A4:$PORT_A"

# --- wg set: keepalive, allowed ips, a new peer, listen port ---------------
wgx "$NS_A" set "$IF_A" peer "$KB_PUB" persistent-keepalive 7 allowed-ips "$TB4/32,$TB6/128,10.99.0.0/16" ||
	fail "wg set keepalive/allowed-ips failed"
ka=$(wgx "$NS_A" show "$IF_A" persistent-keepalive | awk '{ print $2 }')
[[ $ka = 7 ]] || fail "persistent-keepalive after wg set is '$ka', expected 7"
aips=$(wgx "$NS_A" show "$IF_A" allowed-ips | awk '{ $1 = ""; print }')
expect_in "$aips" "allowed-ips after wg set" "10.99.0.0/16" "$TB4/32" "$TB6/128"
tl_genkey KC
wgx "$NS_A" set "$IF_A" peer "$KC_PUB" allowed-ips 10.241.0.3/32 endpoint "$B4:51999" || fail "wg set (add peer) failed"
wgx "$NS_A" show "$IF_A" peers | grep -qxF "$KC_PUB" || fail "peer added with wg set is not listed"
# Routing follows allowed-ips: with 10.99/16 moved to the new peer it must
# leave the old one.
wgx "$NS_A" set "$IF_A" peer "$KC_PUB" allowed-ips 10.241.0.3/32,10.99.0.0/16 || fail "wg set (move 10.99/16) failed"
aips=$(wgx "$NS_A" show "$IF_A" allowed-ips | awk -v k="$KB_PUB" '$1 == k')
grep -qF 10.99.0.0/16 <<<"$aips" && fail "10.99.0.0/16 still listed for the first peer after another peer took it: $aips"

wgx "$NS_A" set "$IF_A" listen-port 51830 || fail "wg set listen-port failed"
[[ $(wgx "$NS_A" show "$IF_A" listen-port) = 51830 ]] || fail "listen-port after wg set is not 51830"
tl_ping "$NS_A" "$TB4" 3 5 2 >/dev/null || fail "ping through the tunnel fails after the listen port changed"
ep=$(wgx "$NS_B" show "$IF_B" endpoints | awk -v k="$KA_PUB" '$1 == k { print $2 }')
[[ $ep = "$A4:51830" ]] || fail "wireguard-go sees the daemon at '$ep', expected $A4:51830 (new listen port)"
if ((TL_IS_TUNLANED)); then
	tl_show_json "$NS_A" "$IF_A" "$TL_TMP/show.json"
	lp=$("$TL_PY" "$TL_TOOL" jget 'd["listen_port"]' "$TL_TMP/show.json")
	[[ $lp = 51830 ]] || fail "tunlane show --json listen_port is $lp, expected 51830"
fi

# --- setting the unchanged private key is a no-op -------------------------
# The kernel and wireguard-go skip it; it must not drop sessions, because
# `wg syncconf` (and so every config reload) always sends the private key.
hs_before=$(tl_handshake_time "$NS_A" "$IF_A" "$KB_PUB")
wgx "$NS_A" set "$IF_A" private-key "$KA_PRIV" || fail "wg set private-key (unchanged) failed"
tl_ping "$NS_A" "$TB4" 3 3 3 >"$TL_TMP/ping.txt" 2>&1 ||
	fail "setting the unchanged private key disrupted traffic: $(cat "$TL_TMP/ping.txt") (it must be a no-op that keeps sessions)"
hs_after=$(tl_handshake_time "$NS_A" "$IF_A" "$KB_PUB")
[[ $hs_after = "$hs_before" ]] || fail "setting the unchanged private key caused a new handshake ($hs_before -> $hs_after)"

# --- wg syncconf: removes the extra peer, updates the first, keeps session --
cat >"$TL_TMP/sync.conf" <<CONF
[Interface]
PrivateKey = $KA_KEY
ListenPort = 51830

[Peer]
PublicKey = $KB_PUB
AllowedIPs = $TB4/32, $TB6/128
Endpoint = $B4:$PORT_B
PersistentKeepalive = 9
CONF
wgx "$NS_A" syncconf "$IF_A" "$TL_TMP/sync.conf" || fail "wg syncconf failed"
peers=$(wgx "$NS_A" show "$IF_A" peers)
[[ $peers = "$KB_PUB" ]] || fail "after wg syncconf peers are '$peers', expected only $KB_PUB"
ka=$(wgx "$NS_A" show "$IF_A" persistent-keepalive | awk '{ print $2 }')
[[ $ka = 9 ]] || fail "persistent-keepalive after wg syncconf is '$ka', expected 9"
aips=$(wgx "$NS_A" show "$IF_A" allowed-ips | awk '{ $1 = ""; print }')
grep -qF 10.99.0.0/16 <<<"$aips" && fail "allowed-ips after syncconf still include 10.99.0.0/16: $aips"
tl_ping "$NS_A" "$TB4" 3 3 3 >"$TL_TMP/ping.txt" 2>&1 || fail "ping fails after wg syncconf: $(cat "$TL_TMP/ping.txt")"
hs_after=$(tl_handshake_time "$NS_A" "$IF_A" "$KB_PUB")
[[ $hs_after = "$hs_before" ]] || fail "wg syncconf caused a new handshake ($hs_before -> $hs_after): the session should be kept"

# --- peer remove stops traffic; setconf of the saved config restores it ---
wgx "$NS_A" set "$IF_A" peer "$KB_PUB" remove || fail "wg set peer remove failed"
[[ -z $(wgx "$NS_A" show "$IF_A" peers) ]] || fail "peer still listed after remove"
tl_ping "$NS_A" "$TB4" 2 2 1 >/dev/null 2>&1 && fail "ping still works after the peer was removed"
wgx "$NS_A" setconf "$IF_A" "$TL_TMP/sync.conf" || fail "wg setconf failed"
tl_ping_until "$NS_A" "$TB4" 15 || fail "ping does not work again after wg setconf re-added the peer"
# Round trip: showconf output is accepted by setconf and gives the same conf.
wgx "$NS_A" showconf "$IF_A" >"$TL_TMP/round.conf" || fail "wg showconf failed"
wgx "$NS_A" setconf "$IF_A" "$TL_TMP/round.conf" || fail "wg setconf of showconf's own output failed"
c1=$(grep -v '^$' "$TL_TMP/round.conf" | sort)
c2=$(wgx "$NS_A" showconf "$IF_A" | grep -v '^$' | sort)
[[ $c1 = "$c2" ]] || fail "showconf changed after setconf of its own output:"$'\n'"$c1"$'\n---\n'"$c2"
_tl_alive "$PID_A" || fail "daemon under test died"
pass "wg show/showconf/set/setconf/syncconf"
