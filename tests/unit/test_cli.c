/* test_cli.c — the option-value parsers every tool shares (libcore/cli). */
#include <criterion/criterion.h>
#include <stdint.h>

#include "libcore/cli/cli.h"

Test(cli, durations_carry_their_unit)
{
	static const struct { const char *s; int64_t ns; } ok[] = {
		{ "0", 0 }, { "500ms", 500000000 }, { "30s", 30000000000ll },
		{ "5m", 300000000000ll }, { "1h", 3600000000000ll }, { "250us", 250000 },
		{ "7ns", 7 }, { "1.5m", 90000000000ll }, { ".5s", 500000000 },
		{ "0s", 0 }, { "2.0000000004ns", 2 },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int64_t v = -1;
		cr_assert_eq(cli_parse_duration_ns(ok[i].s, &v), 0, "%s", ok[i].s);
		cr_assert_eq(v, ok[i].ns, "%s: %lld", ok[i].s, (long long)v);
	}
	static const char *const bad[] = { "", "5", "-1s", "+1s", "1 s", " 1s", "1sec", "1S",
					   "inf s", "nans", "0x10s", "1e30h", "s", "1s ", NULL };
	for (size_t i = 0; bad[i]; i++) {
		int64_t v = 0;
		cr_assert_eq(cli_parse_duration_ns(bad[i], &v), -1, "'%s' taken", bad[i]);
	}
}

Test(cli, whole_numbers_take_all_of_the_text)
{
	uint32_t u = 0;
	cr_assert_eq(cli_parse_u32("42", 1, 100, &u), 0);
	cr_assert_eq(u, 42);
	cr_assert_eq(cli_parse_u32("101", 1, 100, &u), -1);
	cr_assert_eq(cli_parse_u32("4x", 1, 100, &u), -1);
	cr_assert_eq(cli_parse_u32("-4", 0, 100, &u), -1);

	uint64_t w = 0;
	cr_assert_eq(cli_parse_u64("18446744073709551615", &w), 0);
	cr_assert_eq(w, UINT64_MAX);
	cr_assert_eq(cli_parse_u64("0x10", &w), 0);
	cr_assert_eq(w, 16);
	cr_assert_eq(cli_parse_u64("18446744073709551616", &w), -1, "past 2^64 - 1");
	cr_assert_eq(cli_parse_u64("-1", &w), -1, "strtoull would wrap it");
	cr_assert_eq(cli_parse_u64("+1", &w), -1);
	cr_assert_eq(cli_parse_u64("", &w), -1);
	cr_assert_eq(cli_parse_u64("7 ", &w), -1);
}
