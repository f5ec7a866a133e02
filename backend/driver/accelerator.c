/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* KVM or TCG: the one answer that Start and Manager.Accelerator share. */

#include "accelerator.h"

#include <errno.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "registry-internal.h"

bool host_has_s390x_kvm(void)
{
	struct utsname u;
	if (uname(&u) < 0 || strcmp(u.machine, "s390x") != 0)
		return false;
	return access("/dev/kvm", R_OK | W_OK) == 0;
}

const char *host_kvm_domain_accelerator(const Settings *s)
{
	if (s->accelerator == ACCELERATOR_TCG)
		return "tcg";
	return host_has_s390x_kvm() ? "kvm" : NULL;
}

int domain_def_pick_accelerator(const Settings *s, const DomainDef *def, bool *ret_kvm, ZvError *err)
{
	if (def->virt_type == DOMAIN_VIRT_QEMU) {
		*ret_kvm = false;
		return 0;
	}
	const char *accel = host_kvm_domain_accelerator(s);
	if (!accel)
		return zv_error_set(
			err, ZV_ERROR_HYPERVISOR, ENODEV,
			"Domain '%s' has type 'kvm', but this host cannot run s390x guests with KVM (no "
			"usable /dev/kvm on an s390x host). Use <domain type='qemu'> to emulate it, or set "
			"Accelerator=tcg in zvirtd.conf for a test rig",
			def->name);
	*ret_kvm = strcmp(accel, "kvm") == 0;
	return 0;
}

int domain_pick_accelerator(const Domain *d, bool *ret_kvm, ZvError *err)
{
	return domain_def_pick_accelerator(registry_get_settings(domain_get_registry(d)), domain_get_def(d),
					   ret_kvm, err);
}
