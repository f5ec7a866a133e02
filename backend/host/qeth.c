/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* OSA/qeth devices (qeth.h): what znetconf -u, -c, -a and -r do, in
 * sysfs. */
#include "host/qeth.h"

#include "host/ccw-device.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/sysfs-attr.h"
#include "util/cleanup.h"

#define QETH_GROUP_ATTR "bus/ccwgroup/drivers/qeth/group"

static void qeth_device_done(QethDevice *d)
{
	free(d->id);
	for (int i = 0; i < 3; i++)
		free(d->cdev[i]);
	free(d->card_type);
	free(d->chpid);
	free(d->driver);
	free(d->state);
	free(d->bridge_role);
	free(d->bridge_state);
	free(d->if_name);
	*d = (QethDevice){};
}

void qeth_list_done(QethList *l)
{
	for (size_t i = 0; i < l->n; i++)
		qeth_device_done(&l->devs[i]);
	free(l->devs);
	*l = (QethList){};
}

/* The attribute, or "" when it cannot be read (a card that is not
 * online answers some reads with an error). */
static char *read_or_empty(const char *root, const char *id, const char *attr)
{
	char *v = NULL;
	if (sysfs_read_attrf(root, &v, "bus/ccwgroup/devices/%s/%s", id, attr) < 0)
		return strdup("");
	return v;
}

/* znetconf's names for the qeth control unit models. */
static const char *osa_card_name(const char *cutype, const char *devtype)
{
	if (!cutype || !devtype)
		return NULL;
	if (strcmp(cutype, "1731/01") == 0 && strcmp(devtype, "1732/01") == 0)
		return "OSA (QDIO)";
	if (strcmp(cutype, "1731/05") == 0 && strcmp(devtype, "1732/05") == 0)
		return "HiperSockets";
	if (strcmp(cutype, "1731/06") == 0 && strcmp(devtype, "1732/06") == 0)
		return "OSN";
	return NULL;
}

