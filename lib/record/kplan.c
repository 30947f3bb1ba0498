// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kprobe plan: which probes this kernel can really have, chosen from
 * what it offers, used by both `check` and `record`.
 *
 * Anchors, in order of preference:
 *   dup_mmap            entry (oldmm, mm_users, mm_count, map_count) and
 *                       return; out of line on 6.1 and 6.16+
 *   uprobe_dup_mmap     entry (oldmm, ...), called inside dup_mmap() right
 *                       after oldmm is write-locked: where dup_mmap and
 *                       dup_mm are inlined into copy_process (Debian 6.12);
 *                       uprobe_end_dup_mmap() (every exit path) ends it
 * and then, where out of line, the per-VMA lock (__vma_start_write, 6.15+),
 * lock_vma_under_rcu()'s return and the seed's dup_probe().
 *
 * A symbol is probeable when it is exactly one function in kallsyms and not
 * in the kprobe blacklist; arguments are written in a syntax the kernel's
 * tracefs README says it accepts (BTF names "<argname>->field" from 6.7,
 * otherwise "+offset($argN)" at offsets BTF gives).  Every input can be
 * replaced by a file for tests (fl_kernel_files()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/btf.h"
#include "record/kprobes.h"

const char *const fl_probe_symbols[FL_NR_PROBE_SYMBOLS] = {
	[FL_SYM_DUP_MMAP] = "dup_mmap",
	[FL_SYM_UPROBE_DUP_MMAP] = "uprobe_dup_mmap",
	[FL_SYM_UPROBE_END_DUP_MMAP] = "uprobe_end_dup_mmap",
	[FL_SYM_VMA_START_WRITE] = "__vma_start_write",
	[FL_SYM_LOCK_VMA_RCU] = "lock_vma_under_rcu",
	[FL_SYM_DUP_PROBE] = "dup_probe",
};

static const char *env_or(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v && *v ? v : def;
}

void fl_kernel_files(struct fl_kernel_files *kf, const char *tracefs)
{
	snprintf(kf->readme_path, sizeof(kf->readme_path), "%s/README",
		 tracefs && *tracefs ? tracefs : "/sys/kernel/tracing");
	kf->kallsyms = env_or("FORKLOCK_KALLSYMS", "/proc/kallsyms");
	kf->readme = env_or("FORKLOCK_KPROBE_README", kf->readme_path);
	kf->blacklist = env_or("FORKLOCK_KPROBE_BLACKLIST", "/sys/kernel/debug/kprobes/blacklist");
	kf->btf = env_or("FORKLOCK_BTF", "/sys/kernel/btf/vmlinux");
}

static int sym_index(const char *name)
{
	int i;

	for (i = 0; i < FL_NR_PROBE_SYMBOLS; i++)
		if (!strcmp(name, fl_probe_symbols[i]))
			return i;
	return -1;
}

/* Functions of each name in kallsyms ("ADDR t NAME [module]"). */
static int read_kallsyms(const char *path, int *count)
{
	char line[512], name[256], type;
	FILE *f = fopen(path, "r");
	int i;

	memset(count, 0, FL_NR_PROBE_SYMBOLS * sizeof(*count));
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*x %c %255s", &type, name) != 2 || (type != 'T' && type != 't'))
			continue;
		i = sym_index(name);
		if (i >= 0)
			count[i]++;
	}
	fclose(f);
	return 0;
}

/* The kprobe blacklist ("0xSTART-0xEND\tNAME"), debugfs. */
static int read_blacklist(const char *path, bool *listed)
{
	char line[512], name[256];
	FILE *f = fopen(path, "r");
	int i;

	memset(listed, 0, FL_NR_PROBE_SYMBOLS * sizeof(*listed));
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s %255s", name) != 1)
			continue;
		i = sym_index(name);
		if (i >= 0)
			listed[i] = true;
	}
	fclose(f);
	return 0;
}

/* What the tracefs README says kprobe_events accepts. */
static unsigned int read_readme(const char *path)
{
	static const struct { const char *text; unsigned int bit; } rules[] = {
		{ "kprobe_events\t", FL_README_KPROBES },
		{ "place: [<module>:]<symbol>", FL_README_KPROBES },
		{ "%return", FL_README_RETPROBE },
		{ "$arg<N>", FL_README_ARGN },
		{ "+|-[u]<offset>(<fetcharg>)", FL_README_DEREF },
		{ "<argname>[->field", FL_README_BTF },
		{ "s8/16/32/64", FL_README_S32 },
		{ "x8/16/32/64", FL_README_X64 },
		{ "$retval", FL_README_RETVAL },
	};
	unsigned int have = 0, seen_kprobes = 0;
	char line[1024];
	FILE *f = fopen(path, "r");
	size_t i;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
			if (strstr(line, rules[i].text)) {
				if (rules[i].bit == FL_README_KPROBES)
					seen_kprobes++;
				else
					have |= rules[i].bit;
			}
	fclose(f);
	/* both the file's line and the kprobe place syntax */
	if (seen_kprobes >= 2)
		have |= FL_README_KPROBES;
	return have | FL_README_READ;
}

