/*
 * test_journal.c — the journal against independent computations: crc32c
 * against published vectors (RFC 3720) and a bit-at-a-time reference
 * written here, file sizes against the byte layout of docs/journal.md
 * summed by hand (snapshot-only files, JOURNAL_W_FULL) or walked by hand
 * (files with book deltas), read-back against the arrays the test wrote,
 * in every read mode, and the torn-tail rule by cutting a copy of a file
 * at every byte of its last three records, snapshots and deltas.  The
 * delta codec itself is tested in test_journal_delta.c.  Every file lives
 * in a mkdtemp() directory under /tmp that the fixture removes.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "libcore/journal/journal.h"

#if defined(__SANITIZE_ADDRESS__)
#define T_SANITIZED 1
#else
#define T_SANITIZED 0
#endif

/* ------------------------------------------------------------ fixture */

static char t_dir[64];

static void setup(void)
{
	strcpy(t_dir, "/tmp/dmjournal-XXXXXX");
	cr_assert_not_null(mkdtemp(t_dir), "mkdtemp: %s", strerror(errno));
}

static void teardown(void)
{
	DIR *d = opendir(t_dir);
	if (!d)
		return;
	struct dirent *e;
	char p[512];
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", t_dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(t_dir);
}

TestSuite(journal, .init = setup, .fini = teardown);

static const char *t_path(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", t_dir, name);
	return out;
}

/* ------------------------------------------------------------ helpers */

static uint64_t t_rng(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static int64_t t_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Record size in the file, from the format table: 24 + payload padded to 8. */
static uint64_t t_rec_size(uint32_t payload)
{
	return 24 + (payload + 7) / 8 * 8;
}

/* Payload size of an event, from the format table. */
static uint32_t t_ev_payload(const struct event *ev)
{
	if (ev->kind == EV_BOOK)
		return 24 + 8 + 16u * (ev->book.n_bid + ev->book.n_ask);
	return 24 + 32;
}

/* A deterministic event; unused levels and pads stay zero so memcmp works. */
static void t_make_event(struct event *ev, uint64_t *s, uint64_t i, int nb, int na)
{
	memset(ev, 0, sizeof(*ev));
	ev->instrument = (uint32_t)(t_rng(s) % 3);
	ev->exch_ns = 1700000000000000000ll + (int64_t)i * 1000 + (int64_t)(t_rng(s) % 997);
	ev->recv_ns = ev->exch_ns + (int64_t)(t_rng(s) % 50000);
	if (nb < 0) {
		ev->kind = EV_TRADE;
		ev->trade.px = 25000 + (int64_t)(t_rng(s) % 400) - 200;
		ev->trade.qty = 1 + (int64_t)(t_rng(s) % 50);
		ev->trade.trade_id = i * 7 + 1;
		ev->trade.aggressor = (int8_t)((int)(t_rng(s) % 3) - 1);
		ev->trade.flags = (uint8_t)(t_rng(s) & EV_TRADE_HIDDEN);
		return;
	}
	ev->kind = EV_BOOK;
	ev->book.n_bid = (uint16_t)nb;
	ev->book.n_ask = (uint16_t)na;
	ev->book.flags = (uint32_t)(t_rng(s) % 16);
	int64_t mid = 25000 + (int64_t)(t_rng(s) % 200);
	for (int k = 0; k < nb; k++)
		ev->book.bid[k] = (struct book_level){ mid - 1 - k, 1 + (int64_t)(t_rng(s) % 900) };
	for (int k = 0; k < na; k++)
		ev->book.ask[k] = (struct book_level){ mid + 1 + k, 1 + (int64_t)(t_rng(s) % 900) };
}

/* Mixed stream: trades, and books of every depth 0..20 per side. */
static void t_random_event(struct event *ev, uint64_t *s, uint64_t i)
{
	uint64_t r = t_rng(s) % 10;
	if (r < 3)
		t_make_event(ev, s, i, -1, 0);
	else
		t_make_event(ev, s, i, (int)(t_rng(s) % 21), (int)(t_rng(s) % 21));
}

static uint64_t t_file_size(const char *path)
{
	struct stat st;
	cr_assert_eq(stat(path, &st), 0, "stat %s: %s", path, strerror(errno));
	return (uint64_t)st.st_size;
}

static void *t_slurp(const char *path, uint64_t *n)
{
	*n = t_file_size(path);
	void *p = malloc(*n ? *n : 1);
	cr_assert_not_null(p);
	int fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(pread(fd, p, *n, 0), (ssize_t)*n);
	close(fd);
	return p;
}

static void t_spit(const char *path, const void *p, uint64_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
	cr_assert_eq(pwrite(fd, p, n, 0), (ssize_t)n);
	close(fd);
}

static void t_patch(const char *path, uint64_t off, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(pwrite(fd, p, n, (off_t)off), (ssize_t)n);
	close(fd);
}

static void t_flip(const char *path, uint64_t off)
{
	uint8_t c;
	int fd = open(path, O_RDWR);
	cr_assert_geq(fd, 0);
	cr_assert_eq(pread(fd, &c, 1, (off_t)off), 1);
	c ^= 0x40;
	cr_assert_eq(pwrite(fd, &c, 1, (off_t)off), 1);
	close(fd);
}

static struct journal_opts t_opts(uint32_t fsync, uint32_t buf_size, uint32_t flags)
{
	return (struct journal_opts){
		.symbol = "WIN", .tick_size = "5", .fsync = fsync,
		.interval_ms = 5, .buf_size = buf_size, .n_bufs = 2, .flags = flags,
	};
}

/* Read every event of path, in each read mode (mapped, JOURNAL_SEQ, with
 * and without VERIFY; copied and by reference), and compare it with
 * want[0..n). */
static void t_expect_events(const char *path, const struct event *want, uint64_t n)
{
	static const uint32_t modes[] = { JOURNAL_VERIFY, 0, JOURNAL_SEQ,
					  JOURNAL_SEQ | JOURNAL_VERIFY };
	for (int m = 0; m < 8; m++) {
		struct journal_reader r;
		struct event ev;
		const struct event *pe;
		int byref = m >= 4;
		int rc = journal_open_read(&r, path, modes[m % 4]);
		cr_assert_eq(rc, 0, "open_read: %s", dm_strerror(rc));
		if (modes[m % 4] & JOURNAL_VERIFY)
			cr_assert_eq(journal_reader_torn_bytes(&r), 0);
		for (uint64_t i = 0; i < n; i++) {
			if (byref) {
				rc = journal_next_event_ref(&r, &pe);
			} else {
				rc = journal_next_event(&r, &ev);
				pe = &ev;
			}
			cr_assert_eq(rc, 1, "mode %d event %lu: rc %d", m, (unsigned long)i, rc);
			if (memcmp(pe, &want[i], sizeof(*pe))) {
				cr_assert_eq(pe->kind, want[i].kind, "event %lu kind", (unsigned long)i);
				cr_assert_eq(pe->exch_ns, want[i].exch_ns, "event %lu exch_ns",
					     (unsigned long)i);
				cr_assert_fail("mode %d: event %lu differs", m, (unsigned long)i);
			}
		}
		rc = byref ? journal_next_event_ref(&r, &pe) : journal_next_event(&r, &ev);
		cr_assert_eq(rc, 0, "mode %d: more events than written", m);
		journal_reader_close(&r);
	}
}

/* Walk the records of a file image by the format table alone: the number
 * of records of each type, and 0 when they end exactly at the end. */
static int t_walk(const uint8_t *img, uint64_t n, uint64_t *count_by_type, int ntypes)
{
	uint64_t off = 128;
	while (off + 24 <= n) {
		uint32_t len;
		uint16_t type;
		memcpy(&len, img + off, 4);
		memcpy(&type, img + off + 4, 2);
		if (type < ntypes)
			count_by_type[type]++;
		off += t_rec_size(len);
	}
	return off == n ? 0 : -1;
}

/* ------------------------------------------------------------ crc32c */

/* bit at a time, straight from the polynomial: independent of journal.c */
static uint32_t t_crc_bitwise(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1u)));
	}
	return ~c;
}

