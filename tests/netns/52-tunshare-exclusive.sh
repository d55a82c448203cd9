#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# tunshare and libtunshare.so without OpenVPN (lanes are tests/netns/tunctl.py,
# which issues TUNSETIFF/TUNSETPERSIST/TUNSETOWNER through libc):
#  - bad command lines exit 2 with a usage line and create nothing;
#  - the device gets its addresses, MTU and routes, and is up;
#  - lanes attach as queues of the shared device (numqueues N); their
#    TUNSETPERSIST/TUNSETOWNER succeed without effect; `tunshare show` lists
#    their pid, CPU and port;
#  - without TUNSHARE_DEV (library preloaded or not) a second open of the
#    device fails exactly as it does today (EINVAL: a single-queue attach to
#    a multi-queue tun), and so it does with TUNSHARE_DEV naming another
#    device; a private tun keeps its exclusivity (EBUSY) and its persist;
#  - a device name that exists already is a one-line error (exit 1);
#  - SIGTERM stops the lanes, removes the device and the state file; so does
#    SIGKILL of the supervisor (its lanes get SIGTERM from the kernel).
set -euo pipefail
. "$(dirname "$0")/lib-tunshare.sh"
ts_require
tl_setup_ns
TUNCTL=$TL_ROOT/tests/netns/tunctl.py
PRIV=tsp$$

# --- bad command lines -------------------------------------------------
badcmd() {
	local rc=0
	TL_T=5 nsx "$NS_A" "$TS_BIN" "$@" >"$TL_TMP/bad.out" 2>"$TL_TMP/bad.err" || rc=$?
	((rc == 2)) || fail "'tunshare $*' exited $rc, expected 2 ($(cat "$TL_TMP/bad.err"))"
	grep -q '^usage: tunshare' "$TL_TMP/bad.err" || fail "'tunshare $*': no usage line"
	ip -n "$NS_A" link show "$DEV_A" >/dev/null 2>&1 && fail "'tunshare $*' created $DEV_A"
	return 0
}
badcmd
badcmd frobnicate
badcmd run --dev "$DEV_A" -- true
badcmd run --lanes 2 -- true
badcmd run --dev "$DEV_A" --lanes 0 -- true
badcmd run --dev "$DEV_A" --lanes 256 -- true
badcmd run --dev "$DEV_A" --lanes 2
badcmd run --dev 0123456789abcdefg --lanes 2 -- true
badcmd run --dev "$DEV_A" --lanes 2 --cpus 1-x -- true
badcmd run --dev "$DEV_A" --lanes 2 --address 10.0.0.300/24 -- true
badcmd run --dev "$DEV_A" --lanes 2 --route 10.0.0.0/33 -- true
badcmd run --dev "$DEV_A" --lanes 2 --mtu 20 -- true
badcmd run --dev "$DEV_A" --lanes 2 -- echo '{port}'
badcmd run --dev "$DEV_A" --lanes 2 --base-port 65535 -- true
badcmd run --dev "$DEV_A" --lanes 2 --bogus -- true
badcmd show
badcmd show --dev "$DEV_A" extra
log "bad command lines: exit 2 with usage"

# --- lanes attach; the supervisor owns persist and owner ----------------
start() {
	ip netns exec "$NS_A" "$TS_BIN" run --dev "$DEV_A" --lanes 2 --base-port 7000 \
		--address "$TA4/24" --address "$TA6/64" --route 10.99.0.0/24 --mtu 1400 \
		-- "$TL_PY" "$TUNCTL" "$DEV_A" --persist 1 --owner 65534 \
		--hold 120 >"$TL_TMP/tunshare.log" 2>&1 &
	TS=$!
	TL_PIDS+=("$TS")
	local i
	for ((i = 0; i < 100; i++)); do
		[[ $(ip -n "$NS_A" -d link show "$DEV_A" 2>/dev/null) == *"numqueues 2 "* ]] && return 0
		sleep 0.1
	done
	fail "lanes did not attach as 2 queues of $DEV_A within 10 s: $(ip -n "$NS_A" -d link show "$DEV_A" 2>&1)"
}
start
sleep 0.5
d=$(ip -n "$NS_A" -d link show "$DEV_A")
[[ $d == *"persist off"* ]] || fail "a lane's TUNSETPERSIST took effect: $d"
[[ $d != *"user 65534"* ]] || fail "a lane's TUNSETOWNER took effect: $d"
# (The lanes' output reaches the log through tunshare, "lane N: " in front.)
for w in "setiff ok name=$DEV_A flags=0x1001" "persist ok" "owner ok"; do
	for ((i = 0; i < 100; i++)); do
		[[ $(grep -c "^lane [01]: $w\$" "$TL_TMP/tunshare.log") -eq 2 ]] && break
		sleep 0.1
	done
	[[ $(grep -c "^lane [01]: $w\$" "$TL_TMP/tunshare.log") -eq 2 ]] ||
		fail "the lanes did not both see '$w': $(cat "$TL_TMP/tunshare.log")"
done
[[ $d == *"UP"* && $(ip -n "$NS_A" addr show "$DEV_A") == *"$TA4/24"* ]] ||
	fail "$DEV_A is not up with $TA4/24"
[[ $(ip -n "$NS_A" addr show "$DEV_A") == *"$TA6/64"* && $d == *"mtu 1400"* ]] ||
	fail "$DEV_A lacks $TA6/64 or MTU 1400: $(ip -n "$NS_A" addr show "$DEV_A")"
[[ $(ip -n "$NS_A" route show 10.99.0.0/24) == *"dev $DEV_A"* ]] ||
	fail "no route 10.99.0.0/24 via $DEV_A: $(ip -n "$NS_A" route)"
