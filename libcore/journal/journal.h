/*
 * journal.h — the append-only binary journal: market events now, coordinator
 * decisions and other record types later.
 *
 * Design note.  A journal file is one header and a run of records:
 *
 *   0      struct journal_file_hdr (128 B): magic "DMJRNL\0\1", version,
 *          layout hash, symbol and tick size, creation time, creator pid,
 *          crc32c of the header
 *   128    record 1 | record 2 | ...      (each starts 8-byte aligned)
 *
 *   record = struct jrec (24 B: len, type, flags, seq, crc) | payload (len B)
 *            | zero padding up to the next multiple of 8
 *
 * seq runs 1, 2, 3... per file without gaps; crc is crc32c over the first
 * 16 header bytes (len, type, flags, seq) then the payload.  Every record
 * is checked for length, crc and seq continuity when read.
 *
 * Book events (version 2).  A book event is stored either whole
 * (JREC_EVENT, a snapshot) or as a JREC_EVENT_DELTA: only what changed
 * against the previous book event of the same file (times, flags, and per
 * side the new level count, one optional shift of the level array and the
 * levels that still differ).  The writer puts a snapshot first, after every
 * reopen, every journal_opts.snapshot_every book events and whenever the
 * delta would not be smaller; so decoding can start at any snapshot.  The
 * reader keeps the last book of the file and hands out exactly the event
 * that was appended.  Version 1 files hold snapshots only; the reader
 * takes both versions, and a writer asked for JOURNAL_W_FULL writes a
 * version 1 file that older builds still read.
 *
 * Torn tail versus corruption.  The writer issues its writes strictly in
 * file order, one at a time, so a crashed writer leaves a valid prefix plus
 * at most one partly written region at the end.  A bad record (partial
 * header, length beyond EOF, bad crc, seq break) with no valid record
 * anywhere after it is such a torn tail: JOURNAL_REPAIR cuts it.  A bad
 * record followed by any valid record is corruption: -DM_ECORRUPT with its
 * offset, and nothing is ever cut.  docs/journal.md has the byte layout.
 *
 * Writer.  struct journal_writer is memory handed in by the caller; open
 * allocates its buffers once.  Appends are copied into the current buffer;
 * a full buffer (or journal_flush) is queued and written as one write at
 * its file offset through io_uring (pwrite when io_uring is unavailable)
 * while the caller fills the next buffer.  One writer per file (flock) and
 * one thread per writer; readers may be other processes.
 *
 * Byte order is the host's (x86-64, little-endian): the layout hash and the
 * static_assert below refuse anything else.
 */
#ifndef DM_LIBCORE_JOURNAL_H
#define DM_LIBCORE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "libcore/market/event.h"
#include "libcore/types.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "journal: little-endian only");

#define JOURNAL_MAGIC        "DMJRNL\0\1"  /* 8 bytes, no terminator */
#define JOURNAL_VERSION      2u            /* written: book deltas allowed */
#define JOURNAL_VERSION_FULL 1u            /* written with JOURNAL_W_FULL */
#define JOURNAL_HDR_SIZE     128u
#define JOURNAL_SYMBOL_MAX   16u           /* bytes incl. NUL */
#define JOURNAL_TICK_MAX     16u           /* bytes incl. NUL */
#define JOURNAL_LOT_MAX      16u           /* bytes incl. NUL */
#define JOURNAL_CCY_MAX      8u            /* bytes incl. NUL */
#define JOURNAL_HDR_F_INSTR  0x1u          /* lot_size, currency and
					    * point_value are set */
#define JOURNAL_HDR_F_RECV_TIME 0x2u       /* the source is timed by its
					    * receive times (a Binance
					    * capture): tools that pick a
					    * clock by format pick recv_ns */
#define JOURNAL_MAX_PAYLOAD  (1u << 26)    /* 64 MiB: longer len = corrupt */
#define JOURNAL_MAX_BUFS     8u
#define JOURNAL_DEF_BUF_SIZE (1u << 20)
#define JOURNAL_MIN_BUF_SIZE 4096u
#define JOURNAL_DEF_SNAP_EVERY 4096u       /* book events per full snapshot */
#define JOURNAL_DEF_READ_BUF (1u << 20)    /* JOURNAL_SEQ read buffer */