typedef uint32_t (*t_crc_fn)(uint32_t, const void *, size_t);

static void t_check_vectors(t_crc_fn f, const char *name)
{
	uint8_t b[32];
	cr_assert_eq(f(0, "123456789", 9), 0xe3069283u, "%s: 123456789", name);
	cr_assert_eq(f(0, "", 0), 0u, "%s: empty", name);
	/* RFC 3720 B.4 */
	memset(b, 0, 32);
	cr_assert_eq(f(0, b, 32), 0x8a9136aau, "%s: 32 zeros", name);
	memset(b, 0xff, 32);
	cr_assert_eq(f(0, b, 32), 0x62a8ab43u, "%s: 32 x ff", name);
	for (int i = 0; i < 32; i++)
		b[i] = (uint8_t)i;
	cr_assert_eq(f(0, b, 32), 0x46dd794eu, "%s: ascending", name);
	for (int i = 0; i < 32; i++)
		b[i] = (uint8_t)(31 - i);
	cr_assert_eq(f(0, b, 32), 0x113fdb5cu, "%s: descending", name);
	/* chaining: crc(a || b) == crc(crc(a), b) */
	cr_assert_eq(f(f(0, "1234", 4), "56789", 5), 0xe3069283u, "%s: chained", name);
}

Test(journal, crc32c_table_known_vectors)
{
	t_check_vectors(journal_crc32c_sw, "table");
	t_check_vectors(journal_crc32c, "dispatch");
}

Test(journal, crc32c_sse42_known_vectors)
{
	if (!journal_crc32c_hw_available())
		cr_skip_test("no SSE4.2 on this CPU");
	t_check_vectors(journal_crc32c_hw, "sse4.2");
}

Test(journal, crc32c_implementations_match_bitwise_reference)
{
	uint8_t buf[1100];
	uint64_t s = 42;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)t_rng(&s);
	int hw = journal_crc32c_hw_available();
	for (int it = 0; it < 3000; it++) {
		size_t off = t_rng(&s) % 8, n = t_rng(&s) % 1024;
		uint32_t want = t_crc_bitwise(buf + off, n);
		cr_assert_eq(journal_crc32c_sw(0, buf + off, n), want, "table off %zu n %zu", off, n);
		cr_assert_eq(journal_crc32c(0, buf + off, n), want, "dispatch off %zu n %zu", off, n);
		if (hw)
			cr_assert_eq(journal_crc32c_hw(0, buf + off, n), want, "hw off %zu n %zu", off, n);
		size_t cut = n ? t_rng(&s) % n : 0;
		cr_assert_eq(journal_crc32c_sw(journal_crc32c_sw(0, buf + off, cut), buf + off + cut,
					       n - cut), want, "table chained");
	}
}

/* ------------------------------------------------------------ event encoding */

Test(journal, event_encoding_sizes_and_errors)
{
	uint8_t out[JEV_MAX_SIZE];
	struct event ev, back;
	uint64_t s = 7;

	for (int nb = 0; nb <= 20; nb += 5)
		for (int na = 0; na <= 20; na += 4) {
			t_make_event(&ev, &s, 1, nb, na);
			int n = journal_event_encode(&ev, out, sizeof(out));
			cr_assert_eq(n, 32 + 16 * (nb + na), "book %d/%d", nb, na);
			cr_assert_eq(journal_event_decode(out, (uint32_t)n, &back), 0);
			cr_assert_eq(memcmp(&back, &ev, sizeof(ev)), 0, "book %d/%d round trip", nb, na);
			cr_assert_eq(journal_event_decode(out, (uint32_t)n - 16, &back), -DM_ECORRUPT);
		}
	t_make_event(&ev, &s, 2, -1, 0);
	cr_assert_eq(journal_event_encode(&ev, out, sizeof(out)), 56);
	cr_assert_eq(journal_event_decode(out, 56, &back), 0);
	cr_assert_eq(memcmp(&back, &ev, sizeof(ev)), 0);
	cr_assert_eq(journal_event_decode(out, 55, &back), -DM_ECORRUPT);
	cr_assert_eq(journal_event_encode(&ev, out, 55), -ENOBUFS);

	ev.kind = EV_NONE;
	cr_assert_eq(journal_event_encode(&ev, out, sizeof(out)), -EINVAL);
	t_make_event(&ev, &s, 3, 20, 20);
	ev.book.n_bid = 21;
	cr_assert_eq(journal_event_encode(&ev, out, sizeof(out)), -EINVAL);
}

/* ------------------------------------------------------------ write and read */

static void t_write_read_events(uint64_t n, uint32_t fsync, uint32_t buf_size, uint32_t flags,
				struct journal_wstats *st)
{
	char path[256];
	struct journal_writer w;
	struct event *evs = malloc(sizeof(*evs) * n);
	cr_assert_not_null(evs);
	uint64_t s = 1234 + n + fsync, want_size = 128;

	t_path(path, sizeof(path), "ev.jnl");
	struct journal_opts o = t_opts(fsync, buf_size, flags);
	int rc = journal_open_write(&w, path, &o);
	cr_assert_eq(rc, 0, "open_write: %s", dm_strerror(rc));
	cr_assert_eq(journal_writer_uses_uring(&w), !(flags & JOURNAL_W_NO_URING) && !w.uring_err);
	for (uint64_t i = 0; i < n; i++) {
		t_random_event(&evs[i], &s, i);
		want_size += t_rec_size(t_ev_payload(&evs[i]));
		rc = journal_append_event(&w, &evs[i]);
		cr_assert_eq(rc, 0, "append %lu: %s", (unsigned long)i, dm_strerror(rc));
		if (fsync == JOURNAL_FSYNC_INTERVAL && i % 2000 == 1999) {
			cr_assert_eq(journal_poll(&w), 0);
			usleep(3000);
			cr_assert_eq(journal_poll(&w), 0);
		}
	}
	cr_assert_eq(journal_writer_seq(&w), n);
	*st = w.stats;
	rc = journal_close(&w);
	cr_assert_eq(rc, 0, "close: %s", dm_strerror(rc));
	st->fsyncs = w.stats.fsyncs;
	cr_assert_eq(st->records, n);
	if (flags & JOURNAL_W_FULL) {
		cr_assert_eq(t_file_size(path), want_size, "file size vs the format table");
		cr_assert_eq(st->deltas, 0);
	} else {
		/* deltas make it smaller; the records still tile the file */
		uint64_t len, cnt[8] = { 0 };
		uint8_t *img = t_slurp(path, &len);
		cr_assert_eq(t_walk(img, len, cnt, 8), 0, "records tile the file");
		cr_assert_eq(cnt[JREC_EVENT] + cnt[JREC_EVENT_DELTA], n);
		cr_assert_eq(cnt[JREC_EVENT_DELTA], st->deltas);
		cr_assert_lt(len, want_size, "deltas are smaller than snapshots");
		free(img);
	}
	t_expect_events(path, evs, n);
	free(evs);
	unlink(path);
}

