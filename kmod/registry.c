// SPDX-License-Identifier: GPL-2.0
/*
 * lrucache registry: the caches by name, their lifecycle, and the quotas
 * of their owners.
 *
 * Every cache is on one list, under lrucache_registry_lock, a mutex taken
 * to open, create and destroy caches and never by the operations on
 * entries. A cache is a kobject, whose reference count keeps it alive for
 * the registry, open files and kernel users, and whose directory under
 * /sys/kernel/lrucache/caches/ (a kset of this file's) bears its name and
 * holds the files of cache_sysfs.c.
 *
 * Destroying a cache takes it off the list and out of sysfs (its name is
 * free at once), marks it dead under cache->lock so that every operation
 * fails with -EIDRM and no entry can be added, stops its reaper, ends its
 * leases (waking their waiters), frees its entries and drops the
 * registry's reference; the structure goes
 * with the last reference. The order matters: marked dead, nothing can
 * re-arm the reaper's timer, so it can be cancelled for good.
 *
 * Each uid that holds caches has a quota record (struct lrucache_user),
 * kept here: how many caches it created, under the registry lock, and how
 * many bytes of entries they hold, charged by the core with the global
 * count against the byte quota that memory.c reads.
 *
 * The registry sits above the engine: it sets up, flushes and frees a
 * cache's entries (lru.c), starts and stops its reaper (reaper.c) and
 * gives it its sysfs files (cache_sysfs.c); none of those calls it.
 */

#include <linux/ctype.h>
#include <linux/cred.h>
#include <linux/kobject.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "lrucache_internal.h"

/* Every cache is on lrucache_registry; sysfs.c and shrinker.c walk it too. */
LIST_HEAD(lrucache_registry);
/* Guards lrucache_registry, lrucache_users and each user's cache count. */
DEFINE_MUTEX(lrucache_registry_lock);
static LIST_HEAD(lrucache_users);	/* under lrucache_registry_lock */
/* /sys/kernel/lrucache/caches/, where each cache's directory goes. */
static struct kset *lrucache_caches;

/**
 * lrucache_name - the name of a cache
 * @cache: the cache
 *
 * Context: Process context.
 *
 * Return: the name, valid as long as the caller holds its reference.
 */
const char *lrucache_name(const struct lrucache *cache)
{
	return cache->name;
}
EXPORT_SYMBOL_GPL(lrucache_name);

/* The quota record of @uid, created if need be, with a reference. */
static struct lrucache_user *lrucache_user_get(kuid_t uid)
{
	struct lrucache_user *user;

	lockdep_assert_held(&lrucache_registry_lock);

	list_for_each_entry(user, &lrucache_users, node) {
		if (uid_eq(user->uid, uid)) {
			refcount_inc(&user->ref);
			return user;
		}
	}
	user = kzalloc_obj(*user, GFP_KERNEL_ACCOUNT);
	if (!user)
		return NULL;
	user->uid = uid;
	refcount_set(&user->ref, 1);
	atomic64_set(&user->bytes, 0);
	atomic64_set(&user->dump_bytes, 0);
	list_add(&user->node, &lrucache_users);
	return user;
}

static void lrucache_user_put(struct lrucache_user *user)
{
	lockdep_assert_held(&lrucache_registry_lock);

	if (refcount_dec_and_test(&user->ref)) {
		WARN_ON_ONCE(user->caches || atomic64_read(&user->bytes) ||
			     atomic64_read(&user->dump_bytes));
		list_del(&user->node);
		kfree(user);
	}
}

/*
 * The quota record of the current task's effective uid, with a reference
 * to drop with lrucache_user_release(): @cache's owner's if that is the
 * caller (no allocation then), else found or created. ERR_PTR(-EIDRM) if
 * @cache was destroyed: lrucache_finish() may have let go of its owner's
 * record, and the cache is marked dead under this lock before that.
 * ERR_PTR(-ENOMEM) if out of memory.
 */
struct lrucache_user *lrucache_user_of_current(struct lrucache *cache)
{
	struct lrucache_user *user;

	mutex_lock(&lrucache_registry_lock);
	if (READ_ONCE(cache->dead)) {
		user = ERR_PTR(-EIDRM);
	} else if (uid_eq(current_euid(), cache->owner_uid)) {
		user = cache->user;
		refcount_inc(&user->ref);
	} else {
		user = lrucache_user_get(current_euid());
		if (!user)
			user = ERR_PTR(-ENOMEM);
	}
	mutex_unlock(&lrucache_registry_lock);
	return user;
}

