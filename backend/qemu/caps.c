/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the emulator offers, read in the background (caps.h). */
#include "caps.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "process.h"
#include "util/cleanup.h"
#include "util/fileio.h"
#include "util/log.h"

#define HELP_MAX_SIZE (1024 * 1024)

QemuCaps *qemu_caps_free(QemuCaps *caps)
{
	if (!caps)
		return NULL;
	for (size_t i = 0; i < caps->n_machines; i++) {
		free(caps->machines[i].name);
		free(caps->machines[i].alias_of);
		free(caps->machines[i].description);
	}
	free(caps->machines);
	strv_free(caps->cpu_models);
	free(caps->emulator);
	free(caps);
	return NULL;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = 0;
	return s;
}

/* Lines look like
 *   s390-ccw-virtio      Virtual s390x machine (version 7.2) (alias of s390-ccw-virtio-7.2)
 *   s390-ccw-virtio-7.2  Virtual s390x machine (version 7.2) (default)
 * after a "Supported machines are:" header. */
int qemu_caps_parse_machines(const char *text, QemuCaps *caps)
{
	_cleanup_free_ char *copy = strdup(text);
	if (!copy)
		return -ENOMEM;

	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == ' ' || line[0] == '\t' || strncmp(line, "Supported machines", 18) == 0)
			continue;
		size_t name_len = strcspn(line, " \t");
		if (name_len == 0 || line[name_len] == 0)
			continue;
		_cleanup_free_ char *name = strndup(line, name_len);
		char *desc = trim(line + name_len);
		if (!name)
			return -ENOMEM;

		QemuMachine m = {.name = TAKE_PTR(name)};
		char *alias = strstr(desc, "(alias of ");
		if (alias) {
			char *target = alias + strlen("(alias of ");
			size_t len = strcspn(target, ")");
			m.alias_of = strndup(target, len);
			*alias = 0;
		}
		char *def = strstr(desc, "(default)");
		if (def) {
			m.is_default = true;
			*def = 0;
		}
		m.description = strdup(trim(desc));

		QemuMachine *n = realloc(caps->machines, (caps->n_machines + 1) * sizeof(*n));
		if (!n || !m.description || (alias && !m.alias_of)) {
			free(m.name);
			free(m.alias_of);
			free(m.description);
			if (n)
				caps->machines = n;
			return -ENOMEM;
		}
		caps->machines = n;
		caps->machines[caps->n_machines++] = m;
	}
	return caps->n_machines > 0 ? 0 : -EBADMSG;
}

/* Lines look like "s390 z14           IBM z14 GA1     (migration-safe)". */
int qemu_caps_parse_cpu_models(const char *text, QemuCaps *caps)
{
	_cleanup_free_ char *copy = strdup(text);
	size_t n = 0;
	if (!copy)
		return -ENOMEM;

	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "s390 ", 5) != 0)
			continue;
		char *model = trim(line + 5);
		model[strcspn(model, " \t")] = 0;
		if (!*model)
			continue;
		char **v = realloc(caps->cpu_models, (n + 2) * sizeof(char *));
		if (!v)
			return -ENOMEM;
		caps->cpu_models = v;
		if (!(v[n] = strdup(model)))
			return -ENOMEM;
		v[++n] = NULL;
	}
	return n > 0 ? 0 : -EBADMSG;
}

const char *qemu_caps_resolve_machine(const QemuCaps *caps, const char *name)
{
	for (size_t i = 0; i < caps->n_machines; i++)
		if (strcmp(caps->machines[i].name, name) == 0)
			return caps->machines[i].alias_of ? caps->machines[i].alias_of
							  : caps->machines[i].name;
	return NULL;
}

/* --- the background probe ---------------------------------------------- */

typedef enum ProbeStep {
	PROBE_MACHINES,
	PROBE_CPUS,
} ProbeStep;

struct QemuCapsProbe {
	sd_event *event;
	char *emulator;
	char *output;
	ProbeStep step;
	QemuProcess *process;
	QemuCaps *caps;
	qemu_caps_done_fn cb;
	void *userdata;
	QemuProcessUser user; /* groups: a copy, a reload may free the settings' */
	sd_event_source *timeout;
	bool timed_out;
};

/* `-machine help` answers in well under a second; one that hangs (a
 * host short of memory) is killed, and the caller may try again. */