Test(journal, write_100k_mixed_events_read_back_exact)
{
	struct journal_wstats st;
	t_write_read_events(100000, JOURNAL_FSYNC_NONE, 64 * 1024, JOURNAL_W_FULL, &st);
	cr_assert_gt(st.writes, 100, "a 64 KiB buffer must have been written many times");
	t_write_read_events(100000, JOURNAL_FSYNC_NONE, 64 * 1024, 0, &st);
	cr_assert_gt(st.writes, 20, "a 64 KiB buffer must have been written many times");
	cr_assert_gt(st.deltas, 0, "independent random books still give deltas");
}

Test(journal, each_fsync_policy_writes_a_readable_file)
{
	static const uint32_t pol[] = { JOURNAL_FSYNC_NONE, JOURNAL_FSYNC_BATCH,
					JOURNAL_FSYNC_INTERVAL };
	for (int mode = 0; mode < 2; mode++)
		for (int i = 0; i < 3; i++) {
			struct journal_wstats st;
			uint32_t fl = mode ? JOURNAL_W_NO_URING : 0;
			t_write_read_events(20000, pol[i], 64 * 1024, fl, &st);
			if (pol[i] == JOURNAL_FSYNC_NONE)
				cr_assert_eq(st.fsyncs, 0, "mode %d: NONE never syncs", mode);
			else if (pol[i] == JOURNAL_FSYNC_BATCH)
				cr_assert_geq(st.fsyncs, st.writes - st.short_writes,
					      "mode %d: BATCH syncs every write (%lu < %lu)", mode,
					      (unsigned long)st.fsyncs, (unsigned long)st.writes);
			else
				cr_assert_geq(st.fsyncs, 2, "mode %d: INTERVAL synced %lu times",
					      mode, (unsigned long)st.fsyncs);
		}
}

Test(journal, file_many_times_the_buffer)
{
	/* smallest buffers, up to 8 of them, both write paths */
	for (int mode = 0; mode < 2; mode++) {
		char path[256];
		struct journal_writer w;
		uint64_t n = T_SANITIZED ? 20000 : 60000, s = 99;
		struct event *evs = malloc(sizeof(*evs) * n);
		cr_assert_not_null(evs);
		struct journal_opts o = t_opts(JOURNAL_FSYNC_NONE, 4096,
					       mode ? JOURNAL_W_NO_URING : 0);
		o.n_bufs = mode ? 2 : 8;
		t_path(path, sizeof(path), "big.jnl");
		cr_assert_eq(journal_open_write(&w, path, &o), 0);
		for (uint64_t i = 0; i < n; i++) {
			t_random_event(&evs[i], &s, i);
			cr_assert_eq(journal_append_event(&w, &evs[i]), 0);
		}
		cr_assert_eq(journal_close(&w), 0);
		cr_assert_gt(t_file_size(path), 500 * 4096ull, "file is > 500 buffers");
		t_expect_events(path, evs, n);
		free(evs);
		unlink(path);
	}
}

Test(journal, raw_and_event_records_interleave)
{
	char path[256];
	struct journal_writer w;
	struct journal_reader r;
	struct event evs[300], ev;
	uint8_t raw[300][200];
	uint32_t rlen[300];
	uint64_t s = 5;
	struct journal_opts o = t_opts(JOURNAL_FSYNC_NONE, 8192, 0);

	t_path(path, sizeof(path), "mix.jnl");
	cr_assert_eq(journal_open_write(&w, path, &o), 0);
	for (int i = 0; i < 300; i++) {
		t_random_event(&evs[i], &s, (uint64_t)i);
		rlen[i] = (uint32_t)(t_rng(&s) % 200);
		for (uint32_t k = 0; k < rlen[i]; k++)
			raw[i][k] = (uint8_t)t_rng(&s);
		cr_assert_eq(journal_append(&w, JREC_RAW, raw[i], rlen[i]), 0);
		cr_assert_eq(journal_append_event(&w, &evs[i]), 0);
	}
	cr_assert_eq(journal_append(&w, JREC_USER + 1, NULL, 0), 0);
	cr_assert_eq(journal_close(&w), 0);

	cr_assert_eq(journal_open_read(&r, path, 0), 0);
	const struct jrec *rec;
	for (int i = 0; i < 300; i++) {
		cr_assert_eq(journal_next(&r, &rec), 1);
		cr_assert_eq(rec->type, JREC_RAW);
		cr_assert_eq(rec->seq, 2u * (unsigned)i + 1);
		cr_assert_eq(rec->len, rlen[i]);
		cr_assert_eq(memcmp(rec->payload, raw[i], rlen[i]), 0, "raw %d", i);
		cr_assert_eq(((uintptr_t)rec->payload) % 8, 0, "payload 8-aligned");
		cr_assert_eq(journal_next(&r, &rec), 1);
		cr_assert(rec->type == JREC_EVENT || rec->type == JREC_EVENT_DELTA);
		cr_assert_eq(journal_reader_decode(&r, rec, &ev), 0);
		cr_assert_eq(memcmp(&ev, &evs[i], sizeof(ev)), 0, "event %d", i);
	}
	cr_assert_eq(journal_next(&r, &rec), 1);
	cr_assert_eq(rec->type, JREC_USER + 1);
	cr_assert_eq(rec->len, 0);
	cr_assert_eq(journal_next(&r, &rec), 0);
	cr_assert_eq(journal_reader_torn_bytes(&r), 0);
	journal_reader_close(&r);

	/* journal_next_event skips the raw records */
	cr_assert_eq(journal_open_read(&r, path, 0), 0);
	for (int i = 0; i < 300; i++) {
		cr_assert_eq(journal_next_event(&r, &ev), 1);
		cr_assert_eq(memcmp(&ev, &evs[i], sizeof(ev)), 0, "event %d", i);
	}
	cr_assert_eq(journal_next_event(&r, &ev), 0);
	journal_reader_close(&r);
}

Test(journal, append_makes_no_write_until_a_buffer_fills)
{
	char path[256];
	struct journal_writer w;
	struct event ev;
	uint64_t s = 3, used = 0;
	struct journal_opts o = t_opts(JOURNAL_FSYNC_BATCH, 65536, JOURNAL_W_FULL);

	t_path(path, sizeof(path), "nosys.jnl");
	cr_assert_eq(journal_open_write(&w, path, &o), 0);
	for (int i = 0;; i++) {
		t_make_event(&ev, &s, (uint64_t)i, 20, 20);
		if (used + t_rec_size(t_ev_payload(&ev)) > 65536)
			break;
		used += t_rec_size(t_ev_payload(&ev));
		cr_assert_eq(journal_append_event(&w, &ev), 0);
		cr_assert_eq(w.stats.writes, 0, "record %d caused a write", i);
	}
	cr_assert_eq(t_file_size(path), 128, "nothing reached the file yet");
	cr_assert_eq(journal_append_event(&w, &ev), 0); /* this one fills the buffer */
	cr_assert_eq(w.stats.writes, 1);
	cr_assert_eq(journal_sync(&w), 0);
	cr_assert_eq(t_file_size(path), 128 + used + t_rec_size(t_ev_payload(&ev)));
	cr_assert_eq(journal_close(&w), 0);
}

