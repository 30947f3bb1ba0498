// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * forklock merge: many hosts' JSON reports (forklock report --format json
 * --forks) into one report, as forklock report would have printed it for
 * all their traces at once, with a table of the hosts.
 * lib/merge/merge.h has how.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "forklock-exit.h"
#include "log.h"
#include "merge/merge.h"
#include "report/mail.h"
#include "report/render.h"
#include "report/svg.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: forklock merge [--format text|json|mail] [--forks] [--top N]\n"
		"                      [--svg FILE [--svg-policy NAME]] REPORT.json...\n"
		"\n"
		"  -F, --format FMT       text (default), json (schema forklock-report/1, plus\n"
		"                         \"hosts\") or mail\n"
		"      --forks            every fork, not only the summary\n"
		"      --top N            top forking commands to show (default 10)\n"
		"      --svg FILE         plot window against VMAs locked, and the window histogram\n"
		"      --svg-policy NAME  colour the dots by this policy (default single-user)\n"
		"\n"
		"Each REPORT.json is what 'forklock report --format json --forks' writes, one per\n"
		"host; all must be judged by the same policies with the same lock cost.\n");
}

/*
 * The JSON renderer's output, passed through but for its last 3 bytes
 * ("\n}\n"), so that "hosts" can be added as a last member.
 */
struct hold {
	FILE *out;
	char tail[3];
	size_t nt;
};

static ssize_t hold_write(void *cookie, const char *buf, size_t n)
{
	struct hold *h = cookie;
	size_t keep = sizeof(h->tail), total = h->nt + n, flush, i;
	char tail[sizeof(h->tail)];

	if (total <= keep) {
		memcpy(h->tail + h->nt, buf, n);
		h->nt = total;
		return n;
	}
	flush = total - keep;
	/* the held bytes go first, then the start of buf */
	i = flush < h->nt ? flush : h->nt;
	if (fwrite(h->tail, 1, i, h->out) != i)
		return -1;
	if (flush > i && fwrite(buf, 1, flush - i, h->out) != flush - i)
		return -1;
	/* the last keep bytes of held + buf */
	for (i = 0; i < keep; i++) {
		size_t pos = flush + i;

		tail[i] = pos < h->nt ? h->tail[pos] : buf[pos - h->nt];
	}
	memcpy(h->tail, tail, keep);
	h->nt = keep;
	return n;
}

static int json_hosts(FILE *out, const struct hold *h, const struct fl_merge *m)
{
	json_t *hosts = fl_merge_hosts_json(m);
	char *text = hosts ? json_dumps(hosts, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	const char *p;

	json_decref(hosts);
	if (!text)
		return -1;
	if (h->nt != 3 || memcmp(h->tail, "\n}\n", 3)) {
		free(text);
		return -1;
	}
	fputs(",\n  \"hosts\": ", out);
	for (p = text; *p; p++) {
		fputc(*p, out);
		if (*p == '\n')
			fputs("  ", out);
	}
	fputs("\n}\n", out);
	free(text);
	return ferror(out) ? -1 : 0;
}

int cmd_merge(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "format",	required_argument,	NULL, 'F' },
		{ "forks",	no_argument,		NULL, 'k' },
		{ "top",	required_argument,	NULL, 't' },
		{ "svg",	required_argument,	NULL, 's' },
		{ "svg-policy",	required_argument,	NULL, 'S' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct fl_render_opts ropts = { .out = stdout, .top = 10 };
	const struct fl_renderer *renderer = &fl_render_text;
	const char *svg_path = NULL, *svg_policy = NULL;
	struct hold hold = { .out = stdout };
	struct fl_svg *svg = NULL;
	FILE *svg_out = NULL, *held = NULL;
	struct fl_merge m = { 0 };
	struct fl_report report;
	int c, i, ret, policy = -1;
	char *cmdline;
	void *ctx;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":F:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'F':
		case 'k':
		case 't':
			ret = cmd_render_option(c, &renderer, &ropts);
			if (ret)
				return ret;
			break;
		case 's':
			svg_path = optarg;
			break;
		case 'S':
			svg_policy = optarg;
			break;
		case 'h':
			usage(stdout);
			return FL_EXIT_OK;
		default:
			return cmd_bad_option(c, argv);
		}
	}
	if (optind >= argc)
		return fl_err(FL_EXIT_USAGE, "merge needs at least one REPORT.json "
			      "(see 'forklock merge --help')");
	if (svg_policy && !svg_path)
		return fl_err(FL_EXIT_USAGE, "--svg-policy needs --svg FILE");
	cmdline = fl_shell_join("forklock", argc, argv);
	fl_render_set_cmdline(cmdline);
	free(cmdline);

	/* every report must be usable before anything is printed */
	ret = fl_merge_check(&m, argv + optind, argc - optind);
	if (ret)
		goto out;
	if (svg_path) {
		for (i = 0; i < m.policies.nr; i++)
			if (!strcmp(m.policies.v[i].p->name, svg_policy ? svg_policy : "single-user"))
				policy = i;
		if (svg_policy && policy < 0) {
			ret = fl_err(FL_EXIT_USAGE, "--svg-policy %s: the reports have no such policy",
				     svg_policy);
			goto out;
		}
		if (policy < 0 && m.policies.nr)
			policy = 0;
		svg = fl_svg_new_policy("forklock merge", policy < 0 ? NULL :
					m.policies.v[policy].p->name);
		if (!svg) {
			ret = fl_err(FL_EXIT_FAILURE, "out of memory");
			goto out;
		}
		svg_out = fopen(svg_path, "w");
		if (!svg_out) {
			ret = fl_err(FL_EXIT_OUTPUT, "cannot create %s: %s", svg_path, strerror(errno));
			goto out;
		}
	}
	if (renderer == &fl_render_json) {
		cookie_io_functions_t io = { .write = hold_write };

		held = fopencookie(&hold, "w", io);
		if (!held) {
			ret = fl_err(FL_EXIT_FAILURE, "out of memory");
			goto out;
		}
		ropts.out = held;
	} else {
		fl_merge_hosts_text(stdout, &m, renderer != &fl_render_text);
	}
	ctx = renderer->begin(&ropts);
	if (!ctx) {
		ret = fl_err(FL_EXIT_FAILURE, "out of memory");
		goto out;
	}
	ret = fl_merge_run(&m, argv + optind, renderer, ctx, svg, policy);
	if (ret) {
		free(ctx);
		goto out;
	}
	report = fl_merge_report(&m);
	if (renderer->end(ctx, &report) < 0)
		ret = fl_err(FL_EXIT_OUTPUT, "cannot write the report");
	if (held) {
		if (fclose(held) || (!ret && json_hosts(stdout, &hold, &m) < 0))
			ret = ret ? ret : fl_err(FL_EXIT_OUTPUT, "cannot write the report");
		held = NULL;
	}
	if (!ret && fflush(stdout))
		ret = fl_err(FL_EXIT_OUTPUT, "cannot write the report");
	if (!ret && svg_out) {
		int bad = fl_svg_write(svg, svg_out);

		if (fclose(svg_out) || bad)
			ret = fl_err(FL_EXIT_OUTPUT, "cannot write %s", svg_path);
		svg_out = NULL;
	}
out:
	if (held)
		fclose(held);
	if (svg_out) {
		fclose(svg_out);
		unlink(svg_path);	/* no half-written plot */
	}
	fl_svg_free(svg);
	fl_merge_free(&m);
	return ret;
}
