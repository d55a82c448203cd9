# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Setup of the tunshare server-mode tests and bench (53, bench/run): one
# server namespace ($NS_A) with a bridge, and N client namespaces joined
# to it by veth, each running stock OpenVPN with the same client config.
# Sourced after tests/netns/lib-tunshare.sh.
#
#   server  $NS_A   br0 192.168.241.1/24, tun $DEV_A 10.8.0.1/24
#   client k tl-PID-cK  veth0 192.168.241.(10+k)/24, tun tun0 (pushed)

OVS_PORT=1194
OVS_POOL=10.8.0.0/24
OVS_SERVER=10.8.0.1

# ovs_pki: a CA, one server and one client certificate (the same for every
# client: the server runs with --duplicate-cn), made with the openssl CLI
# as tunshare(8) shows.
ovs_pki() {
	local d=$TL_TMP ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
	openssl req -x509 "${ec[@]}" -days 2 -subj "/CN=tunshare test CA" \
		-keyout "$d/ca.key" -out "$d/ca.crt" >/dev/null 2>&1 || fail "openssl: CA"
	for role in server client; do
		openssl req "${ec[@]}" -subj "/CN=$role" -keyout "$d/$role.key" \
			-out "$d/$role.csr" >/dev/null 2>&1 || fail "openssl: $role request"
		printf 'keyUsage=critical,digitalSignature,keyAgreement\nextendedKeyUsage=%s\n' \
			"$([[ $role = server ]] && echo serverAuth || echo clientAuth)" >"$d/$role.ext"
		openssl x509 -req -in "$d/$role.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
			-CAcreateserial -days 2 -extfile "$d/$role.ext" \
			-out "$d/$role.crt" >/dev/null 2>&1 || fail "openssl: $role certificate"
	done
}

# ovs_netns N: the server namespace with its bridge, and N clients.
ovs_netns() {
	local n=$1 k ns
	ip netns add "$NS_A" || fail "ip netns add $NS_A"
	TL_NSS+=("$NS_A")
	ip -n "$NS_A" link set lo up
	ip -n "$NS_A" link add br0 type bridge
	ip -n "$NS_A" addr add 192.168.241.1/24 dev br0
	ip -n "$NS_A" link set br0 up
	# Client-to-client traffic comes in on the tun and goes out on it.
	nsx "$NS_A" sysctl -qw net.ipv4.ip_forward=1 >/dev/null
	for ((k = 0; k < n; k++)); do
		ns=tl-$$-c$k
		ip netns add "$ns" || fail "ip netns add $ns"
		TL_NSS+=("$ns")
		ip -n "$ns" link set lo up
		ip link add "v$$c$k" netns "$NS_A" type veth peer name veth0 netns "$ns" ||
			fail "cannot create the veth of client $k"
		ip -n "$NS_A" link set "v$$c$k" master br0 up
		ip -n "$ns" addr add "192.168.241.$((10 + k))/24" dev veth0
		ip -n "$ns" link set veth0 up
	done
}

# ovs_server_conf: server.conf as in tunshare(8)'s EXAMPLES (paths aside).
ovs_server_conf() {
	cat >"$TL_TMP/server.conf" <<-EOF
		mode server
		tls-server
		dh none
		topology subnet
		dev $DEV_A
		dev-type tun
		disable-dco
		ifconfig-noexec
		route-noexec
		push "topology subnet"
		proto udp
		keepalive 10 60
		ca $TL_TMP/ca.crt
		cert $TL_TMP/server.crt
		key $TL_TMP/server.key
		duplicate-cn
		verb 3
	EOF
}