static int push(QethList *l, QethDevice *d)
{
	QethDevice *n = realloc(l->devs, (l->n + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	l->devs = n;
	l->devs[l->n++] = *d;
	*d = (QethDevice){};
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in root/path, sorted; those that are not bus ids skipped. */
static int list_busids(const char *root, const char *path, char ***ret, size_t *ret_n)
{
	_cleanup_closedir_ DIR *d = sysfs_opendirf(root, "%s", path);
	if (!d) {
		*ret = NULL;
		*ret_n = 0;
		return errno == ENOENT ? 0 : negative_errno();
	}
	_cleanup_strv_free_ char **v = NULL;
	size_t n = 0;
	for (struct dirent *e; (errno = 0, e = readdir(d));) {
		if (!ccw_busid_valid(e->d_name))
			continue;
		char **nv = realloc(v, (n + 2) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		v = nv;
		v[n + 1] = NULL;
		if (!(v[n] = strdup(e->d_name)))
			return -ENOMEM;
		n++;
	}
	if (errno)
		return negative_errno();
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	*ret = TAKE_PTR(v);
	*ret_n = n;
	return 0;
}

static int read_group(const char *root, const char *id, QethDevice *g)
{
	g->configured = true;
	if (!(g->id = strdup(id)))
		return -ENOMEM;
	for (int i = 0; i < 3; i++) {
		char link[64];
		snprintf(link, sizeof(link), "bus/ccwgroup/devices/%s/cdev%d", id, i);
		if (sysfs_link_basename(root, link, &g->cdev[i]) < 0 && !(g->cdev[i] = strdup("")))
			return -ENOMEM;
	}
	_cleanup_free_ char *online = NULL, *layer2 = NULL, *buffers = NULL;
	g->card_type = read_or_empty(root, id, "card_type");
	g->chpid = read_or_empty(root, id, "chpid");
	g->driver = strdup("qeth");
	g->state = read_or_empty(root, id, "state");
	g->bridge_role = read_or_empty(root, id, "bridge_role");
	g->bridge_state = read_or_empty(root, id, "bridge_state");
	g->if_name = read_or_empty(root, id, "if_name");
	online = read_or_empty(root, id, "online");
	layer2 = read_or_empty(root, id, "layer2");
	buffers = read_or_empty(root, id, "buffer_count");
	if (!g->card_type || !g->chpid || !g->driver || !g->state || !g->bridge_role || !g->bridge_state ||
	    !g->if_name || !online || !layer2 || !buffers)
		return -ENOMEM;
	g->online = strcmp(online, "1") == 0;
	g->layer2 = strcmp(layer2, "1") == 0;
	g->buffer_count = (uint32_t)strtoul(buffers, NULL, 10);
	return 0;
}

/* A ccw device that can be in an unconfigured qeth device: an OSA (or
 * HiperSockets) device bound to the qeth ccw driver, in no group. */
typedef struct Free {
	char *busid, *card, *chpid;
	unsigned css, ssid, devno;
} Free;

static void free_done(Free *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].busid);
		free(f[i].card);
		free(f[i].chpid);
	}
	free(f);
}

static int read_free(const char *root, Free **ret, size_t *ret_n)
{
	_cleanup_strv_free_ char **ids = NULL;
	size_t n_ids;
	int r = list_busids(root, "bus/ccw/devices", &ids, &n_ids);
	if (r < 0)
		return r;
	Free *f = calloc(n_ids + 1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < n_ids; i++) {
		_cleanup_free_ char *cu = NULL, *dev = NULL, *driver = NULL, *chpids = NULL;
		char path[96];
		(void)sysfs_read_attrf(root, &cu, "bus/ccw/devices/%s/cutype", ids[i]);
		(void)sysfs_read_attrf(root, &dev, "bus/ccw/devices/%s/devtype", ids[i]);
		const char *card = osa_card_name(cu, dev);
		if (!card)
			continue;
		snprintf(path, sizeof(path), "bus/ccw/devices/%s/driver", ids[i]);
		if (sysfs_link_basename(root, path, &driver) < 0 || strcmp(driver, "qeth") != 0)
			continue;
		snprintf(path, sizeof(path), "bus/ccw/devices/%s/group_device", ids[i]);
		if (sysfs_exists(root, path))
			continue;
		/* The subchannel's first channel path, as znetconf shows it. */
		(void)sysfs_read_attrf(root, &chpids, "bus/ccw/devices/%s/../chpids", ids[i]);
		Free *x = &f[n];
		if (sscanf(ids[i], "%x.%x.%x", &x->css, &x->ssid, &x->devno) != 3)
			continue;
		x->busid = strdup(ids[i]);
		x->card = strdup(card);
		x->chpid = strndup(chpids ?: "", strcspn(chpids ?: "", " "));
		n++;
		if (!x->busid || !x->card || !x->chpid) {
			free_done(f, n);
			return -ENOMEM;
		}
	}
	*ret = f;
	*ret_n = n;
	return 0;
}

/* Three consecutive free devices from f[i] on, as znetconf pairs them. */
static bool triplet_at(const Free *f, size_t n, size_t i)
{
	if (i + 2 >= n)
		return false;
	for (size_t k = 1; k < 3; k++)
		if (f[i + k].css != f[i].css || f[i + k].ssid != f[i].ssid ||
		    f[i + k].devno != f[i].devno + k || strcmp(f[i + k].chpid, f[i].chpid) != 0)
			return false;
	return true;
}

int qeth_list(const char *root, QethList *ret, ZvError *err)
{
	_cleanup_strv_free_ char **groups = NULL;
	size_t n_groups;
	QethList l = {};
	int r = list_busids(root, "bus/ccwgroup/devices", &groups, &n_groups);
	if (r < 0)
		return zv_error_set(err, ZV_ERROR_HOST, r, "Cannot list %s/bus/ccwgroup/devices: %s", root,
				    strerror(-r));
	for (size_t i = 0; i < n_groups; i++) {
		char path[96];
		snprintf(path, sizeof(path), "bus/ccwgroup/drivers/qeth/%s", groups[i]);
		if (!sysfs_exists(root, path))
			continue; /* another ccwgroup driver's (ctcm, lcs) */
		QethDevice g = {};
		r = read_group(root, groups[i], &g);
		if (r >= 0)
			r = push(&l, &g);
		qeth_device_done(&g);
		if (r < 0)
			goto fail;
	}

	Free *f = NULL;
	size_t n_free = 0;
	r = read_free(root, &f, &n_free);
	if (r < 0)
		goto fail;
	for (size_t i = 0; r >= 0 && i < n_free; i++) {
		if (!triplet_at(f, n_free, i))
			continue;
		QethDevice u = {.driver = strdup("qeth"),
				.id = strdup(f[i].busid),
				.card_type = strdup(f[i].card),
				.chpid = strdup(f[i].chpid),
				.state = strdup(""),
				.bridge_role = strdup(""),
				.bridge_state = strdup(""),
				.if_name = strdup("")};
		for (int k = 0; k < 3; k++)
			u.cdev[k] = strdup(f[i + k].busid);
		r = u.driver && u.id && u.card_type && u.chpid && u.state && u.bridge_role &&
				    u.bridge_state && u.if_name && u.cdev[0] && u.cdev[1] && u.cdev[2]
			    ? push(&l, &u)
			    : -ENOMEM;
		qeth_device_done(&u);
		i += 2;
	}
	free_done(f, n_free);
	if (r < 0)
		goto fail;
	*ret = l;
	return 0;
fail:
	qeth_list_done(&l);
	return zv_error_set(err, ZV_ERROR_HOST, r, "Cannot read the qeth devices: %s", strerror(-r));
}

int qeth_options_check(const QethOptions *opts, ZvError *err)
{
	if (opts->has_buffer_count && (opts->buffer_count < 8 || opts->buffer_count > 128))
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "buffer_count %u is out of range (8 to 128)", opts->buffer_count);
	if (opts->bridge_role && strcmp(opts->bridge_role, "none") != 0 &&
	    strcmp(opts->bridge_role, "primary") != 0 && strcmp(opts->bridge_role, "secondary") != 0)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "bridge_role must be none, primary or secondary");
	return 0;
}

