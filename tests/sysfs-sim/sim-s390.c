/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The simulated s390 devices (sim-s390.h). Each store answers as the
 * kernel's does: the same errno for the same mistake, the same files
 * appearing and going, the same uevents. */
#include "sim-s390.h"

#include <errno.h>
#include <ini.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "sim-loop.h"
#include "sim-tree.h"
#include "sim-uevent.h"

#define MAX_DEVICES 4096
#define MAX_PORTS   8
#define MAX_LUNS    16

typedef enum DevKind { DEV_ECKD, DEV_FBA, DEV_ALIAS, DEV_ZFCP, DEV_OSA } DevKind;

typedef struct Lun {
	uint64_t lun;
	int type; /* SCSI peripheral type: 0 disk, 1 tape, 8 medium changer */
	char vendor[16], model[24], rev[8], wwid[40];
	bool multipath;
	bool unit;    /* unit_add done (or found by the LUN scan) */
	bool scanned; /* its SCSI device exists */
	struct timespec due;
	bool pending;
	int sg, node; /* sg<N>; sd<letter>/st<N>/sch<N> index */
	int dm;       /* dm-<N> of its multipath map */
	int loop_fd;  /* a disk's loop device (sim-loop.h), -1 none */
} Lun;

typedef struct Port {
	uint64_t wwpn;
	unsigned target;
	Lun luns[MAX_LUNS];
	size_t n_luns;
} Port;

typedef struct Dev {
	DevKind kind;
	char busid[16];
	unsigned schid;
	bool online, busy, not_operational;
	bool ignored, listed;    /* on the cio_ignore list now / in the scenario's */
	unsigned slow_online_ms; /* how long its online store takes */
	SimEntry *online_attr;
	/* DASD */
	unsigned long long blocks;
	unsigned block_size;
	bool formatted;
	char uid[64];
	char base[16]; /* alias: its base device */
	int dasd_index;
	int loop_fd; /* the block device's loop device (sim-loop.h), -1 none */
	/* zfcp */
	unsigned host_no;
	bool npiv;
	Port ports[MAX_PORTS];
	size_t n_ports;
	/* OSA */
	struct Group *group;
} Dev;

typedef struct Group {
	char id[16];
	Dev *cdev[3];
	bool online, layer2;
	unsigned buffer_count;
	char bridge_role[16];
	SimEntry *online_attr, *layer2_attr, *buffer_attr, *role_attr, *state_attr, *if_attr, *bstate_attr;
} Group;

static Dev devices[MAX_DEVICES];
static size_t n_devices;
static const char *dev_root;
static int next_dasd, next_sg, next_sd, next_st, next_sch, next_dm;
static unsigned next_host = 100; /* scenario hosts come first */

/* ---- helpers --------------------------------------------------------------- */

static Dev *find_dev(const char *busid)
{
	for (size_t i = 0; i < n_devices; i++)
		if (strcmp(devices[i].busid, busid) == 0)
			return &devices[i];
	return NULL;
}

static const char *devpath(const Dev *d, char buf[static 64])
{
	snprintf(buf, 64, "/devices/css0/0.0.%04x/%s", d->schid, d->busid);
	return buf;
}

/* A store's value without its newline, as the kernel's sysfs_streq. */
static int value_of(const char *buf, size_t len, char out[static 64])
{
	while (len && (buf[len - 1] == '\n'))
		len--;
	if (len >= 64)
		return -EINVAL;
	memcpy(out, buf, len);
	out[len] = 0;
	return 0;
}

/* kstrtoull(base 0): the whole string, decimal, 0x hex or 0 octal. */
static int parse_u64(const char *s, uint64_t *ret)
{
	char *end;
	if (!*s || *s == '-' || *s == ' ')
		return -EINVAL;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* A node below the devroot: a placeholder file, or a symlink. */
static void dev_node(const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dev_root, name);
	FILE *f = fopen(path, "w");
	if (f)
		fclose(f);
}

/* A disk's node: a block device node of a loop device on the disk's
 * image when the simulator has a backing directory, else a placeholder;
 * *loop_fd holds the loop device until the disk goes. */
static void dev_disk_node(const char *name, const char *image, unsigned long long bytes, unsigned block_size,
			  int *loop_fd)
{
	dev_t dev;
	if (*loop_fd < 0)
		*loop_fd = sim_loop_attach(image, bytes, block_size, &dev);
	else {
		struct stat st;
		if (fstat(*loop_fd, &st) < 0)
			return;
		dev = st.st_rdev;
	}
	if (*loop_fd < 0) {
		dev_node(name);
		return;
	}
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dev_root, name);
	(void)unlink(path);
	if (mknod(path, S_IFBLK | 0660, dev) < 0)
		fprintf(stderr, "sysfs-sim: mknod %s: %m\n", path);
}

static void loop_release(int *loop_fd)
{
	if (*loop_fd >= 0)
		close(*loop_fd);
	*loop_fd = -1;
}

static void dev_link(const char *target, const char *name)
{
	char path[512], dir[512];
	snprintf(path, sizeof(path), "%s/%s", dev_root, name);
	snprintf(dir, sizeof(dir), "%s", path);
	for (char *s = strchr(dir + strlen(dev_root) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = 0;
		(void)mkdir(dir, 0755);
		*s = '/';
	}
	(void)unlink(path);
	(void)!symlink(target, path);
}

static void dev_unlink(const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dev_root, name);
	(void)unlink(path);
}

static void disk_name(int index, char out[static 16], const char *prefix)
{
	/* dasda..dasdz, dasdaa..: the kernel's letters. */
	char letters[8];
	int n = 0, i = index;
	do {
		letters[n++] = (char)('a' + i % 26);
		i = i / 26 - 1;
	} while (i >= 0 && n < 7);
	int k = snprintf(out, 16, "%s", prefix);
	while (n--)
		out[k++] = letters[n];
	out[k] = 0;
}

