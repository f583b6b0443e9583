// SPDX-License-Identifier: GPL-2.0
/*
 * mapped-hitrate: what reading through a mapping (issue 17) does to the
 * hit rate, against the exact LRU order of the ioctls.
 *
 * One deterministic trace: 1,000,000 gets of 100,000 keys drawn from a
 * Zipf distribution (s = 0.99, rank 1 the most frequent), from a PRNG of
 * our own (splitmix64) with a fixed seed, by inverse-CDF sampling over a
 * precomputed table (a binary search of a uniform double in the table of
 * cumulative probabilities). Every get that misses is followed by a set of
 * that key (64 B value), as a cache in front of a slower store is used.
 * The trace is played, in one process:
 *
 *   lru     against an in-process exact-LRU simulation of max_size
 *           10,000 entries (a doubly linked list over the key ranks):
 *           the figure the plain cache must give;
 *   plain   against a cache of max_size 10,000 opened without flags:
 *           kcache_get() and kcache_set() through ioctls, exact LRU;
 *   mapped  against a cache of max_size 10,000 opened with
 *           KCACHE_OPEN_MAPPED, whose handle reads through a mapping
 *           (kcache_mapped() must be 1): only if libkcache has the flag;
 *           otherwise the run says it is unavailable.
 *
 * The plain cache evicts the least recently used entry exactly when an
 * insert finds it full (max_size), and nothing else removes entries here:
 * no TTL, a byte limit far above 10,000 small entries, and nobody else
 * using the cache. So its hits must equal the simulation's, get for get;
 * if they do not, the program says where the difference could come from
 * (the cache's evictions and shrinker reclaims, read from its metrics)
 * and exits 1: that is a bug, not a measurement. The cache's own counters
 * are checked the same way: hits and misses equal to the program's
 * counts, evictions equal to the misses less max_size, nothing reclaimed.
 * For the mapped cache, the hit rate and its difference from the plain
 * cache's in percentage points are printed, with issue 17's target
 * (within 1 pp), informational: it never makes the program fail.
 *
 * Nothing here is timed. Run as root with the module loaded, in the VM:
 *   tools/vm-run --kernel stock --mem 2048 -- build/bench/mapped-hitrate
 * Exit status: 0 done, 1 the plain cache disagrees with the simulation or
 * with its own counters, or an operation failed, 2 could not run.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kcache.h"

#define EXIT_WRONG	1
#define EXIT_SETUP	2

#define NR_GETS		1000000U
#define NR_KEYS		100000U
#define CAPACITY	10000U
#define ZIPF_S		0.99
#define SEED		0x6b63616368653137ULL	/* "kcache17" */
#define KEY_LEN		16U
#define VALUE_LEN	64U
#define TARGET_PP	1.0

static const char *prog = "mapped-hitrate";

struct result {
	const char *what;
	bool run;		/* measured */
	const char *why;	/* why not, if not */
	uint64_t hits, misses;
	/* the cache's own counters, after the trace (not for the simulation) */
	bool have_metrics;
	uint64_t m_hits, m_misses, m_evictions, m_reclaimed, m_entries;
};

/* splitmix64 (Steele, Lea and Flood): a fixed sequence from a fixed seed. */
static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The trace: NR_GETS key ranks (0 the most frequent). */
static int trace_make(uint32_t **out)
{
	double *cdf = malloc(NR_KEYS * sizeof(*cdf)), sum = 0, u;
	uint32_t *trace = malloc(NR_GETS * sizeof(*trace)), lo, hi, mid, i;
	uint64_t state = SEED;

	if (!cdf || !trace) {
		free(cdf);
		free(trace);
		return -ENOMEM;
	}
	for (i = 0; i < NR_KEYS; i++) {
		sum += 1.0 / pow((double)(i + 1), ZIPF_S);
		cdf[i] = sum;
	}
	for (i = 0; i < NR_KEYS; i++)
		cdf[i] /= sum;
	cdf[NR_KEYS - 1] = 1.0;
	for (i = 0; i < NR_GETS; i++) {
		/* 53 random bits: uniform in [0, 1) */
		u = (double)(splitmix64(&state) >> 11) * 0x1.0p-53;
		/* the first rank whose cumulative probability exceeds u */
		lo = 0;
		hi = NR_KEYS - 1;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			if (cdf[mid] > u)
				hi = mid;
			else
				lo = mid + 1;
		}
		trace[i] = lo;
	}
	free(cdf);
	*out = trace;
	return 0;
}

/* 16 bytes: 'z', then 15 hexadecimal digits of the rank. */
static void key_make(char out[KEY_LEN], uint32_t rank)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t n = rank;
	int i;

	out[0] = 'z';
	for (i = KEY_LEN - 1; i > 0; i--, n >>= 4)
		out[i] = hex[n & 15];
}

