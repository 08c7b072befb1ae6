/*
 * mt5_venue.c — the terminal as the order table's venue (mt5_venue.h).
 */
#include <errno.h>
#include <string.h>

#include "libcore/mt5/mt5_venue.h"
#include "libcore/venue/venue.h"

#define UNACKED_MAX MT5_VENUE_UNACKED

/* The symbol's units: the link's, or those a remote venue was told. */
static const struct mt5_sym *vsym(const struct mt5_venue *v)
{
	return v->l ? &v->l->sym : &v->sym;
}

static void emit(struct mt5_venue *v, const struct exec_out *o)
{
	if (o->act & EXEC_ACT_FILL)
		v->known_pos += o->side == SIDE_BUY ? o->fill_qty : -o->fill_qty;
	if (o->act && v->out)
		v->out(v->ctx, o);
}

void mt5_venue_init(struct mt5_venue *v, struct exec_table *t, struct mt5_link *l,
                    void (*out)(void *ctx, const struct exec_out *o), void *ctx)
{
	memset(v, 0, sizeof(*v));
	v->t = t;
	v->l = l;
	v->out = out;
	v->ctx = ctx;
	mt5_lat_init(&v->lat);
	exec_set_venue_up(t, 0);
}

void mt5_venue_init_remote(struct mt5_venue *v, struct exec_table *t,
                           const struct mt5_venue_port *port,
                           void (*out)(void *ctx, const struct exec_out *o), void *ctx)
{
	mt5_venue_init(v, t, NULL, out, ctx);
	v->port = *port;
}

void mt5_venue_set_sym(struct mt5_venue *v, const struct mt5_sym *sym)
{
	v->sym = *sym;
}

void mt5_venue_set_unacked(struct mt5_venue *v, const uint64_t *coids, uint32_t n)
{
	if (n > MT5_VENUE_UNACKED)
		n = MT5_VENUE_UNACKED;
	if (n) /* coids may be NULL when there are none */
		memcpy(v->unacked, coids, n * sizeof(*coids));
	v->n_unacked = n;
}

int mt5_venue_send(struct mt5_venue *v, uint64_t coid, uint64_t decision_us, int64_t now_ns)
{
	const struct exec_order *o = exec_find(v->t, coid);
	if (!o)
		return -ENOENT;
	if (vsym(v)->tick_pts <= 0)
		return -EAGAIN;
	struct msg_order m;
	memset(&m, 0, sizeof(m));
	m.client_order_id = coid;
	m.px = o->px;
	m.qty = o->qty;
	m.side = o->side;
	m.ord_type = o->ord_type;
	m.tif = o->tif;
	struct mt5_new_order n;
	uint64_t send_us = (uint64_t)(now_ns / 1000);
	if (mt5_new_order_from_msg(&n, &m, vsym(v), send_us) < 0)
		return -EINVAL;
	if (!v->l) {
		int prc = v->port.order(v->port.ctx, &n, decision_us);
		if (prc < 0)
			return prc;
		v->st.orders++;
		return 0;
	}
	int64_t rc = mt5_link_send_order(v->l, &n, now_ns);
	if (rc < 0)
		return (int)rc;
	mt5_lat_sent(&v->lat, coid, decision_us, send_us);
	v->st.orders++;
	return 0;
}

int mt5_venue_cancel(struct mt5_venue *v, uint64_t coid, int64_t now_ns)
{
	const struct exec_order *o = exec_find(v->t, coid);
	if (!o)
		return -ENOENT;
	struct mt5_cancel c = { .coid = coid, .order = o->venue_order_id,
				.dm_us = (uint64_t)(now_ns / 1000) };
	int64_t rc = v->l ? mt5_link_send_cancel(v->l, &c, now_ns)
			  : v->port.cancel(v->port.ctx, &c);
	if (rc < 0)
		return (int)rc;
	v->st.cancels++;
	return 0;
}

static void apply(struct mt5_venue *v, const struct exec_report *r, int64_t now_ns)
{
	struct exec_out o;
	memset(&o, 0, sizeof(o));
	int rc = exec_on_report(v->t, r, now_ns, &o);
	if (rc == -ENOENT) {
		v->st.unknown++;
		return;
	}
	v->st.reports++;
	emit(v, &o);
}

