/*
 * feed.c — the reader API (feed.h) and what every format shares: the line
 * source, exact decimal and time parsing, bad-row bookkeeping.
 *
 * The line source keeps one buffer of cap bytes (+1 for a terminating
 * NUL).  A line is returned in place; reading more first moves the unread
 * tail to the front, so memory never grows whatever the file size.  A line
 * that does not fit is skipped whole and reported as -E2BIG.
 */
#include "libcore/feed/feed_int.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#endif

/* ------------------------------------------------------------ gzip */

/*
 * A gzip file is inflated in process (zlib), one chunk of the line buffer
 * at a time, as `gzip -dc` would: members one after another (a file of
 * concatenated members is their concatenation), anything after the last
 * member that does not start a new one is ignored (gzip's "trailing
 * garbage"), and a stream that is corrupt or ends inside a member is bad
 * input, -DM_ECORRUPT, with the offset of the compressed byte where
 * inflate stopped (feed_src_why).
 */
#define GZ_IN_BYTES (128u << 10)

enum { GZ_MEMBER, GZ_BETWEEN, GZ_END };

struct feed_gz {
	z_stream zs;
	uint64_t in_base;        /* file offset of in[0] */
	uint64_t in_read;        /* compressed bytes read so far */
	int      in_eof;
	int      state;          /* GZ_MEMBER, GZ_BETWEEN, GZ_END */
	uint64_t members;        /* members begun */
	char     why[160];       /* the last error, for feed_src_why */
	unsigned char in[GZ_IN_BYTES];
};

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int gz_open(struct feed_src *s)
{
	struct feed_gz *g = calloc(1, sizeof(*g));

	if (!g)
		return -ENOMEM;
	/* 16 + MAX_WBITS: a gzip wrapper, not zlib's */
	if (inflateInit2(&g->zs, 16 + MAX_WBITS) != Z_OK) {
		free(g);
		return -ENOMEM;
	}
	g->zs.next_in = g->in;
	g->members = 1;
	s->gz = g;
	return 0;
}

static void gz_close(struct feed_src *s)
{
	struct feed_gz *g = s->gz;

	if (g) {
		inflateEnd(&g->zs);
		free(g);
	}
	s->gz = NULL;
}

/* Offset in the file of the next compressed byte inflate would read. */
static uint64_t gz_offset(const struct feed_gz *g)
{
	return g->in_base + (uint64_t)(g->zs.next_in - g->in);
}

/* Keep the unread input, then read more after it.  Returns 0 or -errno. */
static int gz_refill(struct feed_src *s, struct feed_gz *g)
{
	size_t keep = g->zs.avail_in;

	g->in_base = gz_offset(g);
	memmove(g->in, g->zs.next_in, keep);
	g->zs.next_in = g->in;
	for (;;) {
		ssize_t n = read(s->fd, g->in + keep, sizeof(g->in) - keep);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			g->in_eof = 1;
		g->in_read += (uint64_t)n;
		g->zs.avail_in = (uInt)(keep + (size_t)n);
		return 0;
	}
}

static int gz_corrupt(struct feed_gz *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int gz_corrupt(struct feed_gz *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g->why, sizeof(g->why), fmt, ap);
	va_end(ap);
	g->state = GZ_END;
	return -DM_ECORRUPT;
}

/* Up to n decompressed bytes into dst: the count, 0 at the end of the
 * last member, -DM_ECORRUPT or -errno. */
static ssize_t gz_read(struct feed_src *s, char *dst, size_t n)
{
	struct feed_gz *g = s->gz;

	while (g->state != GZ_END) {
		int rc;

		if (g->state == GZ_BETWEEN) {
			/* another member, or the end (trailing bytes ignored) */
			if (g->zs.avail_in < 2 && !g->in_eof && (rc = gz_refill(s, g)) < 0)
				return rc;
			if (g->zs.avail_in < 2 && !g->in_eof)
				continue;
			if (g->zs.avail_in < 2 || g->zs.next_in[0] != 0x1f ||
			    g->zs.next_in[1] != 0x8b) {
				g->state = GZ_END;
				break;
			}
			if (inflateReset(&g->zs) != Z_OK)
				return gz_corrupt(g, "cannot restart inflate");
			g->members++;
			g->state = GZ_MEMBER;
		}
		if (g->zs.avail_in == 0) {
			if (g->in_eof)
				return gz_corrupt(g, "the gzip stream ends inside member %" PRIu64
						  " at compressed byte %" PRIu64 " (truncated?)",
						  g->members, gz_offset(g));
			if ((rc = gz_refill(s, g)) < 0)
				return rc;
			continue;
		}
		g->zs.next_out = (Bytef *)dst;
		g->zs.avail_out = (uInt)(n < UINT_MAX ? n : UINT_MAX);
		rc = inflate(&g->zs, Z_NO_FLUSH);
		size_t got = (size_t)((char *)g->zs.next_out - dst);
		if (rc == Z_STREAM_END)
			g->state = GZ_BETWEEN;
		else if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT || rc == Z_STREAM_ERROR ||
			 (rc == Z_BUF_ERROR && !got && g->zs.avail_in))
			return gz_corrupt(g, "corrupt gzip data at compressed byte %" PRIu64
					  " (member %" PRIu64 "): %s", gz_offset(g), g->members,
					  g->zs.msg ? g->zs.msg : "bad stream");
		else if (rc == Z_MEM_ERROR)
			return -ENOMEM;
		if (got)
			return (ssize_t)got;
	}
	return 0;
}

