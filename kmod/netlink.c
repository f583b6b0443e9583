// SPDX-License-Identifier: GPL-2.0
/*
 * lrucache event stream: the generic netlink family "lrucache" (see the
 * uapi header for the protocol).
 *
 * Events happen in atomic context, often under a cache's spinlock, where
 * sending on a socket is not allowed. So an event that a subscriber wants
 * is turned into a message (GFP_ATOMIC) and queued; a work item sends the
 * queue in process context. A subscriber has at most
 * LRUCACHE_NL_QUEUE_MAX messages waiting; beyond that, and when its
 * socket's receive buffer is full, its events are lost and counted, and
 * its sequence numbers show the gap.
 *
 * Subscribers sit on an RCU list changed under lrucache_nl_lock (which
 * also guards the send queue). A static key is on while any subscriber
 * exists: without one, an event costs a patched-out jump. It is a
 * deferred key because a closing socket ends its subscription from an
 * atomic notifier, where the key cannot be patched at once.
 */

#include <linux/cred.h>
#include <linux/jhash.h>
#include <linux/jump_label_ratelimit.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>

#include "lrucache_internal.h"

/* Most messages waiting for one subscriber before its events are lost. */
#define LRUCACHE_NL_QUEUE_MAX	4096

struct lrucache_sub {
	struct list_head node;		/* RCU, under lrucache_nl_lock */
	u32 portid;
	kuid_t uid;			/* effective ids when subscribing */
	kgid_t gid;
	struct group_info *groups;	/* and supplementary groups */
	bool admin;			/* CAP_SYS_ADMIN when subscribing */
	u32 mask;
	char cache[LRUCACHE_NAME_MAX];	/* "" for every cache */
	u64 seq;			/* under lrucache_nl_lock */
	atomic64_t lost;
	unsigned int queued;		/* under lrucache_nl_lock */
	bool gone;			/* unlisted; under lrucache_nl_lock */
	struct rcu_head rcu;
};

DEFINE_STATIC_KEY_DEFERRED_FALSE(lrucache_nl_on, HZ);
static LIST_HEAD(lrucache_subs);
static DEFINE_SPINLOCK(lrucache_nl_lock);
static struct sk_buff_head lrucache_nl_queue;
static struct genl_family lrucache_genl_family;

static void lrucache_nl_send(struct work_struct *work);
static DECLARE_WORK(lrucache_nl_work, lrucache_nl_send);

static struct lrucache_sub *lrucache_sub_find(u32 portid)
{
	struct lrucache_sub *sub;

	list_for_each_entry_rcu(sub, &lrucache_subs, node,
				lockdep_is_held(&lrucache_nl_lock))
		if (sub->portid == portid)
			return sub;
	return NULL;
}

static bool lrucache_sub_wants(const struct lrucache_sub *sub,
			       const struct lrucache *cache, u32 type)
{
	if (!(sub->mask & LRUCACHE_EVENT_BIT(type)))
		return false;
	if (sub->cache[0] && strcmp(sub->cache, cache->name))
		return false;
	return sub->admin || lrucache_ids_may_read(cache, sub->uid, sub->gid,
						   sub->groups);
}

static struct sk_buff *lrucache_nl_event_msg(const struct lrucache *cache,
					     u32 type, const void *key,
					     u32 key_len, u32 value_len,
					     s64 age_s, u64 seq, u64 lost)
{
	size_t size = nla_total_size(strlen(cache->name) + 1) +
		      5 * nla_total_size(sizeof(u32)) +
		      2 * nla_total_size_64bit(sizeof(u64)) +
		      (key_len <= LRUCACHE_EVENT_KEY_MAX ?
		       nla_total_size(key_len) : 0);
	struct sk_buff *skb;
	void *hdr;

	/* Exactly what the attributes take: subscribers may hold many. */
	skb = genlmsg_new(size, GFP_ATOMIC);
	if (!skb)
		return NULL;
	hdr = genlmsg_put(skb, 0, 0, &lrucache_genl_family, 0,
			  LRUCACHE_CMD_EVENT);
	if (!hdr)
		goto fail;
	if (nla_put_string(skb, LRUCACHE_ATTR_CACHE, cache->name) ||
	    nla_put_u32(skb, LRUCACHE_ATTR_TYPE, type) ||
	    nla_put_u32(skb, LRUCACHE_ATTR_KEY_LEN, key_len) ||
	    nla_put_u32(skb, LRUCACHE_ATTR_KEY_HASH, jhash(key, key_len, 0)) ||
	    nla_put_u32(skb, LRUCACHE_ATTR_VALUE_LEN, value_len) ||
	    nla_put_u64_64bit(skb, LRUCACHE_ATTR_SEQ, seq,
			      LRUCACHE_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, LRUCACHE_ATTR_LOST, lost,
			      LRUCACHE_ATTR_PAD))
		goto fail;
	if (key_len <= LRUCACHE_EVENT_KEY_MAX &&
	    nla_put(skb, LRUCACHE_ATTR_KEY, key_len, key))
		goto fail;
	if (age_s >= 0 && nla_put_u32(skb, LRUCACHE_ATTR_AGE_S,
				      min_t(s64, age_s, U32_MAX)))
		goto fail;
	genlmsg_end(skb, hdr);
	return skb;

fail:
	nlmsg_free(skb);
	return NULL;
}