/* ---------------------------------------------------------------- format */

/* File header, offset 0.  Text fields are NUL-padded. */
struct journal_file_hdr {
	char     magic[8];           /* JOURNAL_MAGIC */
	uint32_t version;            /* JOURNAL_VERSION, or JOURNAL_VERSION_FULL */
	uint32_t hdr_size;           /* JOURNAL_HDR_SIZE: records start here */
	uint64_t layout_hash;        /* journal_layout_hash() of the writer */
	int64_t  created_ns;         /* CLOCK_REALTIME at creation */
	uint32_t writer_pid;         /* process that created the file */
	uint32_t flags;              /* JOURNAL_HDR_F_* */
	char     symbol[JOURNAL_SYMBOL_MAX];    /* instrument, e.g. "WIN" */
	char     tick_size[JOURNAL_TICK_MAX];   /* tick in the instrument's own
					 * price unit, text: "5", "0.01" */
	double   tick_size_pts;      /* the same tick size as a number */
	/* Below: meaningful when flags has JOURNAL_HDR_F_INSTR (files written
	 * before these fields existed have zeros here). */
	char     lot_size[JOURNAL_LOT_MAX];     /* size unit of one integer lot
					 * in the instrument's own quantity
					 * unit, text: "1", "0.00001" */
	char     currency[JOURNAL_CCY_MAX];     /* of prices and P&L: "BRL" */
	double   point_value;        /* currency per 1.0 price unit per lot
				      * (WIN 0.2, AAPL 1, BTCUSDT lot 0.00001
				      * BTC: 0.00001) */
	uint8_t  rsv[12];            /* zero */
	uint32_t hdr_crc;            /* crc32c of bytes [0, 124) */
};
_Static_assert(sizeof(struct journal_file_hdr) == JOURNAL_HDR_SIZE, "journal hdr size");
_Static_assert(offsetof(struct journal_file_hdr, version) == 8, "journal hdr.version");
_Static_assert(offsetof(struct journal_file_hdr, layout_hash) == 16, "journal hdr.layout_hash");
_Static_assert(offsetof(struct journal_file_hdr, symbol) == 40, "journal hdr.symbol");
_Static_assert(offsetof(struct journal_file_hdr, tick_size_pts) == 72, "journal hdr.tick_size_pts");
_Static_assert(offsetof(struct journal_file_hdr, lot_size) == 80, "journal hdr.lot_size");
_Static_assert(offsetof(struct journal_file_hdr, currency) == 96, "journal hdr.currency");
_Static_assert(offsetof(struct journal_file_hdr, point_value) == 104, "journal hdr.point_value");
_Static_assert(offsetof(struct journal_file_hdr, hdr_crc) == 124, "journal hdr.hdr_crc");

/* Record header; the payload follows at offset 24, 8-byte aligned. */
struct jrec {
	uint32_t len;       /* payload bytes, excluding header and padding */
	uint16_t type;      /* enum jrec_type, never 0 */
	uint16_t flags;     /* 0; reserved */
	uint64_t seq;       /* 1, 2, 3... per file */
	uint32_t crc;       /* crc32c(bytes [0,16) of this header, payload) */
	uint32_t pad;       /* 0 */
	uint8_t  payload[];
};
_Static_assert(sizeof(struct jrec) == 24, "jrec size");
_Static_assert(offsetof(struct jrec, seq) == 8, "jrec.seq");
_Static_assert(offsetof(struct jrec, crc) == 16, "jrec.crc");
_Static_assert(offsetof(struct jrec, payload) == 24, "jrec.payload");

#define JREC_HDR_SIZE 24u
/* Bytes a record with len payload bytes takes in the file. */
#define JREC_SIZE(len) (JREC_HDR_SIZE + (((uint64_t)(len) + 7u) & ~(uint64_t)7u))

/* Record types.  0 is never valid; values below JREC_USER are the
 * project's (add new ones at the end), JREC_USER.. are free for tools. */