/* ------------------------------------------------------------ line source */

/* Up to n bytes of the file (inflated when gzip) into dst. */
static ssize_t src_read(struct feed_src *s, char *dst, size_t n)
{
	if (s->gz)
		return gz_read(s, dst, n);
	for (;;) {
		ssize_t k = read(s->fd, dst, n);
		if (k < 0 && errno == EINTR)
			continue;
		return k < 0 ? -errno : k;
	}
}

const char *feed_src_why(const struct feed_src *s, int rc)
{
	const struct feed_gz *g = s->gz;

	if (rc == -DM_ECORRUPT && g && g->why[0])
		return g->why;
	return rc == -DM_ECORRUPT ? "corrupt data" : strerror(-rc);
}

int feed_src_open(struct feed_src *s, const char *path, size_t cap,
		  char *err, size_t errlen)
{
	unsigned char magic[2];
	int fd, gz, rc;
	ssize_t k;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->path = path;
	s->fresh = 1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return rc;
	}
	s->fd = fd;
	k = pread(fd, magic, sizeof(magic), 0);
	if (k < 0 && errno == ESPIPE)
		gz = ends_with(path, ".gz");
	else
		gz = k == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
	if (gz && (rc = gz_open(s)) < 0) {
		feed_src_close(s);
		snprintf(err, errlen, "%s: cannot set up inflate: %s", path, strerror(-rc));
		return rc;
	}
	/* calloc: the slack after the NUL is read by the fast parsers */
	s->buf = calloc(1, cap + 1 + FEED_SRC_SLACK);
	if (!s->buf) {
		feed_src_close(s);
		snprintf(err, errlen, "%s: out of memory for a %zu-byte line buffer",
			 path, cap);
		return -ENOMEM;
	}
	s->cap = cap;
	return 0;
}

void feed_src_close(struct feed_src *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	gz_close(s);
	free(s->buf);
	s->buf = NULL;
}

