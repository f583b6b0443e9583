// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libkcache-tier: read-through, write-through and delete-through between
 * an lrucache cache (through libkcache's public API only) and a backend
 * (redis.c, memcached.c).
 *
 * The fence
 *   For Redis the kernel cache is only used while the host's agent
 *   (lrucache-tierd) is connected: its state file says so and carries a
 *   heartbeat. Without a connected agent, or with a heartbeat older than
 *   the agent's fence_ms, reads go to the backend and store nothing
 *   (bypass_reads). The agent clears the kernel cache at every loss and
 *   again at every connection, before it reports itself connected, and
 *   bumps the state's epoch both times.
 *
 * The fill path
 *   A fill is: token <- fill_begin(key); read the backend; fill_commit(
 *   token, value). The commit must store nothing if, since the token was
 *   taken, the key was invalidated (by the agent, or by a write-through or
 *   delete-through of any process on this host) or the agent's epoch
 *   moved. The proper primitive is a kernel lease (a get that grants a
 *   fill token on a miss, a set that succeeds only while the token is
 *   valid; any delete of the key, present or not, revokes it): the kernel
 *   then decides atomically. Until libkcache has it, the token is built
 *   here from the state file:
 *     - every invalidation, the agent's or a process's, first bumps the
 *       key's slot in state->slot_seq, then deletes the key from the
 *       kernel cache;
 *     - fill_begin reads the epoch and the slot; fill_commit compares both
 *       before kcache_set() (refused if they moved) and again after it
 *       (the value is deleted again if they moved meanwhile).
 *   The check after the set closes the persistent race (an old value
 *   staying in the cache); what it cannot close is the instant between
 *   the set and that second check, during which another reader on this
 *   host may read the old value once. Documentation/lrucache/tier.rst
 *   ("No stale fill") says so; the kernel lease removes that instant.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kcache_tier.h"
#include "backend.h"
#include "tier_state.h"

/* The first published struct kcache_tier_options ends with state_dir. */
#define TIER_OPTS_SZ_V1 (offsetof(struct kcache_tier_options, state_dir) + \
			 sizeof(const char *))
/* How often a tier without a usable state file looks for it again. */
#define STATE_RETRY_MS	1000

struct kcache_tier {
	struct kcache *c;
	int backend;
	uint32_t flags;
	uint64_t max_ttl_ms;
	struct tier_backend *be;
	pthread_mutex_t lock;		/* be and error */

	char state_path[4096], apps_path[4096];
	pthread_mutex_t state_lock;	/* shared, apps, next_try */
	struct tier_state *shared;	/* the agent's .state, read-only */
	struct tier_state *apps;	/* the .apps file, if writable */
	uint64_t next_try_ms;
	/* Slots of this handle's writes where .apps cannot be written. */
	struct tier_state *local;

	void (*fill_hook)(void *arg, const void *key, size_t klen);
	void *fill_hook_arg;

	struct kcache_tier_stats st;	/* this handle's, __atomic */
	char error[256];
};

struct fill_tok {
	bool ok;
	uint64_t epoch;
	uint64_t seq;
	unsigned int slot;
	uint64_t t0_ms;
};

static void count(struct kcache_tier *t, uint64_t *mine, size_t shared_off)
{
	struct tier_state *a = __atomic_load_n(&t->apps, __ATOMIC_ACQUIRE);

	__atomic_add_fetch(mine, 1, __ATOMIC_RELAXED);
	if (a)
		tier_add((uint64_t *)((char *)a + shared_off), 1);
}

#define COUNT(t, field) \
	count((t), &(t)->st.field, offsetof(struct tier_state, field))

/* Map the agent's state file if it exists and the last try is old enough. */
static struct tier_state *state_of(struct kcache_tier *t, uint64_t now)
{
	struct tier_state *s;