/*
 * Exact LRU of CAPACITY entries over the ranks: a doubly linked list in
 * arrays, head the most recent; a miss inserts at the head and, when
 * full, drops the tail.
 */
static int simulate(const uint32_t *trace, struct result *r)
{
	uint32_t *prev = malloc(NR_KEYS * sizeof(*prev));
	uint32_t *next = malloc(NR_KEYS * sizeof(*next));
	bool *in = calloc(NR_KEYS, sizeof(*in));
	const uint32_t none = UINT32_MAX;
	uint32_t head = none, tail = none, size = 0, i, k, t;

	if (!prev || !next || !in) {
		free(prev);
		free(next);
		free(in);
		return -ENOMEM;
	}
	for (i = 0; i < NR_GETS; i++) {
		k = trace[i];
		if (in[k]) {
			r->hits++;
			if (k == head)
				continue;
			/* unlink, then push at the head */
			next[prev[k]] = next[k];
			if (next[k] != none)
				prev[next[k]] = prev[k];
			else
				tail = prev[k];
		} else {
			r->misses++;
			if (size == CAPACITY) {
				t = tail;
				tail = prev[t];
				next[tail] = none;
				in[t] = false;
			} else {
				size++;
			}
			in[k] = true;
		}
		prev[k] = none;
		next[k] = head;
		if (head != none)
			prev[head] = k;
		head = k;
		if (tail == none)
			tail = k;
	}
	r->run = true;
	free(prev);
	free(next);
	free(in);
	return 0;
}

/* Plays the trace against @c; a miss is followed by a set. */
static int play(struct kcache *c, const uint32_t *trace, struct result *r)
{
	static const char value[VALUE_LEN] = "mapped-hitrate";
	char key[KEY_LEN], buf[VALUE_LEN];
	struct kcache_metrics m;
	ssize_t ret;
	uint32_t i;
	int err;

	for (i = 0; i < NR_GETS; i++) {
		key_make(key, trace[i]);
		ret = kcache_get(c, key, KEY_LEN, buf, sizeof(buf));
		if (ret == (ssize_t)VALUE_LEN) {
			r->hits++;
			continue;
		}
		if (ret != -ENOENT) {
			fprintf(stderr, "%s: %s: get %u of the trace returned "
				"%zd (%s)\n", prog, r->what, i, ret,
				ret < 0 ? kcache_strerror((int)ret) :
				"a value of the wrong size");
			return ret < 0 ? (int)ret : -EBADMSG;
		}
		r->misses++;
		err = kcache_set(c, key, KEY_LEN, value, VALUE_LEN,
				 KCACHE_TTL_NONE);
		if (err) {
			fprintf(stderr, "%s: %s: set after miss %u: %s\n", prog,
				r->what, i, kcache_strerror(err));
			return err;
		}
	}
	r->run = true;
	err = kcache_get_metrics(c, &m);
	if (err) {
		fprintf(stderr, "%s: %s: metrics: %s\n", prog, r->what,
			kcache_strerror(err));
		return 0;	/* the hit rate stands; the check is missing */
	}
	r->have_metrics = true;
	r->m_hits = m.hits;
	r->m_misses = m.misses;
	r->m_evictions = m.evictions;
	r->m_reclaimed = m.reclaimed;
	r->m_entries = m.entries;
	return 0;
}

/* A fresh cache of CAPACITY entries with @flags, the trace, then gone. */
static int run_cache(const uint32_t *trace, uint32_t flags, bool mapped,
		     struct result *r)
{
	char name[KCACHE_NAME_MAX + 1];
	struct kcache *c;
	int err;
	KCACHE_OPTS(opts, .max_size = CAPACITY,
		    .max_memory_bytes = 64ULL << 20,
		    .flags = KCACHE_OPEN_EXCL | flags);

	snprintf(name, sizeof(name), "mapped-hitrate-%d-%s", (int)getpid(),
		 r->what);
	err = kcache_open(name, &opts, &c);
	if (err) {
		fprintf(stderr, "%s: create cache %s: %s\n", prog, name,
			kcache_strerror(err));
		r->why = "the cache could not be created";
		return err;
	}
#ifdef KCACHE_OPEN_MAPPED
	if (mapped && kcache_mapped(c) != 1) {
		fprintf(stderr, "%s: %s: kcache_mapped() is not 1: the handle "
			"does not read through a mapping\n", prog, name);
		r->why = "the handle does not read through a mapping";
		err = -ENOTSUP;
	}
#else
	(void)mapped;
#endif
	if (!err)
		err = play(c, trace, r);
	if (err && !r->why)
		r->why = "an operation failed";
	kcache_close(c);
	kcache_destroy(name);
	return err;
}

