/* cdp.c — headless Chromium over the DevTools protocol's pipe (cdp.h). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "tests/cdp.h"

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int say(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int say(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (err && n)
		vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return -1;
}

int cdp_find_browser(char *path, size_t n)
{
	static const char *const names[] = { "chromium", "chromium-browser", "google-chrome" };
	const char *env = getenv("PATH");
	char dirs[4096];
	snprintf(dirs, sizeof(dirs), "%s", env ? env : "/usr/local/bin:/usr/bin:/bin");
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		char *save = NULL;
		char copy[4096];
		snprintf(copy, sizeof(copy), "%s", dirs);
		for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
			snprintf(path, n, "%s/%s", d, names[k]);
			if (access(path, X_OK) == 0)
				return 0;
		}
	}
	return -ENOENT;
}

/* ------------------------------------------------------------ messages */

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The next message, waiting until deadline (ms, monotonic): 1 with *m,
 * -1 with err (timeout, the pipe closed, a message that is no JSON). */
static int read_msg(struct cdp *c, json_t **m, int64_t deadline, char *err, size_t errlen)
{
	for (;;) {
		char *z = c->len ? memchr(c->buf, '\0', c->len) : NULL;
		if (z) {
			size_t k = (size_t)(z - c->buf);
			json_error_t e;
			*m = json_loadb(c->buf, k, 0, &e);
			memmove(c->buf, z + 1, c->len - k - 1);
			c->len -= k + 1;
			if (!*m)
				return say(err, errlen, "the browser sent a message that is no JSON: %s",
					   e.text);
			return 1;
		}
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return say(err, errlen, "no answer from the browser in time");
		struct pollfd p = { .fd = c->from_fd, .events = POLLIN };
		int r = poll(&p, 1, (int)left);
		if (r < 0 && errno != EINTR)
			return say(err, errlen, "poll: %s", strerror(errno));
		if (r <= 0)
			continue;
		if (c->cap - c->len < 65536) {
			size_t cap = c->cap ? 2 * c->cap : 1 << 20;
			char *b = realloc(c->buf, cap);
			if (!b)
				return say(err, errlen, "out of memory");
			c->buf = b;
			c->cap = cap;
		}
		ssize_t got = read(c->from_fd, c->buf + c->len, c->cap - c->len);
		if (got == 0)
			return say(err, errlen, "the browser closed its pipe (it exited)");
		if (got < 0 && errno != EINTR && errno != EAGAIN)
			return say(err, errlen, "read: %s", strerror(errno));
		if (got > 0)
			c->len += (size_t)got;
	}
}

static void add_error(struct cdp *c, const char *what, const char *text)
{
	if (c->n_errors < CDP_MAX_ERRORS)
		snprintf(c->errors[c->n_errors], sizeof(c->errors[0]), "%s: %s", what,
			 text ? text : "?");
	c->n_errors++;
}

/* An event: the page's errors, its load. */
static void on_event(struct cdp *c, const json_t *m)
{
	const char *method = json_string_value(json_object_get(m, "method"));
	const json_t *p = json_object_get(m, "params");
	if (!method)
		return;
	if (!strcmp(method, "Page.loadEventFired")) {
		c->loaded = 1;
	} else if (!strcmp(method, "Runtime.consoleAPICalled")) {
		const char *type = json_string_value(json_object_get(p, "type"));
		if (type && (!strcmp(type, "error") || !strcmp(type, "assert"))) {
			const json_t *a0 = json_array_get(json_object_get(p, "args"), 0);
			const char *t = json_string_value(json_object_get(a0, "value"));
			if (!t)
				t = json_string_value(json_object_get(a0, "description"));
			add_error(c, "console", t);
		}
	} else if (!strcmp(method, "Runtime.exceptionThrown")) {
		const json_t *d = json_object_get(p, "exceptionDetails");
		const char *t = json_string_value(json_object_get(json_object_get(d, "exception"),
								  "description"));
		add_error(c, "exception", t ? t : json_string_value(json_object_get(d, "text")));
	} else if (!strcmp(method, "Log.entryAdded")) {
		const json_t *e = json_object_get(p, "entry");
		const char *lvl = json_string_value(json_object_get(e, "level"));
		if (lvl && !strcmp(lvl, "error")) {
			char t[480];
			snprintf(t, sizeof(t), "%s (%s)",
				 json_string_value(json_object_get(e, "text")) ?: "?",
				 json_string_value(json_object_get(e, "url")) ?: "");
			add_error(c, "log", t);
		}
	}
}

