#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# wg-quick's full tunnel under `tunlane up`: AllowedIPs = 0.0.0.0/0, ::/0
# with the default Table, 2 lanes. A reaches B's endpoint only through a
# default route over the veth (no more specific route), so every outer
# packet that is not fwmarked would loop into the tunnel. Checks: the two
# rules per family at the priorities `ip rule add` would pick, fwmark
# 51820 on the daemon, src_valid_mark; ping v4/v6 and a TCP transfer to an
# address that only the /0 routes through the tunnel, with the bytes
# counted by the tunnel on both lanes' sockets; `down` removes exactly its
# rules (a look-alike rule of ours stays); after kill -9 of the daemon the
# next `down`, and the next `up`, remove what it left.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-up.sh"

tl3_require "needs tunlaned and tunlane up"
tl_setup_ns
tl_genkey KA
tl_genkey KB
EP=192.168.242.2 FAR4=10.99.0.1 FAR6=fd99::1
ip -n "$NS_B" addr add "$EP/32" dev lo
ip -n "$NS_B" addr add "$FAR4/32" dev lo
ip -n "$NS_B" addr add "$FAR6/128" dev lo
ip -n "$NS_A" route add default via "$B4"
ip -n "$NS_A" -6 route add default via "$B6"
nsx "$NS_B" sysctl -qw net.ipv4.ip_forward=1 >/dev/null
CONF_A=$TL_TMP/$IF_A.conf CONF_B=$TL_TMP/$IF_B.conf
cat >"$CONF_A" <<CONF
[Interface]
PrivateKey = $KA_KEY
Address = $TA4/24, $TA6/64
Lanes = 2

[Peer]
PublicKey = $KB_PUB
Endpoint = $EP:$PORT_B
AllowedIPs = 0.0.0.0/0, ::/0
CONF
cat >"$CONF_B" <<CONF
[Interface]
PrivateKey = $KB_KEY
ListenPort = $PORT_B
Address = $TB4/24, $TB6/64
Lanes = 2

[Peer]
PublicKey = $KA_PUB
AllowedIPs = $TA4/32, $TA6/128
CONF
chmod 600 "$CONF_A" "$CONF_B"
tl3_up "$NS_B" "$CONF_B"
tl3_up "$NS_A" "$CONF_A"
TL_IFNS[$IF_A]=$NS_A TL_IFNS[$IF_B]=$NS_B

# The rules, in `ip rule` words, each family.
rules() { ip -n "$NS_A" "$1" rule show | grep -v -e '^0:' -e 'lookup main$' -e 'lookup default$' || true; }
want4="32764:	from all lookup main suppress_prefixlength 0
32765:	not from all fwmark 0xca6c lookup 51820"
[[ $(rules -4) = "$want4" ]] || fail "IPv4 rules after up:
$(rules -4)
expected:
$want4"
[[ $(rules -6) = "$want4" ]] || fail "IPv6 rules after up: $(rules -6)"
ip -n "$NS_A" route show table 51820 | grep -q "^default dev $IF_A scope link" ||
	fail "table 51820: '$(ip -n "$NS_A" route show table 51820)'"
ip -n "$NS_A" -6 route show table 51820 | grep -q "^default dev $IF_A" ||
	fail "IPv6 table 51820: '$(ip -n "$NS_A" -6 route show table 51820)'"
[[ $(wgx "$NS_A" show "$IF_A" fwmark) = 0xca6c ]] || fail "daemon fwmark: $(wgx "$NS_A" show "$IF_A" fwmark)"
[[ $(nsx "$NS_A" sysctl -n net.ipv4.conf.all.src_valid_mark) = 1 ]] || fail "src_valid_mark not set"
# No link-local address on the tun (addrgenmode none).
[[ -z $(ip -n "$NS_A" -6 addr show dev "$IF_A" scope link) ]] ||
	fail "the tun has a link-local address: $(ip -n "$NS_A" -6 addr show dev "$IF_A" scope link)"

