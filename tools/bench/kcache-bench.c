// SPDX-License-Identifier: GPL-2.0
/*
 * kcache-bench: what a cache operation through libkcache costs, side by
 * side with the system-call floor, the kernel's own BPF LRU hash map and
 * memcached on loopback, all measured in the same run.
 *
 * Figures (16-byte keys throughout):
 *   floor      getppid(), and LRUCACHE_IOC_NOP on a bound descriptor (an
 *              ioctl that only validates and returns)
 *   kcache     kcache_get() hit and miss, kcache_set() replacing a key,
 *              kcache_set() inserting a key into a full cache (one
 *              eviction each), kcache_delete() of a present key; for
 *              values of 64 B, 1 KiB and 64 KiB
 *   primitives kcache_incr() of a counter (+1), kcache_touch() of a
 *              present key (a new TTL of an hour), kcache_cas() with the
 *              version a kcache_gets() just read (untimed, in a sweep
 *              before the timed cas loop), and the optimistic update
 *              itself, kcache_gets() then kcache_cas() of one key, as one
 *              operation (64 B values; a cache of their own, 1024 keys
 *              and 1024 counters); each as a ratio to kcache get hit
 *   batch      kcache_get_many() and kcache_set_many() of 8, 64 and 256
 *              keys per call (64 B values), in ns per key
 *   bpf        BPF_MAP_TYPE_LRU_HASH through the raw bpf(2) system call:
 *              BPF_MAP_LOOKUP_ELEM of a present key and BPF_MAP_UPDATE_ELEM
 *              replacing one (64 B values)
 *   memcached  get, set and a 64-key multiget (ns per key) over one
 *              persistent TCP connection to 127.0.0.1, text protocol (64 B
 *              values); and incr, touch and gets then cas, each as a ratio
 *              to memcached's get, beside kcache's. If no memcached answers on the port, the program
 *              starts one (memcached -u root -l 127.0.0.1 -p PORT -m 64),
 *              waits for its port (bounded) and kills it at the end. If the
 *              memcached program is not installed these figures are "not
 *              measured" (a SKIP line says so).
 *   peers      what a user on one host would pick instead, 64 B values,
 *              each as a ratio to kcache get hit (issue 17): Redis (Debian's
 *              redis-server, started by the program on a unix socket and
 *              127.0.0.1 at once) GET through hiredis, over the unix socket
 *              and over TCP; memcached get through libmemcached over a unix
 *              socket (a second memcached, -s PATH, started by the program)
 *              and over TCP (the memcached above); LMDB mdb_get() of a key
 *              in an environment on the scratch directory (a tmpfs in the
 *              VM), with a read-only transaction begun (mdb_txn_begin
 *              MDB_RDONLY) and ended (mdb_txn_abort) around every get, as
 *              applications do, the value copied out. The scratch directory
 *              (sockets, LMDB's files) is made under $TMPDIR or /tmp and
 *              removed at the end. A peer that is not installed is skipped
 *              (a SKIP line), like memcached.
 *   mapped     kcache_get() hit on caches opened with KCACHE_OPEN_MAPPED,
 *              whose handles read through a read-only mapping
 *              (kcache_mapped() must say so), 64 B and 1 KiB values, and
 *              two threads of such gets on distinct keys; only when
 *              libkcache has KCACHE_OPEN_MAPPED (compiled out otherwise,
 *              with a line saying so)
 *   threads    throughput of two threads against one, each thread with its
 *              own handle on one cache: read-mostly (9 gets, 1 set) on
 *              distinct keys, the same on one hot key, and write-heavy
 *              (9 sets, 1 get) on distinct keys; and no-op ioctls, which
 *              share nothing: how far two threads can scale in this VM
 *              at all (on a busy host, or under single-threaded TCG,
 *              well below 2); and mapped gets only, on distinct keys, whose
 *              scaling is given as a fraction of that ceiling
 *   memory     bytes per entry beyond key and value: kcache's exact
 *              accounting (stats entry_overhead, checked against bytes /
 *              entries), memcached's "stats" bytes per item and the chunk
 *              size of its slab class ("stats slabs"), less key and value
 *
 * Method: every figure is measured once per round, all figures in turn
 * (the order reverses every other round, so that drift hits all alike),
 * for at least 5 rounds (default 11, --quick 5). A first, unrecorded round
 * warms up and sizes each figure's iteration count so that one sample
 * takes about 50 ms (--quick: 2 ms). Each sample is the wall time of a
 * loop of operations, divided by the operations (or keys) it did; in a
 * full run, the fastest of 5 loops of a fifth of the iterations each
 * (the host's other work only ever adds time). The
 * table gives the median and the min-max over the rounds; a ratio is
 * median / median, with the min-max of the per-round ratios.
 *
 * Times inside QEMU TCG are emulated: only ratios measured in the same run
 * mean anything. The targets of the issue are printed as met / not met,
 * for information only: they never make the program fail.
 *
 * Run as root (BPF maps, memcached -u root), with the module loaded:
 *   tools/vm-run --kernel stock --mem 2048 -- build/bench/kcache-bench
 *
 * Exit status: 0 every figure was measured (memcached's or Redis's may be
 * missing only when the program is not installed), 1 some figure could not be
 * measured (the reasons are printed), 2 could not run at all (usage, no
 * device, a cache could not be created).
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <linux/bpf.h>
#include <linux/lrucache.h>

#include <hiredis/hiredis.h>
#include <libmemcached/memcached.h>
#include <lmdb.h>

#include "kcache.h"

#define EXIT_UNMEASURED	1
#define EXIT_SETUP	2

#define KEY_LEN		16U
#define NR_SIZES	3
#define KEYTAB		4096U	/* keys per table; more than any working set */
#define MAX_ROUNDS	15U
#define MIN_ROUNDS	5U
#define DEFAULT_ROUNDS	11U
#define QUICK_ROUNDS	5U
#define TARGET_NS	50000000ULL	/* one sample, full run */
#define QUICK_TARGET_NS	2000000ULL	/* one sample, --quick */
#define WARMUP_ITERS	8U
#define SUBSAMPLES	5U	/* runs per sample, the fastest kept (full) */
#define MIN_ITERS	3U
#define MAX_ITERS	2000000U
#define MAX_FIGURES	64U
#define NR_THREADS	2U
#define THR_KEYS	256U
#define MC_MULTI	64U
#define MC_PORT		11311
#define MC_WAIT_MS	10000U	/* bound on waiting for memcached's port */
#define MC_BUF		(256U << 10)
#define MC_COUNTERS	64	/* memcached's counters: sets cost a round trip */
#define MC_REQ_MAX	(MC_MULTI * (KEY_LEN + 1) + 65536 + 128)
#define SMALL		0	/* index of the 64 B size: BPF, memcached, batches */
#define REDIS_PORT	11312
#define PEER_WAIT_MS	10000U	/* bound on waiting for a started server */
#define LMDB_MAP_SIZE	(16U << 20)

static const char *prog = "kcache-bench";

static const size_t value_len[NR_SIZES] = { 64, 1024, 65536 };
static const char *const size_id[NR_SIZES] = { "64", "1k", "64k" };
static const char *const size_label[NR_SIZES] = { "64 B", "1 KiB", "64 KiB" };
/* Keys held in the get/replace and evict caches; delete's most per round. */
static const uint32_t working_set[NR_SIZES] = { 1024, 1024, 128 };
static const uint32_t delete_cap[NR_SIZES] = { 4096, 4096, 256 };
static const unsigned int batch_n[] = { 8, 64, 256 };
#define NR_BATCH (sizeof(batch_n) / sizeof(batch_n[0]))

/* Key tables: 16 bytes each, no NUL; precomputed so no loop formats keys. */
static char key_hit[KEYTAB][KEY_LEN];	/* 'k': present in the caches */
static char key_miss[KEYTAB][KEY_LEN];	/* 'm': never stored */
static char key_evict[KEYTAB][KEY_LEN];	/* 'e': inserted into full caches */
static char key_del[KEYTAB][KEY_LEN];	/* 'd': stored, then deleted */
static char key_ctr[KEYTAB][KEY_LEN];	/* 'c': counters */
static char key_thr[NR_THREADS][THR_KEYS][KEY_LEN];
static char key_hot[KEY_LEN];

/* WL_MAPPED: gets only, distinct keys, handles of a KCACHE_OPEN_MAPPED cache */
enum workload { WL_DISTINCT, WL_HOT, WL_WRITE, WL_NOP, WL_MAPPED, NR_WL };
/* the transport of a peer's figure, in figure.wl */
enum { VIA_UNIX, VIA_TCP };
/* memcached's figures of kcache's primitives, in figure.wl */
enum { PRIM_INCR, PRIM_TOUCH, PRIM_GETS_CAS };
static const char *const wl_id[NR_WL] = {
	"distinct", "hot", "write", "nop", "mapped"
};

struct bench;
struct figure;
typedef int (*run_fn)(struct bench *b, struct figure *f, uint64_t iters,
		      uint64_t *ns);

struct figure {
	const char *id;
	char label[64];
	const char *unit;	/* "ns/op" or "ns/key" */
	run_fn run;
	int sz;			/* value size index */
	unsigned int n;		/* keys per call; threads for thread figures */
	int wl;			/* enum workload */
	unsigned int units;	/* units (ops or keys) per iteration */
	uint64_t max_iters;
	uint64_t iters;
	uint32_t pos;		/* round-robin position in the key table */
	uint64_t misses;	/* lookups of present keys that missed */
	double v[MAX_ROUNDS];
	unsigned int nv;
	int err;		/* first error, or 0 */
	const char *skip;	/* why it was not measured, if skipped */
	double med, min, max;
};

struct mc_conn {
	int fd;
	char *buf;
	size_t pos, len;
};

/* A server the program starts and stops (Redis, memcached on a socket). */
struct peer {
	const char *name;
	pid_t pid;			/* started by us, or 0 */
	bool missing;			/* not installed: a SKIP, not a failure */
	const char *why;		/* why its figures are not measured */
	char version[64];
};

struct bench {
	bool quick, verbose;
	unsigned int rounds;
	uint64_t target_ns;
	const char *json_path;
	const char *only;		/* --only: id prefixes, comma-separated */
	int mc_port;
	char prefix[32];
	unsigned int ncaches;
	char cache_names[3 * NR_SIZES + 5][LRUCACHE_NAME_MAX];
	struct kcache *hit[NR_SIZES];	/* get hit/miss, set replace, batches */
	struct kcache *evict[NR_SIZES];	/* full: every insert evicts */
	struct kcache *del[NR_SIZES];	/* filled and emptied per sample */
	struct kcache *thr[NR_THREADS];	/* two handles on one cache */
	struct kcache *prim;		/* incr, touch, cas */
	uint64_t *cas_ver;		/* versions read for the cas loop */
	int nop_fd;
	char *val;			/* the values stored: 64 KiB of 'v' */
	char *buf;			/* where gets copy them */
	char *batch_buf;		/* 256 x 64 B for kcache_get_many() */
	struct kcache_item items[256];
	int bpf_fd;
	int bpf_err;
	/* memcached */
	pid_t mc_pid;			/* started by us, or 0 */
	bool mc_missing;		/* not installed: a SKIP, not a failure */
	const char *mc_why;		/* why its figures are not measured */
	char mc_version[64];
	struct mc_conn mc;
	char *mc_req;
	/* memory per entry */
	int64_t kc_overhead, kc_charged;	/* -1: not measured */
	double mc_item_over, mc_chunk_over;	/* < 0: not measured */
	uint64_t mc_items, mc_chunk;
	/* the peers of issue 17, in the scratch directory */
	char scratch[80];		/* mkdtemp()'s, or "" (a socket's
					 * path must fit in sun_path) */
	struct peer redis, mcu;
	redisContext *rd[2];		/* VIA_UNIX, VIA_TCP */
	memcached_st *mcl[2];		/* libmemcached: VIA_UNIX, VIA_TCP */
	MDB_env *lmdb;
	MDB_dbi lmdb_dbi;
	int lmdb_err;
	/* caches opened with KCACHE_OPEN_MAPPED */
	struct kcache *mhit[2];		/* 64 B, 1 KiB */
	struct kcache *mthr[NR_THREADS];	/* two handles on one cache */
	int mapped_err;
	unsigned int nfig;
	struct figure fig[MAX_FIGURES];
};

static struct bench bench;

/* --- small helpers ------------------------------------------------------ */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* 16 bytes: the tag, then 15 hexadecimal digits of @n. */
static void key_make(char out[KEY_LEN], char tag, uint64_t n)
{
	static const char hex[] = "0123456789abcdef";
	int i;

	out[0] = tag;
	for (i = KEY_LEN - 1; i > 0; i--, n >>= 4)
		out[i] = hex[n & 15];
}

