/*
 * test_mt5.c — the MetaTrader 5 bridge protocol (libcore/mt5): SHA-256 and
 * HMAC-SHA256 against FIPS 180-4 and RFC 4231, CRC32C against its check
 * value, byte layouts against hand-written little-endian bytes, every
 * message through encode/decode, the streaming decoder on every split and
 * on damaged input, sequences and the resend store, the handshake (accept,
 * wrong secret, replays, timeouts), the key file's permissions, the
 * timers, the mt5: configuration section with located errors, and the
 * generated MQL5 include and document tables against a fresh generation.
 *
 * Independent computations: the digests are the standards' published
 * vectors; CRC32C is recomputed here bit by bit; expected frames are
 * written here byte by byte from the document's offsets.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agents/rt/topology.h"
#include "libcore/config/config.h"
#include "libcore/model/digest.h"
#include "libcore/mt5/mt5_cfg.h"
#include "libcore/mt5/mt5_gen.h"
#include "libcore/mt5/mt5_proto.h"
#include "libcore/mt5/mt5_session.h"
#include "libcore/mt5/mt5_venue.h"
#include "libcore/vote/vote.h"
#include "libcore/types.h"
#include "tests/helpers.h"

/* ------------------------------------------------------------ helpers */

static void t_setup(void)
{
	t_tmp_init("dmmt5");
}

static void t_teardown(void)
{
	t_tmp_cleanup();
}

/* CRC32C bit by bit (RFC 3720 B.4: reflected 0x82F63B78, init and final ~0). */
static uint32_t t_crc32c(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		c ^= b[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1u)));
	}
	return ~c;
}

/* v as size little-endian bytes at b + off. */
static void t_le(uint8_t *b, size_t off, uint64_t v, int size)
{
	for (int i = 0; i < size; i++)
		b[off + (size_t)i] = (uint8_t)(v >> (8 * i));
}

