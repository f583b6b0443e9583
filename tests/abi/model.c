// SPDX-License-Identifier: GPL-2.0
/*
 * The cache against a reference model of exact LRU + TTL, step by step.
 *
 * One thread runs a seeded sequence of SET (plain, NX, XX, oversized),
 * GET (full buffer and size probe), EXISTS, DELETE, the operations of
 * issue 16 (INCR, TOUCH, GETEX, TTL, GETDEL, SET with LRUCACHE_SET_CAS,
 * DELETE_PREFIX), BATCH (of any of these), CLEAR and REAP
 * on a small cache (max_entries and max_bytes both bite) with a mix of
 * TTLs: none, the cache default (one hour), long ones, and short ones
 * (5 to 40 ms) that expire while the run goes on. After each step the
 * model checks every returned value, hit and miss, and the cache's stats
 * (every counter, entries, bytes, expiring); every few steps it compares
 * a DUMP (the live entries in LRU order, values and remaining TTLs), and
 * after an evicting SET it checks with EXISTS (which moves nothing) that
 * the keys it evicted are gone.
 *
 * Semantics followed (kmod/lru.c, ioctl.rst): an entry set with TTL t
 * at time T is expired once CLOCK_BOOTTIME >= T + t. GET, SET and DELETE
 * free an expired entry they meet (counted in expirations; GET then
 * misses, DELETE returns -ENOENT, SET NX stores, SET XX returns -ENOENT);
 * EXISTS and DUMP ignore it and leave it in place; it still counts in
 * entries and bytes and still takes its LRU place. An insert evicts from
 * the LRU end, whatever the entries' TTLs, until entries <= max_entries
 * and bytes <= max_bytes, where an entry is charged what its allocation
 * of key + value + entry_overhead takes (entry_charge() in abi.h); an
 * evicted entry that had expired is counted as an
 * expiration rather than an eviction. GET hits (probes included) make
 * the entry the most recent; EXISTS, misses and failed SETs do not. The
 * cache's reaper is kept out of the way (cleanup interval of one day):
 * expired entries go only when an operation or a REAP ioctl meets them.
 *
 * The operations of issue 16 (kmod/ops.c, ioctl.rst): INCR adds to a
 * counter (a value that is exactly printf("%lld") of an int64), creating
 * an absent or expired one from its initial value with its TTL; an
 * existing counter keeps its expiry; -EINVAL for a value that is not a
 * counter and -EOVERFLOW for a sum out of range, both changing nothing
 * (the model decides both with strtoll and the compiler's overflow
 * check, not the kernel's parser); a success is a set. TOUCH gives a live
 * entry a new expiry and makes it the most recent, counting nothing;
 * GETEX is a GET (hit or miss counted, probes included) that does the
 * same on a hit; TTL returns the time left (rounded up, or
 * LRUCACHE_TTL_NONE) and, like EXISTS, changes nothing; GETDEL is a GET
 * that deletes (a hit and a delete) when the value fits, and otherwise
 * only makes it the most recent. Versions: every store (SET, CAS, INCR)
 * returns a version larger than every one before; a hit returns the
 * version of the entry's last store (TOUCH and GETEX keep it), a miss 0.
 * A CAS stores only with the entry's version (the model's, read back by
 * GET): with the one it replaced, or another key's, it fails with
 * -ESTALE, on an absent key with -ENOENT. DELETE_PREFIX removes every
 * entry whose key starts with the prefix and returns how many were live
 * (deletes; the expired ones count as expirations).
 *
 * Time: the kernel's clock is real, so the model knows each expiry time
 * only within [before, after] of the SET (INCR, TOUCH, GETEX) plus the
 * TTL, and a step's own time within [before, after] of it (TTL's answer
 * and DUMP's remaining times are checked against both windows). Before
 * each step the test waits out
 * every expiry window that could overlap the step (a guard of a few
 * milliseconds), so outcomes are certain. If a step took longer than the
 * guard and met an entry whose state was ambiguous, the outcome decides
 * (GET, EXISTS, DELETE, NX, XX, CAS, INCR, TOUCH, GETEX, GETDEL, TTL,
 * DELETE_PREFIX's count), or the stats decide (which of evictions
 * and expirations a removal counted in); a REAP that cannot be decided
 * either way, or an INCR that would have answered the same whether the
 * counter had expired or not, clears the cache and starts the model over.
 * Such steps are counted and must stay under 5% of the run.
 *
 * LRUCACHE_MODEL_STEPS (default: 30000, 20000 on the debug kernel) and
 * LRUCACHE_MODEL_SEED override; the figures are printed at the end.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>

#include "kselftest_harness.h"
#include "abi.h"

#define MD_KEYS		48
#define MD_MAX_ENTRIES	24
#define MD_VAL_MAX	320	/* some over 256: copied outside the lock */
#define MD_DEFAULT_TTL	3600000ULL	/* the cache's default_ttl_ms */
#define MD_GUARD_NS	4000000ULL	/* waited out around each step */
#define MD_DUMP_EVERY	16
#define MD_BATCH_MAX	8
#define MD_INTERVAL_MS	86400000ULL	/* the reaper stays out of the way */

enum st { LIVE, EXPIRED, AMBIG };

enum {
	/* Operations on keys, also in batches. */
	O_GET, O_SET, O_EXISTS, O_DELETE, O_INCR, O_TOUCH, O_GETEX, O_TTL,
	O_GETDEL, O_CAS, O_DELPFX, O_KEYOPS,
	/* Steps of their own. */
	O_BATCH = O_KEYOPS, O_CLEAR, O_REAP, O_SLEEP,
	O_N
};

struct md_entry {
	bool present;
	int prev, next;			/* LRU list: head = most recent */
	uint32_t vlen;
	uint64_t lo, hi;		/* expiry window in ns; 0: none */
	uint64_t ver;			/* version of its last store */
	uint64_t prev_ver;		/* the version that store replaced */
	unsigned char val[MD_VAL_MAX];
};

struct md_counts {
	uint64_t hits, misses, sets, deletes, evictions, expirations;
	uint64_t reaped, reaper_runs;
};

