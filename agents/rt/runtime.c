/* runtime.c — the agent runtime (runtime.h). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "agents/rt/runtime.h"

/* ------------------------------------------------------------ signals */

static volatile sig_atomic_t sig_stop;
static _Atomic uint32_t sig_bits; /* bit (cmd) per pending operator command */

/* the bit of SIGRTMIN+4 in sig_bits: reopen the log (not a command) */
#define SIG_BIT_REOPEN_LOG 30

static void on_signal(int sig)
{
	uint32_t cmd = 0;
	if (sig == SIGTERM || sig == SIGINT) {
		sig_stop = 1;
		return;
	}
	if (sig == SIGUSR1)
		cmd = CTL_HALT;
	else if (sig == SIGUSR2)
		cmd = CTL_RESUME;
	else if (sig == SIGHUP)
		cmd = CTL_RELOAD;
	else if (sig == SIGRTMIN + 1)
		cmd = CTL_KILL_SWITCH;
	else if (sig == SIGRTMIN + 2)
		cmd = CTL_REARM;
	else if (sig == SIGRTMIN + 3)
		cmd = 31; /* stands for RT_CTL_CANCEL_ALL in the bit set */
	else if (sig == SIGRTMIN + 4)
		cmd = SIG_BIT_REOPEN_LOG;
	if (cmd)
		atomic_fetch_or_explicit(&sig_bits, 1u << cmd, memory_order_relaxed);
}

static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: a futex sleep returns at once on a signal */
	int sigs[] = { SIGTERM, SIGINT, SIGUSR1, SIGUSR2, SIGHUP,
		       SIGRTMIN + 1, SIGRTMIN + 2, SIGRTMIN + 3, SIGRTMIN + 4 };
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* a write past RLIMIT_FSIZE fails with EFBIG, as one on a full disk */
	signal(SIGXFSZ, SIG_IGN);
}

/* ------------------------------------------------------------ helpers */

int64_t rt_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static char last_log[RT_CMD_TEXT_MAX];

const char *rt_last_log(void)
{
	return last_log;
}

static const char *const log_level_names[] = {
	[RT_LOG_INFO] = "INFO", [RT_LOG_WARN] = "WARN", [RT_LOG_ERROR] = "ERROR",
};

/* One line "<time> <LEVEL> <name>[pid]: <text>" on stderr; a line break
 * in text becomes a space, so that a line is a record. */
static void log_line(const char *name, enum rt_log_level level, char *text)
{
	char when[40];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	for (char *c = text; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	if ((unsigned)level > RT_LOG_ERROR)
		level = RT_LOG_ERROR;
	fprintf(stderr, "%s.%03ldZ %s %s[%d]: %s\n", when, ts.tv_nsec / 1000000,
		log_level_names[level], name, (int)getpid(), text);
	fflush(stderr);
}

static void log_v(const char *name, enum rt_log_level level, const char *fmt, va_list ap)
{
	char text[1024];
	vsnprintf(text, sizeof(text), fmt, ap);
	snprintf(last_log, sizeof(last_log), "%.*s", (int)sizeof(last_log) - 1, text);
	log_line(name, level, text);
}

/* A line of the agent's, its time in the agent's log histogram. */
static void log_rt(const struct rt *rt, enum rt_log_level level, const char *fmt, va_list ap)
{
	int64_t t0 = rt_now_ns();
	log_v(rt && rt->name ? rt->name : "agent", level, fmt, ap);
	if (rt && rt->lat) {
		int64_t d = rt_now_ns() - t0;
		hist_record(&rt->lat->log, d > 0 ? (uint64_t)d : 0);
	}
}

void rt_log(const struct rt *rt, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_rt(rt, RT_LOG_INFO, fmt, ap);
	va_end(ap);
}

void rt_log_at(const struct rt *rt, enum rt_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_rt(rt, level, fmt, ap);
	va_end(ap);
}

void rt_log_named(const char *name, enum rt_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_v(name, level, fmt, ap);
	va_end(ap);
}

int rt_log_reopen(const struct rt *rt)
{
	const char *path = getenv(RT_LOG_FILE_ENV);
	if (!path || !*path)
		return 0;
	/* as every file of the run directory: never through a link */
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		rt_error(rt, "cannot reopen the log %s: %s; still writing to the old one", path,
			 strerror(e));
		return -e;
	}
	fflush(stdout);
	fflush(stderr);
	int rc = dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0 ? -errno : 0;
	close(fd);
	if (rc == 0)
		rt_log(rt, "log reopened: %s", path);
	return rc;
}

/* ------------------------------------------------------------ journals */

/* Open the alarm for writing (sequence lock odd) / publish it (even). */
static void alarm_begin(struct rt_journal_alarm *a)
{
	uint32_t v = atomic_load_explicit(&a->ver, memory_order_relaxed);
	atomic_store_explicit(&a->ver, v + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
}

static void alarm_end(struct rt_journal_alarm *a)
{
	uint32_t v = atomic_load_explicit(&a->ver, memory_order_relaxed);
	/* pairs with the acquire loads of rt_journal_alarm_read */
	atomic_store_explicit(&a->ver, v + 1, memory_order_release);
}

/* "2024-08-08T12:00:01.234Z" */
static const char *utc_text(int64_t ns, char out[40])
{
	time_t sec = (time_t)(ns / 1000000000);
	struct tm tm;
	gmtime_r(&sec, &tm);
	size_t k = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + k, 40 - k, ".%03dZ", (int)(ns % 1000000000 / 1000000));
	return out;
}

void rt_journal_name(struct rt *rt, const char *file)
{
	struct rt_journal_alarm *a = &rt->st->journal;
	int was = atomic_load_explicit(&a->failing, memory_order_relaxed);
	alarm_begin(a);
	snprintf(a->file, sizeof(a->file), "%s", file);
	if (was) {
		/* the process whose writes failed is gone; this one has not
		 * failed yet (its first failing write raises the alarm again) */
		a->cleared_ns = rt_now_ns();
		atomic_store_explicit(&a->failing, 0, memory_order_release);
	}
	alarm_end(a);
	if (was)
		rt_log(rt, "journal %s opened again by a new process: its alarm is cleared until "
		       "a write fails", file);
}

void rt_journal_failed(struct rt *rt, int err)
{
	struct rt_journal_alarm *a = &rt->st->journal;
	int64_t now = rt->now_ns ? rt->now_ns : rt_now_ns();
	int start = !atomic_load_explicit(&a->failing, memory_order_relaxed);
	rt_count(&rt->slot->ctr.errors, 1);
	alarm_begin(a);
	a->err = err;
	a->failures++;
	a->last_ns = now;
	if (start) {
		a->episodes++;
		a->first_ns = now;
		a->cleared_ns = 0;
	}
	/* read alone by the coordinator: set inside the lock, for the copy too */
	atomic_store_explicit(&a->failing, 1, memory_order_release);
	alarm_end(a);
	if (start)
		rt_error(rt, "ALARM: journal %s cannot write: %s; new orders halted until it "
		         "writes again and an operator resumes (dmctl resume)", a->file,
		         dm_strerror(err));
}

