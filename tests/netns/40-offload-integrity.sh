#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# shellcheck disable=SC2153 # IF_A, PID_A etc. come from lib.sh
# Data integrity through the offload fast path (docs/design.md section 4, issue 4):
# two tunlaned pairs with 2 lanes each between the same two namespaces, one
# with tun offloads (TSO/USO split on send, UDP GSO/GRO, TCP GRO written back
# as super-packets) and one with --no-offload / TUNLANE_OFFLOAD=off. Over
# each: 1 GiB of deterministic pseudo-random data in 8 parallel TCP streams
# (so flows land on both lanes), the sha256 of every stream compared end to
# end; on the offload pair also 256 MiB over IPv6 inner addresses the other
# way (TSO6, GRO v6). Then UDP datagrams of known content, sizes 1..1400 and
# UDP_SEGMENT (USO) sends, every datagram checked: corruption never, loss
# under 1%. The tun's own counters show which path ran: with offloads the
# kernel hands the daemon super-packets (average > MTU) and the receiving
# daemon writes coalesced ones; with --no-offload no packet exceeds the MTU
# and the tun has no IFF_VNET_HDR.
#
# TL_SELFTEST_CORRUPT=tcp flips one bit on the wire of the first stream (the
# sender hashes the original): the test must then fail, naming the offset;
# TL_SELFTEST_CORRUPT=udp flips one bit of one datagram: it must fail too.
. "$(dirname "$0")/lib.sh"
tl_require_root
((TL_IS_TUNLANED)) || skip "offload checks need tunlaned, not $(basename "$TL_DAEMON")"

. "$(dirname "$0")/lib-xfer.sh"

LANES=2
MiB=$((1 << 20))
t_start=$SECONDS
# The offload pair: $IF_A in A and $IF_B in B, offloads as the daemon finds them.
TL_B_ARGS="--lanes $LANES" tl_standard_pair both dut --lanes "$LANES"
# The plain pair: $IF_C in A (--no-offload) and $IF_D in B (TUNLANE_OFFLOAD=off).
tl_genkey KC
tl_genkey KD
tl_start "$NS_A" dut "$IF_C" --lanes "$LANES" --no-offload
PID_C=$TL_LASTPID
TUNLANE_OFFLOAD=off tl_start "$NS_B" dut "$IF_D" --lanes "$LANES"
PID_D=$TL_LASTPID
xf_pair_cd_conf
xf_mtu_1420

xf_offload_on "$NS_A" "$IF_A"
xf_offload_on "$NS_B" "$IF_B"
xf_offload_off "$NS_A" "$IF_C"
xf_offload_off "$NS_B" "$IF_D"
USO=0
grep -q 'tun offloads:.* uso4' "$TL_TMP/$IF_A.log" && grep -q 'tun offloads:.* uso4' "$TL_TMP/$IF_B.log" && USO=1
MTU=$(xf_mtu "$NS_A" "$IF_A")
[[ $MTU =~ ^[0-9]+$ ]] || fail "cannot read the MTU of $IF_A"
tl_ping_until "$NS_A" "$TB4" 15 || fail "offload pair: no ping reply through the tunnel within 15 s"
tl_ping_until "$NS_A" "$TD4" 15 || fail "plain pair: no ping reply through the tunnel within 15 s"

# Per-lane traffic of a daemon, for the log; a note if a lane carried none.
lanes_report() {
	local ns=$1 ifn=$2 f=$TL_TMP/show-$2.json per idle
	tl_show_json "$ns" "$ifn" "$f"
	per=$("$TL_PY" "$TL_TOOL" jget '" ".join("lane%d:rx=%dMiB,tx=%dMiB,drops=%d" % (l["lane"], l["rx_bytes"] >> 20, l["tx_bytes"] >> 20, l["drops"]) for l in d["lanes"])' "$f")
	idle=$("$TL_PY" "$TL_TOOL" jget 'sum(1 for l in d["lanes"] if l["rx_bytes"] + l["tx_bytes"] < (1 << 20))' "$f")
	log "$ifn: $per"
	((idle == 0)) || note "$ifn: $idle lane(s) carried no bulk traffic (all streams hashed to one lane)"
}

# ---- offloads on ----------------------------------------------------------
xf_mark "$NS_A" "$IF_A"
xf_mark "$NS_B" "$IF_B"
xf_tcp "offloads, TCP v4 A->B, 8 x 128 MiB" "$NS_A" "$NS_B" "$TB4" 5301 8 $((128 * MiB))
read -r p_tx a_tx < <(xf_avg "$NS_A" "$IF_A" tx)
read -r p_rx a_rx < <(xf_avg "$NS_B" "$IF_B" rx)
log "offloads, v4: the kernel handed $IF_A $p_tx packets of $a_tx bytes on average (TSO); $IF_B wrote $p_rx of $a_rx on average (GRO); MTU $MTU"
((a_tx > MTU)) || fail "offloads on, yet the kernel handed $IF_A no TSO super-packets (average $a_tx bytes, MTU $MTU)"
((a_rx > MTU)) || fail "offloads on, yet $IF_B wrote no coalesced super-packets to its tun (average $a_rx bytes, MTU $MTU)"
lanes_report "$NS_A" "$IF_A"

