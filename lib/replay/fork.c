// SPDX-License-Identifier: GPL-2.0-or-later
/* Names of fork attributes, as they appear in every output. */
#include <stddef.h>
#include "replay/fork.h"

const char *fl_access_name(enum fl_access kind)
{
	switch (kind) {
	case FL_ACC_SIBLING_FAULT:	return "sibling_fault";
	case FL_ACC_FAULT_FALLBACK:	return "fault_fallback";
	case FL_ACC_MMAP_LOCK:		return "sibling_mmap_lock";
	case FL_ACC_REMOTE:		return "remote_mmap_lock";
	case FL_ACC_UFFD_IOCTL:		return "uffd_ioctl";
	case FL_ACC_NR:			break;
	}
	return "unknown";
}

const char *fl_uffd_name(enum fl_uffd uffd)
{
	switch (uffd) {
	case FL_UFFD_NONE:	return "none";
	case FL_UFFD_PRESENT:	return "present";
	case FL_UFFD_UNKNOWN:	return "unknown";
	}
	return "unknown";
}

const char *fl_kinds_quality_name(enum fl_kinds_quality q)
{
	switch (q) {
	case FL_KINDS_UNKNOWN:		return "unknown";
	case FL_KINDS_ESTIMATED:	return "estimated";
	case FL_KINDS_EXACT:		return "exact";
	}
	return "unknown";
}

const char *fl_tier_name(enum fl_tier tier)
{
	switch (tier) {
	case FL_TIER_TRACEPOINT:	return "tracepoint";
	case FL_TIER_KPROBE:		return "kprobe";
	case FL_TIER_BPF:		return "bpf";
	}
	return "tracepoint";
}

const char *fl_source_name(enum fl_source src)
{
	switch (src) {
	case FL_SRC_NONE:		return "none";
	case FL_SRC_TRACEPOINT:		return "tracepoint";
	case FL_SRC_KPROBE:		return "kprobe";
	case FL_SRC_BPF:		return "bpf";
	case FL_SRC_NR:			break;
	}
	return "none";
}

const char *fl_locked_quality_name(enum fl_locked_quality q)
{
	switch (q) {
	case FL_LOCKED_EXACT:		return "exact";
	case FL_LOCKED_KERNEL:		return "kernel";
	case FL_LOCKED_ESTIMATED:	return "estimated";
	case FL_LOCKED_NR:		break;
	}
	return "estimated";
}

const char *fl_holder_name(enum fl_holder_kind kind)
{
	switch (kind) {
	case FL_HOLD_UFFD_IOCTL:	return "uffd_ioctl";
	case FL_HOLD_REMOTE:		return "remote_mmap_lock";
	case FL_HOLD_PTRACE:		return "ptrace";
	case FL_HOLD_UNKNOWN:		return "unknown";
	case FL_HOLD_NR:		break;
	}
	return "unknown";
}

/*
 * Make a comm printable UTF-8 in place: the kernel cuts a comm at 15
 * bytes, maybe inside a character, and a name may hold any byte.  What is
 * not a whole UTF-8 character (or is a control character) becomes '?', so
 * every output shows and groups the same name.
 */
void fl_comm_clean(char *comm)
{
	unsigned char *p = (unsigned char *)comm;

	while (*p) {
		int need = *p < 0x80 ? 0 : *p >= 0xc2 && *p <= 0xdf ? 1 :
			   *p >= 0xe0 && *p <= 0xef ? 2 : *p >= 0xf0 && *p <= 0xf4 ? 3 : -1;
		int i;

		if (need == 0) {
			if (*p < 0x20 || *p == 0x7f)
				*p = '?';
			p++;
			continue;
		}
		for (i = 1; need > 0 && i <= need; i++)
			if ((p[i] & 0xc0) != 0x80)
				break;
		if (need < 0 || i <= need) {
			*p++ = '?';	/* a byte that starts no whole character */
			continue;
		}
		p += need + 1;
	}
}

const char *fl_vma_kind_name(enum fl_vma_kind kind)
{
	switch (kind) {
	case FL_VMA_ANON:	return "anon";
	case FL_VMA_COW:	return "cow";
	case FL_VMA_SHARED:	return "shared";
	default:		return "unknown";
	}
}

const char *fl_wake_name(enum fl_wake w)
{
	switch (w) {
	case FL_WAKE_UFFD_IOCTL:	return "uffd_ioctl";
	case FL_WAKE_SIBLING_FAULT:	return "sibling_fault";
	case FL_WAKE_MMAP_LOCK:		return "mmap_lock";
	case FL_WAKE_REMOTE:		return "remote";
	case FL_WAKE_OTHER:		return "other";
	default:			return "unseen";
	}
}

const char *fl_uffdio_name(uint32_t nr)
{
	static const char *const names[] = {
		[3] = "UFFDIO_COPY", [4] = "UFFDIO_ZEROPAGE", [5] = "UFFDIO_MOVE",
		[6] = "UFFDIO_WRITEPROTECT", [7] = "UFFDIO_CONTINUE", [8] = "UFFDIO_POISON",
	};

	return nr < sizeof(names) / sizeof(names[0]) ? names[nr] : NULL;
}
