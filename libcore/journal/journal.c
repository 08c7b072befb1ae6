/*
 * journal.c — append-only binary journal: crc32c, event encoding, the
 * io_uring writer and the reader (mapped, or read(2) into one buffer) with
 * torn-tail repair.  The book-delta codec is journal_delta.c.
 *
 * Writer state.  The n_bufs buffers form a ring in file order:
 *
 *   buf[head] .. buf[cur - 1]   queued (state JW_QUEUED), oldest first;
 *                               buf[head] is the one being written
 *   buf[cur]                    being filled (JW_FREE), or still queued
 *                               when the writer caught up with head
 *
 * A queued buffer gets its file offset (tail_off) when it is queued, so
 * offsets only grow.  At most one "chain" is in flight: the write of
 * buf[head], plus an fdatasync linked after it (IOSQE_IO_LINK) when the
 * policy asks, or a lone fdatasync.  The next chain is submitted only once
 * every CQE of the previous one is reaped.  Writing strictly in file order,
 * one write at a time, is what makes a crash leave a valid prefix plus one
 * torn region at the end, which is the reader's torn-tail rule.
 *
 * A short write leaves buf[head] queued with `done` advanced; the linked
 * fdatasync then completes with -ECANCELED (a short write breaks a link)
 * and the rest is resubmitted with its fdatasync.  Any other error is
 * sticky in w->err: later appends return it, close reports it.  The
 * buffers keep what was not written, each with its offset, so
 * journal_retry (a disk that had no room has some again) clears the error
 * and writes them in order, as if the write had never failed; an
 * fdatasync error is never cleared (w->err_sync).
 */
#include "libcore/journal/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

/* ---------------------------------------------------------------- crc32c */

#define CRC32C_POLY 0x82f63b78u /* Castagnoli, reflected */

/* crc_tab[k][b]: crc register after byte b followed by k zero bytes */
static uint32_t crc_tab[8][256];
static int crc_use_hw;

__attribute__((constructor)) static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1u) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
		crc_tab[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int k = 1; k < 8; k++)
			crc_tab[k][i] = (crc_tab[k - 1][i] >> 8) ^ crc_tab[0][crc_tab[k - 1][i] & 0xffu];
#if defined(__x86_64__)
	__builtin_cpu_init(); /* constructors may run before libgcc's own */
	crc_use_hw = __builtin_cpu_supports("sse4.2");
#endif
}

uint32_t journal_crc32c_sw(uint32_t crc, const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t c = ~crc;

	while (n && ((uintptr_t)b & 7u)) {
		c = crc_tab[0][(c ^ *b++) & 0xffu] ^ (c >> 8);
		n--;
	}
	/* slicing by 8: the lowest byte of the word still has 7 bytes to go */
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, b, 8);
		w ^= c;
		c = crc_tab[7][w & 0xffu] ^ crc_tab[6][(w >> 8) & 0xffu] ^
		    crc_tab[5][(w >> 16) & 0xffu] ^ crc_tab[4][(w >> 24) & 0xffu] ^
		    crc_tab[3][(w >> 32) & 0xffu] ^ crc_tab[2][(w >> 40) & 0xffu] ^
		    crc_tab[1][(w >> 48) & 0xffu] ^ crc_tab[0][w >> 56];
		b += 8;
		n -= 8;
	}
	while (n--)
		c = crc_tab[0][(c ^ *b++) & 0xffu] ^ (c >> 8);
	return ~c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
uint32_t journal_crc32c_hw(uint32_t crc, const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t c = (uint32_t)~crc;

	while (n >= 8) {
		uint64_t w;
		memcpy(&w, b, 8);
		c = _mm_crc32_u64(c, w);
		b += 8;
		n -= 8;
	}
	uint32_t c32 = (uint32_t)c;
	while (n--)
		c32 = _mm_crc32_u8(c32, *b++);
	return ~c32;
}
#else
uint32_t journal_crc32c_hw(uint32_t crc, const void *p, size_t n)
{
	return journal_crc32c_sw(crc, p, n);
}
#endif

int journal_crc32c_hw_available(void)
{
	return crc_use_hw;
}

uint32_t journal_crc32c(uint32_t crc, const void *p, size_t n)
{
	if (DM_LIKELY(crc_use_hw))
		return journal_crc32c_hw(crc, p, n);
	return journal_crc32c_sw(crc, p, n);
}

/* A record's crc: its first 16 header bytes, then its len payload bytes
 * (which start 24 bytes in), in one pass. */
#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static uint32_t rec_crc_hw(const uint8_t *p, uint32_t len)
{
	uint64_t c = 0xffffffffu, w;
	memcpy(&w, p, 8);
	c = _mm_crc32_u64(c, w);
	memcpy(&w, p + 8, 8);
	c = _mm_crc32_u64(c, w);
	p += JREC_HDR_SIZE;
	for (; len >= 8; len -= 8, p += 8) {
		memcpy(&w, p, 8);
		c = _mm_crc32_u64(c, w);
	}
	uint32_t c32 = (uint32_t)c;
	if (len & 4) {
		uint32_t x;
		memcpy(&x, p, 4);
		c32 = _mm_crc32_u32(c32, x);
		p += 4;
	}
	if (len & 2) {
		uint16_t x;
		memcpy(&x, p, 2);
		c32 = _mm_crc32_u16(c32, x);
		p += 2;
	}
	if (len & 1)
		c32 = _mm_crc32_u8(c32, *p);
	return ~c32;
}
#endif

static inline uint32_t rec_crc(const uint8_t *p, uint32_t len)
{
#if defined(__x86_64__)
	if (DM_LIKELY(crc_use_hw))
		return rec_crc_hw(p, len);
#endif
	uint32_t c = journal_crc32c_sw(0, p, offsetof(struct jrec, crc));
	return journal_crc32c_sw(c, p + JREC_HDR_SIZE, len);
}

/* ---------------------------------------------------------------- layout */

#define OFF(t, f) ((uint64_t)offsetof(struct t, f))
#define SZ(t)     ((uint64_t)sizeof(struct t))

static const uint64_t layout_words[] = {
	SZ(journal_file_hdr), OFF(journal_file_hdr, magic), OFF(journal_file_hdr, version),
	OFF(journal_file_hdr, hdr_size), OFF(journal_file_hdr, layout_hash),
	OFF(journal_file_hdr, created_ns), OFF(journal_file_hdr, writer_pid),
	OFF(journal_file_hdr, flags), OFF(journal_file_hdr, symbol),
	OFF(journal_file_hdr, tick_size), OFF(journal_file_hdr, tick_size_pts),
	OFF(journal_file_hdr, rsv), OFF(journal_file_hdr, hdr_crc),
	SZ(jrec), OFF(jrec, len), OFF(jrec, type), OFF(jrec, flags), OFF(jrec, seq),
	OFF(jrec, crc), OFF(jrec, pad), OFF(jrec, payload),
	SZ(jev_head), OFF(jev_head, kind), OFF(jev_head, instrument),
	OFF(jev_head, exch_ns), OFF(jev_head, recv_ns),
	SZ(jev_book), OFF(jev_book, n_bid), OFF(jev_book, n_ask), OFF(jev_book, flags),
	SZ(event), OFF(event, kind), OFF(event, instrument), OFF(event, exch_ns),
	OFF(event, recv_ns), OFF(event, book), OFF(event, trade),
	SZ(ev_book), OFF(ev_book, n_bid), OFF(ev_book, n_ask), OFF(ev_book, flags),
	OFF(ev_book, bid), OFF(ev_book, ask),
	SZ(ev_trade), OFF(ev_trade, px), OFF(ev_trade, qty), OFF(ev_trade, trade_id),
	OFF(ev_trade, aggressor), OFF(ev_trade, flags), OFF(ev_trade, pad), OFF(ev_trade, pad2),
	SZ(book_level), OFF(book_level, px), OFF(book_level, qty),
	EV_MAX_LEVELS, EV_BOOK, EV_TRADE, JREC_EVENT, JREC_RAW,
};

