/*
 * fuzz_binance.c — the Binance websocket capture reader
 * (libcore/feed/binance.c) and the symbol listing of a capture
 * (libcore/feed/symbols.c).
 * Input: [options byte (fuzz.h; bit 3 a lot of 0.00001 instead of 1, bit
 * 6 keep only "BTCUSDT", bit 7 list the symbols too)] [the capture's
 * bytes].
 */
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const double tick[4] = { 0.01, 0.1, 1, 0.001 };
	struct feed_symbol sym[4];
	struct feed_opts o;
	char err[256];
	const char *p;

	if (n < 1)
		return 0;
	fz_opts(d[0], tick, &o);
	o.flags = 0;
	o.utc_offset_s = 0;
	o.lot = (d[0] & 8) ? 0.00001 : 0;
	o.symbol = (d[0] & 0x40) ? "BTCUSDT" : NULL;
	p = fz_path("capture.jsonl");
	fz_write(p, d + 1, n - 1);
	fz_read_feed(p, FEED_BINANCE, &o);
	/* the listing reads with a 1 MiB buffer: with the default buffers only */
	int k = (d[0] & 0x80) ? feed_list_symbols(p, FEED_BINANCE, sym, 4, err, sizeof(err)) : 0;
	for (int i = 0; i < k && i < 4; i++)
		if (sym[i].trades > sym[i].rows || sym[i].name[FEED_SYMBOL_MAX - 1])
			__builtin_trap();
	fz_unlink(p);
	return 0;
}
