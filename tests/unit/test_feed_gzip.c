/*
 * test_feed_gzip.c — gzip input inflated in process (libcore/feed/feed.c):
 * every bundled .gz sample reads byte for byte as `gzip -dc` writes it,
 * the plain samples gzipped read as the same events, concatenated members
 * read as their concatenation, and a corrupt or truncated stream is bad
 * input naming the file and the compressed offset, in the reader and in
 * every tool that reads a feed (exit 2).
 *
 * The expected bytes come from the gzip program, not from zlib: an
 * independent decompressor.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libcore/feed/feed.h"
#include "libcore/feed/feed_int.h"
#include "tests/helpers.h"

#define DATA    "tests/data"
#define LOB_DIR DATA "/lobster-aapl-20120621-excerpt"
#define LOB_MSG "AAPL_2012-06-21_34200000_57600000_message_10.csv"
#define LOB_OB  "AAPL_2012-06-21_34200000_57600000_orderbook_10.csv"
#define SPOT_GZ DATA "/binance-ws-raw-hftbacktest/spot_btcusdt_20240808.jsonl.gz"

static const char *const gz_samples[] = {
	DATA "/b3-neg-ofer-gethfdata/Example_Orders_PETR4F_20151103.csv.gz",
	DATA "/b3-neg-ofer-gethfdata/NEG_OPCOES_20151126.TXT.gz",
	SPOT_GZ,
	DATA "/binance-ws-raw-hftbacktest/usdm_btcusdt_20240808.jsonl.gz",
	DATA "/win-1min-bars-wing22/WING22_1min_OLHCV.csv.gz",
};

static void t_setup(void)
{
	t_tmp_init("dmtest-gz");
}

static void t_teardown(void)
{
	t_tmp_cleanup();
}

TestSuite(feed_gzip, .init = t_setup, .fini = t_teardown, .timeout = 240);

/* Run a shell command; fail the test on a non-zero exit. */
static void t_run(const char *fmt, const char *a, const char *b)
{
	static char out[4096];
	char cmd[3 * PATH_MAX];
	snprintf(cmd, sizeof(cmd), fmt, a, b);
	int rc = t_sh(out, sizeof(out), "%s", cmd);
	cr_assert_eq(rc, 0, "%s: exit %d: %s", cmd, rc, out);
}

/* Every byte of path through the feed source (inflated when gzip), and
 * its length in *len; malloc'd. */
static char *t_src_bytes(const char *path, size_t *len)
{
	struct feed_src s;
	char err[FEED_ERR_LEN];
	size_t cap = 1 << 20, n = 0;
	char *buf = malloc(cap);
	cr_assert_not_null(buf);
	cr_assert_eq(feed_src_open(&s, path, 4096, err, sizeof(err)), 0, "%s", err);
	for (;;) {
		if (n == cap) {
			cap *= 2;
			buf = t_realloc(buf, cap);
		}
		ssize_t k = feed_src_read(&s, buf + n, cap - n);
		cr_assert_geq(k, 0, "%s: %s", path, feed_src_why(&s, (int)k));
		if (k == 0)
			break;
		n += (size_t)k;
	}
	feed_src_close(&s);
	*len = n;
	return buf;
}

static void t_assert_same_bytes(const char *got_path, const char *want_path)
{
	size_t ng, nw;
	char *g = t_src_bytes(got_path, &ng);
	char *w = t_file_text(want_path, &nw);
	cr_assert_eq(ng, nw, "%s: %zu bytes, %s has %zu", got_path, ng, want_path, nw);
	cr_assert(memcmp(g, w, nw) == 0, "%s differs from %s", got_path, want_path);
	free(g);
	free(w);
}

Test(feed_gzip, every_bundled_sample_reads_as_gzip_dc_writes_it)
{
	for (size_t i = 0; i < sizeof(gz_samples) / sizeof(gz_samples[0]); i++) {
		const char *plain = t_tmp_path("plain");
		t_run("gzip -dc < '%s' > '%s'", gz_samples[i], plain);
		struct stat st;
		cr_assert_eq(stat(plain, &st), 0);
		cr_assert_gt(st.st_size, 10000, "%s decompressed to %lld bytes", gz_samples[i],
			     (long long)st.st_size);
		t_assert_same_bytes(gz_samples[i], plain);
	}
}

