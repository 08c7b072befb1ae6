/*
 * mt5_proto.h — the MetaTrader 5 bridge protocol: frames, messages, and a
 * streaming decoder (docs/mt5-bridge.md).
 *
 * Design note.  An Expert Advisor inside MetaTrader 5 connects to
 * DreamMaker over TCP and both sides exchange frames:
 *
 *   frame   = header (MT5_HDR_SIZE = 28 bytes) + payload (0..MT5_PAYLOAD_MAX)
 *   header  = magic "DM5B" | version u8 | flags u8 | type u16 | payload_len
 *             u32 | seq u64 | payload_crc u32 | hdr_crc u32, little-endian
 *             (struct mt5_frame_hdr; the byte table is the document's)
 *
 * Both checksums are CRC32C (Castagnoli, reflected, init and final xor
 * ~0; the journal's, libcore/journal/journal.h).  The header has its own
 * so that a damaged length is caught before the decoder waits for the
 * bytes it announces.
 *
 * Every message layout comes from one description, mt5_msgs.def: the
 * structs below, their encoders and decoders (no struct is ever copied
 * onto the wire: each field is written byte by byte, little-endian), the
 * value checks (an enumerated field must hold one of its values, a text
 * field is NUL-padded, an array count is within its maximum), and the
 * descriptor tables from which the Expert Advisor's MQL5 include and the
 * document's byte tables are generated (mt5_gen.h).  A decoded message
 * encodes back to the same bytes.
 *
 * The streaming decoder takes bytes as they arrive, in any chunks, and
 * gives back whole frames, or one error at a time with the bytes it
 * skipped.  Its resync rule:
 *
 *   - bytes that do not start with the magic are garbage: skipped up to
 *     the next byte that could start one (MT5_EGARBAGE);
 *   - a header with another version (MT5_EVERSION), a wrong header
 *     checksum (MT5_EHDRCRC) or a length above the maximum
 *     (MT5_ETOOLONG) cannot be trusted: one byte is skipped and the
 *     search for the magic goes on;
 *   - a header that checks out is trusted: a frame with a wrong payload
 *     checksum (MT5_ECRC) or reserved flag bits set (MT5_EFLAGS) is
 *     skipped whole, once all its bytes are in.
 *
 * What a session does about them (count, ask for a resend, close) is the
 * document's; this module only reports.
 *
 * Pure: no I/O, no clock, no allocation, no locks; every buffer is the
 * caller's.  Any thread, one thread per struct mt5_dec.
 */
#ifndef DM_LIBCORE_MT5_MT5_PROTO_H
#define DM_LIBCORE_MT5_MT5_PROTO_H

#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------ constants */

/* MT5_PROTO_VERSION, MT5_FRAME_MAGIC, MT5_HDR_SIZE, MT5_PAYLOAD_MAX,
 * MT5_FF_RESENT, MT5_NONCE_LEN, MT5_MAC_LEN, MT5_BOOK_LEVELS_MAX */
enum {
#define MT5_CONST(name, value, doc) MT5_##name = (value),
#include "libcore/mt5/mt5_msgs.def"
};

#define MT5_FRAME_MAX (MT5_HDR_SIZE + MT5_PAYLOAD_MAX)

/* The module's errors, returned negated (like -errno); mt5_strerror()
 * names them and every other code. */
enum mt5_err {
	MT5_EBASE = 10100,
	MT5_EGARBAGE,   /* bytes that do not start a frame, skipped */
	MT5_EHDRCRC,    /* header checksum wrong */
	MT5_EVERSION,   /* another protocol version in the header */
	MT5_EFLAGS,     /* reserved header flag bits set */
	MT5_ETOOLONG,   /* payload length above MT5_PAYLOAD_MAX */
	MT5_ECRC,       /* payload checksum wrong */
	MT5_ETYPE,      /* unknown message type */
	MT5_ELENGTH,    /* payload length does not fit the message's layout */
	MT5_EVALUE,     /* a field outside its enumeration, a text not NUL-padded,
	                 * an array count above its maximum */
	MT5_ESEQ,       /* sequence number 0 on a sequenced message, or not 0 on
	                 * another; a sequence going backwards */
	MT5_EAUTH,      /* an HMAC that does not verify */
	MT5_EREPLAY,    /* a nonce seen before, or another connection's */
	MT5_EPROTO,     /* a message out of place */
	MT5_EREFUSED,   /* the peer refused the handshake */
	MT5_ETIMEOUT,   /* the handshake or the peer took too long */
	MT5_ELAST
};

/* A name for err (negative or not): the module's codes, then dm_strerror. */
const char *mt5_strerror(int err);

