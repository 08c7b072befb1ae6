/* bt_setup.c — configuration, input plan and parameters of a backtest (bt_setup.h). */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>

#include "libcore/backtest/bt_setup.h"
#include "libcore/types.h"

/* The bundled profile whose instrument is the input's: 0 with cfg loaded
 * and path set, else -1. */
static int pick_profile(bt_load_fn load, const struct feed_instr *in, struct dm_config *cfg,
			char *path, size_t len)
{
	char dir[2048], err[512], pat[2100];
	if (config_conf_dir(dir, sizeof(dir)) < 0)
		return -1;
	glob_t g;
	snprintf(pat, sizeof(pat), "%s/instruments/*.yaml", dir);
	if (glob(pat, 0, NULL, &g) != 0)
		return -1;
	int rc = -1;
	for (size_t i = 0; i < g.gl_pathc && rc < 0; i++) {
		struct dm_config c;
		if (load(&c, g.gl_pathv[i], err, sizeof(err)) == 0 &&
		    trader_instr_check(&c, in, err, sizeof(err)) == 0) {
			*cfg = c;
			snprintf(path, len, "%s", g.gl_pathv[i]);
			rc = 0;
		}
	}
	globfree(&g);
	return rc;
}

static int load_over_plain(struct dm_config *c, const char *path, char *err, size_t errlen)
{
	return config_load_host_over(c, path, NULL, err, errlen);
}

int bt_setup(struct bt_setup *s, const char *input, const char *const *configs, uint32_t n,
	     const struct bt_loader *ld, const struct cli_feed_args *fa, uint64_t epoch, char *err,
	     size_t errlen)
{
	struct feed_want want;
	int rc;

	memset(s, 0, sizeof(*s));
	bt_load_fn load = ld && ld->load ? ld->load : config_load;
	bt_load_fn over = ld && ld->load_over ? ld->load_over : load_over_plain;
	if (n > BT_MAX_CONFIGS) {
		snprintf(err, errlen, "more than %d configuration files", BT_MAX_CONFIGS);
		return -DM_ECONFIG;
	}
	const char *config = n ? configs[0] : NULL;
	if (n) {
		size_t at = 0;
		config_defaults(&s->cfg);
		for (uint32_t i = 0; i < n; i++) {
			if (over(&s->cfg, configs[i], err, errlen))
				return -DM_ECONFIG;
			at += (size_t)snprintf(s->cname + at, at < sizeof(s->cname) ?
					       sizeof(s->cname) - at : 0, "%s%s", i ? " + " : "",
					       configs[i]);
			if (at >= sizeof(s->cname))
				at = sizeof(s->cname) - 1;
		}
	} else {
		config_defaults(&s->cfg);
		snprintf(s->cname, sizeof(s->cname), "the built-in configuration");
	}
	if (config_check_files(&s->cfg, NULL, err, errlen) < 0)
		return -DM_ECONFIG;

	cli_feed_want(fa, &s->cfg, &s->conf_in, &want);
	if ((rc = feed_resolve(input, &want, &s->plan, err, errlen)) < 0)
		return rc;
	if (trader_instr_check(&s->cfg, &s->plan.in, err, errlen) < 0) {
		size_t n = strlen(err);
		if (config || pick_profile(load, &s->plan.in, &s->cfg, s->cname, sizeof(s->cname)) < 0) {
			/* the input named first, the configuration's complaint after */
			char why[1024];
			snprintf(why, sizeof(why), "%.*s", (int)n, err);
			snprintf(err, errlen, "%s: %s", input, why);
			return -DM_ECONFIG;
		}
		s->profile = 1;
		/* the profile's instrument: resolve the input with it again */
		cli_feed_want(fa, &s->cfg, &s->conf_in, &want);
		if ((rc = feed_resolve(input, &want, &s->plan, err, errlen)) < 0)
			return rc;
		if (config_check_files(&s->cfg, NULL, err, errlen) < 0)
			return -DM_ECONFIG;
	}
	if (trader_params_from_config(&s->cfg, epoch, &s->tp, s->model, sizeof(s->model), err,
				      errlen) < 0) {
		char why[1024];
		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "%s: %s", s->cname, why);
		return -DM_ECONFIG;
	}
	return 0;
}