static void keys_init(void)
{
	uint32_t i, t;

	for (i = 0; i < KEYTAB; i++) {
		key_make(key_hit[i], 'k', i);
		key_make(key_miss[i], 'm', i);
		key_make(key_evict[i], 'e', i);
		key_make(key_del[i], 'd', i);
		key_make(key_ctr[i], 'c', i);
	}
	for (t = 0; t < NR_THREADS; t++)
		for (i = 0; i < THR_KEYS; i++)
			key_make(key_thr[t][i], (char)('p' + t), i);
	key_make(key_hot, 'h', 0);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median_of(const double *v, unsigned int n)
{
	double s[MAX_ROUNDS];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(s[0]), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void fail(struct figure *f, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record the first error of a figure; it is then no longer measured. */
static void fail(struct figure *f, int err, const char *fmt, ...)
{
	va_list ap;

	if (f->err)
		return;
	f->err = err ? err : -EIO;
	fprintf(stderr, "%s: %s: ", prog, f->id);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (%s)\n", strerror(-f->err));
}

/* --- caches ------------------------------------------------------------- */

static int cache_create_flags(struct bench *b, const char *what,
			      uint64_t entries, size_t vlen, uint32_t flags,
			      struct kcache **out)
{
	char *name = b->cache_names[b->ncaches];
	KCACHE_OPTS(opts, .max_size = entries,
		    .max_memory_bytes = entries * (vlen + KEY_LEN + 1024) +
					(1ULL << 20),
		    .flags = KCACHE_OPEN_EXCL | flags);
	int err;

	snprintf(name, LRUCACHE_NAME_MAX, "%s-%s", b->prefix, what);
	err = kcache_open(name, &opts, out);
	if (err) {
		fprintf(stderr, "%s: create cache %s: %s\n", prog, name,
			kcache_strerror(err));
		return err;
	}
	b->ncaches++;
	return 0;
}

static int cache_create(struct bench *b, const char *what, uint64_t entries,
			size_t vlen, struct kcache **out)
{
	return cache_create_flags(b, what, entries, vlen, 0, out);
}

/* Store @n keys of @tab (from @first) with @vlen-byte values, batched. */
static int cache_fill(struct bench *b, struct kcache *c, char (*tab)[KEY_LEN],
		      uint32_t first, uint32_t n, size_t vlen)
{
	struct kcache_item it[256];
	uint32_t done = 0, i, k;
	ssize_t ret;

	while (done < n) {
		k = n - done < 256 ? n - done : 256;
		for (i = 0; i < k; i++) {
			it[i] = (struct kcache_item){
				.key = tab[(first + done + i) % KEYTAB],
				.key_len = KEY_LEN,
				.value = b->val, .value_len = vlen,
			};
		}
		ret = kcache_set_many(c, it, k, KCACHE_TTL_NONE);
		if (ret < 0)
			return (int)ret;
		for (i = 0; i < k; i++)
			if (it[i].status)
				return it[i].status;
		done += k;
	}
	return 0;
}

/*
 * The cache of incr, touch and cas: the 64 B values of key_hit and as
 * many counters of key_ctr, all present.
 */
static int prim_setup(struct bench *b)
{
	uint32_t ws = working_set[SMALL], i;
	int err;

	err = cache_create(b, "prim", 2 * ws, value_len[SMALL], &b->prim);
	if (!err)
		err = cache_fill(b, b->prim, key_hit, 0, ws, value_len[SMALL]);
	for (i = 0; !err && i < ws; i++)
		err = kcache_incr(b->prim, key_ctr[i], KEY_LEN, 0, 0,
				  KCACHE_TTL_NONE, NULL);
	return err;
}

static int caches_setup(struct bench *b)
{
	char what[32];
	int s, err;
	unsigned int t;

	for (s = 0; s < NR_SIZES; s++) {
		snprintf(what, sizeof(what), "hit-%s", size_id[s]);
		err = cache_create(b, what, working_set[s], value_len[s],
				   &b->hit[s]);
		if (!err)
			err = cache_fill(b, b->hit[s], key_hit, 0,
					 working_set[s], value_len[s]);
		if (err)
			goto fail;
		snprintf(what, sizeof(what), "evict-%s", size_id[s]);
		err = cache_create(b, what, working_set[s], value_len[s],
				   &b->evict[s]);
		if (!err)
			err = cache_fill(b, b->evict[s], key_evict, 0,
					 working_set[s], value_len[s]);
		if (err)
			goto fail;
		snprintf(what, sizeof(what), "del-%s", size_id[s]);
		err = cache_create(b, what, delete_cap[s], value_len[s],
				   &b->del[s]);
		if (err)
			goto fail;
	}
	err = prim_setup(b);
	if (err)
		goto fail;
	err = cache_create(b, "threads", NR_THREADS * THR_KEYS + 1,
			   value_len[SMALL], &b->thr[0]);
	if (err)
		goto fail;
	for (t = 1; t < NR_THREADS; t++) {
		err = kcache_open(kcache_name(b->thr[0]), NULL, &b->thr[t]);
		if (err)
			goto fail;
	}
	for (t = 0; t < NR_THREADS && !err; t++)
		err = cache_fill(b, b->thr[0], key_thr[t], 0, THR_KEYS,
				 value_len[SMALL]);
	if (!err)
		err = kcache_set(b->thr[0], key_hot, KEY_LEN, b->val,
				 value_len[SMALL], KCACHE_TTL_NONE);
	if (err)
		goto fail;
	b->nop_fd = kcache_fd(b->hit[SMALL]);
	return 0;
fail:
	fprintf(stderr, "%s: setting up the caches: %s\n", prog,
		kcache_strerror(err));
	return err;
}

static void caches_teardown(struct bench *b)
{
	unsigned int i;
	int s;

	for (s = 0; s < NR_SIZES; s++) {
		kcache_close(b->hit[s]);
		kcache_close(b->evict[s]);
		kcache_close(b->del[s]);
	}
	for (i = 0; i < NR_THREADS; i++) {
		kcache_close(b->thr[i]);
		kcache_close(b->mthr[i]);
	}
	kcache_close(b->mhit[0]);
	kcache_close(b->mhit[1]);
	kcache_close(b->prim);
	for (i = 0; i < b->ncaches; i++)
		kcache_destroy(b->cache_names[i]);
	b->ncaches = 0;
}

/* --- the floor ---------------------------------------------------------- */

static int run_getppid(struct bench *b, struct figure *f, uint64_t iters,
		       uint64_t *ns)
{
	uint64_t t0 = now_ns(), i;

	(void)b;
	(void)f;
	for (i = 0; i < iters; i++)
		syscall(SYS_getppid);	/* not cached by any C library */
	*ns = now_ns() - t0;
	return 0;
}

static int run_nop(struct bench *b, struct figure *f, uint64_t iters,
		   uint64_t *ns)
{
	uint64_t t0 = now_ns(), i;

	(void)f;
	for (i = 0; i < iters; i++) {
		if (ioctl(b->nop_fd, LRUCACHE_IOC_NOP, 0))
			return -errno;
	}
	*ns = now_ns() - t0;
	return 0;
}

/* --- kcache single operations -------------------------------------------- */

static int run_get_hit(struct bench *b, struct figure *f, uint64_t iters,
		       uint64_t *ns)
{
	struct kcache *c = b->hit[f->sz];
	size_t vlen = value_len[f->sz];
	uint32_t ws = working_set[f->sz], pos = f->pos % ws;
	uint64_t t0 = now_ns(), i;
	ssize_t ret;

	for (i = 0; i < iters; i++) {
		ret = kcache_get(c, key_hit[pos], KEY_LEN, b->buf, vlen);
		if (ret != (ssize_t)vlen)
			return ret < 0 ? (int)ret : -EBADMSG;
		if (++pos == ws)
			pos = 0;
	}
	*ns = now_ns() - t0;
	f->pos = pos;
	return 0;
}

static int run_get_miss(struct bench *b, struct figure *f, uint64_t iters,
			uint64_t *ns)
{
	struct kcache *c = b->hit[f->sz];
	size_t vlen = value_len[f->sz];
	uint32_t pos = f->pos % KEYTAB;
	uint64_t t0 = now_ns(), i;
	ssize_t ret;

	for (i = 0; i < iters; i++) {
		ret = kcache_get(c, key_miss[pos], KEY_LEN, b->buf, vlen);
		if (ret != -ENOENT)
			return ret < 0 ? (int)ret : -EEXIST;
		if (++pos == KEYTAB)
			pos = 0;
	}
	*ns = now_ns() - t0;
	f->pos = pos;
	return 0;
}

static int run_set_replace(struct bench *b, struct figure *f, uint64_t iters,
			   uint64_t *ns)
{
	struct kcache *c = b->hit[f->sz];
	size_t vlen = value_len[f->sz];
	uint32_t ws = working_set[f->sz], pos = f->pos % ws;
	uint64_t t0 = now_ns(), i;
	int ret;

	for (i = 0; i < iters; i++) {
		ret = kcache_set(c, key_hit[pos], KEY_LEN, b->val, vlen,
				 KCACHE_TTL_NONE);
		if (ret)
			return ret;
		if (++pos == ws)
			pos = 0;
	}
	*ns = now_ns() - t0;
	f->pos = pos;
	return 0;
}

/*
 * The evict cache holds working_set keys of key_evict, inserted in table
 * order; the next key of the table (cyclically, KEYTAB > working_set) is
 * never present, so every set inserts and evicts the least recent entry.
 */
static int run_set_evict(struct bench *b, struct figure *f, uint64_t iters,
			 uint64_t *ns)
{
	struct kcache *c = b->evict[f->sz];
	size_t vlen = value_len[f->sz];
	uint32_t pos = (f->pos + working_set[f->sz]) % KEYTAB;
	uint64_t t0 = now_ns(), i;
	int ret;

	for (i = 0; i < iters; i++) {
		ret = kcache_set(c, key_evict[pos], KEY_LEN, b->val, vlen,
				 KCACHE_TTL_NONE);
		if (ret)
			return ret;
		if (++pos == KEYTAB)
			pos = 0;
	}
	*ns = now_ns() - t0;
	f->pos = (pos + KEYTAB - working_set[f->sz]) % KEYTAB;
	return 0;
}

/* Store @iters keys (not timed), then time deleting them. */
static int run_delete(struct bench *b, struct figure *f, uint64_t iters,
		      uint64_t *ns)
{
	struct kcache *c = b->del[f->sz];
	uint64_t t0, i;
	int ret;

	ret = cache_fill(b, c, key_del, 0, (uint32_t)iters, value_len[f->sz]);
	if (ret)
		return ret;
	t0 = now_ns();
	for (i = 0; i < iters; i++) {
		ret = kcache_delete(c, key_del[i], KEY_LEN);
		if (ret)
			return ret;
	}
	*ns = now_ns() - t0;
	return 0;
}

/* --- kcache incr, touch and cas --------------------------------------------- */

static int run_incr(struct bench *b, struct figure *f, uint64_t iters,
		    uint64_t *ns)
{
	uint32_t ws = working_set[SMALL], pos = f->pos % ws;
	uint64_t t0 = now_ns(), i;
	int ret;

	for (i = 0; i < iters; i++) {
		ret = kcache_incr(b->prim, key_ctr[pos], KEY_LEN, 1, 0,
				  KCACHE_TTL_NONE, NULL);
		if (ret)
			return ret;
		if (++pos == ws)
			pos = 0;
	}
	*ns = now_ns() - t0;
	f->pos = pos;
	return 0;
}

#define TOUCH_TTL_MS	3600000ULL	/* the sliding session's hour */

static int run_touch(struct bench *b, struct figure *f, uint64_t iters,
		     uint64_t *ns)
{
	uint32_t ws = working_set[SMALL], pos = f->pos % ws;
	uint64_t t0 = now_ns(), i;
	int ret;

	for (i = 0; i < iters; i++) {
		ret = kcache_touch(b->prim, key_hit[pos], KEY_LEN,
				   TOUCH_TTL_MS);
		if (ret)
			return ret;
		if (++pos == ws)
			pos = 0;
	}
	*ns = now_ns() - t0;
	f->pos = pos;
	return 0;
}

/* kcache_gets() of one key of the prim cache; its version in *@ver. */
static int prim_gets(struct bench *b, uint32_t pos, uint64_t *ver)
{
	ssize_t ret = kcache_gets(b->prim, key_hit[pos], KEY_LEN, b->buf,
				  value_len[SMALL], ver);

	if (ret != (ssize_t)value_len[SMALL])
		return ret < 0 ? (int)ret : -EBADMSG;
	return 0;
}

/*
 * kcache_cas() alone: the versions of a sweep of keys are read first
 * (not timed), then each key is stored with its version, which must win.
 */
static int run_cas(struct bench *b, struct figure *f, uint64_t iters,
		   uint64_t *ns)
{
	uint32_t ws = working_set[SMALL], pos = f->pos % ws, n, j;
	uint64_t done = 0, total = 0, t0;
	int ret;

	while (done < iters) {
		n = iters - done < ws ? (uint32_t)(iters - done) : ws;
		for (j = 0; j < n; j++) {
			ret = prim_gets(b, (pos + j) % ws, &b->cas_ver[j]);
			if (ret)
				return ret;
		}
		t0 = now_ns();
		for (j = 0; j < n; j++) {
			ret = kcache_cas(b->prim, key_hit[(pos + j) % ws],
					 KEY_LEN, b->val, value_len[SMALL],
					 KCACHE_TTL_NONE, b->cas_ver[j]);
			if (ret)
				return ret;
		}
		total += now_ns() - t0;
		pos = (pos + n) % ws;
		done += n;
	}
	*ns = total;
	f->pos = pos;
	return 0;
}

/* The optimistic update: kcache_gets(), then kcache_cas() of that key. */
static int run_gets_cas(struct bench *b, struct figure *f, uint64_t iters,
			uint64_t *ns)
{
	uint32_t ws = working_set[SMALL], pos = f->pos % ws;
	uint64_t t0 = now_ns(), i, ver;
	int ret;

	for (i = 0; i < iters; i++) {
		ret = prim_gets(b, pos, &ver);
		if (!ret)
			ret = kcache_cas(b->prim, key_hit[pos], KEY_LEN, b->val,
					 value_len[SMALL], KCACHE_TTL_NONE, ver);
		if (ret)
			return ret;
		if (++pos == ws)
			pos = 0;
	}
	*ns = now_ns() - t0;
	f->pos = pos;
	return 0;
}

/* --- kcache batches ------------------------------------------------------ */

static void batch_items(struct bench *b, struct figure *f, bool get)
{
	uint32_t ws = working_set[SMALL], i;

	for (i = 0; i < f->n; i++) {
		b->items[i] = (struct kcache_item){
			.key = key_hit[(f->pos + i) % ws],
			.key_len = KEY_LEN,
			.value = get ? b->batch_buf + i * value_len[SMALL] :
				       b->val,
			.value_len = value_len[SMALL],
		};
	}
	f->pos = (f->pos + f->n) % ws;
}

static int run_batch(struct bench *b, struct figure *f, uint64_t iters,
		     uint64_t *ns, bool get)
{
	struct kcache *c = b->hit[SMALL];
	uint64_t t0, i, total = 0;
	unsigned int k;
	ssize_t ret;

	for (i = 0; i < iters; i++) {
		batch_items(b, f, get);
		t0 = now_ns();
		ret = get ? kcache_get_many(c, b->items, f->n) :
			    kcache_set_many(c, b->items, f->n, KCACHE_TTL_NONE);
		total += now_ns() - t0;
		if (ret != (ssize_t)f->n)
			return ret < 0 ? (int)ret : -EIO;
		for (k = 0; k < f->n; k++) {
			if (b->items[k].status !=
			    (get ? (int)value_len[SMALL] : 0))
				return b->items[k].status < 0 ?
				       b->items[k].status : -EBADMSG;
		}
	}
	*ns = total;
	return 0;
}

static int run_batch_get(struct bench *b, struct figure *f, uint64_t iters,
			 uint64_t *ns)
{
	return run_batch(b, f, iters, ns, true);
}

static int run_batch_set(struct bench *b, struct figure *f, uint64_t iters,
			 uint64_t *ns)
{
	return run_batch(b, f, iters, ns, false);
}

/* --- the BPF LRU hash map ------------------------------------------------- */

#define ATTR_ELEM_SIZE	(offsetof(union bpf_attr, flags) + \
			 sizeof(((union bpf_attr *)0)->flags))

static int bpf_call(int cmd, union bpf_attr *attr, size_t size)
{
	long ret = syscall(SYS_bpf, cmd, attr, size);

	return ret < 0 ? -errno : (int)ret;
}

static int bpf_setup(struct bench *b)
{
	union bpf_attr attr;
	uint32_t i;
	int fd, ret;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_LRU_HASH;
	attr.key_size = KEY_LEN;
	attr.value_size = (uint32_t)value_len[SMALL];
	/* Room to spare: the LRU map evicts early near its limit. */
	attr.max_entries = 4 * working_set[SMALL];
	memcpy(attr.map_name, "kcache_bench", sizeof("kcache_bench"));
	fd = bpf_call(BPF_MAP_CREATE, &attr, sizeof(attr));
	if (fd < 0)
		return fd;
	b->bpf_fd = fd;
	for (i = 0; i < working_set[SMALL]; i++) {
		memset(&attr, 0, sizeof(attr));
		attr.map_fd = (uint32_t)fd;
		attr.key = (uintptr_t)key_hit[i];
		attr.value = (uintptr_t)b->val;
		attr.flags = BPF_ANY;
		ret = bpf_call(BPF_MAP_UPDATE_ELEM, &attr, ATTR_ELEM_SIZE);
		if (ret)
			return ret;
	}
	return 0;
}

static int run_bpf_lookup(struct bench *b, struct figure *f, uint64_t iters,
			  uint64_t *ns)
{
	uint32_t ws = working_set[SMALL], pos = f->pos % ws;
	union bpf_attr attr;
	uint64_t t0, i;
	int ret;

	if (b->bpf_err)
		return b->bpf_err;
	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)b->bpf_fd;
	attr.value = (uintptr_t)b->buf;
	t0 = now_ns();
	for (i = 0; i < iters; i++) {
		attr.key = (uintptr_t)key_hit[pos];
		ret = bpf_call(BPF_MAP_LOOKUP_ELEM, &attr, ATTR_ELEM_SIZE);
		if (ret == -ENOENT)
			f->misses++;
		else if (ret)
			return ret;
		if (++pos == ws)
			pos = 0;
	}
	*ns = now_ns() - t0;
	f->pos = pos;
	return 0;
}

static int run_bpf_update(struct bench *b, struct figure *f, uint64_t iters,
			  uint64_t *ns)
{
	uint32_t ws = working_set[SMALL], pos = f->pos % ws;
	union bpf_attr attr;
	uint64_t t0, i;
	int ret;

	if (b->bpf_err)
		return b->bpf_err;
	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (uint32_t)b->bpf_fd;
	attr.value = (uintptr_t)b->val;
	attr.flags = BPF_ANY;
	t0 = now_ns();
	for (i = 0; i < iters; i++) {
		attr.key = (uintptr_t)key_hit[pos];
		ret = bpf_call(BPF_MAP_UPDATE_ELEM, &attr, ATTR_ELEM_SIZE);
		if (ret)
			return ret;
		if (++pos == ws)
			pos = 0;
	}
	*ns = now_ns() - t0;
	f->pos = pos;
	return 0;
}

/* --- memcached, text protocol on one connection ---------------------------- */

static int mc_send(struct mc_conn *c, const char *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Make sure at least @need unread bytes are in the buffer. */
static int mc_fill(struct mc_conn *c, size_t need)
{
	ssize_t n;

	if (need > MC_BUF)
		return -E2BIG;
	if (c->pos + need > MC_BUF) {
		memmove(c->buf, c->buf + c->pos, c->len - c->pos);
		c->len -= c->pos;
		c->pos = 0;
	}
	while (c->len - c->pos < need) {
		n = recv(c->fd, c->buf + c->len, MC_BUF - c->len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		}
		if (n == 0)
			return -ECONNRESET;
		c->len += (size_t)n;
	}
	return 0;
}

/* The next line, without its "\r\n", NUL-terminated in place. */
static int mc_line(struct mc_conn *c, char **line)
{
	char *nl;
	int err;

	for (;;) {
		nl = memmem(c->buf + c->pos, c->len - c->pos, "\r\n", 2);
		if (nl)
			break;
		err = mc_fill(c, c->len - c->pos + 1);
		if (err)
			return err;
	}
	*nl = 0;
	*line = c->buf + c->pos;
	c->pos = (size_t)(nl - c->buf) + 2;
	return 0;
}

/*
 * "get k1 k2 ...": reads the VALUE blocks up to END. Returns the number of
 * values of @vlen bytes found, or a negative errno.
 */
static int mc_get(struct bench *b, char *const *keys, unsigned int n,
		  size_t vlen)
{
	struct mc_conn *c = &b->mc;
	char *p = b->mc_req, *line;
	unsigned int i, found = 0;
	unsigned long len;
	int err;

	memcpy(p, "get", 3);
	p += 3;
	for (i = 0; i < n; i++) {
		*p++ = ' ';
		memcpy(p, keys[i], KEY_LEN);
		p += KEY_LEN;
	}
	memcpy(p, "\r\n", 2);
	p += 2;
	err = mc_send(c, b->mc_req, (size_t)(p - b->mc_req));
	if (err)
		return err;
	for (;;) {
		err = mc_line(c, &line);
		if (err)
			return err;
		if (!strcmp(line, "END"))
			return (int)found;
		if (strncmp(line, "VALUE ", 6))
			return -EPROTO;
		p = strrchr(line, ' ');
		len = strtoul(p + 1, NULL, 10);
		err = mc_fill(c, len + 2);
		if (err)
			return err;
		c->pos += len + 2;
		if (len == vlen)
			found++;
	}
}

/*
 * "set" (@cas NULL) or "cas" with the cas unique *@cas of a value of
 * @vlen bytes (b->val) to @key: the answer must be STORED. A pointer, not
 * a 0 for "no cas": a server run with -C gives every item the unique 0,
 * and its cas step must stay a cas.
 */
static int mc_store(struct bench *b, const char *key, size_t vlen,
		    const unsigned long long *cas)
{
	struct mc_conn *c = &b->mc;
	char *p = b->mc_req, *line;
	int err;

	p += sprintf(p, "%s %.*s 0 0 %zu", cas ? "cas" : "set", (int)KEY_LEN,
		     key, vlen);
	if (cas)
		p += sprintf(p, " %llu", *cas);
	memcpy(p, "\r\n", 2);
	p += 2;
	memcpy(p, b->val, vlen);
	p += vlen;
	memcpy(p, "\r\n", 2);
	p += 2;
	err = mc_send(c, b->mc_req, (size_t)(p - b->mc_req));
	if (!err)
		err = mc_line(c, &line);
	if (!err && strcmp(line, "STORED"))
		err = -EPROTO;
	return err;
}

static int mc_set(struct bench *b, const char *key, size_t vlen)
{
	return mc_store(b, key, vlen, NULL);
}

/* Sends a command formatted into mc_req; its first answer line in *@line. */
static int mc_cmd(struct bench *b, char **line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int mc_cmd(struct bench *b, char **line, const char *fmt, ...)
{
	va_list ap;
	int n, err;

	va_start(ap, fmt);
	n = vsnprintf(b->mc_req, MC_REQ_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= MC_REQ_MAX)
		return -E2BIG;
	err = mc_send(&b->mc, b->mc_req, (size_t)n);
	return err ? err : mc_line(&b->mc, line);
}

/*
 * Stores a counter of 0 as long as the other values ("0" and spaces,
 * which incr accepts and keeps), so that every item stays in one slab
 * class for the memory figures.
 */
static int mc_counter(struct bench *b, const char *key, size_t vlen)
{
	char *line;
	int err;

	err = mc_cmd(b, &line, "set %.*s 0 0 %zu\r\n0%*s\r\n", (int)KEY_LEN,
		     key, vlen, (int)vlen - 1, "");
	if (!err && strcmp(line, "STORED"))
		err = -EPROTO;
	return err;
}

/* "incr KEY 1": the answer is the counter's new value. */
static int mc_incr(struct bench *b, const char *key)
{
	char *line;
	int err;

	err = mc_cmd(b, &line, "incr %.*s 1\r\n", (int)KEY_LEN, key);
	if (!err && (line[0] < '0' || line[0] > '9'))
		err = -EPROTO;
	return err;
}

static int mc_touch(struct bench *b, const char *key, unsigned int secs)
{
	char *line;
	int err;

	err = mc_cmd(b, &line, "touch %.*s %u\r\n", (int)KEY_LEN, key, secs);
	if (!err && strcmp(line, "TOUCHED"))
		err = -EPROTO;
	return err;
}

/*
 * "gets KEY", then "cas KEY" with the cas unique it returned: the
 * optimistic update, which must store (nobody else writes).
 */
static int mc_gets_cas(struct bench *b, const char *key, size_t vlen)
{
	struct mc_conn *c = &b->mc;
	unsigned long long cas;
	unsigned long len;
	char *line, *p;
	int err;

	err = mc_cmd(b, &line, "gets %.*s\r\n", (int)KEY_LEN, key);
	if (err)
		return err;
	/* VALUE <key> <flags> <bytes> <cas unique> */
	p = strrchr(line, ' ');
	if (strncmp(line, "VALUE ", 6) || !p)
		return -EPROTO;
	cas = strtoull(p + 1, NULL, 10);
	*p = 0;
	p = strrchr(line, ' ');
	len = strtoul(p + 1, NULL, 10);
	if (len != vlen)
		return -EBADMSG;
	err = mc_fill(c, len + 2);
	if (err)
		return err;
	c->pos += len + 2;
	err = mc_line(c, &line);
	if (!err && strcmp(line, "END"))
		err = -EPROTO;
	if (err)
		return err;
	return mc_store(b, key, vlen, &cas);
}

static int mc_connect(int port)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct timeval tv = { .tv_sec = 10 };
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		close(fd);
		return err;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static bool find_program(const char *name, char *path, size_t size)
{
	const char *dirs = getenv("PATH"), *p, *end;

	if (!dirs || !*dirs)
		dirs = "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin";
	for (p = dirs; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		snprintf(path, size, "%.*s/%s", (int)(end - p), p, name);
		if (!access(path, X_OK))
			return true;
	}
	return false;
}

static void proc_stop(pid_t *pid);

static void mc_stop(struct bench *b)
{
	if (b->mc.fd >= 0) {
		close(b->mc.fd);
		b->mc.fd = -1;
	}
	proc_stop(&b->mc_pid);
}

/* Connect to a memcached on the port, starting one if none answers. */
static int mc_start(struct bench *b)
{
	char path[4096], port[16], *line;
	uint64_t deadline;
	uint32_t i;
	int fd, err, status;

	fd = mc_connect(b->mc_port);
	if (fd >= 0) {
		printf("%s: using the memcached already on 127.0.0.1:%d\n",
		       prog, b->mc_port);
	} else {
		if (!find_program("memcached", path, sizeof(path))) {
			b->mc_missing = true;
			b->mc_why = "memcached is not installed "
				    "(apt-get install memcached)";
			return -ENOENT;
		}
		snprintf(port, sizeof(port), "%d", b->mc_port);
		fflush(NULL);
		b->mc_pid = fork();
		if (b->mc_pid < 0) {
			b->mc_pid = 0;
			b->mc_why = "fork failed";
			return -errno;
		}
		if (b->mc_pid == 0) {
			int null = open("/dev/null", O_RDWR);

			if (null >= 0) {
				dup2(null, 0);
				dup2(null, 1);
			}
			execl(path, "memcached", "-u", "root", "-l", "127.0.0.1",
			      "-p", port, "-m", "64", (char *)NULL);
			_exit(127);
		}
		deadline = now_ns() + MC_WAIT_MS * 1000000ULL;
		for (;;) {
			fd = mc_connect(b->mc_port);
			if (fd >= 0)
				break;
			if (waitpid(b->mc_pid, &status, WNOHANG) == b->mc_pid) {
				b->mc_pid = 0;
				b->mc_why = "memcached exited at start";
				return -ECHILD;
			}
			if (now_ns() > deadline) {
				b->mc_why = "memcached's port never opened";
				mc_stop(b);
				return -ETIMEDOUT;
			}
			sleep_ms(50);
		}
		printf("%s: started %s -u root -l 127.0.0.1 -p %d -m 64 "
		       "(pid %d)\n", prog, path, b->mc_port, (int)b->mc_pid);
	}
	b->mc.fd = fd;
	b->mc.pos = b->mc.len = 0;
	err = mc_send(&b->mc, "version\r\n", 9);
	if (!err)
		err = mc_line(&b->mc, &line);
	if (err || strncmp(line, "VERSION ", 8)) {
		b->mc_why = "memcached did not answer \"version\"";
		return err ? err : -EPROTO;
	}
	snprintf(b->mc_version, sizeof(b->mc_version), "%s", line + 8);
	for (i = 0; i < working_set[SMALL]; i++) {
		err = mc_set(b, key_hit[i], value_len[SMALL]);
		if (!err && i < MC_COUNTERS)
			err = mc_counter(b, key_ctr[i], value_len[SMALL]);
		if (err) {
			b->mc_why = "memcached refused the initial sets";
			return err;
		}
	}
	return 0;
}

static int run_mc_get(struct bench *b, struct figure *f, uint64_t iters,
		      uint64_t *ns)
{
	uint32_t ws = working_set[SMALL], pos = f->pos % ws, k;
	char *keys[MC_MULTI];
	uint64_t t0, i, total = 0;
	int ret;

	if (b->mc.fd < 0)
		return -ENOTCONN;
	for (i = 0; i < iters; i++) {
		for (k = 0; k < f->n; k++)
			keys[k] = key_hit[(pos + k) % ws];
		pos = (pos + f->n) % ws;
		t0 = now_ns();
		ret = mc_get(b, keys, f->n, value_len[SMALL]);
		total += now_ns() - t0;
		if (ret < 0)
			return ret;
		if ((unsigned int)ret != f->n)
			return -ENOENT;	/* memcached lost keys: -m too small? */
	}
	*ns = total;
	f->pos = pos;
	return 0;
}

static int run_mc_set(struct bench *b, struct figure *f, uint64_t iters,
		      uint64_t *ns)
{
	uint32_t ws = working_set[SMALL], pos = f->pos % ws;
	uint64_t t0 = now_ns(), i;
	int ret;

	if (b->mc.fd < 0)
		return -ENOTCONN;
	for (i = 0; i < iters; i++) {
		ret = mc_set(b, key_hit[pos], value_len[SMALL]);
		if (ret)
			return ret;
		if (++pos == ws)
			pos = 0;
	}
	*ns = now_ns() - t0;
	f->pos = pos;
	return 0;
}

/* memcached's incr, touch and gets + cas, as kcache's figures of them. */
static int run_mc_prim(struct bench *b, struct figure *f, uint64_t iters,
		       uint64_t *ns)
{
	uint32_t ws = working_set[SMALL], pos = f->pos % ws;
	uint64_t t0 = now_ns(), i;
	int ret;

	if (b->mc.fd < 0)
		return -ENOTCONN;
	for (i = 0; i < iters; i++) {
		switch (f->wl) {
		case PRIM_INCR:
			ret = mc_incr(b, key_ctr[pos % MC_COUNTERS]);
			break;
		case PRIM_TOUCH:
			ret = mc_touch(b, key_hit[pos],
				       (unsigned int)(TOUCH_TTL_MS / 1000));
			break;
		default:
			ret = mc_gets_cas(b, key_hit[pos], value_len[SMALL]);
			break;
		}
		if (ret)
			return ret;
		if (++pos == ws)
			pos = 0;
	}
	*ns = now_ns() - t0;
	f->pos = pos;
	return 0;
}

/*
 * "stats": the value of STAT @name. "stats slabs": with @cls, the chunk
 * size of the only slab class that has chunks in use (*@cls its number),
 * -EMLINK if several have.
 */
#define MC_CLASSES	64

static int mc_stat(struct bench *b, const char *name, uint64_t *val)
{
	size_t nl = strlen(name);
	char *line;
	int err, found = 0;

	err = mc_send(&b->mc, "stats\r\n", 7);
	while (!err) {
		err = mc_line(&b->mc, &line);
		if (err || !strcmp(line, "END"))
			break;
		if (strncmp(line, "STAT ", 5))
			return -EPROTO;
		if (!strncmp(line + 5, name, nl) && line[5 + nl] == ' ') {
			*val = strtoull(line + 6 + nl, NULL, 10);
			found = 1;
		}
	}
	return err ? err : found ? 0 : -ENOENT;
}

static int mc_slab_chunk(struct bench *b, uint64_t *chunk, uint64_t *used)
{
	uint64_t size[MC_CLASSES] = { 0 }, inuse[MC_CLASSES] = { 0 };
	unsigned long cls;
	char *line, *p;
	int err, i, which = -1;

	err = mc_send(&b->mc, "stats slabs\r\n", 13);
	while (!err) {
		err = mc_line(&b->mc, &line);
		if (err || !strcmp(line, "END"))
			break;
		if (strncmp(line, "STAT ", 5))
			return -EPROTO;
		cls = strtoul(line + 5, &p, 10);
		if (p == line + 5 || *p != ':' || cls >= MC_CLASSES)
			continue;	/* active_slabs, total_malloced */
		if (!strncmp(p, ":chunk_size ", 12))
			size[cls] = strtoull(p + 12, NULL, 10);
		else if (!strncmp(p, ":used_chunks ", 13))
			inuse[cls] = strtoull(p + 13, NULL, 10);
	}
	if (err)
		return err;
	for (i = 0; i < MC_CLASSES; i++) {
		if (!inuse[i])
			continue;
		if (which >= 0)
			return -EMLINK;
		which = i;
	}
	if (which < 0)
		return -ENOENT;
	*chunk = size[which];
	*used = inuse[which];
	return 0;
}

static void mc_memory(struct bench *b)
{
	uint64_t bytes = 0, items = 0, chunk = 0, used = 0;
	size_t kv = KEY_LEN + value_len[SMALL];
	int err;

	if (b->mc.fd < 0)
		return;
	err = mc_stat(b, "bytes", &bytes);
	if (!err)
		err = mc_stat(b, "curr_items", &items);
	if (err || !items) {
		fprintf(stderr, "%s: memcached stats: bytes %" PRIu64
			", curr_items %" PRIu64 " (%s)\n", prog, bytes, items,
			strerror(err ? -err : ENOENT));
		return;
	}
	b->mc_items = items;
	b->mc_item_over = (double)bytes / (double)items - (double)kv;
	/* Every item is a 16 B key and a 64 B value: one slab class. */
	err = mc_slab_chunk(b, &chunk, &used);
	if (err || used != items) {
		fprintf(stderr, "%s: memcached stats slabs: %" PRIu64
			" chunks in use for %" PRIu64 " items (%s)\n", prog,
			used, items, err ? strerror(-err) : "mismatch");
		return;
	}
	b->mc_chunk = chunk;
	b->mc_chunk_over = (double)chunk - (double)kv;
}

/* --- the peers of issue 17: Redis, memcached on a unix socket, LMDB ------ */

/* SIGTERM, then SIGKILL after 2 s; *@pid is 0 afterwards. */
static void proc_stop(pid_t *pid)
{
	unsigned int i;
	int status;

	if (*pid <= 0)
		return;
	kill(*pid, SIGTERM);
	for (i = 0; i < 100; i++) {
		if (waitpid(*pid, &status, WNOHANG) == *pid)
			goto out;
		sleep_ms(20);
	}
	kill(*pid, SIGKILL);
	waitpid(*pid, &status, 0);
out:
	*pid = 0;
}

/* Starts @argv[0] (found in PATH) with stdin and stdout on /dev/null. */
static int peer_spawn(struct peer *p, char *const argv[])
{
	char path[4096];

	if (!find_program(argv[0], path, sizeof(path))) {
		p->missing = true;
		p->why = "not installed";
		return -ENOENT;
	}
	fflush(NULL);
	p->pid = fork();
	if (p->pid < 0) {
		p->pid = 0;
		p->why = "fork failed";
		return -errno;
	}
	if (p->pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
		}
		execv(path, argv);
		_exit(127);
	}
	return 0;
}

/* Whether a server accepts connections on the unix socket @path. */
static bool unix_answers(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, ok;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	ok = !connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return ok;
}

/* Waits (bounded) until the started server answers on its unix socket. */
static int peer_wait(struct peer *p, const char *sock)
{
	uint64_t deadline = now_ns() + PEER_WAIT_MS * 1000000ULL;
	int status;

	while (!unix_answers(sock)) {
		if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
			p->pid = 0;
			p->why = "exited at start";
			return -ECHILD;
		}
		if (now_ns() > deadline) {
			p->why = "its socket never opened";
			proc_stop(&p->pid);
			return -ETIMEDOUT;
		}
		sleep_ms(50);
	}
	return 0;
}

/* What the scratch directory holds, for the signal handler to unlink. */
static const char *const scratch_files[] = {
	"redis.sock", "memcached.sock", "lmdb", "lmdb-lock",
};
#define NR_SCRATCH_FILES (sizeof(scratch_files) / sizeof(scratch_files[0]))
static char scratch_paths[NR_SCRATCH_FILES][128];

static int scratch_rm(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) && errno != ENOENT)
		fprintf(stderr, "%s: removing %s: %s\n", prog, path,
			strerror(errno));
	return 0;
}