struct md {
	int fd;
	char name[LRUCACHE_NAME_MAX];
	uint64_t rng;
	uint64_t overhead, max_bytes;
	char keys[MD_KEYS][16];
	uint32_t klen[MD_KEYS];
	struct md_entry e[MD_KEYS];
	int head, tail, count;
	uint64_t bytes;
	struct md_counts c;
	/* Removals of ambiguous entries whose counter the stats decide. */
	unsigned int amb_set_exp, amb_evict;
	/* Step window. */
	uint64_t before, after;
	/* Figures. */
	uint64_t steps, ops, ambiguous, resyncs, waits, wait_ns, dumps;
	uint64_t evict_checks, opcount[O_N];
	/* An operation left the model unsure: resync after the step. */
	bool desync;
	/* Versions: the largest given so far. */
	uint64_t max_ver;
	/* Outcomes of the operations of issue 16. */
	uint64_t cas_won, cas_stale, cas_gone;
	uint64_t incr_new, incr_add, incr_inval, incr_ovf;
	uint64_t touched, ttl_told, getdel_taken, pfx_runs, pfx_deleted;
	char why[512];
};

static const char *const op_names[O_N] = {
	"get", "set", "exists", "delete", "incr", "touch", "getex", "ttl",
	"getdel", "cas", "delete_prefix", "batch", "clear", "reap", "sleep",
};

static uint64_t rnd(struct md *m)
{
	return splitmix64(&m->rng);
}

static uint32_t below(struct md *m, uint32_t n)
{
	return (uint32_t)(rnd(m) % n);
}