static void note(char *buf, size_t len, const char *fmt, const char *a, const char *b)
{
	size_t used = strlen(buf);

	if (used >= len - 1)
		return;
	snprintf(buf + used, len - used, fmt, a, b);
}

/* NULL if @sym can be probed, else why not. */
static const char *unprobeable(const struct fl_probe_set *set, int sym)
{
	if (set->sym_count[sym] == 0)
		return "not a function in kallsyms (inlined or absent)";
	if (set->sym_count[sym] > 1)
		return "more than one function of that name in kallsyms";
	if (set->blacklisted[sym])
		return "in the kprobe blacklist";
	return NULL;
}

static struct fl_probe_def *add(struct fl_probe_set *set, enum fl_probe_type type,
				const char *event, int sym, bool required, const char *role)
{
	struct fl_probe_def *d;

	if (set->nr == FL_MAX_PROBES)
		return NULL;
	d = &set->def[set->nr++];
	memset(d, 0, sizeof(*d));
	d->type = type;
	d->event = event;
	d->symbol = fl_probe_symbols[sym];
	d->required = required;
	d->role = role;
	return d;
}

/*
 * oldmm's counters at the read point: by BTF name where the kernel takes
 * them, at BTF offsets from $argN otherwise.
 */
static int oldmm_fetch(struct fl_probe_set *set, const struct fl_btf *btf, const char *func,
		       int def_arg, char *fetch, size_t flen, char *why, size_t len)
{
	int arg = btf ? fl_btf_param_index(btf, func, "oldmm") : -1;

	if (arg == 0) {
		snprintf(why, len, "%s() has no argument named oldmm in BTF", func);
		return -1;
	}
	if (arg < 0)
		arg = def_arg;	/* not in BTF: its position in the kernel source */
	set->oldmm_arg = arg;
	if (set->style == FL_PROBE_BTF) {
		snprintf(fetch, flen, "oldmm=oldmm:x64 mm_users=oldmm->mm_users.counter:s32 "
			 "mm_count=oldmm->mm_count.counter:s32 map_count=oldmm->map_count:s32");
		return 0;
	}
	snprintf(fetch, flen, "oldmm=$arg%d:x64 mm_users=+%ld($arg%d):s32 "
		 "mm_count=+%ld($arg%d):s32 map_count=+%ld($arg%d):s32", arg,
		 set->off_users, arg, set->off_count, arg, set->off_map_count, arg);
	return 0;
}

static int choose_style(struct fl_probe_set *set, const struct fl_btf *btf, bool offsets_only,
			char *why, size_t len)
{
	unsigned int need = FL_README_S32 | FL_README_X64;

	if (!btf) {
		snprintf(why, len, "no BTF (%s): mm_struct's layout is unknown", set->btf_path);
		return -1;
	}
	if (set->off_users < 0 || set->off_count < 0 || set->off_map_count < 0) {
		snprintf(why, len, "BTF has no mm_struct.mm_users, mm_count or map_count");
		return -1;
	}
	if ((set->readme & need) != need) {
		snprintf(why, len, "the kernel's README lists no s32/x64 fetch types");
		return -1;
	}
	if (!offsets_only && (set->readme & FL_README_BTF)) {
		set->style = FL_PROBE_BTF;
		return 0;
	}
	if ((set->readme & (FL_README_ARGN | FL_README_DEREF)) ==
	    (FL_README_ARGN | FL_README_DEREF)) {
		set->style = FL_PROBE_OFFSETS;
		return 0;
	}
	snprintf(why, len, "the kernel's README accepts neither <argname>->field nor "
		 "+<offset>($arg<N>) arguments");
	return -1;
}

static int plan_anchor(struct fl_probe_set *set, const struct fl_btf *btf, char *why, size_t len)
{
	const char *no_dup = unprobeable(set, FL_SYM_DUP_MMAP);
	const char *no_up = unprobeable(set, FL_SYM_UPROBE_DUP_MMAP);
	struct fl_probe_def *d;

	if (!no_dup && !(set->readme & FL_README_RETPROBE))
		no_dup = "the kernel's README has no return probes";
	if (!no_dup) {
		set->anchor = FL_ANCHOR_DUP_MMAP;
		d = add(set, FL_PROBE_ENTRY, "dup_mmap", FL_SYM_DUP_MMAP, true, "read point");
		if (oldmm_fetch(set, btf, "dup_mmap", 2, d->fetch, sizeof(d->fetch), why, len) < 0)
			return -1;
		d = add(set, FL_PROBE_RETURN, "dup_mmap_ret", FL_SYM_DUP_MMAP, true, "end, outcome");
		snprintf(d->fetch, sizeof(d->fetch), "ret=$retval:s32");
		return 0;
	}
	note(set->tried, sizeof(set->tried), "%s: %s", "dup_mmap", no_dup);
	if (!no_up) {
		set->anchor = FL_ANCHOR_UPROBE_DUP_MMAP;
		d = add(set, FL_PROBE_ENTRY, "uprobe_dup_mmap", FL_SYM_UPROBE_DUP_MMAP, true,
			"read point (oldmm write-locked)");
		if (oldmm_fetch(set, btf, "uprobe_dup_mmap", 1, d->fetch, sizeof(d->fetch),
				why, len) < 0)
			return -1;
		/* the window's end and outcome also come from the mmap_lock tracepoints */
		if (!unprobeable(set, FL_SYM_UPROBE_END_DUP_MMAP))
			add(set, FL_PROBE_ENTRY, "dup_mmap_end", FL_SYM_UPROBE_END_DUP_MMAP, false,
			    "end");
		return 0;
	}
	note(set->tried, sizeof(set->tried), "; %s: %s", "uprobe_dup_mmap", no_up);
	snprintf(why, len, "no anchor in dup_mmap(): tried %s", set->tried);
	return -1;
}