	s = __atomic_load_n(&t->shared, __ATOMIC_ACQUIRE);
	if (s && tier_state_usable(s, now))
		return s;
	if (now < __atomic_load_n(&t->next_try_ms, __ATOMIC_RELAXED))
		return s;
	pthread_mutex_lock(&t->state_lock);
	/*
	 * The agent keeps its file (a restarted agent maps the same one), so
	 * a mapping once made stays the right one: only a tier that has none
	 * yet looks again, at most once per STATE_RETRY_MS.
	 */
	if (!t->shared && now >= t->next_try_ms) {
		struct tier_state *a;

		t->next_try_ms = now + STATE_RETRY_MS;
		if (tier_state_map(t->state_path, false, &s))
			s = NULL;
		/* The counters and slots of the processes, if we may. */
		if (s && !tier_state_map(t->apps_path, true, &a))
			__atomic_store_n(&t->apps, a, __ATOMIC_RELEASE);
		if (s)
			__atomic_store_n(&t->shared, s, __ATOMIC_RELEASE);
	}
	s = t->shared;
	pthread_mutex_unlock(&t->state_lock);
	return s;
}

/* May the kernel cache be used now? */
static bool l1_usable(struct kcache_tier *t)
{
	struct tier_state *s;
	uint64_t now;

	if (t->backend == KCACHE_TIER_MEMCACHED ||
	    (t->flags & KCACHE_TIER_NO_AGENT))
		return true;
	now = tier_now_ms();
	s = state_of(t, now);
	return s && tier_state_usable(s, now);
}

/*
 * The slot's token: the agent's invalidations, the processes' writes
 * (.apps) and this handle's own where it cannot write .apps.
 */
static uint64_t slot_token(struct kcache_tier *t, unsigned int slot)
{
	struct tier_state *s = __atomic_load_n(&t->shared, __ATOMIC_ACQUIRE);
	struct tier_state *a = __atomic_load_n(&t->apps, __ATOMIC_ACQUIRE);
	uint64_t v = tier_load(&t->local->slot_seq[slot]);

	if (s)
		v += tier_load(&s->slot_seq[slot]);
	if (a)
		v += tier_load(&a->slot_seq[slot]);
	return v;
}

static uint64_t epoch_of(struct kcache_tier *t)
{
	return t->shared ? tier_load(&t->shared->epoch) : 0;
}

/*
 * Drop a key from the kernel cache after a write of it: the slot first,
 * so that a fill that read the old value and has not stored it yet is
 * refused, and one that has stored it is undone by its own second check
 * or by this delete.
 */
static void invalidate_local(struct kcache_tier *t, const void *key,
			     size_t klen)
{
	struct tier_state *a = __atomic_load_n(&t->apps, __ATOMIC_ACQUIRE);
	unsigned int slot = tier_slot(key, klen);

	tier_add(a ? &a->slot_seq[slot] : &t->local->slot_seq[slot], 1);
	kcache_delete(t->c, key, klen);
}

static void fill_begin(struct kcache_tier *t, const void *key, size_t klen,
		       struct fill_tok *tok)
{
	tok->epoch = epoch_of(t);
	tok->ok = l1_usable(t);
	tok->slot = tier_slot(key, klen);
	tok->seq = slot_token(t, tok->slot);
	tok->t0_ms = tier_now_ms();
}

static bool tok_valid(struct kcache_tier *t, const struct fill_tok *tok)
{
	return epoch_of(t) == tok->epoch &&
	       slot_token(t, tok->slot) == tok->seq;
}

/* The L1 TTL of a value read at tok->t0_ms: 0 means do not store it. */
static uint64_t fill_ttl(struct kcache_tier *t, const struct fill_tok *tok,
			 int64_t pttl_ms)
{
	uint64_t ttl = t->max_ttl_ms, spent;

	if (pttl_ms == 0)
		return 0;		/* expired since */
	if (pttl_ms > 0) {
		/* PTTL counts from the server's reply: take our time off. */
		spent = tier_now_ms() - tok->t0_ms;
		if ((uint64_t)pttl_ms <= spent)
			return 0;
		if ((uint64_t)pttl_ms - spent < ttl)
			ttl = (uint64_t)pttl_ms - spent;
	}
	return ttl;
}

