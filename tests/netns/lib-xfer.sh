# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Helpers for the offload tests (40-offload-integrity.sh,
# 41-offload-fallback.sh), sourced after lib.sh: hashed TCP and UDP
# transfers through xfer.py, checks of which tun path a daemon uses, tun
# packet counters around a transfer, and a second pair of interfaces
# ($IF_C in $NS_A, $IF_D in $NS_B) beside lib.sh's $IF_A and $IF_B.
#
# TL_SELFTEST_CORRUPT=tcp (or 1) flips one bit on the wire of the first TCP
# stream, TL_SELFTEST_CORRUPT=udp one bit of one datagram: the transfer
# checks must then fail.

XFER=$TL_ROOT/tests/netns/xfer.py
case ${TL_SELFTEST_CORRUPT:-} in
1 | tcp) XF_TCP_CORRUPT=(--corrupt) XF_UDP_CORRUPT=() ;;
udp) XF_TCP_CORRUPT=() XF_UDP_CORRUPT=(--corrupt) ;;
*) XF_TCP_CORRUPT=() XF_UDP_CORRUPT=() ;;
esac

# xf_ready FILE PID: waits up to 10 s for FILE while PID lives.
xf_ready() {
	local i
	for ((i = 0; i < 100; i++)); do
		[[ -e $1 ]] && return 0
		_tl_alive "$2" || return 1
		sleep 0.1
	done
	return 1
}

# xf_tcp LABEL FROM_NS TO_NS DST PORT CONNS BYTES: CONNS parallel TCP streams
# of BYTES each from FROM_NS to DST:PORT in TO_NS; every stream's sha256 as
# sent and as received must match (the receiver also says where it broke).
xf_tcp() {
	local label=$1 from=$2 to=$3 dst=$4 port=$5 conns=$6 bytes=$7 f=$TL_TMP/tcp-$5 rpid out t0=$SECONDS
	ip netns exec "$to" timeout 200 "$TL_PY" "$XFER" tcp-recv "$dst" "$port" "$conns" "$f.recv.json" "$f.ready" \
		--timeout 180 >"$f.recv.log" 2>&1 &
	rpid=$!
	TL_PIDS+=("$rpid")
	xf_ready "$f.ready" "$rpid" || fail "$label: the receiver on $dst port $port did not start: $(tail -n 3 "$f.recv.log")"
	timeout 200 ip netns exec "$from" "$TL_PY" "$XFER" tcp-send "$dst" "$port" "$conns" "$bytes" "$f.sent.json" \
		--timeout 180 "${XF_TCP_CORRUPT[@]}" >"$f.send.log" 2>&1 ||
		fail "$label: the sender failed: $(tail -n 3 "$f.send.log")"
	tl_wait_exit "$rpid" 40 || log "$label: the receiver did not finish within 40 s of the sender"
	out=$("$TL_PY" "$XFER" tcp-check "$f.sent.json" "$f.recv.json" "$conns" "$bytes") ||
		fail "$label: $(tr '\n' ';' <<<"$out")"
	log "$label: $out ($((SECONDS - t0)) s in all)"
}

# xf_udp LABEL FROM_NS TO_NS DST PORT COUNT [--gso [--max-gso N]]: COUNT
# datagrams of known content, paced; every one that arrives must be one that
# was sent, and none may come twice. At most 1% may be lost: a lane that
# this shared box does not schedule for a while overflows its tun queue,
# which is no fault of the data path, so a lossy round (without corruption)
# is tried once more on another port.
xf_udp() {
	local label=$1 from=$2 to=$3 dst=$4 port=$5 count=$6 try
	shift 6
	for try in 1 2; do
		xf_udp_once "$label" "$from" "$to" "$dst" $((port + 100 * (try - 1))) "$count" "$@" && return 0
		log "$label: $XF_LOSS; trying once more"
	done
	fail "$label: more than 1% lost twice: $XF_LOSS"
}
xf_udp_once() {
	local label=$1 from=$2 to=$3 dst=$4 port=$5 count=$6 f=$TL_TMP/udp-$5 rpid exp good bad dup samples
	local tun drop0 drop1
	shift 6
	tun=$(ip -n "$from" route get "$dst" | sed -n 's/.* dev \([^ ]*\).*/\1/p')
	drop0=$(tl_ifstat "$from" "$tun" tx_dropped)
	ip netns exec "$to" timeout 60 "$TL_PY" "$XFER" udp-recv "$dst" "$port" "$count" "$f.json" "$f.ready" "$@" \
		>"$f.recv.log" 2>&1 &
	rpid=$!
	TL_PIDS+=("$rpid")
	xf_ready "$f.ready" "$rpid" || fail "$label: the receiver on $dst port $port did not start: $(tail -n 3 "$f.recv.log")"
	TL_T=60 nsx "$from" "$TL_PY" "$XFER" udp-send "$dst" "$port" "$count" "$@" "${XF_UDP_CORRUPT[@]}" >"$f.send.log" 2>&1 ||
		fail "$label: the sender failed: $(tail -n 3 "$f.send.log")"
	tl_wait_exit "$rpid" 55 || fail "$label: the receiver did not finish"
	[[ -s $f.json ]] || fail "$label: the receiver wrote no result: $(tail -n 3 "$f.recv.log")"
	drop1=$(tl_ifstat "$from" "$tun" tx_dropped)
	read -r exp good bad dup samples < <("$TL_PY" "$TL_TOOL" jget \
		'"%d %d %d %d %s" % (d["expected"], d["good"], d["corrupt"], d["dup"], "; ".join(d["samples"]) or "-")' "$f.json")
	((bad == 0)) || fail "$label: $bad datagrams arrived CORRUPT (unlike any datagram sent); first ones: $samples"
	((dup == 0)) || fail "$label: $dup datagrams arrived twice"
	if ((good * 100 < exp * 99)); then
		XF_LOSS="only $good of $exp datagrams arrived; missing e.g. $("$TL_PY" "$TL_TOOL" jget '" ".join(d["missing"])' "$f.json");"
		XF_LOSS+=" $tun dropped $((drop1 - drop0)) the daemon did not read in time;"
		XF_LOSS+=" receiver's $(ip netns exec "$to" awk '/^Udp:/ { n++ } /^Udp:/ && n == 2' /proc/net/snmp)"
		return 1
	fi
	log "$label: $good of $exp datagrams arrived intact, none corrupt or twice ($((drop1 - drop0)) dropped by $tun)"
}

