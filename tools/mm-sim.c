/*
 * dm-mm-sim — the simulation of Avellaneda and Stoikov (2008), section 4:
 * the inventory strategy against the symmetric benchmark over many mid
 * paths, one row per gamma and strategy (libcore/control/mm_sim.h;
 * docs/strategies.md, "The paper's simulation").
 *
 *   dm-mm-sim [--gamma G[,G...]] [--paths N] [--seed N] [--strategy S]
 *             [--sigma X] [--A X] [--k X] [--dt X] [--T X] [--s0 X]
 *             [--spread full|constant] [--fill-mid new|old]
 *             [--sym-spread X] [--json] [-o FILE] [--quiet]
 *
 * Exit 0 on success, 1 when the output cannot be written, 2 on bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcore/cli/cli.h"
#include "libcore/control/mm_sim.h"
#include "tools/lib/files.h"

#define MAX_GAMMAS 32

/* The paper's Tables 1-3 (gamma 0.1, 0.01, 0.5; 1000 paths each). */
struct paper_row {
	double gamma;
	int    strategy;
	double spread, profit, profit_std, q, q_std;
};

static const struct paper_row paper[] = {
	{ 0.1,  MM_SIM_INVENTORY, 1.29, 62.94,  5.89,  0.10,  2.80 },
	{ 0.1,  MM_SIM_SYMMETRIC, 1.29, 67.21, 13.43, -0.018, 8.66 },
	{ 0.01, MM_SIM_INVENTORY, 1.33, 66.78,  8.76, -0.02,  4.70 },
	{ 0.01, MM_SIM_SYMMETRIC, 1.33, 67.36, 13.40, -0.31,  8.65 },
	{ 0.5,  MM_SIM_INVENTORY, 1.15, 33.92,  4.72, -0.02,  1.88 },
	{ 0.5,  MM_SIM_SYMMETRIC, 1.15, 66.20, 14.53,  0.25,  9.06 },
};

static const struct paper_row *paper_find(double gamma, int strategy)
{
	for (size_t i = 0; i < sizeof(paper) / sizeof(paper[0]); i++)
		if (paper[i].gamma == gamma && paper[i].strategy == strategy)
			return &paper[i];
	return NULL;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: dm-mm-sim [options]\n"
"\n"
"The numerical experiment of Avellaneda and Stoikov (2008), \"High-frequency\n"
"trading in a limit order book\", section 4: a mid s moving +/- sigma sqrt(dt)\n"
"each step, a market maker's bid and ask each hit with probability\n"
"A exp(-k delta) dt per step, profit x + q s at T.  The inventory strategy\n"
"quotes around the reservation price s - q gamma sigma^2 (T - t) with the\n"
"spread gamma sigma^2 (T - t) + (2/gamma) ln(1 + gamma/k); the symmetric\n"
"strategy quotes a constant spread (the inventory strategy's mean) around s.\n"
"Prints per gamma and strategy the mean spread, mean and std of the profit\n"
"and of the final inventory, beside the paper's table where it has the row.\n"
"\n"
"  --gamma LIST      risk aversions, comma-separated (default 0.1,0.01,0.5)\n"
"  --paths N         paths per gamma and strategy (default 1000)\n"
"  --seed N          64-bit seed (default 1); same seed, same table\n"
"  --strategy S      inventory, symmetric or both (default both)\n"
"  --sigma X         mid volatility per sqrt(time) (default 2)\n"
"  --A X             fill intensity at distance 0, per time (default 140)\n"
"  --k X             intensity decay per price unit (default 1.5)\n"
"  --dt X            time step (default 0.005)\n"
"  --T X             horizon (default 1)\n"
"  --s0 X            first mid (default 100)\n"
"  --spread MODE     full: eq. 30 with its gamma sigma^2 (T - t) term\n"
"                    (default); constant: (2/gamma) ln(1 + gamma/k) only, the\n"
"                    spread the paper's tables report\n"
"  --fill-mid WHEN   new: a fill's distance is to the mid after the step's\n"
"                    move (default); old: to the mid the quotes were set at\n"
"  --sym-spread X    the symmetric strategy's spread (default: the inventory\n"
"                    strategy's mean spread)\n"
"  --json            one JSON object: params and rows (with the paper's where\n"
"                    it has them)\n"
"  -o FILE           write the table or JSON to FILE (whole or not at all)\n"
"  --quiet           no progress on stderr\n"
"  -h, --help        this text\n"
"  --version         the release\n");
}

static int parse_gammas(const char *s, double *g, uint32_t *n)
{
	char buf[512], *save = NULL;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	*n = 0;
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (*n >= MAX_GAMMAS || cli_parse_pos_double(tok, &g[*n]))
			return -1;
		(*n)++;
	}
	return *n ? 0 : -1;
}