int fl_probe_plan(struct fl_probe_set *set, const char *group, const struct fl_kernel_files *kf,
		  bool offsets_only, char *why, size_t len)
{
	struct fl_btf *btf;
	struct fl_probe_def *d;
	int ret = -1;

	memset(set, 0, sizeof(*set));
	snprintf(set->group, sizeof(set->group), "%s", group);
	snprintf(set->btf_path, sizeof(set->btf_path), "%s", kf->btf);
	set->anchor = FL_ANCHOR_NONE;
	set->off_users = set->off_count = set->off_map_count = set->off_vm_mm = -1;
	set->kallsyms_read = read_kallsyms(kf->kallsyms, set->sym_count) == 0;
	if (!set->kallsyms_read)
		snprintf(why, len, "cannot read %s: %s", kf->kallsyms, strerror(errno));
	set->blacklist_read = read_blacklist(kf->blacklist, set->blacklisted) == 0;
	set->readme = read_readme(kf->readme);
	if (set->kallsyms_read && !(set->readme & FL_README_READ))
		snprintf(why, len, "cannot read %s: %s", kf->readme, strerror(errno));
	else if (set->kallsyms_read && !(set->readme & FL_README_KPROBES))
		snprintf(why, len, "the kernel's README (%s) has no kprobe_events", kf->readme);
	btf = fl_btf_open(kf->btf);
	if (btf) {
		set->off_users = fl_btf_member_offset(btf, "mm_struct", "mm_users");
		set->off_count = fl_btf_member_offset(btf, "mm_struct", "mm_count");
		set->off_map_count = fl_btf_member_offset(btf, "mm_struct", "map_count");
		set->off_vm_mm = fl_btf_member_offset(btf, "vm_area_struct", "vm_mm");
	}
	if (!set->kallsyms_read || !(set->readme & FL_README_KPROBES))
		goto out;
	if (choose_style(set, btf, offsets_only, why, len) < 0 || plan_anchor(set, btf, why, len) < 0)
		goto out;

	/* out of line from 6.15; before that the lock is inline in dup_mmap() */
	if (!unprobeable(set, FL_SYM_VMA_START_WRITE) && (set->readme & FL_README_RETPROBE) &&
	    (set->style == FL_PROBE_BTF || set->off_vm_mm >= 0)) {
		d = add(set, FL_PROBE_ENTRY, "vma_start_write", FL_SYM_VMA_START_WRITE, false,
			"per-VMA lock");
		if (set->style == FL_PROBE_BTF)
			snprintf(d->fetch, sizeof(d->fetch), "vma=vma:x64 vm_mm=vma->vm_mm:x64");
		else
			snprintf(d->fetch, sizeof(d->fetch), "vma=$arg1:x64 vm_mm=+%ld($arg1):x64",
				 set->off_vm_mm);
		add(set, FL_PROBE_RETURN, "vma_start_write_ret", FL_SYM_VMA_START_WRITE, false,
		    "per-VMA lock time");
	}
	if (!unprobeable(set, FL_SYM_LOCK_VMA_RCU) && (set->readme & FL_README_RETVAL)) {
		d = add(set, FL_PROBE_RETURN, "lock_vma_rcu_ret", FL_SYM_LOCK_VMA_RCU, false,
			"per-VMA readers falling back");
		snprintf(d->fetch, sizeof(d->fetch), "ret=$retval:x64");
	}
	/* the seed thread's experiment: a patched kernel with dup_probe() */
	if (!unprobeable(set, FL_SYM_DUP_PROBE) && (set->readme & FL_README_ARGN)) {
		d = add(set, FL_PROBE_ENTRY, "dup_probe", FL_SYM_DUP_PROBE, false, "seed experiment");
		snprintf(d->fetch, sizeof(d->fetch), "only_user=$arg1:s32 locked=$arg2:s32");
	}
	ret = 0;
out:
	fl_btf_free(btf);
	if (ret < 0)
		set->nr = 0;
	return ret;
}

const char *fl_probe_anchor_name(enum fl_probe_anchor anchor)
{
	switch (anchor) {
	case FL_ANCHOR_DUP_MMAP:
		return "dup_mmap";
	case FL_ANCHOR_UPROBE_DUP_MMAP:
		return "uprobe_dup_mmap";
	default:
		return "none";
	}
}
