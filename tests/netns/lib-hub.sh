# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# A hub for the per-peer lane tests (82, 83), sourced after lib.sh and
# lib-up.sh: NS_A runs tunlaned (`tunlane up`, Lanes = HUB_LANES, default
# 2) at 10.77.0.1/24 with no peer endpoints; each client has a namespace of
# its own with a veth to the hub (192.168.(100+N).2 -> .1):
#   - HUB_STOCK (default 8) stock wireguard-go clients, client N at
#     10.77.0.(10+N), listen port 40000+N;
#   - "t4": tunlaned with Lanes = 4 at 10.77.0.4; "t1": Lanes = 1 at
#     10.77.0.5 (left out when HUB_TUNLANE=0: bench/hub measures stock
#     clients only).
# IPv6 is off on the tunnels (no router solicitations counted as no_route).

HUB_LANES=${HUB_LANES:-2}
HUB_STOCK=${HUB_STOCK:-8}
HUB_TUNLANE=${HUB_TUNLANE:-1}
HUB_IF=tlh$$
HUB_IP=10.77.0.1
HUB_PORT=51820
declare -A HUB_NS=() HUB_CIF=() HUB_CIP=() HUB_PUB=() HUB_LINK=()
HUB_CLIENTS=()

_hub_ns() { # N -> namespace of client N, veth to the hub
	local n=$1 i=$2 ns=tl-$$-c$1
	ip netns add "$ns" || fail "ip netns add $ns"
	TL_NSS+=("$ns")
	ip -n "$ns" link set lo up
	ip link add "vh$i" netns "$NS_A" type veth peer name veth0 netns "$ns" ||
		fail "cannot create veth for client $n"
	ip -n "$NS_A" addr add "192.168.$((100 + i)).1/24" dev "vh$i"
	ip -n "$ns" addr add "192.168.$((100 + i)).2/24" dev veth0
	ip -n "$NS_A" link set "vh$i" up
	ip -n "$ns" link set veth0 up
	HUB_NS[$n]=$ns HUB_LINK[$n]=192.168.$((100 + i)).1
}

_hub_stock() { # N: a wireguard-go client
	local n=$1 ns ifn=tlc$1$$ key
	_hub_ns "$n" "$n"
	ns=${HUB_NS[$n]}
	key=$(wg genkey)
	HUB_PUB[$n]=$(wg pubkey <<<"$key")
	HUB_CIF[$n]=$ifn HUB_CIP[$n]=10.77.0.$((10 + n))
	tl_start "$ns" peer "$ifn"
	printf '[Interface]\nPrivateKey = %s\nListenPort = %s\n\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.77.0.0/24\nEndpoint = 192.168.%s.1:%s\n' \
		"$key" $((40000 + n)) "$HUB_KEY_PUB" $((100 + n)) "$HUB_PORT" >"$TL_TMP/$ifn.wg"
	chmod 600 "$TL_TMP/$ifn.wg"
	wgx "$ns" setconf "$ifn" "$TL_TMP/$ifn.wg" || fail "wg setconf $ifn failed"
	nsx "$ns" sysctl -qw "net.ipv6.conf.$ifn.disable_ipv6=1" >/dev/null
	ip -n "$ns" addr add "${HUB_CIP[$n]}/24" dev "$ifn"
	ip -n "$ns" link set "$ifn" mtu 1420 up
}

_hub_tunlane() { # NAME INDEX LANES IP: a tunlaned client
	local n=$1 i=$2 lanes=$3 ip=$4 ns ifn=tl$1c$$ key conf
	_hub_ns "$n" "$i"
	ns=${HUB_NS[$n]}
	key=$(wg genkey)
	HUB_PUB[$n]=$(wg pubkey <<<"$key")
	HUB_CIF[$n]=$ifn HUB_CIP[$n]=$ip
	conf=$TL_TMP/$ifn.conf
	printf '[Interface]\nPrivateKey = %s\nListenPort = %s\nAddress = %s/24\nLanes = %s\n\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.77.0.0/24\nEndpoint = 192.168.%s.1:%s\n' \
		"$key" $((41000 + i * 10)) "$ip" "$lanes" "$HUB_KEY_PUB" $((100 + i)) "$HUB_PORT" >"$conf"
	chmod 600 "$conf"
	tl3_up "$ns" "$conf"
	TL_IFNS[$ifn]=$ns	# a failure prints its drop counters
	nsx "$ns" sysctl -qw "net.ipv6.conf.$ifn.disable_ipv6=1" >/dev/null
}

