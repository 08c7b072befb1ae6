/*
 * mkseeds.c — the binary seeds of the fuzz corpora (docs/fuzzing.md),
 * made from the bundled samples by the project's own writers:
 *   journal/, journal_in/   journals of the LOBSTER and Binance samples'
 *                           first events (version 2 with book deltas,
 *                           version 1 whole), with a note and a raw record
 *   journal_delta/          a book event and the delta to the next one
 *   seg/                    a segment as seg_create lays it out
 *   binance/, tick/         the first lines of each Binance capture, the
 *                           depth snapshots cut to a few levels a side
 *   mt5_bridge/             both sides of the fixed handshake of fuzz.h
 *                           (the EA's HELLO and AUTH, DreamMaker's
 *                           CHALLENGE and ACCEPT), then a session of each
 *                           side's messages, whole and with damage
 * Usage: mkseeds REPO_ROOT OUT_DIR (OUT_DIR/<target>/ must exist).
 * Deterministic: the same samples give the same files, but for the
 * journal header's creation time and pid, which mkseeds zeroes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libcore/feed/feed.h"
#include "libcore/journal/journal.h"
#include "libcore/mt5/mt5_proto.h"
#include "libcore/mt5/mt5_session.h"
#include "shm/seg.h"
#include "tests/fuzz/fuzz.h"

#define MAX_EV 48

static const char *root, *out;

static void die(const char *what)
{
	fprintf(stderr, "mkseeds: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* out/<target>/<name> = prefix byte + n bytes of p */
static void put(const char *target, const char *name, int prefix, const void *p, size_t n)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", out, target, name);
	if (!(f = fopen(path, "wb")))
		die(path);
	if (prefix >= 0)
		fputc(prefix, f);
	if (n && fwrite(p, 1, n, f) != n)
		die(path);
	if (fclose(f))
		die(path);
}

static uint8_t *slurp(const char *path, size_t *n)
{
	struct stat st;
	uint8_t *b;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st))
		die(path);
	b = malloc((size_t)st.st_size + 1);
	if (!b || read(fd, b, (size_t)st.st_size) != st.st_size)
		die(path);
	close(fd);
	*n = (size_t)st.st_size;
	return b;
}

static size_t read_events(const char *rel, enum feed_format fmt, double tick, double lot,
			  struct event *ev, size_t max)
{
	static struct feed_reader r;
	struct feed_opts o = { .tick = tick, .lot = lot };
	char path[1024], err[256];
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	if (feed_open(&r, path, fmt, &o, err, sizeof(err)) < 0) {
		fprintf(stderr, "mkseeds: %s\n", err);
		exit(1);
	}
	while (n < max && feed_next(&r, &ev[n]) == 1)
		n++;
	feed_close(&r);
	return n;
}

/* A journal of ev[0..n) (plus a note and a raw record when extra), its
 * header's time and pid zeroed and its crc made right again. */
static uint8_t *journal_of(const struct event *ev, size_t n, uint32_t wflags, int extra,
			   size_t *len)
{
	struct journal_opts o = { .symbol = "AAPL", .tick_size = "0.01", .lot_size = "1",
				  .currency = "USD", .point_value = 1,
				  .flags = wflags | JOURNAL_W_TRUNC | JOURNAL_W_NO_URING,
				  .snapshot_every = 16 };
	static struct journal_writer w;
	char path[1024];
	uint8_t *b;

	snprintf(path, sizeof(path), "%s/.mkseeds-%d.dmj", out, (int)getpid());
	if (journal_open_write(&w, path, &o))
		die("journal_open_write");
	for (size_t i = 0; i < n; i++) {
		if (journal_append_event(&w, &ev[i]))
			die("journal_append_event");
		if (extra && i == 2 && (journal_append(&w, JREC_NOTE, "seed note", 9) ||
					journal_append(&w, JREC_RAW, "raw,line\n", 9)))
			die("journal_append");
	}
	if (journal_close(&w))
		die("journal_close");
	b = slurp(path, len);
	unlink(path);
	struct journal_file_hdr h;
	memcpy(&h, b, sizeof(h));
	h.created_ns = 0;
	h.writer_pid = 0;
	h.hdr_crc = journal_crc32c(0, &h, offsetof(struct journal_file_hdr, hdr_crc));
	memcpy(b, &h, sizeof(h));
	return b;
}

