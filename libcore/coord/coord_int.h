/*
 * coord_int.h — between the coordinator's own files (coord.c,
 * coord_child.c); nothing else includes it.
 */
#ifndef DM_LIBCORE_COORD_COORD_INT_H
#define DM_LIBCORE_COORD_COORD_INT_H

#include "libcore/coord/coord.h"

/* One intent as it is, never cut (coord_on_intent's contract otherwise). */
int coord_intent_one(struct coord *c, const struct coord_env *e, const struct msg_intent *it);

/* The child intents due at e->now_ns put to the vote (dropped under the
 * kill switch); *wake_ns = the earliest child still to come (0 none).
 * Returns the children handled. */
int coord_children_tick(struct coord *c, const struct coord_env *e, int64_t *wake_ns);

#endif /* DM_LIBCORE_COORD_COORD_INT_H */