void rt_journal_ok(struct rt *rt)
{
	struct rt_journal_alarm *a = &rt->st->journal;
	if (!atomic_load_explicit(&a->failing, memory_order_relaxed))
		return;
	int64_t now = rt->now_ns ? rt->now_ns : rt_now_ns();
	alarm_begin(a);
	a->cleared_ns = now;
	atomic_store_explicit(&a->failing, 0, memory_order_release);
	alarm_end(a);
	char t1[40], t2[40];
	rt_warn(rt, "journal %s writes again (it failed from %s to %s: %s; %llu failed writes "
	        "in all); trading stays halted until an operator resumes (dmctl resume)",
	        a->file, utc_text(a->first_ns, t1), utc_text(a->last_ns, t2), dm_strerror(a->err),
	        (unsigned long long)a->failures);
}

/* ------------------------------------------------------------ fault points */

void rt_fault_fire(struct rt *rt, uint32_t point)
{
	/* one-shot: disarmed before the kill, so the restarted process passes */
	atomic_store_explicit(&rt->st->fault, RT_FAULT_NONE, memory_order_release);
	rt_warn(rt, "fault point '%s' armed (dmctl fault): killing this process (SIGKILL)",
	        rt_fault_name(point));
	for (;;) {
		kill(getpid(), SIGKILL);
		pause();
	}
}

int rt_run_path(const struct rt *rt, const char *file, char *out, size_t n)
{
	int k = snprintf(out, n, "%s/%s", rt->run_dir, file);
	return k < 0 || (size_t)k >= n ? -ENAMETOOLONG : 0;
}

int rt_run_file_put(const struct rt *rt, const char *file, const char *text, size_t len)
{
	char path[RT_PATH_MAX], tmp[RT_PATH_MAX + 8];
	int rc = rt_run_path(rt, file, path, sizeof(path));
	if (rc < 0)
		return rc;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	/* a leftover (or a planted link) goes; the new one is ours alone */
	if (unlink(tmp) != 0 && errno != ENOENT)
		return -errno;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	rc = 0;
	for (size_t off = 0; off < len && rc == 0;) {
		ssize_t k = write(fd, text + off, len - off);
		if (k < 0 && errno != EINTR)
			rc = -errno;
		else if (k > 0)
			off += (size_t)k;
	}
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	/* rename replaces whatever stands at path, a link included */
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc < 0)
		unlink(tmp);
	return rc;
}

FILE *rt_run_file_read(const struct rt *rt, const char *file)
{
	char path[RT_PATH_MAX];
	if (rt_run_path(rt, file, path, sizeof(path)) < 0) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	FILE *f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
}

int rt_in_find(const struct rt *rt, const char *name)
{
	for (uint32_t i = 0; i < rt->n_in; i++)
		if (strcmp(rt->in[i].name, name) == 0)
			return (int)i;
	return -1;
}

