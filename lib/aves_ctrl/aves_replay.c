/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Replay windows (docs/PROTOCOL.md §4.6 step 6), after RFC 6479: the bitmap is a ring of
 * 64-bit words and the window slides by whole words, clearing the words it enters, so
 * accepting a serial far ahead costs at most one pass over the ring however far it jumps.
 * One word more than the window needs keeps every serial of the last AVES_REPLAY_WINDOW in
 * the ring while the top word is only partly used.
 *
 * Windows live in an array allocated at creation, found through an open-addressing index
 * (linear probing, at most half full, backward-shift deletion so no tombstones accumulate)
 * and chained in LRU order by array position, so finding, refreshing and evicting are O(1).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "aves_replay.h"

#define WORD_BITS 64
#define WINDOW_WORDS (AVES_REPLAY_WINDOW / WORD_BITS + 1)
#define NIL UINT32_MAX

struct window {
	uint32_t key_id;
	uint32_t origin;
	uint64_t top;      /* highest serial accepted */
	uint32_t newer;    /* LRU neighbour toward the head, or NIL */
	uint32_t older;    /* LRU neighbour toward the tail, or NIL */
	uint64_t bits[WINDOW_WORDS]; /* serial s is bit s % 64 of word (s / 64) % WINDOW_WORDS */
};

struct aves_replay {
	unsigned int capacity;
	unsigned int used;      /* windows[0, used) are in use */
	uint32_t index_mask;    /* the index has index_mask + 1 slots, a power of two */
	uint32_t lru_head;      /* most recently used window */
	uint32_t lru_tail;      /* least recently used window: the next to evict */
	uint64_t evictions;
	uint32_t *index;        /* window number per slot, or NIL */
	struct window *windows;
};

static uint32_t
home_slot(const struct aves_replay *table, uint32_t key_id, uint32_t origin)
{
	/* MurmurHash3's 64-bit finaliser: every input bit affects the slot. */
	uint64_t x = (uint64_t)key_id << 32 | origin;

	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	x *= UINT64_C(0xc4ceb9fe1a85ec53);
	x ^= x >> 33;
	return (uint32_t)x & table->index_mask;
}

/* The slot holding (key_id, origin), or the empty slot where it would be inserted. */
static uint32_t
find_slot(const struct aves_replay *table, uint32_t key_id, uint32_t origin)
{
	uint32_t slot = home_slot(table, key_id, origin);

	/* Terminates: the index is never more than half full. */
	for (;; slot = (slot + 1) & table->index_mask) {
		uint32_t n = table->index[slot];

		if (n == NIL)
			return slot;
		if (table->windows[n].key_id == key_id && table->windows[n].origin == origin)
			return slot;
	}
}

/* Empty a slot, moving later entries of its probe run back so every lookup still finds them. */
static void
index_remove(struct aves_replay *table, uint32_t hole)
{
	uint32_t mask = table->index_mask;
	uint32_t slot = hole;

	for (;;) {
		const struct window *w;
		uint32_t home;

		slot = (slot + 1) & mask;
		if (table->index[slot] == NIL)
			break;
		w = &table->windows[table->index[slot]];
		home = home_slot(table, w->key_id, w->origin);
		/* Movable unless its home lies cyclically in (hole, slot]. */
		if (((slot - home) & mask) >= ((slot - hole) & mask)) {
			table->index[hole] = table->index[slot];
			hole = slot;
		}
	}
	table->index[hole] = NIL;
}

static void
lru_unlink(struct aves_replay *table, uint32_t n)
{
	struct window *w = &table->windows[n];

	if (w->newer != NIL)
		table->windows[w->newer].older = w->older;
	else
		table->lru_head = w->older;
	if (w->older != NIL)
		table->windows[w->older].newer = w->newer;
	else
		table->lru_tail = w->newer;
}

static void
lru_push_head(struct aves_replay *table, uint32_t n)
{
	struct window *w = &table->windows[n];

	w->newer = NIL;
	w->older = table->lru_head;
	if (table->lru_head != NIL)
		table->windows[table->lru_head].newer = n;
	else
		table->lru_tail = n;
	table->lru_head = n;
}

