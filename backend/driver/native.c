/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* DomainXMLToNative (virsh domxml-to-native): the QEMU command line a
 * Start of a document would run. The document is parsed on a worker
 * thread as DefineXML parses it; on the loop the emulator is checked,
 * the machine alias expanded, the devices named and the accelerator
 * picked as a start does, and qemu_build_argv() builds the line. Where a
 * start hands QEMU descriptors (the monitor's listening socket, the
 * console log's pipe) the line names the files instead. Nothing is
 * defined, written or started, and no other domain is looked at. */

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accelerator.h"
#include "dac.h"
#include "host/scsi-host.h"
#include "qemu/cmdline.h"
#include "registry-internal.h"
#include "store.h"
#include "util/cleanup.h"
#include "util/memory.h"

struct NativeJob {
	Registry *registry;
	struct NativeJob *next, *prev; /* in flight, to answer if we stop */
	const char *xml;
	size_t len;
	char *emulator; /* the default, copied: a reload may replace the settings */
	registry_native_fn cb;
	void *userdata;
	DomainDef *def; /* filled in the worker thread */
	ZvError err;
};

static void native_job_unlink(NativeJob *j)
{
	Registry *r = j->registry;
	if (j->prev)
		j->prev->next = j->next;
	else
		r->native_jobs = j->next;
	if (j->next)
		j->next->prev = j->prev;
}

static void native_job_free(NativeJob *j)
{
	domain_def_free(j->def);
	free(j->emulator);
	free(j);
}

static int native_parse(void *userdata)
{
	NativeJob *j = userdata;
	DomainXMLDefaults defaults = {.emulator = j->emulator};
	int k = domain_def_parse(j->xml, j->len, &defaults, 0, &j->def, &j->err);
	memory_release_after(j->len);
	return k;
}

/* What Start would run for def (completed here as a start does). */
static int build_line(Registry *r, DomainDef *def, char **ret, ZvError *err)
{
	const Settings *s = r->settings;
	char uuid_hex[SD_ID128_STRING_MAX];
	_cleanup_free_ char *qmp = NULL, *pidfile = NULL, *console_log = NULL;
	_cleanup_strv_free_ char **argv = NULL;
	bool kvm;

	int k = dac_check_emulator(s, def, err);
	if (k >= 0)
		k = registry_expand_machine(r, def, err);
	if (k >= 0)
		k = domain_def_pick_accelerator(s, def, &kvm, err);
	/* A SCSI host device's sg node, found as a start finds it. */
	for (size_t i = 0; k >= 0 && i < def->n_hostdevs; i++) {
		HostdevDef *h = &def->hostdevs[i];
		k = host_scsi_sg_path(s->sysfs_root, s->dev_root, h->adapter, h->host_bus, h->host_target,
				      h->host_unit, &h->live_sg_path, err);
		if (k == -ENOMEM)
			k = zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	}
	if (k < 0)
		return k;
	sd_id128_to_string(def->uuid, uuid_hex);
	if (domain_def_assign_aliases(def) < 0 || !(qmp = store_path(s->run_dir, uuid_hex, ".qmp")) ||
	    !(pidfile = store_path(s->run_dir, uuid_hex, ".pid")) ||
	    asprintf(&console_log, "%s/%s.console", s->log_dir, def->name) < 0)
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");

	QemuCmdlineParams params = {
		.use_kvm = kvm,
		.qmp_fd = -1,
		.qmp_path = qmp,
		.emulator = s->emulator,
		.default_console_log = console_log,
		.pidfile = pidfile,
	};
	k = qemu_build_argv(def, &params, &argv, err);
	if (k < 0)
		return k;
	*ret = qemu_argv_to_string(argv);
	return *ret ? 0 : zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
}

static void native_parsed(int result, void *userdata)
{
	NativeJob *j = userdata;
	Registry *r = j->registry;
	_cleanup_free_ char *line = NULL;

	native_job_unlink(j);
	if (result >= 0)
		result = build_line(r, j->def, &line, &j->err);
	j->cb(r, result < 0 ? result : 0, result < 0 ? NULL : line, result < 0 ? &j->err : NULL,
	      j->userdata);
	native_job_free(j);
}

int registry_xml_to_native_async(Registry *r, const char *xml, size_t len, registry_native_fn cb,
				 void *userdata)
{
	assert(r);
	assert(xml);
	assert(cb);

	int k = registry_start_worker(r);
	if (k < 0)
		return k;
	NativeJob *j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	*j = (NativeJob){
		.registry = r, .xml = xml, .len = len, .cb = cb, .userdata = userdata, .err = ZV_ERROR_INIT};
	if (r->settings->emulator && !(j->emulator = strdup(r->settings->emulator))) {
		free(j);
		return -ENOMEM;
	}
	k = worker_submit(r->worker, native_parse, native_parsed, j, NULL);
	if (k < 0) {
		native_job_free(j);
		return k;
	}
	j->next = r->native_jobs;
	if (j->next)
		j->next->prev = j;
	r->native_jobs = j;
	return 0;
}

void registry_cancel_natives(Registry *r)
{
	NativeJob *j;
	while ((j = r->native_jobs)) {
		ZvError err = ZV_ERROR_INIT;
		int k = zv_error_set(&err, ZV_ERROR_CANCELLED, ESHUTDOWN,
				     "zvirtd is stopping: no command line was built");
		native_job_unlink(j);
		j->cb(r, k, NULL, &err, j->userdata);
		native_job_free(j);
	}
}
