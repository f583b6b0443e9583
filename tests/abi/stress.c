// SPDX-License-Identifier: GPL-2.0
/*
 * Load: N processes x M threads of mixed operations on a few shared
 * caches, bounded in time, then consistency checks.
 *
 * The workers run GET, SET (plain, NX, XX, some too large for the cache),
 * DELETE, EXISTS, BATCH (1 to 32 mixed operations), and now and then
 * STATS, DUMP, CLEAR, REAP (bucket walk and full scan), CHECK (which
 * must find the cache consistent at any moment, reaper runs included),
 * a read of the sysfs stats or a new cleanup_interval_ms (10 to 40 ms),
 * over a key space much larger than the caches, which have both
 * max_entries and max_bytes limits, so that most sets evict. TTLs churn:
 * no TTL, the cache's default, 1 to 50 ms, 100 ms to 2 s; the caches'
 * reapers run every 10 ms, so lazy expiry, eviction of expired entries
 * and the reaper all race with each other. One cache keeps no metrics.
 *
 * Every result must be one the operation documents (ioctl.rst); every
 * value read back must be one written for that key (each value carries
 * its key's hash, its length and a pattern derived from both). After the
 * load, for every cache: LRUCACHE_IOC_CHECK finds no problem and agrees
 * with the stats on entries, bytes and expiring; entries <= max_entries
 * and bytes <= max_bytes; hits, misses, sets and deletes equal what the
 * workers saw succeed, hit, miss and delete (each counted exactly with
 * its result); reaped <= expirations. Once the longest TTL has passed the
 * reaper must drain every entry with a TTL (expiring reaches 0, a dump
 * holds only entries without one); a CLEAR then leaves the cache empty.
 *
 * Configuration (environment): LRUCACHE_STRESS_SECONDS (default 10, or
 * 25 on the debug kernel, VM_KERNEL=debug), LRUCACHE_STRESS_PROCS (3),
 * LRUCACHE_STRESS_THREADS (3), LRUCACHE_STRESS_KEYS (4000),
 * LRUCACHE_STRESS_SEED. The operation count and mix are printed.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "abi.h"

#define SX_CACHES	4
#define SX_MAX_PROCS	32
#define SX_MAX_THREADS	16
#define SX_BATCH	32
#define SX_VAL_MAX	16384
#define SX_TTL_MAX_MS	2000
#define SX_INTERVAL_MS	10

enum {
	K_GET, K_SET, K_DELETE, K_EXISTS, K_BATCH, K_STATS, K_DUMP, K_CLEAR,
	K_REAP, K_CHECK, K_SYSFS,
	/* The operations of issue 16 that keep every value its key's. */
	K_GETEX, K_GETDEL, K_TOUCH, K_TTL, K_CAS, K_PREFIX,
	/* Counters, on keys of their own ("c<n>"): their values are numbers. */
	K_INCR, K_N
};
static const char *const kind_names[K_N] = {
	"get", "set", "delete", "exists", "batch", "stats", "dump", "clear",
	"reap", "check", "sysfs", "getex", "getdel", "touch", "ttl", "cas",
	"delete_prefix", "incr",
};

/* What one thread saw, per cache; summed by the parent. */
struct sx_counts {
	uint64_t hits, misses, sets, set_nx, set_xx, set_big, deletes, del_miss;
	uint64_t ops;			/* key-value operations, batched too */
};

struct sx_thread {
	struct sx_counts c[SX_CACHES];
	uint64_t kinds[K_N];		/* ioctls issued by kind */
	uint64_t batched;		/* operations inside batches */
	char failure[256];
};

struct sx_shared {
	struct sx_thread t[SX_MAX_PROCS][SX_MAX_THREADS];
};

struct sx_cache {
	char name[LRUCACHE_NAME_MAX];
	uint64_t max_entries, max_bytes, default_ttl_ms;
	bool metrics;
};

struct sx_cfg {
	uint64_t seconds, seed, keys;
	unsigned int procs, threads;
	uint64_t deadline_ns;
	struct sx_cache caches[SX_CACHES];
	struct sx_shared *sh;
};

struct sx_worker {
	const struct sx_cfg *cfg;
	struct sx_thread *out;
	uint64_t rng;
	int fd[SX_CACHES];
	unsigned char *val;
	unsigned char *buf;
	unsigned char *dump;
	bool failed;
};

static uint32_t below(struct sx_worker *w, uint32_t n)
{
	return (uint32_t)(splitmix64(&w->rng) % n);
}

