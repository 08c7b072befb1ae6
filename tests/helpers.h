/*
 * helpers.h — small tools shared by the unit tests (prefix t_).
 *
 * Nothing here knows the behaviour under test: the checksum, the RNG and
 * the clock are independent of shm/, so expected values computed with them
 * are an independent computation.
 */
#ifndef DM_TESTS_HELPERS_H
#define DM_TESTS_HELPERS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "shm/seg.h"
#include "tests/proc_helpers.h"

/* Criterion 2.4 declares cr_fatal only in its new assert API, whose
 * cr_assert differs; the classic one stops a test the same way. */
#ifndef cr_fatal
#define cr_fatal(...) cr_assert_fail(__VA_ARGS__)
#endif

/* Under a sanitizer the stress tests run fewer messages. */
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define T_SANITIZED 1
#else
#define T_SANITIZED 0
#endif
#if defined(__SANITIZE_THREAD__)
#define T_TSAN 1
#else
#define T_TSAN 0
#endif

/*
 * A segment name unique to this process and call: "/dmtest-<tag>-<pid>-<n>".
 * Writes at most n bytes into out (SEG_NAME_MAX is enough) and returns out.
 */
char *t_seg_name(char *out, size_t n, const char *tag);

/* FNV-1a 64 over n bytes. */
uint64_t t_fnv1a(const void *p, size_t n);

/* xorshift64* generator; a zero seed is replaced by a fixed non-zero one. */
struct t_rng {
	uint64_t s;
};
void t_rng_seed(struct t_rng *g, uint64_t seed);
uint64_t t_rng_next(struct t_rng *g);
/* Uniform-enough integer in [0, n), n > 0. */
uint64_t t_rng_below(struct t_rng *g, uint64_t n);

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t t_now_ns(void);
/* sleep ms milliseconds (usleep takes under a second only) */
void t_sleep_ms(int ms);

/* What the rings of s hold that their consumers have not yet taken: the
 * sum over every ring of head - tail + pending (ring_stats).  0 when the
 * system is drained. */
uint64_t t_rings_fill(const struct seg *s);

/*
 * The layout word of the pure transport tests: they carry their own bytes,
 * not the agents' messages, so they name their own word (any constant).
 */
#define T_APP_LAYOUT 0x54524f50534e4154ull /* "TANSPORT" */

/*
 * Fill *sp with agents "prod" (index 0) and "cons" (index 1) and one ring
 * "p2c" from prod to cons of the given shape; user_size bytes of user area;
 * layout word T_APP_LAYOUT.  name must outlive *sp.
 */
void t_spec_two_agents(struct seg_spec *sp, const char *name, uint64_t capacity,
		       uint32_t slot_size, enum ring_policy policy, uint64_t user_size);

/*
 * A scratch directory per test: t_tmp_init makes /tmp/<prefix>-XXXXXX
 * (fixture .init), t_tmp_cleanup removes it and everything in it (.fini).
 * t_tmp_path gives dir/name in one of 8 rotating buffers; t_write_file
 * writes text to a path.  Criterion tests only.
 */
extern char t_tmp_dir[64];
void t_tmp_init(const char *prefix);
void t_tmp_cleanup(void);
const char *t_tmp_path(const char *name);
void t_write_file(const char *path, const char *text);

/*
 * A shell command line (stderr joined to stdout): its output, cut to n - 1
 * bytes, in out; returns the exit status (128 + signal when killed).
 * t_bin_dir: the programs beside this test binary (build/tests ->
 * build/bin).  t_file_text: a whole file, NUL-terminated, malloc'd; *len its
 * size when len is not NULL.  Criterion tests only.
 */
int t_sh(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
const char *t_bin_dir(void);
char *t_file_text(const char *path, size_t *len);

/*
 * t_paths_find (tests/proc_helpers.h) that ends the test when it fails:
 * "cannot read /proc/self/exe" or "tools/dmctl not found above <dir>".
 * Criterion tests only.
 */
void t_paths_or_fail(struct t_paths *p);

/*
 * Expects (cr_expect) that no *.log of run directory dir holds a sanitizer
 * report: an agent that aborted on one would be restarted by the
 * supervisor and hide it.  The files that do are listed on stderr.
 * Criterion tests only.
 */
void t_expect_clean_logs(const char *dir);

/* realloc(p, n) that ends the test when it fails; Criterion tests only. */
void *t_realloc(void *p, size_t n);


/*
 * A market journal of the default instrument (WIN: tick 5, lot 1, BRL,
 * point value 0.2) at path (replaced): n events one ms apart from
 * 2022-01-03 12:00 UTC, and pause_ns later from event pause_at on (0, 0:
 * no pause), each a whole book of `levels` levels a side (1..20) written
 * as a snapshot, every 10th a trade instead; so record k (from 0) is
 * event k.  Written with the journal writer (test_journal tests it);
 * asserts on failure.  Criterion tests only.
 */
void t_write_win_journal(const char *path, uint32_t n, uint32_t levels, uint32_t pause_at,
			 int64_t pause_ns);

/*
 * The file offset of record k (from 0) of the journal at path, found by
 * walking the record lengths by hand (a 128-byte file header, then records
 * of a 24-byte header and the payload padded to 8 bytes), and its payload
 * length in *len (may be NULL).  Asserts that the record is there.
 */
int64_t t_journal_record_off(const char *path, uint64_t k, uint32_t *len);

/* Record k (from 0) of the journal at path damaged in place: the bytes of
 * its payload inverted, so its checksum fails while the records around it
 * stay valid.  Returns its offset (t_journal_record_off). */
int64_t t_journal_damage(const char *path, uint64_t k);

/* The real WING22 1-minute bars, relative to the repository root. */
#define T_WING22_CSV "tests/data/win-1min-bars-wing22/WING22_1min_OLHCV.csv.gz"

/*
 * The WING22 bars decompressed through a gzip pipe, positioned after the
 * header line (checked); close with pclose.  Skips the calling test when
 * the data or gzip is missing.  Criterion tests only.
 */
FILE *t_open_wing22(void);

#endif /* DM_TESTS_HELPERS_H */
