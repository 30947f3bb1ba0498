/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Forks blocked in their windows and what the policies would avoid of it,
 * in the text and mail outputs (blocked-out.c).
 */
#ifndef FORKLOCK_REPORT_BLOCKED_OUT_H
#define FORKLOCK_REPORT_BLOCKED_OUT_H

#include <stdio.h>

#include "report/render.h"

/* The summary lines of the text output (after "touched during window"). */
void fl_text_blocked(FILE *out, const struct fl_report *rep);
/* The text output's table of avoided blocked time by policy. */
void fl_text_avoided(FILE *out, const struct fl_report *rep);
/* The mail output's "Blocked:" section, with the policies' avoided time. */
void fl_mail_blocked(FILE *out, const struct fl_report *rep);

#endif