static bool fail(struct md *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static bool fail(struct md *m, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	n = (size_t)snprintf(m->why, sizeof(m->why), "step %llu: ",
			     (unsigned long long)m->steps);
	va_start(ap, fmt);
	vsnprintf(m->why + n, sizeof(m->why) - n, fmt, ap);
	va_end(ap);
	return false;
}

static uint64_t charge(struct md *m, int k)
{
	return entry_charge(m->overhead, m->klen[k], m->e[k].vlen);
}

/* The state of entry @k's expiry over the current step's window. */
static enum st state(struct md *m, int k)
{
	struct md_entry *e = &m->e[k];

	if (!e->lo || m->after < e->lo)
		return LIVE;
	if (m->before >= e->hi)
		return EXPIRED;
	return AMBIG;
}

static void lru_unlink(struct md *m, int k)
{
	struct md_entry *e = &m->e[k];

	if (e->prev >= 0)
		m->e[e->prev].next = e->next;
	else
		m->head = e->next;
	if (e->next >= 0)
		m->e[e->next].prev = e->prev;
	else
		m->tail = e->prev;
	e->prev = e->next = -1;
}

static void lru_push(struct md *m, int k)
{
	struct md_entry *e = &m->e[k];

	e->prev = -1;
	e->next = m->head;
	if (m->head >= 0)
		m->e[m->head].prev = k;
	else
		m->tail = k;
	m->head = k;
}

static void md_remove(struct md *m, int k)
{
	lru_unlink(m, k);
	m->e[k].present = false;
	m->count--;
	m->bytes -= charge(m, k);
}

static void md_reset(struct md *m)
{
	int k;

	for (k = 0; k < MD_KEYS; k++) {
		m->e[k].present = false;
		m->e[k].prev = m->e[k].next = -1;
	}
	m->head = m->tail = -1;
	m->count = 0;
	m->bytes = 0;
}

/* The value stored by a set: derived from the step so it always changes. */
static void make_value(struct md *m, unsigned char *v, uint32_t len)
{
	uint64_t r = rnd(m);
	uint32_t i;

	for (i = 0; i < len; i++) {
		if (i % 8 == 0)
			r = r * 6364136223846793005ULL + 1442695040888963407ULL;
		v[i] = (unsigned char)(r >> (8 * (i % 8)));
	}
}

/* One operation, as generated; the kernel's result is filled in. */
struct md_op {
	int op;			/* O_GET .. O_DELPFX */
	int k;
	uint32_t flags, vlen, buflen;
	uint64_t ttl_ms;
	bool big;		/* a value over max_bytes: -E2BIG */
	int64_t delta;		/* INCR */
	int64_t initial;	/* INCR: where an absent counter starts */
	uint64_t token;		/* CAS: the version the entry must have */
	/* Written back: */
	int64_t number;		/* INCR: the new value; TTL: the time left */
	uint64_t cas;		/* the version stored (SET, INCR) or read */
	char pfx[16];		/* DELETE_PREFIX */
	uint32_t pfx_len;
	unsigned char val[MD_VAL_MAX + 1];
	unsigned char buf[MD_VAL_MAX];
	long result;
	uint32_t out_len;
};

/* The TTL of a SET, INCR, TOUCH or GETEX: none, default, long or short. */
static uint64_t gen_ttl(struct md *m)
{
	uint32_t r = below(m, 100);

	if (r < 35)
		return LRUCACHE_TTL_NONE;
	if (r < 50)
		return LRUCACHE_TTL_DEFAULT;
	if (r < 70)
		return 600000 + below(m, 3000000);
	return 5 + below(m, 36);
}

/* An int64 near zero or near either end of the range. */
static int64_t gen_number(struct md *m)
{
	uint32_t r = below(m, 20);

	if (r < 16)
		return (int64_t)below(m, 21) - 10;
	if (r < 18)
		return INT64_MAX - (int64_t)below(m, 4);
	return INT64_MIN + (int64_t)below(m, 4);
}

/*
 * A value for a SET now and then: a counter's text, or text that comes
 * close to one without being one (INCR must refuse it).
 */
static uint32_t gen_counter_text(struct md *m, unsigned char *v)
{
	static const char *const near[] = {
		"", "-", "+5", "007", "-0", " 5", "5 ", "12a", "0x10",
		"9223372036854775808", "-9223372036854775809",
		"00000000000000000001",
	};
	char tmp[32];
	int n;

	if (below(m, 3)) {
		n = snprintf(tmp, sizeof(tmp), "%lld",
			     (long long)gen_number(m));
	} else {
		n = snprintf(tmp, sizeof(tmp), "%s",
			     near[below(m, sizeof(near) / sizeof(near[0]))]);
	}
	memcpy(v, tmp, (size_t)n);
	return (uint32_t)n;
}

/*
 * A CAS's version: mostly the entry's own (a GET reads it: the model
 * checks that), else the one its last store replaced or another key's,
 * which can never match.
 */
static uint64_t gen_cas(struct md *m, int k)
{
	uint32_t r = below(m, 100);
	int j;

	if (r < 65 && m->e[k].ver)
		return m->e[k].ver;
	if (r < 90 && m->e[k].prev_ver)
		return m->e[k].prev_ver;
	for (j = (k + 1) % MD_KEYS; j != k; j = (j + 1) % MD_KEYS)
		if (m->e[j].ver)
			return m->e[j].ver;
	return m->e[k].ver ? m->e[k].ver : 1;
}

/* A prefix: of a key (1 byte of it rarely: that is all of them), or none. */
static void gen_prefix(struct md *m, struct md_op *o)
{
	uint32_t r = below(m, 100), len;

	if (r < 10) {
		memcpy(o->pfx, "z-", 2);
		o->pfx_len = 1 + below(m, 2);
		return;
	}
	len = r < 14 ? 1 : 2 + below(m, m->klen[o->k] - 1);
	memcpy(o->pfx, m->keys[o->k], len);
	o->pfx_len = len;
}

static void gen_op(struct md *m, struct md_op *o, int kind)
{
	uint32_t r;

	memset(o, 0, sizeof(*o));
	o->op = kind;
	/* A hot third of the keys takes most operations: hits happen. */
	o->k = (int)(below(m, 10) < 7 ? below(m, MD_KEYS / 3) :
		     below(m, MD_KEYS));
	switch (kind) {
	case O_GET:
	case O_GETEX:
	case O_GETDEL:
		/* A size probe now and then: a hit that copies nothing. */
		o->buflen = below(m, 10) ? MD_VAL_MAX : below(m, 8);
		memset(o->buf, 0xa5, sizeof(o->buf));
		if (kind == O_GETEX)
			o->ttl_ms = gen_ttl(m);
		break;
	case O_SET:
	case O_CAS:
		if (kind == O_CAS) {
			o->flags = LRUCACHE_SET_CAS;
			o->token = gen_cas(m, o->k);
		} else {
			r = below(m, 20);
			o->flags = r == 0 ? LRUCACHE_SET_NX :
				   r == 1 ? LRUCACHE_SET_XX : 0;
		}
		o->ttl_ms = gen_ttl(m);
		if (below(m, 8) == 0) {
			o->vlen = gen_counter_text(m, o->val);
		} else {
			o->vlen = below(m, MD_VAL_MAX + 1);
			make_value(m, o->val, o->vlen);
		}
		o->big = kind == O_SET && below(m, 200) == 0;
		break;
	case O_INCR:
		r = below(m, 10);
		o->delta = r < 8 ? (int64_t)below(m, 11) - 5 :
			   r == 8 ? INT64_MAX - (int64_t)below(m, 3) :
			   INT64_MIN + (int64_t)below(m, 3);
		o->initial = gen_number(m);
		o->ttl_ms = gen_ttl(m);
		break;
	case O_TOUCH:
		o->ttl_ms = gen_ttl(m);
		break;
	case O_DELPFX:
		gen_prefix(m, o);
		break;
	default:		/* EXISTS, DELETE, TTL */
		break;
	}
}

static uint64_t ttl_ns_of(uint64_t ttl_ms)
{
	if (ttl_ms == LRUCACHE_TTL_NONE)
		return 0;
	if (ttl_ms == LRUCACHE_TTL_DEFAULT)
		return MD_DEFAULT_TTL * 1000000ULL;
	return ttl_ms * 1000000ULL;
}

/* Entry @k's expiry as given at the current step with @ttl_ms. */
static void set_window(struct md *m, int k, uint64_t ttl_ms)
{
	uint64_t ns = ttl_ns_of(ttl_ms);

	if (ns) {
		m->e[k].lo = m->before + ns;
		m->e[k].hi = m->after + ns;
	} else {
		m->e[k].lo = m->e[k].hi = 0;
	}
}

/*
 * The time entry @k has left in ms, rounded up, as the kernel reports it
 * in the current step's window: expires - now for expires in [lo, hi]
 * and now in [before, after].
 */
static void left_ms(struct md *m, int k, uint64_t *lo_ms, uint64_t *hi_ms)
{
	struct md_entry *e = &m->e[k];

	*lo_ms = e->lo > m->after ? (e->lo - m->after + 999999) / 1000000 : 1;
	*hi_ms = e->hi > m->before ? (e->hi - m->before + 999999) / 1000000 : 1;
	if (*lo_ms < 1)
		*lo_ms = 1;
}

/* A version a store returned: new, and larger than every one before. */
static bool new_version(struct md *m, int k, uint64_t v, const char *what)
{
	if (v <= m->max_ver)
		return fail(m, "%s key %d: version %llu, not above %llu", what,
			    k, (unsigned long long)v,
			    (unsigned long long)m->max_ver);
	m->max_ver = v;
	m->e[k].prev_ver = m->e[k].ver;
	m->e[k].ver = v;
	return true;
}

/*
 * Evicts from the LRU end until the limits hold, sparing @keep; @evicted
 * collects the keys removed.
 */
static void md_evict(struct md *m, int keep, int *evicted, int *nev)
{
	int t;

	while (m->count > MD_MAX_ENTRIES || m->bytes > m->max_bytes) {
		t = m->tail;
		if (t == keep)
			break;
		switch (state(m, t)) {
		case LIVE:
			m->c.evictions++;
			break;
		case EXPIRED:
			m->c.expirations++;
			break;
		case AMBIG:
			m->amb_evict++;
			break;
		}
		md_remove(m, t);
		evicted[(*nev)++] = t;
	}
}

/* Stores @vlen bytes of @val as key @k's entry, the most recent. */
static void md_store(struct md *m, int k, const unsigned char *val,
		     uint32_t vlen)
{
	struct md_entry *e = &m->e[k];

	e->present = true;
	e->vlen = vlen;
	memcpy(e->val, val, vlen);
	lru_push(m, k);
	m->count++;
	m->bytes += charge(m, k);
	m->c.sets++;
}

/*
 * Whether key @k has a live entry for an operation that frees an expired
 * one it meets (counted as an expiration) and answers -ENOENT then: an
 * entry in its expiry window is settled by @result.
 */
static bool md_meet(struct md *m, int k, long result)
{
	struct md_entry *e = &m->e[k];
	enum st s;

	if (!e->present)
		return false;
	s = state(m, k);
	if (s == AMBIG) {
		m->ambiguous++;
		s = result == -ENOENT ? EXPIRED : LIVE;
	}
	if (s == LIVE)
		return true;
	m->c.expirations++;
	md_remove(m, k);
	return false;
}

/* Applies a SET (or CAS) the kernel answered with o->result to the model. */
static bool apply_set(struct md *m, struct md_op *o, int *evicted, int *nev)
{
	struct md_entry *e = &m->e[o->k];
	uint32_t vlen = o->big ? (uint32_t)m->max_bytes : o->vlen;
	bool old = e->present;
	enum st s = old ? state(m, o->k) : LIVE;
	long want;

	if (entry_charge(m->overhead, m->klen[o->k], vlen) > m->max_bytes) {
		if (o->result != -E2BIG)
			return fail(m, "set of an oversized entry: %ld, not -E2BIG",
				    o->result);
		return true;
	}
	if (old && s == AMBIG) {
		m->ambiguous++;
		if (o->flags == LRUCACHE_SET_NX)
			s = o->result == -EEXIST ? LIVE : EXPIRED;
		else if (o->flags & (LRUCACHE_SET_XX | LRUCACHE_SET_CAS))
			s = o->result == -ENOENT ? EXPIRED : LIVE;
	}
	if (old && s == EXPIRED) {
		m->c.expirations++;
		md_remove(m, o->k);
		old = false;
	}
	if (old && s == AMBIG) {	/* plain set: the stats will tell */
		m->amb_set_exp++;
		s = LIVE;
	}
	want = (old && o->flags == LRUCACHE_SET_NX) ? -EEXIST :
	       (!old && (o->flags & (LRUCACHE_SET_XX | LRUCACHE_SET_CAS))) ?
	       -ENOENT :
	       (o->flags == LRUCACHE_SET_CAS && o->token != e->ver) ? -ESTALE : 0;
	if (o->result != want)
		return fail(m, "set key %d flags %u version %llu (model %llu): %ld, model %ld",
			    o->k, o->flags, (unsigned long long)o->token,
			    (unsigned long long)e->ver, o->result, want);
	if (o->flags == LRUCACHE_SET_CAS) {
		m->cas_won += !want;
		m->cas_stale += want == -ESTALE;
		m->cas_gone += want == -ENOENT;
	}
	if (want)
		return true;
	if (!new_version(m, o->k, o->cas, "set"))
		return false;
	if (old)
		md_remove(m, o->k);
	set_window(m, o->k, o->ttl_ms);
	md_store(m, o->k, o->val, vlen);
	md_evict(m, o->k, evicted, nev);
	return true;
}

/* A counter's value: exactly what printf("%lld") writes of an int64. */
static bool md_counter(const unsigned char *v, uint32_t len, int64_t *out)
{
	char s[32], back[32];
	long long x;
	char *end;

	if (!len || len >= sizeof(s))
		return false;
	memcpy(s, v, len);
	s[len] = 0;
	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	snprintf(back, sizeof(back), "%lld", x);
	if (strcmp(s, back))
		return false;
	*out = x;
	return true;
}

/* What an INCR answers if key @k's entry is @live (else absent). */
static long incr_want(struct md *m, struct md_op *o, bool live, int64_t *sum)
{
	struct md_entry *e = &m->e[o->k];
	int64_t base = o->initial;

	if (live && !md_counter(e->val, e->vlen, &base))
		return -EINVAL;
	if (__builtin_add_overflow(base, o->delta, sum))
		return -EOVERFLOW;
	return 0;
}

static bool apply_incr(struct md *m, struct md_op *o, int *evicted, int *nev)
{
	struct md_entry *e = &m->e[o->k];
	enum st s = e->present ? state(m, o->k) : EXPIRED;
	int64_t sum_live = 0, sum_gone = 0, sum;
	long want_live = 0, want_gone;
	bool fit_live, fit_gone, live;
	unsigned char text[32];
	long want;
	int n;

	if (e->present)
		want_live = incr_want(m, o, true, &sum_live);
	want_gone = incr_want(m, o, false, &sum_gone);
	if (e->present && s == AMBIG) {
		m->ambiguous++;
		fit_live = o->result == want_live &&
			   (want_live || o->number == sum_live);
		fit_gone = o->result == want_gone &&
			   (want_gone || o->number == sum_gone);
		if (fit_live && fit_gone) {
			/* Both would answer this: start over after the step. */
			m->desync = true;
			return true;
		}
		s = fit_live ? LIVE : EXPIRED;
	}
	live = e->present && s == LIVE;
	if (e->present && !live) {
		m->c.expirations++;
		md_remove(m, o->k);
	}
	want = live ? want_live : want_gone;
	sum = live ? sum_live : sum_gone;
	if (o->result != want || (!want && o->number != sum))
		return fail(m, "incr key %d by %lld (from %lld): %ld, %lld; model %ld, %lld",
			    o->k, (long long)o->delta, (long long)o->initial,
			    o->result, (long long)o->number, want,
			    (long long)sum);
	m->incr_inval += want == -EINVAL;
	m->incr_ovf += want == -EOVERFLOW;
	if (want)
		return true;
	m->incr_add += live;
	m->incr_new += !live;
	if (!new_version(m, o->k, o->cas, "incr"))
		return false;
	if (live)
		md_remove(m, o->k);	/* it keeps its expiry */
	else
		set_window(m, o->k, o->ttl_ms);
	n = snprintf((char *)text, sizeof(text), "%lld", (long long)sum);
	md_store(m, o->k, text, (uint32_t)n);
	md_evict(m, o->k, evicted, nev);
	return true;
}

/* GET, GETEX and GETDEL. */
static bool apply_read(struct md *m, struct md_op *o)
{
	struct md_entry *e = &m->e[o->k];
	const char *what = op_names[o->op];

	if (!md_meet(m, o->k, o->result)) {
		m->c.misses++;
		if (o->result != -ENOENT || o->cas)
			return fail(m, "%s key %d: %ld (version %llu), model: a miss",
				    what, o->k, o->result,
				    (unsigned long long)o->cas);
		return true;
	}
	m->c.hits++;
	if (o->result != (long)e->vlen || o->out_len != e->vlen)
		return fail(m, "%s key %d: %ld (value_len %u), model %u",
			    what, o->k, o->result, o->out_len, e->vlen);
	if (o->cas != e->ver)
		return fail(m, "%s key %d: version %llu, model %llu", what,
			    o->k, (unsigned long long)o->cas,
			    (unsigned long long)e->ver);
	if (e->vlen <= o->buflen) {
		if (memcmp(o->buf, e->val, e->vlen))
			return fail(m, "%s key %d: wrong value", what, o->k);
		if (o->op == O_GETDEL) {
			m->getdel_taken++;
			m->c.deletes++;
			md_remove(m, o->k);
			return true;
		}
	} else if (bytes_not(o->buf, o->buflen, 0xa5)) {
		return fail(m, "%s key %d: a probe of %u bytes wrote to them",
			    what, o->k, o->buflen);
	}
	if (o->op == O_GETEX)
		set_window(m, o->k, o->ttl_ms);
	lru_unlink(m, o->k);
	lru_push(m, o->k);
	return true;
}

static bool apply_touch(struct md *m, struct md_op *o)
{
	long want = md_meet(m, o->k, o->result) ? 0 : -ENOENT;

	if (o->result != want)
		return fail(m, "touch key %d: %ld, model %ld", o->k, o->result,
			    want);
	if (want)
		return true;
	m->touched++;
	set_window(m, o->k, o->ttl_ms);
	lru_unlink(m, o->k);
	lru_push(m, o->k);
	return true;
}

/* TTL: like EXISTS, leaves an expired entry in place and moves nothing. */
static bool apply_ttl(struct md *m, struct md_op *o)
{
	struct md_entry *e = &m->e[o->k];
	enum st s = e->present ? state(m, o->k) : EXPIRED;
	uint64_t got = (uint64_t)o->number, lo_ms, hi_ms;

	if (e->present && s == AMBIG) {
		m->ambiguous++;
		if (o->result == -ENOENT)
			return true;
		s = LIVE;
	}
	if (s != LIVE) {
		if (o->result != -ENOENT)
			return fail(m, "ttl key %d: %ld, model -ENOENT", o->k,
				    o->result);
		return true;
	}
	if (o->result)
		return fail(m, "ttl key %d: %ld, model 0", o->k, o->result);
	m->ttl_told++;
	if (!e->lo) {
		if (got != LRUCACHE_TTL_NONE)
			return fail(m, "ttl key %d: %llu, not none", o->k,
				    (unsigned long long)got);
		return true;
	}
	left_ms(m, o->k, &lo_ms, &hi_ms);
	if (got < lo_ms || got > hi_ms)
		return fail(m, "ttl key %d: %llu ms, model %llu..%llu", o->k,
			    (unsigned long long)got, (unsigned long long)lo_ms,
			    (unsigned long long)hi_ms);
	return true;
}

/*
 * DELETE_PREFIX removes every entry with the prefix; its count says how
 * many were live, which settles the ones in their expiry window.
 */
static bool apply_delpfx(struct md *m, struct md_op *o)
{
	long certain = 0, amb = 0, matched = 0;
	int k, next;

	for (k = m->head; k >= 0; k = m->e[k].next) {
		if (m->klen[k] < o->pfx_len ||
		    memcmp(m->keys[k], o->pfx, o->pfx_len))
			continue;
		matched++;
		certain += state(m, k) == LIVE;
		amb += state(m, k) == AMBIG;
	}
	if (o->result < certain || o->result > certain + amb)
		return fail(m, "delete_prefix \"%.*s\": %ld, model %ld (+%ld undecided)",
			    (int)o->pfx_len, o->pfx, o->result, certain, amb);
	m->ambiguous += amb != 0;
	for (k = m->head; k >= 0; k = next) {
		next = m->e[k].next;
		if (m->klen[k] >= o->pfx_len &&
		    !memcmp(m->keys[k], o->pfx, o->pfx_len))
			md_remove(m, k);
	}
	m->c.deletes += (uint64_t)o->result;
	m->c.expirations += (uint64_t)(matched - o->result);
	m->pfx_runs++;
	m->pfx_deleted += (uint64_t)o->result;
	return true;
}

static bool apply_exists(struct md *m, struct md_op *o)
{
	struct md_entry *e = &m->e[o->k];
	enum st s = e->present ? state(m, o->k) : EXPIRED;
	long want;

	if (e->present && s == AMBIG) {
		m->ambiguous++;
		if (o->result == 0 || o->result == 1)
			return true;
	}
	want = e->present && s == LIVE;
	if (o->result != want)
		return fail(m, "exists key %d: %ld, model %ld", o->k, o->result,
			    want);
	return true;
}

static bool apply_delete(struct md *m, struct md_op *o)
{
	struct md_entry *e = &m->e[o->k];
	enum st s = e->present ? state(m, o->k) : EXPIRED;
	long want = -ENOENT;

	if (e->present && s == AMBIG) {
		m->ambiguous++;
		s = o->result == -ENOENT ? EXPIRED : LIVE;
	}
	if (e->present) {
		if (s == LIVE) {
			m->c.deletes++;
			want = 0;
		} else {
			m->c.expirations++;
		}
		md_remove(m, o->k);
	}
	if (o->result != want)
		return fail(m, "delete key %d: %ld, model %ld", o->k, o->result,
			    want);
	return true;
}

static bool apply_op(struct md *m, struct md_op *o, int *evicted, int *nev)
{
	switch (o->op) {
	case O_GET:
	case O_GETEX:
	case O_GETDEL:
		return apply_read(m, o);
	case O_SET:
	case O_CAS:
		return apply_set(m, o, evicted, nev);
	case O_EXISTS:
		return apply_exists(m, o);
	case O_INCR:
		return apply_incr(m, o, evicted, nev);
	case O_TOUCH:
		return apply_touch(m, o);
	case O_TTL:
		return apply_ttl(m, o);
	case O_DELPFX:
		return apply_delpfx(m, o);
	default:
		return apply_delete(m, o);
	}
}

static const uint32_t opcode_of[O_KEYOPS] = {
	[O_GET] = LRUCACHE_OP_GET, [O_SET] = LRUCACHE_OP_SET,
	[O_EXISTS] = LRUCACHE_OP_EXISTS, [O_DELETE] = LRUCACHE_OP_DELETE,
	[O_INCR] = LRUCACHE_OP_INCR, [O_TOUCH] = LRUCACHE_OP_TOUCH,
	[O_GETEX] = LRUCACHE_OP_GETEX, [O_TTL] = LRUCACHE_OP_TTL,
	[O_GETDEL] = LRUCACHE_OP_GETDEL, [O_CAS] = LRUCACHE_OP_SET,
	[O_DELPFX] = LRUCACHE_OP_DELETE_PREFIX,
};

static const unsigned long ioc_of[O_KEYOPS] = {
	[O_GET] = LRUCACHE_IOC_GET, [O_SET] = LRUCACHE_IOC_SET,
	[O_EXISTS] = LRUCACHE_IOC_EXISTS, [O_DELETE] = LRUCACHE_IOC_DELETE,
	[O_INCR] = LRUCACHE_IOC_INCR, [O_TOUCH] = LRUCACHE_IOC_TOUCH,
	[O_GETEX] = LRUCACHE_IOC_GETEX, [O_TTL] = LRUCACHE_IOC_TTL,
	[O_GETDEL] = LRUCACHE_IOC_GETDEL, [O_CAS] = LRUCACHE_IOC_SET,
	[O_DELPFX] = LRUCACHE_IOC_DELETE_PREFIX,
};

/*
 * The fields of one operation, as a batch carries them; a single ioctl
 * takes the same fields in struct lrucache_kv.
 */
static void fill_kv_op(struct md *m, struct md_op *o, struct lrucache_op *u)
{
	memset(u, 0, sizeof(*u));
	u->opcode = opcode_of[o->op];
	u->key = (uintptr_t)m->keys[o->k];
	u->key_len = m->klen[o->k];
	switch (o->op) {
	case O_GET:
	case O_GETEX:
	case O_GETDEL:
		u->value = (uintptr_t)o->buf;
		u->value_len = o->buflen;
		break;
	case O_SET:
	case O_CAS:
		u->value = (uintptr_t)o->val;
		u->value_len = o->big ? (uint32_t)m->max_bytes : o->vlen;
		u->flags = o->flags;
		u->cas = o->token;
		break;
	case O_INCR:
		u->delta = o->delta;
		u->number = o->initial;
		break;
	case O_DELPFX:
		u->key = (uintptr_t)o->pfx;
		u->key_len = o->pfx_len;
		break;
	}
	u->ttl_ms = o->ttl_ms;
}

/* What the kernel wrote back into @u, into @o. */
static void take_back(struct md_op *o, const struct lrucache_op *u, long ret)
{
	o->result = ret;
	o->out_len = u->value_len;
	o->cas = u->cas;
	o->number = u->number;
}

/* Runs one operation as its own ioctl. */
static void run_single(struct md *m, struct md_op *o, void *big)
{
	struct lrucache_op u;
	struct lrucache_kv kv;

	fill_kv_op(m, o, &u);
	kv = (struct lrucache_kv){
		.key = u.key, .value = o->big ? (uintptr_t)big : u.value,
		.key_len = u.key_len, .value_len = u.value_len,
		.ttl_ms = u.ttl_ms, .flags = u.flags, .cas = u.cas,
		.delta = u.delta, .number = u.number,
	};
	o->result = xioctl(m->fd, ioc_of[o->op], &kv);
	u.value_len = kv.value_len;
	u.cas = kv.cas;
	u.number = kv.number;
	take_back(o, &u, o->result);
}

/*
 * Waits until no expiry window of an entry held overlaps the next
 * MD_GUARD_NS: the step that follows then sees every entry as certainly
 * live or certainly expired, unless it runs longer than the guard.
 */
static void wait_out_windows(struct md *m)
{
	uint64_t now, until;
	int k;

	for (;;) {
		now = boottime_ns();
		until = 0;
		for (k = m->head; k >= 0; k = m->e[k].next) {
			struct md_entry *e = &m->e[k];

			if (!e->lo || e->hi <= now || e->lo > now + MD_GUARD_NS)
				continue;
			if (e->hi + 1 > until)
				until = e->hi + 1;
		}
		if (!until)
			return;
		m->waits++;
		m->wait_ns += until - now;
		while (boottime_ns() < until)
			sleep_ms(1);
	}
}

/* The counters the stats hold against the model's, settling ambiguity. */
static bool check_stats(struct md *m)
{
	struct lrucache_stats st;
	uint64_t d_exp, d_ev;
	long x_ev, x_set;
	int k, expiring = 0;

	if (cache_stats(m->fd, &st))
		return fail(m, "STATS failed");
	if (m->amb_set_exp || m->amb_evict) {
		/* evictions = model + (amb_evict - x_ev), expirations =
		 * model + x_ev + x_set, with 0 <= x <= its count. */
		d_ev = st.evictions - m->c.evictions;
		d_exp = st.expirations - m->c.expirations;
		x_ev = (long)m->amb_evict - (long)d_ev;
		x_set = (long)d_exp - x_ev;
		if (x_ev < 0 || x_ev > (long)m->amb_evict || x_set < 0 ||
		    x_set > (long)m->amb_set_exp)
			return fail(m, "ambiguous removals: evictions %llu expirations %llu do not fit model %llu/%llu + %u/%u",
				    (unsigned long long)st.evictions,
				    (unsigned long long)st.expirations,
				    (unsigned long long)m->c.evictions,
				    (unsigned long long)m->c.expirations,
				    m->amb_evict, m->amb_set_exp);
		m->c.evictions = st.evictions;
		m->c.expirations = st.expirations;
		m->amb_set_exp = m->amb_evict = 0;
	}
	for (k = m->head; k >= 0; k = m->e[k].next)
		expiring += m->e[k].lo != 0;
#define CMP(field, model) do {						\
	if (st.field != (uint64_t)(model))				\
		return fail(m, "stats." #field " %llu, model %llu",	\
			    (unsigned long long)st.field,		\
			    (unsigned long long)(model));		\
} while (0)
	CMP(hits, m->c.hits);
	CMP(misses, m->c.misses);
	CMP(sets, m->c.sets);
	CMP(deletes, m->c.deletes);
	CMP(evictions, m->c.evictions);
	CMP(expirations, m->c.expirations);
	CMP(reaped, m->c.reaped);
	CMP(reaper_runs, m->c.reaper_runs);
	CMP(reclaimed, 0);
	CMP(entries, m->count);
	CMP(bytes, m->bytes);
	CMP(expiring, expiring);
#undef CMP
	return true;
}