void mt5_venue_on_trade(struct mt5_venue *v, const struct mt5_trade *tr, uint64_t recv_us,
                        int64_t now_ns, struct mt5_lat_rec *lat, int *have_lat)
{
	struct mt5_lat_rec local;
	int hl = v->l ? mt5_lat_trade(&v->lat, tr, recv_us, &v->l->clock, lat ? lat : &local) : 0;
	if (have_lat)
		*have_lat = hl;
	struct msg_exec_report m;
	if (mt5_report_from_trade(&m, tr, vsym(v)) != 1)
		return;
	struct exec_report r;
	exec_report_from_msg(&r, &m);
	if (tr->event == MT5_EVENT_CANCEL_REJECTED)
		r.status = EXEC_VENUE_CANCEL_REJECT;
	apply(v, &r, now_ns);
}

void mt5_venue_on_result(struct mt5_venue *v, const struct mt5_order_result *res, int64_t now_ns)
{
	if (v->l)
		mt5_lat_result(&v->lat, res);
	if (res->accepted || res->cmd == MT5_CMD_MODIFY)
		return;
	v->st.refused_cmds++;
	const struct exec_order *o = exec_find(v->t, res->coid);
	if (!o)
		return;
	struct exec_report r;
	memset(&r, 0, sizeof(r));
	r.coid = res->coid;
	if (res->cmd == MT5_CMD_CANCEL) {
		r.status = EXEC_VENUE_CANCEL_REJECT;
		r.reason = VENUE_R_CXL_UNKNOWN;
		r.cum_qty = o->cum_qty;
		r.leaves_qty = o->qty - o->cum_qty;
	} else {
		/* an order the terminal already knows (the EA refuses a coid it
		 * placed before) is not refused: its reports and the snapshot say
		 * what it is */
		if (o->status != EXEC_PENDING)
			return;
		r.status = EXEC_REJECTED;
		r.reason = VENUE_R_BROKER;
		r.leaves_qty = 0;
	}
	apply(v, &r, now_ns);
}

void mt5_venue_on_state(struct mt5_venue *v, int up, int64_t now_ns)
{
	(void)now_ns;
	exec_set_venue_up(v->t, 0);
	if (up) {
		/* new orders wait for the terminal's snapshot */
		exec_reconcile_begin(v->t);
		v->waiting_snapshot = 1;
	} else {
		v->waiting_snapshot = 0;
	}
}

/* The coids of NEW_ORDER commands the EA has not acknowledged (the link
 * resends them; the EA places each coid once). */
uint32_t mt5_venue_unacked_of_link(const struct mt5_link *l, uint64_t *coids, uint32_t max)
{
	uint32_t n = 0;
	uint64_t first = l->ob.count ? l->ob.first_seq : l->tx.next;
	for (uint64_t s = first; s < l->tx.next && n < max; s++) {
		const uint8_t *f;
		size_t len, flen;
		struct mt5_frame fr;
		struct mt5_msg m;
		if (mt5_outbox_get(&l->ob, s, &f, &len) != 1 ||
		    mt5_frame_parse(f, len, &fr, &flen) != 1 || mt5_msg_decode(&fr, &m) < 0)
			continue;
		if (m.type == MT5_T_NEW_ORDER)
			coids[n++] = m.u.new_order.coid;
	}
	return n;
}

static int in_list(const uint64_t *a, uint32_t n, uint64_t x)
{
	for (uint32_t i = 0; i < n; i++)
		if (a[i] == x)
			return 1;
	return 0;
}

static void confirm(struct mt5_venue *v, const struct exec_order *o, uint8_t status, int32_t cum,
		    int32_t leaves, int64_t notional, uint64_t ticket, int64_t now_ns)
{
	struct exec_venue_view w;
	memset(&w, 0, sizeof(w));
	w.coid = o->coid;
	w.venue_order_id = ticket ? ticket : o->venue_order_id;
	w.notional = notional;
	w.cum_qty = cum;
	w.leaves_qty = leaves;
	w.status = status;
	struct exec_out out;
	memset(&out, 0, sizeof(out));
	if (exec_reconcile_order(v->t, &w, now_ns, &out) == 0)
		emit(v, &out);
}

