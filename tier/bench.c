// SPDX-License-Identifier: GPL-2.0
/*
 * tier-bench: a read-heavy workload through a tier against the same
 * workload straight on Redis, in the same run (the same VM), so that only
 * ratios are reported.
 *
 *   tier-bench --redis HOST:PORT --cache NAME [--keys N] [--ops N]
 *              [--reads PCT] [--zipf S] [--rounds R] [--value-size B]
 *
 * Keys are drawn from a Zipf distribution (exponent S, 0.99 by default)
 * over N keys; PCT% of the operations (95 by default) are reads, the rest
 * writes (kcache_tier_set() through the tier, SET straight). Each round
 * runs both, alternating which goes first; the report gives, per side,
 * the median over rounds of the throughput and of each round's p50 and
 * p99 latency, the ratios tier/straight, and the kernel cache's hit rate
 * on the tier's reads. The cache's agent must be running (its
 * invalidations of the workload's own writes are part of the cost).
 * A measurement, not a test: no threshold.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "kcache.h"
#include "kcache_tier.h"

struct side {
	double ops_s[16], p50[16], p99[16];
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t rng = 88172645463325252ULL;

static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double *zipf_cdf(unsigned int n, double s)
{
	double *cdf = malloc(n * sizeof(*cdf)), sum = 0;
	unsigned int i;

	if (!cdf)
		return NULL;
	for (i = 0; i < n; i++)
		sum += 1.0 / pow(i + 1, s);
	cdf[0] = 1.0 / sum;
	for (i = 1; i < n; i++)
		cdf[i] = cdf[i - 1] + 1.0 / pow(i + 1, s) / sum;
	return cdf;
}

static unsigned int zipf_draw(const double *cdf, unsigned int n)
{
	double u = (double)(xorshift() >> 11) / 9007199254740992.0;
	unsigned int lo = 0, hi = n - 1;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct cfg {
	unsigned int keys, ops, reads_pct, value_size;
	double zipf;
	int rounds;
};

/* One run of the workload; lat[] gets each op's latency in ns. */
static int run(const struct cfg *c, const double *cdf, redisContext *r,
	       struct kcache_tier *t, uint64_t *lat, double *ops_s,
	       uint64_t *reads, uint64_t *hits)
{
	char key[32], *val = malloc(c->value_size), buf[4096];
	uint64_t start, t0, h0 = 0;
	struct kcache_tier_stats st;
	unsigned int i, k;

	if (!val)
		return -ENOMEM;
	memset(val, 'w', c->value_size);
	if (t) {
		kcache_tier_get_stats(t, &st);
		h0 = st.hits;
	}
	*reads = 0;
	start = now_ns();
	for (i = 0; i < c->ops; i++) {
		bool rd = xorshift() % 100 < c->reads_pct;
		int n;

		k = zipf_draw(cdf, c->keys);
		n = snprintf(key, sizeof(key), "bench:%u", k);
		t0 = now_ns();
		if (t && rd) {
			if (kcache_tier_get(t, key, (size_t)n, buf, sizeof(buf)) < 0)
				goto fail;
		} else if (t) {
			if (kcache_tier_set(t, key, (size_t)n, val,
					    c->value_size, KCACHE_TTL_NONE))
				goto fail;
		} else {
			redisReply *rep = rd ?
				redisCommand(r, "GET %b", key, (size_t)n) :
				redisCommand(r, "SET %b %b", key, (size_t)n,
					     val, (size_t)c->value_size);

			if (!rep || rep->type == REDIS_REPLY_ERROR) {
				freeReplyObject(rep);
				goto fail;
			}
			freeReplyObject(rep);
		}
		lat[i] = now_ns() - t0;
		*reads += rd;
	}
	*ops_s = c->ops / ((double)(now_ns() - start) / 1e9);
	if (t) {
		kcache_tier_get_stats(t, &st);
		*hits = st.hits - h0;
	}
	free(val);
	return 0;
fail:
	fprintf(stderr, "tier-bench: operation %u failed\n", i);
	free(val);
	return -EIO;
}

