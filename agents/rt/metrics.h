/*
 * metrics.h — a live segment in the Prometheus text exposition format
 * (version 0.0.4), for dm-exporter (docs/observability.md lists every
 * series).
 *
 * What is read.  The registry (per agent: state, pid, generation,
 * restarts, heartbeat age, the runtime's counters), every ring (fill,
 * capacity, pushed, popped, full, dropped), the agents' latency
 * histograms (struct rt_lat, as Prometheus histograms in seconds), and
 * the modules' dumps by their documented keys (rt_dump_json,
 * rt_system_json: orders, fills, decisions and rejections by reason,
 * position, P&L, risk state, kill switch, journals).  Nothing is
 * written: a mapping made read-only is enough, and the figures may come
 * from slightly different instants (as with dm-shmdump).
 *
 * Histograms.  The segment's histograms have 1920 log-linear buckets
 * (libcore/hist/hist.h); the exposition has the fixed boundaries
 * RT_METRICS_LE (0.5 us .. 1 s, then +Inf).  A segment bucket counts
 * toward `le` once its whole range, its upper end clamped to the exact
 * maximum, is at or below `le`: each cumulative count is exact or at
 * most one segment bucket (1/32 of the value) late, never early, so
 * `histogram_quantile` errs the same way hist_quantile does.  `_count`
 * is the sum of the buckets read (equal to the +Inf bucket even while an
 * agent records), `_sum` the exact sum in seconds.
 *
 * Names: the prefix dreammaker_, the unit in the name (_seconds, _lots,
 * _messages, _ratio), counters end in _total; every family has its HELP
 * and TYPE lines and its samples together.  Labels: agent, ring, stage,
 * state, reason, outcome, side, component, currency, symbol, file.
 */
#ifndef DM_AGENTS_RT_METRICS_H
#define DM_AGENTS_RT_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "shm/seg.h"

/* What an HTTP server answers the text with. */
#define RT_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* The histogram boundaries, in ns (then +Inf). */
#define RT_METRICS_N_LE 20
extern const uint64_t rt_metrics_le_ns[RT_METRICS_N_LE];

/* What the process serving the text knows of itself (its own series,
 * dreammaker_exporter_*); all zero when there is none. */
struct rt_metrics_host {
	uint64_t attaches;      /* successful attaches so far (a re-attach after
	                         * the system restarted counts again) */
	uint64_t scrapes;       /* texts rendered so far, this one included */
	int      attach_error;  /* the last attach's refusal (-errno or -DM_E*),
	                         * 0 when attached or never tried */
};

/*
 * The text of segment s at wall-clock time now_ns (CLOCK_REALTIME, for
 * the heartbeat ages) into buf (cap bytes, NUL-terminated when cap > 0).
 * s NULL: no segment attached; the text says dreammaker_up 0 and holds
 * the host's series only.  host may be NULL.
 * Returns the length the whole text needs, without the NUL (as snprintf):
 * when it is >= cap, buf holds a cut prefix and the caller calls again
 * with a larger buffer.  Reads the segment only, makes no system call;
 * allocates (jansson, through the agents' dumps): tools only, never an
 * agent's work loop.  Any thread, one call at a time per buffer.
 */
size_t rt_metrics_render(const struct seg *s, int64_t now_ns, const struct rt_metrics_host *host,
			 char *buf, size_t cap);

#endif /* DM_AGENTS_RT_METRICS_H */
