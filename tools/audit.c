/*
 * dm-audit — the invariants of a run, from its journals and, with --name,
 * the live (or stopped, not yet removed) segment's venue and risk state.
 *
 *   dm-audit RUN_DIR [--name SEG] [--max-intent-age DURATION] [--json]
 *
 * Reads RUN_DIR/decisions.journal and RUN_DIR/orders.journal, hands every
 * record to libcore/audit (audit.h lists the checks), and with --name the
 * execution agent's venue (its orders and fill log, its totals) and risk's
 * position.  Prints each check with what it examined, its violations and
 * PASS, FAIL or SKIP, then the first violations of each failed check.
 * Exit 0 when nothing is violated, 1 when something is (or the audit is
 * incomplete), 2 for bad usage or a run directory without journals.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "agents/rt/view.h"
#include "libcore/audit/audit.h"
#include "libcore/cli/cli.h"
#include "libcore/execsvc/execsvc.h"
#include "libcore/journal/journal.h"
#include "libcore/msg/msg.h"
#include "libcore/riskd/riskd.h"
#include "libcore/vote/vote.h"
#include "shm/seg.h"

#define DECISIONS_JOURNAL "decisions.journal"
#define ORDERS_JOURNAL    "orders.journal"
#define DEF_MAX_AGE       "1s"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dm-audit RUN_DIR [--name SEG] [--max-intent-age DURATION] [--json]\n"
		"\n"
		"The invariants of a run, from RUN_DIR's decisions.journal and\n"
		"orders.journal and, with --name, the segment's venue and risk state\n"
		"(a live run that has settled, or one stopped and not yet removed).\n"
		"One line per check: what it examined, its violations, PASS, FAIL or\n"
		"SKIP (nothing to compare with); then the first violations of each\n"
		"failed check.  A record journaled again with the same content (a\n"
		"restart) is a repeat, counted, not a violation.\n"
		"\n");
	for (uint32_t c = 0; c < AUDIT_CHECK_COUNT; c++)
		fprintf(f, "  %-24s %s\n", audit_check_name(c), audit_check_text(c));
	fprintf(f,
		"\n"
		"  -n, --name SEG            the run's segment: venue_journaled and\n"
		"                            position_agrees compare with its state\n"
		"                            (default: both skipped)\n"
		"      --max-intent-age DURATION\n"
		"                            fresh_intents' limit (default " DEF_MAX_AGE
		"; 0 skips it)\n"
		"  -j, --json                one JSON document\n"
		"  -h, --help                this text\n"
		"      --version             the release and the layout words\n"
		"\n"
		"exit: 0 every check passes, 1 a violation (or records left out),\n"
		"      2 bad usage, no journal in RUN_DIR, a segment that does not attach\n");
}

/* ------------------------------------------------------------ journals */

static uint64_t file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
}

static uint32_t cap_of(uint64_t bytes, uint64_t rec)
{
	uint64_t n = bytes / rec + 1;
	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

/* Feed every record of dir/name to a, and how the journal read to
 * audit_on_journal; *present 0 when there is no such file. */
static void read_journal(struct audit *a, const char *dir, const char *name, int *present)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	struct journal_reader jr;
	int rc = journal_open_read(&jr, path, 0);
	*present = rc != -ENOENT;
	if (rc == -ENOENT)
		return;
	if (rc < 0) {
		audit_on_journal(a, name, rc, journal_reader_bad_offset(&jr), 0);
		return;
	}
	const struct jrec *r;
	uint64_t bad = 0;
	while ((rc = journal_next(&jr, &r)) == 1) {
		if (r->type == JREC_DECISION) {
			struct vote_record d;
			if (vote_record_read(&d, r->payload, r->len) == 0)
				audit_on_decision(a, &d);
			else
				rc = -DM_ECORRUPT;
		} else if (r->type == JREC_ORDER && r->len == sizeof(struct msg_order)) {
			struct msg_order o;
			memcpy(&o, r->payload, sizeof(o));
			audit_on_order(a, &o);
		} else if (r->type == JREC_EXEC && r->len == sizeof(struct msg_exec_report)) {
			struct msg_exec_report x;
			memcpy(&x, r->payload, sizeof(x));
			audit_on_exec(a, &x);
		} else if (r->type == JREC_ORDER || r->type == JREC_EXEC) {
			rc = -DM_ECORRUPT;
		}
		if (rc < 0) {
			bad = jr.off - JREC_SIZE(r->len); /* the record just read */
			break;
		}
	}
	if (rc < 0 && !bad)
		bad = journal_reader_bad_offset(&jr);
	audit_on_journal(a, name, rc < 0 ? rc : 0, bad,
			 rc < 0 ? 0 : journal_reader_torn_bytes(&jr));
	journal_reader_close(&jr);
}

