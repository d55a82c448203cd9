#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Sources completion/tunlane.bash in a fresh bash and completes words as
# bash would: subcommands, interfaces that are up (from a stand-in socket
# directory), interfaces configured in a stand-in /etc/tunlane, config
# files by path, show's options, tunshare's subcommands and options.
. "$(dirname "$0")/lib.sh"
need bash
mkdir -p "$OPS_TMP/run" "$OPS_TMP/etc" "$OPS_TMP/cwd/sub"
: >"$OPS_TMP/run/tl0.sock" && : >"$OPS_TMP/run/wg9.sock"
: >"$OPS_TMP/etc/site-a.conf" && : >"$OPS_TMP/etc/site-b.conf"
: >"$OPS_TMP/cwd/mytun.conf" && : >"$OPS_TMP/cwd/notes.txt"
# comp FUNC WORDS...: COMPREPLY (sorted, one line) for the last word.
comp() {
	(cd "$OPS_TMP/cwd" && _TUNLANE_SOCKDIR=$OPS_TMP/run _TUNLANE_CONFDIR=$OPS_TMP/etc bash -c '
		source "$1"; f=$2; shift 2
		COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		"$f"; printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ "$TL_ROOT/completion/tunlane.bash" "$@")
}
check() { # WANT FUNC WORDS...
	local want=$1 got
	shift
	got=$(comp "$@")
	[[ $got = "$want" ]] || fail "completing '${*:2}': got '$got', want '$want'"
}
check "down " _tunlane tunlane do
check "genkey genpsk " _tunlane tunlane gen
check "tl0 wg9 " _tunlane tunlane down ""
check "tl0 " _tunlane tunlane show t
check "--json " _tunlane tunlane show --j
check "site-a site-b " _tunlane tunlane up site
check "mytun.conf " _tunlane tunlane up my
check "sub/ " _tunlane tunlane up su
check "metrics " _tunlane tunlane help me
check "--listen " _tunlane tunlane metrics --l
check "run " _tunshare tunshare r
check "--base-port " _tunshare tunshare run --b
check "--dev " _tunshare tunshare show --d
check "lo " _tunshare tunshare run --dev l
check "--foreground " _tunlaned tunlaned --fo
# The completions are registered for the three commands.
out=$(bash -c 'source "$1"; complete -p tunlane tunshare tunlaned' _ "$TL_ROOT/completion/tunlane.bash")
[[ $(grep -c '^complete -F' <<<"$out") = 3 ]] || fail "complete -p: $out"
pass "subcommands, interfaces up and configured, config files, options"
