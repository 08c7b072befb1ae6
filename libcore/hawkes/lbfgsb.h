/*
 * lbfgsb.h — minimise a smooth function of a few dozen variables under
 * box bounds: projected limited-memory BFGS with an Armijo backtracking
 * search along the projected path.
 *
 * Design note.  Each iteration
 *
 *   1. stops when the projected gradient  P(x - g) - x  is small
 *      (max |.| <= pgtol): the first-order condition for a box;
 *   2. fixes the epsilon-active set: variables within eps of a bound whose
 *      gradient pushes them into it, eps = min(max |P(x - g) - x|, 1e-3),
 *      as in Bertsekas' projected Newton method, so a variable that hits a
 *      bound stays there while the gradient holds it and leaves as soon as
 *      it does not;
 *   3. takes the L-BFGS direction (two-loop recursion over the last m
 *      pairs s = x+ - x, y = g+ - g, restricted to the free variables,
 *      initial scaling s.y / y.y) on the free variables and the steepest
 *      descent -g on the active ones (which the projection turns into
 *      "onto the bound"); if the free part is not a descent direction the
 *      memory is dropped and steepest descent is used throughout;
 *   4. backtracks x(t) = P(x + t d) from t = 1 (from the t that moves no
 *      variable by more than 1 while there are no curvature pairs) until
 *      f(x(t)) <= f(x) + c1 g.(x(t) - x): each failure takes the minimiser
 *      of the quadratic through f(x), f'(x;d) and f(x(t)), clamped to
 *      [0.1 t, 0.5 t], or t / 4 where f is not finite.  Such a point
 *      (outside the domain: the Hawkes fitter returns +inf for a branching
 *      ratio >= its limit) never counts as a decrease, so the iterates
 *      stay in the domain;
 *   5. keeps the pair (s, y) when s.y > 1e-10 |s| |y| (curvature), so the
 *      implicit inverse Hessian stays positive definite.
 *
 * It also stops when one iteration lowers f by less than
 * ftol * max(1, |f|), or after max_iter iterations / max_eval calls.
 * This is not Byrd-Lu-Nocedal-Zhu's L-BFGS-B (no generalised Cauchy point,
 * no subspace minimisation) but the simpler projected quasi-Newton scheme;
 * it stops at points satisfying the box's first-order (KKT) conditions,
 * which the tests check on bound-constrained quadratics and Rosenbrock
 * functions with known minimisers.
 *
 * Memory: the caller hands in lbfgsb_memsize(n, m) bytes of workspace;
 * nothing allocates.  Pure apart from the callback; any thread.
 */
#ifndef DM_LIBCORE_HAWKES_LBFGSB_H
#define DM_LIBCORE_HAWKES_LBFGSB_H

#include <stddef.h>
#include <stdint.h>

/*
 * The objective: returns f(x) and writes its gradient into g (n values).
 * Return +inf (or NaN) where f is not defined; g is then ignored.
 */
typedef double (*lbfgsb_fn)(const double *x, double *g, void *ctx);

struct lbfgsb_opts {
	uint32_t m;        /* pairs kept; 0 = 8 */
	uint32_t max_iter; /* 0 = 500 */
	uint32_t max_eval; /* function calls; 0 = 20 * max_iter */
	uint32_t pad;
	double   pgtol;    /* stop at max |P(x - g) - x| <= pgtol; 0 = 1e-7 */
	double   ftol;     /* stop at a relative decrease <= ftol; 0 = 1e-13 */
};

enum lbfgsb_status {
	LBFGSB_PGTOL     = 0, /* projected gradient small: converged */
	LBFGSB_FTOL      = 1, /* no more relative decrease: converged */
	LBFGSB_MAX_ITER  = 2, /* iteration or evaluation budget spent */
	LBFGSB_LINE_FAIL = 3  /* no decrease even along steepest descent */
};

struct lbfgsb_result {
	double   f;        /* f at the returned x */
	double   pg;       /* max |P(x - g) - x| there */
	uint32_t iter;     /* iterations done */
	uint32_t evals;    /* calls of fn */
	uint32_t status;   /* enum lbfgsb_status */
	uint32_t active;   /* variables at a bound at the end */
};

/* Workspace bytes for n variables and m pairs (m = 0: the default 8). */
size_t lbfgsb_memsize(uint32_t n, uint32_t m);

/*
 * Minimise fn over lo <= x <= hi from x (n values, projected onto the box
 * first; updated in place to the best point found).  lo/hi may hold
 * -inf/+inf; lo[i] <= hi[i].  work: lbfgsb_memsize(n, o->m) bytes,
 * 8-byte aligned.  o may be NULL (defaults).  Returns 0 with *res filled,
 * -EINVAL for bad arguments, -EDOM when fn is not finite at the start.
 * Status LBFGSB_LINE_FAIL is still a return of 0: x is the best point.
 */
int lbfgsb_minimize(uint32_t n, double *x, const double *lo, const double *hi,
		    lbfgsb_fn fn, void *ctx, const struct lbfgsb_opts *o,
		    struct lbfgsb_result *res, void *work);

/* "pgtol", "ftol", "max_iter", "line_search_failed" or "?". */
const char *lbfgsb_status_name(uint32_t status);

#endif /* DM_LIBCORE_HAWKES_LBFGSB_H */
