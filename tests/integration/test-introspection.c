/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The published interfaces (introspection/org.zvirt1.*.xml) are the
 * reviewed contract: the live objects must introspect to exactly them.
 * Both sides are parsed with libxml2 and reduced to a canonical form, so
 * whitespace, attribute order, member order and the D-Bus defaults
 * (direction="in" on method arguments, EmitsChangedSignal=true) do not
 * matter, and everything else does, sd-bus's Privileged annotation on a
 * method that lacks SD_BUS_VTABLE_UNPRIVILEGED included.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "harness.h"

typedef struct StrList {
	char **items;
	size_t n;
} StrList;

static void strlist_add(StrList *l, char *s)
{
	char **n = realloc(l->items, (l->n + 1) * sizeof(*n));

	assert_non_null(n);
	l->items = n;
	l->items[l->n++] = s;
}

static void strlist_clear(StrList *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	*l = (StrList){0};
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void strlist_sort(StrList *l)
{
	if (l->n > 1)
		qsort(l->items, l->n, sizeof(*l->items), cmp_str);
}

static char *strlist_join(const StrList *l, const char *sep)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < l->n; i++)
		len += strlen(l->items[i]) + strlen(sep);
	s = calloc(1, len);
	assert_non_null(s);
	for (size_t i = 0; i < l->n; i++) {
		strcat(s, l->items[i]);
		if (i + 1 < l->n)
			strcat(s, sep);
	}
	return s;
}

static char *prop(xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	char *s = v ? strdup((const char *)v) : NULL;

	xmlFree(v);
	return s;
}

static bool is_element(xmlNodePtr n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

/* `<tag a="1" b="2">`, attributes sorted; `kind` says where an arg sits. */
static char *canon_open(xmlNodePtr n, const char *member_kind)
{
	StrList attrs = {0};
	bool has_direction = false;
	_cleanup_free_ char *joined = NULL;
	char *s;

	for (xmlAttrPtr a = n->properties; a; a = a->next) {
		xmlChar *v = xmlNodeListGetString(n->doc, a->children, 1);
		const char *name = (const char *)a->name;

		if (is_element(n, "arg") && strcmp(name, "direction") == 0) {
			/* Signal arguments have no direction; "in" is the default for methods. */
			if (member_kind && strcmp(member_kind, "signal") == 0) {
				xmlFree(v);
				continue;
			}
			has_direction = true;
		}
		if (asprintf(&s, "%s=\"%s\"", name, v ? (const char *)v : "") < 0)
			abort();
		strlist_add(&attrs, s);
		xmlFree(v);
	}
	if (is_element(n, "arg") && member_kind && strcmp(member_kind, "method") == 0 && !has_direction)
		strlist_add(&attrs, strdup("direction=\"in\""));
	strlist_sort(&attrs);
	joined = strlist_join(&attrs, " ");
	if (asprintf(&s, "<%s%s%s>", (const char *)n->name, attrs.n ? " " : "", joined) < 0)
		abort();
	strlist_clear(&attrs);
	return s;
}

static bool is_default_annotation(xmlNodePtr n)
{
	_cleanup_free_ char *name = prop(n, "name");
	_cleanup_free_ char *value = prop(n, "value");

	return name && value && strcmp(name, "org.freedesktop.DBus.Property.EmitsChangedSignal") == 0 &&
	       strcmp(value, "true") == 0;
}

/* One method, signal or property: arguments in order, annotations sorted. */
static char *canon_member(xmlNodePtr m)
{
	StrList args = {0}, annotations = {0};
	_cleanup_free_ char *open = canon_open(m, NULL);
	_cleanup_free_ char *a = NULL, *b = NULL;
	char *s;

	for (xmlNodePtr c = m->children; c; c = c->next) {
		if (is_element(c, "arg"))
			strlist_add(&args, canon_open(c, (const char *)m->name));
		else if (is_element(c, "annotation") && !is_default_annotation(c))
			strlist_add(&annotations, canon_open(c, NULL));
		else if (c->type == XML_ELEMENT_NODE)
			strlist_add(&annotations, canon_open(c, NULL)); /* unexpected: show it */
	}
	strlist_sort(&annotations);
	a = strlist_join(&args, "");
	b = strlist_join(&annotations, "");
	if (asprintf(&s, "%s%s%s", open, a, b) < 0)
		abort();
	strlist_clear(&args);
	strlist_clear(&annotations);
	return s;
}

/* The canonical members of interface `iface` in an introspection document. */
static int canon_interface(const char *xml, const char *what, const char *iface, StrList *ret)
{
	xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), what, NULL,
				      XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR);
	xmlNodePtr root, found = NULL;

	if (!doc) {
		print_error("%s does not parse as XML\n", what);
		return -1;
	}
	root = xmlDocGetRootElement(doc);
	for (xmlNodePtr n = root ? root->children : NULL; n && !found; n = n->next) {
		_cleanup_free_ char *name = NULL;

		if (!is_element(n, "interface"))
			continue;
		name = prop(n, "name");
		if (name && strcmp(name, iface) == 0)
			found = n;
	}
	if (!found) {
		print_error("%s has no <interface name=\"%s\"> below its <node>\n", what, iface);
		xmlFreeDoc(doc);
		return -1;
	}
	for (xmlNodePtr m = found->children; m; m = m->next) {
		if (m->type != XML_ELEMENT_NODE)
			continue;
		if (is_element(m, "annotation") && is_default_annotation(m))
			continue;
		strlist_add(ret, canon_member(m));
	}
	strlist_sort(ret);
	xmlFreeDoc(doc);
	return 0;
}

