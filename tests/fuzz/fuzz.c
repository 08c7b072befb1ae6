/*
 * fuzz.c — the scratch directory, files and contract checks the fuzz
 * targets share (fuzz.h).
 */
#include "tests/fuzz/fuzz.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libcore/feed/feed_int.h"
#include "libcore/journal/journal.h"

static char fz_dir_buf[256];

static void fz_dir_remove(void)
{
	DIR *d = opendir(fz_dir_buf);
	struct dirent *e;
	char p[512];

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", fz_dir_buf, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(fz_dir_buf);
}

const char *fz_dir(void)
{
	if (!fz_dir_buf[0]) {
		/* $TMPDIR, else the tmpfs /dev/shm (no disk: a repair's
		 * fdatasync costs nothing there), else /tmp */
		const char *t = getenv("TMPDIR");
		struct stat st;
		if (!t || !*t)
			t = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
			    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
		snprintf(fz_dir_buf, sizeof(fz_dir_buf), "%s/dmfuzz-XXXXXX", t);
		if (!mkdtemp(fz_dir_buf)) {
			fprintf(stderr, "fuzz: mkdtemp %s: %s\n", fz_dir_buf, strerror(errno));
			abort();
		}
		atexit(fz_dir_remove);
	}
	return fz_dir_buf;
}

const char *fz_path(const char *name)
{
	static char buf[4][320];
	static unsigned k;
	char *p = buf[k++ % 4];

	snprintf(p, sizeof(buf[0]), "%s/%s", fz_dir(), name);
	return p;
}

void fz_write(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	const char *c = p;

	if (fd < 0) {
		fprintf(stderr, "fuzz: open %s: %s\n", path, strerror(errno));
		abort();
	}
	while (n) {
		ssize_t k = write(fd, c, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			fprintf(stderr, "fuzz: write %s: %s\n", path, strerror(errno));
			abort();
		}
		c += k;
		n -= (size_t)k;
	}
	close(fd);
}

void fz_unlink(const char *path)
{
	unlink(path);
}

void fz_opts(uint8_t b, const double tick[4], struct feed_opts *o)
{
	static const uint32_t levels[4] = { 0, 1, 5, 10 };

	memset(o, 0, sizeof(*o));
	o->strict = b & 1;
	o->levels = levels[(b >> 1) & 3];
	o->flags = (b & 8) ? FEED_O_FIXED_TZ | FEED_O_KEEP_CANCELLED : 0;
	o->tick = tick[(b >> 4) & 3];
	o->utc_offset_s = (b & 0x40) ? -3 * 3600 : 0;
	if (!(b & 0x80)) {
		/* small buffers: an input runs 5 times faster than with the
		 * 1 MiB line buffer and the 6 MiB Binance book, and the
		 * overflow paths are in reach */
		o->line_max = FEED_MIN_LINE_MAX;
		o->book_cap = 32;
		o->pend_bytes = 16384;
	}
}

void fz_check_event(const struct event *ev, uint32_t levels, int times)
{
	const char *why = NULL;

	if (!levels || levels > EV_MAX_LEVELS)
		levels = EV_MAX_LEVELS;
	if (times && ev->exch_ns < FEED_NS_MIN)
		why = "exch_ns before the range";
	else if (ev->kind == EV_BOOK) {
		const struct ev_book *b = &ev->book;
		if (b->n_bid > levels || b->n_ask > levels)
			why = "more levels than asked";
		for (uint32_t i = b->n_bid; !why && i < EV_MAX_LEVELS; i++)
			if (b->bid[i].px || b->bid[i].qty)
				why = "bid level past n_bid not zero";
		for (uint32_t i = b->n_ask; !why && i < EV_MAX_LEVELS; i++)
			if (b->ask[i].px || b->ask[i].qty)
				why = "ask level past n_ask not zero";
	} else if (ev->kind != EV_TRADE) {
		why = "unknown kind";
	}
	if (why) {
		fprintf(stderr, "fuzz: event contract broken: %s\n", why);
		abort();
	}
}

uint64_t fz_read_feed(const char *path, enum feed_format fmt, const struct feed_opts *o)
{
	static struct feed_reader r; /* 1+ KiB of samples: keep it off the stack */
	struct event ev;
	char err[256];
	uint64_t n = 0;
	int rc;

	if (feed_open(&r, path, fmt, o, err, sizeof(err)) < 0)
		return 0;
	while ((rc = feed_next(&r, &ev)) == 1) {
		fz_check_event(&ev, o->levels, feed_format_of(&r) != FEED_JOURNAL);
		n++;
	}
	/* an error is sticky: the next call returns it again */
	if (rc < 0 && feed_next(&r, &ev) != rc) {
		fprintf(stderr, "fuzz: feed error not sticky\n");
		abort();
	}
	if (rc == 0 && feed_next(&r, &ev) != 0) {
		fprintf(stderr, "fuzz: feed end not sticky\n");
		abort();
	}
	const struct feed_stats *st = feed_stats(&r);
	if (st->n_samples > FEED_SAMPLES || st->events_book + st->events_trade != n) {
		fprintf(stderr, "fuzz: feed stats disagree with the events read\n");
		abort();
	}
	(void)feed_error(&r);
	feed_close(&r);
	return n;
}

void fz_journal_fix(uint8_t *buf, size_t n)
{
	struct journal_file_hdr h;
	uint64_t off, seq = 1;

	if (n < JOURNAL_HDR_SIZE)
		return;
	memcpy(&h, buf, sizeof(h));
	h.layout_hash = journal_layout_hash();
	h.hdr_crc = journal_crc32c(0, &h, offsetof(struct journal_file_hdr, hdr_crc));
	memcpy(buf, &h, sizeof(h));
	off = JOURNAL_HDR_SIZE;
	while (off + JREC_HDR_SIZE <= n) {
		struct jrec r;
		memcpy(&r, buf + off, JREC_HDR_SIZE);
		if (off + JREC_SIZE(r.len) > n)
			break;
		r.seq = seq++;
		r.crc = journal_crc32c(0, &r, 16);
		r.crc = journal_crc32c(r.crc, buf + off + JREC_HDR_SIZE, r.len);
		memcpy(buf + off, &r, JREC_HDR_SIZE);
		off += JREC_SIZE(r.len);
	}
}

/* ------------------------------------------------------------ the mt5 bridge */

const struct mt5_key *fz_mt5_key(void)
{
	static struct mt5_key k;

	k.len = 32;
	for (int i = 0; i < 32; i++)
		k.b[i] = (uint8_t)(0x42 ^ i);
	return &k;
}

void fz_mt5_hello(struct mt5_hello *h)
{
	memset(h, 0, sizeof(*h));
	h->proto_version = MT5_PROTO_VERSION;
	h->schema_hash = mt5_schema_hash();
	h->ea_version = 10000;
	memset(h->client_nonce, 0xc5, MT5_NONCE_LEN);
	h->stream_id = 7;
	h->next_seq = 1;
	h->oldest_seq = 1;
	h->account_login = 1001;
	h->tick_size_pts = 5;
	h->margin_mode = MT5_MARGIN_NETTING;
	h->trade_allowed = 1;
	strcpy(h->currency, "BRL");
	strcpy(h->server, "Fuzz-Server");
	strcpy(h->symbol, "WINJ25");
}

void fz_mt5_server_nonce(uint8_t n[MT5_NONCE_LEN])
{
	for (int i = 0; i < MT5_NONCE_LEN; i++)
		n[i] = (uint8_t)(0x5a + i);
}
