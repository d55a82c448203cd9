#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Two wg-quick configs as the common guides write them come up with
# `tunlane up` unchanged:
#  - a hub (B): PostUp/PostDown with iptables FORWARD ACCEPT and
#    MASQUERADE (run inside B's namespace), SaveConfig = true;
#  - a road-warrior client (A): full tunnel 0.0.0.0/0, ::/0 with DNS and
#    PersistentKeepalive, kept as /etc/wireguard/IF.conf and brought up by
#    name (tunlane says it used that file).
# DNS goes to resolvconf: a recording resolvconf first in PATH stands in
# for the host's resolver, which a test must not change; it must get
# "-a NAME -m 0 -x" with the nameserver on up and "-d NAME -f" on down.
# Without resolvconf, up prints a one-line notice. SaveConfig: a peer
# added with `wg set` while up is in the file after down, with Address,
# the hooks, SaveConfig, CPUs and User; the file comes up again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-up.sh"

tl3_require "needs tunlaned and tunlane up"
command -v iptables >/dev/null || skip "iptables not found"
WGCONF=/etc/wireguard/$IF_A.conf
[[ ! -e $WGCONF && ! -e /etc/tunlane/$IF_A.conf ]] || fail "$WGCONF or /etc/tunlane/$IF_A.conf exists already"
trap 'rc=$?; rm -f "$WGCONF"; (exit $rc); tl3_cleanup' EXIT
tl_setup_ns
tl_genkey KA
tl_genkey KB
tl_genkey KC
EP=192.168.242.2 FAR4=10.99.0.1
ip -n "$NS_B" addr add "$EP/32" dev lo
ip -n "$NS_B" addr add "$FAR4/32" dev lo
ip -n "$NS_A" route add default via "$B4"
BIN=$TL_TMP/bin RLOG=$TL_TMP/resolvconf.log
mkdir -p "$BIN"
cat >"$BIN/resolvconf" <<SH
#!/bin/sh
echo "resolvconf \$*" >>"$RLOG"
[ "\$1" = -a ] && sed 's/^/  /' >>"$RLOG"
exit 0
SH
chmod +x "$BIN/resolvconf"
RPATH=$BIN:$PATH

CONF_B=$TL_TMP/$IF_B.conf
cat >"$CONF_B" <<CONF
[Interface]
Address = $TB4/24
SaveConfig = true
PostUp = iptables -A FORWARD -i %i -j ACCEPT; iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE
PostDown = iptables -D FORWARD -i %i -j ACCEPT; iptables -t nat -D POSTROUTING -o eth0 -j MASQUERADE
ListenPort = 51820
PrivateKey = $KB_KEY

[Peer]
PublicKey = $KA_PUB
AllowedIPs = $TA4/32
CONF
mkdir -p /etc/wireguard
cat >"$WGCONF" <<CONF
[Interface]
PrivateKey = $KA_KEY
Address = $TA4/24
DNS = $TB4

[Peer]
PublicKey = $KB_PUB
Endpoint = $EP:51820
AllowedIPs = 0.0.0.0/0, ::/0
PersistentKeepalive = 25
CONF
chmod 600 "$CONF_B" "$WGCONF"
TL_IFS+=("$IF_A" "$IF_B") TL3_UP+=("$IF_A" "$IF_B")
TL_IFNS[$IF_A]=$NS_A TL_IFNS[$IF_B]=$NS_B

tl() { # NS OUTFILE ARGS...: tunlane with the recording resolvconf in PATH
	local ns=$1 out=$2
	shift 2
	TL_T=30 nsx "$ns" env PATH="$RPATH" "$TL_CLI" "$@" >"$out" 2>&1
}
tl "$NS_B" "$TL_TMP/up-b.txt" up "$CONF_B" || fail "hub: tunlane up failed: $(cat "$TL_TMP/up-b.txt")"
tl "$NS_A" "$TL_TMP/up-a.txt" up "$IF_A" || fail "client: tunlane up $IF_A failed: $(cat "$TL_TMP/up-a.txt")"
grep -qx "tunlane: $IF_A: using $WGCONF (there is no /etc/tunlane/$IF_A.conf)" "$TL_TMP/up-a.txt" ||
	fail "client: up did not say it used $WGCONF: $(cat "$TL_TMP/up-a.txt")"
# The hooks ran in B's namespace, %i replaced, their command echoed.
grep -qxF "[#] iptables -A FORWARD -i $IF_B -j ACCEPT; iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE" "$TL_TMP/up-b.txt" ||
	fail "hub: PostUp not echoed: $(cat "$TL_TMP/up-b.txt")"