static void ccw_change(Dev *d)
{
	char p[64];
	sim_uevent("change", devpath(d, p), "ccw", NULL);
}

/* ---- DASD ------------------------------------------------------------------ */

static void dasd_block_add(Dev *d)
{
	char p[64], name[16], target[128];
	devpath(d, p);
	if (d->dasd_index < 0)
		d->dasd_index = next_dasd++;
	disk_name(d->dasd_index, name, "dasd");
	unsigned long long sectors = d->formatted ? d->blocks * d->block_size / 512 : 0;
	char v[64];
	sim_file(d->kind == DEV_FBA ? "FBA" : "ECKD", "%s/discipline", p);
	sim_file(d->formatted ? "online" : "unformatted", "%s/status", p);
	snprintf(v, sizeof(v), "94:%d", d->dasd_index * 4);
	sim_file(v, "%s/block/%s/dev", p, name);
	snprintf(v, sizeof(v), "%llu", sectors);
	sim_file(v, "%s/block/%s/size", p, name);
	snprintf(v, sizeof(v), "%u", d->block_size);
	sim_file(v, "%s/block/%s/queue/logical_block_size", p, name);
	sim_file(v, "%s/block/%s/queue/hw_sector_size", p, name);
	sim_file("0", "%s/block/%s/ro", p, name);
	snprintf(target, sizeof(target), "../../../%s", d->busid);
	sim_link(target, "%s/block/%s/device", p, name);
	snprintf(target, sizeof(target), "../../devices/css0/0.0.%04x/%s/block/%s", d->schid, d->busid,
		 name);
	sim_link(target, "/class/block/%s", name);
	/* An unformatted DASD is a block device too, of size 0. */
	char image[64];
	snprintf(image, sizeof(image), "dasd-%s.img", d->busid);
	dev_disk_node(name, image, d->formatted ? d->blocks * d->block_size : 0, d->block_size, &d->loop_fd);
	snprintf(target, sizeof(target), "../../%s", name);
	char by_path[64];
	snprintf(by_path, sizeof(by_path), "disk/by-path/ccw-%s", d->busid);
	dev_link(target, by_path);
	/* udev's by-id name, from the UID the kernel shows once it is online. */
	if (d->formatted && d->uid[0]) {
		char by_id[96];
		snprintf(by_id, sizeof(by_id), "disk/by-id/ccw-%s", d->uid);
		dev_link(target, by_id);
	}
	char bp[128], devname[32];
	snprintf(bp, sizeof(bp), "%s/block/%s", p, name);
	snprintf(devname, sizeof(devname), "DEVNAME=%s", name);
	const char *extra[] = {devname, "DEVTYPE=disk", NULL};
	sim_uevent("add", bp, "block", extra);
}

static void dasd_block_remove(Dev *d)
{
	char p[64], name[16], by_path[64], bp[128];
	devpath(d, p);
	disk_name(d->dasd_index, name, "dasd");
	snprintf(bp, sizeof(bp), "%s/block/%s", p, name);
	sim_remove("%s/block", p);
	sim_remove("/class/block/%s", name);
	sim_remove("%s/discipline", p);
	sim_file("offline", "%s/status", p);
	dev_unlink(name);
	loop_release(&d->loop_fd);
	snprintf(by_path, sizeof(by_path), "disk/by-path/ccw-%s", d->busid);
	dev_unlink(by_path);
	if (d->uid[0]) {
		char by_id[96];
		snprintf(by_id, sizeof(by_id), "disk/by-id/ccw-%s", d->uid);
		dev_unlink(by_id);
	}
	sim_uevent("remove", bp, "block", NULL);
}

/* ---- zfcp ------------------------------------------------------------------ */

/* Linux's int_to_scsilun, inverted: the 64-bit FCP LUN as the SCSI
 * midlayer's LUN number (0x402340bc00000000 is 1086079011). */
static uint64_t scsilun_to_int(uint64_t fcp)
{
	uint64_t lun = 0;
	for (int i = 0; i < 8; i += 2) {
		unsigned b0 = (unsigned)(fcp >> (56 - 8 * i)) & 0xff,
			 b1 = (unsigned)(fcp >> (48 - 8 * i)) & 0xff;
		lun |= (uint64_t)((b0 << 8) | b1) << (i * 8);
	}
	return lun;
}

static void scsi_path(const Dev *d, const Port *port, const Lun *l, char out[static 256],
		      char hctl[static 64])
{
	char p[64];
	snprintf(hctl, 64, "%u:0:%u:%" PRIu64, d->host_no, port->target, scsilun_to_int(l->lun));
	snprintf(out, 256, "%s/host%u/rport-%u:0-%u/target%u:0:%u/%s", devpath(d, p), d->host_no, d->host_no,
		 port->target, d->host_no, port->target, hctl);
}

