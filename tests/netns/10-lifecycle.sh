#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Daemon lifecycle: bad command lines exit 2 with a usage line; without -f
# it returns 0 once the interface and socket exist; it exits (and cleans up
# its interface, socket, stats file and lanes) on SIGTERM, SIGINT, on
# `ip link del` and on removal of its socket, each within 5 s; a malformed
# UAPI set request gets errno != 0, changes nothing, and the daemon keeps
# serving.
. "$(dirname "$0")/lib.sh"
tl_require_root
tl_setup_ns
impl=$(basename "$TL_DAEMON")
n=0
newif() { n=$((n + 1)); IFN=tl$$x$n; TL_IFS+=("$IFN"); }

# --- bad command lines ---------------------------------------------------
if ((TL_IS_TUNLANED)); then
	newif
	badcmd() { # ARGS...: must exit 2, print a usage line, create nothing
		local rc=0 err
		TL_T=5 nsx "$NS_A" "$TL_DAEMON" "$@" >"$TL_TMP/bad.out" 2>"$TL_TMP/bad.err" || rc=$?
		err=$(cat "$TL_TMP/bad.err")
		((rc == 2)) || fail "'tunlaned $*' exited $rc, expected 2 (stderr: $err)"
		grep -qi usage "$TL_TMP/bad.err" || fail "'tunlaned $*' printed no usage line on stderr (stderr: '$err')"
		[[ -e /var/run/wireguard/$IFN.sock ]] && fail "'tunlaned $*' created a socket"
		ip -n "$NS_A" link show "$IFN" >/dev/null 2>&1 && fail "'tunlaned $*' created interface $IFN"
		return 0
	}
	badcmd
	badcmd --lanes x "$IFN"
	badcmd --bogus "$IFN"
	badcmd --lanes 0 "$IFN"
	badcmd -f "$IFN" extra
	badcmd -f 0123456789abcdefghij # longer than IFNAMSIZ
	log "bad command lines: exit 2 with usage"
else
	note "daemon is not tunlaned: command-line checks skipped"
fi

# gone IFN PID WHAT: the daemon and its lanes exited within 5 s and left nothing.
gone() {
	local ifn=$1 pid=$2 what=$3 p
	tl_wait_exit "$pid" 5 || fail "daemon still running 5 s after $what"
	for p in "${LANEPIDS[@]}"; do
		tl_wait_exit "$p" 3 || fail "lane process $p still running 3 s after the master exited ($what)"
	done
	sleep 0.2
	[[ -e /var/run/wireguard/$ifn.sock ]] && fail "socket left behind after $what"
	ip -n "$NS_A" link show "$ifn" >/dev/null 2>&1 && fail "interface $ifn left behind after $what"
	[[ -e $(tl_state "$ifn" stats) ]] && fail "$(tl_state "$ifn" stats) left behind after $what"
	log "exit on $what: ok"
}
start() { # a configured, running daemon in NS_A
	newif
	tl_start "$NS_A" dut "$IFN" "$@"
	PID=$TL_LASTPID
	wgx "$NS_A" set "$IFN" private-key "$KEY_PRIV" listen-port 51830 || fail "wg set on a new daemon failed"
	ip -n "$NS_A" link set "$IFN" up
	sleep 0.3
	mapfile -t LANEPIDS < <(_tl_descendants "$PID")
}
tl_genkey KEY

start --lanes 2
kill -TERM "$PID"
gone "$IFN" "$PID" SIGTERM
start
kill -INT "$PID"
gone "$IFN" "$PID" SIGINT
start --lanes 2
ip -n "$NS_A" link del "$IFN"
gone "$IFN" "$PID" "ip link del"
start --lanes 2
rm -f "/var/run/wireguard/$IFN.sock"
gone "$IFN" "$PID" "removal of the socket"

