#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Helpers sourced by every tests/netns/NN-*.sh test.
#
# A test gets two network namespaces joined by a veth pair:
#   $NS_A  veth0  $A4/24  $A6/64      (usually the daemon under test)
#   $NS_B  veth0  $B4/24  $B6/64      (usually wireguard-go)
# Names carry the test's PID (tl-$$-a), and interface names do too, because
# the UAPI socket directory /var/run/wireguard is shared by all namespaces.
#
# Environment:
#   TL_DAEMON      daemon under test (default: build/tunlaned). Set it to
#                  wireguard-go to check the harness itself; checks that need
#                  `tunlane show` are then skipped with a note.
#   TL_PEER        the reference peer (default: wireguard-go)
#   TL_KEEP=1      keep the temp dir (logs) after the test
#   TL_VERBOSE=1   trace commands (set -x)
#
# Everything is bounded: every wait has a deadline, iperf3 runs with -n or
# -t and --connect-timeout, and commands that talk to a daemon's socket run
# under `timeout`. The EXIT trap kills only the PIDs this test started (and
# their children), deletes its namespaces and removes its socket files.

set -euo pipefail

TL_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TL_BUILD=${BUILD:-build}
case $TL_BUILD in /*) ;; *) TL_BUILD=$TL_ROOT/$TL_BUILD ;; esac
TL_NAME=$(basename "$0" .sh)
TL_TOOL=$TL_ROOT/tests/netns/tlnet.py
if [[ -x /usr/bin/python3 ]]; then TL_PY=/usr/bin/python3; else TL_PY=python3; fi

TL_DAEMON=${TL_DAEMON:-$TL_BUILD/tunlaned}
TL_PEER=${TL_PEER:-wireguard-go}
TL_CLI=${TL_CLI:-$TL_BUILD/tunlane}
case $(basename "$TL_DAEMON") in
tunlaned*) TL_IS_TUNLANED=1 ;;
*) TL_IS_TUNLANED=0 ;;
esac

NS_A=tl-$$-a
NS_B=tl-$$-b
A4=192.168.241.1
B4=192.168.241.2
A6=fd00:241::1
B6=fd00:241::2
# Tunnel (inner) addresses.
TA4=10.241.0.1
TB4=10.241.0.2
TA6=fd00:2410::1
TB6=fd00:2410::2
# Interface names: unique per run, at most 15 characters.
IF_A=tla$$
IF_B=tlb$$
PORT_A=51820
PORT_B=51821

TL_PIDS=()
TL_NSS=()
TL_IFS=()
declare -A TL_IFNS=() # interface -> namespace, for failure reports
TL_TMP=$(mktemp -d "/tmp/tl-$TL_NAME.XXXXXX")
TL_DONE=0

[[ ${TL_VERBOSE:-0} = 1 ]] && set -x

log() { printf '  [%s] %s\n' "$TL_NAME" "$*" >&2; }

# Descendants of a PID (children first found via ps, recursively).
_tl_descendants() {
	local p c
	for p in "$@"; do
		for c in $(ps -o pid= --ppid "$p" 2>/dev/null); do
			echo "$c"
			_tl_descendants "$c"
		done
	done
}

_tl_alive() { kill -0 "$1" 2>/dev/null; }

tl_cleanup() {
	local rc=$? pids=() p i ino
	set +e
	# `timeout` signals the test and then its whole process group, so a
	# second SIGTERM may come while this runs: ignore it and finish.
	trap - EXIT
	trap '' INT TERM
	for p in "${TL_PIDS[@]}"; do
		_tl_alive "$p" || continue
		pids+=("$p")
		for c in $(_tl_descendants "$p"); do pids+=("$c"); done
	done
	if ((${#pids[@]})); then
		kill -TERM "${pids[@]}" 2>/dev/null
		for ((i = 0; i < 50; i++)); do
			local any=0
			for p in "${pids[@]}"; do _tl_alive "$p" && any=1; done
			((any)) || break
			sleep 0.1
		done
		for p in "${pids[@]}"; do
			_tl_alive "$p" && { log "cleanup: PID $p ignored SIGTERM, killing"; kill -KILL "$p" 2>/dev/null; }
		done
	fi
	for ns in "${TL_NSS[@]}"; do
		# The namespace's own state directory (src/lib/netns.h), by
		# the inode of the namespace, which a later one may reuse.
		ino=$(stat -L -c %i "/var/run/netns/$ns" 2>/dev/null) &&
			rm -rf "/var/run/tunlane/netns/$ino"
		ip netns del "$ns" 2>/dev/null
	done
	for ifn in "${TL_IFS[@]}"; do
		rm -f "/var/run/wireguard/$ifn.sock" "/var/run/tunlane/$ifn.stats" "/var/run/tunlane/$ifn.up" \
			"/var/run/tunlane/$ifn.sock" "/var/run/tunlane/$ifn.lock"
	done
	if [[ ${TL_KEEP:-0} = 1 ]]; then
		log "logs kept in $TL_TMP"
	else
		rm -rf "$TL_TMP"
	fi
	if ((TL_DONE == 0 && rc == 0)); then
		echo "FAIL: $TL_NAME: test ended without a verdict" >&2
		rc=1
	fi
	exit "$rc"
}
trap tl_cleanup EXIT
trap 'trap "" INT TERM; echo "FAIL: $TL_NAME: interrupted" >&2; exit 1' INT TERM

# Prints the last lines of every daemon log, to explain a failure.
tl_dump_logs() {
	local f
	for f in "$TL_TMP"/*.log; do
		[[ -s $f ]] || continue
		echo "---- $(basename "$f") (last 25 lines) ----" >&2
		tail -n 25 "$f" >&2
	done
}

pass() {
	TL_DONE=1
	echo "PASS: $TL_NAME${1:+: $*}"
	exit 0
}
fail() {
	TL_DONE=1
	echo "FAIL: $TL_NAME: $*" >&2
	tl_dump_logs
	tl_dump_drops
	exit 1
}
# Non-zero drop counters of every tunlaned interface still up, to explain
# a failure (never fails itself).
tl_dump_drops() {
	((TL_IS_TUNLANED)) || return 0
	local ifn out
	for ifn in "${!TL_IFNS[@]}"; do
		[[ -S /var/run/wireguard/$ifn.sock ]] || continue
		out=$(timeout --foreground 5 ip netns exec "${TL_IFNS[$ifn]}" "$TL_CLI" show "$ifn" --json 2>/dev/null |
			"$TL_PY" "$TL_TOOL" jget '" ".join("lane%d: %s" % (l["lane"], {k: v for k, v in l["drop_reasons"].items() if v}) for l in d["lanes"])' 2>/dev/null) || continue
		echo "---- drops on $ifn: $out" >&2
	done
	return 0
}
skip() {
	TL_DONE=1
	echo "SKIP: $TL_NAME: $*"
	exit 77
}
note() { log "note: $*"; }

# The lanes' system user, as `make install` and scripts/deps create it
# (idempotent; another test may be creating it at the same moment).
tl_lane_user() {
	id -u tunlane >/dev/null 2>&1 && return 0
	useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin tunlane 2>/dev/null ||
		id -u tunlane >/dev/null 2>&1 || fail "cannot create the lane user 'tunlane'"
}

tl_require_root() {
	[[ $(id -u) -eq 0 ]] || skip "needs root (network namespaces)"
	local t
	for t in ip wg "$TL_PY" iperf3 timeout ps; do
		command -v "$t" >/dev/null || fail "required tool '$t' not found"
	done
	tl_lane_user
	[[ -x $TL_DAEMON ]] || command -v "$TL_DAEMON" >/dev/null ||
		fail "daemon under test '$TL_DAEMON' not found (run make)"
	mkdir -p /var/run/wireguard
}

# tl_state IFNAME SUFFIX: the path of IFNAME's runtime file (stats, up,
# sock) in whichever network namespace's directory holds it: the init
# namespace's is /var/run/tunlane, another's /var/run/tunlane/netns/INODE
# (src/lib/netns.h). Names carry the test's PID, so there is one at most;
# without one, the init namespace's path.
tl_state() {
	local f
	for f in "/var/run/tunlane/$1.$2" /var/run/tunlane/netns/*/"$1.$2"; do
		[[ -e $f ]] && { printf '%s\n' "$f"; return 0; }
	done
	printf '%s\n' "/var/run/tunlane/$1.$2"
}
# tl_ns_dir NS: NS's state directory.
tl_ns_dir() { printf '/var/run/tunlane/netns/%s\n' "$(stat -L -c %i "/var/run/netns/$1")"; }

