/*
 * dm-seg — create, check and remove the shared-memory segment of a
 * configuration.  The supervisor uses it; operators use it to clear a
 * segment a crashed run left behind.
 *
 *   dm-seg create [-c CONF] [--name SEG] [--epoch N]
 *   dm-seg check  [-c CONF] [--name SEG]
 *   dm-seg remove [-c CONF] [--name SEG] [--force]
 *   dm-seg config [-c CONF] [--json]
 *   dm-seg check-name NAME
 *   dm-seg fault  [-c CONF] [--name SEG] AGENT POINT      (testing)
 *
 * `config` is the check the supervisor makes before it generates or
 * converts any data: the configuration, its risk limits file (and their
 * currency) and the model file; it prints the instrument.  `check-name`
 * is the one rule of segment names (seg_name_check) for scripts: dmctl
 * asks it about every name it is given.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agents/rt/view.h"
#include "libcore/cli/cli.h"
#include "libcore/config/config.h"
#include "libcore/market/instrument.h"
#include "libcore/msg/msg.h"
#include "libcore/risk/risk.h"

#define DEFAULT_CONF "conf/default.yaml"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dm-seg create|check|remove [-c CONF] [--name SEG] [--force]\n"
		"       dm-seg create [-c CONF] [--name SEG] [--epoch N]\n"
		"       dm-seg config [-c CONF] [--json] [--no-check]\n"
		"       dm-seg check-name [--] NAME\n"
		"       dm-seg fault [-c CONF] [--name SEG] AGENT POINT\n"
		"\n"
		"The shared-memory segment of a run: creates, checks and removes it,\n"
		"and loads and checks a configuration.\n"
		"\n"
		"  create   create the segment CONF describes (agents, rings); refuses a\n"
		"           name that exists, saying whether a live run owns it or a\n"
		"           crashed run left it\n"
		"  check    attach and validate (magic, version, layout, size, owner)\n"
		"  remove   unlink a segment nobody uses; --force also a live one\n"
		"  config   load and check CONF, its risk limits file (currency too) and\n"
		"           its model file, then print the instrument; --json: one object\n"
		"           {config, instrument:{symbol,tick,lot,currency,point_value},\n"
		"           risk_currency, fee_currency, fee_per_lot, risk_limits, model,\n"
		"           system:{shm_name,run_dir}, cpus} (system: the configured\n"
		"           values, whatever --name or $DM_SHM_NAME say; cpus: the CPUs\n"
		"           agents are pinned to, each once, ascending); --no-check:\n"
		"           CONF alone, without its risk limits and model files, and\n"
		"           only {config, system, cpus} (what a script needs to find\n"
		"           and place a run)\n"
		"  check-name  exit 0 when NAME is a valid segment name: '/' then 1 to\n"
		"           %d bytes, none of them '/' or a control character, not '/.'\n"
		"           or '/..'; else say why and exit 2 (no configuration read)\n"
		"  fault    testing: arm a one-shot fault point in AGENT's state region\n"
		"           of the live segment; the agent kills itself (SIGKILL) when it\n"
		"           next passes it, and the supervisor restarts it.  Points:\n"
		"           coordinator release (a release decided and journaled, its\n"
		"           order not yet sent to execution), execution send (an order\n"
		"           journaled, not yet handed to the venue)\n"
		"\n"
		"  -c, --config CONF  configuration (default %s)\n"
		"  -n, --name SEG     segment name (default $DM_SHM_NAME, else system.shm_name)\n"
		"  -f, --force        remove even if processes still use it\n"
		"      --epoch N      create: the run's id epoch, 1..16777215, the high bits\n"
		"                     of every decision id and order id (epoch << 40 | n);\n"
		"                     default the creation second & 0xffffff.  A replay gives\n"
		"                     a fixed one (dmctl run: 1) so that two runs of one\n"
		"                     market give the same ids\n"
		"      --json         config: the machine summary on stdout\n"
		"  -h, --help         this text\n"
		"      --version      the release and layout words\n"
		"\n"
		"exit: 0 ok, 1 runtime failure (no such segment, a live run holds it), 2 bad\n"
		"usage, configuration, segment name or segment header\n",
		SEG_NAME_MAX - 2, DEFAULT_CONF);
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void explain_existing(const char *name)
{
	struct seg_probe p;
	if (seg_probe(name, &p) != 0 || !p.valid) {
		fprintf(stderr, "dm-seg: %s exists but is not a readable DreamMaker segment; "
				"inspect /dev/shm%s and remove it by hand\n", name, name);
		return;
	}
	time_t t = (time_t)(p.created_ns / 1000000000);
	char when[64];
	struct tm tm;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime_r(&t, &tm));
	if (p.live_pid)
		fprintf(stderr, "dm-seg: %s is in use by a live run (pid %d, created %s by pid %d); "
				"stop it first (tools/dmctl stop) or pick another --name\n",
			name, (int)p.live_pid, when, (int)p.creator_pid);
	else
		fprintf(stderr, "dm-seg: %s is stale: created %s by pid %d, no process of it is alive; "
				"remove it with 'dm-seg remove --name %s'\n",
			name, when, (int)p.creator_pid, name);
}

static int cmd_create(const struct rt_config *conf, const char *name, uint32_t epoch)
{
	/* nothing may start trading with limits the risk agent would refuse */
	struct risk_cfg limits;
	char err[512];
	if (config_load_risk_for(&conf->core, &limits, NULL, 0, err, sizeof(err)) < 0) {
		fprintf(stderr, "dm-seg: %s\n", err);
		return 2;
	}
	struct seg_spec spec;
	if (topology_spec(conf, name, &spec) != 0) {
		fprintf(stderr, "dm-seg: %s: topology does not fit the segment format\n",
			conf->core.path);
		return 2;
	}
	spec.epoch = epoch;
	struct seg s;
	int rc = seg_create(&s, &spec, now_ns());
	if (rc == -DM_EBUSY || rc == -DM_ESTALE || rc == -EEXIST) {
		explain_existing(name);
		return 1;
	}
	if (rc) {
		fprintf(stderr, "dm-seg: create %s: %s\n", name, dm_strerror(rc));
		return rc == -DM_ETOPOLOGY || rc == -EINVAL ? 2 : 1;
	}
	printf("created %s: %u agents, %u rings, %zu bytes, epoch %u\n", name, s.hdr->n_agents,
	       s.hdr->n_rings, s.size, s.hdr->epoch);
	seg_close(&s);
	return 0;
}