int rt_out_find(const struct rt *rt, const char *name)
{
	for (uint32_t i = 0; i < rt->n_out; i++)
		if (strcmp(rt->out[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* ------------------------------------------------------------ arguments */

static void usage(FILE *f, const struct rt_agent *ag)
{
	fprintf(f,
		"usage: dm-agent-%s [-c CONF] [--name SEG] [--run-dir DIR]%s\n"
		"\n"
		"The DreamMaker %s agent, one process of the six.  Normally started by\n"
		"dmctl start, which creates the segment first.\n"
		"\n"
		"  -c, --config CONF   configuration (default: built-in = conf/default.yaml)\n"
		"  -n, --name SEG      segment (default $DM_SHM_NAME, else system.shm_name)\n"
		"      --run-dir DIR   journals and state files (default $DM_RUN_DIR, else\n"
		"                      system.run_dir/<segment name>)\n"
		"%s"
		"  -h, --help          this text\n"
		"\n"
		"signals: TERM/INT drain and exit; USR1 halt; USR2 resume; HUP reload;\n"
		"         RTMIN+1 kill switch; RTMIN+2 re-arm; RTMIN+3 cancel all;\n"
		"         RTMIN+4 reopen the log ($DM_LOG_FILE)\n"
		"log: one line per record on stderr, '<UTC time> <LEVEL> <agent>[pid]: <text>'\n"
		"exit: 0 clean exit, 1 runtime failure, 2 bad usage or configuration\n",
		ag->name, ag->synopsis ? ag->synopsis : "", ag->name, ag->help ? ag->help : "");
}

/* A usage error's help text, for a person at a terminal only: in a log
 * the one error line says it all. */
static void usage_on_tty(const struct rt_agent *ag)
{
	if (isatty(STDERR_FILENO))
		usage(stderr, ag);
}

int rt_args_parse(struct rt_args *a, int argc, char **argv, const struct rt_agent *ag)
{
	enum { O_RUN_DIR = 256, O_AGENT = 512 };
	const char *agent = ag->name;
	struct option opts[4 + RT_MAX_OPTS + 1] = {
		{ "config", required_argument, NULL, 'c' },
		{ "name", required_argument, NULL, 'n' },
		{ "run-dir", required_argument, NULL, O_RUN_DIR },
		{ "help", no_argument, NULL, 'h' },
	};
	uint32_t n_opts = ag->n_opts <= RT_MAX_OPTS ? ag->n_opts : RT_MAX_OPTS;
	for (uint32_t i = 0; i < n_opts; i++)
		opts[4 + i] = (struct option){ ag->opts[i].name,
					       ag->opts[i].takes_value ? required_argument
								       : no_argument,
					       NULL, O_AGENT + (int)i };
	memset(a, 0, sizeof(*a));
	optind = 0;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":c:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': a->conf = optarg; break;
		case 'n': a->name = optarg; break;
		case O_RUN_DIR: a->run_dir = optarg; break;
		case 'h': usage(stdout, ag); return 1;
		case ':':
			rt_log_named(agent, RT_LOG_ERROR, "option '%s' needs a value "
				     "(dm-agent-%s --help)", argv[optind - 1], agent);
			usage_on_tty(ag);
			return 2;
		default:
			if (c >= O_AGENT && c < O_AGENT + (int)n_opts) {
				a->opt[c - O_AGENT] = optarg ? optarg : "";
				break;
			}
			rt_log_named(agent, RT_LOG_ERROR, "unknown option '%s' (dm-agent-%s --help)",
				     argv[optind - 1], agent);
			usage_on_tty(ag);
			return 2;
		}
	}
	if (optind < argc) {
		rt_log_named(agent, RT_LOG_ERROR, "unexpected argument '%s' (dm-agent-%s --help)",
			     argv[optind], agent);
		usage_on_tty(ag);
		return 2;
	}
	char why[256];
	if (a->name && seg_name_check(a->name, why, sizeof(why)) != 0) {
		rt_log_named(agent, RT_LOG_ERROR, "--name: %s", why);
		return 2;
	}
	return 0;
}

/* bad input (2): the configuration, the segment's name or what its header
 * holds; anything else is a runtime failure (1) */
static int exit_status(int rc)
{
	return rc == -DM_ECONFIG || rc == -DM_ETOPOLOGY || seg_bad_input(rc) ? 2 : 1;
}

int rt_main(int argc, char **argv, const struct rt_agent *ag)
{
	static struct rt rt; /* the process's one host; too large for the stack */
	struct rt_args a;
	int rc = rt_args_parse(&a, argc, argv, ag);
	if (rc)
		return rc == 1 ? 0 : 2;
	if (ag->check_opts && ag->check_opts(&a) < 0)
		return 2;

	rc = rt_open(&rt, ag->id, &a, ag->app_version, ag->app_size, 0);
	if (rc < 0)
		return exit_status(rc);
	rc = ag->init(&rt);
	if (rc < 0) {
		int code = rt.exit_code ? rt.exit_code : exit_status(rc);
		rt_close(&rt);
		return code;
	}
	rt_running(&rt);

	while (!rt_done(&rt))
		rt_idle(&rt, rt_work(&rt));

	ag->close(&rt);
	rt_close(&rt);
	return rt.exit_code; /* 0, or what the agent set (data: 2 after bad input) */
}

/* ------------------------------------------------------------ open */

static int check_topology(struct rt *rt)
{
	const struct seg_hdr *h = rt->seg.hdr;
	if (h->n_agents != AGENT_COUNT) {
		rt_error(rt, "segment %s has %u agents, the configuration %d: it was created "
		         "from another configuration; stop it and start again",
		         rt->seg.name, h->n_agents, AGENT_COUNT);
		return -DM_ETOPOLOGY;
	}
	for (uint32_t i = 0; i < AGENT_COUNT; i++)
		if (strcmp(seg_agent(&rt->seg, i)->name, rt_agent_names[i]) != 0) {
			rt_error(rt, "segment %s: agent slot %u is '%s', the configuration says "
			         "'%s'", rt->seg.name, i, seg_agent(&rt->seg, i)->name,
			         rt_agent_names[i]);
			return -DM_ETOPOLOGY;
		}
	for (uint32_t i = 0; i < rt->cfg.n_rings; i++) {
		const struct rt_ring_cfg *c = &rt->cfg.ring[i];
		int k = seg_ring_find(&rt->seg, c->name);
		const struct seg_ring_desc *d = k >= 0 ? &h->ring[k] : NULL;
		if (!d || d->producer != c->producer || d->consumer != c->consumer ||
		    d->capacity != c->capacity || d->slot_size != c->slot_size ||
		    d->policy != c->policy) {
			rt_error(rt, "segment %s: ring '%s' %s the configuration (%s); the "
			         "segment was created from another configuration: stop the "
			         "run and start it again with this one", rt->seg.name, c->name,
			         d ? "differs from" : "is missing from",
			         rt->cfg.core.path[0] ? rt->cfg.core.path : "built-in defaults");
			return -DM_ETOPOLOGY;
		}
	}
	if (h->n_rings != rt->cfg.n_rings) {
		rt_error(rt, "segment %s has %u rings, the configuration %u: stop the run and "
		         "start it again", rt->seg.name, h->n_rings, rt->cfg.n_rings);
		return -DM_ETOPOLOGY;
	}
	if (h->user_size < RT_USER_RESERVED + (uint64_t)AGENT_COUNT * RT_REGION_SIZE) {
		rt_error(rt, "segment %s: user area of %llu bytes cannot hold the agent "
		         "state regions", rt->seg.name, (unsigned long long)h->user_size);
		return -DM_ELAYOUT;
	}
	return 0;
}

static int open_region(struct rt *rt, uint32_t app_version, uint32_t app_size)
{
	struct rt_state *st = rt_state_of(&rt->seg, rt->self);
	uint64_t magic = atomic_load_explicit(&st->magic, memory_order_acquire);
	if (magic == 0) {
		/* first open in this segment (or an init that died half-way) */
		memset((void *)st, 0, RT_REGION_SIZE);
		st->version = RT_STATE_VERSION;
		st->size = sizeof(*st);
		st->agent = rt->self;
		hist_init(&rt_lat_of(&rt->seg, rt->self)->hop);
		hist_init(&rt_lat_of(&rt->seg, rt->self)->stage);
		atomic_store_explicit(&st->magic, RT_STATE_MAGIC, memory_order_release);
	} else if (!rt_state_valid(&rt->seg, rt->self) || st->agent != rt->self) {
		rt_error(rt, "segment %s: state region of %s has another layout (magic "
		         "%016llx, version %u): built from other sources; stop the run and "
		         "start it again", rt->seg.name, rt->name, (unsigned long long)magic,
		         st->version);
		return -DM_ELAYOUT;
	}
	uint32_t av = atomic_load_explicit(&st->app_version, memory_order_acquire);
	if (av == 0) {
		memset(rt_app_of(&rt->seg, rt->self), 0, RT_APP_SIZE);
		st->app_size = app_size;
		atomic_store_explicit(&st->app_version, app_version, memory_order_release);
		rt->app_fresh = 1;
	} else if (av != app_version || st->app_size != app_size) {
		rt_error(rt, "segment %s: %s state is version %u (%u bytes), this build "
		         "wants %u (%u bytes): stop the run and start it again",
		         rt->seg.name, rt->name, av, st->app_size, app_version, app_size);
		return -DM_ELAYOUT;
	}
	atomic_fetch_add(&st->opens, 1);
	rt->st = st;
	rt->lat = rt_lat_of(&rt->seg, rt->self);
	rt->app = rt_app_of(&rt->seg, rt->self);
	return 0;
}

static void find_rings(struct rt *rt)
{
	const struct seg_hdr *h = rt->seg.hdr;
	for (uint32_t i = 0; i < h->n_rings; i++) {
		const struct seg_ring_desc *d = &h->ring[i];
		if (d->consumer == rt->self) {
			struct rt_in *in = &rt->in[rt->n_in++];
			in->r = seg_ring(&rt->seg, i);
			in->ring = i;
			in->producer = d->producer;
			in->name = d->name;
		}
		if (d->producer == rt->self) {
			struct rt_out *o = &rt->out[rt->n_out++];
			o->r = seg_ring(&rt->seg, i);
			o->ring = i;
			o->consumer = d->consumer;
			o->policy = (uint16_t)d->policy;
			o->name = d->name;
			uint64_t n = ring_producer_recover(o->r);
			if (n)
				rt_log(rt, "ring %s: recovered %llu message(s) published by the "
				       "previous process", d->name, (unsigned long long)n);
		}
	}
}

/* ------------------------------------------------------------ run directory */

/*
 * Why directory st (at path) may not hold a run directory as its parent,
 * into why (n bytes), or NULL when it may: owned by this user or root, and
 * when others (or a group not this user's own) may write in it, sticky,
 * so that nobody else can rename or replace what this user puts there.
 */
static const char *parent_fault(const char *dir, const char *path, const struct stat *st,
				char *why, size_t n)
{
	uid_t uid = geteuid();
	unsigned mode = (unsigned)st->st_mode & 07777;
	int open_to_others = (mode & S_IWOTH) ||
			     ((mode & S_IWGRP) && st->st_gid != getegid());
	if (st->st_uid != uid && st->st_uid != 0)
		snprintf(why, n, "run directory %s: the directory holding it, %s, is owned "
			 "by uid %u, neither this user (uid %u) nor root: its owner could "
			 "replace the run directory; use one of your own (--run-dir, "
			 "$DM_RUN_DIR)", dir, path, (unsigned)st->st_uid, (unsigned)uid);
	else if (open_to_others && !(mode & S_ISVTX))
		snprintf(why, n, "run directory %s: the directory holding it, %s (mode "
			 "%04o), lets other users write in it without the sticky bit: "
			 "they could replace the run directory; use one of your own "
			 "(--run-dir, $DM_RUN_DIR)", dir, path, mode);
	else
		return NULL;
	return why;
}

/* Why dir (lstat st) may not be a run directory, into why, or NULL. */
static const char *dir_fault(const char *dir, const struct stat *st, char *why, size_t n)
{
	uid_t uid = geteuid();
	unsigned mode = (unsigned)st->st_mode & 07777;
	if (S_ISLNK(st->st_mode))
		snprintf(why, n, "run directory %s: is a symbolic link: give the directory "
			 "itself", dir);
	else if (!S_ISDIR(st->st_mode))
		snprintf(why, n, "run directory %s: not a directory", dir);
	else if (st->st_uid != uid)
		snprintf(why, n, "run directory %s: owned by uid %u, not by this user "
			 "(uid %u): another user may have made it first; use one of your "
			 "own (--run-dir, $DM_RUN_DIR)", dir, (unsigned)st->st_uid,
			 (unsigned)uid);
	else if (mode & (S_IWGRP | S_IWOTH))
		snprintf(why, n, "run directory %s: mode %04o lets %s write in it: "
			 "chmod go-w it, or use another", dir, mode,
			 (mode & S_IWOTH) ? "other users" : "its group");
	else
		return NULL;
	return why;
}

/* The directory holding dir into parent (RT_PATH_MAX bytes): 0, or
 * -DM_ECONFIG for a relative or too long dir (why says so). */
static int parent_of(const char *dir, char *parent, char *why, size_t n)
{
	size_t len = strlen(dir);
	if (dir[0] != '/' || len >= RT_PATH_MAX) {
		snprintf(why, n, "run directory %s: not an absolute path of at most %d bytes",
			 dir, RT_PATH_MAX - 1);
		return -DM_ECONFIG;
	}
	while (len > 1 && dir[len - 1] == '/')
		len--;
	memcpy(parent, dir, len);
	parent[len] = '\0';
	char *slash = strrchr(parent, '/');
	if (slash == parent)
		slash[1] = '\0';
	else
		*slash = '\0';
	return 0;
}

/* The directory holding dir passes parent_fault: 0 or -DM_ECONFIG. */
static int check_parent(const char *dir, char *why, size_t n)
{
	char parent[RT_PATH_MAX];
	struct stat st;
	if (parent_of(dir, parent, why, n) < 0)
		return -DM_ECONFIG;
	if (stat(parent, &st) != 0) {
		snprintf(why, n, "run directory %s: %s: %s", dir, parent, strerror(errno));
		return -DM_ECONFIG;
	}
	return parent_fault(dir, parent, &st, why, n) ? -DM_ECONFIG : 0;
}

int rt_run_dir_check(const char *dir, char *why, size_t n)
{
	struct stat st;
	if (check_parent(dir, why, n) < 0)
		return -DM_ECONFIG;
	if (lstat(dir, &st) != 0) {
		snprintf(why, n, "run directory %s: %s", dir, strerror(errno));
		return -DM_ECONFIG;
	}
	return dir_fault(dir, &st, why, n) ? -DM_ECONFIG : 0;
}

/* Every missing level of path (absolute, < RT_PATH_MAX bytes), path
 * included, created mode 0700: 0 or -DM_ECONFIG (why names the level). */
static int make_levels(const char *dir, const char *path, char *why, size_t n)
{
	char tmp[RT_PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;
		*p = '\0';
		if (tmp[0] && mkdir(tmp, 0700) != 0 && errno != EEXIST) {
			snprintf(why, n, "run directory %s: cannot create %s: %s", dir, tmp,
				 strerror(errno));
			return -DM_ECONFIG;
		}
		*p = c;
		if (!c)
			break;
	}
	return 0;
}

int rt_run_dir_make(const char *dir, char *why, size_t n)
{
	char parent[RT_PATH_MAX];
	/* the levels above, then the one holding it checked before the run
	 * directory is made inside it */
	if (parent_of(dir, parent, why, n) < 0 || make_levels(dir, parent, why, n) < 0 ||
	    check_parent(dir, why, n) < 0 || make_levels(dir, dir, why, n) < 0)
		return -DM_ECONFIG;
	return rt_run_dir_check(dir, why, n);
}

static int resolve_run_dir(struct rt *rt)
{
	const char *d = rt->args.run_dir;
	if (!d || !*d)
		d = getenv("DM_RUN_DIR");
	int k;
	char cwd[RT_PATH_MAX];
	if (d && *d && d[0] != '/' && getcwd(cwd, sizeof(cwd)))
		k = snprintf(rt->run_dir, sizeof(rt->run_dir), "%s/%s", cwd, d);
	else if (d && *d)
		k = snprintf(rt->run_dir, sizeof(rt->run_dir), "%s", d);
	else
		k = snprintf(rt->run_dir, sizeof(rt->run_dir), "%s/%s",
			     rt->cfg.system.run_dir, rt->seg.name + 1);
	if (k < 0 || (size_t)k >= sizeof(rt->run_dir))
		return -ENAMETOOLONG;
	char why[RT_PATH_MAX * 2 + 256];
	int rc = rt_run_dir_make(rt->run_dir, why, sizeof(why));
	if (rc < 0)
		rt_error(rt, "%s", why);
	return rc;
}

/* sched_setattr's argument, its first version (48 bytes; the kernel's ABI,
 * not in every libc's headers) */
struct rt_sched_attr {
	uint32_t size, policy;
	uint64_t flags;
	int32_t  nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
};

/* Time-shared, ask the scheduler for a slice of slice_us (Linux 6.12 and
 * later: EEVDF's custom slice, clamped there to 0.1..100 ms): a woken task
 * whose slice is shorter than the running one's preempts it at once instead
 * of waiting for its turn, which is what a woken agent wants.  It asks no
 * privilege.  An older kernel takes the call and ignores the value; read
 * back, the slice says which, and the agent says so once. */
static void ask_slice(struct rt *rt, uint32_t slice_us)
{
	struct rt_sched_attr at = { .size = sizeof(at), .policy = SCHED_OTHER };
	if (syscall(SYS_sched_getattr, 0, &at, sizeof(at), 0) == 0) {
		/* keep the class (batch, idle) and the nice value a launcher
		 * gave: only the slice changes; a real-time or deadline class
		 * has no slice to ask for */
		if (at.policy != SCHED_OTHER && at.policy != SCHED_BATCH &&
		    at.policy != SCHED_IDLE)
			return;
		at.size = sizeof(at);
		at.flags = 0;
		at.priority = 0;
		at.deadline = at.period = 0;
	}
	at.runtime = (uint64_t)slice_us * 1000;
	if (syscall(SYS_sched_setattr, 0, &at, 0) != 0) {
		rt_warn(rt, "cannot ask for a %u us slice (agents.%s.slice_us): %s; "
		        "running with the kernel's", slice_us, rt->name, strerror(errno));
		return;
	}
	struct rt_sched_attr got = { 0 };
	if (syscall(SYS_sched_getattr, 0, &got, sizeof(got), 0) != 0 ||
	    got.runtime != (uint64_t)slice_us * 1000)
		rt_log(rt, "agents.%s.slice_us %u: this kernel keeps its own slice "
		        "(a custom slice needs Linux 6.12 or later)", rt->name, slice_us);
}

int rt_open(struct rt *rt, uint32_t agent, const struct rt_args *a,
	    uint32_t app_version, uint32_t app_size, uint32_t oflags)
{
	char err[512];
	int rc;

	memset(rt, 0, sizeof(*rt));
	if (agent >= AGENT_COUNT || app_version == 0 || app_size > RT_APP_SIZE)
		return -EINVAL;
	rt->args = *a;
	rt->self = agent;
	rt->oflags = oflags;
	rt->name = rt_agent_names[agent];

	if (a->conf) {
		rc = rt_config_load(&rt->cfg, a->conf, err, sizeof(err));
		if (rc < 0) {
			rt_error(rt, "%s", err);
			return rc;
		}
	} else {
		rt_config_defaults(&rt->cfg);
	}
	const char *segname = topology_seg_name(&rt->cfg, a->name);
	if (seg_name_check(segname, err, sizeof(err)) != 0) {
		rt_error(rt, "%s (from %s)", err, topology_seg_name_from(&rt->cfg, a->name));
		return -EINVAL;
	}
	rc = seg_attach_err(&rt->seg, segname, 0, msg_layout_hash(), err, sizeof(err));
	if (rc < 0) {
		if (rc == -ENOENT)
			rt_error(rt, "segment %s does not exist: start the system with "
			         "'tools/dmctl start' (or create it with 'dm-seg create')", segname);
		else
			rt_error(rt, "segment %s: %s: %s", segname, dm_strerror(rc), err);
		return rc;
	}
	if ((rc = check_topology(rt)) < 0)
		goto close_seg;
	if ((rc = resolve_run_dir(rt)) < 0)
		goto close_seg;

	rt->slot = seg_agent(&rt->seg, agent);
	int64_t now = rt_now_ns();
	rc = agent_register(rt->slot, (int32_t)getpid(), now);
	if (rc < 0) {
		rt_error(rt, "segment %s: the %s slot is held by live pid %d; stop it first "
		         "(tools/dmctl stop, or restart %s)", segname, rt->name,
		         (int)atomic_load(&rt->slot->pid), rt->name);
		goto close_seg;
	}
	if ((rc = open_region(rt, app_version, app_size)) < 0)
		goto deregister;
	find_rings(rt);

	const struct rt_agent_cfg *ca = &rt->cfg.agent[agent];
	rt->idle = ca->idle;
	rt->spin_iters = ca->spin_iters;
	rt->yield_iters = ca->yield_iters;
	rt->hb_ns = (int64_t)rt->cfg.system.heartbeat_ms * 1000000;
	rt->stale_ns = (int64_t)rt->cfg.system.stale_ms * 1000000;
	rt->sleep_ns = (int64_t)ca->sleep_timeout_us * 1000;
	rt->expect_win_ns = (int64_t)ca->expect_us * 1000;
	if (rt->sleep_ns > rt->hb_ns)
		rt->sleep_ns = rt->hb_ns;
	rt->next_hb_ns = now;
	if (ca->cpu >= 0 && !(oflags & RT_O_NO_PIN)) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(ca->cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) != 0)
			rt_warn(rt, "cannot pin to CPU %d (agents.%s.cpu): %s; running unpinned",
			        ca->cpu, rt->name, strerror(errno));
	}
	/* woken, a real-time agent preempts time-sharing tasks at once instead
	 * of waiting for the scheduler to favour it (docs/operations.md) */
	if (ca->rt_priority && !(oflags & RT_O_NO_PIN)) {
		struct sched_param sp = { .sched_priority = (int)ca->rt_priority };
		if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0)
			rt_warn(rt, "cannot run at SCHED_FIFO priority %u (agents.%s.rt_priority): "
				"%s; running time-shared", ca->rt_priority, rt->name,
				strerror(errno));
	}
	if (ca->slice_us && !ca->rt_priority && !(oflags & RT_O_NO_PIN))
		ask_slice(rt, ca->slice_us);
	if (!(oflags & RT_O_NO_SIGNALS)) {
		sig_stop = 0;
		atomic_store(&sig_bits, 0);
		install_signals();
		const char *sup = getenv("DM_SUPERVISED");
		if (sup) {
			/* the supervisor's pid (dmctl): a supervisor that died
			 * between our fork and here left us to init, and the
			 * death signal below would never come */
			char *end;
			long want = strtol(sup, &end, 10);
			rt->parent = (int32_t)getppid();
			prctl(PR_SET_PDEATHSIG, SIGTERM);
			if (*end == '\0' && want > 1 && want != rt->parent) {
				rt_warn(rt, "supervisor %ld is gone before this agent started", want);
				rt->parent = (int32_t)want;
			}
			if (getppid() != rt->parent)
				sig_stop = 1;
		}
	}
	rt_log(rt, "attached %s as %s (generation %llu, %u inputs, %u outputs, idle %s%s)",
	       segname, rt->name, (unsigned long long)atomic_load(&rt->slot->generation),
	       rt->n_in, rt->n_out,
	       (const char *[]){ "spin", "yield", "sleep", "backoff" }[rt->idle & 3],
	       rt->app_fresh ? ", fresh state" : ", resuming state");
	return 0;

