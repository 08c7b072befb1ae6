/* chart.c — HTML pages and inline SVG charts (chart.h). */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/lib/chart.h"

/* The drawing area of every chart, in viewBox units (the svg scales to the
 * page's width; A4 portrait holds 720 units at about 0.25 mm each). */
#define W      720.0
#define H      260.0
#define M_L    70.0
#define M_R    16.0
#define M_T    12.0
#define M_B    40.0
#define PW     (W - M_L - M_R)
#define PH     (H - M_T - M_B)
#define MAX_TICKS 12

/* ------------------------------------------------------------ page */

static const char style[] =
	":root{color-scheme:light}\n"
	"body{font-family:sans-serif;font-size:14px;line-height:1.35;color:#222;background:#fff;"
	"max-width:1000px;margin:1em auto;padding:0 1em}\n"
	"h1{font-size:1.5em;margin:.3em 0}h2{font-size:1.2em;margin:1.2em 0 .4em;"
	"border-bottom:1px solid #bbb}\n"
	"p.sub{color:#555;margin-top:0}p.note,p.nodata{color:#555;font-size:.9em}\n"
	"nav ul{columns:3;padding-left:1.2em;margin:.2em 0}\n"
	"table{border-collapse:collapse;margin:.4em 0 .8em;font-size:.92em}\n"
	"caption{text-align:left;font-weight:bold;padding:.2em 0}\n"
	"th,td{border:1px solid #ccc;padding:.15em .5em;text-align:left;vertical-align:top}\n"
	"th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums;"
	"white-space:nowrap}\n"
	"figure.fig{margin:.6em 0 1em;break-inside:avoid}\n"
	"figcaption{font-size:.9em;color:#333}\n"
	"svg.chart{width:100%;height:auto;display:block}\n"
	"svg.chart text{font-family:sans-serif;font-size:11px;fill:#333}\n"
	".axis line,.axis path{stroke:#666;stroke-width:1;fill:none}\n"
	".axis .grid{stroke:#e4e4e4}\n"
	".mark{stroke:var(--c);fill:var(--c)}\n"
	"polyline.mark{fill:none;stroke-width:1.3;stroke-linejoin:round}\n"
	"circle.mark{stroke:none;fill-opacity:.75}rect.mark{stroke:none}\n"
	".key{display:inline-block;width:.9em;height:.9em;background:var(--c);"
	"margin:0 .25em 0 .8em;vertical-align:-.1em}\n"
	".s0{--c:#1f77b4}.s1{--c:#ff7f0e}.s2{--c:#2ca02c}.s3{--c:#d62728}"
	".s4{--c:#9467bd}.s5{--c:#8c564b}.buy{--c:#1a9850}.sell{--c:#d73027}"
	".fit{--c:#111}.neg{--c:#d73027}\n"
	"@page{size:A4;margin:14mm 12mm}\n"
	"@media print{body{max-width:none;margin:0;padding:0;font-size:10pt}"
	"*{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
	"nav{display:none}section{break-before:auto}h2{break-after:avoid}"
	"figure.fig,table{break-inside:avoid}}\n";

void chart_esc(FILE *f, const char *s)
{
	if (!s)
		return;
	for (; *s; s++)
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
}

void chart_page_begin(FILE *f, const char *title, const char *subtitle)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", f);
	chart_esc(f, title);
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", style);
	chart_esc(f, title);
	fputs("</h1>\n", f);
	if (subtitle) {
		fputs("<p class=\"sub\">", f);
		chart_esc(f, subtitle);
		fputs("</p>\n", f);
	}
}

void chart_page_end(FILE *f)
{
	fputs("</body>\n</html>\n", f);
}

void chart_section_begin(FILE *f, const char *id, const char *title)
{
	fprintf(f, "<section id=\"%s\">\n<h2>", id);
	chart_esc(f, title);
	fputs("</h2>\n", f);
}

void chart_section_end(FILE *f)
{
	fputs("</section>\n", f);
}

void chart_para(FILE *f, const char *cls, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (cls)
		fprintf(f, "<p class=\"%s\">", cls);
	else
		fputs("<p>", f);
	chart_esc(f, buf);
	fputs("</p>\n", f);
}