ssize_t feed_src_read(struct feed_src *s, char *dst, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t k = src_read(s, dst + got, n - got);
		if (k < 0)
			return k;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

/* Narrow n UTF-16LE bytes at buf[src] into bytes at buf[dst] (dst <= src);
 * an odd byte waits in s->carry.  Returns the bytes produced. */
static size_t narrow(struct feed_src *s, size_t dst, size_t src, size_t n)
{
	unsigned char *b = (unsigned char *)s->buf;
	size_t w = dst, i = src, lim = src + n;

	if (s->carry_set && i < lim) {
		unsigned char hi = b[i++];
		b[w++] = hi ? 0x7f : s->carry;
		s->carry_set = 0;
	}
	for (; i + 1 < lim; i += 2)
		b[w++] = b[i + 1] ? 0x7f : b[i];
	if (i < lim) {
		s->carry = b[i];
		s->carry_set = 1;
	}
	return w - dst;
}

/* Drop a byte-order mark at the start of the file. */
static void strip_bom(struct feed_src *s)
{
	unsigned char *b = (unsigned char *)s->buf;

	if (s->end >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf) {
		memmove(b, b + 3, s->end - 3);
		s->end -= 3;
	} else if (s->end >= 2 && b[0] == 0xff && b[1] == 0xfe) {
		s->utf16 = 1;
		s->end = narrow(s, 0, 2, s->end - 2);
	}
}

/* Compact, then read once more.  Returns 0, or -errno / -DM_ECORRUPT. */
static int src_fill(struct feed_src *s)
{
	if (s->beg) {
		memmove(s->buf, s->buf + s->beg, s->end - s->beg);
		s->end -= s->beg;
		s->beg = 0;
	}
	while (s->end < s->cap && !s->eof) {
		ssize_t n = src_read(s, s->buf + s->end, s->cap - s->end);
		if (n < 0)
			return (int)n;
		if (n == 0) {
			s->eof = 1;
			if (s->fresh) {
				s->fresh = 0;
				strip_bom(s);
			}
			return 0;
		}
		if (s->fresh) {
			s->end += (size_t)n;
			if (s->end < 3)
				continue;      /* too few bytes to tell a BOM */
			s->fresh = 0;
			strip_bom(s);
			return 0;
		}
		if (s->utf16)
			n = (ssize_t)narrow(s, s->end, s->end, (size_t)n);
		s->end += (size_t)n;
		if (n > 0)
			return 0;
	}
	return 0;
}

int feed_src_line(struct feed_src *s, char **line, size_t *len)
{
	size_t scan = s->beg;

	if (s->unget) {
		s->unget = 0;
		s->line++;
		s->consumed += s->ul_adv;
		*line = s->buf + s->ul_off;
		*len = s->ul_len;
		return 1;
	}
	for (;;) {
		char *nl = memchr(s->buf + scan, '\n', s->end - scan);
		size_t off = s->beg, n;

		if (!nl && s->eof) {
			if (s->beg == s->end) {
				if (!s->skipping)
					return 0;
				s->skipping = 0;
				s->line++;
				return -E2BIG;
			}
			nl = s->buf + s->end; /* last line without "\n" */
		}
		if (nl) {
			n = (size_t)(nl - (s->buf + off));
			s->beg = (size_t)(nl - s->buf) + (nl < s->buf + s->end);
			s->line++;
			if (s->skipping) {
				s->skipping = 0;
				return -E2BIG;
			}
			*nl = '\0';
			s->consumed += s->beg - off;
			if (n && s->buf[off + n - 1] == '\r')
				s->buf[off + --n] = '\0';
			s->ul_off = off;
			s->ul_len = n;
			s->ul_adv = s->beg - off;
			*line = s->buf + off;
			*len = n;
			return 1;
		}
		if (s->skipping) {
			s->beg = s->end;
		} else if (s->beg == 0 && s->end == s->cap) {
			s->skipping = 1; /* longer than the buffer */
			s->beg = s->end;
		}
		scan = s->end - s->beg; /* already searched, after compaction */
		int rc = src_fill(s);
		if (rc < 0)
			return rc;
	}
}

void feed_src_unget(struct feed_src *s)
{
	s->unget = 1;
	s->line--;
	s->consumed -= s->ul_adv;
}

/* ------------------------------------------------------------ numbers */

static const int64_t pow10_i[19] = {
	1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL,
	100000000LL, 1000000000LL, 10000000000LL, 100000000000LL,
	1000000000000LL, 10000000000000LL, 100000000000000LL,
	1000000000000000LL, 10000000000000000LL, 100000000000000000LL,
	1000000000000000000LL
};

#define FEED_UNIT_MAX_K 12

void feed_unit_prepare(struct feed_unit *u)
{
	uint64_t m = (uint64_t)u->m, inv;

	u->shift = (uint32_t)__builtin_ctzll(m);
	m >>= u->shift;
	inv = m; /* Newton: each step doubles the correct low bits (3 to start) */
	for (int i = 0; i < 5; i++)
		inv *= 2 - m * inv;
	u->inv = inv;
	u->lim = UINT64_MAX / m;
}

int feed_unit_from_double(double v, struct feed_unit *u)
{
	if (!(v > 0) || !isfinite(v))
		return -EINVAL;
	for (int k = 0; k <= FEED_UNIT_MAX_K; k++) {
		double x = v * (double)pow10_i[k];
		if (x > 1e15)
			return -EINVAL;
		double m = nearbyint(x);
		if (m >= 1 && fabs(x - m) <= 1e-14 * x) {
			memset(u, 0, sizeof(*u));
			u->m = (int64_t)m;
			u->k = k;
			feed_unit_prepare(u);
			return 0;
		}
	}
	return -EINVAL;
}

int feed_num(const char *s, size_t n, const struct feed_unit *u, int64_t *out)
{
	const char *p = s, *end = s + n, *ip, *ie, *fp = NULL, *fe = NULL;
	uint64_t mant = 0;
	int neg = 0, digits = 0;
	size_t e;

	while (p < end && *p == ' ')
		p++;
	while (end > p && end[-1] == ' ')
		end--;
	if (p < end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	ip = p;
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	ie = p;
	if (p < end && *p == '.') {
		fp = ++p;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		fe = p;
	}
	if (p != end || (ie == ip && fe == fp))
		return FEED_NUM_SYNTAX;
	if (fp) /* trailing zeros of the fraction carry nothing */
		while (fe > fp && fe[-1] == '0')
			fe--;
	e = fp ? (size_t)(fe - fp) : 0;
	for (const char *q = ip; q < ie; q++) {
		if (!mant && *q == '0')
			continue;
		if (++digits > 19)
			return FEED_NUM_RANGE;
		mant = mant * 10 + (uint64_t)(*q - '0');
	}
	for (const char *q = fp; q && q < fe; q++) {
		if (!mant && *q == '0')
			continue;
		if (++digits > 19)
			return FEED_NUM_RANGE;
		mant = mant * 10 + (uint64_t)(*q - '0');
	}
	if (!mant) {
		*out = 0;
		return FEED_NUM_OK;
	}
	/* value = mant / 10^e, unit = m / 10^k, value / unit =
	 * mant * 10^(k-e) / m.  When e > k the last digit of mant (non-zero)
	 * would have to be divisible by 10: never a whole number. */
	if ((int64_t)e > u->k)
		return FEED_NUM_GRID;
	uint64_t q;
	if (u->inv && !__builtin_mul_overflow(mant, (uint64_t)pow10_i[u->k - (int32_t)e], &q)) {
		/* the usual case: exact division by shift and inverse */
		if (q & ((1ull << u->shift) - 1))
			return FEED_NUM_GRID;
		q = (q >> u->shift) * u->inv;
		if (q > u->lim)
			return FEED_NUM_GRID;
		if (q > (uint64_t)INT64_MAX)
			return FEED_NUM_RANGE;
		*out = neg ? -(int64_t)q : (int64_t)q;
		return FEED_NUM_OK;
	}
	unsigned __int128 num = (unsigned __int128)mant * (uint64_t)pow10_i[u->k - (int32_t)e];
	if (num % (uint64_t)u->m)
		return FEED_NUM_GRID;
	num /= (uint64_t)u->m;
	if (num > (unsigned __int128)INT64_MAX)
		return FEED_NUM_RANGE;
	*out = neg ? -(int64_t)num : (int64_t)num;
	return FEED_NUM_OK;
}

int feed_int(const char *s, size_t n, int64_t *out)
{
	static const struct feed_unit one = { .m = 1, .k = 0 };
	return feed_num(s, n, &one, out);
}

const char *feed_num_why(int rc)
{
	switch (rc) {
	case FEED_NUM_SYNTAX: return "not a number";
	case FEED_NUM_GRID:   return "not a whole number of units (off the tick/lot grid)";
	case FEED_NUM_RANGE:  return "out of range";
	default:              return "ok";
	}
}

/* ------------------------------------------------------------ time */

int64_t feed_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	/* Era arithmetic on a March-based year (Hinnant's algorithm). */
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int days_in_month(int64_t y, unsigned m)
{
	static const unsigned char dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 ? 28 + leap : dm[m - 1];
}

/* n decimal digits at s into *v; 0 or -1. */
static int digits(const char *s, size_t n, unsigned *v)
{
	unsigned x = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (unsigned)(s[i] - '0');
	}
	*v = x;
	return 0;
}

int feed_parse_date(const char *s, size_t n, char sep, int64_t *days)
{
	unsigned y, m, d;

	if (n != 10 || s[4] != sep || s[7] != sep || digits(s, 4, &y) ||
	    digits(s + 5, 2, &m) || digits(s + 8, 2, &d))
		return -EINVAL;
	if (m < 1 || m > 12 || d < 1 || d > (unsigned)days_in_month(y, m))
		return -EINVAL;
	int64_t v = feed_days_from_civil(y, m, d);
	if (v < FEED_DAY_MIN || v > FEED_DAY_MAX)
		return -ERANGE;
	*days = v;
	return 0;
}

int feed_time_ns(int64_t days, int64_t tod_ns, int64_t utc_offset_s, int64_t *ns)
{
	int64_t day_ns, off_ns, t;

	if (days < FEED_DAY_MIN || days > FEED_DAY_MAX ||
	    __builtin_mul_overflow(days, FEED_NS_PER_DAY, &day_ns) ||
	    __builtin_mul_overflow(utc_offset_s, FEED_NS_PER_S, &off_ns) ||
	    __builtin_add_overflow(day_ns, tod_ns, &t) ||
	    __builtin_sub_overflow(t, off_ns, &t) || t < FEED_NS_MIN)
		return -ERANGE;
	*ns = t;
	return 0;
}

int feed_epoch_ns(int64_t v, int64_t unit_ns, int64_t *ns)
{
	int64_t t;

	if (__builtin_mul_overflow(v, unit_ns, &t) || t < FEED_NS_MIN)
		return -ERANGE;
	*ns = t;
	return 0;
}

int feed_parse_tod(const char *s, size_t n, int64_t *ns)
{
	unsigned hh, mm, ss, f = 0;
	size_t k = 0;

	if (n < 8 || s[2] != ':' || s[5] != ':' || digits(s, 2, &hh) ||
	    digits(s + 3, 2, &mm) || digits(s + 6, 2, &ss) || hh > 23 ||
	    mm > 59 || ss > 59)
		return -EINVAL;
	if (n > 8) {
		k = n - 9;
		if (s[8] != '.' || k < 1 || k > 9 || digits(s + 9, k, &f))
			return -EINVAL;
	}
	*ns = ((int64_t)hh * 3600 + mm * 60 + ss) * FEED_NS_PER_S +
	      (int64_t)f * pow10_i[9 - k];
	return 0;
}

/* Day of month of the n-th (1-based) Sunday of y-m; n = 0 the last one. */
static unsigned nth_sunday(int64_t y, unsigned m, unsigned n)
{
	int64_t d1 = feed_days_from_civil(y, m, 1);
	unsigned wd = (unsigned)(((d1 + 4) % 7 + 7) % 7); /* 0 = Sunday */
	unsigned first = 1 + (7 - wd) % 7;
	if (n)
		return first + 7 * (n - 1);
	unsigned last = first;
	while (last + 7 <= (unsigned)days_in_month(y, m))
		last += 7;
	return last;
}

int32_t feed_new_york_offset(int64_t days)
{
	/* civil from days (inverse of feed_days_from_civil) */
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;
	int64_t y = (int64_t)yoe + era * 400 + (m <= 2);
	int64_t start, end;

	if (y >= 2007) {
		start = feed_days_from_civil(y, 3, nth_sunday(y, 3, 2));
		end = feed_days_from_civil(y, 11, nth_sunday(y, 11, 1));
	} else {
		start = feed_days_from_civil(y, 4, nth_sunday(y, 4, 1));
		end = feed_days_from_civil(y, 10, nth_sunday(y, 10, 0));
	}
	return days >= start && days < end ? -4 * 3600 : -5 * 3600;
}

/* ------------------------------------------------------------ fields */

size_t feed_split(const char *line, size_t len, char sep,
		  struct feed_field *f, size_t max)
{
	const char *p = line, *end = line + len;
	size_t k = 0;

	for (;;) {
		const char *q = memchr(p, sep, (size_t)(end - p));
		const char *e = q ? q : end;
		if (k < max) {
			f[k].p = p;
			f[k].n = (size_t)(e - p);
		}
		k++;
		if (!q)
			return k;
		p = q + 1;
	}
}

size_t feed_find_seps(const char *line, size_t n, char sep, uint32_t *pos, size_t max)
{
	size_t k = 0;
#if defined(__SSE2__)
	const __m128i c = _mm_set1_epi8(sep);
	for (size_t i = 0; i < n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(line + i));
		uint32_t m = (uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, c));
		if (n - i < 16)
			m &= (1u << (n - i)) - 1;
		if (DM_UNLIKELY(k + 16 > max)) {
			for (; m; m &= m - 1, k++)
				if (k < max)
					pos[k] = (uint32_t)(i + (size_t)__builtin_ctz(m));
			continue;
		}
		for (; m; m &= m - 1)
			pos[k++] = (uint32_t)(i + (size_t)__builtin_ctz(m));
	}
