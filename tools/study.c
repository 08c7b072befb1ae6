/*
 * dm-study — the microstructure of a market-data file in one pass:
 * order-flow imbalance regressions, Hawkes fits of trade arrivals, Kyle's
 * lambda and Amihud's illiquidity, Roll's spread and the Glosten-Harris
 * and Huang-Stoll decompositions, intraday profiles and the fill-intensity
 * curve (libcore/study/study.h; docs/study.md has the definitions).
 *
 *   dm-study FILE [feed options] [-c CONF] [--json] [-o PAGE.html]
 *            [--windows LIST] [--ofi-levels N] [--profile-bin DUR]
 *            [--max-gap DUR] [--hawkes-max N] [--clock C] [--quiet]
 *
 * Memory is bounded whatever the input: the feed reader's buffers, the
 * study's sums and the trade times of the Hawkes fit up to --hawkes-max
 * orders.
 *
 * Exit 0 on success (bad rows skipped are counted), 1 on a runtime
 * failure (read or write error, out of memory), 2 on bad usage or bad
 * input (unknown option, unreadable or unrecognised file, a bad row under
 * --strict, a corrupt journal), with one line naming file:line.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agents/rt/view.h"
#include "libcore/cli/cli.h"
#include "libcore/config/config.h"
#include "libcore/feed/feed.h"
#include "libcore/hawkes/lbfgsb.h"
#include "libcore/study/study.h"
#include "tools/lib/chart.h"
#include "tools/lib/files.h"

#define NS_PER_S    1000000000LL
#define PROGRESS_NS 1000000000LL

static void usage(FILE *f)
{
	fprintf(f,
"usage: dm-study FILE [options]\n"
"\n"
"The microstructure of a market-data file, read once in bounded memory.\n"
"docs/study.md has every definition and its reference:\n"
"  - order-flow imbalance: the mid change over windows of 1 s, 10 s and 60 s\n"
"    regressed on the level-1 OFI (Cont, Kukanov and Stoikov 2014) and on\n"
"    the integrated multi-level OFI (first principal component of the\n"
"    depth-normalised OFI of 10 levels, Cont, Cucuringu and Zhang 2023);\n"
"  - trade arrivals: Hawkes fits (exponential kernel, maximum likelihood,\n"
"    buy and sell alone and jointly, as dm-hawkes-fit) and the branching\n"
"    ratio from the variance of counts per window (Hardiman and Bouchaud);\n"
"  - Kyle's lambda (mid change on signed volume per window) and Amihud's\n"
"    illiquidity (|return| per notional, per window);\n"
"  - spreads: quoted, effective, Roll's, and the Glosten-Harris (1988) and\n"
"    Huang-Stoll (1997) decompositions of the traded spread;\n"
"  - intraday profiles of spread, volume, volatility and trade rate by\n"
"    local time of day;\n"
"  - the fill intensity lambda(delta) = A exp(-k delta) of aggressive\n"
"    orders reaching delta ticks beyond the mid;\n"
"  - the temporary impact: each aggressive order's slippage per lot\n"
"    against the mid before it, regressed on its size (Almgren-Chriss eta\n"
"    and epsilon).\n"
"\n"
"  FILE              a LOBSTER *_message_N.csv or *_orderbook_N.csv, a\n"
"                    MetaTrader 5 tick export, a B3 NEG_* trade file, a\n"
"                    Binance websocket capture, or a DreamMaker journal; .gz\n"
"                    works\n"
"  --json            everything as one JSON object on stdout (stable keys)\n"
"  -o, --output F    also an HTML page with the charts (OFI scatter and fit\n"
"                    per window, intraday profiles, lambda(delta), Hawkes)\n"
"  --windows LIST    window lengths, ascending, at most 4: durations with a\n"
"                    unit (default 1s,10s,60s)\n"
"  --ofi-levels N    levels of the multi-level OFI, 1..10 (default 10, at\n"
"                    most --levels)\n"
"  --profile-bin D   intraday profile bin, a divisor of a day of at least a\n"
"                    minute (default 30m)\n"
"  --max-gap D       a silence longer than D starts a new segment (nights,\n"
"                    halts): nothing is carried across; default 30m, 0 never\n"
"  --hawkes-max N    aggressive orders kept for the Hawkes fits, the first\n"
"                    ones (default 2000000, about 18 MB); 0: no Hawkes fit\n"
"  --fill-max-ticks D  fit lambda(delta) over distances up to D ticks\n"
"                    (default 0: every distance reached by at least %u orders)\n"
"  --clock C         auto (default: receive time for Binance and journals\n"
"                    converted from it, else exchange time), exchange,\n"
"                    receive\n"
CLI_FEED_HELP
"                    Local time (the profiles): LOBSTER New York, MT5 and NEG\n"
"                    the --utc-offset or the configuration's, Binance UTC, a\n"
"                    journal --utc-offset, else the configuration's when its\n"
"                    symbol is the configured instrument's, else UTC\n"
CLI_COMMON_HELP
"\n"
"Exit 0 done, 2 bad usage or bad input, 1 runtime failure.\n", STUDY_FILL_MIN_COUNT);
}

/* ------------------------------------------------------------ options */

struct args {
	const char *input, *config, *html;
	struct cli_feed_args feed;
	int json, quiet;
	int clock;                 /* -1 auto */
	struct study_params sp;
	long hawkes_max;
};

