/*
 * cfg.c — the YAML engine of cfg.h: a key table walked over a struct.
 *
 * The loader walks the libyaml document tree (yaml_parser_load) against
 * the tables; every error names file:line:column of the key it is about
 * (of the entry, for a whole sequence entry) and the key's dotted path,
 * which the walk keeps in cfg_ctx.key as it descends.  A struct cfg_node
 * is a yaml_node_t seen from outside; only this file knows libyaml.
 */
#include "libcore/config/cfg.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "libcore/market/calendar.h"
#include "libcore/market/instrument.h"
#include "libcore/types.h"

#define ARRAY_SIZE(a)       CFG_ARRAY_SIZE(a)
#define KEY_PATH_MAX        160 /* dotted path of a key, for messages */
#define SHOW_MAX            48  /* bytes of a user's text quoted in a message */
#define LIST_MAX            384 /* "a, b, c" list of allowed names */
#define KIND_MAX            (SHOW_MAX + 32) /* "quoted string '...'" */
#define CURRENCY_MAX        8   /* currency code buffer: 1..7 letters A-Z */

/* ------------------------------------------------------------ shared checks */

const char *cfg_check_pow2(const void *field)
{
	uint32_t v;

	memcpy(&v, field, sizeof v);
	return (v & (v - 1)) ? "is not a power of two" : NULL;
}

const char *cfg_check_mul64(const void *field)
{
	uint32_t v;

	memcpy(&v, field, sizeof v);
	return (v % 64) ? "is not a multiple of 64" : NULL;
}

