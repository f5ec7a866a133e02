/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the rooms of the domain XML share, and nothing outside
 * backend/conf/ may use: libxml2 errors (xml-errors.c), the schema
 * (xml-schema.c), reading (xml-read.c) and writing (xml-write.c)
 * helpers, the parse and format of each element family (os-xml.c,
 * device-info-xml.c, ccw-address-xml.c, drive-address-xml.c,
 * disk-xml.c, controller-xml.c, hostdev-xml.c, console-xml.c,
 * memballoon-xml.c, resources-xml.c, watchdog-xml.c, rng-xml.c,
 * keywrap-xml.c, implied-xml.c) and the checks across devices
 * (domain-validate.c, scsi-validate.c).
 * domain-xml.c puts them together behind the public conf/domain-xml.h. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/tree.h>

#include "conf/ccw-address.h"
#include "conf/domain-def.h"
#include "conf/domain-xml.h"
#include "util/cleanup.h"
#include "util/error.h"

/* No network, no DTD loading, no entity substitution, no XML_PARSE_HUGE
 * (libxml2's default depth and size limits stay on). NOCDATA merges
 * CDATA into text so "<name><![CDATA[x]]></name>" reads like "x";
 * BIG_LINES keeps line numbers in messages right past line 65535. */
#define PARSE_OPTIONS \
	(XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA | XML_PARSE_BIG_LINES)

DEFINE_TRIVIAL_CLEANUP_FUNC(xmlDocPtr, xmlFreeDoc)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlParserCtxtPtr, xmlFreeParserCtxt)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlRelaxNGParserCtxtPtr, xmlRelaxNGFreeParserCtxt)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlRelaxNGValidCtxtPtr, xmlRelaxNGFreeValidCtxt)

static inline void xml_freep(xmlChar **p)
{
	if (*p)
		xmlFree(*p);
}
#define _cleanup_xml_free_ _cleanup_(xml_freep)

/* ---- xml-errors.c: libxml2's errors and ours ----------------------------- */

/* One libxml2 error, copied out of the transient xmlError. */
typedef struct XmlErrorInfo {
	bool set;
	int domain;
	int code;
	int line;
	int column;
	xmlNode *node;
	char *message;
	char *str1;
	char *str2;
} XmlErrorInfo;

/* Everything libxml2 reports during one parse or validation; the first
 * error is kept (later ones are mostly its consequences), and the first
 * that names a node, because a path is what a person needs. */
typedef struct ErrorCollector {
	XmlErrorInfo first;
	XmlErrorInfo first_with_node;
	bool doctype;
} ErrorCollector;

void error_collector_done(ErrorCollector *c);
/* For xmlRelaxNGSet*StructuredErrors; data is the ErrorCollector. */
void relaxng_error_handler(void *data, xmlErrorPtr e);
/* A parser context that reports into c and stops at a DOCTYPE. */
xmlParserCtxtPtr new_parser_ctxt(ErrorCollector *c);
/* libxml2's well-formedness error (ec->first) as ZV_ERROR_INVALID_XML. */
int not_well_formed(const ErrorCollector *ec, ZvError *err);

/* A value quoted in a message: at most 64 bytes, cut between characters,
 * control characters and invalid bytes as '?' (util/utf8.h). */
const char *shorten(const char *s, char buf[static 80]);
const char *node_label(const xmlNode *n);
void utf8_trim_partial(char *s);

