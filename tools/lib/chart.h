/*
 * chart.h — self-contained HTML pages with inline SVG charts, for the
 * tools' reports (dm-report; any tool with an -o PAGE.html).
 *
 * What a page is.  One HTML file that needs nothing else: the style sheet
 * is inline (a screen and a print style, A4), the charts are inline SVG,
 * there is no script and nothing is fetched (no font, no image), so it
 * reads the same in any browser, offline, without JavaScript, and prints.
 *
 * What a chart is.  A <figure class="fig"> holding one <svg class="chart">
 * and a <figcaption>.  Its axes are elements of class "axis" (the frame
 * lines, ticks and tick labels), its data marks elements of class "mark"
 * (a polyline per line series, a circle per point, a rect per bar), each
 * mark also of the series' own class (colour: "s0".."s5", "buy", "sell",
 * "fit", "neg").  Bars carry their figures as data-* attributes
 * (data-lo, data-hi, data-count; data-label, data-value) so that a test
 * reads back what was drawn.  A chart with nothing to draw writes a
 * paragraph "no data" of class "nodata" and no svg.
 *
 * Series and decimation.  A series accumulates points as they stream in
 * (chart_series_add), in fixed memory whatever their number: the first
 * CHART_RAW points are kept as they are; past that the x range is cut
 * into at most CHART_COLS columns of equal width, each keeping its first,
 * lowest, highest and last point (so no extreme is lost: min/max per
 * pixel column), the columns doubling in width as x grows.  A decimated
 * series is drawn from at most 4 x CHART_COLS points, and the chart's
 * caption says so ("N of M points drawn: ...").  Decimation assumes x
 * does not decrease (time series); a point before the first column is
 * kept in the first column, at its own x.
 *
 * Axes.  "Nice" ticks (1, 2, 2.5, 5 x 10^k) on numeric axes; on a time
 * axis (x in ns since the Unix epoch, UTC) ticks at whole seconds,
 * minutes, hours or days of the instrument's local time (UTC plus
 * utc_offset_min), labelled in that time; a clock axis is seconds after
 * local midnight (intraday profiles), labelled HH:MM.
 *
 * Text.  Every string given here is HTML-escaped when written (titles,
 * labels, names, cells); only the fmt of chart_html is written as is.
 *
 * Numbers.  chart_fmt_num writes %.12g, the precision of the project's
 * JSON files (files_json_write), so a number read from a JSON file
 * prints with the same digits; NaN and infinities print as "n/a".
 *
 * Threads and cost.  For one thread of a tool.  Nothing here allocates:
 * a series is caller memory (about 140 KiB: allocate it, do not put many
 * on a stack); the writers print to the caller's FILE and never check
 * it — the caller checks ferror() once when it closes the file.
 */
#ifndef DM_TOOLS_LIB_CHART_H
#define DM_TOOLS_LIB_CHART_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ------------------------------------------------------------ page */

/* <!DOCTYPE html>, the head (title, charset, the style sheet) and <body>
 * with an <h1> of title; subtitle (may be NULL) a paragraph under it. */
void chart_page_begin(FILE *f, const char *title, const char *subtitle);

/* </body></html>. */
void chart_page_end(FILE *f);

/* <section id="id"><h2>title</h2> ... </section>.  id: letters, digits,
 * '-' and '_' (written as is); a page's sections are its headings. */
void chart_section_begin(FILE *f, const char *id, const char *title);
void chart_section_end(FILE *f);

/* s, HTML-escaped (& < > " '). */
void chart_esc(FILE *f, const char *s);

/* <p> of the formatted text, escaped; cls (may be NULL) its class
 * ("note", "nodata"). */