Test(journal, bad_arguments_and_oversized_records)
{
	char path[256];
	struct journal_writer w;
	static uint8_t big[8192];
	struct journal_opts o = t_opts(JOURNAL_FSYNC_NONE, 4096, 0);

	t_path(path, sizeof(path), "args.jnl");
	o.symbol = "A_SYMBOL_LONGER_THAN_16";
	cr_assert_eq(journal_open_write(&w, path, &o), -DM_ECONFIG);
	o = t_opts(JOURNAL_FSYNC_NONE, 4096, 0);
	o.n_bufs = 9;
	cr_assert_eq(journal_open_write(&w, path, &o), -DM_ECONFIG);
	o = t_opts(7, 4096, 0);
	cr_assert_eq(journal_open_write(&w, path, &o), -DM_ECONFIG);

	o = t_opts(JOURNAL_FSYNC_NONE, 4096, 0);
	cr_assert_eq(journal_open_write(&w, path, &o), 0);
	cr_assert_eq(journal_append(&w, JREC_NONE, big, 8), -EINVAL);
	cr_assert_eq(journal_append(&w, JREC_RAW, NULL, 8), -EINVAL);
	cr_assert_eq(journal_append(&w, JREC_RAW, big, 4096 - 24 + 1), -EMSGSIZE);
	cr_assert_eq(journal_append(&w, JREC_RAW, big, 4096 - 24), 0, "exactly one buffer");
	cr_assert_eq(journal_append(&w, JREC_RAW, big, 4096 - 24), 0);
	cr_assert_eq(journal_writer_seq(&w), 2);
	cr_assert_eq(journal_close(&w), 0);
	cr_assert_eq(t_file_size(path), 128 + 2 * 4096);

	/* an existing journal is never replaced, unless asked */
	cr_assert_eq(journal_open_write(&w, path, &o), -EEXIST);
	cr_assert_eq(t_file_size(path), 128 + 2 * 4096);
	o.flags = JOURNAL_W_TRUNC;
	cr_assert_eq(journal_open_write(&w, path, &o), 0);
	cr_assert_eq(journal_close(&w), 0);
	cr_assert_eq(t_file_size(path), 128);
}

Test(journal, header_fields_are_recorded)
{
	char path[256];
	struct journal_writer w;
	struct journal_reader r;
	struct journal_opts o = t_opts(JOURNAL_FSYNC_NONE, 0, 0);
	o.symbol = "WINQ25";
	o.tick_size = "5";
	int64_t t0 = (int64_t)time(NULL) * 1000000000;

	t_path(path, sizeof(path), "hdr.jnl");
	cr_assert_eq(journal_open_write(&w, path, &o), 0);
	cr_assert_eq(journal_close(&w), 0);
	cr_assert_eq(journal_open_read(&r, path, JOURNAL_VERIFY), 0);
	cr_assert_str_eq(r.hdr.symbol, "WINQ25");
	cr_assert_str_eq(r.hdr.tick_size, "5");
	cr_assert(r.hdr.tick_size_pts == 5.0);
	cr_assert_eq(r.hdr.writer_pid, (uint32_t)getpid());
	cr_assert_eq(r.hdr.version, JOURNAL_VERSION);
	cr_assert(r.hdr.created_ns >= t0 - 1000000000 && r.hdr.created_ns <= t0 + 5000000000,
		  "created_ns %ld", (long)r.hdr.created_ns);
	cr_assert_eq(memcmp(r.hdr.magic, "DMJRNL\0\1", 8), 0);
	const struct jrec *rec;
	cr_assert_eq(journal_next(&r, &rec), 0, "an empty journal");
	journal_reader_close(&r);

	/* snapshots only: version 1, what older readers take */
	o.flags = JOURNAL_W_TRUNC | JOURNAL_W_FULL;
	cr_assert_eq(journal_open_write(&w, path, &o), 0);
	cr_assert_eq(journal_close(&w), 0);
	cr_assert_eq(journal_open_read(&r, path, 0), 0);
	cr_assert_eq(r.hdr.version, 1);
	journal_reader_close(&r);
}

/* Rewrite one header field of a copy and fix the header crc, so that only
 * that field is wrong. */
static void t_hdr_patch(const char *path, size_t off, const void *p, size_t n)
{
	uint8_t h[128];
	int fd = open(path, O_RDWR);
	cr_assert_eq(pread(fd, h, 128, 0), 128);
	memcpy(h + off, p, n);
	uint32_t crc = journal_crc32c_sw(0, h, 124);
	memcpy(h + 124, &crc, 4);
	cr_assert_eq(pwrite(fd, h, 128, 0), 128);
	close(fd);
}

static void t_expect_open_err(const char *path, int want, const char *what)
{
	struct journal_reader r;
	struct journal_writer w;
	struct journal_opts o = t_opts(JOURNAL_FSYNC_NONE, 0, 0);
	int rc = journal_open_read(&r, path, 0);
	cr_assert_eq(rc, want, "%s: open_read %s, want %s", what, dm_strerror(rc), dm_strerror(want));
	rc = journal_open_read(&r, path, JOURNAL_REPAIR);
	cr_assert_eq(rc, want, "%s: repair %s", what, dm_strerror(rc));
	rc = journal_open_append(&w, path, &o);
	cr_assert_eq(rc, want, "%s: open_append %s", what, dm_strerror(rc));
}

Test(journal, header_validation_errors)
{
	char good[256], bad[256];
	struct journal_writer w;
	struct journal_opts o = t_opts(JOURNAL_FSYNC_NONE, 0, 0);
	uint64_t n;

	t_path(good, sizeof(good), "good.jnl");
	t_path(bad, sizeof(bad), "bad.jnl");
	cr_assert_eq(journal_open_write(&w, good, &o), 0);
	cr_assert_eq(journal_append(&w, JREC_RAW, "abc", 3), 0);
	cr_assert_eq(journal_close(&w), 0);
	uint8_t *img = t_slurp(good, &n);

	t_spit(bad, img, n);
	t_patch(bad, 0, "DMJRNX", 6);
	t_expect_open_err(bad, -DM_EMAGIC, "magic");

	t_spit(bad, "hello, world\nthis is text\n", 26);
	t_expect_open_err(bad, -DM_EMAGIC, "text file");

	uint32_t v = JOURNAL_VERSION + 1;
	t_spit(bad, img, n);
	t_hdr_patch(bad, 8, &v, 4);
	t_expect_open_err(bad, -DM_EVERSION, "version");
	v = 0;
	t_spit(bad, img, n);
	t_hdr_patch(bad, 8, &v, 4);
	t_expect_open_err(bad, -DM_EVERSION, "version 0");

	uint64_t lh = journal_layout_hash() ^ 1;
	t_spit(bad, img, n);
	t_hdr_patch(bad, 16, &lh, 8);
	t_expect_open_err(bad, -DM_ELAYOUT, "layout");

	t_spit(bad, img, n);
	t_flip(bad, 41); /* a symbol byte, crc not fixed */
	t_expect_open_err(bad, -DM_ECORRUPT, "header crc");

	t_spit(bad, img, 100);
	t_expect_open_err(bad, -DM_ECORRUPT, "short header");

	t_spit(bad, img, 0);
	t_expect_open_err(bad, -DM_ECORRUPT, "empty file");

	/* the good one still opens; the symbol must match when given */
	struct journal_reader r;
	cr_assert_eq(journal_open_read(&r, good, JOURNAL_VERIFY), 0);
	journal_reader_close(&r);
	o.symbol = "WDO";
	cr_assert_eq(journal_open_append(&w, good, &o), -DM_ECONFIG);
	cr_assert_eq(journal_open_read(&r, bad, 0xf0), -EINVAL);
	cr_assert_eq(journal_open_read(&r, "/nonexistent/x.jnl", 0), -ENOENT);
	free(img);
}