# Which path a tun really uses. xf_offload_on/off NS IF: the daemon's log line,
# and IFF_VNET_HDR (0x4000) in the tun's flags.
xf_offload_on() {
	local line flags
	line=$(grep -m 1 'tun offloads' "$TL_TMP/$2.log" || true)
	[[ $line = *"tun offloads: csum tso4 tso6"* ]] ||
		fail "$2: the daemon did not log 'tun offloads: csum tso4 tso6...' (got '${line:-nothing}')"
	flags=$(ip netns exec "$1" cat "/sys/class/net/$2/tun_flags")
	((flags & 0x4000)) || fail "$2: tun_flags $flags lack IFF_VNET_HDR, yet the daemon logged '$line'"
	log "$2: ${line#*: } (tun_flags $flags)"
}
xf_offload_off() {
	local line flags
	line=$(grep -m 1 -Ei 'offload|plain packets' "$TL_TMP/$2.log" || true)
	[[ $line != *"tun offloads:"* ]] || fail "$2: started without offloads, but the daemon logged '$line'"
	flags=$(ip netns exec "$1" cat "/sys/class/net/$2/tun_flags")
	((!(flags & 0x4000))) || fail "$2: started without offloads, but its tun has IFF_VNET_HDR (tun_flags $flags)"
	if [[ -n $line ]]; then
		log "$2: ${line#*: } (tun_flags $flags)"
	else
		note "$2: the daemon logs nothing about offloads when they are turned off (tun_flags $flags, no vnet header)"
	fi
}

# Kernel counters of a tun around a transfer: xf_mark NS IF, then
# xf_avg NS IF tx|rx prints "PACKETS AVERAGE_SIZE" since the mark. tx: what
# the kernel handed the daemon (TSO/USO super-packets with offloads); rx:
# what the daemon wrote (coalesced by its GRO with offloads).
declare -A XF_MARK
xf_mark() {
	local s
	for s in tx_packets tx_bytes rx_packets rx_bytes; do
		XF_MARK[$2.$s]=$(tl_ifstat "$1" "$2" "$s")
	done
}
xf_avg() {
	local p b
	p=$(($(tl_ifstat "$1" "$2" "$3_packets") - XF_MARK[$2.$3_packets]))
	b=$(($(tl_ifstat "$1" "$2" "$3_bytes") - XF_MARK[$2.$3_bytes]))
	echo "$p $((p ? b / p : 0))"
}
xf_mtu() { ip -n "$1" -o link show "$2" | sed -n 's/.* mtu \([0-9]*\) .*/\1/p'; }

# The second pair: names, ports, inner addresses. A test creates the keys
# (tl_genkey KC, tl_genkey KD) and starts the two daemons its own way, then
# xf_pair_cd_conf gives them keys, ports, addresses and each other as peer
# (each knowing the other's endpoint).
IF_C=tlc$$ IF_D=tld$$ PORT_C=51830 PORT_D=51840
TC4=10.242.0.1 TD4=10.242.0.2 TC6=fd00:2420::1 TD6=fd00:2420::2
xf_pair_cd_conf() {
	tl_iface "$NS_A" "$IF_C" "$KC_PRIV" "$PORT_C" "$TC4" "$TC6"
	tl_iface "$NS_B" "$IF_D" "$KD_PRIV" "$PORT_D" "$TD4" "$TD6"
	tl_peer "$NS_A" "$IF_C" "$KD_PUB" "$TD4/32,$TD6/128" "$B4:$PORT_D"
	tl_peer "$NS_B" "$IF_D" "$KC_PUB" "$TC4/32,$TC6/128" "$A4:$PORT_C"
}

# xf_mtu_1420: WireGuard's usual inner MTU on $IF_A, $IF_C, $IF_B and $IF_D,
# as wg-quick and `tunlane up` set it (the daemon alone may leave 1500, for
# which full-size datagrams exceed the veth's MTU).
# shellcheck disable=SC2153 # IF_A and IF_B come from lib.sh
xf_mtu_1420() {
	local x ns ifn mtu
	for x in "$NS_A $IF_A" "$NS_A $IF_C" "$NS_B $IF_B" "$NS_B $IF_D"; do
		read -r ns ifn <<<"$x"
		mtu=$(xf_mtu "$ns" "$ifn")
		[[ $mtu = 1420 ]] || note "$ifn came up with MTU $mtu; setting 1420"
		ip -n "$ns" link set "$ifn" mtu 1420
	done
}
