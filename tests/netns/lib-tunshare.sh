# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Helpers for the tunshare netns tests (tests/netns/5*-tunshare-*.sh), on
# top of tests/netns/lib.sh (namespaces $NS_A/$NS_B joined by veth, the
# cleanup trap, pass/fail/skip, iperf3 helpers).
#
# A "site" is one namespace running `tunshare run` with N OpenVPN lanes on
# device $DEV_A or $DEV_B. Site A is the TLS server, site B the client;
# lane i of A talks to lane i of B, from port $TS_PORT+i to port $TS_PORT+i.
# OpenVPN runs in TLS point-to-point mode with self-signed certificates
# generated here and pinned with --peer-fingerprint, so the data channel is
# AES-256-GCM (negotiated; CHACHA20-POLY1305 would also do).

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TS_BIN=$TL_BUILD/tunshare
TS_LIB=$TL_BUILD/libtunshare.so
DEV_A=tsa$$
DEV_B=tsb$$
TS_PORT=11940

ts_require() {
	[[ $(id -u) -eq 0 ]] || skip "needs root (network namespaces)"
	local t
	for t in ip "$TL_PY" timeout ps "$@"; do
		command -v "$t" >/dev/null || fail "required tool '$t' not found"
	done
	[[ -x $TS_BIN && -f $TS_LIB ]] || fail "$TS_BIN or $TS_LIB missing (run make)"
}

# ts_certs: a self-signed EC certificate per site; sets FP_A and FP_B.
ts_certs() {
	local s
	for s in a b; do
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
			-nodes -days 2 -subj "/CN=tunshare-test-$s" \
			-keyout "$TL_TMP/$s.key" -out "$TL_TMP/$s.crt" >/dev/null 2>&1 ||
			fail "openssl req failed"
	done
	FP_A=$(openssl x509 -noout -fingerprint -sha256 -in "$TL_TMP/a.crt" | cut -d= -f2)
	FP_B=$(openssl x509 -noout -fingerprint -sha256 -in "$TL_TMP/b.crt" | cut -d= -f2)
}

# ts_ovpn_args SITE: the OpenVPN command line of one lane of SITE (a or b),
# with {port} and {lane} for tunshare to fill in.
ts_ovpn_args() {
	local s=$1 dev here remote fp role
	if [[ $s = a ]]; then
		dev=$DEV_A here=$A4 remote=$B4 fp=$FP_B role=(--tls-server --dh none)
	else
		dev=$DEV_B here=$B4 remote=$A4 fp=$FP_A role=(--tls-client)
	fi
	OVPN_ARGS=(openvpn --dev "$dev" --dev-type tun --disable-dco
		--ifconfig-noexec --route-noexec
		--proto udp --local "$here" --lport '{port}'
		--remote "$remote" --rport '{port}'
		"${role[@]}" --cert "$TL_TMP/$s.crt" --key "$TL_TMP/$s.key"
		--peer-fingerprint "$fp"
		--ping 1 --ping-restart 5 --explicit-exit-notify 1
		--status "$TL_TMP/status-$s-{lane}.txt" 1
		--log-append "$TL_TMP/ovpn-$s-{lane}.log" --verb 3)
}

# ts_user_files SITE LANES USER: lets USER's lanes read SITE's certificate
# and key and write their logs and status files in $TL_TMP.
ts_user_files() {
	local s=$1 n=$2 u=$3 l
	# OpenVPN wants the status file's directory readable and writable.
	chmod 1777 "$TL_TMP"
	for ((l = 0; l < n; l++)); do
		touch "$TL_TMP/ovpn-$s-$l.log" "$TL_TMP/status-$s-$l.txt"
		chown "$u" "$TL_TMP/ovpn-$s-$l.log" "$TL_TMP/status-$s-$l.txt"
	done
	chown "$u" "$TL_TMP/$s.crt" "$TL_TMP/$s.key"
}

# ts_site SITE LANES: starts tunshare with LANES OpenVPN lanes in SITE's
# namespace; sets TS_PID_A or TS_PID_B. With TS_USER_A (or TS_USER_B) set,
# that site's lanes run as that user (tunshare --user).
ts_site() {
	local s=$1 n=$2 ns dev addr i user
	if [[ $s = a ]]; then ns=$NS_A dev=$DEV_A addr=$TA4; else ns=$NS_B dev=$DEV_B addr=$TB4; fi
	user=TS_USER_${s^^}
	user=${!user:-}
	[[ -z $user ]] || ts_user_files "$s" "$n" "$user"
	ts_ovpn_args "$s"
	ip netns exec "$ns" "$TS_BIN" run --dev "$dev" --lanes "$n" ${user:+--user "$user"} \
		--base-port "$TS_PORT" --address "$addr/24" --mtu 1500 \
		-- "${OVPN_ARGS[@]}" >"$TL_TMP/tunshare-$s.log" 2>&1 &
	TL_PIDS+=("$!")
	printf -v "TS_PID_${s^^}" '%s' "$!"
	for ((i = 0; i < 50; i++)); do
		ip -n "$ns" link show "$dev" >/dev/null 2>&1 && return 0
		_tl_alive "$!" || fail "tunshare ($s) exited early: $(tail -n 5 "$TL_TMP/tunshare-$s.log")"
		sleep 0.1
	done
	fail "tunshare ($s): no device $dev within 5 s"
}

# ts_up_count SITE LANE: how many TLS handshakes that lane's OpenVPN
# processes have completed (its log is appended to across restarts).
ts_up_count() {
	grep -c 'Initialization Sequence Completed' "$TL_TMP/ovpn-$1-$2.log" 2>/dev/null || true
}

# ts_wait_up SITE LANE [TIMEOUT] [MIN]: waits until ts_up_count >= MIN (1).
ts_wait_up() {
	local s=$1 l=$2 t=${3:-20} min=${4:-1} end n
	end=$((SECONDS + t))
	while ((SECONDS < end)); do
		n=$(ts_up_count "$s" "$l")
		((${n:-0} >= min)) && return 0
		sleep 0.2
	done
	return 1
}

ts_show() { TL_T=10 nsx "$1" "$TS_BIN" show --dev "$2"; }

# ts_lane_pid NS DEV LANE: the lane's pid as `tunshare show` reports it.
ts_lane_pid() {
	ts_show "$1" "$2" | awk -v l="$3" '$1 == "lane" && $2 == l ":" && $3 == "pid" { sub(",", "", $4); print $4 }'
}

# ts_status FILE: "TCP/UDP read+write bytes" from an OpenVPN --status file.
ts_status() {
	awk -F, '/^TCP\/UDP (read|write) bytes,/ { n += $2 } END { print n + 0 }' "$1" 2>/dev/null || echo 0
}
