/*
 * test_lobster_rebuild.c — the LOBSTER sample rebuilt from its message
 * file alone must give every row of its orderbook file, and the reader's
 * fast path must agree with its exact path.
 *
 * Rebuild (a reference check of the data and of the reader).  The book is
 * seeded with the first orderbook row (the book after message 1); the
 * orders resting at that point are unknown one by one, so the rebuild
 * keeps level sizes: a submit (type 1) adds its size at its price, a
 * partial cancel (2), a delete (3) and a visible execution (4) take
 * theirs off, a hidden execution (5), a cross (6) and a halt (7) change
 * nothing.  Orders submitted inside the file are also tracked one by one
 * to check that later messages about them agree (same side and price,
 * never more than what rests, a delete takes exactly the rest).  The
 * messages are parsed here with sscanf; the orderbook rows are the
 * reader's book events (feed_next, 10 levels, 1 tick = 1 cent).
 *
 * Depth.  The file shows 10 levels per side, and LOBSTER's message file
 * only holds the messages that change those 10: what happens to a level
 * while it sits deeper is not in it.  So at each row the rebuild knows
 * every size exactly down to a frontier, the last level of the row
 * before; beyond it there is nothing to check against.  Row k must equal
 * the rebuild (row k-1 with message k applied) on every level inside that
 * frontier, and must show no fewer of them; a level that slides into view
 * from beyond it is taken from the file (as the issue asks), and a level
 * pushed out past the 10th is forgotten.
 *
 * Fast path.  The reader parses plain rows in one pass and sends anything
 * unusual to its exact parser.  The same random rows (valid, bad, dummy
 * levels, executions, odd numbers) are written twice: plainly, and with a
 * space before every field, which the exact parser accepts and the fast
 * path never does.  Both files must give the same events and counters.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libcore/feed/feed.h"
#include "tests/helpers.h"

#define DATA    "tests/data"
#define LOB_DIR DATA "/lobster-aapl-20120621-excerpt"
#define LOB_MSG LOB_DIR "/AAPL_2012-06-21_34200000_57600000_message_10.csv"

#define NROWS   999
#define DEPTH   10
#define MAXLV   (DEPTH + NROWS + 8) /* levels a side can ever hold here */

/* ------------------------------------------------------------ messages */

struct t_msg {
	int     type, dir;
	int64_t oid, size, px; /* px in ticks (cents) */
};

static size_t t_load_messages(struct t_msg *m, size_t max)
{
	FILE *f = fopen(LOB_MSG, "r");
	char line[256];
	size_t n = 0;

	cr_assert_not_null(f, "%s: %s", LOB_MSG, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		double t;
		long long oid, size, px;
		int type, dir;
		cr_assert_eq(sscanf(line, "%lf,%d,%lld,%lld,%lld,%d", &t, &type, &oid, &size,
				    &px, &dir), 6, "message line %zu: %s", n + 1, line);
		cr_assert_lt(n, max);
		cr_assert_eq(px % 100, 0, "message %zu: price %lld not whole cents", n + 1, px);
		m[n++] = (struct t_msg){ type, dir, oid, size, px / 100 };
	}
	fclose(f);
	return n;
}

/* ------------------------------------------------------------ rebuilt book */

/* One side: every level the rebuild holds, best first.  Inside the
 * frontier (the last level the file showed) sizes are exact (> 0); a
 * message beyond it leaves a net change there (any sign, 0 kept) that
 * means nothing: the level is taken from the file if it comes into view. */
struct t_side {
	int     bid;          /* 1 bids (best = highest), 0 asks */
	int     whole;        /* every level known: no frontier */
	int64_t frontier;     /* worst price known exactly (if !whole) */
	uint32_t n;
	struct book_level lv[MAXLV];
};

/* a is better than b on this side */
static int t_better(const struct t_side *s, int64_t a, int64_t b)
{
	return s->bid ? a > b : a < b;
}

