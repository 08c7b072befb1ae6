/* ag_common.c — helpers shared by the agents' glue (agents.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agents/rt/agents.h"
#include "libcore/journal/journal.h"

const char *ag_currency(const struct dm_config *cfg)
{
	return cfg->instrument.currency;
}

int ag_need_in(struct rt *rt, const char *name, uint32_t msg_size)
{
	int i = rt_in_find(rt, name);
	if (i < 0) {
		rt_error(rt, "no input ring '%s' (producer -> %s) in the segment: the "
		         "configuration's rings must keep the names of conf/default.yaml",
		         name, rt->name);
		return -DM_ETOPOLOGY;
	}
	if (ring_msg_max(rt->in[i].r) < msg_size) {
		rt_error(rt, "ring '%s': slot_size %u is too small for %u-byte messages",
		         name, rt->in[i].r->slot_size, msg_size);
		return -DM_ETOPOLOGY;
	}
	return i;
}

int ag_need_out(struct rt *rt, const char *name, uint32_t msg_size)
{
	int i = rt_out_find(rt, name);
	if (i < 0) {
		rt_error(rt, "no output ring '%s' (%s -> consumer) in the segment: the "
		         "configuration's rings must keep the names of conf/default.yaml",
		         name, rt->name);
		return -DM_ETOPOLOGY;
	}
	if (ring_msg_max(rt->out[i].r) < msg_size) {
		rt_error(rt, "ring '%s': slot_size %u is too small for %u-byte messages",
		         name, rt->out[i].r->slot_size, msg_size);
		return -DM_ETOPOLOGY;
	}
	return i;
}

int ag_intents_in(struct rt *rt)
{
	uint32_t role = (uint32_t)rt_agent_role[rt->self];
	if (!(trader_fanout_roles(&rt->cfg.core) & (1u << role)))
		return -1;
	char name[RT_NAME_MAX];
	snprintf(name, sizeof(name), "intents_%s", rt->name);
	int i = ag_need_in(rt, name, sizeof(struct msg_intent));
	if (i < 0)
		rt_error(rt, "vote.fanout is true: each voter needs its ring %s from ml; add it "
		         "as in conf/default.yaml, or set vote.fanout: false", name);
	return i < 0 ? -DM_ETOPOLOGY : i;
}

int ag_journal_open(struct rt *rt, struct journal_writer *w, const char *file,
		    uint32_t buf_size)
{
	char path[RT_PATH_MAX];
	int rc = rt_run_path(rt, file, path, sizeof(path));
	if (rc < 0)
		return rc;
	struct journal_opts o = {
		.symbol = rt->cfg.core.instrument.symbol,
		.fsync = JOURNAL_FSYNC_NONE,
		.buf_size = buf_size ? buf_size : 64 << 10,
		.flags = JOURNAL_W_NO_URING,
	};
	rc = journal_open_append(w, path, &o);
	if (rc == -ELOOP) {
		/* a link in its place is never written through; exit 2: a
		 * restart would meet it again */
		rt_error(rt, "journal %s is a symbolic link: the agents never write through "
		         "one; remove it (and check who put it there)", path);
		return -DM_ECONFIG;
	}
	if (rc < 0)
		rt_error(rt, "journal %s: %s; move it away or remove it", path, dm_strerror(rc));
	else
		rt_journal_name(rt, file);
	return rc;
}