#else
	for (const char *p = line, *e = line + n; (p = memchr(p, sep, (size_t)(e - p))); p++, k++)
		if (k < max)
			pos[k] = (uint32_t)(p - line);
#endif
	return k;
}

/*
 * feed_scan_ints, one block of 64 bytes at a time: bit i of each mask
 * stands for byte i of the block.  Writes the sep offsets, 8 of them
 * unconditionally (pos has room: max >= k + 64 is checked by the caller),
 * so the usual block needs no branch per sep.
 */
static inline __attribute__((always_inline)) size_t
scan_block(uint64_t m, uint64_t mi, uint64_t d, uint64_t valid, size_t base,
	   uint32_t *pos, size_t k, uint64_t *start, uint64_t *bad, int cnt)
{
	*bad |= ((mi & ~((m << 1) | *start)) | ~(d | m | mi)) & valid;
	*start = m >> 63;
	m &= valid;
	for (int j = 0; j < 8; j++) {
		pos[k + (size_t)j] = (uint32_t)(base + (size_t)__builtin_ctzll(m | (1ull << 63)));
		m &= m - 1;
	}
	for (size_t j = k + 8; DM_UNLIKELY(m); m &= m - 1, j++)
		pos[j] = (uint32_t)(base + (size_t)__builtin_ctzll(m));
	return k + (size_t)cnt;
}

