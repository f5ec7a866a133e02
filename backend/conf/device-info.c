/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Device aliases: what a valid one is (the user's ua-NAME, the daemon's
 * virtio-disk0, scsi0-0-0-0, scsi0, pci, hostdev0, console0, balloon0),
 * and the daemon's naming of every
 * device that has none when a domain starts. The kinds are listed once,
 * in collect_devices(); a new device kind adds itself there. */
#include "conf/device-info.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/domain-def.h"
#include "util/cleanup.h"

#define STRINGIFY_(x) #x
#define STRINGIFY(x)  STRINGIFY_(x)

/* clang-format off */
#define TOO_LONG                                                             \
	"is too long: at most " STRINGIFY(DEVICE_ALIAS_MAX) " characters, so " \
	"that the QEMU block node names made from it ('<alias>-storage') fit " \
	"QEMU's limit of 31"
/* clang-format on */

#define ALIAS_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

/* The daemon's alias prefixes, one per device kind. */
typedef enum AliasKind {
	ALIAS_KIND_DISK,
	ALIAS_KIND_HOSTDEV,
	ALIAS_KIND_NET,
	ALIAS_KIND_CONSOLE,
	ALIAS_KIND_MEMBALLOON,
	ALIAS_KIND_WATCHDOG,
	ALIAS_KIND_RNG,
	_ALIAS_KIND_MAX,
	/* Named from what the device is, not from a free number: a SCSI
	 * disk by its drive address, a controller by its index. */
	ALIAS_KIND_FIXED = _ALIAS_KIND_MAX,
} AliasKind;

static const char *const alias_prefix[_ALIAS_KIND_MAX] = {
	[ALIAS_KIND_DISK] = "virtio-disk",
	[ALIAS_KIND_HOSTDEV] = "hostdev",
	[ALIAS_KIND_NET] = "net",
	[ALIAS_KIND_CONSOLE] = "console",
	[ALIAS_KIND_MEMBALLOON] = "balloon",
	[ALIAS_KIND_WATCHDOG] = "watchdog",
	[ALIAS_KIND_RNG] = "rng",
};

void device_info_clear(DeviceInfo *info)
{
	if (!info)
		return;
	free(info->alias);
	free(info->loadparm);
	*info = (DeviceInfo){};
}

/* QEMU's rule for the machine's loadparm (the HMC's), which libvirt
 * checks at define: QEMU refuses anything else at start. */
