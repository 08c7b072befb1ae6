/*
 * dm-journal — any journal the system writes, as rows; and a run
 * directory's journals as the four CSV files of a run.
 *
 *   dm-journal FILE [--csv | --json] [--market JOURNAL | -c CONF]
 *   dm-journal --run-dir DIR [--market JOURNAL] [--out DIR] [--summary FILE] [--json]
 *
 * FILE is a market journal (rows of events), a decisions journal (the rows
 * of decisions.csv) or an orders journal (one row per order sent and per
 * execution report).  Prices are written in the instrument's own unit: the
 * file's header names the instrument (market journals), else --market's
 * header or CONF's instrument section does.  --json writes one JSON object
 * per line with the same keys as the CSV columns.
 *
 * --run-dir writes fills.csv, orders.csv, decisions.csv, equity.csv and
 * tca.csv (libcore/report/report.h and tca.h: the same code an in-process
 * backtest writes them with) from DIR's decisions.journal and
 * orders.journal and the market journal the run replayed (default
 * DIR/market.journal), into --out (default DIR), and prints what it wrote;
 * --summary FILE adds the transaction costs' aggregate to FILE ("tca").
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agents/rt/view.h"
#include "libcore/cli/cli.h"
#include "libcore/config/config.h"
#include "libcore/exec/exec.h"
#include "libcore/market/instrument.h"
#include "libcore/journal/journal.h"
#include "libcore/report/report.h"
#include "libcore/vote/role.h"
#include "libcore/vote/vote.h"
#include "tools/lib/files.h"

#define MAX_OPEN 4096u /* orders followed at once by --run-dir */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dm-journal FILE [--csv | --json] [--market JOURNAL | -c CONF]\n"
		"       dm-journal --run-dir DIR [--market JOURNAL] [--out DIR] [--summary FILE]\n"
		"                  [--json]\n"
		"\n"
		"Any journal the system writes, as rows: a market journal (one row per\n"
		"event), decisions.journal (the rows of decisions.csv) or orders.journal\n"
		"(one row per order sent and per execution report).  Prices in the\n"
		"instrument's own unit, money exact.\n"
		"\n"
		"  --csv             CSV with a header line (the default)\n"
		"  --json            one JSON object per row, one per line, keys as the\n"
		"                    CSV columns (--run-dir: the summary as JSON)\n"
		"  --market JOURNAL  the market journal whose header names the instrument\n"
		"                    (--run-dir: the market the run replayed; default\n"
		"                    DIR/market.journal)\n"
		"  -c, --config CONF the instrument of CONF instead\n"
		"  --run-dir DIR     write fills.csv, orders.csv, decisions.csv,\n"
		"                    equity.csv and tca.csv (transaction costs of each\n"
		"                    fill, docs/tca.md) of the run in DIR from its\n"
		"                    journals (docs/operations.md lists the columns)\n"
		"  --out DIR         where --run-dir writes them (default DIR)\n"
		"  --summary FILE    --run-dir: add the transaction costs' aggregate as\n"
		"                    \"tca\" to the JSON object in FILE (a run's\n"
		"                    summary.json), rewritten whole\n"
		"  -h, --help        this text\n"
		"      --version     the release and the layout words\n"
		"\n"
		"exit: 0 ok, 1 runtime failure, 2 bad usage or a journal that does not read\n");
}

/* ------------------------------------------------------------ rows */

enum col_kind { C_NUM, C_STR };

struct row {
	int n;
	const char *key[24];
	char val[24][512];
	uint8_t kind[24];
};

