#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# One stopped lane must cost only itself: Lanes = 3, lane 0 of one end
# stopped with SIGSTOP, then `wg show`. The master collects every lane's
# reply within one shared deadline; lane 0 uses it all up, and the replies
# of lanes 1 and 2 (already in their sockets) must still be read: their pids
# must not change, and the tunnel must still carry traffic. Lane 0 itself may
# be replaced (it did not answer); the others never.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-up.sh"

tl3_require "needs tunlaned (lanes)"
LANES=3
STOPPED=
# A stopped process keeps a pending SIGTERM: wake it before cleanup.
trap 'rc=$?; [[ -n $STOPPED ]] && kill -CONT "$STOPPED" 2>/dev/null; (exit $rc); tl3_cleanup' EXIT

tl3_pair "$LANES" "$LANES"
tl_ping_until "$NS_A" "$TB4" 15 || fail "no ping reply through the tunnel within 15 s"

lane_pids() {
	local f=$TL_TMP/show-$1.json
	tl_show_json "$NS_A" "$IF_A" "$f"
	"$TL_PY" "$TL_TOOL" jget '" ".join(str(l["pid"]) for l in sorted(d["lanes"], key=lambda l: l["lane"]))' "$f"
}
pids=$(lane_pids 0)
read -r p0 p1 p2 <<<"$pids" || true
((p0 > 0 && p1 > 0 && p2 > 0)) || fail "lane pids '$p0 $p1 $p2'"
[[ $(ps -o ppid= -p "$p0" | tr -d ' ') = $(tl3_master_pid "$IF_A") ]] ||
	fail "lane 0 pid $p0 is not a child of $IF_A's master"

log "stopping lane 0 (pid $p0); lanes 1 and 2 are $p1 $p2"
STOPPED=$p0
kill -STOP "$p0"
t0=$SECONDS
out=$(wgx "$NS_A" show "$IF_A" 2>&1) || log "wg show with lane 0 stopped: $out"
log "wg show returned after $((SECONDS - t0)) s"
kill -CONT "$p0" 2>/dev/null || true
STOPPED=

pids=$(lane_pids 1)
read -r q0 q1 q2 <<<"$pids" || true
[[ $q1 = "$p1" && $q2 = "$p2" ]] ||
	{ tl_dump_logs; fail "lanes 1 and 2 were restarted (pids $p1 $p2 -> $q1 $q2) because lane 0 was stopped"; }
# A second `wg show`, all lanes answering (lane 0 woken or replaced): no one
# restarted either.
wgx "$NS_A" show "$IF_A" >/dev/null || fail "wg show failed with every lane running"
pids=$(lane_pids 2)
read -r r0 r1 r2 <<<"$pids" || true
[[ $r1 = "$p1" && $r2 = "$p2" ]] || fail "lanes 1 and 2 restarted on the next wg show ($p1 $p2 -> $r1 $r2)"
tl_ping_until "$NS_A" "$TB4" 10 || fail "no ping reply through the tunnel after lane 0 was stopped"
pass "lane 0 stopped during wg show: lanes 1 and 2 kept pids $p1 $p2 (lane 0: $p0 -> $r0)"
