/*
 * coord_child.c — child orders: an intent of more than child_max_qty
 * contracts put to the vote as several smaller intents over time, along
 * the Almgren-Chriss trajectory (libcore/control/ac.h; docs/execution.md,
 * "Child orders").
 *
 * The cut.  Q contracts become the fewest n >= ceil(Q / child_max_qty)
 * children whose largest is at most child_max_qty (a front-loaded
 * trajectory may need more than the straight line's n), at most
 * COORD_CHILDREN (beyond Q = COORD_CHILDREN x child_max_qty the children
 * are larger).  With tau = child_horizon / n, child j is due at
 * start + (j - 1) tau and takes hold[j - 1] - hold[j] contracts, hold
 * being the trajectory rounded to whole contracts (ac_slices).  The first
 * goes at once.
 *
 * Each child is an intent of its own to coord_intent_one: its ballot, its
 * decision record, its order; risk votes on each one.  It is the parent's
 * intent with its qty, the host time it is put to the vote as its
 * ingress (a child sent on schedule is not stale), the market time moved
 * on by as much, the parent's limit price and time in force: a child that
 * finds the market gone past the intent's price is not filled (an IOC)
 * rather than paying more than the signal asked.  Under the kill switch
 * the children not yet sent are dropped (counted).
 *
 * Cost: O(COORD_PARENTS) per tick; cutting an intent runs ac_slices a few
 * times (at most COORD_CHILDREN + 1 values each).  No allocation.
 */
#include <errno.h>
#include <string.h>

#include "libcore/control/ac.h"
#include "libcore/coord/coord.h"
#include "libcore/coord/coord_int.h"

/* hold[0..n] for Q over n children by the parameters (straight line when
 * there is no usable impact model). */
static void trajectory(const struct coord_params *p, int64_t Q, uint32_t n, int64_t *hold)
{
	double T = (double)p->child_horizon_ns / 1e9;
	struct ac_params ap = { .eta = p->child_eta * (T / n), .epsilon = 0,
				.gamma = p->child_gamma, .sigma = p->child_sigma,
				.lambda = p->child_lambda };
	if (!(ap.eta > 0) || ac_slices(&ap, Q, n, T, hold) < 0) {
		struct ac_params line = { .eta = 1 };
		(void)ac_slices(&line, Q, n, T, hold);
	}
}

static int64_t largest(const int64_t *hold, uint32_t n)
{
	int64_t m = 0;
	for (uint32_t j = 1; j <= n; j++)
		if (hold[j - 1] - hold[j] > m)
			m = hold[j - 1] - hold[j];
	return m;
}

/* The cut of Q (above) into par; returns n (>= 2) or 1 when one order does. */
static uint32_t cut(const struct coord_params *p, int64_t Q, struct coord_parent *par)
{
	int64_t cmax = p->child_max_qty;
	int64_t hold[COORD_CHILDREN + 1];
	int64_t n0 = (Q + cmax - 1) / cmax;
	if (n0 < 2)
		return 1;
	uint32_t n = n0 > COORD_CHILDREN ? COORD_CHILDREN : (uint32_t)n0;
	for (;; n++) {
		trajectory(p, Q, n, hold);
		if (largest(hold, n) <= cmax || n == COORD_CHILDREN)
			break;
	}
	par->n = n;
	par->tau_ns = p->child_horizon_ns / n;
	for (uint32_t j = 0; j <= n; j++)
		par->hold[j] = (int32_t)hold[j];
	return n;
}

/* Child j (1..n) of par as an intent at host time now. */
static void child_of(const struct coord *c, const struct coord_parent *par, uint32_t j,
		     int64_t now, struct msg_intent *it)
{
	*it = par->intent;
	it->qty = par->hold[j - 1] - par->hold[j];
	it->hdr.ingress_ns = now;
	int64_t m = par->intent.market_ns + (now - par->start_ns);
	it->market_ns = m > c->st->market_ns ? m : c->st->market_ns;
}

int coord_on_intent(struct coord *c, const struct coord_env *e, const struct msg_intent *it)
{
	struct coord_state *st = c->st;
	if (!c->p.child_max_qty || it->qty <= (int32_t)c->p.child_max_qty)
		return coord_intent_one(c, e, it);
	struct coord_parent *par = NULL;
	for (uint32_t i = 0; i < COORD_PARENTS && !par; i++)
		if (!st->parent[i].next)
			par = &st->parent[i];
	if (!par) {
		int rc = coord_intent_one(c, e, it);
		if (rc == 0)
			st->unsliced++; /* every slot busy: whole, as without children */
		return rc;
	}
	struct coord_parent tmp;
	memset(&tmp, 0, sizeof(tmp));
	tmp.intent = *it;
	tmp.start_ns = e->now_ns;
	if (cut(&c->p, it->qty, &tmp) < 2)
		return coord_intent_one(c, e, it);
	struct msg_intent first;
	child_of(c, &tmp, 1, e->now_ns, &first);
	first.hdr.ingress_ns = it->hdr.ingress_ns; /* the first is the intent itself: as fresh */
	first.market_ns = it->market_ns;
	int rc = first.qty > 0 ? coord_intent_one(c, e, &first) : 0;
	if (rc < 0)
		return rc; /* nothing kept: offered again whole */
	tmp.next = 2;
	*par = tmp;
	st->parents++;
	st->children += first.qty > 0;
	return 0;
}

int coord_children_tick(struct coord *c, const struct coord_env *e, int64_t *wake_ns)
{
	struct coord_state *st = c->st;
	int64_t now = e->now_ns, wake = 0;
	int work = 0;
	for (uint32_t i = 0; i < COORD_PARENTS; i++) {
		struct coord_parent *par = &st->parent[i];
		if (!par->next)
			continue;
		if (e->flags & COORD_F_KILLED) {
			st->children_dropped += par->n - par->next + 1;
			par->next = 0;
			work++;
			continue;
		}
		while (par->next && par->next <= par->n &&
		       now >= par->start_ns + (int64_t)(par->next - 1) * par->tau_ns) {
			struct msg_intent it;
			child_of(c, par, par->next, now, &it);
			if (it.qty > 0) {
				if (coord_intent_one(c, e, &it) < 0)
					break; /* a port full or the journal down: next tick */
				st->children++;
				work++;
			}
			par->next = par->next < par->n ? par->next + 1 : 0;
		}
		if (par->next) {
			int64_t due = par->start_ns + (int64_t)(par->next - 1) * par->tau_ns;
			if (due <= now)
				due = now + c->p.retry_ns;
			if (!wake || due < wake)
				wake = due;
		}
	}
	*wake_ns = wake;
	return work;
}