#if defined(__x86_64__)
__attribute__((target("avx2,popcnt,bmi")))
static size_t scan_ints_avx2(const char *line, size_t n, char sep, uint32_t *pos,
			     size_t max, int *plain)
{
	const __m256i c = _mm256_set1_epi8(sep), minus = _mm256_set1_epi8('-');
	const __m256i lo = _mm256_set1_epi8('0' - 1), hi = _mm256_set1_epi8('9' + 1);
	uint64_t bad = 0, start = 1;
	size_t k = 0;

	for (size_t i = 0; i < n; i += 64) {
		uint64_t m = 0, mi = 0, d = 0;
		for (int h = 0; h < 2; h++) {
			__m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(line + i + 32 * (size_t)h));
			__m256i dig = _mm256_and_si256(_mm256_cmpgt_epi8(v, lo), _mm256_cmpgt_epi8(hi, v));
			m |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, c)) << (32 * h);
			mi |= (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, minus)) << (32 * h);
			d |= (uint64_t)(uint32_t)_mm256_movemask_epi8(dig) << (32 * h);
		}
		uint64_t valid = n - i < 64 ? (1ull << (n - i)) - 1 : ~0ull;
		int cnt = __builtin_popcountll(m & valid);
		if (DM_UNLIKELY(k + 64 > max)) {
			bad |= ((mi & ~((m << 1) | start)) | ~(d | m | mi)) & valid;
			start = m >> 63;
			for (m &= valid; m; m &= m - 1, k++)
				if (k < max)
					pos[k] = (uint32_t)(i + (size_t)__builtin_ctzll(m));
			continue;
		}
		k = scan_block(m, mi, d, valid, i, pos, k, &start, &bad, cnt);
	}
	*plain = !bad;
	return k;
}
#endif

