/*
 * fuzz_journal_in.c — a DreamMaker journal read as a feed
 * (libcore/feed/journal_in.c over libcore/journal/).
 * Input: [options byte (fuzz.h; bit 3 replaces the instrument, bit 7
 * leaves the crcs as they are instead of making them right)] [the
 * journal's bytes].
 */
#include <string.h>

#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const double tick[4] = { 1, 5, 0.01, 0 };
	static uint8_t buf[1 << 20];
	struct feed_opts o;
	const char *p;

	if (n < 1 || n - 1 > sizeof(buf))
		return 0;
	fz_opts(d[0], tick, &o);
	o.instrument = (d[0] & 8) ? 7 : 0;
	o.flags = 0;
	memcpy(buf, d + 1, n - 1);
	if (!(d[0] & 0x80))
		fz_journal_fix(buf, n - 1);
	p = fz_path("events.dmj");
	fz_write(p, buf, n - 1);
	fz_read_feed(p, (d[0] & 0x40) ? FEED_AUTO : FEED_JOURNAL, &o);
	fz_unlink(p);
	return 0;
}
