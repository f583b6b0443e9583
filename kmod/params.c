// SPDX-License-Identifier: GPL-2.0
/*
 * lrucache module parameters: the limits every other file reads, and their
 * check at load. They are the bottom of the module: this file calls no
 * other file of it.
 */

#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "lrucache_internal.h"

unsigned int lrucache_max_key_len = 250;
module_param_named(max_key_len, lrucache_max_key_len, uint, 0444);
MODULE_PARM_DESC(max_key_len, "Longest key in bytes (1-512, default 250)");

unsigned int lrucache_max_value_len = 1U << 20;
module_param_named(max_value_len, lrucache_max_value_len, uint, 0444);
MODULE_PARM_DESC(max_value_len,
		 "Longest value in bytes (at most 64 MiB, default 1 MiB)");

unsigned long lrucache_default_max_entries = 1000;
module_param_named(default_max_entries, lrucache_default_max_entries, ulong,
		   0444);
MODULE_PARM_DESC(default_max_entries,
		 "max_entries of a cache created without one (default 1000)");

unsigned long lrucache_default_max_bytes = 64UL << 20;
module_param_named(default_max_bytes, lrucache_default_max_bytes, ulong,
		   0444);
MODULE_PARM_DESC(default_max_bytes,
		 "max_bytes of a cache created without one (default 64 MiB)");

/* Zero, at load or written later, selects an eighth of RAM. */
static unsigned long lrucache_default_total_bytes(void)
{
	return (totalram_pages() << PAGE_SHIFT) / 8;
}

static int lrucache_param_set_total(const char *val,
				    const struct kernel_param *kp)
{
	unsigned long n;
	int ret;

	ret = kstrtoul(val, 0, &n);
	if (ret)
		return ret;
	WRITE_ONCE(lrucache_max_total_bytes,
		   n ?: lrucache_default_total_bytes());
	return 0;
}

static const struct kernel_param_ops lrucache_total_ops = {
	.set	= lrucache_param_set_total,
	.get	= param_get_ulong,
};

unsigned long lrucache_max_total_bytes;
module_param_cb(max_total_bytes, &lrucache_total_ops,
		&lrucache_max_total_bytes, 0644);
MODULE_PARM_DESC(max_total_bytes,
		 "Most bytes all caches together hold (0: an eighth of RAM, the default)");

/*
 * Per-user quotas, as the key retention service has: caches a uid may
 * create, and bytes of entries in its caches (0: half of max_total_bytes
 * for users, all of it for root).
 */
unsigned int lrucache_max_caches_per_user = 64;
module_param_named(max_caches_per_user, lrucache_max_caches_per_user, uint,
		   0644);
MODULE_PARM_DESC(max_caches_per_user,
		 "Caches each non-root uid may create (default 64)");

unsigned long lrucache_max_bytes_per_user;
module_param_named(max_bytes_per_user, lrucache_max_bytes_per_user, ulong,
		   0644);
MODULE_PARM_DESC(max_bytes_per_user,
		 "Bytes the caches of each non-root uid may hold (0: half of max_total_bytes)");

unsigned int lrucache_root_max_caches = 1024;
module_param_named(root_max_caches, lrucache_root_max_caches, uint, 0644);
MODULE_PARM_DESC(root_max_caches, "Caches root may create (default 1024)");

unsigned long lrucache_root_max_bytes;
module_param_named(root_max_bytes, lrucache_root_max_bytes, ulong, 0644);
MODULE_PARM_DESC(root_max_bytes,
		 "Bytes root's caches may hold (0: max_total_bytes)");

unsigned int lrucache_max_leases = 1024;
module_param_named(max_leases, lrucache_max_leases, uint, 0644);
MODULE_PARM_DESC(max_leases, "Leases one cache may hold at once (default 1024)");

unsigned int lrucache_max_owner_leases = 256;
module_param_named(max_owner_leases, lrucache_max_owner_leases, uint, 0644);
MODULE_PARM_DESC(max_owner_leases,
		 "Leases one open file (or kernel owner) may hold (default 256)");

unsigned int lrucache_max_subs_per_user = 64;
module_param_named(max_subscriptions_per_user, lrucache_max_subs_per_user,
		   uint, 0644);
MODULE_PARM_DESC(max_subscriptions_per_user,
		 "Event subscriptions each uid may hold (default 64; CAP_SYS_ADMIN is not limited)");

/*
 * Checks the parameters given at load, before anything else comes up, and
 * fills in the defaults that depend on the machine.
 */
int lrucache_params_init(void)
{
	if (!lrucache_max_key_len ||
	    lrucache_max_key_len > LRUCACHE_KEY_LEN_CEILING ||
	    lrucache_max_value_len > LRUCACHE_VALUE_LEN_CEILING ||
	    !lrucache_default_max_entries ||
	    lrucache_default_max_entries > LRUCACHE_MAX_ENTRIES_LIMIT ||
	    !lrucache_default_max_bytes) {
		pr_err("lrucache: module parameter out of range\n");
		return -EINVAL;
	}

	if (!lrucache_max_total_bytes)
		lrucache_max_total_bytes = lrucache_default_total_bytes();
	return 0;
}