static int parse_windows(const char *arg, struct study_params *sp)
{
	char buf[256], *save = NULL;
	uint32_t n = 0;

	if (strlen(arg) >= sizeof(buf))
		return -1;
	strcpy(buf, arg);
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int64_t ns;
		if (n == STUDY_MAX_WINDOWS || cli_parse_duration_ns(tok, &ns) || ns <= 0 ||
		    (n && ns <= sp->window_ns[n - 1]))
			return -1;
		sp->window_ns[n++] = ns;
	}
	if (!n)
		return -1;
	sp->n_windows = n;
	return 0;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option lo[] = {
		{ "json",        no_argument,       NULL, CLI_O_JSON },
		{ "output",      required_argument, NULL, 'o' },
		{ "windows",     required_argument, NULL, 'W' },
		{ "ofi-levels",  required_argument, NULL, 'L' },
		{ "profile-bin", required_argument, NULL, 'B' },
		{ "max-gap",     required_argument, NULL, 'G' },
		{ "hawkes-max",  required_argument, NULL, 'H' },
		{ "clock",       required_argument, NULL, 'K' },
		{ "fill-max-ticks", required_argument, NULL, 'F' },
		CLI_FEED_LONGOPTS,
		CLI_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	int c, rc;
	long v;
	int64_t ns;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hc:o:", lo, NULL)) != -1) {
		if ((rc = cli_feed_option(c, optarg, &a->feed)) == 1)
			continue;
		if (rc)
			return rc;
		switch (c) {
		case 'c':
			a->config = optarg;
			break;
		case 'o':
			a->html = optarg;
			break;
		case CLI_O_JSON:
			a->json = 1;
			break;
		case CLI_O_QUIET:
			a->quiet = 1;
			break;
		case 'W':
			if (parse_windows(optarg, &a->sp))
				return cli_usage_error("--windows '%s': expected 1..%u ascending "
						       "durations with a unit, e.g. 1s,10s,60s",
						       optarg, STUDY_MAX_WINDOWS);
			break;
		case 'L':
			if (cli_parse_long(optarg, 1, STUDY_OFI_LEVELS, &v))
				return cli_usage_error("--ofi-levels '%s': expected 1..%u", optarg,
						       STUDY_OFI_LEVELS);
			a->sp.ofi_levels = (uint32_t)v;
			break;
		case 'B':
			if (cli_parse_duration_ns(optarg, &ns) || ns < 60 * NS_PER_S ||
			    STUDY_NS_PER_DAY % ns)
				return cli_usage_error("--profile-bin '%s': expected a duration of "
						       "at least 1m that divides a day (5m, 15m, "
						       "30m, 1h)", optarg);
			a->sp.profile_bin_ns = ns;
			break;
		case 'G':
			if (cli_parse_duration_ns(optarg, &ns))
				return cli_usage_error("--max-gap '%s': expected a duration with a "
						       "unit (30m), or 0 never to split", optarg);
			a->sp.max_gap_ns = ns ? ns : -1;
			break;
		case 'H':
			if (cli_parse_long(optarg, 0, 1000000000L, &v))
				return cli_usage_error("--hawkes-max '%s': expected 0..1000000000",
						       optarg);
			a->hawkes_max = v;
			break;
		case 'F':
			if (cli_parse_double(optarg, &a->sp.fill_max_ticks) ||
			    a->sp.fill_max_ticks < 0)
				return cli_usage_error("--fill-max-ticks '%s': expected ticks >= 0 "
						       "(0: every distance)", optarg);
			break;
		case 'K':
			if (!strcmp(optarg, "auto"))
				a->clock = -1;
			else if (!strcmp(optarg, "exchange"))
				a->clock = STUDY_CLOCK_EXCH;
			else if (!strcmp(optarg, "receive"))
				a->clock = STUDY_CLOCK_RECV;
			else
				return cli_usage_error("--clock '%s': expected auto, exchange or "
						       "receive", optarg);
			break;
		case CLI_O_VERSION:
			exit(cli_version());
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return cli_bad_option(c, argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage_error("no FILE given");
	a->input = argv[optind++];
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s' (one FILE at a time)", argv[optind]);
	return 0;
}

/* ------------------------------------------------------------ the run */

struct run {
	const char *file;
	enum feed_format fmt;
	const struct feed_plan *plan;
	const struct feed_stats *st;
	const struct study_params *sp;
	const char *clock;        /* "exchange" / "receive" */
	char zone[64];            /* "UTC-03:00", "America/New_York" */
	const char *zone_from;    /* where the local time comes from */
	int zone_off_min;         /* for charts: the offset of the first event */
	double secs, secs_read;   /* the whole run; the pass over the file */
};

static void zone_fixed(struct run *u, int32_t off_s, const char *from)
{
	int m = off_s / 60;

	if (!m)
		snprintf(u->zone, sizeof(u->zone), "UTC");
	else
		snprintf(u->zone, sizeof(u->zone), "UTC%c%02d:%02d", m < 0 ? '-' : '+',
			 abs(m) / 60, abs(m) % 60);
	u->zone_from = from;
	u->zone_off_min = m;
}

/* The local time of the profiles (see the usage text). */
static void local_time(struct run *u, struct study_params *sp, const struct args *a,
		       const struct dm_config *cfg)
{
	const struct feed_plan *p = u->plan;

	sp->tz = STUDY_TZ_FIXED;
	sp->utc_offset_s = 0;
	if (a->feed.have_utc) {
		sp->utc_offset_s = a->feed.utc_offset_min * 60;
		zone_fixed(u, sp->utc_offset_s, "--utc-offset");
		return;
	}
	switch (p->fmt) {
	case FEED_LOBSTER:
		sp->tz = STUDY_TZ_NEW_YORK;
		snprintf(u->zone, sizeof(u->zone), "America/New_York");
		u->zone_from = "LOBSTER (NASDAQ)";
		u->zone_off_min = -300;
		return;
	case FEED_MT5:
	case FEED_NEG:
		sp->utc_offset_s = p->fo.utc_offset_s;
		zone_fixed(u, sp->utc_offset_s, "the configuration");
		return;
	case FEED_JOURNAL: {
		size_t n = strlen(cfg->instrument.symbol);
		if (n && !strncmp(p->in.symbol, cfg->instrument.symbol, n)) {
			sp->utc_offset_s = cfg->instrument.utc_offset_min * 60;
			zone_fixed(u, sp->utc_offset_s, "the configuration: the journal's "
				   "symbol is the configured instrument's");
			return;
		}
		zone_fixed(u, 0, "not known (a journal of another instrument; "
			   "--utc-offset sets it)");
		return;
	}
	default:
		zone_fixed(u, 0, p->fmt == FEED_BINANCE ? "Binance (UTC)" : "UTC");
		return;
	}
}

/* ------------------------------------------------------------ text */

static void iso_utc(int64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / NS_PER_S - (ns % NS_PER_S < 0));
	int64_t f = ns % NS_PER_S;
	struct tm tm;
	char day[32];

	if (f < 0)
		f += NS_PER_S;
	if (!gmtime_r(&t, &tm) || !strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm))
		snprintf(day, sizeof(day), "@%lld", (long long)t);
	snprintf(buf, len, "%s.%03dZ", day, (int)(f / 1000000));
}

/* A window length as text: "1 s", "500 ms", "2 min". */
static void len_text(int64_t ns, char *buf, size_t n)
{
	if (ns % (60 * NS_PER_S) == 0 && ns >= 60 * NS_PER_S)
		snprintf(buf, n, "%lld min", (long long)(ns / (60 * NS_PER_S)));
	else if (ns % NS_PER_S == 0)
		snprintf(buf, n, "%lld s", (long long)(ns / NS_PER_S));
	else if (ns % 1000000 == 0)
		snprintf(buf, n, "%lld ms", (long long)(ns / 1000000));
	else
		snprintf(buf, n, "%.9g s", (double)ns / 1e9);
}

/* %.*g or "-" for a NaN, right-aligned in w. */
static void pn(int w, int prec, double v)
{
	if (isfinite(v))
		printf(" %*.*g", w, prec, v);
	else
		printf(" %*s", w, "-");
}

static const char *const side_name[3] = { "buy", "sell", "all" };