static void journals(void)
{
	static struct event lob[MAX_EV], bn[MAX_EV];
	size_t nl = read_events("tests/data/lobster-aapl-20120621-excerpt/"
				"AAPL_2012-06-21_34200000_57600000_message_10.csv",
				FEED_LOBSTER, 100, 0, lob, MAX_EV);
	size_t nb = read_events("tests/data/binance-ws-raw-hftbacktest/"
				"spot_btcusdt_20240808.jsonl.gz", FEED_BINANCE, 0.01, 0.00001,
				bn, MAX_EV);
	size_t n;
	uint8_t *j;

	j = journal_of(lob, nl, 0, 1, &n);
	put("journal", "lobster-v2", 0x00, j, n);
	put("journal", "lobster-v2-seq", 0x04, j, n);
	put("journal", "lobster-v2-verify-records", 0x22, j, n);
	put("journal", "lobster-v2-repair-append", 0x18, j, n);
	put("journal_in", "lobster-v2", 0x00, j, n);
	put("journal_in", "lobster-v2-auto-l5", 0x44, j, n);
	{
		uint8_t *t = malloc(n + 2);
		if (!t)
			die("out of memory");
		t[0] = 0x04; /* journal asked, plain name */
		t[1] = 0x00;
		memcpy(t + 2, j, n);
		put("tick", "lobster-v2-journal", -1, t, n + 2);
		free(t);
	}
	free(j);
	j = journal_of(lob, nl / 2, JOURNAL_W_FULL, 0, &n);
	put("journal", "lobster-v1", 0x00, j, n);
	put("journal_in", "lobster-v1", 0x00, j, n);
	free(j);
	j = journal_of(bn, nb, 0, 0, &n);
	put("journal", "binance-v2", 0x06, j, n);
	put("journal_in", "binance-v2", 0x00, j, n);
	free(j);

	/* delta seeds: [r][book i][delta i -> i + 1] */
	int k = 0;
	for (size_t i = 0; i + 1 < nl && k < 6; i++) {
		static uint8_t buf[1 + JEV_MAX_SIZE + JDL_MAX_SIZE];
		if (lob[i].kind != EV_BOOK || lob[i + 1].kind != EV_BOOK)
			continue;
		int a = journal_event_encode(&lob[i], buf + 1, JEV_MAX_SIZE);
		int b = journal_delta_encode(&lob[i], &lob[i + 1], buf + 1 + a, JDL_MAX_SIZE);
		if (a < 32 || b < 0)
			die("encode");
		buf[0] = (uint8_t)((a - 32) / 16);
		char name[32];
		snprintf(name, sizeof(name), "lobster-%zu", i);
		put("journal_delta", name, -1, buf, 1 + (size_t)a + (size_t)b);
		k++;
	}
}

