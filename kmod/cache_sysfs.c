// SPDX-License-Identifier: GPL-2.0
/*
 * lrucache sysfs files of each cache, in the directory that registry.c
 * gives the cache's kobject (their attribute groups are its ktype's):
 *
 *   /sys/kernel/lrucache/caches/<name>/stats
 *   /sys/kernel/lrucache/caches/<name>/health
 *   /sys/kernel/lrucache/caches/<name>/cleanup_interval_ms	(rw)
 *   /sys/kernel/lrucache/caches/<name>/reap		(write 1: run now)
 *
 * They read and act through health.c and reaper.c only, never through the
 * registry, which sits above them. The module-wide files are in sysfs.c.
 * Files are "flat keyed" (one "name value" pair per line, as cgroup v2's
 * memory.stat). Documented in Documentation/ABI/testing/sysfs-kernel-lrucache.
 */

#include <linux/kobject.h>
#include <linux/kstrtox.h>
#include <linux/sysfs.h>

#include "lrucache_internal.h"

/*
 * The counters and the contents, one "name value" line each: the counters
 * of version 0 of struct lrucache_stats, entries and bytes, the counters
 * of version 1, expiring (the order of the files since they exist).
 * Version 2's fields come at the end of each file: lrucache_emit_ver2().
 */
int lrucache_emit_counters(char *buf, int at, struct lrucache_stats *st)
{
	int i;

	for (i = 0; i < LRUCACHE_CNT_LEASE_GRANTS; i++) {
		if (i == LRUCACHE_CNT_REAPED) {
			at += sysfs_emit_at(buf, at, "entries %llu\n",
					    st->entries);
			at += sysfs_emit_at(buf, at, "bytes %llu\n", st->bytes);
		}
		at += sysfs_emit_at(buf, at, "%s %llu\n",
				    lrucache_counters[i].name,
				    *lrucache_stat(st, i));
	}
	at += sysfs_emit_at(buf, at, "expiring %llu\n", st->expiring);
	return at;
}

/* The fields of version 2 of struct lrucache_stats, in its order. */
int lrucache_emit_ver2(char *buf, int at, struct lrucache_stats *st)
{
	at += sysfs_emit_at(buf, at, "data_bytes %llu\n", st->data_bytes);
	at += sysfs_emit_at(buf, at, "leases %llu\n", st->leases);
	at += sysfs_emit_at(buf, at, "lease_grants %llu\n", st->lease_grants);
	at += sysfs_emit_at(buf, at, "stale_fills %llu\n", st->stale_fills);
	return at;
}

static struct lrucache *kobj_to_cache(struct kobject *kobj)
{
	return container_of(kobj, struct lrucache, kobj);
}

static ssize_t cache_stats_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	struct lrucache *cache = kobj_to_cache(kobj);
	struct lrucache_info info;
	struct lrucache_stats st;
	int at;

	if (lrucache_get_stats(cache, &st) || lrucache_get_info(cache, &info))
		return -EIDRM;
	at = lrucache_emit_counters(buf, 0, &st);
	at += sysfs_emit_at(buf, at, "max_entries %llu\n", st.max_entries);
	at += sysfs_emit_at(buf, at, "max_bytes %llu\n", st.max_bytes);
	at += sysfs_emit_at(buf, at, "default_ttl_ms %llu\n",
			    st.default_ttl_ms);
	at += sysfs_emit_at(buf, at, "entry_overhead %llu\n",
			    st.entry_overhead);
	at += sysfs_emit_at(buf, at, "cleanup_interval_ms %llu\n",
			    info.cleanup_interval_ms);
	return lrucache_emit_ver2(buf, at, &st);
}

static ssize_t cache_health_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	struct lrucache *cache = kobj_to_cache(kobj);
	struct lrucache_health h;
	int at;

	if (lrucache_get_health(cache, &h))
		return -EIDRM;
	at = sysfs_emit(buf, "status %s\n", lrucache_health_name(h.status));
	if (h.reasons & LRUCACHE_HEALTH_MEMORY_HIGH)
		at += sysfs_emit_at(buf, at, "memory_high %u\n", h.memory_pct);
	if (h.reasons & LRUCACHE_HEALTH_HIT_RATE_LOW)
		at += sysfs_emit_at(buf, at, "hit_rate_low %u\n",
				    h.hit_rate_pct);
	if (h.reasons & LRUCACHE_HEALTH_REAPER_BEHIND)
		at += sysfs_emit_at(buf, at, "reaper_behind %llu\n",
				    h.reaper_late_ms);
	return at;
}

