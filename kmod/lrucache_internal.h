/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lrucache internals shared by the files of the module. Nothing here is
 * exported; other modules use <linux/lrucache.h>. The module parameters
 * come first, then the structures, then what each file offers the others,
 * in sections named after the files, from the bottom layer up: a file
 * uses only the sections above its own (Documentation/lrucache/design.rst,
 * "Layers"; tests/lint/callgraph checks it).
 */
#ifndef _LRUCACHE_INTERNAL_H
#define _LRUCACHE_INTERNAL_H

#include <linux/bits.h>
#include <linux/hrtimer.h>
#include <linux/jump_label.h>
#include <linux/jump_label_ratelimit.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/lrucache.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/rhashtable-types.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/uidgid.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "compat.h"

/*
 * params.c: the module parameters, the bottom layer; every other file may
 * read them.
 */

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
extern unsigned long lrucache_max_total_bytes;
extern unsigned int lrucache_max_caches_per_user;
extern unsigned long lrucache_max_bytes_per_user;
extern unsigned int lrucache_root_max_caches;
extern unsigned long lrucache_root_max_bytes;
extern unsigned int lrucache_max_leases;
extern unsigned int lrucache_max_owner_leases;
extern unsigned int lrucache_max_subs_per_user;
int lrucache_params_init(void);

/*
 * What one uid holds, for its quotas: caches it created, under the
 * registry lock, and bytes charged to it: the entries in them, charged as
 * for the global limit, and what its dumps hold (see snapshot.c), which
 * @dump_bytes counts apart too. A cache holds a reference to its owner's
 * record, and a snapshot to its taker's.
 */
struct lrucache_user {
	struct list_head node;		/* under the registry lock */
	kuid_t uid;
	unsigned int caches;		/* under the registry lock */
	refcount_t ref;
	atomic64_t bytes;
	atomic64_t dump_bytes;
};

/* Root has quotas of its own (root_max_caches, root_max_bytes). */
static inline bool lrucache_is_root(kuid_t uid)
{
	return uid_eq(uid, GLOBAL_ROOT_UID);
}

/*
 * Expiry buckets: an entry that can expire sits on the bucket of its
 * expiry slot (expiry time >> LRUCACHE_EXPIRY_SLOT_SHIFT, about a second)
 * modulo LRUCACHE_EXPIRY_BUCKETS, a ring covering about nine minutes. See
 * "Expiry and the reaper" in reaper.c.
 */
#define LRUCACHE_EXPIRY_SLOT_SHIFT	30
#define LRUCACHE_EXPIRY_BUCKETS		512
/* Most entries the reaper, the shrinker or a flush handle per lock hold. */
#define LRUCACHE_BATCH			256

/*
 * Event counters, kept per CPU and summed on read. Each has a row in
 * lrucache_counters[] (health.c), which everything that reads, sums or
 * shows them loops over.
 */
enum lrucache_counter {
	LRUCACHE_CNT_HITS,
	LRUCACHE_CNT_MISSES,
	LRUCACHE_CNT_SETS,
	LRUCACHE_CNT_DELETES,
	LRUCACHE_CNT_EVICTIONS,
	LRUCACHE_CNT_EXPIRATIONS,
	LRUCACHE_CNT_REAPED,
	LRUCACHE_CNT_RECLAIMED,
	LRUCACHE_CNT_REAPER_RUNS,
	LRUCACHE_CNT_REAPER_NS,
	LRUCACHE_CNT_LEASE_GRANTS,
	LRUCACHE_CNT_STALE_FILLS,
	LRUCACHE_NR_COUNTERS,
};

struct lrucache_pcpu_stats {
	u64 v[LRUCACHE_NR_COUNTERS];
};

/* A counter's name (in sysfs) and its field of struct lrucache_stats. */
struct lrucache_counter_desc {
	const char *name;
	size_t offset;
};

extern const struct lrucache_counter_desc
	lrucache_counters[LRUCACHE_NR_COUNTERS];