show=$(ts_show "$NS_A" "$DEV_A") || fail "tunshare show failed"
for l in 0 1; do
	[[ $show =~ "lane $l: pid "[0-9]+", cpu "[0-9]+", port 700$l" ]] ||
		fail "tunshare show has no pid/cpu/port line for lane $l: $show"
done
[[ $show == *"queue 1: tx"* ]] || fail "tunshare show has no per-queue counters: $show"
log "lanes attached; persist/owner ignored; show: $(grep -c '^  lane' <<<"$show") lanes"

# --- a second open without TUNSHARE_DEV fails as it does today ----------
second() { # ENV...: one TUNSETIFF of the shared device, as a plain tun
	TL_T=5 nsx "$NS_A" env "$@" "$TL_PY" "$TUNCTL" "$DEV_A" 2>&1
}
today=$(second LD_PRELOAD=)
[[ $today == "setiff error EINVAL" ]] || fail "without the library: '$today', expected EINVAL"
got=$(second LD_PRELOAD="$TS_LIB")
[[ $got == "$today" ]] || fail "library without TUNSHARE_DEV: '$got', expected '$today'"
got=$(second LD_PRELOAD="$TS_LIB" TUNSHARE_DEV=other0)
[[ $got == "$today" ]] || fail "library with TUNSHARE_DEV=other0: '$got', expected '$today'"
got=$(second LD_PRELOAD="$TS_LIB" TUNSHARE_DEV="$DEV_A")
[[ $got == "setiff ok name=$DEV_A flags=0x1001" ]] || fail "library with TUNSHARE_DEV: '$got'"
log "second open: '$today' without the library or TUNSHARE_DEV, attach with it"

# --- a private tun keeps today's behaviour with TUNSHARE_DEV set ---------
priv() { TL_T=5 nsx "$NS_A" env LD_PRELOAD="$TS_LIB" TUNSHARE_DEV="$DEV_A" "$TL_PY" "$TUNCTL" "$PRIV" "$@" 2>&1; }
ip netns exec "$NS_A" "$TL_PY" "$TUNCTL" "$PRIV" --hold 10 >/dev/null &
TL_PIDS+=("$!")
HOLD=$!
for ((i = 0; i < 50; i++)); do ip -n "$NS_A" link show "$PRIV" >/dev/null 2>&1 && break; sleep 0.1; done
got=$(priv)
[[ $got == "setiff error EBUSY" ]] || fail "second open of a private tun with the library: '$got', expected EBUSY"
kill "$HOLD"
tl_wait_exit "$HOLD" 5 || fail "tunctl holder did not exit"
got=$(priv --persist 1)
[[ $got == *"persist ok"* ]] || fail "TUNSETPERSIST of a private tun: '$got'"
ip -n "$NS_A" -d link show "$PRIV" 2>/dev/null | grep -q 'persist on' ||
	fail "TUNSETPERSIST of a private tun did not take effect with the library"
ip -n "$NS_A" link del "$PRIV"
log "private tun: EBUSY and persist as without the library"

# --- an existing name is an error ---------------------------------------
rc=0
TL_T=5 nsx "$NS_A" "$TS_BIN" run --dev "$DEV_A" --lanes 1 -- true 2>"$TL_TMP/dup.err" || rc=$?
((rc == 1)) || fail "tunshare run on an existing device exited $rc, expected 1"
[[ $(wc -l <"$TL_TMP/dup.err") -eq 1 ]] || fail "expected one error line: $(cat "$TL_TMP/dup.err")"
log "existing device: $(cat "$TL_TMP/dup.err")"

# --- SIGTERM and SIGKILL clean up ---------------------------------------
state=$(ls /var/run/tunshare/"$DEV_A"@*.state 2>/dev/null) || fail "no state file for $DEV_A"
gone() { # WHAT LANEPIDS...
	local what=$1 p
	shift
	for p in "$@"; do [[ $p =~ ^[0-9]+$ ]] || fail "no lane pid from tunshare show before $what"; done
	tl_wait_exit "$TS" 6 || fail "tunshare still running 6 s after $what"
	for p in "$@"; do
		tl_wait_exit "$p" 6 || fail "lane $p still running after $what"
	done
	sleep 0.3
	ip -n "$NS_A" link show "$DEV_A" >/dev/null 2>&1 && fail "$DEV_A left behind after $what"
	return 0
}
lanes=("$(ts_lane_pid "$NS_A" "$DEV_A" 0)" "$(ts_lane_pid "$NS_A" "$DEV_A" 1)")
kill -TERM "$TS"
gone SIGTERM "${lanes[@]}"
[[ -e $state ]] && fail "state file $state left behind after SIGTERM"
grep -q 'stopping the lanes' "$TL_TMP/tunshare.log" || fail "tunshare did not log its stop"
start
lanes=("$(ts_lane_pid "$NS_A" "$DEV_A" 0)" "$(ts_lane_pid "$NS_A" "$DEV_A" 1)")
kill -KILL "$TS"
{ wait "$TS"; } 2>/dev/null || true # no "Killed" job notice
gone SIGKILL "${lanes[@]}"
got=$(ts_show "$NS_A" "$DEV_A" 2>&1 | head -n 1) || true
[[ $got == *"stale"* ]] || fail "tunshare show after SIGKILL: '$got', expected a stale-state note"
rm -f /var/run/tunshare/"$DEV_A"@*.state
pass "exclusive behaviour kept; persist/owner neutralized; cleanup on SIGTERM and SIGKILL"