# ovs_server LANES [ARGS...]: tunshare --server with LANES OpenVPN servers,
# configured as in tunshare(8)'s EXAMPLES (the same server.conf and
# command line, paths aside; keepalive shortened for the test). Extra ARGS
# go to tunshare before "--". Sets TS_PID_A.
ovs_server() {
	local lanes=$1 i d=$TL_TMP
	shift
	ovs_server_conf
	ip netns exec "$NS_A" "$TS_BIN" run --dev "$DEV_A" --lanes "$lanes" \
		--server "$OVS_PORT" --pool "$OVS_POOL" --mtu 1500 "$@" -- \
		openvpn --config "$d/server.conf" --port '{port}' \
		--ifconfig '{server}' '{netmask}' \
		--ifconfig-pool '{pool_start}' '{pool_end}' '{netmask}' \
		--push 'route-gateway {server}' \
		--status "$d/status-{lane}.txt" 1 --status-version 2 \
		--keepalive 1 5 --log-append "$d/ovpn-server-{lane}.log" \
		>"$d/tunshare-a.log" 2>&1 &
	TL_PIDS+=("$!")
	TS_PID_A=$!
	for ((i = 0; i < 50; i++)); do
		ip -n "$NS_A" link show "$DEV_A" >/dev/null 2>&1 && return 0
		_tl_alive "$TS_PID_A" || fail "tunshare exited early: $(tail -n 5 "$d/tunshare-a.log")"
		sleep 0.1
	done
	fail "tunshare: no device $DEV_A within 5 s"
}

# ovs_client K: stock OpenVPN client K, with the client.conf of
# tunshare(8)'s EXAMPLES, the same for every client.
ovs_client() {
	local k=$1 d=$TL_TMP
	[[ -f $d/client.conf ]] || cat >"$d/client.conf" <<-EOF
		client
		dev tun
		proto udp
		remote 192.168.241.1 $OVS_PORT
		nobind
		remote-cert-tls server
		ca $d/ca.crt
		cert $d/client.crt
		key $d/client.key
		verb 3
	EOF
	ip netns exec "tl-$$-c$k" openvpn --config "$d/client.conf" \
		--dev tun0 --disable-dco --connect-retry 1 \
		--log-append "$d/ovpn-client-$k.log" >/dev/null 2>&1 &
	TL_PIDS+=("$!")
	printf -v "OVS_CLIENT_PID_$k" '%s' "$!"
}

# ovs_client_addr K: client K's tunnel address (empty until it has one).
ovs_client_addr() {
	ip -n "tl-$$-c$1" -4 -o addr show dev tun0 2>/dev/null |
		awk '{ sub("/.*", "", $4); print $4; exit }'
}

# ovs_wait_client K TIMEOUT: client K has a tunnel address and pings the
# server through it.
ovs_wait_client() {
	local k=$1 end=$((SECONDS + $2))
	while [[ -z $(ovs_client_addr "$k") ]]; do
		((SECONDS < end)) || fail "client $k: no tunnel address within $2 s: $(tail -n 3 "$TL_TMP/ovpn-client-$k.log")"
		sleep 0.2
	done
	tl_ping_until "tl-$$-c$k" "$OVS_SERVER" $((end - SECONDS > 2 ? end - SECONDS : 2)) ||
		fail "client $k ($(ovs_client_addr "$k")): no ping reply from $OVS_SERVER"
}

# ovs_wait_clients N TIMEOUT: the same for clients 0 to N-1, TIMEOUT in all.
ovs_wait_clients() {
	local n=$1 end=$((SECONDS + $2)) k
	for ((k = 0; k < n; k++)); do
		ovs_wait_client "$k" $((end - SECONDS > 2 ? end - SECONDS : 2))
	done
}

# ovs_lane_of K: the server lane whose status file lists client K's
# address ("CLIENT_LIST,cn,real,virtual,..."), or -1.
ovs_lane_of() {
	local addr l
	addr=$(ovs_client_addr "$1")
	for l in "$TL_TMP"/status-*.txt; do
		if awk -F, -v a="$addr" '$1 == "CLIENT_LIST" && $4 == a { f = 1 } END { exit !f }' "$l"; then
			l=${l##*status-}
			echo "${l%.txt}"
			return
		fi
	done
	echo -1
}
