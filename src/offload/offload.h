/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Packet manipulation for the tun offload fast path (docs/design.md section 4):
 * TSO/USO segmentation of the super-packets a tun opened with IFF_VNET_HDR
 * hands us, TCP coalescing (GRO) of decrypted packets before they are
 * written back, and the RFC 1071 Internet checksum helpers both need.
 *
 * Everything here is a pure function over caller-owned buffers: no
 * allocation, no global state, no system calls, so a lane may call it from
 * its hot loop and the unit tests can drive it with hand-built packets.
 *
 * Packets are bare IPv4/IPv6 datagrams (a tun in IFF_TUN|IFF_NO_PI mode),
 * so every offset (csum_start, hdr_len) counts from the first byte of the
 * IP header. The virtio_net_hdr fields are little-endian: that is what tun
 * uses on little-endian hosts, and a lane on a big-endian host must ask for
 * it with TUNSETVNETLE (virtio 1.1 section 5.1.6; tun's
 * tun_vnet_is_little_endian()).
 */
#ifndef TUNLANE_OFFLOAD_H
#define TUNLANE_OFFLOAD_H

#include <stddef.h>
#include <stdint.h>
#include <linux/virtio_net.h>
#include <sys/uio.h>

/* Older uapi headers lack the USO definitions (Linux 6.2). */
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#endif
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif

#define OFFLOAD_VNET_HDR_LEN sizeof(struct virtio_net_hdr) /* 10 */
/* Largest IP packet (and so super-packet) we read, build or accept. */
#define OFFLOAD_MAX_PACKET 65535
/* Packets offload_gro_batch() looks at together; longer batches are cut. */
#define OFFLOAD_GRO_MAX_BATCH 128

/*
 * Internet checksum (RFC 1071). A "partial" sum is a 32-bit one's
 * complement accumulator over bytes loaded in host order, which RFC 1071
 * section 2(B) shows is byte-order independent: fold it and store the
 * 16-bit result with memcpy, never with htons. Buffers summed into one
 * accumulator must start at even offsets of the checksummed range.
 */
uint32_t offload_csum_partial(const void *buf, size_t len, uint32_t sum);
/* Folds to 16 bits and complements: the value to store in a header. */
uint16_t offload_csum_fold(uint32_t sum);
/*
 * Partial sum of the TCP/UDP pseudo-header (RFC 9293 section 3.1,
 * RFC 8200 section 8.1) over the source and destination addresses (alen 4
 * or 16 bytes each), the protocol and the upper-layer length l4len.
 */
uint32_t offload_csum_pseudo(const uint8_t *saddr, const uint8_t *daddr,
			     size_t alen, uint8_t proto, uint32_t l4len);
/*
 * Incremental update (RFC 1624 eqn. 3) of a stored checksum when one 16-bit
 * word changes from old_word to new_word; all three in memory order.
 */
uint16_t offload_csum_replace16(uint16_t check, uint16_t old_word,
				uint16_t new_word);

/*
 * Segmentation, tun -> wire (virtio 1.1 section 5.1.6.2: what the driver
 * asked of the device, we do in software).
 *
 * vh/pkt/len: one tun read, the header in tun byte order (little-endian).
 * Segment i is written at out + i * stride + headroom (the headroom is left
 * untouched so the caller can put a message header there and encrypt in
 * place); its length goes to seg_lens[i]. pkt must not overlap out, except
 * that for gso_type NONE pkt may equal out + headroom (no copy then).
 *
 *  - GSO_NONE: one packet; with F_NEEDS_CSUM, the checksum at
 *    csum_start + csum_offset is completed (the kernel left the
 *    pseudo-header sum there).
 *  - GSO_TCPV4/TCPV6 (ECN bit allowed): gso_size payload bytes per segment;
 *    IPv4 total length, ID (+1 per segment) and header checksum, IPv6
 *    payload length, TCP sequence number, flags (FIN/PSH only on the last,
 *    CWR only on the first) and full checksum are rewritten; IP and TCP
 *    options and IPv6 extension headers are copied into every segment.
 *  - GSO_UDP_L4 (USO): gso_size-byte datagrams, UDP length and checksum.
 *
 * hdr_len is not trusted beyond being <= len (the kernel may report the
 * linear head, not the headers); the header length is parsed, and
 * csum_start must match the parsed L4 offset when F_NEEDS_CSUM is set.
 *
 * Returns the number of segments, or -EINVAL for a malformed header or
 * packet (also GSO_UDP/UFO, IPv4 fragments, IPv6 fragment/AH headers or a
 * routing header with segments left), -E2BIG when more than max_segs
 * segments would result, -EMSGSIZE when a segment does not fit in
 * stride - headroom.
 */
int offload_segment(const struct virtio_net_hdr *vh, const uint8_t *pkt,
		    size_t len, uint8_t *out, size_t stride, size_t headroom,
		    size_t max_segs, size_t *seg_lens);

/* Headers offload_seg_begin() can keep aside; longer ones (IPv6 with
 * extension headers) must go through offload_segment(). */
#define OFFLOAD_SEG_HDR_MAX 256

/*
 * Segmentation in place, one segment at a time, for a caller that copies
 * or encrypts each segment out of place before it asks for the next:
 * segment i is built inside pkt itself, its headers written just in front
 * of its payload, over the end of segment i-1's payload (which the caller
 * is done with). Only headers are copied; the segments are byte for byte
 * those of offload_segment().
 */
