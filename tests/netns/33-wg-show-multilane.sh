#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Stock wg(8) on a multi-lane interface: Lanes = 3 on both ends (`tunlane
# up`), traffic over several flows, then `wg show IFNAME`, `wg show IFNAME
# dump` and `wg showconf IFNAME` must work and agree with the config, and
# the transfer counters in `wg show` must match `tunlane show --json` (the
# peer's counters and the sum over the lanes) within a small tolerance. At
# the end, `wg showconf` output fed back with `wg setconf` is accepted and
# the tunnel still works.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-up.sh"

tl3_require "needs tunlaned (lanes)"
LANES=3

tl3_pair "$LANES" "$LANES"
tl_ping_until "$NS_A" "$TB4" 15 || fail "no ping reply through the tunnel within 15 s"
tl_iperf "$NS_A" "$TB4" 5201 "$TL_TMP/a2b.json" -n 256M -P 6
tl_check_tcp "$TL_TMP/a2b.json" $((256 << 20)) "TCP, 6 flows, A->B"
tl_iperf "$NS_B" "$TA4" 5202 "$TL_TMP/b2a.json" -n 64M -P 6
tl_check_tcp "$TL_TMP/b2a.json" $((64 << 20)) "TCP, 6 flows, B->A"

# --- wg show IFNAME ----------------------------------------------------------
out=$(wgx "$NS_A" show "$IF_A" 2>&1) || fail "wg show $IF_A failed: $out"
for want in "interface: $IF_A" "public key: $KA_PUB" "listening port: $PORT_A" \
	"peer: $KB_PUB" "endpoint: $B4:$PORT_B" "allowed ips: $TB4/32" "latest handshake:" "transfer:"; do
	grep -qF "$want" <<<"$out" || fail "wg show $IF_A lacks '$want':"$'\n'"$out"
done
log "wg show $IF_A:"$'\n'"$(sed 's/^/      /' <<<"$out")"

# --- wg show IFNAME dump ---------------------------------------------------
dump=$(wgx "$NS_A" show "$IF_A" dump 2>&1) || fail "wg show $IF_A dump failed: $dump"
lines=$(wc -l <<<"$dump")
((lines == 2)) || fail "wg show $IF_A dump: $lines lines, expected 2 (interface, one peer):"$'\n'"$dump"
IFS=$'\t' read -r d_priv d_pub d_port d_fwmark <<<"$(sed -n 1p <<<"$dump")"
[[ $d_priv = "$KA_KEY" ]] || fail "dump: private key differs from the config's"
[[ $d_pub = "$KA_PUB" ]] || fail "dump: public key $d_pub, expected $KA_PUB"
[[ $d_port = "$PORT_A" ]] || fail "dump: listen port $d_port, expected $PORT_A"
[[ $d_fwmark = off ]] || fail "dump: fwmark $d_fwmark, expected off"
IFS=$'\t' read -r p_pub p_psk p_ep p_allowed p_hs p_rx p_tx p_ka <<<"$(sed -n 2p <<<"$dump")"
[[ $p_pub = "$KB_PUB" ]] || fail "dump: peer $p_pub, expected $KB_PUB"
[[ $p_psk = "(none)" ]] || fail "dump: preshared key '$p_psk', expected (none)"
[[ $p_ep = "$B4:$PORT_B" ]] || fail "dump: endpoint $p_ep, expected $B4:$PORT_B"
[[ $p_allowed = "$TB4/32" ]] || fail "dump: allowed ips $p_allowed, expected $TB4/32"
((p_hs > 0 && p_hs <= $(date +%s) + 1)) || fail "dump: latest handshake $p_hs"
[[ $p_ka = off ]] || fail "dump: persistent keepalive $p_ka, expected off"
((p_rx > 0 && p_tx >= 256 << 20)) || fail "dump: transfer rx $p_rx tx $p_tx, expected tx >= 256 MiB"

# --- counters: wg show vs tunlane show --json -------------------------------
# Read back to back with the link idle; keepalives and late ACKs may still
# move a few KiB, hence the tolerance.
f=$TL_TMP/show.json
read -r _ w_rx w_tx < <(wgx "$NS_A" show "$IF_A" transfer | awk -v k="$KB_PUB" '$1 == k')
tl_show_json "$NS_A" "$IF_A" "$f"
read -r w2_rx w2_tx < <(wgx "$NS_A" show "$IF_A" transfer | awk -v k="$KB_PUB" '$1 == k { print $2, $3 }')
cmp=$("$TL_PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
w_rx, w_tx, w2_rx, w2_tx = map(int, sys.argv[2:6])
lanes = d["lanes"]
p = [x for x in d["peers"] if x["public_key"] == sys.argv[6]]
if len(lanes) != int(sys.argv[7]) or len(p) != 1:
    print("BAD: %d lanes, %d matching peers" % (len(lanes), len(p))); sys.exit()
p = p[0]
# "peer" is the master sum over lanes for the peer; "lanes" the lane pages.
vals = {"peer": (p["rx_bytes"], p["tx_bytes"]),
        "lanes": (sum(l["rx_bytes"] for l in lanes), sum(l["tx_bytes"] for l in lanes))}
bad = []
for name, (rx, tx) in vals.items():
    for what, v, lo, hi in (("rx", rx, w_rx, w2_rx), ("tx", tx, w_tx, w2_tx)):
        tol = max(65536, hi // 100)
        if not (min(lo, hi) - tol <= v <= max(lo, hi) + tol):
            bad.append("%s %s_bytes %d vs wg show %d..%d (tolerance %d)" % (name, what, v, lo, hi, tol))
print("BAD: " + "; ".join(bad) if bad else "OK",
      "| wg: rx %d tx %d | peers[0]: rx %d tx %d | sum of %d lanes: rx %d tx %d | per lane rx/tx: %s" % (
      w_rx, w_tx, vals["peer"][0], vals["peer"][1], len(lanes), vals["lanes"][0], vals["lanes"][1],
      " ".join("%d/%d" % (l["rx_bytes"], l["tx_bytes"]) for l in lanes)))
' "$f" "$w_rx" "$w_tx" "$w2_rx" "$w2_tx" "$KB_PUB" "$LANES")
[[ $cmp = OK* ]] || fail "transfer counters disagree: $cmp"
log "counters agree: ${cmp#OK | }"

# --- wg showconf IFNAME ------------------------------------------------------
conf=$(wgx "$NS_A" showconf "$IF_A" 2>&1) || fail "wg showconf $IF_A failed: $conf"
for want in "[Interface]" "ListenPort = $PORT_A" "PrivateKey = $KA_KEY" "[Peer]" \
	"PublicKey = $KB_PUB" "AllowedIPs = $TB4/32" "Endpoint = $B4:$PORT_B"; do
	grep -qxF "$want" <<<"$conf" || fail "wg showconf $IF_A lacks the line '$want'"
done
printf '%s\n' "$conf" >"$TL_TMP/showconf.conf"
chmod 600 "$TL_TMP/showconf.conf"
wgx "$NS_A" setconf "$IF_A" "$TL_TMP/showconf.conf" || fail "wg setconf with wg showconf's own output failed"
[[ $(wgx "$NS_A" showconf "$IF_A") = "$conf" ]] || fail "wg showconf differs after wg setconf of its own output"
t0=$SECONDS
tl_ping_until "$NS_A" "$TB4" 5 || fail "the tunnel stopped working after wg setconf of wg showconf's output"
log "a ping crossed again $((SECONDS - t0)) s after wg setconf"
pass "wg show, wg show dump and wg showconf on $LANES lanes; counters match tunlane show"