/* A call on session (NULL: the browser itself). */
static int call(struct cdp *c, const char *session, const char *method, json_t *params,
		json_t **result, int timeout_ms, char *err, size_t errlen)
{
	int id = ++c->next_id;
	json_t *m = json_pack("{s:i, s:s, s:o}", "id", id, "method", method, "params",
			      params ? params : json_object());
	if (!m)
		return say(err, errlen, "%s: cannot encode the call", method);
	if (session)
		json_object_set_new(m, "sessionId", json_string(session));
	char *text = json_dumps(m, JSON_COMPACT);
	json_decref(m);
	if (!text)
		return say(err, errlen, "%s: cannot encode the call", method);
	int w = write_all(c->to_fd, text, strlen(text) + 1);
	free(text);
	if (w < 0)
		return say(err, errlen, "%s: write to the browser: %s", method, strerror(errno));
	int64_t deadline = now_ms() + timeout_ms;
	for (;;) {
		json_t *r;
		if (read_msg(c, &r, deadline, err, errlen) < 0) {
			size_t l = strlen(err);
			snprintf(err + l, errlen - l, " (waiting for %s)", method);
			return -1;
		}
		const json_t *rid = json_object_get(r, "id");
		if (!rid) {
			on_event(c, r);
			json_decref(r);
			continue;
		}
		if (json_integer_value(rid) != id) {
			json_decref(r);
			continue;
		}
		const json_t *e = json_object_get(r, "error");
		if (e) {
			say(err, errlen, "%s: %s", method,
			    json_string_value(json_object_get(e, "message")) ?: "error");
			json_decref(r);
			return -1;
		}
		if (result) {
			*result = json_incref(json_object_get(r, "result"));
			if (!*result)
				*result = json_object();
		}
		json_decref(r);
		return 0;
	}
}

int cdp_call(struct cdp *c, const char *method, json_t *params, json_t **result,
	     int timeout_ms, char *err, size_t errlen)
{
	return call(c, c->session, method, params, result, timeout_ms, err, errlen);
}

/* ------------------------------------------------------------ the browser */

int cdp_start(struct cdp *c, const char *browser, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->pid = -1;
	c->to_fd = c->from_fd = -1;
	const char *tmp = getenv("TMPDIR");
	snprintf(c->udir, sizeof(c->udir), "%s/dm-cdp-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(c->udir)) {
		c->udir[0] = '\0';
		return say(err, errlen, "mkdtemp: %s", strerror(errno));
	}
	int in[2], out[2];
	if (pipe(in) < 0)
		return say(err, errlen, "pipe: %s", strerror(errno));
	if (pipe(out) < 0) {
		close(in[0]);
		close(in[1]);
		return say(err, errlen, "pipe: %s", strerror(errno));
	}
	char ud[PATH_MAX + 32];
	snprintf(ud, sizeof(ud), "--user-data-dir=%s", c->udir);
	const char *argv[20];
	int n = 0;
	argv[n++] = browser;
	argv[n++] = "--headless";
	argv[n++] = "--remote-debugging-pipe";
	argv[n++] = ud;
	if (geteuid() == 0)
		argv[n++] = "--no-sandbox"; /* Chromium will not run sandboxed as root */
	argv[n++] = "--disable-gpu";
	argv[n++] = "--disable-dev-shm-usage";
	argv[n++] = "--no-first-run";
	argv[n++] = "--no-default-browser-check";
	argv[n++] = "--disable-extensions";
	argv[n++] = "--disable-background-networking";
	argv[n++] = "--disable-component-update";
	argv[n++] = "--disable-sync";
	argv[n++] = "--hide-scrollbars";
	argv[n++] = "--window-size=1000,800";
	argv[n++] = "about:blank";
	argv[n] = NULL;
	pid_t pid = fork();
	if (pid < 0)
		return say(err, errlen, "fork: %s", strerror(errno));
	if (pid == 0) {
		/* its own process group (cdp_stop ends all of it); dies with us */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int devnull = open("/dev/null", O_RDWR);
		int r = dup2(in[0], 3) < 0 || dup2(out[1], 4) < 0;
		if (devnull >= 0) {
			r |= dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 || dup2(devnull, 2) < 0;
			if (devnull > 4)
				close(devnull);
		}
		if (r)
			_exit(127);
		for (int fd = 5; fd < 1024; fd++)
			close(fd);
		execv(browser, (char *const *)argv);
		_exit(127);
	}
	c->pid = pid;
	setpgid(pid, pid);
	close(in[0]);
	close(out[1]);
	c->to_fd = in[1];
	c->from_fd = out[0];
	fcntl(c->to_fd, F_SETFD, FD_CLOEXEC);
	fcntl(c->from_fd, F_SETFD, FD_CLOEXEC);
	signal(SIGPIPE, SIG_IGN); /* a browser gone is an error, not a signal */

	json_t *r;
	if (call(c, NULL, "Target.createTarget", json_pack("{s:s}", "url", "about:blank"), &r,
		 30000, err, errlen) < 0)
		return -1;
	char target[128];
	snprintf(target, sizeof(target), "%s",
		 json_string_value(json_object_get(r, "targetId")) ?: "");
	json_decref(r);
	if (call(c, NULL, "Target.attachToTarget", json_pack("{s:s, s:b}", "targetId", target,
		 "flatten", 1), &r, 10000, err, errlen) < 0)
		return -1;
	snprintf(c->session, sizeof(c->session), "%s",
		 json_string_value(json_object_get(r, "sessionId")) ?: "");
	json_decref(r);
	if (!c->session[0])
		return say(err, errlen, "Target.attachToTarget gave no session");
	static const char *const en[] = { "Page.enable", "Runtime.enable", "Log.enable" };
	for (size_t i = 0; i < 3; i++)
		if (cdp_call(c, en[i], NULL, NULL, 10000, err, errlen) < 0)
			return -1;
	return 0;
}