/* ------------------------------------------------------------ enumerations */

/* enum mt5_side { MT5_SIDE_BUY = 1, MT5_SIDE_SELL = 2 }, ... one per
 * MT5_ENUM of the description */
#define MT5_ENUM(name, NAME, doc) enum mt5_##name {
#define MT5_VAL(name, NAME, VALUE, number, doc) MT5_##NAME##_##VALUE = (number),
#define MT5_ENUM_END(name) };
#include "libcore/mt5/mt5_msgs.def"

/* Message types: MT5_T_HELLO = 1, ... */
enum mt5_type {
#define MT5_MSG(name, NAME, type, dir, seq, doc) MT5_T_##NAME = (type),
#include "libcore/mt5/mt5_msgs.def"
};

/* Which side sends a message type; whether it is sequenced. */
enum mt5_dir { MT5_DIR_E2D = 1, MT5_DIR_D2E = 2, MT5_DIR_BOTH = 3 };
enum mt5_seqc { MT5_SEQC_UNSEQ = 0, MT5_SEQC_SEQ = 1 };

/* ------------------------------------------------------------ layouts */

#define MT5_CTYPE_u8  uint8_t
#define MT5_CTYPE_u16 uint16_t
#define MT5_CTYPE_u32 uint32_t
#define MT5_CTYPE_u64 uint64_t
#define MT5_CTYPE_i32 int32_t
#define MT5_CTYPE_i64 int64_t
#define MT5_SZ_u8  1
#define MT5_SZ_u16 2
#define MT5_SZ_u32 4
#define MT5_SZ_u64 8
#define MT5_SZ_i32 4
#define MT5_SZ_i64 8
#define MT5_SG_u8  0
#define MT5_SG_u16 0
#define MT5_SG_u32 0
#define MT5_SG_u64 0
#define MT5_SG_i32 1
#define MT5_SG_i64 1

/*
 * Wire sizes: MT5_SIZE_<REC> of each record; of each message
 * MT5_FIXED_<MSG>, the bytes before its array (all of it when it has
 * none), and MT5_MAX_<MSG>, its largest payload.
 */
enum {
#define MT5_REC(name, NAME, doc) MT5_SIZE_##NAME = 0
#define MT5_F(rec, type, field, en, doc) + MT5_SZ_##type
#define MT5_BYTES(rec, field, n, doc) + (n)
#define MT5_TEXT(rec, field, n, doc) + (n)
#define MT5_REC_END(name) ,
#define MT5_MSG(name, NAME, type, dir, seq, doc) MT5_FIXED_##NAME = 0
#define MT5_MSG_END(name) ,
#include "libcore/mt5/mt5_msgs.def"
};
/* MT5_SIZE_book_level and friends: the array macro names records by their
 * lower-case name */
enum {
#define MT5_REC(name, NAME, doc) MT5_SIZE_##name = MT5_SIZE_##NAME,
#include "libcore/mt5/mt5_msgs.def"
};
enum {
#define MT5_MSG(name, NAME, type, dir, seq, doc) MT5_MAX_##NAME = MT5_FIXED_##NAME
#define MT5_ARRAY(rec, field, count, MAX, sub, doc) + MT5_##MAX * MT5_SIZE_##sub
#define MT5_MSG_END(name) ,
#include "libcore/mt5/mt5_msgs.def"
};

/*
 * One struct per record and message: struct mt5_frame_hdr, struct
 * mt5_book_level, struct mt5_hello, struct mt5_tick, ...  Integers as
 * their wire type; bytes as uint8_t[n]; a text as char[n], NUL-terminated
 * within n; an array as the record's struct [MAX] of which the count
 * field says how many are used.
 */
#define MT5_REC(name, NAME, doc) struct mt5_##name {
#define MT5_MSG(name, NAME, type, dir, seq, doc) struct mt5_##name {
#define MT5_F(rec, type, field, en, doc) MT5_CTYPE_##type field;
#define MT5_BYTES(rec, field, n, doc) uint8_t field[n];
#define MT5_TEXT(rec, field, n, doc) char field[n];
#define MT5_ARRAY(rec, field, count, MAX, sub, doc) struct mt5_##sub field[MT5_##MAX];
#define MT5_REC_END(name) };
#define MT5_MSG_END(name) };
#include "libcore/mt5/mt5_msgs.def"

_Static_assert((int)MT5_SIZE_FRAME_HDR == (int)MT5_HDR_SIZE, "the header's fields make MT5_HDR_SIZE");

