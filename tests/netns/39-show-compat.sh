#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `tunlane show` speaks like `wg show`: durations as "1 minute, 5
# seconds", a "preshared key: (hidden)" line where one is set (the lines
# are compared with wg show's own), and, with 2 lanes behind a NAT that
# gives each lane's flow a random port, each lane's own endpoint (human
# and JSON). In the JSON, "never" is null (a lane without a handshake, a
# peer without an endpoint), like a missing endpoint. The tun has no IPv6
# link-local address (addrgenmode none).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-up.sh"

tl3_require "needs tunlaned and tunlane show"
command -v iptables >/dev/null || skip "iptables not found"
tl_setup_ns
tl_genkey KA
tl_genkey KB
tl_genkey KC
PSK=$(wg genpsk)
# B's outer packets leave with a random source port per flow.
ip netns exec "$NS_B" iptables -t nat -A POSTROUTING -o veth0 -p udp -j MASQUERADE --random ||
	fail "cannot add the NAT rule in $NS_B"
CONF_A=$TL_TMP/$IF_A.conf CONF_B=$TL_TMP/$IF_B.conf
cat >"$CONF_A" <<CONF
[Interface]
PrivateKey = $KA_KEY
ListenPort = $PORT_A
Address = $TA4/24
Lanes = 2

[Peer]
PublicKey = $KB_PUB
PresharedKey = $PSK
AllowedIPs = $TB4/32

[Peer]
PublicKey = $KC_PUB
AllowedIPs = 10.241.0.77/32
CONF
cat >"$CONF_B" <<CONF
[Interface]
PrivateKey = $KB_KEY
ListenPort = $PORT_B
Address = $TB4/24
Lanes = 2

[Peer]
PublicKey = $KA_PUB
PresharedKey = $PSK
Endpoint = $A4:$PORT_A
AllowedIPs = $TA4/32
PersistentKeepalive = 65
CONF
chmod 600 "$CONF_A" "$CONF_B"
tl3_up "$NS_A" "$CONF_A"
tl3_up "$NS_B" "$CONF_B"
TL_IFNS[$IF_A]=$NS_A TL_IFNS[$IF_B]=$NS_B
[[ -z $(ip -n "$NS_A" -6 addr show dev "$IF_A" scope link) ]] ||
	fail "the tun has a link-local address: $(ip -n "$NS_A" -6 addr show dev "$IF_A")"
tl_ping_until "$NS_B" "$TA4" 15 || fail "no ping through the tunnel"
# Several flows, so that both lanes carry one and both NAT mappings exist.
tl_iperf "$NS_B" "$TA4" 5201 "$TL_TMP/tcp.json" -n 16M -P 8
tl_show_json "$NS_A" "$IF_A" "$TL_TMP/a.json"
"$TL_PY" "$TL_TOOL" jget 'all(l["latest_handshake"] for l in d["lanes"])' "$TL_TMP/a.json" | grep -qx 1 ||
	fail "a lane of $IF_A has no handshake: $(cat "$TL_TMP/a.json")"

# wg show and tunlane show agree, line for line, on these.
nsx "$NS_B" wg show "$IF_B" >"$TL_TMP/wg-b.txt"
nsx "$NS_B" "$TL_CLI" show "$IF_B" >"$TL_TMP/tl-b.txt"
for pat in "persistent keepalive:" "preshared key:"; do
	w=$(grep "$pat" "$TL_TMP/wg-b.txt") t=$(grep "$pat" "$TL_TMP/tl-b.txt") || true
	[[ -n $w && $w = "$t" ]] || fail "'$pat': wg show says '$w', tunlane show '$t'"
done
grep -qx "  persistent keepalive: every 1 minute, 5 seconds" "$TL_TMP/tl-b.txt" ||
	fail "keepalive line: $(grep keepalive "$TL_TMP/tl-b.txt")"
grep -Eq "^  latest handshake: (Now|[0-9]+ seconds? ago)$" "$TL_TMP/tl-b.txt" ||
	fail "handshake line: $(grep 'latest handshake' "$TL_TMP/tl-b.txt")"
# The peer without a preshared key has no such line.
nsx "$NS_A" "$TL_CLI" show "$IF_A" >"$TL_TMP/tl-a.txt"
[[ $(grep -c "preshared key: (hidden)" "$TL_TMP/tl-a.txt") = 1 ]] || fail "$IF_A: expected one preshared key line:
$(cat "$TL_TMP/tl-a.txt")"

# Each lane's own endpoint: B4 and a port the NAT picked, one per lane.
read -r e0 e1 < <("$TL_PY" "$TL_TOOL" jget '" ".join(str(e) for e in [p for p in d["peers"] if p["preshared_key"]][0]["lane_endpoints"])' "$TL_TMP/a.json")
[[ $e0 = "$B4:"* && $e1 = "$B4:"* && $e0 != "$e1" ]] || fail "lane endpoints of B: '$e0' '$e1'"
grep -qx "  lane endpoints: 0 $e0, 1 $e1" "$TL_TMP/tl-a.txt" || fail "no lane endpoints line for B:
$(cat "$TL_TMP/tl-a.txt")"
# "never" and "no endpoint" are null; the PSK is never shown.
"$TL_PY" "$TL_TOOL" jget '[p for p in d["peers"] if not p["preshared_key"]][0]' "$TL_TMP/a.json" >"$TL_TMP/c.json"
"$TL_PY" "$TL_TOOL" jget 'd["latest_handshake"] is None and d["endpoint"] is None and d["lane_endpoints"] == [None, None]' "$TL_TMP/c.json" | grep -qx 1 ||
	fail "peer C (never seen): $(cat "$TL_TMP/c.json")"
grep -q "$PSK" "$TL_TMP/a.json" "$TL_TMP/tl-a.txt" "$TL_TMP/tl-b.txt" && fail "the preshared key was printed"
pass "show like wg show; lane endpoints behind NAT: $e0 $e1"