void lrucache_user_release(struct lrucache_user *user)
{
	mutex_lock(&lrucache_registry_lock);
	lrucache_user_put(user);
	mutex_unlock(&lrucache_registry_lock);
}

static unsigned int lrucache_user_max_caches(const struct lrucache_user *user)
{
	return lrucache_is_root(user->uid) ?
	       READ_ONCE(lrucache_root_max_caches) :
	       READ_ONCE(lrucache_max_caches_per_user);
}

/* /sys/kernel/lrucache/users: one line per uid holding caches or dumps. */
int lrucache_show_users(char *buf)
{
	struct lrucache_user *user;
	int at = 0;

	mutex_lock(&lrucache_registry_lock);
	list_for_each_entry(user, &lrucache_users, node)
		at += sysfs_emit_at(buf, at,
				    "uid %u caches %u max_caches %u bytes %lld max_bytes %lld dump_bytes %lld\n",
				    from_kuid_munged(&init_user_ns, user->uid),
				    user->caches, lrucache_user_max_caches(user),
				    (long long)atomic64_read(&user->bytes),
				    (long long)lrucache_user_max_bytes(user),
				    (long long)atomic64_read(&user->dump_bytes));
	mutex_unlock(&lrucache_registry_lock);
	return at;
}

/* Names become sysfs directory names: keep them to a safe alphabet. */
static bool lrucache_name_valid(const char *name)
{
	size_t len = strnlen(name, LRUCACHE_NAME_MAX);
	size_t i;

	if (!len || len == LRUCACHE_NAME_MAX || name[0] == '.')
		return false;
	/* The kernel's ctype also calls Latin-1 letters alphanumeric. */
	for (i = 0; i < len; i++)
		if (!isascii(name[i]) ||
		    (!isalnum(name[i]) && !strchr("_.-", name[i])))
			return false;
	return true;
}

static struct lrucache *lrucache_find(const char *name)
{
	struct lrucache *cache;

	lockdep_assert_held(&lrucache_registry_lock);
	list_for_each_entry(cache, &lrucache_registry, node)
		if (!strcmp(cache->name, name))
			return cache;
	return NULL;
}

static void lrucache_release(struct kobject *kobj)
{
	struct lrucache *cache = container_of(kobj, struct lrucache, kobj);

	/* Every entry went when the cache was destroyed. */
	lrucache_entries_destroy(cache);
	lrucache_map_release(cache);
	mutex_destroy(&cache->reap_lock);
	free_percpu(cache->pcpu);
	kfree(cache);
}

/*
 * The cache's sysfs directory and files belong to its owner and group,
 * so that the VFS applies the modes cache_sysfs.c derives from the cache's.
 */
static void lrucache_get_ownership(lrucache_kobj_const struct kobject *kobj,
				   kuid_t *uid, kgid_t *gid)
{
	const struct lrucache *cache = container_of(kobj, struct lrucache,
						    kobj);

	*uid = cache->owner_uid;
	*gid = cache->owner_gid;
}

static const struct kobj_type lrucache_ktype = {
	.release	= lrucache_release,
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= lrucache_cache_groups,
	.get_ownership	= lrucache_get_ownership,
};

static int lrucache_alloc(const char *name,
			  const struct lrucache_params *params,
			  unsigned int flags, u64 max_entries, u64 max_bytes,
			  u64 interval_ms, u32 mode, struct lrucache_user *user,
			  struct lrucache **out)
{
	struct lrucache *cache;
	int ret;

	cache = kzalloc_obj(*cache, GFP_KERNEL_ACCOUNT);
	if (!cache)
		return -ENOMEM;
	cache->pcpu = alloc_percpu_gfp(struct lrucache_pcpu_stats,
				       GFP_KERNEL_ACCOUNT);
	if (!cache->pcpu) {
		ret = -ENOMEM;
		goto free;
	}
	ret = lrucache_entries_init(cache);
	if (ret)
		goto free_pcpu;
	INIT_LIST_HEAD(&cache->hooks);
	cache->born_ns = lrucache_now(cache);
	lrucache_reaper_init(cache, interval_ms);
	cache->max_entries = max_entries;
	cache->max_bytes = max_bytes;
	cache->default_ttl_ns = params->default_ttl_ms * NSEC_PER_MSEC;
	cache->metrics = !(flags & LRUCACHE_OPEN_NO_METRICS);
	if (flags & LRUCACHE_OPEN_MAPPED) {
		ret = lrucache_map_create(cache);
		if (ret)
			goto free_entries;
	}
	cache->owner_uid = current_euid();
	cache->owner_gid = current_egid();
	cache->mode = mode;
	cache->user = user;
	cache->created_ns = ktime_get_real_ns();
	strscpy(cache->name, name, sizeof(cache->name));

