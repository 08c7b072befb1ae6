/*
 * strategy_mm.c — the market makers (strategy.h, "Market maker";
 * docs/strategies.md, "Market making"): quotes from libcore/control/mm
 * around the mid, kept at the venue as one DAY limit per side.
 */
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "libcore/strategy/strategy_int.h"
#include "libcore/types.h"

#define NS_PER_S_D 1e9
#define DAY_NS     (86400ll * 1000000000ll)

double strategy_mm_tau_s(const struct strategy_mm_params *p, int64_t exch_ns)
{
	if (p->horizon_ns > 0)
		return (double)p->horizon_ns / NS_PER_S_D;
	int64_t tod = (exch_ns + p->utc_offset_ns) % DAY_NS;
	if (tod < 0)
		tod += DAY_NS;
	int64_t left = p->close_ns - tod;
	return left > 0 ? (double)left / NS_PER_S_D : 0.0;
}

int strategy_mm_want(const struct strategy_mm_params *p, uint32_t kind, double mid,
		     double spread, double q, double sigma, double tau_s, double shift,
		     struct strategy_mm_want *w)
{
	struct mm_quotes mq;
	double lots = q / p->qty;
	if (kind == STRAT_MM_AS)
		mm_as_quotes(mid, lots, p->gamma, sigma, tau_s, p->k, &mq);
	else
		mm_glft_quotes(mid, lots, (double)p->qmax / p->qty, p->gamma, sigma, p->k, p->a,
			       &mq);
	memset(w, 0, sizeof(*w));
	w->raw_bid = mq.bid + shift;
	w->raw_ask = mq.ask + shift;
	if (!isfinite(w->raw_bid) || !isfinite(w->raw_ask) || !isfinite(mid) ||
	    !isfinite(spread))
		return -EINVAL;
	/* away from the mid; 1e-9 tick absorbs the formulas' rounding noise
	 * (a bid worked out as 99.9999999999 is 100) */
	w->bid = (int64_t)floor(w->raw_bid + 1e-9);
	w->ask = (int64_t)ceil(w->raw_ask - 1e-9);
	int64_t best_bid = (int64_t)llround(mid - spread / 2);
	int64_t best_ask = (int64_t)llround(mid + spread / 2);
	if (w->bid > best_ask - 1)
		w->bid = best_ask - 1;
	if (w->ask < best_bid + 1)
		w->ask = best_bid + 1;
	w->has_bid = mq.has_bid && q + p->qty <= p->qmax && w->bid > 0;
	w->has_ask = mq.has_ask && q - p->qty >= -(double)p->qmax && w->ask > 0;
	return 0;
}

static int terminal(uint8_t status)
{
	return status == EXEC_FILLED || status == EXEC_CANCELLED || status == EXEC_REJECTED;
}

static int send_cancel(struct strategy *s, uint64_t coid, uint32_t instrument)
{
	struct msg_cancel k;
	memset(&k, 0, sizeof(k));
	k.hdr.type = MSG_CANCEL;
	k.hdr.size = sizeof(k);
	k.client_order_id = coid;
	k.instrument = instrument;
	if (s->out.cancel(s->out.ctx, &k) < 0) {
		s->st->mm.cancel_waits++;
		return -EAGAIN;
	}
	s->st->mm.cancels++;
	return 0;
}

/* A DAY limit intent for side i (0 bid, 1 ask) at px into o (claimed). */
static void quote_intent(struct strategy *s, struct msg_intent *o, const struct msg_features *f,
			 int i, int64_t px, double p)
{
	struct strategy_state *st = s->st;
	strategy_intent_fill(st, o, f, i == 0 ? SIDE_BUY : SIDE_SELL, px, s->p.mm.qty, TIF_DAY, p);
	o->strategy = s->p.kind;
	s->out.intent_publish(s->out.ctx, o);
	struct strategy_quote *qt = &st->mm.quote[i];
	qt->state = SQ_PENDING;
	qt->px = px;
	qt->sent_ns = f->exch_ns;
	qt->coid = 0;
	qt->leaves = 0;
	st->intents++;
	st->prob_sum += p;
	st->mm.quotes++;
	st->last_ns = f->exch_ns;
}

