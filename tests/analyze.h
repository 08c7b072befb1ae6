/*
 * analyze.h — Criterion's assertions as make analyze reads them.
 *
 * make analyze puts this file before every test file it hands to gcc
 * -fanalyzer (-include tests/analyze.h); no build compiles it.  Each
 * Criterion assertion expands to some fifty lines that format the message,
 * fill in statistics and carry the outcome in a bool, then abort the test
 * when the bool is false.  The analyzer follows neither that bool back to
 * the condition (so after cr_assert_not_null(p) it still takes p for
 * possibly NULL) nor, within its limits, the paths of a file with a
 * thousand assertions.  Here each assertion is what it means to the code
 * after it: the same condition, evaluated once, and a call that does not
 * return when it fails (cr_assert_*) or that does (cr_expect_*); the
 * message arguments are still evaluated on the failing path.
 *
 * t_analyze_fail and t_analyze_note are declared, never defined: the
 * objects of make analyze are never linked.
 */
#ifndef DM_TESTS_ANALYZE_H
#define DM_TESTS_ANALYZE_H

#include <criterion/criterion.h>
#include <string.h>

__attribute__((noreturn)) void t_analyze_fail(int, ...);
void t_analyze_note(int, ...);

/* The comparisons of cr_assert_eq and the like are written in Criterion's
 * system header, where gcc does not warn of mixed signs or enums; nor here. */
#define T_QUIET_(stmt)                                                  \
	do {                                                            \
		_Pragma("GCC diagnostic push")                          \
		_Pragma("GCC diagnostic ignored \"-Wsign-compare\"")    \
		_Pragma("GCC diagnostic ignored \"-Wenum-compare\"")    \
		stmt;                                                   \
		_Pragma("GCC diagnostic pop")                           \
	} while (0)
#define T_ASSERT_(cond, ...) T_QUIET_(if (!(cond)) t_analyze_fail(0, ##__VA_ARGS__))
#define T_EXPECT_(cond, ...) T_QUIET_(if (!(cond)) t_analyze_note(0, ##__VA_ARGS__))

#undef cr_assert
#undef cr_expect
#undef cr_assert_not
#undef cr_expect_not
#undef cr_assert_fail
#undef cr_expect_fail
#undef cr_fatal
#define cr_assert(c, ...)               T_ASSERT_(c, ##__VA_ARGS__)
#define cr_expect(c, ...)               T_EXPECT_(c, ##__VA_ARGS__)
#define cr_assert_not(c, ...)           T_ASSERT_(!(c), ##__VA_ARGS__)
#define cr_expect_not(c, ...)           T_EXPECT_(!(c), ##__VA_ARGS__)
#define cr_assert_fail(...)             t_analyze_fail(0, ##__VA_ARGS__)
#define cr_expect_fail(...)             t_analyze_note(0, ##__VA_ARGS__)
#define cr_fatal(...)                   t_analyze_fail(0, ##__VA_ARGS__)

#undef cr_assert_eq
#undef cr_expect_eq
#undef cr_assert_neq
#undef cr_expect_neq
#undef cr_assert_lt
#undef cr_expect_lt
#undef cr_assert_leq
#undef cr_expect_leq
#undef cr_assert_gt
#undef cr_expect_gt
#undef cr_assert_geq
#undef cr_expect_geq
#define cr_assert_eq(a, b, ...)         T_ASSERT_((a) == (b), ##__VA_ARGS__)
#define cr_expect_eq(a, b, ...)         T_EXPECT_((a) == (b), ##__VA_ARGS__)
#define cr_assert_neq(a, b, ...)        T_ASSERT_((a) != (b), ##__VA_ARGS__)
#define cr_expect_neq(a, b, ...)        T_EXPECT_((a) != (b), ##__VA_ARGS__)
#define cr_assert_lt(a, b, ...)         T_ASSERT_((a) < (b), ##__VA_ARGS__)
#define cr_expect_lt(a, b, ...)         T_EXPECT_((a) < (b), ##__VA_ARGS__)
#define cr_assert_leq(a, b, ...)        T_ASSERT_((a) <= (b), ##__VA_ARGS__)
#define cr_expect_leq(a, b, ...)        T_EXPECT_((a) <= (b), ##__VA_ARGS__)
#define cr_assert_gt(a, b, ...)         T_ASSERT_((a) > (b), ##__VA_ARGS__)
#define cr_expect_gt(a, b, ...)         T_EXPECT_((a) > (b), ##__VA_ARGS__)
#define cr_assert_geq(a, b, ...)        T_ASSERT_((a) >= (b), ##__VA_ARGS__)
#define cr_expect_geq(a, b, ...)        T_EXPECT_((a) >= (b), ##__VA_ARGS__)

#undef cr_assert_null
#undef cr_expect_null
#undef cr_assert_not_null
#undef cr_expect_not_null
#define cr_assert_null(p, ...)          T_ASSERT_((p) == NULL, ##__VA_ARGS__)
#define cr_expect_null(p, ...)          T_EXPECT_((p) == NULL, ##__VA_ARGS__)
#define cr_assert_not_null(p, ...)      T_ASSERT_((p) != NULL, ##__VA_ARGS__)
#define cr_expect_not_null(p, ...)      T_EXPECT_((p) != NULL, ##__VA_ARGS__)

/* Criterion's: Expected - Actual <= Epsilon and Actual - Expected <= Epsilon */
#undef cr_assert_float_eq
#undef cr_expect_float_eq
#define cr_assert_float_eq(a, b, e, ...) \
	T_ASSERT_((b) - (a) <= (e) && (a) - (b) <= (e), ##__VA_ARGS__)
#define cr_expect_float_eq(a, b, e, ...) \
	T_EXPECT_((b) - (a) <= (e) && (a) - (b) <= (e), ##__VA_ARGS__)

#undef cr_assert_str_eq
#undef cr_expect_str_eq
#undef cr_assert_str_neq
#undef cr_expect_str_neq
#define cr_assert_str_eq(a, b, ...)     T_ASSERT_(strcmp((a), (b)) == 0, ##__VA_ARGS__)
#define cr_expect_str_eq(a, b, ...)     T_EXPECT_(strcmp((a), (b)) == 0, ##__VA_ARGS__)
#define cr_assert_str_neq(a, b, ...)    T_ASSERT_(strcmp((a), (b)) != 0, ##__VA_ARGS__)
#define cr_expect_str_neq(a, b, ...)    T_EXPECT_(strcmp((a), (b)) != 0, ##__VA_ARGS__)

#undef cr_assert_arr_eq
#undef cr_expect_arr_eq
#define cr_assert_arr_eq(a, b, n, ...)  T_ASSERT_(memcmp((a), (b), (n)) == 0, ##__VA_ARGS__)
#define cr_expect_arr_eq(a, b, n, ...)  T_EXPECT_(memcmp((a), (b), (n)) == 0, ##__VA_ARGS__)

#endif
