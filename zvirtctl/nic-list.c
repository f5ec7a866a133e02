/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nic-list.h"

#include "call.h"
#include "util/cleanup.h"

#define NIC_IFACE "org.zvirt1.NetworkInterface"
/* More than a definition takes (the devno space is the limit elsewhere). */
#define NICS_MAX 1024

static void nic_done(Nic *n)
{
	free(n->path);
	free(n->type);
	free(n->source);
	free(n->mac);
	free(n->model);
	free(n->target);
	free(n->link_state);
}

void nic_list_done(NicList *l)
{
	for (size_t i = 0; i < l->n; i++)
		nic_done(&l->nics[i]);
	free(l->nics);
	*l = (NicList){0};
}

static int read_nic_property(sd_bus_message *m, const char *key, void *userdata)
{
	static const struct {
		const char *name;
		size_t offset;
	} map[] = {
		{"Type", offsetof(Nic, type)},
		{"Source", offsetof(Nic, source)},
		{"MAC", offsetof(Nic, mac)},
		{"Model", offsetof(Nic, model)},
		{"TargetDevice", offsetof(Nic, target)},
		{"LinkState", offsetof(Nic, link_state)},
	};
	for (size_t i = 0; i < ELEMENTSOF(map); i++)
		if (strcmp(map[i].name, key) == 0) {
			char **field = (char **)((char *)userdata + map[i].offset);
			const char *value;
			int r = sd_bus_message_read(m, "v", "s", &value);
			if (r >= 0 && !(*field = strdup(value)))
				r = -ENOMEM;
			return r;
		}
	return sd_bus_message_skip(m, "v");
}

static int nic_get(Ctl *ctl, const char *path, Nic *ret, sd_bus_error *error)
{
	int r = call_get_all(ctl, path, NIC_IFACE, read_nic_property, ret, error);

	if (r >= 0 && !(ret->path = strdup(path)))
		r = -ENOMEM;
	return r;
}

int nic_list_get(Ctl *ctl, const char *domain_path, NicList *ret, sd_bus_error *error)
{
	/* The indexes have no gaps (a detach renumbers): the first missing one ends them. */
	for (size_t i = 0; i < NICS_MAX; i++) {
		_cleanup_free_ char *path = NULL;
		Nic nic = {0};

		if (asprintf(&path, "%s/interface/%zu", domain_path, i) < 0)
			return -ENOMEM;
		int r = nic_get(ctl, path, &nic, error);
		if (r < 0) {
			nic_done(&nic);
			if (sd_bus_error_has_names(error, SD_BUS_ERROR_UNKNOWN_OBJECT,
						   SD_BUS_ERROR_UNKNOWN_INTERFACE,
						   SD_BUS_ERROR_UNKNOWN_METHOD)) {
				sd_bus_error_free(error);
				return 0;
			}
			return r;
		}
		Nic *more = realloc(ret->nics, (ret->n + 1) * sizeof(Nic));
		if (!more) {
			nic_done(&nic);
			return -ENOMEM;
		}
		ret->nics = more;
		ret->nics[ret->n++] = nic;
	}
	return 0;
}

const Nic *nic_list_find(const NicList *l, const char *spec)
{
	for (size_t i = 0; i < l->n; i++) {
		const Nic *n = &l->nics[i];
		if ((n->mac && strcasecmp(n->mac, spec) == 0) ||
		    (n->target && *n->target && strcmp(n->target, spec) == 0))
			return n;
	}
	return NULL;
}
