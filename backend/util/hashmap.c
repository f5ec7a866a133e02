/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The string-keyed hash map of hashmap.h. */
#include "hashmap.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct Entry {
	const char *key; /* NULL: empty; TOMBSTONE: deleted */
	void *value;
} Entry;

static const char tombstone;
#define TOMBSTONE (&tombstone)

struct Hashmap {
	Entry *entries;
	size_t capacity; /* power of two */
	size_t size;     /* live entries */
	size_t used;     /* live + tombstones */
};

/* FNV-1a: keys are short UUIDs and names; collisions are cheap here. */
static uint64_t hash_string(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

Hashmap *hashmap_new(void)
{
	return calloc(1, sizeof(Hashmap));
}

void hashmap_free(Hashmap *h)
{
	if (!h)
		return;
	free(h->entries);
	free(h);
}

static Entry *find_slot(const Hashmap *h, const char *key, bool for_insert)
{
	size_t mask = h->capacity - 1;
	Entry *first_free = NULL;

	for (size_t i = hash_string(key) & mask;; i = (i + 1) & mask) {
		Entry *e = &h->entries[i];
		if (!e->key)
			return for_insert && first_free ? first_free : (for_insert ? e : NULL);
		if (e->key == TOMBSTONE) {
			if (!first_free)
				first_free = e;
			continue;
		}
		if (strcmp(e->key, key) == 0)
			return e;
	}
}

static int resize(Hashmap *h, size_t capacity)
{
	Entry *old = h->entries;
	size_t old_cap = h->capacity;

	h->entries = calloc(capacity, sizeof(Entry));
	if (!h->entries) {
		h->entries = old;
		return -ENOMEM;
	}
	h->capacity = capacity;
	h->used = h->size;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].key && old[i].key != TOMBSTONE)
			*find_slot(h, old[i].key, true) = old[i];
	free(old);
	return 0;
}

int hashmap_put(Hashmap *h, const char *key, void *value)
{
	if ((h->used + 1) * 4 >= h->capacity * 3) {
		size_t cap = h->capacity ? h->capacity : 16;
		while ((h->size + 1) * 2 >= cap)
			cap *= 2;
		int r = resize(h, cap);
		if (r < 0)
			return r;
	}
	Entry *e = find_slot(h, key, true);
	if (e->key && e->key != TOMBSTONE)
		return -EEXIST;
	if (!e->key)
		h->used++;
	e->key = key;
	e->value = value;
	h->size++;
	return 0;
}

void *hashmap_get(const Hashmap *h, const char *key)
{
	if (!h || h->size == 0)
		return NULL;
	Entry *e = find_slot(h, key, false);
	return e ? e->value : NULL;
}

void *hashmap_remove(Hashmap *h, const char *key)
{
	if (!h || h->size == 0)
		return NULL;
	Entry *e = find_slot(h, key, false);
	if (!e)
		return NULL;
	void *v = e->value;
	e->key = TOMBSTONE;
	e->value = NULL;
	h->size--;
	return v;
}

size_t hashmap_size(const Hashmap *h)
{
	return h ? h->size : 0;
}

bool hashmap_iterate(const Hashmap *h, size_t *state, void **value)
{
	if (!h)
		return false;
	for (; *state < h->capacity; (*state)++) {
		Entry *e = &h->entries[*state];
		if (e->key && e->key != TOMBSTONE) {
			*value = e->value;
			(*state)++;
			return true;
		}
	}
	return false;
}