const char *cfg_check_currency(const void *field)
{
	const char *s = field;
	size_t n = strlen(s);

	if (n == 0 || n >= CURRENCY_MAX || s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")])
		return "must be a currency code of 1 to 7 capital letters (BRL, USD, USDT)";
	return NULL;
}

/* A row's name: its own, or names[name_idx] (CFG_MAP_NAMED). */
static const char *name_of_row(const struct cfg_key *row)
{
	if (row->name || !row->names)
		return row->name;
	return row->names[row->name_idx];
}

static int row_is_end(const struct cfg_key *row)
{
	return name_of_row(row) == NULL;
}

/* ------------------------------------------------------------ messages */

struct cfg_ctx {
	const char *path;
	char *err;
	size_t errlen;
	yaml_document_t *doc;
	yaml_mark_t mark;            /* where the key being loaded sits */
	char key[KEY_PATH_MAX];      /* its dotted path, "" at the top */
	size_t key_len;
	const void *arg;             /* the cross-check's argument, may be NULL */
};

static void vappend(char *buf, size_t len, size_t *pos, const char *fmt, va_list ap)
{
	int n;

	if (*pos >= len)
		return;
	n = vsnprintf(buf + *pos, len - *pos, fmt, ap);
	if (n > 0)
		*pos += (size_t)n;
}

static void append(char *buf, size_t len, size_t *pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vappend(buf, len, pos, fmt, ap);
	va_end(ap);
}

/* "file:line:col: key 'a.b': <fmt>" at x->mark, x->key. */
static int fail(struct cfg_ctx *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The located error of the current node and key: "FILE:LINE:COL: key 'K': ". */
static int vfail(struct cfg_ctx *x, const char *fmt, va_list ap)
{
	size_t pos = 0;

	if (!x->err || !x->errlen)
		return -DM_ECONFIG;
	append(x->err, x->errlen, &pos, "%s:%zu:%zu: ", x->path,
	       x->mark.line + 1, x->mark.column + 1);
	if (x->key_len)
		append(x->err, x->errlen, &pos, "key '%s': ", x->key);
	else
		append(x->err, x->errlen, &pos, "top level: ");
	vappend(x->err, x->errlen, &pos, fmt, ap);
	return -DM_ECONFIG;
}

static int fail(struct cfg_ctx *x, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vfail(x, fmt, ap);
	va_end(ap);
	return rc;
}

/* Copy at most SHOW_MAX bytes of s into out, control bytes as '?', so a
 * message stays one printable line. */
static const char *show(const char *s, size_t n, char out[SHOW_MAX + 4])
{
	size_t i, m = n < SHOW_MAX ? n : SHOW_MAX;

	for (i = 0; i < m; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	strcpy(out + m, n > m ? "..." : "");
	return out;
}

/* Edit distance of two short names, for "did you mean". */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[KEY_PATH_MAX + 1];

	if (la > KEY_PATH_MAX || lb > KEY_PATH_MAX)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* Writes " (did you mean 'x'?)" for a close name, then "; expected one of:
 * a, b, c" into out. */
static const char *alternatives(const char *got, const char *const *names,
                                size_t n, char out[LIST_MAX])
{
	size_t pos = 0, best = SIZE_MAX, pick = 0;

	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(got, names[i]);

		if (d < best) {
			best = d;
			pick = i;
		}
	}
	out[0] = '\0';
	if (n && best <= 2 && best < strlen(names[pick]))
		append(out, LIST_MAX, &pos, " (did you mean '%s'?)", names[pick]);
	append(out, LIST_MAX, &pos, "; expected one of:");
	for (size_t i = 0; i < n; i++)
		append(out, LIST_MAX, &pos, "%s %s", i ? "," : "", names[i]);
	return out;
}

/* ------------------------------------------------------------ yaml nodes */

static yaml_node_t *node_at(struct cfg_ctx *x, int index)
{
	return yaml_document_get_node(x->doc, index);
}

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static int is_plain(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE &&
	       n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static int is_null(const yaml_node_t *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

	if (!is_plain(n))
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(nulls); i++)
		if (strcmp(scalar(n), nulls[i]) == 0)
			return 1;
	return 0;
}

/* Describes a node for "expected X, got <this>". */
static const char *kind(const yaml_node_t *n, char out[KIND_MAX])
{
	char shown[SHOW_MAX + 4];

	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a sequence";
	if (is_null(n))
		return "null";
	snprintf(out, KIND_MAX, "%s'%s'", is_plain(n) ? "" : "quoted string ",
	         show(scalar(n), n->data.scalar.length, shown));
	return out;
}

static int scalar_is(const yaml_node_t *n, const char *name)
{
	return n->type == YAML_SCALAR_NODE &&
	       n->data.scalar.length == strlen(name) &&
	       memcmp(scalar(n), name, n->data.scalar.length) == 0;
}

/* Value of key name in mapping map (NULL if absent); *mark = the key's place. */
static yaml_node_t *map_find(struct cfg_ctx *x, yaml_node_t *map,
                             const char *name, yaml_mark_t *mark)
{
	yaml_node_pair_t *p;

	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node_at(x, p->key);

		if (scalar_is(k, name)) {
			*mark = k->start_mark;
			return node_at(x, p->value);
		}
	}
	return NULL;
}

/* ------------------------------------------------------------ key path */

static size_t key_push_name(struct cfg_ctx *x, const char *name, size_t n)
{
	size_t saved = x->key_len;
	char shown[SHOW_MAX + 4];

	append(x->key, sizeof(x->key), &x->key_len, "%s%s", saved ? "." : "",
	       show(name, n, shown));
	if (x->key_len >= sizeof(x->key))
		x->key_len = sizeof(x->key) - 1;
	return saved;
}

static size_t key_push_index(struct cfg_ctx *x, size_t i)
{
	size_t saved = x->key_len;

	append(x->key, sizeof(x->key), &x->key_len, "[%zu]", i);
	if (x->key_len >= sizeof(x->key))
		x->key_len = sizeof(x->key) - 1;
	return saved;
}

static void key_pop(struct cfg_ctx *x, size_t saved)
{
	x->key_len = saved;
	x->key[saved] = '\0';
}

/* ------------------------------------------------------------ scalars */

static int fail_type(struct cfg_ctx *x, const char *expected, const yaml_node_t *got)
{
	char buf[KIND_MAX];

	return fail(x, "expected %s, got %s", expected, kind(got, buf));
}

static int integer_syntax(const char *s, size_t n)
{
	size_t i = (n && (s[0] == '-' || s[0] == '+')) ? 1 : 0;

	if (i == n)
		return 0;
	for (; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int set_int(struct cfg_ctx *x, const struct cfg_key *row,
                   const yaml_node_t *v, void *field)
{
	const char *s = scalar(v);
	char shown[SHOW_MAX + 4];
	long long val;

	if (!is_plain(v) || !integer_syntax(s, v->data.scalar.length))
		return fail_type(x, "an integer", v);
	errno = 0;
	val = strtoll(s, NULL, 10);
	if (errno == ERANGE || val < row->min || val > row->max)
		return fail(x, "value %s out of range [%" PRId64 ", %" PRId64 "]",
		            show(s, v->data.scalar.length, shown), row->min, row->max);
	if (row->type == CFG_K_I32) {
		int32_t i = (int32_t)val;

		memcpy(field, &i, sizeof(i));
	} else if (row->type == CFG_K_I64) {
		int64_t i = val * (row->scale ? row->scale : 1);

		memcpy(field, &i, sizeof(i));
	} else {
		uint32_t u = (uint32_t)val;

		memcpy(field, &u, sizeof(u));
	}
	return 0;
}

static int set_str(struct cfg_ctx *x, const struct cfg_key *row,
                   const yaml_node_t *v, char *field)
{
	size_t n = v->data.scalar.length;

	if (is_null(v))
		return fail_type(x, "a string", v);
	if (memchr(scalar(v), '\0', n))
		return fail(x, "string contains a NUL byte");
	if (n >= row->size)
		return fail(x, "string of %zu bytes is too long (at most %zu)",
		            n, row->size - 1);
	memcpy(field, scalar(v), n + 1);
	return 0;
}

static int set_enum(struct cfg_ctx *x, const struct cfg_key *row,
                    const yaml_node_t *v, void *field)
{
	char shown[SHOW_MAX + 4], alts[LIST_MAX];

	for (uint32_t i = 0; i < row->n_names; i++) {
		if (scalar_is(v, row->names[i])) {
			memcpy(field, &i, sizeof(i));
			return 0;
		}
	}
	show(scalar(v), v->data.scalar.length, shown);
	return fail(x, "unknown %s '%s'%s", row->what, shown,
	            alternatives(shown, row->names, row->n_names, alts));
}

/* A CFG_K_DEC value (x CFG_DEC_SCALE) as the shortest decimal: "5", "0.2". */
const char *cfg_show_dec(int64_t v, char out[32])
{
	uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	uint64_t frac = mag % CFG_DEC_SCALE;
	size_t pos = 0;

	out[0] = '\0';
	append(out, 32, &pos, "%s%" PRIu64, v < 0 ? "-" : "", mag / CFG_DEC_SCALE);
	if (frac) {
		char digits[8];
		size_t n = (size_t)snprintf(digits, sizeof(digits), "%06" PRIu64, frac);

		while (n > 1 && digits[n - 1] == '0')
			digits[--n] = '\0';
		append(out, 32, &pos, ".%s", digits);
	}
	return out;
}

/* Seconds after midnight as "HH:MM", or "HH:MM:SS" when they matter. */
const char *cfg_show_time(uint32_t s, char out[16])
{
	if (s % 60)
		snprintf(out, 16, "%02u:%02u:%02u", s / 3600 % 100, s / 60 % 60, s % 60);
	else
		snprintf(out, 16, "%02u:%02u", s / 3600 % 100, s / 60 % 60);
	return out;
}

static int set_dec(struct cfg_ctx *x, const struct cfg_key *row,
                   const yaml_node_t *v, void *field)
{
	/* A price parser with 6 decimals reads exactly the CFG_K_DEC syntax. */
	static const struct instrument e6 = { .price_decimals = 6 };
	char shown[SHOW_MAX + 4], lo[32], hi[32];
	int64_t val;
	int rc;

	if (!is_plain(v))
		return fail_type(x, "a decimal number", v);
	rc = instr_pts_parse(&e6, scalar(v), v->data.scalar.length, &val);
	if (rc == -EINVAL)
		return fail_type(x, "a decimal number", v);
	show(scalar(v), v->data.scalar.length, shown);
	if (rc == -EDOM)
		return fail(x, "value %s has more than 6 decimals", shown);
	if (rc || val < row->min || val > row->max)
		return fail(x, "value %s out of range [%s, %s]", shown,
		            cfg_show_dec(row->min, lo), cfg_show_dec(row->max, hi));
	if (row->type == CFG_K_DEC_F64) {
		double d = (double)val / CFG_DEC_SCALE;

		memcpy(field, &d, sizeof(d));
	} else {
		memcpy(field, &val, sizeof(val));
	}
	return 0;
}

/* "HH:MM" or "HH:MM:SS", two digits each, 00:00 to 23:59:59. */
static int parse_time(const char *s, size_t n, uint32_t *secs)
{
	uint32_t part[3] = { 0, 0, 0 };

	if (n != 5 && n != 8)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (i % 3 == 2) {
			if (s[i] != ':')
				return -1;
		} else if (s[i] < '0' || s[i] > '9') {
			return -1;
		} else {
			part[i / 3] = part[i / 3] * 10 + (uint32_t)(s[i] - '0');
		}
	}
	if (part[0] > 23 || part[1] > 59 || part[2] > 59)
		return -1;
	*secs = part[0] * 3600 + part[1] * 60 + part[2];
	return 0;
}

static int set_time(struct cfg_ctx *x, const struct cfg_key *row,
                    const yaml_node_t *v, void *field)
{
	char shown[SHOW_MAX + 4];
	uint32_t secs;

	if (is_null(v))
		return fail_type(x, "a time of day HH:MM", v);
	if (parse_time(scalar(v), v->data.scalar.length, &secs) ||
	    secs < row->min || secs > row->max)
		return fail(x, "value '%s' is not a time of day (expected HH:MM or "
		            "HH:MM:SS, 00:00 to 23:59:59)",
		            show(scalar(v), v->data.scalar.length, shown));
	memcpy(field, &secs, sizeof(secs));
	return 0;
}

static int set_bool(struct cfg_ctx *x, const yaml_node_t *v, void *field)
{
	char shown[SHOW_MAX + 4];
	uint32_t b;

	if (is_plain(v) && (scalar_is(v, "true") || scalar_is(v, "false"))) {
		b = scalar_is(v, "true");
		memcpy(field, &b, sizeof(b));
		return 0;
	}
	return fail(x, "value '%s' is not a boolean (use true or false)",
	            show(scalar(v), v->data.scalar.length, shown));
}

static const struct {
	const char *unit;
	int64_t ns;
} dur_units[] = {
	{ "h", 3600ll * 1000000000 }, { "m", 60ll * 1000000000 }, { "s", 1000000000 },
	{ "ms", 1000000 }, { "us", 1000 }, { "ns", 1 },
};

int cfg_parse_dur(const char *s, size_t n, int64_t *ns)
{
	size_t d = 0;
	uint64_t v = 0;

	if (n == 1 && s[0] == '0') {
		*ns = 0;
		return 0;
	}
	while (d < n && s[d] >= '0' && s[d] <= '9') {
		if (v > (uint64_t)INT64_MAX / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[d] - '0');
		d++;
	}
	if (d == 0 || d == n)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(dur_units); i++) {
		size_t k = strlen(dur_units[i].unit);
		if (n - d != k || memcmp(s + d, dur_units[i].unit, k) != 0)
			continue;
		if (v > (uint64_t)INT64_MAX / (uint64_t)dur_units[i].ns)
			return -1;
		*ns = (int64_t)v * dur_units[i].ns;
		return 0;
	}
	return -1;
}

const char *cfg_show_dur(int64_t ns, char out[32])
{
	if (ns == 0) {
		snprintf(out, 32, "0");
		return out;
	}
	for (size_t i = 0; i < ARRAY_SIZE(dur_units); i++)
		if (ns % dur_units[i].ns == 0) {
			snprintf(out, 32, "%" PRId64 "%s", ns / dur_units[i].ns, dur_units[i].unit);
			return out;
		}
	return out; /* not reached: every ns is a whole number of ns */
}

static int set_dur(struct cfg_ctx *x, const struct cfg_key *row, const yaml_node_t *v,
                   void *field)
{
	char shown[SHOW_MAX + 4], lo[32], hi[32];
	int64_t ns;

	show(scalar(v), v->data.scalar.length, shown);
	if (!is_plain(v) || cfg_parse_dur(scalar(v), v->data.scalar.length, &ns) < 0)
		return fail(x, "value '%s' is not a duration (a whole number with its unit: "
		            "ns, us, ms, s, m or h, e.g. 1s or 250ms; or 0)", shown);
	if (ns < row->min || ns > row->max)
		return fail(x, "value %s out of range [%s, %s]", shown, cfg_show_dur(row->min, lo),
		            cfg_show_dur(row->max, hi));
	memcpy(field, &ns, sizeof(ns));
	return 0;
}

/* A CFG_K_DBL value: a finite number within [min, max] x 10^-6. */
static int set_dbl(struct cfg_ctx *x, const struct cfg_key *row, const yaml_node_t *v,
                   void *field)
{
	char shown[SHOW_MAX + 4], buf[64], *end;
	size_t n = v->data.scalar.length;
	double d;

	show(scalar(v), n, shown);
	if (!is_plain(v) || n == 0 || n >= sizeof(buf))
		return fail_type(x, "a number", v);
	memcpy(buf, scalar(v), n);
	buf[n] = '\0';
	errno = 0;
	d = strtod(buf, &end);
	if (*end || errno == ERANGE || !isfinite(d))
		return fail_type(x, "a number", v);
	if (d < (double)row->min / CFG_DEC_SCALE || d > (double)row->max / CFG_DEC_SCALE)
		return fail(x, "value %s out of range [%g, %g]", shown,
		            (double)row->min / CFG_DEC_SCALE, (double)row->max / CFG_DEC_SCALE);
	memcpy(field, &d, sizeof(d));
	return 0;
}

static int load_scalar(struct cfg_ctx *x, const struct cfg_key *row,
                       const yaml_node_t *v, char *field)
{
	static const char *const expect[] = {
		[CFG_K_I32] = "an integer", [CFG_K_U32] = "an integer",
		[CFG_K_STR] = "a string", [CFG_K_ENUM] = "a name",
		[CFG_K_DEC] = "a decimal number", [CFG_K_TIME] = "a time of day HH:MM",
		[CFG_K_BOOL] = "true or false", [CFG_K_I64] = "an integer",
		[CFG_K_DBL] = "a number", [CFG_K_DEC_F64] = "a decimal number",
		[CFG_K_DUR] = "a duration",
	};
	char shown[SHOW_MAX + 4];
	const char *why;
	int rc;

	if (v->type != YAML_SCALAR_NODE)
		return fail_type(x, expect[row->type], v);
	if (row->type == CFG_K_STR)
		rc = set_str(x, row, v, field);
	else if (row->type == CFG_K_ENUM)
		rc = set_enum(x, row, v, field);
	else if (row->type == CFG_K_DEC || row->type == CFG_K_DEC_F64)
		rc = set_dec(x, row, v, field);
	else if (row->type == CFG_K_TIME)
		rc = set_time(x, row, v, field);
	else if (row->type == CFG_K_BOOL)
		rc = set_bool(x, v, field);
	else if (row->type == CFG_K_DBL)
		rc = set_dbl(x, row, v, field);
	else if (row->type == CFG_K_DUR)
		rc = set_dur(x, row, v, field);
	else
		rc = set_int(x, row, v, field);
	if (rc || !row->check || !(why = row->check(field)))
		return rc;
	show(scalar(v), v->data.scalar.length, shown);
	if (row->type == CFG_K_STR)
		return fail(x, "value '%s' %s", shown, why);
	return fail(x, "value %s %s", shown, why);
}

/* ------------------------------------------------------------ mappings */

static int load_value(struct cfg_ctx *x, const struct cfg_key *row,
                      yaml_node_t *v, char *base);

static const struct cfg_key *find_row(const struct cfg_key *tab, const yaml_node_t *k)
{
	for (const struct cfg_key *row = tab; !row_is_end(row); row++)
		if (scalar_is(k, name_of_row(row)))
			return row;
	return NULL;
}

/* The names of every part's rows, in part order: an unknown key is
 * measured against all of them ("ringz" -> "rings" whichever part owns
 * it). */
static int fail_unknown(struct cfg_ctx *x, const struct cfg_part *parts, size_t n_parts,
                        const yaml_node_t *k)
{
	const char *names[32];
	char shown[SHOW_MAX + 4], alts[LIST_MAX];
	size_t n = 0;

	for (size_t i = 0; i < n_parts; i++)
		for (const struct cfg_key *row = parts[i].tab; !row_is_end(row) &&
		     n < ARRAY_SIZE(names); row++)
			names[n++] = name_of_row(row);
	show(scalar(k), k->data.scalar.length, shown);
	return fail(x, "unknown key%s", alternatives(shown, names, n, alts));
}

static int check_duplicate(struct cfg_ctx *x, yaml_node_t *map, yaml_node_pair_t *p)
{
	yaml_node_t *k = node_at(x, p->key);

	for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
		yaml_node_t *prev = node_at(x, q->key);

		if (prev->type == YAML_SCALAR_NODE &&
		    prev->data.scalar.length == k->data.scalar.length &&
		    memcmp(scalar(prev), scalar(k), k->data.scalar.length) == 0)
			return fail(x, "duplicate key (first set at line %zu, column %zu)",
			            prev->start_mark.line + 1, prev->start_mark.column + 1);
	}
	return 0;
}