/* Sockets and LMDB's files: a directory of our own under $TMPDIR or /tmp. */
static int scratch_setup(struct bench *b)
{
	const char *tmp = getenv("TMPDIR");
	unsigned int i;

	if (!tmp || !*tmp)
		tmp = "/tmp";
	if (strlen(tmp) + sizeof("/kcache-bench.XXXXXX") > sizeof(b->scratch)) {
		fprintf(stderr, "%s: TMPDIR %s: too long for a unix socket's "
			"path\n", prog, tmp);
		return -ENAMETOOLONG;
	}
	snprintf(b->scratch, sizeof(b->scratch), "%s/kcache-bench.XXXXXX", tmp);
	if (!mkdtemp(b->scratch)) {
		int err = -errno;

		fprintf(stderr, "%s: mkdtemp %s: %s\n", prog, b->scratch,
			strerror(errno));
		b->scratch[0] = 0;
		return err;
	}
	for (i = 0; i < NR_SCRATCH_FILES; i++)
		snprintf(scratch_paths[i], sizeof(scratch_paths[i]), "%s/%s",
			 b->scratch, scratch_files[i]);
	return 0;
}

static void scratch_teardown(struct bench *b)
{
	if (b->scratch[0])
		nftw(b->scratch, scratch_rm, 16, FTW_DEPTH | FTW_PHYS);
	b->scratch[0] = 0;
}

