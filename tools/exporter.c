/*
 * dm-exporter — Prometheus metrics of a live segment, read-only.
 *
 *   dm-exporter [--name SEG] [-c CONF] [--listen ADDR:PORT] [--allow-remote]
 *
 * Serves GET /metrics in the Prometheus text format (rt_metrics_render,
 * agents/rt/metrics.h) from one HTTP thread (libmicrohttpd's internal
 * polling thread): each scrape looks the segment name up again
 * (segwatch_refresh), so the exporter follows the system across a
 * restart, answers dreammaker_up 0 while there is no segment, and never
 * writes to the segment (mapped PROT_READ).  Listens on the loopback
 * address by default; another address needs --allow-remote.
 * docs/observability.md.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "agents/rt/view.h"
#include "libcore/cli/cli.h"
#include "libcore/msg/msg.h"
#include "shm/seg.h"
#include "tools/lib/segwatch.h"

#define DEFAULT_LISTEN "127.0.0.1:9469"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dm-exporter [--name SEG] [-c CONF] [--listen ADDR:PORT] [--allow-remote]\n"
		"\n"
		"Serve the live segment's figures as Prometheus metrics on\n"
		"http://ADDR:PORT/metrics: per agent state, restarts, heartbeat age,\n"
		"messages; per ring fill, full and dropped; latency histograms in seconds;\n"
		"orders, fills, decisions and rejections by reason, position, P&L, risk\n"
		"state, kill switch (docs/observability.md lists every series).\n"
		"Read-only: the segment is mapped read-only and never written.  Each scrape\n"
		"looks the segment up again: while there is none the answer is\n"
		"dreammaker_up 0, and a new run under the same name is attached by itself.\n"
		"\n"
		"  -n, --name SEG     segment name (default $DM_SHM_NAME, else system.shm_name\n"
		"                     of CONF, else the configuration's default)\n"
		"  -c, --config CONF  the configuration that names the segment\n"
		"  -l, --listen ADDR:PORT\n"
		"                     where to listen (default " DEFAULT_LISTEN "); ADDR an IPv4\n"
		"                     address, [IPv6] or localhost; PORT 0 picks a free port\n"
		"                     (the line printed at start names it)\n"
		"      --allow-remote accept an ADDR that is not a loopback address (the\n"
		"                     metrics name the system's position and P&L: put a\n"
		"                     firewall or a proxy with authentication in front)\n"
		"  -h, --help         this text\n"
		"      --version      the release and the layout words\n"
		"\n"
		"At start it prints one line to stdout: \"dm-exporter: listening on\n"
		"http://ADDR:PORT/metrics (segment SEG)\"; it runs until SIGINT or SIGTERM.\n"
		"\n"
		"exit: 0 stopped by a signal, 1 the address cannot be bound (in use, no\n"
		"such address here), 2 bad usage, a bad segment name, a bad or non-loopback\n"
		"address without --allow-remote, or a configuration refused\n");
}

/* ------------------------------------------------------------ the address */

static int is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return 0;
}

/*
 * ADDR:PORT into *out (freeaddrinfo), numeric hosts only but
 * "localhost".  0, or 2 after one line on stderr (bad usage).
 */
static int parse_listen(const char *spec, int allow_remote, struct addrinfo **out)
{
	char host[256];
	const char *colon = strrchr(spec, ':');
	if (!colon || colon == spec || !colon[1]) {
		fprintf(stderr, "dm-exporter: --listen '%s': expected ADDR:PORT (127.0.0.1:9469, "
			"[::1]:9469)\n", spec);
		return 2;
	}
	size_t hl = (size_t)(colon - spec);
	if (hl >= sizeof(host)) {
		fprintf(stderr, "dm-exporter: --listen '%s': address too long\n", spec);
		return 2;
	}
	memcpy(host, spec, hl);
	host[hl] = '\0';
	if (host[0] == '[') {
		if (hl < 3 || host[hl - 1] != ']') {
			fprintf(stderr, "dm-exporter: --listen '%s': an IPv6 address is written "
				"[ADDR]:PORT\n", spec);
			return 2;
		}
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	uint32_t port;
	if (cli_parse_u32(colon + 1, 0, 65535, &port) != 0) {
		fprintf(stderr, "dm-exporter: --listen '%s': port '%s' is not 0..65535\n", spec,
			colon + 1);
		return 2;
	}
	int local = strcmp(host, "localhost") == 0;
	struct addrinfo hints = {
		.ai_family = local ? AF_INET : AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV | (local ? 0 : AI_NUMERICHOST),
	};
	int rc = getaddrinfo(local ? "127.0.0.1" : host, colon + 1, &hints, out);
	if (rc != 0) {
		fprintf(stderr, "dm-exporter: --listen '%s': '%s' is not an IP address (%s)\n",
			spec, host, gai_strerror(rc));
		return 2;
	}
	if (!allow_remote && !is_loopback((*out)->ai_addr)) {
		fprintf(stderr, "dm-exporter: --listen '%s': not a loopback address; the metrics "
			"show positions and P&L: give --allow-remote to listen there\n", spec);
		freeaddrinfo(*out);
		return 2;
	}
	return 0;
}

/* "ADDR:PORT" of a bound socket into out (n bytes). */
static void sock_name(int fd, char *out, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char h[INET6_ADDRSTRLEN] = "?";
	int port = 0;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *a = (struct sockaddr_in *)&ss;
			inet_ntop(AF_INET, &a->sin_addr, h, sizeof(h));
			port = ntohs(a->sin_port);
		} else if (ss.ss_family == AF_INET6) {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
			inet_ntop(AF_INET6, &a->sin6_addr, h, sizeof(h));
			port = ntohs(a->sin6_port);
		}
	}
	snprintf(out, n, ss.ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d", h, port);
}

