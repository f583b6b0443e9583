// SPDX-License-Identifier: GPL-2.0
/*
 * A seeded ioctl fuzzer for /dev/lrucache.
 *
 * Two threads throw random ioctls at a small pool of caches: valid commands
 * with random sizes in the ioctl number, other directions and random
 * numbers; random flags, reserved fields, counts, TTLs, key and value
 * lengths at and past the module's limits; argument, key and value
 * pointers that are valid, NULL, unmapped, PROT_NONE, read-only, kernel or
 * non-canonical addresses, or straddle a guard page; batches with random
 * op_size whose keys, values and GET buffers overlap the operation array
 * itself. The second thread also destroys and re-creates the same cache
 * names while the main thread works on them.
 *
 * Every call must return 0 (or the documented positive result) or one of
 * the errnos Documentation/lrucache/ioctl.rst lists for that command
 * (-ENOTTY for an unknown command); anything else fails the test with the
 * call described. At the end the number of calls and the errno histogram
 * are printed as TAP comments.
 *
 * Bounded in count and time (default 200000 calls or 55 s, whichever comes
 * first): LRUCACHE_FUZZ_CALLS, LRUCACHE_FUZZ_SECONDS and LRUCACHE_FUZZ_SEED
 * override. Each thread's random stream is derived from the seed, so a
 * seed replays the same sequence of calls per thread (their interleaving,
 * and so the results, may differ).
 */
#include <dirent.h>
#include <pthread.h>
#include <stdbool.h>

#include "kselftest_harness.h"
#include "abi.h"

#define FZ_DEFAULT_CALLS	200000ULL
#define FZ_DEFAULT_SECONDS	55ULL
#define FZ_POOL			5	/* cache names; the last is rarely created */
#define FZ_SLOTS		4	/* descriptors per thread */
#define FZ_ARENA		(4UL << 20)
#define FZ_ARG_MAX		16384	/* _IOC_SIZEMASK + 1 */
#define FZ_ERRNO_MAX		160
#define KERNEL_ADDR		0xffff888000000000ULL

enum {
	C_OPEN, C_DESTROY, C_SET, C_GET, C_EXISTS, C_DELETE, C_CLEAR, C_STATS,
	C_BATCH, C_RESET, C_HEALTH, C_INFO, C_REAP, C_DUMP, C_NOP,
#ifdef LRUCACHE_IOC_CHECK
	C_CHECK,
#endif
	C_INCR, C_TOUCH, C_GETEX, C_TTL, C_GETDEL, C_DELETE_PREFIX,
	C_LEASE_RELEASE, C_LEASE_WAIT,
	C_UNKNOWN, C_N
};

static const struct {
	const char *name;
	unsigned int cmd;
	unsigned int size;	/* of the current structure */
	int errs[16];		/* documented errnos, 0-terminated */
} cmds[C_N] = {
#define BOUND EBADFD, EIDRM
	[C_OPEN] = { "OPEN", LRUCACHE_IOC_OPEN, sizeof(struct lrucache_open),
		{ EINVAL, ENOENT, EEXIST, EACCES, EDQUOT, EBUSY, ENOMEM,
		  EFAULT, E2BIG } },
	[C_DESTROY] = { "DESTROY", LRUCACHE_IOC_DESTROY,
		sizeof(struct lrucache_destroy),
		{ EINVAL, ENOENT, EACCES, EFAULT, E2BIG } },
	[C_SET] = { "SET", LRUCACHE_IOC_SET, sizeof(struct lrucache_kv),
		{ EINVAL, E2BIG, ENOSPC, EDQUOT, EACCES, EFAULT, EEXIST,
		  ENOENT, ENOMEM, ESTALE, EOVERFLOW, BOUND } },
	[C_GET] = { "GET", LRUCACHE_IOC_GET, sizeof(struct lrucache_kv),
		{ ENOENT, EINVAL, E2BIG, EFAULT, EACCES, ENOMEM, BOUND } },
	[C_EXISTS] = { "EXISTS", LRUCACHE_IOC_EXISTS,
		sizeof(struct lrucache_kv),
		{ EINVAL, E2BIG, EFAULT, EACCES, BOUND } },
	[C_DELETE] = { "DELETE", LRUCACHE_IOC_DELETE,
		sizeof(struct lrucache_kv),
		{ ENOENT, EINVAL, E2BIG, EFAULT, EACCES, BOUND } },
	[C_CLEAR] = { "CLEAR", LRUCACHE_IOC_CLEAR, 0, { EACCES, BOUND } },
	[C_STATS] = { "STATS", LRUCACHE_IOC_STATS,
		sizeof(struct lrucache_stats),
		{ EACCES, EINVAL, EFAULT, BOUND } },
	[C_BATCH] = { "BATCH", LRUCACHE_IOC_BATCH,
		sizeof(struct lrucache_batch),
		{ E2BIG, EINVAL, EFAULT, BOUND } },
	[C_RESET] = { "RESET_STATS", LRUCACHE_IOC_RESET_STATS, 0,
		{ EACCES, BOUND } },
	[C_HEALTH] = { "HEALTH", LRUCACHE_IOC_HEALTH,
		sizeof(struct lrucache_health),
		{ EACCES, EINVAL, EFAULT, BOUND } },
	[C_INFO] = { "INFO", LRUCACHE_IOC_INFO, sizeof(struct lrucache_info),
		{ EACCES, EINVAL, EFAULT, BOUND } },
	[C_REAP] = { "REAP", LRUCACHE_IOC_REAP, sizeof(struct lrucache_reap),
		{ EINVAL, E2BIG, EFAULT, EACCES, BOUND } },
	[C_DUMP] = { "DUMP", LRUCACHE_IOC_DUMP, sizeof(struct lrucache_dump),
		{ EINVAL, E2BIG, EFAULT, EACCES, ENOMEM, EMFILE, EAGAIN,
		  BOUND } },
	[C_NOP] = { "NOP", LRUCACHE_IOC_NOP, 0, { BOUND } },
#ifdef LRUCACHE_IOC_CHECK
	[C_CHECK] = { "CHECK", LRUCACHE_IOC_CHECK,
		sizeof(struct lrucache_check),
		{ EPERM, EINVAL, EAGAIN, EFAULT, BOUND } },
#endif
	[C_INCR] = { "INCR", LRUCACHE_IOC_INCR, sizeof(struct lrucache_kv),
		{ EINVAL, E2BIG, ENOSPC, EDQUOT, EACCES, EFAULT, ENOMEM,
		  EOVERFLOW, BOUND } },
	[C_TOUCH] = { "TOUCH", LRUCACHE_IOC_TOUCH, sizeof(struct lrucache_kv),
		{ ENOENT, EINVAL, E2BIG, EFAULT, EACCES, BOUND } },
	[C_GETEX] = { "GETEX", LRUCACHE_IOC_GETEX, sizeof(struct lrucache_kv),
		{ ENOENT, EINVAL, E2BIG, EFAULT, EACCES, BOUND } },
	[C_TTL] = { "TTL", LRUCACHE_IOC_TTL, sizeof(struct lrucache_kv),
		{ ENOENT, EINVAL, E2BIG, EFAULT, EACCES, BOUND } },
	[C_GETDEL] = { "GETDEL", LRUCACHE_IOC_GETDEL,
		sizeof(struct lrucache_kv),
		{ ENOENT, EINVAL, E2BIG, EFAULT, EACCES, BOUND } },
	[C_DELETE_PREFIX] = { "DELETE_PREFIX", LRUCACHE_IOC_DELETE_PREFIX,
		sizeof(struct lrucache_kv),
		{ EINVAL, E2BIG, EFAULT, EACCES, BOUND } },
	[C_LEASE_RELEASE] = { "LEASE_RELEASE", LRUCACHE_IOC_LEASE_RELEASE,
		sizeof(struct lrucache_kv),
		{ ENOENT, EINVAL, E2BIG, EFAULT, EACCES, BOUND } },
	[C_LEASE_WAIT] = { "LEASE_WAIT", LRUCACHE_IOC_LEASE_WAIT,
		sizeof(struct lrucache_kv),
		{ ETIMEDOUT, EDEADLK, EINTR, EINVAL, E2BIG, EFAULT, EACCES,
		  BOUND } },
	[C_UNKNOWN] = { "unknown", 0, 0, { ENOTTY } },
#undef BOUND
};