enum jrec_type {
	JREC_NONE       = 0,
	JREC_EVENT      = 1,  /* struct event, encoded (below) */
	JREC_RAW        = 2,  /* opaque bytes, e.g. one raw feed line */
	JREC_DECISION   = 3,  /* reserved: coordinator decision with its votes */
	JREC_ORDER      = 4,  /* reserved: order sent */
	JREC_EXEC       = 5,  /* reserved: execution report */
	JREC_NOTE       = 6,  /* reserved: operator or agent note, text */
	JREC_EVENT_DELTA = 7, /* book event as changes to the previous one (below) */
	JREC_USER       = 0x8000
};

/*
 * JREC_EVENT payload: struct jev_head, then by kind
 *   EV_BOOK:  struct jev_book, n_bid bid levels, n_ask ask levels
 *             (struct book_level, best first): 32 + 16 * (n_bid + n_ask) B
 *   EV_TRADE: struct ev_trade verbatim: 56 B
 * Levels past n_bid / n_ask are not stored and decode as zero.
 */
struct jev_head {
	uint32_t kind;        /* enum ev_kind */
	uint32_t instrument;
	int64_t  exch_ns;
	int64_t  recv_ns;
};
_Static_assert(sizeof(struct jev_head) == 24, "jev_head size");

struct jev_book {
	uint16_t n_bid, n_ask;
	uint32_t flags;
};
_Static_assert(sizeof(struct jev_book) == 8, "jev_book size");

#define JEV_BOOK_SIZE(nb, na) (32u + 16u * ((uint32_t)(nb) + (uint32_t)(na)))
#define JEV_TRADE_SIZE        (24u + (uint32_t)sizeof(struct ev_trade))
#define JEV_MAX_SIZE          JEV_BOOK_SIZE(EV_MAX_LEVELS, EV_MAX_LEVELS)
_Static_assert(sizeof(struct ev_trade) == 32, "ev_trade size");

/*
 * JREC_EVENT_DELTA payload (docs/journal.md has the table).  "varint" is
 * LEB128 (7 bits a byte, low first, at most 10 bytes), "zz" a varint of a
 * zigzag-mapped signed value; differences wrap modulo 2^64.
 *
 *   u8  ctl        JDL_* bits below, the others 0
 *   u32 exch_ns - previous book's exch_ns                 (u64 if JDL_T64)
 *   i32 (recv_ns - exch_ns) - the previous book's (recv_ns - exch_ns)
 *                                                         (i64 if JDL_T64)
 *   varint instrument        if JDL_INSTR
 *   varint flags             if JDL_FLAGS
 *   bid side section         if JDL_BID (else the bids are unchanged)
 *   ask side section         if JDL_ASK
 *
 * side section (the side's level array, 20 slots, zero past its count):
 *   u8  n | JDL_SHIFT        new level count n (0..20) in bits 0-4
 *   u8  m                    literals that follow (0..n)
 *   u8  k, i8 s              if JDL_SHIFT: s > 0 moves slots k.. down by s
 *                            (slots k..k+s-1 keep their old levels), s < 0
 *                            moves slots k+|s|.. up to k (zeros come in at
 *                            the end); k + |s| <= 20, s != 0
 *   m x { u8 i, zz px - p.px, zz qty - p.qty }   slot i (< n, ascending)
 *                            becomes p + the two differences, where p is
 *                            slot i as it stands when it is reached, or
 *                            slot i - 1 when slot i is all zero (or zero
 *                            for i = 0)
 *   then slots n..19 become zero.
 */
#define JDL_INSTR 0x01u
#define JDL_FLAGS 0x02u
#define JDL_BID   0x04u
#define JDL_ASK   0x08u
#define JDL_T64   0x10u
#define JDL_SHIFT 0x20u
#define JDL_MAX_SIZE (1u + 2u * 8u + 2u * 5u + 2u * (4u + EV_MAX_LEVELS * 21u))

/* ---------------------------------------------------------------- helpers */

