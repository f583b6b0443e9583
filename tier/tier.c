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
 *   A fill is: lease <- kcache_get_lease(key) (the miss that grants it);
 *   read the backend; kcache_set_leased(key, value, lease). The kernel
 *   refuses the set (-ESTALE, nothing stored) if, since the lease was
 *   granted, the key was written or deleted (deleted even when absent)
 *   or the cache cleared: by the agent applying an invalidation, by a
 *   write-through or delete-through of any process of the host, or by
 *   the agent's clear at a fence. The check and the store are one step
 *   under the cache's lock, so a value read before an invalidation is
 *   never in the cache after it, not even for an instant (tier.rst, "No
 *   stale fill"). A fill that holds no lease stores nothing: the tier was
 *   fenced, another thread or process of the host holds the key's lease
 *   (it fills the key; this reader returns what it read), or the
 *   kernel's bound on leases was reached. Without leases (a module
 *   older than libkcache 1.10's, or a handle that may not write the
 *   cache) the tier serves hits and stores nothing.
 *
 *   The epoch needs no check of its own: the agent clears the cache
 *   whenever it bumps it while the cache can still be filled (fence,
 *   connection, FLUSHALL), and a clear revokes every lease granted before
 *   it. The commit still refuses a fill when the tier is fenced by then.
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
/*
 * How long a fill's lease lasts: longer than any backend read, retries and
 * the wait for the backend's mutex included, so that a slow read is not
 * refused for a lease that ran out. A lease outliving its need costs
 * nothing: the fill ends it, and its holder's exit too (its file closes).
 */
#define FILL_LEASE_MS	60000

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
	/* The module has no leases, or the handle may not write: no fills. */
	bool no_lease;

	void (*fill_hook)(void *arg, const void *key, size_t klen);
	void *fill_hook_arg;

	struct kcache_tier_stats st;	/* this handle's, __atomic */
	char error[256];
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
		/* The counters of the processes, if we may. */
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
 * Drop a key from the kernel cache after a write of it. The delete, of a
 * present key or an absent one, also revokes the key's lease: a fill of
 * any process of the host that read the old value stores nothing.
 */
static void invalidate_local(struct kcache_tier *t, const void *key,
			     size_t klen)
{
	kcache_delete(t->c, key, klen);
}

/*
 * The kernel cache's side of a read: a hit's length, or -ENOENT and in
 * *@token the lease to fill the key with (0: none, store nothing), or
 * another -errno.
 */
static ssize_t l1_get(struct kcache_tier *t, const void *key, size_t klen,
		      void *buf, size_t buflen, uint64_t *token)
{
	struct kcache_lease l;
	ssize_t n;

	*token = 0;
	if (!__atomic_load_n(&t->no_lease, __ATOMIC_RELAXED)) {
		n = kcache_get_lease(t->c, key, klen, buf, buflen,
				     FILL_LEASE_MS, 0, &l);
		if (n == -ENOENT && (l.status & KCACHE_LEASE_GRANTED))
			*token = l.token;
		/* A miss the kernel could not make a lease for. */
		if (n == -ENOMEM)
			return -ENOENT;
		if (n != -EINVAL && n != -EACCES)
			return n;
		/*
		 * Valid arguments, so a module without leases, or a handle
		 * without write permission: hits only from now on.
		 */
		__atomic_store_n(&t->no_lease, true, __ATOMIC_RELAXED);
	}
	return kcache_get(t->c, key, klen, buf, buflen);
}

/* The L1 TTL of a value read at @t0_ms: 0 means do not store it. */
static uint64_t fill_ttl(struct kcache_tier *t, uint64_t t0_ms,
			 int64_t pttl_ms)
{
	uint64_t ttl = t->max_ttl_ms, spent;

	if (pttl_ms == 0)
		return 0;		/* expired since */
	if (pttl_ms > 0) {
		/* PTTL counts from the server's reply: take our time off. */
		spent = tier_now_ms() - t0_ms;
		if ((uint64_t)pttl_ms <= spent)
			return 0;
		if ((uint64_t)pttl_ms - spent < ttl)
			ttl = (uint64_t)pttl_ms - spent;
	}
	return ttl;
}

/*
 * Store what a fill read, if its lease still holds; end the lease either
 * way (the others may then be granted the key).
 */