/* What a batched operation's result may be, by opcode (0: unknown). */
#define FZ_MAX_OPCODE	LRUCACHE_OP_LEASE_WAIT
static const int op_errs[FZ_MAX_OPCODE + 1][16] = {
	/* Unknown: the key is checked (and read) before the opcode. */
	[0] = { EINVAL, E2BIG, EFAULT, EACCES },
	[LRUCACHE_OP_GET] = { ENOENT, EINVAL, E2BIG, EFAULT, EACCES, EIDRM },
	[LRUCACHE_OP_SET] = { EINVAL, E2BIG, ENOSPC, EDQUOT, EACCES, EFAULT,
			      EEXIST, ENOENT, ENOMEM, ESTALE, EOVERFLOW,
			      EIDRM },
	[LRUCACHE_OP_DELETE] = { ENOENT, EINVAL, E2BIG, EFAULT, EACCES,
				 EIDRM },
	[LRUCACHE_OP_EXISTS] = { EINVAL, E2BIG, EFAULT, EACCES, EIDRM },
	[LRUCACHE_OP_INCR] = { EINVAL, E2BIG, ENOSPC, EDQUOT, EACCES, EFAULT,
			       ENOMEM, EOVERFLOW, EIDRM },
	[LRUCACHE_OP_TOUCH] = { ENOENT, EINVAL, E2BIG, EFAULT, EACCES, EIDRM },
	[LRUCACHE_OP_GETEX] = { ENOENT, EINVAL, E2BIG, EFAULT, EACCES, EIDRM },
	[LRUCACHE_OP_TTL] = { ENOENT, EINVAL, E2BIG, EFAULT, EACCES, EIDRM },
	[LRUCACHE_OP_GETDEL] = { ENOENT, EINVAL, E2BIG, EFAULT, EACCES,
				 EIDRM },
	[LRUCACHE_OP_DELETE_PREFIX] = { EINVAL, E2BIG, EFAULT, EACCES, EIDRM },
	[LRUCACHE_OP_LEASE_RELEASE] = { ENOENT, EINVAL, E2BIG, EFAULT, EACCES,
					EIDRM },
	[LRUCACHE_OP_LEASE_WAIT] = { ETIMEDOUT, EDEADLK, EINTR, EINVAL, E2BIG,
				     EFAULT, EACCES, EIDRM },
};

static bool in_set(const int *set, int err)
{
	for (; *set; set++)
		if (*set == err)
			return true;
	return false;
}

/* ---- shared state ---- */

static struct {
	char names[FZ_POOL][LRUCACHE_NAME_MAX];
	uint64_t max_key_len, max_value_len;
	uint64_t seed, max_calls, deadline_ns;
	uint64_t calls;			/* atomic */
	uint64_t hist[C_N][FZ_ERRNO_MAX + 1];	/* atomic; [0]: success */
	int stop;			/* atomic */
	pthread_mutex_t lock;
	char failure[4096];		/* the first bad call, described */
	/* Addresses that fault, shared by both threads. */
	char *unmapped, *prot_none, *ro_zero, *ro_rand;
} G = { .lock = PTHREAD_MUTEX_INITIALIZER };

struct fz {
	int id;
	uint64_t rng;
	uint64_t n;			/* this thread's calls */
	int fds[FZ_SLOTS];
	char *arena;			/* FZ_ARENA bytes, then a guard page */
	unsigned int destroy_pct10k;	/* chance of a DESTROY + re-create */
	unsigned char argcopy[FZ_ARG_MAX];
};

static uint64_t rnd(struct fz *z)
{
	return splitmix64(&z->rng);
}

static uint64_t below(struct fz *z, uint64_t n)
{
	return n ? rnd(z) % n : 0;
}