static void t_hex(const char *hex, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		cr_assert_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static void t_expect_hex(const uint8_t *got, const char *hex, size_t n, const char *what)
{
	uint8_t want[64];

	t_hex(hex, want, n);
	cr_expect(memcmp(got, want, n) == 0, "%s differs from its published value", what);
}

/* A frame the encoder made: check it parses whole, return its view. */
static struct mt5_frame t_parse(const uint8_t *p, size_t n)
{
	struct mt5_frame f;
	size_t len = 0;

	cr_assert_eq(mt5_frame_parse(p, n, &f, &len), 1);
	cr_assert_eq(len, n);
	return f;
}

/*
 * A random payload the decoder must take, made from the description's
 * tables: integers random (enumerated ones one of their values), bytes
 * random, texts of random printable length, an array of random count.
 */
static size_t t_random_payload(const struct mt5_rec_desc *r, struct t_rng *g, uint8_t *p)
{
	size_t o = 0;

	for (const struct mt5_field_desc *f = r->fields; f->name; f++) {
		switch (f->kind) {
		case MT5_FK_INT: {
			uint64_t v = t_rng_next(g);

			if (f->en->name)
				v = (uint64_t)f->en->vals[t_rng_below(g, f->en->n_vals)].value;
			t_le(p, o, v, f->size);
			o += f->size;
			break;
		}
		case MT5_FK_BYTES:
			for (uint32_t i = 0; i < f->size; i++)
				p[o + i] = (uint8_t)t_rng_next(g);
			o += f->size;
			break;
		case MT5_FK_TEXT: {
			size_t l = t_rng_below(g, f->size);

			memset(p + o, 0, f->size);
			for (size_t i = 0; i < l; i++)
				p[o + i] = (uint8_t)(' ' + 1 + t_rng_below(g, 94));
			o += f->size;
			break;
		}
		case MT5_FK_ARRAY: {
			/* the count field (a u16) was written just before */
			uint32_t k = (uint32_t)t_rng_below(g, f->max + 1);
			const struct mt5_rec_desc *sub = NULL;
			size_t nr;
			const struct mt5_rec_desc *recs = mt5_desc_records(&nr);

			t_le(p, o - 2, k, 2);
			for (size_t i = 0; i < nr; i++)
				if (!strcmp(recs[i].name, f->type))
					sub = &recs[i];
			cr_assert_not_null(sub);
			for (uint32_t i = 0; i < k; i++)
				o += t_random_payload(sub, g, p + o);
			break;
		}
		}
	}
	return o;
}

/* ------------------------------------------------------------ digests */

TestSuite(mt5_crypto);

Test(mt5_crypto, sha256_fips_180_4_vectors)
{
	uint8_t d[32];
	struct sha256 s;
	static char million[1000000];

	sha256_init(&s);
	sha256_update(&s, "abc", 3);
	sha256_final(&s, d);
	t_expect_hex(d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 32,
	             "SHA-256(abc)");
	sha256_init(&s);
	sha256_final(&s, d);
	t_expect_hex(d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 32,
	             "SHA-256()");
	sha256_init(&s);
	sha256_update(&s, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56);
	sha256_final(&s, d);
	t_expect_hex(d, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", 32,
	             "SHA-256(448 bits)");
	memset(million, 'a', sizeof(million));
	sha256_init(&s);
	sha256_update(&s, million, sizeof(million));
	sha256_final(&s, d);
	t_expect_hex(d, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0", 32,
	             "SHA-256(a x 10^6)");
}

Test(mt5_crypto, hmac_sha256_rfc_4231_vectors)
{
	static const char tc7[] = "This is a test using a larger than block-size key and a larger "
	                          "than block-size data. The key needs to be hashed before being "
	                          "used by the HMAC algorithm.";
	uint8_t key[131], data[50], d[32];

	memset(key, 0x0b, 20);
	mt5_hmac_sha256(key, 20, "Hi There", 8, d);
	t_expect_hex(d, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", 32,
	             "test case 1");
	mt5_hmac_sha256((const uint8_t *)"Jefe", 4, "what do ya want for nothing?", 28, d);
	t_expect_hex(d, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", 32,
	             "test case 2");
	memset(key, 0xaa, 20);
	memset(data, 0xdd, 50);
	mt5_hmac_sha256(key, 20, data, 50, d);
	t_expect_hex(d, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe", 32,
	             "test case 3");
	for (int i = 0; i < 25; i++)
		key[i] = (uint8_t)(i + 1);
	memset(data, 0xcd, 50);
	mt5_hmac_sha256(key, 25, data, 50, d);
	t_expect_hex(d, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b", 32,
	             "test case 4");
	memset(key, 0x0c, 20);
	mt5_hmac_sha256(key, 20, "Test With Truncation", 20, d);
	t_expect_hex(d, "a3b6167473100ee06e0c796c2955552b", 16, "test case 5 (128 bits)");
	memset(key, 0xaa, 131);
	mt5_hmac_sha256(key, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 54, d);
	t_expect_hex(d, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54", 32,
	             "test case 6");
	mt5_hmac_sha256(key, 131, tc7, strlen(tc7), d);
	t_expect_hex(d, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2", 32,
	             "test case 7");
}

Test(mt5_crypto, hmac_in_parts_equals_one_call)
{
	static const char msg[] = "Test Using Larger Than Block-Size Key - Hash Key First and more";
	uint8_t key[70], one[32], parts[32];
	size_t n = strlen(msg);

	memset(key, 0x5a, sizeof(key));
	for (size_t klen = 0; klen <= sizeof(key); klen += 10) {
		mt5_hmac_sha256(key, klen, msg, n, one);
		for (size_t cut = 0; cut <= n; cut++) {
			struct mt5_hmac h;

			mt5_hmac_init(&h, key, klen);
			mt5_hmac_update(&h, msg, cut);
			mt5_hmac_update(&h, msg + cut, n - cut);
			mt5_hmac_final(&h, parts);
			cr_assert(memcmp(one, parts, 32) == 0, "key %zu bytes, cut at %zu", klen, cut);
		}
	}
}

Test(mt5_crypto, constant_time_compare_and_crc32c_check_value)
{
	uint8_t a[32], b[32];

	memset(a, 7, sizeof(a));
	memcpy(b, a, sizeof(b));
	cr_expect(mt5_ct_equal(a, b, 32));
	for (int i = 0; i < 32; i++) {
		b[i] ^= 0x80;
		cr_expect(!mt5_ct_equal(a, b, 32), "byte %d differs", i);
		b[i] ^= 0x80;
	}
	cr_expect(mt5_ct_equal(a, b, 0));
	cr_expect_eq(t_crc32c("123456789", 9), 0xe3069283u, "the test's own CRC32C");
	cr_expect_eq(mt5_crc32c("123456789", 9), 0xe3069283u);
	cr_expect_eq(mt5_crc32c("", 0), 0u);
}

/* ------------------------------------------------------------ layouts */

TestSuite(mt5_proto);

/* TICK at the offsets of docs/mt5-bridge.md, written here byte by byte. */
Test(mt5_proto, tick_layout_byte_by_byte)
{
	uint8_t want[MT5_HDR_SIZE + 68], got[MT5_FRAME_MAX];
	struct mt5_tick t = {
		.tick_seq = 0x0102030405060708ull, .time_msc = 1700000000123, .flags = 6,
		.bid = 12345, .ask = -5, .last = 12350, .volume = 3,
		.volume_real_e8 = 300000000, .ea_us = 0xfedcba9876543210ull,
	};
	uint8_t *p = want + MT5_HDR_SIZE;
	struct mt5_msg m;

	memset(want, 0, sizeof(want));
	t_le(p, 0, t.tick_seq, 8);
	t_le(p, 8, (uint64_t)t.time_msc, 8);
	t_le(p, 16, t.flags, 4);
	t_le(p, 20, (uint64_t)t.bid, 8);
	t_le(p, 28, (uint64_t)t.ask, 8);
	t_le(p, 36, (uint64_t)t.last, 8);
	t_le(p, 44, t.volume, 8);
	t_le(p, 52, (uint64_t)t.volume_real_e8, 8);
	t_le(p, 60, t.ea_us, 8);
	memcpy(want, "DM5B", 4);
	want[4] = 1;                     /* version */
	want[5] = 0;                     /* flags */
	t_le(want, 6, 20, 2);            /* type TICK */
	t_le(want, 8, 68, 4);            /* payload_len */
	t_le(want, 12, 0, 8);            /* seq: unsequenced */
	t_le(want, 20, t_crc32c(p, 68), 4);
	t_le(want, 24, t_crc32c(want, 24), 4);

	cr_assert_eq(mt5_encode_tick(got, sizeof(got), 0, 0, &t), (int)sizeof(want));
	cr_assert(memcmp(got, want, sizeof(want)) == 0, "the encoder's bytes");
	struct mt5_frame f = t_parse(want, sizeof(want));
	cr_assert_eq(mt5_msg_decode(&f, &m), 0);
	cr_assert_eq(m.type, MT5_T_TICK);
	cr_expect_eq(m.u.tick.tick_seq, t.tick_seq);
	cr_expect_eq(m.u.tick.time_msc, t.time_msc);
	cr_expect_eq(m.u.tick.flags, t.flags);
	cr_expect_eq(m.u.tick.bid, t.bid);
	cr_expect_eq(m.u.tick.ask, -5);
	cr_expect_eq(m.u.tick.last, t.last);
	cr_expect_eq(m.u.tick.volume, t.volume);
	cr_expect_eq(m.u.tick.volume_real_e8, t.volume_real_e8);
	cr_expect_eq(m.u.tick.ea_us, t.ea_us);
}

/* BOOK: an array after the fixed part; a sequenced TRADE's header. */
Test(mt5_proto, book_array_and_sequenced_header_byte_by_byte)
{
	struct mt5_book bk = { .book_seq = 9, .time_msc = 77, .ea_us = 5, .n_levels = 2 };
	uint8_t want[MT5_HDR_SIZE + 26 + 2 * 25], got[MT5_FRAME_MAX];
	uint8_t *p = want + MT5_HDR_SIZE;
	struct mt5_msg m;

	bk.levels[0] = (struct mt5_book_level){ MT5_BOOK_SIDE_ASK, 100010, 4, 400000000 };
	bk.levels[1] = (struct mt5_book_level){ MT5_BOOK_SIDE_BID, 100005, 7, 700000000 };
	memset(want, 0, sizeof(want));
	t_le(p, 0, 9, 8);
	t_le(p, 8, 77, 8);
	t_le(p, 16, 5, 8);
	t_le(p, 24, 2, 2);
	for (int i = 0; i < 2; i++) {
		size_t o = 26 + 25 * (size_t)i;

		p[o] = bk.levels[i].side;
		t_le(p, o + 1, (uint64_t)bk.levels[i].price, 8);
		t_le(p, o + 9, bk.levels[i].volume, 8);
		t_le(p, o + 17, (uint64_t)bk.levels[i].volume_real_e8, 8);
	}
	memcpy(want, "DM5B", 4);
	want[4] = 1;
	t_le(want, 6, 21, 2);
	t_le(want, 8, 76, 4);
	t_le(want, 20, t_crc32c(p, 76), 4);
	t_le(want, 24, t_crc32c(want, 24), 4);
	cr_assert_eq(mt5_encode_book(got, sizeof(got), 0, 0, &bk), (int)sizeof(want));
	cr_assert(memcmp(got, want, sizeof(want)) == 0);
	struct mt5_frame f = t_parse(got, sizeof(want));
	cr_assert_eq(mt5_msg_decode(&f, &m), 0);
	cr_expect_eq(m.u.book.n_levels, 2);
	cr_expect_eq(m.u.book.levels[1].price, 100005);
	cr_expect_eq(m.u.book.levels[0].side, MT5_BOOK_SIDE_ASK);

	/* a sequenced frame: seq at 12, the resent flag at 5 */
	struct mt5_cancel c = { .coid = 1ull << 40 | 3, .order = 55, .dm_us = 1 };
	int n = mt5_encode_cancel(got, sizeof(got), 0x1122334455667788ull, MT5_FF_RESENT, &c);
	cr_assert_eq(n, MT5_HDR_SIZE + 24);
	for (int i = 0; i < 8; i++)
		cr_expect_eq(got[12 + i], (uint8_t)(0x88 - 0x11 * i), "seq byte %d", i);
	cr_expect_eq(got[5], MT5_FF_RESENT);
	cr_expect_eq(t_crc32c(got, 24), (uint32_t)got[24] | (uint32_t)got[25] << 8 |
	             (uint32_t)got[26] << 16 | (uint32_t)got[27] << 24);
}

/* Every message of the description: random valid payloads decode, encode
 * back to the same bytes, and cross a frame unchanged. */
Test(mt5_proto, every_message_round_trips)
{
	size_t nm;
	const struct mt5_rec_desc *d = mt5_desc_messages(&nm);
	static uint8_t pay[MT5_PAYLOAD_MAX], back[MT5_PAYLOAD_MAX], frame[MT5_FRAME_MAX];
	static struct mt5_msg m, m2;
	struct t_rng g;

	t_rng_seed(&g, 42);
	cr_assert_gt(nm, 20);
	for (size_t i = 0; i < nm; i++) {
		cr_assert_eq(mt5_desc_message(d[i].type), &d[i]);
		cr_assert_str_eq(mt5_msg_name(d[i].type), d[i].upper);
		for (int rep = 0; rep < 50; rep++) {
			size_t n = t_random_payload(&d[i], &g, pay);
			uint64_t seq = d[i].seq ? 1 + t_rng_below(&g, 1000000) : 0;

			cr_assert(n >= d[i].fixed && n <= d[i].max, "%s: %zu bytes", d[i].upper, n);
			cr_assert_eq(mt5_payload_decode(d[i].type, pay, (uint32_t)n, &m), 0,
			             "%s decodes", d[i].upper);
			cr_assert_eq(mt5_payload_encode(back, sizeof(back), &m), (int)n, "%s", d[i].upper);
			cr_assert(memcmp(pay, back, n) == 0, "%s: the same bytes back", d[i].upper);
			int fl = mt5_msg_encode(frame, sizeof(frame), seq, 0, &m);
			cr_assert_eq(fl, (int)(MT5_HDR_SIZE + n), "%s", d[i].upper);
			struct mt5_frame f = t_parse(frame, (size_t)fl);
			cr_assert_eq(f.h.type, d[i].type);
			cr_assert_eq(f.h.seq, seq);
			cr_assert_eq(mt5_msg_decode(&f, &m2), 0);
			cr_assert_eq(mt5_payload_encode(back, sizeof(back), &m2), (int)n);
			cr_assert(memcmp(pay, back, n) == 0, "%s through a frame", d[i].upper);
		}
	}
}

Test(mt5_proto, values_lengths_types_and_sequences_refused)
{
	uint8_t pay[MT5_PAYLOAD_MAX], frame[MT5_FRAME_MAX];
	struct mt5_msg m = { .type = MT5_T_NEW_ORDER };
	struct mt5_new_order *o = &m.u.new_order;
	int n;

	o->coid = 1;
	o->side = MT5_SIDE_BUY;
	o->kind = MT5_KIND_LIMIT;
	o->volume_e8 = 100000000;
	n = mt5_payload_encode(pay, sizeof(pay), &m);
	cr_assert_eq(n, MT5_FIXED_NEW_ORDER);
	/* side is byte 8: 3 is no side */
	pay[8] = 3;
	cr_expect_eq(mt5_payload_decode(MT5_T_NEW_ORDER, pay, (uint32_t)n, &m), -MT5_EVALUE);
	pay[8] = MT5_SIDE_SELL;
	cr_expect_eq(mt5_payload_decode(MT5_T_NEW_ORDER, pay, (uint32_t)n, &m), 0);
	cr_expect_eq(mt5_payload_decode(MT5_T_NEW_ORDER, pay, (uint32_t)n - 1, &m), -MT5_ELENGTH);
	cr_expect_eq(mt5_payload_decode(MT5_T_NEW_ORDER, pay, (uint32_t)n + 1, &m), -MT5_ELENGTH);
	cr_expect_eq(mt5_payload_decode(77, pay, (uint32_t)n, &m), -MT5_ETYPE);
	/* an encoder refuses what the decoder would */
	m.type = MT5_T_NEW_ORDER;
	o->side = 9;
	cr_expect_eq(mt5_payload_encode(pay, sizeof(pay), &m), -MT5_EVALUE);
	cr_expect_eq(mt5_msg_encode(frame, sizeof(frame), 1, 0, &m), -MT5_EVALUE);
	o->side = MT5_SIDE_BUY;
	cr_expect_eq(mt5_msg_encode(frame, sizeof(frame), 0, 0, &m), -MT5_ESEQ, "sequenced: seq 0");
	cr_expect_eq(mt5_msg_encode(frame, 40, 1, 0, &m), -ENOBUFS);
	cr_expect_eq(mt5_msg_encode(frame, sizeof(frame), 1, 2, &m), -EINVAL, "reserved flag");
	m.type = 99;
	cr_expect_eq(mt5_msg_encode(frame, sizeof(frame), 1, 0, &m), -EINVAL);

	/* texts: NUL-padded within the field, nothing after the NUL */
	struct mt5_msg r = { .type = MT5_T_REFUSE };
	r.u.refuse.reason = MT5_REFUSE_AUTH;
	strcpy(r.u.refuse.detail, "no");
	n = mt5_payload_encode(pay, sizeof(pay), &r);
	cr_assert_eq(n, MT5_FIXED_REFUSE);
	cr_expect_eq(mt5_payload_decode(MT5_T_REFUSE, pay, (uint32_t)n, &m), 0);
	cr_expect_str_eq(m.u.refuse.detail, "no");
	pay[6 + 3] = 'x';                 /* after the NUL at 6 + 2 */
	cr_expect_eq(mt5_payload_decode(MT5_T_REFUSE, pay, (uint32_t)n, &m), -MT5_EVALUE);
	memset(pay + 6, 'y', 96);         /* no NUL at all */
	cr_expect_eq(mt5_payload_decode(MT5_T_REFUSE, pay, (uint32_t)n, &m), -MT5_EVALUE);
	memset(r.u.refuse.detail, 'z', sizeof(r.u.refuse.detail));
	cr_expect_eq(mt5_payload_encode(pay, sizeof(pay), &r), -MT5_EVALUE, "unterminated");

	/* an array: its count within the maximum, the payload exactly its entries */
	struct mt5_msg b = { .type = MT5_T_BOOK };
	b.u.book.n_levels = 1;
	b.u.book.levels[0].side = MT5_BOOK_SIDE_BID;
	n = mt5_payload_encode(pay, sizeof(pay), &b);
	cr_assert_eq(n, MT5_FIXED_BOOK + MT5_SIZE_BOOK_LEVEL);
	cr_expect_eq(mt5_payload_decode(MT5_T_BOOK, pay, (uint32_t)n - 1, &m), -MT5_ELENGTH);
	t_le(pay, 24, 2, 2);
	cr_expect_eq(mt5_payload_decode(MT5_T_BOOK, pay, (uint32_t)n, &m), -MT5_ELENGTH);
	t_le(pay, 24, MT5_BOOK_LEVELS_MAX + 1, 2);
	cr_expect_eq(mt5_payload_decode(MT5_T_BOOK, pay, (uint32_t)n, &m), -MT5_EVALUE);
	b.u.book.n_levels = MT5_BOOK_LEVELS_MAX + 1;
	cr_expect_eq(mt5_payload_encode(pay, sizeof(pay), &b), -MT5_EVALUE);

	/* the header's sequence must fit the type */
	struct mt5_ack a = { .ack_seq = 5 };
	n = mt5_encode_ack(frame, sizeof(frame), 0, 0, &a);
	cr_assert_gt(n, 0);
	struct mt5_frame f = t_parse(frame, (size_t)n);
	f.h.seq = 3;
	cr_expect_eq(mt5_msg_decode(&f, &m), -MT5_ESEQ);
	cr_expect_eq(mt5_encode_ack(frame, sizeof(frame), 4, 0, &a), -MT5_ESEQ);
	cr_expect_str_eq(mt5_msg_name(200), "?");
	cr_expect_eq(mt5_msg_sequenced(MT5_T_TRADE), 1);
	cr_expect_eq(mt5_msg_sequenced(MT5_T_TICK), 0);
	cr_expect_eq(mt5_msg_sequenced(0), -1);
	cr_expect_eq(mt5_msg_dir(MT5_T_NEW_ORDER), MT5_DIR_D2E);
	cr_expect_eq(mt5_msg_dir(MT5_T_HEARTBEAT), MT5_DIR_BOTH);
	cr_expect_str_eq(mt5_strerror(-MT5_ECRC), "frame payload checksum wrong");
	cr_expect_str_eq(mt5_strerror(-DM_ECONFIG), dm_strerror(DM_ECONFIG));
}

/* The description's own rules: an array last and only in a message; every
 * largest payload within the frame limit; types unique. */
Test(mt5_proto, description_is_well_formed)
{
	size_t nm, nr;
	const struct mt5_rec_desc *m = mt5_desc_messages(&nm), *r = mt5_desc_records(&nr);
	int seen[256] = { 0 };

	for (size_t i = 0; i < nr; i++)
		for (const struct mt5_field_desc *f = r[i].fields; f->name; f++)
			cr_expect_neq(f->kind, MT5_FK_ARRAY, "record %s has an array", r[i].name);
	for (size_t i = 0; i < nm; i++) {
		uint32_t sum = 0;

		cr_expect_eq(seen[m[i].type]++, 0, "type %u twice", m[i].type);
		cr_expect_leq(m[i].max, MT5_PAYLOAD_MAX, "%s", m[i].upper);
		for (const struct mt5_field_desc *f = m[i].fields; f->name; f++) {
			if (f->kind == MT5_FK_ARRAY) {
				cr_expect_null(f[1].name, "%s: the array is last", m[i].upper);
				cr_expect_eq(m[i].max, sum + f->max * f->size);
			} else {
				sum += f->size;
			}
		}
		cr_expect_eq(m[i].fixed, sum, "%s fixed part", m[i].upper);
	}
	cr_expect_eq(MT5_FIXED_ACCEPT - MT5_MAC_LEN, 48, "ACCEPT's MAC covers 48 bytes");
}

/* ------------------------------------------------------------ streaming decoder */

TestSuite(mt5_dec);

/* A buffer of frames of several kinds; their offsets in off[] (n + 1). */
static size_t t_frames(uint8_t *buf, size_t cap, size_t *off, size_t *n_out)
{
	struct t_rng g;
	size_t n = 0, len = 0, nm;
	const struct mt5_rec_desc *d = mt5_desc_messages(&nm);
	static const uint16_t types[] = { MT5_T_TICK, MT5_T_BOOK, MT5_T_TRADE, MT5_T_HEARTBEAT,
	                                  MT5_T_ACK, MT5_T_HELLO, MT5_T_BOOK, MT5_T_TICK };
	uint8_t pay[MT5_PAYLOAD_MAX];
	struct mt5_msg m;

	t_rng_seed(&g, 7);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		const struct mt5_rec_desc *r = NULL;

		for (size_t k = 0; k < nm; k++)
			if (d[k].type == types[i])
				r = &d[k];
		cr_assert_not_null(r);
		size_t pn;
		do
			pn = t_random_payload(r, &g, pay);
		while (pn > 300);
		cr_assert_eq(mt5_payload_decode(types[i], pay, (uint32_t)pn, &m), 0);
		off[n++] = len;
		int fl = mt5_msg_encode(buf + len, cap - len, r->seq ? i + 1 : 0, 0, &m);
		cr_assert_gt(fl, 0);
		len += (size_t)fl;
	}
	off[n] = len;
	*n_out = n;
	return len;
}