Test(journal, append_continues_the_seq_and_one_writer_at_a_time)
{
	char path[256];
	struct journal_writer w, w2;
	struct journal_reader r;
	struct journal_opts o = t_opts(JOURNAL_FSYNC_BATCH, 0, 0);
	uint64_t i;

	t_path(path, sizeof(path), "app.jnl");
	/* open_append creates a missing file */
	cr_assert_eq(journal_open_append(&w, path, &o), 0);
	for (i = 1; i <= 10; i++)
		cr_assert_eq(journal_append(&w, JREC_RAW, &i, sizeof(i)), 0);
	/* a second writer, or a repairing reader, is refused while it is open */
	cr_assert_eq(journal_open_append(&w2, path, &o), -DM_EBUSY);
	cr_assert_eq(journal_open_read(&r, path, JOURNAL_REPAIR), -DM_EBUSY);
	cr_assert_eq(journal_close(&w), 0);

	for (int round = 0; round < 2; round++) {
		cr_assert_eq(journal_open_append(&w, path, &o), 0);
		cr_assert_eq(w.stats.repaired_bytes, 0);
		cr_assert_eq(journal_writer_seq(&w), 10 + 10 * (uint64_t)round);
		for (uint64_t k = 0; k < 10; k++, i++)
			cr_assert_eq(journal_append(&w, JREC_RAW, &i, sizeof(i)), 0);
		cr_assert_eq(journal_close(&w), 0);
	}
	cr_assert_eq(journal_open_read(&r, path, JOURNAL_VERIFY), 0);
	const struct jrec *rec;
	for (uint64_t k = 1; k <= 30; k++) {
		cr_assert_eq(journal_next(&r, &rec), 1);
		cr_assert_eq(rec->seq, k);
		cr_assert_eq(memcmp(rec->payload, &k, 8), 0);
	}
	cr_assert_eq(journal_next(&r, &rec), 0);
	journal_reader_close(&r);
	cr_assert_eq(t_file_size(path), 128 + 30 * 32);
}

/* ------------------------------------------------------------ torn tail */

#define T_NREC 40

struct t_rec {
	uint16_t type;
	uint32_t len;
	struct event ev;   /* JREC_EVENT */
	uint8_t raw[64];   /* JREC_RAW */
};

/* The next book of a slowly changing one: a size changes, a level comes
 * in or goes, the times move on; levels stay best first. */
static void t_evolve(struct event *ev, uint64_t *s)
{
	struct ev_book *b = &ev->book;
	uint64_t r = t_rng(s) % 10;
	struct book_level *lv = (r & 1) ? b->bid : b->ask;
	uint16_t *n = (r & 1) ? &b->n_bid : &b->n_ask;
	int64_t step = (r & 1) ? -1 : 1;

	ev->exch_ns += 1 + (int64_t)(t_rng(s) % 5000000);
	ev->recv_ns = ev->exch_ns + (int64_t)(t_rng(s) % 50000);
	if (r < 6 && *n) {
		lv[t_rng(s) % *n].qty = 1 + (int64_t)(t_rng(s) % 900);
	} else if (r < 8 && *n < EV_MAX_LEVELS) { /* a new best level */
		memmove(lv + 1, lv, sizeof(*lv) * *n);
		lv[0].px = (*n ? lv[1].px : 25000) - step;
		lv[0].qty = 1 + (int64_t)(t_rng(s) % 900);
		(*n)++;
	} else if (*n > 1) { /* the best level goes */
		memmove(lv, lv + 1, sizeof(*lv) * (size_t)(*n - 1));
		(*n)--;
		lv[*n] = (struct book_level){ 0, 0 };
	}
}

/* Write T_NREC mixed records; ends[i] = file offset after record i.  With
 * delta, the books evolve, so most are written as deltas, the last three
 * records are a delta, a trade and a delta, and ends come from walking
 * the file by the format table. */
static void t_write_torn_source_as(const char *path, struct t_rec *recs, uint64_t *ends,
				   int delta)
{
	struct journal_writer w;
	struct journal_opts o = t_opts(JOURNAL_FSYNC_NONE, 4096, delta ? 0 : JOURNAL_W_FULL);
	uint64_t s = 77, off = 128;
	struct event book;

	if (delta) {
		t_make_event(&book, &s, 0, 10, 10);
		cr_assert_eq(journal_open_write(&w, path, &o), 0);
		for (int i = 0; i < T_NREC; i++) {
			struct t_rec *t = &recs[i];
			int pick = i % 3;
			if (i >= T_NREC - 3)
				pick = i == T_NREC - 2 ? 1 : 0;
			if (pick == 1) {
				t->type = JREC_EVENT;
				t_make_event(&t->ev, &s, (uint64_t)i, -1, 0);
				cr_assert_eq(journal_append_event(&w, &t->ev), 0);
			} else if (pick == 0) {
				t_evolve(&book, &s);
				t->ev = book;
				cr_assert_eq(journal_append_event(&w, &t->ev), 0);
			} else {
				t->type = JREC_RAW;
				t->len = (uint32_t)(t_rng(&s) % 64);
				for (uint32_t k = 0; k < t->len; k++)
					t->raw[k] = (uint8_t)t_rng(&s);
				cr_assert_eq(journal_append(&w, JREC_RAW, t->raw, t->len), 0);
			}
		}
		cr_assert_gt(w.stats.deltas, T_NREC / 3);
		cr_assert_eq(journal_close(&w), 0);
		uint64_t n;
		uint8_t *img = t_slurp(path, &n);
		for (int i = 0; i < T_NREC; i++) {
			uint16_t type;
			memcpy(&recs[i].len, img + off, 4);
			memcpy(&type, img + off + 4, 2);
			recs[i].type = type;
			off += t_rec_size(recs[i].len);
			ends[i] = off;
		}
		cr_assert_eq(recs[T_NREC - 3].type, JREC_EVENT_DELTA);
		cr_assert_eq(recs[T_NREC - 2].type, JREC_EVENT);
		cr_assert_eq(recs[T_NREC - 1].type, JREC_EVENT_DELTA);
		cr_assert_eq(off, n);
		free(img);
		return;
	}

	cr_assert_eq(journal_open_write(&w, path, &o), 0);
	for (int i = 0; i < T_NREC; i++) {
		struct t_rec *t = &recs[i];
		int pick = i % 3;
		if (i == T_NREC - 3)
			pick = 0; /* the last three: a full book, a trade, odd raw */
		if (i == T_NREC - 2)
			pick = 1;
		if (i == T_NREC - 1)
			pick = 2;
		if (pick == 0) {
			t->type = JREC_EVENT;
			int d = i == T_NREC - 3 ? 20 : (int)(t_rng(&s) % 21);
			t_make_event(&t->ev, &s, (uint64_t)i, d, i == T_NREC - 3 ? 20 : 3);
			t->len = t_ev_payload(&t->ev);
			cr_assert_eq(journal_append_event(&w, &t->ev), 0);
		} else if (pick == 1) {
			t->type = JREC_EVENT;
			t_make_event(&t->ev, &s, (uint64_t)i, -1, 0);
			t->len = t_ev_payload(&t->ev);
			cr_assert_eq(journal_append_event(&w, &t->ev), 0);
		} else {
			t->type = JREC_RAW;
			t->len = i == T_NREC - 1 ? 13 : (uint32_t)(t_rng(&s) % 64);
			for (uint32_t k = 0; k < t->len; k++)
				t->raw[k] = (uint8_t)t_rng(&s);
			cr_assert_eq(journal_append(&w, JREC_RAW, t->raw, t->len), 0);
		}
		off += t_rec_size(t->len);
		ends[i] = off;
	}
	cr_assert_eq(journal_close(&w), 0);
	cr_assert_eq(t_file_size(path), ends[T_NREC - 1]);
}

