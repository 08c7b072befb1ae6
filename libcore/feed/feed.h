/*
 * feed.h — streaming market-data file readers: one normalized struct event
 * at a time, in bounded memory.
 *
 * Design note.  A reader turns one input file (LOBSTER message+orderbook
 * pair, MetaTrader 5 tick export, B3 NEG trade file, raw Binance websocket
 * capture) into the stream of book and trade events of libcore/market/event.h:
 *
 *   feed_open  ->  feed_next, feed_next, ... (1 = event, 0 = end, < 0 error)
 *              ->  feed_stats / feed_error  ->  feed_close
 *
 * Memory.  struct feed_reader is owned by the caller (stack, static, heap);
 * feed_open allocates every buffer it will ever use (one line buffer per
 * input file, and for Binance the full book and the pre-snapshot diff
 * buffer) and feed_close frees them.  feed_next never allocates, except
 * that the Binance reader parses each line with jansson, which allocates
 * and frees the parsed tree inside the call.  Input is read with read(2)
 * through the fixed line buffer, so a file larger than RAM streams in
 * constant memory.  A gzip file (by magic or by a ".gz" name) is inflated
 * in process (zlib) into the same buffer, members one after another as
 * `gzip -dc` does; a corrupt or truncated stream fails with -DM_ECORRUPT
 * and "file: corrupt gzip data at compressed byte N ...".  A DreamMaker journal is
 * read sequentially into one reused buffer (libcore/journal/journal.h,
 * JOURNAL_SEQ), so its resident size stays bounded too.
 *
 * Numbers.  Prices become integer ticks and sizes integer lots by exact
 * decimal arithmetic: the text "61800.30" with tick 0.1 is 618003 ticks;
 * a value that is not a whole number of ticks (or lots) is a bad row,
 * never a rounded one.  Times are ns since the Unix epoch (UTC).
 *
 * Bad rows.  A row that cannot be turned into exact events (a non-numeric
 * field, a price off the tick grid, a wrong field count, a line longer than
 * line_max...) is skipped and counted: stats.skipped, stats.first_bad_line,
 * and the first FEED_SAMPLES messages "file:line: reason" in stats.sample.
 * With opts.strict the first bad row fails instead: feed_next returns
 * -DM_ECORRUPT and feed_error() holds "file:line: reason".  An error is
 * sticky: every later feed_next returns it again.
 *
 * Threads.  One reader is used by one thread at a time; readers share
 * nothing, so several may run side by side.  Calls block on file I/O.
 * docs/feeds.md has the per-format columns, units and conventions.
 */
#ifndef DM_LIBCORE_FEED_FEED_H
#define DM_LIBCORE_FEED_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "libcore/market/event.h"
#include "libcore/journal/journal.h"
#include "libcore/types.h"

#define FEED_SAMPLES        8u          /* bad-row messages kept in stats */
#define FEED_SAMPLE_LEN     192u        /* bytes per message, NUL included */
#define FEED_ERR_LEN        512u        /* feed_error() text, NUL included */
#define FEED_DEF_LINE_MAX   (1u << 20)  /* longest line accepted: 1 MiB */
#define FEED_MIN_LINE_MAX   4096u
#define FEED_DEF_BOOK_CAP   65536u      /* Binance: price levels per side */
#define FEED_DEF_PEND_BYTES (4u << 20)  /* Binance: diffs kept before a snapshot */
#define FEED_SYMBOL_MAX     64u         /* NEG symbol, NUL included */

enum feed_format {
	FEED_AUTO    = 0, /* by file name, then by the first line */
	FEED_LOBSTER = 1, /* *_message_N.csv + *_orderbook_N.csv */
	FEED_MT5     = 2, /* MetaTrader 5 tick export, tab-separated */
	FEED_NEG     = 3, /* B3 NEG_* trade file, ';'-separated */
	FEED_BINANCE = 4, /* "<recv_ns> <json>" websocket capture */
	FEED_JOURNAL = 5  /* DreamMaker journal (libcore/journal/journal.h), by its
			   * magic; its JREC_EVENT records are returned as
			   * they were written */
};

