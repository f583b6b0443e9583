// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libkcache: each public function is one ioctl on /dev/lrucache, but for
 * kcache_list() and kcache_get_totals(), which read the module's sysfs
 * directory (world-readable, unlike the device's per-cache figures).
 *
 * The kernel validates everything it can see; this file only checks what
 * cannot reach it intact (NULL handles, lengths beyond the ABI's 32-bit
 * fields, names beyond the 64-byte field) and maps the device's absence to
 * -ENODEV. Nothing here is global: a handle is an fd and a copy of the name,
 * both read-only after kcache_open(), so handles are safe to share between
 * threads (see kcache.h). The event hooks of a handle, and their netlink
 * socket, live in events.c.
 */
#define _GNU_SOURCE		/* secure_getenv() */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "kcache_internal.h"

/* The structures with a reserved tail keep their size as fields are added. */
_Static_assert(sizeof(struct kcache_metrics) == 32 * sizeof(uint64_t),
	       "struct kcache_metrics changed size");
_Static_assert(sizeof(struct kcache_reap_result) == 8 * sizeof(uint64_t),
	       "struct kcache_reap_result changed size");
_Static_assert(sizeof(struct kcache_totals) == 32 * sizeof(uint64_t),
	       "struct kcache_totals changed size");

/* The first published struct kcache_options ends with its flags. */
#define KCACHE_OPTS_SZ_V1 \
	(offsetof(struct kcache_options, flags) + sizeof(uint32_t))

static int do_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

static int open_device(void)
{
	const char *path = secure_getenv("KCACHE_DEVICE");
	int fd;

	if (!path || !*path)
		path = KCACHE_DEVICE_PATH;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	/*
	 * No node, or a node whose driver is gone: either way the module is
	 * not loaded. Report it as -ENODEV so that callers can tell it from
	 * the -ENOENT of a missing cache or key.
	 */
	if (errno == ENOENT || errno == ENXIO || errno == ENODEV)
		return -ENODEV;
	return -errno;
}

/* Copy @name into the ABI's zero-padded, NUL-terminated name field. */
static int put_name(char dst[LRUCACHE_NAME_MAX], const char *name)
{
	size_t len;

	if (!name)
		return -EINVAL;
	len = strnlen(name, LRUCACHE_NAME_MAX);
	if (len >= LRUCACHE_NAME_MAX)
		return -EINVAL;
	memset(dst, 0, LRUCACHE_NAME_MAX);
	memcpy(dst, name, len);
	return 0;
}

/*
 * Read the caller's options, whatever version of the structure it was
 * built with: shorter is fine if it holds the first version's fields,
 * longer is fine if the bytes this library does not know are zero.
 */
static int get_options(const struct kcache_options *uopts,
		       struct kcache_options *opts)
{
	size_t sz = uopts->sz;

	if (sz < KCACHE_OPTS_SZ_V1)
		return -EINVAL;
	if (sz > sizeof(*opts)) {
		const unsigned char *tail = (const unsigned char *)uopts;
		size_t i;

		for (i = sizeof(*opts); i < sz; i++)
			if (tail[i])
				return -EINVAL;
		sz = sizeof(*opts);
	}
	memset(opts, 0, sizeof(*opts));
	memcpy(opts, uopts, sz);
	if ((opts->flags & ~(KCACHE_OPEN_EXCL | KCACHE_OPEN_NO_METRICS)) ||
	    opts->reserved || opts->reserved2)
		return -EINVAL;
	return 0;
}

int kcache_open(const char *name, const struct kcache_options *uopts,
		struct kcache **out)
{
	struct lrucache_open arg;
	struct kcache_options opts;
	struct kcache *c;
	int err;

	if (!out)
		return -EINVAL;
	memset(&arg, 0, sizeof(arg));
	err = put_name(arg.name, name);
	if (err)
		return err;
	if (uopts) {
		err = get_options(uopts, &opts);
		if (err)
			return err;
		arg.flags = LRUCACHE_OPEN_CREATE;
		if (opts.flags & KCACHE_OPEN_EXCL)
			arg.flags |= LRUCACHE_OPEN_EXCL;
		if (opts.flags & KCACHE_OPEN_NO_METRICS)
			arg.flags |= LRUCACHE_OPEN_NO_METRICS;
		arg.max_entries = opts.max_size;
		arg.max_bytes = opts.max_memory_bytes;
		arg.default_ttl_ms = opts.default_ttl_ms;
		arg.cleanup_interval_ms = opts.cleanup_interval_ms;
		arg.mode = opts.mode;
	}

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	memcpy(c->name, arg.name, sizeof(c->name));

	c->fd = open_device();
	if (c->fd < 0) {
		err = c->fd;
		goto err_free;
	}
	err = do_ioctl(c->fd, LRUCACHE_IOC_OPEN, &arg);
	/*
	 * The only bytes of the argument a module older than the reaper does
	 * not know are cleanup_interval_ms: it answers -E2BIG when they are
	 * not zero. Report that as the limit it cannot take, the way it
	 * reports a flag it does not know.
	 */
	if (err == -E2BIG && (arg.cleanup_interval_ms || arg.mode))
		err = -EINVAL;
	if (err < 0)
		goto err_close;

	*out = c;
	return 0;

err_close:
	close(c->fd);
err_free:
	free(c);
	return err;
}

void kcache_close(struct kcache *c)
{
	if (!c)
		return;
	kcache_events_free(c);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

int kcache_destroy(const char *name)
{
	struct lrucache_destroy arg;
	int fd, err;

	memset(&arg, 0, sizeof(arg));
	err = put_name(arg.name, name);
	if (err)
		return err;
	fd = open_device();
	if (fd < 0)
		return fd;
	err = do_ioctl(fd, LRUCACHE_IOC_DESTROY, &arg);
	close(fd);
	return err < 0 ? err : 0;
}

/* One struct lrucache_kv operation; lengths checked against the ABI only. */
static int kv_ioctl(struct kcache *c, unsigned long cmd,
		    const void *key, size_t klen, const void *val, size_t vlen,
		    uint64_t ttl_ms, uint32_t flags)
{
	struct lrucache_kv kv;

	if (!c)
		return -EINVAL;
	if (klen > UINT32_MAX || vlen > UINT32_MAX)
		return -E2BIG;
	memset(&kv, 0, sizeof(kv));
	kv.key = (uintptr_t)key;
	kv.key_len = (uint32_t)klen;
	kv.value = (uintptr_t)val;
	kv.value_len = (uint32_t)vlen;
	kv.ttl_ms = ttl_ms;
	kv.flags = flags;
	return do_ioctl(c->fd, cmd, &kv);
}

int kcache_set(struct kcache *c, const void *key, size_t klen,
	       const void *val, size_t vlen, uint64_t ttl_ms)
{
	return kv_ioctl(c, LRUCACHE_IOC_SET, key, klen, val, vlen, ttl_ms, 0);
}

int kcache_add(struct kcache *c, const void *key, size_t klen,
	       const void *val, size_t vlen, uint64_t ttl_ms)
{
	return kv_ioctl(c, LRUCACHE_IOC_SET, key, klen, val, vlen, ttl_ms,
			LRUCACHE_SET_NX);
}

int kcache_replace(struct kcache *c, const void *key, size_t klen,
		   const void *val, size_t vlen, uint64_t ttl_ms)
{
	return kv_ioctl(c, LRUCACHE_IOC_SET, key, klen, val, vlen, ttl_ms,
			LRUCACHE_SET_XX);
}

ssize_t kcache_get(struct kcache *c, const void *key, size_t klen,
		   void *buf, size_t buflen)
{
	/*
	 * No value can be 4 GiB long, so a larger buffer can be described as
	 * a 4 GiB one without changing the outcome.
	 */
	if (buflen > UINT32_MAX)
		buflen = UINT32_MAX;
	return kv_ioctl(c, LRUCACHE_IOC_GET, key, klen, buf, buflen, 0, 0);
}

int kcache_exists(struct kcache *c, const void *key, size_t klen)
{
	return kv_ioctl(c, LRUCACHE_IOC_EXISTS, key, klen, NULL, 0, 0, 0);
}

int kcache_delete(struct kcache *c, const void *key, size_t klen)
{
	return kv_ioctl(c, LRUCACHE_IOC_DELETE, key, klen, NULL, 0, 0, 0);
}

/* The commands that take no argument: CLEAR and RESET_STATS. */
static int noarg_ioctl(struct kcache *c, unsigned long cmd)
{
	if (!c)
		return -EINVAL;
	return ioctl(c->fd, cmd) < 0 ? -errno : 0;
}

int kcache_clear(struct kcache *c)
{
	return noarg_ioctl(c, LRUCACHE_IOC_CLEAR);
}

int kcache_get_metrics(struct kcache *c, struct kcache_metrics *m)
{
	struct lrucache_stats st;
	uint64_t lookups;
	int err;

	if (!c || !m)
		return -EINVAL;
	memset(&st, 0, sizeof(st));
	err = do_ioctl(c->fd, LRUCACHE_IOC_STATS, &st);
	if (err < 0)
		return err;

	memset(m, 0, sizeof(*m));
	m->hits = st.hits;
	m->misses = st.misses;
	lookups = st.hits + st.misses;
	m->hit_rate = lookups ? (double)st.hits / (double)lookups : 0.0;
	m->sets = st.sets;
	m->deletes = st.deletes;
	m->evictions = st.evictions;
	m->expirations = st.expirations;
	m->entries = st.entries;
	m->bytes = st.bytes;
	m->max_entries = st.max_entries;
	m->max_bytes = st.max_bytes;
	m->default_ttl_ms = st.default_ttl_ms;
	m->entry_overhead = st.entry_overhead;
	/* An older module zeroes the tail it does not know: these read 0. */
	m->reaped = st.reaped;
	m->reclaimed = st.reclaimed;
	m->reaper_runs = st.reaper_runs;
	m->reaper_ns = st.reaper_ns;
	m->expiring = st.expiring;
	return 0;
}

int kcache_reset_metrics(struct kcache *c)
{
	return noarg_ioctl(c, LRUCACHE_IOC_RESET_STATS);
}

int kcache_health_check(struct kcache *c, struct kcache_health *h)
{
	struct lrucache_health kh;
	int err;

	if (!c || !h)
		return -EINVAL;
	memset(&kh, 0, sizeof(kh));
	err = do_ioctl(c->fd, LRUCACHE_IOC_HEALTH, &kh);
	if (err < 0)
		return err;

	memset(h, 0, sizeof(*h));
	switch (kh.status) {
	case LRUCACHE_HEALTHY:
		h->status = KCACHE_HEALTHY;
		break;
	case LRUCACHE_DEGRADED:
		h->status = KCACHE_DEGRADED;
		break;
	default:
		h->status = KCACHE_UNHEALTHY;
		break;
	}
	if (kh.reasons & LRUCACHE_HEALTH_MEMORY_HIGH)
		h->reasons |= KCACHE_HEALTH_MEMORY_HIGH;
	if (kh.reasons & LRUCACHE_HEALTH_HIT_RATE_LOW)
		h->reasons |= KCACHE_HEALTH_HIT_RATE_LOW;
	if (kh.reasons & LRUCACHE_HEALTH_REAPER_BEHIND)
		h->reasons |= KCACHE_HEALTH_REAPER_BEHIND;
	h->memory_pct = kh.memory_pct;
	h->hit_rate_pct = kh.hit_rate_pct;
	return 0;
}

const char *kcache_health_status_name(int status)
{
	switch (status) {
	case KCACHE_HEALTHY:
		return "healthy";
	case KCACHE_DEGRADED:
		return "degraded";
	case KCACHE_UNHEALTHY:
		return "unhealthy";
	default:
		return "unknown";
	}
}

int kcache_get_info(struct kcache *c, struct kcache_info *info)
{
	struct lrucache_info ki;
	int err;

	if (!c || !info)
		return -EINVAL;
	memset(&ki, 0, sizeof(ki));
	err = do_ioctl(c->fd, LRUCACHE_IOC_INFO, &ki);
	if (err < 0)
		return err;

	memset(info, 0, sizeof(*info));
	/* The kernel NUL-terminates; do not rely on it beyond the field. */
	memcpy(info->name, ki.name, sizeof(info->name) - 1);
	info->max_entries = ki.max_entries;
	info->max_bytes = ki.max_bytes;
	info->default_ttl_ms = ki.default_ttl_ms;
	info->entry_overhead = ki.entry_overhead;
	info->created_ns = ki.created_ns;
	info->owner_uid = ki.owner_uid;
	info->owner_gid = ki.owner_gid;
	info->metrics_enabled = !!(ki.flags & LRUCACHE_INFO_METRICS);
	info->cleanup_interval_ms = ki.cleanup_interval_ms;
	info->mode = ki.mode;
	return 0;
}

int kcache_reap(struct kcache *c, unsigned int flags,
		struct kcache_reap_result *res)
{
	struct lrucache_reap arg;
	int err;

	if (!c || (flags & ~KCACHE_REAP_FULL_SCAN))
		return -EINVAL;
	memset(&arg, 0, sizeof(arg));
	if (flags & KCACHE_REAP_FULL_SCAN)
		arg.flags |= LRUCACHE_REAP_FULL_SCAN;
	err = do_ioctl(c->fd, LRUCACHE_IOC_REAP, &arg);
	if (err < 0)
		return err;
	if (res) {
		memset(res, 0, sizeof(*res));
		res->freed = arg.freed;
		res->visited = arg.visited;
		res->elapsed_ns = arg.elapsed_ns;
	}
	return 0;
}

int kcache_cleanup_expired(struct kcache *c)
{
	struct kcache_reap_result res;
	int err = kcache_reap(c, 0, &res);

	if (err)
		return err;
	/* A cache holds at most 1 << 24 entries; clamp all the same. */
	return res.freed > INT_MAX ? INT_MAX : (int)res.freed;
}

int kcache_batch_raw(struct kcache *c, struct lrucache_op *ops, unsigned int n)
{
	struct lrucache_batch batch;

	if (!c)
		return -EINVAL;
	memset(&batch, 0, sizeof(batch));
	batch.ops = (uintptr_t)ops;
	batch.count = n;
	batch.op_size = sizeof(*ops);
	return do_ioctl(c->fd, LRUCACHE_IOC_BATCH, &batch);
}

/*
 * Batches. Every operation is described to the kernel exactly as its single
 * command would be. A length beyond the ABI's 32-bit fields is passed as
 * UINT32_MAX: for a key or a value to store, that is beyond any limit the
 * module accepts (its ceilings are far lower), so the kernel answers -E2BIG
 * for that operation alone, as kcache_set() does; for a GET buffer it
 * changes nothing, since no value can be that long.
 */
static uint32_t abi_len(size_t len)
{
	return len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
}

static void fill_op(struct lrucache_op *op, uint32_t opcode,
		    const void *key, size_t klen, const void *val, size_t vlen,
		    uint64_t ttl_ms)
{
	memset(op, 0, sizeof(*op));
	op->opcode = opcode;
	op->key = (uintptr_t)key;
	op->key_len = abi_len(klen);
	op->value = (uintptr_t)val;
	op->value_len = abi_len(vlen);
	op->ttl_ms = ttl_ms;
}

/*
 * kcache_set_many() and kcache_get_many(): chunks of LRUCACHE_BATCH_MAX
 * items, one ioctl each, through one operation array per call.
 */
static ssize_t run_many(struct kcache *c, struct kcache_item *items, size_t n,
			uint32_t opcode, uint64_t ttl_ms)
{
	struct lrucache_op *ops;
	size_t done = 0, chunk, i;
	int ret = 0;

	if (!c || (!items && n) || n > SSIZE_MAX)
		return -EINVAL;
	if (!n)
		return 0;

	chunk = n < LRUCACHE_BATCH_MAX ? n : LRUCACHE_BATCH_MAX;
	ops = malloc(chunk * sizeof(*ops));
	if (!ops) {
		ret = -ENOMEM;
		goto fail;
	}
	while (done < n) {
		struct kcache_item *it = items + done;

		chunk = n - done;
		if (chunk > LRUCACHE_BATCH_MAX)
			chunk = LRUCACHE_BATCH_MAX;
		for (i = 0; i < chunk; i++)
			fill_op(&ops[i], opcode, it[i].key, it[i].key_len,
				it[i].value, it[i].value_len, ttl_ms);
		ret = kcache_batch_raw(c, ops, (unsigned int)chunk);
		if (ret < 0)
			break;
		for (i = 0; i < (size_t)ret; i++)
			it[i].status = ops[i].result;
		done += (size_t)ret;
		if ((size_t)ret < chunk) {
			/* The kernel could not access the array part way. */
			ret = -EFAULT;
			break;
		}
	}
	free(ops);
	if (done == n)
		return (ssize_t)n;
fail:
	for (i = done; i < n; i++)
		items[i].status = ret;
	return ret;
}

ssize_t kcache_set_many(struct kcache *c, struct kcache_item *items, size_t n,
			uint64_t ttl_ms)
{
	return run_many(c, items, n, LRUCACHE_OP_SET, ttl_ms);
}

ssize_t kcache_get_many(struct kcache *c, struct kcache_item *items, size_t n)
{
	return run_many(c, items, n, LRUCACHE_OP_GET, 0);
}

/*
 * A batch context: the operations as the kernel will read them, in an
 * array grown on demand up to LRUCACHE_BATCH_MAX, so that small batches
 * stay small and the kernel's answers land in place.
 */
#define KCACHE_BATCH_INITIAL	16

struct kcache_batch {
	struct kcache *c;
	struct lrucache_op *ops;
	unsigned int count;	/* operations queued */
	unsigned int cap;	/* room in ops */
	unsigned int ran;	/* after commit: operations the kernel ran */
	bool committed;
};

int kcache_batch_begin(struct kcache *c, struct kcache_batch **out)
{
	struct kcache_batch *b;

	if (!c || !out)
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->ops = calloc(KCACHE_BATCH_INITIAL, sizeof(*b->ops));
	if (!b->ops) {
		free(b);
		return -ENOMEM;
	}
	b->c = c;
	b->cap = KCACHE_BATCH_INITIAL;
	*out = b;
	return 0;
}

static int batch_add(struct kcache_batch *b, uint32_t opcode,
		     const void *key, size_t klen, const void *val,
		     size_t vlen, uint64_t ttl_ms)
{
	if (!b || b->committed)
		return -EINVAL;
	if (b->count >= LRUCACHE_BATCH_MAX)
		return -E2BIG;
	if (b->count == b->cap) {
		unsigned int cap = b->cap * 2;
		struct lrucache_op *ops;

		if (cap > LRUCACHE_BATCH_MAX)
			cap = LRUCACHE_BATCH_MAX;
		ops = realloc(b->ops, cap * sizeof(*ops));
		if (!ops)
			return -ENOMEM;
		b->ops = ops;
		b->cap = cap;
	}
	fill_op(&b->ops[b->count], opcode, key, klen, val, vlen, ttl_ms);
	return (int)b->count++;
}

int kcache_batch_set(struct kcache_batch *b, const void *key, size_t klen,
		     const void *val, size_t vlen, uint64_t ttl_ms)
{
	return batch_add(b, LRUCACHE_OP_SET, key, klen, val, vlen, ttl_ms);
}

int kcache_batch_get(struct kcache_batch *b, const void *key, size_t klen,
		     void *buf, size_t buflen)
{
	return batch_add(b, LRUCACHE_OP_GET, key, klen, buf, buflen, 0);
}

int kcache_batch_delete(struct kcache_batch *b, const void *key, size_t klen)
{
	return batch_add(b, LRUCACHE_OP_DELETE, key, klen, NULL, 0, 0);
}

int kcache_batch_exists(struct kcache_batch *b, const void *key, size_t klen)
{
	return batch_add(b, LRUCACHE_OP_EXISTS, key, klen, NULL, 0, 0);
}

int kcache_batch_count(const struct kcache_batch *b)
{
	return b ? (int)b->count : -EINVAL;
}

int kcache_batch_commit(struct kcache_batch *b)
{
	int ret;

	if (!b || b->committed)
		return -EINVAL;
	ret = kcache_batch_raw(b->c, b->ops, b->count);
	if (ret < 0)
		return ret;	/* nothing ran: the batch stays queued */
	b->ran = (unsigned int)ret;
	b->committed = true;
	return ret;
}

int kcache_batch_result(const struct kcache_batch *b, unsigned int idx,
			size_t *value_len)
{
	const struct lrucache_op *op;

	if (value_len)
		*value_len = 0;
	if (!b || idx >= b->count)
		return -EINVAL;
	if (!b->committed)
		return -EINPROGRESS;
	if (idx >= b->ran)
		return -ECANCELED;
	op = &b->ops[idx];
	if (value_len && op->opcode == LRUCACHE_OP_GET && op->result >= 0)
		*value_len = op->value_len;
	return op->result;
}

void kcache_batch_abort(struct kcache_batch *b)
{
	if (!b)
		return;
	b->count = 0;
	b->ran = 0;
	b->committed = false;
}

void kcache_batch_free(struct kcache_batch *b)
{
	if (!b)
		return;
	free(b->ops);
	free(b);
}

/*
 * Memoization: see "Memoization" in kcache.h. Single-flight goes through a
 * lock entry (KCACHE_MEMO_LOCK_PREFIX + key) created with kcache_add() and a
 * lease TTL; only kcache_exists() is used to poll, so waiting changes no
 * hit or miss counter.
 */

/* The first published struct kcache_memo_opts ends with its reserved field. */
#define KCACHE_MEMO_OPTS_SZ_V1 \
	(offsetof(struct kcache_memo_opts, reserved) + sizeof(uint32_t))
#define MEMO_BACKOFF_MIN_MS	1
#define MEMO_BACKOFF_MAX_MS	50

static bool ttl_valid(uint64_t ttl_ms)
{
	return ttl_ms == KCACHE_TTL_DEFAULT || ttl_ms == KCACHE_TTL_NONE ||
	       (ttl_ms >= 1 && ttl_ms <= KCACHE_TTL_MAX_MS);
}

static int get_memo_opts(const struct kcache_memo_opts *uopts,
			 struct kcache_memo_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	if (uopts) {
		size_t sz = uopts->sz;

		if (sz < KCACHE_MEMO_OPTS_SZ_V1)
			return -EINVAL;
		if (sz > sizeof(*opts)) {
			const unsigned char *tail = (const unsigned char *)uopts;
			size_t i;

			for (i = sizeof(*opts); i < sz; i++)
				if (tail[i])
					return -EINVAL;
			sz = sizeof(*opts);
		}
		memcpy(opts, uopts, sz);
	}
	if ((opts->flags & ~KCACHE_MEMO_NO_SINGLE_FLIGHT) || opts->reserved)
		return -EINVAL;
	if (!opts->ttl_ms)
		opts->ttl_ms = KCACHE_TTL_DEFAULT;
	if (!opts->lease_ms)
		opts->lease_ms = KCACHE_MEMO_LEASE_MS;
	if (!opts->wait_ms)
		opts->wait_ms = KCACHE_MEMO_WAIT_MS;
	if (!ttl_valid(opts->ttl_ms) || opts->lease_ms > KCACHE_TTL_MAX_MS ||
	    opts->wait_ms > KCACHE_TTL_MAX_MS)
		return -EINVAL;
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void memo_sleep_ms(uint64_t ms)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ms / 1000),
		.tv_nsec = (long)(ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * Call @fn and store what it wrote. Store failures are not reported (see
 * kcache_memo_opts() in kcache.h): the value is returned all the same.
 */
static ssize_t memo_compute(struct kcache *c, const void *key, size_t klen,
			    kcache_compute_fn fn, void *arg, void *buf,
			    size_t buflen, uint64_t ttl_ms)
{
	ssize_t len = fn(key, klen, buf, buflen, arg);

	if (len < 0 || (size_t)len > buflen)
		return len;
	kcache_set(c, key, klen, buf, (size_t)len, ttl_ms);
	return len;
}

ssize_t kcache_memo_opts(struct kcache *c, const void *key, size_t klen,
			 kcache_compute_fn fn, void *arg, void *buf,
			 size_t buflen, const struct kcache_memo_opts *uopts)
{
	struct kcache_memo_opts opts;
	unsigned char *lock = NULL;
	uint64_t deadline, delay = MEMO_BACKOFF_MIN_MS;
	uint32_t owner = (uint32_t)getpid();
	ssize_t ret;
	int err;

	if (!c || !fn || !klen)
		return -EINVAL;
	err = get_memo_opts(uopts, &opts);
	if (err)
		return err;

	ret = kcache_get(c, key, klen, buf, buflen);
	if (ret != -ENOENT)
		return ret;		/* a hit (fitting or not), or an error */
	if (opts.flags & KCACHE_MEMO_NO_SINGLE_FLIGHT)
		return memo_compute(c, key, klen, fn, arg, buf, buflen,
				    opts.ttl_ms);

	if (klen > SIZE_MAX - KCACHE_MEMO_LOCK_PREFIX_LEN)
		return -E2BIG;
	lock = malloc(KCACHE_MEMO_LOCK_PREFIX_LEN + klen);
	if (!lock)
		return -ENOMEM;
	memcpy(lock, KCACHE_MEMO_LOCK_PREFIX, KCACHE_MEMO_LOCK_PREFIX_LEN);
	memcpy(lock + KCACHE_MEMO_LOCK_PREFIX_LEN, key, klen);

	deadline = now_ms() + opts.wait_ms;
	for (;;) {
		err = kcache_add(c, lock, KCACHE_MEMO_LOCK_PREFIX_LEN + klen,
				 &owner, sizeof(owner), opts.lease_ms);
		if (err == 0) {
			/*
			 * Ours. The value may have been stored between our
			 * miss and the lock (by a caller that has since
			 * released it): check before computing.
			 */
			err = kcache_exists(c, key, klen);
			ret = err == 1 ? kcache_get(c, key, klen, buf, buflen)
				       : -ENOENT;
			if (err < 0)
				ret = err;
			else if (ret == -ENOENT)
				ret = memo_compute(c, key, klen, fn, arg, buf,
						   buflen, opts.ttl_ms);
			kcache_delete(c, lock,
				      KCACHE_MEMO_LOCK_PREFIX_LEN + klen);
			goto out;
		}
		if (err == -E2BIG) {
			/* The lock key is too long: no single-flight. */
			ret = memo_compute(c, key, klen, fn, arg, buf, buflen,
					   opts.ttl_ms);
			goto out;
		}
		if (err != -EEXIST) {
			ret = err;
			goto out;
		}

		/* Another caller computes: wait for its value. */
		for (;;) {
			uint64_t now = now_ms();

			if (now >= deadline) {
				/* Bound passed: compute ourselves, no lock. */
				ret = memo_compute(c, key, klen, fn, arg, buf,
						   buflen, opts.ttl_ms);
				goto out;
			}
			memo_sleep_ms(delay < deadline - now ? delay
							     : deadline - now);
			if (delay < MEMO_BACKOFF_MAX_MS)
				delay = delay * 2 < MEMO_BACKOFF_MAX_MS ?
					delay * 2 : MEMO_BACKOFF_MAX_MS;

			err = kcache_exists(c, key, klen);
			if (err < 0) {
				ret = err;
				goto out;
			}
			if (err == 1) {
				ret = kcache_get(c, key, klen, buf, buflen);
				if (ret != -ENOENT)
					goto out;
				/* Gone again (evicted, expired): go on. */
			}
			err = kcache_exists(c, lock,
					    KCACHE_MEMO_LOCK_PREFIX_LEN + klen);
			if (err < 0) {
				ret = err;
				goto out;
			}
			if (err == 0)
				break;	/* released without a value: retry */
		}
	}
out:
	free(lock);
	return ret;
}

ssize_t kcache_memo(struct kcache *c, const void *key, size_t klen,
		    kcache_compute_fn fn, void *arg, uint64_t ttl_ms,
		    void *buf, size_t buflen)
{
	KCACHE_MEMO_OPTS(opts, .ttl_ms = ttl_ms);

	if (!ttl_ms)
		return -EINVAL;
	return kcache_memo_opts(c, key, klen, fn, arg, buf, buflen, &opts);
}

int kcache_memo_info(struct kcache *c, struct kcache_memo_info *info)
{
	struct kcache_metrics m;
	int err;

	if (!c || !info)
		return -EINVAL;
	err = kcache_get_metrics(c, &m);
	if (err)
		return err;
	memset(info, 0, sizeof(*info));
	info->hits = m.hits;
	info->misses = m.misses;
	info->maxsize = m.max_entries;
	info->currsize = m.entries;
	return 0;
}

int kcache_memo_clear(struct kcache *c)
{
	int err = kcache_clear(c);

	if (err)
		return err;
	return kcache_reset_metrics(c);
}

/* The module's sysfs directory (Documentation/ABI/testing/). */
#define KCACHE_SYSFS		"/sys/kernel/lrucache"

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int kcache_list(char ***names)
{
	size_t n = 0, cap = 0, bytes = 0, i;
	char **tmp = NULL, **np, **out;
	struct dirent *de;
	char *str;
	int err = 0;
	DIR *dir;

	if (!names)
		return -EINVAL;
	dir = opendir(KCACHE_SYSFS "/caches");
	if (!dir)
		return errno == ENOENT ? -ENODEV : -errno;
	/* The names first, then one block for the array and the strings. */
	for (;;) {
		errno = 0;
		de = readdir(dir);
		if (!de) {
			err = -errno;
			break;
		}
		if (de->d_name[0] == '.')
			continue;	/* "." and ".."; no cache name starts so */
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			np = realloc(tmp, cap * sizeof(*tmp));
			if (!np) {
				err = -ENOMEM;
				break;
			}
			tmp = np;
		}
		tmp[n] = strdup(de->d_name);
		if (!tmp[n]) {
			err = -ENOMEM;
			break;
		}
		bytes += strlen(tmp[n]) + 1;
		n++;
	}
	closedir(dir);
	if (!err && n > INT_MAX)
		err = -EOVERFLOW;
	out = err ? NULL : malloc((n + 1) * sizeof(*out) + bytes);
	if (!err && !out)
		err = -ENOMEM;
	if (out) {
		if (n)
			qsort(tmp, n, sizeof(*tmp), cmp_names);
		str = (char *)(out + n + 1);
		for (i = 0; i < n; i++) {
			out[i] = str;
			str = stpcpy(str, tmp[i]) + 1;
		}
		out[n] = NULL;
		*names = out;
	}
	for (i = 0; i < n; i++)
		free(tmp[i]);
	free(tmp);
	return err ? err : (int)n;
}

int kcache_get_totals(struct kcache_totals *t)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
#define TOTAL(f) { #f, offsetof(struct kcache_totals, f) }
		TOTAL(caches), TOTAL(hits), TOTAL(misses), TOTAL(sets),
		TOTAL(deletes), TOTAL(evictions), TOTAL(expirations),
		TOTAL(entries), TOTAL(bytes), TOTAL(reaped), TOTAL(reclaimed),
		TOTAL(reaper_runs), TOTAL(reaper_ns), TOTAL(expiring),
		TOTAL(max_total_bytes),
#undef TOTAL
	};
	char buf[4096], *line, *save, *end, *sp;
	unsigned long long v;
	size_t len = 0, i;
	ssize_t r;
	int fd;

	if (!t)
		return -EINVAL;
	fd = open(KCACHE_SYSFS "/stats", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENODEV : -errno;
	/* sysfs hands the whole file to the first read of a page or more. */
	while (len < sizeof(buf) - 1) {
		r = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int err = -errno;

			close(fd);
			return err;
		}
		if (!r)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = 0;

	memset(t, 0, sizeof(*t));
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		sp = strchr(line, ' ');
		if (!sp || sp == line || sp[1] < '0' || sp[1] > '9')
			return -EBADMSG;
		*sp = 0;
		errno = 0;
		v = strtoull(sp + 1, &end, 10);
		if (errno || *end)
			return -EBADMSG;
		/* Keys this version does not know are skipped, as the ABI asks. */
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!strcmp(line, keys[i].key))
				*(uint64_t *)((char *)t + keys[i].off) = v;
	}
	return 0;
}