/*
 * crc32c (Castagnoli, reflected, init and final xor ~0) of n bytes, chained:
 * pass 0 to start, or a previous result to continue over more bytes.
 * journal_crc32c uses SSE4.2 when the CPU has it, else the table.  Pure
 * functions; any thread.  Call journal_crc32c_hw only when
 * journal_crc32c_hw_available() is true.
 */
uint32_t journal_crc32c(uint32_t crc, const void *p, size_t n);
uint32_t journal_crc32c_sw(uint32_t crc, const void *p, size_t n);
uint32_t journal_crc32c_hw(uint32_t crc, const void *p, size_t n);
int journal_crc32c_hw_available(void);

/* FNV-1a over the sizes and offsets of the on-disk structs and of struct
 * event / ev_book / ev_trade / book_level.  Constant per build. */
uint64_t journal_layout_hash(void);

/*
 * Encode *ev into out (cap bytes; JEV_MAX_SIZE is always enough).  Returns
 * the payload size, -EINVAL for an unknown kind or more than EV_MAX_LEVELS
 * levels, -ENOBUFS if cap is too small.  No allocation; any thread.
 */
int journal_event_encode(const struct event *ev, void *out, size_t cap);

/* Decode a JREC_EVENT payload into *ev (zeroed first).  0, or -DM_ECORRUPT
 * when len disagrees with the kind and level counts. */
int journal_event_decode(const void *payload, uint32_t len, struct event *ev);

/*
 * Encode book event *ev as a JREC_EVENT_DELTA payload against *ref, the
 * previous book event as a reader decodes it (levels past n_bid / n_ask
 * zero; *ev's levels past its counts are ignored).  Returns the payload
 * size (at most JDL_MAX_SIZE), -EINVAL when either is not an EV_BOOK of
 * at most EV_MAX_LEVELS levels a side, -ENOBUFS if cap is too small.
 * Pure; no allocation; any thread.
 */
int journal_delta_encode(const struct event *ref, const struct event *ev,
			 void *out, size_t cap);

/*
 * Apply a JREC_EVENT_DELTA payload to *book, which holds the previous book
 * event (zeros past its counts): it becomes the event that was encoded.
 * 0, or -DM_ECORRUPT for a payload that does not parse (*book is then
 * unspecified).  Pure; no allocation; any thread.
 */
int journal_delta_decode(struct event *book, const void *payload, uint32_t len);

/*
 * journal_delta_decode that also tells the price-level changes it made:
 * chg[] (BOOK_DIFF_MAX entries, caller's) gets them in book_diff's order
 * (per side, bids first: deletions, then new sizes, best first) and
 * *n_chg their count; or *n_chg = -1 when they cannot be told because a
 * side, before or after, is not "clean": strictly best first with sizes
 * > 0.  clean[BOOK_BID / BOOK_ASK] says that of *book's sides on entry and
 * is updated.  Same returns; no allocation.
 */
int journal_delta_apply(struct event *book, const void *payload, uint32_t len,
			uint8_t clean[2], struct book_change *chg, int *n_chg);

/* 1 when lv[0..n) is strictly best first for side (enum book_side) with
 * every size > 0, else 0. */
int journal_side_clean(unsigned side, const struct book_level *lv, unsigned n);

/* ---------------------------------------------------------------- writer */

enum journal_fsync {
	JOURNAL_FSYNC_NONE     = 0, /* never: survives a process crash only */
	JOURNAL_FSYNC_BATCH    = 1, /* fdatasync linked after every buffer write */
	JOURNAL_FSYNC_INTERVAL = 2  /* fdatasync at most every interval_ms */
};

/* journal_opts.flags */
#define JOURNAL_W_TRUNC    0x1u /* open_write: replace an existing file */
#define JOURNAL_W_NO_URING 0x2u /* use pwrite even if io_uring works */
#define JOURNAL_W_FULL     0x4u /* every book event a full snapshot; a new
				 * file is version 1 (readable by older builds) */

