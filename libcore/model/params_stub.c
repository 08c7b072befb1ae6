/*
 * params_stub.c — stand-in for model_params_load (xgb.h) until the
 * configuration module reads conf/model.yaml.  Weak: a definition in
 * libcore/config.c replaces it at link time, and this file can then go.
 */
#include <errno.h>
#include <stdio.h>

#include "libcore/model/xgb.h"

__attribute__((weak)) int model_params_load(const char *path, struct model_params *p,
					    char *err, size_t errlen)
{
	(void)p;
	if (err && errlen)
		snprintf(err, errlen, "%s: model configuration files are not yet supported "
			 "(use the command-line options)", path);
	return -ENOTSUP;
}
