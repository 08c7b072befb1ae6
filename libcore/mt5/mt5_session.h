/*
 * mt5_session.h — the MetaTrader 5 bridge's session rules as pure code:
 * the shared secret, HMAC-SHA256, the handshake of each side, sequence
 * tracking, the resend store, heartbeat timers and reconnect backoff
 * (docs/mt5-bridge.md).
 *
 * Design note.  The Expert Advisor (EA) connects; DreamMaker listens.
 *
 *   EA                                DreamMaker
 *   HELLO (client nonce, who, streams)   ->
 *                                     <-  CHALLENGE (server nonce)
 *   AUTH  HMAC(secret, "DMT5 auth v1" || server nonce || HELLO payload) ->
 *                                     <-  ACCEPT (settings, resume points,
 *                                         HMAC(secret, "DMT5 accept v1" ||
 *                                         client nonce || server nonce ||
 *                                         ACCEPT's first 48 payload bytes))
 *                                     or  REFUSE (reason) and close
 *
 * Each side proves the secret on the other's fresh nonce, so neither an
 * old AUTH nor an old ACCEPT replays: DreamMaker never issues a nonce it
 * issued lately (mt5_hs_server_begin refuses one from a broken random
 * source), an AUTH must echo this connection's nonce, and the EA refuses
 * a challenge nonce it has seen.  MACs are compared in constant time.
 * The secret never leaves the struct mt5_key it is loaded into and is
 * never printed; mt5_key_fingerprint names it without revealing it.
 *
 * After the handshake each direction's sequenced messages carry 1, 2,
 * 3...; the receiver tracks the next it expects (struct mt5_seq_rx): a
 * duplicate is dropped, a gap drops the frame and asks once for a resend
 * from the first missing number; the sender keeps every sequenced frame
 * until it is acknowledged (struct mt5_outbox) and sends them again,
 * marked MT5_FF_RESENT, after a RESEND or a reconnect.
 *
 * Time is always handed in (now_ns, any monotonic clock); randomness too
 * (nonces, jitter).  No I/O but mt5_key_load, no allocation, no locks:
 * each struct belongs to one thread.
 */
#ifndef DM_LIBCORE_MT5_MT5_SESSION_H
#define DM_LIBCORE_MT5_MT5_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "libcore/model/digest.h"
#include "libcore/mt5/mt5_proto.h"

/* ------------------------------------------------------------ the secret */

#define MT5_KEY_MIN 32   /* bytes: 64 hex digits */
#define MT5_KEY_MAX 64   /* bytes: 128 hex digits */

struct mt5_key {
	uint8_t b[MT5_KEY_MAX];
	uint32_t len;                /* 0: no key */
};

/*
 * The key written as text (n bytes at s): MT5_KEY_MIN..MT5_KEY_MAX bytes
 * as an even number of hex digits, optionally surrounded by blanks and
 * newlines, nothing else.  0, or -EINVAL with k wiped.  Pure.
 */
int mt5_key_parse(struct mt5_key *k, const char *s, size_t n);

/*
 * Load the key from the file at path, as ssh loads a private key: the
 * file must be a regular file (not followed through a symbolic link)
 * owned by this user and readable by no one else (no group or other
 * permission bits), at most 4 KiB, holding the text mt5_key_parse takes.
 * 0, or -errno / -EINVAL / -EPERM with one line in err naming the path,
 * what is wrong and the fix ("chmod 600 PATH") -- never the file's
 * content.  Reads the file; start-up code.
 */
int mt5_key_load(struct mt5_key *k, const char *path, char *err, size_t errlen);

/* Overwrite the key with zeros (explicit_bzero). */
void mt5_key_wipe(struct mt5_key *k);

/* 16 hex digits naming the key: the first 8 bytes of
 * SHA-256("DMT5 fingerprint v1" || key).  The EA prints the same, so the
 * two ends can be compared without showing the key.  Pure. */
void mt5_key_fingerprint(const struct mt5_key *k, char out[17]);

/* ------------------------------------------------------------ HMAC-SHA256 */

/* RFC 2104 over FIPS 180-4 SHA-256 (libcore/model/digest.h), in parts. */
struct mt5_hmac {
	struct sha256 inner;
	uint8_t okey[64];            /* key ^ opad */
};

void mt5_hmac_init(struct mt5_hmac *h, const uint8_t *key, size_t klen);
void mt5_hmac_update(struct mt5_hmac *h, const void *p, size_t n);
/* out[32]; h is wiped. */
void mt5_hmac_final(struct mt5_hmac *h, uint8_t out[32]);
/* In one call. */
void mt5_hmac_sha256(const uint8_t *key, size_t klen, const void *p, size_t n,
                     uint8_t out[32]);

