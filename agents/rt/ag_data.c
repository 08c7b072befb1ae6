/*
 * ag_data.c — the data agent: replays a market-data file into the md_*
 * rings (agents.h).
 *
 * Book events go out as MSG_BOOK (conflatable: ring_offer on a conflate
 * ring, the newest book wins when the consumer lags); trades as
 * MSG_TRADE (ring_try_push: never conflated; when a ring is full the
 * event is held and retried, and reading stops until it is out).  Every
 * message is flagged MSG_F_REPLAY.  An event counts as published once
 * every md ring has it; the count lives in the segment, so a restarted
 * agent skips that many events and resumes.  Once the input is exhausted
 * (or stops on a read error) MSG_END, with the last event's exchange
 * time, goes once on every md ring (never conflated; the rings that have
 * it are kept in the segment, so a restarted agent that is done sends it
 * only where it is missing): execution then completes what is in flight
 * on the market's clock instead of local time.  A replay stopped by a
 * read error (a corrupt record in a journal, an I/O error) ends the same
 * way, but says so: input_error and its text in the segment ("replay
 * stopped" and the error in dm-shmdump), a "stopped" line in data.done;
 * a journal that ends mid-record (a torn tail: the file was cut) counts
 * as stopped too, not done; the agent
 * stays up so that the run can be read, and leaves with exit 2 only under
 * --exit-at-end.  A restart keeps the replay stopped.
 * Pacing (libcore/replay; data.pace, or --pace / --speed):
 *   max       as fast as the rings take it
 *   realtime  the market's own pace times the speed factor, anchored at
 *             the first event after a (re)start
 *   lockstep  one event at a time: the next is released only when the
 *             whole system has finished with the previous event: every
 *             ring empty and no agent holding work, twice in a row with
 *             the same counters (settled()).
 *             Paper trading is then independent of CPU speed and load, and
 *             latencies measure the path, not queues.  The event goes to
 *             its consumers in phases, the system quiet between two: risk
 *             (the mark), then execution (the venue: the fills and acks
 *             the event brings, as reports to risk, the coordinator and a
 *             market maker's ml), then feature (the vector, and what ml
 *             makes of it).  What one agent sends another then never races
 *             what a third does with the same event: the in-process trader
 *             (libcore/trader) runs the same phases (docs/backtest.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agents/rt/ag_data_mt5.h"
#include "agents/rt/agents.h"
#include "libcore/msg/msg_md.h"
#include "libcore/journal/journal.h"
#include "libcore/mt5/mt5_venue.h"
#include "libcore/replay/replay.h"

/* Lockstep phases of one event: risk's md rings, execution's, the rest. */
#define LS_PHASES 3

/* The data agent's own options, as ag_data_opts lists them. */
struct data_opts {
	const char *input;    /* --input FILE; NULL: nothing to replay */
	const char *format;   /* --format F (default auto) */
	int exit_at_end;      /* --exit-at-end: leave once replayed */
	int pace;             /* --pace: enum replay_pace; -1 = data.pace */
	double speed;         /* --speed X (realtime); 0 = data.speed */
	const char *live;     /* --live mt5: the MetaTrader 5 bridge; NULL none */
};

struct data_ctx {
	struct data_opts opt;
	uint32_t n_md;
	uint32_t md[SEG_MAX_RINGS];   /* output indexes of the md_* rings */
	struct replay rp;
	int have_src;
	uint32_t quiet;               /* lockstep: settled passes in a row (settled()) */
	uint64_t quiet_sig;           /* lockstep: their counters (heads, held) */
	int holding;                  /* msg holds an event not yet on every ring */
	uint64_t done_mask;           /* md rings that already have it */
	uint64_t phase_mask[LS_PHASES]; /* lockstep: the md rings of each phase */
	uint32_t phase;               /* lockstep: the phase being sent */
	uint32_t len;
	int is_book;
	union msg_md msg;
	struct ag_data_mt5 *mt5;      /* --live mt5 (ag_data_mt5.c) */
	int in_vcmd;                  /* venue.kind mt5: venue_cmds, else -1 */
};

