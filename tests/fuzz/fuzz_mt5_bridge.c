/*
 * fuzz_mt5_bridge.c — the MetaTrader 5 bridge's streaming frame decoder,
 * message decoders and handshake (libcore/mt5), on the bytes a peer sends.
 * Input: [mode byte] [the bytes, as they arrive on the socket].
 *
 *   mode bits 0-2  the receive chunk: 1, 2, 3, 7, 28, 64, 512 bytes or all
 *   mode bit 3     0: DreamMaker's side (server handshake, the EA's bytes);
 *                  1: the EA's side (client handshake, DreamMaker's bytes)
 *
 * The handshake is the fixed one of fuzz.h (key, HELLO, challenge nonce),
 * so the seeds (mkseeds) get past it and the frames after it reach the
 * sequence tracking.  Oracles beyond the sanitizers:
 *   - every byte in is accounted for: frames + bytes skipped + bytes
 *     pending = bytes taken in, and every error skips at least one byte;
 *   - a frame the decoder returns parses alone (mt5_frame_parse) to the
 *     same header, and a message that decodes encodes back to the very
 *     same frame bytes;
 *   - the server reaches VERIFIED only for an AUTH whose MAC equals the
 *     HMAC recomputed here over the label, its nonce and the HELLO bytes;
 *     the client reaches DONE only for an ACCEPT whose MAC is the HMAC
 *     recomputed over the label, both nonces and its first 48 bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "libcore/mt5/mt5_proto.h"
#include "libcore/mt5/mt5_session.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

static const size_t chunks[8] = { 1, 2, 3, 7, 28, 64, 512, (size_t)-1 };

static uint8_t mem[2 * MT5_FRAME_MAX];
static uint8_t out[MT5_FRAME_MAX], again[MT5_FRAME_MAX];
static struct mt5_msg msg;
static struct mt5_hs_server srv;
static struct mt5_hs_client cli;

struct run {
	int client;
	uint64_t frame_bytes;
	struct mt5_seq_rx rx;
	uint8_t server_nonce[MT5_NONCE_LEN];
};

/* a frame out of the decoder: parse alone, round-trip its message */
static void check_frame(const struct mt5_frame *f)
{
	const uint8_t *fb = f->payload - MT5_HDR_SIZE;
	size_t len = MT5_HDR_SIZE + f->h.payload_len, flen = 0;
	struct mt5_frame g;

	if (mt5_frame_parse(fb, len, &g, &flen) != 1 || flen != len || g.h.seq != f->h.seq ||
	    g.h.type != f->h.type || g.payload != f->payload)
		abort();
	if (mt5_msg_decode(f, &msg) == 0) {
		int k = mt5_msg_encode(again, sizeof(again), f->h.seq, f->h.flags, &msg);

		if (k < 0 || (size_t)k != len || memcmp(again, fb, len))
			abort();
	}
}

static void check_auth(const struct mt5_frame *f, const struct run *r)
{
	const struct mt5_key *k = fz_mt5_key();
	static uint8_t buf[12 + MT5_NONCE_LEN + MT5_MAX_HELLO];
	uint8_t mac[MT5_MAC_LEN];

	memcpy(buf, "DMT5 auth v1", 12);
	memcpy(buf + 12, r->server_nonce, MT5_NONCE_LEN);
	memcpy(buf + 44, srv.hello_raw, srv.hello_len);
	mt5_hmac_sha256(k->b, k->len, buf, 44 + srv.hello_len, mac);
	if (f->h.type != MT5_T_AUTH || f->h.payload_len != MT5_FIXED_AUTH ||
	    memcmp(f->payload + MT5_NONCE_LEN, mac, MT5_MAC_LEN))
		abort();
}