static void t_write_torn_source(const char *path, struct t_rec *recs, uint64_t *ends)
{
	t_write_torn_source_as(path, recs, ends, 0);
}

/* The reader must return exactly recs[0..k) and then end. */
static void t_expect_prefix(struct journal_reader *r, const struct t_rec *recs, int k,
			    uint64_t cut)
{
	const struct jrec *rec;
	struct event ev;
	for (int i = 0; i < k; i++) {
		int rc = journal_next(r, &rec);
		cr_assert_eq(rc, 1, "cut %lu: record %d missing (rc %d)", (unsigned long)cut, i, rc);
		cr_assert_eq(rec->seq, (uint64_t)i + 1);
		cr_assert_eq(rec->type, recs[i].type);
		cr_assert_eq(rec->len, recs[i].len);
		if (rec->type == JREC_EVENT || rec->type == JREC_EVENT_DELTA) {
			cr_assert_eq(journal_reader_decode(r, rec, &ev), 0);
			cr_assert_eq(memcmp(&ev, &recs[i].ev, sizeof(ev)), 0);
		} else {
			cr_assert_eq(memcmp(rec->payload, recs[i].raw, rec->len), 0);
		}
	}
	int rc = journal_next(r, &rec);
	cr_assert_eq(rc, 0, "cut %lu: a record was invented (rc %d)", (unsigned long)cut, rc);
}

static void t_torn_every_cut(int delta)
{
	char src[256], cp[256];
	struct t_rec recs[T_NREC];
	uint64_t ends[T_NREC] = { 0 }, n;

	t_path(src, sizeof(src), "src.jnl");
	t_path(cp, sizeof(cp), "cut.jnl");
	t_write_torn_source_as(src, recs, ends, delta);
	uint8_t *img = t_slurp(src, &n);

	for (uint64_t cut = ends[T_NREC - 4]; cut <= n; cut++) {
		int k = 0;
		while (k < T_NREC && ends[k] <= cut)
			k++;
		uint64_t end_k = ends[k - 1];

		/* reader with REPAIR */
		struct journal_reader r;
		t_spit(cp, img, cut);
		int rc = journal_open_read(&r, cp, JOURNAL_REPAIR);
		cr_assert_eq(rc, 0, "cut %lu: %s", (unsigned long)cut, dm_strerror(rc));
		cr_assert_eq(journal_reader_torn_bytes(&r), cut - end_k, "cut %lu", (unsigned long)cut);
		cr_assert_eq(t_file_size(cp), end_k, "cut %lu: length after repair", (unsigned long)cut);
		t_expect_prefix(&r, recs, k, cut);
		journal_reader_close(&r);

		/* appending afterwards continues the seq */
		struct journal_writer w;
		struct journal_opts o = t_opts(JOURNAL_FSYNC_NONE, 4096, 0);
		cr_assert_eq(journal_open_append(&w, cp, &o), 0);
		cr_assert_eq(w.stats.repaired_bytes, 0);
		cr_assert_eq(journal_writer_seq(&w), (uint64_t)k);
		cr_assert_eq(journal_append(&w, JREC_RAW, "after", 5), 0);
		cr_assert_eq(journal_close(&w), 0);
		cr_assert_eq(t_file_size(cp), end_k + 32);
		cr_assert_eq(journal_open_read(&r, cp, JOURNAL_VERIFY), 0);
		const struct jrec *rec;
		for (int i = 0; i < k; i++)
			cr_assert_eq(journal_next(&r, &rec), 1);
		cr_assert_eq(journal_next(&r, &rec), 1);
		cr_assert_eq(rec->seq, (uint64_t)k + 1);
		cr_assert_eq(rec->len, 5);
		cr_assert_eq(memcmp(rec->payload, "after", 5), 0);
		cr_assert_eq(journal_next(&r, &rec), 0);
		journal_reader_close(&r);

		/* open_append on the torn copy repairs by itself */
		t_spit(cp, img, cut);
		cr_assert_eq(journal_open_append(&w, cp, &o), 0);
		cr_assert_eq(w.stats.repaired_bytes, cut - end_k);
		cr_assert_eq(journal_writer_seq(&w), (uint64_t)k);
		cr_assert_eq(journal_append(&w, JREC_RAW, "after", 5), 0);
		cr_assert_eq(journal_close(&w), 0);
		cr_assert_eq(t_file_size(cp), end_k + 32);

		/* without REPAIR: the same records, the torn bytes reported, nothing
		 * cut; mapped and read into a buffer */
		t_spit(cp, img, cut);
		for (int seq = 0; seq < 2; seq++) {
			cr_assert_eq(journal_open_read(&r, cp, seq ? JOURNAL_SEQ : 0), 0);
			t_expect_prefix(&r, recs, k, cut);
			cr_assert_eq(journal_reader_torn_bytes(&r), cut - end_k);
			journal_reader_close(&r);
		}
		cr_assert_eq(t_file_size(cp), cut);

		/* the events of the prefix, nothing invented */
		struct event ev;
		int ne = 0;
		cr_assert_eq(journal_open_read(&r, cp, JOURNAL_SEQ), 0);
		while (journal_next_event(&r, &ev) == 1)
			ne++;
		int want = 0;
		for (int i = 0; i < k; i++)
			want += recs[i].type != JREC_RAW;
		cr_assert_eq(ne, want, "cut %lu", (unsigned long)cut);
		journal_reader_close(&r);
	}
	free(img);
}

Test(journal, torn_tail_every_cut_in_the_last_three_records, .timeout = 120)
{
	t_torn_every_cut(0);
}

Test(journal, torn_tail_every_cut_in_the_last_three_delta_records, .timeout = 120)
{
	t_torn_every_cut(1);
}

Test(journal, torn_tail_bad_crc_seq_break_and_zeros_are_cut)
{
	char src[256], cp[256];
	struct t_rec recs[T_NREC];
	uint64_t ends[T_NREC] = { 0 }, n;
	struct journal_reader r;

	t_path(src, sizeof(src), "src.jnl");
	t_path(cp, sizeof(cp), "cp.jnl");
	t_write_torn_source(src, recs, ends);
	uint8_t *img = t_slurp(src, &n);
	uint64_t last = ends[T_NREC - 2];

	/* a bad crc in the last record */
	t_spit(cp, img, n);
	t_flip(cp, last + 24 + 3);
	cr_assert_eq(journal_open_read(&r, cp, JOURNAL_REPAIR), 0);
	cr_assert_eq(journal_reader_torn_bytes(&r), n - last);
	t_expect_prefix(&r, recs, T_NREC - 1, n);
	journal_reader_close(&r);
	cr_assert_eq(t_file_size(cp), last);

	/* the last record well-formed but out of sequence */
	t_spit(cp, img, n);
	uint8_t hdr[24 + 16];
	memcpy(hdr, img + last, sizeof(hdr));
	uint64_t seq = 1000;
	memcpy(hdr + 8, &seq, 8);
	/* the crc of header bytes 0..15, then of the 13 payload bytes */
	uint32_t crc = journal_crc32c_sw(journal_crc32c_sw(0, hdr, 16), hdr + 24, 13);
	memcpy(hdr + 16, &crc, 4);
	t_patch(cp, last, hdr, 24);
	cr_assert_eq(journal_open_read(&r, cp, JOURNAL_REPAIR), 0);
	cr_assert_eq(journal_reader_torn_bytes(&r), n - last);
	t_expect_prefix(&r, recs, T_NREC - 1, n);
	journal_reader_close(&r);
	cr_assert_eq(t_file_size(cp), last);

	/* zeros after the end (an extended file after a crash) */
	t_spit(cp, img, n);
	cr_assert_eq(truncate(cp, (off_t)(n + 4096 + 5)), 0);
	cr_assert_eq(journal_open_read(&r, cp, JOURNAL_VERIFY), 0);
	cr_assert_eq(journal_reader_torn_bytes(&r), 4096 + 5, "VERIFY reports at open");
	t_expect_prefix(&r, recs, T_NREC, n);
	journal_reader_close(&r);
	cr_assert_eq(t_file_size(cp), n + 4096 + 5, "VERIFY cuts nothing");
	cr_assert_eq(journal_open_read(&r, cp, JOURNAL_REPAIR), 0);
	journal_reader_close(&r);
	cr_assert_eq(t_file_size(cp), n);
	free(img);
}

