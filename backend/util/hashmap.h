/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* A string-keyed hash map (open addressing, linear probing). Keys are
 * borrowed: they must live as long as their entry (usually a field of
 * the value). Not thread-safe; everything runs on the one event loop. */
typedef struct Hashmap Hashmap;

Hashmap *hashmap_new(void);
void hashmap_free(Hashmap *h);
/* -EEXIST when the key is present, -ENOMEM. */
int hashmap_put(Hashmap *h, const char *key, void *value);
void *hashmap_get(const Hashmap *h, const char *key);
/* Returns the removed value, or NULL. */
void *hashmap_remove(Hashmap *h, const char *key);
size_t hashmap_size(const Hashmap *h);

/* Iteration: `for (size_t i = 0; hashmap_iterate(h, &i, &v);)`; do not
 * modify the map while iterating. */
bool hashmap_iterate(const Hashmap *h, size_t *state, void **value);