/* "Invalid domain XML at /domain/devices/disk[2]/driver: <what> (line 7)" */
int xml_error_at_line(ZvError *err, const xmlNode *node, long line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
#define xml_error(err, node, ...) xml_error_at_line(err, node, 0, __VA_ARGS__)

/* ---- xml-schema.c: the RelaxNG schema ------------------------------------ */

/* Loads the schema on first use; refusals explained at their path. */
int schema_validate(xmlDocPtr doc, ZvError *err);

/* ---- xml-read.c: reading values ------------------------------------------ */

/* Where a disk's elements are, for messages about it. */
typedef struct DiskNodes {
	xmlNode *disk, *target, *boot, *address;
} DiskNodes;

/* Where an interface's elements are, for messages about it. */
typedef struct InterfaceNodes {
	xmlNode *iface, *mac, *target, *boot, *address;
} InterfaceNodes;

/* An alias kept by the parse, and its <alias> element. */
typedef struct AliasNode {
	const char *alias; /* owned by the device's DeviceInfo */
	xmlNode *node;
} AliasNode;

/* One parse: the definition being read, and the nodes that messages of
 * the checks across devices point at. */
typedef struct ParseContext {
	ZvError *err;
	DomainXMLParseFlags flags;
	const DomainXMLDefaults *defaults;
	DomainDef *def;
	DiskNodes *disk_nodes; /* parallel to def->disks, for messages */
	/* Parallel to def->controllers: the element (NULL for an implicit
	 * one) and whether it had index=. */
	xmlNode **controller_nodes;
	bool *controller_index_given;
	size_t controllers_size; /* allocated, for the implicit ones */
	/* Parallel to def->hostdevs: the element and its guest <address>. */
	xmlNode **hostdev_nodes;
	xmlNode **hostdev_addresses;
	xmlNode **console_nodes;
	InterfaceNodes *interface_nodes; /* parallel to def->interfaces */
	xmlNode *devices_node;           /* <devices>, where implicit devices are added */
	xmlNode *memballoon_node;
	xmlNode *memballoon_address;
	xmlNode *rng_node, *rng_address;
	xmlNode *watchdog_node;
	xmlNode *os_boot;
	AliasNode *aliases; /* of every device, in document order */
	size_t n_aliases, aliases_size;
	xmlNode *iothreads_node, *iothreadids_node; /* resources-xml.c */
	unsigned iothreads_count;                   /* <iothreads> text */
} ParseContext;

bool node_before(const xmlNode *a, const xmlNode *b);
bool node_is(const xmlNode *n, const char *name);
bool is_xml_space(char c);
bool has_element_children(const xmlNode *node);
int count_children(const xmlNode *n, const char *name, size_t *ret);
const char *trim(char *s);
int parse_u64(char *text, uint64_t *ret);

int node_text(const xmlNode *n, char **ret);
int attr_get(const xmlNode *n, const char *name, char **ret);
int check_attributes(ParseContext *c, const xmlNode *n, const char *const *allowed);
#define CHECK_ATTRIBUTES(c, n, ...) check_attributes(c, n, (const char *const[]){__VA_ARGS__, NULL})
int next_child(ParseContext *c, const xmlNode *parent, xmlNode **iter);
int unknown_element(ParseContext *c, const xmlNode *n);
int once(ParseContext *c, xmlNode **slot, xmlNode *n);
int require(ParseContext *c, const xmlNode *parent, const xmlNode *child, const char *name);
int text_u64(ParseContext *c, const xmlNode *n, const char *what, uint64_t *ret);
int text_unsigned(ParseContext *c, const xmlNode *n, const char *what, unsigned *ret);
int attr_unsigned(ParseContext *c, const xmlNode *n, const char *name, unsigned *ret, bool *present);
int attr_on_off(ParseContext *c, const xmlNode *n, const char *name, bool *ret, bool *present);
int attr_enum(ParseContext *c, const xmlNode *n, const char *name, int (*from_string)(const char *),
	      const char *expected, int *ret);
int check_absolute_path(ParseContext *c, const xmlNode *n, const char *what, const char *path);
int parse_memory(ParseContext *c, const xmlNode *n, const char *what, uint64_t *ret_kib);

/* ---- xml-write.c: writing ------------------------------------------------ */

void put_escaped(FILE *f, const char *s, bool attribute);
void put_indent(FILE *f, unsigned level);
void put_text_element(FILE *f, unsigned level, const char *name, const char *text);
void put_attribute(FILE *f, const char *name, const char *value);

/* ---- the element families ------------------------------------------------ */

/* Into c->def; <boot dev='hd'/> is remembered in c->os_boot. */
int parse_os(ParseContext *c, xmlNode *n);
void put_os(FILE *f, const DomainDef *def);

/* <alias name='...'/> of a device (device-info-xml.c): a user's ua-NAME
 * is kept; the daemon's own only with DOMAIN_XML_PARSE_LIVE, dropped
 * otherwise like a pty path. */
int parse_device_alias(ParseContext *c, xmlNode *n, DeviceInfo *info);
/* Shown live, and the user's also in the persistent (inactive) form. */
bool device_alias_shown(const DeviceInfo *info, bool live);
void put_device_alias(FILE *f, unsigned level, const DeviceInfo *info, bool live);

int parse_ccw_address(ParseContext *c, xmlNode *n, CcwAddress *ret);
void put_ccw_address(FILE *f, unsigned level, const CcwAddress *a);

/* Which <address> a device takes (drive-address-xml.c). */
typedef enum AddressKind {
	ADDRESS_CCW,           /* type='ccw', into info->address */
	ADDRESS_DRIVE,         /* type='drive', into info->drive */
	ADDRESS_DRIVE_OR_SCSI, /* the same, or type='scsi' as the seed writes it */
} AddressKind;
/* what: "a SCSI disk", for the message about a wrong type. */
int parse_device_address(ParseContext *c, xmlNode *n, AddressKind want, const char *what, DeviceInfo *info);
void put_drive_address(FILE *f, unsigned level, const DriveAddress *a);

int parse_disk(ParseContext *c, xmlNode *n, DiskDef *disk, DiskNodes *nodes);
void put_disk(FILE *f, const DiskDef *d, bool live);

int parse_controller(ParseContext *c, xmlNode *n, ControllerDef *cont, bool *index_given);
void put_controller(FILE *f, const ControllerDef *cont, bool live);

/* *ret_address: the guest <address> element, or NULL. */
int parse_hostdev(ParseContext *c, xmlNode *n, HostdevDef *h, xmlNode **ret_address);
void put_hostdev(FILE *f, const HostdevDef *h, bool live);

/* interface-xml.c; a missing <mac> is generated (mac_generated). */
int parse_interface(ParseContext *c, xmlNode *n, InterfaceDef *net, InterfaceNodes *nodes);
void put_interface(FILE *f, const InterfaceDef *net, bool live);
/* what: "source dev", for the message. */
int check_ifname(ParseContext *c, const xmlNode *n, const char *what, const char *name);

int parse_console(ParseContext *c, xmlNode *n, ConsoleDef *con);
void put_console(FILE *f, const ConsoleDef *con, bool live);

/* Into c->def->memballoon. */
int parse_memballoon(ParseContext *c, xmlNode *n);
void put_memballoon(FILE *f, const MemballoonDef *mb, bool live);

/* resources-xml.c: <vcpu>, <cputune>, <iothreads> and <iothreadids>
 * into c->def; finish_iothreads() numbers the threads once the whole
 * document is read, check_disk_iothreads() checks each disk's. */
int parse_vcpu(ParseContext *c, xmlNode *n);
int parse_cputune(ParseContext *c, xmlNode *n);
int parse_iothreads(ParseContext *c, xmlNode *n);
int parse_iothreadids(ParseContext *c, xmlNode *n);
int finish_iothreads(ParseContext *c);
int check_disk_iothreads(ParseContext *c);
/* <vcpu>, <iothreads>, <iothreadids>, <cputune>, in libvirt's order. */
void put_resources(FILE *f, const DomainDef *def);
/* <boot order='N' loadparm='...'/> of a device (device-info-xml.c). */
int parse_device_boot(ParseContext *c, xmlNode *n, DeviceInfo *info);
void put_device_boot(FILE *f, unsigned level, const DeviceInfo *info);

/* Into c->def->watchdog and c->def->rng (one each). */
int parse_watchdog(ParseContext *c, xmlNode *n);
void put_watchdog(FILE *f, const WatchdogDef *w, bool live);
int parse_rng(ParseContext *c, xmlNode *n);
void put_rng(FILE *f, const RngDef *rng, bool live);

/* <keywrap> (keywrap-xml.c): machine options, written after </devices>
 * as libvirt does. */
int parse_keywrap(ParseContext *c, xmlNode *n);
void put_keywrap(FILE *f, const DomainDef *def);

/* implied-xml.c: what libvirt's dumpxml shows that zvirtd does anyway
 * (<cpu mode='host-passthrough'/>, the DAC <seclabel>, an empty
 * <features/>, <panic model='s390'/>, <audio type='none'/>), and
 * <resource>, which it does not. */
int parse_cpu(ParseContext *c, xmlNode *n);
void put_cpu(FILE *f, const DomainDef *def);
int parse_seclabel(ParseContext *c, xmlNode *n);
void put_seclabel(FILE *f, const DomainDef *def);
int parse_features(ParseContext *c, xmlNode *n);
int parse_resource(ParseContext *c, xmlNode *n);
int parse_panic(ParseContext *c, xmlNode *n);
void put_panic(FILE *f, const DomainDef *def);
int parse_audio(ParseContext *c, xmlNode *n);
void put_audio(FILE *f, const DomainDef *def);

/* ---- domain-xml.c: the document ----------------------------------------- */

/* domain_def_parse without DOMAIN_XML_MAX_SIZE, which bounds what callers
 * send: a definition that came in under it may format to more (every
 * address written out), and domain_def_copy must still read it back. */
int domain_def_parse_any_size(const char *xml, size_t len, const DomainXMLDefaults *defaults,
			      DomainXMLParseFlags flags, DomainDef **ret, ZvError *err);

/* ---- domain-validate.c: across devices ----------------------------------- */

int sort_disks(ParseContext *c);
int check_boot_orders(ParseContext *c);
int check_consoles(ParseContext *c);
/* MACs and host-side names unique among the interfaces. */
int check_interfaces(ParseContext *c);
int check_aliases(ParseContext *c);
/* scsi-validate.c: controller indexes (libvirt's default for a missing
 * one, unique, contiguous), the drive addresses of SCSI disks and
 * hostdevs (assigned as libvirt does unless NO_DEFAULTS, unique), and
 * the implicit controllers they name. Before ccw assignment. */
int check_scsi(ParseContext *c);
/* For messages: the element's path. */
void path_of(const xmlNode *n, char *buf, size_t size);
/* The error for r from ccw_assign_domain or ccw_address_set_add_domain. */
int ccw_error(ParseContext *c, int r, const CcwConflict *conflict);
int fill_defaults(ParseContext *c);