/* The field of @st that holds counter @i. */
static inline u64 *lrucache_stat(struct lrucache_stats *st,
				 enum lrucache_counter i)
{
	return (u64 *)((u8 *)st + lrucache_counters[i].offset);
}

/*
 * A cache's events recorded for the listeners that run later (events.c):
 * a lock-free list that the work item empties, and counts per type of the
 * events that could not be recorded, which @lost_node stands for on the
 * list at the place of the first of them.
 */
struct lrucache_events {
	struct llist_head pending;	/* newest first */
	struct llist_node lost_node;	/* on @pending while @dropped counts */
	struct llist_node dirty;	/* on the work item's list */
	unsigned long flags;		/* LRUCACHE_EVENTS_* bits */
	atomic_t queued;		/* records on @pending */
	atomic_t dropped[LRUCACHE_EVENT_MAX + 1];
};

/* Chains of a cache's lease table (lease.c). */
#define LRUCACHE_LEASE_HASH	64

/* See the locking rules at the top of lru.c. */
struct lrucache {
	struct rhashtable ht;
	spinlock_t lock;		/* serialises every change, see lru.c */
	struct list_head lru;		/* most recently used first */
	u64 entries;
	u64 bytes;			/* charged: what the entries take */
	u64 data_bytes;			/* their headers, keys and values */
	u64 expiring;			/* entries on the expiry buckets */
	struct list_head *expiry;	/* LRUCACHE_EXPIRY_BUCKETS buckets */
	bool dead;
	bool reap_armed;		/* timer or work pending */
	u32 changes;			/* to the LRU list: lrucache_check() */
	u64 reap_due_ns;		/* when the armed timer fires */
	u64 cleanup_interval_ns;

	u64 max_entries;
	u64 max_bytes;
	u64 default_ttl_ns;		/* 0: no default expiry */
	bool metrics;			/* keep the event counters */
	struct list_head hooks;		/* RCU, changed under lock (hooks.c) */
	struct lrucache_events events;	/* recorded, waiting (events.c) */
#if IS_ENABLED(CONFIG_KUNIT)
	u64 test_clock_ns;		/* KUnit: frozen clock if non-zero */
#endif
	struct lrucache_pcpu_stats __percpu *pcpu;
	u64 version_clock;		/* the last version's clock, see lru.c */

	/* Leases, under lock; see lease.c. */
	struct hlist_head leases[LRUCACHE_LEASE_HASH];
	unsigned int nr_leases;
	unsigned int lease_gen;		/* moves at every lease's end */
	u64 lease_seq;			/* the last token granted */
	wait_queue_head_t lease_wq;	/* lrucache_lease_wait() */

	/* The reaper; see reaper.c. */
	struct hrtimer reap_timer;
	struct work_struct reap_work;
	struct mutex reap_lock;		/* one run at a time */
	u64 reap_next_slot;		/* under reap_lock */
	struct lrucache_reap last_reap;	/* under reap_lock */

	struct lrucache_map *map;	/* LRUCACHE_OPEN_MAPPED (map.c) */

	/* Dumps by the owner, and what they keep charged (snapshot.c). */
	unsigned int own_dumps;		/* under lock */
	struct list_head kept;		/* unlinked entries, by their expiry */
	u64 kept_bytes;			/* under lock */

	kuid_t owner_uid;
	kgid_t owner_gid;
	u32 mode;			/* LRUCACHE_PERM_* per class */
	struct lrucache_user *user;	/* the owner's quota record */
	u64 created_ns;			/* CLOCK_REALTIME */
	u64 born_ns;			/* creation, on lrucache_now() */

	struct list_head node;		/* in the registry */
	struct kobject kobj;		/* lifetime and sysfs directory */
	char name[LRUCACHE_NAME_MAX];
};

/*
 * On 64-bit: node 8, lru 16, ref 4, value_len 4, version 8, expires 8,
 * expiry/rcu 16: 64 bytes before the key.
 *
 * @version is the entry's CAS token and carries two more facts, so that
 * the header keeps its 64 bytes (see "Versions" in lru.c):
 *   bits 63..33  the second (since the cache's birth) of the write,
 *   bits 32..9   a count of the writes within that second,
 *   bits  8..0   the key length minus one.
 * Bits 63..9 come from the cache's version clock, which never goes back,
 * so no two writes in a cache's life get the same version.
 */