static void scsi_add(Dev *d, Port *port, Lun *l)
{
	char sp[256], hctl[64], v[128], target[512];
	scsi_path(d, port, l, sp, hctl);
	snprintf(v, sizeof(v), "0x%016" PRIx64, l->lun);
	sim_file(v, "%s/fcp_lun", sp);
	snprintf(v, sizeof(v), "0x%016" PRIx64, port->wwpn);
	sim_file(v, "%s/wwpn", sp);
	sim_file(d->busid, "%s/hba_id", sp);
	snprintf(v, sizeof(v), "%d", l->type);
	sim_file(v, "%s/type", sp);
	sim_file(l->vendor, "%s/vendor", sp);
	sim_file(l->model, "%s/model", sp);
	sim_file(l->rev, "%s/rev", sp);
	sim_file("running", "%s/state", sp);
	sim_file("6", "%s/scsi_level", sp);
	snprintf(v, sizeof(v), "naa.%s", l->wwid + 1);
	sim_file(v, "%s/wwid", sp);
	char up[96];
	snprintf(up, sizeof(up), "../../../%s", hctl);
	sim_link(up, "%s/scsi_device/%s/device", sp, hctl);
	l->sg = next_sg++;
	char sg[16];
	snprintf(sg, sizeof(sg), "sg%d", l->sg);
	snprintf(v, sizeof(v), "21:%d", l->sg);
	sim_file(v, "%s/scsi_generic/%s/dev", sp, sg);
	sim_link(up, "%s/scsi_generic/%s/device", sp, sg);
	snprintf(target, sizeof(target), "../..%s/scsi_device/%s", sp, hctl);
	sim_link(target, "/class/scsi_device/%s", hctl);
	snprintf(target, sizeof(target), "../../..%s", sp);
	sim_link(target, "/bus/scsi/devices/%s", hctl);
	snprintf(target, sizeof(target), "../..%s/scsi_generic/%s", sp, sg);
	sim_link(target, "/class/scsi_generic/%s", sg);
	dev_node(sg);
	char name[16] = "";
	if (l->type == 0) {
		l->node = next_sd++;
		disk_name(l->node, name, "sd");
		snprintf(v, sizeof(v), "8:%d", l->node * 16);
		sim_file(v, "%s/block/%s/dev", sp, name);
		sim_file("2097152", "%s/block/%s/size", sp, name);
		sim_link(up, "%s/block/%s/device", sp, name);
		snprintf(target, sizeof(target), "../..%s/block/%s", sp, name);
		sim_link(target, "/class/block/%s", name);
		char image[64];
		snprintf(image, sizeof(image), "lun-%s.img", l->wwid);
		dev_disk_node(name, image, 2097152ULL * 512, 512, &l->loop_fd);
		char byid[96];
		snprintf(byid, sizeof(byid), "disk/by-id/scsi-%s", l->wwid);
		snprintf(target, sizeof(target), "../../%s", name);
		dev_link(target, byid);
		if (l->multipath) {
			/* multipathd's map of the one path: the same disk. */
			char mp[96], dm[16], dm_target[24];
			if (l->dm < 0)
				l->dm = next_dm++;
			snprintf(dm, sizeof(dm), "dm-%d", l->dm);
			dev_disk_node(dm, image, 2097152ULL * 512, 512, &l->loop_fd);
			snprintf(mp, sizeof(mp), "mapper/%s", l->wwid);
			snprintf(dm_target, sizeof(dm_target), "../%s", dm);
			dev_link(dm_target, mp);
		}
	} else if (l->type == 1) {
		l->node = next_st++;
		snprintf(name, sizeof(name), "st%d", l->node);
		snprintf(v, sizeof(v), "9:%d", l->node);
		sim_file(v, "%s/scsi_tape/%s/dev", sp, name);
		snprintf(v, sizeof(v), "9:%d", l->node + 128);
		sim_file(v, "%s/scsi_tape/n%s/dev", sp, name);
		dev_node(name);
		char nst[16];
		snprintf(nst, sizeof(nst), "n%s", name);
		dev_node(nst);
	} else if (l->type == 8) {
		l->node = next_sch++;
		snprintf(name, sizeof(name), "sch%d", l->node);
		snprintf(v, sizeof(v), "86:%d", l->node);
		sim_file(v, "%s/scsi_changer/%s/dev", sp, name);
		dev_node(name);
	}
	l->scanned = true;
	sim_uevent("add", sp, "scsi", (const char *const[]){"DEVTYPE=scsi_device", NULL});
}

static void scsi_remove(Dev *d, Port *port, Lun *l)
{
	char sp[256], hctl[64], name[16], v[96];
	if (!l->scanned)
		return;
	scsi_path(d, port, l, sp, hctl);
	sim_remove("%s", sp);
	sim_remove("/class/scsi_device/%s", hctl);
	sim_remove("/bus/scsi/devices/%s", hctl);
	snprintf(name, sizeof(name), "sg%d", l->sg);
	sim_remove("/class/scsi_generic/%s", name);
	dev_unlink(name);
	if (l->type == 0) {
		disk_name(l->node, name, "sd");
		sim_remove("/class/block/%s", name);
		dev_unlink(name);
		snprintf(v, sizeof(v), "disk/by-id/scsi-%s", l->wwid);
		dev_unlink(v);
		if (l->multipath) {
			snprintf(v, sizeof(v), "mapper/%s", l->wwid);
			dev_unlink(v);
			snprintf(v, sizeof(v), "dm-%d", l->dm);
			dev_unlink(v);
		}
		loop_release(&l->loop_fd);
	} else if (l->type == 1) {
		snprintf(name, sizeof(name), "st%d", l->node);
		dev_unlink(name);
		snprintf(name, sizeof(name), "nst%d", l->node);
		dev_unlink(name);
	} else if (l->type == 8) {
		snprintf(name, sizeof(name), "sch%d", l->node);
		dev_unlink(name);
	}
	l->scanned = false;
	sim_uevent("remove", sp, "scsi", (const char *const[]){"DEVTYPE=scsi_device", NULL});
}

/* The kernel's SCSI scan of a new unit takes a while: 200 ms here. */
static void schedule_scan(Lun *l)
{
	clock_gettime(CLOCK_MONOTONIC, &l->due);
	l->due.tv_nsec += 200 * 1000000L;
	if (l->due.tv_nsec >= 1000000000L) {
		l->due.tv_sec++;
		l->due.tv_nsec -= 1000000000L;
	}
	l->pending = true;
}

static ssize_t unit_add_store(SimEntry *e, const char *buf, size_t len);
static ssize_t unit_remove_store(SimEntry *e, const char *buf, size_t len);

