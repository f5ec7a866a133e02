/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Settings: the built-in defaults, and the questions asked of them. */
#include "conf/settings.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "zvirtd-config.h"

static const char *const accelerator_names[_ACCELERATOR_MAX] = {
	[ACCELERATOR_AUTO] = "auto",
	[ACCELERATOR_KVM] = "kvm",
	[ACCELERATOR_TCG] = "tcg",
};

const char *accelerator_to_string(Accelerator a)
{
	if ((unsigned)a >= _ACCELERATOR_MAX)
		return NULL;
	return accelerator_names[a];
}

int accelerator_from_string(const char *s)
{
	if (!s)
		return -EINVAL;
	for (unsigned i = 0; i < _ACCELERATOR_MAX; i++)
		if (strcmp(s, accelerator_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

/* The one place the defaults live. data/zvirtd.conf repeats them for
 * people; test-config fails when the two disagree. */
int settings_init_defaults(Settings *s)
{
	*s = (Settings){
		.log_level = LOG_INFO,
		.idle_timeout_sec = 0,
		.accelerator = ACCELERATOR_AUTO,
		.reserved_host_memory = 0,
		.console_limit = 1024 * 1024,
		.log_limit = 2 * 1024 * 1024,
		.qemu_uid = (uid_t)-1,
		.qemu_gid = (gid_t)-1,
		.relocation_server = false,
		.relocation_port = 8002,
		.migration_port_min = 49152,
		.migration_port_max = 49215,
	};

	/* Every string is heap-owned, even the fixed ones, so the config
	 * parser can replace any of them with free() + strdup() alike. */
	if (!(s->log_target = strdup("journal")) || !(s->state_dir = strdup("/var/lib/zvirtd")) ||
	    !(s->run_dir = strdup("/run/zvirtd")) || !(s->log_dir = strdup("/var/log/zvirtd")) ||
	    !(s->emulator = strdup("/usr/bin/qemu-system-s390x")) || !(s->user = strdup("zvirt-qemu")) ||
	    !(s->sysfs_root = strdup("/sys")) || !(s->dev_root = strdup("/dev")) ||
	    !(s->relocation_address = strdup("127.0.0.1")) ||
	    !(s->relocation_hosts_allow = strdup("^localhost$")) ||
	    !(s->log_pump = strdup(getenv("ZVIRTD_LOG_PUMP") ?: ZVIRTD_LOG_PUMP))) {
		settings_done(s);
		return -ENOMEM;
	}
	return 0;
}

void settings_done(Settings *s)
{
	if (!s)
		return;
	free(s->log_target);
	free(s->state_dir);
	free(s->run_dir);
	free(s->log_dir);
	free(s->emulator);
	free(s->emulator_allow);
	free(s->user);
	free(s->group);
	free(s->log_pump);
	free(s->dump_dir);
	free(s->sysfs_root);
	free(s->dev_root);
	free(s->default_nic);
	free(s->relocation_address);
	free(s->relocation_hosts_allow);
	free(s->qemu_groups);
	/* Zeroed so a second settings_done() (cleanup after an explicit
	 * one) is harmless. */
	*s = (Settings){};
}

bool settings_emulator_allowed(const Settings *s, const char *path)
{
	if (!path)
		return false;
	if (s->emulator && strcmp(path, s->emulator) == 0)
		return true;
	size_t n = strlen(path);
	for (const char *i = s->emulator_allow; i && *i;) {
		size_t len = strcspn(i, " ");
		if (len == n && strncmp(i, path, n) == 0)
			return true;
		i += len;
		i += strspn(i, " ");
	}
	return false;
}