static void add(struct row *r, const char *key, enum col_kind k, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void add(struct row *r, const char *key, enum col_kind k, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	r->key[r->n] = key;
	r->kind[r->n] = (uint8_t)k;
	if (vsnprintf(r->val[r->n], sizeof(r->val[0]), fmt, ap) < 0)
		r->val[r->n][0] = '\0';
	va_end(ap);
	r->n++;
}

static int print_row(const struct row *r, int json, int *header_done)
{
	if (json) {
		json_t *o = json_object();
		for (int i = 0; i < r->n; i++) {
			json_t *v;
			if (!r->val[i][0])
				v = json_null();
			else if (r->kind[i] == C_NUM)
				v = json_loads(r->val[i], JSON_DECODE_ANY, NULL);
			else
				v = json_string(r->val[i]);
			json_object_set_new(o, r->key[i], v ? v : json_string(r->val[i]));
		}
		int rc = json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(o);
		return rc < 0 || putchar('\n') == EOF ? -EIO : 0;
	}
	if (!*header_done) {
		for (int i = 0; i < r->n; i++)
			printf("%s%s", i ? "," : "", r->key[i]);
		putchar('\n');
		*header_done = 1;
	}
	for (int i = 0; i < r->n; i++)
		printf("%s%s", i ? "," : "", r->val[i]);
	return putchar('\n') == EOF ? -EIO : 0;
}

static void px(const struct instrument *in, int64_t ticks, char *buf, size_t n)
{
	int64_t pts;
	if (instr_ticks_to_pts(in, ticks, &pts) < 0)
		snprintf(buf, n, "?");
	else
		instr_pts_format(in, pts, buf, n);
}

static void event_row(struct row *r, const struct instrument *in, uint64_t seq,
		      const struct event *ev)
{
	char b[48] = "", a[48] = "", t[48] = "";
	r->n = 0;
	add(r, "seq", C_NUM, "%" PRIu64, seq);
	add(r, "kind", C_STR, "%s", ev->kind == EV_BOOK ? "book" : "trade");
	add(r, "exch_ns", C_NUM, "%" PRId64, ev->exch_ns);
	add(r, "recv_ns", C_NUM, "%" PRId64, ev->recv_ns);
	int book = ev->kind == EV_BOOK;
	if (book && ev->book.n_bid)
		px(in, ev->book.bid[0].px, b, sizeof(b));
	if (book && ev->book.n_ask)
		px(in, ev->book.ask[0].px, a, sizeof(a));
	add(r, "bid", C_NUM, "%s", b);
	add(r, "bid_qty", C_NUM, "%s", "");
	if (book && ev->book.n_bid)
		snprintf(r->val[r->n - 1], sizeof(r->val[0]), "%" PRId64, (int64_t)ev->book.bid[0].qty);
	add(r, "ask", C_NUM, "%s", a);
	add(r, "ask_qty", C_NUM, "%s", "");
	if (book && ev->book.n_ask)
		snprintf(r->val[r->n - 1], sizeof(r->val[0]), "%" PRId64, (int64_t)ev->book.ask[0].qty);
	add(r, "levels_bid", C_NUM, "%u", book ? ev->book.n_bid : 0u);
	add(r, "levels_ask", C_NUM, "%u", book ? ev->book.n_ask : 0u);
	if (!book)
		px(in, ev->trade.px, t, sizeof(t));
	add(r, "trade_price", C_NUM, "%s", t);
	add(r, "trade_qty", C_NUM, "%s", "");
	if (!book)
		snprintf(r->val[r->n - 1], sizeof(r->val[0]), "%" PRId64, ev->trade.qty);
	add(r, "aggressor", C_STR, "%s",
	    book ? "" : ev->trade.aggressor > 0 ? "buy" : ev->trade.aggressor < 0 ? "sell" : "unknown");
}

static const char *side_name(int s)
{
	return s > 0 ? "buy" : s < 0 ? "sell" : "?";
}

static void money(int64_t e9, char *buf, size_t n)
{
	instr_money_format(e9, buf, n);
}

/* orders.journal: a JREC_ORDER or a JREC_EXEC as one row of the same columns */
static void order_rec_row(struct row *r, const struct instrument *in, uint64_t seq,
			  const struct msg_order *o, const struct msg_exec_report *x)
{
	char p[48] = "", fee[40] = "";
	r->n = 0;
	add(r, "seq", C_NUM, "%" PRIu64, seq);
	add(r, "record", C_STR, "%s", o ? "order" : "exec");
	add(r, "venue_ns", C_NUM, "%s", "");
	if (x)
		snprintf(r->val[r->n - 1], sizeof(r->val[0]), "%" PRId64, x->venue_ns);
	add(r, "client_order_id", C_NUM, "%" PRIu64, o ? o->client_order_id : x->client_order_id);
	add(r, "decision_id", C_NUM, "%" PRIu64, o ? o->decision_id : x->decision_id);
	add(r, "side", C_STR, "%s", side_name(o ? o->side : x->side));
	if (o) {
		if (o->ord_type != ORD_MARKET)
			px(in, o->px, p, sizeof(p));
		add(r, "qty", C_NUM, "%" PRId32, o->qty);
		add(r, "price", C_NUM, "%s", p);
		add(r, "ord_type", C_STR, "%s", o->ord_type == ORD_MARKET ? "market" : "limit");
		add(r, "tif", C_STR, "%s",
		    o->tif == TIF_IOC ? "ioc" : o->tif == TIF_FOK ? "fok" : "day");
		add(r, "flatten", C_NUM, "%d", (o->hdr.flags & MSG_F_FLATTEN) ? 1 : 0);
		for (int i = 0; i < 8; i++)
			add(r, (const char *[]){ "status", "exec_id", "last_qty", "last_price",
						 "cum_qty", "leaves_qty", "fee", "reason" }[i],
			    i == 0 || i == 7 ? C_STR : C_NUM, "%s", "");
		return;
	}
	if (x->last_qty > 0)
		px(in, x->last_px, p, sizeof(p));
	money(x->fee_e9, fee, sizeof(fee));
	add(r, "qty", C_NUM, "%s", "");
	add(r, "price", C_NUM, "%s", "");
	add(r, "ord_type", C_STR, "%s", "");
	add(r, "tif", C_STR, "%s", "");
	add(r, "flatten", C_NUM, "%s", "");
	add(r, "status", C_STR, "%s", exec_status_name(x->status));
	add(r, "exec_id", C_NUM, "%" PRIu64, x->exec_id);
	add(r, "last_qty", C_NUM, "%" PRId32, x->last_qty);
	add(r, "last_price", C_NUM, "%s", p);
	add(r, "cum_qty", C_NUM, "%" PRId32, x->cum_qty);
	add(r, "leaves_qty", C_NUM, "%" PRId32, x->leaves_qty);
	add(r, "fee", C_NUM, "%s", fee);
	add(r, "reason", C_STR, "%s", x->reason ? exec_reason_name(x->reason) : "");
}

/* decisions.journal as JSON: the decisions.csv columns (t_ns on the market
 * clock), votes as an array, and decided_ns (local) */
static int decision_json(const struct instrument *in, const struct vote_record *d)
{
	char p[48] = "";
	if (d->ord_type != ORD_MARKET)
		px(in, d->px, p, sizeof(p));
	json_t *votes = json_array();
	uint32_t nv = d->n_voters < VOTE_MAX_VOTERS ? d->n_voters : VOTE_MAX_VOTERS;
	for (uint32_t i = 0; i < nv; i++) {
		uint32_t a = d->v[i].voter;
		json_array_append_new(votes, json_pack("{s:s, s:s, s:s}",
			"voter", a < ROLE_COUNT ? role_names[a] : "?",
			"verdict", vote_verdict_name(d->v[i].verdict),
			"reason", vote_reason_name(d->v[i].reason)));
	}
	json_t *o = json_pack("{s:I, s:I, s:s, s:s, s:s, s:i, s:o, s:o, s:o, s:o, s:I, s:I}",
		"decision_id", (json_int_t)d->decision_id,
		"intent_id", (json_int_t)d->intent_id,
		"outcome", d->outcome == VOTE_RELEASE ? "released" : "blocked",
		"reason", vote_reason_name(d->reason),
		"side", side_name(d->side),
		"qty", (int)d->qty,
		"price", p[0] ? json_loads(p, JSON_DECODE_ANY, NULL) : json_null(),
		"client_order_id", d->client_order_id ? json_integer((json_int_t)d->client_order_id)
						      : json_null(),
		"decisive", d->decisive >= 0 && (uint32_t)d->decisive < nv &&
				    d->v[d->decisive].voter < ROLE_COUNT
			    ? json_string(role_names[d->v[d->decisive].voter]) : json_null(),
		"votes", votes,
		"t_ns", (json_int_t)vote_record_time_ns(d),
		"decided_ns", (json_int_t)d->decided_ns);
	int rc = o ? json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER) : -1;
	json_decref(o);
	return rc < 0 || putchar('\n') == EOF ? -EIO : 0;
}

