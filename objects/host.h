/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* org.zvirt1.Host at /org/zvirt1/host: the host's preparation for its
 * guests. host.c holds the object and its network links; the ccw, DASD
 * and zfcp calls join it on the same interface. */

#include "objects.h"

#define ZVIRT_HOST_PATH  "/org/zvirt1/host"
#define ZVIRT_HOST_IFACE "org.zvirt1.Host"

/* Registers the object (its slot in *ret_slot) and starts the link
 * monitor on the bus's event loop; a monitor that cannot start is
 * logged, the object serves without its signal. */
int objects_add_host_object(Objects *o, sd_bus_slot **ret_slot);
void objects_host_done(Objects *o);

/* polkit org.zvirt1.host.configure for a call on one device (a ccw bus
 * id: details verb and device). 1 allowed, 0 asked (the message comes
 * back), < 0 refused. */
int host_authorize_device(Objects *o, sd_bus_message *m, const char *verb, const char *device,
			  bool no_user_interaction, sd_bus_error *error);

/* Runs a host call's store (a zfcp unit_add or a ccw device's online can
 * wait on the device) on the host's one thread, so that the host's
 * changes happen in the order they were asked for: job there, then done
 * on the loop, as worker_submit(). When the daemon stops first, the
 * store that runs is waited for, and drop(userdata) runs instead of
 * done for it and every queued one: it answers the call (Cancelled)
 * and frees it. < 0 when it cannot be queued (nothing is called). */
int objects_host_submit(Objects *o, int (*job)(void *userdata), void (*done)(int result, void *userdata),
			void (*drop)(void *userdata), void *userdata);