static double rate(const struct result *r)
{
	uint64_t n = r->hits + r->misses;

	return n ? 100.0 * (double)r->hits / (double)n : 0;
}

static void print_result(const struct result *r)
{
	if (!r->run) {
		printf("  %-8s %s\n", r->what, r->why ? r->why : "not run");
		return;
	}
	printf("  %-8s hit rate %7.3f %%  (%" PRIu64 " hits, %" PRIu64
	       " misses)\n", r->what, rate(r), r->hits, r->misses);
	if (r->have_metrics)
		printf("  %-8s cache counters: hits %" PRIu64 ", misses %" PRIu64
		       ", evictions %" PRIu64 ", reclaimed %" PRIu64
		       ", entries %" PRIu64 "\n", "", r->m_hits, r->m_misses,
		       r->m_evictions, r->m_reclaimed, r->m_entries);
}

static void json_result(FILE *out, const char *name, const struct result *r,
			bool last)
{
	fprintf(out, "  \"%s\": ", name);
	if (!r->run) {
		fprintf(out, "{\"measured\": false, \"why\": \"%s\"}",
			r->why ? r->why : "not run");
	} else {
		fprintf(out, "{\"measured\": true, \"hits\": %" PRIu64
			", \"misses\": %" PRIu64 ", \"hit_rate_pct\": %.4f",
			r->hits, r->misses, rate(r));
		if (r->have_metrics)
			fprintf(out, ", \"cache\": {\"hits\": %" PRIu64
				", \"misses\": %" PRIu64 ", \"evictions\": %"
				PRIu64 ", \"reclaimed\": %" PRIu64
				", \"entries\": %" PRIu64 "}", r->m_hits,
				r->m_misses, r->m_evictions, r->m_reclaimed,
				r->m_entries);
		fprintf(out, "}");
	}
	fprintf(out, "%s\n", last ? "" : ",");
}

