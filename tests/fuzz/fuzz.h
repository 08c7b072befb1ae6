/*
 * fuzz.h — what the fuzz targets of tests/fuzz/ share (docs/fuzzing.md).
 *
 * Every target is one libFuzzer entry point, LLVMFuzzerTestOneInput, over
 * one reader of the project.  The readers take files, so a target writes
 * the fuzzed bytes into a scratch directory of its own (fz_dir: made once
 * per process under $TMPDIR or /tmp, emptied and removed at exit) under a
 * fixed name, reads it back through the API under test and removes it.
 * Nothing is written anywhere else, nothing is kept between inputs, and
 * nothing depends on the clock or on randomness: one input always takes
 * the same path.
 *
 * Many targets take their reader options from the first byte of the input
 * (struct fz_opt below), so the fuzzer explores strict and lenient modes,
 * level counts and buffer sizes with the same file bytes.
 */
#ifndef DM_TESTS_FUZZ_FUZZ_H
#define DM_TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "libcore/feed/feed.h"
#include "libcore/mt5/mt5_proto.h"
#include "libcore/mt5/mt5_session.h"

/* The scratch directory of this process, made at the first call under
 * $TMPDIR, else /dev/shm (tmpfs), else /tmp. */
const char *fz_dir(void);

/* dir/name in one of 4 rotating static buffers. */
const char *fz_path(const char *name);

/* Write n bytes of p to path (created or truncated); aborts on failure. */
void fz_write(const char *path, const void *p, size_t n);

/* Remove path if it exists. */
void fz_unlink(const char *path);

/*
 * The options byte: bit 0 strict, bits 1-2 the level count (0 =
 * EV_MAX_LEVELS, 1, 5, 10), bit 3 the format's flag (FEED_O_FIXED_TZ for
 * LOBSTER, FEED_O_KEEP_CANCELLED for NEG), bits 4-5 one of four ticks the
 * target names, bit 6 a UTC offset of -3 h, bit 7 the default buffers
 * (else the smallest line_max, FEED_MIN_LINE_MAX, and for Binance a book
 * of 32 levels a side and a diff buffer of 16 KiB).
 */
void fz_opts(uint8_t b, const double tick[4], struct feed_opts *o);

/*
 * Open path as fmt with *o, read every event, check each against the
 * readers' contract (feed.h: kind, times in range, level counts within
 * o->levels, unused levels zero) and close.  Aborts on a broken contract,
 * so the fuzzer reports it like a crash.  Returns the events read.
 */
uint64_t fz_read_feed(const char *path, enum feed_format fmt, const struct feed_opts *o);

/* Abort unless *ev keeps the readers' contract for L levels a side (and,
 * with times, exch_ns within FEED_NS_MIN..FEED_NS_MAX: the text readers'
 * range; a journal returns its events' times as they were written). */
void fz_check_event(const struct event *ev, uint32_t levels, int times);

/*
 * Make the crc32c of a journal's header and of every record that fits in
 * buf right (and the header's layout hash the build's), in place: so the
 * fuzzer's changes reach the decoders instead of stopping at the crc.
 * Records are walked by their len fields as the reader does.
 */
void fz_journal_fix(uint8_t *buf, size_t n);

/*
 * The MetaTrader 5 bridge target's fixed handshake (fuzz_mt5_bridge.c;
 * mkseeds writes its seeds with the same): the shared key, the EA's
 * HELLO (its client nonce inside) and DreamMaker's challenge nonce.
 */
const struct mt5_key *fz_mt5_key(void);
void fz_mt5_hello(struct mt5_hello *h);
void fz_mt5_server_nonce(uint8_t n[MT5_NONCE_LEN]);

#endif /* DM_TESTS_FUZZ_FUZZ_H */
