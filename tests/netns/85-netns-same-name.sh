#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Two network namespaces each run their own interface of the same name, as
# with the kernel's WireGuard. A and B both `tunlane up` N (A first, so A's
# daemon serves wg's stock path /var/run/wireguard/N.sock and relays B's
# clients to B's own socket); each talks over a veth to a peer namespace
# of its own (C and D), with the same addresses on both sides.
#  - ping through both tunnels;
#  - stock `wg show N public-key` and `wg showconf N` (via `ip netns exec`)
#    give each namespace its own key; `wg set N peer ...` in B changes B
#    only; `tunlane show`, `reload` act on each namespace's own daemon;
#    the sockets are root's alone;
#  - a daemon's own socket answers its own namespace only: a raw get=1
#    from B (or from the test's namespace) at A's own socket is closed
#    unanswered; a socket made in B connected from a process in A gets
#    errno=1 at the stock path (the pid does not choose the namespace);
#  - the test's own namespace (standing in for the host, which runs no N)
#    gets no key of either: `wg show N` says "No such device" there,
#    `tunlane show interfaces` omits N;
#  - `tunlane down N` in A leaves B running; B's daemon takes the stock
#    path over and stock `wg` in B keeps working; the tunnel still works;
#  - each namespace's state (socket, stats page, state file) sits in its
#    own directory, and `down` in B removes everything.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-up.sh"

tl3_require "needs tunlaned and tunlane up"
N=tln$$
NS_C=tl-$$-c NS_D=tl-$$-d
for ns in "$NS_A" "$NS_B" "$NS_C" "$NS_D"; do
	ip netns add "$ns" || fail "ip netns add $ns"
	TL_NSS+=("$ns")
	ip -n "$ns" link set lo up
