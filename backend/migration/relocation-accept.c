/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Accepting a migration's data connection from an allowed peer only
 * (relocation-accept.h). One connection is looked at at a time; the
 * others wait in the listen backlog. */
#include "migration/relocation-accept.h"

#include <errno.h>
#include <stdbool.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/log.h"
#include "util/worker.h"

/* One peer's reverse lookup, owned by its job once the acceptor has
 * gone: the acceptor never waits for a resolver. */
typedef struct Lookup {
	RelocationAccept *owner; /* NULL: abandoned, done frees it */
	WorkerJob *job;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char address[NI_MAXHOST], name[NI_MAXHOST];
} Lookup;

struct RelocationAccept {
	sd_event *event;
	int listen_fd;
	sd_event_source *io, *timer;
	const HostsAllow *allow;
	char *what;
	relocation_accept_fn cb;
	void *userdata;
	Worker *worker; /* the caller's: the reverse lookups */
	/* The connection being looked at. */
	int conn_fd;
	Lookup *lookup;
};

RelocationAccept *relocation_accept_free(RelocationAccept *a)
{
	if (!a)
		return NULL;
	if (a->lookup) {
		if (worker_job_cancel(a->lookup->job) == 0)
			free(a->lookup);
		else
			a->lookup->owner = NULL; /* it ends on its own */
	}
	sd_event_source_disable_unref(a->io);
	sd_event_source_disable_unref(a->timer);
	if (a->listen_fd >= 0)
		close(a->listen_fd);
	if (a->conn_fd >= 0)
		close(a->conn_fd);
	sd_event_unref(a->event);
	free(a->what);
	free(a);
	return NULL;
}

/* Hands the outcome over once; a is the callback's to free. */
static void finish(RelocationAccept *a, int result, int fd, const char *peer)
{
	relocation_accept_fn cb = a->cb;
	a->cb = NULL;
	(void)sd_event_source_set_enabled(a->io, SD_EVENT_OFF);
	(void)sd_event_source_set_enabled(a->timer, SD_EVENT_OFF);
	cb(result, fd, peer, a->userdata);
}

/* Whether name resolves to the peer's address again: whoever controls
 * the reverse zone of an address can make it say any name, but not what
 * that name resolves to (the forward-confirmed reverse lookup of
 * tcp_wrappers' PARANOID). */
static bool name_confirmed(const Lookup *a)
{
	struct addrinfo hints = {.ai_family = a->addr.ss_family, .ai_socktype = SOCK_STREAM}, *res = NULL;
	if (getaddrinfo(a->name, NULL, &hints, &res) != 0)
		return false;
	bool found = false;
	for (const struct addrinfo *i = res; i && !found; i = i->ai_next) {
		char address[NI_MAXHOST];
		found = getnameinfo(i->ai_addr, i->ai_addrlen, address, sizeof(address), NULL, 0,
				    NI_NUMERICHOST) == 0 &&
			strcmp(address, a->address) == 0;
	}
	freeaddrinfo(res);
	return found;
}

/* On the worker: the peer's host name, "" when it has none or when the
 * name does not lead back to its address. */
static int lookup_job(void *userdata)
{
	Lookup *a = userdata;
	if (getnameinfo((struct sockaddr *)&a->addr, a->addr_len, a->name, sizeof(a->name), NULL, 0,
			NI_NAMEREQD) != 0)
		a->name[0] = 0;
	else if (!name_confirmed(a)) {
		log_warning("The migration peer %s says its name is %s, which does not resolve to it; "
			    "judged by its address alone",
			    a->address, a->name);
		a->name[0] = 0;
	}
	return 0;
}

static void lookup_done(int result, void *userdata)
{
	_cleanup_free_ Lookup *l = userdata;
	RelocationAccept *a = l->owner;
	if (!a)
		return;
	a->lookup = NULL;
	char peer[2 * NI_MAXHOST + 4];
	if (l->name[0])
		snprintf(peer, sizeof(peer), "%s (%s)", l->name, l->address);
	else
		snprintf(peer, sizeof(peer), "%s", l->address);
	if (hosts_allow_match(a->allow, l->name, l->address)) {
		int fd = TAKE_FD(a->conn_fd);
		finish(a, 0, fd, peer);
		return;
	}
	log_warning("Refused the migration connection of %s from %s: not in [Relocation] HostsAllow=",
		    a->what, peer);
	a->conn_fd = (close(a->conn_fd), -1);
	(void)sd_event_source_set_enabled(a->io, SD_EVENT_ON);
}

static int on_connection(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	RelocationAccept *a = userdata;
	Lookup *l = calloc(1, sizeof(*l));
	if (!l)
		return 0; /* the connection waits in the backlog */
	l->owner = a;
	l->addr_len = sizeof(l->addr);
	int c = accept4(fd, (struct sockaddr *)&l->addr, &l->addr_len, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (c < 0) {
		int e = errno;
		free(l);
		if (e == EAGAIN || e == EINTR || e == ECONNABORTED)
			return 0;
		finish(a, -e, -1, NULL);
		return 0;
	}
	int k = getnameinfo((struct sockaddr *)&l->addr, l->addr_len, l->address, sizeof(l->address), NULL,
			    0, NI_NUMERICHOST);
	if (k != 0)
		snprintf(l->address, sizeof(l->address), "?");
	a->conn_fd = c;
	a->lookup = l;
	/* One at a time: the next waits in the backlog until this one is
	 * decided. */
	(void)sd_event_source_set_enabled(a->io, SD_EVENT_OFF);
	k = worker_submit(a->worker, lookup_job, lookup_done, l, &l->job);
	if (k < 0)
		lookup_done(0, l); /* by address alone */
	return 0;
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	RelocationAccept *a = userdata;
	log_warning("No allowed migration connection of %s came in time", a->what);
	finish(a, -ETIMEDOUT, -1, NULL);
	return 0;
}

int relocation_accept_new(sd_event *event, Worker *worker, int listen_fd, const HostsAllow *allow,
			  uint64_t timeout_usec, const char *what, relocation_accept_fn cb, void *userdata,
			  RelocationAccept **ret)
{
	if (!event || !worker || listen_fd < 0 || !allow || !cb || !ret) {
		if (listen_fd >= 0)
			close(listen_fd);
		return -EINVAL;
	}
	RelocationAccept *a = calloc(1, sizeof(*a));
	if (!a) {
		close(listen_fd);
		return -ENOMEM;
	}
	*a = (RelocationAccept){.event = sd_event_ref(event),
				.listen_fd = listen_fd,
				.allow = allow,
				.cb = cb,
				.userdata = userdata,
				.worker = worker,
				.conn_fd = -1};
	int r = (a->what = strdup(what ? what : "a domain")) ? 0 : -ENOMEM;
	if (r >= 0)
		r = sd_event_add_io(event, &a->io, listen_fd, EPOLLIN, on_connection, a);
	if (r >= 0)
		r = sd_event_add_time_relative(event, &a->timer, CLOCK_MONOTONIC, timeout_usec, 0,
					       on_timeout, a);
	if (r < 0) {
		relocation_accept_free(a);
		return r;
	}
	*ret = a;
	return 0;
}
