#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `systemd-analyze verify` on every unit in systemd/, with ExecStart and
# friends pointing at the binaries just built (verify checks that they
# exist) and the template instantiated (verify needs an instance). Any
# output (an unknown key, a bad value) fails too, as verify only warns
# about those. Where systemd is not PID 1 (CI containers) the units are
# verified statically only, and the test says so; 60-systemd-notify.sh
# runs the unit's command line under its capability bounding set.
. "$(dirname "$0")/lib.sh"
need systemd-analyze
[[ -x $TL_BUILD/tunlane && -x $TL_BUILD/tunlaned ]] || fail "build first (make)"
units=()
for u in "$TL_ROOT"/systemd/*; do
	[[ -f $u ]] || continue
	name=$(basename "$u")
	[[ $name = *@.* ]] && name=${name/@./@tl0.}
	sed "s|/usr/sbin/|$TL_BUILD/|g" "$u" >"$OPS_TMP/$name"
	grep -q "$TL_BUILD/" "$OPS_TMP/$name" || [[ $name = *.target ]] ||
		fail "$name: no /usr/sbin/ command to point at the build"
	units+=("$OPS_TMP/$name")
done
((${#units[@]} >= 2)) || fail "no units found in systemd/"
out=$(cd "$OPS_TMP" && systemd-analyze verify --man=no "${units[@]}" 2>&1) ||
	fail "systemd-analyze verify failed: $out"
[[ -z $out ]] || fail "systemd-analyze verify warned: $out"
log "verified: $(cd "$OPS_TMP" && echo *.service *.target)"
if systemd-analyze security --help 2>/dev/null | grep -c -- --offline >/dev/null; then
	score=$(cd "$OPS_TMP" && systemd-analyze security --offline=yes tunlane@tl0.service 2>&1 |
		sed -n 's/.*Overall exposure level for [^:]*: //p')
	log "systemd-analyze security (offline): exposure $score"
fi
if [[ $(ps -p 1 -o comm= 2>/dev/null) = systemd ]]; then
	pass "verified with systemd as PID 1"
fi
pass "systemd is not PID 1 here: units verified statically only, not started"