static int t_inside(const struct t_side *s, int64_t px)
{
	return s->whole || !t_better(s, s->frontier, px); /* px at or before it */
}

static void t_del_at(struct t_side *s, uint32_t i)
{
	memmove(&s->lv[i], &s->lv[i + 1], sizeof(s->lv[0]) * (s->n - i - 1));
	s->n--;
}

static void t_seed(struct t_side *s, int bid, const struct book_level *lv, uint32_t n);

/* Add d to the level at px (created at its place when absent). */
static void t_add(struct t_side *s, int64_t px, int64_t d, size_t msg)
{
	uint32_t i = 0;
	while (i < s->n && t_better(s, s->lv[i].px, px))
		i++;
	if (i == s->n || s->lv[i].px != px) {
		cr_assert_lt(s->n, MAXLV);
		memmove(&s->lv[i + 1], &s->lv[i], sizeof(s->lv[0]) * (s->n - i));
		s->lv[i] = (struct book_level){ px, 0 };
		s->n++;
	}
	s->lv[i].qty += d;
	if (t_inside(s, px)) {
		cr_assert_geq(s->lv[i].qty, 0, "message %zu: level %ld goes negative (%ld)",
			      msg, (long)px, (long)s->lv[i].qty);
		if (s->lv[i].qty == 0)
			t_del_at(s, i);
	}
}

static void t_seed(struct t_side *s, int bid, const struct book_level *lv, uint32_t n)
{
	memset(s, 0, sizeof(*s));
	s->bid = bid;
	memcpy(s->lv, lv, sizeof(lv[0]) * n);
	s->n = n;
	s->whole = n < DEPTH;
	s->frontier = n ? lv[n - 1].px : 0;
}

/*
 * Row k = the file's levels of this side (n <= DEPTH, best first).  Every
 * level inside the frontier (row k-1's last level) is one the rebuild
 * knows exactly, so row k must list exactly the rebuild's levels there, in
 * order; its levels beyond are taken from the file.  Then the rebuild
 * becomes row k (levels pushed past the depth are forgotten: LOBSTER's
 * message file leaves out what happens to them there).  Returns the
 * number of levels adopted.
 */
static uint32_t t_check_side(struct t_side *s, const struct book_level *row, uint32_t n,
			     size_t k, const char *name)
{
	uint32_t m = 0, known = 0;

	while (m < n && t_inside(s, row[m].px))
		m++;
	while (known < s->n && t_inside(s, s->lv[known].px))
		known++;
	for (uint32_t i = 0; i < m; i++) {
		cr_assert_lt(i, known, "row %zu %s level %u (%ld x %ld): the rebuild has "
			     "only %u levels", k + 1, name, i + 1, (long)row[i].px,
			     (long)row[i].qty, known);
		cr_assert(s->lv[i].px == row[i].px && s->lv[i].qty == row[i].qty,
			  "row %zu %s level %u: file %ld x %ld, rebuild %ld x %ld", k + 1, name,
			  i + 1, (long)row[i].px, (long)row[i].qty, (long)s->lv[i].px,
			  (long)s->lv[i].qty);
	}
	/* a known level missing from a row that still has room for it */
	cr_assert(known == m || (n == DEPTH && m == DEPTH),
		  "row %zu %s: the rebuild's level %u (%ld x %ld) is not in the file",
		  k + 1, name, m + 1, (long)s->lv[m].px, (long)s->lv[m].qty);
	t_seed(s, s->bid, row, n);
	return n - m;
}

/* ------------------------------------------------------------ orders */

struct t_order {
	int64_t oid, px, left;
	int     dir;
	int     used;
};

static struct t_order *t_find(struct t_order *o, size_t n, int64_t oid)
{
	for (size_t i = 0; i < n; i++)
		if (o[i].used && o[i].oid == oid)
			return &o[i];
	return NULL;
}

/* ------------------------------------------------------------ rebuild */

TestSuite(lobster_rebuild);