static bool pct(struct fz *z, unsigned int p)
{
	return below(z, 100) < p;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static bool should_stop(void)
{
	return __atomic_load_n(&G.stop, __ATOMIC_RELAXED) ||
	       __atomic_load_n(&G.calls, __ATOMIC_RELAXED) >= G.max_calls ||
	       now_ns() >= G.deadline_ns;
}

static void fail(struct fz *z, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fail(struct fz *z, const char *fmt, ...)
{
	va_list ap;
	size_t len;

	pthread_mutex_lock(&G.lock);
	if (!G.failure[0]) {
		len = (size_t)snprintf(G.failure, sizeof(G.failure),
				       "seed=%llu thread=%d call#%llu: ",
				       (unsigned long long)G.seed, z->id,
				       (unsigned long long)z->n);
		va_start(ap, fmt);
		vsnprintf(G.failure + len, sizeof(G.failure) - len, fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&G.lock);
	__atomic_store_n(&G.stop, 1, __ATOMIC_RELAXED);
}

/* ---- building blocks ---- */

enum ptr_kind { P_VALID, P_NULL, P_UNMAPPED, P_PROT_NONE, P_RO_ZERO,
		P_RO_RAND, P_KERNEL, P_NONCANON, P_GUARD, P_N };
static const char *const ptr_names[P_N] = {
	"valid", "NULL", "unmapped", "PROT_NONE", "ro-zero", "ro-random",
	"kernel", "non-canonical", "guard-straddle",
};

/* A pointer of @kind to @len bytes; P_VALID lands in the arena. */
static uint64_t bad_ptr(struct fz *z, enum ptr_kind kind, size_t len)
{
	switch (kind) {
	case P_NULL:
		return 0;
	case P_UNMAPPED:
		return (uintptr_t)G.unmapped + below(z, 4096);
	case P_PROT_NONE:
		return (uintptr_t)G.prot_none + below(z, 4096);
	case P_RO_ZERO:
		return (uintptr_t)G.ro_zero;
	case P_RO_RAND:
		return (uintptr_t)G.ro_rand;
	case P_KERNEL:
		return KERNEL_ADDR + below(z, 2) * below(z, 1 << 20);
	case P_NONCANON:
		return pct(z, 50) ? 0x0000800000000000ULL : 0xdead000000000000ULL;
	case P_GUARD:
		/* Ends 1..len bytes past the end of the arena. */
		return (uintptr_t)z->arena + FZ_ARENA - (len ? below(z, len) : 0);
	default:
		return (uintptr_t)z->arena + below(z, FZ_ARENA - len);
	}
}

static enum ptr_kind pick_kind(struct fz *z, unsigned int bad_pct)
{
	if (!pct(z, bad_pct))
		return P_VALID;
	return (enum ptr_kind)(1 + below(z, P_N - 1));
}

/* A key length: short mostly, sometimes at or past the limit. */
static uint32_t key_len(struct fz *z)
{
	switch (below(z, 40)) {
	case 0: return 0;
	case 1: return (uint32_t)G.max_key_len;
	case 2: return (uint32_t)G.max_key_len + 1;
	case 3: return (uint32_t)G.max_key_len - 1;
	case 4: return (uint32_t)rnd(z);
	case 5: return 1 + (uint32_t)below(z, 2 * G.max_key_len);
	default: return 0;	/* a short text key, see put_kv() */
	}
}

static uint32_t value_len(struct fz *z)
{
	switch (below(z, 200)) {
	case 0: return (uint32_t)G.max_value_len;
	case 1: return (uint32_t)G.max_value_len + 1;
	case 2: return (uint32_t)rnd(z);
	case 3: return (uint32_t)below(z, 2 * G.max_value_len);
	case 4 ... 9: return (uint32_t)below(z, 65536);
	case 10 ... 39: return 0;
	default: return (uint32_t)below(z, 300);
	}
}

static uint64_t ttl(struct fz *z)
{
	switch (below(z, 24)) {
	case 0: return 0;
	case 1: case 7: case 8: return 1 + below(z, 30);
	case 2: return LRUCACHE_TTL_MAX_MS;
	case 3: return LRUCACHE_TTL_MAX_MS + 1;
	case 4: return rnd(z);
	case 5: return LRUCACHE_TTL_NONE;
	case 6: case 9: case 10: return 1 + below(z, 5000);
	default: return LRUCACHE_TTL_DEFAULT;
	}
}

static uint32_t small_flags(struct fz *z, uint32_t known)
{
	if (pct(z, 70))
		return 0;
	if (pct(z, 80))
		return (uint32_t)rnd(z) & (known | (known << 1));
	return (uint32_t)rnd(z);
}

static uint32_t maybe(struct fz *z, unsigned int p)
{
	return pct(z, p) ? (uint32_t)(rnd(z) | 1) : 0;
}

/*
 * Key and value pointers and lengths. A short key is "#k<n>" ('#' is no
 * name character, so a stray key read as an OPEN argument names no cache).
 */
static void put_kv(struct fz *z, __u64 *key, __u32 *klen,
		   __u64 *val, __u32 *vlen, bool want_value)
{
	enum ptr_kind kk = pick_kind(z, 8), vk = pick_kind(z, 8);
	uint32_t kl = key_len(z);
	char buf[32];

	if (!kl && pct(z, 95)) {
		kl = (uint32_t)snprintf(buf, sizeof(buf), "#k%u",
					(unsigned int)below(z, 16));
		*key = bad_ptr(z, kk, kl);
		if (kk == P_VALID)
			memcpy((void *)(uintptr_t)*key, buf, kl);
	} else {
		*key = bad_ptr(z, kk, kl < FZ_ARENA ? kl : 64);
	}
	*klen = kl;
	if (!want_value) {
		*val = pct(z, 5) ? bad_ptr(z, vk, 16) : 0;
		*vlen = pct(z, 5) ? value_len(z) : 0;
		return;
	}
	*vlen = value_len(z);
	*val = bad_ptr(z, vk, *vlen < FZ_ARENA ? *vlen : 4096);
	if (!*vlen && pct(z, 30))
		*val = 0;
}

static void put_name_field(struct fz *z, char name[LRUCACHE_NAME_MAX],
			   const char **what)
{
	unsigned int i;

	memset(name, 0, LRUCACHE_NAME_MAX);
	switch (below(z, 14)) {
	case 0:
		*what = "empty";
		break;
	case 1:
		*what = "leading dot";
		snprintf(name, LRUCACHE_NAME_MAX, ".%.40s", G.names[0]);
		break;
	case 2:
		*what = "bad char";
		snprintf(name, LRUCACHE_NAME_MAX, "%.40s/x", G.names[0]);
		break;
	case 3:
		*what = "no NUL";
		memset(name, 'a', LRUCACHE_NAME_MAX);
		memcpy(name, "#", 1);
		break;
	case 4:
		*what = "bytes after NUL";
		put_name(name, G.names[below(z, FZ_POOL)]);
		name[LRUCACHE_NAME_MAX - 1 - below(z, 8)] = 'x';
		break;
	case 5:
		*what = "random bytes";
		for (i = 0; i < LRUCACHE_NAME_MAX; i++)
			name[i] = (char)rnd(z);
		name[0] = '#';
		break;
	default:
		*what = "pool";
		put_name(name, G.names[below(z, FZ_POOL)]);
		break;
	}
}

/* The size in the ioctl number, and the ioctl number itself. */
static unsigned int pick_cmd(struct fz *z, int *c, unsigned int *usize)
{
	unsigned int nr, dir, type, size, cmd;
	int i;

	*c = (int)below(z, C_N);
	if (*c == C_UNKNOWN || pct(z, 3)) {
		/* A random number, with or without our magic. */
		cmd = (unsigned int)rnd(z);
		if (pct(z, 70))
			cmd = (cmd & ~(0xffU << _IOC_TYPESHIFT)) |
			      (LRUCACHE_IOC_MAGIC << _IOC_TYPESHIFT);
		if (pct(z, 50))
			cmd = (cmd & ~(0xffU << _IOC_NRSHIFT)) |
			      ((0x38 + (unsigned int)below(z, 32)) << _IOC_NRSHIFT);
		type = _IOC_TYPE(cmd);
		/* Leave the VFS's own commands (FIOCLEX, FICLONE...) alone. */
		if (type == 'T' || type == 'f' || type == 'X' || type == 0x94 ||
		    type == 0 || type == 0x15)
			cmd ^= 0x80U << _IOC_TYPESHIFT;
		*c = C_UNKNOWN;
		for (i = 0; i < C_UNKNOWN; i++)
			if ((cmd & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT)) ==
			    (cmds[i].cmd & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT)))
				*c = i;
		*usize = _IOC_SIZE(cmd);
		return cmd;
	}
	cmd = cmds[*c].cmd;
	size = cmds[*c].size;
	switch (below(z, 20)) {
	case 0: size = (unsigned int)below(z, _IOC_SIZEMASK + 1); break;
	case 1: size = size ? size - 8 : 8; break;
	case 2: size += 8; break;
	case 3: size += (unsigned int)below(z, 64); break;
	case 4: size = size > 8 ? size - (unsigned int)below(z, 9) : 0; break;
	case 5: size = _IOC_SIZEMASK; break;
	case 6: size = 0; break;
	case 7: size = 4096 + (unsigned int)below(z, 32); break;
	case 8:
		/* Another direction: not our command. */
		dir = (_IOC_DIR(cmd) + 1 + (unsigned int)below(z, 3)) & 3;
		nr = _IOC_NR(cmd);
		cmd = _IOC(dir, LRUCACHE_IOC_MAGIC, nr, size);
		*c = C_UNKNOWN;
		*usize = size;
		return cmd;
	default: break;
	}
	size &= _IOC_SIZEMASK;
	*usize = size;
	return (cmd & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT)) |
	       (size << _IOC_SIZESHIFT);
}

