/*
 * gen_params.c — gen_params from YAML/JSON and back to JSON (format in
 * gen_params.h).  Walks libyaml's document tree; every error names the
 * file, line, column and key.
 */
#include "libcore/gen/gen_params.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct ctx {
	yaml_document_t doc;
	const char *path;
	char *err;
	size_t errlen;
};

static int fail(struct ctx *x, const yaml_node_t *n, const char *key,
		const char *what)
{
	snprintf(x->err, x->errlen, "%s:%zu:%zu: %s: %s", x->path,
		 n ? n->start_mark.line + 1 : 0, n ? n->start_mark.column + 1 : 0,
		 key, what);
	return -DM_ECONFIG;
}

static yaml_node_t *node(struct ctx *x, int i)
{
	return yaml_document_get_node(&x->doc, i);
}

static int get_double(struct ctx *x, const yaml_node_t *n, const char *key, double *out)
{
	char *end;
	double v;

	if (n->type != YAML_SCALAR_NODE || !n->data.scalar.length)
		return fail(x, n, key, "expected a number");
	errno = 0;
	v = strtod((const char *)n->data.scalar.value, &end);
	if (*end || errno || !isfinite(v))
		return fail(x, n, key, "expected a finite number");
	*out = v;
	return 0;
}

static int get_int(struct ctx *x, const yaml_node_t *n, const char *key, int64_t *out)
{
	char *end;
	long long v;

	if (n->type != YAML_SCALAR_NODE || !n->data.scalar.length)
		return fail(x, n, key, "expected an integer");
	errno = 0;
	v = strtoll((const char *)n->data.scalar.value, &end, 10);
	if (*end || errno)
		return fail(x, n, key, "expected an integer");
	*out = v;
	return 0;
}

static int get_u32(struct ctx *x, const yaml_node_t *n, const char *key, uint32_t *out)
{
	int64_t v;
	int rc = get_int(x, n, key, &v);

	if (rc)
		return rc;
	if (v < 0 || v > UINT32_MAX)
		return fail(x, n, key, "out of range 0..4294967295");
	*out = (uint32_t)v;
	return 0;
}

/* A sequence of exactly `want` numbers (want 0: 1..GEN_MAX_SIZES, count
 * stored in *n). */
static int get_doubles(struct ctx *x, const yaml_node_t *n, const char *key,
		       double *out, uint32_t want, uint32_t *count)
{
	char msg[96];
	uint32_t i = 0;

	if (n->type != YAML_SEQUENCE_NODE)
		return fail(x, n, key, "expected a list of numbers");
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++, i++) {
		if (i >= (want ? want : GEN_MAX_SIZES))
			break;
		int rc = get_double(x, node(x, *it), key, &out[i]);
		if (rc)
			return rc;
	}
	uint32_t got = (uint32_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (want ? got != want : got < 1 || got > GEN_MAX_SIZES) {
		if (want)
			snprintf(msg, sizeof(msg), "expected %u numbers, found %u", want, got);
		else
			snprintf(msg, sizeof(msg), "expected 1..%u numbers, found %u",
				 GEN_MAX_SIZES, got);
		return fail(x, n, key, msg);
	}
	if (count)
		*count = got;
	return 0;
}

static int get_sizes(struct ctx *x, const yaml_node_t *n, const char *key,
		     struct gen_size_dist *d)
{
	const yaml_node_t *qn = NULL, *pn = NULL;
	double q[GEN_MAX_SIZES];
	uint32_t nq = 0, np = 0;
	char k2[64];
	int rc;