/* ------------------------------------------------------------ instrument */

/* The instrument prices are written in: FILE's header, else --market's,
 * else CONF's.  0, or exit code 2 after a message. */
static int pick_instrument(const struct journal_reader *jr, const char *file,
			   const char *market, const char *conf, struct instrument *in)
{
	char err[512];
	if (market) {
		struct journal_reader m;
		int rc = journal_open_read(&m, market, 0);
		if (rc < 0)
			return cli_fail(2, "--market %s: not a readable journal: %s", market,
					dm_strerror(rc));
		rc = report_instrument_from_header(&m.hdr, in, err, sizeof(err));
		journal_reader_close(&m);
		return rc < 0 ? cli_fail(2, "--market %s: %s", market, err) : 0;
	}
	if (conf) {
		static struct rt_config cfg;
		if (rt_config_load(&cfg, conf, err, sizeof(err)) < 0)
			return cli_fail(2, "%s", err);
		if (instr_init(in, &cfg.core.instrument) < 0)
			return cli_fail(2, "%s: the instrument section has no exact tick value", conf);
		return 0;
	}
	if (report_instrument_from_header(&jr->hdr, in, err, sizeof(err)) == 0)
		return 0;
	return cli_fail(2, "%s: its header names no instrument (an agent's journal names "
			"only the symbol): give --market JOURNAL (the market the run replayed) "
			"or -c CONF for prices in the instrument's unit", file);
}

