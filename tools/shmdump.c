/*
 * dm-shmdump — inspect a live DreamMaker segment: header, agents, rings.
 *
 *   dm-shmdump [--name SEG] [-c CONF] [--json] [--watch SEC]
 *              [--summary | --progress | --system | --command AGENT |
 *               --tsv agents|rings | --alarms]
 *
 * Maps the segment read-only and never writes to it, so it is safe to run
 * against a trading system.  Values are read without stopping anyone: each
 * figure is exact, but figures may come from slightly different instants.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agents/rt/view.h"
#include "libcore/cli/cli.h"
#include "libcore/config/config.h"
#include "libcore/msg/msg.h"
#include "shm/seg.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dm-shmdump [--name SEG] [-c CONF] [--json] [--watch SEC]\n"
		"                  [--summary | --progress | --system | --command AGENT |\n"
		"                   --tsv agents|rings | --alarms]\n"
		"\n"
		"Print a live segment: header, agents (pid, state, heartbeat age,\n"
		"restarts, counters), rings (capacity, fill, head, tail, full,\n"
		"dropped, last sequence), latency histograms, positions and recent\n"
		"decisions.  Read-only; safe on a running system.\n"
		"\n"
		"  -n, --name SEG    segment name (default $DM_SHM_NAME, else system.shm_name\n"
		"                    of CONF, else the configuration's default)\n"
		"  -c, --config CONF the configuration that names the segment\n"
		"  -j, --json        one JSON document (one per line with --watch)\n"
		"  -w, --watch SEC   repeat every SEC seconds (fractions allowed) until ^C\n"
		"  -s, --summary     the paper-trading summary only: events, intents,\n"
		"                    decisions by reason, orders, fills, position, P&L\n"
		"                    gross and net of fees (checked against the venue's\n"
		"                    fills), tick-to-order latency (--json: as JSON)\n"
		"                    and one WARNING line per loss counter that is not 0\n"
		"                    (bad rows, data-quality drops, bet size 0, conflation)\n"
		"  -p, --progress    one line of the same figures\n"
		"      --system      the system in one line, machine form: STATE POSITION NET\n"
		"                    REALIZED UNREALIZED FEES CURRENCY SYMBOL REASON (STATE\n"
		"                    TRADING, HALTED, KILL_SWITCH or DOWN; --json: an object)\n"
		"      --command AGENT\n"
		"                    the agent's answer to the last operator command, machine\n"
		"                    form: SEQ CMD OUTCOME TEXT (OUTCOME none, ok, refused or\n"
		"                    failed; --json: an object)\n"
		"      --tsv agents|rings\n"
		"                    machine form for scripts: a header line naming the\n"
		"                    columns, then one tab-separated row per agent or ring\n"
		"                    (docs/operations.md lists the columns; new columns are\n"
		"                    only ever appended)\n"
		"      --alarms      one ALARM line per journal that cannot write (agent,\n"
		"                    file, error, first and last failure), or the halt a\n"
		"                    journal failure left until 'dmctl resume'; nothing\n"
		"                    when there is none (--json: the failing journals)\n"
		"  -h, --help        this text\n"
		"      --version     the release and the layout words\n"
		"\n"
		"exit: 0 ok, 1 segment missing, still being created or another user's\n"
		"(--summary: also when the run handled no event), 2 bad usage, a\n"
		"configuration refused, a bad segment name, or a segment header that fails\n"
		"its checks (the field and its value are named)\n");
}

/* Sequence number of the newest message in a ring, 0 if none. */
static uint64_t last_seq(const struct ring *r, uint64_t head)
{
	if (head == 0 || r->slot_size - RING_SLOT_HDR < sizeof(struct msg_hdr))
		return 0;
	struct msg_hdr h;
	memcpy(&h, ring_slot(r, head - 1), sizeof(h));
	return h.seq;
}

static double age_ms(int64_t then_ns, int64_t now)
{
	return then_ns > 0 ? (double)(now - then_ns) / 1e6 : -1.0;
}