	if (n->type != YAML_MAPPING_NODE)
		return fail(x, n, key, "expected a mapping {qty: [...], prob: [...]}");
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(x, p->key);
		const char *name = k->type == YAML_SCALAR_NODE ? (const char *)k->data.scalar.value : "";
		if (!strcmp(name, "qty"))
			qn = node(x, p->value);
		else if (!strcmp(name, "prob"))
			pn = node(x, p->value);
		else
			return fail(x, k, key, "unknown key (expected qty, prob)");
	}
	if (!qn || !pn)
		return fail(x, n, key, "needs both qty and prob");
	snprintf(k2, sizeof(k2), "%s.qty", key);
	if ((rc = get_doubles(x, qn, k2, q, 0, &nq)))
		return rc;
	snprintf(k2, sizeof(k2), "%s.prob", key);
	if ((rc = get_doubles(x, pn, k2, d->prob, 0, &np)))
		return rc;
	if (nq != np)
		return fail(x, pn, key, "qty and prob differ in length");
	for (uint32_t i = 0; i < nq; i++) {
		if (q[i] != floor(q[i]) || q[i] < 1 || q[i] > 1e6)
			return fail(x, qn, key, "qty: whole contracts 1..1000000 expected");
		d->qty[i] = (int64_t)q[i];
	}
	d->n = nq;
	return 0;
}

static const char *const type_key[GEN_NTYPES] = {
	"limit_buy", "limit_sell", "cancel_buy", "cancel_sell",
	"market_buy", "market_sell"
};

static int load_pair(struct ctx *x, struct gen_params *p, const char *key,
		     const yaml_node_t *v)
{
	int rc;

	if (!strcmp(key, "types")) {
		uint32_t i = 0, n = 0;
		if (v->type == YAML_SEQUENCE_NODE) {
			n = (uint32_t)(v->data.sequence.items.top - v->data.sequence.items.start);
			for (; i < n && i < GEN_NTYPES; i++) {
				yaml_node_t *e = node(x, v->data.sequence.items.start[i]);
				if (e->type != YAML_SCALAR_NODE ||
				    strcmp((const char *)e->data.scalar.value, type_key[i]))
					break;
			}
		}
		if (n != GEN_NTYPES || i != GEN_NTYPES)
			return fail(x, v, key, "must be [limit_buy, limit_sell, cancel_buy, "
				    "cancel_sell, market_buy, market_sell] (the array order)");
		return 0;
	}
	if (!strcmp(key, "mu_per_s"))
		return get_doubles(x, v, key, p->hawkes.mu, GEN_NTYPES, NULL);
	if (!strcmp(key, "beta_per_s"))
		return get_doubles(x, v, key, p->hawkes.beta, GEN_NTYPES, NULL);
	if (!strcmp(key, "alpha_per_s")) {
		uint32_t i = 0;
		if (v->type != YAML_SEQUENCE_NODE ||
		    v->data.sequence.items.top - v->data.sequence.items.start != GEN_NTYPES)
			return fail(x, v, key, "expected 6 rows of 6 numbers");
		for (yaml_node_item_t *it = v->data.sequence.items.start;
		     it < v->data.sequence.items.top; it++, i++)
			if ((rc = get_doubles(x, node(x, *it), key, p->hawkes.alpha[i],
					      GEN_NTYPES, NULL)))
				return rc;
		return 0;
	}
	if (!strcmp(key, "tick_pts"))
		return get_int(x, v, key, &p->tick_pts);
	if (!strcmp(key, "start_price_ticks"))
		return get_int(x, v, key, &p->start_px);
	if (!strcmp(key, "levels"))
		return get_u32(x, v, key, &p->levels);
	if (!strcmp(key, "place_levels"))
		return get_u32(x, v, key, &p->place_levels);
	if (!strcmp(key, "place_decay"))
		return get_double(x, v, key, &p->place_decay);
	if (!strcmp(key, "improve_prob"))
		return get_double(x, v, key, &p->improve_prob);
	if (!strcmp(key, "max_walk_levels"))
		return get_u32(x, v, key, &p->max_walk);
	if (!strcmp(key, "cancel_share"))
		return get_double(x, v, key, &p->cancel_share);
	if (!strcmp(key, "limit_size"))
		return get_sizes(x, v, key, &p->limit_size);
	if (!strcmp(key, "market_size"))
		return get_sizes(x, v, key, &p->market_size);
	if (!strcmp(key, "refill_min"))
		return get_int(x, v, key, &p->refill_min);
	if (!strcmp(key, "refill_max"))
		return get_int(x, v, key, &p->refill_max);
	if (!strcmp(key, "latency_min_ns"))
		return get_int(x, v, key, &p->latency_min_ns);
	if (!strcmp(key, "latency_max_ns"))
		return get_int(x, v, key, &p->latency_max_ns);
	if (!strcmp(key, "warmup_s"))
		return get_double(x, v, key, &p->warmup_s);
	if (!strcmp(key, "mid")) {
		if (v->type != YAML_SCALAR_NODE ||
		    gen_mid_parse((const char *)v->data.scalar.value, &p->mid_model))
			return fail(x, v, key, "expected hawkes, gbm or abm");
		return 0;
	}
	if (!strcmp(key, "mid_mu_per_s"))
		return get_double(x, v, key, &p->mid_mu);
	if (!strcmp(key, "mid_sigma_per_sqrt_s"))
		return get_double(x, v, key, &p->mid_sigma);
	return fail(x, v, key, "unknown key (docs/market-model.md lists the keys)");
}