# Runs a command inside a namespace, bounded (default 20 s). The inner
# timeouts run with --foreground so that they stay in the test's process
# group: when tests/run's own `timeout` fires, its signal reaches them too
# and the EXIT trap gets to clean up.
nsx() {
	local ns=$1
	shift
	timeout --foreground "${TL_T:-20}" ip netns exec "$ns" "$@"
}
wgx() {
	local ns=$1
	shift
	timeout --foreground 10 ip netns exec "$ns" wg "$@"
}

# tl_setup_ns: the two namespaces, veth, v4 and v6 addresses (no DAD).
tl_setup_ns() {
	local ns
	for ns in "$NS_A" "$NS_B"; do
		ip netns add "$ns" || fail "ip netns add $ns"
		TL_NSS+=("$ns")
		ip -n "$ns" link set lo up
		nsx "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 >/dev/null 2>&1 || true
	done
	ip link add veth0 netns "$NS_A" type veth peer name veth0 netns "$NS_B" ||
		fail "cannot create veth pair"
	ip -n "$NS_A" addr add "$A4/24" dev veth0
	ip -n "$NS_B" addr add "$B4/24" dev veth0
	ip -n "$NS_A" addr add "$A6/64" dev veth0 nodad
	ip -n "$NS_B" addr add "$B6/64" dev veth0 nodad
	for ns in "$NS_A" "$NS_B"; do
		# So that deleting the first v4 address keeps a second one (roaming).
		nsx "$ns" sysctl -qw net.ipv4.conf.veth0.promote_secondaries=1 >/dev/null
		ip -n "$ns" link set veth0 up
	done
	nsx "$NS_A" "$TL_PY" "$TL_TOOL" ping "$B4" -c 1 -W 5 >/dev/null ||
		fail "veth $A4 -> $B4 does not work"
}