int qeth_find_triplet(const char *root, const char *busid, char *ret[3], ZvError *err)
{
	char path[96];
	snprintf(path, sizeof(path), "bus/ccw/devices/%s", busid);
	if (!sysfs_exists(root, path))
		return zv_error_set(err, ZV_ERROR_NO_SUCH_DEVICE, ENODEV, "There is no ccw device %s",
				    busid);
	snprintf(path, sizeof(path), "bus/ccw/devices/%s/group_device", busid);
	_cleanup_free_ char *group = NULL;
	if (sysfs_link_basename(root, path, &group) >= 0)
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EEXIST,
				    "ccw device %s is already in the qeth device %s", busid, group);

	Free *f = NULL;
	size_t n = 0;
	int r = read_free(root, &f, &n);
	if (r < 0)
		return zv_error_set(err, ZV_ERROR_HOST, r, "Cannot read the ccw devices: %s", strerror(-r));
	r = -ENODEV;
	for (size_t i = 0; i < n; i++) {
		if (!triplet_at(f, n, i))
			continue;
		if (strcmp(f[i].busid, busid) == 0) {
			for (int k = 0; k < 3; k++)
				ret[k] = TAKE_PTR(f[i + k].busid);
			r = 0;
			break;
		}
		i += 2;
	}
	if (r < 0)
		(void)zv_error_set(err, ZV_ERROR_NO_SUCH_DEVICE, ENODEV,
				   "ccw device %s is not the read device of an unconfigured OSA device",
				   busid);
	free_done(f, n);
	return r;
}

/* One store of the group, the kernel's refusal said in words. */
static int group_store(const char *root, const char *id, const char *attr, const char *value, ZvError *err)
{
	char path[96];
	snprintf(path, sizeof(path), "bus/ccwgroup/devices/%s/%s", id, attr);
	int r = sysfs_write_attr(root, path, value);
	switch (r) {
	case 0:
		return 0;
	case -EPERM:
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, -r,
				    "qeth device %s: cannot change %s while online", id, attr);
	case -EOPNOTSUPP:
		return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, -r,
				    "qeth device %s does not support %s %s%s", id, attr, value,
				    strcmp(attr, "bridge_role") == 0 ? " (bridge ports need layer2)" : "");
	case -EINVAL:
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, -r, "the kernel refused %s for %s of %s",
				    value, attr, id);
	case -EBUSY:
		return zv_error_set(err, ZV_ERROR_BUSY, -r, "qeth device %s: device busy", id);
	case -ENODEV:
		return zv_error_set(err, ZV_ERROR_HOST, -r, "qeth device %s: not operational", id);
	case -ENOENT:
		return zv_error_set(err, ZV_ERROR_NO_SUCH_DEVICE, -r, "There is no qeth device %s", id);
	default:
		return zv_error_set(err, ZV_ERROR_HOST, -r, "qeth device %s: writing %s to %s failed: %s",
				    id, value, attr, strerror(-r));
	}
}