static void report_text(const struct run *u, const struct study_result *r)
{
	const struct feed_instr *in = &u->plan->in;
	char a[48], b[48], len[32];

	printf("dm-study: %s (%s)\n", u->file, feed_format_name(u->fmt));
	printf("  instrument   %s: tick %s, lot %s, %s, point value %.12g\n",
	       in->symbol[0] ? in->symbol : "(no symbol)", in->tick, in->lot,
	       in->currency[0] ? in->currency : "currency unknown", in->point_value);
	printf("  events       %" PRIu64 " = %" PRIu64 " book updates + %" PRIu64 " trades; "
	       "%" PRIu64 " bad rows skipped\n", r->events, r->books, r->trades, u->st->skipped);
	if (r->events) {
		iso_utc(r->t_first, a, sizeof(a));
		iso_utc(r->t_last, b, sizeof(b));
		printf("  time         %s .. %s, %s clock; %u segment%s, %.1f s observed\n", a, b,
		       u->clock, r->segments, r->segments == 1 ? "" : "s", r->observed_s);
	}
	printf("  local time   %s (%s)\n", u->zone, u->zone_from);
	printf("  trade signs  aggressor %" PRIu64 ", quote rule %" PRIu64 ", tick rule %" PRIu64
	       ", unsigned %" PRIu64 "\n", r->signed_by[0], r->signed_by[1], r->signed_by[2],
	       r->signed_by[3]);

	printf("\norder-flow imbalance: mid change (ticks) = a + b x OFI, per window\n");
	printf("  %-8s %7s | %-34s | %s\n", "window", "n", "level-1 OFI (lots): b, se, R2",
	       "integrated OFI (depth units): b, R2, PC1 share");
	for (uint32_t i = 0; i < r->n_windows; i++) {
		const struct study_window_res *w = &r->win[i];
		len_text(w->len_ns, len, sizeof(len));
		printf("  %-8s %7" PRIu64 " |", len, w->n);
		pn(12, 5, w->ofi.slope);
		pn(10, 3, w->ofi.slope_se);
		pn(8, 4, w->ofi.r2);
		printf("   |");
		pn(10, 5, w->ofi_int.slope);
		pn(8, 4, w->ofi_int.r2);
		pn(8, 3, w->pc1_share);
		printf("\n");
	}
	if (r->n_windows)
		printf("  integrated OFI: %u levels, first principal component of the "
		       "windows' depth-normalised OFI\n", r->win[0].levels);

	printf("\nKyle's lambda: mid change (ticks) = a + lambda x signed volume (lots); "
	       "Amihud: mean |log return| per million %s traded\n",
	       in->currency[0] ? in->currency : "currency units");
	printf("  %-8s %7s %12s %10s %8s | %12s %8s\n", "window", "n", "lambda", "se", "R2",
	       "Amihud", "windows");
	for (uint32_t i = 0; i < r->n_windows; i++) {
		const struct study_window_res *w = &r->win[i];
		len_text(w->len_ns, len, sizeof(len));
		printf("  %-8s %7" PRIu64, len, w->kyle.n);
		pn(12, 5, w->kyle.slope);
		pn(10, 3, w->kyle.slope_se);
		pn(8, 4, w->kyle.r2);
		printf(" |");
		pn(12, 5, w->amihud);
		printf(" %8" PRIu64 "\n", w->amihud_n);
	}

	printf("\ntrade arrivals: aggressive orders per window, variance / mean and the "
	       "branching ratio 1 - 1/sqrt(var/mean)\n");
	printf("  %-8s %7s", "window", "n");
	for (int k = 0; k < 3; k++)
		printf(" | %-6s %8s %8s %9s", side_name[k], "mean", "var/mean", "branching");
	printf("\n");
	for (uint32_t i = 0; i < r->n_windows; i++) {
		const struct study_window_res *w = &r->win[i];
		len_text(w->len_ns, len, sizeof(len));
		printf("  %-8s %7" PRIu64, len, w->fano[2].n);
		for (int k = 0; k < 3; k++) {
			printf(" | %-6s", "");
			pn(8, 4, w->fano[k].mean);
			pn(8, 4, w->fano[k].ratio);
			pn(9, 4, w->fano[k].branching);
		}
		printf("\n");
	}

	const struct study_hawkes *h = &r->hawkes;
	if (u->sp->hawkes_max) {
		printf("\nHawkes fits of trade arrivals (exponential kernel, maximum likelihood; "
		       "exchange times, prints of one order merged)\n");
		printf("  %" PRIu64 " events: buy %" PRIu64 ", sell %" PRIu64 " (%" PRIu64
		       " prints merged), %.1f s observed%s\n", h->events, h->count[0],
		       h->count[1], h->merged, h->observed_s, h->capped ? "; capped at "
		       "--hawkes-max: later trades left out" : "");
		const char *names[3] = { "buy", "sell", "buy+sell" };
		const struct hfit_result *m[3] = { &h->uni[0], &h->uni[1], &h->bi };
		printf("  %-9s %10s %10s %10s %10s %10s %10s\n", "model", "mu 1/s", "alpha 1/s",
		       "beta 1/s", "branching", "se", "KS p");
		for (int k = 0; k < 3; k++) {
			if (h->rc[k]) {
				printf("  %-9s not fitted (%s)\n", names[k], h->rc[k] == -EINVAL ?
				       "too few events" : h->rc[k] == -EDOM ?
				       "no finite likelihood" : strerror(-h->rc[k]));
				continue;
			}
			const struct hfit_result *f = m[k];
			for (uint32_t i = 0; i < f->p.dim; i++) {
				char nm[32];
				if (f->p.dim == 1)
					snprintf(nm, sizeof(nm), "%s", names[k]);
				else
					snprintf(nm, sizeof(nm), "%s%s", i ? "  " : "", i ? "sell" : "joint buy");
				printf("  %-9s", nm);
				pn(10, 5, f->p.mu[i]);
				double asum = 0;
				for (uint32_t j = 0; j < f->p.dim; j++)
					asum += f->p.alpha[i][j];
				pn(10, 5, asum);
				pn(10, 5, f->p.beta[i]);
				if (i == 0) {
					pn(10, 4, f->rho);
					pn(10, 3, f->rho_se);
				} else {
					printf(" %10s %10s", "", "");
				}
				pn(10, 3, f->ks[i].p);
				printf("\n");
			}
		}
		printf("  joint model: alpha summed over the exciting sides; its branching "
		       "ratio is the spectral radius\n");
	}

	printf("\nspreads (ticks)\n");
	printf("  quoted       ");
	pn(0, 5, r->quoted_spread);
	printf(" (time-weighted)\n  effective    ");
	pn(0, 5, r->effective_spread);
	printf(" mean, median");
	pn(0, 5, r->effective_median);
	printf(" (2 q (p - mid) over %" PRIu64 " signed trades)\n", r->effective_n);
	printf("  Roll         ");
	pn(0, 5, r->roll.spread);
	printf(" (2 sqrt(-cov), cov of consecutive price changes");
	pn(0, 5, r->roll.cov);
	printf(" over %" PRIu64 " pairs%s)\n", r->roll.n,
	       isfinite(r->roll.cov) && r->roll.cov >= 0 ? "; cov >= 0: undefined" : "");
	const struct study_gh *g = &r->gh;
	printf("  Glosten-Harris  dP = c0 dQ + c1 d(QV) + z0 Q + z1 QV (%" PRIu64 " trades, "
	       "R2", g->n);
	pn(0, 4, g->r2);
	printf(")\n    c0");
	pn(0, 5, g->c0);
	printf(", c1");
	pn(0, 5, g->c1);
	printf(", z0");
	pn(0, 5, g->z0);
	printf(", z1");
	pn(0, 5, g->z1);
	printf("; at the mean size %.4g lots: transitory", g->v_mean);
	pn(0, 5, g->transitory);
	printf(", adverse selection");
	pn(0, 5, g->adverse);
	printf(",\n    spread 2(c + z)");
	pn(0, 5, g->spread);
	printf(", adverse-selection share");
	pn(0, 4, g->adverse_share);
	printf("\n");
	const struct study_hs *hs = &r->hs;
	printf("  Huang-Stoll  dP = (S/2) dQ + lambda (S/2) Q(-1) (R2");
	pn(0, 4, hs->r2);
	printf("): S/2");
	pn(0, 5, hs->half_spread);
	printf(", adverse selection + inventory lambda");
	pn(0, 4, hs->lambda);
	printf(", order processing");
	pn(0, 4, 1 - hs->lambda);
	printf("\n");

	const struct study_fill *fl = &r->fill;
	printf("\nfill intensity: lambda(delta) = A exp(-k delta), aggressive orders reaching "
	       "delta ticks beyond the mid\n  A");
	pn(0, 5, fl->a);
	printf(" /s, k");
	pn(0, 5, fl->k);
	printf(" /tick, R2");
	pn(0, 4, fl->r2);
	printf(" (%u points", fl->n_fit);
	if (fl->max_ticks > 0)
		printf(" up to %.4g ticks", fl->max_ticks);
	printf(", %" PRIu64 " orders over %.1f s)\n", fl->orders, fl->observed_s);
	printf("  %8s %10s %12s\n", "delta", "orders >=", "rate 1/s");
	uint64_t cum = 0, cums[STUDY_FILL_BINS];
	for (uint32_t j = STUDY_FILL_BINS; j-- > 0;)
		cums[j] = (cum += fl->reach[j]);
	for (uint32_t j = 1; j < STUDY_FILL_BINS; j++)
		if (fl->reach[j])
			printf("  %8.1f %10" PRIu64 " %12.6g%s\n", j / 2.0, cums[j],
			       fl->observed_s > 0 ? (double)cums[j] / fl->observed_s : NAN,
			       j + 1 == STUDY_FILL_BINS ? " (and beyond)" : "");

	const struct study_impact *im = &r->impact;
	printf("\ntemporary impact: slippage per lot against the mid before the order (ticks) "
	       "= epsilon + eta x size (lots)\n  eta");
	pn(0, 5, im->fit.slope);
	printf(" ticks/lot/lot (se");
	pn(0, 3, im->fit.slope_se);
	printf("), epsilon");
	pn(0, 4, im->fit.intercept);
	printf(" ticks, R2");
	pn(0, 4, im->fit.r2);
	printf(" (%" PRIu64 " orders, mean size", im->fit.n);
	pn(0, 3, im->mean_qty);
	printf(" lots, mean slippage");
	pn(0, 4, im->mean_slip);
	printf(" ticks/lot)\n");

	printf("\nintraday profile: local time %s, bins of %lld min (those observed)\n",
	       u->zone, (long long)(r->profile_bin_ns / (60 * NS_PER_S)));
	printf("  %-6s %10s %10s %12s %11s %12s\n", "time", "observed s", "spread",
	       "volume/min", "trades/min", "vol bps/min");
	for (uint32_t i = 0; i < r->profile_bins; i++) {
		const struct study_profile_bin *pb = &r->profile[i];
		if (!(pb->observed_s > 0))
			continue;
		long long m = (long long)((int64_t)i * r->profile_bin_ns / (60 * NS_PER_S));
		printf("  %02lld:%02lld  %10.1f", m / 60, m % 60, pb->observed_s);
		pn(10, 4, pb->spread_ticks);
		pn(12, 5, pb->volume_per_min);
		pn(11, 5, pb->trades_per_min);
		pn(12, 4, pb->volatility_bps);
		printf("\n");
	}
}

