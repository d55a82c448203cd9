#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The stats file (issue 9, low 6): each lane maps only its own slot, so it
# can neither forge another lane's counters nor change the header under a
# reader, and readers check a copy instead of trusting a live mapping:
#  - /proc/LANE/maps of each of 2 lanes shows exactly one mapping of the
#    stats file: 4 KiB, writable, at its own slot's offset (lane i: (i+1)
#    pages in); the header and the other lane's slot are not mapped;
#  - the counters still add up (`tunlane show --json` after pings);
#  - a stats file put in place that is truncated, has a bad magic, or
#    claims more lanes than it has, makes `tunlane show` (human and --json)
#    print one clear error line and exit 1, not crash; one of another
#    STATS_VERSION (another build's tunlaned) is said to be that.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-up.sh"
tl3_require "needs tunlaned (lanes)"

tl3_pair 2 2
tl_ping_until "$NS_A" "$TB4" 15 || fail "no ping reply through the tunnel within 15 s"
# The page under RUNSTATEDIR, as /proc/PID/maps names it (links resolved).
STATS=$(realpath -m "$(tl_state "$IF_A" stats)")
read -r -a LA <<<"$(tl3_lane_pids "$IF_A")"
((${#LA[@]} == 2)) || fail "lanes of $IF_A: '${LA[*]}'"
for i in 0 1; do
	maps=$(grep -F "$STATS" "/proc/${LA[$i]}/maps" || true)
	want=$(printf '%08x' $((4096 * (i + 1))))
	[[ $(wc -l <<<"$maps") -eq 1 && $maps =~ ^([0-9a-f]+)-([0-9a-f]+)\ rw-s\ $want\  ]] ||
		fail "lane $i (pid ${LA[$i]}) maps of $STATS are not just its own slot at offset 0x$want: $maps"
	((0x${BASH_REMATCH[2]} - 0x${BASH_REMATCH[1]} == 4096)) || fail "lane $i maps more than one slot: $maps"
done
log "each lane maps only its own 4 KiB slot of the stats file"
f=$TL_TMP/show.json
tl_show_json "$NS_A" "$IF_A" "$f"
ok=$("$TL_PY" "$TL_TOOL" jget 'int(len(d["lanes"]) == 2 and all(l["pid"] > 0 for l in d["lanes"]) and sum(l["rx_bytes"] + l["tx_bytes"] for l in d["lanes"]) > 0)' "$f")
[[ $ok = 1 ]] || fail "tunlane show --json: lanes or counters wrong: $(head -c 400 "$f")"

# Damaged files, each put in place with rename (the daemon keeps its own).
damaged() { # WHAT PYTHON-EXPR-OF-d [WORD-IN-THE-ERROR]
	cp "$STATS" "$TL_TMP/orig.stats"
	"$TL_PY" -c 'import struct, sys
d = bytearray(open(sys.argv[1], "rb").read())
exec(sys.argv[3])
open(sys.argv[2], "wb").write(bytes(d))' "$TL_TMP/orig.stats" "$STATS.new" "$2"
	chmod 600 "$STATS.new"
	mv "$STATS.new" "$STATS"
	local mode rc out
	for mode in "" --json; do
		rc=0
		out=$(TL_T=10 nsx "$NS_A" "$TL_CLI" show "$IF_A" $mode 2>&1 >/dev/null) || rc=$?
		((rc == 1)) || fail "tunlane show $mode with a $1 stats file: exit $rc ($out)"
		[[ $(wc -l <<<"$out") -eq 1 && $out == *"statistics file"*"${3:-damaged}"* ]] ||
			fail "tunlane show $mode with a $1 stats file: '$out'"
	done
	mv "$TL_TMP/orig.stats" "$STATS"
	log "$1: $out"
}
damaged truncated 'd[:] = d[:100]'
damaged "bad magic" 'd[0:4] = b"XXXX"'
damaged "too many lanes" 'd[8:12] = struct.pack("<I", 200)'
damaged "lanes 0" 'd[8:12] = struct.pack("<I", 0)'
# Another build's file (version 1: one shared page, 13 drop reasons): said
# so, whatever its size.
damaged "version 1" 'd[4:8] = struct.pack("<I", 1)' "another format version"
damaged "version 1, old size" 'd[4:8] = struct.pack("<I", 1); d[:] = d[:16 + 2 * 192]' "another format version"
TL_T=10 nsx "$NS_A" "$TL_CLI" show "$IF_A" >/dev/null || fail "tunlane show fails on the restored stats file"
pass "lanes map only their own slot; damaged stats files give one clear error"