static struct data_ctx ctx;


static void build(struct data_ctx *c, const struct event *ev)
{
	c->len = msg_md_from_event(&c->msg, ev);
	c->is_book = ev->kind == EV_BOOK;
}

/* src into dst (len bytes), cut if longer, always terminated. */
static void copy_text(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);
	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void write_done_file(struct rt *rt, const struct ag_data_state *st)
{
	char text[512 + sizeof(st->input_error_text)];
	int k = snprintf(text, sizeof(text), "events %llu\nbooks %llu\ntrades %llu\nbad_rows %llu\n"
			 "first_bad_line %llu\npace %s\ninput_error %u\n",
			 (unsigned long long)st->events, (unsigned long long)st->books,
			 (unsigned long long)st->trades, (unsigned long long)st->bad_rows,
			 (unsigned long long)st->first_bad_line, replay_pace_name(st->pace),
			 st->input_error);
	/* why the replay stopped short, for dmctl status and run */
	if (st->input_error && (size_t)k < sizeof(text))
		k += snprintf(text + k, sizeof(text) - (size_t)k, "stopped %.*s\n",
			      (int)sizeof(st->input_error_text), st->input_error_text);
	if (k > 0 && (size_t)k >= sizeof(text))
		k = (int)sizeof(text) - 1;
	int rc = k > 0 ? rt_run_file_put(rt, AG_DATA_DONE_FILE, text, (size_t)k) : -EINVAL;
	if (rc < 0)
		rt_error(rt, "cannot write %s in %s: %s", AG_DATA_DONE_FILE, rt->run_dir,
		         strerror(-rc));
}

/* The reader's bad-row count into the segment (the summary shows it). */
static void note_bad_rows(struct data_ctx *c, struct ag_data_state *st)
{
	const struct feed_stats *fs = feed_stats(&c->rp.feed);
	st->bad_rows = fs->skipped;
	st->first_bad_line = fs->first_bad_line;
}

/*
 * The end of the replayed market (MSG_END, flagged replay, never
 * conflated) on every md ring that does not have it yet; which rings have
 * it is kept in the segment, so a restarted agent sends it only where it
 * is missing (a kill between the send and the store sends it twice on
 * one ring: its consumers take it twice harmlessly).  Returns 1 once
 * every ring has it, else 0 (a ring full: poll again).
 */
static int send_end(struct rt *rt, struct data_ctx *c, struct ag_data_state *st, int64_t now)
{
	if (st->end_sent)
		return 1;
	uint64_t all = c->n_md >= 64 ? ~0ull : (1ull << c->n_md) - 1;
	union msg_md e;
	uint32_t len = msg_md_end(&e, st->last_exch_ns, st->events);
	for (uint32_t j = 0; j < c->n_md; j++) {
		if (st->end_mask & (1ull << j))
			continue;
		if (rt_send(rt, c->md[j], &e, len) >= 0)
			st->end_mask |= 1ull << j;
	}
	if ((st->end_mask & all) != all) {
		rt->wake_at_ns = now + 200000; /* consumers do not ring us: poll */
		return 0;
	}
	st->end_sent = 1;
	rt_log(rt, "end of the replayed market sent on %u ring(s) (last exchange time %lld)",
	       c->n_md, (long long)st->last_exch_ns);
	return 1;
}

/*
 * After the end is out: leave if asked to (--exit-at-end; exit 2 when the
 * replay stopped on an input error).  Otherwise stay, a stopped replay as
 * a finished one: the run's state, and why the replay stopped, stay
 * readable in the segment (dmctl status, dm-shmdump, the summary) until
 * the operator stops the run.
 */
static void leave_if_done(struct rt *rt, struct data_ctx *c, struct ag_data_state *st)
{
	if (!c->opt.exit_at_end)
		return;
	if (st->input_error)
		rt->exit_code = 2; /* bad input */
	rt_stop(rt);
}

