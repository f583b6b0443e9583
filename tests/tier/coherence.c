// SPDX-License-Identifier: GPL-2.0
/*
 * Readers through the tier against a writer that writes straight to the
 * backend, as another host would (standalone Redis, and the cluster).
 *
 * Three reader processes, each with its own tier, read four keys as fast
 * as they can and log every read: when it started, the version it
 * returned, and whether it went to the backend. The writer writes
 * versions 1..N round-robin over the keys and, after each, waits until
 * the agent has applied the invalidation: that instant is the write's
 * "delivery". The rule checked afterwards, for every read: if it started
 * after the delivery of version v of its key, it returns v or later. No
 * exception: the tier fills through kernel leases (tier.c, "The fill
 * path"), so a fill that read an older value before the delivery cannot
 * store it after the delivery, not even for an instant. Every stale read
 * fails the test.
 */
#include "kselftest_harness.h"
#include "tier_test.h"

#include <sys/mman.h>

#define NREADERS	3
#define NKEYS		4
#define MAX_WRITES	20000
#define MAX_READS	400000

struct rec {
	uint64_t start;
	uint32_t version;
	uint8_t key;
	uint8_t backend;
};

struct shared {
	volatile int stop;
	uint64_t delivered[MAX_WRITES + 1];
	uint32_t nreads[NREADERS];
	struct rec reads[NREADERS][MAX_READS];
};

FIXTURE(coh) {
	struct shared *sh;
	pid_t readers[NREADERS];
	redisContext *w[3];
	int nw;
	struct kcache *c;
	struct kcache_tier *t;
	char key[NKEYS][48];
};

FIXTURE_VARIANT(coh) {
	int backend;
	const char *servers_env;
	const char *cache_env;
};

FIXTURE_VARIANT_ADD(coh, redis) {
	.backend = KCACHE_TIER_REDIS,
	.servers_env = "TIER_REDIS",
	.cache_env = "TIER_CACHE_R",
};

FIXTURE_VARIANT_ADD(coh, cluster) {
	.backend = KCACHE_TIER_REDIS_CLUSTER,
	.servers_env = "TIER_CLUSTER",
	.cache_env = "TIER_CACHE_C",
};

/*
 * Another host's SET: to whichever master takes it (one for standalone),
 * retried for a while if none does (a cluster that is settling says
 * CLUSTERDOWN or TRYAGAIN for a moment).
 */
static int wset(struct _test_data_coh *self, const char *key, uint32_t v)
{
	uint64_t end = now_ms() + 20000;
	int i;

	do {
		for (i = 0; i < self->nw; i++) {
			redisReply *r = redisCommand(self->w[i], "SET %s %u",
						     key, v);
			int ok = r && r->type == REDIS_REPLY_STATUS;

			freeReplyObject(r);
			if (ok)
				return 0;
		}
		msleep(50);
	} while (now_ms() < end);
	return -1;
}

static void reader(struct _test_data_coh *self, const FIXTURE_VARIANT(coh) *variant,
		   int id)
{
	KCACHE_TIER_OPTS(o, .backend = variant->backend,
			 .servers = getenv(variant->servers_env),
			 .timeout_ms = 5000);
	struct kcache_tier *t;
	struct kcache *c;
	uint64_t seed = (uint64_t)id * 7919 + 1, br;
	char buf[32];

	if (kcache_open(getenv(variant->cache_env), NULL, &c) ||
	    kcache_tier_open(c, &o, &t))
		_exit(1);
	while (!self->sh->stop && self->sh->nreads[id] < MAX_READS) {
		struct rec *r = &self->sh->reads[id][self->sh->nreads[id]];
		int k;
		ssize_t n;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		k = (int)((seed >> 33) % NKEYS);
		br = tstats(t).backend_reads;
		r->start = now_us();
		n = tget(t, self->key[k], buf, sizeof(buf));
		if (n <= 0)
			continue;	/* a backend hiccup: not a read */
		r->key = (uint8_t)k;
		r->version = (uint32_t)strtoul(buf, NULL, 10);
		r->backend = tstats(t).backend_reads != br;
		self->sh->nreads[id]++;
	}
	kcache_tier_close(t);
	kcache_close(c);
	_exit(0);
}

