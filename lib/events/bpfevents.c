// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The formats of the BPF tier's events (bpfevents.h), written from the
 * structs' own offsets so the text and the payload cannot disagree.
 */
#include <stdio.h>
#include <string.h>

#include "events/bpfevents.h"

struct field {
	const char *type, *name;
	size_t offset, size;
	int is_signed;
};

#define F(s, t, n, sg) { t, #n, offsetof(s, n), sizeof(((s *)0)->n), sg }

static const struct field fork_fields[] = {
	F(struct fl_bpf_fork_event, "struct mm_struct *", oldmm, 0),
	F(struct fl_bpf_fork_event, "struct mm_struct *", newmm, 0),
	F(struct fl_bpf_fork_event, "u64", ts_start, 0),
	F(struct fl_bpf_fork_event, "int", mm_users, 1),
	F(struct fl_bpf_fork_event, "int", mm_count, 1),
	F(struct fl_bpf_fork_event, "int", map_count, 1),
	F(struct fl_bpf_fork_event, "int", mm_users_end, 1),
	F(struct fl_bpf_fork_event, "int", mm_count_end, 1),
	F(struct fl_bpf_fork_event, "int", map_count_end, 1),
	F(struct fl_bpf_fork_event, "int", mm_users_max, 1),
	F(struct fl_bpf_fork_event, "int", rise_vma, 1),
	F(struct fl_bpf_fork_event, "int", rise_mm_users, 1),
	F(struct fl_bpf_fork_event, "unsigned int", vmas_copied, 0),
	F(struct fl_bpf_fork_event, "unsigned int", anon, 0),
	F(struct fl_bpf_fork_event, "unsigned int", anon_vma, 0),
	F(struct fl_bpf_fork_event, "unsigned int", cow, 0),
	F(struct fl_bpf_fork_event, "unsigned int", shared, 0),
	F(struct fl_bpf_fork_event, "unsigned int", light, 0),
	{ NULL }
};

static const struct field stats_fields[] = {
	F(struct fl_bpf_stats_event, "u64", windows, 0),
	F(struct fl_bpf_stats_event, "u64", lost, 0),
	F(struct fl_bpf_stats_event, "u64", unmatched, 0),
	F(struct fl_bpf_stats_event, "unsigned int", light, 0),
	{ NULL }
};

static const char fork_print[] =
	"print fmt: \"oldmm=%p newmm=%p mm_users=%d mm_count=%d map_count=%d "
	"end=(%d %d %d) mm_users_max=%d rise_vma=%d vmas_copied=%u "
	"anon=%u anon_vma=%u cow=%u shared=%u light=%u\", REC->oldmm, REC->newmm, "
	"REC->mm_users, REC->mm_count, REC->map_count, REC->mm_users_end, "
	"REC->mm_count_end, REC->map_count_end, REC->mm_users_max, REC->rise_vma, "
	"REC->vmas_copied, REC->anon, REC->anon_vma, REC->cow, REC->shared, REC->light\n";

static const char stats_print[] =
	"print fmt: \"windows=%llu lost=%llu unmatched=%llu light=%u\", REC->windows, "
	"REC->lost, REC->unmatched, REC->light\n";

int fl_bpf_event_format(const char *name, int id, char *buf, size_t len)
{
	const struct field *f;
	const char *print;
	size_t n;
	int r;

	if (!strcmp(name, FL_BPF_FORK_EVENT)) {
		f = fork_fields;
		print = fork_print;
	} else if (!strcmp(name, FL_BPF_STATS_EVENT)) {
		f = stats_fields;
		print = stats_print;
	} else {
		return -1;
	}
	r = snprintf(buf, len, "name: %s\nID: %d\nformat:\n"
		     "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
		     "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
		     "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
		     "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n", name, id);
	if (r < 0 || (size_t)r >= len)
		return -1;
	n = r;
	for (; f->type; f++) {
		r = snprintf(buf + n, len - n, "\tfield:%s %s;\toffset:%zu;\tsize:%zu;\tsigned:%d;\n",
			     f->type, f->name, f->offset, f->size, f->is_signed);
		if (r < 0 || (size_t)r >= len - n)
			return -1;
		n += r;
	}
	r = snprintf(buf + n, len - n, "\n%s", print);
	if (r < 0 || (size_t)r >= len - n)
		return -1;
	return (int)(n + r);
}