/* ------------------------------------------------------------ JSON */

static json_t *jnum(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *ju(uint64_t v)
{
	return json_integer((json_int_t)v);
}

static json_t *j_ols(const struct study_ols *o)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o}", "n", ju(o->n), "slope", jnum(o->slope),
			 "intercept", jnum(o->intercept), "r2", jnum(o->r2),
			 "slope_se", jnum(o->slope_se));
}

static json_t *j_vec(const double *v, uint32_t n)
{
	json_t *a = json_array();

	for (uint32_t i = 0; i < n; i++)
		json_array_append_new(a, jnum(v[i]));
	return a;
}

static json_t *j_fano(const struct study_fano *f)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o}", "n", ju(f->n), "mean", jnum(f->mean),
			 "var", jnum(f->var), "var_over_mean", jnum(f->ratio),
			 "branching", jnum(f->branching));
}

static json_t *j_hawkes_model(const char *kind, const char *const *types, uint32_t nt,
			      const struct hfit_result *r, int rc)
{
	json_t *t = json_array();

	for (uint32_t i = 0; i < nt; i++)
		json_array_append_new(t, json_string(types[i]));
	json_t *o = json_pack("{s:s, s:o, s:b}", "model", kind, "types", t, "fitted", !rc);
	if (rc) {
		json_object_set_new(o, "error", json_string(rc == -EINVAL ? "too few events" :
					rc == -EDOM ? "no finite likelihood" : strerror(-rc)));
		return o;
	}
	uint32_t d = r->p.dim;
	json_t *al = json_array(), *ks = json_array();
	for (uint32_t i = 0; i < d; i++) {
		json_array_append_new(al, j_vec(r->p.alpha[i], d));
		json_array_append_new(ks, json_pack("{s:o, s:o, s:o}", "n", ju(r->ks[i].n),
						    "stat", jnum(r->ks[i].stat), "p", jnum(r->ks[i].p)));
	}
	json_object_set_new(o, "mu_per_s", j_vec(r->p.mu, d));
	json_object_set_new(o, "alpha_per_s", al);
	json_object_set_new(o, "beta_per_s", j_vec(r->p.beta, d));
	json_object_set_new(o, "branching_ratio", jnum(r->rho));
	json_object_set_new(o, "branching_ratio_se", jnum(r->rho_se));
	json_object_set_new(o, "loglik", jnum(r->loglik));
	json_object_set_new(o, "loglik_poisson", jnum(r->loglik_poisson));
	json_object_set_new(o, "aic", jnum(r->aic));
	json_object_set_new(o, "converged", json_boolean(r->converged));
	json_object_set_new(o, "status", json_string(lbfgsb_status_name(r->status)));
	json_object_set_new(o, "ks", ks);
	return o;
}