static int dump_file(const char *file, int json, const char *market, const char *conf)
{
	struct journal_reader jr;
	int rc = journal_open_read(&jr, file, JOURNAL_SEQ);
	if (rc < 0)
		return cli_fail(cli_exit_code(rc), "%s: not a readable journal: %s", file,
				dm_strerror(rc));
	struct instrument in;
	int st = pick_instrument(&jr, file, market, conf, &in);
	if (st) {
		journal_reader_close(&jr);
		return st;
	}
	static struct row row;
	int header = 0;
	uint16_t kind = 0; /* the first record's family fixes the columns */
	uint64_t skipped = 0;
	struct report rep;
	struct report_order one;
	struct report_opts ro = { .max_open = 1, .n_names = ROLE_COUNT,
				  .voter_names = role_names };
	const struct jrec *rec;
	while ((rc = journal_next(&jr, &rec)) == 1) {
		uint16_t fam = rec->type == JREC_EVENT_DELTA ? JREC_EVENT
			     : rec->type == JREC_EXEC ? JREC_ORDER : rec->type;
		if (!kind && (fam == JREC_EVENT || fam == JREC_ORDER || fam == JREC_DECISION)) {
			kind = fam;
			if (kind == JREC_DECISION && !json) {
				struct report_out out = { .decisions = stdout };
				report_init(&rep, &one, sizeof(one), &in, &ro, &out);
			}
		}
		if (fam != kind) {
			if (rec->type == JREC_EVENT_DELTA || rec->type == JREC_EVENT) {
				/* keep the book chain decodable */
				struct event ev;
				journal_reader_decode(&jr, rec, &ev);
			}
			skipped++;
			continue;
		}
		if (kind == JREC_EVENT) {
			struct event ev;
			if ((rc = journal_reader_decode(&jr, rec, &ev)) < 0)
				break;
			event_row(&row, &in, rec->seq, &ev);
			rc = print_row(&row, json, &header);
		} else if (kind == JREC_DECISION) {
			struct vote_record dr;
			if ((rc = vote_record_read(&dr, rec->payload, rec->len)) < 0)
				break;
			const struct vote_record *d = &dr;
			if (json) {
				rc = decision_json(&in, d);
			} else {
				report_on_decision(&rep, d);
				rc = rep.err;
			}
		} else {
			size_t want = rec->type == JREC_ORDER ? sizeof(struct msg_order)
							      : sizeof(struct msg_exec_report);
			if (rec->len != want) {
				rc = -DM_ECORRUPT;
				break;
			}
			order_rec_row(&row, &in, rec->seq,
				      rec->type == JREC_ORDER ? (const void *)rec->payload : NULL,
				      rec->type == JREC_EXEC ? (const void *)rec->payload : NULL);
			rc = print_row(&row, json, &header);
		}
		if (rc < 0)
			break;
	}
	uint64_t bad = journal_reader_bad_offset(&jr);
	journal_reader_close(&jr);
	if (fflush(stdout) == EOF)
		rc = -EIO;
	if (rc == -EIO)
		return cli_fail(1, "writing the rows: %s", dm_strerror(rc));
	if (rc < 0)
		return cli_fail(2, "%s: %s at offset %" PRIu64, file, dm_strerror(rc), bad);
	if (skipped)
		fprintf(stderr, "dm-journal: %s: %" PRIu64 " records of other types skipped\n", file,
			skipped);
	return 0;
}

