/*
 * ag_data_mt5.h — the data agent's live source, the MetaTrader 5 bridge
 * (ag_data_mt5.c has the design; docs/mt5-bridge.md the protocol).
 * Called by the data agent's thread only.
 */
#ifndef DM_AGENTS_RT_AG_DATA_MT5_H
#define DM_AGENTS_RT_AG_DATA_MT5_H

#include <stdint.h>

#include "agents/rt/agents.h"

struct ag_data_mt5;
struct mt5_link;

/*
 * Listen on mt5.listen, load mt5.secret_file, open the run directory's
 * market.journal: 0 with *out, or a negative error after one rt_error line
 * (-DM_ECONFIG: no secret file, a refused key, a bad address; -errno: the
 * socket, io_uring, the journal).  md: the output indexes of the n_md md
 * rings.  Start-up code: allocates about 2 MB.
 */
int ag_data_mt5_open(struct rt *rt, struct ag_data_state *st, uint32_t n_md,
                     const uint32_t *md, struct ag_data_mt5 **out);

/* One pass: completions, the link's timers, publishing, new operations.
 * The messages published; sets rt->wake_at_ns.  Never blocks. */
int ag_data_mt5_tick(struct ag_data_mt5 *d, int64_t now);

struct msg_venue_cmd;

/*
 * venue.kind mt5: the link also carries execution's orders.  out: the
 * output index of venue_reports, where the link's state, reports and
 * snapshots go (struct msg_venue_event).  Opens the run directory's
 * mt5-latency.txt (appended), each completed order's latency legs in the
 * venue simulator's format (mt5_lat.h).  0, or -errno after one rt_error
 * line.  Start-up code.
 */
int ag_data_mt5_venue(struct ag_data_mt5 *d, uint32_t out);

/* A command of the ring venue_cmds: handed to the link (kept there until
 * the EA acknowledges it, resent after a reconnect), or HELLO (the link's
 * state again; a snapshot asked when up).  0, -EAGAIN (the reports queue
 * is nearly full: hand it again), -EPROTO.  No allocation. */
int ag_data_mt5_on_cmd(struct ag_data_mt5 *d, const struct msg_venue_cmd *c);

/* Close the socket and the journal, log the counters, free d (NULL: nothing). */
void ag_data_mt5_close(struct ag_data_mt5 *d);

/* The link, for reading its state and counters. */
const struct mt5_link *ag_data_mt5_link(const struct ag_data_mt5 *d);

#endif /* DM_AGENTS_RT_AG_DATA_MT5_H */