/* ------------------------------------------------------------ the segment */

struct seg_view {
	struct seg s;
	const struct execsvc_state *x;
	const struct venue *v;
	const struct riskd_state *r;
};

/* Attach name read-only and find the venue and risk's state in it; 0, or
 * an exit code after a message. */
static int seg_open(struct seg_view *sv, const char *name)
{
	memset(sv, 0, sizeof(*sv));
	int rc = seg_attach(&sv->s, name, 1, msg_layout_hash());
	if (rc < 0)
		return cli_fail(2, "--name %s: cannot attach the segment: %s", name,
				dm_strerror(rc));
	size_t xn = 0;
	sv->x = rt_app_view(&sv->s, AGENT_EXECUTION, &xn);
	if (sv->x && (sv->x->magic != EXECSVC_MAGIC || sv->x->size > xn ||
		      sv->x->venue_off + (sv->x->double_venue ? 2 : 1) * sv->x->venue_room >
			      sv->x->size))
		sv->x = NULL;
	if (sv->x) {
		sv->v = execsvc_venue_of(sv->x);
		if (sv->v->magic != VENUE_MAGIC)
			sv->v = NULL;
	}
	sv->r = rt_app_view(&sv->s, AGENT_RISK, NULL);
	if (!sv->v && !sv->r)
		fprintf(stderr, "dm-audit: %s holds no venue or risk state of this build: "
			"venue_journaled and position_agrees are skipped\n", name);
	return 0;
}

static void seg_feed(struct audit *a, const struct seg_view *sv)
{
	struct audit_state st;
	memset(&st, 0, sizeof(st));
	st.epoch = sv->s.hdr->epoch;
	if (sv->r)
		audit_state_risk(&st, &sv->r->rs[atomic_load(&((struct riskd_state *)sv->r)->cur) & 1]);
	if (sv->v)
		audit_state_venue(&st, sv->v);
	audit_set_state(a, &st);
	if (!sv->v)
		return;
	uint32_t cur = 0;
	struct venue_order_view vo;
	while (venue_order_next(sv->v, &cur, &vo) == 1)
		audit_on_venue_order(a, &vo);
	uint64_t n = venue_fill_count(sv->v);
	uint64_t first = n > sv->v->cfg.max_fills ? n - sv->v->cfg.max_fills : 0;
	for (uint64_t i = first; i < n; i++) {
		struct venue_fill f;
		if (venue_fill_get(sv->v, i, &f) == 0)
			audit_on_venue_fill(a, &f);
	}
}

/* ------------------------------------------------------------ output */

static const char *result_of(const struct audit_check_result *k)
{
	return k->violations ? "FAIL" : k->skipped ? "SKIP" : "PASS";
}

