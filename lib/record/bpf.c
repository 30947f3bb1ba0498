// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The BPF tier (see bpf/forklock.bpf.c for the programs): loaded from the
 * skeleton embedded at build time, CO-RE relocated against the kernel's
 * BTF, attached to tracepoints only, and read through a BPF ring buffer
 * by one thread of the recorder.  Programs and links live only as the
 * recorder's file descriptors: every exit path destroys the skeleton, and
 * a recorder that is killed leaves nothing behind (the kernel frees a
 * link and its program with their last fd).
 *
 * At the end the records become the events of events/bpfevents.h in the
 * trace.dat's buffer FL_BPF_BUFFER (output_bpf()).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include <linux/types.h>

#include "record/bpf-record.h"
#include "record/btf.h"
#include <forklock.skel.h>	/* generated: lib/record/bpf/meson.build */

#include "events/bpfevents.h"
#include "forklock-exit.h"
#include "log.h"
#include "record/record-local.h"
#include "tracedat/ringpage.h"
#include "tracedat/write.h"

#define FL_BTF_DEFAULT "/sys/kernel/btf/vmlinux"

struct fl_bpf {
	struct forklock_bpf *skel;
	struct ring_buffer *rb;
	pthread_t thread;
	bool running;
	volatile bool stop;
	struct fl_bpf_fork_rec *recs;
	size_t nr, alloc;
	bool nomem;		/* a record could not be kept: counted as lost */
	uint64_t dropped;
	uint64_t windows, lost, unmatched;
	bool light;
	uint64_t t_end;
};

/* ---- loading, with libbpf's words kept for the one error line ------------ */

static char bpf_log[8192];
static size_t bpf_log_len;

static int log_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	int n;

	if (level == LIBBPF_DEBUG || bpf_log_len >= sizeof(bpf_log) - 1)
		return 0;
	n = vsnprintf(bpf_log + bpf_log_len, sizeof(bpf_log) - bpf_log_len, fmt, ap);
	if (n > 0)
		bpf_log_len += (size_t)n < sizeof(bpf_log) - bpf_log_len ?
			       (size_t)n : sizeof(bpf_log) - bpf_log_len - 1;
	return 0;
}