/* ------------------------------------------------------------ corruption */

static void t_expect_corrupt(const char *path, uint64_t bad_off, int before,
			     const uint8_t *img, uint64_t n)
{
	struct journal_reader r;
	struct journal_writer w;
	struct journal_opts o = t_opts(JOURNAL_FSYNC_NONE, 0, 0);
	const struct jrec *rec;
	uint64_t m;

	int rc = journal_open_read(&r, path, JOURNAL_REPAIR);
	cr_assert_eq(rc, -DM_ECORRUPT, "repair: %s", dm_strerror(rc));
	cr_assert_eq(journal_reader_bad_offset(&r), bad_off, "repair: offset %lu, want %lu",
		     (unsigned long)journal_reader_bad_offset(&r), (unsigned long)bad_off);

	rc = journal_open_append(&w, path, &o);
	cr_assert_eq(rc, -DM_ECORRUPT, "append: %s", dm_strerror(rc));
	cr_assert_eq(w.bad_off, bad_off);

	cr_assert_eq(journal_open_read(&r, path, 0), 0);
	for (int i = 0; i < before; i++)
		cr_assert_eq(journal_next(&r, &rec), 1, "record %d before the damage", i);
	cr_assert_eq(journal_next(&r, &rec), -DM_ECORRUPT);
	cr_assert_eq(journal_next(&r, &rec), -DM_ECORRUPT, "the error is sticky");
	cr_assert_eq(journal_reader_bad_offset(&r), bad_off);
	journal_reader_close(&r);

	uint8_t *now = t_slurp(path, &m);
	cr_assert_eq(m, n, "nothing truncated");
	cr_assert_eq(memcmp(now, img, n), 0, "nothing changed");
	free(now);
}

Test(journal, mid_file_corruption_is_reported_never_cut)
{
	char src[256], cp[256];
	struct journal_writer w;
	struct journal_opts o = t_opts(JOURNAL_FSYNC_NONE, 0, JOURNAL_W_FULL);
	struct event ev;
	uint64_t s = 11, ends[100], off = 128, n;

	t_path(src, sizeof(src), "src.jnl");
	t_path(cp, sizeof(cp), "cp.jnl");
	cr_assert_eq(journal_open_write(&w, src, &o), 0);
	for (int i = 0; i < 100; i++) {
		t_random_event(&ev, &s, (uint64_t)i);
		cr_assert_eq(journal_append_event(&w, &ev), 0);
		off += t_rec_size(t_ev_payload(&ev));
		ends[i] = off;
	}
	cr_assert_eq(journal_close(&w), 0);
	uint8_t *img = t_slurp(src, &n);
	uint64_t rec10 = ends[8]; /* record 10 starts where record 9 ends */

	/* a payload byte */
	t_spit(cp, img, n);
	t_flip(cp, rec10 + 24 + 5);
	uint8_t *bad = t_slurp(cp, &n);
	t_expect_corrupt(cp, rec10, 9, bad, n);
	free(bad);

	/* the length field: the record now claims more than the file holds */
	t_spit(cp, img, n);
	uint32_t len = 0x00ffff00;
	t_patch(cp, rec10, &len, 4);
	bad = t_slurp(cp, &n);
	t_expect_corrupt(cp, rec10, 9, bad, n);
	free(bad);

	/* a seq break in the middle, crc consistent */
	t_spit(cp, img, n);
	uint8_t h[24];
	memcpy(h, img + rec10, 24);
	uint32_t plen;
	memcpy(&plen, h, 4);
	uint64_t seq = 77;
	memcpy(h + 8, &seq, 8);
	uint32_t crc = journal_crc32c_sw(0, h, 16);
	crc = journal_crc32c_sw(crc, img + rec10 + 24, plen);
	memcpy(h + 16, &crc, 4);
	t_patch(cp, rec10, h, 24);
	bad = t_slurp(cp, &n);
	t_expect_corrupt(cp, rec10, 9, bad, n);
	free(bad);

	/* a damaged record second to last, followed by a good one */
	t_spit(cp, img, n);
	t_flip(cp, ends[97] + 24 + 1);
	bad = t_slurp(cp, &n);
	t_expect_corrupt(cp, ends[97], 98, bad, n);
	free(bad);
	free(img);
}

/* ------------------------------------------------------------ write errors */

static void t_write_past_fsize_limit(uint32_t flags)
{
	char path[256];
	struct journal_writer w;
	struct journal_reader r;
	struct journal_opts o = t_opts(JOURNAL_FSYNC_NONE, 16384, flags);
	struct rlimit old, lim;
	uint64_t limit = 100000 + 37, off = 128, ends[4000];
	uint8_t payload[100];
	int i, rc = 0;

	memset(payload, 0xab, sizeof(payload));
	t_path(path, sizeof(path), "fsize.jnl");
	cr_assert_eq(journal_open_write(&w, path, &o), 0);
	signal(SIGXFSZ, SIG_IGN);
	cr_assert_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = limit;
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	for (i = 0; i < 4000; i++) {
		rc = journal_append(&w, JREC_RAW, payload, sizeof(payload));
		if (rc)
			break;
		off += t_rec_size(sizeof(payload));
		ends[i] = off;
	}
	int crc = journal_close(&w);
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
	cr_assert_eq(rc ? rc : crc, -EFBIG, "append %s, close %s", dm_strerror(rc),
		     dm_strerror(crc));
	cr_assert_eq(crc, -EFBIG, "close reports the error");
	cr_assert_geq(w.stats.short_writes, 1, "the write across the limit came up short");
	cr_assert_eq(t_file_size(path), limit, "everything up to the limit was written");

	int k = 0;
	while (ends[k] <= limit)
		k++;
	cr_assert_eq(journal_open_read(&r, path, JOURNAL_REPAIR), 0);
	cr_assert_eq(journal_reader_torn_bytes(&r), limit - ends[k - 1]);
	const struct jrec *rec;
	for (int j = 0; j < k; j++) {
		cr_assert_eq(journal_next(&r, &rec), 1);
		cr_assert_eq(rec->seq, (uint64_t)j + 1);
	}
	cr_assert_eq(journal_next(&r, &rec), 0);
	journal_reader_close(&r);
}