struct offload_seg_iter {
	uint8_t *pkt;
	size_t len, hlen, gso, l4off, next, nseg;
	uint32_t seq;
	uint16_t ip_id;
	uint8_t ver, proto;
	uint8_t hdr[OFFLOAD_SEG_HDR_MAX];	/* the original headers */
};

/*
 * Validates a GSO super-packet as offload_segment() does and starts the
 * iteration. Returns the number of segments, or -EINVAL (malformed, or
 * gso_type NONE), -E2BIG (more than max_segs), -EMSGSIZE (a segment over
 * max_seg_len bytes, or headers over OFFLOAD_SEG_HDR_MAX).
 */
int offload_seg_begin(struct offload_seg_iter *it,
		      const struct virtio_net_hdr *vh, uint8_t *pkt,
		      size_t len, size_t max_segs, size_t max_seg_len);
/* The next segment, inside pkt, and its length; NULL after the last. */
uint8_t *offload_seg_next(struct offload_seg_iter *it, size_t *len);

/* One decrypted IP packet handed to offload_gro_batch(). */
struct offload_pkt {
	const uint8_t *data;
	size_t len;
};

/* Room for the headers of a merged group: IPv6 (no extension headers
 * merge) or IPv4 without options, and TCP with up to 40 option bytes. */
#define OFFLOAD_GRO_HDR_MAX (40 + 60)

/*
 * One packet to write to the tun: writev(vh, data, pay...) (10 + len +
 * the payloads' bytes). vh is in tun byte order. data points into the
 * input packet (passed through, len unchanged), into scratch (a
 * super-packet of segs packets, built by offload_gro_batch()) or at hdr
 * (the rewritten headers of a super-packet from offload_gro_batch_iov(),
 * whose payloads are the npay iovecs from iov[pay] on).
 */
struct offload_out {
	struct virtio_net_hdr vh;
	uint16_t segs;
	uint16_t npay;
	uint32_t pay;
	const uint8_t *data;
	size_t len;
	uint8_t hdr[OFFLOAD_GRO_HDR_MAX];
};

/*
 * Coalescing, wire -> tun, in the manner of the kernel's tcp_gro_receive():
 * consecutive in-order TCP segments of one flow become one super-packet
 * with gso_type TCPV4/TCPV6, gso_size = the first segment's payload,
 * F_NEEDS_CSUM and the pseudo-header sum in the TCP checksum field
 * (CHECKSUM_PARTIAL). A segment joins the flow's open group when: same
 * version, addresses and ports; seq == previous seq + previous payload;
 * identical ACK number, window and TCP options; flags exactly ACK (PSH may
 * come on the segment that then ends the group); payload non-empty and no
 * larger than the first (a smaller one ends the group); IPv4 without
 * options or fragmentation and with equal TOS, TTL and DF; IPv6 without
 * extension headers and with equal traffic class, flow label and hop
 * limit; the result no longer than OFFLOAD_MAX_PACKET; and its TCP
 * checksum verifies. Any other TCP packet of a flow closes that flow's
 * group and may start the next one.
 *
 * Packets that are not merged are passed through with gso_type NONE and
 * flags F_DATA_VALID when they are TCP with a verified checksum, else 0.
 * Non-TCP packets, IP fragments and packets whose headers do not parse
 * are passed through and leave every group alone. The IP length field,
 * not the buffer length, bounds a parsed packet, so WireGuard's padding is
 * dropped from merged packets (passed-through ones keep their len).
 *
 * Ordering guarantee: outputs are in input order, a super-packet standing
 * at the position of its first segment. So every flow's packets keep their
 * order, and packets not merged keep their order relative to each other;
 * only segments merged into an earlier group move ahead of unrelated
 * packets.
 *
 * out[].data may point into in[].data: keep the inputs alive until the
 * outputs are written. Super-packets are built in scratch (8-byte aligned),
 * each smaller than the sum of its inputs' lengths by at least the
 * headers it drops, so scratch_len >= the sum of all input lengths always
 * suffices; a group that does not fit goes out unmerged. Batches longer
 * than OFFLOAD_GRO_MAX_BATCH are handled in slices that never merge
 * across.
 *
 * flags OFFLOAD_GRO_TRUSTED: the inputs were authenticated (a WireGuard
 * data packet's Poly1305 tag covers every byte), so no checksum of theirs
 * is computed: every parsed TCP segment counts as verified, and every
 * packet passed through gets F_DATA_VALID. The kernel's WireGuard does
 * the same (it marks every decrypted packet CHECKSUM_UNNECESSARY); the
 * TCP checksum would only catch corruption before the peer encrypted.
 *
 * Returns the number of outputs (<= n), or -E2BIG when max_out < n,
 * -EINVAL for NULL arrays with n > 0.
 */
#define OFFLOAD_GRO_TRUSTED 0x1
int offload_gro_batch(const struct offload_pkt *in, size_t n,
		      uint8_t *scratch, size_t scratch_len,
		      struct offload_out *out, size_t max_out,
		      unsigned int flags);

/*
 * The same coalescing without copying any payload: a super-packet is its
 * rewritten headers in out[].hdr and, in iov[out[].pay] on, one iovec per
 * segment's payload, pointing into the inputs; written with writev() it
 * is byte for byte what offload_gro_batch() builds in scratch. n iovecs
 * always suffice (each input gives at most one); a group that does not
 * fit in max_iov goes out unmerged. Same returns as offload_gro_batch().
 */
int offload_gro_batch_iov(const struct offload_pkt *in, size_t n,
			  struct iovec *iov, size_t max_iov,
			  struct offload_out *out, size_t max_out,
			  unsigned int flags);

#endif
