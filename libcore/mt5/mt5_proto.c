/*
 * mt5_proto.c — frames, the message codecs expanded from mt5_msgs.def,
 * the streaming decoder and the description's tables (mt5_proto.h).
 *
 * Every encoder writes field after field with explicit little-endian
 * stores (put_*) and every decoder reads them back (get_*); the compiler
 * turns those into plain loads and stores on a little-endian machine,
 * and they stay right on any other.  The generated functions are:
 *
 *   enc_<rec>(q, m)      fields of m at q; the end, or NULL for a value
 *                        the decoder would refuse
 *   dec_<rec>(p, m)      fields at p into m; the end, or NULL likewise
 *   dec_msg_<msg>(p, n, m)  a whole payload: 0 or -MT5_ELENGTH/-MT5_EVALUE
 *   size_<msg>(m)        payload bytes of m (its array's count used)
 */
#include "libcore/mt5/mt5_proto.h"

#include <errno.h>
#include <string.h>

#include "libcore/journal/journal.h"
#include "libcore/types.h"
#include "mt5_int.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ bytes */

/* A text field: at most n - 1 bytes, NUL-padded to n. */
static uint8_t *put_text(uint8_t *q, const char *s, size_t n)
{
	size_t l = strnlen(s, n);

	if (l >= n)
		return NULL;
	memcpy(q, s, l);
	memset(q + l, 0, n - l);
	return q + n;
}

/* The n bytes at p into out (char[n]): 0, or -1 when they hold no NUL or
 * anything but NULs after the first one. */
static int get_text(const uint8_t *p, size_t n, char *out)
{
	const uint8_t *z = memchr(p, 0, n);

	if (!z)
		return -1;
	for (const uint8_t *r = z + 1; r < p + n; r++)
		if (*r)
			return -1;
	memcpy(out, p, n);
	return 0;
}

uint32_t mt5_crc32c(const void *p, size_t n)
{
	return journal_crc32c(0, p, n);
}

/* ------------------------------------------------------------ value checks */

/* mt5_ok_<enum>(v): 1 when v is one of the enumeration's values */
static inline int mt5_ok_none(uint64_t v)
{
	(void)v;
	return 1;
}

#define MT5_ENUM(name, NAME, doc)                                           \
	static inline int mt5_ok_##name(uint64_t v)                          \
	{                                                                    \
		switch (v) {
#define MT5_VAL(name, NAME, VALUE, number, doc) case (number):
#define MT5_ENUM_END(name)                                                  \
			return 1;                                            \
		default:                                                     \
			return 0;                                            \
		}                                                            \
	}
#include "libcore/mt5/mt5_msgs.def"

/* ------------------------------------------------------------ encoders */

