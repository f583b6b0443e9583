// SPDX-License-Identifier: GPL-2.0
/*
 * lrucache: what the KUnit suite (lrucache_kunit.c, a module of its own)
 * may reach inside the module and nothing else may: a cache's clock that
 * stands still until a test moves it, and the shrinker's scan. Exported
 * in the LRUCACHE_TEST namespace (LRUCACHE_TEST_NS, see compat.h), and
 * built only for kernels with KUnit.
 */

#include <linux/module.h>

#include "lrucache_internal.h"

/*
 * Let the KUnit suite stop a cache's clock and move it by hand, so that
 * expiry tests depend on nothing but the steps they take.
 */
void lrucache_test_freeze_clock(struct lrucache *cache)
{
	WRITE_ONCE(cache->test_clock_ns, ktime_get_boottime_ns());
}
EXPORT_SYMBOL_NS_GPL(lrucache_test_freeze_clock, LRUCACHE_TEST_NS);

void lrucache_test_advance_clock(struct lrucache *cache, u64 ns)
{
	WRITE_ONCE(cache->test_clock_ns, lrucache_now(cache) + ns);
}
EXPORT_SYMBOL_NS_GPL(lrucache_test_advance_clock, LRUCACHE_TEST_NS);

/* The shrinker's scan, for the KUnit suite. */
unsigned long lrucache_test_reclaim(unsigned long nr)
{
	return lrucache_reclaim(nr);
}
EXPORT_SYMBOL_NS_GPL(lrucache_test_reclaim, LRUCACHE_TEST_NS);