/* ------------------------------------------------------------ serving */

/* What the HTTP thread owns (one thread: no lock). */
struct exporter {
	struct segwatch w;
	int logged;          /* what the last log line said: 1 attached, else
	                      * the refusal; 0 nothing yet */
	uint64_t scrapes;
	char *buf;
	size_t cap;
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One log line when the attachment changes: attached, or why not. */
static void note(struct exporter *x, int up)
{
	int state = up ? 1 : x->w.err;
	if (state == x->logged)
		return;
	if (up)
		fprintf(stderr, "dm-exporter: attached to %s (created %lld, epoch %u)\n",
			x->w.name, (long long)(x->w.seg.hdr->created_ns / 1000000000),
			x->w.seg.hdr->epoch);
	else
		fprintf(stderr, "dm-exporter: %s: %s; dreammaker_up 0 until a segment of this "
			"build is there\n", x->w.name, x->w.why[0] ? x->w.why : dm_strerror(x->w.err));
	x->logged = state;
}

/* The text of one scrape in x->buf; its length, or 0 when out of memory. */
static size_t scrape(struct exporter *x)
{
	int up = segwatch_refresh(&x->w);
	note(x, up);
	x->scrapes++;
	struct rt_metrics_host host = {
		.attaches = x->w.attaches, .scrapes = x->scrapes,
		.attach_error = up ? 0 : x->w.err,
	};
	for (int tries = 0; tries < 4; tries++) {
		size_t n = rt_metrics_render(up ? &x->w.seg : NULL, now_ns(), &host, x->buf, x->cap);
		if (n < x->cap)
			return n;
		size_t cap = n + n / 4 + 4096; /* room for a few more series next time */
		char *b = realloc(x->buf, cap);
		if (!b)
			return 0;
		x->buf = b;
		x->cap = cap;
	}
	return 0;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *type,
			     const char *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body,
								 MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	enum MHD_Result ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload, size_t *upload_size, void **req)
{
	(void)version;
	(void)upload;
	(void)req;
	struct exporter *x = cls;
	static const char plain[] = "text/plain; charset=utf-8";
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		static const char msg[] = "only GET and HEAD\n";
		*upload_size = 0;
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, plain, msg, sizeof(msg) - 1);
	}
	if (strcmp(url, "/metrics") == 0) {
		size_t n = scrape(x);
		if (n == 0) {
			static const char msg[] = "out of memory\n";
			return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, plain, msg, sizeof(msg) - 1);
		}
		return reply(c, MHD_HTTP_OK, RT_METRICS_CONTENT_TYPE, x->buf, n);
	}
	if (strcmp(url, "/") == 0) {
		char msg[256];
		int n = snprintf(msg, sizeof(msg), "dm-exporter of segment %s: the metrics are at "
				 "/metrics\n", x->w.name);
		return reply(c, MHD_HTTP_OK, plain, msg, (size_t)n);
	}
	static const char msg[] = "not found: the metrics are at /metrics\n";
	return reply(c, MHD_HTTP_NOT_FOUND, plain, msg, sizeof(msg) - 1);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	fputs("dm-exporter: ", stderr);
	vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "allow-remote", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	cli_set_prog("dm-exporter");
	opterr = 0;
	const char *name = NULL, *conf = NULL, *listen_at = DEFAULT_LISTEN;
	int allow_remote = 0, c;
	while ((c = getopt_long(argc, argv, ":n:c:l:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'c':
			conf = optarg;
			break;
		case 'l':
			listen_at = optarg;
			break;
		case 'R':
			allow_remote = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			return cli_version();
		default:
			return cli_bad_option(c, argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument '%s'", argv[optind]);

	/* the one default segment name is the configuration's (system.shm_name) */
	static struct rt_config cfg;
	char err[512];
	const char *from;
	if (topology_seg_name_load(&cfg, conf, &name, &from, err, sizeof(err)) != 0)
		return cli_fail(2, "%s", err);
	static struct exporter x;
	if (segwatch_init(&x.w, name, msg_layout_hash()) != 0)
		return cli_fail(2, "%s (from %s)", x.w.why, from);

	struct addrinfo *ai;
	int rc = parse_listen(listen_at, allow_remote, &ai);
	if (rc)
		return rc;
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
	int one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 64) < 0) {
		int e = errno;
		freeaddrinfo(ai);
		return cli_fail(1, "cannot listen on %s: %s%s", listen_at, strerror(e),
				e == EADDRINUSE ? " (another process has it: pick another port "
				"with --listen)" : "");
	}
	freeaddrinfo(ai);
	char where[INET6_ADDRSTRLEN + 16];
	sock_name(fd, where, sizeof(where));

	/* SIGINT and SIGTERM are taken by sigwait below; the HTTP thread
	 * inherits the blocked mask */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	note(&x, segwatch_refresh(&x.w)); /* before the HTTP thread owns x */
	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, &x,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT, (unsigned)32,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
	if (!d) {
		close(fd);
		return cli_fail(1, "cannot start the HTTP server on %s", where);
	}
	printf("dm-exporter: listening on http://%s/metrics (segment %s)\n", where, name);
	fflush(stdout);

	int sig = 0;
	while (sigwait(&stop, &sig) != 0)
		;
	MHD_stop_daemon(d);
	close(fd);
	segwatch_close(&x.w);
	free(x.buf);
	fprintf(stderr, "dm-exporter: stopped by %s after %llu scrapes\n",
		sig == SIGINT ? "SIGINT" : "SIGTERM", (unsigned long long)x.scrapes);
	return 0;
}