/* feed_opts.flags */
#define FEED_O_FIXED_TZ       0x1u /* LOBSTER: local = UTC + utc_offset_s
				    * instead of the America/New_York rules */
#define FEED_O_KEEP_CANCELLED 0x2u /* NEG: emit cancelled trades flagged
				    * FEED_TRADE_CANCELLED instead of dropping */

/* Bit the readers add to ev_book.flags, above the BOOK_F_* bits: the book
 * is known to be incomplete (a Binance sequence gap since the last sync). */
#define FEED_BOOK_F_GAP       0x100u
/* Bit the readers add to ev_trade.flags, beside EV_TRADE_HIDDEN: the
 * exchange marked this trade cancelled (NEG, FEED_O_KEEP_CANCELLED only). */
#define FEED_TRADE_CANCELLED  0x80u

struct feed_opts {
	uint32_t    levels;       /* L per side in book events, 1..EV_MAX_LEVELS;
				   * 0 = EV_MAX_LEVELS */
	uint32_t    flags;        /* FEED_O_* */
	double      tick;         /* price units per tick, in the file's own
				   * price unit (LOBSTER 100 = 1 cent, MT5 WIN
				   * 5, NEG 0.01, Binance 0.01 / 0.1); required
				   * (except for a journal, already in ticks),
				   * a decimal with at most 12 decimals */
	double      lot;          /* size units per lot (Binance 0.00001 BTC);
				   * 0 = 1 */
	int         strict;       /* 1: the first bad row fails the read */
	int32_t     utc_offset_s; /* MT5, NEG (and LOBSTER with FEED_O_FIXED_TZ):
				   * file times are local = UTC + this; 0 = UTC */
	const char *symbol;       /* NEG: instrument to keep (exact, trimmed);
				   * Binance: "s" to keep; NULL = first seen
				   * (NEG) / all (Binance).  Copied at open. */
	uint32_t    instrument;   /* stored in every event.instrument (journal:
				   * 0 keeps each event's own) */
	uint32_t    line_max;     /* longest line; 0 = FEED_DEF_LINE_MAX */
	uint32_t    book_cap;     /* Binance levels per side; 0 = FEED_DEF_BOOK_CAP */
	uint32_t    pend_bytes;   /* Binance diff buffer; 0 = FEED_DEF_PEND_BYTES */
};

/* Counters since feed_open; they only grow. */
struct feed_stats {
	uint64_t rows;              /* data rows read (LOBSTER: row pairs;
				     * journal: records) */
	uint64_t bytes;             /* input bytes consumed (inflated when gzip;
				     * LOBSTER: both files; journal: file
				     * offset reached), for progress reports */
	uint64_t events_book;       /* book events returned */
	uint64_t events_trade;      /* trade events returned */
	uint64_t skipped;           /* bad rows skipped */
	uint64_t first_bad_line;    /* line of the first bad row, 0 = none */
	uint64_t ignored;           /* good rows that give no event by design
				     * (bookTicker, MT5 rows without a change,
				     * unknown Binance streams, journal records
				     * other than JREC_EVENT) */
	uint64_t other_symbol;      /* rows of an instrument not selected */
	uint64_t cancelled;         /* NEG trades marked cancelled */
	uint64_t gaps;              /* Binance sequence gaps */
	uint64_t snapshots;         /* Binance snapshots applied */
	uint64_t snapshots_ignored; /* Binance snapshots while in sync */
	uint64_t diffs_applied;     /* Binance diffs applied to the book */
	uint64_t diffs_stale;       /* Binance diffs older than the book */
	uint64_t diffs_unsynced;    /* Binance diffs never applied: the
				     * pre-snapshot buffer overflowed, or no
				     * snapshot followed them */
	uint64_t book_overflow;     /* Binance levels dropped at book_cap */
	uint64_t bbo_checked;       /* bookTicker compared with the book */
	uint64_t bbo_mismatch;      /* ... and found different */
	uint64_t trailer_rows;      /* NEG: record count of the RT trailer */
	uint32_t n_samples;         /* used entries of sample[] */
	uint32_t pad;
	char     sample[FEED_SAMPLES][FEED_SAMPLE_LEN]; /* "file:line: reason" */
};

