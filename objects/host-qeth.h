/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* org.zvirt1.Host's OSA/qeth calls (what znetconf does): their handlers,
 * for host.c's vtable. */

#include <systemd/sd-bus.h>

int method_list_qeth_devices(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_group_qeth(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_set_qeth_online(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_ungroup_qeth(sd_bus_message *m, void *userdata, sd_bus_error *error);
