/*
 * nh_hash.h — NH, the universal hash of UMAC (Black, Halevi, Krawczyk,
 * Krovetz and Rogaway; RFC 4418), on 64-bit words with a 128-bit sum, and
 * the expansion of a 16-byte secret key into its key stream. The fast
 * layer of the SQLite page hashes, version 3 (core/backup/
 * backup_page_hashes.c), which finishes NH's value with SipHash under the
 * same secret key.
 *
 * NH of a message read as little-endian 64-bit words m[i] (zeros pad it to
 * a whole block of DBC_NH_WORDS words) under a key stream k[i]: the sum,
 * mod 2^128, over each block's pairs (m[j], m[j + 4]), j < 4, of
 *   ((m[j] + k[j]) mod 2^64) * ((m[j + 4] + k[j + 4]) mod 2^64).
 * Pairing a word with the one 4 words on, instead of its neighbour, changes
 * nothing to the bound below (it holds for any fixed pairing of the
 * positions) and keeps four independent products in flight.
 *
 * Invariant and bound: for two different messages of the same length (at
 * most DBC_NH_MAX bytes) and a key stream drawn uniformly at random, NH
 * gives both the same 128-bit value with probability at most 2^-64 (NH on
 * w-bit words is 2^-w-almost-universal). NH says nothing of messages of
 * different lengths (zero padding): the caller hashes the length with the
 * value. One pass of 64-bit products costs a fraction of two passes of
 * 32-bit ones for the same bound (one multiply per 16 bytes instead of
 * four): measured on a page in cache, a sixth.
 *
 * Why the key must stay secret: NH is linear enough that anyone who knows
 * the key stream builds a different message with the same value in a few
 * operations (for one pair, m'[j] = m[j] + 1 and m'[j + 4] solving the
 * product back). The bound is over keys the writer of the messages does
 * not know, so the key is drawn at random and the stream expanded from it
 * with a pseudo-random function (SipHash-1-3-128 in counter mode).
 */
#ifndef DBC_NH_HASH_H
#define DBC_NH_HASH_H

#include <stddef.h>
#include <stdint.h>

#define DBC_NH_WORDS     8     /* a block: 4 pairs of 64-bit words */
#define DBC_NH_MAX       65536 /* the most bytes one key stream covers */
#define DBC_NH_KEY_WORDS (DBC_NH_MAX / 8)

/* Expands the 16-byte secret key into the key stream: SipHash-1-3-128
 * under key of the 16 bytes "DBCNHKEY" and a 64-bit little-endian counter
 * from 0, each digest read as 2 little-endian 64-bit words. A caller that
 * also runs SipHash under key on its own messages keeps them from starting
 * with "DBCNHKEY". */
void dbc_nh_key(const unsigned char key[16], uint64_t stream[DBC_NH_KEY_WORDS]);

/* NH of msg (len <= DBC_NH_MAX bytes): out[0] its low 64 bits, out[1] its
 * high 64 bits. */
void dbc_nh(const uint64_t stream[DBC_NH_KEY_WORDS], const unsigned char *msg, size_t len,
            uint64_t out[2]);

#endif