static json_t *report_json(const struct run *u, const struct study_result *r)
{
	const struct study_params *sp = u->sp;
	json_t *root = json_object();

	json_object_set_new(root, "file", json_string(u->file));
	json_object_set_new(root, "format", json_string(feed_format_name(u->fmt)));
	json_object_set_new(root, "instrument", cli_instr_json(&u->plan->in));
	json_object_set_new(root, "clock", json_string(u->clock));
	json_object_set_new(root, "local_time", json_pack("{s:s, s:s}", "zone", u->zone,
							   "source", u->zone_from));
	json_t *wl = json_array();
	for (uint32_t i = 0; i < sp->n_windows; i++)
		json_array_append_new(wl, json_real((double)sp->window_ns[i] / 1e9));
	json_object_set_new(root, "params", json_pack("{s:o, s:i, s:o, s:f, s:I}",
		"windows_s", wl, "ofi_levels", (int)sp->ofi_levels,
		"max_gap_s", sp->max_gap_ns > 0 ? json_real((double)sp->max_gap_ns / 1e9) :
		json_null(), "profile_bin_s", (double)sp->profile_bin_ns / 1e9,
		"hawkes_max", (json_int_t)sp->hawkes_max));
	json_object_set_new(root, "events", json_pack("{s:o, s:o, s:o, s:o, s:o}",
		"total", ju(r->events), "book", ju(r->books), "trade", ju(r->trades),
		"back_in_time", ju(r->back_in_time), "bad_rows", ju(u->st->skipped)));
	json_object_set_new(root, "time", json_pack("{s:o, s:o, s:i, s:f}",
		"first_ns", r->events ? json_integer(r->t_first) : json_null(),
		"last_ns", r->events ? json_integer(r->t_last) : json_null(),
		"segments", (int)r->segments, "observed_s", r->observed_s));
	json_object_set_new(root, "trade_signs", json_pack("{s:o, s:o, s:o, s:o}",
		"aggressor", ju(r->signed_by[0]), "quote_rule", ju(r->signed_by[1]),
		"tick_rule", ju(r->signed_by[2]), "unsigned", ju(r->signed_by[3])));

	json_t *wins = json_array();
	for (uint32_t i = 0; i < r->n_windows; i++) {
		const struct study_window_res *w = &r->win[i];
		json_t *pts = json_array();
		for (uint32_t k = 0; k < w->n_points; k++)
			json_array_append_new(pts, json_pack("[f, f]", w->points[k].x,
							     w->points[k].y));
		json_t *oi = j_ols(&w->ofi_int);
		json_object_set_new(oi, "levels", json_integer(w->levels));
		json_object_set_new(oi, "pc1_weights", j_vec(w->pc1, w->levels));
		json_object_set_new(oi, "pc1_share", jnum(w->pc1_share));
		json_array_append_new(wins, json_pack(
			"{s:f, s:o, s:o, s:o, s:o, s:{s:o, s:o}, s:{s:o, s:o, s:o}, s:o}",
			"length_s", (double)w->len_ns / 1e9, "n", ju(w->n),
			"ofi", j_ols(&w->ofi), "ofi_integrated", oi, "kyle", j_ols(&w->kyle),
			"amihud", "per_million", jnum(w->amihud), "windows", ju(w->amihud_n),
			"arrivals", "buy", j_fano(&w->fano[0]), "sell", j_fano(&w->fano[1]),
			"all", j_fano(&w->fano[2]),
			"ofi_points", pts));
	}
	json_object_set_new(root, "windows", wins);

	const struct study_hawkes *h = &r->hawkes;
	json_t *hj = json_pack("{s:b, s:o, s:{s:o, s:o}, s:b, s:o, s:o, s:o, s:f}",
		"fitted", (int)h->fitted, "events", ju(h->events),
		"counts", "buy", ju(h->count[0]), "sell", ju(h->count[1]),
		"capped", (int)h->capped, "trades_left_out", ju(h->trades_left_out),
		"merged_prints", ju(h->merged), "no_aggressor", ju(h->no_side),
		"observed_s", h->observed_s);
	json_t *models = json_array();
	if (sp->hawkes_max) {
		static const char *const b[] = { "buy" }, *const s[] = { "sell" },
				  *const bs[] = { "buy", "sell" };
		json_array_append_new(models, j_hawkes_model("univariate", b, 1, &h->uni[0],
							     h->rc[0]));
		json_array_append_new(models, j_hawkes_model("univariate", s, 1, &h->uni[1],
							     h->rc[1]));
		json_array_append_new(models, j_hawkes_model("bivariate", bs, 2, &h->bi,
							     h->rc[2]));
	}
	json_object_set_new(hj, "models", models);
	json_object_set_new(root, "hawkes", hj);

	const struct study_gh *g = &r->gh;
	const struct study_hs *hs = &r->hs;
	json_object_set_new(root, "spread", json_pack(
		"{s:o, s:o, s:o, s:o, s:{s:o, s:o, s:o},"
		" s:{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o},"
		" s:{s:o, s:o, s:o, s:o, s:o, s:o}}",
		"quoted_ticks", jnum(r->quoted_spread), "effective_ticks", jnum(r->effective_spread),
		"effective_median_ticks", jnum(r->effective_median),
		"effective_n", ju(r->effective_n),
		"roll", "n", ju(r->roll.n), "cov", jnum(r->roll.cov), "spread_ticks", jnum(r->roll.spread),
		"glosten_harris", "n", ju(g->n), "c0", jnum(g->c0), "c1", jnum(g->c1), "z0", jnum(g->z0),
		"z1", jnum(g->z1), "se", j_vec(g->se, 4), "r2", jnum(g->r2), "mean_size", jnum(g->v_mean),
		"transitory_ticks", jnum(g->transitory), "adverse_ticks", jnum(g->adverse),
		"spread_ticks", jnum(g->spread), "adverse_share", jnum(g->adverse_share),
		"huang_stoll", "n", ju(hs->n), "half_spread_ticks", jnum(hs->half_spread),
		"lambda", jnum(hs->lambda), "half_spread_se", jnum(hs->se_half),
		"order_processing_share", jnum(1 - hs->lambda), "r2", jnum(hs->r2)));

	const struct study_fill *fl = &r->fill;
	json_t *curve = json_array();
	uint64_t cum = 0, cums[STUDY_FILL_BINS];
	for (uint32_t j = STUDY_FILL_BINS; j-- > 0;)
		cums[j] = (cum += fl->reach[j]);
	for (uint32_t j = 0; j < STUDY_FILL_BINS; j++)
		if (fl->reach[j])
			json_array_append_new(curve, json_pack("{s:f, s:o, s:o, s:o}",
				"delta_ticks", j / 2.0, "orders", ju(fl->reach[j]),
				"orders_at_or_beyond", ju(cums[j]),
				"rate_per_s", jnum(fl->observed_s > 0 ?
						 (double)cums[j] / fl->observed_s : NAN)));
	json_object_set_new(root, "fill", json_pack("{s:o, s:f, s:o, s:o, s:o, s:o, s:i, s:o}",
		"orders", ju(fl->orders), "observed_s", fl->observed_s,
		"max_ticks", fl->max_ticks > 0 ? json_real(fl->max_ticks) : json_null(),
		"a_per_s", jnum(fl->a),
		"k_per_tick", jnum(fl->k), "r2", jnum(fl->r2), "points_fitted", (int)fl->n_fit,
		"curve", curve));

	const struct study_impact *im = &r->impact;
	json_object_set_new(root, "impact", json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
		"orders", ju(im->fit.n), "eta_ticks_per_lot", jnum(im->fit.slope),
		"eta_se", jnum(im->fit.slope_se), "epsilon_ticks", jnum(im->fit.intercept),
		"r2", jnum(im->fit.r2), "mean_qty", jnum(im->mean_qty),
		"mean_slippage_ticks", jnum(im->mean_slip)));

	json_t *bins = json_array();
	for (uint32_t i = 0; i < r->profile_bins; i++) {
		const struct study_profile_bin *pb = &r->profile[i];
		if (!(pb->observed_s > 0))
			continue;
		long long m = (long long)((int64_t)i * r->profile_bin_ns / (60 * NS_PER_S));
		char hm[48];
		snprintf(hm, sizeof(hm), "%02lld:%02lld", m / 60, m % 60);
		json_array_append_new(bins, json_pack("{s:s, s:f, s:f, s:o, s:o, s:o, s:o, s:o, s:o}",
			"start", hm, "start_s", (double)m * 60, "observed_s", pb->observed_s,
			"spread_ticks", jnum(pb->spread_ticks), "volume", jnum(pb->volume),
			"trades", ju(pb->trades), "volume_per_min", jnum(pb->volume_per_min),
			"trades_per_min", jnum(pb->trades_per_min),
			"volatility_bps", jnum(pb->volatility_bps)));
	}
	json_object_set_new(root, "profile", json_pack("{s:s, s:f, s:o}", "zone", u->zone,
		"bin_s", (double)r->profile_bin_ns / 1e9, "bins", bins));
	json_object_set_new(root, "seconds", json_pack("{s:f, s:f, s:f}", "read", u->secs_read,
		"estimates", u->secs - u->secs_read, "total", u->secs));
	return root;
}

/* ------------------------------------------------------------ HTML */

/* A table row: a label, then a number cell keyed by its JSON path. */
static void h_row(FILE *f, const char *label, const char *key, double v, const char *unit)
{
	chart_html(f, "<tr>");
	chart_cell_text(f, 0, label);
	chart_cell_num(f, key, v);
	chart_cell_text(f, 0, unit);
	chart_html(f, "</tr>\n");
}