#if defined(__x86_64__)
static int scan_avx2; /* set once before main, read-only after */

__attribute__((constructor)) static void scan_init(void)
{
	__builtin_cpu_init(); /* constructors may run before libgcc's own */
	scan_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt") &&
		    __builtin_cpu_supports("bmi");
}
#endif

size_t feed_scan_ints(const char *line, size_t n, char sep, uint32_t *pos,
		      size_t max, int *plain)
{
#if defined(__x86_64__)
	if (DM_LIKELY(scan_avx2))
		return scan_ints_avx2(line, n, sep, pos, max, plain);
#endif
	/* portable: a sep at a time; plain says nothing (slow path per row) */
	*plain = 0;
	return feed_find_seps(line, n, sep, pos, max);
}

const char *feed_field_show(const char *p, size_t n, char *buf, size_t len)
{
	size_t w = 0;

	for (size_t i = 0; i < n && w + 4 < len && i < 40; i++)
		buf[w++] = (p[i] >= 0x20 && p[i] < 0x7f) ? p[i] : '?';
	if (n > 40 && w + 4 < len) {
		memcpy(buf + w, "...", 3);
		w += 3;
	}
	buf[w] = '\0';
	return buf;
}

/* ------------------------------------------------------------ reader */

static void keep_sample(struct feed_reader *r)
{
	struct feed_stats *st = &r->st;
	if (st->n_samples < FEED_SAMPLES) {
		size_t n = strnlen(r->err, FEED_SAMPLE_LEN - 1);
		memcpy(st->sample[st->n_samples], r->err, n);
		st->sample[st->n_samples][n] = '\0';
		st->n_samples++;
	}
}

int feed_bad(struct feed_reader *r, const struct feed_src *s, const char *fmt, ...)
{
	char why[FEED_ERR_LEN / 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(r->err, sizeof(r->err), "%.200s:%llu: %s", s->path,
		 (unsigned long long)s->line, why);
	r->st.skipped++;
	if (!r->st.first_bad_line)
		r->st.first_bad_line = s->line ? s->line : 1;
	keep_sample(r);
	return r->o.strict ? -DM_ECORRUPT : 0;
}

int feed_fail_src(struct feed_reader *r, const struct feed_src *s, int rc)
{
	return feed_fail(r, rc, "%s: %s%s", s->path, rc == -DM_ECORRUPT ? "" : "read error: ",
			 feed_src_why(s, rc));
}

int feed_fail(struct feed_reader *r, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
	return err;
}

void feed_ev_start(const struct feed_reader *r, struct event *ev,
		   uint32_t kind, int64_t exch_ns, int64_t recv_ns)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->instrument = r->o.instrument;
	ev->exch_ns = exch_ns;
	ev->recv_ns = recv_ns;
}

void feed_book_flags(struct feed_reader *r, struct event *ev, uint32_t extra)
{
	struct ev_book *b = &ev->book;
	uint32_t f = extra;

	if (b->n_bid && b->n_ask && b->bid[0].px >= b->ask[0].px)
		f |= BOOK_F_CROSSED;
	if (ev->exch_ns < r->last_book_ns)
		f |= BOOK_F_OUT_OF_ORDER;
	r->last_book_ns = ev->exch_ns;
	b->flags = f;
}

void feed_push(struct feed_reader *r, const struct event *ev)
{
	if (r->n_pend < sizeof(r->pend) / sizeof(r->pend[0]))
		r->pend[r->n_pend++] = *ev;
}

/* ------------------------------------------------------------ API */

static const char *const fmt_names[] = {
	[FEED_AUTO] = "auto", [FEED_LOBSTER] = "lobster", [FEED_MT5] = "mt5",
	[FEED_NEG] = "neg", [FEED_BINANCE] = "binance", [FEED_JOURNAL] = "journal",
};

const char *feed_format_name(enum feed_format fmt)
{
	if ((unsigned)fmt >= sizeof(fmt_names) / sizeof(fmt_names[0]))
		return NULL;
	return fmt_names[fmt];
}

int feed_format_parse(const char *s)
{
	for (unsigned i = 0; s && i < sizeof(fmt_names) / sizeof(fmt_names[0]); i++)
		if (strcmp(s, fmt_names[i]) == 0)
			return (int)i;
	return -1;
}

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');
	return b ? b + 1 : path;
}

