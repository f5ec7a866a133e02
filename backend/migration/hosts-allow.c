/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The relocation server's peer check (hosts-allow.h), on regcomp's
 * extended syntax: the same expressions xend's Python accepted, for the
 * cases its documentation shows (^localhost$, ^.*\.example\.com$,
 * ^192\.168\.1\.[0-9]+$). */
#include "migration/hosts-allow.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

struct HostsAllow {
	regex_t *res;
	size_t n;
};

HostsAllow *hosts_allow_free(HostsAllow *h)
{
	if (!h)
		return NULL;
	for (size_t i = 0; i < h->n; i++)
		regfree(&h->res[i]);
	free(h->res);
	free(h);
	return NULL;
}

int hosts_allow_parse(const char *spec, HostsAllow **ret, char **ret_error)
{
	_cleanup_free_ char *copy = strdup(spec ? spec : "");
	HostsAllow *h = calloc(1, sizeof(*h));
	if (!copy || !h) {
		free(h);
		return -ENOMEM;
	}
	char *save = NULL;
	for (char *word = strtok_r(copy, " \t", &save); word; word = strtok_r(NULL, " \t", &save)) {
		regex_t *res = realloc(h->res, (h->n + 1) * sizeof(*res));
		if (!res) {
			hosts_allow_free(h);
			return -ENOMEM;
		}
		h->res = res;
		int k = regcomp(&h->res[h->n], word, REG_EXTENDED | REG_ICASE);
		if (k != 0) {
			char msg[128];
			regerror(k, &h->res[h->n], msg, sizeof(msg));
			if (ret_error &&
			    asprintf(ret_error, "'%s' is not a regular expression: %s", word, msg) < 0)
				*ret_error = NULL;
			hosts_allow_free(h);
			return -EINVAL;
		}
		h->n++;
	}
	*ret = h;
	return 0;
}

/* re.match: the expression matches at the start of s. regexec finds
 * the leftmost match, so one that starts at 0 exists exactly when the
 * leftmost does. */
static bool match_start(const regex_t *re, const char *s)
{
	regmatch_t m[1];
	return regexec(re, s, 1, m, 0) == 0 && m[0].rm_so == 0;
}

bool hosts_allow_match(const HostsAllow *h, const char *name, const char *address)
{
	if (!h || h->n == 0)
		return true;
	for (size_t i = 0; i < h->n; i++)
		if ((name && *name && match_start(&h->res[i], name)) ||
		    (address && match_start(&h->res[i], address)))
			return true;
	return false;
}