/* ------------------------------------------------------------ private
 * Everything below is the reader's own state, in the header only so that
 * the caller can own the struct.  Do not touch it. */

struct feed_unit {        /* an exact decimal m / 10^k, m > 0 */
	int64_t  m;
	int32_t  k;
	uint32_t shift;       /* m = m_odd << shift ... */
	uint64_t inv;         /* ... and m_odd * inv = 1 mod 2^64; 0 = not
			       * prepared (feed_unit_prepare) */
	uint64_t lim;         /* UINT64_MAX / m_odd */
};

struct feed_src {         /* one input file, read a line at a time */
	int      fd;
	int      pad0;
	struct feed_gz *gz;   /* inflate state (feed.c), NULL = not gzip */
	char    *buf;         /* cap bytes (+ NUL and FEED_SRC_SLACK zero
			       * bytes), allocated at open */
	size_t   cap, beg, end;
	uint64_t consumed;    /* bytes of the lines handed out, newlines
			       * included */
	uint64_t line;        /* number of the line last returned, 1-based */
	const char *path;     /* as named to the user */
	size_t   ul_off, ul_len; /* the line handed back by feed_src_unget */
	size_t   ul_adv;      /* its bytes with the line end */
	uint8_t  eof, utf16, carry_set, carry;
	uint8_t  fresh;       /* nothing read yet: look for a BOM */
	uint8_t  unget;       /* next line is ul_off/ul_len again */
	uint8_t  skipping;    /* inside an over-long line */
	uint8_t  pad;
};

struct feed_fbook_side {  /* sorted worst first: best at lv[n - 1] */
	struct book_level *lv;
	uint32_t n;
	uint32_t pad;
};

struct feed_lobster {
	uint32_t n_file;      /* levels N in the orderbook file */
	uint32_t pad;
	int64_t  midnight_ns; /* UTC ns of the file date's local midnight */
};

struct feed_mt5 {
	int32_t  col[7];      /* column of DATE TIME BID ASK LAST VOLUME FLAGS */
	uint32_t ncol;        /* columns in the header */
	int64_t  bid, ask, last, vol; /* carried-forward values */
	uint8_t  has_bid, has_ask, has_last, has_vol;
	uint32_t pad;
	int64_t  date_ns;     /* cache: last DATE text and its UTC midnight */
	char     date_txt[12];
	uint32_t pad2;
};

struct feed_neg {
	char     symbol[FEED_SYMBOL_MAX];
	uint32_t sym_len;     /* 0 = not chosen yet */
	uint32_t trailer;     /* RT seen */
	uint64_t records;     /* RH, RT and data lines, for the trailer check */
};

struct feed_binance {
	struct feed_fbook_side side[2]; /* full book, BOOK_BID / BOOK_ASK */
	uint32_t cap;         /* levels per side */
	int32_t  state;       /* private enum in binance.c */
	int32_t  futures;     /* -1 unknown, 0 spot (U/u), 1 USD-M (pu) */
	int32_t  replaying;   /* feed_next drains pend[] after a snapshot */
	uint64_t snap_id;     /* lastUpdateId of the snapshot in use */
	uint64_t prev_u;      /* u of the last applied diff */
	int64_t  snap_recv_ns;
	char    *pend;        /* buffered diffs: [u32 len][i64 recv][json]... */
	size_t   pend_cap, pend_beg, pend_end, replay_off, keep_off;
	uint64_t pend_n;      /* records in pend[] */
};

struct feed_journal {
	struct journal_reader jr;
};

struct feed_reader {
	uint32_t fmt;             /* enum feed_format, never FEED_AUTO */
	uint32_t levels;          /* L */
	struct feed_opts o;       /* copy; o.symbol points at sym[] */
	struct feed_unit px_unit, qty_unit;
	struct feed_stats st;
	int      sticky;          /* error every later call returns, 0 = none */
	uint32_t n_pend, i_pend;  /* events made but not yet returned */
	uint32_t done;            /* end reached: 0 from now on */
	int64_t  last_book_ns;    /* exch_ns of the last book event */
	char     err[FEED_ERR_LEN];
	char     sym[FEED_SYMBOL_MAX];
	char    *paths;           /* allocation holding the file names */
	struct feed_src src[2];   /* LOBSTER: [0] messages, [1] orderbook */
	struct event pend[2];
	struct event out;         /* feed_next_ref's event when it is copied */
	union {
		struct feed_lobster lob;
		struct feed_mt5     mt5;
		struct feed_neg     neg;
		struct feed_binance bn;
		struct feed_journal jn;
	} u;
};