/* One key of a mapping whose rows n_parts tables share: the first part
 * that has the row loads it into its own struct; seen[i] marks part i's
 * rows found (may be NULL). */
static int load_pair(struct cfg_ctx *x, yaml_node_t *map, yaml_node_pair_t *p,
                     const struct cfg_part *parts, size_t n_parts, uint32_t *seen)
{
	yaml_node_t *k = node_at(x, p->key);
	const struct cfg_key *row = NULL;
	size_t saved, i;
	int rc;

	x->mark = k->start_mark;
	if (k->type != YAML_SCALAR_NODE)
		return fail_type(x, "a key name", k);
	saved = key_push_name(x, scalar(k), k->data.scalar.length);
	rc = check_duplicate(x, map, p);
	if (rc)
		return rc;
	for (i = 0; !row && i < n_parts; i++)
		row = find_row(parts[i].tab, k);
	if (!row)
		return fail_unknown(x, parts, n_parts, k);
	i--;
	rc = load_value(x, row, node_at(x, p->value), parts[i].dst);
	if (!rc && seen && row - parts[i].tab < 32)
		seen[i] |= 1u << (row - parts[i].tab);
	key_pop(x, saved);
	return rc;
}

/* An empty value ("system:" with every key commented out) sets nothing. */
static int load_map_parts(struct cfg_ctx *x, yaml_node_t *map,
                          const struct cfg_part *parts, size_t n_parts, uint32_t *seen)
{
	yaml_node_pair_t *p;

	if (is_null(map))
		return 0;
	if (map->type != YAML_MAPPING_NODE)
		return fail_type(x, "a mapping", map);
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		int rc = load_pair(x, map, p, parts, n_parts, seen);

		if (rc)
			return rc;
	}
	return 0;
}

