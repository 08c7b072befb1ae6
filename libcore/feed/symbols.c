/*
 * symbols.c — the symbols of a multi-symbol market-data file (feed.h:
 * feed_list_symbols): a B3 NEG file's instrument column, a Binance
 * capture's "s" fields.  One streaming pass over the lines; start-up and
 * tool code only.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "libcore/feed/feed.h"
#include "libcore/feed/feed_int.h"

#define NEG_FIELDS   18
#define NEG_SYMBOL   1
#define NEG_TRADE_IND 6

/* The entry of name (n bytes) in out[0..*used), added when new; NULL when
 * the table is full. */
static struct feed_symbol *sym_get(struct feed_symbol *out, uint32_t cap, uint32_t *used,
				   const char *name, size_t n, uint32_t *last)
{
	if (n >= FEED_SYMBOL_MAX)
		n = FEED_SYMBOL_MAX - 1;
	if (*used && strncmp(out[*last].name, name, n) == 0 && out[*last].name[n] == '\0')
		return &out[*last];
	for (uint32_t i = 0; i < *used; i++)
		if (strncmp(out[i].name, name, n) == 0 && out[i].name[n] == '\0') {
			*last = i;
			return &out[i];
		}
	if (*used == cap)
		return NULL;
	memset(&out[*used], 0, sizeof(out[0]));
	memcpy(out[*used].name, name, n);
	*last = (*used)++;
	return &out[*last];
}

int feed_list_symbols(const char *path, enum feed_format fmt, struct feed_symbol *out,
		      uint32_t cap, char *err, size_t errlen)
{
	struct feed_src s;
	uint32_t used = 0, last = 0;
	char *l;
	size_t n;
	int rc;

	if (fmt != FEED_NEG && fmt != FEED_BINANCE) {
		snprintf(err, errlen, "%s: %s files hold one instrument; symbols are listed "
			 "for NEG and Binance files", path, feed_format_name(fmt));
		return -EINVAL;
	}
	memset(&s, 0, sizeof(s));
	if ((rc = feed_src_open(&s, path, FEED_DEF_LINE_MAX, err, errlen)) < 0)
		return rc;
	while ((rc = feed_src_line(&s, &l, &n)) != 0) {
		struct feed_symbol *e;
		const char *name;
		size_t k;
		int trade;

		if (rc == -E2BIG)
			continue;
		if (rc < 0) {
			snprintf(err, errlen, "%s: %s%s", path,
				 rc == -DM_ECORRUPT ? "" : "read error: ", feed_src_why(&s, rc));
			goto close;
		}
		if (fmt == FEED_NEG) {
			struct feed_field f[NEG_FIELDS + 2];
			if (n < 3 || memcmp(l, "RH ", 3) == 0 || memcmp(l, "RT ", 3) == 0)
				continue;
			k = feed_split(l, n, ';', f, NEG_FIELDS + 2);
			if (k < NEG_FIELDS)
				continue;
			name = f[NEG_SYMBOL].p;
			k = f[NEG_SYMBOL].n;
			while (k && *name == ' ') {
				name++;
				k--;
			}
			while (k && name[k - 1] == ' ')
				k--;
			trade = f[NEG_TRADE_IND].n == 1 && f[NEG_TRADE_IND].p[0] == '1';
		} else {
			const char *p = strstr(l, "\"s\":\"");
			if (!p)
				continue;
			name = p + 5;
			k = strcspn(name, "\"");
			trade = strstr(l, "\"e\":\"trade\"") || strstr(l, "\"e\":\"aggTrade\"");
		}
		if (!k)
			continue;
		if (!(e = sym_get(out, cap, &used, name, k, &last))) {
			snprintf(err, errlen, "%s: more than %u symbols", path, cap);
			rc = -ENOSPC;
			goto close;
		}
		e->rows++;
		e->trades += trade != 0;
	}
	rc = (int)used;
close:
	feed_src_close(&s);
	return rc;
}