static void usage(FILE *out)
{
	fprintf(out,
"Usage: %s [--json FILE]\n"
"\n"
"Play a Zipf(%.2f) trace of %u gets over %u keys (a set after every miss,\n"
"%u B values) against an exact-LRU simulation, a plain cache and a cache\n"
"opened with KCACHE_OPEN_MAPPED, all of max_size %u, and print their hit\n"
"rates. Needs root and the lrucache module.\n"
"\n"
"  --json FILE   also write the results as JSON (\"-\": on stdout, last,\n"
"                from a line { to a line })\n"
"\n"
"Exit status: 0 done, 1 the plain cache disagrees with the exact-LRU\n"
"simulation or its own counters, or an operation failed, 2 could not run.\n",
		prog, ZIPF_S, NR_GETS, NR_KEYS, VALUE_LEN, CAPACITY);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct result lru = { .what = "lru" }, plain = { .what = "plain" };
	struct result mapped = { .what = "mapped" };
	const char *json = NULL;
	bool wrong = false, have_diff;
	uint32_t *trace;
	struct utsname u;
	double diff = 0;
	FILE *out;
	int opt, err;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = optarg;
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
	if (uname(&u))
		memset(&u, 0, sizeof(u));
	err = trace_make(&trace);
	if (!err)
		err = simulate(trace, &lru);
	if (err) {
		fprintf(stderr, "%s: %s\n", prog, strerror(-err));
		return EXIT_SETUP;
	}

	printf("%s: %s %s\n", prog, u.sysname, u.release);
	printf("%s: Zipf(%.2f) over %u keys, %u gets, seed %#" PRIx64
	       ", a set after each miss; max_size %u\n", prog, ZIPF_S, NR_KEYS,
	       NR_GETS, (uint64_t)SEED, CAPACITY);
	fflush(stdout);

	if (run_cache(trace, 0, false, &plain) == -ENODEV) {
		fprintf(stderr, "%s: the lrucache module is not loaded\n", prog);
		free(trace);
		return EXIT_SETUP;
	}
#ifdef KCACHE_OPEN_MAPPED
	run_cache(trace, KCACHE_OPEN_MAPPED, true, &mapped);
#else
	mapped.why = "unavailable: this libkcache has no KCACHE_OPEN_MAPPED";
#endif
	free(trace);

	printf("\nhit rates of the same trace\n");
	print_result(&lru);
	print_result(&plain);
	print_result(&mapped);

	/* The plain cache is exact LRU: the same hits, get for get. */
	if (!plain.run) {
		wrong = true;
	} else if (plain.hits != lru.hits) {
		printf("%s: WRONG: the plain cache hit %" PRIu64 " times, the "
		       "exact-LRU simulation %" PRIu64 ": the cache evicted "
		       "%" PRIu64 " entries for %" PRIu64 " inserts into %u "
		       "places (exact LRU: %" PRIu64 ") and its shrinker "
		       "reclaimed %" PRIu64 "\n", prog, plain.hits, lru.hits,
		       plain.m_evictions, plain.misses, CAPACITY,
		       lru.misses > CAPACITY ? lru.misses - CAPACITY : 0,
		       plain.m_reclaimed);
		wrong = true;
	} else {
		printf("%s: the plain cache agrees with the exact-LRU "
		       "simulation (%" PRIu64 " hits each)\n", prog, plain.hits);
	}
	if (plain.have_metrics &&
	    (plain.m_hits != plain.hits || plain.m_misses != plain.misses)) {
		printf("%s: WRONG: the plain cache counted %" PRIu64 " hits and "
		       "%" PRIu64 " misses, the program %" PRIu64 " and %"
		       PRIu64 "\n", prog, plain.m_hits, plain.m_misses,
		       plain.hits, plain.misses);
		wrong = true;
	}
	if (plain.have_metrics && plain.misses > CAPACITY &&
	    (plain.m_evictions != plain.misses - CAPACITY ||
	     plain.m_reclaimed || plain.m_entries != CAPACITY)) {
		printf("%s: WRONG: %" PRIu64 " inserts into a cache of %u "
		       "should evict %" PRIu64 " entries and leave %u; it "
		       "evicted %" PRIu64 ", reclaimed %" PRIu64 " and holds %"
		       PRIu64 "\n", prog, plain.misses, CAPACITY,
		       plain.misses - CAPACITY, CAPACITY, plain.m_evictions,
		       plain.m_reclaimed, plain.m_entries);
		wrong = true;
	}
	if (mapped.have_metrics &&
	    (mapped.m_hits != mapped.hits || mapped.m_misses != mapped.misses))
		printf("%s: note: the mapped cache counted %" PRIu64 " hits and "
		       "%" PRIu64 " misses, the program %" PRIu64 " and %"
		       PRIu64 "\n", prog, mapped.m_hits, mapped.m_misses,
		       mapped.hits, mapped.misses);

	have_diff = plain.run && mapped.run;
	if (have_diff) {
		diff = rate(&mapped) - rate(&plain);
		printf("%s: mapped - plain: %+.3f percentage points; issue 17's "
		       "target, within %.0f pp: %s (informational)\n", prog,
		       diff, TARGET_PP, fabs(diff) <= TARGET_PP ? "met" :
		       "NOT MET");
	} else {
		printf("%s: mapped run %s\n", prog, mapped.why ? mapped.why :
		       "not measured");
	}
	fflush(stdout);

	if (json) {
		bool to_stdout = !strcmp(json, "-");

		out = to_stdout ? stdout : fopen(json, "w");
		if (!out) {
			fprintf(stderr, "%s: %s: %s\n", prog, json,
				strerror(errno));
			return EXIT_SETUP;
		}
		fprintf(out, "{\n  \"tool\": \"mapped-hitrate\",\n"
			"  \"format\": 1,\n  \"kernel_release\": \"%s\",\n",
			u.release);
		fprintf(out, "  \"trace\": {\"distribution\": \"zipf\", "
			"\"s\": %.2f, \"keys\": %u, \"gets\": %u, \"seed\": %"
			PRIu64 ", \"set_after_miss\": true, \"value_len\": %u},\n",
			ZIPF_S, NR_KEYS, NR_GETS, (uint64_t)SEED, VALUE_LEN);
		fprintf(out, "  \"max_size\": %u,\n", CAPACITY);
		json_result(out, "lru_simulation", &lru, false);
		json_result(out, "plain", &plain, false);
		json_result(out, "mapped", &mapped, false);
		fprintf(out, "  \"plain_agrees_with_simulation\": %s,\n",
			plain.run && plain.hits == lru.hits ? "true" : "false");
		if (have_diff)
			fprintf(out, "  \"mapped_minus_plain_pp\": %.4f,\n"
				"  \"target\": {\"within_pp\": %.0f, \"met\": "
				"%s, \"issue\": 17}\n", diff, TARGET_PP,
				fabs(diff) <= TARGET_PP ? "true" : "false");
		else
			fprintf(out, "  \"mapped_minus_plain_pp\": null,\n"
				"  \"target\": {\"within_pp\": %.0f, \"met\": "
				"null, \"issue\": 17}\n", TARGET_PP);
		fprintf(out, "}\n");
		if (to_stdout ? fflush(out) : fclose(out)) {
			fprintf(stderr, "%s: %s: %s\n", prog, json,
				strerror(errno));
			return EXIT_SETUP;
		}
	}
	return wrong ? EXIT_WRONG : 0;
}