/*
 * DUMP: the records must be the model's entries that are live, least
 * recent first, with their values and remaining TTLs.
 */
static bool check_dump(struct md *m)
{
	static unsigned char stream[MD_KEYS * (16 + 16 + MD_VAL_MAX)];
	struct lrucache_dump d = { 0 };
	struct lrucache_record rec;
	size_t len = 0, pos = 0;
	uint64_t lo_ms, hi_ms;
	ssize_t r;
	int k, ret;

	m->before = boottime_ns();
	ret = xioctl(m->fd, LRUCACHE_IOC_DUMP, &d);
	m->after = boottime_ns();
	if (ret)
		return fail(m, "DUMP: %d", ret);
	while ((r = read(d.fd, stream + len, sizeof(stream) - len)) > 0)
		len += (size_t)r;
	close(d.fd);
	if (r < 0 || len != d.bytes)
		return fail(m, "dump stream: read %zu of %llu bytes", len,
			    (unsigned long long)d.bytes);
	m->dumps++;
	for (k = m->tail; k >= 0; k = m->e[k].prev) {
		struct md_entry *e = &m->e[k];
		enum st s = state(m, k);

		if (s == EXPIRED)
			continue;
		memset(&rec, 0, sizeof(rec));
		if (pos + sizeof(rec) <= len)
			memcpy(&rec, stream + pos, sizeof(rec));
		if (pos + sizeof(rec) + m->klen[k] > len ||
		    rec.key_len != m->klen[k] ||
		    memcmp(stream + pos + sizeof(rec), m->keys[k],
			   m->klen[k])) {
			if (s == AMBIG)	/* it had expired: left out */
				continue;
			return fail(m, "dump: key %d missing or out of order",
				    k);
		}
		pos += sizeof(rec) + rec.key_len;
		if (rec.value_len != e->vlen || pos + e->vlen > len ||
		    memcmp(stream + pos, e->val, e->vlen))
			return fail(m, "dump: key %d has the wrong value", k);
		pos += e->vlen;
		if (!e->lo) {
			if (rec.ttl_ms != LRUCACHE_TTL_NONE)
				return fail(m, "dump: key %d ttl %llu, not none",
					    k, (unsigned long long)rec.ttl_ms);
			continue;
		}
		left_ms(m, k, &lo_ms, &hi_ms);
		if (rec.ttl_ms < lo_ms || rec.ttl_ms > hi_ms)
			return fail(m, "dump: key %d ttl %llu ms, model %llu..%llu",
				    k, (unsigned long long)rec.ttl_ms,
				    (unsigned long long)lo_ms,
				    (unsigned long long)hi_ms);
	}
	if (pos != len)
		return fail(m, "dump: %zu bytes of records the model lacks",
			    len - pos);
	return true;
}

