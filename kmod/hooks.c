// SPDX-License-Identifier: GPL-2.0
/*
 * lrucache hooks: callbacks that other kernel modules register on a cache
 * (see struct lrucache_hook_ops), called where each event happens.
 *
 * A listener of events.c, called "now". A cache's hooks sit on an RCU list
 * changed under cache->lock; events walk it under rcu_read_lock() (which
 * lrucache_announce() holds), so unregistering waits for a grace period,
 * after which no callback of the hook is running or will run. Each
 * registered hook keeps the events on (lrucache_events_get()): while no
 * hook is registered anywhere, and nothing else listens, the engine's
 * reports cost a patched-out jump.
 */

#include <linux/rculist.h>

#include "lrucache_internal.h"

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

/* Under rcu_read_lock(), from lrucache_announce(). */
static void lrucache_hooks_now(const struct lrucache_event *ev)
{
	struct lrucache_hook *hook;

	list_for_each_entry_rcu(hook, &ev->cache->hooks, node)
		lrucache_call_hook(hook, ev);
}

static struct lrucache_listener lrucache_hooks_listener = {
	.now = lrucache_hooks_now,
};

/**
 * lrucache_hook_register - call @hook's callbacks for @cache's events
 * @cache: the cache
 * @hook: the hook, ops and priv filled in; it must stay in place, and not
 *	be registered elsewhere, until lrucache_hook_unregister()
 *
 * May sleep.
 *
 * Return: 0, -EINVAL if @hook has no ops, or -EIDRM if the cache was
 * destroyed.
 */
int lrucache_hook_register(struct lrucache *cache, struct lrucache_hook *hook)
{
	int ret = 0;

	might_sleep();
	if (!hook->ops)
		return -EINVAL;
	lrucache_events_get();
	spin_lock(&cache->lock);
	if (cache->dead)
		ret = -EIDRM;
	else
		list_add_tail_rcu(&hook->node, &cache->hooks);
	spin_unlock(&cache->lock);
	if (ret)
		lrucache_events_put();
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
	might_sleep();
	spin_lock(&cache->lock);
	list_del_rcu(&hook->node);
	spin_unlock(&cache->lock);
	synchronize_rcu();
	lrucache_events_put();
}
EXPORT_SYMBOL_GPL(lrucache_hook_unregister);

int lrucache_hooks_init(void)
{
	lrucache_listener_register(&lrucache_hooks_listener);
	return 0;
}

void lrucache_hooks_exit(void)
{
	lrucache_listener_unregister(&lrucache_hooks_listener);
}
