/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Which accelerator a domain runs with on this host: KVM where an s390x
 * host offers it, TCG for type='qemu' domains or where the configuration
 * says to emulate (a test rig). */

#include <stdbool.h>

#include "conf/settings.h"
#include "domain.h"

/* Whether this host can run s390x guests with KVM (an s390x host with a
 * usable /dev/kvm). */
bool host_has_s390x_kvm(void);

/* What a type='kvm' domain runs with here: "kvm" where the host has it,
 * "tcg" where the config says to emulate (Accelerator=tcg), NULL where it
 * cannot run at all. */
const char *host_kvm_domain_accelerator(const Settings *s);

/* The accelerator a start would use, or an error saying why none. */
int domain_pick_accelerator(const Domain *d, bool *ret_kvm, ZvError *err);
/* The same for a definition that is no domain (DomainXMLToNative). */
int domain_def_pick_accelerator(const Settings *s, const DomainDef *def, bool *ret_kvm, ZvError *err);