static void finish(struct rt *rt, struct data_ctx *c, struct ag_data_state *st,
		   const char *why)
{
	note_bad_rows(c, st);
	st->done_ns = rt_now_ns();
	st->done = 1;
	rt_log(rt, "replay %s: %llu events (%llu books, %llu trades), %llu bad rows "
	       "skipped", why, (unsigned long long)st->events, (unsigned long long)st->books,
	       (unsigned long long)st->trades, (unsigned long long)st->bad_rows);
	if (st->bad_rows)
		rt_warn(rt, "WARNING: %s: %llu bad rows skipped (first at line %llu: %s)",
		        c->opt.input, (unsigned long long)st->bad_rows,
		        (unsigned long long)st->first_bad_line, feed_error(&c->rp.feed));
	write_done_file(rt, st);
	/* the market is over: every md consumer hears it before we may leave */
	if (send_end(rt, c, st, rt_now_ns()))
		leave_if_done(rt, c, st);
}

/*
 * A journal input that ends mid-record was cut short (a copy that stopped,
 * a full disk): the reader counts the torn tail as one bad row, but the
 * market after it is missing, so the replay is not done, it is stopped.
 * 1 with the reason in st (input_error), else 0.  A file cut at a record
 * boundary cannot be told from a whole one.
 */
static int cut_journal(const struct data_ctx *c, struct ag_data_state *st)
{
	const struct feed_reader *fr = replay_feed(&c->rp);
	if (!fr || feed_format_of(fr) != FEED_JOURNAL)
		return 0;
	const struct journal_reader *jr = &fr->u.jn.jr;
	uint64_t torn = journal_reader_torn_bytes(jr);
	if (!torn)
		return 0;
	snprintf(st->input_error_text, sizeof(st->input_error_text),
		 "%s: ends mid-record at offset %llu (%llu bytes after the last whole "
		 "record): the journal was cut short", c->opt.input,
		 (unsigned long long)jr->off, (unsigned long long)torn);
	st->input_error = 1;
	return 1;
}

/*
 * Lockstep: has the system finished with what was sent?  Every ring of
 * the segment empty (conflation side slots included) and no other agent
 * holding work it took off a ring (agent_counters.held even), on two
 * passes in a row that also read the same counters (every ring's head,
 * every agent's held): one pass reads the rings and agents one after the
 * other, and work moving from one not yet read to one already read would
 * slip past it, but not without advancing a counter the next pass reads
 * again.  An agent's tail moves only once its outputs are out (the
 * runtime commits a ring after handling it), and an agent that keeps
 * what it took (execution's outbox before its journal write) shows it
 * in held until it is out.  1 when settled (the count starts over).
 */
static int settled(const struct rt *rt, struct data_ctx *c)
{
	uint64_t sig = 0;
	int quiet = 1;
	for (uint32_t i = 0; i < rt->seg.hdr->n_rings && quiet; i++) {
		struct ring *r = seg_ring(&rt->seg, i);
		uint64_t t = atomic_load_explicit(&r->tail, memory_order_acquire);
		uint64_t h = atomic_load_explicit(&r->head, memory_order_acquire);
		quiet = h == t && !atomic_load_explicit(&r->pending, memory_order_acquire);
		sig += h;
	}
	for (uint32_t a = 0; a < rt->seg.hdr->n_agents && quiet; a++) {
		if (a == rt->self)
			continue;
		uint64_t g = atomic_load_explicit(&seg_agent(&rt->seg, a)->ctr.held,
						  memory_order_acquire);
		quiet = !(g & 1);
		sig += g;
	}
	if (!quiet) {
		c->quiet = 0;
		return 0;
	}
	c->quiet = c->quiet && sig == c->quiet_sig ? c->quiet + 1 : 1;
	c->quiet_sig = sig;
	if (c->quiet < 2)
		return 0;
	c->quiet = 0;
	return 1;
}

