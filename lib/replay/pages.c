// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The event loop's source when forklock reads the pages itself: each CPU's
 * data read by a page reader (tracedat/pageread.h) on a thread of its own
 * (or in line, without threads), a few batches ahead, and the CPUs merged
 * by timestamp exactly as libtracecmd 3.1.6's tracecmd_iterate_events() and
 * _multi() merge them: the earliest record next, the lowest index on a tie
 * (the top buffer's CPUs, then the named buffer's), the callback given the
 * record, the buffer's handle and that index.  Like libtracecmd, a record
 * that follows lost events but has no format ends the loop (-1); a
 * negative callback return ends it with that value.
 *
 * Memory stays flat: SLOTS batches of a chunk of pages per CPU.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <event-parse.h>
#include <trace-cmd.h>

#include "replay/replay-int.h"
#include "tracedat/check.h"
#include "tracedat/pageread.h"

#define SLOTS	3

struct worker;

struct stream {
	struct replay_pages_src *src;
	int cpu, index;			/* CPU in its buffer, index in the merge */
	struct fl_pageread *rd;
	struct fl_pagebatch slot[SLOTS];
	unsigned int head, tail;	/* batches taken / filled: tail - head are ready */
	bool done;			/* the reader is at its end, or failed */
	int err;			/* its errno when it failed */
	struct worker *w;		/* NULL: filled in line by the merge */
	/* the merge's side */
	struct fl_pagebatch *cur;
	uint32_t at;
	const struct fl_pagerec *rec;	/* the next record, NULL: none left */
};

struct worker {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t fill, ready;	/* a slot is free / a batch is ready */
	struct stream **s;
	int nr;
	bool stop;
};