static bool is_group(const char *root, const char *id)
{
	char path[96];
	snprintf(path, sizeof(path), "bus/ccwgroup/drivers/qeth/%s", id);
	return sysfs_exists(root, path);
}

int qeth_group(const char *root, char *const cdev[3], const QethOptions *opts, char **ret_if_name,
	       ZvError *err)
{
	for (int i = 0; i < 3; i++) {
		char path[96];
		_cleanup_free_ char *group = NULL;
		snprintf(path, sizeof(path), "bus/ccw/devices/%s", cdev[i]);
		if (!sysfs_exists(root, path))
			return zv_error_set(err, ZV_ERROR_NO_SUCH_DEVICE, ENODEV,
					    "There is no ccw device %s", cdev[i]);
		snprintf(path, sizeof(path), "bus/ccw/devices/%s/group_device", cdev[i]);
		if (sysfs_link_basename(root, path, &group) >= 0)
			return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EEXIST,
					    "ccw device %s is already in the qeth device %s", cdev[i],
					    group);
	}
	_cleanup_free_ char *value = NULL;
	if (asprintf(&value, "%s,%s,%s", cdev[0], cdev[1], cdev[2]) < 0)
		return -ENOMEM;
	int r = sysfs_write_attr(root, QETH_GROUP_ATTR, value);
	if (r == -EINVAL)
		return zv_error_set(
			err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
			"the kernel refused to group %s (not three free OSA devices of one port)", value);
	if (r < 0)
		return zv_error_set(err, ZV_ERROR_HOST, r, "Grouping %s failed: %s", value, strerror(-r));

	const char *id = cdev[0];
	char num[16];
	if (opts->has_layer2 && (r = group_store(root, id, "layer2", opts->layer2 ? "1" : "0", err)) < 0)
		goto undo;
	snprintf(num, sizeof(num), "%u", opts->buffer_count);
	if (opts->has_buffer_count && (r = group_store(root, id, "buffer_count", num, err)) < 0)
		goto undo;
	if (opts->bridge_role && (r = group_store(root, id, "bridge_role", opts->bridge_role, err)) < 0)
		goto undo;
	if (opts->online && (r = group_store(root, id, "online", "1", err)) < 0)
		goto undo;

	if (!opts->online)
		*ret_if_name = strdup("");
	else if (sysfs_read_attrf(root, ret_if_name, "bus/ccwgroup/devices/%s/if_name", id) < 0)
		*ret_if_name = strdup("");
	return *ret_if_name ? 0 : -ENOMEM;
undo:
	/* Leave nothing half made: offline (a failed online may have left
	 * it partly up) and ungrouped again. */
	(void)group_store(root, id, "online", "0", NULL);
	(void)group_store(root, id, "ungroup", "1", NULL);
	return r;
}

int qeth_set_online(const char *root, const char *id, bool online, ZvError *err)
{
	if (!is_group(root, id))
		return zv_error_set(err, ZV_ERROR_NO_SUCH_DEVICE, ENODEV, "There is no qeth device %s", id);
	return group_store(root, id, "online", online ? "1" : "0", err);
}

int qeth_ungroup(const char *root, const char *id, ZvError *err)
{
	if (!is_group(root, id))
		return zv_error_set(err, ZV_ERROR_NO_SUCH_DEVICE, ENODEV, "There is no qeth device %s", id);
	_cleanup_free_ char *online = NULL;
	int r;
	if (sysfs_read_attrf(root, &online, "bus/ccwgroup/devices/%s/online", id) >= 0 &&
	    strcmp(online, "0") != 0 && (r = group_store(root, id, "online", "0", err)) < 0)
		return r;
	return group_store(root, id, "ungroup", "1", err);
}
