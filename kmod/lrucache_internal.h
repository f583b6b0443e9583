/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lrucache internals shared by the engine and its front ends. Nothing here
 * is exported; other modules use <linux/lrucache.h>.
 */
#ifndef _LRUCACHE_INTERNAL_H
#define _LRUCACHE_INTERNAL_H

#include <linux/bits.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/lrucache.h>
#include <linux/rhashtable-types.h>
#include <linux/spinlock.h>
#include <linux/uidgid.h>

/* Hard ceiling of the max_key_len parameter: keys are staged on the stack. */
#define LRUCACHE_KEY_LEN_CEILING	512
/* Hard ceiling of the max_value_len parameter. */
#define LRUCACHE_VALUE_LEN_CEILING	(64U << 20)
/* Most entries one cache may be created with. */
#define LRUCACHE_MAX_ENTRIES_LIMIT	BIT_ULL(24)

extern unsigned int lrucache_max_key_len;
extern unsigned int lrucache_max_value_len;
extern unsigned long lrucache_default_max_entries;
extern unsigned long lrucache_default_max_bytes;

/* Event counters, kept per CPU and summed on read. */
enum lrucache_counter {
	LRUCACHE_CNT_HITS,
	LRUCACHE_CNT_MISSES,
	LRUCACHE_CNT_SETS,
	LRUCACHE_CNT_DELETES,
	LRUCACHE_CNT_EVICTIONS,
	LRUCACHE_CNT_EXPIRATIONS,
	LRUCACHE_NR_COUNTERS,
};

struct lrucache_pcpu_stats {
	u64 v[LRUCACHE_NR_COUNTERS];
};

/* See the locking rules at the top of engine.c. */
struct lrucache {
	struct rhashtable ht;
	spinlock_t lock;		/* serialises every change, see engine.c */
	struct list_head lru;		/* most recently used first */
	u64 entries;
	u64 bytes;
	bool dead;

	u64 max_entries;
	u64 max_bytes;
	u64 default_ttl_ns;		/* 0: no default expiry */
	bool metrics;			/* keep the event counters */
#if IS_ENABLED(CONFIG_KUNIT)
	u64 test_clock_ns;		/* KUnit: frozen clock if non-zero */
#endif
	struct lrucache_pcpu_stats __percpu *pcpu;

	kuid_t owner_uid;
	kgid_t owner_gid;
	u64 created_ns;			/* CLOCK_REALTIME */

	struct list_head node;		/* in the registry */
	struct kobject kobj;		/* lifetime and sysfs directory */
	char name[LRUCACHE_NAME_MAX];
};

void lrucache_health_of(const struct lrucache_stats *st,
			struct lrucache_health *h);
const char *lrucache_health_name(u32 status);
void lrucache_sum_all(struct lrucache_stats *sum, unsigned int *caches,
		      unsigned int *degraded, unsigned int *unhealthy);
void lrucache_destroy_all(void);

/* sysfs.c */
extern const struct attribute_group *lrucache_cache_groups[];
int lrucache_sysfs_init(void);
void lrucache_sysfs_exit(void);
struct kset *lrucache_caches_kset(void);

/* chardev.c */
int lrucache_chardev_init(void);
void lrucache_chardev_exit(void);

#endif /* _LRUCACHE_INTERNAL_H */
