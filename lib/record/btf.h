/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel's BTF (/sys/kernel/btf/vmlinux, read with libbpf) as the
 * kprobe plan needs it: where a struct member lives, for fetch arguments on
 * kernels whose probes cannot name BTF fields themselves (6.1:
 * mm_struct.mm_users +84), and which argument of a function has a name
 * (dup_mmap(mm, oldmm): oldmm is $arg2).  Members inside anonymous structs
 * and unions are found too; their offsets add up.
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

/*
 * 1-based index of @func's argument named @param ($argN), 0 if it has no
 * such argument, -1 if BTF has no such function.
 */
int fl_btf_param_index(const struct fl_btf *btf, const char *func, const char *param);

/*
 * The number of arguments tracepoint @name passes its probes (TP_PROTO:
 * the btf_trace_<name> typedef, less its __data), -1 if BTF has none.
 */
int fl_btf_tracepoint_args(const struct fl_btf *btf, const char *name);

#endif
