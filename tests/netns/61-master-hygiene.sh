#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The master and its lanes (issue 9, low 8, 10 and 5), with `tunlane up`
# started from a shell that has stray descriptors open (9 and 201):
#  - no lane, and not the master, holds such a descriptor;
#  - the master is not dumpable: SIGSEGV with RLIMIT_CORE unlimited leaves
#    no core file (where core_pattern is a plain file name);
#  - after `kill -9` of the master (one lane stopped with SIGSTOP first),
#    every lane exits within 2 s;
#  - `tunlane down` then removes what was left (the socket, the stats page,
#    a tun of that name), and `tunlane up` on the other side, killed the
#    same way, starts again over such leftovers;
#  - OpenSSL's code paths (crypto_cpu.c): on an Intel CPU with AVX-512 the
#    master and lanes run with OPENSSL_ia32cap=:~0x10000:~0:~0:~0,
#    elsewhere with none, and are still named tunlaned; one set by the
#    operator (here "~0:~0:~0:~0:~0", for the restart) is kept.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-up.sh"
tl3_require "needs tunlaned"

exec 9</etc/hostname 201</etc/hostname
tl3_pair 2 2
exec 9<&- 201<&-
tl_ping_until "$NS_A" "$TB4" 15 || fail "no ping reply through the tunnel within 15 s"

MA=$(tl3_master_pid "$IF_A")
read -r -a LA <<<"$(tl3_lane_pids "$IF_A")"
((MA > 0 && ${#LA[@]} == 2 && LA[0] > 0 && LA[1] > 0)) || fail "master $MA, lanes '${LA[*]}' of $IF_A"

# --- stray descriptors --------------------------------------------------
for p in "$MA" "${LA[@]}"; do
	for f in /proc/"$p"/fd/*; do
		[[ $(readlink "$f") != /etc/hostname ]] ||
			fail "pid $p holds the shell's stray descriptor $(basename "$f") (/etc/hostname)"
	done
done
log "no stray descriptor in master $MA or lanes ${LA[*]}"

# --- OpenSSL's code paths ------------------------------------------------
# ia32cap_is WANT PID...: each PID's environment has OPENSSL_ia32cap=WANT
# (WANT empty: no such variable).
ia32cap_is() {
	local want=$1 p got
	shift
	for p in "$@"; do
		got=$(tr '\0' '\n' </proc/"$p"/environ | sed -n 's/^OPENSSL_ia32cap=//p')
		[[ $got == "$want" ]] ||
			fail "pid $p runs with OPENSSL_ia32cap='$got', expected '$want'"
		# executed again by its file's name, not as /proc/self/exe
		[[ $(ps -o comm= -p "$p") == tunlaned ]] ||
			fail "pid $p is named '$(ps -o comm= -p "$p")', not tunlaned"
	done
}
want=${OPENSSL_ia32cap-}
if [[ -z ${OPENSSL_ia32cap+set} ]] && grep -q '^vendor_id.*GenuineIntel' /proc/cpuinfo &&
	grep -qw avx512f /proc/cpuinfo; then
	want=':~0x10000:~0:~0:~0'
fi
ia32cap_is "$want" "$MA" "${LA[@]}"
log "master and lanes run with OPENSSL_ia32cap='$want'"

# --- the master is not dumpable ------------------------------------------
# A master killed by SIGSEGV with RLIMIT_CORE unlimited would write a core
# (with the private key in it) to its working directory if it were dumpable.
# Only checkable where core_pattern names a plain file in the cwd.
pattern=$(cat /proc/sys/kernel/core_pattern)
if [[ $pattern == */* || $pattern == "|"* ]]; then
	note "core_pattern '$pattern' is not a plain file name: dumpability not checked"
else
	mkdir "$TL_TMP/cwd"
	IF_C=tlc$$
	TL_IFS+=("$IF_C")
	(cd "$TL_TMP/cwd" && ulimit -c unlimited && exec ip netns exec "$NS_A" "$TL_DAEMON" -f --lanes 1 "$IF_C") \
		>"$TL_TMP/$IF_C.log" 2>&1 &
	MC=$!
	TL_PIDS+=("$MC")
	for ((i = 0; i < 50; i++)); do
		[[ -S /var/run/wireguard/$IF_C.sock ]] && break
		sleep 0.1
	done
	kill -SEGV "$MC"
	tl_wait_exit "$MC" 5 2>/dev/null || fail "tunlaned did not die of SIGSEGV"
	sleep 0.2
	cores=$(ls "$TL_TMP/cwd")
	[[ -z $cores ]] || fail "the master is dumpable: SIGSEGV left '$cores' in its working directory"
	log "master not dumpable: no core after SIGSEGV (core_pattern '$pattern')"
fi

# --- kill -9 of the master: lanes follow ---------------------------------
MB=$(tl3_master_pid "$IF_B")
read -r -a LB <<<"$(tl3_lane_pids "$IF_B")"
kill -STOP "${LA[1]}"
kill -KILL "$MA"
t0=$SECONDS
for p in "${LA[@]}"; do
	tl_wait_exit "$p" 2 || fail "lane $p still running 2 s after kill -9 of its master"
done
log "lanes of $IF_A gone $((SECONDS - t0)) s after kill -9 of the master"
[[ -S /var/run/wireguard/$IF_A.sock && -e $(tl_state "$IF_A" stats) ]] ||
	fail "expected a stale socket and stats page after kill -9"
# A tun left behind (a lane's child could hold a queue): down removes it.
ip -n "$NS_A" tuntap add dev "$IF_A" mode tun
out=$(TL_T=10 nsx "$NS_A" "$TL_CLI" down "$IF_A" 2>&1) || fail "tunlane down over leftovers failed: $out"
[[ ! -e /var/run/wireguard/$IF_A.sock && ! -e $(tl_state "$IF_A" stats) ]] ||
	fail "tunlane down left the socket or stats page: $(ls /var/run/wireguard/$IF_A.sock "$(tl_state "$IF_A" stats)" 2>&1)"
ip -n "$NS_A" link show "$IF_A" >/dev/null 2>&1 && fail "tunlane down left the tun $IF_A"
log "tunlane down: $out"

kill -KILL "$MB"
for p in "${LB[@]}"; do
	tl_wait_exit "$p" 2 || fail "lane $p still running 2 s after kill -9 of its master"
done
ip -n "$NS_B" tuntap add dev "$IF_B" mode tun
tl3_up "$NS_B" "$CONF_B"
OPENSSL_ia32cap='~0:~0:~0:~0:~0' tl3_up "$NS_A" "$CONF_A"
tl_ping_until "$NS_A" "$TB4" 15 || fail "no ping reply through the tunnel after tunlane up over leftovers"
read -r -a LA <<<"$(tl3_lane_pids "$IF_A")"
ia32cap_is '~0:~0:~0:~0:~0' "$(tl3_master_pid "$IF_A")" "${LA[@]}"
log "an operator's OPENSSL_ia32cap='~0:~0:~0:~0:~0' is kept"
pass "no stray fds, master not dumpable, lanes die with the master, up/down clean leftovers, OpenSSL paths chosen"
