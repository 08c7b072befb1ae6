/*
 * gen_params.h — the market generator's parameters as a file: load them
 * from YAML (or JSON, which libyaml reads as YAML), write them as JSON.
 *
 * One format both ways, every unit in the key name:
 *
 *   types: [limit_buy, limit_sell, cancel_buy, cancel_sell, market_buy, market_sell]
 *   mu_per_s:    [6 numbers]           baseline intensity of each type
 *   alpha_per_s: [[6 numbers] x 6]     alpha_per_s[i][j]: jump of type i's
 *                                      intensity after one type-j event
 *   beta_per_s:  [6 numbers]           decay of everything exciting type i
 *   tick_pts, start_price_ticks, levels, place_levels, place_decay,
 *   improve_prob, max_walk_levels, cancel_share,
 *   limit_size: {qty: [...], prob: [...]}, market_size: {qty: [...], prob: [...]},
 *   refill_min, refill_max, latency_min_ns, latency_max_ns, warmup_s,
 *   mid: hawkes|gbm|abm, mid_mu_per_s, mid_sigma_per_sqrt_s
 *
 * (the fields of struct gen_params, gen.h; the mid keys are written only
 * when mid is not hawkes).  A file sets only the keys it
 * names; the rest keep their value in *p.  `types`, when present, must be
 * exactly that list (it guards the order of the arrays).  A document whose
 * top level has a `params:` key is read from there and its other keys are
 * ignored: that is how dm-gen --truth output is read back, so a truth file
 * reproduces its market.  Unknown keys are refused.
 */
#ifndef DM_LIBCORE_GEN_GEN_PARAMS_H
#define DM_LIBCORE_GEN_GEN_PARAMS_H

#include <stddef.h>
#include <stdio.h>

#include "libcore/gen/gen.h"

/*
 * Override *p with the keys of the YAML or JSON file at path.  Returns 0;
 * -errno when the file cannot be read; -DM_ECONFIG with
 * "path:line:column: key: what is wrong" in err for a syntax error, an
 * unknown key, a wrong type or count.  Values are range-checked by
 * gen_params_check (call it after).  Allocates while parsing (libyaml),
 * frees before returning; start-up code only.
 */
int gen_params_load(struct gen_params *p, const char *path, char *err, size_t errlen);

/*
 * Write p as one JSON object (the keys above, numbers that read back to
 * the same doubles) starting at the current position of f, each line
 * indented by `indent` spaces, no trailing newline.  Returns 0 or -EIO.
 */
int gen_params_write_json(FILE *f, const struct gen_params *p, int indent);

/*
 * Write a double as the shortest decimal that reads back to it (%.15g,
 * else %.16g, else %.17g); non-finite values as null.  Returns fprintf's
 * result.
 */
int gen_json_double(FILE *f, double v);

#endif /* DM_LIBCORE_GEN_GEN_PARAMS_H */