static void tail_bytes(struct fz *z, unsigned char *a, size_t from, size_t to)
{
	size_t i;

	if (to <= from)
		return;
	memset(a + from, 0, to - from);
	if (pct(z, 25))
		for (i = 0; i < 1 + below(z, 3); i++)
			a[from + below(z, to - from)] = (unsigned char)(rnd(z) | 1);
}

/* ---- the argument of each command ---- */

static void build_open(struct fz *z, unsigned char *a, const char **what)
{
	struct lrucache_open *o = (void *)a;
	static const uint64_t intervals[] = { 0, 9, 10, 11, 1000,
		LRUCACHE_CLEANUP_INTERVAL_MAX_MS,
		LRUCACHE_CLEANUP_INTERVAL_MAX_MS + 1, ~0ULL };

	put_name_field(z, o->name, what);
	o->flags = pct(z, 70) ? LRUCACHE_OPEN_CREATE : small_flags(z, 7);
	if (pct(z, 10))
		o->flags |= LRUCACHE_OPEN_EXCL;
	if (pct(z, 10))
		o->flags |= LRUCACHE_OPEN_NO_METRICS;
	o->reserved = maybe(z, 5);
	switch (below(z, 8)) {
	case 0: o->max_entries = 1 + below(z, 64); break;
	case 1: o->max_entries = 1ULL << 24; break;
	case 2: o->max_entries = (1ULL << 24) + 1; break;
	case 3: o->max_entries = rnd(z); break;
	default: o->max_entries = 0; break;
	}
	switch (below(z, 8)) {
	case 0: o->max_bytes = below(z, 1 << 20); break;
	case 1: o->max_bytes = rnd(z); break;
	case 2: o->max_bytes = 1; break;
	default: o->max_bytes = 1 << 20; break;
	}
	o->default_ttl_ms = pct(z, 80) ? 0 : ttl(z);
	o->cleanup_interval_ms = intervals[below(z, 8)];
	switch (below(z, 6)) {
	case 0: o->mode = 0700; break;
	case 1: o->mode = (uint32_t)below(z, 01000); break;
	case 2: o->mode = (uint32_t)rnd(z); break;
	default: o->mode = 0; break;
	}
	o->reserved2 = maybe(z, 5);
}

static void build_kv(struct fz *z, int c, unsigned char *a)
{
	struct lrucache_kv *kv = (void *)a;

	put_kv(z, &kv->key, &kv->key_len, &kv->value, &kv->value_len,
	       c == C_SET || c == C_GET);
	if (c == C_SET) {
		kv->ttl_ms = ttl(z);
		kv->flags = small_flags(z, LRUCACHE_SET_FLAGS);
	} else if (c == C_LEASE_WAIT) {
		/* Short: a lease another thread took may last an hour. */
		kv->ttl_ms = below(z, 20);
	} else if (c == C_INCR || c == C_TOUCH || c == C_GETEX) {
		kv->ttl_ms = ttl(z);
		if (c == C_INCR)
			kv->delta = pct(z, 20) ? (int64_t)rnd(z) : 1;
	} else {
		kv->ttl_ms = pct(z, 5) ? ttl(z) : 0;
		kv->flags = pct(z, 5) ? small_flags(z, 3) : 0;
	}
	kv->reserved = maybe(z, 4);
}

struct batch_plan {
	bool clean;		/* ops and data apart: results can be checked */
	uint64_t ops;
	uint32_t count, op_size;
};