static void unit_dir(Dev *d, Port *port, uint64_t lun)
{
	char p[64];
	devpath(d, p);
	char path[256];
	static const char *attrs[][2] = {
		{"status", "0x54000000"}, {"failed", "0"}, {"in_recovery", "0"}, {"access_denied", "0"}};
	for (size_t i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/0x%016" PRIx64 "/0x%016" PRIx64 "/%s", p, port->wwpn, lun,
			 attrs[i][0]);
		sim_file(attrs[i][1], "%s", path);
	}
}

static Lun *port_lun(Port *port, uint64_t lun)
{
	for (size_t i = 0; i < port->n_luns; i++)
		if (port->luns[i].lun == lun)
			return &port->luns[i];
	return NULL;
}

static Port *port_of_entry(Dev *d, const SimEntry *e)
{
	/* ".../0x<wwpn>/unit_add" */
	const char *slash = strrchr(e->path, '/');
	const char *w = slash;
	while (w > e->path && w[-1] != '/')
		w--;
	uint64_t wwpn = strtoull(w, NULL, 16);
	for (size_t i = 0; i < d->n_ports; i++)
		if (d->ports[i].wwpn == wwpn)
			return &d->ports[i];
	return NULL;
}

/* Unknown LUNs get a unit too; no SCSI device ever answers for them. */
static Lun unknown_luns[64];
static size_t n_unknown;

static ssize_t unit_add_store(SimEntry *e, const char *buf, size_t len)
{
	Dev *d = e->owner;
	char v[64];
	uint64_t lun;
	if (value_of(buf, len, v) < 0 || parse_u64(v, &lun) < 0)
		return -EINVAL;
	Port *port = port_of_entry(d, e);
	if (!port)
		return -ENXIO;
	Lun *l = port_lun(port, lun);
	if (l && l->unit)
		return -EEXIST;
	if (!l) {
		for (size_t i = 0; i < n_unknown; i++)
			if (unknown_luns[i].lun == lun)
				return -EEXIST;
		if (n_unknown < 64)
			unknown_luns[n_unknown++] = (Lun){.lun = lun, .unit = true};
		unit_dir(d, port, lun);
		return (ssize_t)len;
	}
	l->unit = true;
	unit_dir(d, port, lun);
	schedule_scan(l);
	return (ssize_t)len;
}

static ssize_t unit_remove_store(SimEntry *e, const char *buf, size_t len)
{
	Dev *d = e->owner;
	char v[64], p[64];
	uint64_t lun;
	if (value_of(buf, len, v) < 0 || parse_u64(v, &lun) < 0)
		return -EINVAL;
	Port *port = port_of_entry(d, e);
	if (!port)
		return -ENXIO;
	Lun *l = port_lun(port, lun);
	bool unknown = false;
	for (size_t i = 0; !l && i < n_unknown; i++)
		if (unknown_luns[i].lun == lun) {
			unknown_luns[i] = unknown_luns[--n_unknown];
			unknown = true;
			break;
		}
	if (!unknown && (!l || !l->unit))
		return -EINVAL;
	if (l) {
		scsi_remove(d, port, l);
		l->unit = false;
		l->pending = false;
	}
	sim_remove("%s/0x%016" PRIx64 "/0x%016" PRIx64, devpath(d, p), port->wwpn, lun);
	return (ssize_t)len;
}

static ssize_t port_rescan_store(SimEntry *e, const char *buf, size_t len)
{
	Dev *d = e->owner;
	char p[64];
	if (!d->online)
		return -ENODEV;
	devpath(d, p);
	for (size_t i = 0; i < d->n_ports; i++) {
		Port *port = &d->ports[i];
		sim_attr(NULL, false, unit_add_store, d, "%s/0x%016" PRIx64 "/unit_add", p, port->wwpn);
		sim_attr(NULL, false, unit_remove_store, d, "%s/0x%016" PRIx64 "/unit_remove", p,
			 port->wwpn);
		sim_file("0", "%s/0x%016" PRIx64 "/failed", p, port->wwpn);
		sim_file("0", "%s/0x%016" PRIx64 "/access_denied", p, port->wwpn);
	}
	return (ssize_t)len;
}

static void zfcp_online(Dev *d)
{
	char p[64], target[128], v[64];
	devpath(d, p);
	if (!d->host_no)
		d->host_no = next_host++;
	sim_dir("%s/host%u", p, d->host_no);
	snprintf(target, sizeof(target), "../../devices/css0/0.0.%04x/%s/host%u", d->schid, d->busid,
		 d->host_no);
	sim_link(target, "/class/scsi_host/host%u", d->host_no);
	sim_file(d->npiv ? "NPIV VPORT" : "NPort (fabric via point-to-point)",
		 "/class/fc_host/host%u/port_type", d->host_no);
	snprintf(v, sizeof(v), "0xc05076ffe5005%03x", d->schid);
	sim_file(v, "/class/fc_host/host%u/port_name", d->host_no);
	(void)port_rescan_store(&(SimEntry){.owner = d}, "1", 1);
	if (d->npiv) {
		/* NPIV with allow_lun_scan: every LUN the port offers comes. */
		for (size_t i = 0; i < d->n_ports; i++)
			for (size_t k = 0; k < d->ports[i].n_luns; k++) {
				Lun *l = &d->ports[i].luns[k];
				l->unit = true;
				unit_dir(d, &d->ports[i], l->lun);
				schedule_scan(l);
			}
	}
}