/* Starts the model over from an empty cache (after an undecidable REAP). */
static bool resync(struct md *m)
{
	struct lrucache_stats st;

	m->resyncs++;
	if (cache_clear(m->fd) || cache_stats(m->fd, &st))
		return fail(m, "resync: CLEAR or STATS failed");
	md_reset(m);
	m->c.hits = st.hits;
	m->c.misses = st.misses;
	m->c.sets = st.sets;
	m->c.deletes = st.deletes;
	m->c.evictions = st.evictions;
	m->c.expirations = st.expirations;
	m->c.reaped = st.reaped;
	m->c.reaper_runs = st.reaper_runs;
	m->amb_set_exp = m->amb_evict = 0;
	return true;
}

static bool step_reap(struct md *m)
{
	struct lrucache_reap r;
	int amb[MD_KEYS], namb = 0, k, next;
	uint64_t certain = 0;
	int ret;

	m->before = boottime_ns();
	ret = cache_reap(m->fd, below(m, 2) ? LRUCACHE_REAP_FULL_SCAN : 0, &r);
	m->after = boottime_ns();
	if (ret)
		return fail(m, "REAP: %d", ret);
	m->c.reaper_runs++;
	for (k = m->head; k >= 0; k = next) {
		next = m->e[k].next;
		switch (state(m, k)) {
		case EXPIRED:
			certain++;
			m->c.reaped++;
			m->c.expirations++;
			md_remove(m, k);
			break;
		case AMBIG:
			amb[namb++] = k;
			break;
		default:
			break;
		}
	}
	if (r.freed < certain || r.freed > certain + (uint64_t)namb)
		return fail(m, "REAP freed %llu, model %llu (+%d undecided)",
			    (unsigned long long)r.freed,
			    (unsigned long long)certain, namb);
	if (!namb)
		return true;
	m->ambiguous++;
	if (r.freed == certain)
		return true;
	if (r.freed - certain < (uint64_t)namb)
		return resync(m);
	for (k = 0; k < namb; k++) {
		m->c.reaped++;
		m->c.expirations++;
		md_remove(m, amb[k]);
	}
	return true;
}

