#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Errors that used to hide their cause (tests/netns/34 has the config
# file's own). Checks, each with its exact message:
# - a user without root or CAP_NET_ADMIN: up, down, show and show --json
#   say "must be run as root (or with CAP_NET_ADMIN)" at once (well under
#   a second), exit 1 and print nothing on stdout (no "[]"); so does
#   tunlaned;
# - CPUs naming a CPU this process may not use (under taskset): refused,
#   naming the CPU and the allowed set, nothing started; the same for
#   tunlaned --cpus and TUNLANE_CPUS;
# - TUNLANE_LANES / --lanes out of range name the variable and the range;
# - a config starting with a UTF-8 BOM comes up;
# - --version/-V and --help/-h on every binary, --help on every
#   subcommand, `tunlane help up` = `tunlane up --help`.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-up.sh"

tl3_require "needs tunlaned and tunlane up"
command -v setpriv >/dev/null || skip "setpriv (util-linux) not found"
TS=$TL_BUILD/tunshare
ip netns add "$NS_A" || fail "ip netns add $NS_A"
TL_NSS+=("$NS_A")
ip -n "$NS_A" link set lo up
tl_genkey K
tl_genkey P
CIF=tce$$
CF=$TL_TMP/$CIF.conf
TL_IFS+=("$CIF") TL3_UP+=("$CIF")
printf '[Interface]\nPrivateKey = %s\nListenPort = 51820\nAddress = 10.9.0.1/24\n\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.9.0.2/32\n' "$K_KEY" "$P_PUB" >"$CF"
chmod 600 "$CF"

# expect WHAT WANT_RC WANT_STDERR CMD...: exit code and exact stderr, no stdout.
expect() {
	local what=$1 want_rc=$2 want=$3 rc=0 t0 ms
	shift 3
	t0=$(date +%s%N)
	TL_T=10 nsx "$NS_A" "$@" >"$TL_TMP/out" 2>"$TL_TMP/err" </dev/null || rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	((rc == want_rc)) || fail "$what: exit $rc, expected $want_rc (stderr: $(cat "$TL_TMP/err"))"
	[[ $(cat "$TL_TMP/err") = "$want" ]] || fail "$what: stderr"$'\n'"  '$(cat "$TL_TMP/err")'"$'\n'"expected"$'\n'"  '$want'"
	[[ ! -s $TL_TMP/out ]] || fail "$what: stdout not empty: $(head -c 200 "$TL_TMP/out")"
	LAST_MS=$ms
}
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)
ROOT_MSG="tunlane: must be run as root (or with CAP_NET_ADMIN)"
for args in "up $CF" "down $CIF" "show" "show --json" "show $CIF --json" "show --prometheus"; do
	# shellcheck disable=SC2086
	expect "non-root tunlane $args" 1 "$ROOT_MSG" "${nobody[@]}" "$TL_CLI" $args
	((LAST_MS < 1000)) || fail "non-root tunlane $args took $LAST_MS ms"
done
expect "non-root tunlaned" 1 "tunlaned: must be run as root (or with CAP_NET_ADMIN)" \
	"${nobody[@]}" "$TL_DAEMON" "$CIF"

# CPUs outside this process's affinity.
if (($(nproc --all) >= 2)) && command -v taskset >/dev/null; then
	cp "$CF" "$TL_TMP/cpus.conf.in"
	sed -i 's/^Address = .*/&\nLanes = 2\nCPUs = 0-1/' "$CF"
	expect "CPUs outside the affinity" 1 \
		"tunlane: $CF: CPUs names CPU 1, which this process may not use (allowed: 0)" \
		taskset -c 0 "$TL_CLI" up "$CF"
	ip -n "$NS_A" link show "$CIF" >/dev/null 2>&1 && fail "CPUs refused, but $CIF exists"
	expect "tunlaned --cpus outside the affinity" 2 \
		"tunlaned: --cpus \"1\" names CPU 1, which this process may not use (allowed: 0)"$'\n'"$("$TL_DAEMON" --help 2>&1)" \
		taskset -c 0 "$TL_DAEMON" --cpus 1 "$CIF"
	expect "TUNLANE_CPUS outside the affinity" 2 \
		"tunlaned: TUNLANE_CPUS \"0,1\" names CPU 1, which this process may not use (allowed: 0)"$'\n'"$("$TL_DAEMON" --help 2>&1)" \
		env TUNLANE_CPUS=0,1 taskset -c 0 "$TL_DAEMON" "$CIF"
	cp "$TL_TMP/cpus.conf.in" "$CF"
else
	note "fewer than 2 CPUs or no taskset: CPUs affinity checks skipped"
fi

usage1=$("$TL_DAEMON" --help 2>&1)
expect "TUNLANE_LANES=300" 2 "tunlaned: invalid TUNLANE_LANES \"300\" (1-256)"$'\n'"$usage1" \
	env TUNLANE_LANES=300 "$TL_DAEMON" "$CIF"
expect "--lanes 0" 2 "tunlaned: invalid --lanes \"0\" (1-256)"$'\n'"$usage1" \
	"$TL_DAEMON" --lanes 0 "$CIF"

# A UTF-8 BOM at the start of the file.
printf '\xef\xbb\xbf' | cat - "$CF" >"$CF.new" && mv "$CF.new" "$CF" && chmod 600 "$CF"
out=$(TL_T=20 nsx "$NS_A" "$TL_CLI" up "$CF" 2>&1) || fail "config with a BOM refused: $out"
ip -n "$NS_A" -4 addr show dev "$CIF" | grep -q "10.9.0.1/24" || fail "BOM config: no address on $CIF"
TL_T=10 nsx "$NS_A" "$TL_CLI" down "$CIF" >/dev/null 2>&1 || fail "down after BOM config failed"

# --version / --help everywhere.
for b in "$TL_CLI" "$TL_DAEMON" "$TS"; do
	n=$(basename "$b")
	for v in --version -V; do
		out=$("$b" "$v" 2>&1) || fail "$n $v: exit $?"
		[[ $out =~ ^$n\ [0-9]+\.[0-9]+ ]] || fail "$n $v printed '$out'"
	done
	for h in --help -h; do
		out=$("$b" "$h" 2>/dev/null) || fail "$n $h: exit $?"
		grep -qi usage <<<"$out" || fail "$n $h: no usage on stdout: $out"
	done
done
for sub in up down reload show strip metrics genkey genpsk pubkey; do
	out=$("$TL_CLI" "$sub" --help 2>/dev/null) || fail "tunlane $sub --help: exit $?"
	grep -q "^Usage: tunlane $sub" <<<"$out" || fail "tunlane $sub --help: '$out'"
	[[ $("$TL_CLI" help "$sub" 2>/dev/null) = "$out" ]] || fail "tunlane help $sub differs from tunlane $sub --help"
done
for sub in run show; do
	out=$("$TS" "$sub" --help 2>/dev/null) || fail "tunshare $sub --help: exit $?"
	grep -q "tunshare $sub" <<<"$out" || fail "tunshare $sub --help: '$out'"
done
pass "root check, CPU affinity, env ranges, BOM, --version/--help"
