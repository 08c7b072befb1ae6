/*
 * feat_csv.c — feature rows as CSV text (feat_csv.h has the number rules).
 */
#include "libcore/features/feat_csv.h"

#include <string.h>

size_t feat_csv_header(char *buf, size_t cap)
{
	size_t n = 0;
	const char *first = "t_ns";

	for (int i = -1; i < FEAT_N; i++) {
		const char *s = i < 0 ? first : feat_names[i];
		size_t k = strlen(s);

		if (n + k + 2 > cap)
			return 0;
		memcpy(buf + n, s, k);
		n += k;
		buf[n++] = i == FEAT_N - 1 ? '\n' : ',';
	}
	buf[n] = '\0';
	return n;
}

size_t feat_csv_row(char *buf, int64_t t_ns, const double v[FEAT_N])
{
	char *p = fmt_i64(buf, t_ns);

	for (int i = 0; i < FEAT_N; i++) {
		*p++ = ',';
		p = fmt_double(p, v[i]);
	}
	*p++ = '\n';
	return (size_t)(p - buf);
}

void feat_csv_memo_init(struct feat_csv_memo *m)
{
	fmt_memo_init(m->col, FEAT_N);
}

size_t feat_csv_row_memo(char *buf, int64_t t_ns, const double v[FEAT_N],
			 struct feat_csv_memo *m)
{
	char *p = fmt_double_row(fmt_i64(buf, t_ns), v, FEAT_N, ',', m->col);

	*p++ = '\n';
	return (size_t)(p - buf);
}
