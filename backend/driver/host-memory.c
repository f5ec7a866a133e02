/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ReservedHostMemory at start (host-memory.h). */
#include "host-memory.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "registry-internal.h"
#include "util/cleanup.h"
#include "util/fileio.h"

int meminfo_available(const char *meminfo, uint64_t *ret_bytes)
{
	for (const char *line = meminfo; line && *line;
	     line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (strncmp(line, "MemAvailable:", 13) != 0)
			continue;
		char *end;
		errno = 0;
		unsigned long long kib = strtoull(line + 13, &end, 10);
		while (*end == ' ')
			end++;
		if (errno || end == line + 13 || strncmp(end, "kB", 2) != 0 || kib > UINT64_MAX / 1024)
			return -EBADMSG;
		*ret_bytes = (uint64_t)kib * 1024;
		return 0;
	}
	return -ENOENT;
}

#define MIB (UINT64_C(1) << 20)

int domain_check_host_memory(const Domain *d, const DomainDef *def, ZvError *err)
{
	uint64_t reserved = registry_get_settings(domain_get_registry(d))->reserved_host_memory;
	_cleanup_free_ char *meminfo = NULL;
	uint64_t available;

	if (reserved == 0)
		return 0;
	int r = read_file_full("/proc/meminfo", 64 * 1024, &meminfo, NULL);
	if (r >= 0)
		r = meminfo_available(meminfo, &available);
	if (r < 0)
		return zv_error_set(err, ZV_ERROR_HOST, r,
				    "Cannot start domain '%s': ReservedHostMemory is set, but the host's "
				    "available memory cannot be read from /proc/meminfo: %s",
				    domain_name(d), strerror(-r));

	uint64_t needed = def->memory_kib * 1024;
	if (available >= needed && available - needed >= reserved)
		return 0;
	return zv_error_set(err, ZV_ERROR_HOST, ENOMEM,
			    "Cannot start domain '%s': it needs %" PRIu64 " MiB, the host has %" PRIu64
			    " MiB available (MemAvailable), and ReservedHostMemory keeps %" PRIu64
			    " MiB of that for the host",
			    domain_name(d), needed / MIB, available / MIB, reserved / MIB);
}
