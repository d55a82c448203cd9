#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Control operations at scale (issue: quadratic set/get): on a 2-lane
# tunlaned, `wg setconf` with 20,000 peers, then `wg show`, each within a
# generous bound (the real figures are far lower; these only catch the
# quadratic cases, which took tens of seconds), with every peer and allowed
# IP read back; then one peer with 65,280 allowed IPs, and 40 peers with 52
# each. No lane may be restarted along the way (a lane that misses its
# control deadline is killed and respawned), and the tunnel to a real peer
# (another 2-lane tunlaned) keeps working through all of it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-up.sh"

tl3_require "needs tunlaned (lanes, tunlane show)"
SET_MAX=${TL_SET_MAX:-15}	# seconds; target on a quiet 2-core box: < 5
SHOW_MAX=${TL_SHOW_MAX:-10}	# seconds; target: < 1

# Two tunlaned with 2 lanes each (lane i talks to lane i of the peer).
tl3_pair 2 2

# conf KIND FILE: a wg(8) config for A: the real peer B plus KIND's peers.
conf() {
	"$TL_PY" - "$1" "$KA_KEY" "$PORT_A" "$KB_PUB" "$TB4" "$B4:$PORT_B" >"$2" <<'PY'
import base64, os, sys
kind, key, port, bpub, b4, bep = sys.argv[1:]
out = ["[Interface]", "PrivateKey = " + key, "ListenPort = " + port, "",
       "[Peer]", "PublicKey = " + bpub, "AllowedIPs = %s/32" % b4, "Endpoint = " + bep, ""]
def peer(ips):
    out.extend(["[Peer]", "PublicKey = " + base64.b64encode(os.urandom(32)).decode(),
                "AllowedIPs = " + ", ".join(ips), ""])
if kind == "many":
    for i in range(20000):
        peer(["10.%d.%d.%d/32" % (100 + (i >> 16), (i >> 8) & 255, i & 255)])
elif kind == "wide":
    peer(["10.%d.%d.0/24" % (i >> 8, i & 255) for i in range(65280)])
elif kind == "forty":
    for p in range(40):
        peer(["172.16.%d.%d/32" % (p, i) for i in range(52)])
print("\n".join(out))
PY
}

# timed SECONDS_VAR CMD...: runs CMD in NS_A, sets SECONDS_VAR (ms).
timed() {
	local var=$1 t0 t1
	shift
	t0=$(date +%s%N)
	TL_T=60 nsx "$NS_A" "$@" >"$TL_TMP/out" 2>&1 || fail "$* failed: $(tail -n 3 "$TL_TMP/out")"
	t1=$(date +%s%N)
	printf -v "$var" '%s' $(((t1 - t0) / 1000000))
}
# restarts: the sum of the lanes' restart counters.
restarts() {
	local f=$TL_TMP/show.json
	tl_show_json "$NS_A" "$IF_A" "$f"
	"$TL_PY" "$TL_TOOL" jget "sum(l['restarts'] for l in d['lanes'])" "$f"
}
# check_show KIND PEERS AIPS: wg show counts what was set.
check_show() {
	local n_peers n_aips
	n_peers=$(TL_T=60 nsx "$NS_A" wg show "$IF_A" peers | wc -l)
	n_aips=$(TL_T=60 nsx "$NS_A" wg show "$IF_A" allowed-ips | awk '{ n += NF - 1 } END { print n + 0 }')
	[[ $n_peers = "$2" ]] || fail "$1: wg show lists $n_peers peers, expected $2"
	[[ $n_aips = "$3" ]] || fail "$1: wg show lists $n_aips allowed IPs, expected $3"
}

tl_ping_until "$NS_A" "$TB4" 15 || fail "no ping through the tunnel within 15 s"
hs0=$(tl_handshake_time "$NS_A" "$IF_A" "$KB_PUB")
[[ $(restarts) = 0 ]] || fail "lanes restarted before the test began"

conf many "$TL_TMP/many.conf"
timed set_ms wg setconf "$IF_A" "$TL_TMP/many.conf"
timed show_ms wg show "$IF_A"
timed dump_ms wg show "$IF_A" dump
log "20,000 peers: wg setconf ${set_ms} ms, wg show ${show_ms} ms, wg show dump ${dump_ms} ms"
((set_ms < SET_MAX * 1000)) || fail "wg setconf of 20,000 peers took ${set_ms} ms (bound ${SET_MAX} s)"
((show_ms < SHOW_MAX * 1000)) || fail "wg show of 20,000 peers took ${show_ms} ms (bound ${SHOW_MAX} s)"
check_show "20,000 peers" 20001 20001
tl_ping "$NS_A" "$TB4" 3 5 1 || fail "tunnel dead after the 20,000-peer setconf"
# Again: the same peers replaced by new ones (replace_peers on 20,000).
conf many "$TL_TMP/many2.conf"
timed set2_ms wg setconf "$IF_A" "$TL_TMP/many2.conf"
log "20,000 peers replaced by 20,000 others: wg setconf ${set2_ms} ms"
((set2_ms < SET_MAX * 1000)) || fail "second wg setconf of 20,000 peers took ${set2_ms} ms"
check_show "20,000 new peers" 20001 20001

conf wide "$TL_TMP/wide.conf"
timed wide_ms wg setconf "$IF_A" "$TL_TMP/wide.conf"
log "one peer with 65,280 allowed IPs: wg setconf ${wide_ms} ms"
check_show "one peer with 65,280 allowed IPs" 2 65281

conf forty "$TL_TMP/forty.conf"
timed forty_ms wg setconf "$IF_A" "$TL_TMP/forty.conf"
check_show "40 peers with 52 allowed IPs" 41 2081

r=$(restarts)
[[ $r = 0 ]] || fail "$r lane restart(s): a lane missed its control deadline"
tl_ping "$NS_A" "$TB4" 3 5 1 || fail "tunnel dead at the end"
hs1=$(tl_handshake_time "$NS_A" "$IF_A" "$KB_PUB")
[[ $hs1 = "$hs0" ]] || note "handshake time moved ($hs0 -> $hs1)"
pass "setconf 20k peers ${set_ms} ms, show ${show_ms} ms, no lane restarted"