static void build_batch(struct fz *z, unsigned char *a, struct batch_plan *bp)
{
	struct lrucache_batch *b = (void *)a;
	unsigned char *ops;
	uint64_t room;
	uint32_t i, n;
	enum ptr_kind k = pick_kind(z, 8);

	switch (below(z, 20)) {
	case 0: b->count = 0; break;
	case 1: b->count = LRUCACHE_BATCH_MAX; break;
	case 2: b->count = LRUCACHE_BATCH_MAX + 1; break;
	case 3: b->count = (uint32_t)rnd(z); break;
	case 4: b->count = (uint32_t)below(z, LRUCACHE_BATCH_MAX); break;
	default: b->count = 1 + (uint32_t)below(z, 16); break;
	}
	switch (below(z, 16)) {
	case 0: b->op_size = 0; break;
	case 1: b->op_size = sizeof(struct lrucache_op) - 8; break;
	case 2: b->op_size = sizeof(struct lrucache_op) + 8; break;
	case 3: b->op_size = 4096; break;
	case 4: b->op_size = 4097; break;
	case 5: b->op_size = (uint32_t)rnd(z); break;
	case 6: b->op_size = sizeof(struct lrucache_op) +
			     (uint32_t)below(z, 200); break;
	default: b->op_size = sizeof(struct lrucache_op); break;
	}
	b->flags = maybe(z, 4);
	b->reserved = maybe(z, 4);

	bp->clean = k == P_VALID && b->op_size == sizeof(struct lrucache_op) &&
		    b->count <= 64 && pct(z, 50);
	if (bp->clean) {
		/* Ops in the first 64 KiB; keys and values kept beyond. */
		ops = (unsigned char *)z->arena + FZ_ARG_MAX + below(z, 4096);
	} else if (k == P_VALID) {
		room = (uint64_t)b->count * (b->op_size ? b->op_size : 1);
		room = room < FZ_ARENA ? room : FZ_ARENA - 1;
		ops = (unsigned char *)z->arena + below(z, FZ_ARENA - room);
	} else {
		ops = (unsigned char *)(uintptr_t)bad_ptr(z, k, 64);
	}
	b->ops = (uintptr_t)ops;
	bp->ops = b->ops;
	bp->count = b->count;
	bp->op_size = b->op_size;
	if (k != P_VALID || !b->op_size)
		return;

	n = b->count < 64 ? b->count : 64;
	for (i = 0; i < n; i++) {
		unsigned char *p = ops + (size_t)i * b->op_size;
		struct lrucache_op op = { 0 };
		size_t len = b->op_size < sizeof(op) ? b->op_size : sizeof(op);

		if ((uintptr_t)(p + b->op_size) > (uintptr_t)z->arena + FZ_ARENA)
			break;
		op.opcode = pct(z, 95) ? 1 + (uint32_t)below(z, 4) :
					 (uint32_t)rnd(z) % 8;
		op.result = pct(z, 90) ? 0 : (int32_t)rnd(z);
		put_kv(z, &op.key, &op.key_len, &op.value, &op.value_len,
		       op.opcode == LRUCACHE_OP_SET ||
		       op.opcode == LRUCACHE_OP_GET);
		if (bp->clean) {
			/* Keep keys and values clear of the ops. */
			if (op.key >= (uintptr_t)z->arena &&
			    op.key < (uintptr_t)z->arena + 2 * FZ_ARG_MAX + 65536)
				op.key += 2 * FZ_ARG_MAX + 65536;
			if (op.value >= (uintptr_t)z->arena &&
			    op.value < (uintptr_t)z->arena + 2 * FZ_ARG_MAX + 65536)
				op.value += 2 * FZ_ARG_MAX + 65536;
		} else if (pct(z, 40)) {
			/* Keys, values and GET buffers inside the array. */
			op.key = (uintptr_t)ops + below(z, (uint64_t)n * b->op_size);
			if (pct(z, 60))
				op.value = (uintptr_t)ops +
					   below(z, (uint64_t)n * b->op_size);
			if (op.key_len > 256 && pct(z, 80))
				op.key_len = (uint32_t)below(z, 64);
			if (op.value_len > 4096 && pct(z, 80))
				op.value_len = (uint32_t)below(z, 4096);
		}
		op.ttl_ms = op.opcode == LRUCACHE_OP_SET ? ttl(z) :
			    (pct(z, 5) ? ttl(z) : 0);
		op.flags = op.opcode == LRUCACHE_OP_SET ?
			   small_flags(z, LRUCACHE_SET_FLAGS) :
			   (pct(z, 5) ? small_flags(z, 3) : 0);
		op.reserved = maybe(z, 3);
		memcpy(p, &op, len);
		if (b->op_size > sizeof(op))
			tail_bytes(z, p, sizeof(op), b->op_size);
	}
}

/* ---- one call ---- */

static void describe(struct fz *z, char *out, size_t size, int c,
		     unsigned int cmd, int slot, enum ptr_kind k,
		     uint64_t arg, unsigned int usize, const char *what)
{
	size_t len, i, n = usize < 64 ? usize : 64;

	len = (size_t)snprintf(out, size,
		"%s cmd=%#x (dir %u size %u) slot %d fd %d arg %s %#llx%s%s; "
		"arg bytes:", cmds[c].name, cmd, _IOC_DIR(cmd), usize, slot,
		z->fds[slot], ptr_names[k], (unsigned long long)arg,
		what ? " name " : "", what ? what : "");
	if (k != P_VALID)
		n = 0;
	for (i = 0; i < n && len + 4 < size; i++)
		len += (size_t)snprintf(out + len, size - len, " %02x",
					z->argcopy[i]);
}

static void count(int c, int ret)
{
	int e = ret < 0 ? -ret : 0;

	if (e > FZ_ERRNO_MAX)
		e = FZ_ERRNO_MAX;
	__atomic_fetch_add(&G.hist[c][e], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&G.calls, 1, __ATOMIC_RELAXED);
}

static int call(struct fz *z, int slot, int c, unsigned int cmd, uint64_t arg)
{
	int ret = ioctl(z->fds[slot], cmd, (void *)(uintptr_t)arg);

	ret = ret < 0 ? -errno : ret;
	z->n++;
	count(c, ret);
	return ret;
}