void chart_html(FILE *f, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------ tables */

void chart_table_begin(FILE *f, const char *cls, const char *caption,
		       const char *const *head, int n)
{
	fputs("<table", f);
	if (cls)
		fprintf(f, " class=\"%s\"", cls);
	fputs(">\n", f);
	if (caption) {
		fputs("<caption>", f);
		chart_esc(f, caption);
		fputs("</caption>\n", f);
	}
	if (n > 0) {
		fputs("<thead><tr>", f);
		for (int i = 0; i < n; i++)
			chart_cell_text(f, 1, head[i]);
		fputs("</tr></thead>\n", f);
	}
	fputs("<tbody>\n", f);
}

void chart_table_end(FILE *f)
{
	fputs("</tbody>\n</table>\n", f);
}

void chart_cell_text(FILE *f, int header, const char *s)
{
	fputs(header ? "<th>" : "<td>", f);
	chart_esc(f, s);
	fputs(header ? "</th>" : "</td>", f);
}

char *chart_fmt_num(char *buf, size_t n, double v)
{
	if (!isfinite(v))
		snprintf(buf, n, "n/a");
	else
		snprintf(buf, n, "%.12g", v == 0 ? 0.0 : v); /* no "-0" */
	return buf;
}

static void key_attr(FILE *f, const char *key)
{
	if (key) {
		fputs(" data-key=\"", f);
		chart_esc(f, key);
		fputc('"', f);
	}
}

char *chart_fmt_short(char *buf, size_t n, double v)
{
	if (!isfinite(v))
		snprintf(buf, n, "n/a");
	else if (fabs(v) >= 1000 && fabs(v) < 1e15)
		snprintf(buf, n, "%.2f", v);
	else
		snprintf(buf, n, "%.6g", v == 0 ? 0.0 : v);
	if (!strcmp(buf, "-0.00"))
		snprintf(buf, n, "0.00");
	return buf;
}

void chart_cell_num(FILE *f, const char *key, double v)
{
	char b[40];
	fputs("<td class=\"num\"", f);
	key_attr(f, key);
	if (isfinite(v))
		fprintf(f, " data-value=\"%s\" title=\"%s\"", chart_fmt_num(b, sizeof(b), v), b);
	fprintf(f, ">%s</td>", chart_fmt_short(b, sizeof(b), v));
}

void chart_cell_int(FILE *f, const char *key, int64_t v)
{
	fputs("<td class=\"num\"", f);
	key_attr(f, key);
	if (key)
		fprintf(f, " data-value=\"%lld\"", (long long)v);
	fprintf(f, ">%lld</td>", (long long)v);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

char *chart_fmt_time(char *buf, size_t n, int64_t t_ns, int utc_offset_min)
{
	int64_t s = floor_div(t_ns, 1000000000) + (int64_t)utc_offset_min * 60;
	time_t tt = (time_t)s;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, n, "?");
	return buf;
}

/* ------------------------------------------------------------ series */

void chart_series_init(struct chart_series *s, const char *name, enum chart_style style,
		       const char *cls)
{
	s->name[0] = '\0';
	if (name)
		snprintf(s->name, sizeof(s->name), "%s", name);
	snprintf(s->cls, sizeof(s->cls), "%s", cls ? cls : "s0");
	s->style = style;
	s->n_in = 0;
	s->xmin = s->ymin = INFINITY;
	s->xmax = s->ymax = -INFINITY;
	s->n_raw = 0;
	s->decimated = 0;
	s->x0 = 0;
	s->width = 1;
	s->n_cols = 0;
}

static void col_merge(struct chart_col *d, const struct chart_col *a, const struct chart_col *b)
{
	if (!a->n) {
		*d = *b;
		return;
	}
	if (!b->n) {
		*d = *a;
		return;
	}
	struct chart_col m;
	m.first = a->first;
	m.last = b->last;
	m.lo = b->lo.y < a->lo.y ? b->lo : a->lo;
	m.hi = b->hi.y > a->hi.y ? b->hi : a->hi;
	m.n = a->n + b->n;
	*d = m;
}

/* Columns twice as wide: column j becomes the union of 2j and 2j + 1. */
static void widen(struct chart_series *s)
{
	for (uint32_t j = 0; j < CHART_COLS / 2; j++)
		col_merge(&s->col[j], &s->col[2 * j], &s->col[2 * j + 1]);
	memset(&s->col[CHART_COLS / 2], 0, (CHART_COLS / 2) * sizeof(s->col[0]));
	s->n_cols = (s->n_cols + 1) / 2;
	s->width *= 2;
}

static void col_put(struct chart_series *s, struct chart_pt p)
{
	uint32_t i = 0;
	if (p.x > s->x0) {
		while ((p.x - s->x0) / s->width >= (double)CHART_COLS)
			widen(s);
		i = (uint32_t)((p.x - s->x0) / s->width);
		if (i >= CHART_COLS)
			i = CHART_COLS - 1;
	}
	struct chart_col *c = &s->col[i];
	if (!c->n) {
		c->first = c->lo = c->hi = c->last = p;
	} else {
		if (p.y < c->lo.y)
			c->lo = p;
		if (p.y > c->hi.y)
			c->hi = p;
		c->last = p;
	}
	c->n++;
	if (i + 1 > s->n_cols)
		s->n_cols = i + 1;
}

void chart_series_add(struct chart_series *s, double x, double y)
{
	if (!isfinite(x) || !isfinite(y))
		return;
	s->n_in++;
	if (x < s->xmin)
		s->xmin = x;
	if (x > s->xmax)
		s->xmax = x;
	if (y < s->ymin)
		s->ymin = y;
	if (y > s->ymax)
		s->ymax = y;
	struct chart_pt p = { x, y };
	if (!s->decimated) {
		if (s->n_raw < CHART_RAW) {
			s->raw[s->n_raw++] = p;
			return;
		}
		/* the raw points into columns: half of them used, room to grow */
		double span = s->xmax - s->xmin;
		s->x0 = s->xmin;
		s->width = span > 0 ? span / (CHART_COLS / 2) : fabs(s->x0) > 0 ? fabs(s->x0) * 1e-9 : 1e-9;
		memset(s->col, 0, sizeof(s->col));
		s->n_cols = 0;
		s->decimated = 1;
		for (uint32_t i = 0; i < s->n_raw; i++)
			col_put(s, s->raw[i]);
	}
	col_put(s, p);
}

uint32_t chart_series_points(const struct chart_series *s, struct chart_pt *out, uint32_t max)
{
	uint32_t n = 0;
	if (!s->decimated) {
		for (uint32_t i = 0; i < s->n_raw && n < max; i++)
			out[n++] = s->raw[i];
		return n;
	}
	for (uint32_t i = 0; i < s->n_cols; i++) {
		const struct chart_col *c = &s->col[i];
		if (!c->n)
			continue;
		struct chart_pt q[4] = { c->first, c->lo, c->hi, c->last };
		/* in x order (stable: first before last at one x) */
		for (int a = 1; a < 4; a++)
			for (int b = a; b > 0 && q[b].x < q[b - 1].x; b--) {
				struct chart_pt t = q[b];
				q[b] = q[b - 1];
				q[b - 1] = t;
			}
		for (int a = 0; a < 4 && n < max; a++) {
			if (n && a && q[a].x == out[n - 1].x && q[a].y == out[n - 1].y)
				continue;
			out[n++] = q[a];
		}
	}
	return n;
}

/* ------------------------------------------------------------ scales */

struct scale {
	double lo, hi;    /* data range shown */
	double p0, p1;    /* pixels of lo and hi */
	int log;
};

/* log10 of a value on a log axis (x > 0 there; a 0 lands far left) */
static double lg(double v)
{
	return v > 0 ? log10(v) : -300;
}

static double sc(const struct scale *s, double v)
{
	double a = s->log ? lg(v) : v, lo = s->log ? lg(s->lo) : s->lo,
	       hi = s->log ? lg(s->hi) : s->hi;
	return s->p0 + (a - lo) / (hi - lo) * (s->p1 - s->p0);
}

/* The smallest of 1, 2, 2.5, 5 x 10^k that is >= x > 0. */
static double nice_ceil(double x)
{
	double e = pow(10, floor(log10(x)));
	static const double m[] = { 1, 2, 2.5, 5, 10 };
	for (int i = 0; i < 5; i++)
		if (m[i] * e >= x * (1 - 1e-12))
			return m[i] * e;
	return 10 * e;
}

/* Decimals a label needs at tick step st. */
static int step_decimals(double st)
{
	int d = 0;
	while (d < 9 && fabs(st * pow(10, d) - round(st * pow(10, d))) > 1e-9 * pow(10, d))
		d++;
	return d;
}

static void num_label(char *b, size_t n, double v, int dec)
{
	double a = fabs(v);
	if (v == 0)
		snprintf(b, n, "0");
	else if (a >= 1e7 || (a < 1e-4))
		snprintf(b, n, "%.3g", v);
	else
		snprintf(b, n, "%.*f", dec, v);
}

struct ticks {
	int n;
	double v[MAX_TICKS + 2];
	char label[MAX_TICKS + 2][40];
};

/* Nice ticks over [lo, hi]; the range is widened to whole steps. */
static void num_ticks(struct scale *s, struct ticks *t, int target, int widen)
{
	double span = s->hi - s->lo;
	double st = nice_ceil(span / target);
	if (widen) {
		s->lo = floor(s->lo / st + 1e-9) * st;
		s->hi = ceil(s->hi / st - 1e-9) * st;
	}
	int dec = step_decimals(st);
	t->n = 0;
	for (double v = ceil(s->lo / st - 1e-9) * st; v <= s->hi + st * 1e-9 && t->n < MAX_TICKS;
	     v += st) {
		double r = fabs(v) < st * 1e-9 ? 0 : v;
		t->v[t->n] = r;
		num_label(t->label[t->n], sizeof(t->label[0]), r, dec);
		t->n++;
	}
}

static void log_ticks(struct scale *s, struct ticks *t)
{
	s->lo = pow(10, floor(log10(s->lo)));
	s->hi = pow(10, ceil(log10(s->hi)));
	double decades = log10(s->hi / s->lo);
	static const double m[] = { 1, 2, 5 };
	t->n = 0;
	for (double e = s->lo; e <= s->hi * 1.0000001 && t->n < MAX_TICKS; e *= 10)
		for (int i = 0; i < 3 && t->n < MAX_TICKS; i++) {
			if (decades > 4 && i)
				continue;
			double v = m[i] * e;
			if (v > s->hi * 1.0000001)
				break;
			t->v[t->n] = v;
			snprintf(t->label[t->n], sizeof(t->label[0]), "%g", v);
			t->n++;
		}
}

/* Ticks of a time axis (ns since the epoch, labels in UTC + off). */
static void time_ticks(const struct scale *s, struct ticks *t, int off_min, int clock)
{
	static const int64_t steps_ns[] = {
		1000000, 2000000, 5000000, 10000000, 20000000, 50000000, 100000000, 200000000,
		500000000, 1000000000ll, 2000000000ll, 5000000000ll, 10000000000ll, 15000000000ll,
		30000000000ll, 60000000000ll, 120000000000ll, 300000000000ll, 600000000000ll,
		900000000000ll, 1800000000000ll, 3600000000000ll, 7200000000000ll,
		10800000000000ll, 21600000000000ll, 43200000000000ll, 86400000000000ll,
		172800000000000ll, 604800000000000ll, 2592000000000000ll, 31536000000000000ll };
	double k = clock ? 1e9 : 1; /* clock axes are in seconds */
	double span_ns = (s->hi - s->lo) * k;
	int64_t st = steps_ns[sizeof(steps_ns) / sizeof(steps_ns[0]) - 1];
	for (size_t i = 0; i < sizeof(steps_ns) / sizeof(steps_ns[0]); i++)
		if (span_ns / (double)steps_ns[i] <= 7) {
			st = steps_ns[i];
			break;
		}
	int64_t off = (int64_t)off_min * 60000000000ll;
	int64_t lo = (int64_t)floor(s->lo * k), hi = (int64_t)ceil(s->hi * k);
	int64_t first = (floor_div(lo + off, st) + ((lo + off) % st != 0)) * st - off;
	int days = span_ns >= 86400e9 || floor_div(lo + off, 86400000000000ll) !=
					  floor_div(hi + off, 86400000000000ll);
	t->n = 0;
	for (int64_t v = first; v <= hi && t->n < MAX_TICKS; v += st) {
		t->v[t->n] = (double)v / k;
		int64_t loc = v + off;
		int64_t sec = floor_div(loc, 1000000000);
		time_t tt = (time_t)sec;
		struct tm tm;
		char *b = t->label[t->n];
		size_t bn = sizeof(t->label[0]);
		if (clock) {
			int64_t d = ((sec % 86400) + 86400) % 86400;
			snprintf(b, bn, "%02d:%02d", (int)(d / 3600), (int)(d / 60 % 60));
		} else if (!gmtime_r(&tt, &tm)) {
			snprintf(b, bn, "?");
		} else if (st >= 86400000000000ll) {
			strftime(b, bn, "%Y-%m-%d", &tm);
		} else if (days && tm.tm_hour == 0 && tm.tm_min == 0 && tm.tm_sec == 0) {
			strftime(b, bn, "%m-%d", &tm);
		} else if (st < 1000000000) {
			size_t l = strftime(b, bn, "%H:%M:%S", &tm);
			snprintf(b + l, bn - l, ".%03d", (int)((loc - sec * 1000000000) / 1000000));
		} else if (st < 60000000000ll) {
			strftime(b, bn, "%H:%M:%S", &tm);
		} else {
			strftime(b, bn, "%H:%M", &tm);
		}
		t->n++;
	}
}

/* "UTC", "UTC+05:30", "UTC-03:00" */
static void tz_name(char *b, size_t n, int off_min)
{
	if (!off_min)
		snprintf(b, n, "UTC");
	else
		snprintf(b, n, "UTC%c%02d:%02d", off_min < 0 ? '-' : '+', abs(off_min) / 60,
			 abs(off_min) % 60);
}

/* ------------------------------------------------------------ drawing */

static void fig_begin(FILE *f, const struct chart *c, double h)
{
	fputs("<figure class=\"fig\">\n<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" "
	      "role=\"img\" aria-label=\"", f);
	chart_esc(f, c->title);
	fprintf(f, "\" viewBox=\"0 0 %.0f %.0f\" preserveAspectRatio=\"xMidYMid meet\">\n", W, h);
}

static void fig_end(FILE *f, const struct chart *c, const struct chart_series *const *s,
		    int n, const char *extra)
{
	fputs("</svg>\n<figcaption>", f);
	if (c->title) {
		fputs("<b>", f);
		chart_esc(f, c->title);
		fputs("</b>", f);
	}
	for (int i = 0; i < n; i++)
		if (s[i]->name[0] && s[i]->n_in) {
			fprintf(f, "<span class=\"key %s\"></span>", s[i]->cls);
			chart_esc(f, s[i]->name);
		}
	if (c->note) {
		fputs(". ", f);
		chart_esc(f, c->note);
	}
	if (extra && extra[0]) {
		fputs(" ", f);
		chart_esc(f, extra);
	}
	fputs("</figcaption>\n</figure>\n", f);
}

static void nodata(FILE *f, const struct chart *c)
{
	fputs("<p class=\"nodata\">", f);
	if (c->title) {
		chart_esc(f, c->title);
		fputs(": ", f);
	}
	fputs("no data.</p>\n", f);
}

static void text_at(FILE *f, double x, double y, const char *anchor, const char *s,
		    const char *extra)
{
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s>", x, y, anchor,
		extra ? extra : "");
	chart_esc(f, s);
	fputs("</text>\n", f);
}

