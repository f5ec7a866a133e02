/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* org.zvirt1.Host's SCSI and zfcp calls (host-zfcp.c): ListScsiDevices,
 * ListZfcpDevices, ZfcpPortRescan, ZfcpAddUnit, ZfcpRemoveUnit; their
 * vtable lines are in host.c. */

#include <systemd/sd-bus.h>

int method_list_scsi_devices(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_list_zfcp_devices(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_zfcp_port_rescan(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_zfcp_add_unit(sd_bus_message *m, void *userdata, sd_bus_error *error);
int method_zfcp_remove_unit(sd_bus_message *m, void *userdata, sd_bus_error *error);

#define HOST_ZFCP_VTABLE                                                                                  \
	SD_BUS_METHOD_WITH_ARGS("ListScsiDevices", SD_BUS_ARGS("a{sv}", options),                         \
				SD_BUS_RESULT("aa{sv}", devices), method_list_scsi_devices,               \
				SD_BUS_VTABLE_UNPRIVILEGED),                                              \
		SD_BUS_METHOD_WITH_ARGS("ListZfcpDevices", SD_BUS_ARGS("a{sv}", options),                 \
					SD_BUS_RESULT("aa{sv}", devices), method_list_zfcp_devices,       \
					SD_BUS_VTABLE_UNPRIVILEGED),                                      \
		SD_BUS_METHOD_WITH_ARGS("ZfcpPortRescan", SD_BUS_ARGS("s", busid, "a{sv}", options),      \
					SD_BUS_NO_RESULT, method_zfcp_port_rescan,                        \
					SD_BUS_VTABLE_UNPRIVILEGED),                                      \
		SD_BUS_METHOD_WITH_ARGS("ZfcpAddUnit",                                                    \
					SD_BUS_ARGS("s", busid, "s", wwpn, "s", lun, "a{sv}", options),   \
					SD_BUS_RESULT("s", scsi_address), method_zfcp_add_unit,           \
					SD_BUS_VTABLE_UNPRIVILEGED),                                      \
		SD_BUS_METHOD_WITH_ARGS(                                                                  \
			"ZfcpRemoveUnit", SD_BUS_ARGS("s", busid, "s", wwpn, "s", lun, "a{sv}", options), \
			SD_BUS_NO_RESULT, method_zfcp_remove_unit, SD_BUS_VTABLE_UNPRIVILEGED)
