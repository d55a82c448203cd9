// SPDX-License-Identifier: GPL-2.0-only
/*
 * mac1, mac2 and cookie replies (whitepaper 5.4.4 and 5.4.7), as the
 * kernel's cookie.c. mac1 lets a responder drop, with one cheap keyed
 * hash, any handshake message from someone who does not know its public
 * key. Under load it also demands mac2, keyed with a cookie that only a
 * sender able to receive at its claimed source address can hold, so that
 * spoofed floods cost us no Curve25519 work.
 */
#include "cookie.h"

#include <endian.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "clock.h"
#include "crypto.h"

/* Message bytes covered by mac1 and by mac2 (5.4.4): everything before
 * the MAC itself. len is the whole message ending in struct message_macs. */
#define MAC1_COVERED(len) \
	((len) - sizeof(struct message_macs) + offsetof(struct message_macs, mac1))
#define MAC2_COVERED(len) \
	((len) - sizeof(struct message_macs) + offsetof(struct message_macs, mac2))

static struct message_macs *macs_of(const void *msg, size_t len)
{
	return (struct message_macs *)((uint8_t *)msg + len -
				       sizeof(struct message_macs));
}

/* key = HASH(label || public key), the 5.4.4 / 5.4.7 key derivation. */
static void precompute_key(uint8_t key[COOKIE_KEY_LEN],
			   const uint8_t pub[NOISE_PUBLIC_KEY_LEN],
			   const char label[8])
{
	crypto_hash2(key, label, 8, pub, NOISE_PUBLIC_KEY_LEN);
}

void cookie_checker_precompute_device_keys(struct cookie_checker *c)
{
	const struct noise_static_identity *id = c->static_identity;

	if (id && id->has_identity) {
		precompute_key(c->cookie_encryption_key, id->static_public,
			       COOKIE_LABEL_COOKIE);
		precompute_key(c->message_mac1_key, id->static_public,
			       COOKIE_LABEL_MAC1);
	} else {
		crypto_wipe(c->cookie_encryption_key, COOKIE_KEY_LEN);
		crypto_wipe(c->message_mac1_key, COOKIE_KEY_LEN);
	}
}

/* The secret starts fresh at init, like the kernel, so its age is
 * measured from here and a reply can be made at once. */
void cookie_checker_init(struct cookie_checker *c,
			 struct noise_static_identity *id)
{
	memset(c, 0, sizeof(*c));
	c->static_identity = id;
	crypto_random(c->secret, COOKIE_SECRET_LEN);
	c->secret_birthdate = clock_now();
	cookie_checker_precompute_device_keys(c);
}

void cookie_init(struct cookie *c)
{
	memset(c, 0, sizeof(*c));
}

void cookie_precompute_peer_keys(struct cookie *c,
				 const uint8_t peer_public[NOISE_PUBLIC_KEY_LEN])
{
	precompute_key(c->cookie_decryption_key, peer_public,
		       COOKIE_LABEL_COOKIE);
	precompute_key(c->message_mac1_key, peer_public, COOKIE_LABEL_MAC1);
}

/*
 * The bytes a cookie binds to (5.4.7): source IP then UDP source port in
 * network order. A v4-mapped v6 source counts as its v4 address, so the
 * cookie matches whichever socket family the packet arrived on.
 * Returns the length written, 0 for an unsupported family.
 */
static size_t source_bytes(uint8_t out[18], const struct sockaddr *src)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)src;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)src;

	if (src && src->sa_family == AF_INET) {
		memcpy(out, &s4->sin_addr, 4);
		memcpy(out + 4, &s4->sin_port, 2);
		return 6;
	}
	if (!src || src->sa_family != AF_INET6)
		return 0;
	if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		memcpy(out, &s6->sin6_addr.s6_addr[12], 4);
		memcpy(out + 4, &s6->sin6_port, 2);
		return 6;
	}
	memcpy(out, &s6->sin6_addr, 16);
	memcpy(out + 16, &s6->sin6_port, 2);
	return 18;
}

/*
 * cookie = MAC(secret, source ip || port) with a secret that changes every
 * COOKIE_SECRET_MAX_AGE, so cookies expire on their own (5.4.7).
 */
static int make_cookie(uint8_t cookie[COOKIE_LEN], const struct sockaddr *src,
		       struct cookie_checker *c)
{
	uint8_t data[18];
	size_t len = source_bytes(data, src);

	if (!len)
		return -EAFNOSUPPORT;
	if (clock_expired(c->secret_birthdate, COOKIE_SECRET_MAX_AGE)) {
		if (crypto_random(c->secret, COOKIE_SECRET_LEN))
			return -EIO;
		c->secret_birthdate = clock_now();
	}
	return crypto_blake2s_mac(cookie, COOKIE_LEN, c->secret,
				  COOKIE_SECRET_LEN, data, len);
}

