/*
 * fuzz_config.c — the whole run configuration: libcore's part
 * (libcore/config/config.c: config_load, config_load_host_over,
 * config_load_risk) and the file as the agents and tools read it, with
 * the agents' sections (agents/rt/topology.c: rt_config_load).
 * Input: [which: 0 rt_config_load, 1 config_load, 2 config_load_risk, 3
 * rt_config_load_over (the file over the defaults)] [the YAML file].
 */
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "agents/rt/topology.h"
#include "libcore/config/config.h"
#include "libcore/risk/risk.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static struct rt_config rc;
	static struct dm_config c;
	static struct risk_cfg r;
	char err[512];
	const char *p;

	if (n < 1)
		return 0;
	p = fz_path("run.yaml");
	fz_write(p, d + 1, n - 1);
	switch (d[0] & 3) {
	case 0:
		(void)rt_config_load(&rc, p, err, sizeof(err));
		break;
	case 1:
		(void)config_load(&c, p, err, sizeof(err));
		break;
	case 2:
		(void)config_load_risk(&r, p, err, sizeof(err));
		break;
	default:
		rt_config_defaults(&rc);
		(void)rt_config_load_over(&rc, p, err, sizeof(err));
		break;
	}
	fz_unlink(p);
	return 0;
}