# tl_genkey NAME: sets NAME_PRIV (file), NAME_PUB (string), NAME_KEY (string).
tl_genkey() {
	local n=$1 k
	k=$(wg genkey)
	printf '%s\n' "$k" >"$TL_TMP/$n.key"
	chmod 600 "$TL_TMP/$n.key"
	printf -v "${n}_KEY" '%s' "$k"
	printf -v "${n}_PRIV" '%s' "$TL_TMP/$n.key"
	printf -v "${n}_PUB" '%s' "$(wg pubkey <<<"$k")"
}

# tl_start NS IMPL IFNAME [ARGS...]: IMPL is "dut" (the daemon under test)
# or "peer" (wireguard-go). Runs it in the foreground inside NS, logging to
# $TL_TMP/IFNAME.log, and waits up to 10 s for its socket and interface.
# Sets TL_LASTPID.
tl_start() {
	local ns=$1 impl=$2 ifn=$3 i
	shift 3
	local cmd
	case $impl in
	dut)
		if ((TL_IS_TUNLANED)); then
			cmd=("$TL_DAEMON" -f "$@" "$ifn")
		else
			cmd=("$TL_DAEMON" -f "$ifn")
		fi
		;;
	peer) cmd=("$TL_PEER" -f "$ifn") ;;
	*) fail "tl_start: bad impl $impl" ;;
	esac
	TL_IFS+=("$ifn")
	[[ $impl = dut ]] && TL_IFNS[$ifn]=$ns
	rm -f "/var/run/wireguard/$ifn.sock"
	ip netns exec "$ns" env WG_PROCESS_FOREGROUND=1 "${cmd[@]}" >"$TL_TMP/$ifn.log" 2>&1 &
	TL_LASTPID=$!
	TL_PIDS+=("$TL_LASTPID")
	for ((i = 0; i < 100; i++)); do
		if [[ -S /var/run/wireguard/$ifn.sock ]] && ip -n "$ns" link show "$ifn" >/dev/null 2>&1; then
			return 0
		fi
		_tl_alive "$TL_LASTPID" || fail "${cmd[*]} exited early: $(tail -n 5 "$TL_TMP/$ifn.log")"
		sleep 0.1
	done
	fail "${cmd[*]}: no socket /var/run/wireguard/$ifn.sock and link $ifn within 10 s"
}