static void fill_commit(struct kcache_tier *t, const struct fill_tok *tok,
			const void *key, size_t klen, const struct tier_val *v)
{
	uint64_t ttl;

	if (!tok->ok || v->status)
		return;
	ttl = fill_ttl(t, tok, v->pttl_ms);
	if (!ttl)
		return;
	if (!l1_usable(t) || !tok_valid(t, tok)) {
		COUNT(t, fill_refusals);
		return;
	}
	if (kcache_set(t->c, key, klen, v->data, v->len, ttl))
		return;			/* too large for the cache, ... */
	if (!tok_valid(t, tok)) {
		kcache_delete(t->c, key, klen);
		COUNT(t, fill_refusals);
		return;
	}
	COUNT(t, fills);
}

static void keep_error(struct kcache_tier *t)
{
	snprintf(t->error, sizeof(t->error), "%s", t->be->error);
}

/* Read @n keys from the backend and fill the kernel cache with them. */
static int read_through(struct kcache_tier *t, size_t n,
			const void *const *keys, const size_t *klens,
			struct tier_val *vals)
{
	struct fill_tok *tok = calloc(n, sizeof(*tok));
	size_t i;
	int err;

	if (!tok)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		fill_begin(t, keys[i], klens[i], &tok[i]);
	pthread_mutex_lock(&t->lock);
	err = t->be->ops->mget(t->be, n, keys, klens, vals);
	for (i = 0; !err && i < n; i++)
		if (vals[i].status && vals[i].status != -ENOENT)
			break;
	if (err || i < n)
		keep_error(t);
	pthread_mutex_unlock(&t->lock);
	if (err) {
		COUNT(t, backend_errors);
		free(tok);
		return err;
	}
	for (i = 0; i < n; i++) {
		COUNT(t, backend_reads);
		if (vals[i].status && vals[i].status != -ENOENT) {
			COUNT(t, backend_errors);
			continue;
		}
		if (t->fill_hook && !vals[i].status)
			t->fill_hook(t->fill_hook_arg, keys[i], klens[i]);
		fill_commit(t, &tok[i], keys[i], klens[i], &vals[i]);
	}
	free(tok);
	return 0;
}

ssize_t kcache_tier_get(struct kcache_tier *t, const void *key, size_t klen,
			void *buf, size_t buflen)
{
	struct tier_val v;
	ssize_t n;
	int err;

	if (!t || !key || !klen || (!buf && buflen))
		return -EINVAL;
	if (l1_usable(t)) {
		n = kcache_get(t->c, key, klen, buf, buflen);
		if (n >= 0) {
			__atomic_add_fetch(&t->st.hits, 1, __ATOMIC_RELAXED);
			return n;
		}
		if (n != -ENOENT)
			return n;
	} else {
		COUNT(t, bypass_reads);
	}
	err = read_through(t, 1, &key, &klen, &v);
	if (err)
		return err;
	if (v.status) {
		err = v.status;
	} else {
		if (v.len && v.len <= buflen)
			memcpy(buf, v.data, v.len);
		n = (ssize_t)v.len;
	}
	tier_val_free(&v, 1);
	return err ? err : n;
}