/* Frame, grid, ticks and labels of a plot area. */
static void axes(FILE *f, const struct scale *xs, const struct ticks *xt,
		 const struct scale *ys, const struct ticks *yt, const char *xl, const char *yl,
		 double h)
{
	double pb = h - M_B;
	fputs("<g class=\"axis\">\n", f);
	for (int i = 0; yt && i < yt->n; i++) {
		double y = sc(ys, yt->v[i]);
		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
			M_L, y, W - M_R, y);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", M_L - 4, y,
			M_L, y);
		text_at(f, M_L - 6, y + 4, "end", yt->label[i], NULL);
	}
	for (int i = 0; xt && i < xt->n; i++) {
		double x = sc(xs, xt->v[i]);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x, pb, x,
			pb + 4);
		/* the last label ends at the frame rather than past the page */
		text_at(f, x, pb + 16, x > W - M_R - 16 ? "end" : "middle", xt->label[i], NULL);
	}
	fprintf(f, "<path d=\"M%.1f %.1fV%.1fH%.1f\"/>\n", M_L, M_T, pb, W - M_R);
	if (xl)
		text_at(f, M_L + PW / 2, h - 6, "middle", xl, NULL);
	if (yl) {
		char tr[96];
		snprintf(tr, sizeof(tr), " transform=\"rotate(-90 %.1f %.1f)\"", 13.0, M_T + (pb - M_T) / 2);
		text_at(f, 13, M_T + (pb - M_T) / 2, "middle", yl, tr);
	}
	fputs("</g>\n", f);
}