Test(lobster_rebuild, message_file_alone_gives_every_orderbook_row)
{
	if (access(LOB_MSG, R_OK) != 0) {
		cr_fatal("%s absent: the real-data tests need the bundled tests/data "
			 "(run from the repository root)", LOB_MSG);
		return;
	}
	static struct t_msg msg[NROWS + 8];
	static struct event rows[NROWS + 8];
	static struct t_side side[2];
	static struct t_order ord[NROWS + 8];
	size_t nm = t_load_messages(msg, NROWS + 8), nr = 0, no = 0;
	struct feed_opts o = { .tick = 100, .levels = DEPTH };
	struct feed_reader r;
	struct event ev;
	char err[512];
	int rc;

	cr_assert_eq(nm, NROWS);
	cr_assert_eq(feed_open(&r, LOB_MSG, FEED_LOBSTER, &o, err, sizeof(err)), 0, "%s", err);
	while ((rc = feed_next(&r, &ev)) == 1)
		if (ev.kind == EV_BOOK) {
			cr_assert_lt(nr, NROWS + 8);
			rows[nr++] = ev;
		}
	cr_assert_eq(rc, 0, "%s", feed_error(&r));
	cr_assert_eq(feed_stats(&r)->skipped, 0);
	feed_close(&r);
	cr_assert_eq(nr, NROWS);

	/* row 0 is the book after message 0 */
	t_seed(&side[BOOK_BID], 1, rows[0].book.bid, rows[0].book.n_bid);
	t_seed(&side[BOOK_ASK], 0, rows[0].book.ask, rows[0].book.n_ask);
	uint32_t adopted = 0, unknown = 0, in_file = 0;
	uint32_t by_type[8] = { 0 };
	if (msg[0].type == 1)
		ord[no++] = (struct t_order){ msg[0].oid, msg[0].px, msg[0].size, msg[0].dir, 1 };

	for (size_t k = 1; k < NROWS; k++) {
		const struct t_msg *m = &msg[k];
		struct t_side *s = &side[m->dir == 1 ? BOOK_BID : BOOK_ASK];
		struct t_order *od = t_find(ord, no, m->oid);

		cr_assert(m->type >= 1 && m->type <= 7, "message %zu: type %d", k + 1, m->type);
		by_type[m->type]++;
		switch (m->type) {
		case 1:
			cr_assert_null(od, "message %zu: order %ld submitted twice", k + 1,
				       (long)m->oid);
			ord[no++] = (struct t_order){ m->oid, m->px, m->size, m->dir, 1 };
			t_add(s, m->px, m->size, k + 1);
			break;
		case 2: case 3: case 4:
			if (od) { /* an order of this file: the message must agree */
				in_file++;
				cr_assert(od->dir == m->dir && od->px == m->px,
					  "message %zu: order %ld is %d @ %ld, message says %d @ %ld",
					  k + 1, (long)m->oid, od->dir, (long)od->px, m->dir,
					  (long)m->px);
				cr_assert_leq(m->size, od->left, "message %zu: takes %ld of %ld",
					      k + 1, (long)m->size, (long)od->left);
				od->left -= m->size;
				if (m->type == 3)
					cr_assert_eq(od->left, 0, "message %zu: delete leaves %ld",
						     k + 1, (long)od->left);
				if (od->left == 0)
					od->used = 0;
			} else {
				unknown++; /* resting before the excerpt: level size only */
			}
			t_add(s, m->px, -m->size, k + 1);
			break;
		default: /* 5 hidden execution, 6 cross, 7 halt: no visible change */
			break;
		}
		adopted += t_check_side(&side[BOOK_BID], rows[k].book.bid, rows[k].book.n_bid,
					k, "bid");
		adopted += t_check_side(&side[BOOK_ASK], rows[k].book.ask, rows[k].book.n_ask,
					k, "ask");
	}
	/* the PROVENANCE counts: 471 submits, 369 deletes, 98 + 61 executions */
	cr_assert_eq(by_type[1] + (msg[0].type == 1), 471);
	cr_assert_eq(by_type[3], 369);
	cr_assert_eq(by_type[4], 98);
	cr_assert_eq(by_type[5], 61);
	cr_log_info("LOBSTER rebuild: %d rows equal; %u messages on orders of the file, %u on "
		    "orders resting before it; %u levels taken from the file as they slid "
		    "into view from beyond its 10", NROWS - 1, in_file, unknown, adopted);
}

