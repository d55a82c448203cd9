#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# shellcheck disable=SC2153 # IF_A, PID_A etc. come from lib.sh
# The offload fast path speaks plain WireGuard on the wire: ends that differ
# in how they handle the tun interoperate, with every byte intact.
#  - tunlaned with offloads ($IF_A, 2 lanes) against tunlaned --no-offload
#    ($IF_B, 2 lanes): 256 MiB each way in 4 hashed TCP streams; the offload
#    side gets TSO super-packets and writes GRO-coalesced ones, the plain
#    side never sees a packet over the MTU; UDP of known content both ways,
#    UDP_SEGMENT (USO) from the offload side.
#  - tunlaned with offloads ($IF_C, 1 lane) against wireguard-go ($IF_D):
#    256 MiB each way in 2 hashed TCP streams, UDP both ways.
# Every stream's sha256 as sent and as received must match; datagrams must
# arrive as sent (at most 1% lost). TL_SELFTEST_CORRUPT=tcp|udp flips one bit
# on the wire to show that the checks fail.
. "$(dirname "$0")/lib.sh"
tl_require_root
((TL_IS_TUNLANED)) || skip "offload checks need tunlaned, not $(basename "$TL_DAEMON")"
command -v "$TL_PEER" >/dev/null || fail "reference peer '$TL_PEER' not found"

. "$(dirname "$0")/lib-xfer.sh"

MiB=$((1 << 20))
t_start=$SECONDS
# Offloads in A against --no-offload in B, 2 lanes each.
TL_B_ARGS="--lanes 2 --no-offload" tl_standard_pair both dut --lanes 2
# Offloads ($IF_C in A, one lane) against wireguard-go ($IF_D in B).
tl_genkey KC
tl_genkey KD
tl_start "$NS_A" dut "$IF_C" "${TL_DUT_ARGS[@]}"
PID_C=$TL_LASTPID
tl_start "$NS_B" peer "$IF_D"
PID_D=$TL_LASTPID
xf_pair_cd_conf
xf_mtu_1420
MTU=1420

xf_offload_on "$NS_A" "$IF_A"
xf_offload_off "$NS_B" "$IF_B"
xf_offload_on "$NS_A" "$IF_C"
USO=0
grep -q 'tun offloads:.* uso4' "$TL_TMP/$IF_A.log" && USO=1
tl_ping_until "$NS_A" "$TB4" 15 || fail "offloads vs --no-offload: no ping reply through the tunnel within 15 s"
tl_ping_until "$NS_A" "$TD4" 15 || fail "offloads vs wireguard-go: no ping reply through the tunnel within 15 s"

# xf_paths LABEL NS_TX IF_TX NS_RX IF_RX TX_WANT RX_WANT: after a transfer
# from IF_TX's side to IF_RX's, the average packet the kernel handed the
# sending daemon and the one the receiving daemon wrote, each "big" (over the
# MTU: TSO, GRO) or "plain" (at most the MTU), as wanted.
xf_paths() {
	local label=$1 p_tx a_tx p_rx a_rx
	read -r p_tx a_tx < <(xf_avg "$2" "$3" tx)
	read -r p_rx a_rx < <(xf_avg "$4" "$5" rx)
	log "$label: the kernel handed $3 $p_tx packets of $a_tx bytes on average, $5 wrote $p_rx of $a_rx (MTU $MTU)"
	case $6 in
	big) ((a_tx > MTU)) || fail "$label: $3 has offloads, yet the kernel handed it no TSO super-packets (average $a_tx bytes)" ;;
	plain) ((p_tx > 0 && a_tx <= MTU)) || fail "$label: $3 has no offloads, yet the kernel handed it $p_tx packets of $a_tx bytes on average" ;;
	esac
	case $7 in
	big) ((a_rx > MTU)) || fail "$label: $5 has offloads, yet wrote no coalesced super-packets (average $a_rx bytes)" ;;
	plain) ((p_rx > 0 && a_rx <= MTU)) || fail "$label: $5 has no offloads, yet wrote $p_rx packets of $a_rx bytes on average" ;;
	esac
}