struct lrucache_entry {
	struct rhash_head node;
	struct list_head lru;		/* empty once unlinked */
	refcount_t ref;
	u32 value_len;
	u64 version;			/* see above; never 0 */
	u64 expires;			/* boottime ns; 0: never; see touch */
	union {
		/*
		 * On an expiry bucket while hashed, if @expires is set;
		 * once unhashed, on the cache's kept list or empty.
		 */
		struct list_head expiry;
		/* Only used once unhashed and unreferenced. */
		struct rcu_head rcu;
	};
	u8 data[];			/* key, then value */
};

#define LRUCACHE_ENTRY_OVERHEAD	sizeof(struct lrucache_entry)

/* The layout of struct lrucache_entry.version. */
#define LRUCACHE_VERSION_KEY_BITS	9	/* key length - 1 */
#define LRUCACHE_VERSION_SEQ_BITS	24	/* writes within a second */
#define LRUCACHE_VERSION_CLOCK_SHIFT	LRUCACHE_VERSION_KEY_BITS
#define LRUCACHE_VERSION_SECOND_SHIFT	\
	(LRUCACHE_VERSION_KEY_BITS + LRUCACHE_VERSION_SEQ_BITS)

static inline u32 lrucache_key_len(const struct lrucache_entry *e)
{
	return (e->version & (BIT(LRUCACHE_VERSION_KEY_BITS) - 1)) + 1;
}

/* The second since the cache's birth in which @e was written. */
static inline u32 lrucache_written_s(const struct lrucache_entry *e)
{
	return e->version >> LRUCACHE_VERSION_SECOND_SHIFT;
}

/* An entry's expiry time, which TOUCH may change under cache->lock. */
static inline u64 lrucache_expires(const struct lrucache_entry *e)
{
	return READ_ONCE(e->expires);
}

size_t lrucache_alloc_charge(size_t size);

/* The bytes of an entry: its header, key and value. */
static inline u64 lrucache_data_bytes(const struct lrucache_entry *e)
{
	return LRUCACHE_ENTRY_OVERHEAD + lrucache_key_len(e) + e->value_len;
}

/* What an entry is charged: what its allocation takes (memory.c). */
static inline u64 lrucache_charge(const struct lrucache_entry *e)
{
	return lrucache_alloc_charge(lrucache_data_bytes(e));
}

/* KUnit's frozen clock of @cache, or 0 while it follows real time. */
static inline u64 lrucache_frozen_clock(const struct lrucache *cache)
{
#if IS_ENABLED(CONFIG_KUNIT)
	return READ_ONCE(cache->test_clock_ns);
#else
	return 0;
#endif
}

/* The clock of expiry times: boottime, or KUnit's frozen clock. */
static inline u64 lrucache_now(const struct lrucache *cache)
{
	return lrucache_frozen_clock(cache) ?: ktime_get_boottime_ns();
}

/* The same clock as of the last tick: reads no clock device. */
static inline u64 lrucache_now_coarse(const struct lrucache *cache)
{
	return lrucache_frozen_clock(cache) ?: ktime_get_coarse_boottime_ns();
}

/* A cache created without metrics does no counting work at all. */
static inline void lrucache_count(struct lrucache *cache,
				  enum lrucache_counter counter)
{
	if (likely(cache->metrics))
		this_cpu_inc(cache->pcpu->v[counter]);
}

static inline void lrucache_count_add(struct lrucache *cache,
				      enum lrucache_counter counter, u64 n)
{
	if (likely(cache->metrics))
		this_cpu_add(cache->pcpu->v[counter], n);
}

static inline struct list_head *
lrucache_slot_bucket(struct lrucache *cache, u64 slot)
{
	return &cache->expiry[slot & (LRUCACHE_EXPIRY_BUCKETS - 1)];
}