static void segment(void)
{
	struct seg_spec sp;
	struct seg s;
	char name[SEG_NAME_MAX], path[128];
	size_t n;

	snprintf(name, sizeof(name), "/dmfuzz-mkseeds-%d", (int)getpid());
	memset(&sp, 0, sizeof(sp));
	sp.name = name;
	sp.n_agents = 2;
	sp.agents[0] = "data";
	sp.agents[1] = "feature";
	sp.n_rings = 2;
	sp.ring[0] = (struct seg_ring_spec){ .name = "p2c", .producer = 0, .consumer = 1,
					     .capacity = 8, .slot_size = 64,
					     .policy = RING_BLOCK };
	sp.ring[1] = (struct seg_ring_spec){ .name = "c2p", .producer = 1, .consumer = 0,
					     .capacity = 4, .slot_size = 128,
					     .policy = RING_CONFLATE };
	sp.user_size = 256;
	sp.app_layout = 0x5a5a46555a5a5a5aull; /* fuzz_seg.c's */
	sp.epoch = 7;
	if (seg_create(&s, &sp, 0))
		die("seg_create");
	snprintf(path, sizeof(path), "/dev/shm%s", name);
	uint8_t *b = slurp(path, &n);
	struct seg_hdr *h = (struct seg_hdr *)(void *)b;
	h->creator_pid = 0;
	h->owner_uid = 0;
	put("seg", "two-rings", 0x00, b, n);
	put("seg", "two-rings-readonly", 0x02, b, n);
	free(b);
	seg_close(&s);
	seg_unlink(name);
}

/* The first lines of a capture, a depth snapshot cut to 5 levels a side. */
static void binance(const char *rel, const char *seed)
{
	static char line[1 << 17], outb[1 << 16];
	char cmd[1200];
	size_t o = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "gzip -dc '%s/%s'", root, rel);
	if (!(p = popen(cmd, "r")))
		die(cmd);
	for (int i = 0; i < 40 && fgets(line, sizeof(line), p); i++) {
		size_t n = strlen(line);
		if (n > 4096) {
			/* "bids":[[..],[..],...] -> the first 5 entries */
			char cut[4096];
			size_t c = 0;
			const char *q = line;
			while (*q && c < sizeof(cut) - 64) {
				const char *arr = strstr(q, "\":[[");
				if (!arr)
					break;
				size_t head = (size_t)(arr - q) + 4;
				memcpy(cut + c, q, head);
				c += head;
				q = arr + 4;
				for (int e = 0; e < 5; e++) {
					const char *end = strstr(q, "],[");
					const char *fin = strstr(q, "]]");
					if (!end || (fin && fin < end))
						break;
					memcpy(cut + c, q, (size_t)(end - q) + 3);
					c += (size_t)(end - q) + 3;
					q = end + 3;
				}
				const char *fin = strstr(q, "]]");
				const char *end = strstr(q, "],[");
				if (!fin)
					break;
				/* the last kept entry */
				if (end && end < fin) {
					memcpy(cut + c, q, (size_t)(end - q));
					c += (size_t)(end - q);
				} else {
					memcpy(cut + c, q, (size_t)(fin - q));
					c += (size_t)(fin - q);
				}
				memcpy(cut + c, "]]", 2);
				c += 2;
				q = fin + 2;
			}
			size_t rest = strlen(q);
			if (c + rest >= sizeof(cut))
				continue;
			memcpy(cut + c, q, rest);
			c += rest;
			memcpy(line, cut, c);
			line[c] = '\0';
			n = c;
		}
		if (o + n > sizeof(outb))
			break;
		memcpy(outb + o, line, n);
		o += n;
	}
	pclose(p);
	char name[64];
	snprintf(name, sizeof(name), "%s", seed);
	put("binance", name, 0x00, outb, o);
	snprintf(name, sizeof(name), "%s-lot-symbol-l5", seed);
	put("binance", name, 0x4c, outb, o);
	snprintf(name, sizeof(name), "%s-default-buffers", seed);
	put("binance", name, 0x80, outb, o);
	{
		static uint8_t t[2 + sizeof(outb)];
		t[0] = 0x18 | 0x03; /* .jsonl name, Binance asked */
		t[1] = 0x02 | (1 << 3) | (1 << 5); /* tick 0.01, lot 1, BTCUSDT */
		memcpy(t + 2, outb, o);
		snprintf(name, sizeof(name), "%s-binance", seed);
		put("tick", name, -1, t, o + 2);
		t[0] = 0x18; /* auto */
		t[1] = 0;
		snprintf(name, sizeof(name), "%s-auto", seed);
		put("tick", name, -1, t, o + 2);
	}
}

/* ---- the MetaTrader 5 bridge */

