/*
 * mt5_cfg.c — the mt5: section of the configuration, as a key table over
 * struct mt5_cfg (mt5_cfg.h, cfg.h), its defaults and its cross-checks.
 */
#include "libcore/mt5/mt5_cfg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "libcore/config/cfg.h"
#include "libcore/types.h"

#define S (1000000000LL)
#define MS (1000000LL)

void mt5_cfg_default(struct mt5_cfg *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen, sizeof(c->listen), "127.0.0.1:%d", MT5_CFG_PORT_DEFAULT);
	c->allow_remote = 0;
	c->heartbeat_interval_ns = 1 * S;
	c->heartbeat_timeout_ns = 5 * S;
	c->handshake_timeout_ns = 5 * S;
	c->reconnect_min_ns = 500 * MS;
	c->reconnect_max_ns = 30 * S;
	c->n_symbols = 0;
}

int mt5_addr_parse(const char *s, struct mt5_addr *a)
{
	char host[64], *end;
	const char *colon;
	size_t hl;
	long port;

	memset(a, 0, sizeof(*a));
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		hl = (size_t)(close - s - 1);
		if (hl == 0 || hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		colon = close + 1;
		a->family = AF_INET6;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		hl = (size_t)(colon - s);
		if (hl == 0 || hl >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, hl);
		host[hl] = '\0';
		a->family = AF_INET;
	}
	if (colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || *end || port < 1 || port > 65535)
		return -EINVAL;
	a->port = (uint16_t)port;
	if (inet_pton(a->family, host, a->addr) != 1)
		return -EINVAL;
	return 0;
}

int mt5_addr_loopback(const struct mt5_addr *a)
{
	static const uint8_t v6_lo[16] = { [15] = 1 };

	if (a->family == AF_INET)
		return a->addr[0] == 127;
	return a->family == AF_INET6 && memcmp(a->addr, v6_lo, 16) == 0;
}

static const char *check_listen(const void *field)
{
	struct mt5_addr a;

	if (mt5_addr_parse(field, &a))
		return "must be ADDRESS:PORT with a numeric IPv4 address or [IPv6] and a "
		       "port 1..65535 (127.0.0.1:18625)";
	return NULL;
}