static void check_batch_results(struct fz *z, const struct batch_plan *bp,
				int ret, const char *desc)
{
	int i;

	for (i = 0; i < ret && i < 64; i++) {
		struct lrucache_op op;
		uint32_t oc;

		memcpy(&op, (void *)(uintptr_t)(bp->ops + (uint64_t)i * sizeof(op)),
		       sizeof(op));
		oc = op.opcode <= FZ_MAX_OPCODE ? op.opcode : 0;
		if (op.result < 0 && in_set(op_errs[oc], -op.result))
			continue;
		if (op.result >= 0) {
			if (oc == LRUCACHE_OP_EXISTS && op.result <= 1)
				continue;
			if ((oc == LRUCACHE_OP_GET ||
			     oc == LRUCACHE_OP_GETEX ||
			     oc == LRUCACHE_OP_GETDEL) &&
			    (uint64_t)op.result <= G.max_value_len &&
			    op.value_len == (uint32_t)op.result)
				continue;
			if ((oc == LRUCACHE_OP_SET ||
			     oc == LRUCACHE_OP_DELETE ||
			     oc == LRUCACHE_OP_INCR ||
			     oc == LRUCACHE_OP_TOUCH ||
			     oc == LRUCACHE_OP_TTL ||
			     oc == LRUCACHE_OP_LEASE_RELEASE ||
			     oc == LRUCACHE_OP_LEASE_WAIT) && op.result == 0)
				continue;
			if (oc == LRUCACHE_OP_DELETE_PREFIX)
				continue;	/* the count deleted */
		}
		fail(z, "%s: batch op %d (opcode %u, key_len %u, value_len %u, "
		     "ttl %llu, flags %#x, reserved %#x) result %d (%s)",
		     desc, i, op.opcode, op.key_len, op.value_len,
		     (unsigned long long)op.ttl_ms, op.flags, op.reserved,
		     op.result, op.result < 0 ? strerror(-op.result) : "");
		return;
	}
}

/* A valid OPEN with CREATE of a pool name on slot @slot (a fresh fd). */
static void reopen(struct fz *z, int slot, bool bind)
{
	struct lrucache_open o;
	int ret;

	if (z->fds[slot] >= 0)
		close(z->fds[slot]);
	z->fds[slot] = dev_open();
	if (z->fds[slot] < 0) {
		fail(z, "cannot open %s: %s", LRUCACHE_DEVICE_PATH,
		     strerror(-z->fds[slot]));
		z->fds[slot] = -1;
		return;
	}
	if (!bind)
		return;
	memset(&o, 0, sizeof(o));
	put_name(o.name, G.names[below(z, FZ_POOL - 1)]);
	o.flags = LRUCACHE_OPEN_CREATE;
	o.max_bytes = pct(z, 70) ? 1 << 20 : 0;
	o.max_entries = pct(z, 50) ? 1 + below(z, 200) : 0;
	o.cleanup_interval_ms = pct(z, 30) ? 10 + below(z, 50) : 0;
	ret = call(z, slot, C_OPEN, LRUCACHE_IOC_OPEN, (uintptr_t)&o);
	if (ret && !in_set(cmds[C_OPEN].errs, -ret))
		fail(z, "OPEN (re-create) %s: %d (%s)", o.name, ret,
		     strerror(-ret));
}

static void destroy_name(struct fz *z, int slot, const char *name)
{
	struct lrucache_destroy d;
	int ret;

	memset(&d, 0, sizeof(d));
	put_name(d.name, name);
	ret = call(z, slot, C_DESTROY, LRUCACHE_IOC_DESTROY, (uintptr_t)&d);
	if (ret && ret != -ENOENT)
		fail(z, "DESTROY %s: %d (%s)", name, ret, strerror(-ret));
}

static void one_call(struct fz *z)
{
	unsigned char a[FZ_ARG_MAX];
	struct batch_plan bp = { 0 };
	const char *what = NULL;
	unsigned int usize, cmd, build;
	enum ptr_kind k;
	uint64_t arg;
	char desc[1024];
	int c, slot, ret;

	slot = (int)below(z, FZ_SLOTS);
	if (pct(z, 1) || z->fds[slot] < 0)
		reopen(z, slot, pct(z, 85));
	if (below(z, 10000) < z->destroy_pct10k) {
		/* Concurrent destroy, then the same name again. */
		destroy_name(z, slot, G.names[below(z, FZ_POOL - 1)]);
		reopen(z, slot, true);
		return;
	}
	if (z->fds[slot] < 0)
		return;

	cmd = pick_cmd(z, &c, &usize);
	memset(a, 0, sizeof(a));
	build = c == C_UNKNOWN && pct(z, 50) ? (unsigned int)below(z, C_N) :
						(unsigned int)c;
	switch (build) {
	case C_OPEN:
		build_open(z, a, &what);
		break;
	case C_DESTROY:
		put_name_field(z, ((struct lrucache_destroy *)a)->name, &what);
		((struct lrucache_destroy *)a)->flags = maybe(z, 5);
		((struct lrucache_destroy *)a)->reserved = maybe(z, 5);
		break;
	case C_SET: case C_GET: case C_EXISTS: case C_DELETE:
	case C_INCR: case C_TOUCH: case C_GETEX: case C_TTL: case C_GETDEL:
	case C_DELETE_PREFIX: case C_LEASE_RELEASE: case C_LEASE_WAIT:
		build_kv(z, (int)build, a);
		break;
	case C_BATCH:
		build_batch(z, a, &bp);
		break;
	case C_REAP:
		((struct lrucache_reap *)a)->flags =
			small_flags(z, LRUCACHE_REAP_FLAGS);
		((struct lrucache_reap *)a)->reserved = maybe(z, 5);
		if (pct(z, 5))
			((struct lrucache_reap *)a)->freed = rnd(z);
		break;
	case C_DUMP:
		if (pct(z, 10))
			a[below(z, sizeof(struct lrucache_dump))] = 1;
		break;
	default:
		/* Outputs: a random pattern the kernel must overwrite. */
		if (pct(z, 50))
			memset(a, 0xa5, sizeof(a));
		break;
	}
	if (cmds[build].size && usize > cmds[build].size)
		tail_bytes(z, a, cmds[build].size, usize);
	memcpy(z->argcopy, a, usize);

	/* Outputs like a read-only page more often than the rest. */
	k = pick_kind(z, (c == C_STATS || c == C_INFO || c == C_HEALTH ||
			  c == C_DUMP || c == C_REAP || c == C_GET) ? 12 : 6);
	if (k == P_VALID) {
		/* In the first 32 KiB, clear of clean batches' ops. */
		arg = (uintptr_t)z->arena + (pct(z, 50) ? 0 : below(z, 4096) * 8);
		if (c == C_BATCH && bp.clean)
			arg = (uintptr_t)z->arena + 2 * FZ_ARG_MAX;
		memcpy((void *)(uintptr_t)arg, a, usize);
	} else {
		arg = bad_ptr(z, k, usize);
		if (k == P_GUARD) {
			if (usize)
				memcpy((void *)(uintptr_t)arg, a,
				       (uintptr_t)z->arena + FZ_ARENA - arg);
			else
				arg -= 1;
		}
	}

	ret = call(z, slot, c, cmd, arg);
	describe(z, desc, sizeof(desc), c, cmd, slot, k, arg, usize, what);
	if (ret == -EIDRM && pct(z, 30))
		reopen(z, slot, true);	/* the cache is gone: bind again */

	if (ret < 0) {
		if (!in_set(cmds[c].errs, -ret))
			fail(z, "%s -> %d (%s): not a documented errno of %s",
			     desc, ret, strerror(-ret), cmds[c].name);
		return;
	}
	switch (c) {
	case C_DELETE_PREFIX:
		break;		/* the number of entries deleted */
	case C_GET: case C_GETEX: case C_GETDEL:
		if ((uint64_t)ret > G.max_value_len)
			fail(z, "%s -> %d: longer than max_value_len", desc, ret);
		break;
	case C_EXISTS:
		if (ret > 1)
			fail(z, "%s -> %d: EXISTS returns 0 or 1", desc, ret);
		break;
	case C_BATCH:
		/* The batch structure was read; count is what we passed. */
		if (k == P_VALID || k == P_RO_ZERO || k == P_GUARD) {
			struct lrucache_batch b;

			memcpy(&b, k == P_RO_ZERO ? (void *)G.ro_zero :
				   (void *)z->argcopy, sizeof(b));
			if ((uint32_t)ret > b.count)
				fail(z, "%s -> %d: more than count %u", desc,
				     ret, b.count);
			else if (k == P_VALID && bp.clean)
				check_batch_results(z, &bp, ret, desc);
		} else if (k != P_RO_RAND) {
			fail(z, "%s -> %d from an unreadable argument", desc,
			     ret);
		}
		break;
	case C_DUMP:
		if (ret == 0) {
			struct lrucache_dump d;

			if (k != P_VALID && k != P_GUARD) {
				fail(z, "%s -> 0 with an unwritable argument",
				     desc);
				break;
			}
			memcpy(&d, (void *)(uintptr_t)arg, sizeof(d));
			if (d.fd < 0 || close(d.fd))
				fail(z, "%s -> 0 but fd %d", desc, d.fd);
		}
		break;
#ifdef LRUCACHE_IOC_CHECK
	case C_CHECK:
		if (ret == 0 && k == P_VALID &&
		    usize >= sizeof(struct lrucache_check)) {
			struct lrucache_check chk;

			memcpy(&chk, (void *)(uintptr_t)arg, sizeof(chk));
			if (chk.problems)
				fail(z, "%s: CHECK found %llu problems", desc,
				     (unsigned long long)chk.problems);
		}
		if (ret != 0)
			fail(z, "%s -> %d: expected 0 or -errno", desc, ret);
		break;
#endif
	default:
		if (ret != 0)
			fail(z, "%s -> %d: expected 0 or -errno", desc, ret);
		break;
	}
}

