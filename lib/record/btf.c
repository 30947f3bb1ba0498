// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The kernel's BTF through libbpf's btf API: where a struct member lives
 * (looking into anonymous structs and unions) and which argument of a
 * function has a given name; how many arguments a tracepoint passes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "record/btf.h"

struct fl_btf *fl_btf_open(const char *path)
{
	struct btf *btf = btf__parse_raw(path);

	if (!btf) {
		if (!errno)
			errno = EINVAL;
		return NULL;
	}
	return (struct fl_btf *)btf;
}

void fl_btf_free(struct fl_btf *btf)
{
	btf__free((struct btf *)btf);
}

/* Typedefs and qualifiers followed to the struct or union, or NULL. */
static const struct btf_type *composite(const struct btf *btf, __u32 id)
{
	int real = btf__resolve_type(btf, id);
	const struct btf_type *t = real < 0 ? NULL : btf__type_by_id(btf, real);

	return t && btf_is_composite(t) ? t : NULL;
}

/* @member in @t, in bits, looking into anonymous members; -1 if absent. */
static long find_member(const struct btf *btf, const struct btf_type *t,
			const char *member, int depth)
{
	const struct btf_member *m = btf_members(t);
	int i;

	if (depth > 8)
		return -1;
	for (i = 0; i < btf_vlen(t); i++, m++) {
		const char *name = btf__name_by_offset(btf, m->name_off);
		long bits = btf_member_bit_offset(t, i);
		const struct btf_type *inner;
		long sub;

		if (name && *name) {
			if (strcmp(name, member))
				continue;
			if (btf_member_bitfield_size(t, i))
				return -1;	/* a bitfield: not addressable */
			return bits;
		}
		inner = composite(btf, m->type);
		if (!inner)
			continue;
		sub = find_member(btf, inner, member, depth + 1);
		if (sub >= 0)
			return bits + sub;
	}
	return -1;
}

long fl_btf_member_offset(const struct fl_btf *fb, const char *type, const char *member)
{
	const struct btf *btf = (const struct btf *)fb;
	__s32 id = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);
	long bits;

	if (id < 0)
		return -1;
	bits = find_member(btf, btf__type_by_id(btf, id), member, 0);
	if (bits < 0 || bits % 8)
		return -1;
	return bits / 8;
}

static const struct btf_type *func_proto(const struct btf *btf, const char *name)
{
	__s32 id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	const struct btf_type *t;

	if (id < 0)
		return NULL;
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
	return t && btf_is_func_proto(t) ? t : NULL;
}

int fl_btf_has_func(const struct fl_btf *btf, const char *name)
{
	return func_proto((const struct btf *)btf, name) != NULL;
}

int fl_btf_param_index(const struct fl_btf *fb, const char *func, const char *param)
{
	const struct btf *btf = (const struct btf *)fb;
	const struct btf_type *proto = func_proto(btf, func);
	const struct btf_param *p;
	int i;

	if (!proto)
		return -1;
	p = btf_params(proto);
	for (i = 0; i < btf_vlen(proto); i++, p++) {
		const char *name = btf__name_by_offset(btf, p->name_off);

		if (name && !strcmp(name, param))
			return i + 1;
	}
	return 0;
}

int fl_btf_tracepoint_args(const struct fl_btf *fb, const char *name)
{
	const struct btf *btf = (const struct btf *)fb;
	const struct btf_type *t;
	char tname[128];
	__s32 id;

	snprintf(tname, sizeof(tname), "btf_trace_%s", name);
	id = btf__find_by_name_kind(btf, tname, BTF_KIND_TYPEDEF);
	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);	/* a pointer */
	if (!t || !btf_is_ptr(t))
		return -1;
	t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) < 1)
		return -1;
	return btf_vlen(t) - 1;
}