static enum aves_replay_result
window_check(const struct window *w, uint64_t serial)
{
	if (serial > w->top)
		return AVES_REPLAY_FRESH;
	if (w->top - serial >= AVES_REPLAY_WINDOW)
		return AVES_REPLAY_TOO_OLD;
	if (w->bits[(serial / WORD_BITS) % WINDOW_WORDS] & (UINT64_C(1) << (serial % WORD_BITS)))
		return AVES_REPLAY_SEEN;
	return AVES_REPLAY_FRESH;
}

/* Mark a serial that window_check() found FRESH. */
static void
window_set(struct window *w, uint64_t serial)
{
	if (serial > w->top) {
		uint64_t top_word = w->top / WORD_BITS;
		uint64_t advance = serial / WORD_BITS - top_word;
		uint64_t i;

		/* Words the window slides into held serials now below it; past one full turn
		 * of the ring every word has been cleared once. */
		if (advance > WINDOW_WORDS)
			advance = WINDOW_WORDS;
		for (i = 1; i <= advance; i++)
			w->bits[(top_word + i) % WINDOW_WORDS] = 0;
		w->top = serial;
	}
	w->bits[(serial / WORD_BITS) % WINDOW_WORDS] |= UINT64_C(1) << (serial % WORD_BITS);
}

struct aves_replay *
aves_replay_create(unsigned int capacity)
{
	struct aves_replay *table;
	size_t slots = 2;

	if (capacity == 0 || capacity > AVES_REPLAY_MAX) {
		errno = EINVAL;
		return NULL;
	}
	while (slots < 2 * (size_t)capacity)
		slots *= 2;

	table = calloc(1, sizeof(*table));
	if (table == NULL)
		goto nomem;
	table->windows = calloc(capacity, sizeof(*table->windows));
	table->index = malloc(slots * sizeof(*table->index));
	if (table->windows == NULL || table->index == NULL)
		goto nomem;
	memset(table->index, 0xff, slots * sizeof(*table->index)); /* all NIL */
	table->capacity = capacity;
	table->index_mask = (uint32_t)(slots - 1);
	table->lru_head = NIL;
	table->lru_tail = NIL;
	return table;

nomem:
	aves_replay_free(table);
	errno = ENOMEM;
	return NULL;
}

void
aves_replay_free(struct aves_replay *table)
{
	if (table == NULL)
		return;
	free(table->index);
	free(table->windows);
	free(table);
}

enum aves_replay_result
aves_replay_check(const struct aves_replay *table, uint32_t key_id, uint32_t origin,
		  uint64_t serial)
{
	uint32_t n = table->index[find_slot(table, key_id, origin)];

	if (n == NIL)
		return AVES_REPLAY_FRESH;
	return window_check(&table->windows[n], serial);
}

enum aves_replay_result
aves_replay_commit(struct aves_replay *table, uint32_t key_id, uint32_t origin,
		   uint64_t serial)
{
	uint32_t slot = find_slot(table, key_id, origin);
	uint32_t n = table->index[slot];
	struct window *w;

	if (n != NIL) {
		enum aves_replay_result result = window_check(&table->windows[n], serial);

		if (result != AVES_REPLAY_FRESH)
			return result;
		window_set(&table->windows[n], serial);
		lru_unlink(table, n);
		lru_push_head(table, n);
		return AVES_REPLAY_FRESH;
	}

	if (table->used < table->capacity) {
		n = table->used++;
	} else {
		n = table->lru_tail;
		w = &table->windows[n];
		index_remove(table, find_slot(table, w->key_id, w->origin));
		lru_unlink(table, n);
		table->evictions++;
		/* The removal may have shifted the run our empty slot was in. */
		slot = find_slot(table, key_id, origin);
	}

	w = &table->windows[n];
	w->key_id = key_id;
	w->origin = origin;
	w->top = serial;
	memset(w->bits, 0, sizeof(w->bits));
	window_set(w, serial);
	table->index[slot] = n;
	lru_push_head(table, n);
	return AVES_REPLAY_FRESH;
}

void
aves_replay_stats(const struct aves_replay *table, struct aves_replay_stats *stats)
{
	stats->capacity = table->capacity;
	stats->used = table->used;
	stats->evictions = table->evictions;
}
