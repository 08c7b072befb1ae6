/*
 * mt5_int.h — little-endian stores and loads the mt5 module's .c files
 * share (mt5_proto.c, mt5_session.c); nothing else includes it.  Explicit
 * byte shifts: the same bytes on any machine, a plain load or store on a
 * little-endian one.
 */
#ifndef DM_LIBCORE_MT5_MT5_INT_H
#define DM_LIBCORE_MT5_MT5_INT_H

#include <stdint.h>

static inline uint8_t *put_u8(uint8_t *q, uint8_t v)
{
	q[0] = v;
	return q + 1;
}

static inline uint8_t *put_u16(uint8_t *q, uint16_t v)
{
	q[0] = (uint8_t)v;
	q[1] = (uint8_t)(v >> 8);
	return q + 2;
}

static inline uint8_t *put_u32(uint8_t *q, uint32_t v)
{
	q[0] = (uint8_t)v;
	q[1] = (uint8_t)(v >> 8);
	q[2] = (uint8_t)(v >> 16);
	q[3] = (uint8_t)(v >> 24);
	return q + 4;
}

static inline uint8_t *put_u64(uint8_t *q, uint64_t v)
{
	put_u32(q, (uint32_t)v);
	put_u32(q + 4, (uint32_t)(v >> 32));
	return q + 8;
}

static inline uint8_t *put_i32(uint8_t *q, int32_t v)
{
	return put_u32(q, (uint32_t)v);
}

static inline uint8_t *put_i64(uint8_t *q, int64_t v)
{
	return put_u64(q, (uint64_t)v);
}

static inline uint8_t get_u8(const uint8_t *p)
{
	return p[0];
}

static inline uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}

static inline uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

static inline int32_t get_i32(const uint8_t *p)
{
	return (int32_t)get_u32(p);
}

static inline int64_t get_i64(const uint8_t *p)
{
	return (int64_t)get_u64(p);
}

#endif /* DM_LIBCORE_MT5_MT5_INT_H */
