/* bt.c — a backtest: the trading core with its records and figures (bt.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "libcore/backtest/bt.h"
#include "libcore/journal/journal.h"
#include "libcore/types.h"

#define NS_PER_MIN (60ll * 1000000000)

static size_t up64(size_t n)
{
	return (n + 63) & ~(size_t)63;
}

size_t bt_memsize(const struct trader_params *tp)
{
	size_t tm = trader_memsize(tp);
	if (!tm)
		return 0;
	struct tca_params cp;
	tca_params_default(&cp);
	return up64(tm) + up64(report_memsize(BT_MAX_OPEN)) + up64(tca_memsize(&cp)) +
	       up64((size_t)BT_PEND_CAP * sizeof(struct bt_pend)) +
	       up64((size_t)BT_MKT_CAP * sizeof(struct bt_mkt));
}

static int64_t minute_of(int64_t t_ns)
{
	int64_t m = t_ns / NS_PER_MIN;
	return t_ns % NS_PER_MIN < 0 ? m - 1 : m;
}

static void perf_update(struct bt *b, int64_t t_ns)
{
	perf_on_equity(&b->perf, t_ns, report_equity_e9(&b->rep));
}

static void emit(struct bt *b, const struct bt_pend *p)
{
	if (p->type == JREC_ORDER) {
		report_on_order(&b->rep, &p->o);
		return;
	}
	const struct msg_exec_report *x = &p->x;
	report_on_exec(&b->rep, x);
	if (x->exec_id && x->last_qty > 0) {
		perf_on_fill(&b->perf, x->venue_ns, x->side, x->last_qty, x->last_px, x->fee_e9);
		perf_update(b, x->venue_ns);
	}
}

/* One held market event to the report, the figures and the minute hook. */
static void market_out(struct bt *b, const struct bt_mkt *m)
{
	struct event ev;
	ev.kind = m->kind;
	ev.instrument = 0;
	ev.exch_ns = m->t;
	ev.recv_ns = m->t;
	if (m->kind == EV_BOOK) {
		ev.book.n_bid = m->n_bid;
		ev.book.n_ask = m->n_ask;
		ev.book.flags = 0;
		ev.book.bid[0].px = m->bid;
		ev.book.ask[0].px = m->ask;
	}
	int64_t min = minute_of(m->t);
	if (min != b->minute) {
		if (b->minute != INT64_MIN && b->o.on_minute)
			b->o.on_minute(b->o.ctx, b->minute, report_equity_e9(&b->rep));
		b->minute = min;
	}
	report_on_market(&b->rep, &ev, m->t);
	perf_update(b, m->t);
	b->last_t = m->t;
}

/* Held market events at or before t out, in order. */
static void market_until(struct bt *b, int64_t t)
{
	while (b->mhead != b->mtail && b->mkt[b->mhead % BT_MKT_CAP].t <= t) {
		market_out(b, &b->mkt[b->mhead % BT_MKT_CAP]);
		b->mhead++;
	}
}

static void market_hold(struct bt *b, const struct event *ev)
{
	if (b->mtail - b->mhead >= BT_MKT_CAP) {
		market_out(b, &b->mkt[b->mhead % BT_MKT_CAP]);
		b->mhead++;
		b->pend_overflow++;
	}
	struct bt_mkt *m = &b->mkt[b->mtail % BT_MKT_CAP];
	m->t = ev->exch_ns;
	m->kind = ev->kind;
	m->n_bid = m->n_ask = 0;
	m->bid = m->ask = 0;
	if (ev->kind == EV_BOOK) {
		m->n_bid = ev->book.n_bid;
		m->n_ask = ev->book.n_ask;
		m->bid = ev->book.n_bid ? ev->book.bid[0].px : 0;
		m->ask = ev->book.n_ask ? ev->book.ask[0].px : 0;
	}
	b->mtail++;
}

/* Records due before a market event at t (every one when all is set),
 * each after the held market events at or before its venue time. */
static void drain(struct bt *b, int64_t t, int all)
{
	while (b->head != b->tail) {
		const struct bt_pend *p = &b->pend[b->head % BT_PEND_CAP];
		if (!all && p->type == JREC_EXEC && p->x.venue_ns >= t)
			break;
		if (p->type == JREC_EXEC)
			market_until(b, p->x.venue_ns);
		emit(b, p);
		b->head++;
	}
}

