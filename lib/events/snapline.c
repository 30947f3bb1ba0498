// SPDX-License-Identifier: GPL-2.0-or-later
/* Reading the snapshot's lines (snapline.h). */
#include <stdlib.h>
#include <string.h>

#include "events/snapline.h"

enum fl_snap_kind fl_snapline_kind(const char *line, const char **rest)
{
	static const struct {
		const char *word;	/* what the line starts with after the prefix */
		enum fl_snap_kind kind;
	} kinds[] = {
		{ "begin ", FL_SNAP_BEGIN }, { "proc ", FL_SNAP_PROC }, { "task ", FL_SNAP_TASK },
		{ "end", FL_SNAP_END }, { "tier ", FL_SNAP_TIER }, { "record ", FL_SNAP_RECORD },
		{ "command ", FL_SNAP_COMMAND },
		{ "command-times ", FL_SNAP_CMDTIMES },
		{ "stop ", FL_SNAP_STOP },
	};
	size_t i;

	if (strncmp(line, FL_SNAP_PREFIX, strlen(FL_SNAP_PREFIX)))
		return FL_SNAP_NONE;
	line += strlen(FL_SNAP_PREFIX);
	*rest = line;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strncmp(line, kinds[i].word, strlen(kinds[i].word)))
			return kinds[i].kind;
	return FL_SNAP_OTHER;
}

const char *fl_snapline_value(const char *rest, const char *key)
{
	size_t kl = strlen(key);
	const char *p = rest;

	while ((p = strstr(p, key))) {
		if ((p == rest || p[-1] == ' ') && p[kl] == '=')
			return p + kl + 1;
		p += kl;
	}
	return NULL;
}

long fl_snapline_num(const char *rest, const char *key, long def)
{
	const char *v = fl_snapline_value(rest, key);

	return v ? strtol(v, NULL, 10) : def;
}
