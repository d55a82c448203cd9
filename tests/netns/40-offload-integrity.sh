#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# shellcheck disable=SC2153 # IF_A, PID_A etc. come from lib.sh
# Data integrity through the offload fast path (design.md section 4, issue 4):
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

# ---- hashed transfers (41-offload-fallback.sh carries a copy) -------------
XFER=$TL_TMP/xfer.py
cat >"$XFER" <<'PY'
"""Hashed transfers for the offload tests: TCP streams of deterministic
pseudo-random data whose sha256 is compared end to end, and UDP datagrams of
known content, each checked. Every socket operation has a timeout."""
import argparse, hashlib, json, random, select, socket, struct, sys, threading, time

CH = 65536                      # a chunk of the stream
SPAN = 4 << 20                  # the seeded random base chunks are cut from
MAGIC = b"TLx1"


class Gen:
    """Stream i, chunk k: a 16-byte header (magic, i, k) and a window of a
    seeded random base at an offset depending on (i, k): deterministic, and
    no two chunks alike, so a misplaced segment changes the hash."""

    def __init__(self, seed):
        self.base = random.Random(seed).randbytes(SPAN + CH)

    def chunk(self, i, k):
        off = (k * 2654435761 + i * 97531) % SPAN
        return struct.pack("<4sIQ", MAGIC, i, k) + self.base[off:off + CH - 16]


def fam(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def recv_exact(c, n):
    b = b""
    while len(b) < n:
        r = c.recv(n - len(b))
        if not r:
            break
        b += r
    return b


def tcp_recv(a):
    ls = socket.socket(fam(a.bind), socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.bind, a.port))
    ls.listen(64)
    open(a.ready, "w").close()
    gen, res, lock, ths = Gen(a.seed), {}, threading.Lock(), []

    def serve(c, n_conn):
        r = {"bytes": 0, "sha256": None, "first_bad": None, "error": None}
        key = "conn%d" % n_conn
        try:
            c.settimeout(a.idle)
            h = recv_exact(c, 16)
            if len(h) != 16 or h[:4] != MAGIC:
                raise ValueError("bad stream header %r" % h)
            _, idx, r["declared"] = struct.unpack("<4sIQ", h)
            key = str(idx)
            sha, buf = hashlib.sha256(), bytearray(1 << 18)
            mv, got, ck, cb = memoryview(buf), 0, -1, b""
            while True:
                n = c.recv_into(buf)
                if n == 0:
                    break
                sha.update(mv[:n])
                # Compare with the expected stream too, to say where it broke.
                p, q = got, got + n
                while r["first_bad"] is None and p < q:
                    k, o = divmod(p, CH)
                    if k != ck:
                        ck, cb = k, gen.chunk(idx, k)
                    m = min(CH - o, q - p)
                    seg = bytes(mv[p - got:p - got + m])
                    if seg != cb[o:o + m]:
                        j = next(x for x in range(m) if seg[x] != cb[o + x])
                        r["first_bad"] = p + j
                        r["got"], r["want"] = seg[j:j + 16].hex(), cb[o + j:o + j + 16].hex()
                    p += m
                got += n
            r["bytes"], r["sha256"] = got, sha.hexdigest()
            c.sendall(struct.pack("<Q", got) + sha.digest())
        except Exception as ex:
            r["error"] = "%s: %s" % (type(ex).__name__, ex)
        finally:
            c.close()
        with lock:
            res[key] = r

    deadline = time.monotonic() + a.timeout
    try:
        for n in range(a.conns):
            ls.settimeout(max(0.1, deadline - time.monotonic()))
            c, _ = ls.accept()
            t = threading.Thread(target=serve, args=(c, n), daemon=True)
            t.start()
            ths.append(t)
    except socket.timeout:
        res["accept"] = "only %d of %d connections came" % (len(ths), a.conns)
    for t in ths:
        t.join(max(0.1, deadline - time.monotonic()))
    with lock:
        json.dump(res, open(a.out, "w"), indent=1)
    return 0


def tcp_send(a):
    gen, res, lock = Gen(a.seed), {}, threading.Lock()

    def run(i):
        r = {"bytes": 0, "sha256": None, "error": None}
        try:
            c = socket.create_connection((a.addr, a.port), timeout=a.idle)
            c.sendall(struct.pack("<4sIQ", MAGIC, i, a.bytes))
            sha, sent, k = hashlib.sha256(), 0, 0
            while sent < a.bytes:
                d = gen.chunk(i, k)[:a.bytes - sent]
                sha.update(d)
                if a.corrupt and i == 0 and k == 7:
                    d = bytearray(d)        # self-test: one bit flipped on the wire
                    d[1000] ^= 0x10
                c.sendall(d)
                sent, k = sent + len(d), k + 1
            c.shutdown(socket.SHUT_WR)
            back = recv_exact(c, 40)        # the receiver's count and digest
            c.close()
            r["bytes"], r["sha256"] = sent, sha.hexdigest()
            if len(back) == 40:
                r["peer_bytes"], r["peer_sha256"] = struct.unpack("<Q", back[:8])[0], back[8:].hex()
        except Exception as ex:
            r["error"] = "%s: %s" % (type(ex).__name__, ex)
        with lock:
            res[str(i)] = r

    ths = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(a.conns)]
    t0 = time.monotonic()
    for t in ths:
        t.start()
    for t in ths:
        t.join(max(0.1, t0 + a.timeout - time.monotonic()))
    with lock:
        res["seconds"] = time.monotonic() - t0
        json.dump(res, open(a.out, "w"), indent=1)
    return 0