static void range_pad(double *lo, double *hi)
{
	if (*hi > *lo)
		return;
	double a = fabs(*lo) > 0 ? fabs(*lo) * 0.05 : 1;
	*lo -= a;
	*hi += a;
}

/* The x scale and ticks of a chart over [lo, hi]. */
static void x_axis(const struct chart *c, double lo, double hi, struct scale *xs,
		   struct ticks *xt, char *label, size_t ln)
{
	xs->lo = lo;
	xs->hi = hi;
	xs->p0 = M_L;
	xs->p1 = W - M_R;
	xs->log = c->x_axis == CHART_AX_NUM && c->x_log && lo > 0;
	snprintf(label, ln, "%s", c->x_label ? c->x_label : "");
	if (c->x_axis == CHART_AX_TIME || c->x_axis == CHART_AX_CLOCK) {
		range_pad(&xs->lo, &xs->hi);
		time_ticks(xs, xt, c->utc_offset_min, c->x_axis == CHART_AX_CLOCK);
		if (c->x_axis == CHART_AX_TIME) {
			char tz[16], d[40];
			tz_name(tz, sizeof(tz), c->utc_offset_min);
			chart_fmt_time(d, sizeof(d), (int64_t)lo, c->utc_offset_min);
			d[10] = '\0';
			size_t l = strlen(label);
			snprintf(label + l, ln - l, "%s%s, %s", l ? " " : "", d, tz);
		}
	} else if (xs->log) {
		if (hi <= lo)
			xs->hi = lo * 10;
		log_ticks(xs, xt);
	} else {
		range_pad(&xs->lo, &xs->hi);
		num_ticks(xs, xt, 7, 0);
	}
}