# tl_iface NS IF KEYFILE PORT INNER4 INNER6: key, port, addresses, link up.
tl_iface() {
	local ns=$1 ifn=$2 key=$3 port=$4 in4=$5 in6=${6:-}
	wgx "$ns" set "$ifn" private-key "$key" listen-port "$port" ||
		fail "wg set $ifn private-key/listen-port failed"
	ip -n "$ns" addr add "$in4/24" dev "$ifn"
	[[ -n $in6 ]] && ip -n "$ns" addr add "$in6/64" dev "$ifn" nodad
	ip -n "$ns" link set "$ifn" up
}

# tl_peer NS IF PUB ALLOWED [ENDPOINT] [KEEPALIVE]
tl_peer() {
	local ns=$1 ifn=$2 pub=$3 allowed=$4 ep=${5:-} ka=${6:-}
	local args=(set "$ifn" peer "$pub" allowed-ips "$allowed")
	[[ -n $ep ]] && args+=(endpoint "$ep")
	[[ -n $ka ]] && args+=(persistent-keepalive "$ka")
	wgx "$ns" "${args[@]}" || fail "wg ${args[*]} failed"
}

# Latest handshake (unix seconds, 0 = never) of PUB on IF.
tl_handshake_time() {
	wgx "$1" show "$2" latest-handshakes 2>/dev/null | awk -v k="$3" '$1 == k { print $2 }'
}

# tl_wait_handshake NS IF PUB [TIMEOUT] [NEWER_THAN]
tl_wait_handshake() {
	local ns=$1 ifn=$2 pub=$3 t=${4:-15} newer=${5:-0} end h
	end=$((SECONDS + t))
	while ((SECONDS < end)); do
		h=$(tl_handshake_time "$ns" "$ifn" "$pub")
		[[ -n $h && $h != 0 && $h -gt $newer ]] && return 0
		sleep 0.2
	done
	return 1
}

# tl_ping NS ADDR [COUNT] [DEADLINE] [MIN]: exit 0 if >= MIN replies.
tl_ping() {
	local ns=$1 addr=$2 c=${3:-3} w=${4:-5} m=${5:-1}
	TL_T=$((${w%.*} + 5)) nsx "$ns" "$TL_PY" "$TL_TOOL" ping "$addr" -c "$c" -W "$w" --min "$m"
}

# tl_ping_until NS ADDR TIMEOUT: single pings until one is answered.
tl_ping_until() {
	local ns=$1 addr=$2 t=${3:-15} end
	end=$((SECONDS + t))
	while ((SECONDS < end)); do
		nsx "$ns" "$TL_PY" "$TL_TOOL" ping "$addr" -c 1 -W 1 >/dev/null 2>&1 && return 0
	done
	return 1
}

# tl_iperf_server NS PORT: one-off iperf3 server, waits until it listens.
tl_iperf_server() {
	local ns=$1 port=$2 i
	ip netns exec "$ns" timeout --foreground 180 iperf3 -s -1 -p "$port" >"$TL_TMP/iperf3-server-$port.log" 2>&1 &
	TL_PIDS+=("$!")
	for ((i = 0; i < 50; i++)); do
		ip netns exec "$ns" ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	fail "iperf3 server on port $port did not start"
}

# tl_iperf NS SERVER_ADDR PORT OUTFILE IPERF_ARGS...: client, JSON to OUTFILE.
# Starts a one-off server in the other namespace first. The client is killed
# after TL_IPERF_T seconds (default 150).
tl_iperf() {
	local ns=$1 addr=$2 port=$3 out=$4
	shift 4
	tl_iperf_server "$(tl_other_ns "$ns")" "$port"
	if ! timeout --foreground "${TL_IPERF_T:-150}" ip netns exec "$ns" iperf3 -c "$addr" -p "$port" --connect-timeout 5000 -J "$@" >"$out" 2>"$out.err"; then
		local e
		e=$("$TL_PY" "$TL_TOOL" jget 'd.get("error", "")' "$out" 2>/dev/null || cat "$out.err")
		fail "iperf3 -c $addr $* failed: ${e:-no output (timeout?)}"
	fi
}
tl_other_ns() { if [[ $1 = "$NS_A" ]]; then echo "$NS_B"; else echo "$NS_A"; fi; }

