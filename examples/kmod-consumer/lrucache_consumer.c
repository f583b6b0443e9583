// SPDX-License-Identifier: GPL-2.0
/*
 * lrucache_consumer: a module that uses lrucache's kernel API.
 *
 * At load it creates the cache "kmod-consumer" (two entries, readable by
 * every user), watches its evictions with a hook, stores three entries,
 * reads them back and checks what the LRU policy and the counters say.
 * Every check that passes counts in the read-only parameter
 * checks_passed; the first that fails is logged and makes the load fail.
 * The cache stays while the module is loaded, so that user space can see
 * what a kernel user stored (`kcachectl get kmod-consumer beta`); unloading
 * destroys it.
 *
 * Build it against the lrucache build's Module.symvers: see Kbuild.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/errno.h>
#include <linux/lrucache.h>
#include <linux/module.h>
#include <linux/string.h>

#define CONSUMER_CACHE	"kmod-consumer"

static unsigned int checks_passed;
module_param(checks_passed, uint, 0444);
MODULE_PARM_DESC(checks_passed, "Checks of the cache's behaviour that passed at load");

static struct lrucache *consumer_cache;
static atomic_t consumer_evictions = ATOMIC_INIT(0);

/* Called in atomic context with the cache's lock held: count only. */
static void consumer_evict(const struct lrucache_event *ev, void *priv)
{
	atomic_inc(&consumer_evictions);
}

static const struct lrucache_hook_ops consumer_hook_ops = {
	.evict = consumer_evict,
};

static struct lrucache_hook consumer_hook = {
	.ops = &consumer_hook_ops,
};

/* Count a check, or log it and say so; @what names the expectation. */
static bool consumer_check(bool ok, const char *what, long long got)
{
	if (!ok) {
		pr_err("check failed: %s (got %lld)\n", what, got);
		return false;
	}
	checks_passed++;
	return true;
}

static int consumer_set(const char *key, const char *value)
{
	return lrucache_set(consumer_cache, key, strlen(key), value,
			    strlen(value), LRUCACHE_TTL_NONE, 0);
}

/* The checks themselves: 0 if all passed, else -EIO. */
static int consumer_run(void)
{
	struct lrucache_stats st;
	char buf[16];
	ssize_t len;
	int ret;

	ret = consumer_set("alpha", "1");
	if (!consumer_check(ret == 0, "set alpha returns 0", ret))
		return -EIO;
	ret = consumer_set("beta", "2");
	if (!consumer_check(ret == 0, "set beta returns 0", ret))
		return -EIO;
	/* Makes alpha the most recently used: beta is the one to go. */
	len = lrucache_get(consumer_cache, "alpha", 5, buf, sizeof(buf));
	if (!consumer_check(len == 1 && buf[0] == '1', "get alpha is \"1\"",
			    len))
		return -EIO;
	ret = consumer_set("gamma", "3");
	if (!consumer_check(ret == 0, "set gamma returns 0", ret))
		return -EIO;
	ret = lrucache_exists(consumer_cache, "beta", 4);
	if (!consumer_check(ret == 0, "beta, least recently used, evicted",
			    ret))
		return -EIO;
	ret = lrucache_exists(consumer_cache, "alpha", 5);
	if (!consumer_check(ret == 1, "alpha kept", ret))
		return -EIO;
	len = lrucache_get(consumer_cache, "beta", 4, buf, sizeof(buf));
	if (!consumer_check(len == -ENOENT, "get beta is -ENOENT", len))
		return -EIO;
	ret = lrucache_delete(consumer_cache, "gamma", 5);
	if (!consumer_check(ret == 0, "delete gamma returns 0", ret))
		return -EIO;
	ret = consumer_set("beta", "2");
	if (!consumer_check(ret == 0, "set beta again returns 0", ret))
		return -EIO;
	if (!consumer_check(atomic_read(&consumer_evictions) == 1,
			    "the hook saw one eviction",
			    atomic_read(&consumer_evictions)))
		return -EIO;
	ret = lrucache_get_stats(consumer_cache, &st);
	if (!consumer_check(ret == 0, "stats return 0", ret))
		return -EIO;
	/* Four sets, one hit, one miss, one eviction, one delete. */
	if (!consumer_check(st.sets == 4 && st.hits == 1 && st.misses == 1 &&
			    st.evictions == 1 && st.deletes == 1 &&
			    st.entries == 2,
			    "counters: 4 sets, 1 hit, 1 miss, 1 eviction, 1 delete, 2 entries",
			    st.sets))
		return -EIO;
	return 0;
}

static int __init consumer_init(void)
{
	struct lrucache_params params = {
		.max_entries = 2,
		.mode = 0744,	/* the owner (root) everything, others read */
	};
	int ret;

	ret = lrucache_open(CONSUMER_CACHE, &params,
			    LRUCACHE_OPEN_CREATE | LRUCACHE_OPEN_EXCL,
			    &consumer_cache);
	if (ret) {
		pr_err("cannot create cache %s: %d\n", CONSUMER_CACHE, ret);
		return ret;
	}
	ret = lrucache_hook_register(consumer_cache, &consumer_hook);
	if (ret) {
		pr_err("cannot register a hook: %d\n", ret);
		goto destroy;
	}
	ret = consumer_run();
	lrucache_hook_unregister(consumer_cache, &consumer_hook);
	if (ret)
		goto destroy;
	pr_info("%u checks passed; cache %s holds alpha and beta\n",
		checks_passed, CONSUMER_CACHE);
	return 0;

destroy:
	lrucache_put(consumer_cache);
	lrucache_destroy(CONSUMER_CACHE);
	return ret;
}

static void __exit consumer_exit(void)
{
	lrucache_put(consumer_cache);
	/* -ENOENT if a user destroyed it meanwhile: nothing left to do. */
	lrucache_destroy(CONSUMER_CACHE);
}

module_init(consumer_init);
module_exit(consumer_exit);

MODULE_DESCRIPTION("Example user of the lrucache kernel API");
MODULE_AUTHOR("lrucache developers");
MODULE_LICENSE("GPL");
