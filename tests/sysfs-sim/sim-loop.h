/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A real block device behind a simulated disk: a loop device on a sparse
 * file, so that the node the simulator makes for a DASD or a SCSI disk
 * can be opened by QEMU and read by a guest. Without a backing
 * directory, or on a host without loop devices, the nodes stay
 * placeholder files. */

#include <stdbool.h>
#include <sys/types.h>

/* Where the backing files go (NULL: no loop devices). */
void sim_loop_init(const char *dir);

/* A loop device on DIR/<image> (made sparse, bytes long, at first use and
 * kept, so a disk keeps its data across offline and online) with the
 * given logical block size: its descriptor, which holds it (it goes when
 * that is closed and nothing else has it open), and its device number.
 * -1 when there is no backing directory or no free loop device. */
int sim_loop_attach(const char *image, unsigned long long bytes, unsigned block_size, dev_t *ret_dev);