/* Every message's largest payload fits a frame. */
#define MT5_MSG(name, NAME, type, dir, seq, doc) \
	_Static_assert((int)MT5_MAX_##NAME <= (int)MT5_PAYLOAD_MAX, #NAME " fits MT5_PAYLOAD_MAX");
#include "libcore/mt5/mt5_msgs.def"

/* Any message, tagged by its type (m.type selects m.u.<name>). */
struct mt5_msg {
	uint16_t type;               /* enum mt5_type */
	union {
#define MT5_MSG(name, NAME, type, dir, seq, doc) struct mt5_##name name;
#include "libcore/mt5/mt5_msgs.def"
	} u;
};

/* A decoded frame: its header and a view of its payload (payload_len
 * bytes, inside the buffer it came from: valid until that buffer moves). */
struct mt5_frame {
	struct mt5_frame_hdr h;
	const uint8_t *payload;
};

/* ------------------------------------------------------------ frames and messages */

/* CRC32C of n bytes (journal_crc32c from 0).  Pure. */
uint32_t mt5_crc32c(const void *p, size_t n);

/*
 * Encode m as one frame into out (cap bytes): the header with seq and
 * flags (0 or MT5_FF_RESENT), then the payload.  Returns the frame's
 * length, or -ENOBUFS (cap too small), -EINVAL (unknown type, flags),
 * -MT5_ESEQ (seq 0 on a sequenced type, or not 0 on another),
 * -MT5_EVALUE (a field the decoder would refuse).  Pure; no allocation.
 */
int mt5_msg_encode(uint8_t *out, size_t cap, uint64_t seq, uint8_t flags,
                   const struct mt5_msg *m);

/* The same for one message type without the union: mt5_encode_hello(out,
 * cap, seq, flags, &hello), ... */
#define MT5_MSG(name, NAME, type, dir, seq, doc) \
	int mt5_encode_##name(uint8_t *out, size_t cap, uint64_t seq_, uint8_t flags, \
	                      const struct mt5_##name *m);
#include "libcore/mt5/mt5_msgs.def"

/*
 * Just the payload of m into out (cap bytes): its length, or the errors
 * of mt5_msg_encode but -MT5_ESEQ.  (The handshake's MACs cover payload
 * bytes.)  Pure.
 */
int mt5_payload_encode(uint8_t *out, size_t cap, const struct mt5_msg *m);

/*
 * Decode the frame f into *m: 0, or -MT5_ETYPE, -MT5_ELENGTH, -MT5_EVALUE,
 * -MT5_ESEQ (see enum mt5_err).  m is partly written on failure.  Pure.
 */
int mt5_msg_decode(const struct mt5_frame *f, struct mt5_msg *m);

/* A payload of the given type alone (no sequence check): as above. */
int mt5_payload_decode(uint16_t type, const uint8_t *p, uint32_t n, struct mt5_msg *m);

/*
 * Parse and check a whole frame held in p (n bytes, n >= the frame):
 * 1 with *f (payload inside p) and the frame's length in *len, 0 when p
 * holds less than a frame, or a negative error of the streaming decoder
 * (not MT5_EGARBAGE: p must start with the magic, else -MT5_EGARBAGE).
 * Pure.
 */
int mt5_frame_parse(const uint8_t *p, size_t n, struct mt5_frame *f, size_t *len);

/* Set MT5_FF_RESENT in an encoded frame and seal its header again.  Pure. */
void mt5_frame_mark_resent(uint8_t *frame);

/* "HELLO", "TICK"... ("?" for an unknown type). */
const char *mt5_msg_name(uint16_t type);
/* enum mt5_dir of a type, 0 when unknown. */
int mt5_msg_dir(uint16_t type);
/* 1 for a sequenced type, 0 for another, -1 when unknown. */
int mt5_msg_sequenced(uint16_t type);

/* ------------------------------------------------------------ streaming decoder */

/* The decoder's counters (never reset by it). */
struct mt5_dec_stats {
	uint64_t frames;             /* frames returned */
	uint64_t bytes;              /* bytes taken in */
	uint64_t skipped;            /* bytes skipped by errors */
	uint64_t errors[MT5_ELAST - MT5_EBASE]; /* by error, errors[e - MT5_EBASE] */
};

struct mt5_dec {
	uint8_t *buf;                /* the caller's buffer */
	uint32_t cap;                /* its size, >= MT5_FRAME_MAX */
	uint32_t head;               /* first byte not yet consumed */
	uint32_t tail;               /* one past the last byte taken in */
	uint32_t last_skip;          /* bytes the last error skipped */
	struct mt5_dec_stats st;
};

/*
 * Initialise d over the caller's buffer (cap >= MT5_FRAME_MAX; 2 x that
 * lets a receive land while a frame is pending).  0 or -EINVAL.  Pure.
 */
int mt5_dec_init(struct mt5_dec *d, void *buf, size_t cap);

/*
 * Where to receive into, and how many bytes fit there (*room >= 1 once
 * mt5_dec_next has returned 0): compacts the buffer, so every frame view
 * handed out before is invalid after this call.  Then mt5_dec_commit(d,
 * n) with the n bytes written there.  (So a recv or an io_uring read may
 * land in the decoder's buffer with no copy.)
 */
uint8_t *mt5_dec_space(struct mt5_dec *d, uint32_t *room);
void mt5_dec_commit(struct mt5_dec *d, uint32_t n);

/* Copy up to n bytes of p in (mt5_dec_space + commit): the bytes taken,
 * fewer than n when the buffer is full (take frames out, push the rest). */
size_t mt5_dec_push(struct mt5_dec *d, const void *p, size_t n);

/*
 * The next event: 1 and a frame in *f (its payload a view into the
 * buffer, valid until the next mt5_dec_space or mt5_dec_push), 0 when
 * more bytes are needed, or one negative error (MT5_EGARBAGE,
 * MT5_EVERSION, MT5_EHDRCRC, MT5_ETOOLONG, MT5_ECRC, MT5_EFLAGS) after
 * which d->last_skip bytes were skipped by the resync rule above; call
 * again to go on.  O(bytes examined); no allocation.
 */
int mt5_dec_next(struct mt5_dec *d, struct mt5_frame *f);

/* Bytes taken in and not yet consumed. */
static inline uint32_t mt5_dec_pending(const struct mt5_dec *d)
{
	return d->tail - d->head;
}

/* ------------------------------------------------------------ the description */

enum mt5_fkind { MT5_FK_INT = 1, MT5_FK_BYTES, MT5_FK_TEXT, MT5_FK_ARRAY };

struct mt5_val_desc {
	const char *name;            /* "BUY" */
	int64_t value;
	const char *doc;
};

struct mt5_enum_desc {
	const char *name;            /* "side"; NULL for the absent enumeration */
	const char *upper;           /* "SIDE" */
	const char *doc;
	const struct mt5_val_desc *vals;
	uint32_t n_vals;
};

struct mt5_field_desc {
	const char *name;            /* NULL ends a list */
	uint8_t kind;                /* enum mt5_fkind */
	uint8_t is_signed;           /* INT: i32, i64 */
	uint16_t size;               /* INT: 1..8; BYTES, TEXT: n; ARRAY: record size */
	const char *type;            /* INT: "u8".."i64"; BYTES "bytes"; TEXT "text";
	                              * ARRAY: the record's name */
	const struct mt5_enum_desc *en; /* INT: its values (en->name NULL: any) */
	const char *count;           /* ARRAY: the count field */
	uint32_t max;                /* ARRAY: most entries */
	const char *max_name;        /* ARRAY: the constant naming max */
	const char *doc;
};

struct mt5_rec_desc {
	const char *name;            /* "hello", "book_level" */
	const char *upper;           /* "HELLO" */
	uint16_t type;               /* messages: enum mt5_type; records 0 */
	uint8_t dir;                 /* messages: enum mt5_dir */
	uint8_t seq;                 /* messages: enum mt5_seqc */
	uint32_t fixed;              /* wire bytes before an array (all when none) */
	uint32_t max;                /* largest wire size */
	const struct mt5_field_desc *fields;
	uint32_t n_fields;
	const char *doc;
};

struct mt5_const_desc {
	const char *name;            /* "PROTO_VERSION" */
	int64_t value;
	const char *doc;
};

/* The description's tables, in its order; *n gets their lengths. */
const struct mt5_const_desc *mt5_desc_consts(size_t *n);
const struct mt5_enum_desc *mt5_desc_enums(size_t *n);
const struct mt5_rec_desc *mt5_desc_records(size_t *n);   /* records only */
const struct mt5_rec_desc *mt5_desc_messages(size_t *n);  /* messages only */
/* The message of a type, or NULL. */
const struct mt5_rec_desc *mt5_desc_message(uint16_t type);

/*
 * FNV-1a 32 of the description's layouts (every constant, enumeration,
 * record and message with its fields, names, types, sizes and order; not
 * the documentation strings).  HELLO and CHALLENGE carry it: two ends
 * built from different descriptions refuse each other.  Pure.
 */
uint32_t mt5_schema_hash(void);

#endif /* DM_LIBCORE_MT5_MT5_PROTO_H */