ssize_t kcache_tier_mget(struct kcache_tier *t, struct kcache_item *items,
			 size_t n)
{
	const void **keys = NULL;
	struct tier_val *vals = NULL;
	size_t *klens = NULL, *idx = NULL, miss = 0, i;
	ssize_t found = 0, r;
	int err = 0;

	if (!t || (!items && n))
		return -EINVAL;
	if (!n)
		return 0;
	if (l1_usable(t)) {
		r = kcache_get_many(t->c, items, n);
		if (r < 0)
			return r;
	} else {
		for (i = 0; i < n; i++) {
			items[i].status = -ENOENT;
			COUNT(t, bypass_reads);
		}
	}
	keys = calloc(n, sizeof(*keys));
	klens = calloc(n, sizeof(*klens));
	idx = calloc(n, sizeof(*idx));
	vals = calloc(n, sizeof(*vals));
	if (!keys || !klens || !idx || !vals) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (items[i].status >= 0) {
			__atomic_add_fetch(&t->st.hits, 1, __ATOMIC_RELAXED);
			continue;
		}
		if (items[i].status != -ENOENT)
			continue;
		keys[miss] = items[i].key;
		klens[miss] = items[i].key_len;
		idx[miss++] = i;
	}
	if (miss) {
		err = read_through(t, miss, keys, klens, vals);
		if (err)
			goto out;
	}
	for (i = 0; i < miss; i++) {
		struct kcache_item *it = &items[idx[i]];

		if (vals[i].status) {
			it->status = vals[i].status;
			continue;
		}
		if (vals[i].len <= it->value_len && vals[i].len)
			memcpy(it->value, vals[i].data, vals[i].len);
		it->status = (int)vals[i].len;
	}
	for (i = 0; i < n; i++)
		if (items[i].status >= 0)
			found++;
out:
	if (vals)
		tier_val_free(vals, miss);
	free(vals);
	free(keys);
	free(klens);
	free(idx);
	return err ? err : found;
}

int kcache_tier_set(struct kcache_tier *t, const void *key, size_t klen,
		    const void *val, size_t vlen, uint64_t ttl_ms)
{
	int err;

	if (!t || !key || !klen || (!val && vlen) || !ttl_ms ||
	    ttl_ms == KCACHE_TTL_DEFAULT)
		return -EINVAL;
	if (ttl_ms == KCACHE_TTL_NONE)
		ttl_ms = 0;
	pthread_mutex_lock(&t->lock);
	err = t->be->ops->set(t->be, key, klen, val ? val : "", vlen, ttl_ms);
	if (err)
		keep_error(t);
	pthread_mutex_unlock(&t->lock);
	/*
	 * Even after a failure: a timed out write may have been applied.
	 * A bad key (-EINVAL) reached no server.
	 */
	if (err != -EINVAL)
		invalidate_local(t, key, klen);
	if (err)
		COUNT(t, backend_errors);
	else
		COUNT(t, writes);
	return err;
}

int kcache_tier_delete(struct kcache_tier *t, const void *key, size_t klen)
{
	int err;

	if (!t || !key || !klen)
		return -EINVAL;
	pthread_mutex_lock(&t->lock);
	err = t->be->ops->del(t->be, key, klen);
	if (err && err != -ENOENT)
		keep_error(t);
	pthread_mutex_unlock(&t->lock);
	if (err != -EINVAL)
		invalidate_local(t, key, klen);
	if (err && err != -ENOENT)
		COUNT(t, backend_errors);
	else
		COUNT(t, deletes);
	return err;
}

int kcache_tier_get_stats(struct kcache_tier *t, struct kcache_tier_stats *s)
{
	struct tier_state *sh;
	size_t i;

	if (!t || !s)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	for (i = 0; i < offsetof(struct kcache_tier_stats, usable) /
			sizeof(uint64_t); i++)
		((uint64_t *)s)[i] = __atomic_load_n(&((uint64_t *)&t->st)[i],
						     __ATOMIC_RELAXED);
	s->usable = l1_usable(t);
	sh = t->shared;
	if (sh) {
		s->agent_state = tier_load(&sh->agent_state);
		s->epoch = tier_load(&sh->epoch);
		s->invalidations = tier_load(&sh->invalidations);
	}
	return 0;
}

const char *kcache_tier_last_error(struct kcache_tier *t)
{
	return t ? t->error : "";
}

void tier_val_free(struct tier_val *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].data);
		v[i].data = NULL;
	}
}