/*
 * Queues the event for every subscriber that wants it. @age_s is negative
 * when there is no entry (a miss). Atomic context.
 */
void lrucache_nl_event(struct lrucache *cache, u32 type, const void *key,
		       u32 key_len, u32 value_len, s64 age_s)
{
	struct lrucache_sub *sub;
	struct sk_buff *skb;
	bool kick = false;
	unsigned long flags;

	rcu_read_lock();
	list_for_each_entry_rcu(sub, &lrucache_subs, node) {
		if (!lrucache_sub_wants(sub, cache, type))
			continue;
		spin_lock_irqsave(&lrucache_nl_lock, flags);
		if (sub->gone) {	/* replaced or removed meanwhile */
			spin_unlock_irqrestore(&lrucache_nl_lock, flags);
			continue;
		}
		sub->seq++;
		if (sub->queued >= LRUCACHE_NL_QUEUE_MAX) {
			atomic64_inc(&sub->lost);
			skb = NULL;
		} else {
			skb = lrucache_nl_event_msg(cache, type, key, key_len,
						    value_len, age_s, sub->seq,
						    atomic64_read(&sub->lost));
			if (!skb) {
				atomic64_inc(&sub->lost);
			} else {
				/* Borrowed to carry the destination. */
				NETLINK_CB(skb).portid = sub->portid;
				__skb_queue_tail(&lrucache_nl_queue, skb);
				sub->queued++;
				kick = true;
			}
		}
		spin_unlock_irqrestore(&lrucache_nl_lock, flags);
	}
	rcu_read_unlock();
	if (kick)
		queue_work(system_dfl_wq, &lrucache_nl_work);
}

static void lrucache_nl_send(struct work_struct *work)
{
	struct lrucache_sub *sub;
	struct sk_buff *skb;
	unsigned long flags;
	u32 portid;
	int ret;

	for (;;) {
		spin_lock_irqsave(&lrucache_nl_lock, flags);
		skb = __skb_dequeue(&lrucache_nl_queue);
		if (skb) {
			portid = NETLINK_CB(skb).portid;
			/* Back to what it means: the sender, the kernel. */
			NETLINK_CB(skb).portid = 0;
			sub = lrucache_sub_find(portid);
			if (sub)
				sub->queued--;
		}
		spin_unlock_irqrestore(&lrucache_nl_lock, flags);
		if (!skb)
			break;
		if (!sub) {		/* purged on unsubscribe: cannot be */
			kfree_skb(skb);
			continue;
		}
		ret = genlmsg_unicast(&init_net, skb, portid);
		if (ret) {
			/* Full receive buffer, or a socket going away. */
			rcu_read_lock();
			sub = lrucache_sub_find(portid);
			if (sub)
				atomic64_inc(&sub->lost);
			rcu_read_unlock();
		}
		cond_resched();
	}
}

static void lrucache_sub_free(struct lrucache_sub *sub)
{
	if (sub->groups)
		put_group_info(sub->groups);
	kfree(sub);
}

static void lrucache_sub_free_rcu(struct rcu_head *head)
{
	lrucache_sub_free(container_of(head, struct lrucache_sub, rcu));
}

/*
 * Removes @portid's subscription, if any, and the messages still queued
 * for it, so that a later socket given the same port id gets none of
 * them. Atomic context allowed.
 */
static bool lrucache_sub_remove(u32 portid)
{
	struct sk_buff *skb, *tmp;
	struct sk_buff_head doomed;
	struct lrucache_sub *sub;
	unsigned long flags;

	__skb_queue_head_init(&doomed);
	spin_lock_irqsave(&lrucache_nl_lock, flags);
	sub = lrucache_sub_find(portid);
	if (sub) {
		sub->gone = true;
		list_del_rcu(&sub->node);
		skb_queue_walk_safe(&lrucache_nl_queue, skb, tmp) {
			if (NETLINK_CB(skb).portid != portid)
				continue;
			__skb_unlink(skb, &lrucache_nl_queue);
			__skb_queue_tail(&doomed, skb);
		}
	}
	spin_unlock_irqrestore(&lrucache_nl_lock, flags);
	__skb_queue_purge(&doomed);
	if (!sub)
		return false;
	call_rcu(&sub->rcu, lrucache_sub_free_rcu);
	static_branch_slow_dec_deferred(&lrucache_nl_on);
	return true;
}