static void fill_commit(struct kcache_tier *t, uint64_t token, uint64_t t0_ms,
			const void *key, size_t klen, const struct tier_val *v)
{
	uint64_t ttl = 0;
	int err;

	if (!token)
		return;
	if (!v->status)
		ttl = fill_ttl(t, t0_ms, v->pttl_ms);
	if (!ttl) {
		/* No such key, a failed read, or about to expire. */
		kcache_lease_release(t->c, key, klen, token);
		return;
	}
	if (!l1_usable(t)) {
		/* Fenced since the lease was granted. */
		kcache_lease_release(t->c, key, klen, token);
		COUNT(t, fill_refusals);
		return;
	}
	err = kcache_set_leased(t->c, key, klen, v->data, v->len, ttl, token);
	if (!err) {
		COUNT(t, fills);
	} else if (err == -ESTALE) {
		/* Written, invalidated or cleared since: a stale fill. */
		COUNT(t, fill_refusals);
	} else {
		/*
		 * Too large for the cache, ...: the kernel ends the lease
		 * whatever the outcome, unless the call never reached it.
		 */
		kcache_lease_release(t->c, key, klen, token);
	}
}

static void keep_error(struct kcache_tier *t)
{
	snprintf(t->error, sizeof(t->error), "%s", t->be->error);
}

/*
 * Read @n keys from the backend and fill the kernel cache with those whose
 * lease (@tokens[i], 0 for none) still holds.
 */
static int read_through(struct kcache_tier *t, size_t n,
			const void *const *keys, const size_t *klens,
			const uint64_t *tokens, struct tier_val *vals)
{
	uint64_t t0_ms = tier_now_ms();
	size_t i;
	int err;

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
		for (i = 0; i < n; i++)
			if (tokens[i])
				kcache_lease_release(t->c, keys[i], klens[i],
						     tokens[i]);
		return err;
	}
	for (i = 0; i < n; i++) {
		COUNT(t, backend_reads);
		if (vals[i].status && vals[i].status != -ENOENT)
			COUNT(t, backend_errors);
		else if (t->fill_hook && !vals[i].status)
			t->fill_hook(t->fill_hook_arg, keys[i], klens[i]);
		fill_commit(t, tokens[i], t0_ms, keys[i], klens[i], &vals[i]);
	}
	return 0;
}