int cdp_navigate(struct cdp *c, const char *url, int timeout_ms, char *err, size_t errlen)
{
	json_t *r;
	c->loaded = 0;
	if (cdp_call(c, "Page.navigate", json_pack("{s:s}", "url", url), &r, timeout_ms, err,
		     errlen) < 0)
		return -1;
	const char *e = json_string_value(json_object_get(r, "errorText"));
	if (e) {
		say(err, errlen, "Page.navigate %s: %s", url, e);
		json_decref(r);
		return -1;
	}
	json_decref(r);
	int64_t deadline = now_ms() + timeout_ms;
	while (!c->loaded) {
		json_t *m;
		if (read_msg(c, &m, deadline, err, errlen) < 0) {
			size_t l = strlen(err);
			snprintf(err + l, errlen - l, " (waiting for the load of %s)", url);
			return -1;
		}
		if (!json_object_get(m, "id"))
			on_event(c, m);
		json_decref(m);
	}
	return 0;
}

int cdp_eval(struct cdp *c, const char *expr, json_t **value, int timeout_ms, char *err,
	     size_t errlen)
{
	json_t *r;
	if (cdp_call(c, "Runtime.evaluate", json_pack("{s:s, s:b}", "expression", expr,
		     "returnByValue", 1), &r, timeout_ms, err, errlen) < 0)
		return -1;
	const json_t *ex = json_object_get(r, "exceptionDetails");
	if (ex) {
		say(err, errlen, "Runtime.evaluate: %s",
		    json_string_value(json_object_get(json_object_get(ex, "exception"),
						      "description")) ?:
		    json_string_value(json_object_get(ex, "text")) ?: "exception");
		json_decref(r);
		return -1;
	}
	*value = json_incref(json_object_get(json_object_get(r, "result"), "value"));
	json_decref(r);
	if (!*value)
		return say(err, errlen, "Runtime.evaluate: no value");
	return 0;
}

static int b64(int ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	return ch == '+' ? 62 : ch == '/' ? 63 : -1;
}

int cdp_screenshot(struct cdp *c, unsigned char **png, size_t *len, char *err, size_t errlen)
{
	json_t *r;
	if (cdp_call(c, "Page.captureScreenshot", json_pack("{s:s}", "format", "png"), &r, 30000,
		     err, errlen) < 0)
		return -1;
	const char *d = json_string_value(json_object_get(r, "data"));
	if (!d) {
		json_decref(r);
		return say(err, errlen, "Page.captureScreenshot: no data");
	}
	size_t n = strlen(d);
	unsigned char *o = malloc(n / 4 * 3 + 3);
	if (!o) {
		json_decref(r);
		return say(err, errlen, "out of memory");
	}
	size_t k = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n && d[i] != '='; i++) {
		int v = b64((unsigned char)d[i]);
		if (v < 0) {
			free(o);
			json_decref(r);
			return say(err, errlen, "the screenshot is not base64 (byte %zu)", i);
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o[k++] = (unsigned char)(acc >> bits);
		}
	}
	json_decref(r);
	*png = o;
	*len = k;
	return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	remove(p);
	return 0;
}

