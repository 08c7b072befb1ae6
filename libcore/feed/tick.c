/*
 * tick.c — the tick a market-data file implies when the user names none
 * (feed.h: feed_default_tick, feed_file_tick, feed_detect).
 *
 * Start-up code for the tools: it opens, reads and (for a gzip file) runs
 * `gzip -dc` in a child process; nothing here is for a hot path.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "libcore/feed/feed.h"
#include "libcore/journal.h"

#define SNIFF_BYTES (256u << 10) /* Binance: bytes looked at for "pu" */

/* The first cap - 1 bytes of path (decompressed when gzip), NUL-terminated;
 * the count, or -1 if it cannot be read. */
static ssize_t sniff(const char *path, char *buf, size_t cap)
{
	unsigned char magic[2] = { 0, 0 };
	size_t n = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC), pfd[2];
	pid_t pid = -1;

	if (fd < 0)
		return -1;
	if (read(fd, magic, 2) == 2 && magic[0] == 0x1f && magic[1] == 0x8b) {
		if (pipe(pfd)) {
			close(fd);
			return -1;
		}
		if (lseek(fd, 0, SEEK_SET) != 0 || (pid = fork()) < 0) {
			close(pfd[0]);
			close(pfd[1]);
			close(fd);
			return -1;
		}
		if (pid == 0) {
			dup2(fd, 0);
			dup2(pfd[1], 1);
			close(pfd[0]);
			execlp("gzip", "gzip", "-dc", (char *)NULL);
			_exit(127);
		}
		close(pfd[1]);
		close(fd);
		fd = pfd[0];
	} else if (lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return -1;
	}
	while (n < cap - 1) {
		ssize_t k = read(fd, buf + n, cap - 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	close(fd);
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	buf[n] = '\0';
	return (ssize_t)n;
}

/* Binance: USD-M diffs carry "pu" (tick 0.1), spot ones do not (0.01). */
static double binance_tick(const char *path)
{
	char *buf = malloc(SNIFF_BYTES);
	double t = 0.01;

	if (buf && sniff(path, buf, SNIFF_BYTES) > 0 && strstr(buf, "\"pu\":"))
		t = 0.1;
	free(buf);
	return t;
}

/* The tick a journal's header records, points; 0 when none. */
static double journal_tick(const char *path)
{
	struct journal_reader r;
	double t = 0;

	if (journal_open_read(&r, path, 0) == 0) {
		t = r.hdr.tick_size_pts;
		journal_reader_close(&r);
	}
	return t > 0 && isfinite(t) ? t : 0;
}

double feed_default_tick(const char *path, enum feed_format fmt)
{
	switch (fmt) {
	case FEED_LOBSTER: return 0.01;
	case FEED_NEG:     return 0.01;
	case FEED_BINANCE: return binance_tick(path);
	case FEED_JOURNAL: return journal_tick(path);
	default:           return 0;
	}
}

double feed_file_tick(enum feed_format fmt, double tick)
{
	double t = fmt == FEED_LOBSTER ? tick * 10000.0 : tick;

	return round(t * 1e12) / 1e12;
}

int feed_detect(const char *path, const struct feed_opts *o, char *err, size_t errlen)
{
	struct feed_reader r;
	int rc = feed_open(&r, path, FEED_AUTO, o, err, errlen);

	if (rc)
		return rc;
	rc = (int)feed_format_of(&r);
	feed_close(&r);
	return rc;
}