deregister:
	agent_deregister(rt->slot, rt_now_ns());
close_seg:
	seg_close(&rt->seg);
	return rc;
}

void rt_running(struct rt *rt)
{
	uint32_t f = rt_flags(rt);
	agent_set_state(rt->slot, f & RT_SF_HALTED ? AGENT_HALTED : AGENT_RUNNING);
	agent_heartbeat(rt->slot, rt_now_ns());
}

void rt_stop(struct rt *rt)
{
	if (rt->stopping)
		return;
	rt->stopping = 1;
	rt->drain_end_ns = rt_now_ns() + RT_DRAIN_NS;
	agent_set_state(rt->slot, AGENT_STOPPING);
	rt_log(rt, "draining inputs before exit");
}

void rt_close(struct rt *rt)
{
	if (!rt->seg.hdr)
		return;
	struct agent_counters *c = &rt->slot->ctr;
	rt_log(rt, "exit: %llu messages in, %llu out, %llu re-deliveries skipped, "
	       "%llu errors, %llu backpressure",
	       (unsigned long long)atomic_load(&c->msgs_in),
	       (unsigned long long)atomic_load(&c->msgs_out),
	       (unsigned long long)atomic_load(&rt->st->dup_skipped),
	       (unsigned long long)atomic_load(&c->errors),
	       (unsigned long long)atomic_load(&c->backpressure));
	agent_deregister(rt->slot, rt_now_ns());
	seg_close(&rt->seg);
	memset(&rt->seg, 0, sizeof(rt->seg));
}

