/*
 * cli.h — command-line helpers shared by the tools in tools/: the program
 * name in messages, the usage-error and failure printers, a monotonic
 * clock and strict number parsers for option values.
 *
 * Messages.  Every line a tool writes to stderr starts with its program
 * name ("dm-features: ...").  A usage error adds a second line pointing at
 * --help and means exit 2; a failure carries the exit code the caller
 * passes (1 runtime failure, 2 bad input), as specs/cli.md asks.
 *
 * Threads.  For a tool's main thread: the program name is one global set
 * once at start-up.  Nothing here allocates.
 */
#ifndef DM_LIBCORE_CLI_H
#define DM_LIBCORE_CLI_H

#include <stdint.h>
#include <stdio.h>

/* Name the program for every message below ("dm-features"); name must
 * outlive the program (a string literal).  Call first thing in main. */
void cli_set_prog(const char *name);

/* The name set by cli_set_prog ("dm" before). */
const char *cli_prog(void);

/* DreamMaker's release, "MAJOR.MINOR.PATCH". */
#define DM_VERSION "0.5.0"

/* --version: writes "PROG (DreamMaker) DM_VERSION" and the build's layout
 * words (journal and segment message layouts) to stdout; returns 0, the
 * exit code.  Every tool takes --version with this meaning. */
int cli_version(void);

/*
 * Bad usage: writes "PROG: <message>" and "(PROG --help for usage)" to
 * stderr and returns 2, the exit code, so that parsers can
 * `return cli_usage_error(...)`.
 */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The usage error for what getopt_long returns instead of an option
 * (optstring starting with ':', opterr = 0): c ':' is an option missing
 * its value ("ARG needs a value"), anything else an unknown option
 * ("unknown option 'ARG'"); arg is argv[optind - 1].  Returns 2. */
int cli_bad_option(int c, const char *arg);

/* A failure: writes "PROG: <message>" to stderr and returns code. */
int cli_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Exit code of a negative errno (or project error) from a library call:
 * 1 when the machine failed us (ENOMEM, EIO, ENOSPC, EMFILE, ENFILE,
 * EAGAIN), 2 for anything about the input or the usage. */
int cli_exit_code(int rc);

/* CLOCK_MONOTONIC in ns, for progress lines and run times. */
int64_t cli_mono_ns(void);

/* The same clock in seconds. */
double cli_mono_s(void);

/*
 * Number parsers for option values.  Each takes all of s (no trailing
 * text) and returns 0 with the value in *out, or -1 leaving the caller to
 * name the option in its message; *out may be written on failure.
 *
 *   cli_parse_long        decimal integer lo..hi (strtol: a sign is allowed)
 *   cli_parse_u32         decimal digits only (no sign, no space), lo..hi
 *   cli_parse_u64         an unsigned 64-bit number, no sign: decimal, or
 *                         hex with 0x and octal with a leading 0 (seeds)
 *   cli_parse_double      a finite number
 *   cli_parse_pos_double  a finite number > 0
 */
int cli_parse_long(const char *s, long lo, long hi, long *out);
int cli_parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out);
int cli_parse_u64(const char *s, uint64_t *out);
int cli_parse_double(const char *s, double *out);
int cli_parse_pos_double(const char *s, double *out);

/*
 * A duration written with its unit (specs/cli.md): a whole or decimal
 * number >= 0 then ns, us, ms, s, m or h ("500ms", "30s", "1.5m"; "0"
 * alone is 0).  0 with nanoseconds in *out (rounded to the nearest), or -1
 * (no unit, an unknown one, negative, above about 292 years).  Pure.
 */
int cli_parse_duration_ns(const char *s, int64_t *out);

/*
 * A file option that may be given again (-c A -c B: each over the ones
 * before): arg appended to list (n used of max).  0, or 2 after the usage
 * error naming opt.
 */
int cli_add_file(const char *opt, const char *arg, const char **list, uint32_t *n,
		 uint32_t max);

/*
 * Options with one meaning in every tool (specs/cli.md), by their getopt
 * codes: long options only, above any character a tool uses.  The feed
 * options are those of every tool that reads market data:
 *
 *   --format F        auto|lobster|mt5|neg|binance|journal (default auto)
 *   --tick T          tick in the instrument's own units (LOBSTER dollars,
 *                     Binance quote currency, WIN points); default: the
 *                     file's (feed_resolve)
 *   --lot Q           size unit per lot, the instrument's units
 *   --levels L        book levels per side read from the input, deeper ones
 *                     dropped; 1..20, default 20 (all an event holds)
 *   --symbol S        the instrument to keep (NEG, Binance) and its name
 *   --utc-offset MIN  local time of MT5 / NEG files (LOBSTER: replaces the
 *                     New York rules); default the configuration's (-180)
 *   --strict          the first bad row stops the tool (exit 2)
 */