/* ------------------------------------------------------------ API */

/*
 * Open path as format fmt (FEED_AUTO: LOBSTER by a "_message_N" or
 * "_orderbook_N" name, NEG by a "NEG_" name or an "RH NEG" first line, MT5
 * by a "<DATE>" header, Binance by a "<digits> {" first line, journal by
 * its magic, checked first) with options o (required: o->tick, except for
 * a journal).  On failure writes one line naming the file and the cause
 * into err (errlen bytes, may be NULL) and returns -errno, -EINVAL (bad
 * options), -DM_ECONFIG (format not recognised, LOBSTER date or partner
 * file not found), -DM_ECORRUPT (bad MT5 or journal header) or the
 * journal's -DM_EMAGIC / -DM_EVERSION / -DM_ELAYOUT; *r then holds
 * nothing to close.
 * On success *r owns its files and buffers until feed_close.
 * Allocates; start-up code only.
 */
int feed_open(struct feed_reader *r, const char *path, enum feed_format fmt,
	      const struct feed_opts *o, char *err, size_t errlen);

/*
 * The next event into *ev (fully written, unused levels zeroed).  Returns 1
 * with an event, 0 at the end of the input (and again on every later
 * call), or a negative error: -DM_ECORRUPT for a bad row in strict mode
 * (and, whatever the mode, for a journal record that fails its checks
 * with valid records after it: "file: corrupt record at offset N"),
 * -errno for an I/O error; the error is sticky and feed_error() explains
 * it.  A journal's torn tail (bytes after the last valid record, from a
 * crashed writer) is one bad row at the end.  Blocks on reads (a
 * journal: page faults); allocates only inside jansson (Binance).
 */
int feed_next(struct feed_reader *r, struct event *ev);

/*
 * feed_next without the copy: *ev points at an event the reader owns,
 * valid until the next feed_next, feed_next_ref or feed_close; do not
 * write it.  Same event, returns and counters as feed_next.  A journal's
 * events are the journal reader's own (nothing copied) unless the reader
 * must change them (levels cut to opts.levels, opts.instrument); the
 * other formats are read into the reader's own event.
 */
int feed_next_ref(struct feed_reader *r, const struct event **ev);

/* Counters and bad-row samples since open; the pointer is into r and valid
 * until feed_close.  Any time after a successful open. */
const struct feed_stats *feed_stats(const struct feed_reader *r);

/* The text of the last error or bad row ("file:line: reason"), "" if none.
 * Points into r. */
const char *feed_error(const struct feed_reader *r);

/* The format being read (useful after FEED_AUTO). */
static inline enum feed_format feed_format_of(const struct feed_reader *r)
{
	return (enum feed_format)r->fmt;
}

/* Close the files, free the buffers.  Safe to call
 * once after a successful feed_open; r may then be reopened. */
void feed_close(struct feed_reader *r);

/* UTC offset in seconds (local = UTC + offset) of America/New_York at noon
 * of day `days` (days since 1970-01-01): -4 h in daylight time, -5 h
 * otherwise (US rules since 2007; 1987-2006 rules before).  The LOBSTER
 * reader's local time, public for the tools that show New York times
 * (dm-study's profiles).  Pure. */
int32_t feed_new_york_offset(int64_t days);

/* "lobster", "mt5", "neg", "binance", "journal", "auto"; NULL otherwise. */
const char *feed_format_name(enum feed_format fmt);

/* What a DreamMaker journal holds (feed_journal_kind). */
enum feed_jkind {
	FEED_JK_MARKET = 0, /* market events (or no record a kind is told by) */
	FEED_JK_ORDERS,     /* a run's orders.journal: orders and execution reports */
	FEED_JK_DECISIONS,  /* a run's decisions.journal: the coordinator's decisions */
	FEED_JK_OTHER,      /* records of the project's or a tool's, no market event */
};

