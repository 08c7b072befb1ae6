/*
 * venue_config.c — the venue: section of the configuration, as a key
 * table over struct venue_cfg (venue.h, cfg.h).  venue_cfg_check has the
 * last word on the values; config_load checks the currency against the
 * instrument's.
 */
#include <stddef.h>

#include "libcore/config/cfg.h"
#include "libcore/venue/venue.h"

const char *const venue_kind_names[2] = {
	[VENUE_KIND_SIM] = "sim", [VENUE_KIND_MT5] = "mt5",
};

const struct cfg_key venue_cfg_keys[] = {
	CFG_ENUM("kind", struct venue_cfg, kind, venue_kind_names, "venue kind", 0,
	         "who carries the orders out: sim (the simulator) or mt5 (the terminal, "
	         "with --live mt5)"),
	CFG_U32("feed_latency_us", struct venue_cfg, feed_latency_us, 0, 10000000, NULL, 0,
	        "exchange to us, market data, us"),
	CFG_U32("entry_latency_us", struct venue_cfg, entry_latency_us, 0, 10000000, NULL, 0,
	        "our send to the order at the venue, us"),
	CFG_U32("response_latency_us", struct venue_cfg, response_latency_us, 0, 10000000,
	        NULL, 0, "venue event to the report reaching us, us"),
	CFG_STR("latency_file", struct venue_cfg, latency_file, NULL, 0,
	        "measured latencies, 'entry_us response_us' per line"),
	CFG_DEC("fee_per_lot", struct venue_cfg, fee_per_lot_e6, 0,
	        1000LL * CFG_DEC_SCALE, "exchange fees per lot per fill, in venue.currency"),
	CFG_DEC("fee_per_contract_brl", struct venue_cfg, fee_per_lot_e6, 0,
	        1000LL * CFG_DEC_SCALE, "deprecated: fee_per_lot of a BRL instrument"),
	CFG_STR("currency", struct venue_cfg, currency, cfg_check_currency, 0,
	        "currency of the fees; must be instrument.currency"),
	CFG_KEY_END
};