static const char *check_instrument(const void *field)
{
	const char *s = field;
	size_t n = strlen(s);

	if (n == 0 || n > 7 || s[strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")])
		return "must be 1 to 7 capital letters A-Z (an instrument.symbol)";
	return NULL;
}

static const char *check_mt5_symbol(const void *field)
{
	const unsigned char *s = field;

	if (!*s)
		return "must name the symbol as the terminal shows it (1 to 31 bytes)";
	for (; *s; s++)
		if (*s <= ' ' || *s >= 0x7f)
			return "must be printable ASCII without blanks";
	return NULL;
}

static const struct cfg_key symbol_keys[] = {
	CFG_STR("instrument", struct mt5_symbol_map, instrument, check_instrument,
	        CFG_REQUIRED, "the instrument.symbol it stands for"),
	CFG_STR("mt5", struct mt5_symbol_map, mt5, check_mt5_symbol, CFG_REQUIRED,
	        "the symbol's name in the terminal"),
	CFG_KEY_END
};

const struct cfg_key mt5_cfg_keys[] = {
	CFG_STR("listen", struct mt5_cfg, listen, check_listen, 0,
	        "ADDRESS:PORT DreamMaker listens on for the Expert Advisor"),
	CFG_BOOL("allow_remote", struct mt5_cfg, allow_remote, 0,
	         "true: listen may be other than loopback"),
	CFG_STR("secret_file", struct mt5_cfg, secret_file, NULL, 0,
	        "the shared secret (owner-only file, hex)"),
	CFG_DUR("heartbeat_interval", struct mt5_cfg, heartbeat_interval_ns, 100 * MS, 60 * S,
	        "send something at least this often"),
	CFG_DUR("heartbeat_timeout", struct mt5_cfg, heartbeat_timeout_ns, 300 * MS, 600 * S,
	        "a peer silent this long is gone"),
	CFG_DUR("handshake_timeout", struct mt5_cfg, handshake_timeout_ns, 100 * MS, 60 * S,
	        "HELLO to ACCEPT"),
	CFG_DUR("reconnect_min", struct mt5_cfg, reconnect_min_ns, 10 * MS, 60 * S,
	        "the Expert Advisor's first reconnect delay"),
	CFG_DUR("reconnect_max", struct mt5_cfg, reconnect_max_ns, 10 * MS, 600 * S,
	        "its longest reconnect delay"),
	{ .name = "symbols", .type = CFG_K_SEQ, .off = offsetof(struct mt5_cfg, symbols),
	  .size = sizeof(struct mt5_symbol_map), .max = MT5_CFG_SYMBOLS_MAX, .sub = symbol_keys,
	  .count_off = offsetof(struct mt5_cfg, n_symbols),
	  .help = "MT5 symbol per instrument; replaces the default list when present" },
	CFG_KEY_END
};

/* Place errors at mt5.<one of names> (the first the file sets). */
static void at_key(struct cfg_ctx *x, const char *a, const char *b)
{
	const char *const names[] = { a, b };

	cfg_at_section_key(x, "mt5", names, b ? 2 : 1);
}

static void at_symbol(struct cfg_ctx *x, uint32_t i, const char *key)
{
	struct cfg_node *seq = cfg_find(x, cfg_find(x, cfg_root(x), "mt5", 1), "symbols", 1);
	struct cfg_node *e = cfg_item(x, seq, i);

	cfg_at(x, e);
	cfg_find(x, e, key, 1);
	cfg_key(x, "mt5.symbols");
	cfg_key_index(x, i);
	cfg_key_push(x, key);
}

int mt5_cfg_cross_check(struct cfg_ctx *x, const struct mt5_cfg *c)
{
	char a[32], b[32];
	struct mt5_addr addr;

	if (mt5_addr_parse(c->listen, &addr) == 0 && !mt5_addr_loopback(&addr) &&
	    !c->allow_remote) {
		at_key(x, "listen", NULL);
		return cfg_fail(x, "%s is not a loopback address: reach a terminal on another "
		            "host through an SSH tunnel or a TLS terminator "
		            "(docs/mt5-bridge.md), or set mt5.allow_remote: true", c->listen);
	}
	if (c->heartbeat_timeout_ns < 2 * c->heartbeat_interval_ns) {
		at_key(x, "heartbeat_timeout", "heartbeat_interval");
		return cfg_fail(x, "heartbeat_timeout %s must be at least twice "
		            "heartbeat_interval %s", cfg_show_dur(c->heartbeat_timeout_ns, a),
		            cfg_show_dur(c->heartbeat_interval_ns, b));
	}
	if (c->reconnect_min_ns > c->reconnect_max_ns) {
		at_key(x, "reconnect_min", "reconnect_max");
		return cfg_fail(x, "reconnect_min %s must not exceed reconnect_max %s",
		            cfg_show_dur(c->reconnect_min_ns, a),
		            cfg_show_dur(c->reconnect_max_ns, b));
	}
	for (uint32_t i = 0; i < c->n_symbols; i++)
		for (uint32_t j = 0; j < i; j++) {
			const char *key = NULL;

			if (!strcmp(c->symbols[i].instrument, c->symbols[j].instrument))
				key = "instrument";
			else if (!strcmp(c->symbols[i].mt5, c->symbols[j].mt5))
				key = "mt5";
			if (key) {
				at_symbol(x, i, key);
				return cfg_fail(x, "'%s' is mapped already by mt5.symbols[%u]",
				            !strcmp(key, "mt5") ? c->symbols[i].mt5
				                                : c->symbols[i].instrument, j);
			}
		}
	return 0;
}
