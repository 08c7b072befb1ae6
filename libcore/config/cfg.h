/*
 * cfg.h — the YAML engine: typed key tables walked over a caller's struct.
 *
 * Design note.  A module describes its settings by a static table of struct
 * cfg_key rows: name, type, offset into the struct the table describes,
 * range, enum names, an optional extra rule and a help line. cfg_load_file()
 * reads a YAML document (libyaml) and walks it against the table, so a new
 * setting is one new row plus its default; no parsing code changes.  A
 * CFG_K_MAP row nests a sub-table at an offset, a CFG_K_SEQ row a list of
 * entries of one size, so a table may describe a whole file (struct
 * dm_config, libcore/config/config.h) or one module's section (struct
 * feat_params, struct venue_cfg, ...), which the file's table nests.
 *
 * Besides integers, strings and names, a value may be a decimal (CFG_K_DEC,
 * stored x CFG_DEC_SCALE in an int64_t: "0.20" -> 200000; CFG_K_DEC_F64, the
 * same syntax and messages, stored as the double value / CFG_DEC_SCALE), a
 * time of day (CFG_K_TIME, "HH:MM" or "HH:MM:SS" -> seconds after midnight
 * in a uint32_t), a sequence of dates (CFG_K_DATES, "YYYY-MM-DD" -> int32_t
 * days since 1970-01-01, with an entry count like CFG_K_SEQ), a boolean
 * (CFG_K_BOOL, true or false -> uint32_t 1 or 0), a set of names (CFG_K_SET,
 * a sequence like [risk, execution] -> uint32_t with bit 1 << index in
 * names[]), a real number (CFG_K_DBL, a double within [min, max] x 10^-6)
 * or a duration (CFG_K_DUR, a whole number with its unit, ns, us, ms, s, m
 * or h, or a bare 0: "1s", "250ms" -> int64_t nanoseconds within [min,
 * max] ns, shown in messages in the largest unit that keeps them exact).
 * A CFG_K_I64 row with a scale stores the YAML's integer times the scale
 * (milliseconds read into a nanosecond field), its range and messages in the
 * YAML's unit.
 *
 * A row flagged CFG_REQUIRED must be present in its mapping (or sequence
 * entry).  A CFG_K_ENUM row stores the index of the name in names[].
 *
 * Errors.  Every error is one line naming file:line:column of the key it
 * is about (of the entry, for a whole sequence entry) and the key's dotted
 * path ("conf/x.yaml:12:5: key 'agents.feature.spin_iters': value -3 out
 * of range [0, 100000000]"); an unknown key or name adds the closest
 * allowed one ("did you mean 'levels'?") and the list of allowed ones.
 * Cross-checks that need more than one field run after the walk, through
 * the cfg_ctx functions below, and fail the same way (cfg_fail).
 *
 * Input limits.  A configuration file is a regular file of at most
 * CFG_FILE_MAX bytes whose collections nest at most CFG_DEPTH_MAX deep.  It
 * is opened with O_NONBLOCK and checked with fstat before anything is
 * read, so a FIFO, a device or a directory is refused at once ("path:
 * cannot read: a FIFO, not a regular file ..."); a larger file is refused
 * at the place it crosses the limit, a deeper one at the first collection
 * too deep ("path:1:65: nesting deeper than 64 levels ..."), both before
 * libyaml builds a document, so any file is refused in milliseconds.
 *
 * Everything here may allocate (libyaml does) and reads files: start-up
 * code and tools, never a do_work loop.  No state is kept between calls.
 */
#ifndef DM_LIBCORE_CONFIG_CFG_H
#define DM_LIBCORE_CONFIG_CFG_H

#include <stddef.h>
#include <stdint.h>

#define CFG_DEC_SCALE 1000000  /* CFG_K_DEC keys are stored as value x 10^6 */
#define CFG_FILE_MAX  (1u << 20) /* bytes a configuration file may hold (1 MiB) */
#define CFG_DEPTH_MAX 64         /* nesting of mappings and sequences */