struct journal_opts {
	const char *symbol;     /* header text, < JOURNAL_SYMBOL_MAX; NULL = "" */
	const char *tick_size;  /* header text, the instrument's price unit,
				 * < JOURNAL_TICK_MAX; NULL = "" */
	const char *lot_size;   /* header text, < JOURNAL_LOT_MAX; NULL = "" */
	const char *currency;   /* header text, < JOURNAL_CCY_MAX; NULL = "" */
	double   point_value;   /* > 0 with lot_size and currency: the header
				 * gets JOURNAL_HDR_F_INSTR; 0 = not known */
	uint32_t hdr_flags;     /* JOURNAL_HDR_F_RECV_TIME or 0 */
	uint32_t fsync;         /* enum journal_fsync */
	uint32_t interval_ms;   /* JOURNAL_FSYNC_INTERVAL period; 0 = 100 */
	uint32_t buf_size;      /* bytes per buffer; 0 = 1 MiB; rounded up to 4 KiB */
	uint32_t n_bufs;        /* 2..JOURNAL_MAX_BUFS; 0 = 2 */
	uint32_t flags;         /* JOURNAL_W_* */
	uint32_t snapshot_every; /* book events between full snapshots, counting
				  * the snapshot; 0 = JOURNAL_DEF_SNAP_EVERY,
				  * 1 = every one */
};

struct journal_wstats {
	uint64_t records;        /* appended since open */
	uint64_t bytes;          /* file bytes appended since open */
	uint64_t writes;         /* write submissions (pwrite calls or SQEs) */
	uint64_t short_writes;   /* writes that moved fewer bytes than asked */
	uint64_t fsyncs;         /* completed fdatasyncs */
	uint64_t stalls;         /* appends that waited for a free buffer */
	uint64_t repaired_bytes; /* torn tail cut by journal_open_append */
	uint64_t snapshots;      /* book events written whole (JREC_EVENT) */
	uint64_t deltas;         /* book events written as JREC_EVENT_DELTA */
};

struct journal_wbuf {
	uint8_t *data;
	uint32_t used;   /* bytes filled */
	uint32_t done;   /* bytes already written (short writes) */
	uint64_t off;    /* file offset of data[0] once queued */
	uint32_t state;  /* free / queued (private) */
	uint32_t pad;
};

/* Owned by journal.c: callers read stats, uring_err, bad_off, synced_off;
 * only tests write max_io. */
struct journal_writer {
	int      fd;
	int      err;           /* first hard error, sticky (-errno) until
				 * journal_retry writes again */
	int      err_sync;      /* err came from an fdatasync: not retried */
	int      uring;         /* 1 = io_uring, 0 = pwrite fallback */
	int      uring_err;     /* io_uring_queue_init's error when uring = 0 */
	uint32_t policy;        /* enum journal_fsync */
	uint32_t n_bufs, buf_size;
	uint32_t cur;           /* buffer being filled */
	uint32_t head;          /* oldest queued buffer */
	uint32_t n_queued;      /* queued or being written */
	uint32_t chain;         /* CQEs outstanding for the chain in flight */
	uint8_t  chain_write;   /* the chain in flight writes buf[head] */
	uint8_t  chain_sync;    /* ... and carries an fdatasync */
	uint8_t  chain_sync_ok; /* that fdatasync succeeded */
	uint8_t  sync_req;      /* the next chain must carry an fdatasync */
	uint64_t chain_target;  /* synced_off once a lone fdatasync succeeds */
	uint64_t tail_off;      /* file offset after the last queued byte */
	uint64_t written_off;   /* file bytes known written */
	uint64_t synced_off;    /* file bytes known durable */
	uint64_t next_seq;
	int64_t  interval_ns;
	int64_t  next_sync_ns;  /* CLOCK_MONOTONIC */
	uint64_t bad_off;       /* open_append: offset of the corrupt record */
	uint32_t max_io;        /* > 0: ask at most this many bytes per write, so
	                         * tests can force the short-write path */
	uint32_t pad2;
	struct journal_wstats stats;
	struct journal_wbuf buf[JOURNAL_MAX_BUFS];
	void    *ring;          /* struct io_uring, allocated at open */
	uint32_t snap_every;    /* book events per snapshot; 0 = snapshots only */
	uint32_t since_snap;    /* book events since the last snapshot */
	uint32_t have_ref;      /* ref holds the last book event appended */
	uint32_t pad3;
	struct event ref;       /* that event as a reader decodes it */
};