static int load_map(struct ctx *x, struct gen_params *p, const yaml_node_t *map)
{
	if (map->type != YAML_MAPPING_NODE)
		return fail(x, map, "(top)", "expected a mapping of parameters");
	/* a --truth document: read its params: and nothing else */
	for (yaml_node_pair_t *pr = map->data.mapping.pairs.start;
	     pr < map->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = node(x, pr->key);
		if (k->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)k->data.scalar.value, "params"))
			return load_map(x, p, node(x, pr->value));
	}
	for (yaml_node_pair_t *pr = map->data.mapping.pairs.start;
	     pr < map->data.mapping.pairs.top; pr++) {
		yaml_node_t *k = node(x, pr->key);
		int rc;
		if (k->type != YAML_SCALAR_NODE)
			return fail(x, k, "(key)", "keys must be plain names");
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < pr; q++) {
			yaml_node_t *kq = node(x, q->key);
			if (kq->type == YAML_SCALAR_NODE &&
			    !strcmp((const char *)kq->data.scalar.value,
				    (const char *)k->data.scalar.value))
				return fail(x, k, (const char *)k->data.scalar.value,
					    "duplicate key");
		}
		rc = load_pair(x, p, (const char *)k->data.scalar.value, node(x, pr->value));
		if (rc)
			return rc;
	}
	return 0;
}

int gen_params_load(struct gen_params *p, const char *path, char *err, size_t errlen)
{
	struct ctx x = { .path = path, .err = err, .errlen = errlen };
	yaml_parser_t parser;
	struct gen_params tmp = *p;
	FILE *f;
	int rc;

	f = fopen(path, "r");
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return rc;
	}
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		snprintf(err, errlen, "%s: cannot initialise the YAML parser", path);
		return -ENOMEM;
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &x.doc)) {
		snprintf(err, errlen, "%s:%zu:%zu: %s", path, parser.problem_mark.line + 1,
			 parser.problem_mark.column + 1,
			 parser.problem ? parser.problem : "YAML syntax error");
		rc = -DM_ECONFIG;
		goto free_parser;
	}
	yaml_node_t *root = yaml_document_get_root_node(&x.doc);
	if (!root) {
		snprintf(err, errlen, "%s: empty document", path);
		rc = -DM_ECONFIG;
		goto free_doc;
	}
	rc = load_map(&x, &tmp, root);
	if (!rc)
		*p = tmp;
free_doc:
	yaml_document_delete(&x.doc);
free_parser:
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}

/* ------------------------------------------------------------ JSON out */

int gen_json_double(FILE *f, double v)
{
	char buf[40];

	if (!isfinite(v))
		return fprintf(f, "null");
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	return fprintf(f, "%s", buf);
}