/* Is this a line of the verifier's trace (an instruction, a state), not its verdict? */
static bool trace_line(const char *l, size_t n)
{
	static const char *const skip[] = {
		";", "func#", "processed ", "from ", "last_idx", "regs=", "parent ", "R",
		"Validating", "--", "libbpf:", "verification time", "stack depth", "mark_precise",
		"Func#", "arg#", "reg type unsupported",
	};
	size_t i;

	if (!n || (l[0] >= '0' && l[0] <= '9'))
		return true;
	for (i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (!strncmp(l, skip[i], strlen(skip[i])))
			return true;
	return false;
}

/*
 * The verifier's first error line from the program load log libbpf printed,
 * else libbpf's own last line.
 */
static void first_error(char *why, size_t len, const char *fallback)
{
	const char *log = strstr(bpf_log, "-- BEGIN PROG LOAD LOG --");
	const char *end = log ? strstr(log, "-- END PROG LOAD LOG --") : NULL;
	const char *p, *nl, *last = NULL;
	size_t n, lastn = 0;

	if (log && end) {
		for (p = strchr(log, '\n'); p && p < end; p = nl) {
			p++;
			nl = memchr(p, '\n', end - p);
			if (!nl)
				break;
			n = nl - p;
			if (!trace_line(p, n)) {
				snprintf(why, len, "the verifier rejected the programs: %.*s", (int)n, p);
				return;
			}
		}
	}
	for (p = bpf_log; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		if (nl > p && !strstr(p, "LOAD LOG")) {
			last = p;
			lastn = nl - p;
		}
		if (!*nl)
			break;
	}
	if (last)
		snprintf(why, len, "%s: %.*s", fallback, (int)lastn, last);
	else
		snprintf(why, len, "%s: %s", fallback, strerror(errno));
}

const char *fl_bpf_btf_path(void)
{
	const char *p = getenv("FORKLOCK_BTF");

	return p && *p ? p : FL_BTF_DEFAULT;
}

/*
 * The programs take the tracepoints' arguments as 6.14 and later pass
 * them: mmap_lock_acquire_returned(mm, write, success) and
 * mmap_lock_released(mm, write).  Before 6.14 a memcg_path came second;
 * read with this layout those programs would take a pointer for `write`.
 * Returns 0, or -1 with @why.
 */
static int check_prototypes(const char *path, char *why, size_t len)
{
	static const struct { const char *tp; int args; const char *proto; } want[] = {
		{ "mmap_lock_acquire_returned", 3, "mm, write, success" },
		{ "mmap_lock_released", 2, "mm, write" },
		{ "ma_write", 4, "fn, mas, piv, val" },
	};
	struct fl_btf *btf = fl_btf_open(path);
	size_t i;
	int n;

	if (!btf) {
		snprintf(why, len, "cannot read the kernel BTF at %s: %s", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		n = fl_btf_tracepoint_args(btf, want[i].tp);
		if (n == want[i].args)
			continue;
		if (n < 0)
			snprintf(why, len, "the kernel BTF has no tracepoint %s", want[i].tp);
		else
			snprintf(why, len, "tracepoint %s passes %d arguments here, the programs take "
				 "%d (%s: 6.14 and later)", want[i].tp, n, want[i].args,
				 want[i].proto);
		fl_btf_free(btf);
		errno = ENOTSUP;
		return -1;
	}
	fl_btf_free(btf);
	return 0;
}

/*
 * Open, load and attach.  Returns NULL with @why and errno; @code gets
 * FL_EXIT_PERM, or FL_EXIT_BPF for a refusal of the kernel or the verifier.
 */
static struct forklock_bpf *bpf_load(bool light, unsigned int ring_kb, pid_t recorder,
				     int *code, char *why, size_t len)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	libbpf_print_fn_t old;
	struct forklock_bpf *skel;
	const char *btf = fl_bpf_btf_path();
	int err;

	*code = FL_EXIT_BPF;
	if (geteuid() != 0) {
		*code = FL_EXIT_PERM;
		snprintf(why, len, "the bpf tier needs root (CAP_BPF and CAP_PERFMON)");
		errno = EPERM;
		return NULL;
	}
	if (access(btf, R_OK) < 0) {
		snprintf(why, len, "no kernel BTF at %s (CONFIG_DEBUG_INFO_BTF): %s",
			 btf, strerror(errno));
		return NULL;
	}
	if (check_prototypes(btf, why, len) < 0)
		return NULL;
	if (strcmp(btf, FL_BTF_DEFAULT))
		opts.btf_custom_path = btf;
	bpf_log_len = 0;
	bpf_log[0] = '\0';
	old = libbpf_set_print(log_print);
	skel = forklock_bpf__open_opts(&opts);
	if (!skel) {
		first_error(why, len, "cannot open the BPF programs");
		goto fail;
	}
	skel->rodata->fl_recorder_tgid = recorder;
	skel->rodata->fl_light = light;
	bpf_program__set_autoload(skel->progs.fl_ma_write, !light);
	err = bpf_map__set_max_entries(skel->maps.records, ring_kb << 10);
	if (err) {
		errno = -err;
		snprintf(why, len, "cannot size the BPF ring buffer to %u KB: %s", ring_kb,
			 strerror(errno));
		goto fail;
	}
	/* a program the verifier rejects, for the tests of that path */
	bpf_program__set_autoload(skel->progs.fl_reject_test,
				  getenv("FORKLOCK_TEST_BPF_REJECT") != NULL);
	err = forklock_bpf__load(skel);
	if (err) {
		errno = -err;
		first_error(why, len, "cannot load the BPF programs");
		goto fail;
	}
	err = forklock_bpf__attach(skel);
	if (err) {
		errno = -err;
		first_error(why, len, "cannot attach the BPF programs to their tracepoints");
		goto fail;
	}
	libbpf_set_print(old);
	return skel;
fail:
	err = errno;
	forklock_bpf__destroy(skel);
	libbpf_set_print(old);
	errno = err;
	return NULL;
}

bool fl_bpf_possible(char *why, size_t len)
{
	struct forklock_bpf *skel;
	int code;

	skel = bpf_load(false, FL_DEFAULT_BPF_BUFFER_KB, getpid(), &code, why, len);
	if (!skel)
		return false;
	forklock_bpf__destroy(skel);
	snprintf(why, len, "programs load and attach (BTF %s)", fl_bpf_btf_path());
	return true;
}

/* ---- reading the ring buffer ------------------------------------------------ */

static int on_record(void *ctx, void *data, size_t size)
{
	struct fl_bpf *b = ctx;
	const struct fl_bpf_fork_rec *rec = data;

	if (size < sizeof(*rec) || rec->kind != FL_BPF_REC_FORK)
		return 0;
	if (b->nr == b->alloc) {
		size_t n = b->alloc ? b->alloc * 2 : 1024;
		struct fl_bpf_fork_rec *p = realloc(b->recs, n * sizeof(*p));

		if (!p) {
			b->nomem = true;
			b->dropped++;
			return 0;
		}
		b->recs = p;
		b->alloc = n;
	}
	b->recs[b->nr++] = *rec;
	return 0;
}

/*
 * Records are consumed as they come.  FORKLOCK_TEST_BPF_NO_READ (tests
 * only): not until the end, so a small ring buffer fills and loses
 * records deterministically.
 */
static void *reader(void *arg)
{
	struct fl_bpf *b = arg;
	bool hold = getenv("FORKLOCK_TEST_BPF_NO_READ") != NULL;

	while (hold && !b->stop)
		usleep(10000);
	while (!b->stop)
		if (ring_buffer__poll(b->rb, 100) < 0 && errno != EINTR)
			break;
	return NULL;
}

int bpf_tier_start(struct recorder *r, bool required, char *why, size_t len)
{
	struct fl_bpf *b = calloc(1, sizeof(*b));
	int code;

	if (!b)
		return fl_err(FL_EXIT_FAILURE, "bpf tier: %s", strerror(errno));
	b->light = r->opts->light;
	b->skel = bpf_load(b->light, r->opts->bpf_buffer_kb ? r->opts->bpf_buffer_kb :
			   FL_DEFAULT_BPF_BUFFER_KB, getpid(), &code, why, len);
	if (!b->skel) {
		free(b);
		return required ? fl_err(code, "bpf tier: %s", why) : 0;
	}
	r->bpf = b;
	b->rb = ring_buffer__new(bpf_map__fd(b->skel->maps.records), on_record, b, NULL);
	if (!b->rb)
		return fl_err(FL_EXIT_BPF, "bpf tier: cannot read the BPF ring buffer: %s",
			      strerror(errno));
	if (pthread_create(&b->thread, NULL, reader, b))
		return fl_err(FL_EXIT_FAILURE, "bpf tier: cannot start its reader");
	b->running = true;
	return 0;
}

/* Programs detached, the ring buffer drained, the counters read. Idempotent. */
void bpf_tier_stop(struct recorder *r)
{
	struct fl_bpf *b = r->bpf;

	if (!b || !b->skel)
		return;
	forklock_bpf__detach(b->skel);
	b->t_end = fl_mono_ns();
	if (b->running) {
		b->stop = true;
		pthread_join(b->thread, NULL);
		b->running = false;
	}
	if (b->rb)
		ring_buffer__consume(b->rb);
	b->windows = b->skel->bss->fl_windows;
	b->lost = b->skel->bss->fl_lost + b->dropped;
	b->unmatched = b->skel->bss->fl_unmatched;
	ring_buffer__free(b->rb);
	b->rb = NULL;
	forklock_bpf__destroy(b->skel);
	b->skel = NULL;
}

void bpf_tier_free(struct recorder *r)
{
	if (!r->bpf)
		return;
	bpf_tier_stop(r);
	free(r->bpf->recs);
	free(r->bpf);
	r->bpf = NULL;
}

/* Records are made only while the instance traces: windows outside it have no events. */
void bpf_tier_on(struct recorder *r, bool on)
{
	if (r->bpf && r->bpf->skel)
		__atomic_store_n(&r->bpf->skel->bss->fl_on, on ? 1 : 0, __ATOMIC_SEQ_CST);
}

uint64_t bpf_tier_lost(struct recorder *r)
{
	return r->bpf ? r->bpf->lost : 0;
}

/* ---- into the trace.dat ----------------------------------------------------- */

static int by_cpu_time(const void *a, const void *b)
{
	const struct fl_bpf_fork_rec *x = a, *y = b;

	if (x->cpu != y->cpu)
		return x->cpu < y->cpu ? -1 : 1;
	return (x->ts_end > y->ts_end) - (x->ts_end < y->ts_end);
}

static void fork_event(struct fl_bpf_fork_event *e, const struct fl_bpf_fork_rec *s, uint16_t id)
{
	memset(e, 0, sizeof(*e));
	e->c.common_type = id;
	e->c.common_pid = (int32_t)s->pid;
	e->oldmm = s->oldmm;
	e->newmm = s->newmm;
	e->ts_start = s->ts_start;
	e->mm_users = s->mm_users;
	e->mm_count = s->mm_count;
	e->map_count = s->map_count;
	e->mm_users_end = s->mm_users_end;
	e->mm_count_end = s->mm_count_end;
	e->map_count_end = s->map_count_end;
	e->mm_users_max = s->mm_users_max;
	e->rise_vma = s->rise_vma;
	e->rise_mm_users = s->rise_mm_users;
	e->vmas_copied = s->vmas_copied;
	e->anon = s->anon;
	e->anon_vma = s->anon_vma;
	e->cow = s->cow;
	e->shared = s->shared;
	e->light = s->light;
}

/* One CPU's pages of the buffer, or -1 (errno). */
static int cpu_pages(struct recorder *r, struct tracedat_out *out, int cpu, size_t *i,
		     int fork_id, int stats_id, uint64_t *events)
{
	struct fl_bpf *b = r->bpf;
	struct ringpage_builder *pb = ringpage_builder_new(r->page_size);
	struct fl_bpf_fork_event e;
	uint64_t last = 0;
	const void *pages;
	size_t len;
	int ret = -1;

	if (!pb)
		return -1;
	/*
	 * The counts come first (stamped at the recording's start): the
	 * replay knows of lost records before the first fork it hands on.
	 */
	if (cpu == 0) {
		struct fl_bpf_stats_event s = {
			.c.common_type = stats_id, .c.common_pid = getpid(),
			.windows = b->windows, .lost = b->lost, .unmatched = b->unmatched,
			.light = b->light,
		};
		uint64_t t = r->t0;

		if (*i < b->nr && b->recs[*i].cpu == 0 && b->recs[*i].ts_end < t)
			t = b->recs[*i].ts_end;
		if (ringpage_add(pb, t, &s, sizeof(s)) < 0)
			goto out;
		last = t;
	}
	for (; *i < b->nr && b->recs[*i].cpu == (unsigned int)cpu; (*i)++) {
		fork_event(&e, &b->recs[*i], fork_id);
		last = b->recs[*i].ts_end > last ? b->recs[*i].ts_end : last;
		if (ringpage_add(pb, last, &e, sizeof(e)) < 0)
			goto out;
		(*events)++;
	}
	pages = ringpage_data(pb, &len);
	ret = tracedat_out_buffer_mem(out, FL_BPF_BUFFER, cpu, pages, len);
out:
	ringpage_builder_free(pb);
	return ret;
}

/*
 * The formats of forklock:bpf_fork and forklock:bpf_stats (ids after
 * @max_id, the highest id among the file's formats) and the buffer's
 * pages, each record on the CPU where its window closed.  Returns 0 or -1.
 */
int output_bpf(struct recorder *r, struct tracedat_out *out, int max_id, uint64_t *events)
{
	struct fl_bpf *b = r->bpf;
	char fmt[4096];
	size_t i = 0;
	int cpu, n;

	if (!b)
		return 0;
	n = fl_bpf_event_format(FL_BPF_FORK_EVENT, max_id + 1, fmt, sizeof(fmt));
	if (n < 0 || tracedat_out_add_format(out, FL_BPF_SYSTEM, fmt, n) < 0)
		return -1;
	n = fl_bpf_event_format(FL_BPF_STATS_EVENT, max_id + 2, fmt, sizeof(fmt));
	if (n < 0 || tracedat_out_add_format(out, FL_BPF_SYSTEM, fmt, n) < 0)
		return -1;
	qsort(b->recs, b->nr, sizeof(*b->recs), by_cpu_time);
	/* a CPU the host does not list (hotplug) goes to CPU 0's pages, in order */
	for (i = 0; i < b->nr; i++)
		if (b->recs[i].cpu >= (unsigned int)r->nr_cpus)
			b->recs[i].cpu = 0;
	qsort(b->recs, b->nr, sizeof(*b->recs), by_cpu_time);
	i = 0;
	for (cpu = 0; cpu < r->nr_cpus; cpu++)
		if (cpu_pages(r, out, cpu, &i, max_id + 1, max_id + 2, events) < 0)
			return -1;
	return 0;
}