/* After a SET that evicted: EXISTS (which moves nothing) agrees. */
static bool check_evicted(struct md *m, const int *evicted, int nev)
{
	int i, ret;

	for (i = 0; i < nev; i++) {
		if (m->e[evicted[i]].present)
			continue;	/* set again later in the batch */
		ret = kv_exists(m->fd, m->keys[evicted[i]],
				m->klen[evicted[i]]);
		m->evict_checks++;
		if (ret != 0)
			return fail(m, "key %d should have been evicted: exists %d",
				    evicted[i], ret);
	}
	return true;
}

/*
 * The mix of steps, and of operations in a batch: cumulative shares of
 * 1000, in the order of the O_ constants.
 */
static const uint16_t step_mix[O_N] = {
	[O_GET] = 190, [O_SET] = 420, [O_EXISTS] = 470, [O_DELETE] = 530,
	[O_INCR] = 600, [O_TOUCH] = 640, [O_GETEX] = 680, [O_TTL] = 710,
	[O_GETDEL] = 740, [O_CAS] = 800, [O_DELPFX] = 810, [O_BATCH] = 970,
	[O_CLEAR] = 973, [O_REAP] = 985, [O_SLEEP] = 1000,
};

static const uint16_t batch_mix[O_N] = {
	[O_GET] = 230, [O_SET] = 470, [O_EXISTS] = 540, [O_DELETE] = 610,
	[O_INCR] = 700, [O_TOUCH] = 750, [O_GETEX] = 800, [O_TTL] = 840,
	[O_GETDEL] = 880, [O_CAS] = 990, [O_DELPFX] = 1000,
	[O_BATCH] = 1000, [O_CLEAR] = 1000, [O_REAP] = 1000,
	[O_SLEEP] = 1000,
};

