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
#include "connection.h"
#include "domain-info.h"
#include "errors.h"
#include "output.h"
#include "util/cleanup.h"

static const Command *command(void);

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

static int run_edit(Ctl *ctl, int argc, char **argv)
{
	static const struct option options[] = {
		COMMAND_COMMON_OPTIONS,
		{},
	};
	const Command *cmd = command();
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_(domain_info_done) DomainInfo info = {0};
	_cleanup_free_ char *path = NULL, *file = NULL;
	CommandArgs args = {0};
	const char *xml, *tmpdir = getenv("TMPDIR");
	int c, r;

	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
		r = command_common_option(ctl, cmd, &args, argv, c);
		if (r >= 0)
			return r;
	}
	r = command_positional(cmd, &args, argc, argv, 1, NULL);
	if (r >= 0)
		return r;
	r = connection_ensure(ctl);
	if (r >= 0)
		return r;
	r = command_domain_path(ctl, &args, &path);
	if (r >= 0)
		return r;
	r = domain_info_get(ctl, path, &info, &error);
	/* What the next start gets, as virsh edit shows it. */
	if (r >= 0)
		r = call_new(ctl, path, ZVIRT_DOMAIN_IFACE, "GetXMLDesc", &m);
	if (r >= 0)
		r = call_options_open(m);
	if (r >= 0)
		r = call_option_bool(m, "inactive", true);
	if (r >= 0)
		r = call_run(ctl, m, &error, &reply);
	if (r >= 0)
		r = sd_bus_message_read(reply, "s", &xml);
	if (r < 0)
		return error_report(&error, r);

	if (asprintf(&file, "%s/zvirtctl-%s-XXXXXX.xml", tmpdir && *tmpdir ? tmpdir : "/tmp", info.name) < 0)
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
	int code = edit_loop(ctl, &info, file, xml);
	(void)unlink(file);
	return code;
}

const Command edit_commands[] = {
	{"edit", run_edit, "DOMAIN",
	 "edit the domain's XML in $VISUAL or $EDITOR, then define it (again on a refusal, on a terminal)"},
	{},
};

static const Command *command(void)
{
	return &edit_commands[0];
}