static void fz_init(struct fz *z, int id, uint64_t seed, unsigned int destroy)
{
	int i;

	memset(z, 0, sizeof(*z));
	z->id = id;
	z->rng = seed ^ (0x1234567ULL * (uint64_t)(id + 1));
	z->destroy_pct10k = destroy;
	for (i = 0; i < FZ_SLOTS; i++)
		z->fds[i] = -1;
	z->arena = mmap(NULL, FZ_ARENA + 4096, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (z->arena == MAP_FAILED) {
		z->arena = NULL;
		return;
	}
	mprotect(z->arena + FZ_ARENA, 4096, PROT_NONE);
}

static void fz_fini(struct fz *z)
{
	int i;

	for (i = 0; i < FZ_SLOTS; i++)
		if (z->fds[i] >= 0)
			close(z->fds[i]);
	if (z->arena)
		munmap(z->arena, FZ_ARENA + 4096);
}

static void *fz_thread(void *arg)
{
	struct fz *z = arg;

	while (!should_stop())
		one_call(z);
	return NULL;
}

/* Names of the caches in sysfs, newline-separated, into @buf. */
static void list_caches(char *buf, size_t size)
{
	DIR *d = opendir(SYSFS_ROOT "/caches");
	struct dirent *e;
	size_t len = 0;

	buf[0] = 0;
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		len += (size_t)snprintf(buf + len, size - len, "\n%s\n",
					e->d_name);
		if (len >= size)
			break;
	}
	closedir(d);
}

static char *map_page(int prot, int fill)
{
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int i;

	if (p == MAP_FAILED)
		return NULL;
	for (i = 0; fill && i < 4096; i++)
		p[i] = (char)(i * 131 + 7);
	if (fill)
		p[0] = '#';	/* never a cache name */
	if (mprotect(p, 4096, prot))
		return NULL;
	return p;
}

/*
 * An unmapped page: a page reserved far from where mmap() places things
 * and unmapped again, so nothing lands there while we run.
 */
static char *unmapped_page(void)
{
	char *p = mmap((void *)0x100000000000ULL, 4096, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (p == MAP_FAILED)
		p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	munmap(p, 4096);
	return p;
}

/* Descriptors of dump streams still open: a leak if not zero. */
static int dump_fds_open(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	char path[300], target[256];
	ssize_t n;
	int found = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		found += !!strstr(target, "lrucache-dump");
	}
	closedir(d);
	return found;
}