static int check_opts(const struct kcache_tier_options *o)
{
	const unsigned char *p = (const unsigned char *)o;
	size_t i;

	if (o->sz < TIER_OPTS_SZ_V1)
		return -EINVAL;
	for (i = sizeof(*o); i < o->sz; i++)
		if (p[i])
			return -EINVAL;
	if (o->backend < KCACHE_TIER_REDIS ||
	    o->backend > KCACHE_TIER_MEMCACHED ||
	    (o->flags & ~KCACHE_TIER_NO_AGENT) || o->reserved || !o->servers ||
	    o->max_ttl_ms > KCACHE_TTL_MAX_MS)
		return -EINVAL;
	return 0;
}

int kcache_tier_open(struct kcache *c, const struct kcache_tier_options *opts,
		     struct kcache_tier **out)
{
	struct kcache_tier_options o = { .sz = sizeof(o) };
	struct tier_state_snapshot snap;
	struct kcache_tier *t;
	const char *dir;
	char msg[256] = "";
	int err;

	if (!c || !out || !kcache_name(c) || !*kcache_name(c))
		return -EINVAL;
	if (opts) {
		if (opts->sz < TIER_OPTS_SZ_V1)
			return -EINVAL;
		memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
		err = check_opts(opts);
		if (err)
			return err;
		o.sz = sizeof(o);
	}
	dir = tier_state_dir(o.state_dir);
	if (!opts) {
		/* What the cache's agent publishes. */
		err = tier_state_read_name(dir, kcache_name(c), &snap);
		if (err)
			return err == -EBADMSG ? -EINVAL : err;
		o.backend = (int)snap.s.backend;
		o.servers = snap.s.servers;
		o.max_ttl_ms = snap.s.max_ttl_ms;
		if (o.backend < KCACHE_TIER_REDIS ||
		    o.backend > KCACHE_TIER_MEMCACHED)
			return -EINVAL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->local = calloc(1, sizeof(*t->local));
	if (!t->local) {
		free(t);
		return -ENOMEM;
	}
	t->c = c;
	t->backend = o.backend;
	t->flags = o.flags;
	t->max_ttl_ms = o.max_ttl_ms ? o.max_ttl_ms :
			KCACHE_TIER_MAX_TTL_DEFAULT_MS;
	t->fill_hook = o.fill_hook;
	t->fill_hook_arg = o.fill_hook_arg;
	pthread_mutex_init(&t->lock, NULL);
	pthread_mutex_init(&t->state_lock, NULL);
	err = tier_state_path(dir, kcache_name(c), NULL, t->state_path,
			      sizeof(t->state_path));
	if (!err)
		err = tier_state_path(dir, kcache_name(c), TIER_APPS_SUFFIX,
				      t->apps_path, sizeof(t->apps_path));
	if (err)
		goto fail;
	if (!o.timeout_ms)
		o.timeout_ms = KCACHE_TIER_TIMEOUT_DEFAULT_MS;
	if (o.backend == KCACHE_TIER_MEMCACHED)
		err = tier_memcached_open(o.servers, o.timeout_ms, &t->be,
					  msg, sizeof(msg));
	else
		err = tier_redis_open(o.servers,
				      o.backend == KCACHE_TIER_REDIS_CLUSTER,
				      o.timeout_ms, &t->be, msg, sizeof(msg));
	if (err)
		goto fail;
	/* Map the state file now if there is one (readers then need not). */
	state_of(t, tier_now_ms());
	*out = t;
	return 0;
fail:
	pthread_mutex_destroy(&t->lock);
	pthread_mutex_destroy(&t->state_lock);
	free(t->local);
	free(t);
	return err;
}

void kcache_tier_close(struct kcache_tier *t)
{
	if (!t)
		return;
	t->be->ops->close(t->be);
	tier_state_unmap(t->shared);
	tier_state_unmap(t->apps);
	pthread_mutex_destroy(&t->lock);
	pthread_mutex_destroy(&t->state_lock);
	free(t->local);
	free(t);
}
