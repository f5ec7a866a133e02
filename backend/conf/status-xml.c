/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The runtime status document: format and parse (status-xml.h). */

#include "status-xml.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "util/cleanup.h"
#include "util/log.h"
#include "xml-internal.h"

int file_owners_add(FileOwners *owners, const FileOwner *o)
{
	FileOwner *v = realloc(owners->v, (owners->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	owners->v = v;
	v[owners->n] = *o;
	if (!(v[owners->n].path = strdup(o->path)))
		return -ENOMEM;
	owners->n++;
	return 0;
}

void file_owners_done(FileOwners *owners)
{
	for (size_t i = 0; i < owners->n; i++)
		free(owners->v[i].path);
	free(owners->v);
	*owners = (FileOwners){};
}

void domain_status_done(DomainStatus *st)
{
	file_owners_done(&st->owners);
	free(st->qmp_path);
	free(st->log_path);
	domain_def_free(st->live);
	*st = (DomainStatus){};
}

char *domain_status_format(const DomainStatus *st)
{
	_cleanup_free_ char *dom = NULL, *buf = NULL;
	size_t size = 0;

	if (!st->live)
		return NULL;
	dom = domain_def_format(st->live, st->id, 0);
	if (!dom)
		return NULL;

	FILE *f = open_memstream(&buf, &size);
	if (!f)
		return NULL;
	fputs("<domstatus", f);
	put_attribute(f, "state", domain_state_to_string(st->state));
	put_attribute(f, "reason", domain_reason_to_string(st->reason));
	fprintf(f, " sequence='%" PRIu64 "' id='%d' pid='%d'", st->sequence, st->id, (int)st->pid);
	put_attribute(f, "persistent", st->persistent ? "yes" : "no");
	fputs(">\n  <monitor", f);
	put_attribute(f, "path", st->qmp_path ?: "");
	fputs("/>\n  <log", f);
	put_attribute(f, "path", st->log_path ?: "");
	fputs("/>\n", f);
	if (st->starting || st->restart_pending || st->stop_expected || st->kill_at_usec || st->saving ||
	    st->restoring || st->incoming || st->migrating) {
		fputs("  <intents", f);
		if (st->starting)
			put_attribute(f, "starting", st->start_paused ? "paused" : "yes");
		if (st->restart_pending)
			put_attribute(f, "restart", "yes");
		if (st->stop_expected)
			put_attribute(f, "stop", domain_reason_to_string(st->stop_reason));
		if (st->kill_at_usec)
			fprintf(f, " kill-at='%" PRIu64 "'", st->kill_at_usec);
		if (st->saving)
			put_attribute(f, "saving", st->saving_resume ? "running" : "paused");
		if (st->restoring)
			put_attribute(f, "restoring", "yes");
		if (st->incoming)
			put_attribute(f, "incoming",
				      domain_reason_to_string(st->incoming_prev_reason) ?: "yes");
		if (st->migrating)
			put_attribute(f, "migrating", st->migrating_resume ? "running" : "paused");
		fputs("/>\n", f);
	}
	if (st->owners.n > 0) {
		fputs("  <owners>\n", f);
		for (size_t i = 0; i < st->owners.n; i++) {
			const FileOwner *o = &st->owners.v[i];
			fputs("    <file", f);
			put_attribute(f, "path", o->path);
			fprintf(f,
				" dev='%" PRIu64 "' ino='%" PRIu64 "' uid='%u' gid='%u' label-uid='%u' "
				"label-gid='%u'/>\n",
				o->dev, o->ino, (unsigned)o->uid, (unsigned)o->gid, (unsigned)o->label_uid,
				(unsigned)o->label_gid);
		}
		fputs("  </owners>\n", f);
	}
	fprintf(f, "%s</domstatus>\n", dom);
	if (fclose(f) != 0)
		return NULL;
	return TAKE_PTR(buf);
}

static char *prop_dup(xmlNode *n, const char *name)
{
	_cleanup_xml_free_ xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	return v ? strdup((const char *)v) : NULL;
}

static int parse_intents(xmlNode *n, DomainStatus *st)
{
	_cleanup_free_ char *starting = prop_dup(n, "starting"), *restart = prop_dup(n, "restart"),
			    *stop = prop_dup(n, "stop"), *kill_at = prop_dup(n, "kill-at"),
			    *saving = prop_dup(n, "saving"), *restoring = prop_dup(n, "restoring"),
			    *incoming = prop_dup(n, "incoming"), *migrating = prop_dup(n, "migrating");

	if (starting) {
		if (strcmp(starting, "yes") != 0 && strcmp(starting, "paused") != 0)
			return -EBADMSG;
		st->starting = true;
		st->start_paused = strcmp(starting, "paused") == 0;
	}
	if (restart) {
		if (strcmp(restart, "yes") != 0)
			return -EBADMSG;
		st->restart_pending = true;
	}
	if (saving) {
		if (strcmp(saving, "running") != 0 && strcmp(saving, "paused") != 0)
			return -EBADMSG;
		st->saving = true;
		st->saving_resume = strcmp(saving, "running") == 0;
	}
	if (restoring) {
		if (strcmp(restoring, "yes") != 0)
			return -EBADMSG;
		st->restoring = true;
	}
	st->incoming_prev_reason = _DOMAIN_REASON_MAX;
	if (incoming) {
		int r = strcmp(incoming, "yes") == 0 ? _DOMAIN_REASON_MAX
						     : domain_reason_from_string(incoming);
		if (r < 0)
			return -EBADMSG;
		st->incoming = true;
		st->incoming_prev_reason = r;
	}
	if (migrating) {
		if (strcmp(migrating, "running") != 0 && strcmp(migrating, "paused") != 0)
			return -EBADMSG;
		st->migrating = true;
		st->migrating_resume = strcmp(migrating, "running") == 0;
	}
	if (stop) {
		int r = domain_reason_from_string(stop);
		if (r < 0)
			return -EBADMSG;
		st->stop_expected = true;
		st->stop_reason = r;
	}
	if (kill_at) {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(kill_at, &end, 10);
		if (!isdigit((unsigned char)kill_at[0]) || errno || *end || v == 0)
			return -EBADMSG;
		st->kill_at_usec = v;
	}
	return 0;
}

/* Plain decimal digits up to max, as the daemon writes them. */
static int prop_u64(xmlNode *n, const char *name, uint64_t max, uint64_t *ret)
{
	_cleanup_free_ char *v = prop_dup(n, name);
	if (!v || !isdigit((unsigned char)v[0]))
		return -EBADMSG;
	char *end;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	if (errno || *end || x > max)
		return -EBADMSG;
	*ret = x;
	return 0;
}

static int parse_owners(xmlNode *n, FileOwners *owners)
{
	for (xmlNode *c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (!xmlStrEqual(c->name, (const xmlChar *)"file"))
			return -EBADMSG;
		/* (uid_t)-1 means "unchanged" to chown: never a recorded owner. */
		uint64_t uid, gid, label_uid, label_gid, max = (uint32_t)-2;
		FileOwner o = {};
		_cleanup_free_ char *path = prop_dup(c, "path");
		if (!path || path[0] != '/' || prop_u64(c, "dev", UINT64_MAX, &o.dev) < 0 ||
		    prop_u64(c, "ino", UINT64_MAX, &o.ino) < 0 || prop_u64(c, "uid", max, &uid) < 0 ||
		    prop_u64(c, "gid", max, &gid) < 0 || prop_u64(c, "label-uid", max, &label_uid) < 0 ||
		    prop_u64(c, "label-gid", max, &label_gid) < 0)
			return -EBADMSG;
		o.path = path;
		o.uid = (uid_t)uid;
		o.gid = (gid_t)gid;
		o.label_uid = (uid_t)label_uid;
		o.label_gid = (gid_t)label_gid;
		if (file_owners_add(owners, &o) < 0)
			return -ENOMEM;
	}
	return 0;
}

int domain_status_parse(const char *xml, size_t len, const DomainXMLDefaults *defaults, DomainStatus *st)
{
	/* Our own file, but read as carefully as a caller's: no network, no
	 * DTD or entities, errors not printed. */
	if (len > INT_MAX)
		return -EFBIG;
	_cleanup_(xmlFreeDocp) xmlDocPtr doc =
		xmlReadMemory(xml, (int)len, "status.xml", NULL,
			      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc || doc->intSubset || doc->extSubset)
		return -EBADMSG;

	xmlNode *root = xmlDocGetRootElement(doc);
	if (!root || !xmlStrEqual(root->name, (const xmlChar *)"domstatus"))
		return -EBADMSG;

	_cleanup_free_ char *state = prop_dup(root, "state"), *reason = prop_dup(root, "reason"),
			    *seq = prop_dup(root, "sequence"), *id = prop_dup(root, "id"),
			    *pid = prop_dup(root, "pid"), *persistent = prop_dup(root, "persistent");
	if (!state || !reason || !seq || !id || !pid || !persistent)
		return -EBADMSG;

	int s = domain_state_from_string(state), r = domain_reason_from_string(reason);
	if (s < 0 || r < 0)
		return -EBADMSG;
	st->state = s;
	st->reason = r;
	st->sequence = strtoull(seq, NULL, 10);
	st->id = atoi(id);
	st->pid = (pid_t)atoi(pid);
	st->persistent = strcmp(persistent, "yes") == 0;

	xmlNode *dom = NULL;
	for (xmlNode *c = root->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (xmlStrEqual(c->name, (const xmlChar *)"monitor"))
			st->qmp_path = prop_dup(c, "path");
		else if (xmlStrEqual(c->name, (const xmlChar *)"log"))
			st->log_path = prop_dup(c, "path");
		else if (xmlStrEqual(c->name, (const xmlChar *)"intents")) {
			if (parse_intents(c, st) < 0)
				return -EBADMSG;
		} else if (xmlStrEqual(c->name, (const xmlChar *)"owners")) {
			int k = parse_owners(c, &st->owners);
			if (k < 0)
				return k;
		} else if (xmlStrEqual(c->name, (const xmlChar *)"domain"))
			dom = c;
	}
	/* pid 0: written before QEMU was spawned (still shut-off), for the
	 * files being given to its user; the reader gives them back. */
	if (!dom || !st->qmp_path || st->pid < 0 || (st->pid == 0 && st->state != DOMAIN_STATE_SHUT_OFF))
		return -EBADMSG;

	ZvError err = ZV_ERROR_INIT;
	int k = domain_def_parse_node(doc, dom, defaults, DOMAIN_XML_PARSE_LIVE, &st->live, &err);
	if (k < 0) {
		log_warning("Status XML does not parse: %s", err.message);
		return k;
	}
	return 0;
}