static void y_axis(const struct chart *c, double lo, double hi, double h, struct scale *ys,
		   struct ticks *yt)
{
	if (c->y_zero) {
		if (lo > 0)
			lo = 0;
		if (hi < 0)
			hi = 0;
	}
	range_pad(&lo, &hi);
	ys->lo = lo;
	ys->hi = hi;
	ys->p0 = h - M_B;
	ys->p1 = M_T;
	ys->log = 0;
	num_ticks(ys, yt, 5, 1);
}

int chart_xy(FILE *f, const struct chart *c, const struct chart_series *const *s, int n)
{
	double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
	uint64_t n_in = 0, n_drawn = 0;
	int decimated = 0;
	for (int i = 0; i < n; i++) {
		if (!s[i]->n_in)
			continue;
		n_in += s[i]->n_in;
		xlo = fmin(xlo, s[i]->xmin);
		xhi = fmax(xhi, s[i]->xmax);
		ylo = fmin(ylo, s[i]->ymin);
		yhi = fmax(yhi, s[i]->ymax);
		decimated |= s[i]->decimated;
	}
	if (!n_in) {
		nodata(f, c);
		return 0;
	}
	struct scale xs, ys;
	struct ticks xt, yt;
	char xl[256];
	for (int i = 0; i < n; i++)
		if (s[i]->n_in && s[i]->style == CHART_POINTS && c->x_axis == CHART_AX_NUM &&
		    !c->x_log && xhi > xlo) {
			/* points clear of the frame */
			double pad = (xhi - xlo) * 0.03;
			xlo -= pad;
			xhi += pad;
			break;
		}
	x_axis(c, xlo, xhi, &xs, &xt, xl, sizeof(xl));
	y_axis(c, ylo, yhi, H, &ys, &yt);
	fig_begin(f, c, H);
	axes(f, &xs, &xt, &ys, &yt, xl[0] ? xl : NULL, c->y_label, H);
	static struct chart_pt pts[4 * CHART_COLS > CHART_RAW ? 4 * CHART_COLS : CHART_RAW];
	int marks = 0;
	for (int i = 0; i < n; i++) {
		if (!s[i]->n_in)
			continue;
		uint32_t k = chart_series_points(s[i], pts, sizeof(pts) / sizeof(pts[0]));
		n_drawn += k;
		if (s[i]->style == CHART_POINTS || k == 1) {
			for (uint32_t j = 0; j < k; j++)
				fprintf(f, "<circle class=\"mark %s\" cx=\"%.1f\" cy=\"%.1f\" r=\"%s\"/>\n",
					s[i]->cls, sc(&xs, pts[j].x), sc(&ys, pts[j].y),
					k > 2000 ? "1.6" : "2.6");
			marks += (int)k;
			continue;
		}
		fprintf(f, "<polyline class=\"mark %s\" points=\"", s[i]->cls);
		double py = 0;
		for (uint32_t j = 0; j < k; j++) {
			double x = sc(&xs, pts[j].x), y = sc(&ys, pts[j].y);
			if (s[i]->style == CHART_STEP && j)
				fprintf(f, "%.1f,%.1f ", x, py);
			fprintf(f, "%.1f,%.1f ", x, y);
			py = y;
		}
		fputs("\"/>\n", f);
		marks++;
	}
	char extra[200] = "";
	if (decimated)
		snprintf(extra, sizeof(extra), "(%llu of %llu points drawn: each of at most %u columns "
			 "of the time axis keeps its first, last, lowest and highest point.)",
			 (unsigned long long)n_drawn, (unsigned long long)n_in, CHART_COLS);
	fig_end(f, c, s, n, extra);
	return marks;
}