static void print_text(const char *dir, const char *name, const struct seg_view *sv,
		       const struct audit_result *r, int64_t max_age)
{
	printf("dm-audit: %s: %" PRIu64 " decisions (%" PRIu64 " released), %" PRIu64
	       " orders, %" PRIu64 " reports, %" PRIu64 " fills, %" PRIu64 " epoch%s\n", dir,
	       r->decisions, r->released, r->orders, r->reports, r->fills, r->epochs,
	       r->epochs == 1 ? "" : "s");
	printf("  repeats (journaled again after a restart, same content): %" PRIu64
	       " decisions, %" PRIu64 " orders, %" PRIu64 " fills; torn tails %" PRIu64
	       " bytes\n", r->rep_decisions, r->rep_orders, r->rep_fills, r->torn_bytes);
	if (name) {
		printf("  state: segment %s, epoch %u:", name, sv->s.hdr->epoch);
		if (sv->r) {
			const struct risk_state *rs =
				&sv->r->rs[atomic_load(&((struct riskd_state *)sv->r)->cur) & 1];
			printf(" risk position %" PRId64 " (%" PRIu64 " fills, volume %" PRId64 ");",
			       rs->position, rs->fills, rs->volume);
		}
		if (sv->v)
			printf(" venue net %" PRId64 " (%" PRIu64 " fills, volume %" PRId64 ");",
			       sv->v->totals.buy_qty - sv->v->totals.sell_qty, sv->v->totals.fills,
			       sv->v->totals.buy_qty + sv->v->totals.sell_qty);
		printf(" journal %" PRId64 " (%" PRIu64 " fills, volume %" PRId64 ")\n",
		       r->journal_position, r->journal_fills, r->journal_volume);
	}
	char lim[48] = "none: fresh_intents skipped";
	if (max_age > 0)
		snprintf(lim, sizeof(lim), "%.3f s", (double)max_age / 1e9);
	printf("  intents: the oldest released %.3f s after its market event came in "
	       "(limit %s)\n", (double)r->max_intent_age_seen_ns / 1e9, lim);
	printf("%-26s %10s %10s  %s\n", "check", "checked", "violations", "result");
	for (uint32_t c = 0; c < AUDIT_CHECK_COUNT; c++) {
		const struct audit_check_result *k = &r->check[c];
		printf("%-26s %10" PRIu64 " %10" PRIu64 "  %s\n", audit_check_name(c), k->checked,
		       k->violations, result_of(k));
	}
	for (uint32_t c = 0; c < AUDIT_CHECK_COUNT; c++)
		for (uint32_t i = 0; i < r->check[c].n_examples; i++)
			printf("  %s: %s\n", audit_check_name(c), r->check[c].example[i]);
	if (r->dropped)
		printf("INCOMPLETE: %u records left out (no room)\n", r->dropped);
	printf("%s: %" PRIu64 " violation%s\n", r->violations || r->dropped ? "FAIL" : "PASS",
	       r->violations, r->violations == 1 ? "" : "s");
}