static void scratch_path(struct bench *b, char *out, size_t size,
			 const char *name)
{
	snprintf(out, size, "%s/%s", b->scratch, name);
}

/* Redis: one reply, checked to be a status or string equal to @want. */
static int rd_check(redisReply *r, int type, const char *want, size_t len)
{
	int err = 0;

	if (!r)
		return -EIO;
	if (r->type != type || (want && ((size_t)r->len != len ||
					 memcmp(r->str, want, len))))
		err = -EPROTO;
	freeReplyObject(r);
	return err;
}

static void redis_stop(struct bench *b)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		if (b->rd[i])
			redisFree(b->rd[i]);
		b->rd[i] = NULL;
	}
	proc_stop(&b->redis.pid);
}

/*
 * Starts redis-server on a unix socket of the scratch directory and on
 * 127.0.0.1:REDIS_PORT at once (no persistence), connects through both,
 * and stores the 64 B values of the working set (pipelined).
 */
static int redis_start(struct bench *b)
{
	char sock[PATH_MAX], port[16], *p;
	struct timeval tv = { .tv_sec = 10 };
	struct peer *pr = &b->redis;
	redisReply *r;
	uint32_t i;
	int err;

	scratch_path(b, sock, sizeof(sock), "redis.sock");
	snprintf(port, sizeof(port), "%d", REDIS_PORT);
	{
		char *argv[] = {
			"redis-server", "--port", port, "--bind", "127.0.0.1",
			"--unixsocket", sock, "--unixsocketperm", "700",
			"--save", "", "--appendonly", "no",
			"--dir", b->scratch, "--daemonize", "no",
			"--loglevel", "warning", NULL
		};

		err = peer_spawn(pr, argv);
	}
	if (!err)
		err = peer_wait(pr, sock);
	if (err)
		return err;
	b->rd[VIA_UNIX] = redisConnectUnixWithTimeout(sock, tv);
	b->rd[VIA_TCP] = redisConnectWithTimeout("127.0.0.1", REDIS_PORT, tv);
	for (i = 0; i < 2; i++) {
		if (!b->rd[i] || b->rd[i]->err) {
			fprintf(stderr, "%s: redis %s: %s\n", prog,
				i == VIA_UNIX ? sock : "127.0.0.1",
				b->rd[i] ? b->rd[i]->errstr : "out of memory");
			pr->why = i == VIA_UNIX ?
				  "cannot connect to its unix socket" :
				  "cannot connect to 127.0.0.1 (port in use?)";
			return -ECONNREFUSED;
		}
		redisSetTimeout(b->rd[i], tv);
	}
	r = redisCommand(b->rd[VIA_UNIX], "INFO server");
	p = r && r->type == REDIS_REPLY_STRING ?
	    strstr(r->str, "redis_version:") : NULL;
	if (p)
		snprintf(pr->version, sizeof(pr->version), "%.*s",
			 (int)strcspn(p + 14, "\r\n"), p + 14);
	if (r)
		freeReplyObject(r);
	for (i = 0; i < working_set[SMALL]; i++)
		redisAppendCommand(b->rd[VIA_UNIX], "SET %b %b", key_hit[i],
				   (size_t)KEY_LEN, b->val,
				   value_len[SMALL]);
	for (i = 0, err = 0; i < working_set[SMALL]; i++) {
		r = NULL;
		if (redisGetReply(b->rd[VIA_UNIX], (void **)&r) != REDIS_OK)
			r = NULL;
		if (!err)
			err = rd_check(r, REDIS_REPLY_STATUS, "OK", 2);
		else if (r)
			freeReplyObject(r);
	}
	if (err)
		pr->why = "refused the initial sets";
	return err;
}

static int run_redis_get(struct bench *b, struct figure *f, uint64_t iters,
			 uint64_t *ns)
{
	redisContext *c = b->rd[f->wl];
	uint32_t ws = working_set[SMALL], pos = f->pos % ws;
	uint64_t t0 = now_ns(), i;
	int err;

	if (!c)
		return -ENOTCONN;
	for (i = 0; i < iters; i++) {
		err = rd_check(redisCommand(c, "GET %b", key_hit[pos],
					    (size_t)KEY_LEN),
			       REDIS_REPLY_STRING, b->val, value_len[SMALL]);
		if (err)
			return err;
		if (++pos == ws)
			pos = 0;
	}
	*ns = now_ns() - t0;
	f->pos = pos;
	return 0;
}

/* libmemcached on @via, to a server already started (sets NODELAY on TCP). */
static memcached_st *mcl_connect(const char *sock, int port)
{
	memcached_st *m = memcached_create(NULL);
	memcached_return_t rc;

	if (!m)
		return NULL;
	if (sock) {
		rc = memcached_server_add_unix_socket(m, sock);
	} else {
		rc = memcached_server_add(m, "127.0.0.1", (in_port_t)port);
		if (memcached_success(rc))
			rc = memcached_behavior_set(m,
				MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
	}
	if (!memcached_success(rc)) {
		fprintf(stderr, "%s: libmemcached: %s\n", prog,
			memcached_strerror(m, rc));
		memcached_free(m);
		return NULL;
	}
	return m;
}

static void mcu_stop(struct bench *b)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		if (b->mcl[i])
			memcached_free(b->mcl[i]);
		b->mcl[i] = NULL;
	}
	proc_stop(&b->mcu.pid);
}

/*
 * memcached on a unix socket of the scratch directory (-s: it then
 * listens on nothing else), reached through libmemcached, holding the
 * working set's 64 B values.
 */
static int mcu_start(struct bench *b)
{
	char sock[PATH_MAX];
	struct peer *p = &b->mcu;
	memcached_return_t rc;
	uint32_t i;
	int err;

	scratch_path(b, sock, sizeof(sock), "memcached.sock");
	{
		char *argv[] = {
			"memcached", "-u", "root", "-s", sock, "-a", "0700",
			"-m", "64", NULL
		};

		err = peer_spawn(p, argv);
	}
	if (!err)
		err = peer_wait(p, sock);
	if (err)
		return err;
	b->mcl[VIA_UNIX] = mcl_connect(sock, 0);
	if (!b->mcl[VIA_UNIX]) {
		p->why = "libmemcached could not use its socket";
		return -EIO;
	}
	for (i = 0; i < working_set[SMALL]; i++) {
		rc = memcached_set(b->mcl[VIA_UNIX], key_hit[i], KEY_LEN,
				   b->val, value_len[SMALL], 0, 0);
		if (!memcached_success(rc)) {
			fprintf(stderr, "%s: memcached (unix socket) set: %s\n",
				prog, memcached_strerror(b->mcl[VIA_UNIX], rc));
			p->why = "refused the initial sets";
			return -EIO;
		}
	}
	return 0;
}

/* memcached_get(), as an application calls it: the value is malloc()ed. */
static int run_mcl_get(struct bench *b, struct figure *f, uint64_t iters,
		       uint64_t *ns)
{
	memcached_st *m = b->mcl[f->wl];
	uint32_t ws = working_set[SMALL], pos = f->pos % ws, flags;
	uint64_t t0 = now_ns(), i;
	memcached_return_t rc;
	size_t len;
	char *v;

	if (!m)
		return -ENOTCONN;
	for (i = 0; i < iters; i++) {
		v = memcached_get(m, key_hit[pos], KEY_LEN, &len, &flags, &rc);
		if (!v || len != value_len[SMALL]) {
			fprintf(stderr, "%s: %s: %s\n", prog, f->id,
				memcached_strerror(m, rc));
			free(v);
			return v ? -EBADMSG : -EIO;
		}
		free(v);
		if (++pos == ws)
			pos = 0;
	}
	*ns = now_ns() - t0;
	f->pos = pos;
	return 0;
}