/*
 * The kind of the journal at path, told by the first record that is an
 * event, an order or execution report, or a decision (raw lines and notes
 * are passed over); a journal of no record, or damaged before any such
 * record, counts as market data (the reader then says what it finds).
 * For a journal that is not market data, what (n bytes) receives one
 * line: its kind, its records by type and the span of their times ("an
 * orders journal (a run's orders and execution reports): 26 records (13
 * orders, 13 execution reports), venue times 2022-01-03T12:00:03.751842654Z
 * .. 2022-01-03T12:01:43.609082882Z").  Returns the kind, or a negative
 * error with err (a file that does not read as a journal: -DM_EMAGIC for
 * another file).  The feed readers refuse anything but
 * FEED_JK_MARKET (feed_resolve, feed_open: -EINVAL, "not market data:
 * dm-journal FILE prints its rows").  Reads the file; start-up code.
 */
int feed_journal_kind(const char *path, char *what, size_t n, char *err, size_t errlen);

/* The format named s (the names above), or -1. */
int feed_format_parse(const char *s);

/* ------------------------------------------------------------ instrument
 * For the tools, at start-up (libcore/feed/tick.c): what a file holds, in
 * the instrument's own units (docs/instrument.md, "Units").
 *
 * --tick and --lot are always in the instrument's units: LOBSTER dollars
 * and shares, Binance the quote currency and the base asset, WIN index
 * points and contracts.  feed_resolve turns them (or the defaults) into
 * the readers' file units (feed_opts.tick: LOBSTER x10000) and checks
 * them against a sample of the file's prices and sizes. */

#define FEED_DEC_MAX     8u      /* decimals of a tick or lot, at most */
#define FEED_SAMPLE_EVENTS 4096u /* events feed_resolve looks at */
#define FEED_FIT_MAX_OFF 0.5     /* share of sampled prices (sizes) off a
				  * tick's (lot's) grid above which it does
				  * not fit the data */

/* An instrument in its own units: what a journal header records. */
struct feed_instr {
	char   symbol[JOURNAL_SYMBOL_MAX];  /* "AAPL", "BTCUSDT", "WIN" */
	char   tick[JOURNAL_TICK_MAX];      /* decimal text: "0.01", "5" */
	char   lot[JOURNAL_LOT_MAX];        /* decimal text: "1", "0.00001" */
	char   currency[JOURNAL_CCY_MAX];   /* of prices and P&L: "USD"; ""
					     * = not known */
	double tick_v, lot_v;               /* tick and lot as numbers */
	double point_value;                 /* currency per 1.0 price unit per
					     * lot; 0 = not known */
};

/* What the user asked for; zero / NULL members are "not given". */
struct feed_want {
	enum feed_format fmt;       /* FEED_AUTO: detect */
	const char *tick, *lot;     /* decimal text, the instrument's units */
	const char *symbol;         /* NEG / Binance: select; every format:
				     * the instrument's name */
	uint32_t levels;            /* book levels per side; 0 = EV_MAX_LEVELS */
	int      have_utc;          /* utc_offset_min given */
	int32_t  utc_offset_min;
	int      strict;
	const struct feed_instr *conf; /* the configured instrument: MT5 and
				     * NEG take it (and a journal without
				     * an instrument of its own, when the
				     * symbols agree); NULL = WIN defaults */
	int32_t  conf_utc_offset_min; /* its local time (MT5, NEG default) */
};

/* What feed_resolve found. */
struct feed_plan {
	enum feed_format fmt;       /* never FEED_AUTO */
	struct feed_instr in;       /* the instrument */
	struct feed_opts fo;        /* ready for feed_open(path, fmt, &fo) */
	const char *tick_from;      /* where in.tick came from: "--tick", "the
				     * file", "the journal header", "the
				     * configuration", "LOBSTER" */
	const char *lot_from;       /* the same for in.lot */
	uint64_t n_px, n_qty;       /* prices and sizes sampled */
	char grid_px[24];           /* largest tick every sampled price lies
				     * on (their gcd), text; "" none sampled */
	char grid_qty[24];          /* the same for sizes */
	int  recv_clock;            /* the data is timed by receive time
				     * (Binance; a journal converted from it) */
	char from_txt[2][64];       /* storage tick_from / lot_from may use */
};

