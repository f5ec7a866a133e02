/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* org.zvirt1.Host's ccw device and DASD calls (host-ccw.c):
 * ListCcwDevices, SetCcwOnline, ListDasds. Their vtable lines are in
 * host.c's vtable. */

#include <systemd/sd-bus.h>

int host_method_list_ccw_devices(sd_bus_message *m, void *userdata, sd_bus_error *error);
int host_method_set_ccw_online(sd_bus_message *m, void *userdata, sd_bus_error *error);
int host_method_list_dasds(sd_bus_message *m, void *userdata, sd_bus_error *error);