# tl_check_tcp OUTFILE MINBYTES LABEL: received bytes >= MINBYTES; prints rate.
tl_check_tcp() {
	local f=$1 min=$2 label=$3 sent got rate err
	err=$("$TL_PY" "$TL_TOOL" jget 'd.get("error", "")' "$f") || fail "$label: iperf3 output is not JSON"
	[[ -z $err ]] || fail "$label: iperf3 error: $err"
	sent=$("$TL_PY" "$TL_TOOL" jget 'd["end"]["sum_sent"]["bytes"]' "$f")
	got=$("$TL_PY" "$TL_TOOL" jget 'd["end"]["sum_received"]["bytes"]' "$f")
	rate=$("$TL_PY" "$TL_TOOL" jget '"%.0f" % (d["end"]["sum_received"]["bits_per_second"] / 1e6)' "$f")
	# iperf3 -n stops the receiver's count when the sender says it is done,
	# so the last in-flight window can be missing from sum_received: the
	# sender must have written it all over the (reliable) TCP connection,
	# and the receiver must have counted all but 2% of it or 8 MiB per stream.
	local streams slack
	streams=$("$TL_PY" "$TL_TOOL" jget 'len(d["end"]["streams"])' "$f")
	slack=$((min / 50 > streams * (8 << 20) ? min / 50 : streams * (8 << 20)))
	((sent >= min)) || fail "$label: sender wrote $sent bytes, expected >= $min"
	((got + slack >= min)) || fail "$label: receiver got $got bytes, expected >= $min - $slack"
	log "$label: $sent bytes sent, $got counted by the receiver, $rate Mbit/s"
}

# tl_check_udp OUTFILE MAXLOSS_PERCENT LABEL: datagrams arrived and loss is
# at most MAXLOSS (TL_UDP_MAXLOSS overrides it: userspace UDP loss on two
# shared cores depends on what else runs).
tl_check_udp() {
	_tl_udp_eval "$@" || fail "$TL_UDP_MSG"
	log "$TL_UDP_MSG"
}
# Same verdict without failing: returns 1 and sets TL_UDP_MSG.
_tl_udp_eval() {
	local f=$1 maxloss=${TL_UDP_MAXLOSS:-$2} label=$3 err pk lost loss
	err=$("$TL_PY" "$TL_TOOL" jget 'd.get("error", "")' "$f") || { TL_UDP_MSG="$label: iperf3 output is not JSON"; return 1; }
	[[ -z $err ]] || { TL_UDP_MSG="$label: iperf3 error: $err"; return 1; }
	pk=$("$TL_PY" "$TL_TOOL" jget 'd["end"]["sum"]["packets"]' "$f")
	lost=$("$TL_PY" "$TL_TOOL" jget 'd["end"]["sum"]["lost_packets"]' "$f")
	loss=$("$TL_PY" "$TL_TOOL" jget '"%.2f" % d["end"]["sum"]["lost_percent"]' "$f")
	if ((pk <= 0 || pk - lost <= 0)); then
		TL_UDP_MSG="$label: no datagrams received (sent $pk, lost $lost)"
		return 1
	fi
	if ! "$TL_PY" -c "import sys; sys.exit(0 if float('$loss') <= $maxloss else 1)"; then
		TL_UDP_MSG="$label: UDP loss $loss% > $maxloss% ($lost of $pk lost)"
		return 1
	fi
	TL_UDP_MSG="$label: $((pk - lost)) of $pk datagrams received, loss $loss%"
}

# tl_udp NS SERVER_ADDR PORT OUTFILE MAXLOSS LABEL IPERF_ARGS...: a UDP
# iperf3 run checked with tl_check_udp. Loss on a box shared with other
# work comes in bursts, so a run over the bound is repeated once (on
# PORT+100) and only a second one fails; no datagrams at all fails at once.
tl_udp() {
	local ns=$1 addr=$2 port=$3 out=$4 maxloss=$5 label=$6
	shift 6
	tl_iperf "$ns" "$addr" "$port" "$out" -u "$@"
	if ! _tl_udp_eval "$out" "$maxloss" "$label"; then
		case $TL_UDP_MSG in *"no datagrams"* | *"iperf3 "*) fail "$TL_UDP_MSG" ;; esac
		log "$TL_UDP_MSG; once more"
		tl_iperf "$ns" "$addr" $((port + 100)) "$out.2" -u "$@"
		_tl_udp_eval "$out.2" "$maxloss" "$label (second run)" || fail "$TL_UDP_MSG"
	fi
	log "$TL_UDP_MSG"
}

# ---- tunlane show --json ------------------------------------------------