/* A K_DEC value (x 10^6) as the shortest decimal: "0.01", "5". */
static const char *dec_e6(int64_t v, char out[32])
{
	uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	int n = snprintf(out, 32, "%s%llu.%06llu", v < 0 ? "-" : "",
			 (unsigned long long)(mag / CFG_DEC_SCALE),
			 (unsigned long long)(mag % CFG_DEC_SCALE));
	while (n > 0 && out[n - 1] == '0')
		out[--n] = '\0';
	if (n > 0 && out[n - 1] == '.')
		out[--n] = '\0';
	return out;
}

/* The CPUs the agents are pinned to (agents.<name>.cpu), each once,
 * ascending: a JSON array, and as text ("2 3 5", or "none") into txt. */
static json_t *pinned_cpus(const struct rt_config *conf, char *txt, size_t len)
{
	json_t *a = json_array();
	size_t n = 0;
	txt[0] = '\0';
	for (int32_t cpu = 0; cpu < 1024; cpu++) {
		int used = 0;
		for (uint32_t i = 0; i < AGENT_COUNT; i++)
			used |= conf->agent[i].cpu == cpu;
		if (!used)
			continue;
		json_array_append_new(a, json_integer(cpu));
		if (n < len)
			n += (size_t)snprintf(txt + n, len - n, "%s%d", n ? " " : "", (int)cpu);
	}
	if (!txt[0])
		snprintf(txt, len, "none");
	return a;
}

