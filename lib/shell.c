// SPDX-License-Identifier: GPL-2.0-or-later
/* Command lines quoted for sh(1): what a user pastes back must run the same. */
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "shell.h"

static bool shell_safe(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("%+,-./:=@_", *s))
			return false;
	return true;
}

char *fl_shell_join(const char *prog, int argc, char **argv)
{
	size_t len = strlen(prog) + 2;
	char *buf, *p;
	int i;

	for (i = 0; i < argc; i++)
		len += 4 * strlen(argv[i]) + 3;
	buf = malloc(len);
	if (!buf)
		return NULL;
	p = stpcpy(buf, prog);
	for (i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (p != buf)
			*p++ = ' ';
		if (shell_safe(a)) {
			p = stpcpy(p, a);
			continue;
		}
		*p++ = '\'';
		for (; *a; a++) {
			if (*a == '\'')
				p = stpcpy(p, "'\\''");
			else
				*p++ = *a;
		}
		*p++ = '\'';
	}
	*p = '\0';
	return buf;
}