static inline struct list_head *
lrucache_bucket(struct lrucache *cache, u64 expires)
{
	return lrucache_slot_bucket(cache,
				    expires >> LRUCACHE_EXPIRY_SLOT_SHIFT);
}

/*
 * Calls @step(@cache, @arg) under cache->lock until it returns false, at
 * most LRUCACHE_BATCH times per hold of the lock, rescheduling between
 * holds: how every walk that may be long (a flush, the reaper, the
 * shrinker) keeps the lock's holds short. Inlined, so that @step is a
 * direct call.
 */
static __always_inline void
lrucache_batched(struct lrucache *cache,
		 bool (*step)(struct lrucache *cache, void *arg), void *arg)
{
	unsigned int n;
	bool more = true;

	might_sleep();
	while (more) {
		spin_lock(&cache->lock);
		for (n = 0; n < LRUCACHE_BATCH && more; n++)
			more = step(cache, arg);
		spin_unlock(&cache->lock);
		if (more)
			cond_resched();
	}
}

/* memory.c: what entries take, the global limit and the users' quotas */
extern atomic64_t lrucache_total_bytes;
extern atomic64_t lrucache_total_entries;

/* Byte limits as signed figures; anything from 2^63 up is no limit. */
static inline s64 lrucache_limit(unsigned long max)
{
	return min_t(u64, max, S64_MAX);
}

void *lrucache_alloc_entry(size_t size);
bool lrucache_over_total(void);
s64 lrucache_user_max_bytes(const struct lrucache_user *user);

/*
 * map.c: the copy of a mapped cache's entries that user space reads; lru.c
 * keeps it in step under cache->lock.
 */
struct vm_area_struct;
int lrucache_map_create(struct lrucache *cache);
void lrucache_map_release(struct lrucache *cache);
void lrucache_map_kill(struct lrucache *cache);
void lrucache_map_prepare(struct lrucache *cache, u32 key_len, u32 value_len);
void lrucache_map_publish(struct lrucache *cache,
			  const struct lrucache_entry *e,
			  const struct lrucache_entry *old);
void lrucache_map_unpublish(struct lrucache *cache,
			    const struct lrucache_entry *e);
void lrucache_map_set_expires(struct lrucache *cache,
			      const struct lrucache_entry *e);
bool lrucache_map_used(struct lrucache *cache, const struct lrucache_entry *e);
void lrucache_map_hits(struct lrucache *cache);
bool lrucache_mapped(const struct lrucache *cache);
int lrucache_map_mmap(struct lrucache *cache, struct vm_area_struct *vma);

/*
 * events.c: how the engine reports events, and to whom. The engine calls
 * lrucache_announce() and knows nothing of who listens; the listeners
 * (tracepoints in trace.c, kernel hooks in hooks.c, the netlink stream in
 * netlink.c) register a struct lrucache_listener.
 */
extern struct static_key_false_deferred lrucache_events_on;

/* Whether anybody listens: a patched-out jump while nobody does. */
static __always_inline bool lrucache_events_wanted(void)
{
	return static_branch_unlikely(&lrucache_events_on.key);
}

void lrucache_announce(struct lrucache *cache, u32 type, const void *key,
		       u32 key_len, u32 value_len, s64 age_s);

/**
 * struct lrucache_event_rec - an event as recorded for later delivery
 * @node: on the cache's list of recorded events.
 * @epoch: lrucache_events_epoch when it was recorded.
 * @age_s: seconds since the entry was set; -1 for a miss (no entry).
 * @type: enum lrucache_event_type.
 * @lost: 0 for an event; else this stands for @lost events of @type that
 *	could not be recorded (no memory, or too many waiting), and nothing
 *	but @type is set.
 * @key_len: the key's length.
 * @key_hash: jhash(key, key_len, 0).
 * @value_len: the value's length (0 for a miss).
 * @key: the key, if @key_len is at most LRUCACHE_EVENT_KEY_MAX.
 */
