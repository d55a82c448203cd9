/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the offload files share and nothing outside src/offload sees:
 * header constants, byte-order helpers and the IP header walk used by
 * both segmentation (offload_gso.c) and coalescing (offload_gro.c).
 */
#ifndef TUNLANE_OFFLOAD_INT_H
#define TUNLANE_OFFLOAD_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

#define TCP_CSUM_OFF 16
#define UDP_CSUM_OFF 6
#define UDP_HLEN 8
#define TCP_MIN_HLEN 20
#define IP4_MIN_HLEN 20
#define IP6_HLEN 40
#define IP4_FRAG_MASK 0x3fff /* MF and fragment offset */
#define IP6_MAX_EXT 8

static inline uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, (uint16_t)(v >> 16));
	put_be16(p + 2, (uint16_t)v);
}

/* Checksums are stored in memory order (see offload.h). */
static inline void put_csum(uint8_t *p, uint16_t c)
{
	memcpy(p, &c, sizeof(c));
}

struct l3_info {
	size_t l4off;		/* IP header plus options/extension headers */
	uint8_t ver;
	uint8_t proto;		/* upper-layer protocol at l4off */
	bool frag;		/* IPv4 MF/offset set */
};

/*
 * Parses an IPv4 or IPv6 header (with IPv6 extension headers) of len
 * bytes at p into l3. 0 or -EINVAL.
 */
int offload_ip_parse(const uint8_t *p, size_t len, struct l3_info *l3);

static inline const uint8_t *ip_saddr(const uint8_t *p, uint8_t ver)
{
	return p + (ver == 4 ? 12 : 8);
}

static inline size_t ip_alen(uint8_t ver)
{
	return ver == 4 ? 4 : 16;
}
#endif