static uint8_t mt5_buf[64 * MT5_FRAME_MAX];

/* append the frame of m (seq) to *len; abort on failure */
static void mt5_add(size_t *len, uint64_t seq, struct mt5_msg *m)
{
	int k = mt5_msg_encode(mt5_buf + *len, sizeof(mt5_buf) - *len, seq, 0, m);

	if (k < 0) {
		fprintf(stderr, "mkseeds: mt5 %s: %s\n", mt5_msg_name(m->type), mt5_strerror(k));
		exit(1);
	}
	*len += (size_t)k;
}

static void mt5_bridge(void)
{
	static uint8_t ea[16 * MT5_FRAME_MAX], dm[16 * MT5_FRAME_MAX];
	static struct mt5_hs_server s;
	static struct mt5_hs_client c;
	static struct mt5_msg m;
	uint8_t nonce[MT5_NONCE_LEN], tmp[MT5_FRAME_MAX];
	size_t el = 0, dl = 0, ol, len;
	struct mt5_hello h;
	struct mt5_frame f;
	static const struct mt5_accept a = { .resume_seq = 1, .cmd_stream_id = 9,
	                                     .next_cmd_seq = 1, .hb_interval_ms = 1000,
	                                     .hb_timeout_ms = 5000, .backoff_min_ms = 500,
	                                     .backoff_max_ms = 30000 };

	/* the handshake, run by both machines: the EA's frames and DreamMaker's */
	fz_mt5_hello(&h);
	fz_mt5_server_nonce(nonce);
	mt5_hs_server_init(&s, fz_mt5_key());
	mt5_hs_client_init(&c, fz_mt5_key());
	if (mt5_hs_server_begin(&s, nonce, 0, 1000000) ||
	    mt5_hs_client_begin(&c, &h, 0, 1000000, ea, sizeof(ea), &ol) != MT5_HS_WAIT_CHALLENGE)
		exit(1);
	el = ol;
	if (mt5_frame_parse(ea, el, &f, &len) != 1 ||
	    mt5_hs_server_on_frame(&s, &f, 1, dm, sizeof(dm), &ol) != MT5_HS_WAIT_AUTH)
		exit(1);
	dl = ol;
	if (mt5_frame_parse(dm, dl, &f, &len) != 1 ||
	    mt5_hs_client_on_frame(&c, &f, 2, ea + el, sizeof(ea) - el, &ol) != MT5_HS_WAIT_ACCEPT)
		exit(1);
	if (mt5_frame_parse(ea + el, ol, &f, &len) != 1 ||
	    mt5_hs_server_on_frame(&s, &f, 3, tmp, sizeof(tmp), &len) != MT5_HS_VERIFIED)
		exit(1);
	el += ol;
	if (mt5_hs_server_accept(&s, &a, dm + dl, sizeof(dm) - dl, &ol) != MT5_HS_DONE)
		exit(1);
	dl += ol;

	/* the EA's side of a session after it: reports, data, heartbeats */
	len = 0;
	memcpy(mt5_buf, ea, el);
	len = el;
	m.type = MT5_T_TRADE;
	memset(&m.u, 0, sizeof(m.u));
	m.u.trade.coid = 1ull << 40 | 1;
	m.u.trade.event = MT5_EVENT_PLACED;
	m.u.trade.side = MT5_SIDE_ANY_BUY;
	m.u.trade.kind = MT5_KIND_LIMIT;
	mt5_add(&len, 1, &m);
	m.u.trade.event = MT5_EVENT_FILLED;
	m.u.trade.volume_e8 = 100000000;
	mt5_add(&len, 2, &m);
	m.type = MT5_T_TICK;
	memset(&m.u, 0, sizeof(m.u));
	m.u.tick.tick_seq = 1;
	m.u.tick.bid = 100000;
	m.u.tick.ask = 100005;
	mt5_add(&len, 0, &m);
	m.type = MT5_T_BOOK;
	memset(&m.u, 0, sizeof(m.u));
	m.u.book.n_levels = 4;
	for (int i = 0; i < 4; i++) {
		m.u.book.levels[i].side = i < 2 ? MT5_BOOK_SIDE_ASK : MT5_BOOK_SIDE_BID;
		m.u.book.levels[i].price = 100010 - 5 * i;
		m.u.book.levels[i].volume = (uint64_t)i + 1;
	}
	mt5_add(&len, 0, &m);
	m.type = MT5_T_ORDER_RESULT;
	memset(&m.u, 0, sizeof(m.u));
	m.u.order_result.cmd_seq = 1;
	m.u.order_result.cmd = MT5_CMD_NEW;
	strcpy(m.u.order_result.comment, "placed");
	mt5_add(&len, 4, &m);              /* 3 is missing: a gap */
	m.type = MT5_T_HEARTBEAT;
	memset(&m.u, 0, sizeof(m.u));
	m.u.heartbeat.time_us = 5;
	mt5_add(&len, 0, &m);
	put("mt5_bridge", "ea-session-bytes", 0x00, mt5_buf, len);
	put("mt5_bridge", "ea-session-whole", 0x07, mt5_buf, len);
	put("mt5_bridge", "ea-session-28", 0x04, mt5_buf, len);
	put("mt5_bridge", "ea-handshake", 0x07, ea, el);
	mt5_buf[el + 40] ^= 0x10;          /* a damaged payload, then garbage */
	memcpy(mt5_buf + len, "DM5Bgarbage", 11);
	put("mt5_bridge", "ea-session-damaged", 0x06, mt5_buf, len + 11);

	/* DreamMaker's side: its handshake frames, then commands */
	memcpy(mt5_buf, dm, dl);
	len = dl;
	m.type = MT5_T_NEW_ORDER;
	memset(&m.u, 0, sizeof(m.u));
	m.u.new_order.coid = 1ull << 40 | 7;
	m.u.new_order.side = MT5_SIDE_SELL;
	m.u.new_order.kind = MT5_KIND_LIMIT;
	m.u.new_order.volume_e8 = 200000000;
	m.u.new_order.price = 100020;
	mt5_add(&len, 1, &m);
	m.type = MT5_T_CANCEL;
	memset(&m.u, 0, sizeof(m.u));
	m.u.cancel.coid = 1ull << 40 | 7;
	mt5_add(&len, 2, &m);
	m.type = MT5_T_SNAPSHOT_REQ;
	memset(&m.u, 0, sizeof(m.u));
	m.u.snapshot_req.req_id = 3;
	mt5_add(&len, 0, &m);
	m.type = MT5_T_ACK;
	memset(&m.u, 0, sizeof(m.u));
	m.u.ack.ack_seq = 2;
	mt5_add(&len, 0, &m);
	put("mt5_bridge", "dm-session-bytes", 0x08, mt5_buf, len);
	put("mt5_bridge", "dm-session-whole", 0x0f, mt5_buf, len);
	put("mt5_bridge", "dm-handshake-7", 0x0b, dm, dl);
	/* a refusal instead */
	m.type = MT5_T_REFUSE;
	memset(&m.u, 0, sizeof(m.u));
	m.u.refuse.reason = MT5_REFUSE_AUTH;
	strcpy(m.u.refuse.detail, "another secret");
	len = 0;
	mt5_add(&len, 0, &m);
	put("mt5_bridge", "dm-refuse", 0x0f, mt5_buf, len);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: mkseeds REPO_ROOT OUT_DIR\n");
		return 2;
	}
	root = argv[1];
	out = argv[2];
	journals();
	segment();
	binance("tests/data/binance-ws-raw-hftbacktest/spot_btcusdt_20240808.jsonl.gz", "spot");
	binance("tests/data/binance-ws-raw-hftbacktest/usdm_btcusdt_20240808.jsonl.gz", "usdm");
	mt5_bridge();
	return 0;
}
