// SPDX-License-Identifier: GPL-2.0-or-later
/* What every subcommand does alike: option errors, the output options, the plot. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd.h"
#include "forklock-exit.h"
#include "log.h"
#include "policy/policy.h"
#include "report/mail.h"
#include "report/render.h"
#include "report/svg.h"
#include "shell.h"

int cmd_bad_option(int c, char **argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		return fl_err(FL_EXIT_USAGE, "option '%s' needs a value", arg);
	if (optopt && arg[0] == '-' && arg[1] != '-')
		return fl_err(FL_EXIT_USAGE, "unknown option '-%c' (see '%s --help')",
			      optopt, fl_log_prog());
	return fl_err(FL_EXIT_USAGE, "unknown option '%s' (see '%s --help')", arg, fl_log_prog());
}

int cmd_render_option(int c, const struct fl_renderer **renderer, struct fl_render_opts *ropts)
{
	char *end;

	switch (c) {
	case 'F':
		*renderer = fl_renderer_find(optarg);
		if (!*renderer)
			return fl_err(FL_EXIT_USAGE, "unknown format '%s' (text, json or mail)", optarg);
		return 0;
	case 'k':
		ropts->forks = true;
		return 0;
	case 't':
		ropts->top = (int)strtol(optarg, &end, 10);
		if (*end || !*optarg || ropts->top < 0)
			return fl_err(FL_EXIT_USAGE, "--top needs a number, not '%s'", optarg);
		return 0;
	}
	return -1;
}

int cmd_output_failed(const char *what)
{
	int err = errno;

	if (fl_render_out_of_memory())
		return fl_err(FL_EXIT_FAILURE, "out of memory: %s is not complete", what);
	if (err == EPIPE)
		return FL_EXIT_OUTPUT;	/* the reader went away (| head): not news */
	if (!err)
		return fl_err(FL_EXIT_OUTPUT, "cannot write %s", what);
	return fl_err(FL_EXIT_OUTPUT, "cannot write %s: %s", what, strerror(err));
}

int cmd_close_output(FILE *f, int written)
{
	int err = errno;

	if (fclose(f) && !written)
		return -1;	/* errno: fclose()'s */
	errno = err;
	return written;
}

void cmd_remove_partial(const char *path)
{
	struct stat st;

	if (!lstat(path, &st) && S_ISREG(st.st_mode))
		unlink(path);
}

int cmd_stdout_done(int ret)
{
	errno = 0;
	if (!fflush(stdout) && !ferror(stdout))
		return ret;
	if (ret)
		return ret;	/* its own line is out already */
	return cmd_output_failed("standard output");
}

int cmd_inputs_distinct(char **files, int n)
{
	struct stat a, b;
	int i, j;

	if (n < 0)
		for (n = 0; files[n]; n++)
			;
	for (i = 1; i < n; i++) {
		if (stat(files[i], &a) < 0)
			continue;	/* its own open says why */
		for (j = 0; j < i; j++)
			if (stat(files[j], &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
				return fl_err(FL_EXIT_USAGE, "%s and %s are the same file: it would "
					      "be counted twice", files[j], files[i]);
	}
	return 0;
}

void cmd_set_cmdline(int argc, char **argv)
{
	char *cmdline = fl_shell_join("forklock", argc, argv);

	if (!cmdline)
		fl_render_nomem();	/* the mail's "Produced by" would lack it */
	fl_render_set_cmdline(cmdline);
	free(cmdline);
}

int cmd_plot_option(int c, struct cmd_plot *p)
{
	switch (c) {
	case 's':
		p->path = optarg;
		return 0;
	case 'S':
		p->policy = optarg;
		return 0;
	}
	return -1;
}

int cmd_plot_check(const struct cmd_plot *p)
{
	if (p->policy && !p->path)
		return fl_err(FL_EXIT_USAGE, "--svg-policy needs --svg FILE");
	return 0;
}

int cmd_plot_open(struct cmd_plot *p, const struct fl_policy_set *set, const char *title,
		  const char *no_such)
{
	int i;

	p->index = -1;
	if (!p->path)
		return 0;
	for (i = 0; i < set->nr; i++)
		if (!strcmp(set->v[i].p->name, p->policy ? p->policy : "single-user"))
			p->index = i;
	if (p->policy && p->index < 0)
		return fl_err(FL_EXIT_USAGE, "--svg-policy %s: %s", p->policy, no_such);
	if (p->index < 0 && set->nr)
		p->index = 0;
	p->svg = fl_svg_new_policy(title, p->index < 0 ? NULL : set->v[p->index].p->name);
	if (!p->svg)
		return fl_err(FL_EXIT_FAILURE, "out of memory");
	p->out = fopen(p->path, "w");
	if (!p->out)
		return fl_err(FL_EXIT_OUTPUT, "cannot create %s: %s", p->path, strerror(errno));
	return 0;
}

int cmd_plot_close(struct cmd_plot *p, int ret)
{
	if (!ret && p->out) {
		if (cmd_close_output(p->out, fl_svg_write(p->svg, p->out)))
			ret = cmd_output_failed(p->path);
		p->out = NULL;
	}
	if (p->out) {
		fclose(p->out);
		cmd_remove_partial(p->path);	/* no half-written plot */
	}
	fl_svg_free(p->svg);
	p->svg = NULL;
	return ret;
}