	/* From here on the kobject owns the cache: release() frees it. */
	cache->kobj.kset = lrucache_caches;
	ret = kobject_init_and_add(&cache->kobj, &lrucache_ktype, NULL, "%s",
				   cache->name);
	if (ret) {
		kobject_put(&cache->kobj);
		return ret;
	}
	kobject_uevent(&cache->kobj, KOBJ_ADD);
	*out = cache;
	return 0;

free_entries:
	lrucache_entries_destroy(cache);
free_pcpu:
	free_percpu(cache->pcpu);
free:
	kfree(cache);
	return ret;
}

/* Creates a cache for the current task, within its quota of caches. */
static int lrucache_create(const char *name,
			   const struct lrucache_params *params,
			   unsigned int flags, struct lrucache **out)
{
	u64 max_entries = params->max_entries ?: lrucache_default_max_entries;
	u64 max_bytes = params->max_bytes ?: lrucache_default_max_bytes;
	u64 interval_ms = params->cleanup_interval_ms ?:
			  LRUCACHE_CLEANUP_INTERVAL_DEFAULT_MS;
	u32 mode = params->mode ?: LRUCACHE_MODE_DEFAULT;
	struct lrucache_user *user;
	int ret;

	if (max_entries > LRUCACHE_MAX_ENTRIES_LIMIT ||
	    params->default_ttl_ms > LRUCACHE_TTL_MAX_MS ||
	    interval_ms < LRUCACHE_CLEANUP_INTERVAL_MIN_MS ||
	    interval_ms > LRUCACHE_CLEANUP_INTERVAL_MAX_MS ||
	    (mode & ~LRUCACHE_MODE_MASK) || !(mode & 0700))
		return -EINVAL;

	user = lrucache_user_get(current_euid());
	if (!user)
		return -ENOMEM;
	if (user->caches >= lrucache_user_max_caches(user)) {
		lrucache_user_put(user);
		return -EDQUOT;
	}
	ret = lrucache_alloc(name, params, flags, max_entries, max_bytes,
			     interval_ms, mode, user, out);
	if (ret) {
		lrucache_user_put(user);
		return ret;
	}
	user->caches++;
	return 0;
}

/**
 * lrucache_open - find a cache by name, or create it
 * @name: the cache name: 1 to 63 characters of [A-Za-z0-9_.-], not
 *	starting with '.'
 * @params: limits for a cache this call creates; NULL or all zero for
 *	module defaults
 *	(and for its cleanup interval: see struct lrucache_params)
 * @flags: LRUCACHE_OPEN_CREATE to create a missing cache,
 *	LRUCACHE_OPEN_EXCL (with CREATE) to fail if it exists,
 *	LRUCACHE_OPEN_NO_METRICS (with CREATE) to keep no event counters,
 *	LRUCACHE_OPEN_MAPPED (with CREATE) to let user space map the cache
 * @out: the cache, with a reference to drop with lrucache_put()
 *
 * Context: Process context. May sleep.
 *
 * Return: 0; -EINVAL for a bad name, flags or limit; -ENOENT if the cache
 * does not exist and CREATE was not given; -EEXIST if it exists and EXCL
 * was given; -ENOMEM; for LRUCACHE_OPEN_MAPPED, -ENOSPC if the map would
 * take the module beyond max_total_bytes and -EOPNOTSUPP on a kernel whose
 * pages are not 4 KiB.
 */
int lrucache_open(const char *name, const struct lrucache_params *params,
		  unsigned int flags, struct lrucache **out)
{
	static const struct lrucache_params defaults;
	struct lrucache *cache;
	int ret = 0;

	might_sleep();

	if (!lrucache_name_valid(name) || (flags & ~LRUCACHE_OPEN_FLAGS) ||
	    ((flags & (LRUCACHE_OPEN_EXCL | LRUCACHE_OPEN_NO_METRICS |
			LRUCACHE_OPEN_MAPPED)) &&
	     !(flags & LRUCACHE_OPEN_CREATE)))
		return -EINVAL;

	mutex_lock(&lrucache_registry_lock);
	cache = lrucache_find(name);
	if (cache) {
		if (flags & LRUCACHE_OPEN_EXCL)
			ret = -EEXIST;
		else
			kobject_get(&cache->kobj);
	} else if (!(flags & LRUCACHE_OPEN_CREATE)) {
		ret = -ENOENT;
	} else {
		ret = lrucache_create(name, params ?: &defaults, flags,
				      &cache);
		if (!ret) {
			/* The registry's reference and the caller's. */
			kobject_get(&cache->kobj);
			list_add_tail(&cache->node, &lrucache_registry);
		}
	}
	mutex_unlock(&lrucache_registry_lock);
	if (!ret)
		*out = cache;
	return ret;
}
EXPORT_SYMBOL_GPL(lrucache_open);

