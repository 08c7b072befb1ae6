/*
 * fuzz_tick.c — what a market-data file holds (libcore/feed/tick.c:
 * feed_resolve, feed_detect, feed_detect_name), then the read of the file
 * with the options it resolved.
 * Input: [a: bits 0-2 the format asked (auto, mt5, neg, binance, journal,
 * lobster, auto, auto), bits 3-4 the file name (plain, NEG, LOBSTER
 * message, .jsonl), bit 5 strict, bits 6-7 the levels (0, 1, 5, 20)]
 * [b: bits 0-2 the --tick text, bits 3-4 the --lot text, bits 5-6 the
 * --symbol text, bit 7 a configured instrument (else the defaults)]
 * [the file's bytes; a journal gets its crcs made right (fuzz.h), and a
 * LOBSTER message file its orderbook partner after "=ORDERBOOK=\n"].
 */
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "libcore/journal/journal.h"

#define SEP "=ORDERBOOK=\n"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static const enum feed_format fmt[8] = { FEED_AUTO, FEED_MT5, FEED_NEG, FEED_BINANCE,
						 FEED_JOURNAL, FEED_LOBSTER, FEED_AUTO, FEED_AUTO };
	static const char *const name[4] = {
		"data.txt", "NEG_BMF_20151126.TXT",
		"AAPL_2012-06-21_34200000_57600000_message_10.csv", "data.jsonl" };
	static const char *const tick[8] = { NULL, "5", "0.01", "0.00000001", "1e3", "0.1",
					     "100000000000", "-1" };
	static const char *const lot[4] = { NULL, "1", "0.00001", "0" };
	static const char *const sym[4] = { NULL, "WINZ15", "BTCUSDT", "AAPL" };
	static const uint32_t levels[4] = { 0, 1, 5, 20 };
	static uint8_t buf[1 << 20];
	struct feed_instr conf = {
		.symbol = "WIN", .tick = "5", .lot = "1", .currency = "BRL",
		.tick_v = 5, .lot_v = 1, .point_value = 0.2 };
	static struct feed_plan plan;
	struct feed_want w;
	char err[512];

	if (n < 2 || n - 2 > sizeof(buf))
		return 0;
	memset(&w, 0, sizeof(w));
	w.fmt = fmt[d[0] & 7];
	w.strict = (d[0] >> 5) & 1;
	w.levels = levels[d[0] >> 6];
	w.tick = tick[d[1] & 7];
	w.lot = lot[(d[1] >> 3) & 3];
	w.symbol = sym[(d[1] >> 5) & 3];
	w.conf = (d[1] & 0x80) ? &conf : NULL;
	w.conf_utc_offset_min = -180;

	size_t fn = n - 2, bn = 0;
	memcpy(buf, d + 2, fn);
	if (fn >= JOURNAL_HDR_SIZE && memcmp(buf, JOURNAL_MAGIC, 8) == 0)
		fz_journal_fix(buf, fn);
	const uint8_t *s = memmem(buf, fn, SEP, sizeof(SEP) - 1);
	if (s) {
		bn = fn - (size_t)(s - buf) - (sizeof(SEP) - 1);
		fn = (size_t)(s - buf);
	}
	const char *p = fz_path(name[(d[0] >> 3) & 3]);
	const char *bp = fz_path("AAPL_2012-06-21_34200000_57600000_orderbook_10.csv");
	fz_write(p, buf, fn);
	fz_write(bp, buf + n - 2 - bn, bn);

	(void)feed_detect_name(p);
	if (feed_resolve(p, &w, &plan, err, sizeof(err)) == 0) {
		if (plan.fmt == FEED_AUTO || (plan.fmt != FEED_JOURNAL && !plan.fo.tick) ||
		    memchr(plan.in.tick, 0, sizeof(plan.in.tick)) == NULL)
			__builtin_trap();
		fz_read_feed(p, plan.fmt, &plan.fo);
	}
	fz_unlink(p);
	fz_unlink(bp);
	return 0;
}
