/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The allocator's knobs (memory.h). */

#include "memory.h"

#include <malloc.h>

/* Blocks from here up are mmap'd: sd-bus's read buffer for a large
 * message, a document's copy; glibc's own starting value, pinned. */
#define MMAP_THRESHOLD (128 * 1024)
/* Below this, a parse leaves too little behind to be worth a trim. */
#define TRIM_AFTER (64 * 1024)

void memory_tune_allocator(void)
{
#ifdef __GLIBC__
	(void)mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
#endif
}

void memory_release_after(size_t size)
{
#ifdef __GLIBC__
	if (size >= TRIM_AFTER)
		(void)malloc_trim(0);
#endif
}
