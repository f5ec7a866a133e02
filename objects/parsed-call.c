/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Calls whose XML is parsed before polkit is asked (parsed-call.h). */
#include "parsed-call.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "polkit.h"
#include "util/cleanup.h"

typedef struct ParsedCall {
	char key[32]; /* the message's address, as polkit.c keys it */
	Objects *objects;
	sd_bus_message *m;
	RegistryCreate *c;
	const ParsedCallOps *ops;
	bool no_user_interaction;
	size_t opts_size;
	char opts[]; /* the handler's options, copied */
} ParsedCall;

static ParsedCall *parsed_call_free(ParsedCall *pc)
{
	if (!pc)
		return NULL;
	registry_create_free(pc->c);
	sd_bus_message_unref(pc->m);
	if (pc->ops->free_opts)
		pc->ops->free_opts(pc->opts);
	free(pc);
	return NULL;
}

/* 1: allowed and started (ops->start answers), 0: polkit is asked, < 0:
 * refused. */
static int authorize(ParsedCall *pc, sd_bus_error *error)
{
	const char *details[] = {
		"verb",        pc->ops->verb,
		"domain_name", registry_create_name(pc->c),
		"domain_uuid", registry_create_uuid(pc->c),
		NULL,
	};
	int r = polkit_check(pc->objects, pc->m, pc->ops->action, details, pc->no_user_interaction, error);
	if (r <= 0)
		return r;
	pc->ops->start(pc->objects, pc->m, TAKE_PTR(pc->c), pc->opts);
	return 1;
}

static void on_parsed(Registry *r, int result, RegistryCreate *c, const ZvError *err, void *userdata)
{
	ParsedCall *pc = userdata;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;

	if (result < 0) {
		(void)bus_reply_zv_error(pc->m, err, result);
		parsed_call_free(pc);
		return;
	}
	pc->c = c;
	int k = authorize(pc, &error);
	if (k == 0) {
		k = hashmap_put(pc->objects->pending_creates, pc->key, pc);
		if (k >= 0)
			return;
	}
	if (k < 0)
		(void)sd_bus_reply_method_errno(pc->m, -k, &error);
	parsed_call_free(pc);
}

int parsed_call_dispatch(Objects *o, sd_bus_message *m, const char *xml, const ParsedCallOps *ops,
			 void *opts, size_t opts_size, bool no_user_interaction, sd_bus_error *error)
{
	char key[32];
	assert(o);
	assert(m);
	assert(ops && ops->start);

	/* polkit answered: the parse is done, the call goes on (or not). */
	snprintf(key, sizeof(key), "%p", (void *)m);
	ParsedCall *pc = hashmap_remove(o->pending_creates, key);
	/* Read again from the same message: the first reading's copy counts. */
	if (pc && ops->free_opts)
		ops->free_opts(opts);
	if (pc) {
		int r = authorize(pc, error);
		parsed_call_free(pc);
		return r < 0 ? r : 1;
	}

	pc = calloc(1, sizeof(*pc) + opts_size);
	if (!pc) {
		if (ops->free_opts)
			ops->free_opts(opts);
		return -ENOMEM;
	}
	memcpy(pc->key, key, sizeof(key));
	pc->objects = o;
	pc->m = sd_bus_message_ref(m);
	pc->ops = ops;
	pc->no_user_interaction = no_user_interaction;
	pc->opts_size = opts_size;
	if (opts_size)
		memcpy(pc->opts, opts, opts_size);
	int r = registry_create_parse_async(o->registry, xml, strlen(xml), on_parsed, pc);
	if (r < 0) {
		parsed_call_free(pc);
		return r;
	}
	return 1;
}

void objects_parsed_calls_done(Objects *o)
{
	ParsedCall *pc;
	for (size_t i = 0; o->pending_creates && hashmap_iterate(o->pending_creates, &i, (void **)&pc);)
		parsed_call_free(pc);
	hashmap_free(o->pending_creates);
	o->pending_creates = NULL;
}
