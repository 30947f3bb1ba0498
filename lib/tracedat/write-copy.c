// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The writer's bytes on their way to the file: whole writes (EINTR and
 * short writes retried), runs of zeros for the page alignment, and CPU data
 * copied from the capture's files by copy_file_range() where the kernel
 * can, pread()/write() otherwise.  Each returns 0, or -1 with errno set
 * (EIO: a source shorter than promised, or a write that wrote nothing).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdint.h>
#include <unistd.h>

#include "tracedat/tracedat-local.h"

int td_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t r;

	while (len) {
		r = write(fd, p, len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (!r) {
			errno = EIO;
			return -1;
		}
		p += r;
		len -= r;
	}
	return 0;
}

int td_write_zeros(int fd, uint64_t len)
{
	static const char zeros[4096];
	size_t n;

	while (len) {
		n = len < sizeof(zeros) ? len : sizeof(zeros);
		if (td_write_all(fd, zeros, n))
			return -1;
		len -= n;
	}
	return 0;
}

static int copy_pread(int out_fd, int src_fd, off_t offset, size_t len)
{
	char buf[65536];
	ssize_t r;
	size_t n;

	while (len) {
		n = len < sizeof(buf) ? len : sizeof(buf);
		r = pread(src_fd, buf, n, offset);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (!r) {
			errno = EIO;	/* the source is shorter than promised */
			return -1;
		}
		if (td_write_all(out_fd, buf, r))
			return -1;
		offset += r;
		len -= r;
	}
	return 0;
}

/* copy_file_range() where the kernel can, pread()/write() otherwise. */
int td_copy_fd(int out_fd, int src_fd, off_t offset, size_t len)
{
	loff_t off = offset;
	ssize_t r;

	while (len) {
		r = copy_file_range(src_fd, &off, out_fd, NULL, len, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
			    errno == EOPNOTSUPP || errno == EBADF ||
			    errno == ETXTBSY || errno == EPERM)
				return copy_pread(out_fd, src_fd, off, len);
			return -1;
		}
		if (!r) {
			errno = EIO;
			return -1;
		}
		len -= r;
	}
	return 0;
}

/* A piece at a time, each given back to the file system once copied. */
int td_move_fd(int out_fd, int src_fd, off_t offset, size_t len)
{
	const size_t piece = 1 << 20;
	size_t n;

	while (len) {
		n = len < piece ? len : piece;
		if (td_copy_fd(out_fd, src_fd, offset, n))
			return -1;
		/* a file system without holes keeps the blocks: only the space is not freed */
		fallocate(src_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, n);
		offset += n;
		len -= n;
	}
	return 0;
}

/* ---- the CPU data of a buffer: chunks, placed page-aligned, then written -- */

int td_add_chunk(struct td_cpu *cpus, int cpu, struct td_chunk *chunk)
{
	struct td_cpu *c;
	struct td_chunk *n;

	c = &cpus[cpu];
	n = realloc(c->chunks, (c->nr_chunks + 1) * sizeof(*n));
	if (!n)
		return -1;
	c->chunks = n;
	n[c->nr_chunks++] = *chunk;
	c->size += chunk->len;
	return 0;
}

/*
 * Page-aligned offsets of every CPU's data, trace-cmd's way; returns the
 * end of the file (the end of the last non-empty CPU's data).
 */
uint64_t td_place_cpus(unsigned int page_size, int nr_cpus, struct td_cpu *cpus, uint64_t pos)
{
	uint64_t mask = page_size - 1;
	uint64_t end = pos;
	int cpu;

	for (cpu = 0; cpu < nr_cpus; cpu++) {
		pos = (pos + mask) & ~mask;
		cpus[cpu].file_offset = pos;
		pos += cpus[cpu].size;
		if (cpus[cpu].size)
			end = pos;
	}
	return end;
}

/* Every CPU's chunks at their offsets; @pos: where the file is now. */
int td_write_cpus(int fd, int nr_cpus, struct td_cpu *cpus, uint64_t *pos)
{
	struct td_chunk *chunk;
	struct td_cpu *c;
	int cpu, i;

	for (cpu = 0; cpu < nr_cpus; cpu++) {
		c = &cpus[cpu];
		if (!c->size)
			continue;
		if (td_write_zeros(fd, c->file_offset - *pos))
			return -1;
		for (i = 0; i < c->nr_chunks; i++) {
			chunk = &c->chunks[i];
			if (chunk->mem) {
				if (td_write_all(fd, chunk->mem, chunk->len))
					return -1;
			} else if (chunk->release ?
				   td_move_fd(fd, chunk->fd, chunk->offset, chunk->len) :
				   td_copy_fd(fd, chunk->fd, chunk->offset, chunk->len)) {
				return -1;
			}
		}
		*pos = c->file_offset + c->size;
	}
	return 0;
}

void td_free_cpus(struct td_cpu *cpus, int nr_cpus)
{
	int i, j;

	for (i = 0; cpus && i < nr_cpus; i++) {
		for (j = 0; j < cpus[i].nr_chunks; j++)
			free(cpus[i].chunks[j].mem);
		free(cpus[i].chunks);
	}
	free(cpus);
}
