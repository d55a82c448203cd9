#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `tunlane reload` applies an edited file live while a TCP transfer to an
# unchanged peer runs: a peer added, a peer removed, another peer's
# AllowedIPs changed (its route follows), an address added. The transfer
# completes and no lane makes a new handshake. Then an MTU
# change is applied, and a Lanes change is refused with one line, the
# interface untouched.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-up.sh"

tl3_require "needs tunlaned and tunlane"
tl3_pair 2 2
TL_IFNS[$IF_A]=$NS_A TL_IFNS[$IF_B]=$NS_B
tl_genkey KC
tl_genkey KD
tl_genkey KE
# Two more peers on A: C (to be removed), D (whose AllowedIPs change).
printf '\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.241.7.0/24\n' "$KC_PUB" >>"$CONF_A"
printf '\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.241.8.0/24\n' "$KD_PUB" >>"$CONF_A"
rl() { TL_T=20 nsx "$NS_A" "$TL_CLI" reload "$CONF_A" >"$TL_TMP/reload.txt" 2>&1; }
rl || fail "first reload: $(cat "$TL_TMP/reload.txt")"
ip -n "$NS_A" route show 10.241.7.0/24 | grep -q "dev $IF_A" || fail "no route for C after reload"
tl_ping_until "$NS_A" "$TB4" 15 || fail "no ping to B"
# Every lane makes its first handshake when it first carries a flow: get
# that done before counting.
tl_iperf "$NS_A" "$TB4" 5200 "$TL_TMP/warm.json" -n 8M -P 8
tl_wait_all_lanes "$NS_A" "$IF_A" 15 || true
hs_count() {
	tl_show_json "$NS_A" "$IF_A" "$TL_TMP/hs.json"
	"$TL_PY" "$TL_TOOL" jget '"%d %d" % (sum(l["handshakes"] for l in d["lanes"]), all(l["latest_handshake"] for l in d["lanes"]))' "$TL_TMP/hs.json"
}
read -r hs all < <(hs_count)
((all == 1)) || fail "a lane has no handshake after the warm-up: $(cat "$TL_TMP/hs.json")"

# The transfer to B runs while the file changes under it.
(tl_iperf "$NS_A" "$TB4" 5201 "$TL_TMP/tcp.json" -t 6 -P 2) &
IPERF=$!
sleep 2
"$TL_PY" - "$CONF_A" "$KC_PUB" "$KE_PUB" <<'PY'
import sys
path, c, e = sys.argv[1:]
text = open(path).read()
blocks = text.split("\n[Peer]\n")
blocks = [b for b in blocks if ("PublicKey = " + c) not in b]
text = "\n[Peer]\n".join(blocks)
text = text.replace("AllowedIPs = 10.241.8.0/24", "AllowedIPs = 10.241.9.0/24")
text = text.replace("Address = 10.241.0.1/24", "Address = 10.241.0.1/24, fd00:2410::1/64")
text += "\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.241.10.0/24\n" % e
open(path, "w").write(text)
PY
rl || fail "reload during the transfer: $(cat "$TL_TMP/reload.txt")"
log "reload: $(cat "$TL_TMP/reload.txt")"
wait "$IPERF" || fail "the transfer to the unchanged peer failed across the reload"
tl_check_tcp "$TL_TMP/tcp.json" 1 "TCP to B across the reload"
peers=$(wgx "$NS_A" show "$IF_A" peers)
grep -qx "$KE_PUB" <<<"$peers" || fail "added peer E missing"
grep -qx "$KC_PUB" <<<"$peers" && fail "removed peer C still there"
wgx "$NS_A" show "$IF_A" allowed-ips | grep "^$KD_PUB" | grep -q "10.241.9.0/24" || fail "D's new AllowedIPs missing"
ip -n "$NS_A" route show 10.241.7.0/24 | grep -q . && fail "route of removed C left"
ip -n "$NS_A" route show 10.241.8.0/24 | grep -q . && fail "route of D's old AllowedIPs left"
ip -n "$NS_A" route show 10.241.9.0/24 | grep -q "dev $IF_A" || fail "no route for D's new AllowedIPs"
ip -n "$NS_A" route show 10.241.10.0/24 | grep -q "dev $IF_A" || fail "no route for E"
ip -n "$NS_A" -6 addr show dev "$IF_A" | grep -q "fd00:2410::1/64" || fail "added address missing"
read -r hs2 _ < <(hs_count)
((hs2 == hs)) || fail "$((hs2 - hs)) new handshake(s) on A's lanes: B's sessions did not survive the reload"

# MTU follows the file.
sed -i 's/^Lanes = 2$/Lanes = 2\nMTU = 1400/' "$CONF_A"
rl || fail "MTU reload: $(cat "$TL_TMP/reload.txt")"
ip -n "$NS_A" link show "$IF_A" | grep -q "mtu 1400" || fail "MTU not 1400 after reload"
# Lanes cannot change live: one line, nothing touched.
sed -i 's/^Lanes = 2$/Lanes = 3/' "$CONF_A"
rc=0
rl || rc=$?
[[ $rc = 1 && $(cat "$TL_TMP/reload.txt") = "tunlane: $IF_A: Lanes changed from 2 to 3, which reload cannot do live; use down and up" ]] ||
	fail "Lanes change: exit $rc, '$(cat "$TL_TMP/reload.txt")'"
tl_ping "$NS_A" "$TB4" 3 5 3 >/dev/null || fail "ping after the refused reload"
pass "reload live: peers added/removed/changed, routes and address follow, transfer unbroken, Lanes change refused"