/* ------------------------------------------------------------ histograms */

int chart_bins(const double *v, size_t n, int max_bins, struct chart_bin *out)
{
	double lo = INFINITY, hi = -INFINITY;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i])) {
			lo = fmin(lo, v[i]);
			hi = fmax(hi, v[i]);
			k++;
		}
	if (!k || max_bins < 1)
		return 0;
	int nb;
	double st, b0;
	if (hi == lo) {
		nb = 1;
		st = 1;
		b0 = lo - 0.5;
	} else {
		st = nice_ceil((hi - lo) / max_bins);
		for (;;) {
			b0 = floor(lo / st) * st;
			nb = (int)ceil((hi - b0) / st);
			if (nb < 1)
				nb = 1;
			if (b0 + nb * st < hi)
				nb++;
			if (nb <= max_bins)
				break;
			st = nice_ceil(st * 1.0001);
		}
	}
	for (int b = 0; b < nb; b++) {
		out[b].lo = b0 + b * st;
		out[b].hi = b0 + (b + 1) * st;
		out[b].count = 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(v[i]))
			continue;
		double x = v[i];
		int b = (int)floor((x - b0) / st);
		if (b < 0)
			b = 0;
		if (b >= nb)
			b = nb - 1;
		/* the edges as written decide, not the division's rounding */
		while (b + 1 < nb && x >= out[b + 1].lo)
			b++;
		while (b > 0 && x < out[b].lo)
			b--;
		out[b].count++;
	}
	return nb;
}

