// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A minimal reader of the kernel's BTF (include/uapi/linux/btf.h): the
 * header, the type section walked once to index every type, the string
 * section for names.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record/btf.h"

#define BTF_MAGIC		0xeB9F
#define BTF_KIND_INT		1
#define BTF_KIND_PTR		2
#define BTF_KIND_ARRAY		3
#define BTF_KIND_STRUCT		4
#define BTF_KIND_UNION		5
#define BTF_KIND_ENUM		6
#define BTF_KIND_FWD		7
#define BTF_KIND_TYPEDEF	8
#define BTF_KIND_VOLATILE	9
#define BTF_KIND_CONST		10
#define BTF_KIND_RESTRICT	11
#define BTF_KIND_FUNC		12
#define BTF_KIND_FUNC_PROTO	13
#define BTF_KIND_VAR		14
#define BTF_KIND_DATASEC	15
#define BTF_KIND_FLOAT		16
#define BTF_KIND_DECL_TAG	17
#define BTF_KIND_TYPE_TAG	18
#define BTF_KIND_ENUM64		19

struct btf_header {
	uint16_t magic;
	uint8_t version;
	uint8_t flags;
	uint32_t hdr_len;
	uint32_t type_off, type_len;
	uint32_t str_off, str_len;
};

struct btf_type {
	uint32_t name_off;
	uint32_t info;		/* vlen 0-15, kind 24-28, kind_flag 31 */
	uint32_t size_or_type;
};

struct btf_member {
	uint32_t name_off;
	uint32_t type;
	uint32_t offset;	/* bits; with kind_flag: bitfield size << 24 | offset */
};

struct fl_btf {
	char *data;
	size_t len;
	const char *strs;
	uint32_t str_len;
	const struct btf_type **types;	/* by id; [0] is void */
	uint32_t nr_types;
};

static inline unsigned int kind_of(const struct btf_type *t)
{
	return (t->info >> 24) & 0x1f;
}

static inline unsigned int vlen_of(const struct btf_type *t)
{
	return t->info & 0xffff;
}

static inline int kflag_of(const struct btf_type *t)
{
	return t->info >> 31;
}

static const char *name_of(const struct fl_btf *btf, uint32_t off)
{
	return off < btf->str_len ? btf->strs + off : "";
}

/* Bytes after the common btf_type for each kind. */
static long extra_size(const struct btf_type *t)
{
	unsigned int vlen = vlen_of(t);

	switch (kind_of(t)) {
	case BTF_KIND_INT:		return 4;
	case BTF_KIND_ARRAY:		return 12;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:		return 12L * vlen;
	case BTF_KIND_ENUM:		return 8L * vlen;
	case BTF_KIND_FUNC_PROTO:	return 8L * vlen;
	case BTF_KIND_VAR:		return 4;
	case BTF_KIND_DATASEC:		return 12L * vlen;
	case BTF_KIND_DECL_TAG:		return 4;
	case BTF_KIND_ENUM64:		return 12L * vlen;
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:		return 0;
	}
	return -1;
}

static int index_types(struct fl_btf *btf, const char *types, uint32_t len)
{
	uint32_t pos = 0, alloc = 1024;

	btf->types = calloc(alloc, sizeof(*btf->types));
	if (!btf->types)
		return -1;
	btf->nr_types = 1;	/* id 0: void */
	while (pos + sizeof(struct btf_type) <= len) {
		const struct btf_type *t = (const void *)(types + pos);
		long extra = extra_size(t);

		if (extra < 0 || pos + sizeof(*t) + extra > len) {
			errno = EINVAL;
			return -1;
		}
		if (btf->nr_types == alloc) {
			const struct btf_type **n = realloc(btf->types, 2 * alloc * sizeof(*n));

			if (!n)
				return -1;
			btf->types = n;
			alloc *= 2;
		}
		btf->types[btf->nr_types++] = t;
		pos += sizeof(*t) + extra;
	}
	return 0;
}

struct fl_btf *fl_btf_open(const char *path)
{
	struct fl_btf *btf = calloc(1, sizeof(*btf));
	const struct btf_header *h;
	size_t cap = 1 << 20;
	ssize_t n;
	int fd;

