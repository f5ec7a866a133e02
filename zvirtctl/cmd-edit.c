/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* edit: the domain's XML in $VISUAL or $EDITOR, then DefineXML; a
 * refused document is offered for another edit, as virsh does. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "call.h"
#include "command.h"
#include "domain-call.h"
#include "domain-info.h"
#include "errors.h"
#include "output.h"
#include "util/cleanup.h"

static int write_all(int fd, const char *text)
{
	size_t len = strlen(text);

	while (len > 0) {
		ssize_t n = write(fd, text, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Runs the editor on the file as virsh does: its words through sh, so
 * that EDITOR="emacs -nw" works; the file as the last argument. */
static int run_editor(const char *file)
{
	const char *editor = getenv("VISUAL");
	_cleanup_free_ char *cmd = NULL;
	int status;

	if (!editor || !*editor)
		editor = getenv("EDITOR");
	if (!editor || !*editor)
		editor = "vi";
	if (asprintf(&cmd, "%s \"$1\"", editor) < 0)
		return -ENOMEM;
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, "sh", file, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "error: " SD_BUS_ERROR_FAILED ": the editor '%s' failed (status %d)\n",
			editor, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		return -ECHILD;
	}
	return 0;
}

/* On a terminal: ask whether to edit the refused document again. */
static bool again(const Ctl *ctl)
{
	_cleanup_free_ char *line = NULL;
	size_t size = 0;

	if (!ctl->interactive)
		return false;
	for (;;) {
		printf("Failed. Try again? [y,n]: ");
		fflush(stdout);
		if (getline(&line, &size, stdin) < 0)
			return false;
		if (line[0] == 'y' || line[0] == 'Y')
			return true;
		if (line[0] == 'n' || line[0] == 'N')
			return false;
	}
}

static int edit_loop(Ctl *ctl, const DomainInfo *info, const char *file, const char *original)
{
	for (;;) {
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
		_cleanup_(domain_info_done) DomainInfo now = {0};
		_cleanup_free_ char *xml = NULL;
		const char *path;
		int r = run_editor(file);

		if (r == -ECHILD)
			return ZVIRTCTL_EXIT_FAILURE;
		if (r < 0)
			return error_report(NULL, r);
		r = command_read_file(file, &xml);
		if (r >= 0)
			return r;
		if (strcmp(xml, original) == 0) {
			if (ctl->json) {
				json_object *doc = domain_info_json(info);
				if (doc)
					json_object_object_add(doc, "changed",
							       json_object_new_boolean(false));
				return output_json(doc, true) < 0 ? error_report(NULL, -ENOMEM)
								  : ZVIRTCTL_EXIT_OK;
			}
			printf("Domain '%s' XML configuration not changed.\n\n", info->name);
			return ZVIRTCTL_EXIT_OK;
		}
		r = call_string(ctl, ZVIRT_MANAGER_PATH, ZVIRT_MANAGER_IFACE, "DefineXML", xml, &error,
				&reply);
		if (r >= 0)
			r = sd_bus_message_read(reply, "o", &path);
		if (r >= 0)
			r = domain_info_get(ctl, path, &now, &error);
		if (r < 0) {
			int code = error_report(&error, r);
			/* Only a document the daemon refused is worth another edit. */
			if (code == ZVIRTCTL_EXIT_INVALID && again(ctl))
				continue;
			return code;
		}
		if (ctl->json) {
			json_object *doc = domain_info_json(&now);
			if (doc)
				json_object_object_add(doc, "changed", json_object_new_boolean(true));
			return output_json(doc, true) < 0 ? error_report(NULL, -ENOMEM) : ZVIRTCTL_EXIT_OK;
		}
		printf("Domain '%s' XML configuration edited.\n\n", now.name);
		return ZVIRTCTL_EXIT_OK;
	}
}

static int option_inactive(sd_bus_message *m, const DomainCall *dc)
{
	return call_option_bool(m, "inactive", true);
}

static int run_edit(Ctl *ctl, int argc, char **argv)
{
	_cleanup_(domain_call_done) DomainCall dc = {.cmd = command_find(edit_commands, "edit")};
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_free_ char *file = NULL;
	const char *xml, *tmpdir = getenv("TMPDIR");
	const DomainInfo *info = &dc.info;
	int r = domain_call_parse(ctl, &dc, argc, argv);

	if (r >= 0)
		return r;
	/* What the next start gets, as virsh edit shows it. */
	r = domain_call_method(ctl, &dc, NULL, NULL, "GetXMLDesc", option_inactive, &error, &reply, NULL);
	if (r >= 0)
		r = sd_bus_message_read(reply, "s", &xml);
	if (r < 0)
		return error_report(&error, r);

	if (asprintf(&file, "%s/zvirtctl-%s-XXXXXX.xml", tmpdir && *tmpdir ? tmpdir : "/tmp", info->name) <
	    0)
		return error_report(NULL, -ENOMEM);
	/* A domain name has no '/' (DefineXML's rule): it is safe in a file name. */
	_cleanup_close_ int fd = mkstemps(file, 4);
	if (fd < 0) {
		sd_bus_error_set_errnof(&error, errno, "Cannot create a file for the editor: %m");
		return error_report(&error, -errno);
	}
	r = write_all(fd, xml);
	if (r < 0) {
		(void)unlink(file);
		return error_report(NULL, r);
	}
	close(TAKE_FD(fd));
	int code = edit_loop(ctl, info, file, xml);
	(void)unlink(file);
	return code;
}

const Command edit_commands[] = {
	{"edit", run_edit, "DOMAIN",
	 "edit the domain's XML in $VISUAL or $EDITOR, then define it (again on a refusal, on a terminal)"},
	{},
};