done
# A <-> C and B <-> D, with the same addresses on both pairs.
for pair in "$NS_A:$NS_C" "$NS_B:$NS_D"; do
	x=${pair%%:*} y=${pair##*:}
	ip link add veth0 netns "$x" type veth peer name veth0 netns "$y" || fail "veth $x-$y"
	ip -n "$x" addr add "$A4/24" dev veth0 && ip -n "$y" addr add "$B4/24" dev veth0
	ip -n "$x" link set veth0 up && ip -n "$y" link set veth0 up
done
for k in KA KB KC KD KX; do tl_genkey "$k"; done
mkdir -p "$TL_TMP/a" "$TL_TMP/b"
tl3_conf "$TL_TMP/a/$N.conf" "$KA_KEY" "$PORT_A" "$TA4/24" 1 "$KC_PUB" "$TB4/32" "$B4:$PORT_B"
tl3_conf "$TL_TMP/b/$N.conf" "$KB_KEY" "$PORT_A" "$TA4/24" 1 "$KD_PUB" "$TB4/32" "$B4:$PORT_B"
tl3_conf "$TL_TMP/tlc$$.conf" "$KC_KEY" "$PORT_B" "$TB4/24" 1 "$KA_PUB" "$TA4/32" "$A4:$PORT_A"
tl3_conf "$TL_TMP/tld$$.conf" "$KD_KEY" "$PORT_B" "$TB4/24" 1 "$KB_PUB" "$TA4/32" "$A4:$PORT_A"
tl3_up "$NS_C" "$TL_TMP/tlc$$.conf"
tl3_up "$NS_D" "$TL_TMP/tld$$.conf"

TL_IFS+=("$N")
# up N in NS (config CONF); sets the variable named by $3 to its master pid.
up_n() {
	local out pid page
	out=$(TL_T=30 nsx "$1" "$TL_CLI" up "$2" 2>&1) || fail "tunlane up $N in $1: $out"
	page=$(tl_ns_dir "$1")/$N.stats
	[[ -e $page ]] || page=$(tl_state "$N" stats)	# checked below
	pid=$("$TL_PY" -c 'import struct, sys
print(struct.unpack("<IIIi", open(sys.argv[1], "rb").read(16))[3])' "$page") ||
		fail "no stats page for $N in $(tl_ns_dir "$1")"
	TL_PIDS+=("$pid")
	printf -v "$3" '%s' "$pid"
}
up_n "$NS_A" "$TL_TMP/a/$N.conf" MA
up_n "$NS_B" "$TL_TMP/b/$N.conf" MB
[[ $MA != "$MB" ]] || fail "one daemon for both namespaces"
[[ -S $(tl_ns_dir "$NS_A")/$N.sock && -S $(tl_ns_dir "$NS_B")/$N.sock ]] ||
	fail "no socket of its own in each namespace's directory"
[[ -e $(tl_ns_dir "$NS_A")/$N.up && -e $(tl_ns_dir "$NS_B")/$N.up ]] ||
	fail "no state file of its own in each namespace's directory"

# A came first: its daemon serves the stock path (B's clients get relayed).
holder=$("$TL_PY" -c 'import socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
print(struct.unpack("3i", s.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[0])' "/var/run/wireguard/$N.sock") ||
	fail "nobody serves /var/run/wireguard/$N.sock"
[[ $holder = "$MA" ]] || fail "/var/run/wireguard/$N.sock is served by $holder, not A's daemon $MA"

tl_ping_until "$NS_A" "$TB4" 15 || fail "no ping through A's $N"
tl_ping_until "$NS_B" "$TB4" 15 || fail "no ping through B's $N"

# stock wg, each namespace its own daemon
[[ $(wgx "$NS_A" show "$N" public-key) = "$KA_PUB" ]] || fail "wg show $N public-key in A is not A's key"
[[ $(wgx "$NS_B" show "$N" public-key) = "$KB_PUB" ]] || fail "wg show $N public-key in B (relayed) is not B's key"
wgx "$NS_A" showconf "$N" | grep -qx "PrivateKey = $KA_KEY" || fail "wg showconf $N in A"
wgx "$NS_B" showconf "$N" | grep -qx "PrivateKey = $KB_KEY" || fail "wg showconf $N in B"
[[ $(wgx "$NS_B" show interfaces) = *"$N"* ]] || fail "wg show interfaces in B lacks $N"
wgx "$NS_B" set "$N" peer "$KX_PUB" allowed-ips 10.9.9.9/32 || fail "wg set $N in B"
wgx "$NS_B" show "$N" peers | grep -qx "$KX_PUB" || fail "wg set in B did not reach B's $N"
wgx "$NS_A" show "$N" peers | grep -qx "$KX_PUB" && fail "wg set in B changed A's $N"

# tunlane show and reload, each its own
TL_T=10 nsx "$NS_A" "$TL_CLI" show "$N" | grep -q "public key: $KA_PUB" || fail "tunlane show $N in A"
TL_T=10 nsx "$NS_B" "$TL_CLI" show "$N" | grep -q "public key: $KB_PUB" || fail "tunlane show $N in B"
[[ $(TL_T=10 nsx "$NS_B" "$TL_CLI" show interfaces) = "$N" ]] || fail "tunlane show interfaces in B"
printf '\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.8.8.8/32\n' "$KX_PUB" >>"$TL_TMP/a/$N.conf"
out=$(TL_T=30 nsx "$NS_A" "$TL_CLI" reload "$TL_TMP/a/$N.conf" 2>&1) || fail "reload in A: $out"
wgx "$NS_A" show "$N" allowed-ips | grep -q "^$KX_PUB	10.8.8.8/32$" || fail "reload in A did not reach A's $N"
wgx "$NS_B" show "$N" allowed-ips | grep -q "^$KX_PUB	10.9.9.9/32$" || fail "reload in A changed B's $N"
# B's file has no such peer: reloading it drops B's, and A keeps its own.
out=$(TL_T=30 nsx "$NS_B" "$TL_CLI" reload "$TL_TMP/b/$N.conf" 2>&1) || fail "reload in B: $out"
wgx "$NS_B" show "$N" peers | grep -qx "$KX_PUB" && fail "reload in B kept the peer that wg set added"
wgx "$NS_A" show "$N" allowed-ips | grep -q "^$KX_PUB	10.8.8.8/32$" || fail "reload in B changed A's $N"
# Every socket is root's alone (the relay checks the client's uid too).
for f in "/var/run/wireguard/$N.sock" "$(tl_ns_dir "$NS_A")/$N.sock" "$(tl_ns_dir "$NS_B")/$N.sock"; do
	read -r mode uid < <(stat -c '%a %u' "$f")
	((uid == 0 && (8#$mode & 077) == 0)) || fail "$f is not root's alone: mode $mode, uid $uid"
done

# A daemon's own socket sits in the shared /var/run but serves its own
# namespace only: a raw `get=1` there from B (or from the test's own
# namespace) is closed unanswered (the kernel's namespace cookie of the
# accepted socket, not a path or a pid, says whose the client is); from A
# it answers.
raw_get() {	# raw_get NS|- PATH: the reply's errno= line, or "closed"
	local in=(nsx "$1")
	[[ $1 = - ]] && in=(timeout 20)
	"${in[@]}" "$TL_PY" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1])
r = b""
try:
    s.sendall(b"get=1\n\n")
    while not r.endswith(b"\n\n"):
        b = s.recv(65536)
        if not b:
            break
        r += b
except TimeoutError:
    sys.exit(print("no answer and not closed within 5 s"))
except OSError:
    pass	# reset or broken pipe: closed unanswered
e = [l for l in r.decode(errors="replace").split("\n") if l.startswith("errno=")]
print("closed" if not r else (e[-1] if e else "no errno line"))' "$2"
}
[[ $(raw_get "$NS_A" "$(tl_ns_dir "$NS_A")/$N.sock") = errno=0 ]] || fail "a raw get=1 from A at A's own socket was not answered"
out=$(raw_get "$NS_B" "$(tl_ns_dir "$NS_A")/$N.sock")
[[ $out = closed ]] || fail "a raw get=1 from B at A's own socket was answered: $out"
out=$(raw_get - "$(tl_ns_dir "$NS_B")/$N.sock")
[[ $out = closed ]] || fail "a raw get=1 from the test's namespace at B's own socket was answered: $out"
# The pid is no proof of the namespace: a socket made in B, connected to
# the stock path by a process that has since entered A (as a reused pid
# would be), reaches nobody (errno=1), not A's daemon: the relay checks
# the namespace cookie of the socket it makes by the pid against the
# client's.
out=$(nsx "$NS_B" "$TL_PY" -c 'import ctypes, os, socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5)
fd = os.open("/var/run/netns/" + sys.argv[1], os.O_RDONLY)
if ctypes.CDLL(None, use_errno=True).setns(fd, 0x40000000) != 0:
    sys.exit(print("setns failed"))
s.connect(sys.argv[2]); s.sendall(b"get=1\n\n"); r = b""
while not r.endswith(b"\n\n"):
    b = s.recv(65536)
    if not b:
        break
    r += b
print(r.decode(errors="replace").replace("\n", " ").strip())' "$NS_A" "/var/run/wireguard/$N.sock" 2>&1)
[[ $out = errno=1 ]] || fail "a socket of B connected from a process in A: '${out:0:80}', not errno=1"

# the test's own namespace (the host's side) sees neither key
# (its client is relayed to a socket that does not exist: ENODEV, as the
# kernel says for a missing interface)
if out=$(timeout 10 wg show "$N" public-key 2>&1); then
	fail "wg show $N in the test's namespace answered: $out"
fi
[[ $out = *"No such device"* ]] || fail "wg show $N in the test's namespace: '$out', not No such device"
[[ $out != *"$KA_PUB"* && $out != *"$KB_PUB"* ]] || fail "a key leaked to the test's namespace"
[[ " $(timeout 10 "$TL_CLI" show interfaces) " != *" $N "* ]] || fail "tunlane show interfaces outside lists $N"

# A goes; B keeps running, takes the stock path over, stock wg still works
out=$(TL_T=20 nsx "$NS_A" "$TL_CLI" down "$N" 2>&1) || fail "down in A: $out"
tl_wait_exit "$MA" 5 || fail "A's daemon still running after down"
kill -0 "$MB" 2>/dev/null || fail "down in A stopped B's daemon"
for ((i = 0; i < 50; i++)); do
	[[ $(wgx "$NS_B" show "$N" public-key 2>/dev/null) = "$KB_PUB" ]] && break
	sleep 0.1
done
((i < 50)) || fail "stock wg in B lost $N after A's daemon went"
wgx "$NS_B" set "$N" peer "$KX_PUB" remove || fail "wg set in B after the takeover"
tl_ping_until "$NS_B" "$TB4" 10 || fail "no ping through B's $N after A's went"
[[ ! -e $(tl_ns_dir "$NS_A")/$N.sock && ! -e $(tl_ns_dir "$NS_A")/$N.stats && ! -e $(tl_ns_dir "$NS_A")/$N.up ]] ||
	fail "down in A left files in A's directory: $(ls "$(tl_ns_dir "$NS_A")")"
out=$(TL_T=20 nsx "$NS_B" "$TL_CLI" down "$N" 2>&1) || fail "down in B: $out"
tl_wait_exit "$MB" 5 || fail "B's daemon still running after down"
[[ ! -e /var/run/wireguard/$N.sock && ! -e $(tl_ns_dir "$NS_B")/$N.sock && ! -e $(tl_ns_dir "$NS_B")/$N.stats ]] ||
	fail "down in B left its sockets or stats page behind"
pass "two namespaces, one name: own keys, own wg set, reload and down, takeover by B"
