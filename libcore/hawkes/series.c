/*
 * series.c — event times for the Hawkes fitter (design note in series.h).
 */
#include "libcore/hawkes/series.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libcore/types.h"

int hseries_init(struct hseries *s, uint32_t dim, double max_gap_s, uint32_t ties)
{
	if (dim < 1 || dim > HSERIES_MAX_DIM || ties > HSERIES_TIES_KEEP ||
	    isnan(max_gap_s))
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->dim = dim;
	s->ties = ties;
	s->max_gap_s = max_gap_s == 0 ? HSERIES_DEF_MAX_GAP : max_gap_s;
	return 0;
}

void hseries_free(struct hseries *s)
{
	free(s->t);
	free(s->type);
	free(s->seg);
	s->t = NULL;
	s->type = NULL;
	s->seg = NULL;
	s->n = s->cap = 0;
	s->n_seg = s->seg_cap = 0;
}

static int grow_events(struct hseries *s)
{
	uint64_t cap = s->cap ? 2 * s->cap : 4096;
	double *t = realloc(s->t, cap * sizeof(*t));

	if (!t)
		return -ENOMEM;
	s->t = t;
	uint8_t *ty = realloc(s->type, cap * sizeof(*ty));
	if (!ty)
		return -ENOMEM;
	s->type = ty;
	s->cap = cap;
	return 0;
}

static struct hseries_seg *new_segment(struct hseries *s)
{
	struct hseries_seg *g;

	if (s->n_seg == s->seg_cap) {
		uint32_t cap = s->seg_cap ? 2 * s->seg_cap : 16;
		g = realloc(s->seg, cap * sizeof(*g));
		if (!g)
			return NULL;
		s->seg = g;
		s->seg_cap = cap;
	}
	g = &s->seg[s->n_seg++];
	memset(g, 0, sizeof(*g));
	g->first = g->end = s->n;
	return g;
}

/* Append at t (s from the current segment's origin); a new segment when
 * `split`. */
static int append(struct hseries *s, double t, uint32_t type, int split,
		  double origin_s, int64_t origin_ns)
{
	struct hseries_seg *g;

	if (s->n == s->cap && grow_events(s))
		return -ENOMEM;
	if (split || !s->n_seg) {
		g = new_segment(s);
		if (!g)
			return -ENOMEM;
		g->origin_s = origin_s;
		g->origin_ns = origin_ns;
		t = 0;
	} else {
		g = &s->seg[s->n_seg - 1];
		if (s->n > g->first && t == s->t[s->n - 1])
			s->zero_gaps++;
	}
	s->t[s->n] = t;
	s->type[s->n] = (uint8_t)type;
	s->n++;
	g->end = s->n;
	g->len_s = t;
	s->count[type]++;
	return 0;
}

int hseries_push_s(struct hseries *s, double t_s, uint32_t type)
{
	int split;

	if (type >= s->dim || !isfinite(t_s) || s->clock == 2 ||
	    (s->clock && t_s < s->last_s))
		return -EINVAL;
	split = !s->clock || (s->max_gap_s > 0 && t_s - s->last_s > s->max_gap_s);
	int rc = append(s, split ? 0 : t_s - s->seg[s->n_seg - 1].origin_s, type,
			split, t_s, 0);
	if (rc)
		return rc;
	s->clock = 1;
	s->last_s = t_s;
	return 0;
}

int hseries_push_ns(struct hseries *s, int64_t ns, uint32_t type)
{
	int split;

	if (type >= s->dim || s->clock == 1 || (s->clock && ns < s->last_ns))
		return -EINVAL;
	split = !s->clock || (s->max_gap_s > 0 &&
			      (double)(ns - s->last_ns) * 1e-9 > s->max_gap_s);
	int rc = append(s, split ? 0 : (double)(ns - s->seg[s->n_seg - 1].origin_ns) * 1e-9,
			type, split, 0, ns);
	if (rc)
		return rc;
	s->clock = 2;
	s->last_ns = ns;
	return 0;
}

int hseries_add_event(struct hseries *s, const struct event *ev)
{
	int side, rc;
	int64_t ns;

	if (ev->kind != EV_TRADE) {
		/* Book updates between the prints of one order do not end it:
		 * LOBSTER writes a book row after every execution. */
		if (ev->kind == EV_BOOK)
			s->books++;
		return 0;
	}
	s->trades++;
	side = ev->trade.aggressor > 0 ? 1 : ev->trade.aggressor < 0 ? -1 : 0;
	if (!side) {
		s->no_side++;
		return 0;
	}
	if (s->dim != 2)
		return -EINVAL;
	ns = ev->exch_ns;
	if (s->clock == 2 && ns < s->last_ns) {
		s->back_in_time++;
		ns = s->last_ns;
	}
	/* the next print of the same aggressive order */
	if (s->ties == HSERIES_TIES_MERGE && s->last_side == side && s->clock == 2 &&
	    ns == s->last_ns) {
		s->merged++;
		return 0;
	}
	rc = hseries_push_ns(s, ns, side > 0 ? HSERIES_BUY : HSERIES_SELL);
	if (rc)
		return rc;
	s->last_side = side;
	return 1;
}

