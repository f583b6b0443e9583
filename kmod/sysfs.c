// SPDX-License-Identifier: GPL-2.0
/*
 * lrucache sysfs files of the whole module, read through the registry:
 *
 *   /sys/kernel/lrucache/stats		totals over every cache
 *   /sys/kernel/lrucache/health		worst status over every cache
 *   /sys/kernel/lrucache/users		quota use of each uid
 *   /sys/kernel/lrucache/caches/		a directory per cache
 *
 * This file makes /sys/kernel/lrucache and asks registry.c to make the
 * caches/ directory in it, which registry.c owns; the files of each
 * cache's directory are in cache_sysfs.c. Files are "flat keyed" (one
 * "name value" pair per line, as cgroup v2's memory.stat). Documented in
 * Documentation/ABI/testing/sysfs-kernel-lrucache.
 */

#include <linux/kobject.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "lrucache_internal.h"

static struct kobject *lrucache_kobj;

/* Totals over every cache, for /sys/kernel/lrucache/{stats,health}. */
static void lrucache_sum_all(struct lrucache_stats *sum,
			     unsigned int *caches, unsigned int *degraded,
			     unsigned int *unhealthy)
{
	struct lrucache_health h;
	struct lrucache_stats st;
	struct lrucache *cache;
	int i;

	memset(sum, 0, sizeof(*sum));
	*caches = 0;
	*degraded = 0;
	*unhealthy = 0;

	mutex_lock(&lrucache_registry_lock);
	list_for_each_entry(cache, &lrucache_registry, node) {
		lrucache_get_stats(cache, &st);
		for (i = 0; i < LRUCACHE_NR_COUNTERS; i++)
			*lrucache_stat(sum, i) += *lrucache_stat(&st, i);
		sum->entries += st.entries;
		sum->bytes += st.bytes;
		sum->data_bytes += st.data_bytes;
		sum->expiring += st.expiring;
		sum->leases += st.leases;
		lrucache_health_of(&st, lrucache_reaper_late_ns(cache), &h);
		if (h.status == LRUCACHE_DEGRADED)
			(*degraded)++;
		else if (h.status == LRUCACHE_UNHEALTHY)
			(*unhealthy)++;
		(*caches)++;
	}
	mutex_unlock(&lrucache_registry_lock);
}

static ssize_t stats_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	unsigned int caches, degraded, unhealthy;
	struct lrucache_stats sum;
	int at;

	lrucache_sum_all(&sum, &caches, &degraded, &unhealthy);
	at = sysfs_emit(buf, "caches %u\n", caches);
	at = lrucache_emit_counters(buf, at, &sum);
	at += sysfs_emit_at(buf, at, "max_total_bytes %lu\n",
			    READ_ONCE(lrucache_max_total_bytes));
	return lrucache_emit_ver2(buf, at, &sum);
}

static ssize_t health_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	unsigned int caches, degraded, unhealthy;
	u32 status = LRUCACHE_HEALTHY;
	struct lrucache_stats sum;
	int at;

	lrucache_sum_all(&sum, &caches, &degraded, &unhealthy);
	if (unhealthy)
		status = LRUCACHE_UNHEALTHY;
	else if (degraded)
		status = LRUCACHE_DEGRADED;
	at = sysfs_emit(buf, "status %s\n", lrucache_health_name(status));
	if (degraded)
		at += sysfs_emit_at(buf, at, "degraded_caches %u\n", degraded);
	if (unhealthy)
		at += sysfs_emit_at(buf, at, "unhealthy_caches %u\n",
				    unhealthy);
	return at;
}

static ssize_t users_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return lrucache_show_users(buf);
}

static struct kobj_attribute stats_attr = __ATTR_RO(stats);
static struct kobj_attribute health_attr = __ATTR_RO(health);
static struct kobj_attribute users_attr = __ATTR_RO(users);

static struct attribute *lrucache_attrs[] = {
	&stats_attr.attr,
	&health_attr.attr,
	&users_attr.attr,
	NULL,
};

static const struct attribute_group lrucache_group = {
	.attrs = lrucache_attrs,
};

int lrucache_sysfs_init(void)
{
	int ret;

	lrucache_kobj = kobject_create_and_add("lrucache", kernel_kobj);
	if (!lrucache_kobj)
		return -ENOMEM;
	ret = sysfs_create_group(lrucache_kobj, &lrucache_group);
	if (ret)
		goto put;
	ret = lrucache_caches_init(lrucache_kobj);
	if (ret)
		goto put;
	return 0;

put:
	kobject_put(lrucache_kobj);
	return ret;
}

void lrucache_sysfs_exit(void)
{
	lrucache_caches_exit();
	kobject_put(lrucache_kobj);
}
