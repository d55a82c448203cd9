#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# The init namespace's daemon always serves wg's stock path
# /var/run/wireguard/N.sock, as it did before namespaces had names of
# their own (tunlaned(8), "Network namespaces"):
#  - A (not the init namespace) runs N first and so serves the stock path;
#  - an init namespace's daemon that fails its checks (the name exists
#    there) leaves A's daemon the stock path;
#  - the init namespace's daemon of N starts: it asks A's to yield and
#    takes the path over; stock `wg` in the init namespace reaches it, and
#    stock `wg` in A still reaches A's daemon (relayed now);
#  - when it stops, A's daemon takes the path back.
# The test cannot use the host's own namespace, so a namespace H stands in
# for it: H's daemon runs where /proc/1 is bound to itself (a private
# mount namespace), so that H is pid 1's namespace as that daemon sees it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-up.sh"

tl3_require "needs tunlaned and tunlane up"
command -v unshare >/dev/null || skip "needs unshare(1)"
N=tln$$
NS_H=tl-$$-h
for ns in "$NS_A" "$NS_H"; do
	ip netns add "$ns" || fail "ip netns add $ns"
	TL_NSS+=("$ns")
	ip -n "$ns" link set lo up
done
TL_IFS+=("$N")
for k in KA KH KX; do tl_genkey "$k"; done
# The pid serving the stock path, from the kernel (SO_PEERCRED); 0: none.
holder() {
	"$TL_PY" -c 'import socket, struct, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
    print(struct.unpack("3i", s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[0])
except OSError:
    print(0)' "/var/run/wireguard/$N.sock"
}
wait_holder() { # PID SECONDS
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[[ $(holder) = "$1" ]] && return 0
		sleep 0.1
	done
	return 1
}

mkdir -p "$TL_TMP/a"
tl3_conf "$TL_TMP/a/$N.conf" "$KA_KEY" 51820 "$TA4/24" 1 "$KX_PUB" "$TB4/32"
out=$(TL_T=30 nsx "$NS_A" "$TL_CLI" up "$TL_TMP/a/$N.conf" 2>&1) || fail "tunlane up $N in A: $out"
MA=$("$TL_PY" -c 'import struct, sys
print(struct.unpack("<IIIi", open(sys.argv[1], "rb").read(16))[3])' "$(tl_ns_dir "$NS_A")/$N.stats") ||
	fail "no stats page for $N in A"
TL_PIDS+=("$MA")
wait_holder "$MA" 5 || fail "A's daemon does not serve the stock path (holder $(holder))"

# H's daemon, pid 1's namespace as it sees it
start_h() {
	ip netns exec "$NS_H" unshare --mount --propagation private \
		sh -c 'mount --bind /proc/$$ /proc/1 && exec "$0" -f "$1"' "$TL_DAEMON" "$N" \
		>"$TL_TMP/h.log" 2>&1 &
	MH=$!
	TL_PIDS+=("$MH")
}
# A daemon that cannot run (the name is taken in H) takes nothing from A:
# the stock path is asked for only after the name checks.
ip -n "$NS_H" link add "$N" type veth peer name "tlp$$" || fail "a veth named $N in H"
start_h
tl_wait_exit "$MH" 10 || fail "H's daemon kept running with $N taken in H"
grep -q "already exists" "$TL_TMP/h.log" || fail "H's daemon did not fail on the existing name: $(tail -n 3 "$TL_TMP/h.log")"
[[ $(holder) = "$MA" ]] || fail "a daemon that failed its name check took the stock path from A (holder $(holder))"
ip -n "$NS_H" link del "$N" || fail "ip link del $N in H"
start_h
wait_holder "$MH" 10 || fail "the init namespace's daemon did not take the stock path over (holder $(holder)): $(tail -n 5 "$TL_TMP/h.log")"
kill -0 "$MA" 2>/dev/null || fail "A's daemon exited when the init namespace's took the path"
[[ -S /var/run/tunlane/$N.sock ]] || fail "the init namespace's daemon has no socket in /var/run/tunlane"
wgx "$NS_H" set "$N" private-key "$KH_PRIV" || fail "wg set in the init namespace"
[[ $(wgx "$NS_H" show "$N" public-key) = "$KH_PUB" ]] || fail "wg show in the init namespace is not its key"
[[ $(wgx "$NS_A" show "$N" public-key) = "$KA_PUB" ]] || fail "wg show in A (relayed by the init namespace's daemon) is not A's key"
[[ $(TL_T=10 nsx "$NS_A" "$TL_CLI" show interfaces) = "$N" ]] || fail "tunlane show interfaces in A"

# it stops; A's takes the stock path back (it held off 5 s after yielding)
kill -TERM "$MH"
tl_wait_exit "$MH" 5 || fail "the init namespace's daemon did not stop"
wait_holder "$MA" 10 || fail "A's daemon did not take the stock path back (holder $(holder))"
[[ $(wgx "$NS_A" show "$N" public-key) = "$KA_PUB" ]] || fail "wg show in A after the takeover"
out=$(TL_T=20 nsx "$NS_A" "$TL_CLI" down "$N" 2>&1) || fail "down in A: $out"
tl_wait_exit "$MA" 5 || fail "A's daemon still running after down"
[[ ! -e /var/run/wireguard/$N.sock ]] || fail "the stock path is left behind"
pass "the init namespace's daemon takes the stock path over and gives it back"