static int load_map(struct cfg_ctx *x, yaml_node_t *map,
                    const struct cfg_key *tab, char *base, uint32_t *seen)
{
	const struct cfg_part one = { tab, base };

	return load_map_parts(x, map, &one, 1, seen);
}

/* ------------------------------------------------------------ sequences */

static int check_required(struct cfg_ctx *x, const struct cfg_key *tab, uint32_t seen)
{
	for (const struct cfg_key *row = tab; !row_is_end(row); row++)
		if ((row->flags & CFG_REQUIRED) && row - tab < 32 && !(seen & (1u << (row - tab))))
			return fail(x, "missing required key '%s'", name_of_row(row));
	return 0;
}

static int load_entry(struct cfg_ctx *x, const struct cfg_key *row,
                      yaml_node_t *item, char *elem, size_t i)
{
	size_t saved = key_push_index(x, i);
	uint32_t seen = 0;
	int rc;

	x->mark = item->start_mark;
	if (item->type != YAML_MAPPING_NODE)
		return fail_type(x, "a mapping", item);
	rc = load_map(x, item, row->sub, elem, &seen);
	if (rc)
		return rc;
	x->mark = item->start_mark;
	rc = check_required(x, row->sub, seen);
	key_pop(x, saved);
	return rc;
}

/* A sequence replaces the whole default list. */
static int load_seq(struct cfg_ctx *x, const struct cfg_key *row,
                    yaml_node_t *v, char *base)
{
	yaml_node_item_t *start, *top;
	char *elems = base + row->off;
	uint32_t n = 0;

	if (v->type != YAML_SEQUENCE_NODE)
		return fail_type(x, "a sequence", v);
	start = v->data.sequence.items.start;
	top = v->data.sequence.items.top;
	if (top - start > row->max) {
		x->mark = node_at(x, start[row->max])->start_mark;
		return fail(x, "too many entries (at most %" PRId64 ")", row->max);
	}
	memset(elems, 0, row->size * (size_t)row->max);
	for (yaml_node_item_t *it = start; it < top; it++, n++) {
		int rc = load_entry(x, row, node_at(x, *it), elems + n * row->size, n);

		if (rc)
			return rc;
	}
	memcpy(base + row->count_off, &n, sizeof(n));
	return 0;
}