def tcp_check(a):
    def load(f):
        try:
            return json.load(open(f))
        except (OSError, ValueError):
            return {}
    s, r = load(a.sent), load(a.recv)
    bad, total = [], 0
    if not r:
        bad.append("the receiver wrote no result (still waiting?)")
    for i in map(str, range(a.conns)):
        si, ri = s.get(i), r.get(i)
        if not si or not ri:
            bad.append("stream %s: no result from the %s" % (i, "sender" if not si else "receiver"))
            continue
        for who, x in (("sender", si), ("receiver", ri)):
            if x.get("error"):
                bad.append("stream %s: %s: %s" % (i, who, x["error"]))
        if si["bytes"] != a.bytes:
            bad.append("stream %s: the sender wrote %s of %d bytes" % (i, si["bytes"], a.bytes))
        if ri["bytes"] != si["bytes"] or ri["sha256"] != si["sha256"]:
            fb = ri.get("first_bad")
            bad.append("stream %s: CORRUPT: sent %s bytes sha256 %s, received %s bytes sha256 %s%s" % (
                i, si["bytes"], si["sha256"], ri["bytes"], ri["sha256"],
                "; first wrong byte at stream offset %d: got %s, want %s" % (fb, ri["got"], ri["want"])
                if fb is not None else ""))
        elif si.get("peer_sha256") != si["sha256"]:
            bad.append("stream %s: no matching digest came back from the receiver" % i)
        total += ri["bytes"] or 0
    bad += ["receiver: %s: %s" % (k, v.get("error")) for k, v in r.items()
            if k.startswith("conn") and isinstance(v, dict)]
    if "accept" in r:
        bad.append("receiver: " + r["accept"])
    for b in bad:
        print(b)
    if not bad:
        secs = s.get("seconds") or 1
        print("%d streams, %d bytes, every sha256 equal, %.1f s, %.0f Mbit/s"
              % (a.conns, total, secs, total * 8 / secs / 1e6))
    return 1 if bad else 0


# ---- UDP -----------------------------------------------------------------

def udp_plan(a):
    """The datagrams to send, grouped by send call. Without --gso: one each,
    sizes 1..1400 in a scrambled order, then random sizes. With --gso: sends
    of 2..40 equal segments (the last one may be shorter) for UDP_SEGMENT.
    The first bytes (up to 4) are the datagram's number, the rest random."""
    rnd, out, j = random.Random(a.seed), [], 0
    while j < a.count:
        if a.gso:
            g, nseg = rnd.choice([64, 333, 500, 1000, 1200, a.max_gso]), rnd.randint(2, 40)
            sizes = [g] * (nseg - 1) + [rnd.randint(1, g)]
        else:
            sizes = [1 + (j * 661) % 1400 if j < 1400 else rnd.randint(1, 1400)]
        grp = []
        for size in sizes:
            grp.append(struct.pack("<I", j)[:size] + rnd.randbytes(max(0, size - 4)))
            j += 1
        out.append(grp)
    return out


def udp_send(a):
    sk = socket.socket(fam(a.addr), socket.SOCK_DGRAM)
    n = 0
    for x, grp in enumerate(udp_plan(a)):
        if a.gso:
            sk.setsockopt(socket.IPPROTO_UDP, 103, len(grp[0]))  # UDP_SEGMENT
        d = b"".join(grp)
        if a.corrupt and x == 5:
            d = d[:-1] + bytes([d[-1] ^ 0x10])  # self-test: one bit flipped
        sk.sendto(d, (a.addr, a.port))
        n += len(grp)
        if a.gso or x % 20 == 19:
            time.sleep(0.003)           # paced: loss here would be our own
    print("udp-send: %d datagrams in %d sends" % (n, x + 1))
    return 0


