#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# `tunlane up` with a broken config exits 1 with one exact "FILE:LINE:
# message" line on stderr (prefixed "tunlane: ") and leaves nothing behind:
# no interface, no tunlaned process, no UAPI socket, no stats page. Cases:
# unknown keys, bad key lengths, bad CIDRs, bad ports, bad CPU lists,
# Lanes = 0, a missing file. Also: `tunlane up` usage errors (exit 2),
# `tunlane down` of an interface that is not up (exit 1), a file with three
# problems (all three reported, one line each), a failing PostUp after a
# full tunnel came up (everything undone), and a ListenPort
# taken by another program (the daemon starts, the config is refused, and
# everything is torn down again, naming the lane and port that is taken).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-up.sh"

tl3_require "needs tunlaned and tunlane up"

ip netns add "$NS_A" || fail "ip netns add $NS_A"
TL_NSS+=("$NS_A")
ip -n "$NS_A" link set lo up
tl_genkey K
tl_genkey P
n=0
# newconf: a fresh interface name CIF and its config path CF.
newconf() {
	n=$((n + 1))
	CIF=tc$$x$n
	CF=$TL_TMP/$CIF.conf
	TL_IFS+=("$CIF")
	TL3_UP+=("$CIF")
}
# writeconf: stdin to $CF, mode 600 (so no world-readable warning).
writeconf() { cat >"$CF"; chmod 600 "$CF"; }