static void zfcp_offline(Dev *d)
{
	char p[64];
	devpath(d, p);
	for (size_t i = 0; i < d->n_ports; i++) {
		for (size_t k = 0; k < d->ports[i].n_luns; k++) {
			Lun *l = &d->ports[i].luns[k];
			scsi_remove(d, &d->ports[i], l);
			l->unit = l->pending = false;
		}
		sim_remove("%s/0x%016" PRIx64, p, d->ports[i].wwpn);
	}
	sim_remove("%s/host%u", p, d->host_no);
	sim_remove("/class/scsi_host/host%u", d->host_no);
	sim_remove("/class/fc_host/host%u", d->host_no);
}

void sim_s390_tick(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	for (size_t i = 0; i < n_devices; i++) {
		Dev *d = &devices[i];
		for (size_t p = 0; d->kind == DEV_ZFCP && p < d->n_ports; p++)
			for (size_t k = 0; k < d->ports[p].n_luns; k++) {
				Lun *l = &d->ports[p].luns[k];
				if (l->pending &&
				    (now.tv_sec > l->due.tv_sec ||
				     (now.tv_sec == l->due.tv_sec && now.tv_nsec >= l->due.tv_nsec))) {
					l->pending = false;
					if (d->online && l->unit && !l->scanned)
						scsi_add(d, &d->ports[p], l);
				}
			}
	}
}

/* ---- ccw online -------------------------------------------------------------- */

static ssize_t online_store(SimEntry *e, const char *buf, size_t len)
{
	Dev *d = e->owner;
	char v[64];
	if (value_of(buf, len, v) < 0)
		return -EINVAL;
	bool want;
	if (strcmp(v, "1") == 0 || strcmp(v, "force") == 0)
		want = true;
	else if (strcmp(v, "0") == 0)
		want = false;
	else
		return -EINVAL;
	if (d->kind == DEV_OSA)
		return -EINVAL; /* a qeth device's ccw devices follow their group */
	if (want == d->online)
		return (ssize_t)len;
	if (want && d->not_operational)
		return -ENODEV;
	/* A DASD's online store returns once the device has answered. */
	if (d->slow_online_ms)
		usleep(d->slow_online_ms * 1000);
	if (!want && d->busy)
		return -EBUSY;
	d->online = want;
	sim_set(e, "%d", want);
	switch (d->kind) {
	case DEV_ECKD:
	case DEV_FBA:
		if (want)
			dasd_block_add(d);
		else
			dasd_block_remove(d);
		break;
	case DEV_ALIAS: {
		char p[64];
		sim_file(want ? "online" : "offline", "%s/status", devpath(d, p));
		break;
	}
	case DEV_ZFCP:
		if (want)
			zfcp_online(d);
		else
			zfcp_offline(d);
		break;
	default:
		break;
	}
	ccw_change(d);
	return (ssize_t)len;
}

/* ---- qeth ------------------------------------------------------------------ */

static Group groups[64];
static size_t n_groups;

static void group_state(Group *g)
{
	char ifname[32];
	snprintf(ifname, sizeof(ifname), "enccw%s", g->id);
	sim_set(g->state_attr, "%s", g->online ? "UP (LAN ONLINE)" : "DOWN");
	sim_set(g->if_attr, "%s", g->online ? ifname : "");
	sim_set(g->bstate_attr, "%s",
		g->online && strcmp(g->bridge_role, "primary") == 0 ? "active" : "inactive");
}

static ssize_t group_online_store(SimEntry *e, const char *buf, size_t len)
{
	Group *g = e->owner;
	char v[64], ifname[32], target[96];
	if (value_of(buf, len, v) < 0 || (strcmp(v, "0") != 0 && strcmp(v, "1") != 0))
		return -EINVAL;
	bool want = v[0] == '1';
	if (want == g->online)
		return (ssize_t)len;
	for (int i = 0; want && i < 3; i++)
		if (g->cdev[i]->not_operational)
			return -ENODEV;
	g->online = want;
	sim_set(e, "%d", want);
	snprintf(ifname, sizeof(ifname), "enccw%s", g->id);
	for (int i = 0; i < 3; i++) {
		g->cdev[i]->online = want;
		sim_set(g->cdev[i]->online_attr, "%d", want);
	}
	if (want) {
		snprintf(target, sizeof(target), "../../devices/qeth/%s/net/%s", g->id, ifname);
		sim_file("1500", "/devices/qeth/%s/net/%s/mtu", g->id, ifname);
		sim_link(target, "/class/net/%s", ifname);
		snprintf(target, sizeof(target), "../../../%s", g->id);
		sim_link(target, "/devices/qeth/%s/net/%s/device", g->id, ifname);
	} else {
		sim_remove("/devices/qeth/%s/net", g->id);
		sim_remove("/class/net/%s", ifname);
	}
	group_state(g);
	char dp[64];
	snprintf(dp, sizeof(dp), "/devices/qeth/%s", g->id);
	sim_uevent(want ? "online" : "offline", dp, "ccwgroup", NULL);
	return (ssize_t)len;
}

static ssize_t layer2_store(SimEntry *e, const char *buf, size_t len)
{
	Group *g = e->owner;
	char v[64];
	if (g->online)
		return -EPERM;
	if (value_of(buf, len, v) < 0 || (strcmp(v, "0") != 0 && strcmp(v, "1") != 0))
		return -EINVAL;
	g->layer2 = v[0] == '1';
	sim_set(e, "%d", g->layer2);
	return (ssize_t)len;
}

static ssize_t buffer_count_store(SimEntry *e, const char *buf, size_t len)
{
	Group *g = e->owner;
	char v[64];
	uint64_t n;
	if (g->online)
		return -EPERM;
	if (value_of(buf, len, v) < 0 || parse_u64(v, &n) < 0 || n < 8 || n > 128)
		return -EINVAL;
	g->buffer_count = (unsigned)n;
	sim_set(e, "%u", g->buffer_count);
	return (ssize_t)len;
}

