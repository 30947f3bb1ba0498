/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Just enough BTF (/sys/kernel/btf/vmlinux) to find where a struct member
 * lives, for kprobe fetch arguments on kernels whose probes cannot name BTF
 * fields themselves: mm_struct.mm_users, mm_struct.mm_count,
 * vm_area_struct.vm_mm.  Members inside anonymous structs and unions are
 * found too; their offsets add up.
 */
#ifndef FORKLOCK_BTF_H
#define FORKLOCK_BTF_H

#include <stddef.h>

struct fl_btf;

/* NULL (errno set) if the file cannot be read or is not BTF. */
struct fl_btf *fl_btf_open(const char *path);
void fl_btf_free(struct fl_btf *btf);

/*
 * Byte offset of @member in struct @type, or -1 if there is no such struct
 * or member (or it is a bitfield).
 */
long fl_btf_member_offset(const struct fl_btf *btf, const char *type, const char *member);

/* Is there a function named @name (BTF_KIND_FUNC)? */
int fl_btf_has_func(const struct fl_btf *btf, const char *name);

#endif