const char *device_loadparm_problem(const char *loadparm)
{
	size_t n = loadparm ? strlen(loadparm) : 0;
	if (n == 0)
		return "must not be empty";
	if (n > 8)
		return "is longer than 8 characters";
	if (strspn(loadparm, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789. ") != n)
		return "may contain only letters, digits, '.' and spaces";
	return NULL;
}

bool device_alias_is_user(const char *alias)
{
	return alias && strncmp(alias, DEVICE_ALIAS_USER_PREFIX, strlen(DEVICE_ALIAS_USER_PREFIX)) == 0;
}

/* N of "<prefix>N" (decimal, no leading zeros), or -1. */
static long alias_index(const char *alias, const char *prefix)
{
	size_t l = strlen(prefix);
	long n = 0;

	if (strncmp(alias, prefix, l) != 0)
		return -1;
	const char *d = alias + l;
	if (!*d || (d[0] == '0' && d[1]) || strspn(d, "0123456789") != strlen(d) || strlen(d) > 9)
		return -1;
	for (; *d; d++)
		n = n * 10 + (*d - '0');
	return n;
}

/* scsi<C>-<B>-<T>-<U> (libvirt's SCSI disk alias) or scsi<C> (its SCSI
 * controller's): how many numbers follow "scsi", or 0. */
static unsigned scsi_alias_numbers(const char *alias)
{
	if (strncmp(alias, "scsi", 4) != 0)
		return 0;
	unsigned k = 0;
	for (const char *p = alias + 4;; k++) {
		size_t l = strspn(p, "0123456789");
		if (l == 0 || l > 9 || (p[0] == '0' && l > 1))
			return 0;
		p += l;
		if (!*p)
			return k + 1;
		if (*p != '-')
			return 0;
		p++;
	}
}

static bool alias_is_daemon(const char *alias)
{
	for (size_t k = 0; k < _ALIAS_KIND_MAX; k++)
		if (alias_index(alias, alias_prefix[k]) >= 0)
			return true;
	unsigned n = scsi_alias_numbers(alias);
	return n == 1 || n == 4 || strcmp(alias, "pci") == 0;
}

const char *device_alias_problem(const char *alias)
{
	if (!alias || !*alias)
		return "must not be empty";
	if (strspn(alias, ALIAS_CHARS) != strlen(alias))
		return "may contain only letters, digits, '_' and '-'";
	if (strlen(alias) > DEVICE_ALIAS_MAX)
		return TOO_LONG;
	if (device_alias_is_user(alias))
		return alias[strlen(DEVICE_ALIAS_USER_PREFIX)] ? NULL : "needs a name after 'ua-'";
	if (alias_is_daemon(alias))
		return NULL;
	return "a user alias must start with 'ua-' (virtio-disk0, scsi0-0-0-0, scsi0, hostdev0, "
	       "console0, balloon0, ... are the daemon's own)";
}

/* A device of def: its info, its kind, and the index it would rather
 * have (SIZE_MAX: the lowest free). */
typedef struct DeviceRef {
	DeviceInfo *info;
	AliasKind kind;
	size_t preferred;
	char fixed[40]; /* ALIAS_KIND_FIXED: the name */
} DeviceRef;

/* The highest index a preferred name may have: beyond it (vdzzz...)
 * the lowest free one is given. */
#define PREFERRED_INDEX_MAX 65535

/* libvirt names a virtio disk virtio-disk<its target's index> (vda 0,
 * vdc 2, vdaa 26), whatever other disks exist. */
static size_t disk_preferred_index(const char *target)
{
	int idx = disk_target_index(target);
	return idx < 0 || idx > PREFERRED_INDEX_MAX ? SIZE_MAX : (size_t)idx;
}

/* Every device of def, into refs (when not NULL); returns how many. */
static size_t collect_devices(struct DomainDef *def, DeviceRef *refs)
{
	size_t n = 0;

	for (size_t i = 0; i < def->n_disks; i++, n++) {
		if (!refs)
			continue;
		const DiskDef *d = &def->disks[i];
		refs[n] = (DeviceRef){&def->disks[i].info, ALIAS_KIND_DISK, disk_preferred_index(d->target),
				      ""};
		if (d->bus == DISK_BUS_SCSI) {
			refs[n].kind = ALIAS_KIND_FIXED;
			snprintf(refs[n].fixed, sizeof(refs[n].fixed), "scsi%u-%u-%u-%u",
				 d->info.drive.controller, d->info.drive.bus, d->info.drive.target,
				 d->info.drive.unit);
		}
	}
	for (size_t i = 0; i < def->n_controllers; i++, n++) {
		if (!refs)
			continue;
		const ControllerDef *k = &def->controllers[i];
		refs[n] = (DeviceRef){&def->controllers[i].info, ALIAS_KIND_FIXED, SIZE_MAX, ""};
		if (k->type == CONTROLLER_TYPE_SCSI)
			snprintf(refs[n].fixed, sizeof(refs[n].fixed), "scsi%u", k->index);
		else
			snprintf(refs[n].fixed, sizeof(refs[n].fixed), "pci");
	}
	for (size_t i = 0; i < def->n_hostdevs; i++, n++)
		if (refs)
			refs[n] = (DeviceRef){&def->hostdevs[i].info, ALIAS_KIND_HOSTDEV, SIZE_MAX, ""};
	for (size_t i = 0; i < def->n_interfaces; i++, n++)
		if (refs)
			refs[n] = (DeviceRef){&def->interfaces[i].info, ALIAS_KIND_NET, SIZE_MAX, ""};
	/* console<i>: the driver maps the chardev charconsole<i> back to
	 * consoles[i]. */
	for (size_t i = 0; i < def->n_consoles; i++, n++)
		if (refs)
			refs[n] = (DeviceRef){&def->consoles[i].info, ALIAS_KIND_CONSOLE, i, ""};
	if (def->memballoon.model != MEMBALLOON_MODEL_NONE) {
		if (refs)
			refs[n] = (DeviceRef){&def->memballoon.info, ALIAS_KIND_MEMBALLOON, SIZE_MAX, ""};
		n++;
	}
	if (def->watchdog) {
		if (refs)
			refs[n] = (DeviceRef){&def->watchdog->info, ALIAS_KIND_WATCHDOG, SIZE_MAX, ""};
		n++;
	}
	if (def->rng) {
		if (refs)
			refs[n] = (DeviceRef){&def->rng->info, ALIAS_KIND_RNG, SIZE_MAX, ""};
		n++;
	}
	return n;
}

int domain_def_assign_aliases(struct DomainDef *def)
{
	if (!def)
		return -EINVAL;

	size_t n = collect_devices(def, NULL);
	if (n == 0)
		return 0;
	_cleanup_free_ DeviceRef *refs = calloc(n, sizeof(DeviceRef));
	_cleanup_free_ char **names = calloc(n, sizeof(char *));
	if (!refs || !names)
		return -ENOMEM;
	collect_devices(def, refs);

	/* used[k * range + N]: alias_prefix[k] N is taken. n devices hold at
	 * most n names, so the lowest free N of a kind is at most n; range
	 * also covers every preferred index. */
	size_t range = n + 1;
	for (size_t i = 0; i < n; i++)
		if (refs[i].preferred != SIZE_MAX && refs[i].preferred >= range)
			range = refs[i].preferred + 1;
	_cleanup_free_ bool *used = calloc(_ALIAS_KIND_MAX * range, sizeof(bool));
	size_t next_free[_ALIAS_KIND_MAX] = {};
	if (!used)
		return -ENOMEM;

	for (size_t i = 0; i < n; i++) {
		if (!refs[i].info->alias)
			continue;
		for (size_t k = 0; k < _ALIAS_KIND_MAX; k++) {
			long idx = alias_index(refs[i].info->alias, alias_prefix[k]);
			if (idx >= 0 && (size_t)idx < range)
				used[k * range + (size_t)idx] = true;
		}
	}

	/* Names first, into names[]: on ENOMEM def stays as it was. The
	 * fixed and preferred names in a first round, so that a lowest free
	 * one given in the second never takes another device's own. */
	for (int round = 0; round < 2; round++)
		for (size_t i = 0; i < n; i++) {
			if (refs[i].info->alias || names[i])
				continue;
			if (refs[i].kind == ALIAS_KIND_FIXED) {
				if (!(names[i] = strdup(refs[i].fixed)))
					goto oom;
				continue;
			}
			AliasKind k = refs[i].kind;
			bool *u = used + k * range;
			size_t idx = refs[i].preferred;
			bool preferred_free = idx != SIZE_MAX && !u[idx];
			if (round == 0 && !preferred_free)
				continue;
			if (!preferred_free) {
				while (u[next_free[k]])
					next_free[k]++;
				idx = next_free[k];
			}
			u[idx] = true;
			if (asprintf(&names[i], "%s%zu", alias_prefix[k], idx) < 0) {
				names[i] = NULL;
				goto oom;
			}
		}
	for (size_t i = 0; i < n; i++)
		if (names[i])
			refs[i].info->alias = names[i];
	return 0;

oom:
	for (size_t j = 0; j < n; j++)
		free(names[j]);
	return -ENOMEM;
}