def udp_recv(a):
    want = {}
    for grp in udp_plan(a):
        for d in grp:
            want[d] = want.get(d, 0) + 1
    expected = sum(want.values())
    sk = socket.socket(fam(a.bind), socket.SOCK_DGRAM)
    try:
        sk.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE
    except OSError:
        pass
    sk.bind((a.bind, a.port))
    open(a.ready, "w").close()
    good = corrupt = dup = 0
    samples, last = [], None
    deadline = time.monotonic() + a.timeout
    while good < expected and time.monotonic() < deadline:
        if last is not None and time.monotonic() - last > a.idle:
            break
        if not select.select([sk], [], [], 0.2)[0]:
            continue
        d = sk.recv(65536)
        last = time.monotonic()
        c = want.get(d)
        if c is None:
            corrupt += 1
            if len(samples) < 5:
                samples.append("%d bytes %s" % (len(d), d[:20].hex()))
        elif c == 0:
            dup += 1
        else:
            want[d] = c - 1
            good += 1
    missing, j = [], 0
    for grp in udp_plan(a):
        for d in grp:
            if want.get(d, 0) > 0 and len(missing) < 12:
                missing.append("#%d:%dB" % (j, len(d)))
            j += 1
    json.dump({"expected": expected, "good": good, "corrupt": corrupt, "dup": dup,
               "samples": samples, "missing": missing}, open(a.out, "w"))
    return 0


def main():
    p = argparse.ArgumentParser()
    sp = p.add_subparsers(dest="cmd", required=True)
    s = sp.add_parser("tcp-recv")
    for x in ("bind", "port", "conns", "out", "ready"):
        s.add_argument(x, type=int if x in ("port", "conns") else str)
    s = sp.add_parser("tcp-send")
    for x in ("addr", "port", "conns", "bytes", "out"):
        s.add_argument(x, type=int if x in ("port", "conns", "bytes") else str)
    s.add_argument("--corrupt", action="store_true")
    for s in sp.choices.values():
        s.add_argument("--seed", type=int, default=1)
        s.add_argument("--timeout", type=float, default=150)
        s.add_argument("--idle", type=float, default=30)
    s = sp.add_parser("tcp-check")
    s.add_argument("sent"); s.add_argument("recv")
    s.add_argument("conns", type=int); s.add_argument("bytes", type=int)
    for name in ("udp-send", "udp-recv"):
        s = sp.add_parser(name)
        s.add_argument("addr" if name == "udp-send" else "bind")
        s.add_argument("port", type=int); s.add_argument("count", type=int)
        s.add_argument("--seed", type=int, default=1); s.add_argument("--gso", action="store_true")
        s.add_argument("--max-gso", type=int, default=1392)
        if name == "udp-send":
            s.add_argument("--corrupt", action="store_true")
        else:
            s.add_argument("out"); s.add_argument("ready")
            s.add_argument("--timeout", type=float, default=40); s.add_argument("--idle", type=float, default=4)
    a = p.parse_args()
    return globals()[a.cmd.replace("-", "_")](a)


sys.exit(main())
PY
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

LANES=2
MiB=$((1 << 20))
t_start=$SECONDS
# The offload pair: $IF_A in A and $IF_B in B, offloads as the daemon finds them.
TL_B_ARGS="--lanes $LANES" tl_standard_pair both dut --lanes "$LANES"
# The plain pair: $IF_C in A (--no-offload) and $IF_D in B (TUNLANE_OFFLOAD=off).
IF_C=tlc$$ IF_D=tld$$ PORT_C=51830 PORT_D=51840
TC4=10.242.0.1 TD4=10.242.0.2 TC6=fd00:2420::1 TD6=fd00:2420::2
tl_genkey KC
tl_genkey KD
tl_start "$NS_A" dut "$IF_C" --lanes "$LANES" --no-offload
PID_C=$TL_LASTPID
TUNLANE_OFFLOAD=off tl_start "$NS_B" dut "$IF_D" --lanes "$LANES"
PID_D=$TL_LASTPID
tl_iface "$NS_A" "$IF_C" "$KC_PRIV" "$PORT_C" "$TC4" "$TC6"
tl_iface "$NS_B" "$IF_D" "$KD_PRIV" "$PORT_D" "$TD4" "$TD6"
tl_peer "$NS_A" "$IF_C" "$KD_PUB" "$TD4/32,$TD6/128" "$B4:$PORT_D"
tl_peer "$NS_B" "$IF_D" "$KC_PUB" "$TC4/32,$TC6/128" "$A4:$PORT_C"
# WireGuard's usual inner MTU, as wg-quick and `tunlane up` set it (the daemon
# alone may leave 1500, for which full-size datagrams exceed the veth's MTU).
for x in "$NS_A $IF_A" "$NS_A $IF_C" "$NS_B $IF_B" "$NS_B $IF_D"; do
	read -r ns ifn <<<"$x"
	mtu=$(xf_mtu "$ns" "$ifn")
	[[ $mtu = 1420 ]] || note "$ifn came up with MTU $mtu; setting 1420"
	ip -n "$ns" link set "$ifn" mtu 1420
done

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