static json_t *agent_json(const struct agent_slot *a, int64_t now)
{
	struct agent_slot *m = (struct agent_slot *)a;
	return json_pack("{s:s, s:i, s:b, s:s, s:I, s:I, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
		"name", a->name,
		"pid", (int)atomic_load(&m->pid),
		"alive", agent_pid_alive(a),
		"state", agent_state_name(atomic_load(&m->state)),
		"generation", (json_int_t)atomic_load(&m->generation),
		"restarts", (json_int_t)atomic_load(&m->restarts),
		"heartbeat_age_ms", age_ms(atomic_load(&m->heartbeat_ns), now),
		"msgs_in", (json_int_t)atomic_load(&m->ctr.msgs_in),
		"msgs_out", (json_int_t)atomic_load(&m->ctr.msgs_out),
		"errors", (json_int_t)atomic_load(&m->ctr.errors),
		"backpressure", (json_int_t)atomic_load(&m->ctr.backpressure),
		"sleeps", (json_int_t)atomic_load(&m->bell.sleeps),
		"wakes", (json_int_t)atomic_load(&m->bell.wakes),
		"last_seq_in", (json_int_t)atomic_load(&m->ctr.last_seq_in),
		"held", (json_int_t)atomic_load(&m->ctr.held));
}

static json_t *ring_json(const struct seg *s, uint32_t i)
{
	const struct seg_ring_desc *d = &s->hdr->ring[i];
	const struct ring *r = seg_ring(s, i);
	struct ring_stats st;
	ring_stats(r, &st);
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:I}",
		"name", d->name,
		"producer", seg_agent(s, d->producer)->name,
		"consumer", seg_agent(s, d->consumer)->name,
		"policy", d->policy == RING_CONFLATE ? "conflate" : "block",
		"capacity", (json_int_t)d->capacity,
		"slot_size", (int)d->slot_size,
		"fill", (json_int_t)(st.head - st.tail),
		"head", (json_int_t)st.head,
		"tail", (json_int_t)st.tail,
		"pushed", (json_int_t)st.head, /* head counts every message published */
		"popped", (json_int_t)st.tail, /* tail counts every message consumed */
		"full", (json_int_t)st.full,
		"dropped", (json_int_t)st.dropped,
		"pending", (int)st.pending,
		"last_seq", (json_int_t)last_seq(r, st.head));
}

static json_t *seg_json(const struct seg *s)
{
	const struct seg_hdr *h = s->hdr;
	int64_t now = now_ns();
	char hash[24];
	snprintf(hash, sizeof(hash), "%016llx", (unsigned long long)h->layout_hash);
	json_t *agents = json_array(), *rings = json_array();
	for (uint32_t i = 0; i < h->n_agents; i++)
		json_array_append_new(agents, agent_json(seg_agent(s, i), now));
	for (uint32_t i = 0; i < h->n_rings; i++)
		json_array_append_new(rings, ring_json(s, i));
	return json_pack("{s:{s:s, s:i, s:s, s:I, s:i, s:i, s:I, s:f, s:s, s:I}, s:o, s:o, s:o}",
		"segment",
		"name", s->name,
		"version", (int)h->version,
		"layout_hash", hash,
		"size", (json_int_t)h->total_size,
		"owner_uid", (int)h->owner_uid,
		"creator_pid", (int)h->creator_pid,
		"created_ns", (json_int_t)h->created_ns,
		"age_s", (double)(now - h->created_ns) / 1e9,
		"state", h->state == SEG_READY ? "ready" : h->state == SEG_CLOSING ? "closing" : "creating",
		"epoch", (json_int_t)h->epoch, /* of every decision and order id */
		"agents", agents,
		"rings", rings,
		"state", rt_dump_json(s)); /* positions, votes, recent decisions */
}

