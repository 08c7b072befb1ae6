/*
 * fuzz_neg.c — the B3 NEG trade file reader (libcore/feed/neg.c) and the
 * symbol listing of a NEG file (libcore/feed/symbols.c).
 * Input: [options byte (fuzz.h; bit 1 selects the symbol "WINZ15" instead
 * of the first one seen; bit 7 lists the symbols too)] [the file's bytes].
 */
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const double tick[4] = { 0.01, 5, 1, 0.5 };
	struct feed_symbol sym[4];
	struct feed_opts o;
	char err[256];
	const char *p;

	if (n < 1)
		return 0;
	fz_opts(d[0], tick, &o);
	if (d[0] & 2)
		o.symbol = "WINZ15";
	p = fz_path("NEG_BMF_20151126.TXT");
	fz_write(p, d + 1, n - 1);
	fz_read_feed(p, FEED_NEG, &o);
	/* the listing reads with a 1 MiB buffer: with the default buffers only */
	int k = (d[0] & 0x80) ? feed_list_symbols(p, FEED_NEG, sym, 4, err, sizeof(err)) : 0;
	for (int i = 0; i < k && i < 4; i++)
		if (sym[i].trades > sym[i].rows || sym[i].name[FEED_SYMBOL_MAX - 1])
			__builtin_trap();
	fz_unlink(p);
	return 0;
}
