/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* virsh's --live, --config, --current and --persistent, turned into the
 * definitions a change applies to, with the state rules of virsh
 * attach-device, detach-device and update-device. Pure. */

#include <stdbool.h>

#include "domain.h"
#include "util/error.h"

typedef struct ModifyOptions {
	bool live;
	bool config;
	bool current;
	bool persistent;
} ModifyOptions;

/* active: the domain has a QEMU; persistent: it has a persistent
 * definition. No option means live (virsh without flags). current is
 * live while active, config while not; persistent is config, and live
 * too while active. current with live, config or persistent is
 * ZV_ERROR_INVALID_ARGUMENT; live on an inactive domain and config on a
 * transient one are ZV_ERROR_OPERATION_INVALID (what names the call and
 * domain the domain, for the message). */
int modify_flags_resolve(const ModifyOptions *o, bool active, bool persistent, const char *what,
			 const char *domain, DomainModifyFlags *ret, ZvError *err);