void chart_para(FILE *f, const char *cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* fmt written as is (markup the caller built; escape any data in it with
 * chart_esc). */
void chart_html(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------ tables */

/* <table class="cls"> with a caption (may be NULL) and a header row of
 * head[0..n-1]; chart_table_end closes it.  Rows are the caller's:
 * chart_html(f, "<tr>") ... cells ... chart_html(f, "</tr>"). */
void chart_table_begin(FILE *f, const char *cls, const char *caption,
		       const char *const *head, int n);
void chart_table_end(FILE *f);

/* A cell of text (escaped); <th> when header is non-zero. */
void chart_cell_text(FILE *f, int header, const char *s);

/* A number cell, class "num", with data-key="key" when key is not NULL
 * (the JSON path the number comes from, "performance.sharpe"): shown as
 * chart_fmt_short, the whole value (%.12g) in data-value="..." and as the
 * cell's tooltip; "n/a" (and no data-value) for a NaN (a JSON null). */
void chart_cell_num(FILE *f, const char *key, double v);

/* v as a reader wants it: "%.2f" from 1000 on (money, turnover: 2284.28),
 * else 6 significant digits (-2.73815, 0.82385); "n/a" when not
 * finite; returns buf. */
char *chart_fmt_short(char *buf, size_t n, double v);

/* The same for an integer (printed exactly; in data-value too when key
 * is not NULL). */
void chart_cell_int(FILE *f, const char *key, int64_t v);

/* v as %.12g into buf ("n/a" when not finite); returns buf. */
char *chart_fmt_num(char *buf, size_t n, double v);

/* t_ns (UTC, ns since the epoch) as "YYYY-MM-DD HH:MM:SS" of UTC +
 * utc_offset_min into buf; returns buf. */
char *chart_fmt_time(char *buf, size_t n, int64_t t_ns, int utc_offset_min);

/* ------------------------------------------------------------ series */

enum chart_style {
	CHART_LINE,   /* points joined by straight segments */
	CHART_STEP,   /* a value held until the next point (position, equity) */
	CHART_POINTS  /* a circle per point (fills, scatter) */
};

#define CHART_RAW  4096u /* points kept as they are */
#define CHART_COLS 1024u /* columns once decimated: 4 points kept each */

struct chart_pt { double x, y; };

struct chart_col {
	struct chart_pt first, lo, hi, last;
	uint32_t n;       /* points in it; 0: empty */
};

struct chart_series {
	char name[64];    /* the legend's text; "" no legend entry */
	char cls[16];     /* class of its marks (colour): "s0", "buy", ... */
	enum chart_style style;
	uint64_t n_in;    /* points given (NaN or infinite ones excluded) */
	double xmin, xmax, ymin, ymax; /* over every point given */
	uint32_t n_raw;   /* raw[] in use while not decimated */
	int decimated;
	double x0, width; /* decimated: column i is [x0 + i w, x0 + (i+1) w) */
	uint32_t n_cols;  /* columns in use */
	struct chart_pt raw[CHART_RAW];
	struct chart_col col[CHART_COLS];
};

/* An empty series: name (copied, may be NULL), style, cls the CSS class
 * of its marks (copied; NULL: "s0").  Caller memory; no allocation. */
void chart_series_init(struct chart_series *s, const char *name, enum chart_style style,
		       const char *cls);

/* One point; a NaN or infinite x or y is ignored.  O(1) but for a
 * widening of the columns (O(CHART_COLS), at most log2 of the x span over
 * the first width times). */
void chart_series_add(struct chart_series *s, double x, double y);

/* The points a chart draws, in order, into out (room for max): at most
 * CHART_RAW or 4 x CHART_COLS.  Returns the count. */
uint32_t chart_series_points(const struct chart_series *s, struct chart_pt *out, uint32_t max);

/* ------------------------------------------------------------ charts */

enum chart_axis {
	CHART_AX_NUM,   /* plain numbers */
	CHART_AX_TIME,  /* ns since the Unix epoch (UTC); labels in local time */
	CHART_AX_CLOCK  /* seconds after local midnight; labels HH:MM */
};

struct chart {
	const char *title;     /* the caption's first words (bold) */
	const char *x_label;   /* the axes' names; NULL none */
	const char *y_label;
	enum chart_axis x_axis;
	int utc_offset_min;    /* CHART_AX_TIME: local = UTC + this */
	int x_log;             /* CHART_AX_NUM on a log10 scale (x > 0 only;
	                        * latencies): ticks at 1, 2, 5 x 10^k */
	int y_zero;            /* the y range includes 0 */
	const char *note;      /* a sentence after the caption; NULL none */
};

/* An x-y chart of n series (lines, steps, points; one legend).  Returns
 * the number of marks drawn, 0 when every series is empty (a "no data"
 * paragraph is written instead of the chart). */
int chart_xy(FILE *f, const struct chart *c, const struct chart_series *const *s, int n);

/* A histogram bin: [lo, hi) and its count. */
struct chart_bin { double lo, hi, count; };

/*
 * v[0..n-1] (NaN skipped) into at most max_bins bins of one "nice" width
 * covering min..max, written to out (room for max_bins); returns the bins
 * used (0 without a finite value).  One value, or all equal, make one bin
 * of width 1 around it.  A value goes to the bin with lo <= v < hi (the
 * last bin also takes v == hi).
 */
int chart_bins(const double *v, size_t n, int max_bins, struct chart_bin *out);

/* A histogram of b[0..n-1] (bins in increasing order): a bar per bin
 * with its count, data-lo, data-hi and data-count on each.  Returns the
 * number of bars drawn (bins with count > 0); 0: "no data" instead. */
int chart_hist(FILE *f, const struct chart *c, const struct chart_bin *b, int n);

/* A bar per label (labels in the order given, horizontal bars, the value
 * at each bar's end, 4 digits), data-label and data-value (%.12g) on
 * each; cls NULL or a class per bar.  Returns the bars drawn (value !=
 * 0); 0: "no data". */
int chart_bars(FILE *f, const struct chart *c, const char *const *labels,
	       const double *values, const char *const *cls, int n);

#endif /* DM_TOOLS_LIB_CHART_H */