uint64_t journal_layout_hash(void)
{
	const uint8_t *p = (const uint8_t *)layout_words;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < sizeof(layout_words); i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* ---------------------------------------------------------------- events */

static int event_size(const struct event *ev)
{
	switch (ev->kind) {
	case EV_BOOK:
		if (ev->book.n_bid > EV_MAX_LEVELS || ev->book.n_ask > EV_MAX_LEVELS)
			return -EINVAL;
		return (int)JEV_BOOK_SIZE(ev->book.n_bid, ev->book.n_ask);
	case EV_TRADE:
		return (int)JEV_TRADE_SIZE;
	default:
		return -EINVAL;
	}
}

int journal_event_encode(const struct event *ev, void *out, size_t cap)
{
	int size = event_size(ev);
	if (size < 0)
		return size;
	if ((size_t)size > cap)
		return -ENOBUFS;

	uint8_t *o = out;
	struct jev_head h = {
		.kind = ev->kind, .instrument = ev->instrument,
		.exch_ns = ev->exch_ns, .recv_ns = ev->recv_ns,
	};
	memcpy(o, &h, sizeof(h));
	o += sizeof(h);
	if (ev->kind == EV_BOOK) {
		struct jev_book b = {
			.n_bid = ev->book.n_bid, .n_ask = ev->book.n_ask, .flags = ev->book.flags,
		};
		memcpy(o, &b, sizeof(b));
		o += sizeof(b);
		memcpy(o, ev->book.bid, sizeof(struct book_level) * b.n_bid);
		o += sizeof(struct book_level) * b.n_bid;
		memcpy(o, ev->book.ask, sizeof(struct book_level) * b.n_ask);
	} else {
		memcpy(o, &ev->trade, sizeof(ev->trade));
	}
	return size;
}

int journal_event_decode(const void *payload, uint32_t len, struct event *ev)
{
	const uint8_t *p = payload;
	struct jev_head h;

	memset(ev, 0, sizeof(*ev));
	if (len < sizeof(h))
		return -DM_ECORRUPT;
	memcpy(&h, p, sizeof(h));
	p += sizeof(h);
	ev->kind = h.kind;
	ev->instrument = h.instrument;
	ev->exch_ns = h.exch_ns;
	ev->recv_ns = h.recv_ns;
	if (h.kind == EV_BOOK) {
		struct jev_book b;
		if (len < JEV_BOOK_SIZE(0, 0))
			return -DM_ECORRUPT;
		memcpy(&b, p, sizeof(b));
		p += sizeof(b);
		if (b.n_bid > EV_MAX_LEVELS || b.n_ask > EV_MAX_LEVELS ||
		    len != JEV_BOOK_SIZE(b.n_bid, b.n_ask))
			return -DM_ECORRUPT;
		ev->book.n_bid = b.n_bid;
		ev->book.n_ask = b.n_ask;
		ev->book.flags = b.flags;
		memcpy(ev->book.bid, p, sizeof(struct book_level) * b.n_bid);
		p += sizeof(struct book_level) * b.n_bid;
		memcpy(ev->book.ask, p, sizeof(struct book_level) * b.n_ask);
		return 0;
	}
	if (h.kind == EV_TRADE) {
		if (len != JEV_TRADE_SIZE)
			return -DM_ECORRUPT;
		memcpy(&ev->trade, p, sizeof(ev->trade));
		return 0;
	}
	return -DM_ECORRUPT;
}

/* ---------------------------------------------------------------- small helpers */

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO: no system call */
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int pwrite_all(int fd, const void *p, size_t n, uint64_t off)
{
	const uint8_t *b = p;
	while (n) {
		ssize_t k = pwrite(fd, b, n, (off_t)off);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			return -EIO;
		b += k;
		n -= (size_t)k;
		off += (uint64_t)k;
	}
	return 0;
}

int journal_fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	if (!slash) {
		strcpy(dir, ".");
	} else if (slash == path) {
		strcpy(dir, "/");
	} else {
		size_t n = (size_t)(slash - path);
		if (n >= sizeof(dir))
			return -ENAMETOOLONG;
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	int rc = fsync(dfd) ? -errno : 0;
	close(dfd);
	return rc;
}

/* ---------------------------------------------------------------- header */

static int hdr_check(const uint8_t *p, uint64_t size, struct journal_file_hdr *out)
{
	if (size < 8) /* a crash while creating, or not a journal at all */
		return memcmp(p, JOURNAL_MAGIC, (size_t)size) ? -DM_EMAGIC : -DM_ECORRUPT;
	if (memcmp(p, JOURNAL_MAGIC, 8))
		return -DM_EMAGIC;
	if (size < 12)
		return -DM_ECORRUPT;
	uint32_t version;
	memcpy(&version, p + offsetof(struct journal_file_hdr, version), 4);
	if (version != JOURNAL_VERSION && version != JOURNAL_VERSION_FULL)
		return -DM_EVERSION;
	if (size < JOURNAL_HDR_SIZE)
		return -DM_ECORRUPT;
	memcpy(out, p, sizeof(*out));
	if (out->hdr_size != JOURNAL_HDR_SIZE ||
	    journal_crc32c(0, out, offsetof(struct journal_file_hdr, hdr_crc)) != out->hdr_crc)
		return -DM_ECORRUPT;
	if (out->layout_hash != journal_layout_hash())
		return -DM_ELAYOUT;
	return 0;
}

/* Read and check the header of an open file; *size gets the file size. */
static int hdr_read(int fd, uint64_t *size, struct journal_file_hdr *out)
{
	struct stat st;
	uint8_t buf[JOURNAL_HDR_SIZE];

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	*size = (uint64_t)st.st_size;
	size_t want = *size < sizeof(buf) ? (size_t)*size : sizeof(buf);
	size_t got = 0;
	while (got < want) {
		ssize_t k = pread(fd, buf + got, want - got, (off_t)got);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return hdr_check(buf, got, out);
}

/* ---------------------------------------------------------------- scanning */

/*
 * Is there a well-formed record at off: sane header, every byte inside the
 * file, crc right?  Says nothing about its seq.  *rs gets its file size.
 */
static int rec_valid(const uint8_t *map, uint64_t size, uint64_t off, struct jrec *h,
		     uint64_t *rs)
{
	if (size - off < JREC_HDR_SIZE)
		return 0;
	memcpy(h, map + off, JREC_HDR_SIZE);
	if (h->type == JREC_NONE || h->pad != 0 || h->seq == 0 || h->len > JOURNAL_MAX_PAYLOAD)
		return 0;
	uint64_t n = JREC_SIZE(h->len);
	if (n > size - off)
		return 0;
	if (rec_crc(map + off, h->len) != h->crc)
		return 0;
	*rs = n;
	return 1;
}

/*
 * The record at bad is not the next one.  If any well-formed record starts
 * after it (records are 8-aligned), valid data follows: corruption.  If
 * none does, everything from bad on is a torn tail.  A bad record that is
 * well-formed (a seq break) is skipped whole, so its own payload is not
 * searched.
 */
static int classify_bad(const uint8_t *map, uint64_t size, uint64_t bad)
{
	struct jrec h;
	uint64_t rs;
	uint64_t from = rec_valid(map, size, bad, &h, &rs) ? bad + rs : bad + 8;

	for (uint64_t o = from; o < size && size - o >= JREC_HDR_SIZE; o += 8)
		if (rec_valid(map, size, o, &h, &rs))
			return -DM_ECORRUPT;
	return 0;
}

struct jscan {
	uint64_t end;      /* end of the last valid record */
	uint64_t last_seq; /* its seq, 0 if none */
	uint64_t bad_off;  /* -DM_ECORRUPT: where */
};

/* Check every record; 0 (torn tail, if any, starts at sc->end) or -DM_ECORRUPT. */
static int scan_records(const uint8_t *map, uint64_t size, struct jscan *sc)
{
	uint64_t off = JOURNAL_HDR_SIZE, seq = 1, rs;
	struct jrec h;

	while (off < size && rec_valid(map, size, off, &h, &rs) && h.seq == seq) {
		off += rs;
		seq++;
	}
	sc->end = off;
	sc->last_seq = seq - 1;
	if (off < size && classify_bad(map, size, off)) {
		sc->bad_off = off;
		return -DM_ECORRUPT;
	}
	return 0;
}

static int map_file(int fd, uint64_t size, const uint8_t **map)
{
	if (size > SIZE_MAX)
		return -EFBIG;
	void *p = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	madvise(p, (size_t)size, MADV_SEQUENTIAL); /* a hint; failure is harmless */
	*map = p;
	return 0;
}

/* Cut the file at end and make the cut durable. */
static int cut_tail(int fd, uint64_t end)
{
	if (ftruncate(fd, (off_t)end))
		return -errno;
	if (fsync(fd))
		return -errno;
	return 0;
}

/* Journals are regular files: a FIFO or device cannot be mapped or cut. */
static int regular_file(int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	return S_ISREG(st.st_mode) ? 0 : -EINVAL;
}

static int lock_file(int fd)
{
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	return errno == EWOULDBLOCK ? -DM_EBUSY : -errno;
}

/* ---------------------------------------------------------------- writer */

enum { JW_FREE = 0, JW_QUEUED = 1 };
enum { UD_WRITE = 1, UD_FSYNC = 2 };

static inline struct io_uring *wring(struct journal_writer *w)
{
	return w->ring;
}

static int set_err(struct journal_writer *w, int rc)
{
	if (!w->err)
		w->err = rc;
	return w->err;
}

/* An fdatasync failed: the kernel may have dropped the pages it could not
 * write, so what is on disk is unknown and journal_retry refuses. */
static int set_sync_err(struct journal_writer *w, int rc)
{
	if (!w->err)
		w->err_sync = 1;
	return set_err(w, rc);
}

static int opts_fill(const struct journal_opts *in, struct journal_opts *o)
{
	static const struct journal_opts none;
	*o = in ? *in : none;
	if (!o->symbol)
		o->symbol = "";
	if (!o->tick_size)
		o->tick_size = "";
	if (!o->lot_size)
		o->lot_size = "";
	if (!o->currency)
		o->currency = "";
	if (strlen(o->symbol) >= JOURNAL_SYMBOL_MAX || strlen(o->tick_size) >= JOURNAL_TICK_MAX ||
	    strlen(o->lot_size) >= JOURNAL_LOT_MAX || strlen(o->currency) >= JOURNAL_CCY_MAX)
		return -DM_ECONFIG;
	if (!(o->point_value >= 0) || o->point_value > 1e15)
		return -DM_ECONFIG;
	if (o->fsync > JOURNAL_FSYNC_INTERVAL)
		return -DM_ECONFIG;
	if (!o->interval_ms)
		o->interval_ms = 100;
	if (!o->n_bufs)
		o->n_bufs = 2;
	if (o->n_bufs < 2 || o->n_bufs > JOURNAL_MAX_BUFS)
		return -DM_ECONFIG;
	if (!o->buf_size)
		o->buf_size = JOURNAL_DEF_BUF_SIZE;
	if (o->buf_size > (1u << 30))
		return -DM_ECONFIG;
	o->buf_size = (o->buf_size + JOURNAL_MIN_BUF_SIZE - 1) & ~(JOURNAL_MIN_BUF_SIZE - 1);
	if (o->flags & ~(JOURNAL_W_TRUNC | JOURNAL_W_NO_URING | JOURNAL_W_FULL))
		return -DM_ECONFIG;
	if (!o->snapshot_every)
		o->snapshot_every = JOURNAL_DEF_SNAP_EVERY;
	return 0;
}

static void writer_free(struct journal_writer *w)
{
	if (w->ring) {
		io_uring_queue_exit(wring(w));
		free(w->ring);
		w->ring = NULL;
	}
	for (uint32_t i = 0; i < JOURNAL_MAX_BUFS; i++) {
		free(w->buf[i].data);
		w->buf[i].data = NULL;
	}
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
}

/* Allocate the buffers and the ring; w->fd is open and locked on a file of
 * format version. */
static int writer_setup(struct journal_writer *w, const struct journal_opts *o,
			uint64_t tail, uint64_t next_seq, uint32_t version)
{
	w->policy = o->fsync;
	/* deltas only where the header says a reader must expect them */
	w->snap_every = version == JOURNAL_VERSION && !(o->flags & JOURNAL_W_FULL) &&
			o->snapshot_every > 1 ? o->snapshot_every : 0;
	w->n_bufs = o->n_bufs;
	w->buf_size = o->buf_size;
	w->interval_ns = (int64_t)o->interval_ms * 1000000;
	w->next_sync_ns = mono_ns() + w->interval_ns;
	w->tail_off = w->written_off = w->synced_off = tail;
	w->next_seq = next_seq;
	for (uint32_t i = 0; i < w->n_bufs; i++) {
		void *p;
		if (posix_memalign(&p, 4096, w->buf_size))
			return -ENOMEM;
		memset(p, 0, w->buf_size); /* fault the pages in now, not in an append */
		w->buf[i].data = p;
	}
	if (o->flags & JOURNAL_W_NO_URING)
		return 0;
	w->ring = calloc(1, sizeof(struct io_uring));
	if (!w->ring)
		return -ENOMEM;
	int rc = io_uring_queue_init(8, wring(w), 0);
	if (rc < 0) {
		/* ENOSYS, EPERM (seccomp, io_uring_disabled), ENOMEM (memlock):
		 * fall back to pwrite; w->uring_err keeps the note */
		free(w->ring);
		w->ring = NULL;
		w->uring_err = rc;
		return 0;
	}
	w->uring = 1;
	return 0;
}

static void writer_zero(struct journal_writer *w)
{
	memset(w, 0, sizeof(*w));
	w->fd = -1;
}

static void release_head(struct journal_writer *w)
{
	struct journal_wbuf *b = &w->buf[w->head];
	b->used = b->done = 0;
	b->state = JW_FREE;
	w->head = (w->head + 1) % w->n_bufs;
	w->n_queued--;
}

/* Should the chain about to be submitted carry an fdatasync? */
static int chain_wants_sync(struct journal_writer *w)
{
	int sync = w->sync_req;
	if (w->policy == JOURNAL_FSYNC_BATCH) {
		sync = 1;
	} else if (w->policy == JOURNAL_FSYNC_INTERVAL) {
		int64_t now = mono_ns();
		if (now >= w->next_sync_ns)
			sync = 1;
		if (sync)
			w->next_sync_ns = now + w->interval_ns;
	}
	w->sync_req = 0;
	return sync;
}

static int ring_submit(struct journal_writer *w, unsigned n)
{
	unsigned tries = 0;
	while (n) {
		int rc = io_uring_submit(wring(w));
		if (rc > 0) {
			n -= (unsigned)rc < n ? (unsigned)rc : n;
			continue;
		}
		if (++tries >= 1000)
			return rc < 0 ? rc : -EIO;
		if (rc < 0 && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY)
			return rc;
	}
	return 0;
}

static inline uint32_t io_len(const struct journal_writer *w, const struct journal_wbuf *b)
{
	uint32_t n = b->used - b->done;
	return w->max_io && w->max_io < n ? w->max_io : n;
}

/* Write buf[head] (the rest of it, after a short write). */
static int submit_head(struct journal_writer *w)
{
	struct journal_wbuf *b = &w->buf[w->head];
	int sync = chain_wants_sync(w);

	if (!w->uring) {
		while (b->done < b->used) {
			ssize_t k = pwrite(w->fd, b->data + b->done, io_len(w, b),
					   (off_t)(b->off + b->done));
			w->stats.writes++;
			if (k < 0) {
				if (errno == EINTR)
					continue;
				return set_err(w, -errno);
			}
			if (k == 0)
				return set_err(w, -EIO);
			if ((uint32_t)k < b->used - b->done)
				w->stats.short_writes++;
			b->done += (uint32_t)k;
		}
		w->written_off = b->off + b->used;
		release_head(w);
		if (sync) {
			if (fdatasync(w->fd))
				return set_sync_err(w, -errno);
			w->stats.fsyncs++;
			w->synced_off = w->written_off;
		}
		return 0;
	}

	struct io_uring_sqe *sqe = io_uring_get_sqe(wring(w));
	io_uring_prep_write(sqe, w->fd, b->data + b->done, io_len(w, b), b->off + b->done);
	io_uring_sqe_set_data64(sqe, UD_WRITE);
	if (sync) {
		sqe->flags |= IOSQE_IO_LINK;
		sqe = io_uring_get_sqe(wring(w));
		io_uring_prep_fsync(sqe, w->fd, IORING_FSYNC_DATASYNC);
		io_uring_sqe_set_data64(sqe, UD_FSYNC);
	}
	w->chain = sync ? 2 : 1;
	w->chain_write = 1;
	w->chain_sync = (uint8_t)sync;
	w->chain_sync_ok = 0;
	w->stats.writes++;
	int rc = ring_submit(w, w->chain);
	if (rc)
		return set_err(w, rc);
	return 0;
}

/* A lone fdatasync of everything written so far. */
static int submit_sync(struct journal_writer *w)
{
	w->sync_req = 0;
	if (!w->uring) {
		if (fdatasync(w->fd))
			return set_sync_err(w, -errno);
		w->stats.fsyncs++;
		w->synced_off = w->written_off;
		return 0;
	}
	struct io_uring_sqe *sqe = io_uring_get_sqe(wring(w));
	io_uring_prep_fsync(sqe, w->fd, IORING_FSYNC_DATASYNC);
	io_uring_sqe_set_data64(sqe, UD_FSYNC);
	w->chain = 1;
	w->chain_write = 0;
	w->chain_sync = 1;
	w->chain_sync_ok = 0;
	w->chain_target = w->written_off;
	int rc = ring_submit(w, 1);
	if (rc)
		return set_err(w, rc);
	return 0;
}

static void chain_done(struct journal_writer *w)
{
	if (!w->chain_write) {
		if (w->chain_sync_ok)
			w->synced_off = w->chain_target;
		return;
	}
	struct journal_wbuf *b = &w->buf[w->head];
	if (b->done == b->used) {
		w->written_off = b->off + b->used;
		if (w->chain_sync_ok)
			w->synced_off = w->written_off;
		release_head(w);
	} else if (w->chain_sync) {
		w->sync_req = 1; /* the rest goes again, with its fdatasync */
	}
}

static void on_cqe(struct journal_writer *w, uint64_t ud, int res)
{
	if (ud == UD_WRITE) {
		struct journal_wbuf *b = &w->buf[w->head];
		if (res < 0) {
			if (res != -EINTR && res != -EAGAIN)
				set_err(w, res);
		} else if (res == 0) {
			set_err(w, -EIO);
		} else {
			if ((uint32_t)res < b->used - b->done)
				w->stats.short_writes++;
			b->done += (uint32_t)res;
		}
	} else if (res == 0) {
		w->stats.fsyncs++;
		w->chain_sync_ok = 1;
	} else if (res != -ECANCELED) {
		set_sync_err(w, res);
	}
	/* -ECANCELED: the linked write came up short or failed; handled above */
	if (--w->chain == 0)
		chain_done(w);
}

/* Reap completions: everything ready, and first wait for one if asked. */
static int reap(struct journal_writer *w, int wait)
{
	struct io_uring *ring = wring(w);
	struct io_uring_cqe *cqe;

	if (wait && w->chain) {
		int rc;
		do
			rc = io_uring_wait_cqe(ring, &cqe);
		while (rc == -EINTR);
		if (rc < 0)
			return rc;
		on_cqe(w, io_uring_cqe_get_data64(cqe), cqe->res);
		io_uring_cqe_seen(ring, cqe);
	}
	while (w->chain && io_uring_cq_ready(ring)) {
		if (io_uring_peek_cqe(ring, &cqe) || !cqe)
			break;
		on_cqe(w, io_uring_cqe_get_data64(cqe), cqe->res);
		io_uring_cqe_seen(ring, cqe);
	}
	return 0;
}

/*
 * Move the pipeline on: reap what completed, start the next write when
 * nothing is in flight.  With wait, block for one completion first if a
 * chain is in flight.  Returns the sticky error.
 */
static int pump(struct journal_writer *w, int wait)
{
	if (!w->uring) {
		if (!w->err && w->n_queued)
			submit_head(w);
		return w->err;
	}
	for (int round = 0; round < 2; round++) {
		int rc = reap(w, wait && round == 1);
		if (rc)
			return set_err(w, rc);
		if (w->err)
			return w->err;
		if (!w->chain && w->n_queued)
			submit_head(w);
		if (!wait || !w->chain || w->err)
			break;
	}
	return w->err;
}

/* Queue the buffer being filled (if it has data) and move to the next. */
static int queue_cur(struct journal_writer *w)
{
	struct journal_wbuf *b = &w->buf[w->cur];
	if (b->state == JW_FREE && b->used) {
		b->state = JW_QUEUED;
		b->off = w->tail_off;
		b->done = 0;
		w->tail_off += b->used;
		w->n_queued++;
		w->cur = (w->cur + 1) % w->n_bufs;
	}
	return pump(w, 0);
}

/* Make buf[cur] a free buffer with room for need bytes; may block. */
static int make_room(struct journal_writer *w, uint32_t need)
{
	struct journal_wbuf *b = &w->buf[w->cur];
	if (b->state == JW_FREE && b->used + need > w->buf_size) {
		int rc = queue_cur(w);
		if (rc)
			return rc;
	}
	if (w->buf[w->cur].state != JW_FREE) {
		w->stats.stalls++;
		while (w->buf[w->cur].state != JW_FREE) {
			int rc = pump(w, 1);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static inline int reserve(struct journal_writer *w, uint32_t need, uint8_t **p)
{
	struct journal_wbuf *b = &w->buf[w->cur];
	if (DM_UNLIKELY(b->state != JW_FREE || b->used + need > w->buf_size)) {
		int rc = make_room(w, need);
		if (rc)
			return rc;
		b = &w->buf[w->cur];
	}
	*p = b->data + b->used;
	return 0;
}

/* The payload is in place at p + 24: write the header, pad, account. */
static inline void commit(struct journal_writer *w, uint8_t *p, uint16_t type, uint32_t len)
{
	struct jrec h = { .len = len, .type = type, .seq = w->next_seq };
	uint32_t n = (uint32_t)JREC_SIZE(len);
	memcpy(p, &h, JREC_HDR_SIZE);
	h.crc = rec_crc(p, len);
	memcpy(p + offsetof(struct jrec, crc), &h.crc, sizeof(h.crc));
	memset(p + JREC_HDR_SIZE + len, 0, n - JREC_HDR_SIZE - len);
	w->buf[w->cur].used += n;
	w->next_seq++;
	w->stats.records++;
	w->stats.bytes += n;
}

int journal_append(struct journal_writer *w, uint16_t type, const void *payload, uint32_t len)
{
	if (DM_UNLIKELY(w->err))
		return w->err;
	if (DM_UNLIKELY(w->fd < 0 || type == JREC_NONE || (len && !payload)))
		return -EINVAL;
	if (DM_UNLIKELY(len > JOURNAL_MAX_PAYLOAD || JREC_SIZE(len) > w->buf_size))
		return -EMSGSIZE;
	uint8_t *p;
	int rc = reserve(w, (uint32_t)JREC_SIZE(len), &p);
	if (rc)
		return rc;
	if (len)
		memcpy(p + JREC_HDR_SIZE, payload, len);
	commit(w, p, type, len);
	return 0;
}

/* w->ref becomes book event *ev as a reader decodes it: zeros past the
 * counts (ref's own zeros past its old counts are kept, not rewritten). */
static void ref_set(struct event *ref, const struct event *ev)
{
	uint32_t ob = ref->book.n_bid, oa = ref->book.n_ask;
	uint32_t nb = ev->book.n_bid, na = ev->book.n_ask;

	ref->kind = EV_BOOK;
	ref->instrument = ev->instrument;
	ref->exch_ns = ev->exch_ns;
	ref->recv_ns = ev->recv_ns;
	ref->book.n_bid = (uint16_t)nb;
	ref->book.n_ask = (uint16_t)na;
	ref->book.flags = ev->book.flags;
	memcpy(ref->book.bid, ev->book.bid, sizeof(struct book_level) * nb);
	memcpy(ref->book.ask, ev->book.ask, sizeof(struct book_level) * na);
	if (ob > nb)
		memset(&ref->book.bid[nb], 0, sizeof(struct book_level) * (ob - nb));
	if (oa > na)
		memset(&ref->book.ask[na], 0, sizeof(struct book_level) * (oa - na));
}

/* A delta of *ev when one is due and smaller than the snapshot: 0 written,
 * 1 not taken (write the snapshot), or an error. */
static int append_delta(struct journal_writer *w, const struct event *ev, int full)
{
	uint8_t d[JDL_MAX_SIZE];
	int len = journal_delta_encode(&w->ref, ev, d, sizeof(d));
	if (len < 0 || len >= full)
		return 1;
	uint8_t *p;
	int rc = reserve(w, (uint32_t)JREC_SIZE(len), &p);
	if (rc)
		return rc;
	memcpy(p + JREC_HDR_SIZE, d, (size_t)len);
	commit(w, p, JREC_EVENT_DELTA, (uint32_t)len);
	ref_set(&w->ref, ev);
	w->since_snap++;
	w->stats.deltas++;
	return 0;
}

int journal_append_event(struct journal_writer *w, const struct event *ev)
{
	if (DM_UNLIKELY(w->err))
		return w->err;
	if (DM_UNLIKELY(w->fd < 0))
		return -EINVAL;
	int len = event_size(ev);
	if (len < 0)
		return len;
	int book = ev->kind == EV_BOOK;
	if (book && w->have_ref && w->since_snap < w->snap_every) {
		int rc = append_delta(w, ev, len);
		if (rc <= 0)
			return rc;
	}
	uint8_t *p;
	int rc = reserve(w, (uint32_t)JREC_SIZE(len), &p);
	if (rc)
		return rc;
	journal_event_encode(ev, p + JREC_HDR_SIZE, (size_t)len);
	commit(w, p, JREC_EVENT, (uint32_t)len);
	if (book) {
		ref_set(&w->ref, ev);
		w->have_ref = 1;
		w->since_snap = 1;
		w->stats.snapshots++;
	}
	return 0;
}

int journal_flush(struct journal_writer *w)
{
	if (w->fd < 0)
		return -EINVAL;
	if (w->err)
		return w->err;
	return queue_cur(w);
}

int journal_poll(struct journal_writer *w)
{
	if (w->fd < 0)
		return -EINVAL;
	int rc = pump(w, 0);
	if (rc || w->policy != JOURNAL_FSYNC_INTERVAL)
		return rc;
	if (mono_ns() < w->next_sync_ns)
		return 0;
	/* interval passed: write what waits, with an fdatasync behind it */
	w->sync_req = 1;
	if (w->buf[w->cur].state == JW_FREE && w->buf[w->cur].used) {
		rc = queue_cur(w);
	} else if (!w->chain && !w->n_queued) {
		if (w->synced_off < w->written_off)
			rc = submit_sync(w);
		else
			w->sync_req = 0;
		w->next_sync_ns = mono_ns() + w->interval_ns;
	}
	return rc ? rc : w->err;
}

/* Wait until every queued byte is written. */
static int drain(struct journal_writer *w)
{
	while (w->n_queued || w->chain) {
		int rc = pump(w, 1);
		if (rc)
			return rc;
	}
	return 0;
}

/* Reap every completion of the chain in flight, whatever the sticky error
 * (io_uring; pwrite has none in flight).  Blocks. */
static void settle(struct journal_writer *w)
{
	while (w->uring && w->chain) {
		struct io_uring_cqe *cqe;
		int k = io_uring_wait_cqe(wring(w), &cqe);
		if (k == -EINTR)
			continue;
		if (k < 0) {
			set_err(w, k);
			w->chain = 0; /* the ring itself failed: nothing more will come */
			break;
		}
		on_cqe(w, io_uring_cqe_get_data64(cqe), cqe->res);
		io_uring_cqe_seen(wring(w), cqe);
	}
}

int journal_retry(struct journal_writer *w)
{
	if (w->fd < 0)
		return -EINVAL;
	if (!w->err)
		return 0;
	settle(w);
	if (w->err_sync)
		return w->err;
	/* the buffers still hold every record appended before the failure,
	 * and each queued one its file offset: write them again, in order */
	w->err = 0;
	int rc = queue_cur(w);
	if (!rc)
		rc = drain(w);
	return rc;
}

void journal_writer_mark(const struct journal_writer *w, struct journal_mark *m)
{
	const struct journal_wbuf *b = &w->buf[w->cur];
	m->seq = w->next_seq;
	/* the next record goes after the bytes of the buffer being filled; a
	 * buffer still queued is written before the next append uses it */
	m->off = w->tail_off + (b->state == JW_FREE ? b->used : 0);
}

/* The buffer holding file offset off among those not yet written whole
 * (queued, then the one being filled), and the offset of its data[0]. */
static struct journal_wbuf *buf_at(struct journal_writer *w, uint64_t off, uint64_t *base)
{
	uint32_t i = w->head;
	for (uint32_t k = 0; k < w->n_queued; k++, i = (i + 1) % w->n_bufs) {
		struct journal_wbuf *b = &w->buf[i];
		if (off >= b->off && off < b->off + b->used) {
			*base = b->off;
			return b;
		}
	}
	struct journal_wbuf *b = &w->buf[w->cur];
	if (b->state == JW_FREE && off >= w->tail_off && off < w->tail_off + b->used) {
		*base = w->tail_off;
		return b;
	}
	return NULL;
}

int journal_rewrite(struct journal_writer *w, const struct journal_mark *m, uint16_t type,
		    const void *payload, uint32_t len)
{
	if (w->fd < 0 || type == JREC_NONE || (len && !payload) || m->seq + 1 != w->next_seq)
		return -EINVAL;
	settle(w);
	if (m->off < w->written_off)
		return -EALREADY;
	uint64_t base;
	struct journal_wbuf *b = buf_at(w, m->off, &base);
	if (!b)
		return -EALREADY;
	uint8_t *p = b->data + (m->off - base);
	struct jrec h;
	memcpy(&h, p, JREC_HDR_SIZE);
	if (h.seq != m->seq || h.len != len || (uint64_t)(m->off - base) + JREC_SIZE(len) != b->used)
		return -EINVAL;
	h.type = type;
	memcpy(p, &h, JREC_HDR_SIZE);
	if (len)
		memcpy(p + JREC_HDR_SIZE, payload, len);
	h.crc = rec_crc(p, len);
	memcpy(p + offsetof(struct jrec, crc), &h.crc, sizeof(h.crc));
	/* part of the old record may be on disk already: write it whole again */
	if (b->state == JW_QUEUED && b->done > m->off - base)
		b->done = (uint32_t)(m->off - base);
	return 0;
}

int journal_sync(struct journal_writer *w)
{
	if (w->fd < 0)
		return -EINVAL;
	int rc = journal_flush(w);
	if (!rc)
		rc = drain(w);
	if (!rc && w->synced_off < w->written_off) {
		if (fdatasync(w->fd))
			return set_sync_err(w, -errno);
		w->stats.fsyncs++;
		w->synced_off = w->written_off;
	}
	return rc;
}

int journal_close(struct journal_writer *w)
{
	if (w->fd < 0)
		return -EINVAL;
	int rc = journal_flush(w);
	if (!rc)
		rc = drain(w);
	if (!rc && w->policy != JOURNAL_FSYNC_NONE && w->synced_off < w->written_off) {
		if (fdatasync(w->fd))
			rc = -errno;
		else
			w->stats.fsyncs++;
	}
	/* after an error, still let the kernel finish with our buffers */
	while (w->uring && w->chain) {
		struct io_uring_cqe *cqe;
		int k = io_uring_wait_cqe(wring(w), &cqe);
		if (k == -EINTR)
			continue;
		if (k < 0)
			break;
		w->chain--;
		io_uring_cqe_seen(wring(w), cqe);
	}
	if (!rc)
		rc = w->err;
	writer_free(w);
	return rc;
}

static void hdr_fill(struct journal_file_hdr *h, const struct journal_opts *o)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, JOURNAL_MAGIC, 8);
	h->version = (o->flags & JOURNAL_W_FULL) ? JOURNAL_VERSION_FULL : JOURNAL_VERSION;
	h->hdr_size = JOURNAL_HDR_SIZE;
	h->layout_hash = journal_layout_hash();
	h->created_ns = real_ns();
	h->writer_pid = (uint32_t)getpid();
	strcpy(h->symbol, o->symbol);
	strcpy(h->tick_size, o->tick_size);
	h->tick_size_pts = o->tick_size[0] ? strtod(o->tick_size, NULL) : 0.0;
	if (o->point_value > 0 && o->lot_size[0] && o->currency[0]) {
		strcpy(h->lot_size, o->lot_size);
		strcpy(h->currency, o->currency);
		h->point_value = o->point_value;
		h->flags |= JOURNAL_HDR_F_INSTR;
	}
	h->flags |= o->hdr_flags & JOURNAL_HDR_F_RECV_TIME;
	h->hdr_crc = journal_crc32c(0, h, offsetof(struct journal_file_hdr, hdr_crc));
}

int journal_open_write(struct journal_writer *w, const char *path, const struct journal_opts *in)
{
	struct journal_opts o;
	struct journal_file_hdr h;
	char tmp[PATH_MAX];

	writer_zero(w);
	int rc = opts_fill(in, &o);
	if (rc)
		return rc;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;

	/* header first, under a temporary name; then linked into place.  The
	 * temporary is new and ours: a leftover (or a planted link) goes
	 * first, and the open neither follows a link nor takes an old file */
	if (unlink(tmp) != 0 && errno != ENOENT)
		return -errno;
	int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	rc = lock_file(fd);
	if (rc)
		goto unlink_tmp;
	hdr_fill(&h, &o);
	rc = pwrite_all(fd, &h, sizeof(h), 0);
	if (rc)
		goto unlink_tmp;
	if (o.fsync != JOURNAL_FSYNC_NONE && fdatasync(fd)) {
		rc = -errno;
		goto unlink_tmp;
	}
	if (o.flags & JOURNAL_W_TRUNC) {
		if (rename(tmp, path)) {
			rc = -errno;
			goto unlink_tmp;
		}
	} else {
		if (link(tmp, path)) { /* fails with EEXIST: never replace a journal */
			rc = -errno;
			goto unlink_tmp;
		}
		unlink(tmp);
	}
	if (o.fsync != JOURNAL_FSYNC_NONE) {
		rc = journal_fsync_dir_of(path);
		if (rc)
			goto close_fd;
	}
	w->fd = fd;
	rc = writer_setup(w, &o, JOURNAL_HDR_SIZE, 1, h.version);
	if (rc)
		writer_free(w);
	return rc;

unlink_tmp:
	unlink(tmp);
close_fd:
	close(fd);
	return rc;
}

int journal_open_append(struct journal_writer *w, const char *path, const struct journal_opts *in)
{
	struct journal_opts o;
	struct journal_file_hdr h;
	struct jscan sc = { 0 };
	const uint8_t *map = NULL;
	uint64_t size;

	writer_zero(w);
	int rc = opts_fill(in, &o);
	if (rc)
		return rc;
	/* O_NOFOLLOW: a link in place of the journal is refused (ELOOP) */
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
	if (fd < 0) {
		if (errno != ENOENT)
			return -errno;
		o.flags &= ~JOURNAL_W_TRUNC;
		return journal_open_write(w, path, &o);
	}
	rc = regular_file(fd);
	if (rc == 0)
		rc = lock_file(fd);
	if (rc)
		goto close_fd;
	rc = hdr_read(fd, &size, &h);
	if (rc)
		goto close_fd;
	if ((in && in->symbol && strcmp(in->symbol, h.symbol)) ||
	    (in && in->tick_size && strcmp(in->tick_size, h.tick_size))) {
		rc = -DM_ECONFIG;
		goto close_fd;
	}
	rc = map_file(fd, size, &map);
	if (rc)
		goto close_fd;
	rc = scan_records(map, size, &sc);
	munmap((void *)map, (size_t)size);
	if (rc) {
		w->bad_off = sc.bad_off;
		goto close_fd;
	}
	if (sc.end < size) {
		rc = cut_tail(fd, sc.end);
		if (rc)
			goto close_fd;
	}
	w->fd = fd;
	rc = writer_setup(w, &o, sc.end, sc.last_seq + 1, h.version);
	if (rc) {
		writer_free(w);
		return rc;
	}
	w->stats.repaired_bytes = size - sc.end;
	return 0;

close_fd:
	close(fd);
	return rc;
}

/* ---------------------------------------------------------------- reader */

/*
 * JOURNAL_SEQ keeps file bytes [buf_off, buf_off + buf_len) in buf.  A
 * refill moves the unread part of the current record to the front and
 * preads up to buf_size bytes behind it, so buf_off is always a record
 * start (8-aligned: payloads stay aligned) and each file byte is read
 * once.  The rare paths that need the whole file (VERIFY at open, telling
 * a torn tail from corruption) map it for as long as they run.
 */

static void reader_zero(struct journal_reader *r)
{
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->n_chg = -1;
}

/* Make file bytes [off, off + need) (off a record start, need <= bytes
 * left in the file) stand in buf.  A file that shrank since open ends
 * where the read found its end (r->size). */
static int seq_fill(struct journal_reader *r, uint64_t off, uint64_t need)
{
	uint64_t end = r->buf_off + r->buf_len, keep = 0;

	if (off >= r->buf_off && off + need <= end)
		return 0;
	if (need > r->buf_size) {
		/* one record larger than the buffer: grow to fit it */
		uint64_t sz = (need + 4095) & ~(uint64_t)4095;
		void *nb;
		if (sz > UINT32_MAX || posix_memalign(&nb, 4096, (size_t)sz))
			return -ENOMEM;
		if (off >= r->buf_off && off < end)
			memcpy(nb, r->buf + (off - r->buf_off), (size_t)(end - off));
		free(r->buf);
		r->buf = nb;
		r->buf_size = (uint32_t)sz;
		keep = off >= r->buf_off && off < end ? end - off : 0;
	} else if (off >= r->buf_off && off < end) {
		keep = end - off;
		memmove(r->buf, r->buf + (off - r->buf_off), (size_t)keep);
	}
	r->buf_off = off;
	r->buf_len = keep;
	uint64_t want = r->size - off < r->buf_size ? r->size - off : r->buf_size;
	while (r->buf_len < want) {
		ssize_t k = pread(r->fd, r->buf + r->buf_len, (size_t)(want - r->buf_len),
				  (off_t)(off + r->buf_len));
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0) {
			r->size = off + r->buf_len;
			break;
		}
		r->buf_len += (uint64_t)k;
	}
	return 0;
}

/* The slow half of rec_view: bring the record at off into buf as far as
 * the file holds it (its header first, then all of it if its length is
 * sane). */
static int seq_load(struct journal_reader *r, uint64_t off, const uint8_t **p)
{
	uint64_t left = r->size - off;
	int rc = seq_fill(r, off, left < JREC_HDR_SIZE ? left : JREC_HDR_SIZE);
	left = r->size - off;
	if (rc == 0 && left >= JREC_HDR_SIZE) {
		uint32_t len;
		memcpy(&len, r->buf + (off - r->buf_off), 4);
		if (len <= JOURNAL_MAX_PAYLOAD && JREC_SIZE(len) <= left)
			rc = seq_fill(r, off, JREC_SIZE(len));
	}
	*p = r->buf + (off - r->buf_off);
	return rc;
}

/* Pointer to the record at off, with all of it that the file holds. */
static inline int rec_view(struct journal_reader *r, uint64_t off, const uint8_t **p)
{
	if (r->map) {
		*p = r->map + off;
		return 0;
	}
	uint64_t end = r->buf_off + r->buf_len;
	if (DM_LIKELY(off + JREC_HDR_SIZE <= end)) {
		uint32_t len;
		memcpy(&len, r->buf + (off - r->buf_off), 4);
		if (DM_LIKELY(off + JREC_SIZE(len) <= end)) {
			*p = r->buf + (off - r->buf_off);
			return 0;
		}
	}
	return seq_load(r, off, p);
}

/* Torn tail or corruption at off, for a reader that holds no mapping. */
static int seq_classify(struct journal_reader *r, uint64_t off)
{
	const uint8_t *m = NULL;
	int rc = map_file(r->fd, r->size, &m);
	if (rc)
		return rc;
	rc = classify_bad(m, r->size, off);
	munmap((void *)m, (size_t)r->size);
	return rc;
}

int journal_open_read(struct journal_reader *r, const char *path, uint32_t flags)
{
	struct jscan sc = { 0 };
	uint64_t size;
	int repair = !!(flags & JOURNAL_REPAIR);
	int seq = !!(flags & JOURNAL_SEQ);

	reader_zero(r);
	if (flags & ~(JOURNAL_VERIFY | JOURNAL_REPAIR | JOURNAL_SEQ))
		return -EINVAL;
	if (repair)
		flags |= JOURNAL_VERIFY;
	/* O_NONBLOCK: a FIFO must be refused, not waited on for a writer */
	int fd = open(path, (repair ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	int rc = regular_file(fd);
	if (rc == 0 && repair)
		rc = lock_file(fd);
	if (rc)
		goto close_fd;
	rc = hdr_read(fd, &size, &r->hdr);
	if (rc)
		goto close_fd;
	rc = map_file(fd, size, &r->map);
	if (rc)
		goto close_fd;
	r->size = size;
	if (flags & JOURNAL_VERIFY) {
		rc = scan_records(r->map, size, &sc);
		if (rc) {
			r->bad_off = sc.bad_off;
			goto unmap;
		}
		r->verified_end = sc.end;
		r->torn_bytes = size - sc.end;
		if (repair && sc.end < size) {
			munmap((void *)r->map, (size_t)size);
			r->map = NULL;
			rc = cut_tail(fd, sc.end);
			if (rc)
				goto close_fd;
			r->size = sc.end;
			if (!seq) {
				rc = map_file(fd, sc.end, &r->map);
				if (rc)
					goto close_fd;
			}
		}
	}
	if (seq) {
		void *b;
		if (r->map)
			munmap((void *)r->map, (size_t)r->size);
		r->map = NULL;
		if (posix_memalign(&b, 4096, JOURNAL_DEF_READ_BUF)) {
			rc = -ENOMEM;
			goto close_fd;
		}
		r->buf = b;
		r->buf_size = JOURNAL_DEF_READ_BUF;
		r->buf_off = JOURNAL_HDR_SIZE;
		r->fd = fd;
	} else {
		close(fd);
	}
	r->flags = flags;
	r->off = JOURNAL_HDR_SIZE;
	r->next_seq = 1;
	return 0;

unmap:
	munmap((void *)r->map, (size_t)r->size);
	r->map = NULL;
close_fd:
	close(fd);
	return rc;
}

/* A bad record at off: the end (torn tail) or a sticky -DM_ECORRUPT. */
static int at_bad(struct journal_reader *r, uint64_t off)
{
	int rc = r->map ? classify_bad(r->map, r->size, off) : seq_classify(r, off);
	if (rc) {
		r->bad_off = off;
		r->state = rc;
		return rc;
	}
	r->torn_bytes = r->size - off;
	r->state = 1;
	return 0;
}

/* journal_next, inlined into the event readers */
static inline __attribute__((always_inline)) int next_rec(struct journal_reader *r,
							  const struct jrec **rec)
{
	/* two ifs, not "state < 0 ? state : 0": gcc folds that into a MIN
	 * that its -fanalyzer cannot see is never 1 */
	if (DM_UNLIKELY(r->state)) {
		if (r->state < 0)
			return r->state;
		return 0;
	}
	uint64_t off = r->off;
	const uint8_t *p;
	struct jrec h;
	uint64_t rs;

	if (DM_UNLIKELY(off >= r->size)) {
		r->state = 1;
		return 0;
	}
	int rc = rec_view(r, off, &p);
	if (DM_UNLIKELY(rc)) {
		r->state = rc;
		return rc;
	}
	if (off < r->verified_end) {
		/* checked at open: length only */
		memcpy(&h, p, JREC_HDR_SIZE);
		rs = JREC_SIZE(h.len);
		if (DM_UNLIKELY(!r->map && off + rs > r->buf_off + r->buf_len)) {
			r->state = -EIO; /* the file shrank under us */
			return r->state;
		}
	} else if (r->flags & JOURNAL_VERIFY) {
		r->state = 1;
		return 0;
	} else {
		/* rec_valid's checks, seq first, then the length: the crc reads
		 * only inside the file */
		uint64_t left = r->size - off;
		if (DM_UNLIKELY(left < JREC_HDR_SIZE))
			return at_bad(r, off);
		memcpy(&h, p, JREC_HDR_SIZE);
		rs = JREC_SIZE(h.len);
		if (DM_UNLIKELY(h.seq != r->next_seq || h.type == JREC_NONE || h.pad ||
				h.len > JOURNAL_MAX_PAYLOAD || rs > left ||
				rec_crc(p, h.len) != h.crc))
			return at_bad(r, off);
	}
	*rec = (const struct jrec *)(const void *)p;
	r->off = off + rs;
	r->next_seq++;
	/* which records are book events, for journal_reader_decode */
	if (h.type == JREC_EVENT_DELTA ||
	    (h.type == JREC_EVENT && h.len >= 4 && p[JREC_HDR_SIZE] == EV_BOOK &&
	     !p[JREC_HDR_SIZE + 1] && !p[JREC_HDR_SIZE + 2] && !p[JREC_HDR_SIZE + 3])) {
		r->book_prev = r->book_last;
		r->book_last = h.seq;
	}
	return 1;
}

int journal_next(struct journal_reader *r, const struct jrec **rec)
{
	return next_rec(r, rec);
}

/* A JREC_EVENT book payload into r->book, keeping its zeros past the
 * counts; 0 or -DM_ECORRUPT (r->book untouched). */
static int book_load(struct event *b, const uint8_t *p, uint32_t len)
{
	struct jev_head h;
	struct jev_book jb;

	if (len < JEV_BOOK_SIZE(0, 0))
		return -DM_ECORRUPT;
	memcpy(&h, p, sizeof(h));
	memcpy(&jb, p + sizeof(h), sizeof(jb));
	if (jb.n_bid > EV_MAX_LEVELS || jb.n_ask > EV_MAX_LEVELS ||
	    len != JEV_BOOK_SIZE(jb.n_bid, jb.n_ask))
		return -DM_ECORRUPT;
	const struct book_level *lv = (const void *)(p + sizeof(h) + sizeof(jb));
	uint32_t ob = b->book.n_bid, oa = b->book.n_ask;
	b->kind = EV_BOOK;
	b->instrument = h.instrument;
	b->exch_ns = h.exch_ns;
	b->recv_ns = h.recv_ns;
	b->book.n_bid = jb.n_bid;
	b->book.n_ask = jb.n_ask;
	b->book.flags = jb.flags;
	memcpy(b->book.bid, lv, sizeof(*lv) * jb.n_bid);
	memcpy(b->book.ask, lv + jb.n_bid, sizeof(*lv) * jb.n_ask);
	if (ob > jb.n_bid)
		memset(&b->book.bid[jb.n_bid], 0, sizeof(*lv) * (ob - jb.n_bid));
	if (oa > jb.n_ask)
		memset(&b->book.ask[jb.n_ask], 0, sizeof(*lv) * (oa - jb.n_ask));
	return 0;
}

/*
 * The most common delta record, applied without journal_delta_apply: one
 * side section (32-bit times, no instrument or flags) that changes one
 * size in place by a one-byte difference, both sides clean, and leaves
 * it above 0.  14 payload bytes: ctl, dt u32, dl i32, then n, m = 1, slot i,
 * a zero price difference and the size difference.  Does exactly what
 * journal_delta_apply does for it, and returns 1; 0 leaves everything as
 * it was for the general decoder.
 */
static inline int delta_fast(struct journal_reader *r, const uint8_t *p, uint32_t len)
{
	unsigned c = p[0];
	if (len != 14 || (c != JDL_BID && c != JDL_ASK) || r->book.kind != EV_BOOK)
		return 0;
	unsigned side = c == JDL_BID ? BOOK_BID : BOOK_ASK, i = p[11];
	struct book_level *lv = side == BOOK_BID ? r->book.book.bid : r->book.book.ask;
	unsigned n = side == BOOK_BID ? r->book.book.n_bid : r->book.book.n_ask;
	if (!r->clean[BOOK_BID] || !r->clean[BOOK_ASK] || p[9] != n || p[10] != 1 || i >= n ||
	    p[12] || p[13] >= 0x80)
		return 0;
	uint64_t dq = (uint64_t)(p[13] >> 1) ^ (uint64_t)-(int64_t)(p[13] & 1);
	int64_t q = (int64_t)((uint64_t)lv[i].qty + dq);
	if (q <= 0)
		return 0;
	uint32_t dt;
	int32_t dl;
	memcpy(&dt, p + 1, 4);
	memcpy(&dl, p + 5, 4);
	uint64_t lat = (uint64_t)r->book.recv_ns - (uint64_t)r->book.exch_ns + (uint64_t)(int64_t)dl;
	uint64_t exch = (uint64_t)r->book.exch_ns + dt;
	r->book.exch_ns = (int64_t)exch;
	r->book.recv_ns = (int64_t)(exch + lat);
	lv[i].qty = q;
	r->chg[0].px = lv[i].px;
	r->chg[0].qty = q;
	r->chg[0].side = side;
	r->chg[0].pad = 0;
	r->n_chg = 1;
	return 1;
}

/* rec, a JREC_EVENT or JREC_EVENT_DELTA book event that journal_next has
 * just returned, into r->book. */
static int book_decode(struct journal_reader *r, const struct jrec *rec)
{
	int rc;

	r->n_chg = -1;
	if (rec->type == JREC_EVENT_DELTA) {
		/* it must follow the book event this reader decoded last */
		if (DM_UNLIKELY(rec->seq != r->book_last || !r->book_seq ||
				r->book_seq != r->book_prev))
			return -DM_ECORRUPT;
		if (DM_LIKELY(delta_fast(r, rec->payload, rec->len))) {
			r->book_seq = rec->seq;
			return 0;
		}
		rc = journal_delta_apply(&r->book, rec->payload, rec->len, r->clean, r->chg,
					 &r->n_chg);
		if (DM_UNLIKELY(rc)) {
			memset(&r->book, 0, sizeof(r->book)); /* back to all zeros */
			r->book_seq = 0;
			r->n_chg = -1;
			return rc;
		}
	} else {
		rc = book_load(&r->book, rec->payload, rec->len);
		if (DM_UNLIKELY(rc)) {
			r->book_seq = 0;
			return rc;
		}
		r->clean[BOOK_BID] = (uint8_t)journal_side_clean(BOOK_BID, r->book.book.bid,
								 r->book.book.n_bid);
		r->clean[BOOK_ASK] = (uint8_t)journal_side_clean(BOOK_ASK, r->book.book.ask,
								 r->book.book.n_ask);
	}
	r->book_seq = rec->seq;
	return 0;
}

/* A JREC_EVENT's kind (payload bytes 0..3); 0 when too short. */
static inline uint32_t rec_kind(const struct jrec *rec)
{
	uint32_t kind = 0;
	if (rec->len >= 4)
		memcpy(&kind, rec->payload, 4);
	return kind;
}

int journal_reader_decode(struct journal_reader *r, const struct jrec *rec, struct event *ev)
{
	if (rec->type == JREC_EVENT) {
		/* trades, old snapshots-only files, and records out of turn
		 * decode on their own */
		if (rec_kind(rec) != EV_BOOK || rec->seq != r->book_last ||
		    r->hdr.version == JOURNAL_VERSION_FULL) {
			r->n_chg = -1;
			return journal_event_decode(rec->payload, rec->len, ev);
		}
	} else if (rec->type != JREC_EVENT_DELTA) {
		return -EINVAL;
	}
	int rc = book_decode(r, rec);
	if (rc)
		return rc;
	memcpy(ev, &r->book, sizeof(*ev));
	return 0;
}

/* A JREC_EVENT trade record of the right length into r->trade, which is
 * zero past the trade: only these bytes change. */
static inline void trade_load(struct journal_reader *r, const struct jrec *rec)
{
	struct jev_head h;
	memcpy(&h, rec->payload, sizeof(h));
	r->trade.kind = h.kind;
	r->trade.instrument = h.instrument;
	r->trade.exch_ns = h.exch_ns;
	r->trade.recv_ns = h.recv_ns;
	memcpy(&r->trade.trade, rec->payload + sizeof(h), sizeof(r->trade.trade));
}

int journal_reader_decode_ref(struct journal_reader *r, const struct jrec *rec,
			      const struct event **ev)
{
	if (rec->type == JREC_EVENT) {
		uint32_t kind = rec_kind(rec);
		if (kind == EV_TRADE && rec->len == JEV_TRADE_SIZE) {
			r->n_chg = -1;
			trade_load(r, rec);
			*ev = &r->trade;
			return 0;
		}
		/* as journal_reader_decode: on their own, into r->other */
		if (kind != EV_BOOK || rec->seq != r->book_last ||
		    r->hdr.version == JOURNAL_VERSION_FULL) {
			r->n_chg = -1;
			*ev = &r->other;
			return journal_event_decode(rec->payload, rec->len, &r->other);
		}
	} else if (rec->type != JREC_EVENT_DELTA) {
		return -EINVAL;
	}
	int rc = book_decode(r, rec);
	if (rc)
		return rc;
	*ev = &r->book;
	return 0;
}

int journal_next_event(struct journal_reader *r, struct event *ev)
{
	const struct jrec *rec = NULL;
	int rc;

	while ((rc = next_rec(r, &rec)) == 1) {
		if (rec->type != JREC_EVENT && rec->type != JREC_EVENT_DELTA)
			continue;
		rc = journal_reader_decode(r, rec, ev);
		if (DM_UNLIKELY(rc)) {
			r->bad_off = r->off - JREC_SIZE(rec->len);
			r->state = rc;
			return rc;
		}
		return 1;
	}
	return rc;
}

int journal_next_event_ref(struct journal_reader *r, const struct event **ev)
{
	const struct jrec *rec = NULL;
	int rc;

	while ((rc = next_rec(r, &rec)) == 1) {
		if (rec->type != JREC_EVENT && rec->type != JREC_EVENT_DELTA)
			continue;
		if (rec->type == JREC_EVENT && rec_kind(rec) == EV_TRADE) {
			r->n_chg = -1;
			if (DM_UNLIKELY(rec->len != JEV_TRADE_SIZE)) {
				rc = -DM_ECORRUPT;
				goto bad;
			}
			trade_load(r, rec);
			*ev = &r->trade;
			return 1;
		}
		if (rec->type == JREC_EVENT && rec_kind(rec) != EV_BOOK) {
			rc = -DM_ECORRUPT;
			goto bad;
		}
		/* a book snapshot handed out of turn cannot happen here: the
		 * reader decodes every book record as journal_next returns it */
		rc = book_decode(r, rec);
		if (DM_UNLIKELY(rc))
			goto bad;
		*ev = &r->book;
		return 1;
	}
	return rc;
bad:
	r->bad_off = r->off - JREC_SIZE(rec->len);
	r->state = rc;
	return rc;
}

void journal_reader_close(struct journal_reader *r)
{
	if (r->map)
		munmap((void *)r->map, (size_t)r->size);
	r->map = NULL;
	if (r->buf) { /* JOURNAL_SEQ: the buffer and the file */
		free(r->buf);
		close(r->fd);
	}
	r->buf = NULL;
	r->fd = -1;
	r->size = 0;
	r->state = 1;
}
