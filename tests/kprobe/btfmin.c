// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * btfmin IN OUT: the part of a kernel's BTF the kprobe plan reads, as a
 * small raw BTF file for tests/kprobe/data/: struct mm_struct and
 * vm_area_struct with every member at its offset (anonymous structs and
 * unions kept as such, member types replaced by integers or byte arrays
 * of the same size) and the functions the plan names arguments of, with
 * their argument names.  Made once from a guest's /sys/kernel/btf/vmlinux.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

static const char *const structs[] = { "mm_struct", "vm_area_struct" };
static const char *const funcs[] = { "dup_mmap", "uprobe_dup_mmap", "__vma_start_write" };

static int sized(struct btf *out, long size)
{
	static const char *const names[] = { [1] = "u8", [2] = "u16", [4] = "u32", [8] = "u64" };
	int u8;

	if (size == 1 || size == 2 || size == 4 || size == 8)
		return btf__add_int(out, names[size], size, 0);
	u8 = btf__add_int(out, "u8", 1, 0);
	return btf__add_array(out, u8, u8, size > 0 ? size : 0);
}

static int copy(const struct btf *in, struct btf *out, const struct btf_type *t, const char *name)
{
	int i, n = btf_vlen(t), *ids = calloc(n + 1, sizeof(int)), id;
	const struct btf_member *m = btf_members(t);

	for (i = 0; i < n; i++) {
		const char *mn = btf__name_by_offset(in, m[i].name_off);
		int real = btf__resolve_type(in, m[i].type);
		const struct btf_type *mt = real < 0 ? NULL : btf__type_by_id(in, real);

		if (btf_member_bitfield_size(t, i))
			ids[i] = 0;	/* not addressable: left out */
		else if ((!mn || !*mn) && mt && btf_is_composite(mt))
			ids[i] = copy(in, out, mt, NULL);
		else
			ids[i] = sized(out, btf__resolve_size(in, m[i].type));
	}
	id = btf_is_union(t) ? btf__add_union(out, name, t->size) : btf__add_struct(out, name, t->size);
	for (i = 0; i < n; i++)
		if (ids[i] > 0)
			btf__add_field(out, btf__name_by_offset(in, m[i].name_off), ids[i],
				       btf_member_bit_offset(t, i), 0);
	free(ids);
	return id;
}

int main(int argc, char **argv)
{
	struct btf *in, *out;
	const void *raw;
	__u32 size;
	size_t i;
	FILE *f;

	if (argc != 3) {
		fprintf(stderr, "usage: btfmin IN OUT\n");
		return 2;
	}
	in = btf__parse_raw(argv[1]);
	out = btf__new_empty();
	if (!in || !out) {
		fprintf(stderr, "btfmin: cannot read %s\n", argv[1]);
		return 1;
	}
	for (i = 0; i < sizeof(structs) / sizeof(structs[0]); i++) {
		int id = btf__find_by_name_kind(in, structs[i], BTF_KIND_STRUCT);

		if (id > 0)
			copy(in, out, btf__type_by_id(in, id), structs[i]);
	}
	for (i = 0; i < sizeof(funcs) / sizeof(funcs[0]); i++) {
		int id = btf__find_by_name_kind(in, funcs[i], BTF_KIND_FUNC);
		const struct btf_type *proto;
		const struct btf_param *p;
		int j, ptr, pid;

		if (id <= 0)
			continue;
		proto = btf__type_by_id(in, btf__type_by_id(in, id)->type);
		p = btf_params(proto);
		ptr = btf__add_ptr(out, 0);
		pid = btf__add_func_proto(out, sized(out, 4));
		for (j = 0; j < btf_vlen(proto); j++)
			btf__add_func_param(out, btf__name_by_offset(in, p[j].name_off), ptr);
		btf__add_func(out, funcs[i], BTF_FUNC_GLOBAL, pid);
	}
	raw = btf__raw_data(out, &size);
	f = fopen(argv[2], "wb");
	if (!raw || !f || fwrite(raw, 1, size, f) != size || fclose(f)) {
		fprintf(stderr, "btfmin: cannot write %s\n", argv[2]);
		return 1;
	}
	btf__free(in);
	btf__free(out);
	return 0;
}