struct lrucache_event_rec {
	struct llist_node node;
	u64 epoch;
	s64 age_s;
	u32 type;
	u32 lost;
	u32 key_len;
	u32 key_hash;
	u32 value_len;
	u8 key[LRUCACHE_EVENT_KEY_MAX];
};

/* Most records one call of ->deliver() is given. */
#define LRUCACHE_EVENTS_BATCH	64

/**
 * struct lrucache_event_batch - recorded events of one cache
 * @cache: the cache (the work item holds a reference to it).
 * @n: how many records.
 * @min_epoch: the smallest @epoch of the records.
 * @count: events per type in the batch, those lost included.
 * @rec: the records, oldest first.
 */
struct lrucache_event_batch {
	struct lrucache *cache;
	unsigned int n;
	u64 min_epoch;
	u32 count[LRUCACHE_EVENT_MAX + 1];
	const struct lrucache_event_rec *rec[LRUCACHE_EVENTS_BATCH];
};

/**
 * struct lrucache_listener - who hears of events
 * @now: called where the event happens, in atomic context under
 *	rcu_read_lock(), and for all but hit and miss with the cache's lock
 *	held: it must not sleep nor take any lrucache lock.
 * @deliver: called later with the recorded events (of the types in @mask,
 *	and those of other types that other listeners wanted), from a work
 *	item, in process context and outside every cache lock, one cache at
 *	a time and in the order the events happened on it.
 * @mask: the types @deliver wants; changed by lrucache_listener_want().
 * @node: on the list of listeners.
 */
struct lrucache_listener {
	void (*now)(const struct lrucache_event *ev);
	void (*deliver)(const struct lrucache_event_batch *batch);
	u32 mask;
	struct list_head node;
};

void lrucache_listener_register(struct lrucache_listener *l);
void lrucache_listener_unregister(struct lrucache_listener *l);
void lrucache_listener_want(struct lrucache_listener *l, u32 mask);
void lrucache_events_get(void);
void lrucache_events_put(void);
u64 lrucache_events_epoch_next(void);
int lrucache_events_init(void);
void lrucache_events_exit(void);

/* lru.c */

/* What a lookup hashes and compares: the key as the caller holds it. */
struct lrucache_key {
	const void *data;
	u32 len;
};

int lrucache_entries_init(struct lrucache *cache);
void lrucache_entries_destroy(struct lrucache *cache);
void lrucache_entry_unpin(struct lrucache *cache, struct lrucache_entry *e);
void lrucache_entry_drop(struct lrucache *cache, struct lrucache_entry *e);
void lrucache_release_kept(struct lrucache *cache);
void lrucache_remove(struct lrucache *cache, struct lrucache_entry *e,
		     u32 why);
void lrucache_flush(struct lrucache *cache);
void lrucache_arm_reaper(struct lrucache *cache);
struct lrucache_entry *lrucache_hashed(struct lrucache *cache,
				       const struct lrucache_entry *e);
int lrucache_check_key(size_t key_len);
int lrucache_ttl_ns(const struct lrucache *cache, u64 ttl_ms, u64 *ns);
struct lrucache_entry *lrucache_lookup(struct lrucache *cache,
				       const struct lrucache_key *k);
struct lrucache_entry *lrucache_find_live(struct lrucache *cache,
					  const struct lrucache_key *k);
struct lrucache_entry *lrucache_entry_alloc(const void *key, u32 key_len,
					    size_t value_room);
int lrucache_install(struct lrucache *cache, struct lrucache_entry *e,
		     struct lrucache_entry *old);
void lrucache_set_expires(struct lrucache *cache, struct lrucache_entry *e,
			  u64 expires);
void lrucache_make_recent(struct lrucache *cache, struct lrucache_entry *e);
void lrucache_report_event(struct lrucache *cache, u32 type,
			   const void *key, u32 key_len,
			   const struct lrucache_entry *e);
bool lrucache_copy_nofault(const struct lrucache_entry *e,
			   struct iov_iter *to);
struct rhashtable_iter;
void lrucache_walk_resume(struct lrucache *cache, struct rhashtable_iter *iter,
			  bool need_place) __acquires(RCU);

