/*
 * cli.c — command-line helpers shared by the tools (cli.h).
 */
#include "libcore/cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "libcore/feed/feed.h"

static const char *g_prog = "dm";

void cli_set_prog(const char *name)
{
	g_prog = name;
}

const char *cli_prog(void)
{
	return g_prog;
}

int cli_version(void)
{
	printf("%s (DreamMaker) %s\njournal layout %016llx\n", g_prog, DM_VERSION,
	       (unsigned long long)journal_layout_hash());
	return 0;
}

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", g_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(%s --help for usage)\n", g_prog);
	return 2;
}

int cli_bad_option(int c, const char *arg)
{
	if (c == ':')
		return cli_usage_error("%s needs a value", arg);
	return cli_usage_error("unknown option '%s'", arg);
}

int cli_fail(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", g_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

int cli_exit_code(int rc)
{
	switch (-rc) {
	case ENOMEM: case EIO: case ENOSPC: case EMFILE: case ENFILE: case EAGAIN:
		return 1;
	default:
		return 2;
	}
}

int64_t cli_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

double cli_mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int cli_parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return *s && !*end && !errno && *out >= lo && *out <= hi ? 0 : -1;
}

int cli_parse_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end || errno || v < lo || v > hi)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int cli_parse_double(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !isfinite(v))
		return -1;
	*out = v;
	return 0;
}

int cli_parse_pos_double(const char *s, double *out)
{
	double v;

	if (cli_parse_double(s, &v) || !(v > 0))
		return -1;
	*out = v;
	return 0;
}

int cli_feed_option(int opt, const char *arg, uint32_t max_levels,
		    struct cli_feed_args *fa)
{
	long v;

	switch (opt) {
	case 'f':
		fa->format = feed_format_parse(arg);
		if (fa->format < 0)
			return cli_usage_error("--format '%s': expected auto, lobster, mt5, "
					       "neg, binance or journal", arg);
		return 0;
	case 'L':
		if (cli_parse_long(arg, 1, max_levels, &v))
			return cli_usage_error("--levels '%s': expected a whole number 1..%u",
					       arg, max_levels);
		fa->levels = (uint32_t)v;
		return 0;
	case 't':
		if (cli_parse_pos_double(arg, &fa->tick))
			return cli_usage_error("--tick '%s': expected a positive number", arg);
		return 0;
	case 'q':
		if (cli_parse_pos_double(arg, &fa->lot))
			return cli_usage_error("--lot '%s': expected a positive number", arg);
		return 0;
	default:
		return cli_usage_error("unknown option '%c'", opt);
	}
}
