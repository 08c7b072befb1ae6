/*
 * cli.c — command-line helpers shared by the tools (cli.h).
 */
#include "libcore/cli/cli.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <jansson.h>
#include <string.h>

#include "libcore/config/config.h"
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

int cli_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (*end || errno)
		return -1;
	*out = v;
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

int cli_feed_option(int opt, const char *arg, struct cli_feed_args *fa)
{
	long v;

	switch (opt) {
	case CLI_O_FORMAT:
		fa->format = feed_format_parse(arg);
		if (fa->format < 0)
			return cli_usage_error("--format '%s': expected auto, lobster, mt5, "
					       "neg, binance or journal", arg);
		return 1;
	case CLI_O_LEVELS:
		if (cli_parse_long(arg, 1, EV_MAX_LEVELS, &v))
			return cli_usage_error("--levels '%s': expected a whole number 1..%u",
					       arg, EV_MAX_LEVELS);
		fa->levels = (uint32_t)v;
		return 1;
	case CLI_O_TICK:
	case CLI_O_LOT: {
		int64_t d;
		if (feed_dec_parse(arg, &d))
			return cli_usage_error("%s '%s': expected a positive decimal with at most "
					       "%u decimals in the instrument's units (%s)",
					       opt == CLI_O_TICK ? "--tick" : "--lot", arg,
					       FEED_DEC_MAX, opt == CLI_O_TICK ?
					       "LOBSTER 0.01 dollars, WIN 5 points, BTCUSDT 0.01 USDT" :
					       "1 share or contract, 0.00001 BTC");
		if (opt == CLI_O_TICK)
			fa->tick = arg;
		else
			fa->lot = arg;
		return 1;
	}
	case CLI_O_SYMBOL:
		if (!*arg || strlen(arg) >= JOURNAL_SYMBOL_MAX)
			return cli_usage_error("--symbol '%s': expected 1..%u characters", arg,
					       JOURNAL_SYMBOL_MAX - 1);
		fa->symbol = arg;
		return 1;
	case CLI_O_UTC:
		if (cli_parse_long(arg, -720, 840, &v))
			return cli_usage_error("--utc-offset '%s': expected minutes -720..840 "
					       "(Sao Paulo -180)", arg);
		fa->utc_offset_min = (int32_t)v;
		fa->have_utc = 1;
		return 1;
	case CLI_O_STRICT:
		fa->strict = 1;
		return 1;
	default:
		return 0;
	}
}

void cli_feed_want(const struct cli_feed_args *fa, const struct dm_config *cfg,
		   struct feed_instr *conf_buf, struct feed_want *w)
{
	memset(w, 0, sizeof(*w));
	feed_instr_from_config(conf_buf, &cfg->instrument);
	w->fmt = (enum feed_format)fa->format;
	w->tick = fa->tick;
	w->lot = fa->lot;
	w->symbol = fa->symbol;
	w->levels = fa->levels;
	w->have_utc = fa->have_utc;
	w->utc_offset_min = fa->utc_offset_min;
	w->strict = fa->strict;
	w->conf = conf_buf;
	w->conf_utc_offset_min = cfg->instrument.utc_offset_min;
}

json_t *cli_instr_json(const struct feed_instr *in)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:f}", "symbol", in->symbol, "tick", in->tick,
			 "lot", in->lot, "currency", in->currency, "point_value",
			 in->point_value);
}

int cli_parse_duration_ns(const char *s, int64_t *out)
{
	static const struct { const char *unit; double ns; } units[] = {
		{ "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "m", 60e9 },
		{ "h", 3600e9 },
	};
	char *end;
	if (!s || !(isdigit((unsigned char)*s) || *s == '.') || strpbrk(s, "xXpP"))
		return -1;
	if (strcmp(s, "0") == 0) {
		*out = 0;
		return 0;
	}
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || !isfinite(v) || v < 0)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) != 0)
			continue;
		double ns = v * units[i].ns;
		if (ns > 9.2e18)
			return -1;
		*out = (int64_t)llround(ns);
		return 0;
	}
	return -1;
}

int cli_add_file(const char *opt, const char *arg, const char **list, uint32_t *n,
		 uint32_t max)
{
	if (*n == max)
		return cli_usage_error("%s: at most %u files", opt, max);
	list[(*n)++] = arg;
	return 0;
}
