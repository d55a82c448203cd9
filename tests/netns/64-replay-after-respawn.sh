#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# A respawned lane keeps the replay floor of its slot (issue 9, low 9): B's
# handshake initiation to A is captured off the wire (1 lane each side,
# `tunlane up`); replayed at once it is refused (handshake_failed + 1). Then
# A's lane is killed with SIGKILL and respawned, and the same initiation,
# replayed to the new lane, is refused too (handshake_failed + 1 again,
# counted in the slot that survives the respawn), where a lane that forgot
# the newest timestamp would accept it, re-point the endpoint and answer.
# A fresh handshake still works afterwards.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-up.sh"
tl3_require "needs tunlaned"

tl3_pair 1 1
rm -f "$TL_TMP/ready"
TL_T=20 nsx "$NS_A" "$TL_PY" "$TL_TOOL" capture veth0 "$A4" "$PORT_A" "$TL_TMP/init.bin" \
	--type 1 -W 15 --ready "$TL_TMP/ready" >"$TL_TMP/capture.txt" 2>&1 &
cap=$!
TL_PIDS+=("$cap")
for ((i = 0; i < 50; i++)); do [[ -e $TL_TMP/ready ]] && break; sleep 0.1; done
tl_ping_until "$NS_B" "$TA4" 15 || fail "no ping reply through the tunnel within 15 s"
wait "$cap" || fail "could not capture B's initiation: $(cat "$TL_TMP/capture.txt")"
log "$(cat "$TL_TMP/capture.txt")"

failed() { # handshake_failed drops of A's lane 0
	local f=$TL_TMP/show.$RANDOM.json
	tl_show_json "$NS_A" "$IF_A" "$f"
	"$TL_PY" "$TL_TOOL" jget 'd["lanes"][0]["drop_reasons"]["handshake_failed"]' "$f"
}
replay() { # EXPECT-LABEL: one replay of the initiation; handshake_failed must grow by 1
	local before after
	before=$(failed)
	TL_T=5 nsx "$NS_B" "$TL_PY" "$TL_TOOL" replay "$A4" "$PORT_A" "$TL_TMP/init.bin" -n 1 >/dev/null
	sleep 0.5
	after=$(failed)
	((after == before + 1)) || fail "$1: the replayed initiation was not refused (handshake_failed $before -> $after)"
}
replay "same lane"
read -r old < <(tl3_lane_pids "$IF_A")
kill -KILL "$old"
new=
for ((i = 0; i < 50; i++)); do
	read -r p < <(tl3_lane_pids "$IF_A")
	[[ -n $p && $p -gt 0 && $p != "$old" ]] && { new=$p; break; }
	sleep 0.1
done
[[ -n $new ]] || fail "lane 0 not respawned within 5 s of kill -9"
replay "after the respawn"
log "replayed initiation refused before and after the respawn (lane pid $old -> $new)"
tl_ping_until "$NS_A" "$TB4" 15 || fail "no new handshake and ping after the respawn"
pass "a recorded initiation stays refused across a lane respawn"