/* A sequence of "YYYY-MM-DD" scalars; replaces the default list.  Each
 * error points at its entry. */
static int load_dates(struct cfg_ctx *x, const struct cfg_key *row,
                      yaml_node_t *v, char *base)
{
	yaml_node_item_t *start, *top;
	char shown[SHOW_MAX + 4];
	int32_t *dates = (int32_t *)(base + row->off);
	uint32_t n = 0;

	if (v->type != YAML_SEQUENCE_NODE)
		return fail_type(x, "a sequence of dates", v);
	start = v->data.sequence.items.start;
	top = v->data.sequence.items.top;
	if (top - start > row->max) {
		x->mark = node_at(x, start[row->max])->start_mark;
		return fail(x, "too many entries (at most %" PRId64 ")", row->max);
	}
	memset(dates, 0, sizeof(*dates) * (size_t)row->max);
	for (yaml_node_item_t *it = start; it < top; it++, n++) {
		yaml_node_t *item = node_at(x, *it);
		size_t saved = key_push_index(x, n);
		dm_date_t d;

		x->mark = item->start_mark;
		if (item->type != YAML_SCALAR_NODE || is_null(item))
			return fail_type(x, "a date YYYY-MM-DD", item);
		if (cal_date_parse(scalar(item), item->data.scalar.length, &d))
			return fail(x, "value '%s' is not a date (expected YYYY-MM-DD, "
			            "a day that exists)",
			            show(scalar(item), item->data.scalar.length, shown));
		for (uint32_t j = 0; j < n; j++)
			if (dates[j] == d)
				return fail(x, "date %s already listed at [%" PRIu32 "] "
				            "(line %zu)", show(scalar(item),
				            item->data.scalar.length, shown), j,
				            node_at(x, start[j])->start_mark.line + 1);
		dates[n] = d;
		key_pop(x, saved);
	}
	memcpy(base + row->count_off, &n, sizeof(n));
	return 0;
}