tl_ping_until "$NS_A" "$TB4" 15 || fail "no ping through the full tunnel within 15 s"
tl_ping "$NS_A" "$FAR4" 3 5 3 >/dev/null || fail "ping $FAR4 (only the /0 leads there) lost packets"
tl_ping "$NS_A" "$FAR6" 3 5 3 >/dev/null || fail "ping6 $FAR6 through the tunnel lost packets"
tx0=$(wgx "$NS_A" show "$IF_A" transfer | awk '{ print $3 }')
tl_iperf "$NS_A" "$FAR4" 5201 "$TL_TMP/tcp.json" -n 64M -P 4
tl_check_tcp "$TL_TMP/tcp.json" $((64 << 20)) "TCP to $FAR4 through the full tunnel, 4 streams"
tx1=$(wgx "$NS_A" show "$IF_A" transfer | awk '{ print $3 }')
# (counters of a lane may lag a little: most of it, not all, must show)
((tx1 - tx0 >= 48 << 20)) || fail "the tunnel sent $((tx1 - tx0)) bytes for a 64 MiB transfer: it went around it"
# Both lanes carried outer traffic (4 streams hash over 2 queues), and the
# handshake worked on both: every lane's socket is marked.
tl_show_json "$NS_A" "$IF_A" "$TL_TMP/show.json"
"$TL_PY" "$TL_TOOL" jget 'all(l["tx_bytes"] > 0 and l["rx_bytes"] > 0 for l in d["lanes"])' "$TL_TMP/show.json" | grep -qx 1 ||
	fail "a lane moved nothing: $("$TL_PY" "$TL_TOOL" jget '[(l["tx_bytes"], l["rx_bytes"]) for l in d["lanes"]]' "$TL_TMP/show.json")"
loop=$(tl_drops "$NS_A" "$IF_A" no_route)
log "full tunnel: $((tx1 - tx0)) bytes through the tunnel, no_route drops $loop"

# down removes exactly its own: a rule that looks like ours but has
# another priority is someone else's and stays.
ip -n "$NS_A" rule add table main suppress_prefixlength 0 pref 1000
TL_T=20 nsx "$NS_A" "$TL_CLI" down "$IF_A" >"$TL_TMP/down.txt" 2>&1 || fail "down: $(cat "$TL_TMP/down.txt")"
[[ $(rules -4) = "1000:	from all lookup main suppress_prefixlength 0" ]] || fail "IPv4 rules after down: $(rules -4)"
[[ -z $(rules -6) ]] || fail "IPv6 rules after down: $(rules -6)"
[[ ! -e $(tl_state "$IF_A" up) ]] || fail "state file left after down"
ip -n "$NS_A" rule del pref 1000

# kill -9: the rules stay behind; the next down removes them.
crash() {
	local pid
	pid=$(tl3_master_pid "$IF_A")
	((pid > 0)) || fail "no master pid for $IF_A"
	kill -KILL "$pid"
	for ((i = 0; i < 50; i++)); do ip -n "$NS_A" link show "$IF_A" >/dev/null 2>&1 || break; sleep 0.1; done
	[[ -n $(rules -4) ]] || fail "kill -9 left no rules (nothing to test)"
}
tl3_up "$NS_A" "$CONF_A"
crash
TL_T=20 nsx "$NS_A" "$TL_CLI" down "$IF_A" >"$TL_TMP/down2.txt" 2>&1 || fail "down after a crash: $(cat "$TL_TMP/down2.txt")"
[[ -z $(rules -4)$(rules -6) ]] || fail "rules after a crash and down: $(rules -4) $(rules -6)"
# ...and so does the next up, which then adds its own once.
tl3_up "$NS_A" "$CONF_A"
crash
tl3_up "$NS_A" "$CONF_A"
[[ $(rules -4) = "$want4" && $(rules -6) = "$want4" ]] || fail "rules after crash and up: $(rules -4) / $(rules -6)"
tl_ping_until "$NS_A" "$FAR4" 15 || fail "no ping through the tunnel after crash and up"
TL_T=20 nsx "$NS_A" "$TL_CLI" down "$IF_A" >/dev/null 2>&1 || fail "final down"
[[ -z $(rules -4)$(rules -6) ]] || fail "rules after the final down: $(rules -4) $(rules -6)"
pass "full tunnel over 2 lanes, $((tx1 - tx0)) bytes through it, rules removed on down and after kill -9"
