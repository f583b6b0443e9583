// SPDX-License-Identifier: GPL-2.0
/*
 * lrucache events: the tracepoints' definitions and the hooks kernel
 * modules register on a cache (see struct lrucache_hook_ops).
 *
 * A cache's hooks sit on an RCU list changed under cache->lock; events
 * walk it under rcu_read_lock(), so unregistering waits for a grace
 * period, after which no callback of the hook is running or will run.
 * A static key stays off while no hook is registered anywhere, so the
 * hot paths then pay a patched-out jump and nothing more, as they do for
 * disabled tracepoints.
 */

#include <linux/jump_label.h>
#include <linux/rculist.h>

#include "lrucache_internal.h"

#define CREATE_TRACE_POINTS
#include "lrucache_trace.h"

DEFINE_STATIC_KEY_FALSE(lrucache_hooks_on);

/**
 * lrucache_hook_register - call @hook's callbacks for @cache's events
 * @cache: the cache
 * @hook: the hook, ops and priv filled in; it must stay in place, and not
 *	be registered elsewhere, until lrucache_hook_unregister()
 *
 * Return: 0, -EINVAL if @hook has no ops, or -EIDRM if the cache was
 * destroyed.
 */
int lrucache_hook_register(struct lrucache *cache, struct lrucache_hook *hook)
{
	int ret = 0;

	if (!hook->ops)
		return -EINVAL;
	static_branch_inc(&lrucache_hooks_on);
	spin_lock(&cache->lock);
	if (cache->dead)
		ret = -EIDRM;
	else
		list_add_tail_rcu(&hook->node, &cache->hooks);
	spin_unlock(&cache->lock);
	if (ret)
		static_branch_dec(&lrucache_hooks_on);
	return ret;
}
EXPORT_SYMBOL_GPL(lrucache_hook_register);

/**
 * lrucache_hook_unregister - stop a hook
 * @cache: the cache it was registered on
 * @hook: the hook
 *
 * Waits until no callback of @hook runs; the caller may then free it.
 * May sleep.
 */
void lrucache_hook_unregister(struct lrucache *cache,
			      struct lrucache_hook *hook)
{
	spin_lock(&cache->lock);
	list_del_rcu(&hook->node);
	spin_unlock(&cache->lock);
	synchronize_rcu();
	static_branch_dec(&lrucache_hooks_on);
}
EXPORT_SYMBOL_GPL(lrucache_hook_unregister);

static void lrucache_call_hook(const struct lrucache_hook *hook,
			       const struct lrucache_event *ev)
{
	const struct lrucache_hook_ops *ops = hook->ops;
	void (*fn)(const struct lrucache_event *ev, void *priv);

	switch (ev->type) {
	case LRUCACHE_EVENT_HIT:
		fn = ops->hit;
		break;
	case LRUCACHE_EVENT_MISS:
		fn = ops->miss;
		break;
	case LRUCACHE_EVENT_SET:
		fn = ops->set;
		break;
	case LRUCACHE_EVENT_DELETE:
		fn = ops->del;
		break;
	case LRUCACHE_EVENT_EVICT:
		fn = ops->evict;
		break;
	case LRUCACHE_EVENT_EXPIRE:
		fn = ops->expire;
		break;
	default:
		fn = ops->reclaim;
		break;
	}
	if (fn)
		fn(ev, hook->priv);
}

void lrucache_run_hooks(struct lrucache *cache, u32 type, const void *key,
			u32 key_len, u32 value_len)
{
	struct lrucache_event ev = {
		.cache = cache,
		.type = type,
		.key = key,
		.key_len = key_len,
		.value_len = value_len,
	};
	struct lrucache_hook *hook;

	rcu_read_lock();
	list_for_each_entry_rcu(hook, &cache->hooks, node)
		lrucache_call_hook(hook, &ev);
	rcu_read_unlock();
}