	if (!btf)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto fail;
	/* a sysfs file: its size is not known up front */
	btf->data = malloc(cap);
	while (btf->data && (n = read(fd, btf->data + btf->len, cap - btf->len)) > 0) {
		btf->len += n;
		if (btf->len == cap) {
			char *more = realloc(btf->data, cap *= 2);

			if (!more) {
				free(btf->data);
				btf->data = NULL;
				break;
			}
			btf->data = more;
		}
	}
	close(fd);
	if (!btf->data || btf->len < sizeof(*h))
		goto bad;
	h = (const void *)btf->data;
	if (h->magic != BTF_MAGIC || h->hdr_len > btf->len ||
	    (uint64_t)h->hdr_len + h->type_off + h->type_len > btf->len ||
	    (uint64_t)h->hdr_len + h->str_off + h->str_len > btf->len)
		goto bad;
	btf->strs = btf->data + h->hdr_len + h->str_off;
	btf->str_len = h->str_len;
	if (index_types(btf, btf->data + h->hdr_len + h->type_off, h->type_len) < 0)
		goto fail;
	return btf;
bad:
	errno = EINVAL;
fail:
	fl_btf_free(btf);
	return NULL;
}

void fl_btf_free(struct fl_btf *btf)
{
	if (!btf)
		return;
	free(btf->types);
	free(btf->data);
	free(btf);
}

/* Follow typedefs and qualifiers to the real type. */
static const struct btf_type *resolve(const struct fl_btf *btf, uint32_t id)
{
	int hops;

	for (hops = 0; hops < 32 && id && id < btf->nr_types; hops++) {
		const struct btf_type *t = btf->types[id];

		switch (kind_of(t)) {
		case BTF_KIND_TYPEDEF:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_CONST:
		case BTF_KIND_RESTRICT:
		case BTF_KIND_TYPE_TAG:
			id = t->size_or_type;
			continue;
		default:
			return t;
		}
	}
	return NULL;
}

/* @member in the struct/union @t, looking into anonymous members: bits. */
static long find_member(const struct fl_btf *btf, const struct btf_type *t,
			const char *member, int depth)
{
	const struct btf_member *m = (const void *)(t + 1);
	unsigned int i;

	if (depth > 8)
		return -1;
	for (i = 0; i < vlen_of(t); i++) {
		const char *name = name_of(btf, m[i].name_off);
		long bits = kflag_of(t) ? (m[i].offset & 0xffffff) : m[i].offset;

		if (kflag_of(t) && (m[i].offset >> 24))
			continue;	/* a bitfield: not addressable */
		if (!strcmp(name, member))
			return bits;
		if (!*name) {
			const struct btf_type *inner = resolve(btf, m[i].type);
			long sub;

			if (!inner || (kind_of(inner) != BTF_KIND_STRUCT &&
				       kind_of(inner) != BTF_KIND_UNION))
				continue;
			sub = find_member(btf, inner, member, depth + 1);
			if (sub >= 0)
				return bits + sub;
		}
	}
	return -1;
}

long fl_btf_member_offset(const struct fl_btf *btf, const char *type, const char *member)
{
	uint32_t id;

	for (id = 1; id < btf->nr_types; id++) {
		const struct btf_type *t = btf->types[id];
		long bits;

		if (kind_of(t) != BTF_KIND_STRUCT || strcmp(name_of(btf, t->name_off), type))
			continue;
		if (!vlen_of(t))
			continue;	/* a declaration */
		bits = find_member(btf, t, member, 0);
		if (bits < 0 || bits % 8)
			return -1;
		return bits / 8;
	}
	return -1;
}

int fl_btf_has_func(const struct fl_btf *btf, const char *name)
{
	uint32_t id;

	for (id = 1; id < btf->nr_types; id++)
		if (kind_of(btf->types[id]) == BTF_KIND_FUNC &&
		    !strcmp(name_of(btf, btf->types[id]->name_off), name))
			return 1;
	return 0;
}
