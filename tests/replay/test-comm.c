// SPDX-License-Identifier: GPL-2.0-or-later
/* fl_comm_clean(): every output shows, and groups, the same printable name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "replay/fork.h"

static void check(const char *in, const char *want)
{
	char buf[32];

	strcpy(buf, in);
	fl_comm_clean(buf);
	assert_string_equal(buf, want);
}

static void ascii_is_kept(void **state)
{
	check("bash", "bash");
	check("kworker/0:1", "kworker/0:1");
	check("", "");
}

static void control_characters_become_marks(void **state)
{
	check("a\tb\nc\x7f", "a?b?c?");
}

static void whole_utf8_is_kept(void **state)
{
	check("caf\xc3\xa9", "caf\xc3\xa9");			/* é */
	check("\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac");	/* 日本 */
	check("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");		/* an emoji */
}

static void cut_or_invalid_utf8_becomes_marks(void **state)
{
	/* 15 bytes of "ééééééé…": the kernel cut the 8th é in half */
	check("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3",
	      "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9?");
	check("a\x80z", "a?z");			/* a lone continuation byte */
	check("\xc0\xaf", "??");			/* an overlong form */
	check("\xe6\x97", "??");			/* a cut 3-byte character */
	check("\xff", "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ascii_is_kept),
		cmocka_unit_test(control_characters_become_marks),
		cmocka_unit_test(whole_utf8_is_kept),
		cmocka_unit_test(cut_or_invalid_utf8_becomes_marks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