# hub_setup: everything above, up; the hub's config lists every client.
hub_setup() {
	local n hubkey conf=$TL_TMP/$HUB_IF.conf
	ip netns add "$NS_A" || fail "ip netns add $NS_A"
	TL_NSS+=("$NS_A")
	ip -n "$NS_A" link set lo up
	hubkey=$(wg genkey)
	HUB_KEY_PUB=$(wg pubkey <<<"$hubkey")
	for ((n = 1; n <= HUB_STOCK; n++)); do HUB_CLIENTS+=("$n"); done
	((HUB_TUNLANE)) && HUB_CLIENTS+=(t4 t1)
	for n in "${HUB_CLIENTS[@]}"; do
		case $n in
		t4) _hub_tunlane t4 50 4 10.77.0.4 ;;
		t1) _hub_tunlane t1 51 1 10.77.0.5 ;;
		*) _hub_stock "$n" ;;
		esac
	done
	{
		printf '[Interface]\nPrivateKey = %s\nListenPort = %s\nAddress = %s/24\nLanes = %s\n' \
			"$hubkey" "$HUB_PORT" "$HUB_IP" "$HUB_LANES"
		for n in "${HUB_CLIENTS[@]}"; do
			printf '\n[Peer]\nPublicKey = %s\nAllowedIPs = %s/32\n' "${HUB_PUB[$n]}" "${HUB_CIP[$n]}"
		done
	} >"$conf"
	chmod 600 "$conf"
	tl3_up "$NS_A" "$conf"
	TL_IFNS[$HUB_IF]=$NS_A
	nsx "$NS_A" sysctl -qw "net.ipv6.conf.$HUB_IF.disable_ipv6=1" >/dev/null
	((HUB_LANES == 1)) || grep -q "BPF steering on" "$TL_TMP/up-$HUB_IF.out" ||
		skip "this kernel refused the steering program: $(grep BPF "$TL_TMP/up-$HUB_IF.out")"
	for n in "${HUB_CLIENTS[@]}"; do
		tl_ping_until "${HUB_NS[$n]}" "$HUB_IP" 15 || fail "client $n: no ping reply from the hub within 15 s"
	done
}

# hub_json FILE: the hub's `tunlane show --json`.
hub_json() { tl_show_json "$NS_A" "$HUB_IF" "$1"; }

# hub_lanes_of FILE CLIENT -> "0,1": the hub's live lanes for that client.
hub_lanes_of() {
	"$TL_PY" "$TL_TOOL" jget "','.join(str(x) for p in d['peers'] if p['public_key'] == '${HUB_PUB[$2]}' for x in p['lanes'])" "$1"
}

# hub_wait_lanes FILE CLIENT WANT SECS: polls the hub's show --json into
# FILE until its live lanes for CLIENT are WANT ("0,1"); 1 after SECS.
hub_wait_lanes() {
	local since=${EPOCHREALTIME/./}
	while :; do
		hub_json "$1"
		[[ $(hub_lanes_of "$1" "$2") = "$3" ]] && return 0
		(((${EPOCHREALTIME/./} - since) < $4 * 1000000)) || return 1
		sleep 0.1
	done
}

# hub_endpoint_of CLIENT -> "ADDR:PORT": where the client sends to the hub
# now (roaming follows the source of the hub's packets). It must stay the
# hub's address on the client's own link, HUB_LINK[CLIENT], the only one
# the client can reach.
hub_endpoint_of() {
	local n=$1 f=$TL_TMP/ep-$1.json
	case $n in
	t*)
		tl_show_json "${HUB_NS[$n]}" "${HUB_CIF[$n]}" "$f"
		"$TL_PY" "$TL_TOOL" jget 'd["peers"][0]["endpoint"]' "$f"
		;;
	*) wgx "${HUB_NS[$n]}" show "${HUB_CIF[$n]}" endpoints | awk '{ print $2 }' ;;
	esac
}

# hub_iperf_all SECONDS|-n BYTES: iperf3 --bidir from every client at once
# (server in the hub on 5300+i), JSON in $TL_TMP/iperf-CLIENT.json.
# iperf3 (3.12) spins on the CPU while one of its streams stalls, and here
# a dozen of them share a few CPUs with the lanes under test, each pinned
# to its CPU: at normal priority a stalled client's busy loop was seen to
# keep a runnable hub lane off its CPU for seconds, which stalled every
# other client of that lane. So they run at the lowest priority.
hub_iperf_all() {
	local n i=0 pids=() port
	for n in "${HUB_CLIENTS[@]}"; do
		port=$((5300 + i++))
		tl_iperf_server "$NS_A" "$port"
		renice -n 19 -p "$(pgrep -P "${TL_PIDS[-1]}")" >/dev/null 2>&1 || true
		timeout --foreground 90 ip netns exec "${HUB_NS[$n]}" nice -n 19 iperf3 -c "$HUB_IP" -p "$port" \
			--connect-timeout 5000 --bidir -J "$@" >"$TL_TMP/iperf-$n.json" 2>&1 &
		pids+=("$!")
		TL_PIDS+=("$!")
	done
	i=0
	for n in "${HUB_CLIENTS[@]}"; do
		wait "${pids[i++]}" || fail "client $n: iperf3 --bidir failed: $(head -c 300 "$TL_TMP/iperf-$n.json")"
	done
}