static void h_summary(FILE *f, const struct run *u, const struct study_result *r)
{
	const struct feed_instr *in = &u->plan->in;
	char a[48], b[48], buf[256];
	static const char *const head[] = { "", "value", "" };

	chart_section_begin(f, "summary", "The file");
	chart_table_begin(f, "summary", NULL, head, 3);
	chart_html(f, "<tr>");
	chart_cell_text(f, 0, "file");
	chart_cell_text(f, 0, u->file);
	chart_cell_text(f, 0, feed_format_name(u->fmt));
	chart_html(f, "</tr>\n<tr>");
	snprintf(buf, sizeof(buf), "%s: tick %s, lot %s, %s", in->symbol, in->tick, in->lot,
		 in->currency[0] ? in->currency : "currency unknown");
	chart_cell_text(f, 0, "instrument");
	chart_cell_text(f, 0, buf);
	chart_cell_text(f, 0, "");
	chart_html(f, "</tr>\n");
	h_row(f, "events", "events.total", (double)r->events, "");
	h_row(f, "book updates", "events.book", (double)r->books, "");
	h_row(f, "trades", "events.trade", (double)r->trades, "");
	h_row(f, "observed time", "time.observed_s", r->observed_s, "s");
	h_row(f, "segments", "time.segments", r->segments, "");
	if (r->events) {
		iso_utc(r->t_first, a, sizeof(a));
		iso_utc(r->t_last, b, sizeof(b));
		snprintf(buf, sizeof(buf), "%s .. %s", a, b);
		chart_html(f, "<tr>");
		chart_cell_text(f, 0, "time (UTC)");
		chart_cell_text(f, 0, buf);
		chart_cell_text(f, 0, u->clock);
		chart_html(f, "</tr>\n");
	}
	chart_html(f, "<tr>");
	chart_cell_text(f, 0, "local time");
	chart_cell_text(f, 0, u->zone);
	chart_cell_text(f, 0, u->zone_from);
	chart_html(f, "</tr>\n");
	chart_table_end(f);
	chart_section_end(f);
}

static void h_ofi(FILE *f, const struct study_result *r, struct chart_series *pts,
		  struct chart_series *fit)
{
	char title[160], note[256], key[64], len[32];

	chart_section_begin(f, "ofi", "Order-flow imbalance and price impact");
	chart_para(f, NULL, "The mid change over each window against the window's level-1 "
		   "order-flow imbalance (Cont, Kukanov and Stoikov 2014), with the least-squares "
		   "line; the integrated OFI is the first principal component of the "
		   "depth-normalised OFI of %u levels (Cont, Cucuringu and Zhang 2023).",
		   r->n_windows ? r->win[0].levels : 0);
	for (uint32_t i = 0; i < r->n_windows; i++) {
		const struct study_window_res *w = &r->win[i];
		len_text(w->len_ns, len, sizeof(len));
		chart_series_init(pts, "windows", CHART_POINTS, "s0");
		chart_series_init(fit, "least squares", CHART_LINE, "fit");
		double lo = INFINITY, hi = -INFINITY;
		for (uint32_t k = 0; k < w->n_points; k++) {
			chart_series_add(pts, w->points[k].x, w->points[k].y);
			lo = fmin(lo, w->points[k].x);
			hi = fmax(hi, w->points[k].x);
		}
		if (isfinite(w->ofi.slope) && lo < hi) {
			chart_series_add(fit, lo, w->ofi.intercept + w->ofi.slope * lo);
			chart_series_add(fit, hi, w->ofi.intercept + w->ofi.slope * hi);
		}
		snprintf(title, sizeof(title), "%s windows: mid change on level-1 OFI", len);
		snprintf(note, sizeof(note), "%" PRIu64 " windows (empty ones are points at 0, 0; "
			 "at most %u non-empty ones drawn, a uniform sample): slope %.6g ticks per "
			 "lot, R2 %.4f.", w->n, STUDY_SCATTER_MAX, w->ofi.slope, w->ofi.r2);
		struct chart c = { .title = title, .x_label = "OFI, lots",
				   .y_label = "mid change, ticks", .note = note };
		const struct chart_series *ss[] = { pts, fit };
		chart_xy(f, &c, ss, 2);
	}
	static const char *const head[] = { "window", "n", "OFI slope", "OFI R2",
		"integrated slope", "integrated R2", "PC1 share", "Kyle lambda", "Kyle R2",
		"Amihud per million" };
	chart_table_begin(f, "ofi", "Per window length: the regressions of the mid change "
			  "(ticks) on the level-1 OFI (lots), the integrated OFI (depth units) and "
			  "the signed volume (lots, Kyle's lambda); Amihud's |return| per million of "
			  "the currency traded", head, 10);
	for (uint32_t i = 0; i < r->n_windows; i++) {
		const struct study_window_res *w = &r->win[i];
		len_text(w->len_ns, len, sizeof(len));
		chart_html(f, "<tr>");
		chart_cell_text(f, 0, len);
#define CELL(path, v) snprintf(key, sizeof(key), "windows.%u." path, i), chart_cell_num(f, key, v)
		CELL("n", (double)w->n);
		CELL("ofi.slope", w->ofi.slope);
		CELL("ofi.r2", w->ofi.r2);
		CELL("ofi_integrated.slope", w->ofi_int.slope);
		CELL("ofi_integrated.r2", w->ofi_int.r2);
		CELL("ofi_integrated.pc1_share", w->pc1_share);
		CELL("kyle.slope", w->kyle.slope);
		CELL("kyle.r2", w->kyle.r2);
		CELL("amihud.per_million", w->amihud);
#undef CELL
		chart_html(f, "</tr>\n");
	}
	chart_table_end(f);
	chart_section_end(f);
}

static void h_hawkes(FILE *f, const struct study_params *sp, const struct study_result *r)
{
	const struct study_hawkes *h = &r->hawkes;
	char key[64], len[32];
	static const char *const names[3] = { "buy", "sell", "buy and sell jointly" };
	const struct hfit_result *m[3] = { &h->uni[0], &h->uni[1], &h->bi };

	chart_section_begin(f, "hawkes", "Trade arrivals");
	if (sp->hawkes_max) {
		static const char *const head[] = { "model", "side", "mu 1/s", "alpha 1/s (sum)",
			"beta 1/s", "branching ratio", "its se", "log-likelihood", "KS p" };
		chart_table_begin(f, "hawkes", "Hawkes fits, exponential kernel, maximum "
				  "likelihood (dm-hawkes-fit's models): aggressive orders, exchange "
				  "times, prints of one order merged", head, 9);
		for (int k = 0; k < 3; k++) {
			if (h->rc[k]) {
				chart_html(f, "<tr>");
				chart_cell_text(f, 0, names[k]);
				chart_cell_text(f, 0, "not fitted: too few events");
				chart_html(f, "</tr>\n");
				continue;
			}
			for (uint32_t i = 0; i < m[k]->p.dim; i++) {
				double as = 0;
				for (uint32_t j = 0; j < m[k]->p.dim; j++)
					as += m[k]->p.alpha[i][j];
				chart_html(f, "<tr>");
				chart_cell_text(f, 0, i ? "" : names[k]);
				chart_cell_text(f, 0, (k == 1 || i == 1) ? "sell" : "buy");
				snprintf(key, sizeof(key), "hawkes.models.%d.mu_per_s.%u", k, i);
				chart_cell_num(f, key, m[k]->p.mu[i]);
				chart_cell_num(f, NULL, as);
				snprintf(key, sizeof(key), "hawkes.models.%d.beta_per_s.%u", k, i);
				chart_cell_num(f, key, m[k]->p.beta[i]);
				snprintf(key, sizeof(key), "hawkes.models.%d.branching_ratio", k);
				chart_cell_num(f, i ? NULL : key, i ? NAN : m[k]->rho);
				chart_cell_num(f, NULL, i ? NAN : m[k]->rho_se);
				chart_cell_num(f, NULL, i ? NAN : m[k]->loglik);
				chart_cell_num(f, NULL, m[k]->ks[i].p);
				chart_html(f, "</tr>\n");
			}
		}
		chart_table_end(f);
		chart_para(f, "note", "%" PRIu64 " orders (buy %" PRIu64 ", sell %" PRIu64 "), %"
			   PRIu64 " prints merged, %.1f s observed%s.", h->events, h->count[0],
			   h->count[1], h->merged, h->observed_s, h->capped ?
			   "; capped at --hawkes-max, later trades left out" : "");
	}
	static const char *const head2[] = { "window", "n", "buy var/mean", "buy branching",
		"sell var/mean", "sell branching", "all var/mean", "all branching" };
	chart_table_begin(f, "arrivals", "Aggressive orders per window: the variance-to-mean "
			  "ratio of the counts and the branching ratio 1 - 1/sqrt(var/mean) it "
			  "implies (Hardiman and Bouchaud 2014)", head2, 8);
	for (uint32_t i = 0; i < r->n_windows; i++) {
		const struct study_window_res *w = &r->win[i];
		len_text(w->len_ns, len, sizeof(len));
		chart_html(f, "<tr>");
		chart_cell_text(f, 0, len);
		chart_cell_int(f, NULL, (int64_t)w->fano[2].n);
		for (int k = 0; k < 3; k++) {
			snprintf(key, sizeof(key), "windows.%u.arrivals.%s.var_over_mean", i,
				 side_name[k]);
			chart_cell_num(f, key, w->fano[k].ratio);
			snprintf(key, sizeof(key), "windows.%u.arrivals.%s.branching", i,
				 side_name[k]);
			chart_cell_num(f, key, w->fano[k].branching);
		}
		chart_html(f, "</tr>\n");
	}
	chart_table_end(f);
	chart_section_end(f);
}

