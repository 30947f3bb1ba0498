// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ringcount - ringpage_count() over a byte range of a file.
 *
 * Usage: ringcount FILE OFFSET SIZE PAGE_SIZE
 * Prints {"events":N,"pages":N,"missed_pages":N,"missed_events":N,
 *         "first_ts":N,"last_ts":N} or fails with exit status 1.
 * The tests take OFFSET and SIZE from their own parse of the flyrecord
 * table, so this also cross-checks the writer's offsets.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tracedat/ringpage.h"

int main(int argc, char **argv)
{
	struct ringpage_count c;
	unsigned long long offset, size, page_size;
	char *buf;
	ssize_t r;
	int fd;

	if (argc != 5) {
		fprintf(stderr, "usage: ringcount FILE OFFSET SIZE PAGE_SIZE\n");
		return 2;
	}
	offset = strtoull(argv[2], NULL, 0);
	size = strtoull(argv[3], NULL, 0);
	page_size = strtoull(argv[4], NULL, 0);
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "ringcount: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	buf = malloc(size ? size : 1);
	if (!buf) {
		fprintf(stderr, "ringcount: out of memory\n");
		return 1;
	}
	r = pread(fd, buf, size, offset);
	if (r < 0 || (unsigned long long)r != size) {
		fprintf(stderr, "ringcount: short read at %llu\n", offset);
		free(buf);
		return 1;
	}
	if (ringpage_count(buf, size, page_size, &c)) {
		fprintf(stderr, "ringcount: malformed pages: %s\n", strerror(errno));
		free(buf);
		return 1;
	}
	printf("{\"events\":%" PRIu64 ",\"pages\":%" PRIu64 ",\"missed_pages\":%" PRIu64
	       ",\"missed_events\":%" PRIu64 ",\"first_ts\":%" PRIu64 ",\"last_ts\":%" PRIu64 "}\n",
	       c.events, c.pages, c.missed_pages, c.missed_events, c.first_ts, c.last_ts);
	free(buf);
	close(fd);
	return 0;
}