/*
 * The held event onto its md rings: every ring at once, or in lockstep
 * phase by phase with the system quiet between two (the design note).
 * 1 once every ring has it, 0 to come back (a ring full, or not quiet).
 */
static int send_event(struct rt *rt, struct data_ctx *c, int64_t now)
{
	uint64_t all = c->n_md >= 64 ? ~0ull : (1ull << c->n_md) - 1;
	int ls = c->rp.pace == REPLAY_LOCKSTEP;
	for (;;) {
		uint64_t pm = ls ? c->phase_mask[c->phase] : all;
		for (uint32_t j = 0; j < c->n_md; j++)
			if ((pm & (1ull << j)) && !(c->done_mask & (1ull << j)) &&
			    rt_send(rt, c->md[j], &c->msg, c->len) >= 0)
				c->done_mask |= 1ull << j;
		if ((c->done_mask & pm) != pm) {
			rt->wake_at_ns = now + 200000; /* consumers do not ring us: poll */
			return 0;
		}
		if (!ls || c->phase + 1 >= LS_PHASES)
			return 1;
		if (pm) {
			if (!settled(rt, c)) {
				rt->wake_at_ns = now + 20000; /* nobody rings us: poll */
				return 0;
			}
		}
		c->phase++;
		/* risk and execution took the event first, the system quiet
		 * after each: the replay's order, not the path's.  The
		 * tick-to-order clock starts when the order path gets it
		 * (this pass's time: the quiet that let it through was seen
		 * on two passes, after they took theirs). */
		if (c->phase == LS_PHASES - 1)
			c->msg.hdr.ingress_ns = now;
	}
}

static int data_tick(struct rt *rt, int64_t now)
{
	struct data_ctx *c = rt->ctx;
	struct ag_data_state *st = rt->app;
	if (c->mt5)
		return rt->stopping ? 0 : ag_data_mt5_tick(c->mt5, now);
	if (!c->have_src || rt->stopping)
		return 0;
	if (st->done) {
		/* the end not yet on every ring (full, or a restart in between) */
		if (!st->end_sent && send_end(rt, c, st, now))
			leave_if_done(rt, c, st);
		return 0;
	}
	int work = 0;
	for (uint32_t k = 0; k < rt->cfg.core.data.events_per_pass; k++) {
		if (!c->holding) {
			if (c->rp.pace == REPLAY_LOCKSTEP && replay_grant(&c->rp) == 0) {
				if (!settled(rt, c)) {
					rt->wake_at_ns = now + 20000; /* nobody rings us: poll */
					break;
				}
				replay_step(&c->rp, 1);
			}
			struct event ev;
			int rc = replay_next(&c->rp, now, &ev);
			if (rc == REPLAY_WAIT) {
				rt->wake_at_ns = replay_due_ns(&c->rp);
				break;
			}
			if (rc == REPLAY_STEP)
				break;
			if (rc == REPLAY_END) {
				if (cut_journal(c, st)) {
					rt_error(rt, "input %s", st->input_error_text);
					finish(rt, c, st, "stopped by a cut input");
				} else {
					finish(rt, c, st, "done");
				}
				break;
			}
			if (rc < 0) {
				copy_text(st->input_error_text, sizeof(st->input_error_text),
					  replay_error(&c->rp));
				st->input_error = 1;
				rt_error(rt, "input %s: %s", c->opt.input, st->input_error_text);
				finish(rt, c, st, "stopped by an input error");
				break;
			}
			if (ev.kind != EV_BOOK && ev.kind != EV_TRADE) {
				st->events++; /* counted so that a restart skips it too */
				continue;
			}
			build(c, &ev);
			c->holding = 1;
			c->done_mask = 0;
			c->phase = 0;
			/* the tick-to-order clock starts when the event is taken in */
			c->msg.hdr.ingress_ns = now;
		}
		if (!send_event(rt, c, now))
			break;
		c->holding = 0;
		rt_lat_stage(rt, c->msg.hdr.ingress_ns);
		st->last_exch_ns = c->is_book ? c->msg.book.exch_ns : c->msg.trade.exch_ns;
		st->events++;
		if (c->is_book)
			st->books++;
		else
			st->trades++;
		work++;
	}
	return work;
}

