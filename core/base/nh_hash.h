/*
 * nh_hash.h — NH, the universal hash of UMAC (Black, Halevi, Krawczyk,
 * Krovetz and Rogaway; RFC 4418), in DBC_NH_PASSES passes under
 * independent key streams, and the expansion of a 16-byte secret key into
 * those streams. The fast layer of the SQLite page hashes, version 3
 * (core/backup/backup_page_hashes.c), which finishes NH's outputs with
 * SipHash under the same secret key.
 *
 * NH of a message read as little-endian 32-bit words m[i] (zeros pad it to
 * a whole block of DBC_NH_WORDS words) under a key stream k[i]: the sum,
 * mod 2^64, over each block's pairs (m[j], m[j + 8]), j < 8, of
 *   ((m[j] + k[j]) mod 2^32) * ((m[j + 8] + k[j + 8]) mod 2^32).
 * The pairing (a word with the one 8 words on, instead of its neighbour)
 * changes nothing to the bound below, which holds for any fixed pairing of
 * the positions; it lets the compiler multiply 4 or 8 pairs at once.
 *
 * Invariant and bound: for two different messages of the same length (at
 * most DBC_NH_MAX bytes) and one key stream drawn uniformly at random, NH
 * gives both the same 64-bit value with probability at most 2^-32; the
 * passes' streams are independent, so all DBC_NH_PASSES passes collide with
 * probability at most 2^-(32 * DBC_NH_PASSES): 2^-64 with two. NH says
 * nothing of messages of different lengths (zero padding): the caller
 * hashes the length with the outputs.
 *
 * Why the key must stay secret: NH is linear enough that anyone who knows
 * the key stream builds a different message with the same value in a few
 * operations (for one pair, m'[j] = m[j] + 1 and m'[j + 8] solving the
 * product back). The bound is over keys the writer of the messages does
 * not know, so the key is drawn at random and the stream expanded from it
 * with a pseudo-random function (SipHash-1-3-128 in counter mode).
 */
#ifndef DBC_NH_HASH_H
#define DBC_NH_HASH_H

#include <stddef.h>
#include <stdint.h>

#define DBC_NH_PASSES 2
#define DBC_NH_WORDS  16    /* a block: 8 pairs */
#define DBC_NH_MAX    65536 /* the most bytes one key stream covers */
/* The key stream's words: one stream of DBC_NH_MAX bytes per pass. */
#define DBC_NH_KEY_WORDS (DBC_NH_PASSES * (DBC_NH_MAX / 4))

/* Expands the 16-byte secret key into the key streams, pass after pass:
 * SipHash-1-3-128 under key of the 16 bytes "DBCNHKEY" and a 64-bit
 * little-endian counter from 0, each digest read as 4 little-endian words.
 * A caller that also runs SipHash under key on its own messages keeps them
 * from starting with "DBCNHKEY". */
void dbc_nh_key(const unsigned char key[16], uint32_t stream[DBC_NH_KEY_WORDS]);

/* NH of msg (len <= DBC_NH_MAX bytes) under each pass's stream. */
void dbc_nh(const uint32_t stream[DBC_NH_KEY_WORDS], const unsigned char *msg, size_t len,
            uint64_t out[DBC_NH_PASSES]);

#endif