static void lmdb_teardown(struct bench *b)
{
	if (b->lmdb)
		mdb_env_close(b->lmdb);
	b->lmdb = NULL;
}

/* LMDB's errors are errnos or its own codes (MDB_*), negative. */
static int lmdb_err(int rc)
{
	return rc > 0 ? -rc : -EIO;
}

/* An environment in the scratch directory holding the working set. */
static int lmdb_setup(struct bench *b)
{
	char path[PATH_MAX];
	MDB_txn *txn = NULL;
	MDB_val k, v;
	uint32_t i;
	int rc;

	scratch_path(b, path, sizeof(path), "lmdb");
	rc = mdb_env_create(&b->lmdb);
	if (!rc)
		rc = mdb_env_set_mapsize(b->lmdb, LMDB_MAP_SIZE);
	if (!rc)
		rc = mdb_env_open(b->lmdb, path, MDB_NOSUBDIR, 0600);
	if (!rc)
		rc = mdb_txn_begin(b->lmdb, NULL, 0, &txn);
	if (!rc)
		rc = mdb_dbi_open(txn, NULL, 0, &b->lmdb_dbi);
	for (i = 0; !rc && i < working_set[SMALL]; i++) {
		k = (MDB_val){ .mv_size = KEY_LEN, .mv_data = key_hit[i] };
		v = (MDB_val){ .mv_size = value_len[SMALL], .mv_data = b->val };
		rc = mdb_put(txn, b->lmdb_dbi, &k, &v, 0);
	}
	if (!rc) {
		rc = mdb_txn_commit(txn);
		txn = NULL;
	}
	if (txn)
		mdb_txn_abort(txn);
	if (rc) {
		fprintf(stderr, "%s: LMDB %s: %s\n", prog, path,
			mdb_strerror(rc));
		lmdb_teardown(b);
		return lmdb_err(rc);
	}
	return 0;
}

/*
 * A read transaction begun and ended around every get (mdb_txn_begin
 * with MDB_RDONLY, mdb_get, the value copied out, mdb_txn_abort), as an
 * application that reads between writes does: a transaction kept open
 * would keep reading its snapshot.
 */
static int run_lmdb_get(struct bench *b, struct figure *f, uint64_t iters,
			uint64_t *ns)
{
	uint32_t ws = working_set[SMALL], pos = f->pos % ws;
	uint64_t t0 = now_ns(), i;
	MDB_txn *txn;
	MDB_val k, v;
	int rc;

	if (!b->lmdb)
		return b->lmdb_err ? b->lmdb_err : -ENODEV;
	for (i = 0; i < iters; i++) {
		rc = mdb_txn_begin(b->lmdb, NULL, MDB_RDONLY, &txn);
		if (rc)
			return lmdb_err(rc);
		k = (MDB_val){ .mv_size = KEY_LEN, .mv_data = key_hit[pos] };
		rc = mdb_get(txn, b->lmdb_dbi, &k, &v);
		if (!rc && v.mv_size == value_len[SMALL])
			memcpy(b->buf, v.mv_data, v.mv_size);
		mdb_txn_abort(txn);
		if (rc)
			return lmdb_err(rc);
		if (v.mv_size != value_len[SMALL])
			return -EBADMSG;
		if (++pos == ws)
			pos = 0;
	}
	*ns = now_ns() - t0;
	f->pos = pos;
	return 0;
}

/* --- mapped caches (issue 17) -------------------------------------------------- */

#ifdef KCACHE_OPEN_MAPPED
#define HAVE_MAPPED	1

/* A handle that does not read through a mapping would measure ioctls. */
static int mapped_check(struct kcache *c)
{
	if (kcache_mapped(c) != 1) {
		fprintf(stderr, "%s: %s: kcache_mapped() is not 1: the handle "
			"does not read through a mapping\n", prog,
			kcache_name(c));
		return -ENOTSUP;
	}
	return 0;
}

/*
 * Two caches of the working set (64 B and 1 KiB values) and one of the
 * threads' keys with two handles, all opened with KCACHE_OPEN_MAPPED.
 */
static int mapped_setup(struct bench *b)
{
	KCACHE_OPTS(opts, .flags = KCACHE_OPEN_MAPPED);
	unsigned int t;
	int s, err = 0;

	for (s = 0; s < 2 && !err; s++) {
		char what[32];

		snprintf(what, sizeof(what), "mapped-%s", size_id[s]);
		err = cache_create_flags(b, what, working_set[s], value_len[s],
					 KCACHE_OPEN_MAPPED, &b->mhit[s]);
		if (!err)
			err = cache_fill(b, b->mhit[s], key_hit, 0,
					 working_set[s], value_len[s]);
		if (!err)
			err = mapped_check(b->mhit[s]);
	}
	if (!err)
		err = cache_create_flags(b, "mapped-threads",
					 NR_THREADS * THR_KEYS,
					 value_len[SMALL], KCACHE_OPEN_MAPPED,
					 &b->mthr[0]);
	for (t = 1; t < NR_THREADS && !err; t++)
		err = kcache_open(kcache_name(b->mthr[0]), &opts, &b->mthr[t]);
	for (t = 0; t < NR_THREADS && !err; t++)
		err = cache_fill(b, b->mthr[0], key_thr[t], 0, THR_KEYS,
				 value_len[SMALL]);
	for (t = 0; t < NR_THREADS && !err; t++)
		err = mapped_check(b->mthr[t]);
	if (err)
		fprintf(stderr, "%s: mapped caches: %s\n", prog,
			kcache_strerror(err));
	return err;
}

/* The same loop as run_get_hit, on a handle of a mapped cache. */
static int run_mapped_get(struct bench *b, struct figure *f, uint64_t iters,
			  uint64_t *ns)
{
	struct kcache *c = b->mhit[f->sz];
	size_t vlen = value_len[f->sz];
	uint32_t ws = working_set[f->sz], pos = f->pos % ws;
	uint64_t t0 = now_ns(), i;
	ssize_t ret;

	if (!c)
		return b->mapped_err ? b->mapped_err : -ENODEV;
	for (i = 0; i < iters; i++) {
		ret = kcache_get(c, key_hit[pos], KEY_LEN, b->buf, vlen);
		if (ret != (ssize_t)vlen)
			return ret < 0 ? (int)ret : -EBADMSG;
		if (++pos == ws)
			pos = 0;
	}
	*ns = now_ns() - t0;
	f->pos = pos;
	return 0;
}
#else
#define HAVE_MAPPED	0

static int mapped_setup(struct bench *b)
{
	(void)b;
	return -ENOTSUP;
}
#endif

/* --- threads ----------------------------------------------------------------- */

struct thr_arg {
	struct bench *b;
	unsigned int t;
	int wl;
	uint64_t iters;
	pthread_barrier_t *start;
	uint64_t t0, t1;	/* the thread's own start and end */
	int err;
	ssize_t got;		/* what the failed operation returned */
	bool failed_set;
	uint64_t misses;	/* gets of a present key that found nothing */
};

static void *thr_main(void *p)
{
	struct thr_arg *a = p;
	struct kcache *c = a->wl == WL_MAPPED ? a->b->mthr[a->t] :
			   a->b->thr[a->t];
	char buf[64];
	uint64_t i;
	uint32_t k = 0;
	const char *key;
	ssize_t ret;
	bool set;

	pthread_barrier_wait(a->start);
	a->t0 = now_ns();
	for (i = 0; a->wl == WL_NOP && i < a->iters; i++) {
		if (ioctl(kcache_fd(c), LRUCACHE_IOC_NOP, 0)) {
			a->err = -errno;
			a->got = -1;
			break;
		}
	}
	for (i = 0; a->wl != WL_NOP && i < a->iters; i++) {
		key = a->wl == WL_HOT ? key_hot : key_thr[a->t][k];
		if (++k == THR_KEYS)
			k = 0;
		/*
		 * read-mostly: 1 set in 10; write-heavy: 1 get in 10; mapped:
		 * gets only (the mapped read path is what is measured)
		 */
		set = a->wl != WL_MAPPED &&
		      (i % 10 == 9) != (a->wl == WL_WRITE);
		if (set)
			ret = kcache_set(c, key, KEY_LEN, a->b->val, sizeof(buf),
					 KCACHE_TTL_NONE);
		else
			ret = kcache_get(c, key, KEY_LEN, buf, sizeof(buf));
		/*
		 * Every key here is always present: a miss is the kernel's
		 * fault (a get racing with a replace of the same key). Count
		 * it and go on; the table shows the count.
		 */
		if (!set && ret == -ENOENT) {
			a->misses++;
			continue;
		}
		if (set ? ret != 0 : ret != (ssize_t)sizeof(buf)) {
			a->got = ret;
			a->failed_set = set;
			a->err = ret < 0 ? (int)ret : -EBADMSG;
			break;
		}
	}
	a->t1 = now_ns();
	return NULL;
}

/*
 * @f->n threads, each doing @iters operations; the wall time of all, from
 * the first thread's start to the last one's end, as the threads see it
 * (the main thread may well not run between the barrier and the joins).
 */
static int run_threads(struct bench *b, struct figure *f, uint64_t iters,
		       uint64_t *ns)
{
	struct thr_arg a[NR_THREADS];
	pthread_t tid[NR_THREADS];
	pthread_barrier_t start;
	unsigned int t;
	uint64_t t0, t1;
	int err;

	pthread_barrier_init(&start, NULL, f->n + 1);
	for (t = 0; t < f->n; t++) {
		a[t] = (struct thr_arg){ .b = b, .t = t, .wl = f->wl,
					 .iters = iters, .start = &start };
		err = pthread_create(&tid[t], NULL, thr_main, &a[t]);
		if (err) {
			/* The threads already started wait on the barrier. */
			fprintf(stderr, "%s: pthread_create: %s\n", prog,
				strerror(err));
			exit(EXIT_SETUP);
		}
	}
	pthread_barrier_wait(&start);
	for (t = 0; t < f->n; t++)
		pthread_join(tid[t], NULL);
	pthread_barrier_destroy(&start);
	t0 = a[0].t0;
	t1 = a[0].t1;
	for (t = 1; t < f->n; t++) {
		if (a[t].t0 < t0)
			t0 = a[t].t0;
		if (a[t].t1 > t1)
			t1 = a[t].t1;
	}
	*ns = t1 - t0;
	for (t = 0; t < f->n; t++)
		f->misses += a[t].misses;
	for (t = 0; t < f->n; t++) {
		if (!a[t].err)
			continue;
		fprintf(stderr, "%s: %s: thread %u: kcache_%s of a present key "
			"returned %zd\n", prog, f->id, t,
			a[t].failed_set ? "set" : "get", a[t].got);
		return a[t].err;
	}
	return 0;
}

/* --- the figures ----------------------------------------------------------------- */

static struct figure *fig_add(struct bench *b, const char *id, run_fn run,
			      const char *unit, unsigned int units,
			      const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static struct figure *fig_add(struct bench *b, const char *id, run_fn run,
			      const char *unit, unsigned int units,
			      const char *fmt, ...)
{
	struct figure *f = &b->fig[b->nfig++];
	va_list ap;

	memset(f, 0, sizeof(*f));
	f->id = id;
	f->run = run;
	f->unit = unit;
	f->units = units;
	f->max_iters = MAX_ITERS;
	va_start(ap, fmt);
	vsnprintf(f->label, sizeof(f->label), fmt, ap);
	va_end(ap);
	return f;
}

static struct figure *fig_find(struct bench *b, const char *id)
{
	unsigned int i;

	for (i = 0; i < b->nfig; i++)
		if (!strcmp(b->fig[i].id, id))
			return &b->fig[i];
	return NULL;
}

static bool fig_ok(const struct figure *f)
{
	return f && !f->err && !f->skip && f->nv;
}

static void figures_init(struct bench *b)
{
	static char ids[MAX_FIGURES][40];
	struct figure *f;
	unsigned int i, w;
	int s;

#define ID(...) (snprintf(ids[b->nfig], sizeof(ids[0]), __VA_ARGS__), \
		 (const char *)ids[b->nfig])

	fig_add(b, "floor.getppid", run_getppid, "ns/op", 1, "getppid()");
	fig_add(b, "floor.nop_ioctl", run_nop, "ns/op", 1,
		"no-op ioctl (LRUCACHE_IOC_NOP)");
	for (s = 0; s < NR_SIZES; s++) {
		f = fig_add(b, ID("kcache.get_hit.%s", size_id[s]),
			    run_get_hit, "ns/op", 1, "kcache get hit, %s",
			    size_label[s]);
		f->sz = s;
		f = fig_add(b, ID("kcache.get_miss.%s", size_id[s]),
			    run_get_miss, "ns/op", 1, "kcache get miss, %s buf",
			    size_label[s]);
		f->sz = s;
		f = fig_add(b, ID("kcache.set_replace.%s", size_id[s]),
			    run_set_replace, "ns/op", 1,
			    "kcache set replace, %s", size_label[s]);
		f->sz = s;
		f = fig_add(b, ID("kcache.set_evict.%s", size_id[s]),
			    run_set_evict, "ns/op", 1,
			    "kcache set insert+evict, %s", size_label[s]);
		f->sz = s;
		f = fig_add(b, ID("kcache.delete.%s", size_id[s]), run_delete,
			    "ns/op", 1, "kcache delete, %s", size_label[s]);
		f->sz = s;
		f->max_iters = delete_cap[s];
	}
#if HAVE_MAPPED
	for (s = 0; s < 2; s++) {
		f = fig_add(b, ID("kcache.mapped_get_hit.%s", size_id[s]),
			    run_mapped_get, "ns/op", 1,
			    "kcache mapped get hit, %s", size_label[s]);
		f->sz = s;
	}
#endif
	fig_add(b, "kcache.incr", run_incr, "ns/op", 1,
		"kcache incr of a counter");
	fig_add(b, "kcache.touch", run_touch, "ns/op", 1,
		"kcache touch (new TTL), 64 B");
	fig_add(b, "kcache.cas.64", run_cas, "ns/op", 1,
		"kcache cas (version read before), 64 B");
	fig_add(b, "kcache.gets_cas.64", run_gets_cas, "ns/op", 1,
		"kcache gets + cas (one update), 64 B");
	for (i = 0; i < NR_BATCH; i++) {
		f = fig_add(b, ID("kcache.batch_get.%u", batch_n[i]),
			    run_batch_get, "ns/key", batch_n[i],
			    "kcache get_many x%u, 64 B", batch_n[i]);
		f->n = batch_n[i];
		f = fig_add(b, ID("kcache.batch_set.%u", batch_n[i]),
			    run_batch_set, "ns/key", batch_n[i],
			    "kcache set_many x%u, 64 B", batch_n[i]);
		f->n = batch_n[i];
	}
	fig_add(b, "bpf.lookup", run_bpf_lookup, "ns/op", 1,
		"BPF LRU hash lookup, 64 B");
	fig_add(b, "bpf.update", run_bpf_update, "ns/op", 1,
		"BPF LRU hash update, 64 B");
	f = fig_add(b, "memcached.get", run_mc_get, "ns/op", 1,
		    "memcached get, 64 B");
	f->n = 1;
	fig_add(b, "memcached.set", run_mc_set, "ns/op", 1,
		"memcached set, 64 B");
	f = fig_add(b, "memcached.multiget.64", run_mc_get, "ns/key", MC_MULTI,
		    "memcached get x%u, 64 B", MC_MULTI);
	f->n = MC_MULTI;
	f = fig_add(b, "memcached.incr", run_mc_prim, "ns/op", 1,
		    "memcached incr of a counter");
	f->wl = PRIM_INCR;
	f = fig_add(b, "memcached.touch", run_mc_prim, "ns/op", 1,
		    "memcached touch (new TTL), 64 B");
	f->wl = PRIM_TOUCH;
	f = fig_add(b, "memcached.gets_cas.64", run_mc_prim, "ns/op", 1,
		    "memcached gets + cas (one update), 64 B");
	f->wl = PRIM_GETS_CAS;
	f = fig_add(b, "libmemcached.tcp.get", run_mcl_get, "ns/op", 1,
		    "memcached get (libmemcached, TCP), 64 B");
	f->wl = VIA_TCP;
	f = fig_add(b, "libmemcached.unix.get", run_mcl_get, "ns/op", 1,
		    "memcached get (libmemcached, unix), 64 B");
	f->wl = VIA_UNIX;
	f = fig_add(b, "redis.tcp.get", run_redis_get, "ns/op", 1,
		    "Redis GET (hiredis, TCP), 64 B");
	f->wl = VIA_TCP;
	f = fig_add(b, "redis.unix.get", run_redis_get, "ns/op", 1,
		    "Redis GET (hiredis, unix socket), 64 B");
	f->wl = VIA_UNIX;
	fig_add(b, "lmdb.get.64", run_lmdb_get, "ns/op", 1,
		"LMDB get, read txn per get, 64 B");
	for (w = 0; w < NR_WL; w++) {
		static const char *const what[NR_WL] = {
			"read-mostly, distinct keys", "read-mostly, one hot key",
			"write-heavy, distinct keys", "no-op ioctl (the VM's ceiling)",
			"mapped gets, distinct keys",
		};

		if (w == WL_MAPPED && !HAVE_MAPPED)
			continue;

		for (i = 1; i <= NR_THREADS; i++) {
			f = fig_add(b, ID("threads.%s.%u", wl_id[w], i),
				    run_threads, "ns/op", i, "%u thread%s: %s",
				    i, i > 1 ? "s" : "", what[w]);
			f->n = i;
			f->wl = (int)w;
		}
	}
#undef ID
}

