#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# What systemd would do with systemd/tunlane@.service, without systemd:
# run its ExecStart= (`tunlane up CONF`) with NOTIFY_SOCKET set, under the
# unit's CapabilityBoundingSet= and NoNewPrivileges=, and a listener on
# the notification socket. Checks: the process started stays and becomes
# tunlaned in the foreground (the unit's main process); READY=1 comes only
# once the interface has its address and route; traffic flows through it
# to a peer; ExecStop= (`tunlane down`) makes it exit 0 after STOPPING=1.
# Then a configuration `up` cannot apply (its ListenPort is taken) makes
# the foreground daemon exit non-zero, without READY=1, leaving nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-up.sh"

tl3_require "needs tunlaned"
command -v setpriv >/dev/null || skip "setpriv (util-linux) not found"
UNIT=$TL_ROOT/systemd/tunlane@.service
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT")
[[ -n $caps ]] || fail "no CapabilityBoundingSet= in $UNIT"
bset=-all
for c in $caps; do bset+=",+$(tr 'A-Z' 'a-z' <<<"${c#CAP_}")"; done
grep -q '^NoNewPrivileges=yes' "$UNIT" || fail "unit lost NoNewPrivileges=yes"
log "bounding set from the unit: $bset"

tl_setup_ns
tl_genkey KA
tl_genkey KB
CONF_A=$TL_TMP/$IF_A.conf CONF_B=$TL_TMP/$IF_B.conf
tl3_conf "$CONF_A" "$KA_KEY" "$PORT_A" "$TA4/24" 2 "$KB_PUB" "$TB4/32" "$B4:$PORT_B"
tl3_conf "$CONF_B" "$KB_KEY" "$PORT_B" "$TB4/24" 2 "$KA_PUB" "$TA4/32" "$A4:$PORT_A"
tl3_up "$NS_B" "$CONF_B"
TL_IFS+=("$IF_A")
TL_IFNS[$IF_A]=$NS_A

# listen SOCK OUT: appends every datagram to OUT, with "ip: <address
# count of IF_A> " in front, checked the moment it arrives.
listen() {
	"$TL_PY" -c '
import os, socket, subprocess, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
out = open(sys.argv[2], "a", buffering=1)
while True:
    m = s.recv(4096).decode()
    a = subprocess.run(["ip", "-n", sys.argv[3], "-4", "-o", "addr", "show", "dev", sys.argv[4]],
                       capture_output=True, text=True).stdout.count("inet ")
    r = subprocess.run(["ip", "-n", sys.argv[3], "-4", "route", "show", sys.argv[5]],
                       capture_output=True, text=True).stdout.count("dev")
    out.write("addr=%d route=%d %s\n" % (a, r, m.replace("\n", " ")))
' "$1" "$2" "$NS_A" "$IF_A" "$TB4" &
	TL_PIDS+=($!)
	for ((i = 0; i < 50; i++)); do [[ -S $1 ]] && return; sleep 0.1; done
	fail "notify listener did not start"
}
# start CONF: ExecStart= as systemd would run it, in the background.
start() {
	ip netns exec "$NS_A" env NOTIFY_SOCKET="$SOCK" \
		setpriv --bounding-set "$bset" --no-new-privs "$TL_CLI" up "$1" \
		>"$TL_TMP/unit.log" 2>&1 &
	MAIN=$!
	TL_PIDS+=("$MAIN")
}

SOCK=$TL_TMP/notify.sock MSGS=$TL_TMP/notify.txt
: >"$MSGS"
listen "$SOCK" "$MSGS"
start "$CONF_A"
end=$((SECONDS + 15))
until grep -q 'READY=1' "$MSGS"; do
	_tl_alive "$MAIN" || fail "main process exited before READY=1: $(cat "$TL_TMP/unit.log")"
	((SECONDS < end)) || fail "no READY=1 within 15 s: $(cat "$MSGS")"
	sleep 0.1
done
ready=$(grep 'READY=1' "$MSGS")
log "notification: $ready"
[[ $ready = "addr=1 route=1 "* ]] || fail "READY=1 came before the address and route were in place: $ready"
[[ $(cat "/proc/$MAIN/comm") = tunlaned ]] || fail "main process $MAIN is $(cat "/proc/$MAIN/comm"), expected tunlaned in the foreground"
grep -q -- '--foreground' "/proc/$MAIN/cmdline" || fail "tunlaned $MAIN not in the foreground: $(tr '\0' ' ' <"/proc/$MAIN/cmdline")"
grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$MAIN/status" || fail "tunlaned runs without no_new_privs"
tl_ping_until "$NS_A" "$TB4" 10 || fail "no ping through the tunnel started as the unit would"
tl_show_json "$NS_A" "$IF_A" "$TL_TMP/a.json"
lanes=$("$TL_PY" "$TL_TOOL" jget 'sum(1 for l in d["lanes"] if l["pid"] > 0)' "$TL_TMP/a.json")
((lanes == 2)) || fail "$lanes lanes running, expected 2"

# ExecStop=
out=$(nsx "$NS_A" "$TL_CLI" down "$IF_A" 2>&1) || fail "tunlane down: $out"
rc=0
wait "$MAIN" || rc=$?
((rc == 0)) || fail "main process exited $rc after tunlane down (systemd would mark the unit failed)"
grep -q 'STOPPING=1' "$MSGS" || fail "no STOPPING=1: $(cat "$MSGS")"

# A configuration the daemon refuses: the unit must fail, not hang.
: >"$MSGS"
ip netns exec "$NS_A" "$TL_PY" -c 'import socket, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", 51830))
time.sleep(60)' &
TL_PIDS+=($!)
sleep 0.3
sed -i "s|^ListenPort = .*|ListenPort = 51830|" "$CONF_A"
start "$CONF_A"
end=$((SECONDS + 15))
while _tl_alive "$MAIN"; do
	((SECONDS < end)) || fail "main process still running 15 s after a failed configuration"
	sleep 0.1
done
rc=0
wait "$MAIN" || rc=$?
((rc != 0)) || fail "main process exited 0 after a failed configuration"
grep -q 'READY=1' "$MSGS" && fail "READY=1 sent for a failed configuration"
ip -n "$NS_A" link show "$IF_A" >/dev/null 2>&1 && fail "$IF_A left behind after the failed start"
log "failed start: exit $rc; $(tr '\n' ' ' <"$TL_TMP/unit.log")"
pass "READY=1 after configuration, traffic, clean stop; failed start exits $rc"