ip netns exec "$NS_B" iptables -S FORWARD | grep -qxF -- "-A FORWARD -i $IF_B -j ACCEPT" || fail "hub: no FORWARD rule after PostUp"
ip netns exec "$NS_B" iptables -t nat -S POSTROUTING | grep -qxF -- "-A POSTROUTING -o eth0 -j MASQUERADE" || fail "hub: no MASQUERADE rule after PostUp"
# DNS through resolvconf.
grep -Eq "^resolvconf -a ([A-Za-z0-9-]+\.)?$IF_A -m 0 -x$" "$RLOG" || fail "client: resolvconf -a not run: $(cat "$RLOG" 2>/dev/null)"
grep -qx "  nameserver $TB4" "$RLOG" || fail "client: resolvconf did not get the nameserver: $(cat "$RLOG")"

tl_ping_until "$NS_A" "$TB4" 15 || fail "client: no ping to the hub within 15 s"
tl_ping "$NS_A" "$FAR4" 3 5 3 >/dev/null || fail "client: ping $FAR4 through the full tunnel lost packets"
tl_iperf "$NS_A" "$FAR4" 5201 "$TL_TMP/tcp.json" -n 32M
tl_check_tcp "$TL_TMP/tcp.json" $((32 << 20)) "client TCP through the full tunnel"

# A peer added while up, then down: SaveConfig writes it back.
wgx "$NS_B" set "$IF_B" peer "$KC_PUB" allowed-ips 10.241.0.9/32 persistent-keepalive 15 || fail "wg set on the hub"
tl "$NS_B" "$TL_TMP/down-b.txt" down "$IF_B" || fail "hub: down failed: $(cat "$TL_TMP/down-b.txt")"
ip netns exec "$NS_B" iptables -S FORWARD | grep -q -- "-i $IF_B" && fail "hub: PostDown left the FORWARD rule"
ip netns exec "$NS_B" iptables -t nat -S POSTROUTING | grep -q MASQUERADE && fail "hub: PostDown left the MASQUERADE rule"
for want in "[Interface]" "Address = $TB4/24" "ListenPort = 51820" "SaveConfig = true" \
	"PostUp = iptables -A FORWARD -i %i -j ACCEPT; iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE" \
	"PostDown = iptables -D FORWARD -i %i -j ACCEPT; iptables -t nat -D POSTROUTING -o eth0 -j MASQUERADE" \
	"PublicKey = $KA_PUB" "PublicKey = $KC_PUB" "AllowedIPs = 10.241.0.9/32" "PersistentKeepalive = 15"; do
	grep -qxF -- "$want" "$CONF_B" || fail "hub: saved config lacks '$want':"$'\n'"$(sed 's/PrivateKey = .*/PrivateKey = (hidden)/' "$CONF_B")"
done
grep -q "fe80" "$CONF_B" && fail "hub: a link-local address was saved"
[[ $(stat -c %a "$CONF_B") = 600 ]] || fail "hub: saved config has mode $(stat -c %a "$CONF_B")"
# tunlane's own keys survive a save too.
printf 'CPUs = 0\nUser = nobody\n' >"$TL_TMP/extra"
sed -i "/^\[Interface\]/r $TL_TMP/extra" "$CONF_B"
tl "$NS_B" "$TL_TMP/up-b2.txt" up "$CONF_B" || fail "hub: the saved config does not come up: $(cat "$TL_TMP/up-b2.txt")"
wgx "$NS_B" show "$IF_B" peers | grep -qx "$KC_PUB" || fail "hub: the saved peer is missing after up"
tl "$NS_B" "$TL_TMP/down-b2.txt" down "$CONF_B" || fail "hub: second down failed: $(cat "$TL_TMP/down-b2.txt")"
grep -qx "CPUs = 0" "$CONF_B" && grep -qx "User = nobody" "$CONF_B" || fail "hub: CPUs/User lost by SaveConfig"

tl "$NS_A" "$TL_TMP/down-a.txt" down "$IF_A" || fail "client: down failed: $(cat "$TL_TMP/down-a.txt")"
grep -Eq "^resolvconf -d ([A-Za-z0-9-]+\.)?$IF_A -f$" "$RLOG" || fail "client: resolvconf -d not run: $(cat "$RLOG")"
[[ -z $(ip -n "$NS_A" rule show | grep -v -e '^0:' -e 'lookup main$' -e 'lookup default$') ]] || fail "client: rules left after down"

# Without resolvconf: one notice line, and up succeeds.
if ! PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v resolvconf >/dev/null; then
	TL_T=30 nsx "$NS_A" env PATH=/usr/sbin:/usr/bin:/sbin:/bin "$TL_CLI" up "$IF_A" >"$TL_TMP/up-a2.txt" 2>&1 ||
		fail "client: up without resolvconf failed: $(cat "$TL_TMP/up-a2.txt")"
	[[ $(grep -c "DNS not set: no resolvconf" "$TL_TMP/up-a2.txt") = 1 ]] || fail "client: no notice without resolvconf: $(cat "$TL_TMP/up-a2.txt")"
	TL_T=30 nsx "$NS_A" "$TL_CLI" down "$IF_A" >/dev/null 2>&1 || fail "client: second down"
else
	note "this host has resolvconf: the notice without it is not checked"
fi
pass "hub with PostUp MASQUERADE and SaveConfig, road warrior with full tunnel and DNS from $WGCONF"