/**
 * lrucache_put - drop a reference taken by lrucache_open()
 * @cache: the cache
 *
 * Context: Process context. May sleep.
 */
void lrucache_put(struct lrucache *cache)
{
	might_sleep();

	kobject_put(&cache->kobj);
}
EXPORT_SYMBOL_GPL(lrucache_put);

/* Unlists a cache; called with the registry lock held. */
static void lrucache_unlist(struct lrucache *cache)
{
	lockdep_assert_held(&lrucache_registry_lock);

	list_del(&cache->node);
	cache->user->caches--;
	/* Remove the sysfs directory now so that the name is free at once. */
	kobject_del(&cache->kobj);
	spin_lock(&cache->lock);
	/* Read without the lock (READ_ONCE()) by the operations' fast paths. */
	WRITE_ONCE(cache->dead, true);
	spin_unlock(&cache->lock);
	lrucache_map_kill(cache);
}

/*
 * The end of a cache once unlisted: its reaper stops, its entries go,
 * its owner's quota record lets go of it and the registry's reference is
 * dropped.
 */
static void lrucache_finish(struct lrucache *cache)
{
	lrucache_stop_reaper(cache);
	lrucache_leases_flush(cache);
	lrucache_flush(cache);
	mutex_lock(&lrucache_registry_lock);
	lrucache_user_put(cache->user);
	mutex_unlock(&lrucache_registry_lock);
	lrucache_put(cache);
}

/**
 * lrucache_destroy - destroy a cache by name
 * @name: the cache name
 *
 * Every entry is freed and every later operation on the cache through a
 * reference still held fails with -EIDRM. The name can be reused at once.
 *
 * Context: Process context. May sleep.
 *
 * Return: 0, -EINVAL for a bad name, or -ENOENT.
 */
int lrucache_destroy(const char *name)
{
	struct lrucache *cache;

	might_sleep();

	if (!lrucache_name_valid(name))
		return -EINVAL;

	mutex_lock(&lrucache_registry_lock);
	cache = lrucache_find(name);
	if (cache)
		lrucache_unlist(cache);
	mutex_unlock(&lrucache_registry_lock);
	if (!cache)
		return -ENOENT;
	lrucache_finish(cache);
	return 0;
}
EXPORT_SYMBOL_GPL(lrucache_destroy);

/*
 * Destroys @cache itself, not whatever cache has its name by now; for a
 * caller that checked its permissions on it.
 *
 * Return: 0, or -ENOENT if it was destroyed already.
 */
int lrucache_destroy_cache(struct lrucache *cache)
{
	bool listed;

	mutex_lock(&lrucache_registry_lock);
	listed = !cache->dead;
	if (listed)
		lrucache_unlist(cache);
	mutex_unlock(&lrucache_registry_lock);
	if (!listed)
		return -ENOENT;
	lrucache_finish(cache);
	return 0;
}

/* Module unload: no file or module holds a cache any more. */
void lrucache_destroy_all(void)
{
	struct lrucache *cache, *tmp;
	LIST_HEAD(doomed);

	mutex_lock(&lrucache_registry_lock);
	list_for_each_entry_safe(cache, tmp, &lrucache_registry, node) {
		lrucache_unlist(cache);
		list_add(&cache->node, &doomed);
	}
	mutex_unlock(&lrucache_registry_lock);

	list_for_each_entry_safe(cache, tmp, &doomed, node)
		lrucache_finish(cache);
}

/*
 * Makes the directory of the caches' directories, caches/ in @parent
 * (/sys/kernel/lrucache, which sysfs.c makes), before any cache exists.
 */
int lrucache_caches_init(struct kobject *parent)
{
	lrucache_caches = kset_create_and_add("caches", NULL, parent);
	return lrucache_caches ? 0 : -ENOMEM;
}

/* Removes it, once every cache has gone. */
void lrucache_caches_exit(void)
{
	kset_unregister(lrucache_caches);
	lrucache_caches = NULL;
}