# ---- offloads against --no-offload -----------------------------------------
xf_mark "$NS_A" "$IF_A"
xf_mark "$NS_B" "$IF_B"
xf_tcp "offloads -> no offloads, TCP v4, 4 x 64 MiB" "$NS_A" "$NS_B" "$TB4" 5401 4 $((64 * MiB))
xf_paths "offloads -> no offloads" "$NS_A" "$IF_A" "$NS_B" "$IF_B" big plain
xf_mark "$NS_B" "$IF_B"
xf_mark "$NS_A" "$IF_A"
xf_tcp "no offloads -> offloads, TCP v4, 4 x 64 MiB" "$NS_B" "$NS_A" "$TA4" 5402 4 $((64 * MiB))
xf_paths "no offloads -> offloads" "$NS_B" "$IF_B" "$NS_A" "$IF_A" plain big
xf_mark "$NS_A" "$IF_A"
xf_mark "$NS_B" "$IF_B"
xf_tcp "offloads -> no offloads, TCP v6, 2 x 32 MiB" "$NS_A" "$NS_B" "$TB6" 5403 2 $((32 * MiB))
xf_paths "offloads -> no offloads, v6" "$NS_A" "$IF_A" "$NS_B" "$IF_B" big plain
xf_udp "offloads -> no offloads, UDP v4, sizes 1..1400" "$NS_A" "$NS_B" "$TB4" 5411 1500
xf_udp "no offloads -> offloads, UDP v4, sizes 1..1400" "$NS_B" "$NS_A" "$TA4" 5412 1500
xf_mark "$NS_A" "$IF_A"
xf_udp "offloads -> no offloads, UDP_SEGMENT v4" "$NS_A" "$NS_B" "$TB4" 5413 1500 --gso --max-gso $((MTU - 28))
read -r p_tx a_tx < <(xf_avg "$NS_A" "$IF_A" tx)
if ((USO)); then
	((a_tx > MTU)) || fail "USO granted, yet UDP_SEGMENT sends reached $IF_A segmented ($p_tx packets of $a_tx bytes on average)"
	log "UDP_SEGMENT: $IF_A got $p_tx packets of $a_tx bytes on average (USO)"
fi
t_mixed=$((SECONDS - t_start))

# ---- offloads against wireguard-go ------------------------------------------
tl_wait_handshake "$NS_B" "$IF_D" "$KC_PUB" 5 || fail "wireguard-go shows no handshake with $IF_C"
xf_mark "$NS_A" "$IF_C"
xf_mark "$NS_B" "$IF_D"
xf_tcp "offloads -> wireguard-go, TCP v4, 2 x 128 MiB" "$NS_A" "$NS_B" "$TD4" 5421 2 $((128 * MiB))
xf_paths "offloads -> wireguard-go" "$NS_A" "$IF_C" "$NS_B" "$IF_D" big any
xf_mark "$NS_B" "$IF_D"
xf_mark "$NS_A" "$IF_C"
xf_tcp "wireguard-go -> offloads, TCP v4, 2 x 128 MiB" "$NS_B" "$NS_A" "$TC4" 5422 2 $((128 * MiB))
xf_paths "wireguard-go -> offloads" "$NS_B" "$IF_D" "$NS_A" "$IF_C" any big
xf_udp "offloads -> wireguard-go, UDP_SEGMENT v4" "$NS_A" "$NS_B" "$TD4" 5431 1500 --gso --max-gso $((MTU - 28))
xf_udp "wireguard-go -> offloads, UDP v6, sizes 1..1400" "$NS_B" "$NS_A" "$TC6" 5432 1500
t_wg=$((SECONDS - t_start - t_mixed))

for p in "$PID_A" "$PID_B" "$PID_C" "$PID_D"; do
	_tl_alive "$p" || fail "a daemon (PID $p) died during the test"
done
pass "same bytes on the wire with offloads and without ($t_mixed s) and against wireguard-go ($t_wg s)"