enum cfg_type {
	CFG_K_I32, CFG_K_U32, CFG_K_I64, CFG_K_STR, CFG_K_ENUM, CFG_K_MAP, CFG_K_SEQ,
	CFG_K_DEC, CFG_K_DEC_F64, CFG_K_TIME, CFG_K_DATES, CFG_K_BOOL, CFG_K_SET, CFG_K_DBL,
	CFG_K_DUR
};

#define CFG_REQUIRED 1u /* must be present in its mapping (or sequence entry) */

struct cfg_key {
	const char *name;          /* NULL: names[name_idx] (see CFG_MAP_NAMED);
	                            * NULL with names NULL ends the table */
	enum cfg_type type;
	uint32_t flags;            /* CFG_REQUIRED */
	size_t off;                /* offset in the enclosing struct */
	size_t size;               /* STR: buffer size; SEQ: element size */
	int64_t scale;             /* I64: stored value = YAML value x scale
	                            * (0 = 1); min, max in the YAML's unit */
	int64_t min, max;          /* I32, U32, I64, DEC, DEC_F64, TIME: range;
	                            * DBL: range x 10^6; SEQ, DATES: max entries */
	const char *const *names;  /* ENUM, SET: allowed names */
	size_t n_names;
	size_t name_idx;           /* a nameless row: its name is names[name_idx] */
	const char *what;          /* ENUM, SET: what a name denotes */
	const struct cfg_key *sub; /* MAP, SEQ: table of the nested keys */
	size_t count_off;          /* SEQ, DATES: uint32_t entry count */
	/* Extra rule checked on the stored field; returns why it fails or NULL. */
	const char *(*check)(const void *field);
	const char *help;
};

#define CFG_ARRAY_SIZE(a)       (sizeof(a) / sizeof((a)[0]))
#define CFG_FIELD_SIZE(st, fld) sizeof(((st *)0)->fld)

#define CFG_INT_ROW(t, nm, st, fld, lo, hi, chk, fl, hlp)                  \
	{ .name = nm, .type = t, .flags = fl, .off = offsetof(st, fld),    \
	  .min = lo, .max = hi, .check = chk, .help = hlp }
#define CFG_U32(nm, st, fld, lo, hi, chk, fl, hlp) \
	CFG_INT_ROW(CFG_K_U32, nm, st, fld, lo, hi, chk, fl, hlp)
#define CFG_I32(nm, st, fld, lo, hi, chk, fl, hlp) \
	CFG_INT_ROW(CFG_K_I32, nm, st, fld, lo, hi, chk, fl, hlp)
#define CFG_I64(nm, st, fld, lo, hi, chk, fl, hlp) \
	CFG_INT_ROW(CFG_K_I64, nm, st, fld, lo, hi, chk, fl, hlp)
/* an integer in the YAML's unit (ms, say) into an int64_t field in a
 * finer one (ns): stored x sc; the range and messages in the YAML's unit */
#define CFG_I64_SCALED(nm, st, fld, lo, hi, sc, hlp)                      \
	{ .name = nm, .type = CFG_K_I64, .off = offsetof(st, fld),             \
	  .min = lo, .max = hi, .scale = sc, .help = hlp }
#define CFG_STR(nm, st, fld, chk, fl, hlp)                                 \
	{ .name = nm, .type = CFG_K_STR, .flags = fl, .off = offsetof(st, fld),\
	  .size = CFG_FIELD_SIZE(st, fld), .check = chk, .help = hlp }
#define CFG_ENUM(nm, st, fld, list, wh, fl, hlp)                           \
	{ .name = nm, .type = CFG_K_ENUM, .flags = fl, .off = offsetof(st, fld),\
	  .names = list, .n_names = CFG_ARRAY_SIZE(list), .what = wh, .help = hlp }
#define CFG_MAP(nm, offset, table, hlp)                                    \
	{ .name = nm, .type = CFG_K_MAP, .off = offset, .sub = table, .help = hlp }
/* A mapping named list[i] (a table of one row per name of a list). */
#define CFG_MAP_NAMED(list, i, offset, table, hlp)                         \
	{ .name = NULL, .names = list, .name_idx = i, .type = CFG_K_MAP,       \
	  .off = offset, .sub = table, .help = hlp }
