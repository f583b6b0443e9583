// SPDX-License-Identifier: GPL-2.0
/*
 * lrucache: what a cache tells about itself: its settings, its event
 * counters and its health.
 *
 * The counters are kept per CPU (struct lrucache_pcpu_stats, bumped
 * without a lock on the hot paths) and summed when read, so each is
 * exact but they are not read at one instant. The health of a cache is
 * judged from them by the rules below, the same for sysfs, the ioctls
 * and kernel users. This file reads one cache at a time (and asks
 * reaper.c how late its reaper is); totals over every cache are sysfs.c's,
 * which walks the registry.
 */

#include <linux/cred.h>
#include <linux/math64.h>
#include <linux/percpu.h>
#include <linux/string.h>

#include "lrucache_internal.h"

#define LRUCACHE_COUNTER(field)						\
	{ .name = #field, .offset = offsetof(struct lrucache_stats, field) }

/* The one list of the counters, by enum lrucache_counter. */
const struct lrucache_counter_desc lrucache_counters[LRUCACHE_NR_COUNTERS] = {
	[LRUCACHE_CNT_HITS]		= LRUCACHE_COUNTER(hits),
	[LRUCACHE_CNT_MISSES]		= LRUCACHE_COUNTER(misses),
	[LRUCACHE_CNT_SETS]		= LRUCACHE_COUNTER(sets),
	[LRUCACHE_CNT_DELETES]		= LRUCACHE_COUNTER(deletes),
	[LRUCACHE_CNT_EVICTIONS]	= LRUCACHE_COUNTER(evictions),
	[LRUCACHE_CNT_EXPIRATIONS]	= LRUCACHE_COUNTER(expirations),
	[LRUCACHE_CNT_REAPED]		= LRUCACHE_COUNTER(reaped),
	[LRUCACHE_CNT_RECLAIMED]	= LRUCACHE_COUNTER(reclaimed),
	[LRUCACHE_CNT_REAPER_RUNS]	= LRUCACHE_COUNTER(reaper_runs),
	[LRUCACHE_CNT_REAPER_NS]	= LRUCACHE_COUNTER(reaper_ns),
	[LRUCACHE_CNT_LEASE_GRANTS]	= LRUCACHE_COUNTER(lease_grants),
	[LRUCACHE_CNT_STALE_FILLS]	= LRUCACHE_COUNTER(stale_fills),
};

/**
 * lrucache_get_info - describe a cache
 * @cache: the cache
 * @info: filled in; owner ids are mapped into the caller's user namespace
 *
 * Context: Process context.
 *
 * Return: 0, or -EIDRM if the cache was destroyed.
 */
int lrucache_get_info(struct lrucache *cache, struct lrucache_info *info)
{
	memset(info, 0, sizeof(*info));
	if (READ_ONCE(cache->dead))
		return -EIDRM;
	strscpy(info->name, cache->name, sizeof(info->name));
	info->max_entries = cache->max_entries;
	info->max_bytes = cache->max_bytes;
	info->default_ttl_ms = div_u64(cache->default_ttl_ns, NSEC_PER_MSEC);
	info->entry_overhead = LRUCACHE_ENTRY_OVERHEAD;
	info->created_ns = cache->created_ns;
	info->owner_uid = from_kuid_munged(current_user_ns(), cache->owner_uid);
	info->owner_gid = from_kgid_munged(current_user_ns(), cache->owner_gid);
	if (cache->metrics)
		info->flags |= LRUCACHE_INFO_METRICS;
	if (lrucache_mapped(cache))
		info->flags |= LRUCACHE_INFO_MAPPED;
	info->mode = cache->mode;
	info->cleanup_interval_ms = div_u64(READ_ONCE(cache->cleanup_interval_ns),
					    NSEC_PER_MSEC);
	return 0;
}
EXPORT_SYMBOL_GPL(lrucache_get_info);

/**
 * lrucache_get_stats - read a cache's counters and limits
 * @cache: the cache
 * @st: filled in
 *
 * Each counter is exact; they are not a snapshot taken at one instant.
 *
 * Context: Process context.
 *
 * Return: 0, or -EIDRM if the cache was destroyed.
 */
int lrucache_get_stats(struct lrucache *cache, struct lrucache_stats *st)
{
	int cpu, i;

	memset(st, 0, sizeof(*st));
	if (READ_ONCE(cache->dead))
		return -EIDRM;
	/* Hits readers made through the mapping count from now. */
	lrucache_map_hits(cache);
	for_each_possible_cpu(cpu) {
		const u64 *v = per_cpu_ptr(cache->pcpu, cpu)->v;

		for (i = 0; i < LRUCACHE_NR_COUNTERS; i++)
			*lrucache_stat(st, i) += READ_ONCE(v[i]);
	}
	st->entries = READ_ONCE(cache->entries);
	st->expiring = READ_ONCE(cache->expiring);
	st->leases = READ_ONCE(cache->nr_leases);
	st->bytes = READ_ONCE(cache->bytes);
	st->data_bytes = READ_ONCE(cache->data_bytes);
	st->max_entries = cache->max_entries;
	st->max_bytes = cache->max_bytes;
	st->default_ttl_ms = div_u64(cache->default_ttl_ns, NSEC_PER_MSEC);
	st->entry_overhead = LRUCACHE_ENTRY_OVERHEAD;
	return 0;
}
EXPORT_SYMBOL_GPL(lrucache_get_stats);

/**
 * lrucache_reset_stats - zero a cache's event counters
 * @cache: the cache
 *
 * Zeroes the event counters (hits to expirations, reaped to reaper_ns,
 * lease_grants, stale_fills); entries, bytes, expiring, leases and limits
 * describe the cache's contents and stay. Events that happen while the
 * reset runs may be kept or lost.
 *
 * Context: Process context.
 *
 * Return: 0, or -EIDRM if the cache was destroyed.
 */
int lrucache_reset_stats(struct lrucache *cache)
{
	int cpu, i;

	if (READ_ONCE(cache->dead))
		return -EIDRM;
	for_each_possible_cpu(cpu) {
		u64 *v = per_cpu_ptr(cache->pcpu, cpu)->v;

		for (i = 0; i < LRUCACHE_NR_COUNTERS; i++)
			WRITE_ONCE(v[i], 0);
	}
	return 0;
}
EXPORT_SYMBOL_GPL(lrucache_reset_stats);

/**
 * lrucache_get_health - judge a cache by the health rules
 * @cache: the cache
 * @h: filled in: status, the rules broken, and their figures
 *
 * The rules are those of the sysfs health file (lrucache_health_of()).
 *
 * Context: Process context.
 *
 * Return: 0, or -EIDRM if the cache was destroyed.
 */
int lrucache_get_health(struct lrucache *cache, struct lrucache_health *h)
{
	struct lrucache_stats st;
	int ret;

	ret = lrucache_get_stats(cache, &st);
	if (ret)
		return ret;
	lrucache_health_of(&st, lrucache_reaper_late_ns(cache), h);
	return 0;
}
EXPORT_SYMBOL_GPL(lrucache_get_health);

/*
 * Health rules, the same for sysfs and every other reader:
 * - memory_high: bytes at or above 95% of max_bytes (degraded);
 * - hit_rate_low: after at least 100 lookups, hit rate under 50%
 *   (degraded), or under 10% after at least 1000 lookups (unhealthy);
 * - reaper_behind: the reaper's timer is armed and more than one cleanup
 *   interval past the time it was due (degraded).
 */
#define LRUCACHE_MEMORY_HIGH_PCT	95
#define LRUCACHE_HIT_RATE_MIN_LOOKUPS	100
#define LRUCACHE_HIT_RATE_LOW_PCT	50
#define LRUCACHE_HIT_RATE_BAD_LOOKUPS	1000
#define LRUCACHE_HIT_RATE_BAD_PCT	10

void lrucache_health_of(const struct lrucache_stats *st, u64 reaper_late_ns,
			struct lrucache_health *h)
{
	u64 lookups = st->hits + st->misses;

	memset(h, 0, sizeof(*h));
	h->memory_pct = st->max_bytes ?
			div64_u64(st->bytes * 100, st->max_bytes) : 0;
	h->hit_rate_pct = lookups ? div64_u64(st->hits * 100, lookups) : 100;
	h->status = LRUCACHE_HEALTHY;

	if (h->memory_pct >= LRUCACHE_MEMORY_HIGH_PCT) {
		h->reasons |= LRUCACHE_HEALTH_MEMORY_HIGH;
		h->status = LRUCACHE_DEGRADED;
	}
	if (lookups >= LRUCACHE_HIT_RATE_MIN_LOOKUPS &&
	    h->hit_rate_pct < LRUCACHE_HIT_RATE_LOW_PCT) {
		h->reasons |= LRUCACHE_HEALTH_HIT_RATE_LOW;
		h->status = LRUCACHE_DEGRADED;
		if (lookups >= LRUCACHE_HIT_RATE_BAD_LOOKUPS &&
		    h->hit_rate_pct < LRUCACHE_HIT_RATE_BAD_PCT)
			h->status = LRUCACHE_UNHEALTHY;
	}
	if (reaper_late_ns) {
		h->reasons |= LRUCACHE_HEALTH_REAPER_BEHIND;
		h->reaper_late_ms = div_u64(reaper_late_ns, NSEC_PER_MSEC);
		if (h->status == LRUCACHE_HEALTHY)
			h->status = LRUCACHE_DEGRADED;
	}
}

const char *lrucache_health_name(u32 status)
{
	switch (status) {
	case LRUCACHE_HEALTHY:
		return "healthy";
	case LRUCACHE_DEGRADED:
		return "degraded";
	default:
		return "unhealthy";
	}
}