static int cmd_config(const struct rt_config *conf, int json, int no_check)
{
	const struct dm_config *c = &conf->core;
	const struct rt_system *sys = &conf->system;
	char cpus[4096];
	json_t *cpu_list = pinned_cpus(conf, cpus, sizeof(cpus));
	if (no_check) {
		/* the configuration file alone: what scripts need to find a run
		 * (and the CPUs a service runs on) */
		json_t *o = json_pack("{s:s, s:{s:s, s:s}, s:o, s:s}", "config", c->path, "system",
				      "shm_name", sys->shm_name, "run_dir", sys->run_dir,
				      "cpus", cpu_list, "venue_kind",
				      venue_kind_names[c->venue.kind & 1]);
		if (!json) {
			json_decref(o);
			printf("config      %s\n", c->path);
			printf("system      segment %s, run directory %s\n", sys->shm_name,
			       sys->run_dir);
			printf("cpus        %s (agents pinned: agents.<name>.cpu)\n", cpus);
			return 0;
		}
		if (!o || json_dumpf(o, stdout, JSON_COMPACT) < 0) {
			json_decref(o);
			fprintf(stderr, "dm-seg: cannot write the summary\n");
			return 1;
		}
		putchar('\n');
		json_decref(o);
		return 0;
	}
	struct risk_cfg limits;
	char err[1024], risk_path[1024], model[1024] = "", tick[32], lot[32], pv[32], fee[32];
	if (config_load_risk_for(c, &limits, risk_path, sizeof(risk_path), err, sizeof(err)) ||
	    config_check_files(c, &limits, err, sizeof(err))) {
		json_decref(cpu_list);
		fprintf(stderr, "dm-seg: %s\n", err);
		return 2;
	}
	if (c->strategy.model[0] && config_resolve(c, c->strategy.model, model, sizeof(model)))
		model[0] = '\0';
	const struct cfg_instrument *in = &c->instrument;
	dec_e6(in->tick_size_e6, tick);
	dec_e6(in->lot_size_e6, lot);
	dec_e6(in->point_value_e6, pv);
	dec_e6(c->venue.fee_per_lot_e6, fee);
	if (json) {
		json_t *o = json_pack("{s:s, s:{s:s, s:s, s:s, s:s, s:f}, s:s, s:s, s:s, s:s, s:s, "
				      "s:{s:s, s:s}, s:o, s:s}",
			"config", c->path,
			"instrument", "symbol", in->symbol, "tick", tick, "lot", lot,
				"currency", in->currency,
				"point_value", (double)in->point_value_e6 / CFG_DEC_SCALE,
			"risk_currency", limits.currency, "fee_currency", c->venue.currency,
			"fee_per_lot", fee, "risk_limits", risk_path, "model", model,
			"system", "shm_name", sys->shm_name, "run_dir", sys->run_dir,
			"cpus", cpu_list, "venue_kind", venue_kind_names[c->venue.kind & 1]);
		if (!o || json_dumpf(o, stdout, JSON_COMPACT | JSON_REAL_PRECISION(15)) < 0) {
			json_decref(o);
			fprintf(stderr, "dm-seg: cannot write the summary\n");
			return 1;
		}
		putchar('\n');
		json_decref(o);
		return 0;
	}
	printf("config      %s\n", c->path);
	printf("instrument  %s, tick %s, lot %s, %s, point value %s %s per price unit per lot\n",
	       in->symbol, tick, lot, in->currency, pv, in->currency);
	printf("risk        %s (limits in %s)\n", risk_path, limits.currency);
	printf("fees        %s %s per lot per fill\n", fee, c->venue.currency);
	printf("model       %s\n", model[0] ? model : "(none: primary rule alone)");
	printf("system      segment %s, run directory %s\n", sys->shm_name, sys->run_dir);
	printf("cpus        %s (agents pinned: agents.<name>.cpu)\n", cpus);
	json_decref(cpu_list);
	return 0;
}

static int cmd_check(const char *name)
{
	struct seg s;
	char why[512];
	int rc = seg_attach_err(&s, name, 1, msg_layout_hash(), why, sizeof(why));
	if (rc) {
		fprintf(stderr, "dm-seg: %s: %s%s%s\n", name, dm_strerror(rc), why[0] ? ": " : "",
			why);
		return seg_bad_input(rc) ? 2 : 1;
	}
	printf("%s: valid, %u agents, %u rings, %zu bytes, epoch %u\n", name, s.hdr->n_agents,
	       s.hdr->n_rings, s.size, s.hdr->epoch);
	seg_close(&s);
	return 0;
}