static int lrucache_nl_subscribe(struct sk_buff *skb, struct genl_info *info)
{
	struct lrucache_sub *sub, *old;
	struct lrucache *cache;
	unsigned long flags;
	int ret;

	sub = kzalloc_obj(*sub, GFP_KERNEL_ACCOUNT);
	if (!sub)
		return -ENOMEM;
	sub->portid = info->snd_portid;
	sub->uid = current_euid();
	sub->gid = current_egid();
	sub->groups = get_current_groups();
	sub->admin = capable(CAP_SYS_ADMIN);
	sub->mask = LRUCACHE_EVENT_ALL;
	atomic64_set(&sub->lost, 0);
	if (info->attrs[LRUCACHE_ATTR_EVENTS]) {
		sub->mask = nla_get_u32(info->attrs[LRUCACHE_ATTR_EVENTS]);
		if (!sub->mask || (sub->mask & ~LRUCACHE_EVENT_ALL)) {
			ret = -EINVAL;
			goto free;
		}
	}
	if (info->attrs[LRUCACHE_ATTR_CACHE]) {
		nla_strscpy(sub->cache, info->attrs[LRUCACHE_ATTR_CACHE],
			    sizeof(sub->cache));
		ret = lrucache_open(sub->cache, NULL, 0, &cache);
		if (ret)
			goto free;
		ret = lrucache_permission(cache, LRUCACHE_PERM_READ);
		lrucache_put(cache);
		if (ret)
			goto free;
	}

	static_branch_deferred_inc(&lrucache_nl_on);
	spin_lock_irqsave(&lrucache_nl_lock, flags);
	old = lrucache_sub_find(sub->portid);
	if (old) {
		/*
		 * The same socket: its queued messages stay and its numbering
		 * goes on, so gaps still mean lost events. Events take this
		 * lock to count, so nothing moves while it is copied.
		 */
		sub->queued = old->queued;
		sub->seq = old->seq;
		atomic64_set(&sub->lost, atomic64_read(&old->lost));
		old->gone = true;
		list_replace_rcu(&old->node, &sub->node);
	} else {
		list_add_tail_rcu(&sub->node, &lrucache_subs);
	}
	spin_unlock_irqrestore(&lrucache_nl_lock, flags);
	if (old) {
		call_rcu(&old->rcu, lrucache_sub_free_rcu);
		static_branch_slow_dec_deferred(&lrucache_nl_on);
	}
	return 0;

free:
	lrucache_sub_free(sub);
	return ret;
}

static int lrucache_nl_unsubscribe(struct sk_buff *skb,
				   struct genl_info *info)
{
	return lrucache_sub_remove(info->snd_portid) ? 0 : -ENOENT;
}

/* A closed socket ends its subscription. */
static int lrucache_nl_notify(struct notifier_block *nb, unsigned long event,
			      void *ptr)
{
	struct netlink_notify *n = ptr;

	if (event == NETLINK_URELEASE && n->protocol == NETLINK_GENERIC &&
	    net_eq(n->net, &init_net))
		lrucache_sub_remove(n->portid);
	return NOTIFY_DONE;
}

static struct notifier_block lrucache_nl_notifier = {
	.notifier_call = lrucache_nl_notify,
};

static const struct nla_policy lrucache_nl_policy[LRUCACHE_ATTR_MAX + 1] = {
	[LRUCACHE_ATTR_CACHE]	= { .type = NLA_NUL_STRING,
				    .len = LRUCACHE_NAME_MAX - 1 },
	[LRUCACHE_ATTR_EVENTS]	= { .type = NLA_U32 },
};

static const struct genl_small_ops lrucache_nl_ops[] = {
	{
		.cmd	= LRUCACHE_CMD_SUBSCRIBE,
		.doit	= lrucache_nl_subscribe,
	},
	{
		.cmd	= LRUCACHE_CMD_UNSUBSCRIBE,
		.doit	= lrucache_nl_unsubscribe,
	},
};

static struct genl_family lrucache_genl_family __ro_after_init = {
	.name		= LRUCACHE_GENL_NAME,
	.version	= LRUCACHE_GENL_VERSION,
	.maxattr	= LRUCACHE_ATTR_MAX,
	.policy		= lrucache_nl_policy,
	.module		= THIS_MODULE,
	.small_ops	= lrucache_nl_ops,
	.n_small_ops	= ARRAY_SIZE(lrucache_nl_ops),
	/* 0: every command gets strict validation (reserved header too). */
	.resv_start_op	= 0,
};

int lrucache_netlink_init(void)
{
	int ret;

	skb_queue_head_init(&lrucache_nl_queue);
	ret = netlink_register_notifier(&lrucache_nl_notifier);
	if (ret)
		return ret;
	ret = genl_register_family(&lrucache_genl_family);
	if (ret)
		netlink_unregister_notifier(&lrucache_nl_notifier);
	return ret;
}

void lrucache_netlink_exit(void)
{
	struct lrucache_sub *sub, *tmp;

	genl_unregister_family(&lrucache_genl_family);
	netlink_unregister_notifier(&lrucache_nl_notifier);
	/* No cache is left to report events: drop what is pending. */
	flush_work(&lrucache_nl_work);
	skb_queue_purge(&lrucache_nl_queue);
	list_for_each_entry_safe(sub, tmp, &lrucache_subs, node) {
		list_del(&sub->node);
		lrucache_sub_free(sub);
		static_branch_slow_dec_deferred(&lrucache_nl_on);
	}
	static_key_deferred_flush(&lrucache_nl_on);
	rcu_barrier();		/* the call_rcu() frees above */
}
