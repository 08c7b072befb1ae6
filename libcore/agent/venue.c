/* venue.c — immediate fill at the touch, placeholder (venue.h). */
#include <errno.h>

#include "libcore/agent/venue.h"

int64_t venue_touch_fill(const struct venue_touch *t, int side, int64_t limit_px,
			 int64_t qty, int64_t *px)
{
	if ((side != 1 && side != -1) || qty <= 0)
		return -EINVAL;
	int64_t tpx = side > 0 ? t->ask_px : t->bid_px;
	int64_t tqty = side > 0 ? t->ask_qty : t->bid_qty;
	if (tqty <= 0)
		return 0;
	if (limit_px && (side > 0 ? limit_px < tpx : limit_px > tpx))
		return 0;
	*px = tpx;
	return qty < tqty ? qty : tqty;
}