void cdp_stop(struct cdp *c)
{
	if (c->to_fd >= 0) {
		/* no answer awaited: the browser closes the pipe as it goes */
		json_t *m = json_pack("{s:i, s:s, s:{}}", "id", ++c->next_id, "method",
				      "Browser.close", "params");
		char *t = json_dumps(m, JSON_COMPACT);
		json_decref(m);
		if (t)
			(void)write_all(c->to_fd, t, strlen(t) + 1);
		free(t);
		close(c->to_fd);
		c->to_fd = -1;
	}
	if (c->pid > 0) {
		int st;
		int64_t deadline = now_ms() + 5000;
		while (waitpid(c->pid, &st, WNOHANG) == 0) {
			if (now_ms() > deadline) {
				kill(-c->pid, SIGKILL);
				kill(c->pid, SIGKILL);
				waitpid(c->pid, &st, 0);
				break;
			}
			usleep(20000);
		}
		/* whatever of its group is left (renderers): the group is ours */
		kill(-c->pid, SIGKILL);
		c->pid = -1;
	}
	if (c->from_fd >= 0) {
		close(c->from_fd);
		c->from_fd = -1;
	}
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
	if (c->udir[0]) {
		nftw(c->udir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
		c->udir[0] = '\0';
	}
}

/* ------------------------------------------------------------ PNG */

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int paeth(int a, int b, int c)
{
	int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
	return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

int cdp_png_colours(const unsigned char *png, size_t len, unsigned *w, unsigned *h,
		    int *colours, char *err, size_t errlen)
{
	static const unsigned char sig[8] = { 137, 'P', 'N', 'G', 13, 10, 26, 10 };
	if (len < 8 || memcmp(png, sig, 8))
		return say(err, errlen, "not a PNG (no signature)");
	size_t pos = 8, idat_len = 0;
	unsigned char *idat = NULL;
	unsigned bpp = 0;
	int ihdr = 0, end = 0;
	*w = *h = 0;
	while (!end) {
		if (pos + 12 > len) {
			free(idat);
			return say(err, errlen, "PNG cut short at byte %zu", pos);
		}
		uint32_t n = be32(png + pos);
		const unsigned char *type = png + pos + 4, *data = png + pos + 8;
		if (n > len - pos - 12) {
			free(idat);
			return say(err, errlen, "PNG chunk longer than the file at byte %zu", pos);
		}
		uint32_t crc = (uint32_t)crc32(0, type, n + 4);
		if (crc != be32(data + n)) {
			free(idat);
			return say(err, errlen, "PNG chunk %.4s: bad CRC", (const char *)type);
		}
		if (!memcmp(type, "IHDR", 4) && n == 13) {
			*w = be32(data);
			*h = be32(data + 4);
			int depth = data[8], ct = data[9], interlace = data[12];
			if (depth != 8 || (ct != 2 && ct != 6) || interlace) {
				free(idat);
				return say(err, errlen, "PNG of depth %d, colour type %d, interlace %d: "
					   "only 8-bit RGB(A) is read", depth, ct, interlace);
			}
			bpp = ct == 6 ? 4 : 3;
			ihdr = 1;
		} else if (!memcmp(type, "IDAT", 4)) {
			unsigned char *b = realloc(idat, idat_len + n + 1);
			if (!b) {
				free(idat);
				return say(err, errlen, "out of memory");
			}
			idat = b;
			memcpy(idat + idat_len, data, n);
			idat_len += n;
		} else if (!memcmp(type, "IEND", 4)) {
			end = 1;
		}
		pos += 12 + n;
	}
	if (!ihdr || !*w || !*h || *w > 20000 || *h > 20000) {
		free(idat);
		return say(err, errlen, "PNG without a usable IHDR");
	}
	size_t stride = (size_t)*w * bpp;
	uLongf raw_len = (uLongf)((stride + 1) * *h);
	unsigned char *raw = malloc(raw_len);
	if (!raw) {
		free(idat);
		return say(err, errlen, "out of memory");
	}
	int zr = uncompress(raw, &raw_len, idat, (uLong)idat_len);
	free(idat);
	if (zr != Z_OK || raw_len != (stride + 1) * *h) {
		free(raw);
		return say(err, errlen, "PNG data does not inflate (zlib %d)", zr);
	}
	/* undo the filters in place: row y at raw + y (stride + 1) + 1 */
	for (unsigned y = 0; y < *h; y++) {
		unsigned char *row = raw + (size_t)y * (stride + 1), *px = row + 1;
		const unsigned char *up = y ? raw + (size_t)(y - 1) * (stride + 1) + 1 : NULL;
		int f = row[0];
		for (size_t i = 0; i < stride; i++) {
			int a = i >= bpp ? px[i - bpp] : 0, b = up ? up[i] : 0,
			    c = up && i >= bpp ? up[i - bpp] : 0;
			switch (f) {
			case 0: break;
			case 1: px[i] = (unsigned char)(px[i] + a); break;
			case 2: px[i] = (unsigned char)(px[i] + b); break;
			case 3: px[i] = (unsigned char)(px[i] + (a + b) / 2); break;
			case 4: px[i] = (unsigned char)(px[i] + paeth(a, b, c)); break;
			default:
				free(raw);
				return say(err, errlen, "PNG row %u: unknown filter %d", y, f);
			}
		}
	}
	*colours = 1;
	const unsigned char *first = raw + 1;
	for (unsigned y = 0; y < *h && *colours == 1; y++) {
		const unsigned char *px = raw + (size_t)y * (stride + 1) + 1;
		for (size_t i = 0; i < stride; i += bpp)
			if (memcmp(px + i, first, bpp)) {
				*colours = 2;
				break;
			}
	}
	free(raw);
	return 0;
}