#define MT5_REC(name, NAME, doc)                                            \
	static uint8_t *enc_##name(uint8_t *q, const struct mt5_##name *m)   \
	{
#define MT5_MSG(name, NAME, type, dir, seq, doc) MT5_REC(name, NAME, doc)
#define MT5_F(rec, type, field, en, doc)                                    \
		if (!mt5_ok_##en((uint64_t)m->field))                        \
			return NULL;                                         \
		q = put_##type(q, m->field);
#define MT5_BYTES(rec, field, n, doc)                                       \
		memcpy(q, m->field, n);                                      \
		q += (n);
#define MT5_TEXT(rec, field, n, doc)                                        \
		if (!(q = put_text(q, m->field, n)))                         \
			return NULL;
#define MT5_ARRAY(rec, field, count, MAX, sub, doc)                         \
		if (m->count > MT5_##MAX)                                    \
			return NULL;                                         \
		for (uint32_t i_ = 0; i_ < m->count; i_++)                   \
			if (!(q = enc_##sub(q, &m->field[i_])))              \
				return NULL;
#define MT5_REC_END(name)                                                   \
		return q;                                                    \
	}
#define MT5_MSG_END(name) MT5_REC_END(name)
#include "libcore/mt5/mt5_msgs.def"

/* size_<msg>(m): payload bytes of m, its array's count as it stands
 * (enc_ refuses a count above the maximum) */
#define MT5_MSG(name, NAME, type, dir, seq, doc)                            \
	static size_t size_##name(const struct mt5_##name *m)                \
	{                                                                    \
		size_t n = MT5_FIXED_##NAME;                                 \
		(void)m;
#define MT5_ARRAY(rec, field, count, MAX, sub, doc)                         \
		n += (size_t)m->count * MT5_SIZE_##sub;
#define MT5_MSG_END(name)                                                   \
		return n;                                                    \
	}
#include "libcore/mt5/mt5_msgs.def"

/* ------------------------------------------------------------ decoders */

/* dec_<rec or msg>(p, end, m, err): the fields at p into m; the end, or
 * NULL with *err = -MT5_EVALUE or -MT5_ELENGTH (an array that does not
 * fill the payload to end exactly) */
#define MT5_REC(name, NAME, doc)                                            \
	static __attribute__((unused)) const uint8_t *                       \
	dec_##name(const uint8_t *p, const uint8_t *end, struct mt5_##name *m, int *err) \
	{                                                                    \
		(void)end;
#define MT5_MSG(name, NAME, type, dir, seq, doc) MT5_REC(name, NAME, doc)
#define MT5_F(rec, type, field, en, doc)                                    \
		m->field = get_##type(p);                                    \
		p += MT5_SZ_##type;                                          \
		if (!mt5_ok_##en((uint64_t)m->field))                        \
			goto bad_value;
#define MT5_BYTES(rec, field, n, doc)                                       \
		memcpy(m->field, p, n);                                      \
		p += (n);
#define MT5_TEXT(rec, field, n, doc)                                        \
		if (get_text(p, n, m->field))                                \
			goto bad_value;                                      \
		p += (n);
#define MT5_ARRAY(rec, field, count, MAX, sub, doc)                         \
		if (m->count > MT5_##MAX)                                    \
			goto bad_value;                                      \
		if ((size_t)(end - p) != (size_t)m->count * MT5_SIZE_##sub) {\
			*err = -MT5_ELENGTH;                                 \
			return NULL;                                         \
		}                                                            \
		for (uint32_t i_ = 0; i_ < m->count; i_++)                   \
			if (!(p = dec_##sub(p, end, &m->field[i_], err)))    \
				return NULL;
#define MT5_REC_END(name)                                                   \
		return p;                                                    \
	bad_value: __attribute__((unused))                                   \
		*err = -MT5_EVALUE;                                          \
		return NULL;                                                 \
	}
#define MT5_MSG_END(name) MT5_REC_END(name)
#include "libcore/mt5/mt5_msgs.def"

/* dec_msg_<msg>(p, n, m): a whole payload, 0 or a negative error */
#define MT5_MSG(name, NAME, type, dir, seq, doc)                            \
	static int dec_msg_##name(const uint8_t *p, uint32_t n, struct mt5_##name *m) \
	{                                                                    \
		const uint8_t *q;                                            \
		int err = 0;                                                 \
		if (n < MT5_FIXED_##NAME)                                    \
			return -MT5_ELENGTH;                                 \
		if (!(q = dec_##name(p, p + n, m, &err)))                    \
			return err;                                          \
		return q == p + n ? 0 : -MT5_ELENGTH;                        \
	}
#include "libcore/mt5/mt5_msgs.def"

/* ------------------------------------------------------------ the description */

static const struct mt5_const_desc const_descs[] = {
#define MT5_CONST(name, value, doc) { #name, (value), doc },
#include "libcore/mt5/mt5_msgs.def"
};

/* the values of each enumeration */
#define MT5_ENUM(name, NAME, doc) static const struct mt5_val_desc vals_##name[] = {
#define MT5_VAL(name, NAME, VALUE, number, doc) { #VALUE, (number), doc },
#define MT5_ENUM_END(name) };
#include "libcore/mt5/mt5_msgs.def"

/* one descriptor per enumeration after the absent one (en = none) */
enum {
	EIDX_none,
#define MT5_ENUM(name, NAME, doc) EIDX_##name,
#include "libcore/mt5/mt5_msgs.def"
	EIDX_COUNT
};
static const struct mt5_enum_desc enum_descs[] = {
	[EIDX_none] = { .name = NULL },
#define MT5_ENUM(name, NAME, doc)                                           \
	[EIDX_##name] = { #name, #NAME, doc, vals_##name, ARRAY_SIZE(vals_##name) },
#include "libcore/mt5/mt5_msgs.def"
};

/* the fields of each record and message, NULL-terminated */
#define MT5_REC(nm, NM, dc) static const struct mt5_field_desc fields_##nm[] = {
#define MT5_MSG(nm, NM, ty, dr, sq, dc) MT5_REC(nm, NM, dc)
#define MT5_F(r_, ty, f_, e_, dc)                                           \
	{ .name = #f_, .kind = MT5_FK_INT, .size = MT5_SZ_##ty,              \
	  .is_signed = MT5_SG_##ty, .type = #ty, .en = &enum_descs[EIDX_##e_], .doc = dc },
#define MT5_BYTES(r_, f_, n_, dc)                                           \
	{ .name = #f_, .kind = MT5_FK_BYTES, .size = (n_), .type = "bytes",  \
	  .en = &enum_descs[EIDX_none], .doc = dc },
#define MT5_TEXT(r_, f_, n_, dc)                                            \
	{ .name = #f_, .kind = MT5_FK_TEXT, .size = (n_), .type = "text",    \
	  .en = &enum_descs[EIDX_none], .doc = dc },
#define MT5_ARRAY(r_, f_, cnt, MX, sub, dc)                                 \
	{ .name = #f_, .kind = MT5_FK_ARRAY, .size = MT5_SIZE_##sub,         \
	  .type = #sub, .en = &enum_descs[EIDX_none], .count = #cnt,         \
	  .max = MT5_##MX, .max_name = #MX, .doc = dc },
#define MT5_REC_END(nm) { .name = NULL } };
#define MT5_MSG_END(nm) MT5_REC_END(nm)
#include "libcore/mt5/mt5_msgs.def"

static const struct mt5_rec_desc rec_descs[] = {
#define MT5_REC(name, NAME, doc)                                            \
	{ #name, #NAME, 0, 0, 0, MT5_SIZE_##NAME, MT5_SIZE_##NAME, fields_##name, \
	  ARRAY_SIZE(fields_##name) - 1, doc },
#include "libcore/mt5/mt5_msgs.def"
};

static const struct mt5_rec_desc msg_descs[] = {
#define MT5_MSG(name, NAME, type, dir, seq, doc)                            \
	{ #name, #NAME, (type), MT5_DIR_##dir, MT5_SEQC_##seq, MT5_FIXED_##NAME, \
	  MT5_MAX_##NAME, fields_##name, ARRAY_SIZE(fields_##name) - 1, doc },
#include "libcore/mt5/mt5_msgs.def"
};

/* type -> 1 + its index in msg_descs, 0 for none */
enum {
#define MT5_MSG(name, NAME, type, dir, seq, doc) MT5_IDX_##NAME,
#include "libcore/mt5/mt5_msgs.def"
};
static const uint8_t type_index[256] = {
#define MT5_MSG(name, NAME, type, dir, seq, doc) [type] = MT5_IDX_##NAME + 1,
#include "libcore/mt5/mt5_msgs.def"
};
#define MT5_MSG(name, NAME, type, dir, seq, doc) \
	_Static_assert((type) > 0 && (type) < 256, #NAME ": types are 1..255");
#include "libcore/mt5/mt5_msgs.def"

/* ------------------------------------------------------------ frames */

/* The header of a frame whose payload (len bytes) is already at
 * out + MT5_HDR_SIZE: both checksums. */
static void seal(uint8_t *out, uint16_t type, uint64_t seq, uint8_t flags, uint32_t len)
{
	const struct mt5_frame_hdr h = {
		.magic = MT5_FRAME_MAGIC, .version = MT5_PROTO_VERSION, .flags = flags,
		.type = type, .payload_len = len, .seq = seq,
		.payload_crc = mt5_crc32c(out + MT5_HDR_SIZE, len), .hdr_crc = 0,
	};

	enc_frame_hdr(out, &h);
	put_u32(out + MT5_HDR_SIZE - 4, mt5_crc32c(out, MT5_HDR_SIZE - 4));
}

void mt5_frame_mark_resent(uint8_t *frame)
{
	frame[5] |= MT5_FF_RESENT;
	put_u32(frame + MT5_HDR_SIZE - 4, mt5_crc32c(frame, MT5_HDR_SIZE - 4));
}

const struct mt5_rec_desc *mt5_desc_message(uint16_t type)
{
	if (type >= ARRAY_SIZE(type_index) || !type_index[type])
		return NULL;
	return &msg_descs[type_index[type] - 1];
}

const char *mt5_msg_name(uint16_t type)
{
	const struct mt5_rec_desc *d = mt5_desc_message(type);

	return d ? d->upper : "?";
}

int mt5_msg_dir(uint16_t type)
{
	const struct mt5_rec_desc *d = mt5_desc_message(type);

	return d ? d->dir : 0;
}

int mt5_msg_sequenced(uint16_t type)
{
	const struct mt5_rec_desc *d = mt5_desc_message(type);

	return d ? d->seq : -1;
}

static int seq_fits(uint16_t type, uint64_t seq)
{
	return (mt5_msg_sequenced(type) == MT5_SEQC_SEQ) == (seq != 0);
}

#define MT5_MSG(name, NAME, type, dir, seq, doc)                            \
	int mt5_encode_##name(uint8_t *out, size_t cap, uint64_t seq_, uint8_t flags, \
	                      const struct mt5_##name *m)                     \
	{                                                                    \
		size_t n = size_##name(m);                                   \
		uint8_t *q;                                                  \
		if (flags & ~MT5_FF_RESENT)                                  \
			return -EINVAL;                                      \
		if (!seq_fits(MT5_T_##NAME, seq_))                           \
			return -MT5_ESEQ;                                    \
		if (n > MT5_MAX_##NAME)                                      \
			return -MT5_EVALUE;                                  \
		if (cap < MT5_HDR_SIZE + n)                                  \
			return -ENOBUFS;                                     \
		if (!(q = enc_##name(out + MT5_HDR_SIZE, m)))                \
			return -MT5_EVALUE;                                  \
		seal(out, MT5_T_##NAME, seq_, flags, (uint32_t)n);           \
		return (int)(MT5_HDR_SIZE + n);                              \
	}
#include "libcore/mt5/mt5_msgs.def"

int mt5_msg_encode(uint8_t *out, size_t cap, uint64_t sq, uint8_t flags,
                   const struct mt5_msg *m)
{
	switch (m->type) {
#define MT5_MSG(name, NAME, type, dir, seq, doc)                            \
	case MT5_T_##NAME:                                                   \
		return mt5_encode_##name(out, cap, sq, flags, &m->u.name);
#include "libcore/mt5/mt5_msgs.def"
	default:
		return -EINVAL;
	}
}

int mt5_payload_encode(uint8_t *out, size_t cap, const struct mt5_msg *m)
{
	size_t n;
	uint8_t *q;

	switch (m->type) {
#define MT5_MSG(name, NAME, type, dir, seq, doc)                            \
	case MT5_T_##NAME:                                                   \
		n = size_##name(&m->u.name);                                 \
		if (n > MT5_MAX_##NAME)                                      \
			return -MT5_EVALUE;                                  \
		if (cap < n)                                                 \
			return -ENOBUFS;                                     \
		q = enc_##name(out, &m->u.name);                             \
		break;
#include "libcore/mt5/mt5_msgs.def"
	default:
		return -EINVAL;
	}
	return q ? (int)n : -MT5_EVALUE;
}

int mt5_payload_decode(uint16_t type, const uint8_t *p, uint32_t n, struct mt5_msg *m)
{
	m->type = type;
	switch (type) {
#define MT5_MSG(name, NAME, type, dir, seq, doc)                            \
	case MT5_T_##NAME:                                                   \
		return dec_msg_##name(p, n, &m->u.name);
#include "libcore/mt5/mt5_msgs.def"
	default:
		return -MT5_ETYPE;
	}
}

int mt5_msg_decode(const struct mt5_frame *f, struct mt5_msg *m)
{
	if (!mt5_desc_message(f->h.type))
		return -MT5_ETYPE;
	if (!seq_fits(f->h.type, f->h.seq))
		return -MT5_ESEQ;
	return mt5_payload_decode(f->h.type, f->payload, f->h.payload_len, m);
}

/* ------------------------------------------------------------ parsing */

static const uint8_t magic_bytes[4] = {
	MT5_FRAME_MAGIC & 0xff, (MT5_FRAME_MAGIC >> 8) & 0xff,
	(MT5_FRAME_MAGIC >> 16) & 0xff, (MT5_FRAME_MAGIC >> 24) & 0xff,
};

/* 1 when the n bytes at p (n may be under 4) are a prefix of the magic. */
static int magic_prefix(const uint8_t *p, size_t n)
{
	return memcmp(p, magic_bytes, n < 4 ? n : 4) == 0;
}

/* Bytes from p to the first later position that could start a frame
 * (the magic, or a prefix of it cut by the end), n when none. */
static size_t garbage_len(const uint8_t *p, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		const uint8_t *d = memchr(p + i, magic_bytes[0], n - i);

		if (!d)
			return n;
		i = (size_t)(d - p);
		if (magic_prefix(d, n - i))
			return i;
	}
	return n;
}

/*
 * The core of mt5_dec_next and mt5_frame_parse over the n bytes at p: 1
 * with *f and the frame's length in *used; 0 for more bytes; or an error
 * with the bytes to skip in *used.
 */
static int parse(const uint8_t *p, size_t n, struct mt5_frame *f, size_t *used)
{
	struct mt5_frame_hdr h;
	int err = 0;

	if (!magic_prefix(p, n)) {
		*used = garbage_len(p, n);
		return -MT5_EGARBAGE;
	}
	if (n < MT5_HDR_SIZE)
		return 0;
	*used = 1;
	if (p[4] != MT5_PROTO_VERSION)
		return -MT5_EVERSION;
	if (!dec_frame_hdr(p, p + MT5_HDR_SIZE, &h, &err))
		return -MT5_EVALUE;          /* never: the header has no checked field */
	if (mt5_crc32c(p, MT5_HDR_SIZE - 4) != h.hdr_crc)
		return -MT5_EHDRCRC;
	if (h.payload_len > MT5_PAYLOAD_MAX)
		return -MT5_ETOOLONG;
	if (n < MT5_HDR_SIZE + (size_t)h.payload_len)
		return 0;
	/* the header checks out: a bad frame is skipped whole */
	*used = MT5_HDR_SIZE + (size_t)h.payload_len;
	if (mt5_crc32c(p + MT5_HDR_SIZE, h.payload_len) != h.payload_crc)
		return -MT5_ECRC;
	if (h.flags & ~MT5_FF_RESENT)
		return -MT5_EFLAGS;
	f->h = h;
	f->payload = p + MT5_HDR_SIZE;
	return 1;
}

int mt5_frame_parse(const uint8_t *p, size_t n, struct mt5_frame *f, size_t *len)
{
	size_t used = 0;
	int rc;

	if (n == 0)
		return 0;
	rc = parse(p, n, f, &used);
	if (rc == 1)
		*len = used;
	return rc;
}

/* ------------------------------------------------------------ streaming decoder */

int mt5_dec_init(struct mt5_dec *d, void *buf, size_t cap)
{
	if (!d || !buf || cap < MT5_FRAME_MAX || cap > UINT32_MAX)
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	d->buf = buf;
	d->cap = (uint32_t)cap;
	return 0;
}

uint8_t *mt5_dec_space(struct mt5_dec *d, uint32_t *room)
{
	if (d->head == d->tail) {
		d->head = d->tail = 0;
	} else if (d->head && d->tail == d->cap) {
		memmove(d->buf, d->buf + d->head, d->tail - d->head);
		d->tail -= d->head;
		d->head = 0;
	}
	*room = d->cap - d->tail;
	return d->buf + d->tail;
}

void mt5_dec_commit(struct mt5_dec *d, uint32_t n)
{
	if (n > d->cap - d->tail)
		n = d->cap - d->tail;
	d->tail += n;
	d->st.bytes += n;
}

size_t mt5_dec_push(struct mt5_dec *d, const void *p, size_t n)
{
	uint32_t room;
	uint8_t *dst = mt5_dec_space(d, &room);

	if (n > room)
		n = room;
	memcpy(dst, p, n);
	mt5_dec_commit(d, (uint32_t)n);
	return n;
}

int mt5_dec_next(struct mt5_dec *d, struct mt5_frame *f)
{
	size_t used = 0;
	int rc;

	d->last_skip = 0;
	if (d->head == d->tail)
		return 0;
	rc = parse(d->buf + d->head, d->tail - d->head, f, &used);
	if (rc == 0)
		return 0;
	d->head += (uint32_t)used;
	if (DM_LIKELY(rc == 1)) {
		d->st.frames++;
		return 1;
	}
	d->last_skip = (uint32_t)used;
	d->st.skipped += used;
	d->st.errors[-rc - MT5_EBASE]++;
	return rc;
}

const struct mt5_const_desc *mt5_desc_consts(size_t *n)
{
	*n = ARRAY_SIZE(const_descs);
	return const_descs;
}

const struct mt5_enum_desc *mt5_desc_enums(size_t *n)
{
	*n = ARRAY_SIZE(enum_descs) - 1;
	return enum_descs + 1;
}

const struct mt5_rec_desc *mt5_desc_records(size_t *n)
{
	*n = ARRAY_SIZE(rec_descs);
	return rec_descs;
}

const struct mt5_rec_desc *mt5_desc_messages(size_t *n)
{
	*n = ARRAY_SIZE(msg_descs);
	return msg_descs;
}

/* ------------------------------------------------------------ schema hash */

static uint32_t fnv_bytes(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 16777619u;
	}
	return h;
}

static uint32_t fnv_str(uint32_t h, const char *s)
{
	return fnv_bytes(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

static uint32_t fnv_num(uint32_t h, int64_t v)
{
	uint8_t b[8];

	put_i64(b, v);
	return fnv_bytes(h, b, sizeof(b));
}

static uint32_t hash_recs(uint32_t h, const struct mt5_rec_desc *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h = fnv_str(h, r[i].name);
		h = fnv_num(h, r[i].type);
		h = fnv_num(h, r[i].dir);
		h = fnv_num(h, r[i].seq);
		for (const struct mt5_field_desc *f = r[i].fields; f->name; f++) {
			h = fnv_str(h, f->name);
			h = fnv_num(h, f->kind);
			h = fnv_num(h, f->size);
			h = fnv_str(h, f->type);
			h = fnv_str(h, f->en->name);
			h = fnv_str(h, f->count);
			h = fnv_num(h, f->max);
		}
	}
	return h;
}

uint32_t mt5_schema_hash(void)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < ARRAY_SIZE(const_descs); i++) {
		h = fnv_str(h, const_descs[i].name);
		h = fnv_num(h, const_descs[i].value);
	}
	for (size_t i = 1; i < ARRAY_SIZE(enum_descs); i++) {
		h = fnv_str(h, enum_descs[i].name);
		for (uint32_t v = 0; v < enum_descs[i].n_vals; v++) {
			h = fnv_str(h, enum_descs[i].vals[v].name);
			h = fnv_num(h, enum_descs[i].vals[v].value);
		}
	}
	h = hash_recs(h, rec_descs, ARRAY_SIZE(rec_descs));
	return hash_recs(h, msg_descs, ARRAY_SIZE(msg_descs));
}

/* ------------------------------------------------------------ errors */

const char *mt5_strerror(int err)
{
	static const char *const names[] = {
		[MT5_EGARBAGE - MT5_EBASE] = "bytes that do not start a frame",
		[MT5_EHDRCRC - MT5_EBASE] = "frame header checksum wrong",
		[MT5_EVERSION - MT5_EBASE] = "another protocol version",
		[MT5_EFLAGS - MT5_EBASE] = "reserved frame flag bits set",
		[MT5_ETOOLONG - MT5_EBASE] = "frame payload longer than the protocol allows",
		[MT5_ECRC - MT5_EBASE] = "frame payload checksum wrong",
		[MT5_ETYPE - MT5_EBASE] = "unknown message type",
		[MT5_ELENGTH - MT5_EBASE] = "payload length does not fit the message's layout",
		[MT5_EVALUE - MT5_EBASE] = "a message field holds a value it may not",
		[MT5_ESEQ - MT5_EBASE] = "sequence number does not fit the message",
		[MT5_EAUTH - MT5_EBASE] = "authentication failed (another secret)",
		[MT5_EREPLAY - MT5_EBASE] = "a nonce seen before (replay)",
		[MT5_EPROTO - MT5_EBASE] = "a message out of place",
		[MT5_EREFUSED - MT5_EBASE] = "the peer refused the handshake",
		[MT5_ETIMEOUT - MT5_EBASE] = "timed out",
	};
	int e = err < 0 ? -err : err;

	if (e > MT5_EBASE && e < MT5_ELAST)
		return names[e - MT5_EBASE];
	return dm_strerror(e);
}