static void json_doubles(FILE *f, const double *v, uint32_t n)
{
	fputc('[', f);
	for (uint32_t i = 0; i < n; i++) {
		if (i)
			fputs(", ", f);
		gen_json_double(f, v[i]);
	}
	fputc(']', f);
}

static void json_sizes(FILE *f, const struct gen_size_dist *d)
{
	fputs("{\"qty\": [", f);
	for (uint32_t i = 0; i < d->n; i++)
		fprintf(f, "%s%" PRId64, i ? ", " : "", d->qty[i]);
	fputs("], \"prob\": ", f);
	json_doubles(f, d->prob, d->n);
	fputc('}', f);
}

int gen_params_write_json(FILE *f, const struct gen_params *p, int indent)
{
	int in = indent + 2;

	fputs("{\n", f);
	fprintf(f, "%*s\"types\": [", in, "");
	for (uint32_t i = 0; i < GEN_NTYPES; i++)
		fprintf(f, "%s\"%s\"", i ? ", " : "", type_key[i]);
	fprintf(f, "],\n%*s\"mu_per_s\": ", in, "");
	json_doubles(f, p->hawkes.mu, GEN_NTYPES);
	fprintf(f, ",\n%*s\"alpha_per_s\": [\n", in, "");
	for (uint32_t i = 0; i < GEN_NTYPES; i++) {
		fprintf(f, "%*s", in + 2, "");
		json_doubles(f, p->hawkes.alpha[i], GEN_NTYPES);
		fputs(i + 1 < GEN_NTYPES ? ",\n" : "\n", f);
	}
	fprintf(f, "%*s],\n%*s\"beta_per_s\": ", in, "", in, "");
	json_doubles(f, p->hawkes.beta, GEN_NTYPES);
	fprintf(f, ",\n%*s\"tick_pts\": %" PRId64, in, "", p->tick_pts);
	fprintf(f, ",\n%*s\"start_price_ticks\": %" PRId64, in, "", p->start_px);
	fprintf(f, ",\n%*s\"levels\": %u", in, "", p->levels);
	fprintf(f, ",\n%*s\"place_levels\": %u", in, "", p->place_levels);
	fprintf(f, ",\n%*s\"place_decay\": ", in, "");
	gen_json_double(f, p->place_decay);
	fprintf(f, ",\n%*s\"improve_prob\": ", in, "");
	gen_json_double(f, p->improve_prob);
	fprintf(f, ",\n%*s\"max_walk_levels\": %u", in, "", p->max_walk);
	fprintf(f, ",\n%*s\"cancel_share\": ", in, "");
	gen_json_double(f, p->cancel_share);
	fprintf(f, ",\n%*s\"limit_size\": ", in, "");
	json_sizes(f, &p->limit_size);
	fprintf(f, ",\n%*s\"market_size\": ", in, "");
	json_sizes(f, &p->market_size);
	fprintf(f, ",\n%*s\"refill_min\": %" PRId64, in, "", p->refill_min);
	fprintf(f, ",\n%*s\"refill_max\": %" PRId64, in, "", p->refill_max);
	fprintf(f, ",\n%*s\"latency_min_ns\": %" PRId64, in, "", p->latency_min_ns);
	fprintf(f, ",\n%*s\"latency_max_ns\": %" PRId64, in, "", p->latency_max_ns);
	fprintf(f, ",\n%*s\"warmup_s\": ", in, "");
	gen_json_double(f, p->warmup_s);
	/* only when set: a Hawkes-only market's file stays as it was */
	if (p->mid_model != GEN_MID_HAWKES) {
		fprintf(f, ",\n%*s\"mid\": \"%s\"", in, "", gen_mid_name(p->mid_model));
		fprintf(f, ",\n%*s\"mid_mu_per_s\": ", in, "");
		gen_json_double(f, p->mid_mu);
		fprintf(f, ",\n%*s\"mid_sigma_per_sqrt_s\": ", in, "");
		gen_json_double(f, p->mid_sigma);
	}
	fprintf(f, "\n%*s}", indent, "");
	return ferror(f) ? -EIO : 0;
}
