#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Where tunlaned's logs go, and at which level. Site A (Lanes = 2) is
# brought up by `tunlane up` with its stderr on a file that JOURNAL_STREAM
# names, as systemd would hand over the journal: the detached daemon keeps
# logging there, each line with its "<level>" for journald and the lane
# prefix. Site B runs one lane, so A's lane 1 never completes a handshake:
# A runs without per-peer lanes (TUNLANE_BPF=off), where its lane 1 talks
# to B's port + 1 and must say so; with them, lane 1 knows from B's lane 0
# session that B runs one lane, and stays quiet.
# Checks: B's `up` says logs go nowhere when there is no /dev/log (and does
# not when there is); A logs its real ports once configured (never the
# temporary ones bound before "set"); a peer's first handshake is INFO
# (<6>); lane 1's missing handshake is a WARNING (<4>) saying what to
# check; a killed lane's respawn is a WARNING.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-up.sh"

tl3_require "needs tunlaned"
tl_setup_ns
tl_genkey KA
tl_genkey KB
CONF_A=$TL_TMP/$IF_A.conf CONF_B=$TL_TMP/$IF_B.conf
tl3_conf "$CONF_A" "$KA_KEY" "$PORT_A" "$TA4/24" 2 "$KB_PUB" "$TB4/32" "$B4:$PORT_B"
tl3_conf "$CONF_B" "$KB_KEY" "$PORT_B" "$TB4/24" 1 "$KA_PUB" "$TA4/32" "$A4:$PORT_A"
J=$TL_TMP/journal.log
: >"$J"
TL_IFS+=("$IF_A") TL3_UP+=("$IF_A")
(exec 2>>"$J"; TUNLANE_BPF=off JOURNAL_STREAM=$(stat -c %d:%i "$J") TL_T=30 nsx "$NS_A" "$TL_CLI" up "$CONF_A") ||
	fail "tunlane up A failed: $(cat "$J")"
TL_IFS+=("$IF_B") TL3_UP+=("$IF_B")
out=$(TL_T=30 nsx "$NS_B" "$TL_CLI" up "$CONF_B" 2>&1) || fail "tunlane up B failed: $out"
if [[ -e /dev/log ]]; then
	grep -q 'logs will go nowhere' <<<"$out" && fail "B: said logs go nowhere although /dev/log exists: $out"
else
	grep -q "^tunlaned: $IF_B: no /dev/log (syslog) and no journal: logs will go nowhere" <<<"$out" ||
		fail "B: no /dev/log, but up did not say logs go nowhere: $out"
	grep -q 'logs will go nowhere' "$J" && fail "A: said logs go nowhere although stderr is the journal stream"
fi

grep -q "^<6>$IF_A: lanes 0-1 listening on UDP ports $PORT_A-$((PORT_A + 1)) " "$J" ||
	fail "A: no line with the real ports $PORT_A-$((PORT_A + 1)): $(cat "$J")"
bad=$(grep -E "(port|ports) [0-9]+" "$J" | grep -vE "ports? ($PORT_A|$((PORT_A + 1)))([^0-9]|$)" || true)
[[ -z $bad ]] || fail "A: logged a port that is not a real one: $bad"

flows() { tl_udp_flows "$NS_A" "$TB4" 5 0.2; }
end=$((SECONDS + 60))
until grep -q "^<4>$IF_A: lane 1: peer [^ ]*: no answer to handshake initiations yet; check that the peer is up at $B4:$PORT_B and listening on that port + 1, runs as many lanes as we do (at least 2)" "$J"; do
	((SECONDS < end)) || fail "A: no WARNING for lane 1's missing handshake within 60 s: $(tail -n 20 "$J")"
	flows || true
done
grep -q "^<6>$IF_A: lane 0: peer [^ ]*: first handshake completed" "$J" ||
	fail "A: lane 0's first handshake is not an INFO line: $(grep handshake "$J")"
grep -q "^<6>$IF_A: lane 1: .*handshake completed" "$J" && fail "A: lane 1 claims a handshake"

tl_show_json "$NS_A" "$IF_A" "$TL_TMP/a.json"
pid0=$("$TL_PY" "$TL_TOOL" jget 'd["lanes"][0]["pid"]' "$TL_TMP/a.json")
kill -KILL "$pid0"
end=$((SECONDS + 10))
until grep -q "^<4>$IF_A: lane 0: respawning (restart 1)" "$J"; do
	((SECONDS < end)) || fail "A: no WARNING for lane 0's respawn: $(tail -n 10 "$J")"
	sleep 0.2
done
grep -q "^<4>$IF_A: lane 0: pid $pid0 killed by signal 9" "$J" || fail "A: lane death not a WARNING"
grep -q "^<6>$IF_A: lane 0: started, pid [0-9]*, cpu [0-9-]*, UDP port $PORT_A\$" "$J" ||
	fail "A: respawned lane 0 does not log its real port: $(grep started "$J")"
log "journal lines: $(wc -l <"$J"); e.g. $(grep -m1 '^<4>' "$J")"
pass "levels, prefixes, real ports, nowhere-warning"
