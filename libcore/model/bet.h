/*
 * bet.h — bet sizing from a predicted probability (Lopez de Prado 2018,
 * ch. 10; docs/model.md, "Bet sizing").
 *
 * With p the probability of the predicted outcome among K,
 *
 *   z = (p - 1/K) / sqrt(p (1 - p)),   m = 2 Phi(z) - 1  in [-1, 1],
 *
 * Phi the standard normal distribution function (through erfc).  m is 0
 * at p = 1/K, rises to 1 as p -> 1 and is negative below 1/K (a
 * meta-label probability under 1/2: do not take the bet).  The caller
 * multiplies by the side (+1 buy, -1 sell).
 *
 * Pure functions: no allocation, no system call, any thread.
 */
#ifndef DM_LIBCORE_MODEL_BET_H
#define DM_LIBCORE_MODEL_BET_H

#include <stdint.h>

/*
 * m = 2 Phi(z) - 1 for probability p of the predicted outcome among k
 * outcomes (k >= 2).  p >= 1 gives 1, p <= 0 gives -1; NaN p or k < 2
 * gives 0.
 */
double bet_size_raw(double p, uint32_t k);

/*
 * The bet in whole contracts: m * max_contracts rounded to the nearest
 * multiple of step (halves away from zero), then capped at the largest
 * multiple of step not above max_contracts in size.  In
 * [-max_contracts, max_contracts]; 0 when max_contracts <= 0.  step < 1
 * counts as 1.
 */
int64_t bet_size(double p, uint32_t k, int64_t max_contracts, int64_t step);

#endif /* DM_LIBCORE_MODEL_BET_H */
