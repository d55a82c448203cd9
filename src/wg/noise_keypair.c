// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sessions (whitepaper 5.4.5, 6.3): the keypair a finished handshake
 * derives, and the previous/current/next rotation of a peer's keypairs.
 * The handshake itself is noise.c.
 */
#include "noise.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "crypto.h"

static void noise_keypair_free(struct noise_keypair *kp, struct index_table *t)
{
	if (!kp)
		return;
	index_table_remove(t, &kp->entry);
	crypto_wipe(kp, sizeof(*kp));
	free(kp);
	/* Its keys may still sit in the cipher contexts of the last packet. */
	crypto_aead_forget();
}

/*
 * Slots the new keypair in exactly as the kernel's add_new_keypair
 * (whitepaper 6.3). The initiator has seen the response, so its keypair
 * is usable at once. The responder must wait for the initiator's first
 * data packet to confirm it, so its keypair waits in next.
 */
static void add_new_keypair(struct noise_keypairs *kps,
			    struct noise_keypair *kp, struct index_table *t)
{
	struct noise_keypair *previous = kps->previous_keypair;
	struct noise_keypair *next = kps->next_keypair;
	struct noise_keypair *current = kps->current_keypair;

	if (kp->i_am_the_initiator) {
		if (next) {
			/* An unconfirmed next is demoted to previous (it may
			 * still carry in-flight packets) and current goes. */
			kps->next_keypair = NULL;
			kps->previous_keypair = next;
			noise_keypair_free(current, t);
		} else {
			kps->previous_keypair = current;
		}
		noise_keypair_free(previous, t);
		kps->current_keypair = kp;
	} else {
		kps->next_keypair = kp;
		noise_keypair_free(next, t);
		kps->previous_keypair = NULL;
		noise_keypair_free(previous, t);
	}
}

/* Whitepaper 5.4.5: (T_send, T_recv) = KDF2(C, empty) for the initiator,
 * swapped for the responder. */
static void derive_keys(struct noise_symmetric_key *first,
			struct noise_symmetric_key *second,
			const uint8_t ck[NOISE_HASH_LEN])
{
	uint64_t now = clock_now();

	crypto_kdf(first->key, second->key, NULL, ck, NULL, 0);
	first->birthdate = second->birthdate = now;
	first->is_valid = second->is_valid = true;
}

static bool handshake_is_indexed(const struct noise_handshake *hs,
				 const struct index_table *t)
{
	return index_table_lookup(t, hs->entry.index, INDEX_HANDSHAKE) ==
	       &hs->entry;
}

int noise_handshake_begin_session(struct noise_handshake *hs,
				  struct noise_keypairs *keypairs,
				  struct index_table *t)
{
	struct noise_keypair *kp;

	if (hs->state != HANDSHAKE_CREATED_RESPONSE &&
	    hs->state != HANDSHAKE_CONSUMED_RESPONSE)
		return -EINVAL;
	/* The keypair inherits the handshake's index, which the peer uses. */
	if (!handshake_is_indexed(hs, t))
		return -ESTALE;
	kp = calloc(1, sizeof(*kp));
	if (!kp)
		return -ENOMEM;
	kp->entry.type = INDEX_KEYPAIR;
	kp->entry.peer = hs->peer;
	kp->peer = hs->peer;
	kp->i_am_the_initiator = hs->state == HANDSHAKE_CONSUMED_RESPONSE;
	kp->remote_index = hs->remote_index;
	replay_init(&kp->receiving_counter);
	if (kp->i_am_the_initiator)
		derive_keys(&kp->sending, &kp->receiving, hs->chaining_key);
	else
		derive_keys(&kp->receiving, &kp->sending, hs->chaining_key);
	index_table_replace(t, &hs->entry, &kp->entry);
	noise_handshake_zero(hs);
	add_new_keypair(keypairs, kp, t);
	return 0;
}

/*
 * The peer used next for the first time, which confirms it (whitepaper
 * 6.3): slide next into current, current into previous, drop the old
 * previous.
 */
bool noise_received_with_keypair(struct noise_keypairs *keypairs,
				 struct noise_keypair *received,
				 struct index_table *t)
{
	if (!received || received != keypairs->next_keypair)
		return false;
	noise_keypair_free(keypairs->previous_keypair, t);
	keypairs->previous_keypair = keypairs->current_keypair;
	keypairs->current_keypair = received;
	keypairs->next_keypair = NULL;
	return true;
}

/* next first, as the kernel, so a half-cleared set never promotes. */
void noise_keypairs_clear(struct noise_keypairs *keypairs,
			  struct index_table *t)
{
	struct noise_keypair *old;

	old = keypairs->next_keypair;
	keypairs->next_keypair = NULL;
	noise_keypair_free(old, t);
	old = keypairs->previous_keypair;
	keypairs->previous_keypair = NULL;
	noise_keypair_free(old, t);
	old = keypairs->current_keypair;
	keypairs->current_keypair = NULL;
	noise_keypair_free(old, t);
}

/*
 * Stops sending with the keys we hold (kernel
 * wg_noise_expire_current_peer_keypairs); receiving stays valid so packets
 * already in flight still decrypt. Like the kernel this covers next as
 * well as current. The caller clears the handshake itself.
 */
void noise_expire_current_peer_keypairs(struct noise_keypairs *keypairs)
{
	if (keypairs->next_keypair)
		keypairs->next_keypair->sending.is_valid = false;
	if (keypairs->current_keypair)
		keypairs->current_keypair->sending.is_valid = false;
}