/*
 * The format, instrument and reader options of the file at path for the
 * request *w, implemented once for every tool that reads market data:
 *   LOBSTER  symbol from the file name (AAPL_...), tick 0.01 USD, lot 1
 *            share, USD, point value = lot;
 *   Binance  symbol from the "s" field, tick and lot the largest powers of
 *            ten the sampled prices and sizes lie on, currency the quote
 *            asset (BTCUSDT: USDT), point value = lot;
 *   MT5, NEG the configured instrument (w->conf; WIN: 5, 1, BRL, 0.2), NEG
 *            symbol the file's first (or w->symbol); point value the
 *            configuration's when the symbol starts with the configured
 *            one, else 1 (stocks, options: currency per price unit);
 *   journal  its header (a tick or lot given must equal it).
 * w->tick / w->lot replace the defaults.  The tick and lot are checked on
 * the first FEED_SAMPLE_EVENTS events: more than FEED_FIT_MAX_OFF of the
 * prices (sizes) off the grid is -EDOM with a message naming the tick
 * (lot) that fits.  Returns 0, or a negative error with one line in err:
 * -EINVAL (a malformed tick, lot or symbol), -EDOM (does not fit), or
 * feed_open's errors.  Opens and reads the file (inflated when gzip); allocates;
 * start-up code only.
 */
int feed_resolve(const char *path, const struct feed_want *w, struct feed_plan *p,
		 char *err, size_t errlen);

/* The configured instrument (cfg: struct cfg_instrument of
 * libcore/config/config.h) as a feed_instr: its symbol, tick, lot, currency and
 * point value.  Pure. */
struct cfg_instrument;
void feed_instr_from_config(struct feed_instr *in, const struct cfg_instrument *cfg);

/* An exact decimal of at most FEED_DEC_MAX decimals, > 0, as an integer
 * count of 10^-FEED_DEC_MAX: "0.01" -> 1000000.  0 or -EINVAL. */
int feed_dec_parse(const char *s, int64_t *out);

/* The shortest decimal text of v x 10^-FEED_DEC_MAX: 1000000 -> "0.01". */
void feed_dec_text(int64_t v, char *buf, size_t len);

/* feed_opts.tick for a tick in the shown price unit: LOBSTER files count
 * dollars x 10000; rounded to 12 decimals, as the readers take exact
 * decimals. */
double feed_file_tick(enum feed_format fmt, double tick);

/* The format FEED_AUTO finds for path with options o (the enum value,
 * > 0), or feed_open's negative error with its message in err.  Opens
 * and closes a reader. */
int feed_detect(const char *path, const struct feed_opts *o, char *err, size_t errlen);

/* The format a file name alone tells (LOBSTER "_message_N" /
 * "_orderbook_N", NEG "NEG_"), FEED_AUTO when it tells none.  Touches no
 * file: for pipes, which cannot be read twice. */
enum feed_format feed_detect_name(const char *path);

/* One symbol of a multi-symbol file (feed_list_symbols). */
struct feed_symbol {
	char     name[FEED_SYMBOL_MAX];
	uint64_t rows;     /* data rows (NEG) or messages (Binance) naming it */
	uint64_t trades;   /* of which trades (NEG: not cancelled) */
};

/*
 * The symbols of a NEG file (its instrument column) or a Binance capture
 * (the "s" fields), in order of first appearance, into out[0..cap); the
 * count found (may exceed cap: the rest are not stored), or a negative
 * error with one line in err (-EINVAL for another format).  Reads the
 * whole file (inflated when gzip); start-up code.
 */
int feed_list_symbols(const char *path, enum feed_format fmt, struct feed_symbol *out,
		      uint32_t cap, char *err, size_t errlen);

#endif /* DM_LIBCORE_FEED_FEED_H */
