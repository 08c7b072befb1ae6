/* source.c — market-data input of the data agent (source.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "libcore/agent/source.h"

int src_open(struct src *s, const char *path, const char *format, double tick,
	     char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	int fmt = FEED_AUTO;
	if (format && *format && strcmp(format, "auto") != 0) {
		fmt = feed_format_parse(format);
		if (fmt < 0) {
			snprintf(err, errlen, "--format '%s': use auto, journal, lobster, mt5, "
				 "neg or binance", format);
			return -EINVAL;
		}
	}
	struct feed_opts o = { .tick = tick > 0 ? tick : 1 };
	int rc = feed_open(&s->feed, path, (enum feed_format)fmt, &o, err, errlen);
	if (rc == 0) {
		s->kind = 1;
		return 0;
	}
	if (rc != -ENOTSUP)
		return rc;
	/* a journal, not yet readable through feed_open */
	rc = journal_open_read(&s->jr, path, 0);
	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot read as a journal: %s", path, dm_strerror(rc));
		return rc;
	}
	s->kind = 2;
	return 0;
}

int src_next(struct src *s, struct event *ev)
{
	int rc = s->kind == 1 ? feed_next(&s->feed, ev) :
		 s->kind == 2 ? journal_next_event(&s->jr, ev) : 0;
	if (rc == 1)
		s->events++;
	return rc;
}

int64_t src_skip(struct src *s, uint64_t n)
{
	struct event ev;
	uint64_t k = 0;
	while (k < n) {
		int rc = src_next(s, &ev);
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
		k++;
	}
	return (int64_t)k;
}

const char *src_error(const struct src *s)
{
	return s->kind == 1 ? feed_error(&s->feed) : "journal record corrupt";
}

void src_close(struct src *s)
{
	if (s->kind == 1)
		feed_close(&s->feed);
	else if (s->kind == 2)
		journal_reader_close(&s->jr);
	s->kind = 0;
}