static int cmd_fault(const char *name, const char *agent, const char *point)
{
	struct seg s;
	char err[256];
	int rc = seg_attach(&s, name, 0, msg_layout_hash());
	if (rc) {
		fprintf(stderr, "dm-seg: %s: %s\n", name, dm_strerror(rc));
		return 1;
	}
	rc = rt_fault_arm(&s, agent, point, err, sizeof(err));
	seg_close(&s);
	if (rc < 0) {
		fprintf(stderr, "dm-seg: fault: %s\n", err);
		return rc == -EINVAL ? 2 : 1;
	}
	printf("armed %s %s: it kills itself when it next passes the point\n", agent, point);
	return 0;
}

static int cmd_remove(const char *name, int force)
{
	struct seg_probe p;
	int rc = seg_probe(name, &p);
	if (rc) {
		fprintf(stderr, "dm-seg: %s: %s\n", name, dm_strerror(rc));
		return 1;
	}
	if (p.live_pid && !force) {
		explain_existing(name);
		fprintf(stderr, "dm-seg: not removed (use --force to remove it anyway)\n");
		return 1;
	}
	rc = seg_unlink(name);
	if (rc) {
		fprintf(stderr, "dm-seg: unlink %s: %s\n", name, dm_strerror(rc));
		return 1;
	}
	printf("removed %s\n", name);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "name", required_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "no-check", no_argument, NULL, 'N' },
		{ "epoch", required_argument, NULL, 'E' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *conf = DEFAULT_CONF, *name = NULL;
	int force = 0, json = 0, no_check = 0, c;
	uint32_t epoch = 0;
	const char *epoch_arg = NULL;
	cli_set_prog("dm-seg");
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:n:fh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': conf = optarg; break;
		case 'n': name = optarg; break;
		case 'f': force = 1; break;
		case 'j': json = 1; break;
		case 'N': no_check = 1; break;
		case 'E': epoch_arg = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': return cli_version();
		default: return cli_bad_option(c, argv[optind - 1]);
		}
	}
	if (optind < argc && strcmp(argv[optind], "check-name") == 0) {
		char why[512];
		if (optind != argc - 2 || name || epoch_arg || force || json || no_check) {
			fprintf(stderr, "dm-seg: check-name takes one NAME and no option\n");
			return 2;
		}
		if (seg_name_check(argv[optind + 1], why, sizeof(why)) != 0) {
			fprintf(stderr, "dm-seg: %s\n", why);
			return 2;
		}
		return 0;
	}
	const char *cmd = optind < argc ? argv[optind] : "";
	int want = strcmp(cmd, "fault") == 0 ? 3 : 1; /* fault AGENT POINT */
	if (argc - optind != want) {
		usage(stderr);
		return 2;
	}
	if (epoch_arg) {
		char *end;
		unsigned long long v = strtoull(epoch_arg, &end, 10);
		if (*epoch_arg < '0' || *epoch_arg > '9' || *end || v < 1 || v > SEG_EPOCH_MAX) {
			fprintf(stderr, "dm-seg: --epoch '%s': a whole number 1..%u\n", epoch_arg,
				SEG_EPOCH_MAX);
			return 2;
		}
		if (strcmp(cmd, "create") != 0) {
			fprintf(stderr, "dm-seg: --epoch is an option of create only\n");
			return 2;
		}
		epoch = (uint32_t)v;
	}

	static struct rt_config cfg;
	char err[512];
	if (rt_config_load(&cfg, conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "dm-seg: %s\n", err);
		return 2;
	}
	/* config shows the configured name, whatever --name says */
	if (strcmp(cmd, "config") == 0)
		return cmd_config(&cfg, json, no_check);
	const char *from = topology_seg_name_from(&cfg, name);
	name = topology_seg_name(&cfg, name);
	if (seg_name_check(name, err, sizeof(err)) != 0) {
		fprintf(stderr, "dm-seg: %s (from %s)\n", err, from);
		return 2;
	}
	if (strcmp(cmd, "create") == 0)
		return cmd_create(&cfg, name, epoch);
	if (strcmp(cmd, "check") == 0)
		return cmd_check(name);
	if (strcmp(cmd, "remove") == 0)
		return cmd_remove(name, force);
	if (strcmp(cmd, "fault") == 0)
		return cmd_fault(name, argv[optind + 1], argv[optind + 2]);
	fprintf(stderr, "dm-seg: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