static const char *errno_name(int e)
{
	static const struct { int e; const char *n; } t[] = {
		{ EINVAL, "EINVAL" }, { ENOENT, "ENOENT" }, { EEXIST, "EEXIST" },
		{ EACCES, "EACCES" }, { EDQUOT, "EDQUOT" }, { EBUSY, "EBUSY" },
		{ ENOMEM, "ENOMEM" }, { EFAULT, "EFAULT" }, { E2BIG, "E2BIG" },
		{ ENOSPC, "ENOSPC" }, { EBADFD, "EBADFD" }, { EIDRM, "EIDRM" },
		{ ENOTTY, "ENOTTY" }, { EMFILE, "EMFILE" }, { EAGAIN, "EAGAIN" },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (t[i].e == e)
			return t[i].n;
	return NULL;
}

static void report(struct __test_metadata *_metadata)
{
	uint64_t tot[FZ_ERRNO_MAX + 1] = { 0 };
	char line[1024];
	size_t len;
	int c, e;

	printf("# fuzz: seed %llu, %llu calls\n", (unsigned long long)G.seed,
	       (unsigned long long)G.calls);
	TH_LOG("seed %llu, %llu calls", (unsigned long long)G.seed,
	       (unsigned long long)G.calls);
	for (c = 0; c < C_N; c++) {
		uint64_t n = 0;

		len = 0;
		for (e = 0; e <= FZ_ERRNO_MAX; e++) {
			tot[e] += G.hist[c][e];
			n += G.hist[c][e];
		}
		len += (size_t)snprintf(line + len, sizeof(line) - len,
					"%-11s %8llu: ok %llu", cmds[c].name,
					(unsigned long long)n,
					(unsigned long long)G.hist[c][0]);
		for (e = 1; e <= FZ_ERRNO_MAX; e++) {
			if (!G.hist[c][e])
				continue;
			len += (size_t)snprintf(line + len, sizeof(line) - len,
				" %s %llu", errno_name(e) ? errno_name(e) : "?",
				(unsigned long long)G.hist[c][e]);
		}
		printf("# fuzz: %s\n", line);
		TH_LOG("%s", line);
	}
	len = (size_t)snprintf(line, sizeof(line), "errno histogram: ok %llu",
			       (unsigned long long)tot[0]);
	for (e = 1; e <= FZ_ERRNO_MAX; e++) {
		if (!tot[e])
			continue;
		if (errno_name(e))
			len += (size_t)snprintf(line + len, sizeof(line) - len,
				" %s %llu", errno_name(e),
				(unsigned long long)tot[e]);
		else
			len += (size_t)snprintf(line + len, sizeof(line) - len,
				" errno%d %llu", e, (unsigned long long)tot[e]);
	}
	printf("# fuzz: %s\n", line);
	TH_LOG("%s", line);
	fflush(stdout);
}

FIXTURE(fuzz) {
	struct fz *main_z, *side_z;
	char before[16384];
};

FIXTURE_SETUP(fuzz)
{
	int i;

	self->main_z = NULL;
	self->side_z = NULL;
	if (access(LRUCACHE_DEVICE_PATH, R_OK | W_OK))
		SKIP(return, "%s: %s", LRUCACHE_DEVICE_PATH, strerror(errno));
	for (i = 0; i < FZ_POOL; i++)
		snprintf(G.names[i], LRUCACHE_NAME_MAX, "fz-%d-%d",
			 (int)getpid(), i);
	list_caches(self->before, sizeof(self->before));
}

FIXTURE_TEARDOWN(fuzz)
{
	char after[16384], *line, *save = NULL, key[LRUCACHE_NAME_MAX + 2];
	int i, left = 0;

	if (self->main_z)
		fz_fini(self->main_z);
	if (self->side_z)
		fz_fini(self->side_z);
	for (i = 0; i < FZ_POOL; i++)
		cache_destroy(G.names[i]);
	/* Anything else this run created is a bug: report and remove it. */
	list_caches(after, sizeof(after));
	for (line = strtok_r(after, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		snprintf(key, sizeof(key), "\n%s\n", line);
		if (strstr(self->before, key))
			continue;
		TH_LOG("cache '%s' left behind; destroying it", line);
		cache_destroy(line);
		left++;
	}
	/* Through EXPECT, which marks the test failed in every harness version. */
	EXPECT_EQ(0, left);
	free(self->main_z);
	free(self->side_z);
}

/*
 * LRUCACHE_FUZZ_SECONDS bounds the run; the harness's timeout only backs
 * it up, and must let `make stress` run its million calls (about 400 s on
 * the debug kernel).
 */
TEST_F_TIMEOUT(fuzz, ioctls, 3600)
{
	uint64_t seconds;
	pthread_t th;
	int i, leaked;

	G.seed = env_u64("LRUCACHE_FUZZ_SEED",
			 (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32));
	G.max_calls = env_u64("LRUCACHE_FUZZ_CALLS", FZ_DEFAULT_CALLS);
	seconds = env_u64("LRUCACHE_FUZZ_SECONDS", FZ_DEFAULT_SECONDS);
	G.max_key_len = module_param("max_key_len", DEFAULT_MAX_KEY_LEN);
	G.max_value_len = module_param("max_value_len", DEFAULT_MAX_VALUE_LEN);
	printf("# fuzz: seed %llu (LRUCACHE_FUZZ_SEED), up to %llu calls or "
	       "%llu s; max_key_len %llu, max_value_len %llu\n",
	       (unsigned long long)G.seed, (unsigned long long)G.max_calls,
	       (unsigned long long)seconds,
	       (unsigned long long)G.max_key_len,
	       (unsigned long long)G.max_value_len);
	fflush(stdout);
	TH_LOG("seed %llu", (unsigned long long)G.seed);

	G.unmapped = unmapped_page();
	G.prot_none = fault_page();
	G.ro_zero = map_page(PROT_READ, 0);
	G.ro_rand = map_page(PROT_READ, 1);
	ASSERT_NE(NULL, G.unmapped);
	ASSERT_NE(NULL, G.prot_none);
	ASSERT_NE(NULL, G.ro_zero);
	ASSERT_NE(NULL, G.ro_rand);

	self->main_z = calloc(1, sizeof(struct fz));
	self->side_z = calloc(1, sizeof(struct fz));
	ASSERT_NE(NULL, self->main_z);
	ASSERT_NE(NULL, self->side_z);
	/* The side thread destroys and re-creates 1.5% of the time. */
	fz_init(self->main_z, 0, G.seed, 5);
	fz_init(self->side_z, 1, G.seed, 150);
	ASSERT_NE(NULL, self->main_z->arena);
	ASSERT_NE(NULL, self->side_z->arena);
	for (i = 0; i < FZ_SLOTS; i++)
		reopen(self->main_z, i, true);

	G.deadline_ns = now_ns() + seconds * 1000000000ULL;
	ASSERT_EQ(0, pthread_create(&th, NULL, fz_thread, self->side_z));
	while (!should_stop())
		one_call(self->main_z);
	pthread_join(th, NULL);

	fz_fini(self->main_z);
	fz_fini(self->side_z);
	free(self->main_z);
	free(self->side_z);
	self->main_z = self->side_z = NULL;
	leaked = dump_fds_open();

	report(_metadata);
	EXPECT_EQ(0, G.failure[0]) {
		printf("# fuzz: FAILED: %s\n", G.failure);
		TH_LOG("%s", G.failure);
	}
	EXPECT_EQ(0, leaked) {
		TH_LOG("%d dump descriptors open after the run", leaked);
	}
}

TEST_HARNESS_MAIN