/* Feed buf in the chunks cut at cuts[0..nc) and expect exactly the frames
 * at off[]. */
static void t_decode_cut(const uint8_t *buf, size_t len, const size_t *off, size_t n,
                         const size_t *cuts, size_t nc)
{
	static uint8_t mem[2 * MT5_FRAME_MAX];
	struct mt5_dec d;
	struct mt5_frame f;
	size_t got = 0, at = 0;

	cr_assert_eq(mt5_dec_init(&d, mem, sizeof(mem)), 0);
	for (size_t c = 0; c <= nc; c++) {
		size_t end = c < nc ? cuts[c] : len;

		while (at < end) {
			at += mt5_dec_push(&d, buf + at, end - at);
			int rc;
			while ((rc = mt5_dec_next(&d, &f)) == 1) {
				cr_assert_lt(got, n);
				size_t fl = off[got + 1] - off[got];
				cr_assert_eq(MT5_HDR_SIZE + f.h.payload_len, fl);
				cr_assert(memcmp(f.payload, buf + off[got] + MT5_HDR_SIZE,
				                 f.h.payload_len) == 0, "frame %zu", got);
				got++;
			}
			cr_assert_eq(rc, 0, "no error on clean input (%s)", mt5_strerror(rc));
		}
	}
	cr_assert_eq(got, n, "every frame out, cuts %zu", nc);
	cr_assert_eq(mt5_dec_pending(&d), 0);
	cr_assert_eq(d.st.frames, n);
	cr_assert_eq(d.st.bytes, len);
}

Test(mt5_dec, every_split_of_a_multi_frame_buffer)
{
	static uint8_t buf[8 * MT5_FRAME_MAX];
	size_t off[16], n, len = t_frames(buf, sizeof(buf), off, &n);
	size_t cuts[2];

	cr_assert_gt(n, 5);
	t_decode_cut(buf, len, off, n, NULL, 0);
	for (size_t i = 1; i < len; i++) {
		cuts[0] = i;
		t_decode_cut(buf, len, off, n, cuts, 1);
	}
	/* every pair of cuts inside the first three frames and across them */
	for (size_t i = 1; i < off[3]; i += 1)
		for (size_t j = i + 1; j < off[3] + 40 && j < len; j += 3) {
			cuts[0] = i;
			cuts[1] = j;
			t_decode_cut(buf, len, off, n, cuts, 2);
		}
	/* one byte at a time */
	static size_t every[8 * MT5_FRAME_MAX];
	for (size_t i = 1; i < len; i++)
		every[i - 1] = i;
	t_decode_cut(buf, len, off, n, every, len - 1);
}

/* Run the decoder over buf in one push; record the events. */
struct t_events {
	int rc[64];
	uint32_t skip[64];
	uint16_t type[64];
	int n;
};

static void t_run(const uint8_t *buf, size_t len, struct t_events *ev, struct mt5_dec *d)
{
	static uint8_t mem[4 * MT5_FRAME_MAX];
	struct mt5_frame f;
	size_t at = 0;
	int rc;

	memset(ev, 0, sizeof(*ev));
	cr_assert_eq(mt5_dec_init(d, mem, sizeof(mem)), 0);
	while (at < len || mt5_dec_pending(d)) {
		if (at < len)
			at += mt5_dec_push(d, buf + at, len - at);
		while ((rc = mt5_dec_next(d, &f)) != 0) {
			cr_assert_lt(ev->n, 64);
			ev->rc[ev->n] = rc;
			ev->skip[ev->n] = d->last_skip;
			ev->type[ev->n] = rc == 1 ? f.h.type : 0;
			ev->n++;
		}
		if (at >= len)
			break;
	}
}

static size_t t_tick_frame(uint8_t *out, uint64_t seqno)
{
	struct mt5_tick t = { .tick_seq = seqno, .time_msc = 1, .bid = 10, .ask = 11 };
	int n = mt5_encode_tick(out, MT5_FRAME_MAX, 0, 0, &t);

	cr_assert_gt(n, 0);
	return (size_t)n;
}

Test(mt5_dec, garbage_is_skipped_up_to_the_next_magic)
{
	uint8_t buf[1024];
	struct t_events ev;
	struct mt5_dec d;
	/* garbage holding the magic's first bytes but not the whole of it */
	static const uint8_t junk[] = { 'x', 'D', 'M', '5', 'x', 'D', 'D', 'M', 0, 1, 2 };
	size_t n = sizeof(junk);

	memcpy(buf, junk, n);
	n += t_tick_frame(buf + n, 1);
	memcpy(buf + n, "zz", 2);
	n += 2;
	n += t_tick_frame(buf + n, 2);
	t_run(buf, n, &ev, &d);
	cr_assert_eq(ev.n, 4);
	cr_expect_eq(ev.rc[0], -MT5_EGARBAGE);
	cr_expect_eq(ev.skip[0], sizeof(junk));
	cr_expect_eq(ev.rc[1], 1);
	cr_expect_eq(ev.type[1], MT5_T_TICK);
	cr_expect_eq(ev.rc[2], -MT5_EGARBAGE);
	cr_expect_eq(ev.skip[2], 2);
	cr_expect_eq(ev.rc[3], 1);
	cr_expect_eq(d.st.errors[MT5_EGARBAGE - MT5_EBASE], 2);
	cr_expect_eq(d.st.skipped, sizeof(junk) + 2);
	cr_expect_eq(d.st.frames, 2);
	/* a magic's prefix at the very end waits for more */
	struct mt5_dec d2;
	static uint8_t mem[MT5_FRAME_MAX];
	struct mt5_frame f;
	cr_assert_eq(mt5_dec_init(&d2, mem, sizeof(mem)), 0);
	mt5_dec_push(&d2, "DM5", 3);
	cr_expect_eq(mt5_dec_next(&d2, &f), 0);
	cr_expect_eq(mt5_dec_pending(&d2), 3);
	cr_expect_eq(mt5_dec_init(&d2, mem, MT5_FRAME_MAX - 1), -EINVAL);
}

Test(mt5_dec, truncated_frame_waits_and_never_comes_out)
{
	uint8_t buf[256];
	struct t_events ev;
	struct mt5_dec d;
	size_t n = t_tick_frame(buf, 1);

	for (size_t cut = 1; cut < n; cut++) {
		t_run(buf, cut, &ev, &d);
		cr_expect_eq(ev.n, 0, "cut at %zu", cut);
		cr_expect_eq(mt5_dec_pending(&d), cut);
	}
}

Test(mt5_dec, bad_payload_checksum_skips_the_frame_whole)
{
	uint8_t buf[512];
	struct t_events ev;
	struct mt5_dec d;
	size_t a = t_tick_frame(buf, 1), b;

	b = a + t_tick_frame(buf + a, 2);
	buf[MT5_HDR_SIZE + 3] ^= 1;      /* a payload byte of the first */
	t_run(buf, b, &ev, &d);
	cr_assert_eq(ev.n, 2);
	cr_expect_eq(ev.rc[0], -MT5_ECRC);
	cr_expect_eq(ev.skip[0], a);
	cr_expect_eq(ev.rc[1], 1);
	cr_expect_eq(d.st.errors[MT5_ECRC - MT5_EBASE], 1);
}

Test(mt5_dec, bad_header_checksum_wrong_version_and_too_long_resync)
{
	uint8_t buf[512], good[256];
	struct t_events ev;
	struct mt5_dec d;
	size_t g = t_tick_frame(good, 2), a;

	/* a header byte damaged: the header checksum fails, one byte goes,
	 * the rest of the damaged frame is garbage, the next frame comes */
	a = t_tick_frame(buf, 1);
	buf[13] ^= 0x40;
	memcpy(buf + a, good, g);
	t_run(buf, a + g, &ev, &d);
	cr_assert_eq(ev.n, 3);
	cr_expect_eq(ev.rc[0], -MT5_EHDRCRC);
	cr_expect_eq(ev.skip[0], 1);
	cr_expect_eq(ev.rc[1], -MT5_EGARBAGE);
	cr_expect_eq(ev.skip[1], a - 1);
	cr_expect_eq(ev.rc[2], 1);

	/* another version: refused before its header is believed */
	a = t_tick_frame(buf, 1);
	buf[4] = 2;
	memcpy(buf + a, good, g);
	t_run(buf, a + g, &ev, &d);
	cr_assert_eq(ev.n, 3);
	cr_expect_eq(ev.rc[0], -MT5_EVERSION);
	cr_expect_eq(ev.rc[1], -MT5_EGARBAGE);
	cr_expect_eq(ev.rc[2], 1);

	/* a length above the maximum in a header whose checksum is right */
	a = t_tick_frame(buf, 1);
	t_le(buf, 8, MT5_PAYLOAD_MAX + 1, 4);
	t_le(buf, 24, t_crc32c(buf, 24), 4);
	memcpy(buf + a, good, g);
	t_run(buf, a + g, &ev, &d);
	cr_assert_eq(ev.n, 3);
	cr_expect_eq(ev.rc[0], -MT5_ETOOLONG);
	cr_expect_eq(ev.skip[0], 1);
	cr_expect_eq(ev.rc[1], -MT5_EGARBAGE);
	cr_expect_eq(ev.rc[2], 1);
	cr_expect_eq(ev.type[2], MT5_T_TICK);

	/* reserved flag bits in a sound header: the frame goes whole */
	a = t_tick_frame(buf, 1);
	buf[5] = 0x80;
	t_le(buf, 24, t_crc32c(buf, 24), 4);
	memcpy(buf + a, good, g);
	t_run(buf, a + g, &ev, &d);
	cr_assert_eq(ev.n, 2);
	cr_expect_eq(ev.rc[0], -MT5_EFLAGS);
	cr_expect_eq(ev.skip[0], a);
	cr_expect_eq(ev.rc[1], 1);
}

/* The smallest buffer takes the largest frames one after another. */
Test(mt5_dec, smallest_buffer_takes_largest_frames)
{
	static uint8_t mem[MT5_FRAME_MAX], buf[3 * MT5_FRAME_MAX];
	struct mt5_msg m = { .type = MT5_T_BOOK };
	struct mt5_dec d;
	struct mt5_frame f;
	size_t len = 0, at = 0;
	int frames = 0;

	m.u.book.n_levels = MT5_BOOK_LEVELS_MAX;
	for (int i = 0; i < MT5_BOOK_LEVELS_MAX; i++)
		m.u.book.levels[i].side = MT5_BOOK_SIDE_ASK;
	for (int i = 0; i < 3; i++)
		len += (size_t)mt5_msg_encode(buf + len, sizeof(buf) - len, 0, 0, &m);
	cr_assert_eq(mt5_dec_init(&d, mem, sizeof(mem)), 0);
	while (at < len) {
		size_t k = mt5_dec_push(&d, buf + at, 1000);

		at += k;
		while (mt5_dec_next(&d, &f) == 1)
			frames++;
	}
	cr_expect_eq(frames, 3);
}

