/*
 * fuzz_gzip.c — a gzip file read through the `gzip -dc` child
 * (libcore/feed/feed.c, feed_src) by the text readers.
 * Input: [options byte (fuzz.h)] [format byte: 0 MT5, 1 NEG, 2 Binance,
 * 3 auto] [the .gz file's bytes].
 */
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const enum feed_format fmt[4] = { FEED_MT5, FEED_NEG, FEED_BINANCE, FEED_AUTO };
	static const char *const name[4] = { "ticks.tsv.gz", "NEG_BMF_20151126.TXT.gz",
					     "capture.jsonl.gz", "data.gz" };
	static const double tick[4] = { 5, 0.01, 0.1, 1 };
	struct feed_opts o;
	const char *p;

	if (n < 2)
		return 0;
	fz_opts(d[0], tick, &o);
	p = fz_path(name[d[1] & 3]);
	fz_write(p, d + 2, n - 2);
	fz_read_feed(p, fmt[d[1] & 3], &o);
	fz_unlink(p);
	return 0;
}