/* The figures of the memcached on 127.0.0.1 (text protocol or libmemcached). */
static bool fig_is_mc(const struct figure *f)
{
	return !strncmp(f->id, "memcached.", 10) ||
	       !strcmp(f->id, "libmemcached.tcp.get");
}

static bool fig_is_redis(const struct figure *f)
{
	return !strncmp(f->id, "redis.", 6);
}

static bool fig_is_mcu(const struct figure *f)
{
	return !strcmp(f->id, "libmemcached.unix.get");
}

static bool fig_is_mapped(const struct figure *f)
{
	return !strncmp(f->id, "kcache.mapped_", 14) ||
	       !strncmp(f->id, "threads.mapped.", 15);
}

static const char only_skip[] = "not selected (--only)";

/* Whether --only (if given) selects @f: some item is a prefix of its id. */
static bool fig_selected(const struct bench *b, const struct figure *f)
{
	const char *p = b->only, *end;
	size_t len;

	if (!p)
		return true;
	while (*p) {
		end = strchrnul(p, ',');
		len = (size_t)(end - p);
		if (len && !strncmp(f->id, p, len))
			return true;
		p = *end ? end + 1 : end;
	}
	return false;
}

static void figures_select(struct bench *b)
{
	unsigned int i;

	for (i = 0; i < b->nfig; i++)
		if (!fig_selected(b, &b->fig[i]))
			b->fig[i].skip = only_skip;
}

static bool wanted(const struct bench *b, bool (*is)(const struct figure *))
{
	unsigned int i;

	for (i = 0; i < b->nfig; i++)
		if (is(&b->fig[i]) && !b->fig[i].skip)
			return true;
	return false;
}

static bool mc_wanted(const struct bench *b)
{
	return wanted(b, fig_is_mc);
}

static bool fig_is_lmdb(const struct figure *f)
{
	return !strncmp(f->id, "lmdb.", 5);
}

/* A figure skipped because its peer is not installed: not a failure. */
static bool fig_missing_ok(const struct bench *b, const struct figure *f)
{
	return f->skip && ((b->mc_missing && fig_is_mc(f)) ||
			   (b->redis.missing && fig_is_redis(f)) ||
			   (b->mcu.missing && fig_is_mcu(f)));
}

/* The fastest of SUBSAMPLES runs of @iters iterations, in *@ns. */
static int best_of(struct bench *b, struct figure *f, uint64_t iters,
		   uint64_t *ns)
{
	uint64_t one;
	unsigned int k;
	int err;

	*ns = UINT64_MAX;
	for (k = 0; k < SUBSAMPLES; k++) {
		err = f->run(b, f, iters, &one);
		if (err)
			return err;
		if (one < *ns)
			*ns = one;
	}
	return 0;
}

/* One sample of @f; @warmup sizes its iteration count instead. */
static void fig_sample(struct bench *b, struct figure *f, bool warmup)
{
	uint64_t iters = warmup ? WARMUP_ITERS : f->iters, ns = 0, want;
	int err;

	if (f->err || f->skip)
		return;
	if (iters > f->max_iters)
		iters = f->max_iters;
	if (!warmup && !b->quick && iters >= SUBSAMPLES) {
		/*
		 * The sample is the fastest of SUBSAMPLES runs of a fifth of
		 * the iterations each: whatever else the host runs can only
		 * add time, so the fastest run is the one it disturbed least.
		 */
		iters /= SUBSAMPLES;
		err = best_of(b, f, iters, &ns);
	} else {
		err = f->run(b, f, iters, &ns);
	}
	if (err) {
		fail(f, err, "an operation failed");
		return;
	}
	if (warmup) {
		want = ns ? b->target_ns * iters / ns : f->max_iters;
		if (want < MIN_ITERS)
			want = MIN_ITERS;
		if (want > f->max_iters)
			want = f->max_iters;
		f->iters = want;
		return;
	}
	f->v[f->nv++] = (double)ns / (double)(iters * f->units);
}

static void measure(struct bench *b)
{
	unsigned int r, i, j;

	for (i = 0; i < b->nfig; i++) {
		if (fig_is_mc(&b->fig[i]) && b->mc_why && !b->fig[i].skip)
			b->fig[i].skip = b->mc_why;
		if (fig_is_redis(&b->fig[i]) && b->redis.missing &&
		    !b->fig[i].skip)
			b->fig[i].skip = "redis-server is not installed";
		else if (fig_is_redis(&b->fig[i]) && b->redis.why)
			fail(&b->fig[i], -EIO, "Redis: %s", b->redis.why);
		if (fig_is_mcu(&b->fig[i]) && b->mcu.missing &&
		    !b->fig[i].skip)
			b->fig[i].skip = "memcached is not installed";
		else if (fig_is_mcu(&b->fig[i]) && b->mcu.why)
			fail(&b->fig[i], -EIO, "memcached (unix socket): %s",
			     b->mcu.why);
		if (fig_is_lmdb(&b->fig[i]) && b->lmdb_err)
			fail(&b->fig[i], b->lmdb_err, "LMDB setup failed");
		if (fig_is_mapped(&b->fig[i]) && b->mapped_err)
			fail(&b->fig[i], b->mapped_err,
			     "mapped caches could not be set up");
		if (!strncmp(b->fig[i].id, "bpf.", 4) && b->bpf_err)
			fail(&b->fig[i], b->bpf_err, "BPF map setup failed");
	}
	for (i = 0; i < b->nfig; i++)
		fig_sample(b, &b->fig[i], true);
	for (r = 0; r < b->rounds; r++) {
		for (j = 0; j < b->nfig; j++) {
			i = r % 2 ? b->nfig - 1 - j : j;
			fig_sample(b, &b->fig[i], false);
		}
		if (b->verbose) {
			fprintf(stderr, "%s: round %u of %u done\n", prog,
				r + 1, b->rounds);
		}
	}
	for (i = 0; i < b->nfig; i++) {
		struct figure *f = &b->fig[i];

		if (!fig_ok(f))
			continue;
		f->med = median_of(f->v, f->nv);
		f->min = f->max = f->v[0];
		for (r = 1; r < f->nv; r++) {
			if (f->v[r] < f->min)
				f->min = f->v[r];
			if (f->v[r] > f->max)
				f->max = f->v[r];
		}
	}
}

/* --- ratios and targets ------------------------------------------------------- */

struct ratio {
	const char *id;
	const char *label;
	const char *num, *den;	/* figure ids; value = med(num) / med(den) */
	char cmp;		/* '<' at most, '>' at least, 0 no target */
	double limit;
	const char *target;	/* the issue's wording */
	int issue;		/* the issue of the target: 7 unless said */
	/*
	 * If set, the value is divided by med(num2) / med(den2) (and each
	 * round's by that round's): a scaling as a fraction of the VM's own.
	 */
	const char *num2, *den2;
};

static const struct ratio ratios[] = {
	{ "nop_vs_getppid", "no-op ioctl / getppid",
	  "floor.nop_ioctl", "floor.getppid", 0, 0, NULL, 0, NULL, NULL },
	{ "get_hit_vs_nop", "kcache get hit / no-op ioctl",
	  "kcache.get_hit.64", "floor.nop_ioctl", '<', 2.0,
	  "single get (hit) at most 2x the no-op ioctl floor", 7, NULL, NULL },
	{ "get_hit_vs_bpf_lookup", "kcache get hit / BPF LRU lookup",
	  "kcache.get_hit.64", "bpf.lookup", '<', 0.5,
	  "single get (hit) at most 0.5x a BPF LRU lookup", 7, NULL, NULL },
	{ "set_replace_vs_bpf_update", "kcache set replace / BPF LRU update",
	  "kcache.set_replace.64", "bpf.update", '<', 0.5,
	  "single set (replace) at most 0.5x a BPF LRU update", 7, NULL, NULL },
	{ "bpf_lookup_vs_nop", "BPF LRU lookup / no-op ioctl",
	  "bpf.lookup", "floor.nop_ioctl", 0, 0, NULL, 0, NULL, NULL },
	{ "get_miss_vs_hit", "kcache get miss / get hit",
	  "kcache.get_miss.64", "kcache.get_hit.64", 0, 0, NULL, 0, NULL, NULL },
	{ "set_evict_vs_replace", "kcache set insert+evict / set replace",
	  "kcache.set_evict.64", "kcache.set_replace.64", 0, 0, NULL, 0, NULL, NULL },
	{ "delete_vs_get_hit", "kcache delete / get hit",
	  "kcache.delete.64", "kcache.get_hit.64", 0, 0, NULL, 0, NULL, NULL },
	{ "incr_vs_get", "kcache incr / get hit",
	  "kcache.incr", "kcache.get_hit.64", 0, 0, NULL, 0, NULL, NULL },
	{ "touch_vs_get", "kcache touch / get hit",
	  "kcache.touch", "kcache.get_hit.64", 0, 0, NULL, 0, NULL, NULL },
	{ "cas_vs_get", "kcache cas / get hit",
	  "kcache.cas.64", "kcache.get_hit.64", 0, 0, NULL, 0, NULL, NULL },
	{ "gets_cas_vs_get", "kcache gets + cas / get hit",
	  "kcache.gets_cas.64", "kcache.get_hit.64", 0, 0, NULL, 0, NULL, NULL },
	{ "memcached_incr_vs_get", "memcached incr / memcached get",
	  "memcached.incr", "memcached.get", 0, 0, NULL, 0, NULL, NULL },
	{ "memcached_touch_vs_get", "memcached touch / memcached get",
	  "memcached.touch", "memcached.get", 0, 0, NULL, 0, NULL, NULL },
	{ "memcached_gets_cas_vs_get", "memcached gets + cas / memcached get",
	  "memcached.gets_cas.64", "memcached.get", 0, 0, NULL, 0, NULL, NULL },
	{ "get_hit_1k_vs_64", "kcache get hit 1 KiB / 64 B",
	  "kcache.get_hit.1k", "kcache.get_hit.64", 0, 0, NULL, 0, NULL, NULL },
	{ "get_hit_64k_vs_64", "kcache get hit 64 KiB / 64 B",
	  "kcache.get_hit.64k", "kcache.get_hit.64", 0, 0, NULL, 0, NULL, NULL },
	{ "batch_get_8_vs_get", "batch get x8 per key / single get",
	  "kcache.batch_get.8", "kcache.get_hit.64", 0, 0, NULL, 0, NULL, NULL },
	{ "batch_get_64_vs_get", "batch get x64 per key / single get",
	  "kcache.batch_get.64", "kcache.get_hit.64", '<', 0.2,
	  "batch get of 64 keys at most 0.2x a single get, per key", 7, NULL, NULL },
	{ "batch_get_256_vs_get", "batch get x256 per key / single get",
	  "kcache.batch_get.256", "kcache.get_hit.64", 0, 0, NULL, 0, NULL, NULL },
	{ "batch_set_8_vs_set", "batch set x8 per key / single set",
	  "kcache.batch_set.8", "kcache.set_replace.64", 0, 0, NULL, 0, NULL, NULL },
	{ "batch_set_64_vs_set", "batch set x64 per key / single set",
	  "kcache.batch_set.64", "kcache.set_replace.64", 0, 0, NULL, 0, NULL, NULL },
	{ "batch_set_256_vs_set", "batch set x256 per key / single set",
	  "kcache.batch_set.256", "kcache.set_replace.64", 0, 0, NULL, 0, NULL, NULL },
	{ "get_hit_vs_memcached_get", "kcache get hit / memcached get",
	  "kcache.get_hit.64", "memcached.get", '<', 0.02,
	  "single get at most 0.02x a memcached get on loopback", 7, NULL, NULL },
	{ "set_replace_vs_memcached_set", "kcache set replace / memcached set",
	  "kcache.set_replace.64", "memcached.set", 0, 0, NULL, 0, NULL, NULL },
	{ "batch_get_64_vs_memcached_multiget",
	  "kcache get_many x64 / memcached get x64",
	  "kcache.batch_get.64", "memcached.multiget.64", 0, 0, NULL, 0, NULL, NULL },
	{ "threads_distinct", "2 threads / 1, read-mostly distinct keys",
	  "threads.distinct.1", "threads.distinct.2", '>', 1.7,
	  "two threads at least 1.7x one thread on distinct keys", 7, NULL, NULL },
	{ "threads_hot", "2 threads / 1, read-mostly one hot key",
	  "threads.hot.1", "threads.hot.2", '>', 1.0,
	  "two threads no worse than 1.0x one thread on one hot key", 7, NULL, NULL },
	{ "threads_write", "2 threads / 1, write-heavy distinct keys",
	  "threads.write.1", "threads.write.2", 0, 0, NULL, 0, NULL, NULL },
	{ "threads_nop", "2 threads / 1, no-op ioctl (the VM's ceiling)",
	  "threads.nop.1", "threads.nop.2", 0, 0, NULL, 0, NULL, NULL },
	/* issue 17: the peers a user on one host would pick, and mapped gets */
	{ "threads_distinct_vs_ceiling",
	  "2 threads / 1, distinct keys, of the ceiling",
	  "threads.distinct.1", "threads.distinct.2", '>', 0.95,
	  "two threads on distinct keys at least 95% of the VM's ceiling",
	  17, "threads.nop.1", "threads.nop.2" },
	{ "get_hit_vs_redis_unix_get", "kcache get hit / Redis GET (unix)",
	  "kcache.get_hit.64", "redis.unix.get", '<', 0.01,
	  "ioctl get at most 0.01x a Redis GET over a unix socket", 17, NULL, NULL },
	{ "get_hit_vs_redis_tcp_get", "kcache get hit / Redis GET (TCP)",
	  "kcache.get_hit.64", "redis.tcp.get", 0, 0, NULL, 0, NULL, NULL },
	{ "get_hit_vs_libmemcached_unix_get",
	  "kcache get hit / memcached get (libmc, unix)",
	  "kcache.get_hit.64", "libmemcached.unix.get", 0, 0, NULL, 0, NULL, NULL },
	{ "get_hit_vs_libmemcached_tcp_get",
	  "kcache get hit / memcached get (libmc, TCP)",
	  "kcache.get_hit.64", "libmemcached.tcp.get", 0, 0, NULL, 0, NULL, NULL },
	{ "get_hit_vs_lmdb_get", "kcache get hit / LMDB get (txn per get)",
	  "kcache.get_hit.64", "lmdb.get.64", 0, 0, NULL, 0, NULL, NULL },
	{ "redis_unix_vs_tcp", "Redis GET unix socket / TCP",
	  "redis.unix.get", "redis.tcp.get", 0, 0, NULL, 0, NULL, NULL },
	{ "libmemcached_unix_vs_tcp", "memcached get (libmc) unix / TCP",
	  "libmemcached.unix.get", "libmemcached.tcp.get", 0, 0, NULL, 0, NULL, NULL },
	{ "libmemcached_tcp_vs_text", "memcached get TCP: libmc / own client",
	  "libmemcached.tcp.get", "memcached.get", 0, 0, NULL, 0, NULL, NULL },
	{ "mapped_get_hit_vs_get_hit", "kcache mapped get hit / ioctl get hit",
	  "kcache.mapped_get_hit.64", "kcache.get_hit.64", '<', 0.1,
	  "mapped get hit at most 0.1x the ioctl get hit", 17, NULL, NULL },
	{ "mapped_get_hit_1k_vs_get_hit_1k",
	  "kcache mapped get hit / ioctl get hit, 1 KiB",
	  "kcache.mapped_get_hit.1k", "kcache.get_hit.1k", 0, 0, NULL, 0, NULL, NULL },
	{ "mapped_get_hit_vs_lmdb_get", "kcache mapped get hit / LMDB get",
	  "kcache.mapped_get_hit.64", "lmdb.get.64", '<', 0.5,
	  "mapped get hit at most 0.5x an LMDB get (read txn per get)", 17, NULL, NULL },
	{ "mapped_get_hit_vs_redis_unix_get",
	  "kcache mapped get hit / Redis GET (unix)",
	  "kcache.mapped_get_hit.64", "redis.unix.get", '<', 0.01,
	  "mapped get at most 0.01x a Redis GET over a unix socket", 17, NULL, NULL },
	{ "threads_mapped_vs_ceiling",
	  "2 threads / 1, mapped gets, of the ceiling",
	  "threads.mapped.1", "threads.mapped.2", '>', 0.95,
	  "two threads of mapped gets at least 95% of the VM's ceiling",
	  17, "threads.nop.1", "threads.nop.2" },
};
#define NR_RATIOS (sizeof(ratios) / sizeof(ratios[0]))

