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
 *   cli_parse_double      a finite number
 *   cli_parse_pos_double  a finite number > 0
 */
int cli_parse_long(const char *s, long lo, long hi, long *out);
int cli_parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out);
int cli_parse_double(const char *s, double *out);
int cli_parse_pos_double(const char *s, double *out);

/* The market-data options of the tools that read a feed (dm-features,
 * dm-inspect), by their getopt codes. */
struct cli_feed_args {
	int      format;   /* 'f' --format: enum feed_format, FEED_AUTO = 0 */
	uint32_t levels;   /* 'L' --levels 1..max_levels; 0 = the tool's default */
	double   tick;     /* 't' --tick > 0; 0 = from the file (feed_default_tick) */
	double   lot;      /* 'q' --lot > 0; 0 = the format's default */
};

/*
 * Take option opt ('f', 'L', 't' or 'q') with value arg into *fa.  Returns
 * 0, or 2 (the exit code) after writing the usage error that names the
 * option; any other opt is a usage error too.
 */
int cli_feed_option(int opt, const char *arg, uint32_t max_levels,
		    struct cli_feed_args *fa);

#endif /* DM_LIBCORE_CLI_H */