/* Add the "tca" object to the JSON object in path (summary.json of a run),
 * rewritten atomically.  0, or the exit code after a message. */
static int summary_add_tca(const char *path, json_t *tca)
{
	json_error_t je;
	json_t *doc = json_load_file(path, JSON_PRESERVE_ORDER, &je);
	if (!doc || !json_is_object(doc)) {
		json_decref(doc);
		return cli_fail(2, "--summary %s: not a JSON object: %s", path,
				doc ? "another JSON value" : je.text);
	}
	json_object_set(doc, "tca", tca);
	int rc = files_json_write(path, NULL, doc);
	json_decref(doc);
	if (rc < 0)
		return cli_fail(rc == -EEXIST ? 2 : 1, "--summary %s: cannot write: %s", path,
				files_strerror(rc));
	return 0;
}

static json_int_t jint(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static int run_dir(const char *dir, const char *market, const char *out, const char *summary,
		   int json)
{
	char mpath[PATH_MAX], err[1024];
	if (!market) {
		snprintf(mpath, sizeof(mpath), "%s/market.journal", dir);
		market = mpath;
	}
	/* the five files only where nothing or a regular file is (files.h);
	 * libcore/report writes them */
	static const char *const names[5] = { "fills.csv", "orders.csv", "decisions.csv",
					      "equity.csv", "tca.csv" };
	char p[PATH_MAX + 16], terr[PATH_MAX + 160];
	for (int i = 0; i < 5; i++) {
		snprintf(p, sizeof(p), "%s/%s", out ? out : dir, names[i]);
		if (files_check_target(p, terr, sizeof(terr)) < 0)
			return cli_fail(2, "%s", terr);
	}
	if (summary && files_check_target(summary, terr, sizeof(terr)) < 0)
		return cli_fail(2, "%s", terr);
	struct report_counts n;
	struct report_opts o = { .max_open = MAX_OPEN, .n_names = ROLE_COUNT,
				 .voter_names = role_names };
	json_t *tca = NULL;
	int rc = report_run_dir(dir, market, out ? out : dir, &o, &n, &tca, err, sizeof(err));
	if (rc < 0)
		return cli_fail(cli_exit_code(rc), "%s", err);
	if (summary && (rc = summary_add_tca(summary, tca)) != 0) {
		json_decref(tca);
		return rc;
	}
	if (json) {
		json_t *j = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:O}",
			"out", out ? out : dir,
			"fills", (json_int_t)n.fills, "orders", (json_int_t)n.orders,
			"decisions", (json_int_t)n.decisions,
			"equity_rows", (json_int_t)n.equity_rows,
			"market_events", (json_int_t)n.events,
			"duplicate_fills", (json_int_t)n.dup_fills,
			"unknown_reports", (json_int_t)n.unknown_reports,
			"orders_not_followed", (json_int_t)n.table_full,
			"tca", tca);
		json_dumpf(j, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(j);
	} else {
		printf("%s: fills.csv %" PRIu64 " fills, orders.csv %" PRIu64 " orders, "
		       "decisions.csv %" PRIu64 " decisions, equity.csv %" PRIu64 " rows, "
		       "tca.csv %lld rows (%" PRIu64 " market events)\n", out ? out : dir, n.fills,
		       n.orders, n.decisions, n.equity_rows, (long long)jint(tca, "count"),
		       n.events);
	}
	if (n.unknown_reports || n.table_full)
		fprintf(stderr, "dm-journal: WARNING: %" PRIu64 " execution reports of orders not "
			"in the orders journal, %" PRIu64 " orders beyond %u open at once: "
			"orders.csv and fills.csv miss them\n", n.unknown_reports, n.table_full,
			MAX_OPEN);
	if (jint(tca, "decisions_not_followed") || jint(tca, "cut_short") ||
	    jint(tca, "history_short"))
		fprintf(stderr, "dm-journal: WARNING: tca.csv: %lld decisions beyond the table "
			"(their fills have no arrival mid), %lld rows written before their 30 s "
			"horizon (the queue was full), %lld mids older than the history: those "
			"cells are empty (docs/tca.md)\n", (long long)jint(tca, "decisions_not_followed"),
			(long long)jint(tca, "cut_short"), (long long)jint(tca, "history_short"));
	json_decref(tca);
	return n.table_full ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "csv", no_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'j' },
		{ "market", required_argument, NULL, 'm' },
		{ "config", required_argument, NULL, 'c' },
		{ "run-dir", required_argument, NULL, 'r' },
		{ "out", required_argument, NULL, 'o' },
		{ "summary", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	cli_set_prog("dm-journal");
	opterr = 0;
	const char *market = NULL, *conf = NULL, *dir = NULL, *out = NULL, *summary = NULL;
	int json = 0, csv = 0, c;
	while ((c = getopt_long(argc, argv, ":c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'C': csv = 1; break;
		case 'j': json = 1; break;
		case 'm': market = optarg; break;
		case 'c': conf = optarg; break;
		case 'r': dir = optarg; break;
		case 'o': out = optarg; break;
		case 's': summary = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': return cli_version();
		default: return cli_bad_option(c, argv[optind - 1]);
		}
	}
	if (csv && json)
		return cli_usage_error("--csv and --json exclude each other");
	if (market && conf)
		return cli_usage_error("--market and -c exclude each other");
	if (dir) {
		if (optind != argc)
			return cli_usage_error("--run-dir takes no FILE ('%s')", argv[optind]);
		if (csv || conf)
			return cli_usage_error("--run-dir writes CSV files; --csv and -c do not apply");
		return run_dir(dir, market, out, summary, json);
	}
	if (out || summary)
		return cli_usage_error("%s goes with --run-dir", out ? "--out" : "--summary");
	if (optind != argc - 1)
		return cli_usage_error(optind == argc ? "a journal FILE, or --run-dir DIR"
						      : "one FILE only");
	return dump_file(argv[optind], json, market, conf);
}
