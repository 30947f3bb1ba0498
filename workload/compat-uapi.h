/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * uapi constants newer than the kernel headers Debian ships (6.1).
 * The values are ABI; they are taken from include/uapi/linux/userfaultfd.h.
 */
#ifndef FORKLOCK_COMPAT_UAPI_H
#define FORKLOCK_COMPAT_UAPI_H

#include <linux/userfaultfd.h>
#include <sys/ioctl.h>

#ifndef _UFFDIO_MOVE
#define _UFFDIO_MOVE			(0x05)
#endif

#ifndef UFFD_FEATURE_MOVE
#define UFFD_FEATURE_MOVE		(1 << 16)
#endif

#ifndef UFFDIO_MOVE
struct uffdio_move {
	__u64 dst;
	__u64 src;
	__u64 len;
	__u64 mode;
	__s64 move;
};
#define UFFDIO_MOVE	_IOWR(UFFDIO, _UFFDIO_MOVE, struct uffdio_move)
#endif

#ifndef _UFFDIO_POISON
#define _UFFDIO_POISON			(0x08)
#endif

#ifndef UFFDIO_POISON
struct uffdio_poison {
	struct uffdio_range range;
	__u64 mode;
	__s64 updated;
};
#define UFFDIO_POISON	_IOWR(UFFDIO, _UFFDIO_POISON, struct uffdio_poison)
#endif

#endif