/* Events and counters of a whole read. */
struct t_read {
	struct event *ev;
	size_t n, cap;
	struct feed_stats st;
};

static void t_read_all(const char *path, const struct feed_opts *o, struct t_read *r)
{
	static struct feed_reader rd;
	char err[FEED_ERR_LEN];
	struct event ev;
	int rc;

	memset(r, 0, sizeof(*r));
	rc = feed_open(&rd, path, FEED_AUTO, o, err, sizeof(err));
	cr_assert_eq(rc, 0, "feed_open(%s): %s", path, err);
	while ((rc = feed_next(&rd, &ev)) == 1) {
		if (r->n == r->cap) {
			r->cap = r->cap ? 2 * r->cap : 4096;
			r->ev = t_realloc(r->ev, r->cap * sizeof(*r->ev));
		}
		r->ev[r->n++] = ev;
	}
	cr_assert_eq(rc, 0, "%s: %s", path, feed_error(&rd));
	r->st = *feed_stats(&rd);
	feed_close(&rd);
}

static void t_assert_same_events(const char *gz, const char *plain, const struct feed_opts *o)
{
	struct t_read a, b;
	t_read_all(gz, o, &a);
	t_read_all(plain, o, &b);
	cr_assert_gt(b.n, 100, "%s: only %zu events", plain, b.n);
	cr_assert_eq(a.n, b.n, "%s: %zu events, %s %zu", gz, a.n, plain, b.n);
	for (size_t i = 0; i < a.n; i++)
		cr_assert(memcmp(&a.ev[i], &b.ev[i], sizeof(a.ev[i])) == 0, "event %zu differs", i);
	cr_assert_eq(a.st.rows, b.st.rows);
	cr_assert_eq(a.st.bytes, b.st.bytes, "inflated bytes count as the plain file's");
	cr_assert_eq(a.st.skipped, b.st.skipped);
	free(a.ev);
	free(b.ev);
}

Test(feed_gzip, lobster_pair_gzipped_reads_the_same_events)
{
	char msg[PATH_MAX], ob[PATH_MAX];
	snprintf(msg, sizeof(msg), "%s", t_tmp_path(LOB_MSG ".gz"));
	snprintf(ob, sizeof(ob), "%s", t_tmp_path(LOB_OB ".gz"));
	t_run("gzip -c < '%s' > '%s'", LOB_DIR "/" LOB_MSG, msg);
	t_run("gzip -c < '%s' > '%s'", LOB_DIR "/" LOB_OB, ob);
	struct feed_opts o = { .levels = 10, .tick = 100 };
	t_assert_same_events(msg, LOB_DIR "/" LOB_MSG, &o);
}

Test(feed_gzip, binance_capture_reads_the_same_events_as_its_plain_text)
{
	char plain[PATH_MAX];
	snprintf(plain, sizeof(plain), "%s", t_tmp_path("spot.jsonl"));
	t_run("gzip -dc < '%s' > '%s'", SPOT_GZ, plain);
	struct feed_opts o = { .levels = 5, .tick = 0.01, .lot = 0.00001 };
	t_assert_same_events(SPOT_GZ, plain, &o);
}

Test(feed_gzip, concatenated_members_read_as_their_concatenation)
{
	const char *plain = t_tmp_path("all.csv"), *cat = t_tmp_path("cat.csv.gz");
	char part[PATH_MAX];
	t_run("cp '%s' '%s'", LOB_DIR "/" LOB_OB, plain);
	/* three members of uneven size, one of them empty */
	snprintf(part, sizeof(part), "%s", t_tmp_path("p"));
	t_run("head -c 100000 '%s' | gzip -c > '%s'", plain, cat);
	t_run("printf '' | gzip -c >> '%s'%s", cat, "");
	t_run("tail -c +100001 '%s' | gzip -9 -c >> '%s'", plain, cat);
	t_assert_same_bytes(cat, plain);

	/* bytes after the last member that start no new one are ignored, as
	 * gzip ignores them (zeros, and other trailing garbage) */
	t_run("head -c 512 /dev/zero >> '%s'%s", cat, "");
	t_assert_same_bytes(cat, plain);
	const char *junk = t_tmp_path("junk.csv.gz");
	t_run("gzip -c < '%s' > '%s'", plain, junk);
	t_run("printf 'not gzip' >> '%s'%s", junk, "");
	t_assert_same_bytes(junk, plain);
}