static void h_spreads(FILE *f, const struct study_result *r)
{
	static const char *const head[] = { "measure", "value", "unit" };

	chart_section_begin(f, "spreads", "Spreads");
	chart_table_begin(f, "spreads", NULL, head, 3);
	h_row(f, "quoted, time-weighted", "spread.quoted_ticks", r->quoted_spread, "ticks");
	h_row(f, "effective 2 q (p - mid), mean", "spread.effective_ticks", r->effective_spread,
	      "ticks");
	h_row(f, "effective, median", "spread.effective_median_ticks", r->effective_median,
	      "ticks");
	h_row(f, "Roll (1984)", "spread.roll.spread_ticks", r->roll.spread, "ticks");
	h_row(f, "Glosten-Harris (1988): spread 2 (c + z)", "spread.glosten_harris.spread_ticks",
	      r->gh.spread, "ticks");
	h_row(f, "  transitory c (order processing, inventory)",
	      "spread.glosten_harris.transitory_ticks", r->gh.transitory, "ticks");
	h_row(f, "  adverse selection z", "spread.glosten_harris.adverse_ticks", r->gh.adverse,
	      "ticks");
	h_row(f, "  adverse-selection share", "spread.glosten_harris.adverse_share",
	      r->gh.adverse_share, "");
	h_row(f, "Huang-Stoll (1997): half spread S/2", "spread.huang_stoll.half_spread_ticks",
	      r->hs.half_spread, "ticks");
	h_row(f, "  adverse selection and inventory share", "spread.huang_stoll.lambda",
	      r->hs.lambda, "");
	chart_table_end(f);
	chart_section_end(f);
}

static void h_fill(FILE *f, const struct study_result *r, struct chart_series *pts,
		   struct chart_series *fit)
{
	const struct study_fill *fl = &r->fill;
	uint64_t cum = 0, cums[STUDY_FILL_BINS];
	char note[256];
	double dmax = 0;

	for (uint32_t j = STUDY_FILL_BINS; j-- > 0;)
		cums[j] = (cum += fl->reach[j]);
	chart_section_begin(f, "fill", "Fill intensity");
	for (int lg = 0; lg < 2; lg++) {
		chart_series_init(pts, "orders reaching delta, per second", CHART_POINTS, "s0");
		chart_series_init(fit, "A exp(-k delta)", CHART_LINE, "fit");
		for (uint32_t j = 1; j < STUDY_FILL_BINS; j++)
			if (fl->reach[j] && fl->observed_s > 0) {
				double rate = (double)cums[j] / fl->observed_s;
				chart_series_add(pts, j / 2.0, lg ? log10(rate) : rate);
				dmax = j / 2.0;
			}
		if (isfinite(fl->k) && dmax > 0)
			for (int i = 0; i <= 100; i++) {
				double d = 0.5 + (dmax - 0.5) * i / 100.0;
				double v = fl->a * exp(-fl->k * d);
				chart_series_add(fit, d, lg ? log10(v) : v);
			}
		snprintf(note, sizeof(note), "%" PRIu64 " aggressive orders over %.1f s; A %.6g per "
			 "s, k %.6g per tick, R2 %.4f over %u points%s.", fl->orders, fl->observed_s,
			 fl->a, fl->k, fl->r2, fl->n_fit, fl->max_ticks > 0 ? " (up to "
			 "--fill-max-ticks)" : "");
		struct chart c = { .title = lg ? "lambda(delta) on a log scale" :
				   "lambda(delta): aggressive orders reaching delta ticks beyond "
				   "the mid", .x_label = "delta, ticks from the mid",
				   .y_label = lg ? "log10 orders per second" : "orders per second",
				   .y_zero = !lg, .note = note };
		const struct chart_series *ss[] = { pts, fit };
		chart_xy(f, &c, ss, 2);
	}
	const struct study_impact *im = &r->impact;
	static const char *const head[] = { "orders", "eta, ticks/lot/lot", "its se",
		"epsilon, ticks", "R2", "mean size, lots", "mean slippage, ticks/lot" };
	chart_table_begin(f, "impact", "Temporary impact: each aggressive order's slippage "
			  "per lot against the mid before it, regressed on its size "
			  "(epsilon + eta x size; Almgren-Chriss)", head, 7);
	chart_html(f, "<tr>");
	chart_cell_num(f, "impact.orders", (double)im->fit.n);
	chart_cell_num(f, "impact.eta_ticks_per_lot", im->fit.slope);
	chart_cell_num(f, "impact.eta_se", im->fit.slope_se);
	chart_cell_num(f, "impact.epsilon_ticks", im->fit.intercept);
	chart_cell_num(f, "impact.r2", im->fit.r2);
	chart_cell_num(f, "impact.mean_qty", im->mean_qty);
	chart_cell_num(f, "impact.mean_slippage_ticks", im->mean_slip);
	chart_html(f, "</tr>\n");
	chart_table_end(f);
	chart_section_end(f);
}

static void h_profile(FILE *f, const struct run *u, const struct study_result *r,
		      struct chart_series *s)
{
	static const char *const what[4] = { "Quoted spread", "Volume", "Trades",
					     "Volatility of the mid" };
	static const char *const unit[4] = { "ticks (time-weighted)", "lots per minute",
					     "trades per minute", "bps over one minute" };
	uint32_t nb = 0;
	char title[128];

	for (uint32_t i = 0; i < r->profile_bins; i++)
		nb += r->profile[i].observed_s > 0;
	chart_section_begin(f, "profile", "Intraday profiles");
	chart_para(f, NULL, "By local time of day (%s, %s), bins of %lld minutes, those with "
		   "observed time (%u).", u->zone, u->zone_from,
		   (long long)(r->profile_bin_ns / (60 * NS_PER_S)), nb);
	for (int k = 0; k < 4; k++) {
		chart_series_init(s, what[k], nb < 3 ? CHART_POINTS : CHART_LINE, "s0");
		for (uint32_t i = 0; i < r->profile_bins; i++) {
			const struct study_profile_bin *pb = &r->profile[i];
			if (!(pb->observed_s > 0))
				continue;
			double v = k == 0 ? pb->spread_ticks : k == 1 ? pb->volume_per_min :
				   k == 2 ? pb->trades_per_min : pb->volatility_bps;
			chart_series_add(s, (double)((int64_t)i * r->profile_bin_ns / NS_PER_S), v);
		}
		snprintf(title, sizeof(title), "%s by time of day", what[k]);
		struct chart c = { .title = title, .x_label = "local time", .y_label = unit[k],
				   .x_axis = CHART_AX_CLOCK, .y_zero = 1 };
		const struct chart_series *ss[] = { s };
		chart_xy(f, &c, ss, 1);
	}
	chart_section_end(f);
}