static void print_json(const char *dir, const char *name, const struct seg_view *sv,
		       const struct audit_result *r, int64_t max_age)
{
	json_t *checks = json_array();
	for (uint32_t c = 0; c < AUDIT_CHECK_COUNT; c++) {
		const struct audit_check_result *k = &r->check[c];
		json_t *ex = json_array();
		for (uint32_t i = 0; i < k->n_examples; i++)
			json_array_append_new(ex, json_string(k->example[i]));
		json_array_append_new(checks, json_pack("{s:s, s:s, s:I, s:I, s:s, s:o}",
			"name", audit_check_name(c), "text", audit_check_text(c),
			"checked", (json_int_t)k->checked, "violations", (json_int_t)k->violations,
			"result", result_of(k), "examples", ex));
	}
	json_t *state = json_null();
	if (name) {
		state = json_pack("{s:s, s:I, s:I, s:I, s:I}", "segment", name,
				  "epoch", (json_int_t)sv->s.hdr->epoch,
				  "journal_position", (json_int_t)r->journal_position,
				  "journal_fills", (json_int_t)r->journal_fills,
				  "journal_volume", (json_int_t)r->journal_volume);
		if (sv->r) {
			const struct risk_state *rs =
				&sv->r->rs[atomic_load(&((struct riskd_state *)sv->r)->cur) & 1];
			json_object_set_new(state, "risk", json_pack("{s:I, s:I, s:I}",
				"position", (json_int_t)rs->position, "fills", (json_int_t)rs->fills,
				"volume", (json_int_t)rs->volume));
		}
		if (sv->v)
			json_object_set_new(state, "venue", json_pack("{s:I, s:I, s:I, s:I}",
				"fills", (json_int_t)sv->v->totals.fills,
				"buy_qty", (json_int_t)sv->v->totals.buy_qty,
				"sell_qty", (json_int_t)sv->v->totals.sell_qty,
				"orders", (json_int_t)sv->v->stats.orders));
	}
	json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I}, s:I, "
			      "s:I, s:I, s:o, s:o, s:I, s:I, s:s}",
		"run_dir", dir,
		"decisions", (json_int_t)r->decisions, "released", (json_int_t)r->released,
		"orders", (json_int_t)r->orders, "reports", (json_int_t)r->reports,
		"fills", (json_int_t)r->fills, "epochs", (json_int_t)r->epochs,
		"repeats", "decisions", (json_int_t)r->rep_decisions,
			   "orders", (json_int_t)r->rep_orders, "fills", (json_int_t)r->rep_fills,
		"torn_bytes", (json_int_t)r->torn_bytes,
		"max_intent_age_ns", (json_int_t)max_age,
		"max_intent_age_seen_ns", (json_int_t)r->max_intent_age_seen_ns,
		"state", state, "checks", checks,
		"violations", (json_int_t)r->violations, "dropped", (json_int_t)r->dropped,
		"result", r->violations || r->dropped ? "FAIL" : "PASS");
	json_dumpf(o, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(o);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "max-intent-age", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	cli_set_prog("dm-audit");
	opterr = 0;
	const char *name = NULL, *age_text = DEF_MAX_AGE;
	int json = 0, c;
	while ((c = getopt_long(argc, argv, ":n:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'n': name = optarg; break;
		case 'a': age_text = optarg; break;
		case 'j': json = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': return cli_version();
		default: return cli_bad_option(c, argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(optind == argc ? "a RUN_DIR" : "one RUN_DIR only");
	const char *dir = argv[optind];
	struct audit_params p = { 0 };
	if (cli_parse_duration_ns(age_text, &p.max_intent_age_ns) < 0)
		return cli_usage_error("--max-intent-age '%s': a duration with its unit (1s, "
				       "500ms) or 0", age_text);
	struct stat sb;
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return cli_fail(2, "%s: not a directory", dir);

	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, DECISIONS_JOURNAL);
	uint64_t dsize = file_size(path);
	snprintf(path, sizeof(path), "%s/%s", dir, ORDERS_JOURNAL);
	uint64_t osize = file_size(path);

	static struct seg_view sv;
	if (name) {
		int st = seg_open(&sv, name);
		if (st)
			return st;
	}
	struct audit_caps caps = {
		.decisions = cap_of(dsize, JREC_SIZE(VOTE_RECORD_V1_SIZE)),
		.orders = cap_of(osize, JREC_SIZE(sizeof(struct msg_order))),
		.reports = cap_of(osize, JREC_SIZE(sizeof(struct msg_exec_report))),
		.venue_orders = sv.v ? sv.v->cfg.max_orders : 0,
		.venue_fills = sv.v ? sv.v->cfg.max_fills : 0,
	};
	size_t size = audit_memsize(&caps);
	void *mem = malloc(size ? size : 8);
	static struct audit a;
	if (!mem || audit_init(&a, mem, size, &caps, &p) < 0) {
		free(mem);
		if (name)
			seg_close(&sv.s);
		return cli_fail(1, "out of memory for %zu bytes", size);
	}
	int have_d, have_o;
	read_journal(&a, dir, DECISIONS_JOURNAL, &have_d);
	read_journal(&a, dir, ORDERS_JOURNAL, &have_o);
	if (!have_d && !have_o) {
		free(mem);
		if (name)
			seg_close(&sv.s);
		return cli_fail(2, "%s: no %s or %s: not a run directory", dir,
				DECISIONS_JOURNAL, ORDERS_JOURNAL);
	}
	if (name)
		seg_feed(&a, &sv);
	static struct audit_result r;
	audit_finish(&a, &r);
	if (json)
		print_json(dir, name, &sv, &r, p.max_intent_age_ns);
	else
		print_text(dir, name, &sv, &r, p.max_intent_age_ns);
	free(mem);
	if (name)
		seg_close(&sv.s);
	if (fflush(stdout) == EOF)
		return cli_fail(1, "writing the result: %s", strerror(errno));
	return r.violations || r.dropped ? 1 : 0;
}