/* ------------------------------------------------------------ fast path */

TestSuite(lobster_fast_path);

static void t_mkdir(void)
{
	t_tmp_init("dmlobfast");
}

static void t_rmdir(void)
{
	t_tmp_cleanup();
}

/* A number field in one of several spellings, plain or not. */
static void t_num(FILE *f, struct t_rng *g, int64_t v, int pad)
{
	uint64_t c = t_rng_below(g, 100);
	if (pad)
		fputc(' ', f);
	if (c < 2)
		fprintf(f, "%lld.0", (long long)v);     /* exact path only */
	else if (c < 4 && v >= 0)
		fprintf(f, "+%lld", (long long)v);      /* exact path only */
	else if (c < 6 && v >= 0)
		fprintf(f, "00%lld", (long long)v);     /* leading zeros */
	else
		fprintf(f, "%lld", (long long)v);
}

/* nrows random row pairs of n levels, the same draws for both files */
static void t_write_pair(const char *dir, const char *tag, int n, long nrows,
			 uint64_t seed, int pad, int lot)
{
	char mp[256], op[256];
	snprintf(mp, sizeof(mp), "%s/%s%s_2012-06-21_0_0_message_%d.csv", dir, tag,
		 pad ? "P" : "F", n);
	snprintf(op, sizeof(op), "%s/%s%s_2012-06-21_0_0_orderbook_%d.csv", dir, tag,
		 pad ? "P" : "F", n);
	FILE *m = fopen(mp, "w"), *o = fopen(op, "w");
	cr_assert(m && o);
	struct t_rng g;
	t_rng_seed(&g, seed);

	for (long i = 0; i < nrows; i++) {
		uint64_t c = t_rng_below(&g, 1000);
		int type = 1 + (int)t_rng_below(&g, 7);
		int dir = t_rng_below(&g, 20) == 0 ? 0 : t_rng_below(&g, 2) ? 1 : -1;
		int64_t size = lot * (1 + (int64_t)t_rng_below(&g, 500));
		int64_t px = 5850000 + 100 * (int64_t)t_rng_below(&g, 200);
		if (c < 5)
			size += 1 + (lot > 1);            /* off the lot grid (lot > 1) */
		if (c >= 5 && c < 10)
			px += 50;                         /* off the cent grid */
		/* time: 1..9 decimals, or none */
		int dec = (int)t_rng_below(&g, 10);
		if (pad)
			fputc(' ', m);
		fprintf(m, "%ld", 34200 + i / 1000);
		if (dec) {
			long p10 = 1;
			for (int d = 0; d < dec; d++)
				p10 *= 10;
			fprintf(m, ".%0*ld", dec, (long)t_rng_below(&g, (uint64_t)p10));
		}
		fputc(',', m);
		t_num(m, &g, type, pad);
		fputc(',', m);
		t_num(m, &g, 1000 + i, pad);
		fputc(',', m);
		t_num(m, &g, size, pad);
		fputc(',', m);
		t_num(m, &g, px, pad);
		fputc(',', m);
		t_num(m, &g, dir, pad);
		if (c >= 10 && c < 14)
			fputs(",7", m);                   /* field count */
		fputc('\n', m);

		int64_t ask = 5860000 + 100 * (int64_t)t_rng_below(&g, 20);
		int64_t bid = ask - 100 * (1 + (int64_t)t_rng_below(&g, 3));
		int empty_from = t_rng_below(&g, 10) == 0 ? (int)t_rng_below(&g, (uint64_t)n) : n;
		for (int k = 0; k < n; k++) {
			int64_t ap = ask + 100 * k, bp = bid - 100 * k;
			int64_t as = lot * (1 + (int64_t)t_rng_below(&g, 900));
			int64_t bs = lot * (1 + (int64_t)t_rng_below(&g, 900));
			if (k >= empty_from) { /* LOBSTER's dummy levels */
				ap = 9999999999LL;
				bp = -9999999999LL;
				as = bs = 0;
			}
			uint64_t d = t_rng_below(&g, 2000);
			if (d == 0)
				ap = bid - 100;                   /* crossed order: bad */
			else if (d == 1)
				as = -as;                         /* negative size: bad */
			else if (d == 2)
				bp = -bp;                         /* negative price: taken */
			else if (d == 3)
				ap = 99999999999999999LL;         /* 17 digits */
			if (k)
				fputc(',', o);
			t_num(o, &g, ap, pad);
			fputc(',', o);
			t_num(o, &g, as, pad);
			fputc(',', o);
			t_num(o, &g, bp, pad);
			fputc(',', o);
			t_num(o, &g, bs, pad);
		}
		if (c >= 14 && c < 16)
			fputs(",1", o);                   /* field count */
		fputc('\n', o);
	}
	cr_assert_eq(fclose(m), 0);
	cr_assert_eq(fclose(o), 0);
}