/* "an agent", "a voter": what a name denotes with its article. */
static const char *a_what(const char *what, char out[64])
{
	snprintf(out, 64, "%s %s", strchr("aeiou", what[0]) ? "an" : "a", what);
	return out;
}

/* A set of names, [risk, execution], into a bit mask of their indices. */
static int load_set(struct cfg_ctx *x, const struct cfg_key *row,
                    yaml_node_t *v, char *base)
{
	char shown[SHOW_MAX + 4], alts[LIST_MAX], buf[64], what[80];
	uint32_t mask = 0;
	size_t n = 0;

	snprintf(what, sizeof(what), "a sequence of %s names", row->what);
	if (v->type != YAML_SEQUENCE_NODE)
		return fail_type(x, what, v);
	for (yaml_node_item_t *it = v->data.sequence.items.start;
	     it < v->data.sequence.items.top; it++, n++) {
		yaml_node_t *item = node_at(x, *it);
		size_t saved = key_push_index(x, n);
		int id = -1;

		x->mark = item->start_mark;
		snprintf(what, sizeof(what), "%s name", a_what(row->what, buf));
		if (item->type != YAML_SCALAR_NODE || is_null(item))
			return fail_type(x, what, item);
		for (size_t a = 0; a < row->n_names && a < 32; a++)
			if (scalar_is(item, row->names[a]))
				id = (int)a;
		if (id < 0) {
			show(scalar(item), item->data.scalar.length, shown);
			return fail(x, "unknown %s '%s'%s", row->what, shown,
			            alternatives(shown, row->names, row->n_names, alts));
		}
		if (mask & (1u << id))
			return fail(x, "%s '%s' listed twice", row->what, row->names[id]);
		mask |= 1u << id;
		key_pop(x, saved);
	}
	memcpy(base + row->off, &mask, sizeof(mask));
	return 0;
}

static int check_required(struct cfg_ctx *x, const struct cfg_key *tab, uint32_t seen);

/* A mapping whose table has required rows must name each of them. */
static int load_map_checked(struct cfg_ctx *x, yaml_node_t *v,
                            const struct cfg_key *tab, char *base)
{
	uint32_t seen = 0;
	int rc = load_map(x, v, tab, base, &seen);

	if (rc)
		return rc;
	x->mark = v->start_mark;
	return check_required(x, tab, seen);
}

static int load_value(struct cfg_ctx *x, const struct cfg_key *row,
                      yaml_node_t *v, char *base)
{
	switch (row->type) {
	case CFG_K_MAP:
		return load_map_checked(x, v, row->sub, base + row->off);
	case CFG_K_SET:
		return load_set(x, row, v, base);
	case CFG_K_SEQ:
		return load_seq(x, row, v, base);
	case CFG_K_DATES:
		return load_dates(x, row, v, base);
	default:
		return load_scalar(x, row, v, base + row->off);
	}
}

/* ------------------------------------------------------------ file, parser */

static int fail_file(struct cfg_ctx *x, const char *what, int errnum)
{
	if (x->err && x->errlen)
		snprintf(x->err, x->errlen, "%s: %s: %s", x->path, what, strerror(errnum));
	return -DM_ECONFIG;
}

/* What st is, for a refusal: "a FIFO", "a directory"... */
static const char *file_kind(const struct stat *st)
{
	if (S_ISDIR(st->st_mode))
		return "a directory";
	if (S_ISFIFO(st->st_mode))
		return "a FIFO";
	if (S_ISCHR(st->st_mode))
		return "a character device";
	if (S_ISBLK(st->st_mode))
		return "a block device";
	if (S_ISSOCK(st->st_mode))
		return "a socket";
	return "not a regular file";
}

/* Line and column (0-based, as libyaml's marks) of byte offset in buf. */
static yaml_mark_t mark_of_offset(const unsigned char *buf, size_t len, size_t offset)
{
	yaml_mark_t m = { 0, 0, 0 };

	for (; m.index < offset && m.index < len; m.index++) {
		m.column++;
		if (buf[m.index] == '\n') {
			m.line++;
			m.column = 0;
		}
	}
	return m;
}

/*
 * The whole file into *out (malloc'd, *len bytes, NUL after them): a
 * regular file of at most CFG_FILE_MAX bytes.  Opened with O_NONBLOCK and
 * checked with fstat before any read, so a FIFO or a device never blocks
 * and is never read; a file over the limit is read only as far as the
 * limit, to say where it is crossed.
 */