void mt5_venue_on_snapshot(struct mt5_venue *v, const struct mt5_link_snap *s, int64_t now_ns)
{
	struct exec_table *t = v->t;
	const struct mt5_sym *sym = vsym(v);
	if (!v->waiting_snapshot)
		exec_reconcile_begin(t); /* a snapshot asked after lost reports */
	v->st.reconciles++;
	/* ours: every live order of the table, and the position its fills make */
	uint32_t n = 0;
	uint64_t pos_it = 0;
	const struct exec_order *o;
	while ((o = exec_next_open(t, &pos_it)) != NULL && n < MT5_RECON_MAX) {
		struct mt5_recon_ours *u = &v->ours[n++];
		memset(u, 0, sizeof(*u));
		u->coid = o->coid;
		u->qty = o->qty;
		u->cum = o->cum_qty;
		u->side = o->side;
		u->open = 1;
	}
	uint64_t local[UNACKED_MAX];
	const uint64_t *unacked = v->unacked;
	uint32_t n_un = v->n_unacked;
	if (v->l) {
		n_un = mt5_venue_unacked_of_link(v->l, local, UNACKED_MAX);
		unacked = local;
	}
	/* what the terminal holds beyond the fills the table knows: missed
	 * fills of open orders, then orders it no longer has, explain it */
	mt5_recon_plan(s, v->ours, n, v->known_pos, &v->plan);
	int64_t beyond = v->plan.terminal_pos - v->known_pos;
	int64_t open_px = 0;
	if (s->n_positions && sym->tick_pts > 0)
		open_px = s->pos[0].price_open / sym->tick_pts;
	for (uint32_t i = 0; i < v->plan.n; i++) {
		const struct mt5_recon_item *it = &v->plan.it[i];
		o = it->coid ? exec_find(t, it->coid) : NULL;
		if (it->action == MT5_RECON_CANCEL) {
			/* the terminal's order nobody tracks: cancelled through it */
			struct mt5_cancel c = { .coid = it->coid, .order = it->ticket,
						.dm_us = (uint64_t)(now_ns / 1000) };
			if ((v->l ? mt5_link_send_cancel(v->l, &c, now_ns)
				  : v->port.cancel(v->port.ctx, &c)) >= 0)
				v->st.cancels++;
			continue;
		}
		if (!o)
			continue;
		if (it->action == MT5_RECON_KEEP || it->action == MT5_RECON_FILLS_MISSED) {
			int32_t miss = it->action == MT5_RECON_FILLS_MISSED ? (int32_t)it->qty : 0;
			int32_t cum = o->cum_qty + miss;
			/* missed fills of a resting limit order: at its price */
			int64_t notional = o->notional + (int64_t)miss * o->px;
			beyond -= o->side == SIDE_BUY ? miss : -miss;
			confirm(v, o, cum ? EXEC_PARTIAL : EXEC_ACK, cum, o->qty - cum, notional,
				it->ticket, now_ns);
			v->st.confirmed++;
			continue;
		}
		/* ENDED: still to be placed (its command is resent), or filled
		 * unseen when the terminal's position says so; else the table
		 * ends it (exec_reconcile_end) */
		if (in_list(unacked, n_un, o->coid)) {
			confirm(v, o, EXEC_PENDING, o->cum_qty, o->qty - o->cum_qty, o->notional, 0,
				now_ns);
			v->st.confirmed_sent++;
			continue;
		}
		int64_t leaves = o->qty - o->cum_qty;
		int64_t want = o->side == SIDE_BUY ? beyond : -beyond;
		if (want > 0 && leaves > 0) {
			int32_t fill = (int32_t)(want < leaves ? want : leaves);
			int32_t cum = o->cum_qty + fill;
			int64_t px = open_px > 0 ? open_px : o->px;
			confirm(v, o, cum == o->qty ? EXEC_FILLED : EXEC_CANCELLED, cum, 0,
				o->notional + (int64_t)fill * px, 0, now_ns);
			beyond -= o->side == SIDE_BUY ? fill : -fill;
			v->st.filled_unseen += (uint64_t)fill;
		}
	}
	struct exec_out outs[16];
	uint32_t k;
	while ((k = exec_reconcile_end(t, now_ns, outs, 16)) > 0)
		for (uint32_t i = 0; i < k; i++)
			emit(v, &outs[i]);
	v->st.unexplained = beyond;
	v->waiting_snapshot = 0;
	exec_set_venue_up(t, 1);
}