static void check_accept(const struct mt5_frame *f, const struct run *r)
{
	const struct mt5_key *k = fz_mt5_key();
	uint8_t buf[14 + 2 * MT5_NONCE_LEN + 48], mac[MT5_MAC_LEN];
	struct mt5_hello h;

	fz_mt5_hello(&h);
	memcpy(buf, "DMT5 accept v1", 14);
	memcpy(buf + 14, h.client_nonce, MT5_NONCE_LEN);
	memcpy(buf + 46, cli.server_nonce, MT5_NONCE_LEN);
	memcpy(buf + 78, f->payload, 48);
	mt5_hmac_sha256(k->b, k->len, buf, sizeof(buf), mac);
	(void)r;
	if (f->h.type != MT5_T_ACCEPT || memcmp(f->payload + 48, mac, MT5_MAC_LEN))
		abort();
}

/* one frame through the handshake, then through the sequence tracking */
static void step(struct run *r, const struct mt5_frame *f)
{
	size_t ol = 0;
	int st;

	if (!r->client) {
		if (srv.state == MT5_HS_WAIT_HELLO || srv.state == MT5_HS_WAIT_AUTH) {
			st = mt5_hs_server_on_frame(&srv, f, 1, out, sizeof(out), &ol);
			if (st < 0 || (st != MT5_HS_VERIFIED && ol == 0))
				abort();
			if (st == MT5_HS_VERIFIED) {
				static const struct mt5_accept a = { .resume_seq = 1, .next_cmd_seq = 1,
				                                     .hb_interval_ms = 1000,
				                                     .hb_timeout_ms = 5000 };
				check_auth(f, r);
				if (mt5_hs_server_accept(&srv, &a, out, sizeof(out), &ol) != MT5_HS_DONE)
					abort();
			}
			return;
		}
		if (srv.state != MT5_HS_DONE)
			return;
	} else {
		if (cli.state == MT5_HS_WAIT_CHALLENGE || cli.state == MT5_HS_WAIT_ACCEPT) {
			st = mt5_hs_client_on_frame(&cli, f, 1, out, sizeof(out), &ol);
			if (st < 0)
				abort();
			if (st == MT5_HS_DONE)
				check_accept(f, r);
			if (st == MT5_HS_WAIT_ACCEPT && ol == 0)
				abort();
			return;
		}
		if (cli.state != MT5_HS_DONE)
			return;
	}
	/* the session: sequenced frames through the tracker */
	if (f->h.seq) {
		uint64_t before = r->rx.next;
		int v = mt5_seq_rx_check(&r->rx, f->h.seq);

		if ((v == MT5_SEQ_NEW) != (f->h.seq == before) || r->rx.next < before)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct mt5_dec dec;
	struct mt5_frame f;
	struct run r = { 0 };
	size_t chunk, at = 0;
	int rc;

	if (n < 1)
		return 0;
	chunk = chunks[d[0] & 7];
	r.client = (d[0] >> 3) & 1;
	d++;
	n--;
	if (mt5_dec_init(&dec, mem, sizeof(mem)))
		abort();
	mt5_seq_rx_init(&r.rx, 1);
	fz_mt5_server_nonce(r.server_nonce);
	if (!r.client) {
		mt5_hs_server_init(&srv, fz_mt5_key());
		if (mt5_hs_server_begin(&srv, r.server_nonce, 0, 1000000) != 0)
			abort();
	} else {
		struct mt5_hello h;
		size_t ol;

		fz_mt5_hello(&h);
		mt5_hs_client_init(&cli, fz_mt5_key());
		if (mt5_hs_client_begin(&cli, &h, 0, 1000000, out, sizeof(out), &ol) !=
		    MT5_HS_WAIT_CHALLENGE)
			abort();
	}
	while (at < n || mt5_dec_pending(&dec)) {
		size_t k = n - at < chunk ? n - at : chunk;

		at += mt5_dec_push(&dec, d + at, k);
		while ((rc = mt5_dec_next(&dec, &f)) != 0) {
			if (rc == 1) {
				r.frame_bytes += MT5_HDR_SIZE + f.h.payload_len;
				check_frame(&f);
				step(&r, &f);
			} else if (rc >= -MT5_EBASE || rc <= -MT5_ELAST || dec.last_skip == 0) {
				abort();
			}
		}
		if (at >= n)
			break;
	}
	if (dec.st.bytes != n || r.frame_bytes + dec.st.skipped + mt5_dec_pending(&dec) != n)
		abort();
	return 0;
}