static void t_same(const char *tag, int n, long nrows, uint64_t seed, int lot,
		   uint32_t levels)
{
	char fp[256], pp[256];
	struct feed_reader a, b;
	struct feed_opts o = { .tick = 100, .lot = lot, .levels = levels };
	struct event ea, eb;
	char err[512];
	long k = 0, trades = 0;
	int ra, rb;

	t_write_pair(t_tmp_dir, tag, n, nrows, seed, 0, lot);
	t_write_pair(t_tmp_dir, tag, n, nrows, seed, 1, lot);
	snprintf(fp, sizeof(fp), "%s/%sF_2012-06-21_0_0_message_%d.csv", t_tmp_dir, tag, n);
	snprintf(pp, sizeof(pp), "%s/%sP_2012-06-21_0_0_message_%d.csv", t_tmp_dir, tag, n);
	cr_assert_eq(feed_open(&a, fp, FEED_AUTO, &o, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(feed_open(&b, pp, FEED_AUTO, &o, err, sizeof(err)), 0, "%s", err);
	for (;;) {
		ra = feed_next(&a, &ea);
		rb = feed_next(&b, &eb);
		cr_assert_eq(ra, rb, "event %ld: %d vs %d", k, ra, rb);
		if (ra != 1)
			break;
		cr_assert(memcmp(&ea, &eb, sizeof(ea)) == 0,
			  "event %ld (kind %u, line %lu) differs between the fast and the "
			  "exact path", k, ea.kind, (unsigned long)feed_stats(&a)->rows);
		trades += ea.kind == EV_TRADE;
		k++;
	}
	cr_assert_eq(ra, 0);
	const struct feed_stats *sa = feed_stats(&a), *sb = feed_stats(&b);
	cr_assert_eq(sa->rows, sb->rows);
	cr_assert_eq(sa->skipped, sb->skipped);
	cr_assert_eq(sa->first_bad_line, sb->first_bad_line);
	cr_assert_gt(sa->skipped, nrows / 100, "the draws make bad rows too");
	cr_assert_gt(k, nrows / 2);
	cr_assert_gt(trades, nrows / 20);
	cr_log_info("fast vs exact, %d levels, lot %d: %ld events, %lu bad rows alike", n, lot,
		    k, (unsigned long)sa->skipped);
	feed_close(&a);
	feed_close(&b);
}

Test(lobster_fast_path, agrees_with_the_exact_path, .init = t_mkdir, .fini = t_rmdir)
{
	t_same("A", 10, 20000, 1, 1, 10);
	t_same("B", 3, 20000, 2, 1, 20);
	t_same("C", 10, 20000, 3, 100, 4);
	t_same("D", 1, 20000, 4, 1, 1);
}
