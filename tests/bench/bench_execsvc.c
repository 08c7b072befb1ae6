/*
 * bench_execsvc.c — the execution service's venue step on a market event,
 * with one venue copy stepped in place and with two copies (the
 * all-or-nothing steps of the execution agent, docs/execution.md).
 *
 * What it measures, on one dm-gen market (--events, default 2M) read from
 * its journal: every event goes through execsvc_on_md as the in-process
 * trader hands it (msg_md_book_over / msg_md_from_event), timed alone (the
 * time-stamp counter around the call), with a DAY buy kept resting three
 * ticks under the best bid (re-sent once it fills), so that every market
 * event is a venue step, and an IOC of one lot at the opposite best price
 * every 500 events (acks, fills, reports).  Default execution parameters
 * (venue copies of the agent's 256 KiB room).  Rows:
 *   in place       double_venue 0: nothing copied
 *   two copies     double_venue 1: each step first brings the other copy
 *                  up to the current one (venue_sync), then runs there
 *   bytes copied   per step and per market event, against the whole
 *                  venue a step (what a full copy moves)
 * Medians over --reps runs of each figure (the machine may be shared: the
 * mean leaves out the slowest 0.1% of the calls, those a preemption hit).
 * The two modes must leave the same venue, byte for byte: checked, and a
 * difference exits 1.
 *
 * Usage: bench_execsvc [--events N] [--reps N] [--bin DIR]
 */
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libcore/execsvc/execsvc.h"
#include "libcore/journal/journal.h"
#include "libcore/msg/msg_md.h"
#include "tests/bench/bench_clock.h"
#include "tests/bench/bench_table.h"

#define BENCH_CPU   0
#define ROOM        (256u << 10) /* the execution agent's venue room */
#define IOC_EVERY   500u
#define REST_TICKS  3

static int run_child(char *const argv[])
{
	pid_t pid = fork();
	int st;
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void default_bindir(const char *argv0, char *out, size_t n)
{
	const char *slash = strrchr(argv0, '/');
	if (!slash)
		snprintf(out, n, "build/bin");
	else
		snprintf(out, n, "%.*s/../bin", (int)(slash - argv0), argv0);
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_dbl);
	return n ? v[n / 2] : 0;
}

/* The host: counts reports, watches the resting order. */
struct host {
	uint64_t reports, fills;
	uint64_t rest_dec;    /* decision id of the resting buy, 0 none */
};

static int h_report(void *ctx, const struct msg_exec_report *m)
{
	struct host *h = ctx;
	h->reports++;
	h->fills += m->last_qty > 0;
	if (m->decision_id == h->rest_dec &&
	    (m->status == EXEC_FILLED || m->status == EXEC_CANCELLED ||
	     m->status == EXEC_REJECTED))
		h->rest_dec = 0;
	return 0;
}

static int h_vote(void *ctx, const struct msg_vote *v)
{
	(void)ctx;
	(void)v;
	return 0;
}

struct result {
	double mean_ns, p50_ns, p99_ns; /* mean_ns: of the events under p99.9 (a
					 * shared machine preempts a few calls) */
	uint64_t events, steps, copied, fills;
	size_t venue_size;
};

static struct msg_order order(uint64_t dec, int side, int64_t px, int tif, int64_t now)
{
	struct msg_order o;
	memset(&o, 0, sizeof(o));
	o.hdr.type = MSG_ORDER;
	o.hdr.size = sizeof(o);
	o.hdr.flags = MSG_F_REPLAY;
	o.hdr.ingress_ns = now;
	o.decision_id = dec;
	o.px = px;
	o.qty = 1;
	o.side = (int8_t)side;
	o.ord_type = ORD_LIMIT;
	o.tif = (uint8_t)tif;
	return o;
}