tl_show_json() {
	local ns=$1 ifn=$2 out=$3
	TL_T=10 nsx "$ns" "$TL_CLI" show "$ifn" --json >"$out" 2>"$out.err" ||
		fail "tunlane show $ifn --json failed: $(cat "$out.err")"
	"$TL_PY" "$TL_TOOL" jget 'd["interface"]' "$out" >/dev/null 2>&1 ||
		fail "tunlane show $ifn --json: not the expected JSON: $(head -c 300 "$out")"
}

# tl_udp_flows NS DST ROUNDS GAP: 16 UDP flows (source ports 40000-40015)
# to DST's discard port, ROUNDS datagrams each, GAP seconds apart; enough
# flows that the kernel's hash gives every lane of two some, answered or not.
tl_udp_flows() {
	TL_T=${TL_T:-10} nsx "$1" "$TL_PY" -c '
import socket, sys, time
socks = []
for i in range(16):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 40000 + i))
    socks.append(s)
for r in range(int(sys.argv[2])):
    for s in socks:
        s.sendto(b"x" * 200, (sys.argv[1], 9))
    time.sleep(float(sys.argv[3]))' "$2" "$3" "$4"
}

# tl_wait_all_lanes NS IF SECS: waits until every lane of IF has made a
# handshake. With per-peer lanes, lanes 1 and up handshake with a
# multi-lane peer a little after lane 0 (tunlaned(8), "Per-peer lanes").
tl_wait_all_lanes() {
	local ns=$1 ifn=$2 end=$((SECONDS + $3)) f=$TL_TMP/all-lanes.json
	while ((SECONDS < end)); do
		tl_show_json "$ns" "$ifn" "$f"
		[[ $("$TL_PY" "$TL_TOOL" jget '"yes" if all(l["latest_handshake"] for l in d["lanes"]) else "no"' "$f") = yes ]] && return 0
		sleep 0.2
	done
	return 1
}

# tl_drops NS IF [REASON]: drops summed over lanes (all reasons if none).
tl_drops() {
	local f=$TL_TMP/show.$RANDOM.json
	tl_show_json "$1" "$2" "$f"
	if [[ -n ${3:-} ]]; then
		"$TL_PY" "$TL_TOOL" jget "sum(l['drop_reasons'].get('$3', 0) for l in d['lanes'])" "$f"
	else
		"$TL_PY" "$TL_TOOL" jget "sum(l['drops'] for l in d['lanes'])" "$f"
	fi
}

# Kernel counters of a tun interface. rx = packets the daemon wrote into the
# kernel (decrypted from the wire); tx = packets the kernel handed the daemon.
tl_ifstat() {
	ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"
}

# Waits up to T seconds for PID to exit; returns 0 if it did.
tl_wait_exit() {
	local pid=$1 t=${2:-5} end
	end=$((SECONDS + t))
	while ((SECONDS <= end)); do
		_tl_alive "$pid" || { wait "$pid" 2>/dev/null || true; return 0; }
		# A zombie child of ours counts as exited.
		[[ $(ps -o stat= -p "$pid" 2>/dev/null) = Z* ]] && { wait "$pid" 2>/dev/null || true; return 0; }
		sleep 0.1
	done
	return 1
}

# A standard pair: $IF_A (daemon under test, in $NS_A) and $IF_B (peer
# implementation $2, in $NS_B), keys generated, each peer configured with the
# other's key and inner /32 and /128. $1 selects who knows the other's
# endpoint: "a" (A initiates), "b" (B initiates), "both"; $2 is the
# implementation in B ("peer" or "dut"), the rest are arguments for the daemon
# under test in A. TL_OUTER=6 makes the endpoints IPv6.
tl_standard_pair() {
	local who=$1 implb=${2:-peer} epa='' epb=''
	shift 2 || true
	tl_setup_ns
	tl_genkey KA
	tl_genkey KB
	tl_start "$NS_A" dut "$IF_A" "$@"
	PID_A=$TL_LASTPID
	tl_start "$NS_B" "$implb" "$IF_B" ${TL_B_ARGS:-}
	PID_B=$TL_LASTPID
	tl_iface "$NS_A" "$IF_A" "$KA_PRIV" "$PORT_A" "$TA4" "$TA6"
	tl_iface "$NS_B" "$IF_B" "$KB_PRIV" "$PORT_B" "$TB4" "$TB6"
	local oa=$A4 ob=$B4
	if [[ ${TL_OUTER:-4} = 6 ]]; then oa=[$A6] ob=[$B6]; fi
	case $who in
	a) epb=$ob:$PORT_B ;;
	b) epa=$oa:$PORT_A ;;
	both) epa=$oa:$PORT_A epb=$ob:$PORT_B ;;
	esac
	tl_peer "$NS_A" "$IF_A" "$KB_PUB" "$TB4/32,$TB6/128" "$epb"
	tl_peer "$NS_B" "$IF_B" "$KA_PUB" "$TA4/32,$TA6/128" "$epa"
}

