/*
 * fuzz_mt5.c — the MetaTrader 5 tick export reader (libcore/feed/mt5.c).
 * Input: [options byte (fuzz.h)] [the file's bytes].
 */
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const double tick[4] = { 5, 1, 0.01, 0.5 };
	struct feed_opts o;
	const char *p;

	if (n < 1)
		return 0;
	fz_opts(d[0], tick, &o);
	p = fz_path("ticks.tsv");
	fz_write(p, d + 1, n - 1);
	fz_read_feed(p, FEED_MT5, &o);
	fz_unlink(p);
	return 0;
}
