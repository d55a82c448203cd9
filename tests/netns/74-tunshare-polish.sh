#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# tunshare's supervisor, with shell loops as lanes (no OpenVPN needed):
# - every line a lane writes (stdout or stderr) reaches tunshare's stderr
#   with "lane N: " in front;
# - the reader of tunshare's stderr goes away (a broken pipe) while lanes
#   keep writing: the supervisor and its lanes keep running, `tunshare
#   show` works, and SIGTERM still stops it cleanly (exit 0, device gone);
# - a command that is not found (127) or not executable (126) stops the
#   supervisor within seconds, exit 1, with a line naming the command,
#   instead of restarting it for ever.
. "$(dirname "$0")/lib.sh"
tl_require_root
TS=$TL_BUILD/tunshare
[[ -x $TS && -f $TL_BUILD/libtunshare.so ]] || fail "$TS or libtunshare.so missing (run make)"
ip netns add "$NS_A" || fail "ip netns add $NS_A"
TL_NSS+=("$NS_A")
DEV=tsp$$
run() { ip netns exec "$NS_A" "$TS" run --dev "$DEV" --lanes 2 --preload "$TL_BUILD/libtunshare.so" -- "$@"; }
gone() { # WHAT: the device is removed within 5 s
	local i
	for ((i = 0; i < 50; i++)); do
		ip -n "$NS_A" link show "$DEV" >/dev/null 2>&1 || return 0
		sleep 0.1
	done
	fail "$1: $DEV still exists"
}

# 1. Prefixes.
ip netns exec "$NS_A" "$TS" run --dev "$DEV" --lanes 2 --preload "$TL_BUILD/libtunshare.so" -- \
	sh -c 'echo "hello from {lane}"; echo "oops {lane}" >&2; exec sleep 30' 2>"$TL_TMP/ts1.err" &
pid=$!
TL_PIDS+=("$pid")
end=$((SECONDS + 10))
until grep -q '^lane 1: oops 1$' "$TL_TMP/ts1.err" && grep -q '^lane 0: hello from 0$' "$TL_TMP/ts1.err"; do
	((SECONDS < end)) || fail "no prefixed lane output after 10 s: $(cat "$TL_TMP/ts1.err")"
	sleep 0.1
done
grep -q '^lane 0: oops 0$' "$TL_TMP/ts1.err" || fail "lane 0's stderr line missing: $(cat "$TL_TMP/ts1.err")"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
((rc == 0)) || fail "tunshare exited $rc on SIGTERM"
gone "prefix run"

# 2. A broken stderr pipe.
"$TL_PY" - "$TS" "$NS_A" "$DEV" "$TL_BUILD/libtunshare.so" >"$TL_TMP/ts2.out" 2>&1 <<'PY' || fail "broken pipe run: $(cat "$TL_TMP/ts2.out")"
import os, signal, subprocess, sys, time
ts, ns, dev, lib = sys.argv[1:]
p = subprocess.Popen(["ip", "netns", "exec", ns, ts, "run", "--dev", dev, "--lanes", "2",
                      "--preload", lib, "--", "sh", "-c",
                      "while :; do echo tick {lane}; sleep 0.05; done"],
                     stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
time.sleep(1.0)
p.stderr.read(10)        # it writes...
p.stderr.close()         # ...and then nobody reads any more
time.sleep(2.0)
if p.poll() is not None:
    sys.exit("supervisor died with the reader of its stderr: %r" % p.returncode)
show = subprocess.run(["ip", "netns", "exec", ns, ts, "show", "--dev", dev],
                      capture_output=True, text=True)
if show.returncode != 0 or "lane" not in show.stdout:
    sys.exit("tunshare show failed after the broken pipe: %s %s" % (show.stdout, show.stderr))
p.send_signal(signal.SIGTERM)
try:
    rc = p.wait(timeout=10)
except subprocess.TimeoutExpired:
    p.kill()
    sys.exit("supervisor did not stop on SIGTERM")
if rc != 0:
    sys.exit("supervisor exited %d on SIGTERM after the broken pipe" % rc)
print("survived a broken stderr pipe, stopped cleanly")
PY
gone "broken pipe run"

# 3. Commands that cannot run.
: >"$TL_TMP/not-executable"
for cmd in /nonexistent/openvpn "$TL_TMP/not-executable"; do
	rc=0
	t0=$SECONDS
	timeout 20 bash -c "$(declare -f run); TS=$TS NS_A=$NS_A DEV=$DEV TL_BUILD=$TL_BUILD run $cmd" 2>"$TL_TMP/ts3.err" || rc=$?
	((rc != 124)) || fail "$cmd: tunshare still restarting it after 20 s: $(tail -n 3 "$TL_TMP/ts3.err")"
	((rc == 1)) || fail "$cmd: tunshare exited $rc, expected 1: $(cat "$TL_TMP/ts3.err")"
	grep -q "$cmd cannot be run (.*); stopping" "$TL_TMP/ts3.err" ||
		fail "$cmd: no clear error: $(cat "$TL_TMP/ts3.err")"
	log "$cmd: exit 1 after $((SECONDS - t0)) s: $(grep -m1 'cannot be run' "$TL_TMP/ts3.err")"
	gone "$cmd"
done
pass "lane prefixes, broken stderr survived, 126/127 stop the supervisor"