static json_t *row_json(double gamma, const struct mm_sim_stats *st)
{
	const struct paper_row *pr = paper_find(gamma, st->strategy);
	json_t *o = json_pack("{s:f, s:s, s:I, s:f, s:f, s:f, s:f, s:f, s:f}",
		"gamma", gamma, "strategy", mm_sim_strategy_name(st->strategy),
		"paths", (json_int_t)st->paths, "spread", st->spread,
		"profit_mean", st->profit_mean, "profit_std", st->profit_std,
		"q_mean", st->q_mean, "q_std", st->q_std, "fills_mean", st->fills_mean);

	if (o && pr)
		json_object_set_new(o, "paper", json_pack("{s:f, s:f, s:f, s:f, s:f, s:i}",
			"spread", pr->spread, "profit_mean", pr->profit,
			"profit_std", pr->profit_std, "q_mean", pr->q, "q_std", pr->q_std,
			"paths", 1000));
	return o;
}

int main(int argc, char **argv)
{
	enum { O_GAMMA = 0x200, O_PATHS, O_SEED, O_STRAT, O_SIGMA, O_A, O_K, O_DT, O_T,
	       O_S0, O_SPREAD, O_FILLMID, O_SYM };
	static const struct option opts[] = {
		{ "gamma",      required_argument, 0, O_GAMMA },
		{ "paths",      required_argument, 0, O_PATHS },
		{ "seed",       required_argument, 0, O_SEED },
		{ "strategy",   required_argument, 0, O_STRAT },
		{ "sigma",      required_argument, 0, O_SIGMA },
		{ "A",          required_argument, 0, O_A },
		{ "k",          required_argument, 0, O_K },
		{ "dt",         required_argument, 0, O_DT },
		{ "T",          required_argument, 0, O_T },
		{ "s0",         required_argument, 0, O_S0 },
		{ "spread",     required_argument, 0, O_SPREAD },
		{ "fill-mid",   required_argument, 0, O_FILLMID },
		{ "sym-spread", required_argument, 0, O_SYM },
		{ "output",     required_argument, 0, 'o' },
		{ "json",       no_argument,       0, CLI_O_JSON },
		{ "help",       no_argument,       0, 'h' },
		{ "version",    no_argument,       0, CLI_O_VERSION },
		{ "quiet",      no_argument,       0, CLI_O_QUIET },
		{ 0, 0, 0, 0 }
	};
	struct mm_sim_params p;
	double gammas[MAX_GAMMAS] = { 0.1, 0.01, 0.5 }, v;
	uint32_t ng = 3;
	int strat_lo = MM_SIM_INVENTORY, strat_hi = MM_SIM_SYMMETRIC;
	int json = 0, quiet = 0, c, rc;
	const char *out_path = NULL;
	char err[256];
	struct mm_sim_stats st[MAX_GAMMAS][2];
	struct afile af = { .f = NULL };
	FILE *f = stdout;

	cli_set_prog("dm-mm-sim");
	mm_sim_params_default(&p);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
		switch (c) {
		case O_GAMMA:
			if (parse_gammas(optarg, gammas, &ng))
				return cli_usage_error("--gamma '%s': expected 1..%d numbers > 0, "
						       "comma-separated", optarg, MAX_GAMMAS);
			break;
		case O_PATHS:
			if (cli_parse_u64(optarg, &p.paths) || p.paths < 1 || p.paths > 100000000)
				return cli_usage_error("--paths '%s': expected 1..100000000", optarg);
			break;
		case O_SEED:
			if (cli_parse_u64(optarg, &p.seed))
				return cli_usage_error("--seed '%s': expected an unsigned 64-bit integer",
						       optarg);
			break;
		case O_STRAT:
			if (!strcmp(optarg, "inventory"))
				strat_lo = strat_hi = MM_SIM_INVENTORY;
			else if (!strcmp(optarg, "symmetric"))
				strat_lo = strat_hi = MM_SIM_SYMMETRIC;
			else if (!strcmp(optarg, "both"))
				strat_lo = MM_SIM_INVENTORY, strat_hi = MM_SIM_SYMMETRIC;
			else
				return cli_usage_error("--strategy '%s': expected inventory, "
						       "symmetric or both", optarg);
			break;
		case O_SPREAD:
			if (!strcmp(optarg, "full"))
				p.spread = MM_SIM_SPREAD_FULL;
			else if (!strcmp(optarg, "constant"))
				p.spread = MM_SIM_SPREAD_CONSTANT;
			else
				return cli_usage_error("--spread '%s': expected full or constant", optarg);
			break;
		case O_FILLMID:
			if (!strcmp(optarg, "new"))
				p.fill_mid = MM_SIM_FILL_NEW_MID;
			else if (!strcmp(optarg, "old"))
				p.fill_mid = MM_SIM_FILL_OLD_MID;
			else
				return cli_usage_error("--fill-mid '%s': expected new or old", optarg);
			break;
		case O_SIGMA: case O_A: case O_K: case O_DT: case O_T: case O_S0: case O_SYM:
			if (cli_parse_double(optarg, &v))
				return cli_usage_error("%s '%s': expected a finite number",
						       argv[optind - 1], optarg);
			switch (c) {
			case O_SIGMA: p.sigma = v; break;
			case O_A:     p.A = v; break;
			case O_K:     p.k = v; break;
			case O_DT:    p.dt = v; break;
			case O_T:     p.T = v; break;
			case O_S0:    p.s0 = v; break;
			default:
				if (!(v > 0))
					return cli_usage_error("--sym-spread '%s': expected a "
							       "number > 0", optarg);
				p.sym_spread = v;
				break;
			}
			break;
		case 'o': out_path = optarg; break;
		case CLI_O_JSON: json = 1; break;
		case CLI_O_QUIET: quiet = 1; break;
		case CLI_O_VERSION: return cli_version();
		case 'h': usage(stdout); return 0;
		default:
			return cli_bad_option(c, argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);
	for (uint32_t i = 0; i < ng; i++) {
		p.gamma = gammas[i];
		if (mm_sim_params_check(&p, err, sizeof(err)))
			return cli_usage_error("%s", err);
	}
	if (out_path && afile_open(&af, out_path, NULL) < 0)
		return cli_fail(2, "-o %s", af.err);

	double t0 = cli_mono_s();
	for (uint32_t i = 0; i < ng; i++) {
		p.gamma = gammas[i];
		for (int s = strat_lo; s <= strat_hi; s++) {
			if ((rc = mm_sim_run(&p, s, &st[i][s], err, sizeof(err)))) {
				afile_abort(&af);
				return cli_fail(2, "%s", err);
			}
			if (!quiet)
				fprintf(stderr, "dm-mm-sim: gamma %g %s: %" PRIu64 " paths, %.2f s\n",
					gammas[i], mm_sim_strategy_name(s), p.paths,
					cli_mono_s() - t0);
		}
	}

	if (af.f)
		f = af.f;
	if (json) {
		json_t *rows = json_array();
		json_t *o = json_pack("{s:{s:f, s:f, s:f, s:f, s:f, s:f, s:s, s:s, s:I, s:I, s:I}}",
			"params", "s0", p.s0, "T", p.T, "sigma", p.sigma, "dt", p.dt,
			"A", p.A, "k", p.k,
			"spread", p.spread == MM_SIM_SPREAD_FULL ? "full" : "constant",
			"fill_mid", p.fill_mid == MM_SIM_FILL_NEW_MID ? "new" : "old",
			"paths", (json_int_t)p.paths, "seed", (json_int_t)p.seed,
			"steps", (json_int_t)mm_sim_steps(&p));
		if (!o || !rows) {
			afile_abort(&af);
			return cli_fail(1, "out of memory");
		}
		if (p.sym_spread > 0)
			json_object_set_new(json_object_get(o, "params"), "sym_spread",
					    json_real(p.sym_spread));
		for (uint32_t i = 0; i < ng; i++)
			for (int s = strat_lo; s <= strat_hi; s++)
				json_array_append_new(rows, row_json(gammas[i], &st[i][s]));
		json_object_set_new(o, "rows", rows);
		if (json_dumpf(o, f, JSON_PRESERVE_ORDER | JSON_INDENT(2) | JSON_REAL_PRECISION(10))) {
			afile_abort(&af);
			return cli_fail(1, "cannot write the JSON");
		}
		fputc('\n', f);
		json_decref(o);
	} else {
		fprintf(f, "Avellaneda-Stoikov simulation: s0 %g, T %g, sigma %g, dt %g (%" PRIu64
			" steps), A %g, k %g; spread %s, fills at the %s mid; %" PRIu64
			" paths, seed %" PRIu64 "\n\n", p.s0, p.T, p.sigma, p.dt, mm_sim_steps(&p),
			p.A, p.k, p.spread == MM_SIM_SPREAD_FULL ? "full" : "constant",
			p.fill_mid == MM_SIM_FILL_NEW_MID ? "new" : "old", p.paths, p.seed);
		fprintf(f, "gamma   strategy    spread   profit  std(profit)  final q  std(q)"
			   "   fills |  paper: spread  profit  std(profit)  final q  std(q)\n");
		for (uint32_t i = 0; i < ng; i++)
			for (int s = strat_lo; s <= strat_hi; s++) {
				const struct mm_sim_stats *r = &st[i][s];
				const struct paper_row *pr = paper_find(gammas[i], s);
				fprintf(f, "%-7g %-10s %7.3f %8.2f %12.2f %8.3f %7.2f %7.1f |",
					gammas[i], mm_sim_strategy_name(s), r->spread,
					r->profit_mean, r->profit_std, r->q_mean, r->q_std,
					r->fills_mean);
				if (pr)
					fprintf(f, "         %6.2f %7.2f %12.2f %8.3f %7.2f\n",
						pr->spread, pr->profit, pr->profit_std, pr->q,
						pr->q_std);
				else
					fprintf(f, "  (not in the paper)\n");
			}
	}
	if (af.f) {
		if (afile_commit(&af) < 0)
			return cli_fail(1, "-o %s", af.err);
	} else if (fflush(stdout)) {
		return cli_fail(1, "stdout: %s", strerror(errno));
	}
	return 0;
}