int chart_hist(FILE *f, const struct chart *c, const struct chart_bin *b, int n)
{
	double ymax = 0, total = 0;
	for (int i = 0; i < n; i++) {
		ymax = fmax(ymax, b[i].count);
		total += b[i].count;
	}
	if (!n || !(total > 0)) {
		nodata(f, c);
		return 0;
	}
	struct scale xs, ys;
	struct ticks xt, yt;
	char xl[256];
	double xlo = b[0].lo, xhi = b[n - 1].hi;
	if (n == 1) { /* one bar: a fifth of the width, not all of it */
		double w = xhi - xlo;
		xlo -= 2 * w;
		xhi += 2 * w;
		if (c->x_log && xlo <= 0)
			xlo = b[0].lo / 2;
	}
	x_axis(c, xlo, xhi, &xs, &xt, xl, sizeof(xl));
	struct chart yc = *c;
	yc.y_zero = 1;
	y_axis(&yc, 0, ymax, H, &ys, &yt);
	fig_begin(f, c, H);
	axes(f, &xs, &xt, &ys, &yt, xl[0] ? xl : NULL, c->y_label ? c->y_label : "count", H);
	int marks = 0;
	for (int i = 0; i < n; i++) {
		if (!(b[i].count > 0))
			continue;
		double x0 = sc(&xs, b[i].lo), x1 = sc(&xs, b[i].hi), y = sc(&ys, b[i].count);
		double w = x1 - x0 > 2 ? x1 - x0 - 1 : x1 - x0;
		char lo[40], hi[40], ct[40];
		fprintf(f, "<rect class=\"mark s0\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
			"data-lo=\"%s\" data-hi=\"%s\" data-count=\"%s\"><title>[%s, %s): %s</title></rect>\n",
			x0, y, w > 0.5 ? w : 0.5, ys.p0 - y,
			chart_fmt_num(lo, sizeof(lo), b[i].lo), chart_fmt_num(hi, sizeof(hi), b[i].hi),
			chart_fmt_num(ct, sizeof(ct), b[i].count), lo, hi, ct);
		marks++;
	}
	char extra[96];
	snprintf(extra, sizeof(extra), "(%.0f in %d bin%s.)", total, n, n == 1 ? "" : "s");
	fig_end(f, c, NULL, 0, extra);
	return marks;
}