Test(journal, short_write_and_write_error_uring)
{
	t_write_past_fsize_limit(0);
}

Test(journal, short_write_and_write_error_pwrite)
{
	t_write_past_fsize_limit(JOURNAL_W_NO_URING);
}

Test(journal, short_writes_are_resubmitted)
{
	/* every write request capped at 1000 bytes: each buffer goes out in
	 * pieces, and each piece must land right after the previous one */
	for (int mode = 0; mode < 2; mode++) {
		char path[256];
		struct journal_writer w;
		uint64_t n = 5000, s = 21;
		struct event *evs = malloc(sizeof(*evs) * n);
		cr_assert_not_null(evs);
		struct journal_opts o = t_opts(mode ? JOURNAL_FSYNC_NONE : JOURNAL_FSYNC_BATCH, 16384,
					       mode ? JOURNAL_W_NO_URING : 0);
		t_path(path, sizeof(path), "short.jnl");
		cr_assert_eq(journal_open_write(&w, path, &o), 0);
		w.max_io = 1000;
		for (uint64_t i = 0; i < n; i++) {
			t_random_event(&evs[i], &s, i);
			cr_assert_eq(journal_append_event(&w, &evs[i]), 0);
		}
		uint64_t shorts = w.stats.short_writes;
		cr_assert_eq(journal_close(&w), 0);
		cr_assert_gt(shorts, 100, "mode %d: %lu short writes", mode, (unsigned long)shorts);
		t_expect_events(path, evs, n);
		free(evs);
		unlink(path);
	}
}

Test(journal, io_uring_or_fallback_is_reported)
{
	char path[256];
	struct journal_writer w;
	struct journal_opts o = t_opts(JOURNAL_FSYNC_NONE, 0, JOURNAL_W_NO_URING);

	t_path(path, sizeof(path), "u.jnl");
	cr_assert_eq(journal_open_write(&w, path, &o), 0);
	cr_assert_eq(journal_writer_uses_uring(&w), 0);
	cr_assert_eq(w.uring_err, 0, "asked for, not a failure");
	cr_assert_eq(journal_close(&w), 0);
	o.flags = JOURNAL_W_TRUNC;
	cr_assert_eq(journal_open_write(&w, path, &o), 0);
	/* either io_uring works, or the reason it does not is kept */
	cr_assert(journal_writer_uses_uring(&w) ? w.uring_err == 0 : w.uring_err < 0);
	cr_log_info("io_uring %s (%d)", journal_writer_uses_uring(&w) ? "in use" : "unavailable",
		    w.uring_err);
	cr_assert_eq(journal_close(&w), 0);
}

Test(journal, interval_policy_syncs_an_idle_writer)
{
	char path[256];
	struct journal_writer w;
	struct journal_opts o = t_opts(JOURNAL_FSYNC_INTERVAL, 0, 0);

	t_path(path, sizeof(path), "idle.jnl");
	cr_assert_eq(journal_open_write(&w, path, &o), 0);
	cr_assert_eq(journal_append(&w, JREC_RAW, "x", 1), 0);
	/* nothing fills the 1 MiB buffer: journal_poll must write and sync it */
	int64_t t_end = t_mono_ns() + 2000000000;
	while (w.synced_off < 128 + 32 && t_mono_ns() < t_end) {
		cr_assert_eq(journal_poll(&w), 0);
		usleep(1000);
	}
	cr_assert_eq(w.synced_off, 128 + 32, "synced %lu", (unsigned long)w.synced_off);
	cr_assert_geq(w.stats.fsyncs, 1);
	cr_assert_eq(t_file_size(path), 128 + 32);
	cr_assert_eq(journal_close(&w), 0);
}

/* A FIFO is refused at once: waiting for a writer would hang the reader. */
Test(journal, fifo_is_refused_without_blocking, .timeout = 10)
{
	char p[512];
	struct journal_reader r;
	struct journal_writer w;
	t_path(p, sizeof(p), "fifo");
	cr_assert_eq(mkfifo(p, 0600), 0, "mkfifo: %s", strerror(errno));
	cr_assert_eq(journal_open_read(&r, p, 0), -EINVAL);
	cr_assert_eq(journal_open_read(&r, p, JOURNAL_REPAIR), -EINVAL);
	cr_assert_eq(journal_open_append(&w, p, NULL), -EINVAL);
}

/* The whole text of a small file (at most n - 1 bytes) into out. */
static const char *t_text_of(const char *p, char *out, size_t n)
{
	FILE *f = fopen(p, "r");
	cr_assert_not_null(f, "%s: %s", p, strerror(errno));
	size_t k = fread(out, 1, n - 1, f);
	out[k] = '\0';
	fclose(f);
	return out;
}

/*
 * A writer never writes through a symbolic link: one in place of the
 * journal is refused by append (ELOOP) and by an exclusive create
 * (EEXIST), replaced by a truncating create; one planted under the
 * temporary name (path.tmp-PID) is removed, not followed.  The files the
 * links point to keep their bytes.
 */
Test(journal, writers_never_follow_a_symbolic_link)
{
	char p[512], victim[512], tmp[600], text[64];
	struct journal_writer w;
	struct journal_opts o = { .symbol = "WIN", .flags = JOURNAL_W_NO_URING };
	t_path(p, sizeof(p), "decisions.journal");
	t_path(victim, sizeof(victim), "victim");
	FILE *f = fopen(victim, "w");
	cr_assert_not_null(f);
	fputs("precious\n", f);
	fclose(f);

	cr_assert_eq(symlink(victim, p), 0);
	cr_expect_eq(journal_open_append(&w, p, &o), -ELOOP);
	cr_expect_eq(journal_open_write(&w, p, &o), -EEXIST);
	cr_expect_str_eq(t_text_of(victim, text, sizeof(text)), "precious\n");

	/* a dangling link: append must not create the file at its target */
	char gone[512];
	t_path(gone, sizeof(gone), "not-yet");
	cr_assert_eq(unlink(p), 0);
	cr_assert_eq(symlink(gone, p), 0);
	cr_expect_eq(journal_open_append(&w, p, &o), -ELOOP);
	struct stat st;
	cr_expect_neq(stat(gone, &st), 0, "created through the link");

	/* the temporary's name taken by a link: removed, the journal made */
	cr_assert_eq(unlink(p), 0);
	snprintf(tmp, sizeof(tmp), "%s.tmp-%d", p, (int)getpid());
	cr_assert_eq(symlink(victim, tmp), 0);
	cr_assert_eq(journal_open_write(&w, p, &o), 0);
	cr_assert_eq(journal_close(&w), 0);
	cr_expect_str_eq(t_text_of(victim, text, sizeof(text)), "precious\n");
	cr_expect_neq(lstat(tmp, &st), 0, "the temporary is gone");
	cr_assert_eq(lstat(p, &st), 0);
	cr_expect(S_ISREG(st.st_mode), "a regular file in place");

	/* truncate over a link: the link is replaced, its target untouched */
	cr_assert_eq(unlink(p), 0);
	cr_assert_eq(symlink(victim, p), 0);
	o.flags |= JOURNAL_W_TRUNC;
	cr_assert_eq(journal_open_write(&w, p, &o), 0);
	cr_assert_eq(journal_close(&w), 0);
	cr_assert_eq(lstat(p, &st), 0);
	cr_expect(S_ISREG(st.st_mode), "the link replaced by the journal");
	cr_expect_str_eq(t_text_of(victim, text, sizeof(text)), "precious\n");
}
