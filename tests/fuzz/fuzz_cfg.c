/*
 * fuzz_cfg.c — the YAML engine (libcore/config/cfg.c) on a table of its
 * own that has a row of every key type: integers of each width (one
 * scaled), a string with a check, an enum, a nested mapping, mappings
 * named from a list, a sequence of entries, decimals (int64 and double),
 * a time of day, dates, a boolean, a set, a real number, required keys,
 * and a cross-check that walks the document (cfg_root, cfg_find,
 * cfg_item) and places its error.  The same file is then loaded as two
 * parts sharing its root (cfg_load_parts) and searched for a key's place
 * (cfg_file_key_place).
 * Input: the YAML file's bytes.
 */
#include <stddef.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "libcore/config/cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

struct t_item {
	char     name[16];
	int32_t  w;
	uint32_t on;
};

struct t_inner {
	uint32_t n;
	int64_t  px;
};

struct t_conf {
	int32_t  i32;
	uint32_t u32;
	int64_t  i64;
	int64_t  wait_ns;
	char     str[24];
	char     ccy[8];
	uint32_t kind;
	uint32_t who;
	int64_t  dec;
	double   ratio;
	uint32_t tod;
	uint32_t flag;
	double   dbl;
	uint32_t n_days;
	int32_t  days[4];
	uint32_t n_items;
	struct t_item items[3];
	struct t_inner inner;
	struct t_inner side[2];
};

struct t_other {
	int32_t  x;
	char     note[32];
};

static const char *const t_names[] = { "alpha", "beta", "gamma" };
static const char *const t_sides[] = { "left", "right" };

static const struct cfg_key t_item_keys[] = {
	CFG_STR("name", struct t_item, name, NULL, CFG_REQUIRED, "a name"),
	CFG_I32("w", struct t_item, w, -5, 5, NULL, 0, "a weight"),
	CFG_BOOL("on", struct t_item, on, 0, "switched on"),
	CFG_KEY_END
};

static const struct cfg_key t_inner_keys[] = {
	CFG_U32("n", struct t_inner, n, 1, 1024, cfg_check_pow2, 0, "a power of two"),
	CFG_DEC("px", struct t_inner, px, -1000LL * CFG_DEC_SCALE, 1000LL * CFG_DEC_SCALE,
		"a price"),
	CFG_KEY_END
};

static const struct cfg_key t_keys[] = {
	CFG_I32("i32", struct t_conf, i32, -100, 100, NULL, 0, "an int"),
	CFG_U32("u32", struct t_conf, u32, 0, 4096, cfg_check_mul64, 0, "a multiple of 64"),
	CFG_I64("i64", struct t_conf, i64, INT64_MIN, INT64_MAX, NULL, 0, "any int64"),
	CFG_I64_SCALED("wait_ms", struct t_conf, wait_ns, 1, 1000000, 1000000, "a wait"),
	CFG_STR("str", struct t_conf, str, NULL, 0, "a string"),
	CFG_STR("currency", struct t_conf, ccy, cfg_check_currency, CFG_REQUIRED, "money"),
	CFG_ENUM("kind", struct t_conf, kind, t_names, "kind", 0, "one name"),
	CFG_SET("who", struct t_conf, who, t_names, 3, "voter", "some names"),
	CFG_DEC("dec", struct t_conf, dec, INT64_MIN / 2, INT64_MAX / 2, "a decimal"),
	CFG_DEC_F64("ratio", struct t_conf, ratio, 0, 2LL * CFG_DEC_SCALE, "a ratio"),
	CFG_TIME("at", struct t_conf, tod, "a time of day"),
	CFG_BOOL("flag", struct t_conf, flag, 0, "a flag"),
	CFG_DBL("dbl", struct t_conf, dbl, -1000000000LL, 1000000000LL, "a real"),
	CFG_DATES("days", struct t_conf, days, n_days, "some dates"),
	{ .name = "items", .type = CFG_K_SEQ, .off = offsetof(struct t_conf, items),
	  .size = sizeof(struct t_item), .max = 3, .sub = t_item_keys,
	  .count_off = offsetof(struct t_conf, n_items), .help = "entries" },
	CFG_MAP("inner", offsetof(struct t_conf, inner), t_inner_keys, "nested"),
	CFG_MAP_NAMED(t_sides, 0, offsetof(struct t_conf, side[0]), t_inner_keys, "left"),
	CFG_MAP_NAMED(t_sides, 1, offsetof(struct t_conf, side[1]), t_inner_keys, "right"),
	CFG_KEY_END
};

static const struct cfg_key t_other_keys[] = {
	CFG_I32("x", struct t_other, x, 0, 9, NULL, 0, "a digit"),
	CFG_STR("note", struct t_other, note, NULL, 0, "a note"),
	CFG_KEY_END
};

/* Walk the document: every item's name, the inner mapping; fail when the
 * first item's weight exceeds i32, placed at it. */
static int t_check(struct cfg_ctx *x, void *dst)
{
	const struct t_conf *c = dst;
	struct cfg_node *root = cfg_root(x), *items, *it;

	(void)cfg_find_line(x, root, "inner");
	items = cfg_find(x, root, "items", 0);
	for (size_t i = 0; (it = cfg_item(x, items, i)) != NULL; i++) {
		(void)cfg_find(x, it, "name", 0);
		if (i == 0 && c->n_items && c->items[0].w > c->i32) {
			cfg_at(x, it);
			cfg_key(x, "items");
			cfg_key_index(x, i);
			cfg_key_push(x, "w");
			return cfg_fail(x, "weight %d above i32 %d (line %zu)", c->items[0].w,
					c->i32, cfg_line(x));
		}
	}
	if (c->flag && c->ratio > 1.5) {
		static const char *const keys[] = { "flag", "ratio" };
		cfg_at_section_key(x, "inner", keys, 2);
		return cfg_fail(x, "%s", cfg_path(x) ? "flag with a large ratio" : "?");
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static struct t_conf c;
	static struct t_other o;
	char err[512], dec[32], tod[16];
	size_t line, col;
	const char *p = fz_path("t.yaml");

	fz_write(p, d, n);
	memset(&c, 0, sizeof(c));
	if (cfg_load_file(p, "fuzz configuration", t_keys, &c, "empty", t_check, NULL, err,
			  sizeof(err)) == 0) {
		(void)cfg_show_dec(c.dec, dec);
		(void)cfg_show_time(c.tod, tod);
		if (c.n_items > 3 || c.n_days > 4 || c.tod > 86399 || c.flag > 1 ||
		    c.str[sizeof(c.str) - 1] || c.ccy[sizeof(c.ccy) - 1])
			__builtin_trap();
	}
	memset(&c, 0, sizeof(c));
	memset(&o, 0, sizeof(o));
	const struct cfg_part parts[2] = { { t_keys, &c }, { t_other_keys, &o } };
	(void)cfg_load_parts(p, "fuzz configuration", parts, 2, NULL, NULL, NULL, err,
			     sizeof(err));
	(void)cfg_file_key_place(p, "inner", "n", &line, &col);
	fz_unlink(p);
	return 0;
}
