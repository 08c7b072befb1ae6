/*
 * fuzz_lobster.c — the LOBSTER reader (libcore/feed/lobster.c): a message
 * file and its orderbook file, read as pairs.
 * Input: [options byte (fuzz.h)] [name byte: bits 0-1 the level count N of
 * the file names (10, 1, 5, 20), bit 2 the date (2012-06-21 or
 * 2012-03-11, a DST change), bit 3 open by the orderbook name]
 * [message file] "=ORDERBOOK=\n" [orderbook file].
 */
#include <stdio.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"

#define SEP "=ORDERBOOK=\n"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const double tick[4] = { 100, 1, 10000, 50 };
	static const unsigned lv[4] = { 10, 1, 5, 20 };
	struct feed_opts o;
	char mname[96], bname[96];
	const uint8_t *m, *b, *s;
	size_t mn, bn;

	if (n < 2)
		return 0;
	fz_opts(d[0], tick, &o);
	const char *date = (d[1] & 4) ? "2012-03-11" : "2012-06-21";
	snprintf(mname, sizeof(mname), "AAPL_%s_34200000_57600000_message_%u.csv", date,
		 lv[d[1] & 3]);
	snprintf(bname, sizeof(bname), "AAPL_%s_34200000_57600000_orderbook_%u.csv", date,
		 lv[d[1] & 3]);
	m = d + 2;
	mn = n - 2;
	s = memmem(m, mn, SEP, sizeof(SEP) - 1);
	if (s) {
		b = s + sizeof(SEP) - 1;
		bn = (size_t)(d + n - b);
		mn = (size_t)(s - m);
	} else {
		b = m + mn;
		bn = 0;
	}
	const char *mp = fz_path(mname), *bp = fz_path(bname);
	fz_write(mp, m, mn);
	fz_write(bp, b, bn);
	fz_read_feed((d[1] & 8) ? bp : mp, FEED_LOBSTER, &o);
	fz_unlink(mp);
	fz_unlink(bp);
	return 0;
}
