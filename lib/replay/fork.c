// SPDX-License-Identifier: GPL-2.0-or-later
/* Names of fork attributes, as they appear in every output. */
#include "fork.h"

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

const char *fl_tier_name(enum fl_tier tier)
{
	return tier == FL_TIER_KPROBE ? "kprobe" : "tracepoint";
}