FIXTURE_SETUP(coh)
{
	const char *servers = getenv(variant->servers_env);
	const char *name = getenv(variant->cache_env);
	char *copy, *tok, *save;
	struct kcache_tier_stats inv;
	int i;

	if (!servers || !name)
		SKIP(return, "%s not set (run tests/vm/tier)", variant->servers_env);
	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
	copy = strdup(servers);
	for (tok = strtok_r(copy, ",", &save); tok && self->nw < 3;
	     tok = strtok_r(NULL, ",", &save)) {
		self->w[self->nw] = rconnect(tok);
		ASSERT_TRUE(self->w[self->nw] && !self->w[self->nw]->err);
		self->nw++;
	}
	free(copy);
	KCACHE_TIER_OPTS(o, .backend = variant->backend, .servers = servers,
			 .timeout_ms = 5000);
	ASSERT_EQ(0, tier_open_on(name, &o, &self->c, &self->t));
	ASSERT_TRUE(wait_usable(self->t, 1, 20000));
	inv = tstats(self->t);
	for (i = 0; i < NKEYS; i++) {
		snprintf(self->key[i], sizeof(self->key[i]), "coh:%d:%d",
			 (int)getpid(), i);
		ASSERT_EQ(0, wset(self, self->key[i], 0));
	}
	/* Version 0 everywhere, delivered, before any reader starts. */
	for (i = 0; i < NKEYS; i++) {
		ASSERT_TRUE(wait_delivered(self->t, inv, 10000));
		inv.invalidations++;
	}
	for (i = 0; i < NREADERS; i++) {
		self->readers[i] = fork();
		ASSERT_LE(0, self->readers[i]);
		if (!self->readers[i])
			reader(self, variant, i);
	}
}

FIXTURE_TEARDOWN(coh)
{
	int i;

	if (!self->sh)
		return;
	self->sh->stop = 1;
	for (i = 0; i < NREADERS; i++)
		if (self->readers[i] > 0)
			waitpid(self->readers[i], NULL, 0);
	for (i = 0; i < self->nw; i++)
		redisFree(self->w[i]);
	kcache_tier_close(self->t);
	kcache_close(self->c);
	munmap(self->sh, sizeof(*self->sh));
}

/* The newest version of key @k delivered at or before @t (0: none). */
static uint32_t delivered_before(const struct shared *sh, uint32_t writes,
				 int k, uint64_t t)
{
	uint32_t lo = 0, hi = writes, mid, v;

	/* delivered[] grows with v: the last v delivered by @t, then down. */
	while (lo < hi) {
		mid = lo + (hi - lo + 1) / 2;
		if (sh->delivered[mid] <= t)
			lo = mid;
		else
			hi = mid - 1;
	}
	for (v = lo; v >= 1; v--)
		if (v % NKEYS == (uint32_t)k)
			return v;
	return 0;
}

/* Minutes on a loaded host (the harness allows 30 s by default). */
TEST_F_TIMEOUT(coh, no_read_after_delivery_returns_older_value, 3600)
{
	NEEDS_SETUP();
	uint32_t writes = getenv("TIER_LONG") ? 5000 : 300, v;
	struct kcache_tier_stats inv;
	uint64_t reads = 0, backend = 0, stale = 0, lat_sum = 0;
	uint64_t lat_max = 0;
	int i, status;

	for (v = 1; v <= writes; v++) {
		uint64_t t0;

		inv = tstats(self->t);
		t0 = now_us();
		ASSERT_EQ(0, wset(self, self->key[v % NKEYS], v));
		ASSERT_TRUE(wait_delivered(self->t, inv, 10000)) {
			struct kcache_tier_stats now = tstats(self->t);

			TH_LOG("write %u of %s: invalidations %llu -> %llu, epoch %llu -> %llu, agent state %llu",
			       v, self->key[v % NKEYS],
			       (unsigned long long)inv.invalidations,
			       (unsigned long long)now.invalidations,
			       (unsigned long long)inv.epoch,
			       (unsigned long long)now.epoch,
			       (unsigned long long)now.agent_state);
		}
		self->sh->delivered[v] = now_us();
		lat_sum += self->sh->delivered[v] - t0;
		if (self->sh->delivered[v] - t0 > lat_max)
			lat_max = self->sh->delivered[v] - t0;
	}
	self->sh->stop = 1;
	for (i = 0; i < NREADERS; i++) {
		ASSERT_EQ(self->readers[i], waitpid(self->readers[i], &status, 0));
		self->readers[i] = 0;
		ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	}
	for (i = 0; i < NREADERS; i++) {
		uint32_t j;

		for (j = 0; j < self->sh->nreads[i]; j++) {
			const struct rec *r = &self->sh->reads[i][j];
			uint32_t want;

			reads++;
			backend += r->backend;
			want = delivered_before(self->sh, writes, r->key,
						r->start);
			if (r->version >= want)
				continue;
			if (stale++ < 10)
				TH_LOG("read of key %d (%s) started %llu us after version %u was delivered, returned %u",
				       r->key, r->backend ? "backend" : "kernel cache",
				       (unsigned long long)(r->start - self->sh->delivered[want]),
				       want, r->version);
		}
	}
	printf("# %u writes, %llu reads (%.1f%% from the kernel cache), %llu stale reads; write to delivery: mean %llu us, max %llu us\n",
	       writes, (unsigned long long)reads,
	       reads ? 100.0 * (double)(reads - backend) / (double)reads : 0.0,
	       (unsigned long long)stale,
	       (unsigned long long)(lat_sum / writes),
	       (unsigned long long)lat_max);
	fflush(stdout);
	EXPECT_EQ(0U, stale);
	EXPECT_LT(0U, reads);
}

TEST_HARNESS_MAIN