/* mt5_frame_mark_resent keeps the frame sound. */
Test(mt5_dec, marked_resent_frame_still_checks_out)
{
	uint8_t buf[256];
	struct mt5_trade t = { .coid = 5, .event = MT5_EVENT_FILLED, .side = MT5_SIDE_ANY_BUY,
	                       .kind = MT5_KIND_MARKET };
	int n = mt5_encode_trade(buf, sizeof(buf), 9, 0, &t);
	struct mt5_frame f;
	size_t len;

	cr_assert_gt(n, 0);
	mt5_frame_mark_resent(buf);
	cr_assert_eq(mt5_frame_parse(buf, (size_t)n, &f, &len), 1);
	cr_expect_eq(f.h.flags, MT5_FF_RESENT);
	cr_expect_eq(f.h.seq, 9);
}

/* ------------------------------------------------------------ sequences */

TestSuite(mt5_seq);

Test(mt5_seq, receiver_drops_duplicates_and_asks_once_per_gap)
{
	struct mt5_seq_rx r;

	mt5_seq_rx_init(&r, 1);
	cr_expect_eq(mt5_seq_rx_check(&r, 1), MT5_SEQ_NEW);
	cr_expect_eq(mt5_seq_rx_check(&r, 2), MT5_SEQ_NEW);
	cr_expect_eq(mt5_seq_rx_acked(&r), 2);
	cr_expect_eq(mt5_seq_rx_check(&r, 2), MT5_SEQ_DUP);
	cr_expect_eq(mt5_seq_rx_check(&r, 1), MT5_SEQ_DUP);
	cr_expect_eq(mt5_seq_rx_check(&r, 5), MT5_SEQ_GAP_ASK, "3 and 4 are missing");
	cr_expect_eq(r.asked, 3);
	cr_expect_eq(mt5_seq_rx_check(&r, 6), MT5_SEQ_GAP, "asked already");
	cr_expect_eq(mt5_seq_rx_check(&r, 3), MT5_SEQ_NEW, "the resend");
	cr_expect_eq(mt5_seq_rx_check(&r, 5), MT5_SEQ_GAP_ASK, "4 still missing: ask again");
	mt5_seq_rx_reask(&r);
	cr_expect_eq(mt5_seq_rx_check(&r, 6), MT5_SEQ_GAP_ASK);
	cr_expect_eq(mt5_seq_rx_check(&r, 4), MT5_SEQ_NEW);
	cr_expect_eq(mt5_seq_rx_check(&r, 5), MT5_SEQ_NEW);
	cr_expect_eq(r.dups, 2);
	cr_expect_eq(r.gaps, 4);
	cr_expect_eq(mt5_seq_rx_reset(&r, 10), 4, "6..9 lost");
	cr_expect_eq(r.next, 10);
	cr_expect_eq(r.lost, 4);
	cr_expect_eq(mt5_seq_rx_reset(&r, 7), -MT5_ESEQ);
	cr_expect_eq(mt5_seq_rx_reset(&r, 10), 0);
}

Test(mt5_seq, sender_counts_acknowledgements)
{
	struct mt5_seq_tx t;

	mt5_seq_tx_init(&t, 1);
	for (int i = 1; i <= 5; i++)
		cr_expect_eq(mt5_seq_tx_take(&t), (uint64_t)i);
	cr_expect_eq(mt5_seq_tx_ack(&t, 3), 3);
	cr_expect_eq(mt5_seq_tx_ack(&t, 2), 0, "an old ack");
	cr_expect_eq(mt5_seq_tx_ack(&t, 5), 2);
	cr_expect_eq(mt5_seq_tx_ack(&t, 6), -MT5_ESEQ, "never sent");
	mt5_seq_tx_init(&t, 40);
	cr_expect_eq(t.acked, 39);
}

static size_t t_trade_frame(uint8_t *out, uint64_t seq, uint32_t pad)
{
	struct mt5_order_result r = { .cmd_seq = seq, .coid = seq, .cmd = MT5_CMD_NEW };
	int n;

	memset(r.comment, 'c', pad % sizeof(r.comment));
	r.comment[pad % sizeof(r.comment)] = '\0';
	n = mt5_encode_order_result(out, MT5_FRAME_MAX, seq, 0, &r);
	cr_assert_gt(n, 0);
	return (size_t)n;
}

Test(mt5_seq, resend_store_keeps_acks_wraps_and_fills)
{
	static uint8_t big[3 * MT5_FRAME_MAX], fr[MT5_FRAME_MAX];
	struct mt5_outbox o;
	const uint8_t *p;
	size_t len;
	uint64_t next = 1;

	cr_expect_eq(mt5_outbox_init(&o, big, MT5_FRAME_MAX + 3), -EINVAL, "too small");
	cr_assert_eq(mt5_outbox_init(&o, big, sizeof(big)), 0);
	/* fill, ack, fill again across the end many times: contents stay right */
	for (int round = 0; round < 200; round++) {
		int put = 0;

		for (;;) {
			size_t n = t_trade_frame(fr, next, (uint32_t)(next * 7));
			int rc = mt5_outbox_put(&o, fr, n);

			if (rc == -ENOBUFS)
				break;
			cr_assert_eq(rc, 0);
			next++;
			put++;
		}
		cr_assert_gt(put + (int)o.count, 0);
		for (uint64_t s = o.first_seq; s <= o.last_seq; s++) {
			cr_assert_eq(mt5_outbox_get(&o, s, &p, &len), 1, "seq %lu", (unsigned long)s);
			struct mt5_frame f = t_parse(p, len);
			cr_assert_eq(f.h.seq, s);
			cr_assert_eq(len, t_trade_frame(fr, s, (uint32_t)(s * 7)));
			cr_assert(memcmp(p, fr, len) == 0);
		}
		/* acknowledge a part */
		uint64_t upto = o.first_seq + (o.count + 1) / 2 - 1;
		uint32_t gone = (uint32_t)(upto - o.first_seq + 1), had = o.count;
		cr_assert_eq(mt5_outbox_ack(&o, upto), gone);
		cr_assert_eq(o.count, had - gone);
		cr_assert_eq(o.first_seq, upto + 1);
		cr_assert_eq(mt5_outbox_get(&o, upto, &p, &len), 0, "acknowledged: gone");
	}
	/* out of order and not-a-frame */
	size_t n = t_trade_frame(fr, next + 5, 0);
	cr_expect_eq(mt5_outbox_put(&o, fr, n), -MT5_ESEQ);
	cr_expect_eq(mt5_outbox_put(&o, fr, n - 1), -EINVAL);
	struct mt5_tick tk = { 0 };
	n = (size_t)mt5_encode_tick(fr, sizeof(fr), 0, 0, &tk);
	cr_expect_eq(mt5_outbox_put(&o, fr, n), -EINVAL, "unsequenced");
	uint32_t c = o.count;
	cr_expect_eq(mt5_outbox_drop_oldest(&o), 1);
	cr_expect_eq(o.count, c - 1);
	mt5_outbox_ack(&o, UINT64_MAX);
	cr_expect_eq(o.count, 0);
	cr_expect_eq(o.used, 0);
	cr_expect_eq(mt5_outbox_drop_oldest(&o), 0);
}

/* A lost sequenced frame: the receiver asks, the sender's store resends
 * from the gap marked resent, the receiver takes them in order. */
Test(mt5_seq, gap_resend_and_ack_end_to_end)
{
	static uint8_t mem[8 * MT5_FRAME_MAX], fr[MT5_FRAME_MAX];
	struct mt5_outbox o;
	struct mt5_seq_tx tx;
	struct mt5_seq_rx rx;
	uint64_t delivered[16];
	int nd = 0;

	cr_assert_eq(mt5_outbox_init(&o, mem, sizeof(mem)), 0);
	mt5_seq_tx_init(&tx, 1);
	mt5_seq_rx_init(&rx, 1);
	for (int i = 0; i < 6; i++) {
		uint64_t s = mt5_seq_tx_take(&tx);
		size_t n = t_trade_frame(fr, s, 3);

		cr_assert_eq(mt5_outbox_put(&o, fr, n), 0);
		if (s == 3)
			continue;                /* lost on the way */
		struct mt5_frame f = t_parse(fr, n);
		int v = mt5_seq_rx_check(&rx, f.h.seq);
		if (v == MT5_SEQ_NEW)
			delivered[nd++] = f.h.seq;
		if (v == MT5_SEQ_GAP_ASK) {
			cr_expect_eq(rx.next, 3, "the RESEND asks from 3");
			cr_expect_eq(s, 4);
		}
	}
	cr_expect_eq(nd, 2);
	/* RESEND(from 3): everything held from 3 on, marked resent */
	for (uint64_t s = rx.next; s <= o.last_seq; s++) {
		const uint8_t *p;
		size_t len;

		cr_assert_eq(mt5_outbox_get(&o, s, &p, &len), 1);
		memcpy(fr, p, len);
		mt5_frame_mark_resent(fr);
		struct mt5_frame f = t_parse(fr, len);
		cr_expect_eq(f.h.flags, MT5_FF_RESENT);
		cr_assert_eq(mt5_seq_rx_check(&rx, f.h.seq), MT5_SEQ_NEW);
		delivered[nd++] = f.h.seq;
	}
	for (int i = 0; i < nd; i++)
		cr_expect_eq(delivered[i], (uint64_t)i + 1, "in order, none twice");
	/* the ACK frees the store */
	cr_expect_eq(mt5_seq_tx_ack(&tx, mt5_seq_rx_acked(&rx)), 6);
	cr_expect_eq(mt5_outbox_ack(&o, tx.acked), 6);
	cr_expect_eq(o.count, 0);
}

/* ------------------------------------------------------------ handshake */

TestSuite(mt5_hs);

static const struct mt5_key *t_key(uint8_t fill)
{
	static struct mt5_key k[4];
	static int n;
	struct mt5_key *x = &k[n++ % 4];

	x->len = 32;
	memset(x->b, fill, 32);
	for (int i = 0; i < 32; i++)
		x->b[i] ^= (uint8_t)i;
	return x;
}

static void t_hello(struct mt5_hello *h, uint8_t nonce_fill)
{
	memset(h, 0, sizeof(*h));
	h->proto_version = MT5_PROTO_VERSION;
	h->schema_hash = mt5_schema_hash();
	h->ea_version = 10000;
	memset(h->client_nonce, nonce_fill, MT5_NONCE_LEN);
	h->stream_id = 0xabcdef;
	h->next_seq = 12;
	h->oldest_seq = 9;
	h->account_login = 123456;
	h->digits = 0;
	h->tick_size_pts = 5;
	h->margin_mode = MT5_MARGIN_NETTING;
	strcpy(h->currency, "BRL");
	strcpy(h->server, "Broker-Demo");
	strcpy(h->symbol, "WINJ25");
}

static void t_nonce(uint8_t *n, uint8_t fill)
{
	memset(n, fill, MT5_NONCE_LEN);
}

/* out (a frame) -> its view */
static struct mt5_frame t_view(const uint8_t *out, size_t len)
{
	cr_assert_gt(len, 0, "a frame to send");
	return t_parse(out, len);
}

struct t_pair {
	struct mt5_hs_server s;
	struct mt5_hs_client c;
	uint8_t a[MT5_FRAME_MAX], b[MT5_FRAME_MAX];
	size_t al, bl;
	uint8_t hello_frame[MT5_FRAME_MAX], auth_frame[MT5_FRAME_MAX];
	size_t hello_len, auth_len;
};

/* Client with key ck and server with sk, from connect to the server's
 * verdict on AUTH; returns that verdict. */