static ssize_t bridge_role_store(SimEntry *e, const char *buf, size_t len)
{
	Group *g = e->owner;
	char v[64];
	if (value_of(buf, len, v) < 0 ||
	    (strcmp(v, "none") != 0 && strcmp(v, "primary") != 0 && strcmp(v, "secondary") != 0))
		return -EINVAL;
	if (!g->layer2)
		return -EOPNOTSUPP;
	snprintf(g->bridge_role, sizeof(g->bridge_role), "%.15s", v);
	sim_set(e, "%s", v);
	group_state(g);
	return (ssize_t)len;
}

static ssize_t ungroup_store(SimEntry *e, const char *buf, size_t len)
{
	Group *g = e->owner;
	char v[64];
	if (value_of(buf, len, v) < 0 || strcmp(v, "1") != 0)
		return -EINVAL;
	if (g->online)
		return -EINVAL; /* ccwgroup_ungroup_store: only an offline group */
	char p[64];
	for (int i = 0; i < 3; i++) {
		sim_remove("%s/group_device", devpath(g->cdev[i], p));
		g->cdev[i]->group = NULL;
	}
	char dp[64];
	snprintf(dp, sizeof(dp), "/devices/qeth/%s", g->id);
	sim_remove("/devices/qeth/%s", g->id);
	sim_remove("/bus/ccwgroup/devices/%s", g->id);
	sim_remove("/bus/ccwgroup/drivers/qeth/%s", g->id);
	sim_uevent("remove", dp, "ccwgroup", NULL);
	*g = groups[--n_groups];
	/* The moved group's files still name their old slot: re-point them. */
	if (g != &groups[n_groups]) {
		SimEntry *attrs[] = {g->online_attr, g->layer2_attr, g->buffer_attr, g->role_attr};
		for (size_t i = 0; i < 4; i++)
			attrs[i]->owner = g;
		char q[96];
		snprintf(q, sizeof(q), "/devices/qeth/%s/ungroup", g->id);
		sim_lookup(q)->owner = g;
		for (int i = 0; i < 3; i++)
			g->cdev[i]->group = g;
	}
	return (ssize_t)len;
}

/* "0.0.8050,0.0.8051,0.0.8052": three OSA ccw devices not in a group. */
static ssize_t group_store(SimEntry *e, const char *buf, size_t len)
{
	char v[64];
	Dev *cdev[3];
	if (value_of(buf, len, v) < 0 || n_groups == 64)
		return -EINVAL;
	char *save = NULL, *tok = strtok_r(v, ",", &save);
	int n = 0;
	for (; tok; tok = strtok_r(NULL, ",", &save)) {
		if (n == 3)
			return -EINVAL;
		Dev *d = find_dev(tok);
		if (!d || d->kind != DEV_OSA)
			return -EINVAL;
		if (d->group)
			return -EINVAL;
		for (int i = 0; i < n; i++)
			if (cdev[i] == d)
				return -EINVAL;
		cdev[n++] = d;
	}
	if (n != 3)
		return -EINVAL;
	Group *g = &groups[n_groups++];
	*g = (Group){.buffer_count = 64};
	snprintf(g->bridge_role, sizeof(g->bridge_role), "none");
	snprintf(g->id, sizeof(g->id), "%s", cdev[0]->busid);
	char gp[64], target[128], p[64];
	snprintf(gp, sizeof(gp), "/devices/qeth/%s", g->id);
	for (int i = 0; i < 3; i++) {
		g->cdev[i] = cdev[i];
		cdev[i]->group = g;
		snprintf(target, sizeof(target), "../../css0/0.0.%04x/%s", cdev[i]->schid, cdev[i]->busid);
		sim_link(target, "%s/cdev%d", gp, i);
		snprintf(target, sizeof(target), "../../../qeth/%s", g->id);
		sim_link(target, "%s/group_device", devpath(cdev[i], p));
	}
	g->online_attr = sim_attr("0", true, group_online_store, g, "%s/online", gp);
	g->layer2_attr = sim_attr("0", true, layer2_store, g, "%s/layer2", gp);
	g->buffer_attr = sim_attr("64", true, buffer_count_store, g, "%s/buffer_count", gp);
	g->role_attr = sim_attr("none", true, bridge_role_store, g, "%s/bridge_role", gp);
	sim_attr(NULL, false, ungroup_store, g, "%s/ungroup", gp);
	g->state_attr = sim_file("DOWN", "%s/state", gp);
	g->if_attr = sim_file("", "%s/if_name", gp);
	g->bstate_attr = sim_file("inactive", "%s/bridge_state", gp);
	sim_file("OSD_1000", "%s/card_type", gp);
	sim_file("90", "%s/chpid", gp);
	sim_file("0", "%s/portno", gp);
	sim_link("../../../bus/ccwgroup/drivers/qeth", "%s/driver", gp);
	snprintf(target, sizeof(target), "../../../devices/qeth/%s", g->id);
	sim_link(target, "/bus/ccwgroup/devices/%s", g->id);
	snprintf(target, sizeof(target), "../../../../devices/qeth/%s", g->id);
	sim_link(target, "/bus/ccwgroup/drivers/qeth/%s", g->id);
	sim_uevent("add", gp, "ccwgroup", NULL);
	return (ssize_t)len;
}

/* ---- building the tree ---------------------------------------------------------- */

static const char *driver_of(DevKind k)
{
	switch (k) {
	case DEV_ECKD:
	case DEV_ALIAS:
		return "dasd-eckd";
	case DEV_FBA:
		return "dasd-fba";
	case DEV_ZFCP:
		return "zfcp";
	case DEV_OSA:
		return "qeth";
	}
	return "";
}