# nothing_left IFNAME WHAT: within 3 s, no trace of IFNAME anywhere.
nothing_left() {
	local ifn=$1 what=$2 end=$((SECONDS + 3)) left
	while :; do
		left=()
		ip -n "$NS_A" link show "$ifn" >/dev/null 2>&1 && left+=("interface $ifn")
		[[ -e /var/run/wireguard/$ifn.sock ]] && left+=("socket /var/run/wireguard/$ifn.sock")
		[[ -e $(tl_state "$ifn" stats) ]] && left+=("stats $(tl_state "$ifn" stats)")
		[[ -n $(ps -eo comm=,args= | awk -v i="$ifn" '$1 == "tunlaned" && $NF == i') ]] && left+=("a tunlaned process for $ifn")
		((${#left[@]} == 0)) && return 0
		((SECONDS < end)) || fail "$what: left behind after 3 s: ${left[*]}"
		sleep 0.1
	done
}

# up_fails WANT_RC WANT_LINE WHAT [ARGS...]: `tunlane up ARGS` (default
# $CF) exits WANT_RC, its stderr is exactly the one line WANT_LINE, stdout
# is empty, and nothing of $CIF is left.
up_fails() {
	local want_rc=$1 want=$2 what=$3 rc=0 err
	shift 3
	(($#)) || set -- "$CF"
	TL_T=20 nsx "$NS_A" "$TL_CLI" up "$@" >"$TL_TMP/out" 2>"$TL_TMP/err" || rc=$?
	err=$(cat "$TL_TMP/err")
	((rc == want_rc)) || fail "$what: 'tunlane up $*' exited $rc, expected $want_rc (stderr: $err)"
	[[ $err = "$want" ]] || fail "$what: stderr is"$'\n'"  '$err'"$'\n'"expected exactly"$'\n'"  '$want'"
	[[ ! -s $TL_TMP/out ]] || fail "$what: unexpected stdout: $(cat "$TL_TMP/out")"
	nothing_left "$CIF" "$what"
	log "$what: exit $rc, '$err'"
}

iface() { # the [Interface] section, lines 1-4
	printf '[Interface]\nPrivateKey = %s\nListenPort = 51820\nAddress = 10.9.0.1/24\n' "$K_KEY"
}
peer() { # a blank line and a [Peer] section from line 5: lines 6-8
	printf '\n[Peer]\nPublicKey = %s\nAllowedIPs = %s\n' "${1:-$P_PUB}" "${2:-10.9.0.2/32}"
}

# --- unknown keys ------------------------------------------------------------
newconf
{ iface; echo "Bogus = 1"; } | writeconf
up_fails 1 "tunlane: $CF:5: unknown key \"Bogus\" in [Interface]" "unknown key in [Interface]"
newconf
{ iface; peer; echo "AllowedIP = 10.9.0.3/32"; } | writeconf
up_fails 1 "tunlane: $CF:9: unknown key \"AllowedIP\" in [Peer]" "unknown key in [Peer]"

# --- bad key lengths -----------------------------------------------------
newconf
{ iface | sed "2s|= .*|= ${K_KEY:0:40}|"; peer; } | writeconf
up_fails 1 "tunlane: $CF:2: invalid PrivateKey" "PrivateKey of 40 characters"
newconf
{ iface; peer "${P_PUB}AAAA"; } | writeconf
up_fails 1 "tunlane: $CF:7: invalid PublicKey" "PublicKey of 48 characters"

# --- bad CIDRs -----------------------------------------------------------
newconf
{ iface; peer "" "10.9.0.0/33"; } | writeconf
up_fails 1 "tunlane: $CF:8: invalid AllowedIPs \"10.9.0.0/33\"" "AllowedIPs /33"
newconf
{ iface; peer "" "10.9.0.2/32, fd00::/129"; } | writeconf
up_fails 1 "tunlane: $CF:8: invalid AllowedIPs \"fd00::/129\"" "second AllowedIPs item /129"
newconf
{ iface | sed '4s|= .*|= 10.9.0.1/x|'; peer; } | writeconf
up_fails 1 "tunlane: $CF:4: invalid Address \"10.9.0.1/x\"" "Address /x"

# --- bad ports -----------------------------------------------------------
newconf
{ iface | sed '3s|= .*|= 65536|'; peer; } | writeconf
up_fails 1 "tunlane: $CF:3: invalid ListenPort \"65536\" (1-65535)" "ListenPort 65536"
newconf
{ iface; peer; echo "Endpoint = 192.0.2.1:70000"; } | writeconf
up_fails 1 "tunlane: $CF:9: invalid Endpoint \"192.0.2.1:70000\"" "Endpoint port 70000"

# --- bad CPU lists -------------------------------------------------------
newconf
{ iface; echo "CPUs = 0-x"; peer; } | writeconf
up_fails 1 "tunlane: $CF:5: invalid CPUs \"0-x\" (a CPU list such as 0-3,6)" "CPUs 0-x"
newconf
{ iface; echo "CPUs = 3-1"; peer; } | writeconf
up_fails 1 "tunlane: $CF:5: invalid CPUs \"3-1\" (a CPU list such as 0-3,6)" "CPUs 3-1 (descending range)"

# --- Lanes = 0 -------------------------------------------------------------
newconf
{ iface; echo "Lanes = 0"; peer; } | writeconf
up_fails 1 "tunlane: $CF:5: invalid Lanes \"0\" (1-256)" "Lanes 0"

# --- a missing file ----------------------------------------------------------
newconf
up_fails 1 "tunlane: $CF: No such file or directory" "missing file"

# --- usage ---------------------------------------------------------------------
newconf
rc=0
TL_T=10 nsx "$NS_A" "$TL_CLI" up >"$TL_TMP/out" 2>"$TL_TMP/err" || rc=$?
((rc == 2)) || fail "'tunlane up' exited $rc, expected 2"
[[ $(cat "$TL_TMP/err") = "Usage: tunlane up CONFIG|IFNAME" ]] || fail "'tunlane up': stderr '$(cat "$TL_TMP/err")'"
nothing_left "$CIF" "tunlane up without arguments"
log "tunlane up (no argument): exit 2 with usage"
{ iface; peer; } | writeconf
up_fails 2 "Usage: tunlane up CONFIG|IFNAME" "tunlane up with two arguments" "$CF" "$CF"

# --- tunlane down of an interface that is not up -------------------------------
newconf
rc=0
TL_T=10 nsx "$NS_A" "$TL_CLI" down "$CIF" >"$TL_TMP/out" 2>"$TL_TMP/err" || rc=$?
((rc == 1)) || fail "'tunlane down $CIF' (not up) exited $rc, expected 1 (stderr: $(cat "$TL_TMP/err"))"
[[ $(cat "$TL_TMP/err") = "tunlane: $CIF is not up" ]] || fail "'tunlane down $CIF': stderr '$(cat "$TL_TMP/err")', expected 'tunlane: $CIF is not up'"
log "tunlane down of an unknown interface: exit 1, '$(cat "$TL_TMP/err")'"

# --- every problem of a file in one run ------------------------------------
newconf
{ iface; echo "Bogus = 1"; echo "MTU = 1"; peer "" "10.9.0.2/32, junk"; } | writeconf
up_fails 1 "tunlane: $CF:5: unknown key \"Bogus\" in [Interface]
tunlane: $CF:6: invalid MTU \"1\" (576-65535)
tunlane: $CF:10: invalid AllowedIPs \"junk\"" "three problems in one file"

# --- a failing PostUp undoes the up ------------------------------------------
# A full tunnel (rules, table 51820) and a PreUp that ran: after PostUp
# fails, nothing of it is left, no rule, no route, no state file.
newconf
{ iface; echo "PreUp = echo pre-up %i"; echo "PostUp = echo post-up %i; exit 3"
  peer "" "0.0.0.0/0"; echo "Endpoint = 192.0.2.1:51820"; } | writeconf
rc=0
TL_T=20 nsx "$NS_A" "$TL_CLI" up "$CF" >"$TL_TMP/out" 2>"$TL_TMP/err" || rc=$?
((rc == 1)) || fail "failing PostUp: exit $rc, expected 1 (stderr: $(cat "$TL_TMP/err"))"
want="[#] echo pre-up $CIF
pre-up $CIF
[#] echo post-up $CIF; exit 3
post-up $CIF
tunlane: $CIF: PostUp command failed: echo post-up $CIF; exit 3"
# (Without /dev/log the daemon also says its logs go nowhere: 71-logs.sh.)
got=$(grep -hv -e '^\[#\] resolvconf' -e 'logs will go nowhere' "$TL_TMP/out" "$TL_TMP/err" | sort)
[[ $got = "$(sort <<<"$want")" ]] || fail "failing PostUp: output"$'\n'"$(cat "$TL_TMP/out" "$TL_TMP/err")"$'\n'"expected (in any order of stdout and stderr)"$'\n'"$want"
nothing_left "$CIF" "failing PostUp"
[[ -z $(ip -n "$NS_A" rule show | grep -v -e '^0:' -e 'lookup main$' -e 'lookup default$') ]] ||
	fail "failing PostUp left rules: $(ip -n "$NS_A" rule show)"
[[ -z $(ip -n "$NS_A" route show table all | grep 51820) ]] || fail "failing PostUp left routes in table 51820"
[[ ! -e $(tl_state "$CIF" up) ]] || fail "failing PostUp left $(tl_state "$CIF" up)"
log "failing PostUp: exit 1, interface, rules and state removed"

# --- ListenPort busy: refused after the daemon started -----------------------
# Lane 1 of 2 needs port 51821; a UDP socket (v4 and v6) holds it.
newconf
{ iface; echo "Lanes = 2"; peer; } | writeconf
ip netns exec "$NS_A" timeout 60 "$TL_PY" -c '
import socket, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", 51821))
open(sys.argv[1], "w").close()
time.sleep(60)' "$TL_TMP/holder.ready" &
TL_PIDS+=("$!")
for ((i = 0; i < 50; i++)); do [[ -e $TL_TMP/holder.ready ]] && break; sleep 0.1; done
[[ -e $TL_TMP/holder.ready ]] || fail "could not bind UDP port 51821 in $NS_A"
rc=0
TL_T=20 nsx "$NS_A" "$TL_CLI" up "$CF" >"$TL_TMP/out" 2>"$TL_TMP/err" || rc=$?
err=$(cat "$TL_TMP/err")
((rc == 1)) || fail "ListenPort of lane 1 busy: exit $rc, expected 1 (stderr: $err)"
grep -qx "tunlane: $CIF: lane 1: UDP port 51821 is in use (Lanes = 2 needs 51820-51821)" <<<"$err" ||
	fail "ListenPort of lane 1 busy: stderr '$err' does not name lane 1, port 51821 and the range"
nothing_left "$CIF" "ListenPort busy"
log "ListenPort of lane 1 busy: exit 1, '$err'"

pass "config errors: exact FILE:LINE messages, exit codes, nothing left behind"