/* 1 when the n bytes at a and b are equal, in time that depends on n only. */
int mt5_ct_equal(const void *a, const void *b, size_t n);

/* The handshake's two MACs (the design note above; domain labels without
 * their NUL).  hello is the HELLO payload as sent; accept48 the first 48
 * bytes of the ACCEPT payload. */
void mt5_mac_auth(const struct mt5_key *k, const uint8_t server_nonce[32],
                  const uint8_t *hello, size_t hello_len, uint8_t out[32]);
void mt5_mac_accept(const struct mt5_key *k, const uint8_t client_nonce[32],
                    const uint8_t server_nonce[32], const uint8_t *accept48,
                    uint8_t out[32]);

/* ------------------------------------------------------------ the handshake */

enum mt5_hs_state {
	MT5_HS_IDLE = 0,
	MT5_HS_WAIT_HELLO,           /* server: connected, HELLO not yet in */
	MT5_HS_WAIT_CHALLENGE,       /* client: HELLO sent */
	MT5_HS_WAIT_AUTH,            /* server: CHALLENGE sent */
	MT5_HS_WAIT_ACCEPT,          /* client: AUTH sent */
	MT5_HS_VERIFIED,             /* server: the EA proved the secret; the
	                              * caller's policy accepts or refuses */
	MT5_HS_DONE,                 /* both: the session runs */
	MT5_HS_FAILED                /* both: send what out holds, then close */
};

#define MT5_HS_RECENT 16         /* nonces remembered against replays */

/* DreamMaker's side, reused across connections (its nonce history spans
 * them). */
struct mt5_hs_server {
	uint32_t state;              /* enum mt5_hs_state */
	uint32_t refused;            /* enum mt5_refuse_reason when FAILED */
	int64_t deadline_ns;         /* the handshake must be DONE by then */
	uint8_t nonce[MT5_NONCE_LEN];/* this connection's challenge */
	struct mt5_hello hello;      /* the EA's HELLO, from WAIT_AUTH on */
	uint8_t hello_raw[MT5_MAX_HELLO]; /* its payload bytes, which AUTH covers */
	uint32_t hello_len;
	uint32_t n_recent;           /* nonces issued, the last MT5_HS_RECENT kept */
	uint8_t recent[MT5_HS_RECENT][MT5_NONCE_LEN];
	const struct mt5_key *key;   /* the caller's, outlives the struct */
};

/* Once: no connection yet, an empty nonce history.  key is kept. */
void mt5_hs_server_init(struct mt5_hs_server *s, const struct mt5_key *key);

/*
 * A new connection: its fresh nonce (the caller's random bytes) and the
 * time it has to finish.  0 and WAIT_HELLO, or -MT5_EREPLAY (state
 * unchanged) for a nonce issued lately or all zeros: the random source is
 * broken, no connection may proceed on it.
 */
int mt5_hs_server_begin(struct mt5_hs_server *s, const uint8_t nonce[MT5_NONCE_LEN],
                        int64_t now_ns, int64_t timeout_ns);

/*
 * A frame from the EA (decoded by the streaming decoder).  Writes the
 * frame to send into out (cap >= MT5_FRAME_MAX; *out_len bytes, 0 for
 * none) and returns the new state: WAIT_AUTH (a CHALLENGE to send),
 * VERIFIED (nothing to send: call mt5_hs_server_accept or _refuse),
 * FAILED (a REFUSE to send, then close: s->refused says why).  Anything
 * but HELLO then AUTH, well formed and in time, fails (PROTOCOL, VERSION,
 * SCHEMA, AUTH, REPLAY, TIMEOUT).  -ENOBUFS for a small out.
 */
int mt5_hs_server_on_frame(struct mt5_hs_server *s, const struct mt5_frame *f,
                           int64_t now_ns, uint8_t *out, size_t cap, size_t *out_len);

/*
 * VERIFIED -> DONE: ACCEPT with a's fields (its mac is computed here)
 * into out.  DONE, or -MT5_EPROTO when not VERIFIED, -ENOBUFS.
 */
int mt5_hs_server_accept(struct mt5_hs_server *s, const struct mt5_accept *a,
                         uint8_t *out, size_t cap, size_t *out_len);

/* Any state -> FAILED: REFUSE(reason, detail) into out.  FAILED or
 * -ENOBUFS, -EINVAL (a reason not in enum mt5_refuse_reason). */
