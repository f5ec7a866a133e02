/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Giving memory back after hostile or merely large calls. glibc's
 * defaults keep what a burst allocated: its mmap threshold rises to the
 * largest block ever freed (so the next 30 MiB message comes from the
 * heap and stays there), and what a parse scattered over the heap is
 * only returned from the top. */

#include <stddef.h>

/* Large blocks (messages, documents) always come from mmap, so freeing
 * them unmaps them. Call once, first thing in main(). */
void memory_tune_allocator(void);

/* After work that allocated and freed much (a parse of size bytes):
 * returns the free pages of every arena to the kernel when size was
 * large enough for that to matter. Thread-safe; takes a few ms at most. */
void memory_release_after(size_t size);
