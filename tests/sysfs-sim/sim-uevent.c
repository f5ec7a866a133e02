/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Uevents of the simulator (sim-uevent.h). */
#include "sim-uevent.h"

#include <linux/netlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int sock = -1;
static unsigned long long seqnum = 1000;

int sim_uevent_open(void)
{
	sock = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
	if (sock < 0)
		return -1;
	struct sockaddr_nl a = {.nl_family = AF_NETLINK};
	return bind(sock, (struct sockaddr *)&a, sizeof(a));
}

void sim_uevent(const char *action, const char *devpath, const char *subsystem, const char *const *extra)
{
	char buf[4096];
	size_t n = 0;
	int k;
#define ADD(...)                                                     \
	do {                                                         \
		k = snprintf(buf + n, sizeof(buf) - n, __VA_ARGS__); \
		if (k < 0 || (size_t)k + 1 >= sizeof(buf) - n)       \
			return;                                      \
		n += (size_t)k + 1;                                  \
	} while (0)
	if (sock < 0)
		return;
	ADD("%s@%s", action, devpath);
	ADD("ACTION=%s", action);
	ADD("DEVPATH=%s", devpath);
	ADD("SUBSYSTEM=%s", subsystem);
	for (size_t i = 0; extra && extra[i]; i++)
		ADD("%s", extra[i]);
	ADD("SEQNUM=%llu", seqnum++);
#undef ADD
	struct sockaddr_nl to = {.nl_family = AF_NETLINK, .nl_groups = 1};
	(void)!sendto(sock, buf, n, 0, (struct sockaddr *)&to, sizeof(to));
}