int mt5_hs_server_refuse(struct mt5_hs_server *s, uint32_t reason, const char *detail,
                         uint8_t *out, size_t cap, size_t *out_len);

/* Past the deadline before DONE: a REFUSE(TIMEOUT) into out and FAILED;
 * else the state, nothing written. */
int mt5_hs_server_tick(struct mt5_hs_server *s, int64_t now_ns, uint8_t *out, size_t cap,
                       size_t *out_len);

/* The EA's side (the Expert Advisor does this in MQL5; the fake terminal
 * and the tests in C). */
struct mt5_hs_client {
	uint32_t state;              /* enum mt5_hs_state */
	int32_t error;               /* -MT5_E* when FAILED */
	uint32_t refuse_reason;      /* REFUSE.reason when refused */
	char refuse_detail[96];      /* REFUSE.detail when refused */
	int64_t deadline_ns;
	uint8_t client_nonce[MT5_NONCE_LEN];
	uint8_t server_nonce[MT5_NONCE_LEN];
	uint8_t hello_raw[MT5_MAX_HELLO];
	uint32_t hello_len;
	struct mt5_accept accept;    /* DreamMaker's ACCEPT once DONE */
	uint32_t n_recent;           /* challenge nonces seen */
	uint8_t recent[MT5_HS_RECENT][MT5_NONCE_LEN];
	const struct mt5_key *key;
};

void mt5_hs_client_init(struct mt5_hs_client *c, const struct mt5_key *key);

/*
 * Connected: the HELLO h (its client_nonce fresh random bytes, its
 * proto_version and schema_hash this build's) into out.  WAIT_CHALLENGE,
 * or -MT5_EVALUE / -ENOBUFS from the encoder.
 */
int mt5_hs_client_begin(struct mt5_hs_client *c, const struct mt5_hello *h, int64_t now_ns,
                        int64_t timeout_ns, uint8_t *out, size_t cap, size_t *out_len);

/*
 * A frame from DreamMaker: WAIT_ACCEPT (an AUTH to send), DONE (c->accept
 * holds the session's settings), FAILED (c->error: -MT5_EREFUSED with
 * c->refuse_reason, -MT5_EAUTH for an ACCEPT whose MAC does not verify,
 * -MT5_EREPLAY for a challenge nonce seen before, -MT5_EPROTO).
 */
int mt5_hs_client_on_frame(struct mt5_hs_client *c, const struct mt5_frame *f,
                           int64_t now_ns, uint8_t *out, size_t cap, size_t *out_len);

/* Past the deadline before DONE: FAILED with -MT5_ETIMEOUT. */
int mt5_hs_client_tick(struct mt5_hs_client *c, int64_t now_ns);

/* ------------------------------------------------------------ sequences */

enum mt5_seq_verdict {
	MT5_SEQ_NEW = 0,             /* the next in order: process it */
	MT5_SEQ_DUP,                 /* seen already (a resend overlap): drop it */
	MT5_SEQ_GAP,                 /* ahead of a gap: drop it; a resend is asked */
	MT5_SEQ_GAP_ASK              /* ahead of a gap: drop it and send
	                              * RESEND(from_seq = r->next) now */
};

/* The receiving side of one peer's sequenced stream. */
struct mt5_seq_rx {
	uint64_t next;               /* the sequence number expected next */
	uint64_t asked;              /* a RESEND from this number is out, 0 none */
	uint64_t dups, gaps;         /* frames dropped as such */
	uint64_t lost;               /* numbers skipped by SEQ_RESET */
};

/* Expect next (1 for a new stream, ACCEPT.resume_seq after a reconnect). */
void mt5_seq_rx_init(struct mt5_seq_rx *r, uint64_t next);
/* The verdict on a sequenced frame's number (>= 1). */
int mt5_seq_rx_check(struct mt5_seq_rx *r, uint64_t seq);
/* Highest number received in order (what ACK and HEARTBEAT carry). */
static inline uint64_t mt5_seq_rx_acked(const struct mt5_seq_rx *r)
{
	return r->next - 1;
}
/* A resend asked long ago may be asked again: the next gap says GAP_ASK. */
static inline void mt5_seq_rx_reask(struct mt5_seq_rx *r)
{
	r->asked = 0;
}
/* SEQ_RESET(next_seq): the numbers up to next_seq - 1 not yet received are
 * lost (the caller reconciles).  How many, or -MT5_ESEQ for a reset
 * backwards. */
int64_t mt5_seq_rx_reset(struct mt5_seq_rx *r, uint64_t next_seq);

