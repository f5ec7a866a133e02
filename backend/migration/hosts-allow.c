/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The relocation server's peer check (hosts-allow.h), on regcomp's
 * extended syntax: the same expressions xend's Python accepted, for the
 * cases its documentation shows (^localhost$, ^.*\.example\.com$,
 * ^192\.168\.1\.[0-9]+$). */
#include "migration/hosts-allow.h"

#include <errno.h>
#include <stdbool.h>
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

/* glibc's regcomp copies what a quantifier repeats, so quantifiers on
 * quantifiers grow it exponentially ("c" and 22 "+" take seconds, nested
 * intervals more). POSIX leaves adjacent duplication symbols undefined
 * anyway, and a host name needs few: the product of every quantifier's
 * repeat count (2 for *, + and ?; an interval's bound) stays under this. */
#define HOSTS_ALLOW_MAX_REPEAT 1024
#define HOSTS_ALLOW_MAX_LENGTH 256

static bool too_complex(const char *re)
{
	unsigned long product = 1;
	if (strlen(re) > HOSTS_ALLOW_MAX_LENGTH)
		return true;
	for (const char *p = re; *p; p++) {
		unsigned long factor = 1;
		if (*p == '\\') {
			if (!*++p)
				break;
			continue;
		}
		if (*p == '[') {
			/* A bracket expression: its ']' right after '[' or '[^' is a member. */
			p++;
			if (*p == '^')
				p++;
			if (*p == ']')
				p++;
			while (*p && *p != ']')
				p++;
			if (!*p)
				break;
			continue;
		}
		if (*p == '*' || *p == '+' || *p == '?')
			factor = 2;
		else if (*p == '{') {
			char *end;
			unsigned long lo = strtoul(p + 1, &end, 10), hi = lo;
			if (*end == ',')
				hi = end[1] == '}' ? lo + 1 : strtoul(end + 1, &end, 10);
			factor = (hi > lo ? hi : lo) + 1;
		}
		if (factor > HOSTS_ALLOW_MAX_REPEAT || (product *= factor) > HOSTS_ALLOW_MAX_REPEAT)
			return true;
	}
	return false;
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
		if (too_complex(word)) {
			if (ret_error &&
			    asprintf(ret_error,
				     "'%.64s%s' is too complex: at most %d characters, and its quantifiers "
				     "may repeat at most %d times in all",
				     word, strlen(word) > 64 ? "..." : "", HOSTS_ALLOW_MAX_LENGTH,
				     HOSTS_ALLOW_MAX_REPEAT) < 0)
				*ret_error = NULL;
			hosts_allow_free(h);
			return -EINVAL;
		}
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