static void print_table(const struct seg *s)
{
	json_t *j = seg_json(s);
	json_t *sg = json_object_get(j, "segment");
	printf("segment %s  version %lld  layout %s  size %lld B  owner uid %lld  creator pid %lld  age %.1f s  %s  epoch %lld\n",
	       json_string_value(json_object_get(sg, "name")),
	       json_integer_value(json_object_get(sg, "version")),
	       json_string_value(json_object_get(sg, "layout_hash")),
	       json_integer_value(json_object_get(sg, "size")),
	       json_integer_value(json_object_get(sg, "owner_uid")),
	       json_integer_value(json_object_get(sg, "creator_pid")),
	       json_real_value(json_object_get(sg, "age_s")),
	       json_string_value(json_object_get(sg, "state")),
	       json_integer_value(json_object_get(sg, "epoch")));

	printf("\n%-12s %7s %-5s %-9s %4s %4s %9s %12s %12s %7s %9s %9s\n", "AGENT", "PID",
	       "ALIVE", "STATE", "GEN", "RST", "HB_AGE_MS", "MSGS_IN", "MSGS_OUT", "ERRORS",
	       "SLEEPS", "WAKES");
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(j, "agents"), i, a) {
		double hb = json_real_value(json_object_get(a, "heartbeat_age_ms"));
		char hbs[24];
		if (hb < 0)
			snprintf(hbs, sizeof(hbs), "-");
		else
			snprintf(hbs, sizeof(hbs), "%.1f", hb);
		printf("%-12s %7lld %-5s %-9s %4lld %4lld %9s %12lld %12lld %7lld %9lld %9lld\n",
		       json_string_value(json_object_get(a, "name")),
		       json_integer_value(json_object_get(a, "pid")),
		       json_is_true(json_object_get(a, "alive")) ? "yes" : "no",
		       json_string_value(json_object_get(a, "state")),
		       json_integer_value(json_object_get(a, "generation")),
		       json_integer_value(json_object_get(a, "restarts")), hbs,
		       json_integer_value(json_object_get(a, "msgs_in")),
		       json_integer_value(json_object_get(a, "msgs_out")),
		       json_integer_value(json_object_get(a, "errors")),
		       json_integer_value(json_object_get(a, "sleeps")),
		       json_integer_value(json_object_get(a, "wakes")));
	}

	printf("\n%-20s %-25s %-8s %8s %5s %8s %12s %12s %9s %9s %12s\n", "RING",
	       "PRODUCER->CONSUMER", "POLICY", "CAPACITY", "SLOT", "FILL", "HEAD", "TAIL",
	       "FULL", "DROPPED", "LAST_SEQ");
	json_t *r;
	json_array_foreach(json_object_get(j, "rings"), i, r) {
		char pc[48];
		snprintf(pc, sizeof(pc), "%s->%s", json_string_value(json_object_get(r, "producer")),
			 json_string_value(json_object_get(r, "consumer")));
		printf("%-20s %-25s %-8s %8lld %5lld %8lld %12lld %12lld %9lld %9lld %12lld\n",
		       json_string_value(json_object_get(r, "name")), pc,
		       json_string_value(json_object_get(r, "policy")),
		       json_integer_value(json_object_get(r, "capacity")),
		       json_integer_value(json_object_get(r, "slot_size")),
		       json_integer_value(json_object_get(r, "fill")),
		       json_integer_value(json_object_get(r, "head")),
		       json_integer_value(json_object_get(r, "tail")),
		       json_integer_value(json_object_get(r, "full")),
		       json_integer_value(json_object_get(r, "dropped")),
		       json_integer_value(json_object_get(r, "last_seq")));
	}
	json_decref(j);
	printf("\n");
	rt_dump_text(s, stdout);
}

/*
 * The machine form of the agent and ring tables (--tsv): a header line of
 * column names, then one row per agent or ring, fields separated by one
 * tab.  Columns are the keys of the JSON objects above, in this order;
 * scripts (tools/dmctl) select columns by header name, and a new column is
 * only ever appended.  Booleans are "yes"/"no"; an agent never heard from
 * has heartbeat_age_ms "-".
 */
