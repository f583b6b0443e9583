// SPDX-License-Identifier: GPL-2.0
/*
 * lrucache event stream: the generic netlink family "lrucache" (see the
 * uapi header for the protocol).
 *
 * A listener of events.c that hears of events later: events.c records
 * each event where it happens, whoever subscribed, and its work item
 * calls lrucache_nl_deliver() in process context, outside every cache
 * lock. There each subscription is matched (its mask, its cache, the read
 * permission of the credentials it subscribed with), and a message built
 * (GFP_KERNEL) and sent, unicast and without waiting, to the subscribed
 * socket. A socket whose receive buffer is full loses the event (the
 * first time netlink also tells it ENOBUFS); while it stays full no
 * message is built for it, so an idle subscriber costs the work item a few
 * comparisons per event and the writers nothing. Lost events are counted
 * and still numbered, so the gaps in a subscription's LRUCACHE_ATTR_SEQ
 * count them exactly; the events that events.c could not record arrive as
 * lost in the same way.
 *
 * Subscriptions sit on a list under lrucache_nl_mutex, which also guards
 * everything in them; it is taken in process context only, by requests,
 * by a socket's release and by the delivering work item, and never with
 * an engine lock held. A uid holds at most max_subscriptions_per_user
 * (params.c) of them (CAP_SYS_ADMIN holds any number).
 */

#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "lrucache_internal.h"

struct lrucache_sub {
	struct list_head node;		/* on lrucache_subs */
	u32 portid;
	struct sock *sk;		/* the subscribed socket, held */
	kuid_t uid;			/* effective ids when subscribing */
	kgid_t gid;
	struct group_info *groups;	/* and supplementary groups */
	bool admin;			/* CAP_SYS_ADMIN when subscribing */
	bool congested;			/* the last message did not fit */
	u32 mask;
	char cache[LRUCACHE_NAME_MAX];	/* "" for every cache */
	u64 epoch;			/* events recorded before: not ours */
	u64 seq;			/* events numbered, sent or lost */
	u64 lost;
};

/* All under lrucache_nl_mutex. */
static DEFINE_MUTEX(lrucache_nl_mutex);
static LIST_HEAD(lrucache_subs);
static struct genl_family lrucache_genl_family;

static struct lrucache_sub *lrucache_sub_find(u32 portid)
{
	struct lrucache_sub *sub;

	lockdep_assert_held(&lrucache_nl_mutex);

	list_for_each_entry(sub, &lrucache_subs, node)
		if (sub->portid == portid)
			return sub;
	return NULL;
}

static unsigned int lrucache_subs_of(kuid_t uid)
{
	struct lrucache_sub *sub;
	unsigned int n = 0;

	lockdep_assert_held(&lrucache_nl_mutex);

	list_for_each_entry(sub, &lrucache_subs, node)
		n += uid_eq(sub->uid, uid);
	return n;
}

/* Whether @sub is to hear of @cache's events (of the types it asked for). */
static bool lrucache_sub_sees(const struct lrucache_sub *sub,
			      const struct lrucache *cache)
{
	if (sub->cache[0] && strcmp(sub->cache, cache->name))
		return false;
	return sub->admin || lrucache_ids_may_read(cache, sub->uid, sub->gid,
						   sub->groups);
}

/*
 * Whether the socket's receive buffer still holds more than it may take
 * (the test netlink itself makes before queueing), after a message that
 * did not fit: then none is built for it.
 */
static bool lrucache_sub_full(struct lrucache_sub *sub)
{
	if (!sub->congested)
		return false;
	if (atomic_read(&sub->sk->sk_rmem_alloc) > READ_ONCE(sub->sk->sk_rcvbuf))
		return true;
	sub->congested = false;
	return false;
}