/* The sending side: numbers handed out and acknowledged. */
struct mt5_seq_tx {
	uint64_t next;               /* the number the next new frame gets */
	uint64_t acked;              /* highest number the peer acknowledged */
};

void mt5_seq_tx_init(struct mt5_seq_tx *t, uint64_t next);
static inline uint64_t mt5_seq_tx_take(struct mt5_seq_tx *t)
{
	return t->next++;
}
/* ACK(ack_seq): how many numbers it newly acknowledges (0 for an old
 * ack), or -MT5_ESEQ for an ack of a number never sent. */
int64_t mt5_seq_tx_ack(struct mt5_seq_tx *t, uint64_t ack_seq);

/* ------------------------------------------------------------ the resend store */

/*
 * Sequenced frames sent and not yet acknowledged, in the caller's memory:
 * a byte ring of [u32 length][frame] entries in sequence order, each
 * whole (an entry that would straddle the end starts over at the start).
 */
struct mt5_outbox {
	uint8_t *buf;
	uint32_t cap;                /* bytes */
	uint32_t head;               /* offset of the oldest entry */
	uint32_t tail;               /* offset where the next one goes */
	uint32_t used;               /* bytes held, padding included */
	uint32_t count;              /* frames held */
	uint32_t pad_at;             /* offset where the last entry before a
	                              * wrap ended (the rest is padding), or cap */
	uint64_t first_seq;          /* number of the oldest frame held */
	uint64_t last_seq;           /* number of the newest frame held or given */
};

/* Over cap bytes at mem (>= MT5_FRAME_MAX + 4).  0 or -EINVAL. */
int mt5_outbox_init(struct mt5_outbox *o, void *mem, size_t cap);

/*
 * Keep the encoded sequenced frame (len bytes; its header's seq must be
 * last_seq + 1, or any for the first).  0, -ENOBUFS (full: acknowledge or
 * drop first), -MT5_ESEQ (out of order), -EINVAL (not a frame).
 */
int mt5_outbox_put(struct mt5_outbox *o, const uint8_t *frame, size_t len);

/* Forget every frame numbered <= ack_seq.  How many went. */
uint32_t mt5_outbox_ack(struct mt5_outbox *o, uint64_t ack_seq);

/* Forget the oldest frame (a full store that may not block: the receiver
 * learns of the loss by SEQ_RESET).  1, or 0 when empty. */
uint32_t mt5_outbox_drop_oldest(struct mt5_outbox *o);

/*
 * The held frame numbered seq: 1 with *frame (inside the store, valid
 * until the next put/ack/drop) and *len, 0 when not held.  O(frames held).
 * To resend, copy it and mt5_frame_mark_resent the copy.
 */
int mt5_outbox_get(const struct mt5_outbox *o, uint64_t seq, const uint8_t **frame,
                   size_t *len);

/* ------------------------------------------------------------ timers */

/* Heartbeats: send something every interval, call the peer gone after
 * timeout of silence.  Any frame counts both ways. */
struct mt5_hb {
	int64_t interval_ns;
	int64_t timeout_ns;
	int64_t last_rx_ns;
	int64_t last_tx_ns;
};

void mt5_hb_init(struct mt5_hb *h, int64_t interval_ns, int64_t timeout_ns, int64_t now_ns);
static inline void mt5_hb_on_rx(struct mt5_hb *h, int64_t now_ns)
{
	h->last_rx_ns = now_ns;
}
static inline void mt5_hb_on_tx(struct mt5_hb *h, int64_t now_ns)
{
	h->last_tx_ns = now_ns;
}
/* 1 when nothing was sent for interval_ns: send a HEARTBEAT. */
int mt5_hb_send_due(const struct mt5_hb *h, int64_t now_ns);
/* 1 when nothing was received for timeout_ns: the peer is gone (close,
 * and on DreamMaker's side risk votes no). */
int mt5_hb_expired(const struct mt5_hb *h, int64_t now_ns);
/* The earliest time either of the two above turns 1 (for a timer). */
int64_t mt5_hb_next_ns(const struct mt5_hb *h);

/*
 * Reconnect delay before attempt n (0 = the first retry): min_ns x 2^n
 * capped at max_ns, then "equal jitter": half of it plus jitter (any
 * random number) modulo the other half + 1.  Within [d/2, d].  Pure.
 */
int64_t mt5_backoff_ns(int64_t min_ns, int64_t max_ns, uint32_t attempt, uint32_t jitter);

#endif /* DM_LIBCORE_MT5_MT5_SESSION_H */