static void usage(void)
{
	fprintf(stderr, "usage: tier-bench --redis HOST:PORT --cache NAME "
		"[--keys N] [--ops N] [--reads PCT] [--zipf S] [--rounds R] "
		"[--value-size B]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "redis", required_argument, NULL, 'r' },
		{ "cache", required_argument, NULL, 'c' },
		{ "keys", required_argument, NULL, 'k' },
		{ "ops", required_argument, NULL, 'o' },
		{ "reads", required_argument, NULL, 'p' },
		{ "zipf", required_argument, NULL, 'z' },
		{ "rounds", required_argument, NULL, 'n' },
		{ "value-size", required_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	struct cfg c = { .keys = 10000, .ops = 50000, .reads_pct = 95,
			 .value_size = 100, .zipf = 0.99, .rounds = 3 };
	const char *addr = NULL, *name = NULL;
	struct side tier = { 0 }, straight = { 0 };
	double hit_rates[16], tput[16], *cdf;
	char host[256], *val;
	struct kcache_tier *t;
	struct kcache *kc;
	redisContext *r;
	uint64_t *lat, reads = 0, hits = 0;
	unsigned int i;
	int opt, round, port;

	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case 'r': addr = optarg; break;
		case 'c': name = optarg; break;
		case 'k': c.keys = (unsigned int)atoi(optarg); break;
		case 'o': c.ops = (unsigned int)atoi(optarg); break;
		case 'p': c.reads_pct = (unsigned int)atoi(optarg); break;
		case 'z': c.zipf = atof(optarg); break;
		case 'n': c.rounds = atoi(optarg); break;
		case 'v': c.value_size = (unsigned int)atoi(optarg); break;
		default: usage();
		}
	}
	if (!addr || !name || !c.keys || !c.ops || c.reads_pct > 100 ||
	    c.rounds < 1 || c.rounds > 16 || c.value_size > 4096 ||
	    sscanf(addr, "%255[^:]:%d", host, &port) != 2)
		usage();
	r = redisConnect(host, port);
	cdf = zipf_cdf(c.keys, c.zipf);
	lat = malloc(c.ops * sizeof(*lat));
	val = malloc(c.value_size);
	if (!r || r->err || !cdf || !lat || !val) {
		fprintf(stderr, "tier-bench: cannot connect to %s or no memory\n",
			addr);
		return 1;
	}
	memset(val, 'v', c.value_size);
	for (i = 0; i < c.keys; i++)
		redisAppendCommand(r, "SET bench:%u %b", i, val,
				   (size_t)c.value_size);
	for (i = 0; i < c.keys; i++) {
		redisReply *rep;

		if (redisGetReply(r, (void **)&rep) != REDIS_OK)
			return 1;
		freeReplyObject(rep);
	}
	if (kcache_open(name, NULL, &kc)) {
		fprintf(stderr, "tier-bench: no cache %s (is its agent running?)\n",
			name);
		return 1;
	}
	KCACHE_TIER_OPTS(o, .backend = KCACHE_TIER_REDIS, .servers = addr);
	if (kcache_tier_open(kc, &o, &t)) {
		fprintf(stderr, "tier-bench: kcache_tier_open failed\n");
		return 1;
	}
	for (i = 0; i < 100; i++) {
		struct kcache_tier_stats st;

		kcache_tier_get_stats(t, &st);
		if (st.usable)
			break;
		usleep(100000);
	}
	printf("tier-bench: %u keys, Zipf %.2f, %u%% reads, %u-byte values, "
	       "%u operations per run, %d rounds\n", c.keys, c.zipf,
	       c.reads_pct, c.value_size, c.ops, c.rounds);
	for (round = 0; round < c.rounds; round++) {
		for (int side = 0; side < 2; side++) {
			bool through = (side + round) % 2 == 0;
			struct side *sd = through ? &tier : &straight;
			double ops_s;

			if (run(&c, cdf, r, through ? t : NULL, lat, &ops_s,
				&reads, &hits))
				return 1;
			qsort(lat, c.ops, sizeof(*lat), cmp_u64);
			sd->ops_s[round] = ops_s;
			sd->p50[round] = (double)lat[c.ops / 2] / 1000.0;
			sd->p99[round] = (double)lat[(size_t)c.ops * 99 / 100] /
					 1000.0;
			if (through)
				hit_rates[round] = reads ? 100.0 * (double)hits /
						       (double)reads : 0;
		}
		tput[round] = tier.ops_s[round] / straight.ops_s[round];
	}
	{
		double tr = median(tput, c.rounds);
		double t50 = median(tier.p50, c.rounds);
		double s50 = median(straight.p50, c.rounds);
		double t99 = median(tier.p99, c.rounds);
		double s99 = median(straight.p99, c.rounds);
		double hr = median(hit_rates, c.rounds);
		double lo_r = tput[0], hi_r = tput[0];

		for (round = 1; round < c.rounds; round++) {
			lo_r = tput[round] < lo_r ? tput[round] : lo_r;
			hi_r = tput[round] > hi_r ? tput[round] : hi_r;
		}
		printf("throughput tier/straight  %.2fx (rounds %.2f..%.2f)\n",
		       tr, lo_r, hi_r);
		printf("p50 latency               tier %.1f us, straight %.1f us "
		       "(ratio %.2f)\n", t50, s50, t50 / s50);
		printf("p99 latency               tier %.1f us, straight %.1f us "
		       "(ratio %.2f)\n", t99, s99, t99 / s99);
		printf("L1 hit rate (tier reads)  %.1f%%\n", hr);
		printf("(latencies are emulated when run in QEMU: compare the "
		       "ratios)\n");
	}
	kcache_tier_close(t);
	kcache_close(kc);
	redisFree(r);
	return 0;
}
