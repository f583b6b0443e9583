// SPDX-License-Identifier: GPL-2.0
/*
 * lrucache: LRU key-value caches in kernel memory.
 *
 * The top of the module: the order in which the pieces come up and go
 * down. The parameters are checked first (params.c), sysfs comes next
 * (caches register their directories in it), the character device last
 * (it lets user space in). No other file calls this one.
 */

#include <linux/module.h>

#include "lrucache_internal.h"

static int __init lrucache_init(void)
{
	int ret;

	ret = lrucache_params_init();
	if (ret)
		return ret;
	ret = lrucache_sysfs_init();
	if (ret)
		return ret;
	/* Events first, then who listens to them. */
	ret = lrucache_events_init();
	if (ret)
		goto sysfs_exit;
	ret = lrucache_trace_init();
	if (ret)
		goto events_exit;
	ret = lrucache_hooks_init();
	if (ret)
		goto trace_exit;
	ret = lrucache_netlink_init();
	if (ret)
		goto hooks_exit;
	ret = lrucache_shrinker_init();
	if (ret)
		goto netlink_exit;
	ret = lrucache_chardev_init();
	if (ret)
		goto shrinker_exit;
	return 0;

shrinker_exit:
	lrucache_shrinker_exit();
netlink_exit:
	lrucache_netlink_exit();
hooks_exit:
	lrucache_hooks_exit();
trace_exit:
	lrucache_trace_exit();
events_exit:
	lrucache_events_exit();
sysfs_exit:
	lrucache_sysfs_exit();
	return ret;
}

static void __exit lrucache_exit(void)
{
	lrucache_chardev_exit();
	lrucache_shrinker_exit();
	/* Stops the reapers: after it, no event can happen. */
	lrucache_destroy_all();
	lrucache_netlink_exit();
	lrucache_hooks_exit();
	lrucache_trace_exit();
	/* Delivers nothing more, and drops its references to the caches. */
	lrucache_events_exit();
	lrucache_sysfs_exit();
}

module_init(lrucache_init);
module_exit(lrucache_exit);

MODULE_DESCRIPTION("LRU key-value caches in kernel memory");
MODULE_AUTHOR("lrucache developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(LRUCACHE_VERSION);