static int t_handshake(struct t_pair *p, const struct mt5_key *ck, const struct mt5_key *sk,
                       uint8_t snonce, uint8_t cnonce, int fresh_server)
{
	struct mt5_hello h;

	if (fresh_server)
		mt5_hs_server_init(&p->s, sk);
	mt5_hs_client_init(&p->c, ck);
	uint8_t n[MT5_NONCE_LEN];
	t_nonce(n, snonce);
	cr_assert_eq(mt5_hs_server_begin(&p->s, n, 0, 5000), 0);
	t_hello(&h, cnonce);
	cr_assert_eq(mt5_hs_client_begin(&p->c, &h, 0, 5000, p->a, sizeof(p->a), &p->al),
	             MT5_HS_WAIT_CHALLENGE);
	memcpy(p->hello_frame, p->a, p->al);
	p->hello_len = p->al;
	struct mt5_frame f = t_view(p->a, p->al);
	cr_assert_eq(mt5_hs_server_on_frame(&p->s, &f, 1, p->b, sizeof(p->b), &p->bl),
	             MT5_HS_WAIT_AUTH);
	f = t_view(p->b, p->bl);
	cr_assert_eq(f.h.type, MT5_T_CHALLENGE);
	cr_assert_eq(mt5_hs_client_on_frame(&p->c, &f, 2, p->a, sizeof(p->a), &p->al),
	             MT5_HS_WAIT_ACCEPT);
	memcpy(p->auth_frame, p->a, p->al);
	p->auth_len = p->al;
	f = t_view(p->a, p->al);
	return mt5_hs_server_on_frame(&p->s, &f, 3, p->b, sizeof(p->b), &p->bl);
}

static const struct mt5_accept t_accept = {
	.resume_seq = 12, .cmd_stream_id = 77, .next_cmd_seq = 3, .hb_interval_ms = 1000,
	.hb_timeout_ms = 5000, .backoff_min_ms = 500, .backoff_max_ms = 30000,
	.dm_time_ns = 1700000000000000000,
};

Test(mt5_hs, both_sides_accept_with_one_secret)
{
	static struct t_pair p;
	const struct mt5_key *k = t_key(0x11);

	cr_assert_eq(t_handshake(&p, k, k, 0xa1, 0xc1, 1), MT5_HS_VERIFIED);
	cr_expect_eq(p.bl, 0, "nothing to send until the policy decides");
	cr_expect_str_eq(p.s.hello.symbol, "WINJ25");
	cr_expect_eq(p.s.hello.next_seq, 12);
	cr_assert_eq(mt5_hs_server_accept(&p.s, &t_accept, p.b, sizeof(p.b), &p.bl), MT5_HS_DONE);
	struct mt5_frame f = t_view(p.b, p.bl);
	cr_assert_eq(mt5_hs_client_on_frame(&p.c, &f, 4, p.a, sizeof(p.a), &p.al), MT5_HS_DONE);
	cr_expect_eq(p.al, 0);
	cr_expect_eq(p.c.accept.resume_seq, 12);
	cr_expect_eq(p.c.accept.hb_timeout_ms, 5000);
	cr_expect_eq(p.c.accept.cmd_stream_id, 77);

	/* the AUTH's MAC, recomputed from its definition with the one-call
	 * HMAC: label || server nonce || the HELLO payload as sent */
	uint8_t msg[12 + 32 + MT5_MAX_HELLO], mac[32];
	memcpy(msg, "DMT5 auth v1", 12);
	memset(msg + 12, 0xa1, 32);
	memcpy(msg + 44, p.hello_frame + MT5_HDR_SIZE, p.hello_len - MT5_HDR_SIZE);
	mt5_hmac_sha256(k->b, k->len, msg, 44 + p.hello_len - MT5_HDR_SIZE, mac);
	cr_expect(memcmp(p.auth_frame + MT5_HDR_SIZE + 32, mac, 32) == 0, "AUTH's MAC");
	/* and ACCEPT's: label || client nonce || server nonce || 48 bytes */
	uint8_t m2[14 + 64 + 48];
	memcpy(m2, "DMT5 accept v1", 14);
	memset(m2 + 14, 0xc1, 32);
	memset(m2 + 46, 0xa1, 32);
	memcpy(m2 + 78, p.b + MT5_HDR_SIZE, 48);
	mt5_hmac_sha256(k->b, k->len, m2, sizeof(m2), mac);
	cr_expect(memcmp(p.b + MT5_HDR_SIZE + 48, mac, 32) == 0, "ACCEPT's MAC");
	/* after DONE the handshake takes no frame */
	cr_expect_eq(mt5_hs_server_on_frame(&p.s, &f, 5, p.b, sizeof(p.b), &p.bl), -MT5_EPROTO);
}

Test(mt5_hs, wrong_secret_is_refused_and_the_ea_learns_why)
{
	static struct t_pair p;

	cr_assert_eq(t_handshake(&p, t_key(0x22), t_key(0x33), 0xa2, 0xc2, 1), MT5_HS_FAILED);
	cr_expect_eq(p.s.refused, MT5_REFUSE_AUTH);
	struct mt5_frame f = t_view(p.b, p.bl);
	cr_assert_eq(f.h.type, MT5_T_REFUSE);
	cr_assert_eq(mt5_hs_client_on_frame(&p.c, &f, 4, p.a, sizeof(p.a), &p.al), MT5_HS_FAILED);
	cr_expect_eq(p.c.error, -MT5_EREFUSED);
	cr_expect_eq(p.c.refuse_reason, MT5_REFUSE_AUTH);
	cr_expect(strstr(p.c.refuse_detail, "secret") != NULL, "%s", p.c.refuse_detail);
}

/* A DreamMaker without the secret cannot pass for one: the EA checks
 * ACCEPT's MAC, which covers the settings too. */
Test(mt5_hs, ea_refuses_an_accept_it_cannot_verify)
{
	static struct t_pair p;
	const struct mt5_key *k = t_key(0x44);

	cr_assert_eq(t_handshake(&p, k, k, 0xa3, 0xc3, 1), MT5_HS_VERIFIED);
	cr_assert_eq(mt5_hs_server_accept(&p.s, &t_accept, p.b, sizeof(p.b), &p.bl), MT5_HS_DONE);
	/* a settings byte changed on the way, checksums made right again */
	uint8_t evil[MT5_FRAME_MAX];
	memcpy(evil, p.b, p.bl);
	evil[MT5_HDR_SIZE] ^= 1;
	t_le(evil, 20, t_crc32c(evil + MT5_HDR_SIZE, p.bl - MT5_HDR_SIZE), 4);
	t_le(evil, 24, t_crc32c(evil, 24), 4);
	struct mt5_frame f = t_view(evil, p.bl);
	struct mt5_hs_client c2 = p.c;
	cr_expect_eq(mt5_hs_client_on_frame(&c2, &f, 4, p.a, sizeof(p.a), &p.al), MT5_HS_FAILED);
	cr_expect_eq(c2.error, -MT5_EAUTH);
	/* an ACCEPT made with another key */
	struct mt5_hs_server s2 = p.s;
	s2.key = t_key(0x45);
	s2.state = MT5_HS_VERIFIED;
	cr_assert_eq(mt5_hs_server_accept(&s2, &t_accept, evil, sizeof(evil), &p.bl), MT5_HS_DONE);
	f = t_view(evil, p.bl);
	c2 = p.c;
	cr_expect_eq(mt5_hs_client_on_frame(&c2, &f, 4, p.a, sizeof(p.a), &p.al), MT5_HS_FAILED);
	cr_expect_eq(c2.error, -MT5_EAUTH);
}

Test(mt5_hs, replayed_nonces_and_replayed_auth_are_refused)
{
	static struct t_pair p, q;
	const struct mt5_key *k = t_key(0x55);
	uint8_t n[MT5_NONCE_LEN];

	cr_assert_eq(t_handshake(&p, k, k, 0xa4, 0xc4, 1), MT5_HS_VERIFIED);
	/* the server never issues a nonce twice, nor zeros */
	t_nonce(n, 0xa4);
	cr_expect_eq(mt5_hs_server_begin(&p.s, n, 10, 5000), -MT5_EREPLAY);
	t_nonce(n, 0);
	cr_expect_eq(mt5_hs_server_begin(&p.s, n, 10, 5000), -MT5_EREPLAY);

	/* a recorded HELLO and AUTH played into a new connection */
	t_nonce(n, 0xa5);
	cr_assert_eq(mt5_hs_server_begin(&p.s, n, 10, 5000), 0);
	struct mt5_frame f = t_view(p.hello_frame, p.hello_len);
	cr_assert_eq(mt5_hs_server_on_frame(&p.s, &f, 11, p.b, sizeof(p.b), &p.bl),
	             MT5_HS_WAIT_AUTH);
	f = t_view(p.auth_frame, p.auth_len);
	cr_expect_eq(mt5_hs_server_on_frame(&p.s, &f, 12, p.b, sizeof(p.b), &p.bl),
	             MT5_HS_FAILED);
	cr_expect_eq(p.s.refused, MT5_REFUSE_REPLAY);

	/* the same AUTH made to echo the new nonce: its MAC no longer fits */
	t_nonce(n, 0xa6);
	cr_assert_eq(mt5_hs_server_begin(&p.s, n, 20, 5000), 0);
	f = t_view(p.hello_frame, p.hello_len);
	cr_assert_eq(mt5_hs_server_on_frame(&p.s, &f, 21, p.b, sizeof(p.b), &p.bl),
	             MT5_HS_WAIT_AUTH);
	struct mt5_msg a;
	f = t_view(p.auth_frame, p.auth_len);
	cr_assert_eq(mt5_msg_decode(&f, &a), 0);
	memcpy(a.u.auth.server_nonce, n, MT5_NONCE_LEN);
	uint8_t forged[MT5_FRAME_MAX];
	int fl = mt5_msg_encode(forged, sizeof(forged), 0, 0, &a);
	f = t_view(forged, (size_t)fl);
	cr_expect_eq(mt5_hs_server_on_frame(&p.s, &f, 22, p.b, sizeof(p.b), &p.bl),
	             MT5_HS_FAILED);
	cr_expect_eq(p.s.refused, MT5_REFUSE_AUTH);

	/* the EA refuses a challenge nonce it has answered before */
	mt5_hs_server_init(&q.s, k);
	struct mt5_hello h;
	t_hello(&h, 0xc7);
	cr_assert_eq(mt5_hs_client_begin(&p.c, &h, 30, 5000, p.a, sizeof(p.a), &p.al),
	             MT5_HS_WAIT_CHALLENGE);
	t_nonce(n, 0xa4);                 /* the first connection's */
	cr_assert_eq(mt5_hs_server_begin(&q.s, n, 30, 5000), 0);
	f = t_view(p.a, p.al);
	cr_assert_eq(mt5_hs_server_on_frame(&q.s, &f, 31, p.b, sizeof(p.b), &p.bl),
	             MT5_HS_WAIT_AUTH);
	f = t_view(p.b, p.bl);
	cr_expect_eq(mt5_hs_client_on_frame(&p.c, &f, 32, p.a, sizeof(p.a), &p.al), MT5_HS_FAILED);
	cr_expect_eq(p.c.error, -MT5_EREPLAY);
	cr_expect_eq(p.al, 0, "no AUTH for it");
}