static int read_input(struct cfg_ctx *x, unsigned char **out, size_t *len)
{
	char why[160];
	struct stat st;
	unsigned char *buf;
	size_t n = 0;
	int fd = open(x->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return fail_file(x, "cannot open", errno);
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return fail_file(x, "cannot read", e);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		if (x->err && x->errlen)
			snprintf(x->err, x->errlen, "%s: cannot read: %s, not a regular file (a "
				 "configuration is a regular file of at most %u bytes)", x->path,
				 file_kind(&st), CFG_FILE_MAX);
		return -DM_ECONFIG;
	}
	buf = malloc((size_t)CFG_FILE_MAX + 2);
	if (!buf) {
		close(fd);
		return fail_file(x, "cannot read", ENOMEM);
	}
	/* one byte past the limit tells a file over it (even one that grew) */
	while (n <= CFG_FILE_MAX) {
		ssize_t k = read(fd, buf + n, (size_t)CFG_FILE_MAX + 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int e = errno;
			close(fd);
			free(buf);
			return fail_file(x, "cannot read", e);
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	close(fd);
	if (n > CFG_FILE_MAX) {
		x->mark = mark_of_offset(buf, n, CFG_FILE_MAX);
		free(buf);
		if (x->err && x->errlen) {
			snprintf(why, sizeof(why), "%s:%zu:%zu", x->path, x->mark.line + 1,
				 x->mark.column + 1);
			snprintf(x->err, x->errlen, "%s: the file goes on past %u bytes (1 MiB), the "
				 "most a configuration file may hold", why, CFG_FILE_MAX);
		}
		return -DM_ECONFIG;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

static int fail_syntax(struct cfg_ctx *x, const yaml_parser_t *p, const unsigned char *buf,
                       size_t len)
{
	size_t pos = 0;
	char ctx[128] = "";

	if (p->error == YAML_MEMORY_ERROR)
		return fail_file(x, "cannot parse", ENOMEM);
	x->mark = p->error == YAML_READER_ERROR ?
	          mark_of_offset(buf, len, p->problem_offset) : p->problem_mark;
	if (p->context)
		append(ctx, sizeof(ctx), &pos, " (%s at line %zu, column %zu)",
		       p->context, p->context_mark.line + 1, p->context_mark.column + 1);
	if (x->err && x->errlen)
		snprintf(x->err, x->errlen, "%s:%zu:%zu: YAML syntax error: %s%s",
		         x->path, x->mark.line + 1, x->mark.column + 1,
		         p->problem ? p->problem : "unknown problem", ctx);
	return -DM_ECONFIG;
}

/*
 * Nesting deeper than CFG_DEPTH_MAX is refused before any document is
 * built: one pass over the parser's events (every document of the file)
 * that stops at the first collection too deep.  libyaml's scanner spends
 * time in proportion to the open flow levels on every token, so a file of
 * 100 000 '[' would cost it minutes; here it never sees more than
 * CFG_DEPTH_MAX + 1 of them (plus its 1024-byte look-ahead).  A syntax
 * error ends the pass quietly: the load that follows reports it.
 */
static int check_depth(struct cfg_ctx *x, const unsigned char *buf, size_t len)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int depth = 0, rc = 0;

	if (!yaml_parser_initialize(&p))
		return fail_file(x, "cannot parse", ENOMEM);
	yaml_parser_set_input_string(&p, buf, len);
	while (yaml_parser_parse(&p, &ev)) {
		yaml_event_type_t t = ev.type;

		if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) {
			if (++depth > CFG_DEPTH_MAX) {
				x->mark = ev.start_mark;
				if (x->err && x->errlen)
					snprintf(x->err, x->errlen, "%s:%zu:%zu: nesting deeper than "
						 "%d levels (a configuration needs a few)", x->path,
						 x->mark.line + 1, x->mark.column + 1, CFG_DEPTH_MAX);
				rc = -DM_ECONFIG;
			}
		} else if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT) {
			depth--;
		}
		yaml_event_delete(&ev);
		if (rc || t == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&p);
	return rc;
}

/* The file's bytes into *buf, checked for size and depth. */
static int open_input(struct cfg_ctx *x, unsigned char **buf, size_t *len)
{
	int rc = read_input(x, buf, len);

	if (rc)
		return rc;
	rc = check_depth(x, *buf, *len);
	if (rc) {
		free(*buf);
		*buf = NULL;
	}
	return rc;
}

/* The file must hold one document: anything after it is refused. */
static int check_single_document(struct cfg_ctx *x, yaml_parser_t *p,
                                 const unsigned char *buf, size_t len)
{
	yaml_document_t next;
	int rc = 0;

	if (!yaml_parser_load(p, &next))
		return fail_syntax(x, p, buf, len);
	if (yaml_document_get_root_node(&next)) {
		x->mark = next.start_mark;
		key_pop(x, 0);
		rc = fail(x, "a second YAML document; the file must hold one");
	}
	yaml_document_delete(&next);
	return rc;
}

/* The root's mapping, its rows shared by the parts; each part's required
 * rows must be there. */
static int load_root(struct cfg_ctx *x, yaml_node_t *root, const struct cfg_part *parts,
                     size_t n_parts)
{
	uint32_t seen[CFG_PARTS_MAX] = { 0 };
	int rc = load_map_parts(x, root, parts, n_parts, seen);

	for (size_t i = 0; !rc && i < n_parts; i++) {
		x->mark = root->start_mark;
		rc = check_required(x, parts[i].tab, seen[i]);
	}
	return rc;
}

/* 1..CFG_PARTS_MAX parts, each with a table and a struct, no root key in
 * two tables. */
static int check_parts(struct cfg_ctx *x, const char *what, const struct cfg_part *parts,
                       size_t n_parts)
{
	char why[128];

	if (n_parts < 1 || n_parts > CFG_PARTS_MAX) {
		snprintf(why, sizeof(why), "cannot load %s: %zu key tables (1..%d)", what,
		         n_parts, CFG_PARTS_MAX);
		return fail_file(x, why, EINVAL);
	}
	for (size_t i = 0; i < n_parts; i++) {
		if (!parts[i].tab || !parts[i].dst)
			return fail_file(x, "cannot load: a key table or its struct is NULL",
			                 EINVAL);
		for (const struct cfg_key *row = parts[i].tab; !row_is_end(row); row++)
			for (size_t j = 0; j < i; j++)
				for (const struct cfg_key *r = parts[j].tab; !row_is_end(r); r++)
					if (strcmp(name_of_row(r), name_of_row(row)) == 0) {
						snprintf(why, sizeof(why), "cannot load %s: "
						         "root key '%s' in two key tables", what,
						         name_of_row(row));
						return fail_file(x, why, EINVAL);
					}
	}
	return 0;
}

int cfg_load_file(const char *path, const char *what, const struct cfg_key *tab,
                  void *dst, const char *empty, cfg_check_fn check, const void *arg,
                  char *err, size_t errlen)
{
	const struct cfg_part one = { tab, dst };

	return cfg_load_parts(path, what, &one, 1, empty, check, arg, err, errlen);
}

int cfg_load_parts(const char *path, const char *what, const struct cfg_part *parts,
                   size_t n_parts, const char *empty, cfg_check_fn check, const void *arg,
                   char *err, size_t errlen)
{
	struct cfg_ctx x = { .path = path ? path : "(null)", .err = err, .errlen = errlen,
	                      .arg = arg };
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	char why[64];
	unsigned char *buf;
	size_t len;
	int rc;

	if (!path) {
		snprintf(why, sizeof(why), "cannot use as %s path", what);
		return fail_file(&x, why, EINVAL);
	}
	rc = check_parts(&x, what, parts, n_parts);
	if (rc)
		return rc;
	rc = open_input(&x, &buf, &len);
	if (rc)
		return rc;
	if (!yaml_parser_initialize(&parser)) {
		rc = fail_file(&x, "cannot parse", ENOMEM);
		goto free_buf;
	}
	yaml_parser_set_input_string(&parser, buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = fail_syntax(&x, &parser, buf, len);
		goto delete_parser;
	}
	x.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (!root && empty) {
		x.mark.line = x.mark.column = 0;
		rc = fail(&x, "%s", empty);
	} else if (root) {
		rc = load_root(&x, root, parts, n_parts);
	}
	if (!rc && check)
		rc = check(&x, parts[0].dst);
	if (!rc)
		rc = check_single_document(&x, &parser, buf, len);
	yaml_document_delete(&doc);
	x.doc = NULL;
delete_parser:
	yaml_parser_delete(&parser);
free_buf:
	free(buf);
	return rc;
}

int cfg_file_key_place(const char *path, const char *section, const char *key,
                       size_t *line, size_t *column)
{
	struct cfg_ctx x = { .path = path };
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_mark_t m;
	int found = 0;
	unsigned char *buf;
	size_t len;

	if (!path[0] || open_input(&x, &buf, &len) != 0)
		return 0;
	if (yaml_parser_initialize(&parser)) {
		yaml_parser_set_input_string(&parser, buf, len);
		if (yaml_parser_load(&parser, &doc)) {
			x.doc = &doc;
			found = map_find(&x, map_find(&x, yaml_document_get_root_node(&doc),
			                               section, &m), key, &m) != NULL;
			yaml_document_delete(&doc);
		}
		yaml_parser_delete(&parser);
	}
	free(buf);
	if (found) {
		*line = m.line + 1;
		*column = m.column + 1;
	}
	return found;
}

/* ------------------------------------------------------------ cross-checks */

struct cfg_node *cfg_root(struct cfg_ctx *x)
{
	return (struct cfg_node *)yaml_document_get_root_node(x->doc);
}

struct cfg_node *cfg_find(struct cfg_ctx *x, struct cfg_node *map, const char *name,
                          int at)
{
	yaml_mark_t m;
	yaml_node_t *v = map_find(x, (yaml_node_t *)map, name, &m);

	if (v && at)
		x->mark = m;
	return (struct cfg_node *)v;
}

size_t cfg_find_line(struct cfg_ctx *x, struct cfg_node *map, const char *name)
{
	yaml_mark_t m;

	return map_find(x, (yaml_node_t *)map, name, &m) ? m.line + 1 : 0;
}

struct cfg_node *cfg_item(struct cfg_ctx *x, struct cfg_node *seq, size_t i)
{
	yaml_node_t *s = (yaml_node_t *)seq;

	if (!s || s->type != YAML_SEQUENCE_NODE ||
	    i >= (size_t)(s->data.sequence.items.top - s->data.sequence.items.start))
		return NULL;
	return (struct cfg_node *)node_at(x, s->data.sequence.items.start[i]);
}

void cfg_at(struct cfg_ctx *x, const struct cfg_node *node)
{
	if (node)
		x->mark = ((const yaml_node_t *)node)->start_mark;
}

size_t cfg_line(const struct cfg_ctx *x)
{
	return x->mark.line + 1;
}

void cfg_key(struct cfg_ctx *x, const char *dotted)
{
	key_pop(x, 0);
	if (*dotted)
		key_push_name(x, dotted, strlen(dotted));
}

void cfg_key_push(struct cfg_ctx *x, const char *name)
{
	key_push_name(x, name, strlen(name));
}

void cfg_key_index(struct cfg_ctx *x, size_t i)
{
	key_push_index(x, i);
}

void cfg_at_section_key(struct cfg_ctx *x, const char *section,
                        const char *const *names, size_t n)
{
	struct cfg_node *sec = cfg_find(x, cfg_root(x), section, 1);
	const char *name = names[0];

	for (size_t i = 0; i < n; i++) {
		if (cfg_find(x, sec, names[i], 1)) {
			name = names[i];
			break;
		}
	}
	key_pop(x, 0);
	key_push_name(x, section, strlen(section));
	key_push_name(x, name, strlen(name));
}

int cfg_fail(struct cfg_ctx *x, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vfail(x, fmt, ap);
	va_end(ap);
	return rc;
}

const void *cfg_arg(const struct cfg_ctx *x)
{
	return x->arg;
}

const char *cfg_path(const struct cfg_ctx *x)
{
	return x->path;
}
