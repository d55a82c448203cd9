#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Lanes run as their own system user, and a stopped lane is replaced
# (issue 9, medium 4): with `tunlane up` (2 lanes each side) every lane runs
# as the user 'tunlane', not 'nobody' (and without that user tunlaned
# refuses to start with one clear line). A lane stopped with SIGSTOP (as any
# process of its uid could do) no longer answers the master's heartbeat: it
# is killed and a new lane takes its slot within 6 s (restarts 1), and pings
# through the tunnel pass again, over 16 flows so that both lanes carry some.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-up.sh"
tl3_require "needs tunlaned (lanes)"

tl3_pair 2 2
tl_ping_until "$NS_A" "$TB4" 15 || fail "no ping reply through the tunnel within 15 s"
# From the stats page: `tunlane show` would ask the lanes over the control
# channel, and so find a stopped lane by itself.
lane_pid() { # LANE
	local p
	read -r -a p <<<"$(tl3_lane_pids "$IF_A")"
	echo "${p[$1]:-}"
}
for l in 0 1; do
	p=$(lane_pid $l)
	[[ -n $p && $p -gt 0 ]] || fail "no pid for lane $l"
	u=$(ps -o user= -p "$p")
	[[ $u == tunlane ]] || fail "lane $l (pid $p) runs as '$u', expected 'tunlane'"
done
log "lanes run as 'tunlane'"
# Without that user (a private /etc/passwd lacking it): one clear line.
grep -v '^tunlane:' /etc/passwd >"$TL_TMP/passwd"
rc=0
TL_T=10 nsx "$NS_A" unshare -m bash -c 'mount --bind "$1" /etc/passwd && exec "$2" -f "$3"' \
	_ "$TL_TMP/passwd" "$TL_DAEMON" "tlx$$" >"$TL_TMP/nouser.out" 2>&1 || rc=$?
msg=$(cat "$TL_TMP/nouser.out")
((rc == 1)) && [[ $msg == "tunlaned: lane user 'tunlane' does not exist (create it with: useradd --system"* &&
	$(wc -l <"$TL_TMP/nouser.out") -eq 1 ]] || fail "without the user 'tunlane': exit $rc, '$msg'"
log "without the user: $msg"

old=$(lane_pid 1)
kill -STOP "$old"
t0=$(date +%s%N)
new=
while (($(date +%s%N) - t0 < 8000000000)); do
	p=$(lane_pid 1)
	if [[ -n $p && $p -gt 0 && $p != "$old" ]]; then new=$p; break; fi
	sleep 0.1
done
ms=$((($(date +%s%N) - t0) / 1000000))
[[ -n $new ]] || fail "stopped lane 1 (pid $old) not replaced within 8 s"
((ms <= 6000)) || fail "stopped lane 1 replaced only after $ms ms, expected <= 6000"
tl_wait_exit "$old" 2 || [[ $(ps -o stat= -p "$old") == Z* ]] || fail "stopped lane $old still alive"
log "stopped lane 1 (pid $old) replaced by pid $new after $ms ms"
f=$TL_TMP/show.json
tl_show_json "$NS_A" "$IF_A" "$f"
r=$("$TL_PY" "$TL_TOOL" jget '" ".join(str(l["restarts"]) for l in d["lanes"])' "$f")
[[ $r == "0 1" ]] || fail "restarts per lane '$r', expected '0 1'"
before=$("$TL_PY" "$TL_TOOL" jget '[l for l in d["lanes"] if l["lane"] == 1][0]["tx_bytes"]' "$f")
tl_ping_until "$NS_A" "$TB4" 10 || fail "no ping reply through the tunnel after the respawn"
# With per-peer lanes (tunlaned(8)), flows go only to lanes that hold a
# live session: wait until the new lane 1 has handshaken again.
for ((i = 0; i < 100; i++)); do
	tl_show_json "$NS_A" "$IF_A" "$f"
	[[ $("$TL_PY" "$TL_TOOL" jget '",".join(str(x) for x in d["peers"][0].get("lanes", [0, 1]))' "$f") = 0,1 ]] && break
	sleep 0.1
done
# 16 UDP flows to the discard port through the tunnel, answered or not:
# what counts is that the new lane 1 carries its share (its tx grows).
TL_T=20 tl_udp_flows "$NS_A" "$TB4" 10 0.1
tl_show_json "$NS_A" "$IF_A" "$f"
after=$("$TL_PY" "$TL_TOOL" jget '[l for l in d["lanes"] if l["lane"] == 1][0]["tx_bytes"]' "$f")
((after > before)) || fail "the new lane 1 carried nothing ($before -> $after tx bytes)"
pass "lanes run as tunlane; a stopped lane was replaced in $ms ms and carries traffic"