/*
 * Cheapest check first: mac1 proves knowledge of our public key. Only
 * when the caller is under load (check_cookie) is mac2 checked. Per-source
 * rate limiting (VALID_MAC_WITH_COOKIE_BUT_RATELIMITED in the kernel) is
 * left to the caller, which owns the ratelimiter.
 */
enum cookie_mac_state cookie_validate_packet(struct cookie_checker *c,
					     const void *msg, size_t len,
					     const struct sockaddr *src,
					     bool check_cookie)
{
	const struct message_macs *macs;
	uint8_t computed[COOKIE_LEN], cookie[COOKIE_LEN];
	enum cookie_mac_state ret = INVALID_MAC;

	if (len < sizeof(*macs))
		return INVALID_MAC;
	macs = macs_of(msg, len);
	if (crypto_blake2s_mac(computed, COOKIE_LEN, c->message_mac1_key,
			       COOKIE_KEY_LEN, msg, MAC1_COVERED(len)) ||
	    !crypto_memeq(computed, macs->mac1, COOKIE_LEN))
		goto out;
	ret = VALID_MAC_BUT_NO_COOKIE;
	if (!check_cookie || make_cookie(cookie, src, c))
		goto out;
	if (crypto_blake2s_mac(computed, COOKIE_LEN, cookie, COOKIE_LEN, msg,
			       MAC2_COVERED(len)) ||
	    !crypto_memeq(computed, macs->mac2, COOKIE_LEN))
		goto out;
	ret = VALID_MAC_WITH_COOKIE;
out:
	crypto_wipe(cookie, sizeof(cookie));
	return ret;
}

/*
 * Initiator side. mac1 is remembered because a cookie reply is encrypted
 * with it as AD; mac2 is sent only while the cookie is comfortably
 * younger than the responder's secret (5.4.7), otherwise zeros.
 */
void cookie_add_mac_to_packet(void *msg, size_t len, struct cookie *c)
{
	struct message_macs *macs = macs_of(msg, len);

	crypto_blake2s_mac(macs->mac1, COOKIE_LEN, c->message_mac1_key,
			   COOKIE_KEY_LEN, msg, MAC1_COVERED(len));
	memcpy(c->last_mac1_sent, macs->mac1, COOKIE_LEN);
	c->have_sent_mac1 = true;

	if (c->is_valid &&
	    !clock_expired(c->birthdate,
			 COOKIE_SECRET_MAX_AGE - COOKIE_SECRET_LATENCY))
		crypto_blake2s_mac(macs->mac2, COOKIE_LEN, c->cookie,
				   COOKIE_LEN, msg, MAC2_COVERED(len));
	else
		memset(macs->mac2, 0, COOKIE_LEN);
}

/*
 * Cookie reply (5.4.7): XAEAD(cookie key, random 24-byte nonce, cookie,
 * AD = mac1 of the message we answer), so only the real sender of that
 * message, which knows the mac1 it sent, can accept it. index is the
 * sender_index of that message in host order.
 */
int cookie_message_create(struct message_handshake_cookie *dst,
			  const void *msg, size_t len, uint32_t index,
			  struct cookie_checker *c, const struct sockaddr *src)
{
	const struct message_macs *macs;
	uint8_t cookie[COOKIE_LEN];
	int ret;

	if (len < sizeof(*macs))
		return -EINVAL;
	macs = macs_of(msg, len);
	dst->header.type = htole32(MESSAGE_HANDSHAKE_COOKIE);
	dst->receiver_index = htole32(index);
	ret = crypto_random(dst->nonce, COOKIE_NONCE_LEN);
	if (!ret)
		ret = make_cookie(cookie, src, c);
	if (!ret)
		ret = crypto_xaead_encrypt(dst->encrypted_cookie, cookie,
					   COOKIE_LEN, macs->mac1, COOKIE_LEN,
					   dst->nonce, c->cookie_encryption_key);
	crypto_wipe(cookie, sizeof(cookie));
	return ret;
}

/*
 * Initiator side. The caller found this peer by receiver_index. One reply
 * is accepted per mac1 sent, so a captured reply cannot be replayed.
 */
int cookie_message_consume(const struct message_handshake_cookie *src,
			   struct cookie *c)
{
	uint8_t cookie[COOKIE_LEN];

	if (!c->have_sent_mac1)
		return -EINVAL;
	if (crypto_xaead_decrypt(cookie, src->encrypted_cookie,
				 sizeof(src->encrypted_cookie),
				 c->last_mac1_sent, COOKIE_LEN, src->nonce,
				 c->cookie_decryption_key))
		return -EBADMSG;
	memcpy(c->cookie, cookie, COOKIE_LEN);
	c->birthdate = clock_now();
	c->is_valid = true;
	c->have_sent_mac1 = false;
	crypto_wipe(cookie, sizeof(cookie));
	return 0;
}