/* ------------------------------------------------------------ control */

static void store_reply(struct rt *rt, uint32_t outcome, const char *text)
{
	struct rt_cmd_ack *a = &rt->st->ack;
	uint32_t v = atomic_load_explicit(&a->ver, memory_order_relaxed);
	atomic_store_explicit(&a->ver, v + 1, memory_order_relaxed);
	/* the odd version is visible before any field changes */
	atomic_thread_fence(memory_order_release);
	a->cmd = rt->cmd_cur;
	a->seq = rt->cmd_seq;
	a->outcome = outcome;
	a->done_ns = rt_now_ns();
	snprintf(a->text, sizeof(a->text), "%s", text);
	for (char *t = a->text; *t; t++)
		if (*t == '\n' || *t == '\r' || *t == '\t')
			*t = ' '; /* one line: dmctl reads it as the rest of a line */
	/* pairs with the acquire loads of rt_cmd_ack_read */
	atomic_store_explicit(&a->ver, v + 2, memory_order_release);
	rt->cmd_replied = 1;
}

void rt_cmd_reply(struct rt *rt, uint32_t outcome, const char *fmt, ...)
{
	char text[RT_CMD_TEXT_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	store_reply(rt, outcome, text);
	if (outcome != RT_CMD_OK)
		rt_warn(rt, "command %llu (%s) %s: %s", (unsigned long long)rt->cmd_seq,
		        rt_cmd_name(rt->cmd_cur), outcome == RT_CMD_REFUSED ? "refused" : "failed",
		        text);
}

/* The runtime's own answer when on_control gave none. */
static const char *default_reply(uint32_t cmd, uint32_t before)
{
	switch (cmd) {
	case CTL_HALT:
		return before & RT_SF_HALTED ? "already halted" : "halted: new orders refused";
	case CTL_RESUME:
		return before & RT_SF_HALTED ? "resumed: new orders accepted" : "was not halted";
	case CTL_KILL_SWITCH:
		return before & RT_SF_KILLED ? "kill switch already latched" :
		       "kill switch latched: every order refused until rearm";
	case CTL_REARM:
		return before & RT_SF_KILLED ? "re-armed: orders accepted again" :
		       "kill switch was not latched";
	case CTL_SHUTDOWN:
		return "draining";
	default:
		return "done";
	}
}

static void apply_control(struct rt *rt, uint32_t cmd, const struct msg_control *c,
			  uint64_t seq)
{
	struct rt_state *st = rt->st;
	uint32_t before = rt_flags(rt);
	rt->cmd_seq = seq;
	rt->cmd_cur = cmd;
	rt->cmd_replied = 0;
	if (cmd == CTL_RESUME && (before & RT_SF_KILLED)) {
		/* resume never clears a kill switch: only rearm does */
		rt_cmd_reply(rt, RT_CMD_REFUSED, "kill switch latched ('dmctl rearm' first)");
		return;
	}
	int bad;
	if (cmd == CTL_RESUME && (bad = rt_journal_failing(&rt->seg)) >= 0) {
		/* nothing resumes while an order could leave without its record */
		struct rt_journal_alarm a;
		memset(&a, 0, sizeof(a));
		rt_journal_alarm_read(&rt_state_of(&rt->seg, (uint32_t)bad)->journal, &a);
		char t[40];
		rt_cmd_reply(rt, RT_CMD_REFUSED, "the journal of %s (%s) still cannot write: %s "
			     "(since %s, %llu failed writes); free space or fix it, then resume",
			     rt_agent_names[bad], a.file[0] ? a.file : "?",
			     a.err ? dm_strerror(a.err) : "?", utc_text(a.first_ns, t),
			     (unsigned long long)a.failures);
		return;
	}
	switch (cmd) {
	case CTL_HALT:
		atomic_fetch_or(&st->flags, RT_SF_HALTED);
		break;
	case CTL_RESUME:
		atomic_fetch_and(&st->flags, ~(RT_SF_HALTED | RT_SF_JOURNAL));
		break;
	case CTL_KILL_SWITCH:
		atomic_fetch_or(&st->flags, RT_SF_KILLED | RT_SF_HALTED);
		break;
	case CTL_REARM:
		atomic_fetch_and(&st->flags, ~(RT_SF_KILLED | RT_SF_HALTED));
		break;
	case CTL_SHUTDOWN:
		rt_stop(rt);
		break;
	default:
		break;
	}
	if (!rt->stopping)
		agent_set_state(rt->slot, rt_flags(rt) & (RT_SF_HALTED | RT_SF_KILLED |
							  RT_SF_JOURNAL) ?
				AGENT_HALTED : AGENT_RUNNING);
	if (rt->ops && rt->ops->on_control)
		rt->ops->on_control(rt, cmd, c);
	if (!rt->cmd_replied)
		store_reply(rt, RT_CMD_OK, default_reply(cmd, before));
}

/*
 * The number dmctl gave the command `name` (RT_CMD_FILE), 0 if the file is
 * absent or names another command.  The file is removed once used, so a
 * later bare signal is not mistaken for it.  Signal path only: reads a file.
 */
static uint64_t take_cmd_number(struct rt *rt, const char *name)
{
	char path[RT_PATH_MAX], line[96], what[32];
	if (rt_run_path(rt, RT_CMD_FILE, path, sizeof(path)) < 0)
		return 0;
	FILE *f = rt_run_file_read(rt, RT_CMD_FILE);
	if (!f)
		return 0;
	unsigned long long n = 0;
	int ok = fgets(line, sizeof(line), f) && sscanf(line, "%llu %31s", &n, what) == 2;
	fclose(f);
	if (!ok || strcmp(what, name) != 0)
		return 0;
	unlink(path);
	return n;
}

static void apply_signals(struct rt *rt)
{
	if (sig_stop && !rt->stopping)
		rt_stop(rt);
	if (DM_LIKELY(!atomic_load_explicit(&sig_bits, memory_order_relaxed)))
		return;
	uint32_t bits = atomic_exchange(&sig_bits, 0);
	if (bits & (1u << SIG_BIT_REOPEN_LOG))
		rt_log_reopen(rt);
	static const uint32_t order[] = { CTL_KILL_SWITCH, CTL_HALT, 31, CTL_REARM,
					  CTL_RESUME, CTL_RELOAD };
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (bits & (1u << order[i])) {
			uint32_t cmd = order[i] == 31 ? RT_CTL_CANCEL_ALL : order[i];
			uint64_t n = take_cmd_number(rt, rt_cmd_name(cmd));
			if (n)
				rt_log(rt, "operator command %llu: %s", (unsigned long long)n,
				       rt_cmd_name(cmd));
			else
				rt_log(rt, "operator signal: %s", rt_cmd_name(cmd));
			apply_control(rt, cmd, NULL, n);
		}
}

/* ------------------------------------------------------------ work */

static int handle(struct rt *rt, uint32_t i, const struct msg_hdr *m)
{
	if (DM_UNLIKELY(m->version != MSG_VERSION || m->size < sizeof(*m) ||
			m->size > ring_msg_max(rt->in[i].r)))
		return -EPROTO;
	if (m->type == MSG_CONTROL) {
		if (m->size < sizeof(struct msg_control))
			return -EPROTO;
		const struct msg_control *c = (const struct msg_control *)m;
		if (c->target == ~0u || c->target == rt->self)
			apply_control(rt, c->cmd, c, c->arg);
		return 0;
	}
	return rt->ops && rt->ops->on_msg ? rt->ops->on_msg(rt, i, m) : 0;
}

static int poll_inputs(struct rt *rt)
{
	struct agent_counters *ctr = &rt->slot->ctr;
	int total = 0;
	uint32_t n_in = rt->n_in;
	for (uint32_t k = 0; k < n_in; k++) {
		uint32_t i = rt->rr + k < n_in ? rt->rr + k : rt->rr + k - n_in;
		struct rt_in *in = &rt->in[i];
		uint32_t n = ring_peek_burst(in->r, RT_BURST);
		if (!n)
			continue;
		_Atomic uint64_t *last = &rt->st->in_seq[in->ring];
		int64_t seen_ns = rt_now_ns(); /* one clock read per burst, for hop latency */
		uint32_t done = 0;
		for (; done < n; done++) {
			const struct msg_hdr *m = ring_at(in->r, done);
			uint64_t seq = m->seq;
			if (DM_UNLIKELY(seq != 0 &&
					seq <= atomic_load_explicit(last, memory_order_relaxed))) {
				rt_count(&rt->st->dup_skipped, 1);
				continue;
			}
			int rc = handle(rt, i, m);
			if (rc == -EAGAIN)
				break;
			if (DM_LIKELY(m->send_ns > 0 && seen_ns >= m->send_ns))
				hist_record(&rt->lat->hop, (uint64_t)(seen_ns - m->send_ns));
			if (DM_UNLIKELY(rc < 0))
				rt_count(&ctr->errors, 1);
			atomic_store_explicit(last, seq, memory_order_relaxed);
		}
		if (done) {
			/* held odd before the tail moves (ring_commit's release
			 * orders it): a reader that finds the ring empty finds
			 * the work held until the pass ends (rt_work) */
			uint64_t h = atomic_load_explicit(&ctr->held, memory_order_relaxed);
			if (!(h & 1))
				atomic_store_explicit(&ctr->held, h + 1, memory_order_relaxed);
			/* C1 in ring_commit: our reads and the in_seq store before the tail */
			ring_commit(in->r, done);
			rt_count(&ctr->msgs_in, done);
			atomic_store_explicit(&ctr->last_seq_in,
					      atomic_load_explicit(last, memory_order_relaxed),
					      memory_order_relaxed);
			total += (int)done;
		}
	}
	if (n_in)
		rt->rr = rt->rr + 1 < n_in ? rt->rr + 1 : 0;
	return total;
}

void rt_ring_bells(struct rt *rt)
{
	/* the coordinator last: it waits for the others' votes, so the voters
	 * woken before it have them on the way when it runs */
	uint64_t coord = rt->bells & (1ull << AGENT_COORDINATOR);
	uint64_t b = rt->bells & ~coord;
	rt->bells = 0;
	while (b) {
		uint32_t a = (uint32_t)__builtin_ctzll(b);
		b &= b - 1;
		doorbell_ring(&seg_agent(&rt->seg, a)->bell);
	}
	if (coord)
		doorbell_ring(&seg_agent(&rt->seg, AGENT_COORDINATOR)->bell);
}

int rt_work(struct rt *rt)
{
	int64_t now = rt->now_ns = rt_now_ns();
	int work = 0;
	if (DM_UNLIKELY(now >= rt->next_hb_ns)) {
		agent_heartbeat(rt->slot, now);
		rt->next_hb_ns = now + rt->hb_ns;
		struct rusage ru;
		if (getrusage(RUSAGE_SELF, &ru) == 0) {
			atomic_store_explicit(&rt->st->minflt, (uint64_t)ru.ru_minflt,
					      memory_order_relaxed);
			atomic_store_explicit(&rt->st->majflt, (uint64_t)ru.ru_majflt,
					      memory_order_relaxed);
			atomic_store_explicit(&rt->st->nvcsw, (uint64_t)ru.ru_nvcsw,
					      memory_order_relaxed);
			atomic_store_explicit(&rt->st->nivcsw, (uint64_t)ru.ru_nivcsw,
					      memory_order_relaxed);
		}
		if (rt->parent && getppid() != rt->parent && !rt->stopping) {
			rt_warn(rt, "supervisor %d is gone", (int)rt->parent);
			rt_stop(rt);
		}
	}
	apply_signals(rt);
	rt->wake_at_ns = 0;
	work += poll_inputs(rt);
	if (rt->ops && rt->ops->on_tick)
		work += rt->ops->on_tick(rt, now);
	for (uint32_t i = 0; i < rt->n_out; i++) {
		struct rt_out *o = &rt->out[i];
		if (o->policy == RING_CONFLATE &&
		    atomic_load_explicit(&o->r->pending, memory_order_relaxed) &&
		    ring_flush(o->r) == 0)
			rt->bells |= 1ull << o->consumer;
	}
	if (rt->bells)
		rt_ring_bells(rt);
	/* what the inputs brought is out on the rings (or the agent still
	 * holds some: an outbox waiting for its journal) */
	uint64_t h = atomic_load_explicit(&rt->slot->ctr.held, memory_order_relaxed);
	if ((h & 1) && !(rt->ops && rt->ops->busy && rt->ops->busy(rt)))
		atomic_store_explicit(&rt->slot->ctr.held, h + 1, memory_order_release);
	rt_count(&rt->slot->ctr.loops, 1);
	rt->last_work = work;
	return work;
}

static int inputs_ready(const struct rt *rt)
{
	for (uint32_t i = 0; i < rt->n_in; i++)
		if (ring_peek(rt->in[i].r))
			return 1;
	return 0;
}

static void rt_sleep(struct rt *rt)
{
	struct doorbell *d = &rt->slot->bell;
	int64_t t0 = rt_now_ns();
	uint32_t e = doorbell_prepare(d);
	if (inputs_ready(rt)) {
		doorbell_cancel(d);
		return;
	}
	int64_t now = rt_now_ns();
	int64_t t = rt->sleep_ns;
	if (rt->next_hb_ns - now < t)
		t = rt->next_hb_ns - now;
	if (rt->wake_at_ns && rt->wake_at_ns - now < t)
		t = rt->wake_at_ns - now;
	if (rt->stopping && t > 1000000)
		t = 1000000;
	if (t < 1000)
		t = 1000;
	if (doorbell_wait(d, e, t) == 0) {
		/* rung: how long from the producer's wake to this agent running
		 * (a ring older than this sleep is an earlier one's) */
		int64_t rung = atomic_load_explicit(&d->rung_ns, memory_order_relaxed);
		int64_t back = rt_now_ns();
		if (rung >= t0 && back >= rung)
			hist_record(&rt->lat->wake, (uint64_t)(back - rung));
	}
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

void rt_idle(struct rt *rt, int work)
{
	if (work > 0) {
		rt->empty = 0;
		return;
	}
	rt_count(&rt->slot->ctr.idle_loops, 1);
	uint64_t e = ++rt->empty;
	if (rt->expect_ns && rt->idle != IDLE_SPIN) {
		if (rt_now_ns() < rt->expect_ns) {
			sched_yield();
			return;
		}
		rt->expect_ns = 0;
	}
	switch (rt->idle) {
	case IDLE_SPIN:
		cpu_relax();
		return;
	case IDLE_YIELD:
		sched_yield();
		return;
	case IDLE_SLEEP:
		rt_sleep(rt);
		return;
	default:
		if (e <= rt->spin_iters)
			cpu_relax();
		else if (e <= (uint64_t)rt->spin_iters + rt->yield_iters)
			sched_yield();
		else
			rt_sleep(rt);
		return;
	}
}

int rt_done(struct rt *rt)
{
	if (rt->exit_now)
		return 1;
	if (!rt->stopping)
		return 0;
	if (rt_now_ns() > rt->drain_end_ns) {
		rt_warn(rt, "drain took longer than %lld ms: leaving with work pending",
		        (long long)(RT_DRAIN_NS / 1000000));
		return 1;
	}
	if (rt->last_work == 0 && !inputs_ready(rt) &&
	    !(rt->ops && rt->ops->busy && rt->ops->busy(rt)))
		return 1;
	return 0;
}

/* ------------------------------------------------------------ publish */

int rt_claim(struct rt *rt, uint32_t out, uint32_t n)
{
	struct rt_out *o = &rt->out[out];
	uint64_t pos = 0;
	uint32_t got = ring_claim(o->r, n, &pos);
	if (DM_UNLIKELY(got < n)) {
		rt_count(&rt->slot->ctr.backpressure, 1);
		return 0;
	}
	o->claimed = pos;
	return 1;
}

static inline void stamp(struct rt *rt, struct rt_out *o, struct msg_hdr *h, int64_t now)
{
	_Atomic uint64_t *s = &rt->st->out_seq[o->ring];
	uint64_t seq = atomic_load_explicit(s, memory_order_relaxed) + 1;
	/* stored before the message is visible: a restart never reuses it */
	atomic_store_explicit(s, seq, memory_order_relaxed);
	h->version = MSG_VERSION;
	h->seq = seq;
	h->send_ns = now;
}

void rt_publish_quiet(struct rt *rt, uint32_t out, uint32_t n)
{
	struct rt_out *o = &rt->out[out];
	int64_t now = rt_now_ns();
	for (uint32_t i = 0; i < n; i++)
		stamp(rt, o, ring_slot(o->r, o->claimed + i), now);
	ring_publish(o->r, n);
	rt_count(&rt->slot->ctr.msgs_out, n);
}

void rt_publish(struct rt *rt, uint32_t out, uint32_t n)
{
	rt_publish_quiet(rt, out, n);
	rt->bells |= 1ull << rt->out[out].consumer;
}

int rt_send(struct rt *rt, uint32_t out, void *msg, uint32_t len)
{
	struct rt_out *o = &rt->out[out];
	struct msg_hdr *h = msg;
	stamp(rt, o, h, rt_now_ns());
	/* only books (flagged conflatable) may be superseded in the side slot;
	 * anything else waits for room, ahead of which a parked book goes */
	int rc = o->policy == RING_CONFLATE && (h->flags & MSG_F_CONFLATABLE) ?
		 ring_offer(o->r, msg, len) : ring_try_push(o->r, msg, len);
	if (DM_UNLIKELY(rc < 0)) {
		atomic_store_explicit(&rt->st->out_seq[o->ring], h->seq - 1,
				      memory_order_relaxed);
		rt_count(&rt->slot->ctr.backpressure, 1);
		return rc;
	}
	rt->bells |= 1ull << o->consumer;
	rt_count(&rt->slot->ctr.msgs_out, 1);
	return rc;
}