/* The page: written whole or not at all (files.h). */
static int report_html(const char *path, const struct run *u, const struct study_result *r)
{
	struct afile *af = malloc(sizeof(*af));
	struct chart_series *s = malloc(2 * sizeof(*s));
	char sub[512];
	int rc;

	if (!af || !s) {
		free(af);
		free(s);
		return cli_fail(1, "out of memory for the page");
	}
	if ((rc = afile_open(af, path, NULL)) < 0) {
		rc = cli_fail(rc == -EEXIST ? 2 : 1, "-o %s", af->err);
		free(af);
		free(s);
		return rc;
	}
	FILE *f = af->f;
	snprintf(sub, sizeof(sub), "%s (%s, %s): %" PRIu64 " events, %.1f s observed; "
		 "docs/study.md has the definitions", u->file, feed_format_name(u->fmt),
		 u->plan->in.symbol, r->events, r->observed_s);
	chart_page_begin(f, "DreamMaker microstructure study", sub);
	chart_html(f, "<section id=\"study\">\n");
	h_summary(f, u, r);
	h_ofi(f, r, &s[0], &s[1]);
	h_hawkes(f, u->sp, r);
	h_spreads(f, r);
	h_fill(f, r, &s[0], &s[1]);
	h_profile(f, u, r, &s[0]);
	chart_html(f, "</section>\n");
	chart_page_end(f);
	free(s);
	if ((rc = afile_commit(af)) < 0) {
		rc = cli_fail(rc == -EEXIST ? 2 : 1, "-o %s", af->err);
		free(af);
		return rc;
	}
	free(af);
	return 0;
}

/* ------------------------------------------------------------ main */

int main(int argc, char **argv)
{
	struct args a = { .feed.format = FEED_AUTO, .clock = -1,
			  .hawkes_max = STUDY_DEF_HAWKES_MAX };
	static struct dm_config cfg;
	static struct feed_reader rd;
	static struct feed_plan plan;
	static struct study_result res;
	struct feed_instr conf_in;
	struct feed_want want;
	struct study *s = NULL;
	char err[FEED_ERR_LEN + 64];
	int rc, code = 0;

	cli_set_prog("dm-study");
	if ((rc = parse_args(argc, argv, &a)))
		return rc;
	if (a.config) {
		if (rt_config_load_core(&cfg, a.config, err, sizeof(err)))
			return cli_fail(2, "-c %s", err);
	} else {
		config_defaults(&cfg);
	}
	if (a.html) {
		char terr[PATH_MAX + 128];
		if (files_check_target(a.html, terr, sizeof(terr)) < 0)
			return cli_fail(2, "-o %s", terr);
	}

	/* ---- the instrument and its units (feed_resolve: every tool's rule) */
	cli_feed_want(&a.feed, &cfg, &conf_in, &want);
	if ((rc = feed_resolve(a.input, &want, &plan, err, sizeof(err))) < 0)
		return cli_fail(cli_exit_code(rc), "%s", err);
	uint32_t L = a.feed.levels ? a.feed.levels : EV_MAX_LEVELS;

	struct run u = { .file = a.input, .fmt = plan.fmt, .plan = &plan };
	struct study_params *sp = &a.sp;
	sp->hawkes_max = (uint32_t)a.hawkes_max;
	sp->clock = a.clock >= 0 ? (uint32_t)a.clock :
		    plan.recv_clock ? STUDY_CLOCK_RECV : STUDY_CLOCK_EXCH;
	u.clock = sp->clock == STUDY_CLOCK_RECV ? "receive" : "exchange";
	if (!sp->ofi_levels)
		sp->ofi_levels = L < STUDY_OFI_LEVELS ? L : STUDY_OFI_LEVELS;
	else if (sp->ofi_levels > L)
		return cli_usage_error("--ofi-levels %u: more than the %u levels read (--levels)",
				       sp->ofi_levels, L);
	sp->ccy_per_tick_lot = plan.in.tick_v *
			       (plan.in.point_value > 0 ? plan.in.point_value : plan.in.lot_v);
	local_time(&u, sp, &a, &cfg);
	study_params_defaults(sp);
	if (study_params_check(sp, err, sizeof(err)))
		return cli_fail(2, "%s", err);
	u.sp = sp;

	size_t msz = study_memsize(sp);
	s = aligned_alloc(64, msz);
	if (!s)
		return cli_fail(1, "out of memory");
	if (study_init(s, msz, sp)) {
		free(s);
		return cli_fail(1, "internal: the study refused its checked parameters");
	}
	if ((rc = feed_open(&rd, a.input, plan.fmt, &plan.fo, err, sizeof(err)))) {
		study_close(s);
		free(s);
		return cli_fail(cli_exit_code(rc), "%s", err);
	}
	u.st = feed_stats(&rd);

	/* ---- the pass */
	const struct event *ev;
	int64_t t0 = cli_mono_ns(), last = t0;
	int tty = isatty(2), show = !a.quiet && tty;
	uint64_t n = 0;
	while ((rc = feed_next_ref(&rd, &ev)) == 1) {
		if ((rc = study_on_event(s, ev)) < 0)
			break;
		if (DM_UNLIKELY((++n & 0xffff) == 0) && show) {
			int64_t now = cli_mono_ns();
			if (now - last >= PROGRESS_NS) {
				last = now;
				fprintf(stderr, "\r%s: %s: %" PRIu64 " events, %.1f MB\033[K",
					cli_prog(), a.input, n, (double)u.st->bytes / 1e6);
			}
		}
	}
	if (show && last != t0)
		fputs("\r\033[K", stderr);
	if (rc < 0) {
		if (rc == -ENOMEM)
			code = cli_fail(1, "%s: out of memory for the Hawkes series (--hawkes-max "
					"lowers it)", a.input);
		else
			code = cli_fail(cli_exit_code(rc), "%s%s", feed_error(&rd),
					a.feed.strict && rc == -DM_ECORRUPT ? " (--strict: stopped "
					"at the first bad row)" : "");
		goto close;
	}
	u.secs_read = (double)(cli_mono_ns() - t0) / 1e9;
	if (!a.quiet && !a.json && sp->hawkes_max && tty)
		fprintf(stderr, "%s: fitting...\r", cli_prog());
	if ((rc = study_finish(s, &res)) < 0) {
		code = cli_fail(1, "%s: out of memory in the fits", a.input);
		goto close;
	}
	if (!a.quiet && !a.json && sp->hawkes_max && tty)
		fputs("\r\033[K", stderr);
	u.secs = (double)(cli_mono_ns() - t0) / 1e9;

	if (a.json) {
		json_t *o = report_json(&u, &res);
		if (!o || json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
				     JSON_REAL_PRECISION(12)))
			code = cli_fail(1, "cannot write the JSON report");
		fputc('\n', stdout);
		json_decref(o);
	} else {
		report_text(&u, &res);
	}
	if (!code && a.html) {
		code = report_html(a.html, &u, &res);
		if (!code && !a.quiet)
			fprintf(stderr, "%s: %s -> %s\n", cli_prog(), a.input, a.html);
	}
	if (fflush(stdout) || ferror(stdout))
		code = cli_fail(1, "writing the report: %s", strerror(errno));
close:
	feed_close(&rd);
	study_close(s);
	free(s);
	return code;
}