const char *kcache_strerror(int err)
{
	if (err == INT_MIN)
		return "unknown error";
	if (err < 0)
		err = -err;

	switch (err) {
	case 0:
		return "success";
	case ENOENT:
		return "no such cache or key";
	case ENODEV:
		return "lrucache device not found (is the lrucache module loaded?)";
	case EIDRM:
		return "cache was destroyed";
	case EBADFD:
		return "descriptor is not bound to a cache";
	case EBUSY:
		return "descriptor is already bound to a cache";
	case E2BIG:
		return "key or value too large for this cache";
	case ENOSPC:
		return "memory limit of all lrucache caches reached (max_total_bytes)";
	case EEXIST:
		return "cache or key already exists";
	case EINVAL:
		return "invalid argument (name, length, TTL, limit, flags or reserved field)";
	case ENOTTY:
		return "operation not supported by this device (not lrucache, or an older module)";
	case EFAULT:
		return "bad address for a key, value or buffer";
	case ENOMEM:
		return "out of memory";
	case EACCES:
		return "permission denied by the cache's mode";
	case EPERM:
		return "operation not permitted";
	case EDQUOT:
		return "quota of caches or bytes of this user reached";
	case EBADMSG:
		return "malformed, truncated or invalid dump document";
	case EPROTONOSUPPORT:
		return "dump document of an unknown format or version";
	case EOPNOTSUPP:
		return "not supported by this lrucache module (an older one?)";
	default:
		return strerror(err);
	}
}

int kcache_fd(const struct kcache *c)
{
	if (!c)
		return -EINVAL;
	return c->fd >= 0 ? c->fd : -EBADF;	/* kcache_watch_all() */
}

const char *kcache_name(const struct kcache *c)
{
	return c ? c->name : NULL;
}
