# SPDX-License-Identifier: GPL-2.0-or-later
"""A small raw BTF file whose tracepoints take the arguments a test says:
the btf_trace_<name> typedefs (pointer to a function prototype whose first
argument is __data) that a kernel's BTF has for each tracepoint, every
argument a 64-bit integer.  For the bpf tier's prototype check: a kernel
before 6.14 passes mmap_lock_acquire_returned(mm, memcg_path, write, success)."""
import struct

BTF_KIND_INT, BTF_KIND_PTR, BTF_KIND_TYPEDEF, BTF_KIND_FUNC_PROTO = 1, 2, 8, 13


def raw_btf(tracepoints):
    """tracepoints: {name: number of arguments (without __data)} -> bytes."""
    strings = bytearray(b"\0")
    types = bytearray()
    nid = [0]

    def name(s):
        off = len(strings)
        strings.extend(s.encode() + b"\0")
        return off

    def add(name_off, kind, vlen, size_or_type, extra=b""):
        types.extend(struct.pack("<III", name_off, (kind << 24) | vlen, size_or_type) + extra)
        nid[0] += 1
        return nid[0]

    u64 = add(name("u64"), BTF_KIND_INT, 0, 8, struct.pack("<I", 64))
    for tp, n in tracepoints.items():
        params = b"".join(struct.pack("<II", 0, u64) for _ in range(n + 1))
        proto = add(0, BTF_KIND_FUNC_PROTO, n + 1, 0, params)
        ptr = add(0, BTF_KIND_PTR, 0, proto)
        add(name("btf_trace_" + tp), BTF_KIND_TYPEDEF, 0, ptr)
    hdr = struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, len(types), len(types), len(strings))
    return hdr + bytes(types) + bytes(strings)


# what 6.1-6.13 pass (memcg_path second), and what 6.14 and later pass
BEFORE_6_14 = {"mmap_lock_acquire_returned": 4, "mmap_lock_released": 3, "ma_write": 4}
FROM_6_14 = {"mmap_lock_acquire_returned": 3, "mmap_lock_released": 2, "ma_write": 4}
