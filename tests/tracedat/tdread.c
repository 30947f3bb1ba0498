// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tdread - dump a trace.dat through libtracecmd, one JSON object a line.
 *
 * Usage: tdread FILE
 *
 * First line: {"cpus":N,"long_size":N,"events":N} (the tep's view)
 * Then one line per record, in the order tracecmd_iterate_events() gives:
 *   {"cpu":C,"ts":T,"event":"sys:name","pid":P,"missed":M,"size":S,
 *    "print_failed":B,"fields":{"name":value,...},"locs":{"name":[off,len]},
 *    "info":"tep_print_event text"}
 * (print_failed: libtraceevent could not parse the event's print fmt.)
 * Numbers are decimal (signed fields signed); char arrays, __data_loc
 * strings and trailing char[] are strings.  Last line: {"total":N}.
 * The tests compare this with what the description asked for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <trace-cmd/trace-cmd.h>
#include <traceevent/event-parse.h>

struct dump {
	struct tep_handle	*tep;
	unsigned long long	total;
};

static void put_json_string(const char *s, size_t len)
{
	size_t i;

	putchar('"');
	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			fputs("\\n", stdout);
		else if (c == '\t')
			fputs("\\t", stdout);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static bool is_string_field(struct tep_format_field *f)
{
	return (f->flags & (TEP_FIELD_IS_ARRAY | TEP_FIELD_IS_DYNAMIC)) &&
		strstr(f->type, "char");
}

static void put_field(struct tep_event *event, struct tep_record *record,
		      struct tep_format_field *f)
{
	unsigned long long val;
	const char *data;
	int len;

	put_json_string(f->name, strlen(f->name));
	putchar(':');
	if (is_string_field(f) && !f->size && !(f->flags & TEP_FIELD_IS_DYNAMIC)) {
		/* trailing char[] (ftrace:print buf): runs to the end of the record */
		if (f->offset > record->size) {
			fputs("null", stdout);
			return;
		}
		data = (const char *)record->data + f->offset;
		put_json_string(data, strnlen(data, record->size - f->offset));
		return;
	}
	if (is_string_field(f)) {
		data = tep_get_field_raw(NULL, event, f->name, record, &len, 0);
		if (!data || len < 0) {
			fputs("null", stdout);
			return;
		}
		/* fixed arrays and strings end at the first NUL */
		len = strnlen(data, len);
		put_json_string(data, len);
		return;
	}
	if (f->flags & TEP_FIELD_IS_ARRAY) {
		fputs("null", stdout);
		return;
	}
	if (tep_read_number_field(f, record->data, &val)) {
		fputs("null", stdout);
		return;
	}
	if (f->flags & TEP_FIELD_IS_SIGNED) {
		switch (f->size) {
		case 1:
			printf("%d", (int)(signed char)val);
			break;
		case 2:
			printf("%d", (int)(short)val);
			break;
		case 4:
			printf("%d", (int)val);
			break;
		default:
			printf("%lld", (long long)val);
			break;
		}
	} else {
		printf("%llu", val);
	}
}

static int dump_record(struct tracecmd_input *handle, struct tep_record *record,
		       int cpu, void *data)
{
	struct dump *d = data;
	struct tep_format_field *f;
	struct tep_event *event;
	struct trace_seq s;
	bool first = true;

	d->total++;
	event = tep_find_event_by_record(d->tep, record);
	printf("{\"cpu\":%d,\"ts\":%llu,", record->cpu, record->ts);
	if (!event) {
		printf("\"event\":null,\"missed\":%lld}\n", record->missed_events);
		return 0;
	}
	printf("\"event\":");
	printf("\"%s:%s\",", event->system, event->name);
	printf("\"pid\":%d,\"missed\":%lld,\"size\":%d,\"print_failed\":%s,\"fields\":{",
	       tep_data_pid(d->tep, record), record->missed_events, record->size,
	       event->flags & TEP_EVENT_FL_FAILED ? "true" : "false");
	for (f = event->format.common_fields; f; f = f->next) {
		if (strcmp(f->name, "common_flags") && strcmp(f->name, "common_preempt_count"))
			continue;
		if (!first)
			putchar(',');
		first = false;
		put_field(event, record, f);
	}
	for (f = event->format.fields; f; f = f->next) {
		if (!first)
			putchar(',');
		first = false;
		put_field(event, record, f);
	}
	/* where the kernel-style __data_loc words point: [offset, length] */
	fputs("},\"locs\":{", stdout);
	first = true;
	for (f = event->format.fields; f; f = f->next) {
		unsigned int loc;

		if (!(f->flags & TEP_FIELD_IS_DYNAMIC) || f->size != 4)
			continue;
		memcpy(&loc, (char *)record->data + f->offset, 4);
		if (!first)
			putchar(',');
		first = false;
		put_json_string(f->name, strlen(f->name));
		printf(":[%u,%u]", loc & 0xffff, loc >> 16);
	}
	fputs("},\"info\":", stdout);
	trace_seq_init(&s);
	tep_print_event(d->tep, &s, record, "%s", TEP_PRINT_INFO);
	trace_seq_terminate(&s);
	put_json_string(s.buffer, s.len);
	trace_seq_destroy(&s);
	fputs("}\n", stdout);
	return 0;
}

int main(int argc, char **argv)
{
	struct tracecmd_input *handle;
	struct dump d = { 0 };

	if (argc != 2) {
		fprintf(stderr, "usage: tdread FILE\n");
		return 2;
	}
	handle = tracecmd_open(argv[1], 0);
	if (!handle) {
		fprintf(stderr, "tdread: tracecmd_open(%s) failed\n", argv[1]);
		return 1;
	}
	d.tep = tracecmd_get_tep(handle);
	printf("{\"cpus\":%d,\"long_size\":%d,\"events\":%d}\n",
	       tep_get_cpus(d.tep), tep_get_long_size(d.tep), tep_get_events_count(d.tep));
	if (tracecmd_iterate_events(handle, NULL, 0, dump_record, &d) < 0) {
		fprintf(stderr, "tdread: tracecmd_iterate_events failed\n");
		tracecmd_close(handle);
		return 1;
	}
	printf("{\"total\":%llu}\n", d.total);
	tracecmd_close(handle);
	return 0;
}
