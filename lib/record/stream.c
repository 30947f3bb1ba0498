// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Per-CPU streaming: one thread per CPU splices full ring-buffer pages from
 * per_cpu/cpuN/trace_pipe_raw to a file while the workload runs.  Stopping
 * is the caller's job in this order: tracing off, fl_stream_stop() (each
 * reader drains the rest, including the last partial page; then every
 * trace_pipe_raw is closed), then the instance can be removed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <tracefs.h>

#include "record/record-local.h"

struct cpu_reader {
	struct fl_stream *stream;
	struct tracefs_cpu *tcpu;
	pthread_t thread;
	bool started;
	int cpu;
	int fd;
	_Atomic uint64_t bytes;
	_Atomic pid_t tid;
	int nice;		/* current nice value of this reader */
	_Atomic int error;	/* errno of a failed read or write */
};

struct fl_stream {
	int nr_cpus;
	int nice;
	atomic_bool stop;
	struct cpu_reader *readers;
};

static int drain(struct cpu_reader *r)
{
	int ret;

	/* full pages first (splice), then the partial page (read) */
	while ((ret = tracefs_cpu_write(r->tcpu, r->fd, true)) > 0)
		r->bytes += ret;
	if (ret < 0 && errno != EAGAIN)
		return -1;
	while ((ret = tracefs_cpu_flush_write(r->tcpu, r->fd)) > 0)
		r->bytes += ret;
	return ret < 0 ? -1 : 0;
}

static void *reader_main(void *arg)
{
	struct cpu_reader *r = arg;
	int ret;

	r->tid = (pid_t)syscall(SYS_gettid);
	r->nice = r->stream->nice;
	setpriority(PRIO_PROCESS, (id_t)r->tid, r->nice);
	while (!atomic_load(&r->stream->stop)) {
		ret = tracefs_cpu_write(r->tcpu, r->fd, false);
		if (ret > 0) {
			r->bytes += ret;
			continue;
		}
		if (ret < 0 && errno != EINTR && errno != EAGAIN) {
			r->error = errno;
			break;
		}
	}
	if (drain(r) < 0 && !r->error)
		r->error = errno;
	/* tcpu is closed by fl_stream_stop() after the join: it may still be poked */
	return NULL;
}

struct fl_stream *fl_stream_start(struct tracefs_instance *instance, int nr_cpus,
				  const int *cpu_fds, int nice)
{
	struct fl_stream *s;
	int cpu, err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->readers = calloc(nr_cpus, sizeof(*s->readers));
	if (!s->readers) {
		free(s);
		return NULL;
	}
	s->nr_cpus = nr_cpus;
	s->nice = nice;
	for (cpu = 0; cpu < nr_cpus; cpu++) {
		struct cpu_reader *r = &s->readers[cpu];

		r->stream = s;
		r->cpu = cpu;
		r->fd = cpu_fds[cpu];
		r->tcpu = tracefs_cpu_open(instance, cpu, false);
		if (!r->tcpu)
			goto fail;
	}
	for (cpu = 0; cpu < nr_cpus; cpu++) {
		struct cpu_reader *r = &s->readers[cpu];

		err = pthread_create(&r->thread, NULL, reader_main, r);
		if (err) {
			errno = err;
			goto fail;
		}
		r->started = true;
	}
	return s;
fail:
	err = errno;
	fl_stream_stop(s);
	fl_stream_free(s);
	errno = err;
	return NULL;
}

int fl_stream_stop(struct fl_stream *s)
{
	int cpu, error = 0;

	if (!s)
		return 0;
	atomic_store(&s->stop, true);
	for (cpu = 0; cpu < s->nr_cpus; cpu++) {
		struct cpu_reader *r = &s->readers[cpu];

		if (r->started && r->tcpu)
			tracefs_cpu_stop(r->tcpu);
	}
	for (cpu = 0; cpu < s->nr_cpus; cpu++) {
		struct cpu_reader *r = &s->readers[cpu];

		if (r->started) {
			pthread_join(r->thread, NULL);
			r->started = false;
		}
		if (r->tcpu) {
			tracefs_cpu_close(r->tcpu);
			r->tcpu = NULL;
		}
		if (r->error && !error)
			error = r->error;
	}
	if (error) {
		errno = error;
		return -1;
	}
	return 0;
}

int fl_stream_error(struct fl_stream *s)
{
	int cpu, e;

	for (cpu = 0; cpu < s->nr_cpus; cpu++)
		if ((e = s->readers[cpu].error))
			return e;
	return 0;
}

uint64_t fl_stream_bytes(struct fl_stream *s, int cpu)
{
	return s->readers[cpu].bytes;
}

pid_t fl_stream_tid(struct fl_stream *s, int cpu)
{
	struct cpu_reader *r = &s->readers[cpu];
	int i;

	/* set by the thread as it starts */
	for (i = 0; i < 1000 && !r->tid; i++)
		usleep(1000);
	return r->tid;
}

uint64_t fl_stream_total_bytes(struct fl_stream *s)
{
	uint64_t sum = 0;
	int cpu;

	for (cpu = 0; cpu < s->nr_cpus; cpu++)
		sum += s->readers[cpu].bytes;
	return sum;
}

int fl_stream_renice(struct fl_stream *s, int cpu, int nice)
{
	struct cpu_reader *r = &s->readers[cpu];

	if (!r->tid || r->nice == nice)
		return 0;
	if (setpriority(PRIO_PROCESS, (id_t)r->tid, nice) < 0)
		return -1;
	r->nice = nice;
	return 1;
}

void fl_stream_free(struct fl_stream *s)
{
	if (!s)
		return;
	free(s->readers);
	free(s);
}