/*
 * Create a new journal at path (exclusive: -EEXIST if it exists, unless
 * JOURNAL_W_TRUNC) and open *w on it.  The header is written to a temporary
 * name and linked into place, so path never holds a torn header.  The
 * temporary is created anew (O_EXCL | O_NOFOLLOW, after removing a
 * leftover), and a symbolic link at path is never written through: it
 * counts as existing (-EEXIST), or is replaced under JOURNAL_W_TRUNC.
 * Allocates the buffers and sets up io_uring; start-up code only.  Returns
 * 0 or -errno / -DM_ECONFIG (bad opts) / -DM_EBUSY (another writer holds it).
 */
int journal_open_write(struct journal_writer *w, const char *path,
		       const struct journal_opts *o);

/*
 * Open path for appending: validate the header (-DM_EMAGIC, -DM_EVERSION,
 * -DM_ELAYOUT, -DM_ECORRUPT), check every record, cut a torn tail
 * (stats.repaired_bytes) and continue the seq.  Creates the file when it
 * does not exist.  Mid-file corruption returns -DM_ECORRUPT with the offset
 * in w->bad_off and leaves the file untouched.  A symbol or tick_size in
 * opts that differs from the header's is -DM_ECONFIG.  A symbolic link at
 * path is refused (-ELOOP), never followed.  Reads the whole file once;
 * start-up code only.
 */
int journal_open_append(struct journal_writer *w, const char *path,
			const struct journal_opts *o);

/*
 * Append one record of type (!= JREC_NONE) with len payload bytes copied
 * from payload.  Returns 0, -EINVAL, -EMSGSIZE (record larger than one
 * buffer or JOURNAL_MAX_PAYLOAD), or the sticky error of an earlier write
 * (then nothing is appended and no system call is made).
 * No allocation.  No system call, except when the current buffer is full:
 * then it is submitted (one io_uring_enter, or pwrite in fallback mode), and
 * if every buffer is still being written the call blocks until one is free.
 * The writer's thread only.
 */
int journal_append(struct journal_writer *w, uint16_t type, const void *payload,
		   uint32_t len);

/*
 * Append *ev: a trade, or a book event whole, as a JREC_EVENT; a book event
 * in a version 2 file as a JREC_EVENT_DELTA against the previous book
 * event appended since open, unless a snapshot is due (see the top).
 * Levels past n_bid / n_ask are not stored.  Same contract as
 * journal_append.
 */
int journal_append_event(struct journal_writer *w, const struct event *ev);

/*
 * Queue the current buffer now, even if not full, submit it if no write is
 * in flight, and reap completions without waiting.  Never waits (in pwrite
 * fallback mode the write itself is synchronous); the next append waits if
 * it finds no free buffer.  journal_sync waits for the data.
 */
int journal_flush(struct journal_writer *w);

/*
 * Housekeeping for an idle loop: reap completions, submit queued buffers,
 * and under JOURNAL_FSYNC_INTERVAL flush and fdatasync when the interval
 * has passed.  Never blocks; may make system calls.
 */
int journal_poll(struct journal_writer *w);

/* Flush, wait until every byte is written, then fdatasync whatever the
 * policy.  Blocks. */
int journal_sync(struct journal_writer *w);

/*
 * Flush, wait for every completion, fdatasync unless JOURNAL_FSYNC_NONE,
 * close the file and free the buffers.  Returns the first error the writer
 * met (0 if none); w is closed either way.
 */
int journal_close(struct journal_writer *w);

/*
 * When a write fails.  A failed write (ENOSPC on a full disk, EFBIG past
 * RLIMIT_FSIZE, EDQUOT, EIO...) is sticky: journal_append and
 * journal_flush return it at once, without a system call, and append
 * nothing more; the records appended before it stay in the buffers with
 * their file offsets.  Nothing is lost and nothing is written out of
 * order while it lasts.
 *
 * journal_retry writes those buffers again, in file order, at their
 * offsets, and waits until they are written (it blocks: call it from a
 * timer, not per event).  0: everything appended so far is written (as
 * journal_flush would have left it) and the writer appends again; else
 * the error, still sticky.  An error of an fdatasync is never retried
 * (the kernel may have dropped the pages it could not write): it stays,
 * and w->err_sync says so.
 */