/* A FIFO cannot be peeked: a ".gz" name says it is gzip, and the stream
 * inflates as it arrives. */
Test(feed_gzip, a_fifo_named_gz_inflates_as_it_streams)
{
	char fifo[PATH_MAX];
	static char out[256];
	snprintf(fifo, sizeof(fifo), "%s", t_tmp_path("stream.csv.gz"));
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	/* the writer blocks in open until the reader below opens; it holds
	 * nothing of t_sh's pipe meanwhile */
	cr_assert_eq(t_sh(out, sizeof(out), "(exec >/dev/null 2>&1 </dev/null; "
			  "gzip -c < '%s' > '%s' &)", LOB_DIR "/" LOB_OB, fifo), 0, "%s", out);
	t_assert_same_bytes(fifo, LOB_DIR "/" LOB_OB);
}

/* Read every line of path through the feed source; the first error. */
static int t_read_lines(const char *path, char *why, size_t n)
{
	struct feed_src s;
	char err[FEED_ERR_LEN], *l;
	size_t len;
	int rc;
	cr_assert_eq(feed_src_open(&s, path, FEED_DEF_LINE_MAX, err, sizeof(err)), 0, "%s", err);
	while ((rc = feed_src_line(&s, &l, &len)) == 1 || rc == -E2BIG)
		;
	snprintf(why, n, "%s", rc < 0 ? feed_src_why(&s, rc) : "");
	feed_src_close(&s);
	return rc;
}

/* The compressed offset a message names. */
static uint64_t t_offset_in(const char *why)
{
	const char *p = strstr(why, "compressed byte ");
	cr_assert_not_null(p, "no offset in '%s'", why);
	return strtoull(p + strlen("compressed byte "), NULL, 10);
}

/* A copy of SPOT_GZ: cut to n bytes (n > 0), or with byte at flipped. */
static const char *t_damaged(const char *name, size_t cut, long at, unsigned char mask)
{
	const char *path = t_tmp_path(name);
	size_t len;
	unsigned char *b = (unsigned char *)t_file_text(SPOT_GZ, &len);
	if (at >= 0)
		b[at] ^= mask;
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(b, 1, cut ? cut : len, f), cut ? cut : len);
	fclose(f);
	free(b);
	return path;
}

Test(feed_gzip, truncated_and_corrupt_streams_are_bad_input_at_their_offset)
{
	char why[256];
	struct stat st;
	cr_assert_eq(stat(SPOT_GZ, &st), 0);
	size_t size = (size_t)st.st_size;

	/* cut inside the deflate data: the stream ends where the file does */
	const char *cut = t_damaged("cut.jsonl.gz", 700000, -1, 0);
	cr_assert_eq(t_read_lines(cut, why, sizeof(why)), -DM_ECORRUPT);
	cr_assert(strstr(why, "ends inside member 1"), "%s", why);
	cr_assert_eq(t_offset_in(why), 700000, "%s", why);

	/* cut inside the 8-byte trailer */
	cut = t_damaged("trailer.jsonl.gz", size - 3, -1, 0);
	cr_assert_eq(t_read_lines(cut, why, sizeof(why)), -DM_ECORRUPT);
	cr_assert_eq(t_offset_in(why), size - 3, "%s", why);

	/* reserved header flag bits set (byte 3 of the member) */
	const char *flg = t_damaged("flags.jsonl.gz", 0, 3, 0xe0);
	cr_assert_eq(t_read_lines(flg, why, sizeof(why)), -DM_ECORRUPT);
	cr_assert(strstr(why, "unknown header flags set"), "%s", why);
	cr_assert(t_offset_in(why) >= 3 && t_offset_in(why) <= 10, "%s", why);

	/* a damaged byte in the data: refused at or after it, the CRC at the
	 * latest */
	for (long at = 1000; at < (long)size - 100; at += 97003) {
		char name[64];
		snprintf(name, sizeof(name), "bit%ld.jsonl.gz", at);
		const char *bad = t_damaged(name, 0, at, 0x10);
		cr_assert_eq(t_read_lines(bad, why, sizeof(why)), -DM_ECORRUPT, "byte %ld", at);
		cr_assert(strstr(why, "corrupt gzip data at compressed byte"), "%s", why);
		uint64_t off = t_offset_in(why);
		cr_assert(off >= (uint64_t)at && off <= size, "byte %ld damaged, refused at %"
			  PRIu64 ": %s", at, off, why);
	}
}