/* Format by file name alone; FEED_AUTO when the name says nothing. */
static enum feed_format detect_by_name(const char *path)
{
	const char *b = base_name(path);

	if (strstr(b, "_message_") || strstr(b, "_orderbook_"))
		return FEED_LOBSTER;
	if (strncmp(b, "NEG_", 4) == 0)
		return FEED_NEG;
	return FEED_AUTO;
}

enum feed_format feed_detect_name(const char *path)
{
	return detect_by_name(path);
}

static enum feed_format detect_by_line(const char *l, size_t n)
{
	size_t i = 0;

	if (n >= 6 && memcmp(l, "DMJRNL", 6) == 0)
		return FEED_JOURNAL;
	if (n >= 6 && memcmp(l, "RH NEG", 6) == 0)
		return FEED_NEG;
	if (memmem(l, n, "<DATE>", 6) && memmem(l, n, "<TIME>", 6))
		return FEED_MT5;
	while (i < n && l[i] >= '0' && l[i] <= '9')
		i++;
	if (i > 0 && i + 1 < n && l[i] == ' ' && l[i + 1] == '{')
		return FEED_BINANCE;
	return FEED_AUTO;
}

static int tick_refused(double tick, char *err, size_t errlen)
{
	snprintf(err, errlen, "tick size %g refused: give the price units per "
		 "tick as a positive decimal with at most 12 decimals (LOBSTER "
		 "1 cent = 100, WIN 5, Binance spot 0.01)", tick);
	return -EINVAL;
}

static int check_opts(struct feed_reader *r, const struct feed_opts *o,
		      char *err, size_t errlen)
{
	if (!o) {
		snprintf(err, errlen, "feed options missing");
		return -EINVAL;
	}
	r->o = *o;
	r->levels = o->levels ? o->levels : EV_MAX_LEVELS;
	if (r->levels > EV_MAX_LEVELS) {
		snprintf(err, errlen, "levels %u out of range 1..%u", o->levels,
			 (unsigned)EV_MAX_LEVELS);
		return -EINVAL;
	}
	/* tick 0 waits for the format: a journal needs none */
	if (o->tick != 0 && feed_unit_from_double(o->tick, &r->px_unit))
		return tick_refused(o->tick, err, errlen);
	if (feed_unit_from_double(o->lot ? o->lot : 1.0, &r->qty_unit)) {
		snprintf(err, errlen, "lot size %g refused: give a positive decimal "
			 "with at most 12 decimals", o->lot);
		return -EINVAL;
	}
	if (!r->o.line_max)
		r->o.line_max = FEED_DEF_LINE_MAX;
	if (r->o.line_max < FEED_MIN_LINE_MAX) {
		snprintf(err, errlen, "line_max %u below %u", r->o.line_max,
			 FEED_MIN_LINE_MAX);
		return -EINVAL;
	}
	if (!r->o.book_cap)
		r->o.book_cap = FEED_DEF_BOOK_CAP;
	if (!r->o.pend_bytes)
		r->o.pend_bytes = FEED_DEF_PEND_BYTES;
	if (o->symbol) {
		size_t n = strlen(o->symbol);
		if (n == 0 || n >= FEED_SYMBOL_MAX) {
			snprintf(err, errlen, "symbol '%s': 1..%u characters", o->symbol,
				 FEED_SYMBOL_MAX - 1);
			return -EINVAL;
		}
		memcpy(r->sym, o->symbol, n + 1);
		r->o.symbol = r->sym;
	}
	return 0;
}

