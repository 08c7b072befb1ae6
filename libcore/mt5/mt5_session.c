/*
 * mt5_session.c — HMAC-SHA256, the handshake of each side, sequence
 * tracking, the resend store and the timers (mt5_session.h).  The key
 * file's loader, which reads a file, is mt5_key.c.
 */
#include "libcore/mt5/mt5_session.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "libcore/model/digest.h"
#include "libcore/mt5/mt5_proto.h"
#include "mt5_int.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char LABEL_AUTH[] = "DMT5 auth v1";
static const char LABEL_ACCEPT[] = "DMT5 accept v1";
static const char LABEL_FPR[] = "DMT5 fingerprint v1";

/* The ACCEPT payload bytes its MAC covers: all before the MAC. */
#define ACCEPT_MACD (MT5_FIXED_ACCEPT - MT5_MAC_LEN)
_Static_assert(ACCEPT_MACD == 48, "docs/mt5-bridge.md: ACCEPT's MAC covers 48 bytes");

/* ------------------------------------------------------------ HMAC-SHA256 */

void mt5_hmac_init(struct mt5_hmac *h, const uint8_t *key, size_t klen)
{
	uint8_t k0[64] = { 0 }, ikey[64];

	/* RFC 2104: a key longer than the block is hashed first */
	if (klen > sizeof(k0)) {
		struct sha256 s;

		sha256_init(&s);
		sha256_update(&s, key, klen);
		sha256_final(&s, k0);
	} else if (klen) {
		memcpy(k0, key, klen);
	}
	for (size_t i = 0; i < sizeof(k0); i++) {
		ikey[i] = k0[i] ^ 0x36;
		h->okey[i] = k0[i] ^ 0x5c;
	}
	sha256_init(&h->inner);
	sha256_update(&h->inner, ikey, sizeof(ikey));
	explicit_bzero(k0, sizeof(k0));
	explicit_bzero(ikey, sizeof(ikey));
}

void mt5_hmac_update(struct mt5_hmac *h, const void *p, size_t n)
{
	sha256_update(&h->inner, p, n);
}

void mt5_hmac_final(struct mt5_hmac *h, uint8_t out[32])
{
	uint8_t in[SHA256_LEN];
	struct sha256 o;

	sha256_final(&h->inner, in);
	sha256_init(&o);
	sha256_update(&o, h->okey, sizeof(h->okey));
	sha256_update(&o, in, sizeof(in));
	sha256_final(&o, out);
	explicit_bzero(in, sizeof(in));
	explicit_bzero(&o, sizeof(o));
	explicit_bzero(h, sizeof(*h));
}

void mt5_hmac_sha256(const uint8_t *key, size_t klen, const void *p, size_t n,
                     uint8_t out[32])
{
	struct mt5_hmac h;

	mt5_hmac_init(&h, key, klen);
	mt5_hmac_update(&h, p, n);
	mt5_hmac_final(&h, out);
}