int journal_retry(struct journal_writer *w);

/* The writer's sticky error (-errno), 0 while it writes.  Any thread that
 * owns the writer; no system call. */
static inline int journal_writer_error(const struct journal_writer *w)
{
	return w->err;
}

/* Where the next record will go: its seq and file offset. */
struct journal_mark {
	uint64_t seq;
	uint64_t off;
};

/* Fill *m for the next record (before journal_append).  No system call. */
void journal_writer_mark(const struct journal_writer *w, struct journal_mark *m);

/*
 * Replace the record appended at mark m, which must be the last one
 * appended and not yet written whole (a flush of it failed, say), by a
 * record of type with the same payload length: a caller that could not
 * make a record durable puts a corrected one in its place, which the
 * next journal_retry writes.  Same seq, offset and length; the crc is
 * made anew.  Returns 0, -EINVAL (not the last record, another length),
 * -EALREADY (already written).  No allocation, no system call (io_uring:
 * reaps a write in flight first).
 */
int journal_rewrite(struct journal_writer *w, const struct journal_mark *m, uint16_t type,
		    const void *payload, uint32_t len);

/* 1 when writes go through io_uring, 0 when io_uring_queue_init failed
 * (ENOSYS, EPERM in a sandbox...; w->uring_err says which) or
 * JOURNAL_W_NO_URING was asked, and plain pwrite is used instead. */
static inline int journal_writer_uses_uring(const struct journal_writer *w)
{
	return w->uring;
}

/* Seq of the last record appended (0 when the file has none). */
static inline uint64_t journal_writer_seq(const struct journal_writer *w)
{
	return w->next_seq - 1;
}

/* ---------------------------------------------------------------- reader */

/* journal_open_read flags */
#define JOURNAL_VERIFY 0x1u /* check every record at open */
#define JOURNAL_REPAIR 0x2u /* VERIFY, then cut a torn tail (read-write open) */
#define JOURNAL_SEQ    0x4u /* read(2) the file front to back into one reused
			     * buffer instead of mapping it: a record pointer
			     * is valid only until the next journal_next* */

/* Owned by journal.c; callers read hdr and the counters through the
 * accessors below. */
struct journal_reader {
	const uint8_t *map;     /* whole file (mapped mode); NULL with SEQ */
	uint64_t size;          /* file bytes read (after a repair) */
	uint64_t off;           /* next record */
	uint64_t next_seq;
	uint64_t verified_end;  /* records before this were checked at open */
	uint64_t torn_bytes;    /* cut (REPAIR) or found after the last record */
	uint64_t bad_off;       /* offset of the corrupt record */
	int      state;         /* 0 reading, 1 at end, < 0 sticky error */
	uint32_t flags;
	struct journal_file_hdr hdr;
	/* JOURNAL_SEQ: buf holds file bytes [buf_off, buf_off + buf_len) */
	int      fd;            /* -1 when mapped */
	uint32_t buf_size;
	uint8_t *buf;
	uint64_t buf_off, buf_len;
	/* book deltas: the last book event handed out by journal_next, the
	 * one before it, and the one book holds (0 = none, or unusable) */
	uint64_t book_last, book_prev, book_seq;
	int      n_chg;         /* changes in chg from the last book event, -1 none */
	uint8_t  clean[2];      /* book's sides strictly best first, sizes > 0 */
	uint8_t  pad[2];
	struct event book;
	struct event trade;     /* journal_next_event_ref's trades: zero past
				 * the trade */
	struct event other;     /* journal_reader_decode_ref's events that
				 * decode on their own (out of turn, version 1) */
	struct book_change chg[BOOK_DIFF_MAX];
};

