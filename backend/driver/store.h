/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Files: definitions in <StateDir>/domains/<uuid>.xml (durable), the
 * autostart mark as a symlink <StateDir>/autostart/<uuid>.xml pointing at
 * the definition (as libvirt's autostart/ directory), runtime status of
 * active domains in <RunDir>/domains/<uuid>.xml (what a restarted daemon
 * needs to reattach). Every write is atomic. */

#include <stdbool.h>
#include <sys/types.h>

#include "conf/domain-xml.h"
#include "conf/settings.h"
#include "conf/status-xml.h"

int store_prepare_dirs(const Settings *s);

/* One daemon per RunDir: takes <RunDir>/zvirtd.lock (flock, released
 * when the process ends however it ends) and returns its fd, or -EBUSY
 * while another daemon holds it. */
int store_lock_instance(const Settings *s);

/* The durable changes. They take the state directory, not the settings,
 * because a worker thread runs them (with a copy: a reload may replace
 * the settings meanwhile); thread-safe. < 0: nothing changed. 0: done,
 * and *ret_unsynced is 0, or < 0 when the change is in place but the
 * fsync of its directory failed, so a power cut may still undo it. */
int store_write_definition(const char *state_dir, const char *uuid_hex, const char *xml, int *ret_unsynced);
int store_save_definition(const char *state_dir, const DomainDef *def, int *ret_unsynced);
int store_remove_definition(const char *state_dir, const char *uuid_hex, int *ret_unsynced);
/* Marks or unmarks a definition for start at boot. */
int store_set_autostart(const char *state_dir, const char *uuid_hex, bool autostart, int *ret_unsynced);

/* Calls cb for every <StateDir>/domains/<32 hex>.xml with its contents. */
typedef int (*store_definition_fn)(const char *path, const char *xml, size_t len, void *userdata);
int store_foreach_definition(const Settings *s, store_definition_fn cb, void *userdata);

/* Calls cb for every autostart mark, with the UUID it names. */
typedef int (*store_autostart_fn)(const char *uuid_hex, void *userdata);
int store_foreach_autostart(const Settings *s, store_autostart_fn cb, void *userdata);
/* Autostart is once per host boot, not per daemon start: the first caller
 * after a boot (RunDir is emptied by it) gets 1 and leaves a mark in
 * RunDir, later ones get 0. */
int store_claim_boot_autostart(const Settings *s);

/* The runtime status file of an active domain (atomic, not durable:
 * RunDir does not outlive a boot). */
int store_save_status(const Settings *s, const char *uuid_hex, const DomainStatus *st);
int store_remove_status(const Settings *s, const char *uuid_hex);

typedef int (*store_status_fn)(const char *uuid_hex, DomainStatus *st, void *userdata);
/* Parses every status file; unreadable ones are logged and removed. */
int store_foreach_status(const Settings *s, const DomainXMLDefaults *defaults, store_status_fn cb,
			 void *userdata);

/* Removes <StateDir>/save/<uuid>.save.tmp.* : managed saves that a
 * crash cut short (only one daemon runs, so none is under way). */
void store_remove_save_leftovers(const Settings *s);

/* <dir>/domains/<uuid_hex><suffix>, malloc'd. */
char *store_path(const char *dir, const char *uuid_hex, const char *suffix);