#define CFG_DEC(nm, st, fld, lo, hi, hlp)                                  \
	{ .name = nm, .type = CFG_K_DEC, .off = offsetof(st, fld),             \
	  .min = lo, .max = hi, .help = hlp }
#define CFG_DECF(nm, st, fld, lo, hi, fl, hlp)                             \
	{ .name = nm, .type = CFG_K_DEC, .flags = fl, .off = offsetof(st, fld),\
	  .min = lo, .max = hi, .help = hlp }
/* a decimal (CFG_K_DEC syntax, range x CFG_DEC_SCALE) into a double field */
#define CFG_DEC_F64(nm, st, fld, lo, hi, hlp)                              \
	{ .name = nm, .type = CFG_K_DEC_F64, .off = offsetof(st, fld),         \
	  .min = lo, .max = hi, .help = hlp }
#define CFG_TIME(nm, st, fld, hlp)                                         \
	{ .name = nm, .type = CFG_K_TIME, .off = offsetof(st, fld),            \
	  .min = 0, .max = 86399, .help = hlp }
#define CFG_DATES(nm, st, fld, cnt, hlp)                                   \
	{ .name = nm, .type = CFG_K_DATES, .off = offsetof(st, fld),           \
	  .max = CFG_ARRAY_SIZE(((st *)0)->fld),                           \
	  .count_off = offsetof(st, cnt), .help = hlp }
#define CFG_BOOL(nm, st, fld, fl, hlp)                                     \
	{ .name = nm, .type = CFG_K_BOOL, .flags = fl, .off = offsetof(st, fld), .help = hlp }
#define CFG_SET(nm, st, fld, list, n, wh, hlp)                             \
	{ .name = nm, .type = CFG_K_SET, .off = offsetof(st, fld),             \
	  .names = list, .n_names = n, .what = wh, .help = hlp }
#define CFG_DBL(nm, st, fld, lo_e6, hi_e6, hlp)                            \
	{ .name = nm, .type = CFG_K_DBL, .off = offsetof(st, fld),             \
	  .min = lo_e6, .max = hi_e6, .help = hlp }
/* a duration ("1s", "250ms", "0") into an int64_t field in ns; lo, hi in ns */
#define CFG_DUR(nm, st, fld, lo, hi, hlp)                                  \
	{ .name = nm, .type = CFG_K_DUR, .off = offsetof(st, fld),             \
	  .min = lo, .max = hi, .help = hlp }
#define CFG_KEY_END { .name = NULL }

/* The walk's state: the file, the document, where the key being checked
 * sits and its dotted path.  Handed to cross-checks; opaque. */
struct cfg_ctx;
/* A node of the document being loaded (mapping, sequence or scalar). */
struct cfg_node;

/* A cross-check: runs once every key is in dst; 0 or cfg_fail(). */
typedef int (*cfg_check_fn)(struct cfg_ctx *x, void *dst);

/*
 * Load the YAML file at path against tab into dst (the caller's scratch
 * copy, holding its defaults): what names the file in messages ("cannot
 * use as <what> path"); empty, when not NULL, is the error for a file
 * without a document; check (may be NULL) runs once every key is in, with
 * arg reachable through cfg_arg().  The file must hold one document.
 * Returns 0, or -DM_ECONFIG with one line in err (errlen bytes, may be
 * NULL; a longer message is cut); an unreadable file gives "path: cannot
 * open: <errno text>".  dst may be partly written on failure.
 * Allocates through libyaml and frees everything before returning.
 */
int cfg_load_file(const char *path, const char *what, const struct cfg_key *tab,
                  void *dst, const char *empty, cfg_check_fn check, const void *arg,
                  char *err, size_t errlen);

/*
 * One file, several key tables at its root: each part is a table of root
 * rows and the struct its offsets are relative to.  A root key is looked
 * up in the parts in order and loaded into its own part's struct; an
 * unknown one is measured against every part's names for "did you mean";
 * each part's CFG_REQUIRED rows must be present.  So a host may add root
 * sections of its own beside a module's (config_load_host,
 * libcore/config/config.h) and the file is still read in one pass.
 */
#define CFG_PARTS_MAX 4

