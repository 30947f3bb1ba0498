/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The kernel types the BPF programs read, as CO-RE relocations: only the
 * fields used, by name.  libbpf matches them against the running kernel's
 * BTF (/sys/kernel/btf/vmlinux) at load time, so no vmlinux.h of the
 * build host is baked in; a field that moved or went away fails the load
 * with the verifier's (or libbpf's) line, never a wrong read.
 */
#ifndef FORKLOCK_BPF_CORE_TYPES_H
#define FORKLOCK_BPF_CORE_TYPES_H

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed int __s32;
typedef signed long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef _Bool bool;
#define true 1
#define false 0

enum bpf_map_type {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_RINGBUF = 27,
};

enum {
	BPF_ANY = 0,
	BPF_NOEXIST = 1,
};

typedef struct {
	int counter;
} __attribute__((preserve_access_index)) atomic_t;

struct mm_struct {
	atomic_t mm_count;
	atomic_t mm_users;
	int map_count;
} __attribute__((preserve_access_index));

struct file;
struct anon_vma;

struct vm_area_struct {
	struct mm_struct *vm_mm;
	unsigned long vm_flags;
	struct anon_vma *anon_vma;
	struct file *vm_file;
} __attribute__((preserve_access_index));

/* include/linux/mm.h */
#define FL_VM_SHARED	0x00000008UL

#endif
