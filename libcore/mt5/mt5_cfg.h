/*
 * mt5_cfg.h — the MetaTrader 5 bridge's settings as the configuration
 * states them (YAML: mt5:), apart from the protocol so that the run
 * configuration (libcore/config/config.h) embeds them; docs/mt5-bridge.md
 * and conf/default.yaml explain every key.
 */
#ifndef DM_LIBCORE_MT5_MT5_CFG_H
#define DM_LIBCORE_MT5_MT5_CFG_H

#include <stdint.h>

#include "libcore/config/cfg.h"

#define MT5_CFG_SYMBOLS_MAX 16       /* entries of mt5.symbols */
#define MT5_CFG_PORT_DEFAULT 18625

/* One entry of mt5.symbols: which MT5 symbol trades an instrument. */
struct mt5_symbol_map {
	char instrument[8];          /* instrument.symbol it stands for: 1..7 capitals */
	char mt5[32];                /* the symbol's name in the terminal: 1..31
	                              * printable ASCII bytes, no blank */
};

struct mt5_cfg {
	char listen[64];             /* "ADDRESS:PORT" DreamMaker listens on, an
	                              * IPv4 address or [IPv6]; default
	                              * "127.0.0.1:18625" */
	uint32_t allow_remote;       /* 1: listen may be other than loopback;
	                              * default 0 (refused) */
	char secret_file[256];       /* the shared secret (mt5_key_load); "" =
	                              * not set; a relative path is taken from
	                              * the file that sets it */
	int64_t heartbeat_interval_ns; /* send something this often; 1 s,
	                              * 100ms..60s */
	int64_t heartbeat_timeout_ns;/* the peer is gone after this silence; 5 s,
	                              * 300ms..10m, >= 2 x the interval */
	int64_t handshake_timeout_ns;/* HELLO to ACCEPT; 5 s, 100ms..60s */
	int64_t reconnect_min_ns;    /* the EA's first reconnect delay; 500 ms,
	                              * 10ms..60s */
	int64_t reconnect_max_ns;    /* its longest; 30 s, 10ms..10m, >= min */
	uint32_t n_symbols;          /* used entries of symbols[] */
	uint32_t pad;
	struct mt5_symbol_map symbols[MT5_CFG_SYMBOLS_MAX]; /* default none: the
	                              * instrument's contract code is the MT5
	                              * symbol */
};

/* The defaults above.  Pure. */
void mt5_cfg_default(struct mt5_cfg *c);

/* The keys of the configuration's mt5: section, relative to struct
 * mt5_cfg: listen, allow_remote, secret_file, heartbeat_interval,
 * heartbeat_timeout, handshake_timeout, reconnect_min, reconnect_max,
 * symbols (a sequence of { instrument, mt5 }). */
extern const struct cfg_key mt5_cfg_keys[];

struct cfg_ctx;

/*
 * What spans keys, located like every other error (config.c calls it once
 * every key is in): a listen address off loopback without allow_remote,
 * heartbeat_timeout under twice heartbeat_interval, reconnect_min above
 * reconnect_max, an instrument or MT5 symbol mapped twice.  0 or
 * cfg_fail()'s -DM_ECONFIG.
 */
int mt5_cfg_cross_check(struct cfg_ctx *x, const struct mt5_cfg *c);

/* A listen address, parsed. */
struct mt5_addr {
	int family;                  /* AF_INET or AF_INET6 */
	uint8_t addr[16];            /* network order; IPv4 in the first 4 */
	uint16_t port;               /* 1..65535 */
};

/* "a.b.c.d:PORT" or "[v6]:PORT" (numeric only: no name is looked up).
 * 0, or -EINVAL.  Pure. */
int mt5_addr_parse(const char *s, struct mt5_addr *a);

/* 1 for 127.0.0.0/8 and ::1, else 0. */
int mt5_addr_loopback(const struct mt5_addr *a);

#endif /* DM_LIBCORE_MT5_MT5_CFG_H */