static void build_device(Dev *d)
{
	char p[64], target[128], v[64];
	devpath(d, p);
	static const char *types[][2] = {
		[DEV_ECKD] = {"3990/e9", "3390/0c"},  [DEV_FBA] = {"6310/80", "9336/10"},
		[DEV_ALIAS] = {"3990/e9", "3390/0c"}, [DEV_ZFCP] = {"1731/03", "1732/03"},
		[DEV_OSA] = {"1731/01", "1732/01"},
	};
	sim_file(types[d->kind][0], "%s/cutype", p);
	sim_file(types[d->kind][1], "%s/devtype", p);
	sim_file(d->not_operational ? "no path" : "good", "%s/availability", p);
	sim_file("0", "%s/cmb_enable", p);
	snprintf(v, sizeof(v), "ccw:t%.4sm%.2sdt%.4sdm%.2s", types[d->kind][0], types[d->kind][0] + 5,
		 types[d->kind][1], types[d->kind][1] + 5);
	sim_file(v, "%s/modalias", p);
	d->online_attr = sim_attr("0", true, online_store, d, "%s/online", p);
	snprintf(target, sizeof(target), "../../../../bus/ccw/drivers/%s", driver_of(d->kind));
	sim_link(target, "%s/driver", p);
	sim_link("../../../../bus/ccw", "%s/subsystem", p);
	snprintf(target, sizeof(target), "../../../devices/css0/0.0.%04x/%s", d->schid, d->busid);
	sim_link(target, "/bus/ccw/devices/%s", d->busid);
	snprintf(target, sizeof(target), "../../../../devices/css0/0.0.%04x/%s", d->schid, d->busid);
	sim_link(target, "/bus/ccw/drivers/%s/%s", driver_of(d->kind), d->busid);
	snprintf(v, sizeof(v), "0.0.%04x", d->schid);
	sim_file("1", "/devices/css0/%s/type", v);
	/* The subchannel's channel paths as chpids_show prints them (znetconf
	 * shows an OSA device's first). */
	static const char *chpids[] = {
		[DEV_ECKD] = "40 00 00 00 00 00 00 00",  [DEV_FBA] = "40 00 00 00 00 00 00 00",
		[DEV_ALIAS] = "40 00 00 00 00 00 00 00", [DEV_ZFCP] = "50 00 00 00 00 00 00 00",
		[DEV_OSA] = "90 00 00 00 00 00 00 00",
	};
	sim_file(chpids[d->kind], "/devices/css0/%s/chpids", v);
	if (d->kind == DEV_ECKD || d->kind == DEV_FBA || d->kind == DEV_ALIAS) {
		sim_file("offline", "%s/status", p);
		sim_file(d->kind == DEV_ALIAS ? "1" : "0", "%s/alias", p);
		sim_file(d->uid, "%s/uid", p);
		sim_file("IBM", "%s/vendor", p);
		sim_file("0", "%s/readonly", p);
		sim_file("0", "%s/use_diag", p);
	}
	if (d->kind == DEV_ZFCP) {
		sim_attr(NULL, false, port_rescan_store, d, "%s/port_rescan", p);
		sim_file("0", "%s/failed", p);
		sim_file("0", "%s/in_recovery", p);
	}
}

/* The kernel's work after cio_ignore -r (a subchannel scan finds the
 * device) and after cio_ignore -a + purge (an offline device goes). */
void sim_s390_cio_ignore(bool free)
{
	for (size_t i = 0; i < n_devices; i++) {
		Dev *d = &devices[i];
		char p[64];
		if (!d->listed || d->ignored == !free || (!free && d->online))
			continue;
		devpath(d, p);
		if (free) {
			d->ignored = false;
			build_device(d);
			sim_uevent("add", p, "ccw", NULL);
		} else {
			d->ignored = true;
			sim_remove("/devices/css0/0.0.%04x", d->schid);
			sim_remove("/bus/ccw/devices/%s", d->busid);
			sim_remove("/bus/ccw/drivers/%s/%s", driver_of(d->kind), d->busid);
			d->online_attr = NULL;
			sim_uevent("remove", p, "ccw", NULL);
		}
	}
}

/* ---- the scenario ----------------------------------------------------------------- */

static Dev *current;

static int parse_busid(const char *s, char out[static 16])
{
	unsigned cssid, ssid, devno;
	char tail;
	if (sscanf(s, "%x.%x.%4x%c", &cssid, &ssid, &devno, &tail) != 3 || cssid > 0xff || ssid > 3)
		return -1;
	snprintf(out, 16, "%x.%x.%04x", cssid, ssid, devno);
	return 0;
}

static Dev *new_dev(DevKind kind, const char *busid)
{
	if (n_devices == MAX_DEVICES)
		return NULL;
	Dev *d = &devices[n_devices];
	*d = (Dev){.kind = kind,
		   .schid = (unsigned)n_devices,
		   .block_size = 4096,
		   .blocks = 1803060,
		   .formatted = true,
		   .dasd_index = -1,
		   .loop_fd = -1};
	if (parse_busid(busid, d->busid) < 0 || find_dev(d->busid))
		return NULL;
	snprintf(d->uid, sizeof(d->uid), "IBM.75000000092461.e900.%02zx", n_devices & 0xff);
	n_devices++;
	return d;
}

static bool yes(const char *v)
{
	return strcmp(v, "yes") == 0 || strcmp(v, "1") == 0 || strcmp(v, "true") == 0;
}