static const char *const tsv_agent_cols[] = {
	"name", "pid", "alive", "state", "generation", "restarts", "heartbeat_age_ms",
	"msgs_in", "msgs_out", "errors", "backpressure", "sleeps", "wakes", "last_seq_in",
	"held",
};
static const char *const tsv_ring_cols[] = {
	"name", "producer", "consumer", "policy", "capacity", "slot_size", "fill", "head",
	"tail", "full", "dropped", "pending", "last_seq",
};

static void tsv_field(json_t *v, const char *key)
{
	if (json_is_string(v))
		fputs(json_string_value(v), stdout);
	else if (json_is_integer(v))
		printf("%lld", (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		fputs(json_is_true(v) ? "yes" : "no", stdout);
	else if (json_is_real(v) && strcmp(key, "heartbeat_age_ms") == 0 && json_real_value(v) < 0)
		fputs("-", stdout);
	else if (json_is_real(v))
		printf("%.3f", json_real_value(v));
	else
		fputs("-", stdout);
}

static void print_tsv(const struct seg *s, int rings)
{
	json_t *j = seg_json(s);
	const char *const *cols = rings ? tsv_ring_cols : tsv_agent_cols;
	size_t n = rings ? ARRAY_SIZE(tsv_ring_cols) : ARRAY_SIZE(tsv_agent_cols);
	for (size_t c = 0; c < n; c++)
		printf("%s%s", c ? "\t" : "", cols[c]);
	putchar('\n');
	size_t i;
	json_t *row;
	json_array_foreach(json_object_get(j, rings ? "rings" : "agents"), i, row) {
		for (size_t c = 0; c < n; c++) {
			if (c)
				putchar('\t');
			tsv_field(json_object_get(row, cols[c]), cols[c]);
		}
		putchar('\n');
	}
	json_decref(j);
}

static void print_json(const struct seg *s)
{
	json_t *j = seg_json(s);
	json_dumpf(j, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	json_decref(j);
}

/* Print a JSON document on one line and release it. */
static void print_json_doc(json_t *j)
{
	json_dumpf(j, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	json_decref(j);
}

static const char *attach_hint(int err)
{
	switch (-err) {
	case ENOENT:      return "no such segment: is the system running? (name from --name or DM_SHM_NAME)";
	case DM_ELAYOUT:  return "built from different headers than the running system: rebuild dm-shmdump from the same tree";
	case DM_EOWNER:   return "owned by another user: run as that user";
	case EAGAIN:      return "still being created: try again";
	default:          return dm_strerror(err);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "watch", required_argument, NULL, 'w' },
		{ "summary", no_argument, NULL, 's' },
		{ "progress", no_argument, NULL, 'p' },
		{ "system", no_argument, NULL, 'S' },
		{ "command", required_argument, NULL, 'C' },
		{ "tsv", required_argument, NULL, 'T' },
		{ "alarms", no_argument, NULL, 'A' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	cli_set_prog("dm-shmdump");
	opterr = 0;
	const char *name = NULL;
	int json = 0, summary = 0, progress = 0, system = 0, alarms = 0;
	const char *command = NULL, *conf = NULL;
	int tsv = -1; /* 0 agents, 1 rings */
	double watch = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":n:c:jw:sph", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 's':
			summary = 1;
			break;
		case 'p':
			progress = 1;
			break;
		case 'S':
			system = 1;
			break;
		case 'A':
			alarms = 1;
			break;
		case 'C':
			command = optarg;
			break;
		case 'T':
			if (strcmp(optarg, "agents") == 0)
				tsv = 0;
			else if (strcmp(optarg, "rings") == 0)
				tsv = 1;
			else {
				fprintf(stderr, "dm-shmdump: --tsv '%s': agents or rings\n", optarg);
				return 2;
			}
			break;
		case 'c':
			conf = optarg;
			break;
		case 'w':
			watch = strtod(optarg, &end);
			if (*end || !(watch > 0) || !isfinite(watch)) {
				fprintf(stderr, "dm-shmdump: --watch '%s': expected a number of seconds > 0\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			return cli_version();
		default:
			return cli_bad_option(c, argv[optind - 1]);
		}
	}
	if (summary + progress + system + alarms + (command != NULL) + (tsv >= 0) > 1) {
		fprintf(stderr, "dm-shmdump: --summary, --progress, --system, --command, --tsv and "
			"--alarms exclude each other\n");
		return 2;
	}
	if (tsv >= 0 && json) {
		fprintf(stderr, "dm-shmdump: --tsv and --json exclude each other\n");
		return 2;
	}
	int agent = -1;
	if (command) {
		agent = rt_agent_id(command);
		if (agent < 0) {
			fprintf(stderr, "dm-shmdump: --command '%s': an agent (coordinator, data, "
				"feature, ml, execution, risk)\n", command);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "dm-shmdump: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	/* the one default segment name is the configuration's (system.shm_name) */
	static struct rt_config cfg;
	char err[512];
	const char *from;
	if (topology_seg_name_load(&cfg, conf, &name, &from, err, sizeof(err)) != 0) {
		fprintf(stderr, "dm-shmdump: %s\n", err);
		return 2;
	}
	if (seg_name_check(name, err, sizeof(err)) != 0) {
		fprintf(stderr, "dm-shmdump: %s (from %s)\n", err, from);
		return 2;
	}

	struct seg s;
	int rc = seg_attach_err(&s, name, 1, msg_layout_hash(), err, sizeof(err));
	if (rc) {
		/* a header that fails its checks is bad input: its field and value */
		if (seg_bad_input(rc))
			fprintf(stderr, "dm-shmdump: %s: %s: %s%s\n", name, dm_strerror(rc), err,
				rc == -DM_ELAYOUT ? "; rebuild dm-shmdump from the same tree as "
				"the running system" : "");
		else
			fprintf(stderr, "dm-shmdump: %s: %s\n", name, attach_hint(rc));
		return seg_bad_input(rc) ? 2 : 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	int status = 0;
	for (;;) {
		if (watch > 0 && !json && !progress && tsv < 0)
			fputs("\033[H\033[2J", stdout);
		if (tsv >= 0) {
			print_tsv(&s, tsv);
		} else if (progress) {
			rt_progress_text(&s, stdout);
		} else if (alarms && json) {
			json_t *d = rt_dump_json(&s);
			print_json_doc(json_incref(json_object_get(d, "alarms")));
			json_decref(d);
		} else if (alarms) {
			rt_alarms_text(&s, stdout);
		} else if (system && json) {
			print_json_doc(rt_system_json(&s));
		} else if (system) {
			rt_system_fields(&s, stdout);
		} else if (command) {
			json_t *j = json ? rt_command_json(&s, (uint32_t)agent) : NULL;
			if (json && j)
				print_json_doc(j);
			else if (json || rt_command_fields(&s, (uint32_t)agent, stdout) < 0) {
				fprintf(stderr, "dm-shmdump: %s: the %s has not set up its state "
					"yet\n", name, command);
				status = 1;
			}
		} else if (summary) {
			if (json)
				print_json_doc(rt_summary_json(&s));
			else
				rt_summary_text(&s, stdout);
			/* a run that handled nothing, or ignored most of its
			 * input, is not a result */
			char why[512];
			if (rt_summary_verdict(&s, why, sizeof(why))) {
				fprintf(stderr, "dm-shmdump: not a result: %s\n", why);
				status = 1;
			}
		} else if (json) {
			print_json(&s);
		} else {
			print_table(&s);
		}
		fflush(stdout);
		if (watch <= 0 || stop)
			break;
		struct timespec ts = { (time_t)watch, (long)((watch - floor(watch)) * 1e9) };
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR && !stop)
			;
		if (stop)
			break;
	}
	seg_close(&s);
	return status;
}