Test(mt5_hs, version_schema_order_and_time_are_checked)
{
	static struct t_pair p;
	const struct mt5_key *k = t_key(0x66);
	uint8_t n[MT5_NONCE_LEN], fr[MT5_FRAME_MAX];
	struct mt5_hello h;
	struct mt5_frame f;
	int fl;

	mt5_hs_server_init(&p.s, k);
	/* another protocol version in HELLO */
	t_nonce(n, 1);
	cr_assert_eq(mt5_hs_server_begin(&p.s, n, 0, 100), 0);
	t_hello(&h, 1);
	h.proto_version = 2;
	fl = mt5_encode_hello(fr, sizeof(fr), 0, 0, &h);
	f = t_view(fr, (size_t)fl);
	cr_expect_eq(mt5_hs_server_on_frame(&p.s, &f, 1, p.b, sizeof(p.b), &p.bl), MT5_HS_FAILED);
	cr_expect_eq(p.s.refused, MT5_REFUSE_VERSION);
	struct mt5_msg r;
	f = t_view(p.b, p.bl);
	cr_assert_eq(mt5_msg_decode(&f, &r), 0);
	cr_expect_eq(r.u.refuse.supported_version, MT5_PROTO_VERSION);
	/* another description */
	t_nonce(n, 2);
	cr_assert_eq(mt5_hs_server_begin(&p.s, n, 0, 100), 0);
	t_hello(&h, 2);
	h.schema_hash ^= 1;
	fl = mt5_encode_hello(fr, sizeof(fr), 0, 0, &h);
	f = t_view(fr, (size_t)fl);
	cr_expect_eq(mt5_hs_server_on_frame(&p.s, &f, 1, p.b, sizeof(p.b), &p.bl), MT5_HS_FAILED);
	cr_expect_eq(p.s.refused, MT5_REFUSE_SCHEMA);
	/* AUTH before HELLO */
	t_nonce(n, 3);
	cr_assert_eq(mt5_hs_server_begin(&p.s, n, 0, 100), 0);
	struct mt5_auth a = { 0 };
	fl = mt5_encode_auth(fr, sizeof(fr), 0, 0, &a);
	f = t_view(fr, (size_t)fl);
	cr_expect_eq(mt5_hs_server_on_frame(&p.s, &f, 1, p.b, sizeof(p.b), &p.bl), MT5_HS_FAILED);
	cr_expect_eq(p.s.refused, MT5_REFUSE_PROTOCOL);
	/* too late: the tick refuses, a late frame too */
	t_nonce(n, 4);
	cr_assert_eq(mt5_hs_server_begin(&p.s, n, 0, 100), 0);
	cr_expect_eq(mt5_hs_server_tick(&p.s, 99, p.b, sizeof(p.b), &p.bl), MT5_HS_WAIT_HELLO);
	cr_expect_eq(p.bl, 0);
	cr_expect_eq(mt5_hs_server_tick(&p.s, 100, p.b, sizeof(p.b), &p.bl), MT5_HS_FAILED);
	cr_expect_eq(p.s.refused, MT5_REFUSE_TIMEOUT);
	cr_expect_gt(p.bl, 0);
	t_nonce(n, 5);
	cr_assert_eq(mt5_hs_server_begin(&p.s, n, 0, 100), 0);
	t_hello(&h, 5);
	fl = mt5_encode_hello(fr, sizeof(fr), 0, 0, &h);
	f = t_view(fr, (size_t)fl);
	cr_expect_eq(mt5_hs_server_on_frame(&p.s, &f, 150, p.b, sizeof(p.b), &p.bl),
	             MT5_HS_FAILED);
	cr_expect_eq(p.s.refused, MT5_REFUSE_TIMEOUT);
	/* the client's own deadline */
	mt5_hs_client_init(&p.c, k);
	cr_assert_eq(mt5_hs_client_begin(&p.c, &h, 0, 100, p.a, sizeof(p.a), &p.al),
	             MT5_HS_WAIT_CHALLENGE);
	cr_expect_eq(mt5_hs_client_tick(&p.c, 50), MT5_HS_WAIT_CHALLENGE);
	cr_expect_eq(mt5_hs_client_tick(&p.c, 100), MT5_HS_FAILED);
	cr_expect_eq(p.c.error, -MT5_ETIMEOUT);
	/* a refusal's reason must be one of the list */
	cr_expect_eq(mt5_hs_server_refuse(&p.s, 99, "x", p.b, sizeof(p.b), &p.bl), -EINVAL);
}

/* ------------------------------------------------------------ the key file */

TestSuite(mt5_key, .init = t_setup, .fini = t_teardown);

static const char t_secret[] =
	"00112233445566778899aabbccddeeff0123456789abcdef0f1e2d3c4b5a6978";

static const char *t_key_file(const char *name, const char *text, mode_t mode)
{
	const char *p = t_tmp_path(name);

	t_write_file(p, text);
	cr_assert_eq(chmod(p, mode), 0);
	return p;
}

Test(mt5_key, parse_takes_hex_and_blanks_only)
{
	struct mt5_key k;
	char buf[300];

	cr_assert_eq(mt5_key_parse(&k, t_secret, strlen(t_secret)), 0);
	cr_expect_eq(k.len, 32);
	cr_expect_eq(k.b[0], 0x00);
	cr_expect_eq(k.b[1], 0x11);
	cr_expect_eq(k.b[31], 0x78);
	snprintf(buf, sizeof(buf), "  \n%s\r\n\n", t_secret);
	cr_expect_eq(mt5_key_parse(&k, buf, strlen(buf)), 0);
	for (char *c = buf; *c; c++)
		if (*c >= 'a' && *c <= 'f')
			*c = (char)(*c - 'a' + 'A');
	cr_expect_eq(mt5_key_parse(&k, buf, strlen(buf)), 0);
	cr_expect_eq(k.b[10], 0xaa);
	cr_expect_eq(mt5_key_parse(&k, t_secret, 62), -EINVAL, "31 bytes: too short");
	cr_expect_eq(k.len, 0);
	cr_expect_eq(mt5_key_parse(&k, t_secret, 63), -EINVAL, "odd");
	snprintf(buf, sizeof(buf), "%s %s", t_secret, t_secret);
	cr_expect_eq(mt5_key_parse(&k, buf, strlen(buf)), -EINVAL, "a blank inside");
	snprintf(buf, sizeof(buf), "%s%s", t_secret, t_secret);
	cr_expect_eq(mt5_key_parse(&k, buf, strlen(buf)), 0, "64 bytes");
	cr_expect_eq(k.len, 64);
	snprintf(buf, sizeof(buf), "%s%s00", t_secret, t_secret);
	cr_expect_eq(mt5_key_parse(&k, buf, strlen(buf)), -EINVAL, "65 bytes");
	snprintf(buf, sizeof(buf), "%sg0", t_secret);
	buf[5] = 'x';
	cr_expect_eq(mt5_key_parse(&k, buf, strlen(buf)), -EINVAL);
}

/* err never holds the key's text */
static void t_refused(const char *path, int want_rc, const char *says)
{
	struct mt5_key k;
	char err[512] = "";
	int rc = mt5_key_load(&k, path, err, sizeof(err));

	cr_expect_eq(rc, want_rc, "%s: %s", path, err);
	cr_expect(strstr(err, says) != NULL, "'%s' lacks '%s'", err, says);
	cr_expect(strncmp(err, path, strlen(path)) == 0, "'%s' names the file first", err);
	cr_expect(strstr(err, "0011223344") == NULL && strstr(err, "6978") == NULL,
	          "the key leaked into '%s'", err);
	cr_expect_eq(k.len, 0);
	cr_expect_null(strchr(err, '\n'));
}