/*
 * Open path read-only, map it (or with JOURNAL_SEQ allocate the read
 * buffer) and validate its header: -DM_EMAGIC, -DM_EVERSION, -DM_ELAYOUT,
 * -DM_ECORRUPT (header crc, short header).  With JOURNAL_VERIFY every
 * record is checked now: a torn tail is counted in torn_bytes, corruption
 * returns -DM_ECORRUPT with r->bad_off set.  With JOURNAL_REPAIR a torn
 * tail is also cut off the file (ftruncate + fdatasync; -DM_EBUSY while a
 * writer holds the file).  The reader sees the file as long as it was at
 * open.  On error nothing stays open (bad_off stays readable).
 * Start-up/tool code: allocates, may block.
 */
int journal_open_read(struct journal_reader *r, const char *path, uint32_t flags);

/*
 * Next record, zero-copy: *rec points into the mapping, valid until
 * journal_reader_close; with JOURNAL_SEQ into the read buffer, valid until
 * the next journal_next* call.  Payloads are 8-byte aligned.  Returns 1, 0
 * at the end of the valid records (torn_bytes then says what lies past
 * them), or -DM_ECORRUPT (bad_off).  Mapped: no allocation or system call.
 * JOURNAL_SEQ: one pread per buffer of data; a record larger than the
 * buffer makes it grow (one allocation); -errno for a failed read.
 */
int journal_next(struct journal_reader *r, const struct jrec **rec);

/*
 * Decode the event record rec (JREC_EVENT or JREC_EVENT_DELTA) that
 * journal_next has just returned into *ev, exactly as it was appended.  A
 * delta needs the book event before it decoded by this reader: callers of
 * journal_next decode every book record in order (journal_next_event does).
 * 0, -EINVAL for another record type, or -DM_ECORRUPT: a payload that does
 * not decode, or a delta whose previous book event was skipped or did not
 * decode (later deltas then fail until the next snapshot).
 */
int journal_reader_decode(struct journal_reader *r, const struct jrec *rec,
			  struct event *ev);

/* journal_reader_decode without the copy: *ev points at an event of the
 * reader's own (the book it keeps, its trade, or one decoded on its own),
 * valid until the next journal_next* or decode call; do not write it.
 * Same returns. */
int journal_reader_decode_ref(struct journal_reader *r, const struct jrec *rec,
			      const struct event **ev);

/* Next event record decoded into *ev, skipping other types.  Same returns
 * as journal_next; a record that does not decode is -DM_ECORRUPT (sticky,
 * bad_off its offset). */
int journal_next_event(struct journal_reader *r, struct event *ev);

/* journal_next_event without the copy: *ev points at the reader's own
 * event, valid until the next journal_next* call; do not write it. */
int journal_next_event_ref(struct journal_reader *r, const struct event **ev);

/*
 * After a book event from journal_next_event(_ref) or journal_reader_decode:
 * the price-level changes from the previous book event of the file to it,
 * in book_diff's order (bids first; per side deletions, then new sizes,
 * best first); *ch points into r, valid until the next call.  Returns
 * their count (0: the levels are the same), or -1 when they are not known:
 * the event was a snapshot, or a side of either event is not strictly best
 * first with sizes > 0.  Applied in order with book_apply_level to a book
 * of depth >= both events' level counts that holds the previous event's
 * levels, they give this event's levels (book_apply_snapshot's result).
 */
static inline int journal_reader_book_changes(const struct journal_reader *r,
					      const struct book_change **ch)
{
	*ch = r->chg;
	return r->n_chg;
}

/* Unmap or free the buffer, close; records handed out become invalid.
 * Safe to call twice. */
void journal_reader_close(struct journal_reader *r);

/* Bytes after the last valid record: cut at open (REPAIR), counted at open
 * (VERIFY), or once journal_next has returned 0. */
static inline uint64_t journal_reader_torn_bytes(const struct journal_reader *r)
{
	return r->torn_bytes;
}

/* File offset of the first bad record after -DM_ECORRUPT (also after a
 * failed journal_open_read). */
static inline uint64_t journal_reader_bad_offset(const struct journal_reader *r)
{
	return r->bad_off;
}

/* fsync the directory that holds path (".": a bare name), so a rename
 * into it is on disk.  0 or -errno.  Start-up and tools. */
int journal_fsync_dir_of(const char *path);

#endif /* DM_LIBCORE_JOURNAL_H */