#define PROBE_TIMEOUT_USEC (10ULL * 1000 * 1000)

static int probe_run(QemuCapsProbe *p);

static void probe_finish(QemuCapsProbe *p, int error)
{
	QemuCaps *caps = error < 0 ? qemu_caps_free(p->caps) : p->caps;
	p->caps = NULL;
	p->timeout = sd_event_source_disable_unref(p->timeout);
	(void)unlink_if_exists(p->output);
	if (error < 0)
		log_warning_errno(error, "Could not read the capabilities of %s: %m", p->emulator);
	p->cb(caps, error, p->userdata);
}

static void on_probe_exit(QemuProcess *process, void *userdata)
{
	QemuCapsProbe *p = userdata;
	_cleanup_free_ char *text = NULL;

	if (p->timed_out) {
		probe_finish(p, -ETIMEDOUT);
		return;
	}
	int r = read_file_full(p->output, HELP_MAX_SIZE, &text, NULL);
	if (r >= 0)
		r = p->step == PROBE_MACHINES ? qemu_caps_parse_machines(text, p->caps)
					      : qemu_caps_parse_cpu_models(text, p->caps);
	if (r >= 0 && p->step == PROBE_MACHINES) {
		p->step = PROBE_CPUS;
		r = probe_run(p);
		if (r >= 0)
			return;
	}
	probe_finish(p, r);
}

static int on_probe_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	QemuCapsProbe *p = userdata;
	/* Its exit, reaped as usual, ends the probe. */
	p->timed_out = true;
	p->timeout = sd_event_source_disable_unref(p->timeout);
	if (qemu_process_kill(p->process, SIGKILL) < 0)
		probe_finish(p, -ETIMEDOUT);
	return 0;
}

static int probe_run(QemuCapsProbe *p)
{
	char *machines_argv[] = {p->emulator, (char *)"-machine", (char *)"help", NULL};
	char *cpus_argv[] = {p->emulator,    (char *)"-machine", (char *)"none",
			     (char *)"-cpu", (char *)"help",     NULL};

	p->process = qemu_process_free(p->process);
	(void)unlink_if_exists(p->output);
	/* The daemon opens the output file; QEMU only writes to it. */
	return qemu_process_spawn(p->event, p->step == PROBE_MACHINES ? machines_argv : cpus_argv, p->output,
				  -1, p->user, on_probe_exit, p, &p->process);
}

int qemu_caps_probe(sd_event *event, const char *emulator, const char *scratch_dir, QemuProcessUser user,
		    qemu_caps_done_fn cb, void *userdata, QemuCapsProbe **ret)
{
	QemuCapsProbe *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->event = sd_event_ref(event);
	p->emulator = strdup(emulator);
	p->caps = calloc(1, sizeof(QemuCaps));
	p->cb = cb;
	p->userdata = userdata;
	p->user = user;
	p->user.groups = NULL;
	if (user.n_groups > 0) {
		gid_t *groups = calloc(user.n_groups, sizeof(gid_t));
		if (!groups) {
			qemu_caps_probe_free(p);
			return -ENOMEM;
		}
		memcpy(groups, user.groups, user.n_groups * sizeof(gid_t));
		p->user.groups = groups;
	}
	if (!p->emulator || !p->caps || asprintf(&p->output, "%s/caps-probe.out", scratch_dir) < 0) {
		qemu_caps_probe_free(p);
		return -ENOMEM;
	}
	p->caps->emulator = strdup(emulator);
	int r = p->caps->emulator ? probe_run(p) : -ENOMEM;
	if (r >= 0)
		r = sd_event_add_time_relative(event, &p->timeout, CLOCK_MONOTONIC, PROBE_TIMEOUT_USEC, 0,
					       on_probe_timeout, p);
	if (r < 0) {
		qemu_caps_probe_free(p);
		return r;
	}
	*ret = p;
	return 0;
}

QemuCapsProbe *qemu_caps_probe_free(QemuCapsProbe *p)
{
	if (!p)
		return NULL;
	sd_event_source_disable_unref(p->timeout);
	qemu_process_free(p->process);
	qemu_caps_free(p->caps);
	if (p->output)
		(void)unlink_if_exists(p->output);
	free(p->output);
	free(p->emulator);
	free((gid_t *)p->user.groups);
	sd_event_unref(p->event);
	free(p);
	return NULL;
}