static int pick(const uint16_t *mix, uint32_t r)
{
	int kind = 0;

	while (r >= mix[kind])
		kind++;
	return kind;
}

static bool one_step(struct md *m, void *big)
{
	struct md_op ops[MD_BATCH_MAX];
	struct lrucache_op uops[MD_BATCH_MAX];
	int evicted[MD_KEYS * MD_BATCH_MAX], nev = 0;
	uint32_t r = below(m, 1000), n, i;
	int kind, ret;

	kind = pick(step_mix, r);
	m->opcount[kind]++;
	if (kind == O_SLEEP) {	/* let short TTLs run out */
		sleep_ms(2 + below(m, 19));
		return true;
	}
	wait_out_windows(m);

	if (kind == O_CLEAR) {
		if (cache_clear(m->fd))
			return fail(m, "CLEAR failed");
		md_reset(m);
		m->ops++;
		return check_stats(m);
	}
	if (kind == O_REAP) {
		m->ops++;
		return step_reap(m) && check_stats(m);
	}
	if (kind == O_BATCH) {
		n = 2 + below(m, MD_BATCH_MAX - 1);
		for (i = 0; i < n; i++) {
			gen_op(m, &ops[i], pick(batch_mix, below(m, 1000)));
			ops[i].big = false;
			fill_kv_op(m, &ops[i], &uops[i]);
		}
		m->before = boottime_ns();
		ret = batch_run(m->fd, uops, n);
		m->after = boottime_ns();
		if (ret != (int)n)
			return fail(m, "BATCH of %u ran %d", n, ret);
		for (i = 0; i < n; i++) {
			take_back(&ops[i], &uops[i], uops[i].result);
			if (!apply_op(m, &ops[i], evicted, &nev))
				return false;
			m->ops++;
			if (m->desync)	/* the rest cannot be judged */
				break;
		}
	} else {
		gen_op(m, &ops[0], kind);
		m->before = boottime_ns();
		run_single(m, &ops[0], big);
		m->after = boottime_ns();
		if (!apply_op(m, &ops[0], evicted, &nev))
			return false;
		m->ops++;
	}
	if (m->desync) {
		m->desync = false;
		return resync(m) && check_stats(m);
	}
	if (!check_stats(m) || !check_evicted(m, evicted, nev))
		return false;
	return m->steps % MD_DUMP_EVERY || check_dump(m);
}