static bool fail(struct sx_worker *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static bool fail(struct sx_worker *w, const char *fmt, ...)
{
	va_list ap;

	if (!w->failed) {
		va_start(ap, fmt);
		vsnprintf(w->out->failure, sizeof(w->out->failure), fmt, ap);
		va_end(ap);
	}
	w->failed = true;
	return false;
}

static uint64_t key_hash(const char *key, uint32_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	uint32_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 0x100000001b3ULL;
	return h;
}

/*
 * Keys "s<n>" plus a tail, 2 to 40 bytes, over the configured space; half
 * of them from its first sixteenth, so that gets hit now and then.
 */
static uint32_t make_key(struct sx_worker *w, char *key)
{
	uint64_t space = w->cfg->keys, n;

	if (below(w, 2) && space >= 16)
		space /= 16;
	n = splitmix64(&w->rng) % space;
	int len = snprintf(key, 48, "s%llu.", (unsigned long long)n);

	for (; len < (int)(2 + n % 39); len++)
		key[len] = (char)('a' + len % 26);
	return (uint32_t)len;
}

/*
 * A value of @len bytes (at least 16) for @key: its hash, its length,
 * then bytes derived from both.
 */
static void make_value(unsigned char *v, uint32_t len, uint64_t h)
{
	uint32_t i;

	memcpy(v, &h, 8);
	memcpy(v + 8, &len, 4);
	memset(v + 12, 0, 4);
	for (i = 16; i < len; i++)
		v[i] = (unsigned char)(h >> (8 * (i % 8))) ^ (unsigned char)i;
}

static bool value_ok(const unsigned char *v, uint32_t len, uint64_t h)
{
	uint32_t i, stored;
	uint64_t hv;

	if (len < 16)
		return false;
	memcpy(&hv, v, 8);
	memcpy(&stored, v + 8, 4);
	if (hv != h || stored != len)
		return false;
	for (i = 16; i < len; i++)
		if (v[i] != ((unsigned char)(h >> (8 * (i % 8))) ^
			     (unsigned char)i))
			return false;
	return true;
}

/* A counter's value: the decimal text of a signed 64-bit integer. */
static bool counter_ok(const unsigned char *v, uint32_t len)
{
	char text[24];
	char *end;

	if (!len || len >= sizeof(text))
		return false;
	memcpy(text, v, len);
	text[len] = 0;
	errno = 0;
	(void)strtoll(text, &end, 10);
	return !errno && *end == 0 && (isdigit(text[0]) || text[0] == '-');
}

/* A stored value is its key's: a counter's for "c<n>", else value_ok(). */
static bool record_ok(const char *key, uint32_t klen, const unsigned char *v,
		      uint32_t len)
{
	if (key[0] == 'c')
		return counter_ok(v, len);
	return value_ok(v, len, key_hash(key, klen));
}

static uint32_t value_len(struct sx_worker *w)
{
	uint32_t r = below(w, 100);

	if (r < 70)
		return 16 + below(w, 112);
	if (r < 98)
		return 128 + below(w, 1024);
	return 2048 + below(w, SX_VAL_MAX - 2048);
}

static uint64_t ttl(struct sx_worker *w)
{
	uint32_t r = below(w, 100);

	if (r < 25)
		return LRUCACHE_TTL_NONE;
	if (r < 40)
		return LRUCACHE_TTL_DEFAULT;
	if (r < 75)
		return 1 + below(w, 50);
	return 100 + below(w, SX_TTL_MAX_MS - 100 + 1);
}

/* A SET that may not fit the cache at all: its -E2BIG is expected. */
static bool too_big(const struct sx_cache *c, uint32_t klen, uint32_t vlen,
		    uint64_t overhead)
{
	return entry_charge(overhead, klen, vlen) > c->max_bytes;
}

struct sx_op {
	int kind;			/* K_GET, K_SET, K_DELETE, K_EXISTS */
	char key[48];
	uint32_t klen, vlen, flags;
	uint64_t ttl_ms;
};

static void gen_op(struct sx_worker *w, struct sx_op *o, int kind)
{
	uint32_t r;

	o->kind = kind;
	o->klen = make_key(w, o->key);
	o->vlen = 0;
	o->flags = 0;
	o->ttl_ms = 0;
	if (kind == K_SET) {
		r = below(w, 20);
		o->flags = r == 0 ? LRUCACHE_SET_NX :
			   r == 1 ? LRUCACHE_SET_XX : 0;
		o->vlen = value_len(w);
		o->ttl_ms = ttl(w);
	}
}

/* Judges one key-value operation's result and counts it. */
static bool judge(struct sx_worker *w, int ci, const struct sx_op *o,
		  long ret, uint32_t out_len, const unsigned char *buf,
		  uint32_t buflen, uint64_t overhead)
{
	const struct sx_cache *c = &w->cfg->caches[ci];
	struct sx_counts *n = &w->out->c[ci];

	n->ops++;
	switch (o->kind) {
	case K_GET:
		if (ret == -ENOENT) {
			n->misses++;
			return true;
		}
		if (ret < 16 || ret > SX_VAL_MAX || (uint32_t)ret != out_len)
			return fail(w, "%s: get %.*s: %ld (value_len %u)",
				    c->name, (int)o->klen, o->key, ret, out_len);
		n->hits++;
		if ((uint32_t)ret <= buflen &&
		    !value_ok(buf, (uint32_t)ret, key_hash(o->key, o->klen)))
			return fail(w, "%s: get %.*s: a value not written for it",
				    c->name, (int)o->klen, o->key);
		return true;
	case K_SET:
		if (too_big(c, o->klen, o->vlen, overhead)) {
			n->set_big++;
			if (ret != -E2BIG)
				return fail(w, "%s: set of %u bytes: %ld, not -E2BIG",
					    c->name, o->vlen, ret);
			return true;
		}
		if (ret == 0) {
			n->sets++;
			return true;
		}
		if (ret == -EEXIST && o->flags == LRUCACHE_SET_NX) {
			n->set_nx++;
			return true;
		}
		if (ret == -ENOENT && o->flags == LRUCACHE_SET_XX) {
			n->set_xx++;
			return true;
		}
		return fail(w, "%s: set %.*s flags %u: %ld", c->name,
			    (int)o->klen, o->key, o->flags, ret);
	case K_DELETE:
		if (ret == 0)
			n->deletes++;
		else if (ret == -ENOENT)
			n->del_miss++;
		else
			return fail(w, "%s: delete: %ld", c->name, ret);
		return true;
	default:
		if (ret != 0 && ret != 1)
			return fail(w, "%s: exists: %ld", c->name, ret);
		return true;
	}
}

static bool do_single(struct sx_worker *w, int ci, int kind,
		      uint64_t overhead)
{
	struct sx_op o;
	uint32_t size = SX_VAL_MAX, len;
	long ret;

	gen_op(w, &o, kind);
	switch (kind) {
	case K_GET:
		/* A size probe now and then: nothing is copied. */
		if (!below(w, 10))
			size = below(w, 16);
		len = size;
		ret = kv_get(w->fd[ci], o.key, o.klen, w->buf, &len);
		return judge(w, ci, &o, ret, len, w->buf,
			     ret >= 0 && (uint32_t)ret > size ? 0 : size,
			     overhead);
	case K_SET:
		make_value(w->val, o.vlen, key_hash(o.key, o.klen));
		ret = kv_set(w->fd[ci], o.key, o.klen, w->val, o.vlen,
			     o.ttl_ms, o.flags);
		break;
	case K_DELETE:
		ret = kv_delete(w->fd[ci], o.key, o.klen);
		break;
	default:
		ret = kv_exists(w->fd[ci], o.key, o.klen);
		break;
	}
	return judge(w, ci, &o, ret, 0, NULL, 0, overhead);
}

static bool do_batch(struct sx_worker *w, int ci, uint64_t overhead)
{
	static const uint32_t opcode[] = {
		[K_GET] = LRUCACHE_OP_GET, [K_SET] = LRUCACHE_OP_SET,
		[K_DELETE] = LRUCACHE_OP_DELETE,
		[K_EXISTS] = LRUCACHE_OP_EXISTS,
	};
	struct sx_op o[SX_BATCH];
	struct lrucache_op u[SX_BATCH];
	uint32_t n = 1 + below(w, SX_BATCH), i;
	/* Each GET gets its own slice of the buffer, SETs share values. */
	uint32_t slice = SX_VAL_MAX / SX_BATCH;
	int ret;

	memset(u, 0, sizeof(u));
	for (i = 0; i < n; i++) {
		gen_op(w, &o[i], (int)below(w, 4));
		u[i].opcode = opcode[o[i].kind];
		u[i].key = (uintptr_t)o[i].key;
		u[i].key_len = o[i].klen;
		if (o[i].kind == K_GET) {
			u[i].value = (uintptr_t)(w->buf + i * slice);
			u[i].value_len = slice;
		} else if (o[i].kind == K_SET) {
			if (o[i].vlen > slice)
				o[i].vlen = 16 + o[i].vlen % (slice - 16);
			make_value(w->val + i * slice, o[i].vlen,
				   key_hash(o[i].key, o[i].klen));
			u[i].value = (uintptr_t)(w->val + i * slice);
			u[i].value_len = o[i].vlen;
			u[i].ttl_ms = o[i].ttl_ms;
			u[i].flags = o[i].flags;
		}
	}
	ret = batch_run(w->fd[ci], u, n);
	if (ret != (int)n)
		return fail(w, "%s: batch of %u ran %d",
			    w->cfg->caches[ci].name, n, ret);
	w->out->batched += n;
	for (i = 0; i < n; i++) {
		if (!judge(w, ci, &o[i], u[i].result, u[i].value_len,
			   w->buf + i * slice,
			   u[i].result >= 0 && (uint32_t)u[i].result > slice ?
			   0 : slice, overhead))
			return false;
	}
	return true;
}

/* A dump taken under load: records well formed, values their keys'. */
static bool do_dump(struct sx_worker *w, int ci)
{
	const size_t cap = 8 << 20;
	struct lrucache_dump d = { 0 };
	struct lrucache_record rec;
	size_t len = 0, pos = 0;
	uint64_t n = 0;
	ssize_t r;
	int ret;

	ret = xioctl(w->fd[ci], LRUCACHE_IOC_DUMP, &d);
	if (ret == -EAGAIN)
		return true;
	if (ret)
		return fail(w, "dump: %d", ret);
	while (len < cap && (r = read(d.fd, w->dump + len, cap - len)) > 0)
		len += (size_t)r;
	close(d.fd);
	if (len != d.bytes)
		return fail(w, "dump: read %zu of %llu bytes", len,
			    (unsigned long long)d.bytes);
	while (pos + sizeof(rec) <= len) {
		memcpy(&rec, w->dump + pos, sizeof(rec));
		pos += sizeof(rec);
		if (!rec.key_len || pos + rec.key_len + rec.value_len > len ||
		    !rec.ttl_ms || (rec.ttl_ms != LRUCACHE_TTL_NONE &&
				    rec.ttl_ms > SX_TTL_MAX_MS))
			return fail(w, "dump: bad record %llu", (unsigned long long)n);
		if (!record_ok((char *)w->dump + pos, rec.key_len,
			       w->dump + pos + rec.key_len, rec.value_len))
			return fail(w, "dump: record %llu holds a value not written for its key",
				    (unsigned long long)n);
		pos += rec.key_len + rec.value_len;
		n++;
	}
	if (pos != len || n != d.entries)
		return fail(w, "dump: %llu records in %zu bytes, told %llu",
			    (unsigned long long)n, len,
			    (unsigned long long)d.entries);
	return true;
}

/*
 * The cache's sysfs files under load: the stats read, the reaper's
 * interval moved (10 to 40 ms, so the drain after the load stays quick).
 */
static bool do_sysfs(struct sx_worker *w, int ci)
{
	char path[256], buf[2048];
	int ret;

	if (below(w, 2)) {
		snprintf(path, sizeof(path), SYSFS_ROOT "/caches/%s/stats",
			 w->cfg->caches[ci].name);
		ret = read_file(path, buf, sizeof(buf));
		return ret > 0 || fail(w, "%s: %d", path, ret);
	}
	snprintf(path, sizeof(path), SYSFS_ROOT "/caches/%s/cleanup_interval_ms",
		 w->cfg->caches[ci].name);
	ret = write_u64_file(path, SX_INTERVAL_MS + below(w, 31));
	return !ret || fail(w, "%s: %d", path, ret);
}

/* A kv ioctl on @o's key; the length the kernel wrote back in *@len. */
static long kv_ioctl(struct sx_worker *w, int ci, unsigned long cmd,
		     const struct sx_op *o, struct lrucache_kv *kv)
{
	kv->key = (uintptr_t)o->key;
	kv->key_len = o->klen;
	return xioctl(w->fd[ci], cmd, kv);
}

/*
 * GETEX, GETDEL, TOUCH, TTL, CAS and DELETE_PREFIX under the same load:
 * each keeps every stored value its key's (CAS stores one), so reads stay
 * checkable, and each counts as the kernel counts it (GETEX and GETDEL a
 * hit or a miss, GETDEL a delete when the value fitted, a CAS that stored
 * a set, DELETE_PREFIX a delete per live entry it removed).
 */
static bool do_prim(struct sx_worker *w, int ci, int kind, uint64_t overhead)
{
	const struct sx_cache *c = &w->cfg->caches[ci];
	struct sx_counts *n = &w->out->c[ci];
	struct lrucache_kv kv = { 0 };
	uint32_t size = SX_VAL_MAX;
	struct sx_op o;
	long ret;

	gen_op(w, &o, kind == K_CAS ? K_SET : K_GET);
	switch (kind) {
	case K_GETEX:
	case K_GETDEL:
		if (!below(w, 10))
			size = below(w, 16);
		kv.value = (uintptr_t)w->buf;
		kv.value_len = size;
		if (kind == K_GETEX)
			kv.ttl_ms = ttl(w);
		ret = kv_ioctl(w, ci, kind == K_GETEX ? LRUCACHE_IOC_GETEX :
				      LRUCACHE_IOC_GETDEL, &o, &kv);
		if (!judge(w, ci, &o, ret, kv.value_len, w->buf,
			   ret >= 0 && (uint32_t)ret > size ? 0 : size,
			   overhead))
			return false;
		if (kind == K_GETDEL && ret >= 0 && (uint32_t)ret <= size)
			n->deletes++;
		return true;
	case K_TOUCH:
		kv.ttl_ms = ttl(w);
		ret = kv_ioctl(w, ci, LRUCACHE_IOC_TOUCH, &o, &kv);
		return ret == 0 || ret == -ENOENT ||
		       fail(w, "%s: touch: %ld", c->name, ret);
	case K_TTL:
		ret = kv_ioctl(w, ci, LRUCACHE_IOC_TTL, &o, &kv);
		if (ret == -ENOENT)
			return true;
		/* Every TTL of the load is SX_TTL_MAX_MS or less, or none. */
		if (ret || !kv.number ||
		    ((uint64_t)kv.number > SX_TTL_MAX_MS &&
		     (uint64_t)kv.number != LRUCACHE_TTL_NONE))
			return fail(w, "%s: ttl: %ld, %lld ms", c->name, ret,
				    (long long)kv.number);
		return true;
	case K_CAS:
		/* The version of the value there now, then a CAS to it. */
		kv.value = (uintptr_t)w->buf;
		kv.value_len = 0;
		ret = kv_ioctl(w, ci, LRUCACHE_IOC_GET, &o, &kv);
		o.kind = K_GET;
		if (!judge(w, ci, &o, ret, kv.value_len, NULL, 0, overhead))
			return false;
		make_value(w->val, o.vlen, key_hash(o.key, o.klen));
		kv = (struct lrucache_kv){
			.value = (uintptr_t)w->val, .value_len = o.vlen,
			.ttl_ms = o.ttl_ms, .flags = LRUCACHE_SET_CAS,
			.cas = ret >= 0 ? kv.cas : 1,
		};
		ret = kv_ioctl(w, ci, LRUCACHE_IOC_SET, &o, &kv);
		n->ops++;
		if (ret == 0)
			n->sets++;
		else if (ret != -ESTALE && ret != -ENOENT && ret != -E2BIG)
			return fail(w, "%s: cas: %ld", c->name, ret);
		return true;
	case K_INCR:
		/*
		 * One of 64 counters, up by 1 to 3 from 0: a result of at
		 * least the delta. Evictions, expiry and clears reset them,
		 * so sums cannot be checked here (the model test checks
		 * values); a successful INCR counts as a set.
		 */
		o.klen = (uint32_t)snprintf(o.key, sizeof(o.key), "c%u",
					    below(w, 64));
		kv.delta = 1 + below(w, 3);
		kv.ttl_ms = ttl(w);
		ret = kv_ioctl(w, ci, LRUCACHE_IOC_INCR, &o, &kv);
		n->ops++;
		if (ret == 0 && kv.number >= kv.delta) {
			n->sets++;
			return true;
		}
		if (ret == -E2BIG && too_big(c, o.klen, 20, overhead))
			return true;
		return fail(w, "%s: incr %.*s: %ld, %lld", c->name,
			    (int)o.klen, o.key, ret, (long long)kv.number);
	default:
		/* "s<digit>" or "s<digit><digit>": a tenth or a hundredth. */
		o.klen = (uint32_t)snprintf(o.key, sizeof(o.key), "s%u",
					    below(w, 2) ? below(w, 10) :
					    10 + below(w, 90));
		ret = kv_ioctl(w, ci, LRUCACHE_IOC_DELETE_PREFIX, &o, &kv);
		if (ret < 0)
			return fail(w, "%s: delete_prefix: %ld", c->name, ret);
		n->deletes += (uint64_t)ret;
		return true;
	}
}

static void *worker(void *arg)
{
	struct sx_worker *w = arg;
	struct lrucache_stats st;
	struct lrucache_reap rp;
	struct lrucache_check chk;
	uint64_t overhead[SX_CACHES];
	uint32_t r;
	int ci, kind, ret;
	bool ok = true;

	for (ci = 0; ci < SX_CACHES; ci++) {
		w->fd[ci] = cache_attach(w->cfg->caches[ci].name);
		if (w->fd[ci] < 0) {
			fail(w, "attach %s: %d", w->cfg->caches[ci].name,
			     w->fd[ci]);
			return NULL;
		}
		if (cache_stats(w->fd[ci], &st)) {
			fail(w, "stats of %s", w->cfg->caches[ci].name);
			return NULL;
		}
		overhead[ci] = st.entry_overhead;
	}
	while (ok && boottime_ns() < w->cfg->deadline_ns) {
		ci = (int)below(w, SX_CACHES);
		r = below(w, 10000);
		kind = r < 3000 ? K_GET : r < 3150 ? K_GETEX :
		       r < 3250 ? K_GETDEL : r < 3350 ? K_TOUCH :
		       r < 3450 ? K_TTL : r < 3495 ? K_CAS : r < 3500 ? K_PREFIX :
		       r < 3550 ? K_INCR :
		       r < 6500 ? K_SET : r < 7500 ? K_DELETE :
		       r < 8300 ? K_EXISTS : r < 9800 ? K_BATCH :
		       r < 9900 ? K_STATS : r < 9930 ? K_DUMP :
		       r < 9950 ? K_CLEAR : r < 9980 ? K_REAP :
		       r < 9990 ? K_CHECK : K_SYSFS;
		w->out->kinds[kind]++;
		switch (kind) {
		case K_BATCH:
			ok = do_batch(w, ci, overhead[ci]);
			break;
		case K_STATS:
			ok = !cache_stats(w->fd[ci], &st) ||
			     fail(w, "stats failed");
			break;
		case K_DUMP:
			ok = do_dump(w, ci);
			break;
		case K_CLEAR:
			ret = cache_clear(w->fd[ci]);
			ok = !ret || fail(w, "clear: %d", ret);
			break;
		case K_REAP:
			ret = cache_reap(w->fd[ci], below(w, 2) ?
					 LRUCACHE_REAP_FULL_SCAN : 0, &rp);
			ok = !ret || fail(w, "reap: %d", ret);
			break;
		case K_CHECK:
			/* Consistent at any moment, reaper runs included. */
			ret = xioctl(w->fd[ci], LRUCACHE_IOC_CHECK, &chk);
			ok = (!ret && !chk.problems) ||
			     fail(w, "check during the load: %d, %llu problems",
				  ret, (unsigned long long)chk.problems);
			break;
		case K_SYSFS:
			ok = do_sysfs(w, ci);
			break;
		case K_GETEX:
		case K_GETDEL:
		case K_TOUCH:
		case K_TTL:
		case K_CAS:
		case K_PREFIX:
		case K_INCR:
			ok = do_prim(w, ci, kind, overhead[ci]);
			break;
		default:
			ok = do_single(w, ci, kind, overhead[ci]);
			break;
		}
	}
	for (ci = 0; ci < SX_CACHES; ci++)
		close(w->fd[ci]);
	return NULL;
}

/* One worker process: its threads, then exit 0, or 1 if any failed. */
static int run_process(const struct sx_cfg *cfg, unsigned int p)
{
	struct sx_worker w[SX_MAX_THREADS];
	pthread_t tid[SX_MAX_THREADS];
	unsigned int t;
	int status = 0;

	memset(w, 0, sizeof(w));
	for (t = 0; t < cfg->threads; t++) {
		w[t].cfg = cfg;
		w[t].out = &cfg->sh->t[p][t];
		w[t].rng = cfg->seed ^ ((uint64_t)(p + 1) << 32) ^ (t + 1);
		w[t].val = malloc(SX_VAL_MAX);
		w[t].buf = malloc(SX_VAL_MAX);
		w[t].dump = malloc(8 << 20);
		if (!w[t].val || !w[t].buf || !w[t].dump ||
		    pthread_create(&tid[t], NULL, worker, &w[t])) {
			snprintf(w[t].out->failure, sizeof(w[t].out->failure),
				 "cannot start thread %u", t);
			return 1;
		}
	}
	for (t = 0; t < cfg->threads; t++) {
		pthread_join(tid[t], NULL);
		if (w[t].failed || w[t].out->failure[0])
			status = 1;
		free(w[t].val);
		free(w[t].buf);
		free(w[t].dump);
	}
	return status;
}

FIXTURE(stress) {
	struct sx_cfg cfg;
	int fd[SX_CACHES];
};

FIXTURE_SETUP(stress)
{
	int i;

	memset(&self->cfg, 0, sizeof(self->cfg));
	for (i = 0; i < SX_CACHES; i++)
		self->fd[i] = -1;
}

FIXTURE_TEARDOWN(stress)
{
	int i;

	for (i = 0; i < SX_CACHES; i++) {
		if (self->fd[i] >= 0)
			close(self->fd[i]);
		if (self->cfg.caches[i].name[0])
			cache_destroy(self->cfg.caches[i].name);
	}
	if (self->cfg.sh)
		munmap(self->cfg.sh, sizeof(*self->cfg.sh));
}

/* The caches: small against the key space, each limit biting. */
static const struct {
	const char *tag;
	uint64_t max_entries, max_bytes, default_ttl_ms;
	bool metrics;
} layout[SX_CACHES] = {
	{ "entries", 128, 1 << 20, 0, true },		/* count limits */
	{ "bytes", 100000, 12 << 10, 40, true },	/* bytes limit */
	{ "mixed", 150, 32 << 10, 1500, true },
	{ "nometrics", 200, 32 << 10, 20, false },
};

TEST_F_TIMEOUT(stress, mixed_load_keeps_caches_consistent, 3600)
{
	const char *kernel = getenv("VM_KERNEL");
	bool debug = kernel && !strcmp(kernel, "debug");
	struct sx_cfg *cfg = &self->cfg;
	struct sx_counts tot[SX_CACHES];
	uint64_t kinds[K_N] = { 0 }, batched = 0, ops = 0, t0, elapsed;
	uint64_t all_kinds = 0;
	pid_t pids[SX_MAX_PROCS];
	unsigned int p, t, i;
	int ci, status, failed = 0;

	cfg->seconds = env_u64("LRUCACHE_STRESS_SECONDS", debug ? 25 : 10);
	cfg->procs = (unsigned int)env_u64("LRUCACHE_STRESS_PROCS", 3);
	cfg->threads = (unsigned int)env_u64("LRUCACHE_STRESS_THREADS", 3);
	cfg->keys = env_u64("LRUCACHE_STRESS_KEYS", 4000);
	cfg->seed = env_u64("LRUCACHE_STRESS_SEED", 6);
	ASSERT_TRUE(cfg->procs >= 1 && cfg->procs <= SX_MAX_PROCS &&
		    cfg->threads >= 1 && cfg->threads <= SX_MAX_THREADS &&
		    cfg->keys >= 1 && cfg->seconds <= 3000) {
		TH_LOG("LRUCACHE_STRESS_PROCS 1..%d, _THREADS 1..%d, _KEYS >= 1, _SECONDS <= 3000",
		       SX_MAX_PROCS, SX_MAX_THREADS);
	}
	/* Learnt once here, before the workers charge their sets with it. */
	ASSERT_LT(0U, vmalloc_area_cost());
	cfg->sh = mmap(NULL, sizeof(*cfg->sh), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, cfg->sh) {
		cfg->sh = NULL;
	}

	for (ci = 0; ci < SX_CACHES; ci++) {
		struct sx_cache *c = &cfg->caches[ci];
		char tag[32];

		snprintf(tag, sizeof(tag), "stress-%s", layout[ci].tag);
		unique_name(c->name, tag);
		c->max_entries = layout[ci].max_entries;
		c->max_bytes = layout[ci].max_bytes;
		c->default_ttl_ms = layout[ci].default_ttl_ms;
		c->metrics = layout[ci].metrics;
		self->fd[ci] = dev_open();
		ASSERT_LE(0, self->fd[ci]);
		ASSERT_EQ(0, cache_open_ex(self->fd[ci], c->name,
					   LRUCACHE_OPEN_CREATE |
					   LRUCACHE_OPEN_EXCL |
					   (c->metrics ? 0 :
					    LRUCACHE_OPEN_NO_METRICS),
					   c->max_entries, c->max_bytes,
					   c->default_ttl_ms, SX_INTERVAL_MS)) {
			TH_LOG("cannot create %s", c->name);
		}
	}

	t0 = boottime_ns();
	cfg->deadline_ns = t0 + cfg->seconds * 1000000000ULL;
	for (p = 0; p < cfg->procs; p++) {
		pids[p] = fork();
		ASSERT_LE(0, pids[p]);
		if (!pids[p])
			_exit(run_process(cfg, p));
	}
	for (p = 0; p < cfg->procs; p++) {
		ASSERT_EQ(pids[p], waitpid(pids[p], &status, 0));
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			failed++;
	}
	elapsed = boottime_ns() - t0;

	memset(tot, 0, sizeof(tot));
	for (p = 0; p < cfg->procs; p++) {
		for (t = 0; t < cfg->threads; t++) {
			struct sx_thread *th = &cfg->sh->t[p][t];

			if (th->failure[0])
				TH_LOG("process %u thread %u: %s", p, t,
				       th->failure);
			for (i = 0; i < K_N; i++)
				kinds[i] += th->kinds[i];
			batched += th->batched;
			for (ci = 0; ci < SX_CACHES; ci++) {
				struct sx_counts *a = &tot[ci];
				const struct sx_counts *b = &th->c[ci];

				a->hits += b->hits;
				a->misses += b->misses;
				a->sets += b->sets;
				a->set_nx += b->set_nx;
				a->set_xx += b->set_xx;
				a->set_big += b->set_big;
				a->deletes += b->deletes;
				a->del_miss += b->del_miss;
				a->ops += b->ops;
				ops += b->ops;
			}
		}
	}
	for (i = 0; i < K_N; i++)
		all_kinds += kinds[i];
	printf("# stress: seed %llu, %u processes x %u threads, %llu keys, %.1f s: %llu ioctls, %llu key-value operations (%.0f/s)\n",
	       (unsigned long long)cfg->seed, cfg->procs, cfg->threads,
	       (unsigned long long)cfg->keys, elapsed / 1e9,
	       (unsigned long long)all_kinds,
	       (unsigned long long)ops, ops / (elapsed / 1e9));
	printf("# stress: ioctls by kind:");
	for (i = 0; i < K_N; i++)
		printf(" %s %llu", kind_names[i], (unsigned long long)kinds[i]);
	printf(" (%llu operations in batches)\n", (unsigned long long)batched);
	fflush(stdout);
	ASSERT_EQ(0, failed);

	for (ci = 0; ci < SX_CACHES; ci++) {
		const struct sx_cache *c = &cfg->caches[ci];
		struct sx_counts *n = &tot[ci];
		struct lrucache_stats st;
		struct lrucache_check chk;

		ASSERT_EQ(0, cache_stats(self->fd[ci], &st));
		memset(&chk, 0, sizeof(chk));
		ASSERT_EQ(0, xioctl(self->fd[ci], LRUCACHE_IOC_CHECK, &chk));
		printf("# stress: %s: %llu ops; stats hits %llu misses %llu sets %llu deletes %llu evictions %llu expirations %llu (reaped %llu) reclaimed %llu; entries %llu bytes %llu expiring %llu; NX refused %llu, XX refused %llu, too big %llu\n",
		       c->name, (unsigned long long)n->ops,
		       (unsigned long long)st.hits,
		       (unsigned long long)st.misses,
		       (unsigned long long)st.sets,
		       (unsigned long long)st.deletes,
		       (unsigned long long)st.evictions,
		       (unsigned long long)st.expirations,
		       (unsigned long long)st.reaped,
		       (unsigned long long)st.reclaimed,
		       (unsigned long long)st.entries,
		       (unsigned long long)st.bytes,
		       (unsigned long long)st.expiring,
		       (unsigned long long)n->set_nx,
		       (unsigned long long)n->set_xx,
		       (unsigned long long)n->set_big);
		fflush(stdout);
		EXPECT_EQ(0U, chk.problems) {
			TH_LOG("%s: CHECK found %llu problems", c->name,
			       (unsigned long long)chk.problems);
		}
		EXPECT_EQ(st.entries, chk.entries);
		EXPECT_EQ(st.bytes, chk.bytes);
		EXPECT_EQ(st.expiring, chk.expiring);
		EXPECT_GE(c->max_entries, st.entries);
		EXPECT_GE(c->max_bytes, st.bytes);
		if (c->metrics) {
			EXPECT_EQ(n->hits, st.hits);
			EXPECT_EQ(n->misses, st.misses);
			EXPECT_EQ(n->sets, st.sets);
			EXPECT_EQ(n->deletes, st.deletes);
			EXPECT_GE(st.expirations, st.reaped);
			EXPECT_LT(0U, st.evictions);
			EXPECT_LT(0U, st.expirations);
			EXPECT_LT(0U, st.reaped);
		} else {
			EXPECT_EQ(0U, st.hits + st.misses + st.sets +
				  st.deletes + st.evictions + st.expirations);
		}
	}

	/*
	 * Every TTL has run out SX_TTL_MAX_MS after the load: the reapers
	 * (every SX_INTERVAL_MS) must free each entry that has one.
	 */
	sleep_ms(SX_TTL_MAX_MS + 100);
	for (ci = 0; ci < SX_CACHES; ci++) {
		struct lrucache_stats st;
		struct lrucache_check chk;
		struct lrucache_dump d = { 0 };
		struct lrucache_record rec;
		unsigned char *buf = malloc(8 << 20);
		size_t len = 0, pos = 0;
		uint64_t polls, none = 0;
		ssize_t r;

		ASSERT_NE(NULL, buf);
		for (polls = 0; polls < 3000; polls++) {
			ASSERT_EQ(0, cache_stats(self->fd[ci], &st));
			if (!st.expiring)
				break;
			sleep_ms(10);
		}
		EXPECT_EQ(0U, st.expiring) {
			TH_LOG("%s: the reaper left %llu entries with a TTL 30 s after the last had expired",
			       cfg->caches[ci].name,
			       (unsigned long long)st.expiring);
		}
		ASSERT_EQ(0, xioctl(self->fd[ci], LRUCACHE_IOC_DUMP, &d));
		while ((r = read(d.fd, buf + len, (8 << 20) - len)) > 0)
			len += (size_t)r;
		close(d.fd);
		ASSERT_EQ(d.bytes, len);
		while (pos + sizeof(rec) <= len) {
			memcpy(&rec, buf + pos, sizeof(rec));
			none += rec.ttl_ms == LRUCACHE_TTL_NONE;
			pos += sizeof(rec) + rec.key_len + rec.value_len;
		}
		free(buf);
		EXPECT_EQ(st.entries, d.entries);
		EXPECT_EQ(d.entries, none);
		memset(&chk, 0, sizeof(chk));
		ASSERT_EQ(0, xioctl(self->fd[ci], LRUCACHE_IOC_CHECK, &chk));
		EXPECT_EQ(0U, chk.problems);
		EXPECT_EQ(st.entries, chk.entries);

		ASSERT_EQ(0, cache_clear(self->fd[ci]));
		ASSERT_EQ(0, cache_stats(self->fd[ci], &st));
		EXPECT_EQ(0U, st.entries + st.bytes + st.expiring);
		memset(&chk, 0, sizeof(chk));
		ASSERT_EQ(0, xioctl(self->fd[ci], LRUCACHE_IOC_CHECK, &chk));
		EXPECT_EQ(0U, chk.problems + chk.entries + chk.bytes +
			  chk.expiring);
	}
}

TEST_HARNESS_MAIN