Test(mt5_key, load_refuses_a_file_others_may_read)
{
	struct mt5_key k;
	char err[512], fpr[17], want[17];
	const char *p = t_key_file("ok.key", t_secret, 0600);

	cr_assert_eq(mt5_key_load(&k, p, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(k.len, 32);
	/* the fingerprint: SHA-256 of the label and the key, first 8 bytes */
	mt5_key_fingerprint(&k, fpr);
	uint8_t d[32], buf[19 + 32];
	memcpy(buf, "DMT5 fingerprint v1", 19);
	t_hex(t_secret, buf + 19, 32);
	struct sha256 s;
	sha256_init(&s);
	sha256_update(&s, buf, sizeof(buf));
	sha256_final(&s, d);
	for (int i = 0; i < 8; i++)
		snprintf(want + 2 * i, 3, "%02x", d[i]);
	cr_expect_str_eq(fpr, want);
	mt5_key_wipe(&k);
	cr_expect_eq(k.len, 0);
	cr_assert_eq(chmod(p, 0400), 0);
	cr_expect_eq(mt5_key_load(&k, p, err, sizeof(err)), 0, "read-only for the owner");

	t_refused(t_key_file("g.key", t_secret, 0640), -EPERM, "chmod 600");
	t_refused(t_key_file("o.key", t_secret, 0604), -EPERM, "too open");
	t_refused(t_key_file("gw.key", t_secret, 0620), -EPERM, "0620");
	t_refused(t_key_file("bad.key", "not hex at all, definitely", 0600), -EINVAL,
	          "64 to 128 hex digits");
	t_refused(t_key_file("short.key", "00112233", 0600), -EINVAL, "not a key");
	t_refused(t_tmp_path("missing.key"), -ENOENT, "cannot open");
	t_refused(t_tmp_dir, -EINVAL, "not a regular file");
	const char *link = t_tmp_path("link.key");
	cr_assert_eq(symlink(p, link), 0);
	t_refused(link, -ELOOP, "symbolic link");
	if (geteuid() == 0) {
		const char *other = t_key_file("other.key", t_secret, 0600);
		cr_assert_eq(chown(other, 65534, 65534), 0);
		t_refused(other, -EPERM, "owned by uid 65534");
	}
}

/* ------------------------------------------------------------ timers */

TestSuite(mt5_timer);

Test(mt5_timer, heartbeats_are_pure_functions_of_time)
{
	struct mt5_hb h;

	mt5_hb_init(&h, 1000, 5000, 100);
	cr_expect(!mt5_hb_send_due(&h, 1099));
	cr_expect(mt5_hb_send_due(&h, 1100));
	cr_expect_eq(mt5_hb_next_ns(&h), 1100);
	mt5_hb_on_tx(&h, 1100);
	cr_expect(!mt5_hb_send_due(&h, 2099));
	cr_expect_eq(mt5_hb_next_ns(&h), 2100);
	cr_expect(!mt5_hb_expired(&h, 5099));
	cr_expect(mt5_hb_expired(&h, 5100));
	mt5_hb_on_rx(&h, 5000);
	cr_expect(!mt5_hb_expired(&h, 9999));
	cr_expect(mt5_hb_expired(&h, 10000));
	mt5_hb_on_tx(&h, 9500);
	cr_expect_eq(mt5_hb_next_ns(&h), 10000, "the timeout comes first");
}

Test(mt5_timer, backoff_doubles_to_its_cap_with_jitter_in_the_upper_half)
{
	const int64_t lo = 500, hi = 30000;
	int64_t want = lo;

	for (uint32_t a = 0; a < 80; a++) {
		for (uint32_t j = 0; j < 2000; j += 37) {
			int64_t d = mt5_backoff_ns(lo, hi, a, j * 2654435761u);

			cr_assert(d >= want / 2 && d <= want, "attempt %u: %ld not in [%ld, %ld]", a,
			          (long)d, (long)(want / 2), (long)want);
		}
		cr_expect_eq(mt5_backoff_ns(lo, hi, a, 0), want / 2);
		cr_expect_eq(mt5_backoff_ns(lo, hi, a, (uint32_t)(want - want / 2)), want);
		want = want * 2 > hi ? hi : want * 2;
	}
	cr_expect_eq(mt5_backoff_ns(lo, hi, 5, 0), 8000, "500 x 32 / 2");
	cr_expect_eq(mt5_backoff_ns(lo, hi, UINT32_MAX, 0), 15000);
}

/* ------------------------------------------------------------ configuration */

TestSuite(mt5_cfg, .init = t_setup, .fini = t_teardown);

static int t_cfg(const char *text, struct dm_config *c, char *err, size_t errlen,
                 char *path)
{
	const char *p = t_tmp_path("c.yaml");

	t_write_file(p, text);
	strcpy(path, p);
	return config_load(c, p, err, errlen);
}

/* The load fails with "<file>:<where>..." containing what. */
static void t_cfg_error(const char *text, const char *where, const char *what)
{
	struct dm_config c;
	char err[512] = "", path[PATH_MAX], want[PATH_MAX + 64];

	cr_assert_eq(t_cfg(text, &c, err, sizeof(err), path), -DM_ECONFIG, "%s", text);
	snprintf(want, sizeof(want), "%s:%s", path, where);
	cr_expect(strncmp(err, want, strlen(want)) == 0, "'%s' does not start with '%s'", err,
	          want);
	cr_expect(strstr(err, what), "'%s' lacks '%s'", err, what);
}

Test(mt5_cfg, defaults_are_loopback_and_the_documented_times)
{
	struct dm_config c;
	struct mt5_cfg m;

	config_defaults(&c);
	mt5_cfg_default(&m);
	cr_expect(memcmp(&c.mt5, &m, sizeof(m)) == 0, "mt5 = mt5_cfg_default");
	cr_expect_str_eq(m.listen, "127.0.0.1:18625");
	cr_expect_eq(m.allow_remote, 0);
	cr_expect_str_eq(m.secret_file, "");
	cr_expect_eq(m.heartbeat_interval_ns, 1000000000);
	cr_expect_eq(m.heartbeat_timeout_ns, 5000000000);
	cr_expect_eq(m.handshake_timeout_ns, 5000000000);
	cr_expect_eq(m.reconnect_min_ns, 500000000);
	cr_expect_eq(m.reconnect_max_ns, 30000000000);
	cr_expect_eq(m.n_symbols, 0);
	/* conf/default.yaml says the same (read as every tool reads it) */
	char err[512];
	cr_assert_eq(rt_config_load_core(&c, "conf/default.yaml", err, sizeof(err)), 0, "%s", err);
	cr_expect(memcmp(&c.mt5, &m, sizeof(m)) == 0, "conf/default.yaml's mt5: section");
}

Test(mt5_cfg, keys_load_and_a_relative_secret_is_taken_from_the_file)
{
	struct dm_config c;
	char err[512], path[PATH_MAX], dir[PATH_MAX], want[PATH_MAX + 32];

	cr_assert_eq(t_cfg("mt5:\n"
	                   "  listen: \"[::1]:7001\"\n"
	                   "  secret_file: keys/mt5.key\n"
	                   "  heartbeat_interval: 250ms\n"
	                   "  heartbeat_timeout: 2s\n"
	                   "  handshake_timeout: 3s\n"
	                   "  reconnect_min: 100ms\n"
	                   "  reconnect_max: 1m\n"
	                   "  symbols:\n"
	                   "    - { instrument: WIN, mt5: \"WIN$N\" }\n"
	                   "    - { instrument: WDO, mt5: WDOJ25 }\n", &c, err, sizeof(err), path),
	             0, "%s", err);
	cr_expect_str_eq(c.mt5.listen, "[::1]:7001");
	cr_assert_not_null(realpath(t_tmp_dir, dir));
	snprintf(want, sizeof(want), "%s/keys/mt5.key", dir);
	cr_expect_str_eq(c.mt5.secret_file, want);
	cr_expect_eq(c.mt5.heartbeat_interval_ns, 250000000);
	cr_expect_eq(c.mt5.heartbeat_timeout_ns, 2000000000);
	cr_expect_eq(c.mt5.handshake_timeout_ns, 3000000000);
	cr_expect_eq(c.mt5.reconnect_min_ns, 100000000);
	cr_expect_eq(c.mt5.reconnect_max_ns, 60000000000);
	cr_assert_eq(c.mt5.n_symbols, 2);
	cr_expect_str_eq(c.mt5.symbols[0].mt5, "WIN$N");
	cr_expect_str_eq(c.mt5.symbols[1].instrument, "WDO");
	cr_assert_eq(t_cfg("mt5: { listen: \"10.0.0.5:7001\", allow_remote: true, "
	                   "secret_file: /etc/dm/mt5.key }\n", &c, err, sizeof(err), path), 0,
	             "%s", err);
	cr_expect_str_eq(c.mt5.secret_file, "/etc/dm/mt5.key");
	cr_expect_eq(c.mt5.allow_remote, 1);
}

Test(mt5_cfg, errors_name_file_line_and_key)
{
	t_cfg_error("mt5:\n  listen: localhost:18625\n", "2:3: key 'mt5.listen'",
	            "numeric IPv4");
	t_cfg_error("mt5:\n  listen: \"127.0.0.1:0\"\n", "2:3: key 'mt5.listen'", "port 1..65535");
	t_cfg_error("instrument: { symbol: WIN }\nmt5:\n  listen: \"0.0.0.0:18625\"\n",
	            "3:3: key 'mt5.listen'", "not a loopback address");
	t_cfg_error("mt5:\n  heartbeat_interval: 3s\n  heartbeat_timeout: 5s\n",
	            "3:3: key 'mt5.heartbeat_timeout'", "at least twice heartbeat_interval 3s");
	t_cfg_error("mt5:\n  heartbeat_interval: 3s\n", "2:3: key 'mt5.heartbeat_interval'",
	            "heartbeat_timeout 5s must be at least twice");
	t_cfg_error("mt5:\n  heartbeat_interval: 50ms\n", "2:3: key 'mt5.heartbeat_interval'",
	            "out of range");
	t_cfg_error("mt5:\n  reconnect_min: 40s\n", "2:3: key 'mt5.reconnect_min'",
	            "must not exceed reconnect_max 30s");
	t_cfg_error("mt5:\n  symbols:\n    - { instrument: WIN, mt5: A }\n"
	            "    - { instrument: WIN, mt5: B }\n",
	            "4:9: key 'mt5.symbols[1].instrument'", "mapped already by mt5.symbols[0]");
	t_cfg_error("mt5:\n  symbols:\n    - { instrument: WIN, mt5: A }\n"
	            "    - { instrument: WDO, mt5: A }\n",
	            "4:26: key 'mt5.symbols[1].mt5'", "'A' is mapped already");
	t_cfg_error("mt5:\n  symbols:\n    - { instrument: win, mt5: A }\n",
	            "3:9: key 'mt5.symbols[0].instrument'", "capital letters");
	t_cfg_error("mt5:\n  symbols:\n    - { instrument: WIN, mt5: \"A B\" }\n",
	            "3:26: key 'mt5.symbols[0].mt5'", "without blanks");
	t_cfg_error("mt5:\n  symbols:\n    - { instrument: WIN }\n",
	            "3:7: key 'mt5.symbols[0]'", "mt5");
	t_cfg_error("mt5:\n  heartbeat_intervall: 1s\n", "2:3: key 'mt5.heartbeat_intervall'",
	            "did you mean 'heartbeat_interval'");
	t_cfg_error("mt5:\n  allow_remote: yes\n", "2:3: key 'mt5.allow_remote'", "boolean");
}

Test(mt5_cfg, addresses_parse_numeric_only)
{
	struct mt5_addr a;

	cr_assert_eq(mt5_addr_parse("127.0.0.1:18625", &a), 0);
	cr_expect_eq(a.port, 18625);
	cr_expect(mt5_addr_loopback(&a));
	cr_assert_eq(mt5_addr_parse("127.9.8.7:1", &a), 0);
	cr_expect(mt5_addr_loopback(&a));
	cr_assert_eq(mt5_addr_parse("[::1]:65535", &a), 0);
	cr_expect(mt5_addr_loopback(&a));
	cr_expect_eq(a.port, 65535);
	cr_assert_eq(mt5_addr_parse("192.168.1.2:80", &a), 0);
	cr_expect(!mt5_addr_loopback(&a));
	cr_assert_eq(mt5_addr_parse("[fe80::1]:80", &a), 0);
	cr_expect(!mt5_addr_loopback(&a));
	cr_expect_eq(mt5_addr_parse("localhost:80", &a), -EINVAL);
	cr_expect_eq(mt5_addr_parse("127.0.0.1", &a), -EINVAL);
	cr_expect_eq(mt5_addr_parse("127.0.0.1:65536", &a), -EINVAL);
	cr_expect_eq(mt5_addr_parse("127.0.0.1:+80", &a), -EINVAL);
	cr_expect_eq(mt5_addr_parse("::1:80", &a), -EINVAL);
	cr_expect_eq(mt5_addr_parse("[::1]80", &a), -EINVAL);
}

/* ------------------------------------------------------------ generated files */

TestSuite(mt5_gen);

Test(mt5_gen, committed_mqh_equals_a_fresh_generation)
{
	size_t n = mt5_gen_mqh(NULL, 0), len = 0;
	char *fresh = malloc(n + 1), *file;

	cr_assert_not_null(fresh);
	cr_assert_eq(mt5_gen_mqh(fresh, n + 1), n);
	cr_assert_eq(strlen(fresh), n);
	file = t_file_text("tools/mt5/DreamMakerBridge_msgs.mqh", &len);
	cr_assert_not_null(file, "tools/mt5/DreamMakerBridge_msgs.mqh is missing");
	cr_expect(len == n && memcmp(file, fresh, n) == 0,
	          "tools/mt5/DreamMakerBridge_msgs.mqh differs from the description: run "
	          "make mt5-gen");
	/* every message's struct, encoder and decoder, every field */
	size_t nm;
	const struct mt5_rec_desc *d = mt5_desc_messages(&nm);
	for (size_t i = 0; i < nm; i++) {
		char want[128];

		snprintf(want, sizeof(want), "#define DM_T_%-16s %-4u", d[i].upper, d[i].type);
		cr_expect(strstr(fresh, want), "%s", want);
		for (const struct mt5_field_desc *f = d[i].fields; f->name; f++) {
			snprintf(want, sizeof(want), "m.%s", f->name);
			cr_expect(strstr(fresh, want), "%s.%s", d[i].name, f->name);
		}
	}
	char hash[64];
	snprintf(hash, sizeof(hash), "((uint)0x%08x)", mt5_schema_hash());
	cr_expect(strstr(fresh, hash), "the schema hash");
	/* only short truncated piece bounds: a small buffer gets a prefix */
	char small[16];
	cr_expect_eq(mt5_gen_mqh(small, sizeof(small)), n);
	cr_expect_eq(strlen(small), sizeof(small) - 1);
	cr_expect(strncmp(small, fresh, sizeof(small) - 1) == 0);
	free(fresh);
	free(file);
}

Test(mt5_gen, document_tables_equal_a_fresh_generation)
{
	size_t n = mt5_gen_doc(NULL, 0), len = 0, at, sl;
	char *fresh = malloc(n + 1), *doc;

	cr_assert_not_null(fresh);
	mt5_gen_doc(fresh, n + 1);
	doc = t_file_text("docs/mt5-bridge.md", &len);
	cr_assert_not_null(doc, "docs/mt5-bridge.md is missing");
	cr_assert_eq(mt5_gen_doc_section(doc, len, &at, &sl), 0, "the markers");
	cr_expect(sl == n && memcmp(doc + at, fresh, n) == 0,
	          "docs/mt5-bridge.md's tables differ from the description: run make mt5-gen");
	cr_expect(strstr(fresh, "| 0 | 4 | magic | u32 |"), "the header's first row");
	cr_expect(strstr(fresh, "| 24 | 4 | hdr_crc | u32 |"), "the header's last row");
	cr_expect_eq(mt5_gen_doc_section("no markers", 10, &at, &sl), -1);
	free(fresh);
	free(doc);
}

/*
 * The Expert Advisor cannot be compiled here; what can be checked is that
 * every name of the bridge it uses (Dm..., DM_...) is defined in one of its
 * three files: a generated encoder, decoder, struct or constant it calls by
 * a wrong name would be caught here.  Definitions: "#define NAME", "struct
 * NAME", and at the start of a line "TYPE NAME" (a function or a global).
 */
static int t_ident_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

struct t_names {
	char (*v)[64];
	size_t n, cap;
};

static void t_names_add(struct t_names *s, const char *p, size_t len)
{
	if (len >= 64)
		return;
	for (size_t i = 0; i < s->n; i++)
		if (strlen(s->v[i]) == len && !memcmp(s->v[i], p, len))
			return;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 256;
		s->v = t_realloc(s->v, s->cap * sizeof(*s->v));
	}
	memcpy(s->v[s->n], p, len);
	s->v[s->n++][len] = '\0';
}

static int t_names_has(const struct t_names *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], name))
			return 1;
	return 0;
}

/* the identifier at p (length into *len), NULL when none starts there */
static const char *t_ident(const char *p, size_t *len)
{
	size_t n = 0;

	if (!t_ident_char((unsigned char)*p) || (*p >= '0' && *p <= '9'))
		return NULL;
	while (t_ident_char((unsigned char)p[n]))
		n++;
	*len = n;
	return p;
}

static void t_scan_mql(const char *text, struct t_names *def, struct t_names *used)
{
	for (const char *line = text; *line; ) {
		const char *eol = strchr(line, '\n'), *p = line, *id;
		size_t len;

		if (!eol)
			eol = line + strlen(line);
		if (!strncmp(p, "#define ", 8) && (id = t_ident(p + 8, &len)))
			t_names_add(def, id, len);
		else if (!strncmp(p, "struct ", 7) && (id = t_ident(p + 7, &len)))
			t_names_add(def, id, len);
		else if ((id = t_ident(p, &len)) && id[len] == ' ') {
			const char *q = id + len;

			while (*q == ' ')
				q++;
			if ((id = t_ident(q, &len)))
				t_names_add(def, id, len);
		}
		for (p = line; p < eol; p++) {
			if (p > line && t_ident_char((unsigned char)p[-1]))
				continue;
			/* DmName (a capital after Dm) or DM_NAME */
			if ((id = t_ident(p, &len)) && len > 3 &&
			    ((!strncmp(id, "Dm", 2) && id[2] >= 'A' && id[2] <= 'Z') ||
			     !strncmp(id, "DM_", 3)))
				t_names_add(used, id, len);
		}
		line = *eol ? eol + 1 : eol;
	}
}

