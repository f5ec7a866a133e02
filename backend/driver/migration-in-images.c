/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The destination's images of a migration's copied disks
 * (migration-in-images.h). */
#include "migration-in-images.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/migration-disks.h"
#include "qemu/image.h"
#include "registry-internal.h"
#include "util/cleanup.h"
#include "util/log.h"

void incoming_images_done(IncomingImages *images)
{
	for (size_t i = 0; i < images->n; i++) {
		free(images->v[i].path);
		free(images->v[i].backing);
	}
	free(images->v);
	*images = (IncomingImages){};
}

int incoming_images_plan(IncomingImages *images, const DomainDef *def, const DomainIncomingParams *p,
			 ZvError *err)
{
	if (p->storage == MIGRATION_STORAGE_NONE) {
		if (p->n_copy > 0)
			return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
					    "copy-disks needs copy-storage (all or inc)");
		return 1;
	}
	if (p->n_copy == 0)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL,
				    "copy-storage needs copy-disks: the disks and their sizes");
	_cleanup_free_ size_t *idx = NULL;
	size_t n = 0;
	int k = domain_def_migration_disks(def, p->storage, p->copy_disks, &idx, &n, err);
	if (k < 0)
		return k;
	if (n != p->n_copy)
		return zv_error_set(err, ZV_ERROR_INVALID_ARGUMENT, EINVAL, "copy-disks names a disk twice");
	if (!(images->v = calloc(n, sizeof(*images->v))))
		return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
	for (size_t i = 0; i < n; i++) {
		const DiskDef *disk = &def->disks[idx[i]];
		IncomingImage *img = &images->v[images->n++];
		*img = (IncomingImage){.type = disk->type, .format = disk->format};
		for (size_t c = 0; c < p->n_copy; c++)
			if (strcmp(p->copy_disks[c], disk->target) == 0)
				img->size = p->copy_sizes[c];
		if (!(img->path = strdup(disk->source)) ||
		    (disk->n_backing > 0 && !(img->backing = strdup(disk->backing[0].source))))
			return zv_error_set(err, ZV_ERROR_HOST, ENOMEM, "Out of memory");
		if (disk->n_backing > 0)
			img->backing_format = disk->backing[0].format;
	}
	return 0;
}

void incoming_images_undo(IncomingImages *images)
{
	for (size_t i = 0; i < images->n; i++)
		if (images->v[i].created) {
			(void)unlink(images->v[i].path);
			images->v[i].created = false;
		}
}

int incoming_images_prepare(IncomingImages *images, ZvError *err)
{
	for (size_t i = 0; i < images->n; i++) {
		IncomingImage *img = &images->v[i];
		QemuImageSizes sizes;
		int k = qemu_image_read_sizes(img->path, img->format, &sizes);
		if (k == -ENOENT && img->type == DISK_TYPE_FILE) {
			k = qemu_image_create(img->path, img->format, img->size, img->backing,
					      img->backing_format, err);
			if (k < 0) {
				incoming_images_undo(images);
				return k;
			}
			img->created = true;
			continue;
		}
		if (k < 0) {
			incoming_images_undo(images);
			return zv_error_set(err, ZV_ERROR_HOST, -k, "Cannot read the image %s: %s",
					    img->path, strerror(-k));
		}
		if (sizes.capacity != img->size) {
			incoming_images_undo(images);
			return zv_error_set(err, ZV_ERROR_OPERATION_INVALID, EINVAL,
					    "The image %s here holds %llu bytes, the source's disk %llu: "
					    "the copy needs the same size",
					    img->path, (unsigned long long)sizes.capacity,
					    (unsigned long long)img->size);
		}
	}
	return 0;
}

char **incoming_images_take_created(IncomingImages *images)
{
	size_t n = 0;
	for (size_t i = 0; i < images->n; i++)
		n += images->v[i].created;
	char **v = n ? calloc(n + 1, sizeof(*v)) : NULL;
	for (size_t i = 0, k = 0; v && i < images->n; i++)
		if (images->v[i].created)
			v[k++] = TAKE_PTR(images->v[i].path);
	return v;
}

static int remove_images(void *userdata)
{
	for (char **p = userdata; p && *p; p++)
		if (unlink(*p) < 0 && errno != ENOENT)
			log_warning("Cannot remove the image %s created for a failed migration: %m", *p);
		else
			log_info("Removed the image %s created for the failed migration", *p);
	return 0;
}

static void on_images_removed(int result, void *userdata)
{
	strv_free(userdata);
}

void incoming_images_remove_later(Registry *r, char **created)
{
	if (!created)
		return;
	if (registry_start_worker(r) < 0 ||
	    worker_submit(r->worker, remove_images, on_images_removed, created, NULL) < 0) {
		remove_images(created);
		strv_free(created);
	}
}