int hseries_select(struct hseries *dst, const struct hseries *src, uint32_t type)
{
	int rc;

	if (type >= src->dim)
		return -EINVAL;
	rc = hseries_init(dst, 1, src->max_gap_s, src->ties);
	if (rc)
		return rc;
	dst->clock = src->clock;
	for (uint32_t k = 0; k < src->n_seg; k++) {
		const struct hseries_seg *sg = &src->seg[k];
		struct hseries_seg *dg = new_segment(dst);
		if (!dg) {
			hseries_free(dst);
			return -ENOMEM;
		}
		*dg = *sg;
		dg->first = dg->end = dst->n;
		for (uint64_t i = sg->first; i < sg->end; i++) {
			if (src->type[i] != type)
				continue;
			if (dst->n == dst->cap && grow_events(dst)) {
				hseries_free(dst);
				return -ENOMEM;
			}
			if (dst->n > dg->first && src->t[i] == dst->t[dst->n - 1])
				dst->zero_gaps++;
			dst->t[dst->n] = src->t[i];
			dst->type[dst->n] = 0;
			dst->n++;
		}
		dg->end = dst->n;
	}
	dst->count[0] = dst->n;
	dst->last_s = src->last_s;
	dst->last_ns = src->last_ns;
	return 0;
}

double hseries_total_s(const struct hseries *s)
{
	double T = 0;

	for (uint32_t k = 0; k < s->n_seg; k++)
		T += s->seg[k].len_s;
	return T;
}

/* ------------------------------------------------------------ orders CSV */

/* Split line at commas in place; returns the number of fields (<= max). */
static uint32_t split_csv(char *line, char **f, uint32_t max)
{
	uint32_t n = 0;
	char *p = line;

	for (;;) {
		if (n < max)
			f[n] = p;
		n++;
		p = strchr(p, ',');
		if (!p)
			break;
		*p++ = 0;
	}
	return n;
}

#define ORD_MAX_COLS 32u

int hseries_load_orders(struct hseries *s, const char *path,
			const char *const *names, uint32_t n_names,
			char *err, size_t errlen)
{
	FILE *f;
	char *line = NULL, *fld[ORD_MAX_COLS];
	size_t cap = 0;
	ssize_t len;
	uint64_t lineno = 0;
	int col_t = -1, col_type = -1, rc = 0;
	uint32_t ncol;

#define BAD(...) do { if (errlen) snprintf(err, errlen, __VA_ARGS__); \
		      rc = -DM_ECORRUPT; goto close; } while (0)
	if (n_names != s->dim || !n_names)
		return -EINVAL;
	f = fopen(path, "r");
	if (!f) {
		rc = -errno;
		if (errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		if (lineno == 1) {
			ncol = split_csv(line, fld, ORD_MAX_COLS);
			for (uint32_t c = 0; c < ncol && c < ORD_MAX_COLS; c++) {
				if (!strcmp(fld[c], "t_s"))
					col_t = (int)c;
				else if (!strcmp(fld[c], "type"))
					col_type = (int)c;
			}
			if (col_t < 0 || col_type < 0)
				BAD("%s:1: header: expected dm-gen --orders columns "
				    "(seq,t_s,exch_ns,type,...) with t_s and type", path);
			continue;
		}
		if (!len)
			continue;
		ncol = split_csv(line, fld, ORD_MAX_COLS);
		if (ncol <= (uint32_t)col_t || ncol <= (uint32_t)col_type)
			BAD("%s:%llu: expected at least %d fields, found %u", path,
			    (unsigned long long)lineno,
			    (col_t > col_type ? col_t : col_type) + 1, ncol);
		uint32_t k;
		for (k = 0; k < n_names; k++)
			if (!strcmp(fld[col_type], names[k]))
				break;
		if (k == n_names)
			continue;
		char *end;
		errno = 0;
		double t = strtod(fld[col_t], &end);
		if (end == fld[col_t] || *end || errno || !isfinite(t))
			BAD("%s:%llu: t_s: '%s' is not a number", path,
			    (unsigned long long)lineno, fld[col_t]);
		rc = hseries_push_s(s, t, k);
		if (rc == -ENOMEM) {
			if (errlen)
				snprintf(err, errlen, "%s:%llu: out of memory", path,
					 (unsigned long long)lineno);
			goto close;
		}
		if (rc)
			BAD("%s:%llu: t_s: %s is earlier than the previous row's %.9f",
			    path, (unsigned long long)lineno, fld[col_t], s->last_s);
	}
	if (ferror(f)) {
		rc = -EIO;
		if (errlen)
			snprintf(err, errlen, "%s: read error after line %llu", path,
				 (unsigned long long)lineno);
		goto close;
	}
	if (lineno == 0)
		BAD("%s: empty file (expected dm-gen --orders CSV)", path);
close:
	free(line);
	fclose(f);
	return rc;
#undef BAD
}