struct ratio_val {
	bool ok;
	double v, min, max;
};

static struct ratio_val ratio_eval(struct bench *b, const struct ratio *r)
{
	struct figure *n = fig_find(b, r->num), *d = fig_find(b, r->den);
	struct figure *n2 = NULL, *d2 = NULL;
	struct ratio_val rv = { 0 };
	unsigned int i;
	double x;

	if (!fig_ok(n) || !fig_ok(d) || n->nv != d->nv || d->med <= 0)
		return rv;
	if (r->num2) {
		n2 = fig_find(b, r->num2);
		d2 = fig_find(b, r->den2);
		if (!fig_ok(n2) || !fig_ok(d2) || n2->nv != n->nv ||
		    d2->nv != n->nv || n2->med <= 0)
			return rv;
	}
	rv.ok = true;
	rv.v = n->med / d->med;
	if (n2)
		rv.v /= n2->med / d2->med;
	for (i = 0; i < n->nv; i++) {
		x = d->v[i] > 0 ? n->v[i] / d->v[i] : 0;
		if (n2)
			x = n2->v[i] > 0 ? x * d2->v[i] / n2->v[i] : 0;
		if (!i || x < rv.min)
			rv.min = x;
		if (!i || x > rv.max)
			rv.max = x;
	}
	return rv;
}

static bool target_met(const struct ratio *r, double v)
{
	return r->cmp == '<' ? v <= r->limit : v >= r->limit;
}

/*
 * Below this two-thread scaling of no-op ioctls, the VM's two vCPUs were
 * not running at once for much of the run (the host was busy).
 */
#define CEILING_LOW	1.5

/*
 * A scaling as a fraction of the VM's ceiling (a ratio with num2) says
 * nothing when the ceiling itself is low: two serialised runs compared.
 */
static bool ceiling_low(struct bench *b, const struct ratio *r)
{
	struct figure *n2, *d2;

	if (!r->num2)
		return false;
	n2 = fig_find(b, r->num2);
	d2 = fig_find(b, r->den2);
	return fig_ok(n2) && fig_ok(d2) && d2->med > 0 &&
	       n2->med / d2->med < CEILING_LOW;
}

#define OVERHEAD_LIMIT	64	/* bytes per entry beyond key and value */

/* --- memory per entry ----------------------------------------------------------- */

static void kc_memory(struct bench *b)
{
	struct kcache_metrics m;
	int err = kcache_get_metrics(b->hit[SMALL], &m);

	if (err || !m.entries) {
		fprintf(stderr, "%s: kcache metrics: %s\n", prog,
			err ? kcache_strerror(err) : "no entries");
		return;
	}
	b->kc_overhead = (int64_t)m.entry_overhead;
	b->kc_charged = (int64_t)(m.bytes / m.entries) -
			(int64_t)(KEY_LEN + value_len[SMALL]);
	/*
	 * bytes is what the entries' allocations take (kmalloc's size
	 * classes); data_bytes is header, key and value, which must be
	 * entry_overhead more than key and value for each.
	 */
	if (m.data_bytes != m.entries * (m.entry_overhead + KEY_LEN +
					 value_len[SMALL]))
		fprintf(stderr, "%s: kcache: %" PRIu64 " data bytes for %"
			PRIu64 " entries of %zu bytes, but entry_overhead %"
			PRIu64 "\n", prog, (uint64_t)m.data_bytes,
			(uint64_t)m.entries,
			(size_t)(KEY_LEN + value_len[SMALL]),
			(uint64_t)m.entry_overhead);
}

/* --- output ---------------------------------------------------------------------- */

static void header_info(char *kernel, size_t ksize, const char **accel)
{
	struct utsname u;

	if (uname(&u))
		snprintf(kernel, ksize, "unknown");
	else
		snprintf(kernel, ksize, "%s %s %s %s", u.sysname, u.release,
			 u.version, u.machine);
	*accel = getenv("KCACHE_BENCH_ACCEL");
	if (*accel && **accel)
		return;
#if defined(__x86_64__) || defined(__i386__)
	{
		unsigned int a, bx, c, d;
		char sig[13];

		__cpuid(1, a, bx, c, d);
		if (c & (1U << 31)) {
			__cpuid(0x40000000, a, bx, c, d);
			memcpy(sig, &bx, 4);
			memcpy(sig + 4, &c, 4);
			memcpy(sig + 8, &d, 4);
			sig[12] = 0;
			if (!strncmp(sig, "KVMKVMKVM", 9)) {
				*accel = "kvm";
				return;
			}
			if (!strcmp(sig, "TCGTCGTCGTCG")) {
				*accel = "tcg";
				return;
			}
		}
		/* tools/vm-run always runs QEMU with -accel tcg */
		if (getenv("KCACHE_IN_VM")) {
			*accel = "tcg";
			return;
		}
		*accel = c & (1U << 31) ? "unknown hypervisor" : "none";
		return;
	}
#endif
	*accel = getenv("KCACHE_IN_VM") ? "tcg" : "unknown";
}

static const char *fmt_ns(char buf[32], double ns)
{
	snprintf(buf, 32, ns >= 100 ? "%.0f" : "%.1f", ns);
	return buf;
}

static void print_table(struct bench *b, const char *kernel, const char *accel)
{
	struct figure *nop = fig_find(b, "floor.nop_ioctl");
	char m[32], lo[32], hi[32];
	unsigned int i;

	printf("\n%s: %s\n", prog, kernel);
	printf("%s: accel %s, %u rounds interleaved, %s; times are emulated: "
	       "only ratios count\n", prog, accel, b->rounds,
	       b->quick ? "quick" : "full");
	printf("\n%-44s %-6s %9s %9s %9s %8s\n", "figure (16 B keys)", "unit",
	       "median", "min", "max", "x nop");
	for (i = 0; i < b->nfig; i++) {
		struct figure *f = &b->fig[i];

		printf("%-44s %-6s ", f->label, f->unit);
		if (fig_ok(f)) {
			printf("%9s %9s %9s", fmt_ns(m, f->med),
			       fmt_ns(lo, f->min), fmt_ns(hi, f->max));
			if (fig_ok(nop))
				printf(" %8.2f", f->med / nop->med);
			if (f->misses)
				printf("  (%" PRIu64 " misses!)", f->misses);
			printf("\n");
		} else {
			printf("%9s  %s\n", "-", f->skip ?
			       "not measured: skipped" :
			       "not measured: failed");
		}
	}

	printf("\n%-52s %8s  %s\n", "ratio (median / median)", "value",
	       "min-max per round");
	for (i = 0; i < NR_RATIOS; i++) {
		struct ratio_val rv = ratio_eval(b, &ratios[i]);

		if (rv.ok)
			printf("%-52s %8.3f  %.3f-%.3f\n", ratios[i].label,
			       rv.v, rv.min, rv.max);
		else
			printf("%-52s %8s\n", ratios[i].label, "n/a");
	}

	{
		const struct ratio *ceil = NULL;
		struct ratio_val rv;

		for (i = 0; i < NR_RATIOS; i++)
			if (!strcmp(ratios[i].id, "threads_nop"))
				ceil = &ratios[i];
		rv = ratio_eval(b, ceil);
		if (rv.ok && rv.v < CEILING_LOW)
			printf("note: the VM's two-thread ceiling was %.2f (below "
			       "%.1f): the host was running other work, so the "
			       "two-thread ratios and their fractions of the "
			       "ceiling say little in this run\n", rv.v,
			       CEILING_LOW);
	}

	printf("\n%-52s %s\n", "memory per entry beyond key and value", "bytes");
	if (b->kc_overhead >= 0)
		printf("%-52s %8" PRId64 "  (allocated: bytes/entries - 80 = %"
		       PRId64 ")\n", "kcache (stats entry_overhead, exact)",
		       b->kc_overhead, b->kc_charged);
	else
		printf("%-52s %8s\n", "kcache (stats entry_overhead)", "n/a");
	if (b->mc_item_over >= 0)
		printf("%-52s %8.1f  (%" PRIu64 " items)\n",
		       "memcached (stats bytes / curr_items - 80)",
		       b->mc_item_over, b->mc_items);
	else
		printf("%-52s %8s\n", "memcached (stats bytes / curr_items)",
		       "n/a");
	if (b->mc_chunk_over >= 0)
		printf("%-52s %8.1f  (chunk %" PRIu64 " B)\n",
		       "memcached (stats slabs chunk_size - 80)",
		       b->mc_chunk_over, b->mc_chunk);
	else
		printf("%-52s %8s\n", "memcached (stats slabs chunk_size)",
		       "n/a");

	printf("\ntargets of issues 7 and 17 (16 B key, 64 B value; "
	       "informational)\n");
	for (i = 0; i < NR_RATIOS; i++) {
		const struct ratio *r = &ratios[i];
		struct ratio_val rv;

		if (!r->cmp)
			continue;
		rv = ratio_eval(b, r);
		if (rv.ok && ceiling_low(b, r))
			printf("  %-60s %7.3f  not meaningful (ceiling below "
			       "%.1f)\n", r->target, rv.v, CEILING_LOW);
		else if (rv.ok)
			printf("  %-60s %7.3f  %s\n", r->target, rv.v,
			       target_met(r, rv.v) ? "met" : "NOT MET");
		else
			printf("  %-60s %7s  %s\n", r->target, "-",
			       !HAVE_MAPPED && strstr(r->num, "mapped") ?
			       "not built (no KCACHE_OPEN_MAPPED)" :
			       "not measured");
	}
	if (b->kc_overhead >= 0)
		printf("  %-60s %7" PRId64 "  %s\n",
		       "at most 64 bytes of kernel memory per entry",
		       b->kc_overhead, b->kc_overhead <= OVERHEAD_LIMIT ?
		       "met" : "NOT MET");
	else
		printf("  %-60s %7s  not measured\n",
		       "at most 64 bytes of kernel memory per entry", "-");
}

static void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