int chart_bars(FILE *f, const struct chart *c, const char *const *labels,
	       const double *values, const char *const *cls, int n)
{
	double lo = 0, hi = 0;
	int any = 0;
	for (int i = 0; i < n; i++)
		if (isfinite(values[i])) {
			lo = fmin(lo, values[i]);
			hi = fmax(hi, values[i]);
			any |= values[i] != 0;
		}
	if (!n || !any) {
		nodata(f, c);
		return 0;
	}
	const double row = 20, lab = 190;
	double h = M_T + n * row + M_B;
	struct scale xs = { .lo = lo, .hi = hi, .p0 = lab, .p1 = W - M_R - 60 }, ys;
	struct ticks xt;
	range_pad(&xs.lo, &xs.hi);
	if (lo < 0) /* room left of the longest negative bar for its value */
		xs.lo -= (xs.hi - xs.lo) * 0.15;
	num_ticks(&xs, &xt, 6, 1);
	fig_begin(f, c, h);
	double pb = h - M_B;
	fputs("<g class=\"axis\">\n", f);
	for (int i = 0; i < xt.n; i++) {
		double x = sc(&xs, xt.v[i]);
		fprintf(f, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x,
			M_T, x, pb);
		fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x, pb, x, pb + 4);
		text_at(f, x, pb + 16, "middle", xt.label[i], NULL);
	}
	double x0 = sc(&xs, 0);
	fprintf(f, "<path d=\"M%.1f %.1fV%.1fH%.1f\"/>\n", x0, M_T, pb, xs.p1);
	for (int i = 0; i < n; i++)
		text_at(f, lab - 6, M_T + i * row + row * 0.7, "end", labels[i], NULL);
	if (c->x_label)
		text_at(f, (xs.p0 + xs.p1) / 2, h - 6, "middle", c->x_label, NULL);
	fputs("</g>\n", f);
	(void)ys;
	int marks = 0;
	for (int i = 0; i < n; i++) {
		if (!isfinite(values[i]) || values[i] == 0)
			continue;
		double x1 = sc(&xs, values[i]);
		double a = fmin(x0, x1), w = fabs(x1 - x0);
		char v[40], shown[40];
		chart_fmt_num(v, sizeof(v), values[i]);
		snprintf(shown, sizeof(shown), "%.4g", values[i]);
		fprintf(f, "<rect class=\"mark %s\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
			"data-label=\"", cls && cls[i] ? cls[i] : values[i] < 0 ? "neg" : "s0", a,
			M_T + i * row + 3, w > 0.5 ? w : 0.5, row - 6);
		chart_esc(f, labels[i]);
		fprintf(f, "\" data-value=\"%s\"/>\n", v);
		/* the value beyond the bar's end: right of a positive one, left of a negative */
		if (values[i] < 0)
			text_at(f, x1 - 4, M_T + i * row + row * 0.7, "end", shown, NULL);
		else
			text_at(f, x1 + 4, M_T + i * row + row * 0.7, "start", shown, NULL);
		marks++;
	}
	fig_end(f, c, NULL, 0, NULL);
	return marks;
}