/* The instrument feed_resolve found in the input (a journal's header, a
 * LOBSTER or Binance file's own, MT5/NEG the configured one) against the
 * configured instrument: symbol, tick and lot must agree. */
static int check_instrument(struct rt *rt, const struct feed_instr *in)
{
	char err[768];
	if (trader_instr_check(&rt->cfg.core, in, err, sizeof(err)) == 0)
		return 0;
	rt_error(rt, "input %s %s; 'tools/dmctl run --input FILE' picks the bundled profile "
	         "of conf/instruments/ by itself", ctx.opt.input, err);
	return -DM_ECONFIG;
}

const struct rt_opt ag_data_opts[AG_DATA_NOPTS] = {
	[AG_DATA_OPT_INPUT] = { "input", 1 },
	[AG_DATA_OPT_FORMAT] = { "format", 1 },
	[AG_DATA_OPT_EXIT_AT_END] = { "exit-at-end", 0 },
	[AG_DATA_OPT_PACE] = { "pace", 1 },
	[AG_DATA_OPT_SPEED] = { "speed", 1 },
	[AG_DATA_OPT_LIVE] = { "live", 1 },
};

const char ag_data_synopsis[] = " --input FILE [--format F]";
const char ag_data_help[] =
	"      --input FILE    market data to replay (journal, LOBSTER, MT5, NEG,\n"
	"                      Binance capture)\n"
	"      --format F      auto|journal|lobster|mt5|neg|binance (default auto)\n"
	"      --exit-at-end   leave once the replay is done (default: stay idle)\n"
	"      --pace P        max (as fast as the rings take it; also 'fast'),\n"
	"                      realtime (the market's own pace) or lockstep (one\n"
	"                      event at a time, the next once every ring is\n"
	"                      empty); default data.pace of the configuration\n"
	"      --speed X       realtime pace X times faster (default data.speed)\n"
	"      --live mt5      live market data from a MetaTrader 5 terminal (the\n"
	"                      bridge's EA connects to mt5.listen), journaled to the\n"
	"                      run directory's market.journal; instead of --input\n";

/* The text of the options the runtime handed over, into o: 0, or -EINVAL
 * after one line on stderr. */
static int take_opts(struct data_opts *o, const struct rt_args *a)
{
	memset(o, 0, sizeof(*o));
	o->input = a->opt[AG_DATA_OPT_INPUT];
	o->format = a->opt[AG_DATA_OPT_FORMAT];
	o->exit_at_end = a->opt[AG_DATA_OPT_EXIT_AT_END] != NULL;
	o->pace = -1;
	const char *v = a->opt[AG_DATA_OPT_PACE];
	if (v && (o->pace = replay_pace_parse(v)) < 0) {
		rt_log_named("data", RT_LOG_ERROR, "--pace '%s': max, realtime or lockstep", v);
		return -EINVAL;
	}
	if ((o->live = a->opt[AG_DATA_OPT_LIVE]) && strcmp(o->live, "mt5") != 0) {
		rt_log_named("data", RT_LOG_ERROR, "--live '%s': the one live source is mt5",
			     o->live);
		return -EINVAL;
	}
	if (o->live && o->input) {
		rt_log_named("data", RT_LOG_ERROR, "--live and --input: one source at a time");
		return -EINVAL;
	}
	if ((v = a->opt[AG_DATA_OPT_SPEED])) {
		char *end;
		o->speed = strtod(v, &end);
		if (*end || !(o->speed > 0 && o->speed <= 1e6)) {
			rt_log_named("data", RT_LOG_ERROR, "--speed '%s': a factor in (0, 1e6]", v);
			return -EINVAL;
		}
	}
	return 0;
}

