/* role.c — the roles' names (role.h). */
#include <string.h>

#include "libcore/vote/role.h"

const char *const role_names[ROLE_COUNT] = {
	[ROLE_COORDINATOR] = "coordinator",
	[ROLE_DATA]        = "data",
	[ROLE_FEATURE]     = "feature",
	[ROLE_ML]          = "ml",
	[ROLE_EXECUTION]   = "execution",
	[ROLE_RISK]        = "risk",
};

int role_id(const char *name)
{
	for (int i = 0; name && i < ROLE_COUNT; i++)
		if (strcmp(role_names[i], name) == 0)
			return i;
	return -1;
}