/* Fill the stream's next free slot; the slot is the filler's alone meanwhile. */
static void fill_one(struct stream *s, unsigned int tail, bool *done, int *err)
{
	int r = fl_pageread_fill(s->rd, &s->slot[tail % SLOTS]);

	if (r <= 0) {
		*done = true;
		*err = r < 0 ? (errno ? errno : EIO) : 0;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int i;

	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		bool busy = false, all_done = true;

		for (i = 0; i < w->nr && !w->stop; i++) {
			struct stream *s = w->s[i];
			unsigned int tail;
			bool done = false;
			int err = 0;

			if (s->done)
				continue;
			all_done = false;
			if (s->tail - s->head >= SLOTS)
				continue;
			tail = s->tail;
			pthread_mutex_unlock(&w->mu);
			fill_one(s, tail, &done, &err);
			pthread_mutex_lock(&w->mu);
			if (done) {
				s->done = true;
				s->err = err;
			} else {
				s->tail++;
			}
			pthread_cond_signal(&w->ready);
			busy = true;
		}
		if (all_done)
			break;
		if (!busy)
			pthread_cond_wait(&w->fill, &w->mu);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* The stream's next batch with records, or NULL at its end; the last is given back. */
static struct fl_pagebatch *next_batch(struct stream *s)
{
	struct worker *w = s->w;
	struct fl_pagebatch *b;

	for (;;) {
		if (!w) {
			if (s->cur) {
				s->head++;
				s->cur = NULL;
			}
			if (s->head == s->tail && !s->done) {
				bool done = false;
				int err = 0;

				fill_one(s, s->tail, &done, &err);
				if (done) {
					s->done = true;
					s->err = err;
				} else {
					s->tail++;
				}
			}
			if (s->head == s->tail)
				return NULL;
			b = &s->slot[s->head % SLOTS];
		} else {
			pthread_mutex_lock(&w->mu);
			if (s->cur) {
				s->head++;
				s->cur = NULL;
				pthread_cond_signal(&w->fill);
			}
			while (s->head == s->tail && !s->done)
				pthread_cond_wait(&w->ready, &w->mu);
			b = s->head == s->tail ? NULL : &s->slot[s->head % SLOTS];
			pthread_mutex_unlock(&w->mu);
			if (!b)
				return NULL;
		}
		s->cur = b;
		s->at = 0;
		s->src->skipped[s->cpu] += b->skipped;
		s->src->skipped_unknown += b->skipped_unknown;
		if (b->nr)
			return b;
	}
}

static const struct fl_pagerec *advance(struct stream *s)
{
	if (!s->cur || s->at == s->cur->nr) {
		if (!next_batch(s))
			return s->rec = NULL;
	}
	return s->rec = &s->cur->rec[s->at++];
}

static void stop_workers(struct worker *w, int nr)
{
	int i;

	for (i = 0; i < nr; i++) {
		pthread_mutex_lock(&w[i].mu);
		w[i].stop = true;
		pthread_cond_signal(&w[i].fill);
		pthread_mutex_unlock(&w[i].mu);
	}
	for (i = 0; i < nr; i++) {
		pthread_join(w[i].thread, NULL);
		pthread_cond_destroy(&w[i].fill);
		pthread_cond_destroy(&w[i].ready);
		pthread_mutex_destroy(&w[i].mu);
		free(w[i].s);
	}
}

/* @nr workers over the streams (round robin); fewer if threads cannot be made. */
static int start_workers(struct worker *w, int nr, struct stream *s, int nr_streams)
{
	int i, k, started = 0;

	for (k = 0; k < nr; k++) {
		w[k].s = calloc(nr_streams, sizeof(*w[k].s));
		if (!w[k].s)
			break;
		for (i = k; i < nr_streams; i += nr)
			w[k].s[w[k].nr++] = &s[i];
		pthread_mutex_init(&w[k].mu, NULL);
		pthread_cond_init(&w[k].fill, NULL);
		pthread_cond_init(&w[k].ready, NULL);
		for (i = 0; i < w[k].nr; i++)
			w[k].s[i]->w = &w[k];
		if (pthread_create(&w[k].thread, NULL, worker_main, &w[k])) {
			/* no thread (memory, ulimit -v): these streams are read in line */
			for (i = 0; i < w[k].nr; i++)
				w[k].s[i]->w = NULL;
			pthread_cond_destroy(&w[k].fill);
			pthread_cond_destroy(&w[k].ready);
			pthread_mutex_destroy(&w[k].mu);
			free(w[k].s);
			break;
		}
		started++;
	}
	return started;
}

int replay_pages_iterate(int fd, const struct fl_tdcheck *check, struct replay_pages_src *src,
			 int nr_src, int threads,
			 int (*callback)(struct tracecmd_input *, struct tep_record *, int, void *),
			 void *data)
{
	struct stream *s = NULL;
	struct worker *w = NULL;
	struct tep_record rec;
	int nr = 0, i, k, ret = 0, workers = 0;

	for (k = 0; k < nr_src; k++)
		nr += src[k].nr_cpus;
	s = calloc(nr + 1, sizeof(*s));
	if (!s)
		return -2;
	for (k = 0, i = 0; k < nr_src; k++) {
		int cpu;

		src[k].err = 0;
		src[k].err_cpu = -1;
		for (cpu = 0; cpu < src[k].nr_cpus; cpu++, i++) {
			s[i].src = &src[k];
			s[i].cpu = cpu;
			s[i].index = i;
			if (!src[k].size[cpu]) {
				s[i].done = true;
				continue;
			}
			s[i].rd = fl_pageread_new(fd, src[k].offset[cpu], src[k].size[cpu],
						  check->page_size, check->long_size,
						  check->big_endian, src[k].skip, src[k].nr_skip,
						  FL_SKIP_UNKNOWN);
			if (!s[i].rd) {
				ret = -2;
				goto out;
			}
		}
	}
	if (threads > nr)
		threads = nr;
	if (threads > 0) {
		w = calloc(threads, sizeof(*w));
		if (w)
			workers = start_workers(w, threads, s, nr);
	}
	for (i = 0; i < nr; i++)
		advance(&s[i]);

	memset(&rec, 0, sizeof(rec));
	rec.ref_count = 1;
	for (;;) {
		const struct fl_pagerec *best = NULL;
		struct stream *bs = NULL;
		struct tracecmd_input *handle;

		/* libtracecmd's choice: the first of the earliest */
		for (i = 0; i < nr; i++)
			if (s[i].rec && (!best || s[i].rec->ts < best->ts)) {
				best = s[i].rec;
				bs = &s[i];
			}
		if (!best)
			break;
		handle = bs->src->handle;
		rec.ts = best->ts;
		rec.data = (void *)best->data;
		rec.size = (int)best->size;
		rec.record_size = (int)best->size;
		rec.cpu = bs->cpu;
		rec.missed_events = best->missed;
		if (best->missed && !tep_find_event_by_record(tracecmd_get_tep(handle), &rec)) {
			ret = -1;	/* libtracecmd's call_missed_events() */
			break;
		}
		ret = callback(handle, &rec, bs->index, data);
		if (ret < 0)
			break;
		advance(bs);
	}
out:
	if (workers)
		stop_workers(w, workers);
	free(w);
	for (i = 0; i < nr; i++) {
		int j;

		if (s[i].err && !s[i].src->err) {
			s[i].src->err = s[i].err;
			s[i].src->err_cpu = s[i].cpu;
		}
		for (j = 0; j < SLOTS; j++)
			fl_pagebatch_free(&s[i].slot[j]);
		fl_pageread_free(s[i].rd);
	}
	free(s);
	return ret;
}