static int on_key(void *userdata, const char *section, const char *key, const char *value)
{
	static char last_section[64];
	if (strcmp(section, last_section) != 0) {
		size_t n = strlen(section) < sizeof(last_section) - 1 ? strlen(section)
								      : sizeof(last_section) - 1;
		memcpy(last_section, section, n);
		last_section[n] = 0;
		char kind[16], busid[32];
		current = NULL;
		if (sscanf(section, "%15s %31s", kind, busid) == 2) {
			DevKind k = strcmp(kind, "eckd") == 0    ? DEV_ECKD
				    : strcmp(kind, "fba") == 0   ? DEV_FBA
				    : strcmp(kind, "alias") == 0 ? DEV_ALIAS
				    : strcmp(kind, "zfcp") == 0  ? DEV_ZFCP
				    : strcmp(kind, "osa") == 0   ? DEV_OSA
								 : (DevKind)-1;
			if ((int)k < 0 || !(current = new_dev(k, busid))) {
				fprintf(stderr, "sysfs-sim: bad section [%s]\n", section);
				return 0;
			}
		} else if (strcmp(section, "generate") != 0) {
			fprintf(stderr, "sysfs-sim: bad section [%s]\n", section);
			return 0;
		}
	}
	if (strcmp(section, "generate") == 0) {
		if (strcmp(key, "eckd") == 0) {
			/* "N 0.0.a000": N ECKD DASDs from that bus id on. */
			unsigned n, devno;
			if (sscanf(value, "%u 0.0.%x", &n, &devno) != 2)
				return 0;
			for (unsigned i = 0; i < n; i++) {
				char b[16];
				snprintf(b, sizeof(b), "0.0.%04x", devno + i);
				if (!new_dev(DEV_ECKD, b))
					return 0;
			}
			return 1;
		}
		return 0;
	}
	if (!current)
		return 0;
	Dev *d = current;
	if (strcmp(key, "blocks") == 0)
		d->blocks = strtoull(value, NULL, 10);
	else if (strcmp(key, "block_size") == 0)
		d->block_size = (unsigned)strtoul(value, NULL, 10);
	else if (strcmp(key, "formatted") == 0)
		d->formatted = yes(value);
	else if (strcmp(key, "slow_online") == 0)
		d->slow_online_ms = (unsigned)strtoul(value, NULL, 10);
	else if (strcmp(key, "ignored") == 0)
		d->ignored = d->listed = yes(value);
	else if (strcmp(key, "busy") == 0)
		d->busy = yes(value);
	else if (strcmp(key, "not_operational") == 0)
		d->not_operational = yes(value);
	else if (strcmp(key, "uid") == 0)
		snprintf(d->uid, sizeof(d->uid), "%s", value);
	else if (strcmp(key, "base") == 0)
		snprintf(d->base, sizeof(d->base), "%s", value);
	else if (strcmp(key, "devices") == 0 && d->kind == DEV_OSA) {
		/* An OSA port's read, write and data devices: this one and the
		 * next ones. */
		unsigned n = (unsigned)strtoul(value, NULL, 10), devno;
		if (n < 1 || n > 3 || sscanf(d->busid, "0.0.%x", &devno) != 1)
			return 0;
		for (unsigned i = 1; i < n; i++) {
			char b[16];
			snprintf(b, sizeof(b), "0.0.%04x", devno + i);
			if (!new_dev(DEV_OSA, b))
				return 0;
		}
		current = NULL; /* the section is done */
	} else if (strcmp(key, "host") == 0 && d->kind == DEV_ZFCP)
		d->host_no = (unsigned)strtoul(value, NULL, 10);
	else if (strcmp(key, "npiv") == 0)
		d->npiv = yes(value);
	else if (strcmp(key, "port") == 0) {
		/* "0x500507630513c1ae 17": WWPN and SCSI target id */
		if (d->n_ports == MAX_PORTS)
			return 0;
		Port *port = &d->ports[d->n_ports];
		if (sscanf(value, "%" SCNx64 " %u", &port->wwpn, &port->target) != 2)
			return 0;
		d->n_ports++;
	} else if (strcmp(key, "lun") == 0) {
		/* "<wwpn> <lun> <disk|tape|changer> <vendor> <model> <rev> <wwid> [multipath]" */
		uint64_t wwpn;
		Lun l = {.dm = -1, .loop_fd = -1};
		char type[16], mp[16] = "";
		if (sscanf(value, "%" SCNx64 " %" SCNx64 " %15s %15s %23s %7s %39s %15s", &wwpn, &l.lun,
			   type, l.vendor, l.model, l.rev, l.wwid, mp) < 7)
			return 0;
		l.type = strcmp(type, "disk") == 0 ? 0 : strcmp(type, "tape") == 0 ? 1 : 8;
		l.multipath = strcmp(mp, "multipath") == 0;
		for (size_t i = 0; i < d->n_ports; i++)
			if (d->ports[i].wwpn == wwpn && d->ports[i].n_luns < MAX_LUNS) {
				d->ports[i].luns[d->ports[i].n_luns++] = l;
				return 1;
			}
		return 0;
	} else
		return 0;
	return 1;
}

int sim_s390_load(const char *scenario, const char *devroot)
{
	dev_root = devroot;
	int r = ini_parse(scenario, on_key, NULL);
	if (r != 0) {
		fprintf(stderr, "sysfs-sim: %s: error on line %d\n", scenario, r);
		return -1;
	}
	sim_dir("/bus/ccw/drivers/dasd-eckd");
	sim_dir("/bus/ccw/drivers/dasd-fba");
	sim_dir("/bus/ccw/drivers/zfcp");
	sim_dir("/bus/ccw/drivers/qeth");
	sim_dir("/bus/ccw/devices");
	sim_dir("/bus/ccwgroup/devices");
	sim_attr(NULL, false, group_store, NULL, "/bus/ccwgroup/drivers/qeth/group");
	sim_dir("/bus/scsi/devices");
	sim_dir("/class/block");
	sim_dir("/class/net");
	sim_dir("/class/scsi_device");
	sim_dir("/class/scsi_generic");
	sim_dir("/class/scsi_host");
	sim_file("Y", "/module/zfcp/parameters/allow_lun_scan");
	for (size_t i = 0; i < n_devices; i++)
		if (!devices[i].ignored)
			build_device(&devices[i]);
	return 0;
}
