/* signal.c — placeholder imbalance rule (signal.h). */
#include "libcore/agent/signal.h"

int sig_decide(const struct sig_rule *r, struct sig_state *s, double imbalance,
	       int64_t bid, int64_t ask, int64_t exch_ns, struct sig_intent *out)
{
	s->seen++;
	if (bid <= 0 || ask <= 0 || ask <= bid)
		return 0;
	if (s->last_ns && exch_ns - s->last_ns < r->min_interval_ns)
		return 0;
	int side;
	if (imbalance >= r->threshold)
		side = 1;
	else if (imbalance <= -r->threshold)
		side = -1;
	else
		return 0;
	out->side = side;
	out->qty = r->qty;
	out->px = side > 0 ? ask : bid;
	out->strength = imbalance < 0 ? -imbalance : imbalance;
	s->last_ns = exch_ns;
	s->emitted++;
	return 1;
}
