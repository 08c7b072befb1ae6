/*
 * series.h — the event times a Hawkes fit reads: a marked point process
 * (time, type) cut into independent observation windows (segments).
 *
 * Design note.  Events arrive in time order with a type 0..dim-1.  A gap
 * longer than max_gap_s between two consecutive events (a night, a
 * weekend, a halt) closes the current segment and opens a new one: each
 * segment is fitted as its own realisation of the same process, starting
 * with no history, over the window [0, len_s] where 0 is the segment's
 * first event (of any type) and len_s its last.  So the closed hours of a
 * market never count as time in which nothing happened.
 *
 * Times are stored as doubles in seconds from the segment's origin, so a
 * nanosecond clock keeps its resolution for any segment shorter than a
 * few months.  Events at the same time are kept in arrival order (a zero
 * inter-arrival time); see hseries_add_event for how trade prints of one
 * aggressive order are merged first.
 *
 * Trades.  hseries_add_event reads struct events (journal, feed readers,
 * the generator): an EV_TRADE with aggressor +1 is type 0 (buy-initiated),
 * -1 type 1 (sell-initiated), 0 is counted and dropped; EV_BOOK events add
 * nothing.  One aggressive order that fills against several resting orders
 * or price levels prints several trades with the same timestamp and side;
 * with HSERIES_TIES_MERGE (the default) a run of consecutive trades with
 * equal exch_ns and equal aggressor is one event of the process.  Book
 * events inside the run do not end it (LOBSTER has a book row after each
 * execution; dm-gen one book event after all the prints of an order); a
 * trade of the other side does.  Two distinct orders of one side in the
 * same nanosecond would merge too, which a continuous-time model allows
 * for anyway (their inter-arrival time would be 0).  HSERIES_TIES_KEEP
 * keeps every print.
 *
 * Memory: struct hseries is owned by the caller; the event arrays grow by
 * realloc (doubling), so pushes allocate now and then and hseries_free
 * releases everything.  One thread per struct hseries.  Offline code.
 */
#ifndef DM_LIBCORE_HAWKES_SERIES_H
#define DM_LIBCORE_HAWKES_SERIES_H

#include <stddef.h>
#include <stdint.h>

#include "libcore/market/event.h"
#include "libcore/gen/hawkes.h"

#define HSERIES_MAX_DIM      HAWKES_MAX_DIM
#define HSERIES_DEF_MAX_GAP  1800.0 /* s: longer gaps start a new segment */

enum hseries_ties {
	HSERIES_TIES_MERGE = 0, /* one event per aggressive order (default) */
	HSERIES_TIES_KEEP  = 1  /* one event per trade print */
};

/* Trade types of hseries_add_event. */
enum hseries_side { HSERIES_BUY = 0, HSERIES_SELL = 1 };

struct hseries_seg {
	uint64_t first;      /* index of its first event */
	uint64_t end;        /* one past its last event */
	double   len_s;      /* window [0, len_s], s */
	double   origin_s;   /* push_s clock at t = 0 */
	int64_t  origin_ns;  /* push_ns clock at t = 0 */
};

struct hseries {
	uint32_t dim;                  /* types, 1..HSERIES_MAX_DIM */
	uint32_t ties;                 /* enum hseries_ties */
	double   max_gap_s;            /* <= 0: one segment whatever the gaps */
	uint64_t n, cap;               /* events */
	double  *t;                    /* s from its segment's origin */
	uint8_t *type;                 /* 0..dim-1 */
	uint32_t n_seg, seg_cap;
	struct hseries_seg *seg;
	uint64_t count[HSERIES_MAX_DIM]; /* events per type */
	uint64_t zero_gaps;            /* events at the same time as the previous one */
	/* hseries_add_event counters */
	uint64_t trades;               /* EV_TRADE seen */
	uint64_t merged;               /* prints merged into the previous event */
	uint64_t no_side;              /* trades without an aggressor, dropped */
	uint64_t books;                /* EV_BOOK seen */
	uint64_t back_in_time;         /* trades stamped before the previous event,
					* taken at the previous event's time */
	/* private */
	int64_t  last_ns;
	double   last_s;
	int32_t  last_side;            /* aggressor of the last trade appended, 0 before */
	uint32_t clock;                /* 0 none yet, 1 seconds, 2 ns */
};

/*
 * Start an empty series of dim types.  max_gap_s as above (0 = default
 * HSERIES_DEF_MAX_GAP, < 0 = never split); ties an enum hseries_ties.
 * Returns 0 or -EINVAL.  No allocation yet.
 */
int hseries_init(struct hseries *s, uint32_t dim, double max_gap_s, uint32_t ties);

/* Free the arrays; s may be initialised again.  Safe twice. */
void hseries_free(struct hseries *s);

/*
 * Append an event at t_s seconds (any origin, the same for every push) of
 * type 0..dim-1.  Returns 0, -EINVAL (bad type, t not finite, earlier than
 * the previous event, or s already fed by hseries_push_ns), -ENOMEM.
 */
int hseries_push_s(struct hseries *s, double t_s, uint32_t type);

/* The same with an integer nanosecond clock (exch_ns). */
int hseries_push_ns(struct hseries *s, int64_t ns, uint32_t type);

/*
 * Feed one market event (dim must be 2): trades become type HSERIES_BUY /
 * HSERIES_SELL by aggressor, merged per the ties rule; other kinds only
 * break a run of trades.  Returns 1 when an event was appended, 0 when
 * none was (book event, merged print, unknown aggressor), or -ENOMEM.
 * A trade stamped before the previous event (a feed slightly out of
 * order) is counted in back_in_time and taken at the previous time.
 */
int hseries_add_event(struct hseries *s, const struct event *ev);

/*
 * dst = the events of one type of src as a 1-type series with the same
 * segments (same windows, even where the type has no event).  dst is
 * initialised here (hseries_free it).  Returns 0, -EINVAL, -ENOMEM.
 */
int hseries_select(struct hseries *dst, const struct hseries *src, uint32_t type);

/*
 * Read dm-gen's --orders CSV (header "seq,t_s,exch_ns,type,..."): the
 * rows whose type is one of names[0..n_names-1] become events of type
 * = that index, at t_s (the generator's Hawkes time, session time that
 * is continuous across days).  s must be initialised with dim = n_names.
 * Returns 0; -errno when the file cannot be read; -DM_ECORRUPT for a bad
 * header or row (err gets "file:line: field: reason").  Allocates.
 */
int hseries_load_orders(struct hseries *s, const char *path,
			const char *const *names, uint32_t n_names,
			char *err, size_t errlen);

/* Total window length over the segments, s. */
double hseries_total_s(const struct hseries *s);

#endif /* DM_LIBCORE_HAWKES_SERIES_H */