struct cfg_part {
	const struct cfg_key *tab;  /* root rows, CFG_KEY_END last */
	void *dst;                  /* the struct they describe */
};

/*
 * cfg_load_file over 1..CFG_PARTS_MAX parts; check gets parts[0].dst.  No
 * root name may be in two parts' tables (refused as a caller error, like
 * a NULL table or struct: "path: cannot load <what>: ...").  Same
 * returns, messages and cost as cfg_load_file; every part's struct may be
 * partly written on failure.
 */
int cfg_load_parts(const char *path, const char *what, const struct cfg_part *parts,
                   size_t n_parts, const char *empty, cfg_check_fn check, const void *arg,
                   char *err, size_t errlen);

/* ---- for cross-checks (inside a cfg_check_fn only) */

/* The document's root node, or NULL for an empty file. */
struct cfg_node *cfg_root(struct cfg_ctx *x);

/* The value of key name in mapping map (NULL when map is NULL or not a
 * mapping, or the key is absent).  If found and at is non-zero, the place
 * errors report moves to the key. */
struct cfg_node *cfg_find(struct cfg_ctx *x, struct cfg_node *map, const char *name,
                          int at);

/* 1-based line of key name in mapping map, 0 when absent. */
size_t cfg_find_line(struct cfg_ctx *x, struct cfg_node *map, const char *name);

/* Entry i of sequence seq, or NULL (not a sequence, or too short). */
struct cfg_node *cfg_item(struct cfg_ctx *x, struct cfg_node *seq, size_t i);

/* Move the place errors report to node's start. */
void cfg_at(struct cfg_ctx *x, const struct cfg_node *node);

/* 1-based line of the place errors report. */
size_t cfg_line(const struct cfg_ctx *x);

/* The key path errors name becomes dotted ("" = the top level). */
void cfg_key(struct cfg_ctx *x, const char *dotted);

/* Append ".name" to the key path (just "name" at the top). */
void cfg_key_push(struct cfg_ctx *x, const char *name);

/* Append "[i]" to the key path. */
void cfg_key_index(struct cfg_ctx *x, size_t i);

/* Place x at the first of names[0..n) the file sets under section (names[0]
 * when none) and name that key "section.name". */
void cfg_at_section_key(struct cfg_ctx *x, const char *section,
                        const char *const *names, size_t n);

/* "file:line:col: key 'a.b': <fmt>" into the caller's err; -DM_ECONFIG. */
int cfg_fail(struct cfg_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The arg given to cfg_load_file. */
const void *cfg_arg(const struct cfg_ctx *x);

/* The file being loaded. */
const char *cfg_path(const struct cfg_ctx *x);

/* ---- messages */

/* A value x CFG_DEC_SCALE as the shortest decimal ("5", "0.2"); out. */
const char *cfg_show_dec(int64_t v, char out[32]);

/* Seconds after midnight as "HH:MM", or "HH:MM:SS" when they matter; out. */
const char *cfg_show_time(uint32_t s, char out[16]);

/* Nanoseconds as a duration in the largest unit that keeps them whole
 * ("1s", "250ms", "0"); out. */
const char *cfg_show_dur(int64_t ns, char out[32]);

/*
 * Parse a duration as a CFG_K_DUR value is written (n bytes at s, no
 * terminator needed): 0, or a whole number followed by ns, us, ms, s, m or
 * h.  0 with *ns set, or -1 (not a duration, or beyond int64_t ns).  Pure.
 */
int cfg_parse_dur(const char *s, size_t n, int64_t *ns);

/*
 * Line and column (1-based) of section.key in the YAML file at path, when
 * the file sets it: 1, else 0 (also for an unreadable or broken file).
 * Reads and parses the file.
 */
int cfg_file_key_place(const char *path, const char *section, const char *key,
                       size_t *line, size_t *column);

/* ---- checks rows share (struct cfg_key.check) */

const char *cfg_check_pow2(const void *field);     /* uint32_t, a power of two */
const char *cfg_check_mul64(const void *field);    /* uint32_t, a multiple of 64 */
const char *cfg_check_currency(const void *field); /* 1..7 capital letters */

#endif /* DM_LIBCORE_CONFIG_CFG_H */
