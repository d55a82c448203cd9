#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The Debian package: `make deb` (dpkg-buildpackage -b -us -uc on a copy of
# the tree in build/deb, so the source tree stays as it was), then its file
# list against the expected one, its maintainer scripts (the tunlane
# system user, /etc/tunlane 0700), and lintian: its whole output goes to
# this log, and any E: line fails the test (W: lines are listed).
. "$(dirname "$0")/lib.sh"
need dpkg-buildpackage
need dh
need lintian
need fakeroot
cd "$TL_ROOT"
before=
git rev-parse --is-inside-work-tree >/dev/null 2>&1 && before=$(git status --porcelain --ignored=no)
make -s deb BUILD="${BUILD:-build}" >"$OPS_TMP/deb.log" 2>&1 || { tail -n 40 "$OPS_TMP/deb.log"; fail "make deb failed"; }
deb=$(ls "$TL_BUILD"/deb/tunlane_*_*.deb 2>/dev/null | head -n 1)
[[ -f $deb ]] || fail "no tunlane_*.deb in $TL_BUILD/deb"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	after=$(git status --porcelain --ignored=no)
	[[ $before = "$after" ]] || fail "make deb changed the source tree: $(diff <(echo "$before") <(echo "$after"))"
fi
log "built $(basename "$deb") ($(stat -c %s "$deb") bytes)"

want="/lib/systemd/system/tunlane-metrics.service
/lib/systemd/system/tunlane.target
/lib/systemd/system/tunlane@.service
/usr/lib/tunlane/libtunshare.so
/usr/sbin/tunlane
/usr/sbin/tunlaned
/usr/sbin/tunshare
/usr/share/bash-completion/completions/tunlane
/usr/share/bash-completion/completions/tunlaned
/usr/share/bash-completion/completions/tunshare
/usr/share/doc/tunlane/changelog.gz
/usr/share/doc/tunlane/copyright
/usr/share/man/man5/tunlane.conf.5.gz
/usr/share/man/man8/tunlane.8.gz
/usr/share/man/man8/tunlaned.8.gz
/usr/share/man/man8/tunshare.8.gz"
got=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { print $6 }' | sed 's|^\./|/|' | sort)
[[ $got = "$want" ]] || fail "file list differs:"$'\n'"$(diff <(echo "$want") <(echo "$got"))"
list=$(dpkg-deb -c "$deb")
for b in tunlane tunlaned tunshare; do
	grep -q "^-rwxr-xr-x root/root .* \./usr/sbin/$b\$" <<<"$list" || fail "/usr/sbin/$b is not root's 0755"
done

dpkg-deb -e "$deb" "$OPS_TMP/ctl"
grep -q 'useradd --system --no-create-home --home-dir /nonexistent' "$OPS_TMP/ctl/postinst" &&
	grep -q -- '--shell /usr/sbin/nologin tunlane' "$OPS_TMP/ctl/postinst" || fail "postinst does not create the tunlane user"
grep -q 'install -d -m 0700 /etc/tunlane' "$OPS_TMP/ctl/postinst" || fail "postinst does not create /etc/tunlane 0700"
sh -n "$OPS_TMP/ctl/postinst" && sh -n "$OPS_TMP/ctl/postrm" || fail "maintainer script syntax"
dpkg-deb -x "$deb" "$OPS_TMP/root"
grep -q '^ExecStart=/usr/sbin/tunlane up %i$' "$OPS_TMP/root/lib/systemd/system/tunlane@.service" ||
	fail "installed unit has the wrong ExecStart"
# (grep reads everything: with -q, strings could die of SIGPIPE and fail
# the pipe under pipefail.)
strings "$OPS_TMP/root/usr/sbin/tunshare" | grep -c '^/usr/lib/tunlane/libtunshare.so$' >/dev/null ||
	fail "tunshare does not look for libtunshare.so in /usr/lib/tunlane"

changes=$(ls "$TL_BUILD"/deb/tunlane_*.changes | head -n 1)
lint=$(lintian --tag-display-limit 0 "$changes" 2>&1 | grep -v 'running with root privileges' || true)
echo "---- lintian $(basename "$changes") ----"
echo "${lint:-(no tags)}"
echo "---- end of lintian ----"
errors=$(grep -c '^E: ' <<<"$lint" || true)
warnings=$(grep -c '^W: ' <<<"$lint" || true)
((errors == 0)) || fail "lintian: $errors error(s)"
pass "$(basename "$deb"): file list as expected; lintian $errors errors, $warnings warnings"
