/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Block node queries of the monitor (monitor.h): the image sizes QEMU
 * knows of each node, for GetStats' domblkinfo values. */

#include <errno.h>
#include <stdlib.h>

#include "monitor-internal.h"
#include "util/cleanup.h"

typedef struct NodesCtx {
	qemu_monitor_block_nodes_fn cb;
	void *userdata;
} NodesCtx;

static bool json_size(json_object *o, const char *key, uint64_t *ret)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0)
		return false;
	*ret = (uint64_t)json_object_get_int64(v);
	return true;
}

static void on_nodes(QemuMonitor *mon, int r, json_object *result, const char *error, void *ctx)
{
	_cleanup_free_ NodesCtx *c = ctx;
	size_t n = r >= 0 && json_object_is_type(result, json_type_array) ? json_object_array_length(result)
									  : 0;
	_cleanup_free_ QemuBlockNode *v = n ? calloc(n, sizeof(*v)) : NULL;
	size_t k = 0;

	if (n && !v) {
		r = -ENOMEM;
		error = "Out of memory";
		n = 0;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *node = json_object_array_get_idx(result, i), *name = NULL, *image = NULL;
		/* A node without a name or an image is no node we asked for. */
		if (!json_object_object_get_ex(node, "node-name", &name) ||
		    !json_object_is_type(name, json_type_string) ||
		    !json_object_object_get_ex(node, "image", &image) ||
		    !json_size(image, "virtual-size", &v[k].virtual_size))
			continue;
		v[k].node_name = json_object_get_string(name);
		v[k].has_actual_size = json_size(image, "actual-size", &v[k].actual_size);
		k++;
	}
	c->cb(mon, r, v, k, error, c->userdata);
}

int qemu_monitor_query_named_block_nodes(QemuMonitor *mon, qemu_monitor_block_nodes_fn cb, void *userdata)
{
	/* flat: each node once, without the backing chain under each. */
	json_object *args = json_object_new_object();
	NodesCtx *c = malloc(sizeof(*c));
	if (!args || !c || json_object_object_add(args, "flat", json_object_new_boolean(true)) < 0) {
		json_object_put(args);
		free(c);
		return -ENOMEM;
	}
	*c = (NodesCtx){.cb = cb, .userdata = userdata};
	int r = monitor_send(mon, "query-named-block-nodes", args, -1, on_nodes, c, free);
	if (r < 0)
		free(c);
	return r;
}
