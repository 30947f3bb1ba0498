// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * replay-bare - the floor for replaying a trace.dat: libtracecmd only.
 *
 * Usage: replay-bare FILE
 *
 * tracecmd_open() (the same flags as forklock report) and one
 * tracecmd_iterate_events() pass, CPUs merged in time order, with a
 * callback that reads one field of each record: common_pid, at the offset
 * and size libtraceevent parsed for it, with tep_read_number() (so the
 * file's endianness is honoured).  Prints one line:
 *
 *   events N pid_sum S
 *
 * pid_sum keeps the field read from being optimised away.  replay-bench
 * times this process from fork to wait4, as it times forklock report and
 * trace-cmd report.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <event-parse.h>
#include <trace-cmd.h>

struct bare {
	struct tep_handle *tep;
	int pid_off;
	int pid_size;
	uint64_t events;
	uint64_t pid_sum;
};

static int on_record(struct tracecmd_input *handle, struct tep_record *rec,
		     int cpu, void *data)
{
	struct bare *b = data;

	b->events++;
	if (rec->size >= b->pid_off + b->pid_size)
		b->pid_sum += tep_read_number(b->tep, (char *)rec->data + b->pid_off,
					      b->pid_size);
	return 0;
}

int main(int argc, char **argv)
{
	struct tracecmd_input *handle;
	struct tep_format_field *f;
	struct tep_event **all;
	struct bare b = { 0 };

	if (argc != 2) {
		fprintf(stderr, "usage: replay-bare FILE\n");
		return 2;
	}
	tracecmd_set_loglevel(TEP_LOG_NONE);
	handle = tracecmd_open(argv[1], TRACECMD_FL_LOAD_NO_PLUGINS);
	if (!handle) {
		fprintf(stderr, "replay-bare: cannot open %s\n", argv[1]);
		return 1;
	}
	b.tep = tracecmd_get_tep(handle);
	all = tep_list_events(b.tep, TEP_EVENT_SORT_ID);
	if (!all || !all[0] || !(f = tep_find_common_field(all[0], "common_pid"))) {
		fprintf(stderr, "replay-bare: %s: no events or no common_pid\n", argv[1]);
		tracecmd_close(handle);
		return 1;
	}
	b.pid_off = f->offset;
	b.pid_size = f->size;
	if (tracecmd_iterate_events(handle, NULL, 0, on_record, &b) < 0) {
		fprintf(stderr, "replay-bare: %s: iteration failed\n", argv[1]);
		tracecmd_close(handle);
		return 1;
	}
	printf("events %" PRIu64 " pid_sum %" PRIu64 "\n", b.events, b.pid_sum);
	tracecmd_close(handle);
	return 0;
}