Test(mt5_gen, the_expert_advisor_uses_only_names_it_defines)
{
	static const char *const files[] = {
		"tools/mt5/DreamMakerBridge.mq5", "tools/mt5/DreamMakerBridge_wire.mqh",
		"tools/mt5/DreamMakerBridge_msgs.mqh",
	};
	struct t_names def = { 0 }, used = { 0 };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *text = t_file_text(files[i], NULL);

		cr_assert_not_null(text, "%s", files[i]);
		t_scan_mql(text, &def, &used);
		free(text);
	}
	cr_assert_gt(used.n, 100, "the scan found the bridge's names");
	for (size_t i = 0; i < used.n; i++)
		cr_expect(t_names_has(&def, used.v[i]), "%s is used but defined nowhere",
		          used.v[i]);
	/* it calls the generated codec of every message it sends or reads */
	static const char *const calls[] = {
		"DmEncHello", "DmDecChallenge", "DmEncAuth", "DmDecAccept", "DmDecRefuse",
		"DmEncHeartbeat", "DmDecHeartbeat", "DmEncAck", "DmDecAck", "DmEncResend",
		"DmDecResend", "DmEncSeqReset", "DmDecSeqReset", "DmDecSnapshotReq", "DmEncBye",
		"DmDecBye", "DmEncTick", "DmEncBook", "DmEncSnapshotBegin", "DmEncPosition",
		"DmEncOrder", "DmEncSnapshotEnd", "DmEncTrade", "DmEncOrderResult",
		"DmDecNewOrder", "DmDecCancel", "DmDecModify", "DmEncFrameHdr", "DmDecFrameHdr",
	};
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		cr_expect(t_names_has(&used, calls[i]), "the EA never calls %s", calls[i]);
	free(def.v);
	free(used.v);
}

/* ------------------------------------------------------------ the remote venue */

/* The execution agent's mt5_venue (venue.kind mt5): no link, commands
 * through a port, the link's state, reports and snapshots handed in. */
struct t_port {
	struct mt5_new_order orders[8];
	uint64_t decisions[8];
	struct mt5_cancel cancels[8];
	uint32_t n_orders, n_cancels;
	struct exec_out outs[32];
	uint32_t n_outs;
};

static int tp_order(void *ctx, const struct mt5_new_order *n, uint64_t decision_us)
{
	struct t_port *p = ctx;
	cr_assert(p->n_orders < 8);
	p->decisions[p->n_orders] = decision_us;
	p->orders[p->n_orders++] = *n;
	return 0;
}

static int tp_cancel(void *ctx, const struct mt5_cancel *c)
{
	struct t_port *p = ctx;
	cr_assert(p->n_cancels < 8);
	p->cancels[p->n_cancels++] = *c;
	return 0;
}

static void tp_out(void *ctx, const struct exec_out *o)
{
	struct t_port *p = ctx;
	cr_assert(p->n_outs < 32);
	p->outs[p->n_outs++] = *o;
}

Test(mt5_venue_remote, orders_go_out_through_the_port_and_the_link_decides_when)
{
	size_t tsz = exec_table_memsize(64);
	struct exec_table *t = aligned_alloc(64, (tsz + 63) & ~(size_t)63);
	struct mt5_venue *v = calloc(1, sizeof(*v));
	struct mt5_link_snap *snap = calloc(1, sizeof(*snap));
	static struct t_port p;
	memset(&p, 0, sizeof(p));
	cr_assert(t && v && snap);
	cr_assert_eq(exec_table_init(t, tsz, 64, 3), 0);
	cr_assert_eq(exec_table_attach(t, tsz), 0);
	struct exec_cfg ec;
	exec_cfg_default(&ec);
	const struct mt5_venue_port port = { .ctx = &p, .order = tp_order, .cancel = tp_cancel };
	mt5_venue_init_remote(v, t, &port, tp_out, &p);
	const struct mt5_sym sym = { .tick_pts = 5, .server_time_offset_s = -10800 };
	mt5_venue_set_sym(v, &sym);
	uint64_t c1 = 0, c2 = 0;
	int64_t now = 1000000000;
	/* down: refused; up: reconciling until the snapshot */
	cr_assert_eq(exec_new_order(t, &ec, 1, SIDE_BUY, 2, 26000, ORD_LIMIT, TIF_IOC, now, &c1),
		     VOTE_R_VENUE_DOWN);
	mt5_venue_on_state(v, 1, now);
	/* the venue stays down for new orders until the snapshot reconciled */
	cr_assert_eq(exec_new_order(t, &ec, 1, SIDE_BUY, 2, 26000, ORD_LIMIT, TIF_IOC, now, &c1),
		     VOTE_R_VENUE_DOWN);
	cr_assert_eq(v->waiting_snapshot, 1);
	mt5_venue_set_unacked(v, NULL, 0);
	mt5_venue_on_snapshot(v, snap, now);
	cr_assert_eq(exec_new_order(t, &ec, 1, SIDE_BUY, 2, 26000, ORD_LIMIT, TIF_IOC, now, &c1), 0);
	cr_assert_eq(exec_sent(t, c1, now), 0);
	cr_assert_eq(mt5_venue_send(v, c1, 777, now), 0);
	/* the terminal's units: points (tick 5) and lots x 10^8 */
	cr_assert_eq(p.n_orders, 1);
	cr_assert_eq(p.orders[0].coid, c1);
	cr_assert_eq(p.orders[0].side, MT5_SIDE_BUY);
	cr_assert_eq(p.orders[0].price, 26000 * 5);
	cr_assert_eq(p.orders[0].volume_e8, 2 * 100000000ll);
	cr_assert_eq(p.decisions[0], 777);
	/* its fill, as the link hands a TRADE */
	struct mt5_trade tr;
	memset(&tr, 0, sizeof(tr));
	tr.coid = c1;
	tr.event = MT5_EVENT_FILLED;
	tr.side = MT5_SIDE_BUY;
	tr.kind = MT5_KIND_LIMIT;
	tr.order = 500001;
	tr.deal = 700001;
	tr.price = 26000 * 5;
	tr.volume_e8 = 2 * 100000000ll;
	tr.cum_volume_e8 = 2 * 100000000ll;
	tr.time_msc = 1641200400000;
	mt5_venue_on_trade(v, &tr, 5, now + 1000, NULL, NULL);
	cr_assert_geq(p.n_outs, 1);
	const struct exec_out *f = &p.outs[p.n_outs - 1];
	cr_assert(f->act & EXEC_ACT_FILL);
	cr_assert_eq(f->coid, c1);
	cr_assert_eq(f->fill_qty, 2);
	cr_assert_eq(exec_find(t, c1)->status, EXEC_FILLED);
	/* a second order, then the link goes down before the EA acknowledged it */
	cr_assert_eq(exec_new_order(t, &ec, 2, SIDE_SELL, 1, 26010, ORD_LIMIT, TIF_IOC, now, &c2), 0);
	cr_assert_eq(exec_sent(t, c2, now), 0);
	cr_assert_eq(mt5_venue_send(v, c2, 0, now), 0);
	mt5_venue_on_state(v, 0, now + 2000);
	uint64_t c3;
	cr_assert_eq(exec_new_order(t, &ec, 3, SIDE_SELL, 1, 26010, ORD_LIMIT, TIF_IOC, now, &c3),
		     VOTE_R_VENUE_DOWN);
	/* up again: the snapshot holds the position of the first fill; the
	 * second is among the NEW_ORDERs the link keeps: it stays to be placed */
	mt5_venue_on_state(v, 1, now + 3000);
	snap->n_positions = 1;
	snap->pos[0].side = MT5_SIDE_BUY;
	snap->pos[0].volume_e8 = 2 * 100000000ll;
	snap->pos[0].price_open = 26000 * 5;
	mt5_venue_set_unacked(v, &c2, 1);
	mt5_venue_on_snapshot(v, snap, now + 3000);
	cr_assert_eq(v->st.confirmed_sent, 1);
	cr_assert_eq(exec_find(t, c2)->status, EXEC_PENDING);
	cr_assert_eq(v->st.unexplained, 0, "the terminal's position is the table's fills");
	/* and once neither the terminal nor the link has it, it ends */
	mt5_venue_set_unacked(v, NULL, 0);
	mt5_venue_on_snapshot(v, snap, now + 4000);
	cr_assert(exec_status_terminal(exec_find(t, c2)->status), "status %u",
		  exec_find(t, c2)->status);
	cr_assert_eq(exec_new_order(t, &ec, 3, SIDE_SELL, 1, 26010, ORD_LIMIT, TIF_IOC, now, &c3), 0,
		     "orders pass again");
	free(snap);
	free(v);
	free(t);
}

/* The data agent's answer to an order that reached it while its link was
 * down (a killed data agent's successor: execution thought the link up):
 * ORDER_RESULT not accepted, retcode 10006.  The table's order ends
 * rejected, a report says so, and the next snapshot (the terminal never
 * had it, the link keeps nothing of it) changes nothing. */
Test(mt5_venue_remote, an_order_refused_for_the_link_ends_rejected)
{
	size_t tsz = exec_table_memsize(64);
	struct exec_table *t = aligned_alloc(64, (tsz + 63) & ~(size_t)63);
	struct mt5_venue *v = calloc(1, sizeof(*v));
	struct mt5_link_snap *snap = calloc(1, sizeof(*snap));
	static struct t_port p;
	memset(&p, 0, sizeof(p));
	cr_assert(t && v && snap);
	cr_assert_eq(exec_table_init(t, tsz, 64, 3), 0);
	cr_assert_eq(exec_table_attach(t, tsz), 0);
	struct exec_cfg ec;
	exec_cfg_default(&ec);
	const struct mt5_venue_port port = { .ctx = &p, .order = tp_order, .cancel = tp_cancel };
	mt5_venue_init_remote(v, t, &port, tp_out, &p);
	const struct mt5_sym sym = { .tick_pts = 5, .server_time_offset_s = -10800 };
	mt5_venue_set_sym(v, &sym);
	int64_t now = 1000000000;
	mt5_venue_on_state(v, 1, now);
	mt5_venue_set_unacked(v, NULL, 0);
	mt5_venue_on_snapshot(v, snap, now);
	uint64_t c1 = 0;
	cr_assert_eq(exec_new_order(t, &ec, 1, SIDE_BUY, 1, 26000, ORD_LIMIT, TIF_IOC, now, &c1), 0);
	cr_assert_eq(exec_sent(t, c1, now), 0);
	cr_assert_eq(mt5_venue_send(v, c1, 0, now), 0);
	cr_assert_eq(exec_find(t, c1)->status, EXEC_PENDING);
	uint32_t outs = p.n_outs;
	struct mt5_order_result r;
	memset(&r, 0, sizeof(r));
	r.coid = c1;
	r.cmd = MT5_CMD_NEW;
	r.accepted = 0;
	r.retcode = MT5_RC_REJECT;
	mt5_venue_on_result(v, &r, now + 1000);
	cr_expect_eq(exec_find(t, c1)->status, EXEC_REJECTED);
	cr_expect_eq(v->st.refused_cmds, 1);
	cr_expect_gt(p.n_outs, outs, "the rejection reported");
	cr_expect_eq(exec_find(t, c1)->cum_qty, 0);
	/* the link comes up again: the terminal and the link know nothing of it */
	mt5_venue_on_state(v, 0, now + 2000);
	mt5_venue_on_state(v, 1, now + 3000);
	mt5_venue_set_unacked(v, NULL, 0);
	mt5_venue_on_snapshot(v, snap, now + 3000);
	cr_expect_eq(exec_find(t, c1)->status, EXEC_REJECTED);
	cr_expect_eq(v->st.unexplained, 0);
	cr_expect_eq(p.n_orders, 1, "sent once, never again");
	free(snap);
	free(v);
	free(t);
}
