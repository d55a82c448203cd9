#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Local attach (issue 9, critical): a process without privileges (uid and
# gid 65534, no groups, no capabilities) that holds an open /dev/net/tun
# (mode 0666 on most distributions) issues TUNSETIFF with IFF_MULTI_QUEUE on
# the name of
#  - a running tunlaned interface (2 lanes, `tunlane up`),
#  - a tunshare device, with lanes run as root and with --user nobody,
# and must get EPERM each time, so it can neither read nor inject plaintext.
# The tunnel keeps passing pings, the device keeps its queues and its
# carrier, and tunshare's lanes (tunctl.py, as nobody) still get their
# queues although the device is root's.
. "$(dirname "$0")/lib-tunshare.sh"
. "$(dirname "$0")/lib-up.sh"
tl3_require "needs tunlaned"
ts_require setpriv
PROBE=$TL_ROOT/tests/netns/tun-attach.py
TUNCTL=$TL_ROOT/tests/netns/tunctl.py

# attach NS IFNAME: the probe's verdict ("attach ok" / "attach error E...").
attach() {
	TL_T=10 nsx "$1" bash -c 'exec 7<>/dev/net/tun && exec setpriv --reuid=65534 \
		--regid=65534 --clear-groups --inh-caps=-all "$0" - 7 "$1" <"$2"' \
		"$TL_PY" "$2" "$PROBE" 2>&1
}
# owner NS IFNAME: "UID GID " of the tun device ("-1 -1 " when unset).
owner() {
	ip netns exec "$1" cat "/sys/class/net/$2/owner" "/sys/class/net/$2/group" 2>&1 | tr '\n' ' ' || true
}
tl3_pair 2 2
tl_ping_until "$NS_A" "$TB4" 15 || fail "no ping reply through the tunnel within 15 s"
for x in "$NS_A:$IF_A" "$NS_B:$IF_B"; do
	ns=${x%%:*} ifn=${x#*:}
	got=$(attach "$ns" "$ifn")
	[[ $got == "attach error EPERM" ]] || fail "unprivileged attach to $ifn: '$got', expected EPERM"
	own=$(owner "$ns" "$ifn")
	[[ $own == "0 0 " ]] || fail "$ifn: owner and group are '$own', expected '0 0 '"
done
tl_ping "$NS_A" "$TB4" 5 5 5 >/dev/null || fail "pings through the tunnel lost after the attach attempts"
d=$(ip -n "$NS_A" -d link show "$IF_A")
[[ $d == *"numqueues 2 "* && $d == *LOWER_UP* ]] || fail "$IF_A lost a queue or its carrier: $d"
log "tunlaned: owner/group 0, unprivileged attach EPERM, 5/5 pings after it"

# tunshare: lanes are tunctl.py holding their queue.
ts_start() { # USER-ARGS...
	ip netns exec "$NS_A" "$TS_BIN" run --dev "$DEV_A" --lanes 2 "$@" \
		-- "$TL_PY" "$TUNCTL" "$DEV_A" --owner 65534 --hold 60 >"$TL_TMP/ts.log" 2>&1 &
	TS=$!
	TL_PIDS+=("$TS")
	for ((i = 0; i < 100; i++)); do
		[[ $(grep -c "^setiff ok name=$DEV_A flags=0x1001\$" "$TL_TMP/ts.log") -eq 2 ]] && break
		sleep 0.1
	done
	d=$(ip -n "$NS_A" -d link show "$DEV_A" 2>&1)
	[[ $d == *"numqueues 2 "* ]] ||
		fail "tunshare $*: lanes do not hold 2 queues: $d; $(cat "$TL_TMP/ts.log")"
}
ts_stop() {
	kill -TERM "$TS"
	tl_wait_exit "$TS" 8 || fail "tunshare did not stop"
}
for user in "" nobody; do
	ts_start ${user:+--user "$user"}
	got=$(attach "$NS_A" "$DEV_A")
	[[ $got == "attach error EPERM" ]] ||
		fail "unprivileged attach to tunshare ${user:+--user $user} device: '$got', expected EPERM"
	own=$(owner "$NS_A" "$DEV_A")
	[[ $own == "0 0 " ]] || fail "tunshare ${user:+--user $user}: owner and group '$own', expected '0 0 '"
	d=$(ip -n "$NS_A" -d link show "$DEV_A")
	[[ $d == *"numqueues 2 "* ]] || fail "tunshare device lost a queue: $d"
	if [[ -n $user ]]; then
		[[ $(ps -o pid= --ppid "$TS" | wc -l) -eq 2 ]] || fail "tunshare --user $user: not 2 lanes"
		for p in $(ps -o pid= --ppid "$TS"); do
			[[ $(ps -o user= -p "$p") == "$user" ]] || fail "tunshare lane $p is not run as $user"
		done
	fi
	ts_stop
	log "tunshare ${user:+--user $user }: owner/group 0, unprivileged attach EPERM, lanes hold 2 queues"
done
pass "no unprivileged attach to tunlaned or tunshare devices; traffic unaffected"
