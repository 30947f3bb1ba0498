// SPDX-License-Identifier: GPL-2.0-or-later
/* meson's check that clang links a libFuzzer target (tests/fuzz/meson.build). */
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)data;
	(void)size;
	return 0;
}