static struct sk_buff *lrucache_nl_event_msg(const struct lrucache *cache,
					     const struct lrucache_event_rec *rec,
					     u64 seq, u64 lost)
{
	bool with_key = rec->key_len <= LRUCACHE_EVENT_KEY_MAX;
	size_t size = nla_total_size(strlen(cache->name) + 1) +
		      5 * nla_total_size(sizeof(u32)) +
		      2 * nla_total_size_64bit(sizeof(u64)) +
		      (with_key ? nla_total_size(rec->key_len) : 0);
	struct sk_buff *skb;
	void *hdr;

	/* Exactly what the attributes take: subscribers may hold many. */
	skb = genlmsg_new(size, GFP_KERNEL);
	if (!skb)
		return NULL;
	hdr = genlmsg_put(skb, 0, 0, &lrucache_genl_family, 0,
			  LRUCACHE_CMD_EVENT);
	if (!hdr)
		goto fail;
	if (nla_put_string(skb, LRUCACHE_ATTR_CACHE, cache->name) ||
	    nla_put_u32(skb, LRUCACHE_ATTR_TYPE, rec->type) ||
	    nla_put_u32(skb, LRUCACHE_ATTR_KEY_LEN, rec->key_len) ||
	    nla_put_u32(skb, LRUCACHE_ATTR_KEY_HASH, rec->key_hash) ||
	    nla_put_u32(skb, LRUCACHE_ATTR_VALUE_LEN, rec->value_len) ||
	    nla_put_u64_64bit(skb, LRUCACHE_ATTR_SEQ, seq,
			      LRUCACHE_ATTR_PAD) ||
	    nla_put_u64_64bit(skb, LRUCACHE_ATTR_LOST, lost,
			      LRUCACHE_ATTR_PAD))
		goto fail;
	if (with_key && nla_put(skb, LRUCACHE_ATTR_KEY, rec->key_len, rec->key))
		goto fail;
	if (rec->age_s >= 0 &&
	    nla_put_u32(skb, LRUCACHE_ATTR_AGE_S,
			min_t(s64, rec->age_s, U32_MAX)))
		goto fail;
	genlmsg_end(skb, hdr);
	return skb;

fail:
	nlmsg_free(skb);
	return NULL;
}

/* Numbers the event for @sub and sends it, or counts it lost. */
static void lrucache_sub_send(struct lrucache_sub *sub,
			      const struct lrucache *cache,
			      const struct lrucache_event_rec *rec)
{
	struct sk_buff *skb;

	sub->seq++;
	if (lrucache_sub_full(sub))
		goto lost;
	skb = lrucache_nl_event_msg(cache, rec, sub->seq, sub->lost);
	if (!skb)
		goto lost;
	/* Full receive buffer (netlink then tells the socket), or gone. */
	if (genlmsg_unicast(&init_net, skb, sub->portid)) {
		sub->congested = true;
		goto lost;
	}
	return;

lost:
	sub->lost++;
}

/* Events of the types in @mask in @b. */
static u64 lrucache_batch_count(const struct lrucache_event_batch *b,
				u32 mask)
{
	u64 n = 0;
	u32 type;

	for (type = 1; type <= LRUCACHE_EVENT_MAX; type++)
		if (mask & LRUCACHE_EVENT_BIT(type))
			n += b->count[type];
	return n;
}

/*
 * From events.c's work item: a batch of one cache's recorded events, to
 * each subscription, in order. Whether a subscription may see the cache,
 * and whether a subscriber that does not read still has a full receive
 * buffer, is decided once per batch: such a subscriber loses the batch's
 * events of its types in one sum. Otherwise each event takes a mask test
 * and a message.
 */
static void lrucache_nl_deliver(const struct lrucache_event_batch *b)
{
	const struct lrucache_event_rec *rec;
	struct lrucache_sub *sub;
	unsigned int i;
	u64 n;

	mutex_lock(&lrucache_nl_mutex);
	list_for_each_entry(sub, &lrucache_subs, node) {
		if (!lrucache_sub_sees(sub, b->cache))
			continue;
		if (sub->epoch <= b->min_epoch && lrucache_sub_full(sub)) {
			n = lrucache_batch_count(b, sub->mask);
			sub->seq += n;
			sub->lost += n;
			continue;
		}
		for (i = 0; i < b->n; i++) {
			rec = b->rec[i];
			if (!(sub->mask & LRUCACHE_EVENT_BIT(rec->type)))
				continue;
			if (rec->lost) {	/* never recorded: lost to all */
				sub->seq += rec->lost;
				sub->lost += rec->lost;
			} else if (rec->epoch >= sub->epoch) {
				lrucache_sub_send(sub, b->cache, rec);
			}
		}
		cond_resched();
	}
	mutex_unlock(&lrucache_nl_mutex);
}

static struct lrucache_listener lrucache_nl_listener = {
	.deliver = lrucache_nl_deliver,
};

/* Records the event types some subscription wants, and only those. */
static void lrucache_nl_remask(void)
{
	struct lrucache_sub *sub;
	u32 mask = 0;

	lockdep_assert_held(&lrucache_nl_mutex);

	list_for_each_entry(sub, &lrucache_subs, node)
		mask |= sub->mask;
	lrucache_listener_want(&lrucache_nl_listener, mask);
}