static void on_journal(void *ctx, uint16_t type, const void *rec, uint32_t len)
{
	struct bt *b = ctx;
	if ((type != JREC_ORDER || len != sizeof(struct msg_order)) &&
	    (type != JREC_EXEC || len != sizeof(struct msg_exec_report)))
		return;
	if (b->tail - b->head >= BT_PEND_CAP) {
		/* keep going in order of production rather than lose a record */
		emit(b, &b->pend[b->head % BT_PEND_CAP]);
		b->head++;
		b->pend_overflow++;
	}
	struct bt_pend *p = &b->pend[b->tail % BT_PEND_CAP];
	p->type = type;
	memcpy(type == JREC_ORDER ? (void *)&p->o : (void *)&p->x, rec, len);
	b->tail++;
}

static void on_decision(void *ctx, const struct vote_record *rec)
{
	struct bt *b = ctx;
	report_on_decision(&b->rep, rec);
}

static void on_log(void *ctx, int error, const char *line)
{
	struct bt *b = ctx;
	if (b->o.log)
		b->o.log(b->o.ctx, error, line);
}

int bt_init(struct bt *b, void *mem, size_t size, const struct trader_params *tp,
	    struct flat *f, const char *path, const struct instrument *in,
	    const struct bt_opts *o, char *err, size_t errlen)
{
	size_t need = bt_memsize(tp);
	if (!need || !mem || ((uintptr_t)mem & 63) || ((uintptr_t)b & 63)) {
		snprintf(err, errlen, "backtest: parameters refused or memory misaligned");
		return -EINVAL;
	}
	if (size < need) {
		snprintf(err, errlen, "backtest: %zu bytes of memory, %zu needed", size, need);
		return -ENOSPC;
	}
	memset(b, 0, sizeof(*b));
	b->o = *o;
	struct tca_params cp;
	tca_params_default(&cp);
	size_t tm = up64(trader_memsize(tp)), rm = up64(report_memsize(BT_MAX_OPEN));
	size_t cm = up64(tca_memsize(&cp));
	b->pend = (struct bt_pend *)(void *)((char *)mem + tm + rm + cm);
	b->mkt = (struct bt_mkt *)(void *)((char *)mem + tm + rm + cm +
					    up64((size_t)BT_PEND_CAP * sizeof(struct bt_pend)));
	b->minute = INT64_MIN;
	const struct report_opts ro = { .max_open = BT_MAX_OPEN, .n_names = o->n_names,
					.voter_names = o->voter_names, .tca = &b->tca,
					.hold_decisions = 1 };
	if (tca_init(&b->tca, (char *)mem + tm + rm, cm, in, &cp, o->tca_csv) < 0 ||
	    report_init(&b->rep, (char *)mem + tm, rm, in, &ro, &o->out) < 0) {
		snprintf(err, errlen, "backtest: the report refused its options");
		return -EINVAL;
	}
	perf_init(&b->perf, in->tick_value_e9);
	const struct trader_out to = { .ctx = b, .decision = on_decision, .journal = on_journal,
				       .log = on_log };
	int rc = trader_init(&b->t, mem, tm, tp, f, path, &to, err, errlen);
	if (rc < 0)
		return rc;
	/* the longest a report can trail its venue time (the venue's
	 * response latency, constant or its largest sample) and the feed's */
	const struct venue *v = execsvc_venue_of(b->t.exec.st);
	uint32_t resp = v->cfg.response_latency_us;
	const struct venue_lat *lat = (const void *)((const char *)v + v->off_lat);
	for (uint32_t i = 0; i < v->n_lat; i++)
		if (lat[i].response_us > resp)
			resp = lat[i].response_us;
	b->hold_ns = ((int64_t)resp + v->cfg.feed_latency_us) * 1000 + 1;
	return 0;
}

int bt_on_event(struct bt *b, const struct event *ev)
{
	if (DM_UNLIKELY(b->stuck))
		return -EAGAIN;
	int k = trader_on_event(&b->t, ev);
	if (k <= 0) {
		if (k < 0)
			b->stuck = 1;
		return k;
	}
	drain(b, ev->exch_ns, 0);
	market_hold(b, ev);
	/* no report to come can have a venue time this far back */
	market_until(b, ev->exch_ns - b->hold_ns);
	return 1;
}

int bt_finish(struct bt *b)
{
	if (!b->stuck && trader_finish(&b->t) < 0)
		b->stuck = 1;
	drain(b, 0, 1);
	market_until(b, INT64_MAX);
	if (b->minute != INT64_MIN && b->o.on_minute)
		b->o.on_minute(b->o.ctx, b->minute, report_equity_e9(&b->rep));
	if (b->rep.last_t_ns > b->last_t)
		b->last_t = b->rep.last_t_ns;
	if (report_finish(&b->rep, b->last_t) < 0)
		return -EIO;
	return b->stuck ? -EAGAIN : 0;
}

struct flat *bt_use_model(struct bt *b, struct flat *f, const char *path)
{
	return strategy_use_model(&b->t.strat, f, path);
}