enum {
	CLI_O_FORMAT = 0x100, CLI_O_TICK, CLI_O_LOT, CLI_O_LEVELS, CLI_O_SYMBOL,
	CLI_O_UTC, CLI_O_STRICT, CLI_O_VERSION, CLI_O_QUIET, CLI_O_JSON
};

#define CLI_FEED_LONGOPTS                                                   \
	{ "format",     required_argument, NULL, CLI_O_FORMAT },            \
	{ "tick",       required_argument, NULL, CLI_O_TICK },              \
	{ "lot",        required_argument, NULL, CLI_O_LOT },               \
	{ "levels",     required_argument, NULL, CLI_O_LEVELS },            \
	{ "symbol",     required_argument, NULL, CLI_O_SYMBOL },            \
	{ "utc-offset", required_argument, NULL, CLI_O_UTC },               \
	{ "strict",     no_argument,       NULL, CLI_O_STRICT }

/* --help, --version, -c/--config, --quiet, --json: every tool's. */
#define CLI_COMMON_LONGOPTS                                                 \
	{ "help",       no_argument,       NULL, 'h' },                     \
	{ "version",    no_argument,       NULL, CLI_O_VERSION },           \
	{ "config",     required_argument, NULL, 'c' },                     \
	{ "quiet",      no_argument,       NULL, CLI_O_QUIET }

/* The same options for a usage text, one line each, in one wording. */
#define CLI_FEED_HELP \
"  --format F        auto (default: by name, magic or first line), lobster,\n" \
"                    mt5, neg, binance, journal\n" \
"  --tick T          tick in the instrument's own units: LOBSTER dollars\n" \
"                    (default 0.01), Binance the quote currency (default: found\n" \
"                    from the file, BTCUSDT spot 0.01, USD-M 0.1), MT5 and NEG\n" \
"                    the configured instrument's (WIN 5 points), a journal its\n" \
"                    header's; a tick most prices are off is refused (exit 2)\n" \
"  --lot Q           size unit of one lot, the instrument's units: LOBSTER 1\n" \
"                    share, Binance found from the file (spot BTCUSDT 0.00001\n" \
"                    BTC), MT5 / NEG the configured (WIN 1 contract)\n" \
"  --levels L        book levels per side read, deeper ones dropped: 1..20\n" \
"                    (default 20, all an event holds)\n" \
"  --symbol S        NEG: the instrument to keep (default the file's first;\n" \
"                    dm-inspect --list-symbols lists them); Binance: keep \"s\"\n" \
"                    = S; any format: the instrument's name\n" \
"  --utc-offset MIN  MT5 and NEG times are local = UTC + MIN minutes (default\n" \
"                    the configuration's, -180 for B3); LOBSTER: instead of the\n" \
"                    New York rules\n" \
"  --strict          stop at the first bad row: exit 2 naming file:line\n" \
"                    (default: skip bad rows, count them, show samples)\n"

#define CLI_COMMON_HELP \
"  -c, --config F    YAML configuration over the built-in defaults (which equal\n" \
"                    conf/default.yaml): its instrument is MT5's and NEG's\n" \
"  --quiet           no summary or progress on stderr\n" \
"  -h, --help        this text\n" \
"  --version         the release and the journal layout\n"

/* The market-data options, as given (NULL / 0 = not given). */
struct cli_feed_args {
	int         format;     /* enum feed_format, FEED_AUTO = 0 */
	uint32_t    levels;     /* 1..20; 0 = EV_MAX_LEVELS */
	const char *tick, *lot; /* decimal text, the instrument's units */
	const char *symbol;
	int         have_utc;
	int32_t     utc_offset_min;
	int         strict;
};

/*
 * Take feed option opt (CLI_O_FORMAT .. CLI_O_STRICT) with value arg into
 * *fa.  Returns 1 when opt is one of them and was taken, 0 when opt is not
 * a feed option, or 2 (the exit code) after writing the usage error that
 * names the option.
 */
int cli_feed_option(int opt, const char *arg, struct cli_feed_args *fa);

struct dm_config;
struct feed_want;
struct feed_instr;

/* The request of feed_resolve (libcore/feed/feed.h) from the options and
 * the loaded configuration; conf_buf receives the configured instrument
 * and must outlive *w. */
void cli_feed_want(const struct cli_feed_args *fa, const struct dm_config *cfg,
		   struct feed_instr *conf_buf, struct feed_want *w);

/* The machine form of an instrument, as dm-convert --json and dm-inspect
 * --json print it (a new jansson object, NULL when out of memory):
 *   {"symbol":"AAPL","tick":"0.01","lot":"1","currency":"USD","point_value":1.0} */
struct json_t;
struct json_t *cli_instr_json(const struct feed_instr *in);

#endif /* DM_LIBCORE_CLI_H */