int feed_open(struct feed_reader *r, const char *path, enum feed_format fmt,
	      const struct feed_opts *o, char *err, size_t errlen)
{
	char lerr[FEED_ERR_LEN];
	int rc;

	if (!err || !errlen) {
		err = lerr;
		errlen = sizeof(lerr);
	}
	err[0] = '\0';
	memset(r, 0, sizeof(*r));
	r->src[0].fd = r->src[1].fd = -1;
	r->last_book_ns = INT64_MIN;
	if (!path || (unsigned)fmt > FEED_JOURNAL) {
		snprintf(err, errlen, "feed_open: no path or unknown format %d", (int)fmt);
		return -EINVAL;
	}
	if ((rc = check_opts(r, o, err, errlen)) < 0)
		return rc;
	size_t plen = strlen(path) + 1;
	r->paths = malloc(2 * plen + 16);
	if (!r->paths) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	memcpy(r->paths, path, plen);

	if (fmt == FEED_AUTO && feed_is_journal(path))
		fmt = FEED_JOURNAL;
	if (fmt == FEED_AUTO)
		fmt = detect_by_name(path);
	if (fmt == FEED_JOURNAL) {
		r->fmt = FEED_JOURNAL;
		rc = feed_journal_open(r, r->paths, err, errlen);
		goto opened;
	}
	if (!o->tick) {
		rc = tick_refused(o->tick, err, errlen);
		goto free_paths;
	}
	if (fmt == FEED_LOBSTER) {
		r->fmt = FEED_LOBSTER;
		rc = feed_lobster_open(r, r->paths, err, errlen);
		goto opened;
	}
	rc = feed_src_open(&r->src[0], r->paths, r->o.line_max, err, errlen);
	if (rc < 0)
		goto free_paths;
	if (fmt == FEED_AUTO) {
		char *l;
		size_t n;
		rc = feed_src_line(&r->src[0], &l, &n);
		if (rc == 1) {
			feed_src_unget(&r->src[0]);
			fmt = detect_by_line(l, n);
		} else if (rc < 0 && rc != -E2BIG) {
			snprintf(err, errlen, "%s: %s%s", path, rc == -DM_ECORRUPT ? "" :
				 "read error: ", feed_src_why(&r->src[0], rc));
			goto close_src;
		}
		if (fmt == FEED_AUTO) {
			snprintf(err, errlen, "%s: cannot tell the format from the file "
				 "name or the first line; give --format (lobster, mt5, neg, "
				 "binance, journal) if it is one of these; other data (order "
				 "files such as B3 OFER, OHLCV bars) has no reader", path);
			rc = -DM_ECONFIG;
			goto close_src;
		}
	}
	if (fmt == FEED_JOURNAL) {
		/* by its first line: not a regular file, which the journal
		 * reader then refuses with the reason */
		feed_src_close(&r->src[0]);
		r->fmt = FEED_JOURNAL;
		rc = feed_journal_open(r, r->paths, err, errlen);
		goto opened;
	}
	r->fmt = fmt;
	switch (fmt) {
	case FEED_MT5:     rc = feed_mt5_open(r); break;
	case FEED_NEG:     rc = feed_neg_open(r); break;
	case FEED_BINANCE: rc = feed_binance_open(r); break;
	default:           rc = -EINVAL; break;
	}
	if (rc < 0)
		snprintf(err, errlen, "%s", r->err);
opened:
	if (rc < 0) {
		if (r->fmt == FEED_BINANCE)
			feed_binance_close(r);
		goto close_src;
	}
	r->err[0] = '\0';
	return 0;

close_src:
	feed_src_close(&r->src[0]);
	feed_src_close(&r->src[1]);
free_paths:
	free(r->paths);
	r->paths = NULL;
	return rc;
}

/* What feed_next and feed_next_ref count of an outcome rc (ev: the event
 * of rc 1). */
static int account(struct feed_reader *r, int rc, const struct event *ev)
{
	if (rc == 1) {
		if (ev->kind == EV_BOOK)
			r->st.events_book++;
		else
			r->st.events_trade++;
	} else if (rc == 0) {
		r->done = 1;
	} else {
		r->sticky = rc;
		if (!r->err[0])
			snprintf(r->err, sizeof(r->err), "%s", dm_strerror(rc));
	}
	return rc;
}

int feed_next(struct feed_reader *r, struct event *ev)
{
	int rc;

	if (DM_UNLIKELY(r->sticky))
		return r->sticky;
	if (r->i_pend < r->n_pend) {
		*ev = r->pend[r->i_pend++];
		rc = 1;
	} else if (r->done) {
		return 0;
	} else {
		r->n_pend = r->i_pend = 0;
		switch (r->fmt) {
		case FEED_LOBSTER: rc = feed_lobster_next(r, ev); break;
		case FEED_MT5:     rc = feed_mt5_next(r, ev); break;
		case FEED_NEG:     rc = feed_neg_next(r, ev); break;
		case FEED_BINANCE: rc = feed_binance_next(r, ev); break;
		case FEED_JOURNAL: rc = feed_journal_next(r, ev); break;
		default:           rc = -EINVAL; break;
		}
		if (r->fmt != FEED_JOURNAL)
			r->st.bytes = r->src[0].consumed + r->src[1].consumed;
	}
	return account(r, rc, ev);
}

int feed_next_ref(struct feed_reader *r, const struct event **ev)
{
	if (r->fmt != FEED_JOURNAL || r->i_pend < r->n_pend || r->sticky || r->done) {
		*ev = &r->out;
		return feed_next(r, &r->out);
	}
	const struct event *e = NULL;
	int rc = feed_journal_next_ref(r, &e);
	*ev = rc == 1 ? e : &r->out;
	return account(r, rc, e);
}

const struct feed_stats *feed_stats(const struct feed_reader *r)
{
	return &r->st;
}

const char *feed_error(const struct feed_reader *r)
{
	return r->err;
}

void feed_close(struct feed_reader *r)
{
	if (r->fmt == FEED_BINANCE)
		feed_binance_close(r);
	if (r->fmt == FEED_JOURNAL)
		feed_journal_close(r);
	feed_src_close(&r->src[0]);
	feed_src_close(&r->src[1]);
	free(r->paths);
	r->paths = NULL;
}