int ag_data_check_opts(const struct rt_args *a)
{
	struct data_opts o;
	return take_opts(&o, a);
}

static int data_busy(struct rt *rt)
{
	(void)rt;
	return 0;
}

/* venue.kind mt5: execution's commands for the terminal */
static int data_msg(struct rt *rt, uint32_t in, const struct msg_hdr *m)
{
	struct data_ctx *c = rt->ctx;
	if ((int)in == c->in_vcmd && c->mt5 && m->type == MSG_VENUE_CMD)
		return ag_data_mt5_on_cmd(c->mt5, (const struct msg_venue_cmd *)m);
	return -EPROTO;
}

static const struct rt_ops data_ops = {
	.on_msg = data_msg,
	.on_tick = data_tick,
	.busy = data_busy,
};

int ag_data_init(struct rt *rt)
{
	struct data_ctx *c = &ctx;
	struct ag_data_state *st = rt->app;
	memset(c, 0, sizeof(*c));
	if (take_opts(&c->opt, &rt->args) < 0) {
		rt->exit_code = 2;
		return -EINVAL;
	}
	for (uint32_t i = 0; i < rt->n_out; i++)
		if (strncmp(rt->out[i].name, "md_", 3) == 0) {
			if (ring_msg_max(rt->out[i].r) < sizeof(struct msg_book)) {
				rt_error(rt, "ring '%s': slot_size %u is too small for book messages "
				         "(%zu bytes + 8)", rt->out[i].name, rt->out[i].r->slot_size,
				         sizeof(struct msg_book));
				return -DM_ETOPOLOGY;
			}
			uint32_t to = rt->out[i].consumer;
			int ph = to == AGENT_RISK ? 0 : to == AGENT_EXECUTION ? 1 : 2;
			c->phase_mask[ph] |= 1ull << c->n_md;
			c->md[c->n_md++] = i;
		}
	if (c->n_md == 0 || c->n_md > 64) {
		rt_error(rt, "no md_* output ring (or more than 64) in the segment");
		return -DM_ETOPOLOGY;
	}
	rt_set_ops(rt, &data_ops, c);
	c->in_vcmd = -1;
	if (rt->cfg.core.venue.kind == VENUE_KIND_MT5 && !c->opt.live) {
		rt_error(rt, "venue.kind mt5: the orders go through the terminal's link, which "
		         "only a live run has: start with --live mt5, or set venue.kind sim");
		rt->exit_code = 2;
		return -DM_ECONFIG;
	}
	if (c->opt.live) {
		int lrc = ag_data_mt5_open(rt, st, c->n_md, c->md, &c->mt5);
		if (lrc >= 0 && rt->cfg.core.venue.kind == VENUE_KIND_MT5) {
			int out;
			if ((c->in_vcmd = ag_need_in(rt, "venue_cmds",
						     sizeof(struct msg_venue_cmd))) < 0 ||
			    (out = ag_need_out(rt, "venue_reports",
					       sizeof(struct msg_venue_event))) < 0)
				lrc = -DM_ETOPOLOGY;
			else
				lrc = ag_data_mt5_venue(c->mt5, (uint32_t)out);
		}
		if (lrc < 0)
			rt->exit_code = 2;
		else
			st->has_input = 1;
		return lrc;
	}
	if (!c->opt.input) {
		rt_log(rt, "no --input: no market data to replay; idle");
		return 0;
	}
	char err[REPLAY_ERR_LEN];
	int fmt = FEED_AUTO;
	if (c->opt.format && *c->opt.format && strcmp(c->opt.format, "auto") != 0 &&
	    (fmt = feed_format_parse(c->opt.format)) < 0) {
		rt_error(rt, "--format '%s': use auto, journal, lobster, mt5, neg or binance",
		         c->opt.format);
		rt->exit_code = 2;
		return -EINVAL;
	}
	/* the instrument and reader options as every tool finds them
	 * (libcore/feed/tick.c): the file's own, MT5/NEG the configured one */
	struct feed_instr conf_in;
	struct feed_plan plan;
	feed_instr_from_config(&conf_in, &rt->cfg.core.instrument);
	struct feed_want want = { .fmt = (enum feed_format)fmt, .conf = &conf_in,
				  .conf_utc_offset_min = rt->cfg.core.instrument.utc_offset_min };
	int rc = feed_resolve(c->opt.input, &want, &plan, err, sizeof(err));
	if (rc < 0) {
		if (strstr(err, c->opt.input))
			rt_error(rt, "cannot replay: %s", err);
		else
			rt_error(rt, "cannot replay %s: %s", c->opt.input, err);
		rt->exit_code = 2;
		st->input_error = 1;
		copy_text(st->input_error_text, sizeof(st->input_error_text), err);
		return rc;
	}
	if ((rc = check_instrument(rt, &plan.in)) < 0) {
		rt->exit_code = 2;
		st->input_error = 1;
		snprintf(st->input_error_text, sizeof(st->input_error_text),
			 "the input's instrument is not the configured one");
		return rc;
	}
	fmt = (int)plan.fmt;
	struct feed_opts fo = plan.fo;
	struct replay_opts ro = {
		.pace = c->opt.pace >= 0 ? (uint32_t)c->opt.pace : rt->cfg.core.data.pace,
		.clock = rt->cfg.core.features.clock,
		.speed = c->opt.speed > 0 ? c->opt.speed
					    : (double)rt->cfg.core.data.speed_e6 / CFG_DEC_SCALE,
	};
	rc = replay_open(&c->rp, c->opt.input, (enum feed_format)fmt, &fo, &ro, err,
			 sizeof(err));
	if (rc < 0) {
		/* one line naming the file and the cause; exit 2: bad input */
		if (strstr(err, c->opt.input))
			rt_error(rt, "cannot replay: %s", err);
		else
			rt_error(rt, "cannot replay %s: %s", c->opt.input, err);
		rt->exit_code = 2;
		st->input_error = 1;
		copy_text(st->input_error_text, sizeof(st->input_error_text), err);
		return rc;
	}
	c->have_src = 1;
	st->has_input = 1;
	st->pace = ro.pace;
	if (st->done) {
		/* a replay that stopped on an input error stays stopped */
		if (st->input_error)
			rt_warn(rt, "replay of %s stopped earlier on an input error after %llu "
			        "events: %.*s", c->opt.input, (unsigned long long)st->events,
			        (int)sizeof(st->input_error_text), st->input_error_text);
		else
			rt_log(rt, "replay of %s already done (%llu events)", c->opt.input,
			       (unsigned long long)st->events);
		write_done_file(rt, st);
		return 0;
	}
	st->input_error = 0; /* an earlier refusal in this segment is over */
	st->input_error_text[0] = '\0';
	if (st->events) {
		int64_t k = replay_skip(&c->rp, st->events);
		if (k < 0 || (uint64_t)k != st->events) {
			rt_error(rt, "%s: cannot resume after %llu events (found %lld): not the "
			         "input of this run?", c->opt.input,
			         (unsigned long long)st->events, (long long)k);
			replay_close(&c->rp);
			c->have_src = 0;
			return -DM_ECORRUPT;
		}
		rt_log(rt, "resuming %s after %llu events", c->opt.input,
		       (unsigned long long)st->events);
	} else {
		rt_log(rt, "replaying %s to %u ring(s), pace %s", c->opt.input, c->n_md,
		       replay_pace_name(ro.pace));
	}
	return 0;
}

void ag_data_close(struct rt *rt)
{
	(void)rt;
	ag_data_mt5_close(ctx.mt5);
	ctx.mt5 = NULL;
	if (ctx.have_src)
		replay_close(&ctx.rp);
	ctx.have_src = 0;
}