/* @to over @buf (@buf_len bytes of kernel memory), for the kernel's gets. */
static inline void lrucache_kvec_iter(struct iov_iter *to, struct kvec *kv,
				      void *buf, size_t buf_len)
{
	kv->iov_base = buf;
	kv->iov_len = buf_len;
	iov_iter_kvec(to, ITER_DEST, kv, 1, buf_len);
}

static inline bool lrucache_expired_at(const struct lrucache_entry *e, u64 now)
{
	u64 expires = lrucache_expires(e);

	return expires && now >= expires;
}

static inline bool lrucache_expired(const struct lrucache *cache,
				    const struct lrucache_entry *e)
{
	return lrucache_expired_at(e, lrucache_now(cache));
}

/* lease.c: every lease function but the exported ones wants cache->lock */
struct lrucache_lease;
void lrucache_leases_init(struct lrucache *cache);
void lrucache_leases_flush(struct lrucache *cache);
struct lrucache_lease *lrucache_lease_alloc(const void *key, u32 key_len);
void lrucache_lease_free(struct lrucache_lease *l);
int lrucache_lease_take(struct lrucache *cache,
			struct lrucache_lease_owner *owner, const void *key,
			u32 key_len, u64 lease_ns, struct lrucache_lease **pre,
			u64 *token);
void lrucache_lease_written(struct lrucache *cache, const void *key,
			    u32 key_len);
void lrucache_lease_written_prefix(struct lrucache *cache, const void *prefix,
				   u32 prefix_len);
int lrucache_lease_fill(struct lrucache *cache, const void *key, u32 key_len,
			u64 token);

/* reaper.c */
void lrucache_reaper_init(struct lrucache *cache, u64 interval_ms);
void lrucache_stop_reaper(struct lrucache *cache);
void lrucache_last_reap(struct lrucache *cache, struct lrucache_reap *r);
u64 lrucache_reaper_late_ns(struct lrucache *cache);

/* health.c */
void lrucache_health_of(const struct lrucache_stats *st, u64 reaper_late_ns,
			struct lrucache_health *h);
const char *lrucache_health_name(u32 status);

/* cache_sysfs.c: the files of each cache's sysfs directory */
extern const struct attribute_group *lrucache_cache_groups[];
int lrucache_emit_counters(char *buf, int at, struct lrucache_stats *st);
int lrucache_emit_ver2(char *buf, int at, struct lrucache_stats *st);

/* registry.c: every cache is on lrucache_registry, under its lock */
extern struct list_head lrucache_registry;
extern struct mutex lrucache_registry_lock;
int lrucache_destroy_cache(struct lrucache *cache);
void lrucache_destroy_all(void);
struct lrucache_user *lrucache_user_of_current(struct lrucache *cache);
void lrucache_user_release(struct lrucache_user *user);
int lrucache_show_users(char *buf);
int lrucache_caches_init(struct kobject *parent);
void lrucache_caches_exit(void);

/* perm.c: permissions for user space, against the caller's credentials */
struct group_info;
#define LRUCACHE_PERM_ANY	0	/* at least one permission */
int lrucache_permission(struct lrucache *cache, u32 want);
bool lrucache_ids_may_read(const struct lrucache *cache, kuid_t euid,
			   kgid_t egid, const struct group_info *groups);

/* shrinker.c */
unsigned long lrucache_reclaim(unsigned long nr);
int lrucache_shrinker_init(void);
void lrucache_shrinker_exit(void);

/* trace.c */
int lrucache_trace_init(void);
void lrucache_trace_exit(void);

/* hooks.c */
int lrucache_hooks_init(void);
void lrucache_hooks_exit(void);

/* netlink.c */
int lrucache_netlink_init(void);
void lrucache_netlink_exit(void);

/* sysfs.c */
int lrucache_sysfs_init(void);
void lrucache_sysfs_exit(void);

/* chardev.c */
int lrucache_chardev_init(void);
void lrucache_chardev_exit(void);

#endif /* _LRUCACHE_INTERNAL_H */