FIXTURE(model) {
	struct md *m;
	void *big;
};

FIXTURE_SETUP(model)
{
	self->m = NULL;
	self->big = NULL;
}

FIXTURE_TEARDOWN(model)
{
	if (self->m) {
		if (self->m->fd >= 0)
			close(self->m->fd);
		cache_destroy(self->m->name);
		free(self->m);
	}
	free(self->big);
}

TEST_F_TIMEOUT(model, lru_ttl_model_matches_the_cache_step_by_step, 3600)
{
	const char *kernel = getenv("VM_KERNEL");
	bool debug = kernel && !strcmp(kernel, "debug");
	uint64_t steps = env_u64("LRUCACHE_MODEL_STEPS", debug ? 20000 : 30000);
	uint64_t seed = env_u64("LRUCACHE_MODEL_SEED", 20261201);
	struct md *m;
	uint64_t t0;
	int k, i;

	m = calloc(1, sizeof(*m));
	ASSERT_NE(NULL, m);
	self->m = m;
	m->fd = -1;
	m->rng = seed;
	unique_name(m->name, "model");
	ASSERT_EQ(0, entry_overhead(&m->overhead));
	/* About a dozen average entries: bytes bite before the count does. */
	m->max_bytes = 14 * (m->overhead + 8 + MD_VAL_MAX / 2);
	self->big = calloc(1, m->max_bytes);
	ASSERT_NE(NULL, self->big);
	for (k = 0; k < MD_KEYS; k++) {
		m->klen[k] = (uint32_t)snprintf(m->keys[k], sizeof(m->keys[k]),
						"k%d-", k);
		for (i = 0; i < k % 7; i++)
			m->keys[k][m->klen[k]++] = (char)('a' + i);
	}
	md_reset(m);
	m->fd = cache_create_ex(m->name, MD_MAX_ENTRIES, m->max_bytes,
				MD_DEFAULT_TTL, MD_INTERVAL_MS);
	ASSERT_LE(0, m->fd) {
		TH_LOG("cannot create %s: %s", m->name, strerror(-m->fd));
	}

	t0 = boottime_ns();
	for (m->steps = 1; m->steps <= steps; m->steps++) {
		ASSERT_TRUE(one_step(m, self->big)) {
			TH_LOG("seed %llu: %s", (unsigned long long)seed,
			       m->why);
		}
	}
	m->steps--;
	ASSERT_TRUE(check_dump(m)) {
		TH_LOG("seed %llu: %s", (unsigned long long)seed, m->why);
	}

	printf("# model: seed %llu, %llu steps, %llu operations in %.1f s\n",
	       (unsigned long long)seed, (unsigned long long)m->steps,
	       (unsigned long long)m->ops, (boottime_ns() - t0) / 1e9);
	printf("# model: steps by kind:");
	for (i = 0; i < O_N; i++)
		printf(" %s %llu", op_names[i],
		       (unsigned long long)m->opcount[i]);
	printf("\n# model: stats hits %llu misses %llu sets %llu deletes %llu evictions %llu expirations %llu reaped %llu\n",
	       (unsigned long long)m->c.hits, (unsigned long long)m->c.misses,
	       (unsigned long long)m->c.sets, (unsigned long long)m->c.deletes,
	       (unsigned long long)m->c.evictions,
	       (unsigned long long)m->c.expirations,
	       (unsigned long long)m->c.reaped);
	printf("# model: %llu dumps compared, %llu evictions checked by EXISTS, %llu waits (%.1f s) for expiry windows, %llu ambiguous steps, %llu resyncs\n",
	       (unsigned long long)m->dumps,
	       (unsigned long long)m->evict_checks,
	       (unsigned long long)m->waits, m->wait_ns / 1e9,
	       (unsigned long long)m->ambiguous,
	       (unsigned long long)m->resyncs);
	printf("# model: cas won %llu stale %llu gone %llu; incr created %llu added %llu not a counter %llu overflow %llu; touched %llu; ttl told %llu; getdel took %llu; delete_prefix %llu runs deleted %llu\n",
	       (unsigned long long)m->cas_won,
	       (unsigned long long)m->cas_stale,
	       (unsigned long long)m->cas_gone,
	       (unsigned long long)m->incr_new,
	       (unsigned long long)m->incr_add,
	       (unsigned long long)m->incr_inval,
	       (unsigned long long)m->incr_ovf,
	       (unsigned long long)m->touched,
	       (unsigned long long)m->ttl_told,
	       (unsigned long long)m->getdel_taken,
	       (unsigned long long)m->pfx_runs,
	       (unsigned long long)m->pfx_deleted);
	fflush(stdout);
	/* Almost every step must have been decided by the model alone. */
	EXPECT_GE(steps / 20, m->ambiguous);
	EXPECT_GE(steps / 1000 + 1, m->resyncs);
	EXPECT_LT(0U, m->c.evictions);
	EXPECT_LT(0U, m->c.expirations);
	EXPECT_LT(0U, m->c.hits);
	/* Each outcome of the new operations was met. */
	EXPECT_LT(0U, m->cas_won);
	EXPECT_LT(0U, m->cas_stale);
	EXPECT_LT(0U, m->cas_gone);
	EXPECT_LT(0U, m->incr_new);
	EXPECT_LT(0U, m->incr_add);
	EXPECT_LT(0U, m->incr_inval);
	EXPECT_LT(0U, m->incr_ovf);
	EXPECT_LT(0U, m->pfx_deleted);
}

TEST_HARNESS_MAIN
