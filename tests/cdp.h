/*
 * cdp.h — a headless Chromium driven over the DevTools protocol, for the
 * tests that look at a page as a browser renders it (prefix cdp_).
 *
 * Transport.  Chromium started with --remote-debugging-pipe reads the
 * protocol's messages on its fd 3 and writes its own on fd 4: JSON
 * objects, each ended by a NUL byte.  A call is {"id", "method",
 * "params", "sessionId"}; its answer carries the same id ("result" or
 * "error"); everything else is an event ("method", "params").  The page's
 * commands go to the session of a target this client creates and attaches
 * to (flattened sessions: one pipe for all).
 *
 * The browser runs headless, with a private profile in a temporary
 * directory (removed by cdp_stop) and without the sandbox when the tests
 * run as root (Chromium refuses to start sandboxed as root).  Console
 * errors, uncaught exceptions and error log entries of the page are
 * collected as they arrive, whatever call is waiting.
 *
 * Test code: allocates, blocks (every call waits at most its timeout),
 * one thread.  No Criterion: failures are return values with a message.
 */
#ifndef DM_TESTS_CDP_H
#define DM_TESTS_CDP_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#define CDP_MAX_ERRORS 16

struct cdp {
	pid_t pid;             /* the browser (its wrapper script's process) */
	int to_fd, from_fd;    /* our ends: its fd 3 (it reads), fd 4 (it writes) */
	char udir[PATH_MAX];   /* the profile directory */
	char *buf;             /* bytes read that end no message yet */
	size_t len, cap;
	int next_id;
	char session[128];     /* the page's session id */
	int loaded;            /* Page.loadEventFired since the last navigate */
	int n_errors;          /* console errors, exceptions, error log entries */
	char errors[CDP_MAX_ERRORS][512];
};

/* The browser's path: chromium, chromium-browser or google-chrome, the
 * first found in PATH.  0, or -ENOENT (none installed). */
int cdp_find_browser(char *path, size_t n);

/* Start browser (a path from cdp_find_browser), open a blank page and
 * attach to it; Page, Runtime and Log enabled.  0, or -1 with err. */
int cdp_start(struct cdp *c, const char *browser, char *err, size_t errlen);

/* method with params (a reference is taken; NULL: {}) on the page's
 * session, waiting at most timeout_ms for its answer: 0 with *result
 * (the caller's reference; result may be NULL), or -1 with err (the
 * protocol's error message, a timeout, the browser gone). */
int cdp_call(struct cdp *c, const char *method, json_t *params, json_t **result,
	     int timeout_ms, char *err, size_t errlen);

/* Page.navigate to url, then wait for its load event.  0 or -1 with err. */
int cdp_navigate(struct cdp *c, const char *url, int timeout_ms, char *err, size_t errlen);

/* Runtime.evaluate of expr (returnByValue): 0 with *value (the caller's
 * reference), or -1 with err (an exception names its text). */
int cdp_eval(struct cdp *c, const char *expr, json_t **value, int timeout_ms, char *err,
	     size_t errlen);

/* Page.captureScreenshot of the viewport as PNG: 0 with *png (malloc'd,
 * *len bytes), or -1 with err. */
int cdp_screenshot(struct cdp *c, unsigned char **png, size_t *len, char *err, size_t errlen);

/* Close the browser (Browser.close, then SIGKILL after 5 s), reap it and
 * remove the profile directory.  Safe on a half-started c. */
void cdp_stop(struct cdp *c);

/*
 * Decode a PNG (8-bit RGB or RGBA, not interlaced: what Chromium writes)
 * with zlib, check every chunk's CRC and undo the row filters: 0 with the
 * size in *w, *h and the number of distinct colours, counted up to 2, in
 * *colours (1: every pixel the same colour, a blank page); -1 with err.
 */
int cdp_png_colours(const unsigned char *png, size_t len, unsigned *w, unsigned *h,
		    int *colours, char *err, size_t errlen);

#endif /* DM_TESTS_CDP_H */