int mt5_ct_equal(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t d = 0;

	for (size_t i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

void mt5_mac_auth(const struct mt5_key *k, const uint8_t server_nonce[32],
                  const uint8_t *hello, size_t hello_len, uint8_t out[32])
{
	struct mt5_hmac h;

	mt5_hmac_init(&h, k->b, k->len);
	mt5_hmac_update(&h, LABEL_AUTH, sizeof(LABEL_AUTH) - 1);
	mt5_hmac_update(&h, server_nonce, MT5_NONCE_LEN);
	mt5_hmac_update(&h, hello, hello_len);
	mt5_hmac_final(&h, out);
}

void mt5_mac_accept(const struct mt5_key *k, const uint8_t client_nonce[32],
                    const uint8_t server_nonce[32], const uint8_t *accept48, uint8_t out[32])
{
	struct mt5_hmac h;

	mt5_hmac_init(&h, k->b, k->len);
	mt5_hmac_update(&h, LABEL_ACCEPT, sizeof(LABEL_ACCEPT) - 1);
	mt5_hmac_update(&h, client_nonce, MT5_NONCE_LEN);
	mt5_hmac_update(&h, server_nonce, MT5_NONCE_LEN);
	mt5_hmac_update(&h, accept48, ACCEPT_MACD);
	mt5_hmac_final(&h, out);
}

/* ------------------------------------------------------------ the key */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int mt5_key_parse(struct mt5_key *k, const char *s, size_t n)
{
	size_t a = 0, b = n, digits;

	mt5_key_wipe(k);
	while (a < b && blank((unsigned char)s[a]))
		a++;
	while (b > a && blank((unsigned char)s[b - 1]))
		b--;
	digits = b - a;
	if (digits % 2 || digits < 2 * MT5_KEY_MIN || digits > 2 * MT5_KEY_MAX)
		return -EINVAL;
	for (size_t i = 0; i < digits; i += 2) {
		int hi = hexval((unsigned char)s[a + i]), lo = hexval((unsigned char)s[a + i + 1]);

		if (hi < 0 || lo < 0) {
			mt5_key_wipe(k);
			return -EINVAL;
		}
		k->b[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	k->len = (uint32_t)(digits / 2);
	return 0;
}

void mt5_key_wipe(struct mt5_key *k)
{
	explicit_bzero(k, sizeof(*k));
}

void mt5_key_fingerprint(const struct mt5_key *k, char out[17])
{
	uint8_t d[SHA256_LEN];
	struct sha256 s;

	sha256_init(&s);
	sha256_update(&s, LABEL_FPR, sizeof(LABEL_FPR) - 1);
	sha256_update(&s, k->b, k->len);
	sha256_final(&s, d);
	for (int i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
	explicit_bzero(&s, sizeof(s));
}

/* ------------------------------------------------------------ nonces */

static int nonce_zero(const uint8_t n[MT5_NONCE_LEN])
{
	static const uint8_t z[MT5_NONCE_LEN];

	return memcmp(n, z, sizeof(z)) == 0;
}

static int nonce_seen(const uint8_t (*recent)[MT5_NONCE_LEN], uint32_t n_recent,
                      const uint8_t n[MT5_NONCE_LEN])
{
	uint32_t k = n_recent < MT5_HS_RECENT ? n_recent : MT5_HS_RECENT;

	for (uint32_t i = 0; i < k; i++)
		if (memcmp(recent[i], n, MT5_NONCE_LEN) == 0)
			return 1;
	return 0;
}

static void nonce_remember(uint8_t (*recent)[MT5_NONCE_LEN], uint32_t *n_recent,
                           const uint8_t n[MT5_NONCE_LEN])
{
	memcpy(recent[*n_recent % MT5_HS_RECENT], n, MT5_NONCE_LEN);
	(*n_recent)++;
}

/* ------------------------------------------------------------ the server's handshake */

void mt5_hs_server_init(struct mt5_hs_server *s, const struct mt5_key *key)
{
	memset(s, 0, sizeof(*s));
	s->key = key;
}

int mt5_hs_server_begin(struct mt5_hs_server *s, const uint8_t nonce[MT5_NONCE_LEN],
                        int64_t now_ns, int64_t timeout_ns)
{
	if (nonce_zero(nonce) || nonce_seen(s->recent, s->n_recent, nonce))
		return -MT5_EREPLAY;
	nonce_remember(s->recent, &s->n_recent, nonce);
	memcpy(s->nonce, nonce, MT5_NONCE_LEN);
	memset(&s->hello, 0, sizeof(s->hello));
	s->hello_len = 0;
	s->refused = 0;
	s->deadline_ns = now_ns + timeout_ns;
	s->state = MT5_HS_WAIT_HELLO;
	return 0;
}

int mt5_hs_server_refuse(struct mt5_hs_server *s, uint32_t reason, const char *detail,
                         uint8_t *out, size_t cap, size_t *out_len)
{
	struct mt5_msg m = { .type = MT5_T_REFUSE };
	int n;

	*out_len = 0;
	m.u.refuse.reason = reason;
	m.u.refuse.supported_version = MT5_PROTO_VERSION;
	snprintf(m.u.refuse.detail, sizeof(m.u.refuse.detail), "%s", detail ? detail : "");
	n = mt5_msg_encode(out, cap, 0, 0, &m);
	if (n == -MT5_EVALUE)
		return -EINVAL;
	if (n < 0)
		return n;
	*out_len = (size_t)n;
	s->refused = reason;
	s->state = MT5_HS_FAILED;
	return MT5_HS_FAILED;
}

static int refuse_fmt(struct mt5_hs_server *s, uint32_t reason, uint8_t *out, size_t cap,
                      size_t *out_len, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static int refuse_fmt(struct mt5_hs_server *s, uint32_t reason, uint8_t *out, size_t cap,
                      size_t *out_len, const char *fmt, ...)
{
	char detail[96];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	return mt5_hs_server_refuse(s, reason, detail, out, cap, out_len);
}

static int server_hello(struct mt5_hs_server *s, const struct mt5_frame *f, uint8_t *out,
                        size_t cap, size_t *out_len)
{
	struct mt5_msg m, c = { .type = MT5_T_CHALLENGE };
	int rc;

	if (f->h.type != MT5_T_HELLO)
		return refuse_fmt(s, MT5_REFUSE_PROTOCOL, out, cap, out_len,
		                  "expected HELLO, got %s", mt5_msg_name(f->h.type));
	if ((rc = mt5_msg_decode(f, &m)))
		return refuse_fmt(s, MT5_REFUSE_PROTOCOL, out, cap, out_len,
		                  "malformed HELLO: %s", mt5_strerror(rc));
	if (m.u.hello.proto_version != MT5_PROTO_VERSION)
		return refuse_fmt(s, MT5_REFUSE_VERSION, out, cap, out_len,
		                  "DreamMaker speaks protocol %d, the EA %u: use the EA of "
		                  "this DreamMaker", MT5_PROTO_VERSION, (unsigned)m.u.hello.proto_version);
	if (m.u.hello.schema_hash != mt5_schema_hash())
		return refuse_fmt(s, MT5_REFUSE_SCHEMA, out, cap, out_len,
		                  "messages of schema %08x, DreamMaker's are %08x: use the EA "
		                  "of this DreamMaker", m.u.hello.schema_hash, mt5_schema_hash());
	s->hello = m.u.hello;
	memcpy(s->hello_raw, f->payload, f->h.payload_len);
	s->hello_len = f->h.payload_len;
	c.u.challenge.proto_version = MT5_PROTO_VERSION;
	c.u.challenge.schema_hash = mt5_schema_hash();
	memcpy(c.u.challenge.server_nonce, s->nonce, MT5_NONCE_LEN);
	rc = mt5_msg_encode(out, cap, 0, 0, &c);
	if (rc < 0)
		return rc;
	*out_len = (size_t)rc;
	s->state = MT5_HS_WAIT_AUTH;
	return MT5_HS_WAIT_AUTH;
}

static int server_auth(struct mt5_hs_server *s, const struct mt5_frame *f, uint8_t *out,
                       size_t cap, size_t *out_len)
{
	uint8_t mac[MT5_MAC_LEN];
	struct mt5_msg m;
	int rc, ok;

	if (f->h.type != MT5_T_AUTH)
		return refuse_fmt(s, MT5_REFUSE_PROTOCOL, out, cap, out_len,
		                  "expected AUTH, got %s", mt5_msg_name(f->h.type));
	if ((rc = mt5_msg_decode(f, &m)))
		return refuse_fmt(s, MT5_REFUSE_PROTOCOL, out, cap, out_len,
		                  "malformed AUTH: %s", mt5_strerror(rc));
	if (!mt5_ct_equal(m.u.auth.server_nonce, s->nonce, MT5_NONCE_LEN))
		return refuse_fmt(s, MT5_REFUSE_REPLAY, out, cap, out_len,
		                  "the AUTH answers another connection's challenge");
	mt5_mac_auth(s->key, s->nonce, s->hello_raw, s->hello_len, mac);
	ok = mt5_ct_equal(mac, m.u.auth.mac, MT5_MAC_LEN);
	explicit_bzero(mac, sizeof(mac));
	if (!ok)
		return refuse_fmt(s, MT5_REFUSE_AUTH, out, cap, out_len,
		                  "the EA's secret is not DreamMaker's: compare their "
		                  "fingerprints (dm-mt5 check-secret)");
	s->state = MT5_HS_VERIFIED;
	return MT5_HS_VERIFIED;
}

int mt5_hs_server_on_frame(struct mt5_hs_server *s, const struct mt5_frame *f,
                           int64_t now_ns, uint8_t *out, size_t cap, size_t *out_len)
{
	*out_len = 0;
	if (cap < MT5_FRAME_MAX)
		return -ENOBUFS;
	switch (s->state) {
	case MT5_HS_WAIT_HELLO:
	case MT5_HS_WAIT_AUTH:
		if (now_ns >= s->deadline_ns)
			return mt5_hs_server_refuse(s, MT5_REFUSE_TIMEOUT,
			                            "the handshake took too long", out, cap,
			                            out_len);
		return s->state == MT5_HS_WAIT_HELLO ? server_hello(s, f, out, cap, out_len)
		                                     : server_auth(s, f, out, cap, out_len);
	case MT5_HS_VERIFIED:
		return refuse_fmt(s, MT5_REFUSE_PROTOCOL, out, cap, out_len,
		                  "%s before ACCEPT", mt5_msg_name(f->h.type));
	default:
		return -MT5_EPROTO;
	}
}

int mt5_hs_server_accept(struct mt5_hs_server *s, const struct mt5_accept *a,
                         uint8_t *out, size_t cap, size_t *out_len)
{
	struct mt5_msg m = { .type = MT5_T_ACCEPT };
	uint8_t pay[MT5_MAX_ACCEPT];
	int rc;

	*out_len = 0;
	if (s->state != MT5_HS_VERIFIED)
		return -MT5_EPROTO;
	m.u.accept = *a;
	memset(m.u.accept.mac, 0, MT5_MAC_LEN);
	if ((rc = mt5_payload_encode(pay, sizeof(pay), &m)) < 0)
		return rc;
	mt5_mac_accept(s->key, s->hello.client_nonce, s->nonce, pay, m.u.accept.mac);
	if ((rc = mt5_msg_encode(out, cap, 0, 0, &m)) < 0)
		return rc;
	*out_len = (size_t)rc;
	s->state = MT5_HS_DONE;
	return MT5_HS_DONE;
}

int mt5_hs_server_tick(struct mt5_hs_server *s, int64_t now_ns, uint8_t *out, size_t cap,
                       size_t *out_len)
{
	*out_len = 0;
	if ((s->state == MT5_HS_WAIT_HELLO || s->state == MT5_HS_WAIT_AUTH ||
	     s->state == MT5_HS_VERIFIED) && now_ns >= s->deadline_ns)
		return mt5_hs_server_refuse(s, MT5_REFUSE_TIMEOUT, "the handshake took too long",
		                            out, cap, out_len);
	return (int)s->state;
}

/* ------------------------------------------------------------ the client's handshake */

void mt5_hs_client_init(struct mt5_hs_client *c, const struct mt5_key *key)
{
	memset(c, 0, sizeof(*c));
	c->key = key;
}

static int client_fail(struct mt5_hs_client *c, int err)
{
	c->error = err;
	c->state = MT5_HS_FAILED;
	return MT5_HS_FAILED;
}

int mt5_hs_client_begin(struct mt5_hs_client *c, const struct mt5_hello *h, int64_t now_ns,
                        int64_t timeout_ns, uint8_t *out, size_t cap, size_t *out_len)
{
	struct mt5_msg m = { .type = MT5_T_HELLO };
	int rc;

	*out_len = 0;
	m.u.hello = *h;
	if ((rc = mt5_payload_encode(c->hello_raw, sizeof(c->hello_raw), &m)) < 0)
		return rc;
	c->hello_len = (uint32_t)rc;
	if ((rc = mt5_msg_encode(out, cap, 0, 0, &m)) < 0)
		return rc;
	*out_len = (size_t)rc;
	memcpy(c->client_nonce, h->client_nonce, MT5_NONCE_LEN);
	memset(c->server_nonce, 0, MT5_NONCE_LEN);
	memset(&c->accept, 0, sizeof(c->accept));
	c->error = 0;
	c->refuse_reason = 0;
	c->refuse_detail[0] = '\0';
	c->deadline_ns = now_ns + timeout_ns;
	c->state = MT5_HS_WAIT_CHALLENGE;
	return MT5_HS_WAIT_CHALLENGE;
}

static int client_refused(struct mt5_hs_client *c, const struct mt5_frame *f)
{
	struct mt5_msg m;

	if (mt5_msg_decode(f, &m))
		return client_fail(c, -MT5_EPROTO);
	c->refuse_reason = m.u.refuse.reason;
	snprintf(c->refuse_detail, sizeof(c->refuse_detail), "%s", m.u.refuse.detail);
	return client_fail(c, -MT5_EREFUSED);
}

int mt5_hs_client_on_frame(struct mt5_hs_client *c, const struct mt5_frame *f,
                           int64_t now_ns, uint8_t *out, size_t cap, size_t *out_len)
{
	struct mt5_msg m, a = { .type = MT5_T_AUTH };
	uint8_t mac[MT5_MAC_LEN];
	int rc, ok;

	*out_len = 0;
	if (c->state != MT5_HS_WAIT_CHALLENGE && c->state != MT5_HS_WAIT_ACCEPT)
		return -MT5_EPROTO;
	if (now_ns >= c->deadline_ns)
		return client_fail(c, -MT5_ETIMEOUT);
	if (f->h.type == MT5_T_REFUSE)
		return client_refused(c, f);
	if (c->state == MT5_HS_WAIT_CHALLENGE) {
		if (f->h.type != MT5_T_CHALLENGE || mt5_msg_decode(f, &m) ||
		    m.u.challenge.proto_version != MT5_PROTO_VERSION ||
		    m.u.challenge.schema_hash != mt5_schema_hash())
			return client_fail(c, -MT5_EPROTO);
		if (nonce_zero(m.u.challenge.server_nonce) ||
		    nonce_seen(c->recent, c->n_recent, m.u.challenge.server_nonce))
			return client_fail(c, -MT5_EREPLAY);
		nonce_remember(c->recent, &c->n_recent, m.u.challenge.server_nonce);
		memcpy(c->server_nonce, m.u.challenge.server_nonce, MT5_NONCE_LEN);
		memcpy(a.u.auth.server_nonce, c->server_nonce, MT5_NONCE_LEN);
		mt5_mac_auth(c->key, c->server_nonce, c->hello_raw, c->hello_len, a.u.auth.mac);
		rc = mt5_msg_encode(out, cap, 0, 0, &a);
		explicit_bzero(&a, sizeof(a));
		if (rc < 0)
			return rc;
		*out_len = (size_t)rc;
		c->state = MT5_HS_WAIT_ACCEPT;
		return MT5_HS_WAIT_ACCEPT;
	}
	if (f->h.type != MT5_T_ACCEPT || mt5_msg_decode(f, &m))
		return client_fail(c, -MT5_EPROTO);
	mt5_mac_accept(c->key, c->client_nonce, c->server_nonce, f->payload, mac);
	ok = mt5_ct_equal(mac, m.u.accept.mac, MT5_MAC_LEN);
	explicit_bzero(mac, sizeof(mac));
	if (!ok)
		return client_fail(c, -MT5_EAUTH);
	c->accept = m.u.accept;
	c->state = MT5_HS_DONE;
	return MT5_HS_DONE;
}

int mt5_hs_client_tick(struct mt5_hs_client *c, int64_t now_ns)
{
	if ((c->state == MT5_HS_WAIT_CHALLENGE || c->state == MT5_HS_WAIT_ACCEPT) &&
	    now_ns >= c->deadline_ns)
		return client_fail(c, -MT5_ETIMEOUT);
	return (int)c->state;
}

/* ------------------------------------------------------------ sequences */

void mt5_seq_rx_init(struct mt5_seq_rx *r, uint64_t next)
{
	memset(r, 0, sizeof(*r));
	r->next = next ? next : 1;
}

int mt5_seq_rx_check(struct mt5_seq_rx *r, uint64_t seq)
{
	if (seq == r->next) {
		r->next++;
		r->asked = 0;
		return MT5_SEQ_NEW;
	}
	if (seq < r->next) {
		r->dups++;
		return MT5_SEQ_DUP;
	}
	r->gaps++;
	if (r->asked == r->next)
		return MT5_SEQ_GAP;
	r->asked = r->next;
	return MT5_SEQ_GAP_ASK;
}

int64_t mt5_seq_rx_reset(struct mt5_seq_rx *r, uint64_t next_seq)
{
	int64_t lost;

	if (next_seq < r->next)
		return -MT5_ESEQ;
	lost = (int64_t)(next_seq - r->next);
	r->lost += (uint64_t)lost;
	r->next = next_seq;
	r->asked = 0;
	return lost;
}

void mt5_seq_tx_init(struct mt5_seq_tx *t, uint64_t next)
{
	t->next = next ? next : 1;
	t->acked = t->next - 1;
}

int64_t mt5_seq_tx_ack(struct mt5_seq_tx *t, uint64_t ack_seq)
{
	int64_t n;

	if (ack_seq >= t->next)
		return -MT5_ESEQ;
	if (ack_seq <= t->acked)
		return 0;
	n = (int64_t)(ack_seq - t->acked);
	t->acked = ack_seq;
	return n;
}

/* ------------------------------------------------------------ the resend store */

int mt5_outbox_init(struct mt5_outbox *o, void *mem, size_t cap)
{
	if (!o || !mem || cap < MT5_FRAME_MAX + 4 || cap > UINT32_MAX)
		return -EINVAL;
	memset(o, 0, sizeof(*o));
	o->buf = mem;
	o->cap = (uint32_t)cap;
	o->pad_at = o->cap;
	return 0;
}

int mt5_outbox_put(struct mt5_outbox *o, const uint8_t *frame, size_t len)
{
	struct mt5_frame f;
	uint32_t need, at;
	size_t flen;

	if (mt5_frame_parse(frame, len, &f, &flen) != 1 || flen != len || f.h.seq == 0)
		return -EINVAL;
	if (o->last_seq && f.h.seq != o->last_seq + 1)
		return -MT5_ESEQ;
	need = 4 + (uint32_t)len;
	if (o->count == 0) {
		o->head = o->tail = o->used = 0;
		o->pad_at = o->cap;
	}
	if (o->count == 0 || o->tail > o->head) {
		if (o->cap - o->tail >= need) {
			at = o->tail;
		} else if (o->head >= need) {
			/* the rest of the ring is padding; start over at 0 */
			o->pad_at = o->tail;
			o->used += o->cap - o->tail;
			at = 0;
		} else {
			return -ENOBUFS;
		}
	} else if (o->head - o->tail >= need) {
		at = o->tail;
	} else {
		return -ENOBUFS;
	}
	put_u32(o->buf + at, (uint32_t)len);
	memcpy(o->buf + at + 4, frame, len);
	o->tail = at + need;
	o->used += need;
	if (o->count++ == 0)
		o->first_seq = f.h.seq;
	o->last_seq = f.h.seq;
	return 0;
}

uint32_t mt5_outbox_drop_oldest(struct mt5_outbox *o)
{
	uint32_t need;

	if (o->count == 0)
		return 0;
	need = 4 + get_u32(o->buf + o->head);
	o->head += need;
	o->used -= need;
	o->count--;
	o->first_seq++;
	if (o->head == o->pad_at) {
		o->used -= o->cap - o->pad_at;
		o->head = 0;
		o->pad_at = o->cap;
	}
	if (o->count == 0) {
		o->head = o->tail = o->used = 0;
		o->pad_at = o->cap;
	}
	return 1;
}

uint32_t mt5_outbox_ack(struct mt5_outbox *o, uint64_t ack_seq)
{
	uint32_t n = 0;

	while (o->count && o->first_seq <= ack_seq)
		n += mt5_outbox_drop_oldest(o);
	return n;
}

int mt5_outbox_get(const struct mt5_outbox *o, uint64_t seq, const uint8_t **frame,
                   size_t *len)
{
	uint32_t at = o->head;

	if (o->count == 0 || seq < o->first_seq || seq > o->last_seq)
		return 0;
	for (uint64_t s = o->first_seq; s < seq; s++) {
		at += 4 + get_u32(o->buf + at);
		if (at == o->pad_at)
			at = 0;
	}
	*len = get_u32(o->buf + at);
	*frame = o->buf + at + 4;
	return 1;
}

/* ------------------------------------------------------------ timers */

void mt5_hb_init(struct mt5_hb *h, int64_t interval_ns, int64_t timeout_ns, int64_t now_ns)
{
	h->interval_ns = interval_ns;
	h->timeout_ns = timeout_ns;
	h->last_rx_ns = now_ns;
	h->last_tx_ns = now_ns;
}

int mt5_hb_send_due(const struct mt5_hb *h, int64_t now_ns)
{
	return now_ns - h->last_tx_ns >= h->interval_ns;
}

int mt5_hb_expired(const struct mt5_hb *h, int64_t now_ns)
{
	return now_ns - h->last_rx_ns >= h->timeout_ns;
}

int64_t mt5_hb_next_ns(const struct mt5_hb *h)
{
	int64_t tx = h->last_tx_ns + h->interval_ns, rx = h->last_rx_ns + h->timeout_ns;

	return tx < rx ? tx : rx;
}

int64_t mt5_backoff_ns(int64_t min_ns, int64_t max_ns, uint32_t attempt, uint32_t jitter)
{
	int64_t d = min_ns > 0 ? min_ns : 1, half;

	for (uint32_t i = 0; i < attempt && d < max_ns; i++)
		d = d > max_ns / 2 ? max_ns : 2 * d;
	if (d > max_ns)
		d = max_ns;
	half = d / 2;
	return half + (int64_t)(jitter % (uint64_t)(d - half + 1));
}