ssize_t kcache_tier_get(struct kcache_tier *t, const void *key, size_t klen,
			void *buf, size_t buflen)
{
	uint64_t token = 0;
	struct tier_val v;
	ssize_t n;
	int err;

	if (!t || !key || !klen || (!buf && buflen))
		return -EINVAL;
	if (l1_usable(t)) {
		n = l1_get(t, key, klen, buf, buflen, &token);
		if (n >= 0) {
			__atomic_add_fetch(&t->st.hits, 1, __ATOMIC_RELAXED);
			return n;
		}
		if (n != -ENOENT)
			return n;
	} else {
		COUNT(t, bypass_reads);
	}
	err = read_through(t, 1, &key, &klen, &token, &v);
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

/*
 * The misses of a kcache_get_many(): looked at again one by one with a
 * lease (a value may have been filled meanwhile: a hit then). Returns
 * how many are left to read from the backend, with their leases.
 */
/* Lease gets per kernel batch: struct lrucache_op is 88 bytes. */
#define MGET_CHUNK	64

/*
 * kcache_tier_mget()'s kernel lookups as lease gets in batches: a miss
 * takes the key's fill lease in the same operation (@itok[i], 0 if
 * none), so each key is looked up, and counted, once. Returns 0; 1 if
 * the module has no leases or the handle may not take them (then every
 * valid lookup is refused alike, and no lease was granted: the caller
 * looks up without leases); or a negative errno.
 */
static int l1_lease_gets(struct kcache_tier *t, struct kcache_item *items,
			 size_t n, uint64_t *itok)
{
	struct lrucache_op ops[MGET_CHUNK];
	size_t done, m, i;
	int r, res;

	for (done = 0; done < n; done += m) {
		m = n - done < MGET_CHUNK ? n - done : MGET_CHUNK;
		memset(ops, 0, m * sizeof(ops[0]));
		for (i = 0; i < m; i++) {
			const struct kcache_item *it = &items[done + i];

			ops[i].opcode = LRUCACHE_OP_GET;
			ops[i].flags = LRUCACHE_GET_LEASE;
			ops[i].ttl_ms = FILL_LEASE_MS;
			ops[i].key = (uintptr_t)it->key;
			ops[i].key_len = (uint32_t)it->key_len;
			ops[i].value = (uintptr_t)it->value;
			ops[i].value_len = (uint32_t)it->value_len;
			/* Lengths the uapi cannot carry: as kcache_get(). */
			if (!it->key || it->key_len != ops[i].key_len ||
			    it->value_len > UINT32_MAX)
				ops[i].opcode = 0;
		}
		r = kcache_batch_raw(t->c, ops, (unsigned int)m);
		if (r < 0)
			return r;
		for (i = 0; i < m; i++) {
			struct kcache_item *it = &items[done + i];

			res = ops[i].opcode ? ops[i].result : -EINVAL;
			itok[done + i] = 0;
			if (ops[i].opcode && it->key_len &&
			    (res == -EINVAL || res == -EACCES)) {
				/*
				 * A valid lookup refused: a module without
				 * leases, or no write permission. Hits only
				 * from now on, as l1_get() decides.
				 */
				__atomic_store_n(&t->no_lease, true,
						 __ATOMIC_RELAXED);
				return 1;
			}
			if (res == -ENOENT &&
			    (ops[i].status & LRUCACHE_STATUS_LEASE))
				itok[done + i] = ops[i].lease;
			/* A miss the kernel could not make a lease for. */
			it->status = res == -ENOMEM ? -ENOENT : res;
		}
	}
	return 0;
}

static size_t l1_lease_misses(struct kcache_tier *t, struct kcache_item *items,
			      size_t n, bool l1, const uint64_t *itok,
			      const void **keys, size_t *klens,
			      uint64_t *tokens, size_t *idx)
{
	size_t miss = 0, i;
	ssize_t r;

	for (i = 0; i < n; i++) {
		struct kcache_item *it = &items[i];

		tokens[miss] = itok ? itok[i] : 0;
		if (it->status == -ENOENT && l1 && !itok) {
			r = l1_get(t, it->key, it->key_len, it->value,
				   it->value_len, &tokens[miss]);
			it->status = (int)r;	/* a value length fits */
		}
		if (it->status >= 0) {
			__atomic_add_fetch(&t->st.hits, 1, __ATOMIC_RELAXED);
			continue;
		}
		if (it->status != -ENOENT)
			continue;
		keys[miss] = it->key;
		klens[miss] = it->key_len;
		idx[miss++] = i;
	}
	return miss;
}

ssize_t kcache_tier_mget(struct kcache_tier *t, struct kcache_item *items,
			 size_t n)
{
	const void **keys = NULL;
	struct tier_val *vals = NULL;
	size_t *klens = NULL, *idx = NULL, miss = 0, i;
	uint64_t *tokens = NULL, *itok = NULL;
	ssize_t found = 0, r;
	bool l1, leased = false;
	int err = 0;

	if (!t || (!items && n))
		return -EINVAL;
	if (!n)
		return 0;
	keys = calloc(n, sizeof(*keys));
	klens = calloc(n, sizeof(*klens));
	idx = calloc(n, sizeof(*idx));
	tokens = calloc(n, sizeof(*tokens));
	vals = calloc(n, sizeof(*vals));
	itok = calloc(n, sizeof(*itok));
	if (!keys || !klens || !idx || !tokens || !vals || !itok) {
		err = -ENOMEM;
		goto out;
	}
	l1 = l1_usable(t);
	if (l1 && !__atomic_load_n(&t->no_lease, __ATOMIC_RELAXED)) {
		/* Lease gets in batches: hits, and misses with their leases. */
		err = l1_lease_gets(t, items, n, itok);
		if (err < 0)
			goto out;
		leased = !err;
		err = 0;
	}
	if (l1 && !leased) {
		/* One batch for the hits. */
		r = kcache_get_many(t->c, items, n);
		if (r < 0) {
			err = (int)r;
			goto out;
		}
	} else if (!l1) {
		for (i = 0; i < n; i++) {
			items[i].status = -ENOENT;
			COUNT(t, bypass_reads);
		}
	}
	miss = l1_lease_misses(t, items, n, l1, leased ? itok : NULL, keys,
			       klens, tokens, idx);
	if (miss) {
		err = read_through(t, miss, keys, klens, tokens, vals);
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
	free(itok);
	free(tokens);
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
	free(t);
}