static bool contains(const StrList *l, const char *s)
{
	return bsearch(&s, l->items, l->n, sizeof(*l->items), cmp_str) != NULL;
}

static void compare_interface(const char *path, const char *iface)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_free_ char *file = NULL, *expected_xml = NULL;
	StrList live = {0}, expected = {0};
	const char *live_xml;
	size_t differences = 0;

	if (asprintf(&file, "%s/introspection/%s.xml", harness_source_root(), iface) < 0)
		abort();
	expected_xml = harness_read_file(file);

	reply = harness_call(path, "org.freedesktop.DBus.Introspectable", "Introspect", NULL);
	assert_return_code(sd_bus_message_read(reply, "s", &live_xml), 0);

	if (canon_interface(expected_xml, file, iface, &expected) < 0)
		fail();
	if (canon_interface(live_xml, path, iface, &live) < 0) {
		print_error("live introspection of %s:\n%s\n", path, live_xml);
		fail();
	}
	for (size_t i = 0; i < live.n; i++)
		if (!contains(&expected, live.items[i])) {
			print_error("%s: live, not in %s: %s\n", iface, file, live.items[i]);
			differences++;
		}
	for (size_t i = 0; i < expected.n; i++)
		if (!contains(&live, expected.items[i])) {
			print_error("%s: in %s, not live: %s\n", iface, file, expected.items[i]);
			differences++;
		}
	strlist_clear(&live);
	strlist_clear(&expected);
	if (differences > 0)
		fail_msg("%s on %s differs from %s in %zu member(s)", iface, path, file, differences);
}

static void test_manager_interface(void **state)
{
	compare_interface(ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE);
}

static void test_domain_interface(void **state)
{
	_cleanup_free_ char *xml = harness_minimal_xml("introspected", NULL);
	_cleanup_free_ char *path = harness_define(xml);

	compare_interface(path, ZVIRT_DOMAIN_IFACE);
	harness_undefine(path);
}

/* A disk of an inactive domain: its object comes from the definition. */
static void test_disk_interface(void **state)
{
	_cleanup_free_ char *base = harness_minimal_xml("introspected-disk", NULL);
	char *at = strstr(base, "    <memballoon");
	assert_non_null(at);
	_cleanup_free_ char *xml = NULL;
	assert_true(asprintf(&xml,
			     "%.*s    <disk type='file' device='disk'><source file='/var/tmp/x.img'/>"
			     "<target dev='vda' bus='virtio'/></disk>\n%s",
			     (int)(at - base), base, at) > 0);
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *disk = NULL;
	assert_true(asprintf(&disk, "%s/disk/vda", path) > 0);

	compare_interface(disk, "org.zvirt1.Disk");
	harness_undefine(path);
}