# --- a lane that dies is respawned -----------------------------------------
if ((TL_IS_TUNLANED)); then
	start --lanes 2
	((${#LANEPIDS[@]} >= 1)) || fail "no lane processes under the master (pid $PID)"
	victim=${LANEPIDS[0]}
	kill -KILL "$victim"
	end=$((SECONDS + 5))
	while :; do
		tl_show_json "$NS_A" "$IFN" "$TL_TMP/show.json"
		r=$("$TL_PY" "$TL_TOOL" jget 'sum(l["restarts"] for l in d["lanes"])' "$TL_TMP/show.json")
		ok=$("$TL_PY" "$TL_TOOL" jget "all(l['pid'] > 0 and l['pid'] != $victim for l in d['lanes'])" "$TL_TMP/show.json")
		[[ $r -ge 1 && $ok = 1 ]] && break
		((SECONDS < end)) || fail "lane $victim killed: not respawned within 5 s (restarts=$r): $(cat "$TL_TMP/show.json")"
		sleep 0.2
	done
	_tl_alive "$PID" || fail "master died when a lane was killed"
	log "killed lane respawned"
	kill -TERM "$PID"
	mapfile -t LANEPIDS < <(_tl_descendants "$PID")
	gone "$IFN" "$PID" "SIGTERM after a respawn"
fi

# --- daemon mode (no -f): returns 0 once the interface exists --------------
newif
rc=0
TL_T=10 nsx "$NS_A" "$TL_DAEMON" "$IFN" >"$TL_TMP/bg.out" 2>&1 || rc=$?
((rc == 0)) || fail "'$impl $IFN' (daemon mode) exited $rc: $(cat "$TL_TMP/bg.out")"
ip -n "$NS_A" link show "$IFN" >/dev/null 2>&1 || fail "daemon mode returned before interface $IFN existed"
for ((i = 0; i < 20; i++)); do [[ -S /var/run/wireguard/$IFN.sock ]] && break; sleep 0.1; done
[[ -S /var/run/wireguard/$IFN.sock ]] || fail "daemon mode: no socket within 2 s of returning"
bgpids=$(ps -eo pid=,args= | awk -v n="$impl" -v i="$IFN" '{ b = $2; sub(".*/", "", b) } b == n && $NF == i { print $1 }')
[[ -n $bgpids ]] || fail "daemon mode: no $impl process for $IFN"
for p in $bgpids; do TL_PIDS+=("$p"); done
wgx "$NS_A" show "$IFN" >/dev/null || fail "daemon mode: wg show fails"
ip -n "$NS_A" link del "$IFN"
for p in $bgpids; do tl_wait_exit "$p" 5 || fail "daemon-mode process $p still running 5 s after ip link del"; done

# --- malformed UAPI requests -----------------------------------------------
start
sock=/var/run/wireguard/$IFN.sock
uapi() { TL_T=10 nsx "$NS_A" "$TL_PY" "$TL_TOOL" uapi "$sock" "$1" -W 5; }
reqs=('set=1\nlisten_port=99999\n\n' 'set=1\nprivate_key=zz\n\n' 'set=1\nbogus_key=1\n\n')
# tunlaned parses a whole request before applying any of it (src/wg/uapi.h), so
# a bad line later in a request must undo nothing; wireguard-go applies
# line by line, so these two only run against tunlaned.
if ((TL_IS_TUNLANED)); then
	reqs+=('set=1\npublic_key=0000000000000000000000000000000000000000000000000000000000000000\nallowed_ip=10.0.0.0/33\n\n'
		'set=1\nlisten_port=51831\nlisten_port=\n\n')
fi
for req in "${reqs[@]}"; do
	out=$(uapi "$req") || fail "UAPI request $req: no reply: $out"
	e=$(sed -n 's/^errno=//p' <<<"$out")
	[[ -n $e && $e != 0 ]] || fail "UAPI request '$req' answered '$out', expected errno != 0"
	_tl_alive "$PID" || fail "daemon died on UAPI request '$req'"
done
port=$(wgx "$NS_A" show "$IFN" listen-port) || fail "wg show fails after malformed requests"
[[ $port = 51830 ]] || fail "listen port is $port after rejected requests, expected 51830 unchanged (a bad request must change nothing)"
wgx "$NS_A" show "$IFN" peers | grep -q . && fail "a rejected request added a peer"
out=$(uapi 'get=1\n\n') || fail "get=1 after malformed requests failed"
grep -qx 'errno=0' <<<"$out" || fail "get=1 reply lacks errno=0: $out"
grep -qx 'listen_port=51830' <<<"$out" || fail "get=1 reply lacks listen_port=51830: $out"
wgx "$NS_A" set "$IFN" listen-port 51832 || fail "wg set after malformed requests failed"
[[ $(wgx "$NS_A" show "$IFN" listen-port) = 51832 ]] || fail "wg set listen-port after malformed requests did not apply"
kill -TERM "$PID"
gone "$IFN" "$PID" "SIGTERM at the end"
pass "lifecycle: usage, daemon mode, exits on signals, link del and socket removal, bad UAPI"