int strategy_mm_on_features(struct strategy *s, const struct msg_features *f)
{
	struct strategy_state *st = s->st;
	struct strategy_mm_state *m = &st->mm;
	const struct strategy_params *c = &s->p;
	if (!strategy_vector_usable(st, f))
		return 0;
	struct msg_intent *o = s->out.intent_claim(s->out.ctx);
	if (!o)
		return -EAGAIN;
	st->evaluated++;
	m->instrument = f->instrument;
	double mid = f->f[FEAT_MID] / c->tick, spread = f->f[FEAT_SPREAD_TICKS];
	if (!isfinite(mid) || !isfinite(spread) || spread <= 0) {
		st->no_quote++;
		return 0;
	}
	mm_vol_update(&m->vol, mid, f->exch_ns);
	if (!(m->vol.var_rate > 0)) {
		m->no_vol++;
		return 0;
	}
	double sigma = mm_vol_sigma(&m->vol, NS_PER_S_D);
	m->sigma = sigma;

	/* the skew: the meta-model's view of the primary rule's side */
	double shift = 0, p = 0;
	if (c->mm.skew_ticks > 0 && s->flat) {
		int side = primary_side_row(&c->primary, f->f);
		const double *x = f->f;
		double full[MSG_NFEATURES];
		if (side && (f->hdr.flags & MSG_F_DEFERRED)) {
			if (!s->out.fill || s->out.fill(s->out.ctx, f, full) < 0)
				side = 0;
			x = full;
		}
		if (side) {
			double out[MODEL_MAX_CLASS];
			flat_predict(s->flat, x, out);
			p = out[0];
			st->predicted++;
			st->score_sum += p;
			shift = c->mm.skew_ticks * side * (2 * p - 1);
		}
	}

	struct strategy_mm_want w;
	if (strategy_mm_want(&c->mm, c->kind, mid, spread, (double)strategy_mm_led(m)->position, sigma,
			     strategy_mm_tau_s(&c->mm, f->exch_ns), shift, &w) < 0) {
		st->no_quote++;
		return 0;
	}
	m->want_bid = w.raw_bid;
	m->want_ask = w.raw_ask;
	const int has[2] = { w.has_bid, w.has_ask };
	const int64_t px[2] = { w.bid, w.ask };
	for (int i = 0; i < 2; i++) {
		struct strategy_quote *qt = &m->quote[i];
		if (!has[i])
			m->bound++;
		if (qt->state == SQ_PENDING) {
			if (f->exch_ns - qt->sent_ns < c->mm.ack_timeout_ns)
				continue; /* its first report decides */
			m->pending_lost++;
			qt->state = SQ_FREE;
		}
		if (qt->state == SQ_CANCELLING) {
			/* its end comes in a report; a cancel lost on the way
			 * (or refused and the order still live) is sent again */
			if (f->exch_ns - qt->sent_ns >= c->mm.ack_timeout_ns) {
				o = NULL; /* the cancel may take o's slot */
				if (send_cancel(s, qt->coid, f->instrument) == 0)
					qt->sent_ns = f->exch_ns;
			}
			continue;
		}
		if (qt->state == SQ_LIVE) {
			int64_t move = has[i] ? px[i] - qt->px : 0;
			if (has[i] && (move < 0 ? -move : move) < c->mm.requote_ticks)
				continue;
			/* pulled or moved: the cancel first, the new quote once the
			 * order has ended.  The cancel may take the very slot o was
			 * claimed in (the agents' intents ring, the trader's
			 * mailbox): claim anew. */
			o = NULL;
			if (send_cancel(s, qt->coid, f->instrument) < 0)
				continue;
			qt->state = SQ_CANCELLING;
			qt->sent_ns = f->exch_ns;
			if (has[i])
				m->requotes++;
			continue;
		}
		if (!has[i])
			continue;
		if (!o && !(o = s->out.intent_claim(s->out.ctx))) {
			m->no_room++;
			continue;
		}
		quote_intent(s, o, f, i, px[i], p);
		o = NULL;
	}
	return 0;
}

/* r into the ledger: a copy of the one in force, then one release store
 * (struct strategy_mm_ledger).  0 applied, 1 a report handed again. */
static int ledger_apply(struct strategy_mm_state *m, const struct msg_exec_report *r)
{
	uint32_t cur = atomic_load_explicit(&m->cur, memory_order_relaxed) & 1;
	struct strategy_mm_ledger *o = &m->led[cur], *n = &m->led[cur ^ 1];
	if (r->hdr.seq && r->hdr.seq <= o->last_seq) {
		o->dups++; /* a counter alone: a crash here costs one count */
		return 1;
	}
	*n = *o;
	n->reports++;
	if (r->hdr.seq)
		n->last_seq = r->hdr.seq;
	if (r->last_qty > 0 && (r->side == SIDE_BUY || r->side == SIDE_SELL)) {
		int seen = 0;
		for (uint32_t i = 0; r->exec_id && i < STRATEGY_MM_SEEN; i++)
			seen |= n->seen[i] == r->exec_id;
		if (seen) {
			n->dup_fills++;
		} else {
			n->position += (int64_t)r->side * r->last_qty;
			n->seen[n->fills % STRATEGY_MM_SEEN] = r->exec_id;
			n->fills++;
			n->fill_qty += (uint64_t)r->last_qty;
			n->maker_fills += r->liquidity == MSG_LIQ_MAKER;
		}
	}
	/* the copy whole before it is in force */
	atomic_store_explicit(&m->cur, cur ^ 1, memory_order_release);
	return 0;
}

int strategy_mm_on_report(struct strategy *s, const struct msg_exec_report *r)
{
	struct strategy_mm_state *m = &s->st->mm;
	/* the quotes' part below is idempotent (a report handed again finds
	 * its side as the first pass left it), so only the ledger dedups */
	ledger_apply(m, r);
	if (r->side != SIDE_BUY && r->side != SIDE_SELL)
		return 0;
	struct strategy_quote *qt = &m->quote[r->side == SIDE_BUY ? 0 : 1];
	uint64_t id = r->client_order_id;
	if (!id)
		return 0;
	if (id == qt->coid) {
		if (terminal(r->status)) { /* LIVE or CANCELLING: the side is free */
			qt->state = SQ_FREE;
			qt->coid = 0;
		} else {
			qt->leaves = r->leaves_qty;
		}
		return 0;
	}
	if (id <= qt->last_coid)
		return 0; /* an older quote's end (cancelled, or a fill raced it) */
	/* the side's new state before last_coid: a host killed between the
	 * two finds id == coid when the report comes again */
	if (terminal(r->status)) {
		if (qt->state == SQ_PENDING)
			qt->state = SQ_FREE; /* refused or filled at once */
	} else if (qt->state == SQ_PENDING) {
		qt->state = SQ_LIVE;
		qt->coid = id;
		qt->leaves = r->leaves_qty;
	} else {
		/* a live order the side does not expect: a quote taken as gone
		 * that lived after all.  Out: one quote per side. */
		m->strays++;
		send_cancel(s, id, m->instrument);
	}
	atomic_signal_fence(memory_order_seq_cst);
	qt->last_coid = id;
	return 0;
}