/* One pass over the journal; *venue_out (malloc'd) gets the final venue. */
static int run(const char *path, int twin, double *lat, struct result *res, void **venue_out)
{
	struct execsvc_params p;
	char err[256];
	execsvc_params_default(&p);
	p.double_venue = (uint32_t)twin;
	p.venue_room = ROOM;
	size_t size = execsvc_memsize(&p);
	void *mem = aligned_alloc(4096, (size + 4095) & ~(size_t)4095);
	struct execsvc *x = aligned_alloc(64, (sizeof(*x) + 63) & ~(size_t)63);
	struct msg_book *book = calloc(1, sizeof(*book));
	union msg_md md;
	struct host h = { 0 };
	struct journal_reader r;
	int rc = -1;
	if (!mem || !x || !book)
		goto out;
	memset(mem, 0, size); /* what init leaves alone (unused sample room) the same in every run */
	if (execsvc_init(mem, size, &p, 1, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench_execsvc: %s\n", err);
		goto out;
	}
	const struct execsvc_out o = { .ctx = &h, .report = h_report, .vote = h_vote };
	if (execsvc_attach(x, mem, size, &p, &o) < 0)
		goto out;
	execsvc_reconcile(x, 0, NULL);
	if (journal_open_read(&r, path, JOURNAL_SEQ) < 0)
		goto out;
	const struct event *ev;
	uint64_t n = 0, dec = 0;
	double sum = 0;
	while (journal_next_event_ref(&r, &ev) == 1) {
		struct msg_hdr *m;
		if (ev->kind == EV_BOOK) {
			msg_md_book_over(book, ev);
			m = &book->hdr;
		} else if (ev->kind == EV_TRADE) {
			msg_md_from_event(&md, ev);
			m = &md.hdr;
		} else {
			continue;
		}
		int64_t now = ev->exch_ns;
		uint64_t t0 = clk_begin();
		execsvc_on_md(x, m, now);
		uint64_t t1 = clk_end();
		lat[n] = (double)(t1 - t0) * g_ns_per_tick;
		sum += lat[n];
		n++;
		/* orders on the book as it stands (not timed) */
		if (ev->kind == EV_BOOK && book->n_bid && book->n_ask) {
			if (!h.rest_dec) {
				h.rest_dec = ++dec;
				struct msg_order b = order(dec, SIDE_BUY, book->bid[0].px - REST_TICKS,
							   TIF_DAY, now);
				execsvc_on_order(x, &b, 0, now);
			}
			if (n % IOC_EVERY == 0) {
				int side = (n / IOC_EVERY) % 2 ? SIDE_BUY : SIDE_SELL;
				struct msg_order k = order(++dec, side, side == SIDE_BUY ?
							   book->ask[0].px : book->bid[0].px,
							   TIF_IOC, now);
				execsvc_on_order(x, &k, 0, now);
			}
		}
		execsvc_tick(x, now, NULL);
	}
	journal_reader_close(&r);
	res->events = n;
	res->steps = x->st->venue_steps;
	res->copied = x->st->venue_copied;
	res->venue_size = x->st->venue_size;
	res->fills = h.fills;
	qsort(lat, n, sizeof(*lat), cmp_dbl);
	res->p50_ns = n ? lat[n / 2] : 0;
	res->p99_ns = n ? lat[n * 99 / 100] : 0;
	uint64_t keep = n - n / 1000;
	for (uint64_t i = keep; i < n; i++)
		sum -= lat[i];
	res->mean_ns = keep ? sum / (double)keep : 0;
	*venue_out = malloc(res->venue_size);
	if (*venue_out)
		memcpy(*venue_out, execsvc_venue_of(x->st), res->venue_size);
	rc = 0;
out:
	free(book);
	free(x);
	free(mem);
	return rc;
}

int main(int argc, char **argv)
{
	uint64_t events = 2000000, v;
	uint32_t reps = 5;
	char bindir[512], gen[600], jpath[96], nbuf[32];

	setvbuf(stdout, NULL, _IOLBF, 0);
	default_bindir(argv[0], bindir, sizeof(bindir));
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: bench_execsvc [--events N] [--reps N] [--bin DIR]\n");
			return 0;
		} else if (!strcmp(argv[i], "--events") && i + 1 < argc &&
			   !parse_count(argv[i + 1], &v)) {
			events = v;
			i++;
		} else if (!strcmp(argv[i], "--reps") && i + 1 < argc &&
			   !parse_count(argv[i + 1], &v) && v <= 20) {
			reps = (uint32_t)v;
			i++;
		} else if (!strcmp(argv[i], "--bin") && i + 1 < argc) {
			snprintf(bindir, sizeof(bindir), "%s", argv[++i]);
		} else {
			fprintf(stderr, "bench_execsvc: bad argument '%s'\n", argv[i]);
			return 2;
		}
	}
	snprintf(gen, sizeof(gen), "%s/dm-gen", bindir);
	snprintf(jpath, sizeof(jpath), "/tmp/dmbench-execsvc-%d.jrnl", (int)getpid());

	cpu_set_t cs;
	CPU_ZERO(&cs);
	CPU_SET(BENCH_CPU, &cs);
	if (sched_setaffinity(0, sizeof(cs), &cs))
		fprintf(stderr, "bench_execsvc: cannot pin to CPU %d (running unpinned)\n",
			BENCH_CPU);
	snprintf(nbuf, sizeof(nbuf), "%" PRIu64, events);
	char *gargv[] = { gen, "--seed", "1", "--events", nbuf, "--output", jpath, "--quiet", NULL };
	if (run_child(gargv) != 0) {
		fprintf(stderr, "bench_execsvc: %s failed (run 'make all' first)\n", gen);
		unlink(jpath);
		return 1;
	}
	clk_calibrate();

	double *lat = malloc((events + 16) * sizeof(*lat));
	double mean[2][20], p50[2][20], p99[2][20];
	struct result res[2] = { { 0 } };
	void *last[2] = { NULL, NULL };
	int same = 1;
	if (!lat)
		return 1;
	for (uint32_t i = 0; i < reps; i++)
		for (int twin = 0; twin < 2; twin++) {
			free(last[twin]);
			last[twin] = NULL;
			if (run(jpath, twin, lat, &res[twin], &last[twin]) < 0 || !last[twin]) {
				unlink(jpath);
				return 1;
			}
			mean[twin][i] = res[twin].mean_ns;
			p50[twin][i] = res[twin].p50_ns;
			p99[twin][i] = res[twin].p99_ns;
			fprintf(stderr, "[rep %u] %s: %.1f ns/event mean, p50 %.0f, p99 %.0f\n", i + 1,
				twin ? "two copies" : "in place", mean[twin][i], p50[twin][i],
				p99[twin][i]);
		}
	same = res[0].venue_size == res[1].venue_size &&
	       memcmp(last[0], last[1], res[0].venue_size) == 0 && res[0].fills == res[1].fills;
	unlink(jpath);

	const struct result *d = &res[1];
	double whole_step = (double)d->venue_size;
	double step_bytes = d->steps ? (double)d->copied / (double)d->steps : 0;
	double ev_bytes = d->events ? (double)d->copied / (double)d->events : 0;
	double ev_whole = d->events ? whole_step * (double)d->steps / (double)d->events : 0;
	double m0 = median(mean[0], (int)reps), m1 = median(mean[1], (int)reps);

	printf("market: dm-gen --seed 1, %" PRIu64 " events; one DAY buy resting %d ticks under "
	       "the bid, an IOC every %u events; %" PRIu64 " venue steps on two copies, %" PRIu64
	       " fills; venue %zu bytes; median of %u\n", d->events, REST_TICKS, IOC_EVERY,
	       d->steps, d->fills, d->venue_size, reps);
	row("market event in place: ns, mean", m0, "ns", 0, NULL);
	row("market event two copies: ns, mean", m1, "ns", m0, "in place");
	row("market event in place: ns, p50", median(p50[0], (int)reps), "ns", 0, NULL);
	row("market event two copies: ns, p50", median(p50[1], (int)reps), "ns",
	    median(p50[0], (int)reps), "in place");
	row("market event two copies: ns, p99", median(p99[1], (int)reps), "ns",
	    median(p99[0], (int)reps), "in place");
	row("bytes copied per venue step", step_bytes, "B", whole_step, "the whole venue a step");
	row("bytes copied per market event", ev_bytes, "B", ev_whole, "the whole venue a step");
	print_table();
	printf("the two modes leave the same venue, byte for byte: %s\n", same ? "yes" : "NO");
	free(last[0]);
	free(last[1]);
	free(lat);
	return same ? 0 : 1;
}