/* Every tool that reads a feed: exit 2, the file and the offset named. */
Test(feed_gzip, every_feed_tool_exits_2_naming_file_and_offset)
{
	const char *bin = t_bin_dir();
	const char *cut = t_damaged("spot_cut.jsonl.gz", 700000, -1, 0);
	const char *flg = t_damaged("spot_flags.jsonl.gz", 0, 3, 0xe0);
	const char *site = t_tmp_path("site.yaml");
	char root[PATH_MAX], text[2 * PATH_MAX];
	static char out[1 << 16];

	cr_assert_not_null(getcwd(root, sizeof(root)));
	/* the spot profile without a model, its risk limits named absolutely */
	snprintf(text, sizeof(text),
		 "instrument: {symbol: BTCUSDT, tick_size: 0.01, price_decimals: 2,\n"
		 "  lot_size: 0.000001, currency: USDT, point_value: 0.000001,\n"
		 "  utc_offset_minutes: 0, session_open: \"00:00\", session_close: \"23:59:59\",\n"
		 "  ash_wednesday_open: \"00:00\"}\n"
		 "venue: {currency: USDT, fee_per_lot: 0.000062}\n"
		 "risk: {limits: %s/conf/instruments/risk/btcusdt-spot.yaml}\n"
		 "strategy: {model: \"\"}\n"
		 "system: {run_dir: %s/run}\n", root, t_tmp_dir);
	t_write_file(site, text);

	const char *files[] = { cut, flg };
	for (size_t i = 0; i < 2; i++) {
		const char *f = files[i];
		char want[PATH_MAX + 64];
		snprintf(want, sizeof(want), "%s: ", f);
		const char *cmds[] = {
			"'%s/dm-convert' --input '%s' --output '%s.journal' --quiet",
			"'%s/dm-features' --input '%s' --output '%s.csv'",
			"'%s/dm-inspect' '%s'%s",
			"'%s/dm-inspect' --list-symbols '%s'%s",
			"'%s/dm-hawkes-fit' --input '%s'%s",
			"'%s/dm-backtest' --input '%s' -c '%s' --quiet",
		};
		for (size_t k = 0; k < sizeof(cmds) / sizeof(cmds[0]); k++) {
			const char *third = strstr(cmds[k], "-c '%s'") ? site :
					    strstr(cmds[k], "%s'%s") ? "" : t_tmp_path("out");
			char cmd[4 * PATH_MAX];
			snprintf(cmd, sizeof(cmd), cmds[k], bin, f, third);
			int rc = t_sh(out, sizeof(out), "%s", cmd);
			cr_expect_eq(rc, 2, "%s: exit %d: %s", cmd, rc, out);
			cr_expect(strstr(out, want) && strstr(out, "compressed byte"),
				  "%s: %s", cmd, out);
		}
		int rc = t_sh(out, sizeof(out), "DM_BIN='%s' DM_SHM_NAME=/dmtest-gz-%d "
			      "TMPDIR='%s' tools/dmctl -c '%s' run --input '%s'", bin, (int)getpid(),
			      t_tmp_dir, site, f);
		cr_expect_eq(rc, 2, "dmctl run %s: exit %d: %s", f, rc, out);
		cr_expect(strstr(out, want) && strstr(out, "compressed byte"), "dmctl run: %s", out);
	}
}
