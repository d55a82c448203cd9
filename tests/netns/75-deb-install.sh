#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The Debian package's binaries work: the .deb from `make deb` (built here
# first when there is none newer than the sources) is unpacked into a
# scratch root with `dpkg -x`, and site A is brought up with the unpacked
# /usr/sbin/tunlane (which starts the unpacked tunlaned beside it), 2
# lanes, against site B from the build tree. Checks: traffic flows, the
# unpacked `tunlane show` sees both lanes running, the unpacked `tunlane
# down` removes it, and every unpacked binary answers --version. (The
# maintainer scripts are checked by tests/ops/03-deb.sh; they are not run
# here, as they would change this machine's users.)
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-up.sh"

tl3_require "needs tunlaned"
command -v dpkg-buildpackage >/dev/null || skip "dpkg-buildpackage not installed"
deb=$(ls -t "$TL_BUILD"/deb/tunlane_*_*.deb 2>/dev/null | head -n 1 || true)
newer=
[[ -n $deb ]] && newer=$(find "$TL_ROOT/src" "$TL_ROOT/tunshare" "$TL_ROOT/debian" "$TL_ROOT/systemd" \
	"$TL_ROOT/Makefile" -newer "$deb" -type f -print -quit)
if [[ -z $deb || -n $newer ]]; then
	log "building the package (make deb)"
	(cd "$TL_ROOT" && make -s deb BUILD="${BUILD:-build}") >"$TL_TMP/deb.log" 2>&1 ||
		fail "make deb failed: $(tail -n 20 "$TL_TMP/deb.log")"
	deb=$(ls -t "$TL_BUILD"/deb/tunlane_*_*.deb | head -n 1)
fi
ROOT=$TL_TMP/root
dpkg -x "$deb" "$ROOT" || fail "dpkg -x $deb failed"
for b in tunlane tunlaned tunshare; do
	v=$("$ROOT/usr/sbin/$b" --version) || fail "unpacked $b --version failed"
	[[ $v = "$b "* ]] || fail "unpacked $b --version: '$v'"
done

tl_setup_ns
tl_genkey KA
tl_genkey KB
CONF_A=$TL_TMP/$IF_A.conf CONF_B=$TL_TMP/$IF_B.conf
tl3_conf "$CONF_A" "$KA_KEY" "$PORT_A" "$TA4/24" 2 "$KB_PUB" "$TB4/32" "$B4:$PORT_B"
tl3_conf "$CONF_B" "$KB_KEY" "$PORT_B" "$TB4/24" 2 "$KA_PUB" "$TA4/32" "$A4:$PORT_A"
TL_IFS+=("$IF_A") TL3_UP+=("$IF_A")
out=$(TL_T=30 nsx "$NS_A" env -u TUNLANED "$ROOT/usr/sbin/tunlane" up "$CONF_A" 2>&1) ||
	fail "unpacked tunlane up failed: $out"
tl3_up "$NS_B" "$CONF_B"
pid=$(tl3_master_pid "$IF_A")
exe=$(readlink "/proc/$pid/exe")
[[ $exe = "$ROOT/usr/sbin/tunlaned" ]] || fail "$IF_A's daemon is $exe, not the unpacked tunlaned"
tl_ping_until "$NS_A" "$TB4" 15 || fail "no ping through the tunnel from the package's binaries"
TL_T=10 nsx "$NS_A" "$ROOT/usr/sbin/tunlane" show "$IF_A" --json >"$TL_TMP/a.json" || fail "unpacked tunlane show failed"
n=$("$TL_PY" "$TL_TOOL" jget 'sum(1 for l in d["lanes"] if l["pid"] > 0)' "$TL_TMP/a.json")
((n == 2)) || fail "unpacked tunlane show: $n lanes running, expected 2"
TL_T=15 nsx "$NS_A" "$ROOT/usr/sbin/tunlane" down "$IF_A" || fail "unpacked tunlane down failed"
ip -n "$NS_A" link show "$IF_A" >/dev/null 2>&1 && fail "$IF_A still there after down"
pass "$(basename "$deb"): unpacked binaries bring a 2-lane tunnel up, show and down"