# Arguments for the daemon under test when it faces a single-lane peer.
TL_DUT_ARGS=(--lanes 1)

# Body of the interop tests (01, 02): $1 = "a" when the daemon under test
# initiates, "b" when it responds. TCP of TL_TCP_BYTES each way and UDP each
# way through the tunnel.
tl_interop_body() {
	local who=$1 ns_init init_addr
	tl_standard_pair "$who" peer "${TL_DUT_ARGS[@]}"
	if [[ $who = a ]]; then
		ns_init=$NS_A init_addr=$TB4
	else
		ns_init=$NS_B init_addr=$TA4
	fi
	tl_ping_until "$ns_init" "$init_addr" 15 || fail "no ping reply through the tunnel from the initiator within 15 s"
	tl_wait_handshake "$NS_A" "$IF_A" "$KB_PUB" 5 || fail "wg show $IF_A: no latest handshake for peer"
	tl_wait_handshake "$NS_B" "$IF_B" "$KA_PUB" 5 || fail "wg show $IF_B (wireguard-go): no latest handshake for peer"
	if ((TL_IS_TUNLANED)); then
		grep -q "handshake completed" "$TL_TMP/$IF_A.log" ||
			fail "no 'handshake completed' line in the daemon's -f log"
	fi
	tl_ping "$NS_A" "$TB4" 5 5 5 >/dev/null || fail "ping A->B through the tunnel lost packets"
	tl_ping "$NS_B" "$TA4" 5 5 5 >/dev/null || fail "ping B->A through the tunnel lost packets"

	local bytes=${TL_TCP_BYTES:-1G} min
	min=$(numfmt --from=iec "$bytes")
	tl_iperf "$NS_A" "$TB4" 5201 "$TL_TMP/tcp-a2b.json" -n "$bytes"
	tl_check_tcp "$TL_TMP/tcp-a2b.json" "$min" "TCP daemon->wireguard-go"
	tl_iperf "$NS_B" "$TA4" 5202 "$TL_TMP/tcp-b2a.json" -n "$bytes"
	tl_check_tcp "$TL_TMP/tcp-b2a.json" "$min" "TCP wireguard-go->daemon"
	tl_udp "$NS_A" "$TB4" 5203 "$TL_TMP/udp-a2b.json" 40 "UDP daemon->wireguard-go" -b 200M -l 1300 -t 3
	tl_udp "$NS_B" "$TA4" 5204 "$TL_TMP/udp-b2a.json" 40 "UDP wireguard-go->daemon" -b 200M -l 1300 -t 3

	# The byte counters must show the traffic on both sides.
	local rx tx
	read -r _ rx tx < <(wgx "$NS_A" show "$IF_A" transfer | awk -v k="$KB_PUB" '$1 == k')
	((rx >= min && tx >= min)) || fail "wg show $IF_A transfer: rx $rx tx $tx, expected both >= $min"
	if ((TL_IS_TUNLANED)); then
		tl_show_json "$NS_A" "$IF_A" "$TL_TMP/show.json"
		local lrx ltx
		lrx=$("$TL_PY" "$TL_TOOL" jget "sum(l['rx_bytes'] for l in d['lanes'])" "$TL_TMP/show.json")
		ltx=$("$TL_PY" "$TL_TOOL" jget "sum(l['tx_bytes'] for l in d['lanes'])" "$TL_TMP/show.json")
		((lrx >= min && ltx >= min)) || fail "tunlane show --json: lanes rx_bytes $lrx tx_bytes $ltx, expected >= $min"
	else
		note "daemon is not tunlaned: tunlane show checks skipped"
	fi
	_tl_alive "$PID_A" || fail "daemon under test died"
	_tl_alive "$PID_B" || fail "wireguard-go died"
}
