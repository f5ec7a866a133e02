/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The risky-but-valid disk sources of a definition (domain-warnings.h),
 * told by their names alone: nothing on the host is looked at, so a
 * definition meant for another host gets the same answer. */
#include "conf/domain-warnings.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

typedef enum NodeKind {
	NODE_OTHER,
	NODE_DASD_BY_PATH,  /* disk/by-path/ccw-<bus id>[-partN] */
	NODE_DASD_KERNEL,   /* dasda, dasdb1 */
	NODE_SCSI_KERNEL,   /* sdq, sdq1 */
	NODE_SCSI_ONE_PATH, /* disk/by-path/ccw-<bus id>-zfcp-..., disk/by-id/scsi-... */
} NodeKind;

/* "<prefix><letters>[digits]": the kernel's disk names. */
static bool kernel_disk_name(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);
	if (strncmp(s, prefix, n) != 0)
		return false;
	s += n;
	size_t letters = strspn(s, "abcdefghijklmnopqrstuvwxyz");
	return letters > 0 && strspn(s + letters, "0123456789") == strlen(s + letters);
}

static NodeKind node_kind(const char *source, const char *dev_root)
{
	size_t n = strlen(dev_root);
	if (strncmp(source, dev_root, n) != 0 || source[n] != '/')
		return NODE_OTHER;
	const char *rel = source + n + 1;
	if (strncmp(rel, "disk/by-path/ccw-", 17) == 0)
		return strstr(rel, "-zfcp-") ? NODE_SCSI_ONE_PATH : NODE_DASD_BY_PATH;
	if (strncmp(rel, "disk/by-id/scsi-", 16) == 0)
		return NODE_SCSI_ONE_PATH;
	if (kernel_disk_name(rel, "dasd"))
		return NODE_DASD_KERNEL;
	if (kernel_disk_name(rel, "sd"))
		return NODE_SCSI_KERNEL;
	return NODE_OTHER;
}

static int add(char ***v, size_t *n, const char *fmt, ...)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(**v));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	va_list ap;
	va_start(ap, fmt);
	int k = vasprintf(&nv[*n], fmt, ap);
	va_end(ap);
	if (k < 0) {
		nv[*n] = NULL;
		return -ENOMEM;
	}
	nv[++*n] = NULL;
	return 0;
}

int domain_def_warnings(const DomainDef *def, const char *dev_root, char ***ret)
{
	_cleanup_strv_free_ char **v = calloc(1, sizeof(*v));
	size_t n = 0;
	int r = 0;
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; r >= 0 && i < def->n_disks; i++) {
		const DiskDef *d = &def->disks[i];
		if (d->type != DISK_TYPE_BLOCK || !d->source)
			continue;
		switch (node_kind(d->source, dev_root)) {
		case NODE_DASD_BY_PATH:
			r = add(&v, &n,
				"disk '%s' names its DASD by device number (%s): it migrates only to a "
				"host whose IOCDS gives the DASD the same device number; "
				"%s/disk/by-id/ccw-<UID> names it on every host",
				d->target, d->source, dev_root);
			break;
		case NODE_DASD_KERNEL:
			r = add(&v, &n,
				"disk '%s' names its DASD by the kernel's name (%s), which may be another "
				"DASD after the host's next boot: use %s/disk/by-path/ccw-<bus id> or "
				"%s/disk/by-id/ccw-<UID>",
				d->target, d->source, dev_root, dev_root);
			break;
		case NODE_SCSI_KERNEL:
			r = add(&v, &n,
				"disk '%s' names a SCSI disk by the kernel's name (%s): it may be another "
				"disk after the host's next boot, and it is one path of the LUN; use its "
				"multipath map, %s/mapper/<WWID>",
				d->target, d->source, dev_root);
			break;
		case NODE_SCSI_ONE_PATH:
			r = add(&v, &n,
				"disk '%s' names one path of a SCSI LUN (%s): the guest loses the disk "
				"when that path fails; use its multipath map, %s/mapper/<WWID>",
				d->target, d->source, dev_root);
			break;
		case NODE_OTHER:
			break;
		}
	}
	if (r < 0)
		return r;
	*ret = TAKE_PTR(v);
	return 0;
}