static ssize_t cache_interval_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	struct lrucache_info info;

	if (lrucache_get_info(kobj_to_cache(kobj), &info))
		return -EIDRM;
	return sysfs_emit(buf, "%llu\n", info.cleanup_interval_ms);
}

static ssize_t cache_interval_store(struct kobject *kobj,
				    struct kobj_attribute *attr,
				    const char *buf, size_t count)
{
	u64 ms;
	int ret;

	/* Out of range or not a number: the same -EINVAL either way. */
	if (kstrtou64(buf, 10, &ms))
		return -EINVAL;
	ret = lrucache_set_cleanup_interval(kobj_to_cache(kobj), ms);
	return ret ?: count;
}

/* Reading shows what the latest run did, whoever ran it. */
static ssize_t cache_reap_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	struct lrucache_reap r;
	int at;

	lrucache_last_reap(kobj_to_cache(kobj), &r);
	at = sysfs_emit(buf, "freed %llu\n", r.freed);
	at += sysfs_emit_at(buf, at, "visited %llu\n", r.visited);
	at += sysfs_emit_at(buf, at, "elapsed_ns %llu\n", r.elapsed_ns);
	return at;
}

static ssize_t cache_reap_store(struct kobject *kobj,
				struct kobj_attribute *attr,
				const char *buf, size_t count)
{
	struct lrucache_reap r = { };
	unsigned int run;
	int ret;

	if (kstrtouint(buf, 10, &run) || run != 1)
		return -EINVAL;
	ret = lrucache_reap(kobj_to_cache(kobj), &r);
	return ret ?: count;
}

/*
 * A cache's own files follow the cache's mode: they belong to its owner
 * and group (lrucache_get_ownership() in registry.c), and each class
 * (owner, group, others) gets read on all of them if the mode gives it
 * LRUCACHE_PERM_READ (the owner always), write on "reap" with LRUCACHE_PERM_WRITE (as the
 * REAP ioctl) and write on "cleanup_interval_ms" with LRUCACHE_PERM_ADMIN
 * (a setting of the cache, as RESET_STATS). The VFS then checks them at
 * open(). The modes below are the widest a file may get; sysfs makes no
 * file writable by others, so the others' write bit never applies here.
 */
static struct kobj_attribute cache_stats_attr = __ATTR(stats, 0444,
						       cache_stats_show, NULL);
static struct kobj_attribute cache_health_attr = __ATTR(health, 0444,
							cache_health_show,
							NULL);
static struct kobj_attribute cache_interval_attr =
	__ATTR(cleanup_interval_ms, 0664, cache_interval_show,
	       cache_interval_store);
static struct kobj_attribute cache_reap_attr =
	__ATTR(reap, 0664, cache_reap_show, cache_reap_store);

static struct attribute *lrucache_cache_attrs[] = {
	&cache_stats_attr.attr,
	&cache_health_attr.attr,
	&cache_interval_attr.attr,
	&cache_reap_attr.attr,
	NULL,
};

/* The permission of the cache's mode that gives write on @attr, or 0. */
static u32 lrucache_attr_write_perm(const struct attribute *attr)
{
	if (attr == &cache_reap_attr.attr)
		return LRUCACHE_PERM_WRITE;
	if (attr == &cache_interval_attr.attr)
		return LRUCACHE_PERM_ADMIN;
	return 0;
}

/*
 * The file mode of @attr in @kobj's directory, from the cache's mode, at
 * most the attribute's own; the owner may always read. Sysfs refuses to
 * open a file for reading that no class may read, root included: the
 * owner's read bit keeps the figures readable by root (lrucache-persist)
 * and the cache's owner, as a cache's mode can give nobody read.
 */
static umode_t lrucache_cache_attr_mode(struct kobject *kobj,
					struct attribute *attr, int n)
{
	const struct lrucache *cache = kobj_to_cache(kobj);
	u32 write = lrucache_attr_write_perm(attr);
	umode_t mode = 0400;
	int shift;

	for (shift = 6; shift >= 0; shift -= 3) {
		u32 bits = (cache->mode >> shift) & 7;

		if (bits & LRUCACHE_PERM_READ)
			mode |= 04 << shift;
		if (bits & write)
			mode |= 02 << shift;
	}
	return mode & attr->mode;
}

static const struct attribute_group lrucache_cache_group = {
	.attrs = lrucache_cache_attrs,
	.is_visible = lrucache_cache_attr_mode,
};

const struct attribute_group *lrucache_cache_groups[] = {
	&lrucache_cache_group,
	NULL,
};