static int write_json(struct bench *b, const char *kernel, const char *accel,
		      bool all_measured)
{
	bool to_stdout = !strcmp(b->json_path, "-");
	FILE *out = to_stdout ? stdout : fopen(b->json_path, "w");
	unsigned int i, r;
	struct utsname u;

	if (!out) {
		fprintf(stderr, "%s: %s: %s\n", prog, b->json_path,
			strerror(errno));
		return -errno;
	}
	if (uname(&u))
		memset(&u, 0, sizeof(u));
	fprintf(out, "{\n  \"tool\": \"kcache-bench\",\n  \"format\": 1,\n");
	fprintf(out, "  \"kernel\": ");
	json_str(out, kernel);
	fprintf(out, ",\n  \"kernel_release\": ");
	json_str(out, u.release);
	fprintf(out, ",\n  \"accel\": ");
	json_str(out, accel);
	fprintf(out, ",\n  \"mode\": \"%s\",\n  \"rounds\": %u,\n",
		b->quick ? "quick" : "full", b->rounds);
	fprintf(out, "  \"all_measured\": %s,\n",
		all_measured ? "true" : "false");
	fprintf(out, "  \"key_len\": %u,\n  \"memcached\": ", KEY_LEN);
	if (b->mc_version[0])
		json_str(out, b->mc_version);
	else
		fprintf(out, "null");
	fprintf(out, ",\n  \"redis\": ");
	if (b->redis.version[0])
		json_str(out, b->redis.version);
	else
		fprintf(out, "null");
	fprintf(out, ",\n  \"lmdb\": ");
	json_str(out, mdb_version(NULL, NULL, NULL));
	fprintf(out, ",\n  \"mapped_built\": %s",
		HAVE_MAPPED ? "true" : "false");
	fprintf(out, ",\n  \"figures\": [\n");
	for (i = 0; i < b->nfig; i++) {
		struct figure *f = &b->fig[i];

		fprintf(out, "    {\"id\": \"%s\", \"label\": ", f->id);
		json_str(out, f->label);
		fprintf(out, ", \"unit\": \"%s\", \"measured\": %s", f->unit,
			fig_ok(f) ? "true" : "false");
		if (fig_ok(f)) {
			fprintf(out, ", \"median\": %.1f, \"min\": %.1f, "
				"\"max\": %.1f, \"iters\": %" PRIu64
				", \"samples\": [", f->med, f->min, f->max,
				f->iters);
			for (r = 0; r < f->nv; r++)
				fprintf(out, "%s%.1f", r ? ", " : "", f->v[r]);
			fprintf(out, "], \"misses\": %" PRIu64, f->misses);
		} else {
			fprintf(out, ", \"why\": ");
			json_str(out, f->skip ? f->skip : strerror(-f->err));
		}
		fprintf(out, "}%s\n", i + 1 < b->nfig ? "," : "");
	}
	fprintf(out, "  ],\n  \"ratios\": [\n");
	for (i = 0; i < NR_RATIOS; i++) {
		const struct ratio *ra = &ratios[i];
		struct ratio_val rv = ratio_eval(b, ra);

		fprintf(out, "    {\"id\": \"%s\", \"label\": ", ra->id);
		json_str(out, ra->label);
		fprintf(out, ", \"num\": \"%s\", \"den\": \"%s\"", ra->num,
			ra->den);
		if (ra->num2)
			fprintf(out, ", \"over\": [\"%s\", \"%s\"]", ra->num2,
				ra->den2);
		if (rv.ok)
			fprintf(out, ", \"value\": %.4f, \"min\": %.4f, "
				"\"max\": %.4f", rv.v, rv.min, rv.max);
		else
			fprintf(out, ", \"value\": null");
		if (ra->cmp) {
			fprintf(out, ", \"target\": {\"%s\": %g, \"met\": %s, "
				"\"issue\": %d%s}",
				ra->cmp == '<' ? "at_most" : "at_least",
				ra->limit, !rv.ok || ceiling_low(b, ra) ? "null" :
				target_met(ra, rv.v) ? "true" : "false",
				ra->issue ? ra->issue : 7, ceiling_low(b, ra) ?
				", \"ceiling_low\": true" : "");
		}
		fprintf(out, "}%s\n", i + 1 < NR_RATIOS ? "," : "");
	}
	fprintf(out, "  ],\n  \"memory_per_entry\": {\n");
	fprintf(out, "    \"kcache_entry_overhead\": ");
	if (b->kc_overhead >= 0)
		fprintf(out, "%" PRId64 ", \"kcache_charged_beyond_kv\": %"
			PRId64 ",\n    \"target\": {\"at_most\": %d, "
			"\"met\": %s},\n", b->kc_overhead, b->kc_charged,
			OVERHEAD_LIMIT, b->kc_overhead <= OVERHEAD_LIMIT ?
			"true" : "false");
	else
		fprintf(out, "null,\n");
	fprintf(out, "    \"memcached_item_beyond_kv\": ");
	if (b->mc_item_over >= 0)
		fprintf(out, "%.1f", b->mc_item_over);
	else
		fprintf(out, "null");
	fprintf(out, ",\n    \"memcached_chunk_beyond_kv\": ");
	if (b->mc_chunk_over >= 0)
		fprintf(out, "%.1f", b->mc_chunk_over);
	else
		fprintf(out, "null");
	fprintf(out, "\n  }\n}\n");
	if (to_stdout ? fflush(out) : fclose(out)) {
		fprintf(stderr, "%s: %s: %s\n", prog, b->json_path,
			strerror(errno));
		return -EIO;
	}
	return 0;
}

/* The peers of issue 17 and the mapped caches, those that are selected. */
static void peers_start(struct bench *b)
{
	struct peer *p[2] = { &b->redis, &b->mcu };
	bool want[2] = { wanted(b, fig_is_redis), wanted(b, fig_is_mcu) };
	int err = 0, i;

	if (want[0] || want[1] || wanted(b, fig_is_lmdb))
		err = scratch_setup(b);
	for (i = 0; i < 2; i++) {
		if (!want[i])
			continue;
		if (err)
			p[i]->why = "no scratch directory";
		else if (!(i ? mcu_start(b) : redis_start(b)))
			continue;
		if (p[i]->missing)
			printf("%s: SKIP %s: %s is not installed (apt-get install "
			       "%s)\n", prog, p[i]->name, i ? "memcached" :
			       "redis-server", i ? "memcached" : "redis-server");
		else
			fprintf(stderr, "%s: %s: %s\n", prog, p[i]->name,
				p[i]->why);
	}
	if (wanted(b, fig_is_lmdb))
		b->lmdb_err = err ? err : lmdb_setup(b);
	if (HAVE_MAPPED && wanted(b, fig_is_mapped))
		b->mapped_err = mapped_setup(b);
	if (!HAVE_MAPPED)
		printf("%s: mapped get: not built (this libkcache has no "
		       "KCACHE_OPEN_MAPPED)\n", prog);
}

/* --- main -------------------------------------------------------------------------- */

/* At exit, whatever the path: the servers stopped, the scratch removed. */
static void stop_peers(void)
{
	mcu_stop(&bench);
	redis_stop(&bench);
	if (bench.mc_pid > 0)
		mc_stop(&bench);
	lmdb_teardown(&bench);
	scratch_teardown(&bench);
}

static void on_signal(int sig)
{
	if (bench.mc_pid > 0)
		kill(bench.mc_pid, SIGKILL);
	if (bench.redis.pid > 0)
		kill(bench.redis.pid, SIGKILL);
	if (bench.mcu.pid > 0)
		kill(bench.mcu.pid, SIGKILL);
	if (bench.scratch[0]) {
		unsigned int i;

		for (i = 0; i < NR_SCRATCH_FILES; i++)
			unlink(scratch_paths[i]);
		rmdir(bench.scratch);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void usage(FILE *out)
{
	fprintf(out,
"Usage: %s [--quick] [--json FILE] [-r ROUNDS] [--only LIST]\n"
"       [--memcached-port PORT] [-v]\n"
"\n"
"Measure kcache's operations through libkcache next to the system-call\n"
"floor, the BPF LRU hash map, memcached and Redis (unix socket and\n"
"loopback) and LMDB, interleaved in one run, and print the ratios and the\n"
"targets of issues 7 and 17 (informational). Absolute times under\n"
"emulation mean nothing. Needs root and the lrucache module; memcached and\n"
"redis-server (Debian packages) for their figures, which it starts itself.\n"
"\n"
"  --quick          few iterations (about 2 ms per sample), %u rounds\n"
"  --json FILE      also write the figures, ratios and targets as JSON;\n"
"                   \"-\": on stdout, after everything else (in the VM, whose\n"
"                   files do not reach the host)\n"
"  -r, --rounds N   rounds, median taken (default %u, %u to %u)\n"
"  --only LIST      measure only the figures whose id starts with one of\n"
"                   the comma-separated LIST (e.g. floor,kcache.get_hit.64);\n"
"                   for quick comparisons while working on the module\n"
"  --memcached-port PORT\n"
"                   use the memcached on 127.0.0.1:PORT, or start one there\n"
"                   (default %d) and stop it at the end\n"
"  -v, --verbose    progress on stderr\n"
"\n"
"Exit status: 0 every figure measured (memcached's or Redis's may be missing\n"
"only if it is not installed: a SKIP line says so), 1 some figure not\n"
"measured, 2 could not run.\n",
		prog, QUICK_ROUNDS, DEFAULT_ROUNDS, MIN_ROUNDS, MAX_ROUNDS,
		MC_PORT);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "json", required_argument, NULL, 'j' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "memcached-port", required_argument, NULL, 'p' },
		{ "only", required_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench *b = &bench;
	const char *accel;
	char kernel[512], *end;
	unsigned int i, unmeasured = 0;
	bool rounds_set = false;
	long val;
	int opt, err;

	b->mc_port = MC_PORT;
	b->mc.fd = -1;
	b->bpf_fd = -1;
	b->kc_overhead = -1;
	b->mc_item_over = -1;
	b->mc_chunk_over = -1;
	while ((opt = getopt_long(argc, argv, "r:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'q':
			b->quick = true;
			break;
		case 'j':
			b->json_path = optarg;
			break;
		case 'o':
			b->only = optarg;
			break;
		case 'r':
		case 'p':
			errno = 0;
			val = strtol(optarg, &end, 10);
			if (errno || *end || !*optarg ||
			    (opt == 'r' && (val < MIN_ROUNDS || val > MAX_ROUNDS)) ||
			    (opt == 'p' && (val < 1 || val > 65535))) {
				fprintf(stderr, "%s: bad %s %s\n", prog,
					opt == 'r' ? "--rounds" :
					"--memcached-port", optarg);
				return EXIT_SETUP;
			}
			if (opt == 'r') {
				b->rounds = (unsigned int)val;
				rounds_set = true;
			} else {
				b->mc_port = (int)val;
			}
			break;
		case 'v':
			b->verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_SETUP;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_SETUP;
	}
	if (!rounds_set)
		b->rounds = b->quick ? QUICK_ROUNDS : DEFAULT_ROUNDS;
	b->target_ns = b->quick ? QUICK_TARGET_NS : TARGET_NS;
	snprintf(b->prefix, sizeof(b->prefix), "kcache-bench-%d", (int)getpid());
	b->redis.name = "Redis";
	b->mcu.name = "memcached (unix socket)";
	atexit(stop_peers);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	header_info(kernel, sizeof(kernel), &accel);

	b->val = malloc(value_len[NR_SIZES - 1]);
	b->buf = malloc(value_len[NR_SIZES - 1]);
	b->batch_buf = malloc(256 * value_len[SMALL]);
	b->mc.buf = malloc(MC_BUF);
	b->mc_req = malloc(MC_REQ_MAX);
	b->cas_ver = malloc(working_set[SMALL] * sizeof(*b->cas_ver));
	if (!b->val || !b->buf || !b->batch_buf || !b->mc.buf || !b->mc_req ||
	    !b->cas_ver) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return EXIT_SETUP;
	}
	memset(b->val, 'v', value_len[NR_SIZES - 1]);
	keys_init();
	figures_init(b);
	figures_select(b);

	printf("%s: %s, %u rounds; setting up the caches, the BPF map and "
	       "the peers\n", prog, b->quick ? "quick" : "full", b->rounds);
	fflush(stdout);
	if (caches_setup(b)) {
		caches_teardown(b);
		return EXIT_SETUP;
	}
	b->bpf_err = bpf_setup(b);
	if (b->bpf_err)
		fprintf(stderr, "%s: BPF LRU hash map: %s%s\n", prog,
			strerror(-b->bpf_err), b->bpf_err == -EPERM ?
			" (needs root)" : "");
	err = mc_wanted(b) ? mc_start(b) : 0;
	if (err && b->mc_missing)
		printf("%s: SKIP memcached: %s\n", prog, b->mc_why);
	else if (err)
		fprintf(stderr, "%s: memcached: %s (%s)\n", prog, b->mc_why,
			strerror(-err));
	if (b->mc.fd >= 0 && wanted(b, fig_is_mc))
		b->mcl[VIA_TCP] = mcl_connect(NULL, b->mc_port);
	peers_start(b);
	fflush(stdout);
	/*
	 * memcached's memory before the rounds: its incr may store a counter
	 * again as a new, shorter item of another slab class.
	 */
	mc_memory(b);

	measure(b);
	kc_memory(b);
	mcu_stop(b);
	redis_stop(b);
	lmdb_teardown(b);
	scratch_teardown(b);
	mc_stop(b);
	if (b->bpf_fd >= 0)
		close(b->bpf_fd);
	caches_teardown(b);

	print_table(b, kernel, accel);

	for (i = 0; i < b->nfig; i++) {
		struct figure *f = &b->fig[i];

		if (f->misses)
			printf("%s: WARNING: %s: %" PRIu64 " lookups of a "
			       "present key found nothing%s\n", prog, f->id,
			       f->misses, !strncmp(f->id, "threads.", 8) ?
			       " (kcache: a get raced with a replace of the "
			       "same key: a kernel bug)" : "");
		if (fig_ok(f) || f->skip == only_skip || fig_missing_ok(b, f))
			continue;
		fprintf(stderr, "%s: not measured: %s (%s)\n", prog, f->id,
			f->skip ? f->skip : strerror(-f->err));
		unmeasured++;
	}
	if (b->kc_overhead < 0) {
		fprintf(stderr, "%s: not measured: kcache memory per entry\n",
			prog);
		unmeasured++;
	}
	if (!b->mc_missing && mc_wanted(b) &&
	    (b->mc_item_over < 0 || b->mc_chunk_over < 0)) {
		fprintf(stderr, "%s: not measured: memcached memory per item\n",
			prog);
		unmeasured++;
	}
	if (unmeasured)
		printf("%s: %u figure(s) not measured\n", prog, unmeasured);
	else
		printf("%s: every figure measured%s%s%s%s\n", prog,
		       b->mc_missing || b->redis.missing || b->mcu.missing ?
		       " (skipped, not installed:" : "",
		       b->mc_missing || b->mcu.missing ? " memcached" : "",
		       b->redis.missing ? " redis-server" : "",
		       b->mc_missing || b->redis.missing || b->mcu.missing ?
		       ")" : "");
	fflush(stdout);
	fflush(stderr);
	/* Last, so that "--json -" leaves the JSON as the final block. */
	if (b->json_path && write_json(b, kernel, accel, !unmeasured))
		return EXIT_UNMEASURED;
	return unmeasured ? EXIT_UNMEASURED : 0;
}