static void lrucache_sub_free(struct lrucache_sub *sub)
{
	if (sub->sk)
		sock_put(sub->sk);
	if (sub->groups)
		put_group_info(sub->groups);
	kfree(sub);
}

/* Ends @portid's subscription, if any. Process context. */
static bool lrucache_sub_remove(u32 portid)
{
	struct lrucache_sub *sub;

	mutex_lock(&lrucache_nl_mutex);
	sub = lrucache_sub_find(portid);
	if (sub) {
		list_del(&sub->node);
		lrucache_nl_remask();
	}
	mutex_unlock(&lrucache_nl_mutex);
	if (!sub)
		return false;
	lrucache_sub_free(sub);
	lrucache_events_put();
	return true;
}

/*
 * A socket subscribing again keeps its subscription, sequence numbers and
 * losses; what it asks for and the credentials it asks with are new.
 */
static void lrucache_sub_renew(struct lrucache_sub *old,
			       struct lrucache_sub *sub)
{
	swap(old->uid, sub->uid);
	swap(old->gid, sub->gid);
	swap(old->groups, sub->groups);
	swap(old->admin, sub->admin);
	swap(old->mask, sub->mask);
	memcpy(old->cache, sub->cache, sizeof(old->cache));
}

static int lrucache_nl_subscribe(struct sk_buff *skb, struct genl_info *info)
{
	struct lrucache_sub *sub, *old;
	struct lrucache *cache;
	int ret = 0;

	sub = kzalloc_obj(*sub, GFP_KERNEL_ACCOUNT);
	if (!sub)
		return -ENOMEM;
	sub->portid = info->snd_portid;
	sub->uid = current_euid();
	sub->gid = current_egid();
	sub->groups = get_current_groups();
	sub->admin = capable(CAP_SYS_ADMIN);
	sub->mask = LRUCACHE_EVENT_ALL;
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

	mutex_lock(&lrucache_nl_mutex);
	old = lrucache_sub_find(sub->portid);
	if (old && uid_eq(old->uid, sub->uid)) {
		lrucache_sub_renew(old, sub);
	} else if (!sub->admin &&
		   lrucache_subs_of(sub->uid) >=
		   READ_ONCE(lrucache_max_subs_per_user)) {
		/* A socket passed to another uid counts against that uid. */
		ret = -EDQUOT;
	} else if (old) {
		lrucache_sub_renew(old, sub);
	} else {
		/* The requesting socket: held for lrucache_sub_full(). */
		sub->sk = NETLINK_CB(skb).sk;
		sock_hold(sub->sk);
		lrucache_events_get();
		/* Nothing recorded before this point is for it. */
		sub->epoch = lrucache_events_epoch_next();
		list_add_tail(&sub->node, &lrucache_subs);
		sub = NULL;
	}
	if (!ret)
		lrucache_nl_remask();
	mutex_unlock(&lrucache_nl_mutex);

free:
	if (sub)	/* refused, or what a renewal replaced */
		lrucache_sub_free(sub);
	return ret;
}

static int lrucache_nl_unsubscribe(struct sk_buff *skb,
				   struct genl_info *info)
{
	return lrucache_sub_remove(info->snd_portid) ? 0 : -ENOENT;
}

/* A closed socket ends its subscription (a blocking notifier). */
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

	lrucache_listener_register(&lrucache_nl_listener);
	ret = netlink_register_notifier(&lrucache_nl_notifier);
	if (ret)
		goto unlisten;
	ret = genl_register_family(&lrucache_genl_family);
	if (ret)
		goto unnotify;
	return 0;

unnotify:
	netlink_unregister_notifier(&lrucache_nl_notifier);
unlisten:
	lrucache_listener_unregister(&lrucache_nl_listener);
	return ret;
}

void lrucache_netlink_exit(void)
{
	struct lrucache_sub *sub, *tmp;

	/* No request and no release of ours runs after these two. */
	genl_unregister_family(&lrucache_genl_family);
	netlink_unregister_notifier(&lrucache_nl_notifier);
	/* Nor a delivery after this one. */
	lrucache_listener_unregister(&lrucache_nl_listener);
	list_for_each_entry_safe(sub, tmp, &lrucache_subs, node) {
		list_del(&sub->node);
		lrucache_sub_free(sub);
		lrucache_events_put();
	}
}