/* A SCSI host device of an inactive domain (its host node is looked
 * for only when the domain starts). */
static void test_hostdev_interface(void **state)
{
	_cleanup_free_ char *base = harness_minimal_xml("introspected-hostdev", NULL);
	char *at = strstr(base, "    <memballoon");
	assert_non_null(at);
	_cleanup_free_ char *xml = NULL;
	assert_true(
		asprintf(&xml,
			 "%.*s    <hostdev mode='subsystem' type='scsi'><source><adapter name='scsi_host3'/>"
			 "<address bus='0' target='8' unit='0'/></source></hostdev>\n%s",
			 (int)(at - base), base, at) > 0);
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *hostdev = NULL;
	assert_true(asprintf(&hostdev, "%s/hostdev/0", path) > 0);

	compare_interface(hostdev, "org.zvirt1.HostDevice");
	_cleanup_free_ char *adapter = harness_get_string(hostdev, "org.zvirt1.HostDevice", "Adapter");
	_cleanup_free_ char *address = harness_get_string(hostdev, "org.zvirt1.HostDevice", "Address");
	assert_string_equal(adapter, "scsi_host3");
	assert_string_equal(address, "0:0:0:0"); /* libvirt's first free unit */
	harness_undefine(path);
}

/* A NIC of an inactive domain (its host link is made only at start). */
static void test_net_interface(void **state)
{
	_cleanup_free_ char *base = harness_minimal_xml("introspected-net", NULL);
	char *at = strstr(base, "    <memballoon");
	assert_non_null(at);
	_cleanup_free_ char *xml = NULL;
	assert_true(asprintf(&xml,
			     "%.*s    <interface type='bridge'><mac address='52:54:00:7a:10:01'/>"
			     "<source bridge='zvbr9'/><mtu size='1400'/></interface>\n%s",
			     (int)(at - base), base, at) > 0);
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_free_ char *net = NULL;
	assert_true(asprintf(&net, "%s/interface/0", path) > 0);

	compare_interface(net, "org.zvirt1.NetworkInterface");
	_cleanup_free_ char *mac = harness_get_string(net, "org.zvirt1.NetworkInterface", "MAC");
	assert_string_equal(mac, "52:54:00:7a:10:01");
	assert_int_equal(harness_get_u32(net, "org.zvirt1.NetworkInterface", "MTU"), 1400);
	harness_undefine(path);
}

/* A job: the managed save of a guest started paused (no boot needed);
 * the ended job stays for a minute, long enough to look at it. */
static void test_job_interface(void **state)
{
	_cleanup_free_ char *xml = harness_guest_xml("introspected-job");
	_cleanup_free_ char *path = harness_define(xml);
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *job;

	sd_bus_message_unref(harness_call(path, ZVIRT_DOMAIN_IFACE, "Start", "a{sv}", 1, "paused", "b", 1));
	reply = harness_call(path, ZVIRT_DOMAIN_IFACE, "ManagedSave", "a{sv}", 0);
	assert_int_equal(sd_bus_message_read(reply, "o", &job), 1);
	compare_interface(job, "org.zvirt1.Job");
	assert_int_equal(harness_wait_state(path, "shut-off", "saved", HARNESS_STATE_TIMEOUT_MS), 0);
	sd_bus_message_unref(
		harness_call(path, ZVIRT_DOMAIN_IFACE, "Undefine", "a{sv}", 1, "managed-save", "b", 1));
}

/* The host object is there from the start, without a domain. */
static void test_host_interface(void **state)
{
	compare_interface("/org/zvirt1/host", "org.zvirt1.Host");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_manager_interface), cmocka_unit_test(test_domain_interface),
		cmocka_unit_test(test_job_interface),     cmocka_unit_test(test_disk_interface),
		cmocka_unit_test(test_hostdev_interface), cmocka_unit_test(test_net_interface),
		cmocka_unit_test(test_host_interface),
	};

	return harness_main("introspection", tests, 0);
}