xf_mark "$NS_B" "$IF_B"
xf_mark "$NS_A" "$IF_A"
xf_tcp "offloads, TCP v6 B->A, 2 x 128 MiB" "$NS_B" "$NS_A" "$TA6" 5302 2 $((128 * MiB))
read -r p_tx a_tx < <(xf_avg "$NS_B" "$IF_B" tx)
read -r p_rx a_rx < <(xf_avg "$NS_A" "$IF_A" rx)
log "offloads, v6: the kernel handed $IF_B $p_tx packets of $a_tx bytes on average (TSO6); $IF_A wrote $p_rx of $a_rx on average (GRO v6)"
((a_tx > MTU)) || fail "offloads on, yet the kernel handed $IF_B no TSO6 super-packets (average $a_tx bytes)"
((a_rx > MTU)) || fail "offloads on, yet $IF_A wrote no coalesced v6 super-packets (average $a_rx bytes)"

xf_udp "offloads, UDP v4 A->B, sizes 1..1400" "$NS_A" "$NS_B" "$TB4" 5311 2000
xf_udp "offloads, UDP v6 B->A, sizes 1..1400" "$NS_B" "$NS_A" "$TA6" 5312 2000
# UDP_SEGMENT sends: with USO the tun passes them to the daemon whole.
xf_mark "$NS_B" "$IF_B"
xf_udp "offloads, UDP_SEGMENT v4 B->A" "$NS_B" "$NS_A" "$TA4" 5313 2000 --gso --max-gso $((MTU - 28))
read -r p_tx a_tx < <(xf_avg "$NS_B" "$IF_B" tx)
xf_mark "$NS_A" "$IF_A"
xf_udp "offloads, UDP_SEGMENT v6 A->B" "$NS_A" "$NS_B" "$TB6" 5314 1000 --gso --max-gso $((MTU - 48))
read -r p_tx6 a_tx6 < <(xf_avg "$NS_A" "$IF_A" tx)
log "offloads, UDP_SEGMENT: $IF_B got $p_tx packets of $a_tx bytes on average (v4), $IF_A $p_tx6 of $a_tx6 (v6)"
if ((USO)); then
	((a_tx > MTU && a_tx6 > MTU)) || fail "USO granted, yet UDP_SEGMENT sends reached the daemons segmented (average $a_tx / $a_tx6 bytes)"
else
	note "the kernel granted no USO: UDP_SEGMENT sends were segmented before the tun"
fi
lanes_report "$NS_B" "$IF_B"
t_on=$((SECONDS - t_start))

# ---- offloads off -----------------------------------------------------------
xf_mark "$NS_A" "$IF_C"
xf_mark "$NS_B" "$IF_D"
xf_tcp "no offloads, TCP v4 A->B, 8 x 128 MiB" "$NS_A" "$NS_B" "$TD4" 5321 8 $((128 * MiB))
read -r p_tx a_tx < <(xf_avg "$NS_A" "$IF_C" tx)
read -r p_rx a_rx < <(xf_avg "$NS_B" "$IF_D" rx)
log "no offloads: the kernel handed $IF_C $p_tx packets of $a_tx bytes on average; $IF_D wrote $p_rx of $a_rx"
((p_tx > 0 && a_tx <= MTU)) || fail "--no-offload, yet the kernel handed $IF_C $p_tx packets of $a_tx bytes on average (MTU $MTU)"
((p_rx > 0 && a_rx <= MTU)) || fail "TUNLANE_OFFLOAD=off, yet $IF_D wrote $p_rx packets of $a_rx bytes on average (MTU $MTU)"
lanes_report "$NS_A" "$IF_C"
xf_udp "no offloads, UDP v4 A->B, sizes 1..1400" "$NS_A" "$NS_B" "$TD4" 5331 2000
xf_udp "no offloads, UDP v6 B->A, sizes 1..1400" "$NS_B" "$NS_A" "$TC6" 5332 2000
t_off=$((SECONDS - t_start - t_on))

for p in "$PID_A" "$PID_B" "$PID_C" "$PID_D"; do
	_tl_alive "$p" || fail "a daemon (PID $p) died during the test"
done
pass "1 GiB in 8 streams intact with offloads ($t_on s with v6 and UDP) and without ($t_off s)"
