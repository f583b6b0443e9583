// SPDX-License-Identifier: GPL-2.0
/*
 * libkcache event hooks over the kernel's netlink event stream: what a
 * subscriber sees of operations another process does (order, counts, key
 * bytes, value lengths, sequence numbers), event masks, per-cache and
 * per-user filtering, nothing kept without a subscriber, losses of a slow
 * subscriber, removal of hooks, the logging hook and the API's errors.
 *
 * Every wait is bounded: the subscriber polls kcache_events_fd() with a
 * deadline. Where the point is that something does NOT arrive, the test
 * makes a marker event after it and waits for the marker: events arrive in
 * the order they happened, so anything that was going to arrive would
 * have arrived before it.
 */
#include "kselftest_harness.h"
#include "lib.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <syslog.h>

#define WAIT_MS		10000	/* for events that must come */
#define REC_MAX		64	/* events a recorder keeps (it counts all) */
#define NOBODY		65534

struct rec_event {
	int type;
	char cache[LRUCACHE_NAME_MAX];
	bool has_key;
	unsigned char key[KCACHE_EVENT_KEY_MAX];
	size_t key_len;
	uint32_t key_hash;
	size_t value_len;
	int64_t age_s;
	int64_t seq;
};

/* What a hook was called with. */
struct recorder {
	struct rec_event ev[REC_MAX];
	/* Signed, to compare with plain integers in the checks. */
	int64_t total;			/* events, kept or not */
	int64_t per_type[KCACHE_EVENT_MAX + 1];
	int64_t lost;			/* sum of on_lost()'s n */
	int64_t lost_calls;
	int64_t last_seq;
	int64_t seq_errors;		/* seq not following the last one */
	const char *marker;		/* key that ends a wait */
	int marker_type;		/* its event type that does; 0: any */
	bool marker_seen;
	struct kcache *reenter;		/* if set: try the API from a hook */
	int reenter_ret[4];
};

static void rec_event(const struct kcache_event *e, void *arg)
{
	struct recorder *r = arg;
	struct rec_event *re;

	/* Losses are announced before the event that reveals them. */
	if ((int64_t)e->seq != r->last_seq + 1 && e->seq != 1)
		r->seq_errors++;
	r->last_seq = (int64_t)e->seq;
	if (r->total < REC_MAX) {
		re = &r->ev[r->total];
		re->type = e->type;
		snprintf(re->cache, sizeof(re->cache), "%s", e->cache);
		re->has_key = e->key != NULL;
		if (e->key && e->key_len <= sizeof(re->key))
			memcpy(re->key, e->key, e->key_len);
		re->key_len = e->key_len;
		re->key_hash = e->key_hash;
		re->value_len = e->value_len;
		re->age_s = e->age_s;
		re->seq = (int64_t)e->seq;
	}
	r->total++;
	if (e->type >= 1 && e->type <= KCACHE_EVENT_MAX)
		r->per_type[e->type]++;
	if (r->marker && e->key && e->key_len == strlen(r->marker) &&
	    !memcmp(e->key, r->marker, e->key_len) &&
	    (!r->marker_type || e->type == r->marker_type))
		r->marker_seen = true;
	if (r->reenter) {
		r->reenter_ret[0] = kcache_events_dispatch(r->reenter);
		r->reenter_ret[1] = kcache_add_hook(r->reenter,
						    &kcache_logging_hook, NULL);
		r->reenter_ret[2] = kcache_remove_hook(r->reenter,
						       &kcache_logging_hook,
						       NULL);
		r->reenter_ret[3] = kcache_events_fd(r->reenter);
	}
}

static void rec_lost(uint64_t n, void *arg)
{
	struct recorder *r = arg;

	r->lost += (int64_t)n;
	r->lost_calls++;
	/* The event that follows continues the numbering after the gap. */
	r->last_seq += (int64_t)n;
}

static const struct kcache_hook_ops rec_all = {
	.on_hit = rec_event, .on_miss = rec_event, .on_set = rec_event,
	.on_delete = rec_event, .on_evict = rec_event,
	.on_expire = rec_event, .on_reclaim = rec_event,
	.on_lost = rec_lost,
};

static const struct kcache_hook_ops rec_removals = {
	.on_delete = rec_event, .on_evict = rec_event, .on_lost = rec_lost,
};

static const struct kcache_hook_ops rec_sets = {
	.on_set = rec_event, .on_lost = rec_lost,
};

static const struct kcache_hook_ops rec_deletes = {
	.on_delete = rec_event, .on_lost = rec_lost,
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Dispatch until @r has seen its marker, or @timeout_ms has passed: 1 if
 * seen, 0 if not, or a negative errno of the library. The marker must be
 * the last event to come: the kernel sends from a work item, so an event
 * that happened after it may not have arrived yet.
 */
static int pump(struct kcache *c, struct recorder *r, int timeout_ms)
{
	long long deadline = now_ms() + timeout_ms;
	struct pollfd pfd;
	int ret;

	pfd.fd = kcache_events_fd(c);
	if (pfd.fd < 0)
		return pfd.fd;
	pfd.events = POLLIN;
	for (;;) {
		ret = kcache_events_dispatch(c);
		if (ret < 0)
			return ret;
		if (r->marker_seen)
			return 1;
		if (now_ms() >= deadline)
			return 0;
		ret = poll(&pfd, 1, (int)(deadline - now_ms()));
		if (ret < 0 && errno != EINTR)
			return -errno;
	}
}

/* Run @fn(@name, @arg) in a child process: its exit status (0: fine). */
static int in_child(void (*fn)(const char *name, void *arg),
		    const char *name, void *arg)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		fn(name, arg);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

#define CHILD_CHECK(cond)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "child: %s:%d: %s\n", __FILE__,	\
				__LINE__, #cond);			\
			_exit(1);					\
		}							\
	} while (0)

/* The kernel's jhash() (lookup3), with which events hash their keys. */
static uint32_t rol32(uint32_t w, unsigned int s)
{
	return (w << s) | (w >> (32 - s));
}

#define JHASH_MIX(a, b, c)						\
	do {								\
		a -= c; a ^= rol32(c, 4); c += b;			\
		b -= a; b ^= rol32(a, 6); a += c;			\
		c -= b; c ^= rol32(b, 8); b += a;			\
		a -= c; a ^= rol32(c, 16); c += b;			\
		b -= a; b ^= rol32(a, 19); a += c;			\
		c -= b; c ^= rol32(b, 4); b += a;			\
	} while (0)

#define JHASH_FINAL(a, b, c)						\
	do {								\
		c ^= b; c -= rol32(b, 14);				\
		a ^= c; a -= rol32(c, 11);				\
		b ^= a; b -= rol32(a, 25);				\
		c ^= b; c -= rol32(b, 16);				\
		a ^= c; a -= rol32(c, 4);				\
		b ^= a; b -= rol32(a, 14);				\
		c ^= b; c -= rol32(b, 24);				\
	} while (0)

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);	/* the kernel reads native-endian words */
	return v;
}

static uint32_t jhash(const void *key, uint32_t len, uint32_t initval)
{
	const unsigned char *k = key;
	uint32_t a, b, c;

	a = b = c = 0xdeadbeef + len + initval;
	while (len > 12) {
		a += get32(k);
		b += get32(k + 4);
		c += get32(k + 8);
		JHASH_MIX(a, b, c);
		len -= 12;
		k += 12;
	}
	switch (len) {
	case 12: c += (uint32_t)k[11] << 24;	/* fall through */
	case 11: c += (uint32_t)k[10] << 16;	/* fall through */
	case 10: c += (uint32_t)k[9] << 8;	/* fall through */
	case 9:  c += k[8];			/* fall through */
	case 8:  b += (uint32_t)k[7] << 24;	/* fall through */
	case 7:  b += (uint32_t)k[6] << 16;	/* fall through */
	case 6:  b += (uint32_t)k[5] << 8;	/* fall through */
	case 5:  b += k[4];			/* fall through */
	case 4:  a += (uint32_t)k[3] << 24;	/* fall through */
	case 3:  a += (uint32_t)k[2] << 16;	/* fall through */
	case 2:  a += (uint32_t)k[1] << 8;	/* fall through */
	case 1:  a += k[0];
		JHASH_FINAL(a, b, c);
		break;
	default:
		break;
	}
	return c;
}

/*
 * The known sequence, run by another process on a cache of two entries,
 * and the events it causes, in order. It ends with a set and a delete of
 * the key "marker".
 */
static const char bin_key[3] = { 0, 'k', (char)0xff };
static char long_key[100];

struct expected {
	int type;
	const char *key;	/* NULL: the binary key; "L": the long one */
	size_t value_len;
};

static const struct expected sequence[] = {
	{ KCACHE_EVENT_SET, "a", 1 },
	{ KCACHE_EVENT_SET, "b", 2 },
	{ KCACHE_EVENT_HIT, "a", 1 },
	{ KCACHE_EVENT_MISS, "zz", 0 },
	{ KCACHE_EVENT_EVICT, "b", 2 },		/* a was read: b is the LRU */
	{ KCACHE_EVENT_SET, "c", 3 },
	{ KCACHE_EVENT_DELETE, "a", 1 },
	{ KCACHE_EVENT_SET, NULL, 0 },		/* binary key, empty value */
	{ KCACHE_EVENT_EVICT, "c", 3 },
	{ KCACHE_EVENT_SET, "L", 4 },		/* 100-byte key: hash only */
	{ KCACHE_EVENT_EVICT, NULL, 0 },
	{ KCACHE_EVENT_SET, "t", 5 },		/* 1 ms TTL */
	{ KCACHE_EVENT_EXPIRE, "t", 5 },	/* freed by the reaper */
	{ KCACHE_EVENT_SET, "marker", 1 },
	{ KCACHE_EVENT_DELETE, "marker", 1 },
};
#define SEQUENCE_LEN	(sizeof(sequence) / sizeof(sequence[0]))

static void run_sequence(const char *name, void *arg)
{
	struct kcache *c;
	char out[256];
	int i;

	(void)arg;
	CHILD_CHECK(kcache_open(name, NULL, &c) == 0);
	CHILD_CHECK(sset(c, "a", "1") == 0);
	CHILD_CHECK(sset(c, "b", "22") == 0);
	CHILD_CHECK(sget(c, "a", out) == 1);
	CHILD_CHECK(sget(c, "zz", out) == -ENOENT);
	CHILD_CHECK(sset(c, "c", "333") == 0);
	CHILD_CHECK(kcache_delete(c, "a", 1) == 0);
	CHILD_CHECK(kcache_set(c, bin_key, sizeof(bin_key), NULL, 0,
			       KCACHE_TTL_NONE) == 0);
	CHILD_CHECK(kcache_set(c, long_key, sizeof(long_key), "4444", 4,
			       KCACHE_TTL_NONE) == 0);
	CHILD_CHECK(kcache_set(c, "t", 1, "55555", 5, 1) == 0);
	/* Wait for t to expire; EXISTS fires nothing and frees nothing. */
	for (i = 0; i < 2000 && sexists(c, "t") == 1; i++)
		sleep_ms(1);
	CHILD_CHECK(sexists(c, "t") == 0);
	CHILD_CHECK(kcache_cleanup_expired(c) == 1);
	CHILD_CHECK(sset(c, "marker", "m") == 0);
	CHILD_CHECK(kcache_delete(c, "marker", 6) == 0);
	kcache_close(c);
}

/* A set and a delete of @arg (a string key), the usual marker. */
static void run_marker(const char *name, void *arg)
{
	const char *key = arg;
	struct kcache *c;

	CHILD_CHECK(kcache_open(name, NULL, &c) == 0);
	CHILD_CHECK(sset(c, key, "m") == 0);
	CHILD_CHECK(kcache_delete(c, key, strlen(key)) == 0);
	kcache_close(c);
}

/* Does recorded event @re match @x? Explains the first difference. */
static bool matches(const struct rec_event *re, const struct expected *x,
		    const char *cache, char *why, size_t whylen)
{
	const void *key = x->key;
	size_t klen;

	if (!x->key) {
		key = bin_key;
		klen = sizeof(bin_key);
	} else if (!strcmp(x->key, "L")) {
		key = long_key;
		klen = sizeof(long_key);
	} else {
		klen = strlen(x->key);
	}
	if (re->type != x->type)
		snprintf(why, whylen, "type %s, expected %s",
			 kcache_event_type_name(re->type),
			 kcache_event_type_name(x->type));
	else if (strcmp(re->cache, cache))
		snprintf(why, whylen, "cache %s, expected %s", re->cache,
			 cache);
	else if (re->key_len != klen)
		snprintf(why, whylen, "key_len %zu, expected %zu",
			 re->key_len, klen);
	else if (re->key_hash != jhash(key, (uint32_t)klen, 0))
		snprintf(why, whylen, "key_hash %08x, expected %08x",
			 re->key_hash, jhash(key, (uint32_t)klen, 0));
	else if (re->has_key != (klen <= KCACHE_EVENT_KEY_MAX))
		snprintf(why, whylen, "key %s, expected %s",
			 re->has_key ? "present" : "absent",
			 klen <= KCACHE_EVENT_KEY_MAX ? "present" : "absent");
	else if (re->has_key && memcmp(re->key, key, klen))
		snprintf(why, whylen, "key bytes differ");
	else if (re->value_len != x->value_len)
		snprintf(why, whylen, "value_len %zu, expected %zu",
			 re->value_len, x->value_len);
	else if (x->type == KCACHE_EVENT_MISS ? re->age_s != -1 :
		 re->age_s < 0 || re->age_s > 60)
		snprintf(why, whylen, "age_s %lld", (long long)re->age_s);
	else
		return true;
	return false;
}

/* @r must hold exactly the events of sequence[] whose type is in @mask. */
static void check_sequence(struct __test_metadata *_metadata,
			   const struct recorder *r, const char *cache,
			   uint32_t mask)
{
	int64_t n = 0;
	size_t i;
	char why[128];

	for (i = 0; i < SEQUENCE_LEN; i++) {
		if (!(mask & KCACHE_EVENT_BIT(sequence[i].type)))
			continue;
		ASSERT_LT(n, r->total) {
			TH_LOG("event %zu (%s %s) missing", i,
			       kcache_event_type_name(sequence[i].type),
			       sequence[i].key ? sequence[i].key : "<binary>");
		}
		EXPECT_TRUE(matches(&r->ev[n], &sequence[i], cache, why,
				    sizeof(why))) {
			TH_LOG("event %lld: %s", (long long)n, why);
		}
		/* The kernel numbers only the events subscribed to. */
		EXPECT_EQ(n + 1, r->ev[n].seq);
		n++;
	}
	EXPECT_EQ(n, r->total);
	EXPECT_EQ(0, r->lost);
	EXPECT_EQ(0, r->seq_errors);
}

FIXTURE(events) {
	char name[LRUCACHE_NAME_MAX];
	struct kcache *c;
	struct recorder r;
};

FIXTURE_SETUP(events)
{
	KCACHE_OPTS(opts, .max_size = 2);
	int err;

	memset(long_key, 'L', sizeof(long_key));
	memset(&self->r, 0, sizeof(self->r));
	self->c = NULL;
	unique_name(self->name, "ev");
	err = kcache_open(self->name, &opts, &self->c);
	ASSERT_EQ(0, err) {
		TH_LOG("kcache_open(%s): %s", self->name, kcache_strerror(err));
	}
}

FIXTURE_TEARDOWN(events)
{
	kcache_close(self->c);
	kcache_destroy(self->name);
}

TEST_F(events, subscriber_sees_another_process_operations_in_order)
{
	self->r.marker = "marker";
	self->r.marker_type = KCACHE_EVENT_DELETE;
	ASSERT_EQ(0, kcache_add_hook(self->c, &rec_all, &self->r));
	ASSERT_EQ(0, in_child(run_sequence, self->name, NULL));
	ASSERT_EQ(1, pump(self->c, &self->r, WAIT_MS));
	/* Whatever could still come has come: it was all before the marker. */
	ASSERT_EQ(0, kcache_events_dispatch(self->c));
	check_sequence(_metadata, &self->r, self->name, KCACHE_EVENT_ALL);
	EXPECT_EQ(0, self->r.lost_calls);
}

TEST_F(events, event_mask_filters_in_the_kernel)
{
	self->r.marker = "marker";
	ASSERT_EQ(0, kcache_add_hook(self->c, &rec_removals, &self->r));
	ASSERT_EQ(0, in_child(run_sequence, self->name, NULL));
	ASSERT_EQ(1, pump(self->c, &self->r, WAIT_MS));
	check_sequence(_metadata, &self->r, self->name,
		       KCACHE_EVENT_BIT(KCACHE_EVENT_DELETE) |
		       KCACHE_EVENT_BIT(KCACHE_EVENT_EVICT));
}

TEST_F(events, events_of_another_cache_are_not_delivered)
{
	KCACHE_OPTS(opts, .max_size = 2);
	char other[LRUCACHE_NAME_MAX];
	struct kcache *o;

	unique_name(other, "ev-other");
	ASSERT_EQ(0, kcache_open(other, &opts, &o));
	self->r.marker = "mine";
	self->r.marker_type = KCACHE_EVENT_DELETE;
	ASSERT_EQ(0, kcache_add_hook(self->c, &rec_all, &self->r));
	ASSERT_EQ(0, in_child(run_sequence, other, NULL));
	ASSERT_EQ(0, in_child(run_marker, self->name, "mine"));
	ASSERT_EQ(1, pump(self->c, &self->r, WAIT_MS));
	ASSERT_EQ(0, kcache_events_dispatch(self->c));
	EXPECT_EQ(2, self->r.total);
	EXPECT_STREQ(self->name, self->r.ev[0].cache);
	EXPECT_EQ(KCACHE_EVENT_SET, self->r.ev[0].type);
	EXPECT_EQ(KCACHE_EVENT_DELETE, self->r.ev[1].type);
	EXPECT_EQ(2, self->r.last_seq);
	kcache_close(o);
	kcache_destroy(other);
}

TEST_F(events, watch_all_sees_every_cache)
{
	KCACHE_OPTS(opts, .max_size = 2);
	char other[LRUCACHE_NAME_MAX];
	struct kcache *all, *o;
	int mine = 0, theirs = 0;
	int64_t i;

	unique_name(other, "ev-other");
	ASSERT_EQ(0, kcache_open(other, &opts, &o));
	ASSERT_EQ(0, kcache_watch_all(&all));
	EXPECT_STREQ("", kcache_name(all));
	EXPECT_EQ(-EBADF, kcache_fd(all));
	EXPECT_EQ(-EBADF, kcache_set(all, "k", 1, "v", 1, KCACHE_TTL_NONE));
	self->r.marker = "end";
	ASSERT_EQ(0, kcache_add_hook(all, &rec_sets, &self->r));
	ASSERT_EQ(0, in_child(run_marker, self->name, "x"));
	ASSERT_EQ(0, in_child(run_marker, other, "y"));
	ASSERT_EQ(0, in_child(run_marker, self->name, "end"));
	ASSERT_EQ(1, pump(all, &self->r, WAIT_MS));
	/* Other tests' caches may show up too: count ours only. */
	for (i = 0; i < self->r.total && i < REC_MAX; i++) {
		mine += !strcmp(self->r.ev[i].cache, self->name);
		theirs += !strcmp(self->r.ev[i].cache, other);
	}
	EXPECT_EQ(2, mine);
	EXPECT_EQ(1, theirs);
	kcache_close(all);
	kcache_close(o);
	kcache_destroy(other);
}

TEST_F(events, nothing_is_kept_without_a_subscriber)
{
	/* Everything happens before anyone subscribes... */
	ASSERT_EQ(0, in_child(run_sequence, self->name, NULL));
	self->r.marker = "after";
	self->r.marker_type = KCACHE_EVENT_DELETE;
	ASSERT_EQ(0, kcache_add_hook(self->c, &rec_all, &self->r));
	/* ...so the marker's two events are the first and the only. */
	ASSERT_EQ(0, in_child(run_marker, self->name, "after"));
	ASSERT_EQ(1, pump(self->c, &self->r, WAIT_MS));
	ASSERT_EQ(0, kcache_events_dispatch(self->c));
	ASSERT_EQ(2, self->r.total);
	EXPECT_EQ(KCACHE_EVENT_SET, self->r.ev[0].type);
	EXPECT_EQ(1, self->r.ev[0].seq);
	EXPECT_EQ(KCACHE_EVENT_DELETE, self->r.ev[1].type);
	EXPECT_EQ(2, self->r.ev[1].seq);
	EXPECT_EQ(0, self->r.lost);
}

#define FLOOD_OPS	50000
#define FLOOD_KEYS	500

/* FLOOD_OPS sets of FLOOD_KEYS keys; key i % FLOOD_KEYS holds "v<i>". */
static void run_flood(const char *name, void *arg)
{
	struct kcache_item *items;
	char (*keys)[16], (*vals)[16];
	struct kcache *c;
	size_t i, j, n;

	(void)arg;
	items = calloc(LRUCACHE_BATCH_MAX, sizeof(*items));
	keys = calloc(LRUCACHE_BATCH_MAX, sizeof(*keys));
	vals = calloc(LRUCACHE_BATCH_MAX, sizeof(*vals));
	CHILD_CHECK(items && keys && vals);
	CHILD_CHECK(kcache_open(name, NULL, &c) == 0);
	for (i = 0; i < FLOOD_OPS; i += n) {
		n = FLOOD_OPS - i < LRUCACHE_BATCH_MAX ? FLOOD_OPS - i :
							 LRUCACHE_BATCH_MAX;
		for (j = 0; j < n; j++) {
			snprintf(keys[j], sizeof(keys[j]), "k%zu",
				 (i + j) % FLOOD_KEYS);
			snprintf(vals[j], sizeof(vals[j]), "v%zu", i + j);
			items[j] = (struct kcache_item){
				.key = keys[j], .key_len = strlen(keys[j]),
				.value = vals[j], .value_len = strlen(vals[j]),
			};
		}
		CHILD_CHECK(kcache_set_many(c, items, n, KCACHE_TTL_NONE) ==
			    (ssize_t)n);
		for (j = 0; j < n; j++)
			CHILD_CHECK(items[j].status == 0);
	}
	kcache_close(c);
}

TEST_F_TIMEOUT(events, slow_subscriber_is_told_what_it_lost, 300)
{
	KCACHE_OPTS(opts, .max_size = 2 * FLOOD_KEYS);
	char name[LRUCACHE_NAME_MAX], key[16], out[256];
	struct kcache_metrics m;
	struct kcache *c;
	int fd, rcvbuf = 4096, markers = 0, ret;
	int64_t caused;
	size_t i;

	unique_name(name, "ev-flood");
	ASSERT_EQ(0, kcache_open(name, &opts, &c));
	ASSERT_EQ(0, kcache_add_hook(c, &rec_all, &self->r));
	fd = kcache_events_fd(c);
	ASSERT_LE(0, fd);
	/* The smallest buffer the kernel allows: a few messages. */
	ASSERT_EQ(0, setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				sizeof(rcvbuf)));

	/* Not a single read while the other process works. */
	ASSERT_EQ(0, in_child(run_flood, name, NULL));

	/*
	 * Read on, and set markers until one gets through: the kernel may
	 * still be sending its backlog, which can crowd a marker out. Then
	 * one last marker, in quiet: it comes after everything else.
	 */
	do {
		ASSERT_LT(markers, 20);
		snprintf(key, sizeof(key), "marker%d", markers++);
		self->r.marker = key;
		ASSERT_EQ(0, sset(c, key, "m"));
		ret = pump(c, &self->r, 1000);
		ASSERT_LE(0, ret);
	} while (!ret);
	self->r.marker = "last";
	self->r.marker_seen = false;
	ASSERT_EQ(0, sset(c, "last", "m"));
	ASSERT_EQ(1, pump(c, &self->r, WAIT_MS));

	caused = FLOOD_OPS + markers + 1;
	TH_LOG("%lld events caused: %lld delivered, %lld lost in %lld gaps",
	       (long long)caused, (long long)self->r.total,
	       (long long)self->r.lost, (long long)self->r.lost_calls);
	EXPECT_LT(0, self->r.lost);
	EXPECT_LT(0, self->r.lost_calls);
	EXPECT_EQ(caused, self->r.total + self->r.lost);
	EXPECT_EQ(caused, self->r.last_seq);
	EXPECT_EQ(0, self->r.seq_errors);
	EXPECT_EQ(self->r.total, self->r.per_type[KCACHE_EVENT_SET]);

	/* The cache did not suffer: every set is there, with its value. */
	ASSERT_EQ(0, kcache_get_metrics(c, &m));
	EXPECT_EQ((uint64_t)caused, m.sets);
	EXPECT_EQ((uint64_t)FLOOD_KEYS + (uint64_t)markers + 1, m.entries);
	EXPECT_EQ(0U, m.evictions);
	for (i = 0; i < FLOOD_KEYS; i++) {
		char want[16];

		snprintf(key, sizeof(key), "k%zu", i);
		snprintf(want, sizeof(want), "v%zu",
			 FLOOD_OPS - FLOOD_KEYS + i);
		ASSERT_EQ((ssize_t)strlen(want), sget(c, key, out));
		ASSERT_STREQ(want, out);
	}
	kcache_close(c);
	kcache_destroy(name);
}

TEST_F(events, removing_hooks_stops_delivery)
{
	struct recorder sets, dels;

	memset(&sets, 0, sizeof(sets));
	memset(&dels, 0, sizeof(dels));
	dels.marker = "x";
	ASSERT_EQ(0, kcache_add_hook(self->c, &rec_sets, &sets));
	ASSERT_EQ(0, kcache_add_hook(self->c, &rec_deletes, &dels));
	ASSERT_EQ(0, in_child(run_marker, self->name, "x"));
	ASSERT_EQ(1, pump(self->c, &dels, WAIT_MS));
	EXPECT_EQ(1, sets.total);
	EXPECT_EQ(1, dels.total);

	/* Without the set hook the subscription is for deletes only. */
	ASSERT_EQ(0, kcache_remove_hook(self->c, &rec_sets, &sets));
	dels.marker = "y";
	dels.marker_seen = false;
	ASSERT_EQ(0, in_child(run_marker, self->name, "y"));
	ASSERT_EQ(1, pump(self->c, &dels, WAIT_MS));
	EXPECT_EQ(1, sets.total);
	EXPECT_EQ(2, dels.total);
	/*
	 * The renewed subscription goes on numbering from the old one (set
	 * x and delete x were 1 and 2): no gap, so no loss.
	 */
	EXPECT_EQ(3, dels.ev[1].seq);
	EXPECT_EQ(0, dels.lost);

	/* The last hook gone, so is the socket. */
	ASSERT_EQ(0, kcache_remove_hook(self->c, &rec_deletes, &dels));
	EXPECT_EQ(-ENOENT, kcache_events_fd(self->c));
	EXPECT_EQ(-ENOENT, kcache_events_dispatch(self->c));
	EXPECT_EQ(-ENOENT, kcache_remove_hook(self->c, &rec_deletes, &dels));
	ASSERT_EQ(0, in_child(run_marker, self->name, "z"));

	/* A new first hook subscribes anew, and sees only what follows. */
	dels.marker = "w";
	dels.marker_seen = false;
	ASSERT_EQ(0, kcache_add_hook(self->c, &rec_deletes, &dels));
	ASSERT_EQ(0, in_child(run_marker, self->name, "w"));
	ASSERT_EQ(1, pump(self->c, &dels, WAIT_MS));
	EXPECT_EQ(3, dels.total);
	EXPECT_EQ(1, dels.ev[2].seq);
	EXPECT_EQ(1, sets.total);
}

/* In a child that dropped root: may it subscribe to @name? */
static void nobody_subscribes(const char *name, void *arg)
{
	struct kcache *c;
	struct recorder r;
	int *expect = arg;

	memset(&r, 0, sizeof(r));
	/* Bound while still root: nobody may not even open the cache. */
	CHILD_CHECK(kcache_open(name, NULL, &c) == 0);
	CHILD_CHECK(setgroups(0, NULL) == 0);
	CHILD_CHECK(setgid(NOBODY) == 0);
	CHILD_CHECK(setuid(NOBODY) == 0);
	CHILD_CHECK(kcache_add_hook(c, &rec_all, &r) == *expect);
	CHILD_CHECK(kcache_events_fd(c) == -ENOENT);
	kcache_close(c);
}

TEST_F(events, nobody_cannot_watch_a_root_cache)
{
	int expect = -EACCES;

	if (geteuid() != 0)
		SKIP(return, "needs root, to become nobody");
	/* The fixture's cache is root's, mode 0700. */
	ASSERT_EQ(0, in_child(nobody_subscribes, self->name, &expect));
}

/*
 * nobody watches every cache: root's events must not reach it, those of
 * its own cache must. Root's operations come first, then a marker in
 * nobody's cache.
 */
TEST_F(events, watch_all_shows_nobody_only_its_caches)
{
	char theirs[LRUCACHE_NAME_MAX];
	int to_parent[2], to_child[2], status;
	char byte = 0;
	pid_t pid;

	if (geteuid() != 0)
		SKIP(return, "needs root, to become nobody");
	unique_name(theirs, "ev-nobody");
	ASSERT_EQ(0, pipe(to_parent));
	ASSERT_EQ(0, pipe(to_child));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		KCACHE_OPTS(opts, .max_size = 4);
		struct kcache *all, *mine;
		struct recorder r;
		int64_t i;

		memset(&r, 0, sizeof(r));
		CHILD_CHECK(setgroups(0, NULL) == 0);
		CHILD_CHECK(setgid(NOBODY) == 0);
		CHILD_CHECK(setuid(NOBODY) == 0);
		CHILD_CHECK(kcache_open(theirs, &opts, &mine) == 0);
		CHILD_CHECK(kcache_watch_all(&all) == 0);
		CHILD_CHECK(kcache_add_hook(all, &rec_all, &r) == 0);
		CHILD_CHECK(write(to_parent[1], &byte, 1) == 1);
		CHILD_CHECK(read(to_child[0], &byte, 1) == 1);
		r.marker = "nobody-marker";
		r.marker_type = KCACHE_EVENT_DELETE;
		CHILD_CHECK(pump(all, &r, WAIT_MS) == 1);
		CHILD_CHECK(kcache_events_dispatch(all) == 0);
		for (i = 0; i < r.total && i < REC_MAX; i++)
			CHILD_CHECK(!strcmp(r.ev[i].cache, theirs));
		CHILD_CHECK(r.total == 2);
		kcache_close(all);
		kcache_destroy(theirs);
		kcache_close(mine);
		_exit(0);
	}
	ASSERT_EQ(1, read(to_parent[0], &byte, 1));
	/* Root's cache first: these must not reach nobody. */
	ASSERT_EQ(0, in_child(run_sequence, self->name, NULL));
	ASSERT_EQ(0, in_child(run_marker, theirs, "nobody-marker"));
	ASSERT_EQ(1, write(to_child[1], &byte, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	kcache_destroy(theirs);
}

TEST_F(events, hook_api_refuses_bad_calls)
{
	static const struct kcache_hook_ops only_lost = {
		.on_lost = rec_lost,
	};
	struct kcache_hook_ops reserved = rec_all;
	int fd, fl;

	reserved.reserved[0] = (void (*)(void))rec_event;
	EXPECT_EQ(-EINVAL, kcache_add_hook(NULL, &rec_all, &self->r));
	EXPECT_EQ(-EINVAL, kcache_add_hook(self->c, NULL, &self->r));
	EXPECT_EQ(-EINVAL, kcache_add_hook(self->c, &only_lost, &self->r));
	EXPECT_EQ(-EINVAL, kcache_add_hook(self->c, &reserved, &self->r));
	EXPECT_EQ(-EINVAL, kcache_remove_hook(NULL, &rec_all, &self->r));
	EXPECT_EQ(-EINVAL, kcache_events_fd(NULL));
	EXPECT_EQ(-EINVAL, kcache_events_dispatch(NULL));
	EXPECT_EQ(-ENOENT, kcache_events_fd(self->c));
	EXPECT_EQ(-ENOENT, kcache_events_dispatch(self->c));
	EXPECT_EQ(-ENOENT, kcache_remove_hook(self->c, &rec_all, &self->r));

	ASSERT_EQ(0, kcache_add_hook(self->c, &rec_all, &self->r));
	EXPECT_EQ(-EEXIST, kcache_add_hook(self->c, &rec_all, &self->r));
	/* Another argument makes another hook. */
	EXPECT_EQ(0, kcache_add_hook(self->c, &rec_all, NULL));
	EXPECT_EQ(-ENOENT, kcache_remove_hook(self->c, &rec_sets, &self->r));
	fd = kcache_events_fd(self->c);
	ASSERT_LE(0, fd);
	fl = fcntl(fd, F_GETFL);
	EXPECT_TRUE(fl >= 0 && (fl & O_NONBLOCK));
	fl = fcntl(fd, F_GETFD);
	EXPECT_TRUE(fl >= 0 && (fl & FD_CLOEXEC));
	/* Nothing happened: nothing to read, and no waiting. */
	EXPECT_EQ(0, kcache_events_dispatch(self->c));
	EXPECT_EQ(0, kcache_remove_hook(self->c, &rec_all, NULL));
	EXPECT_EQ(0, kcache_remove_hook(self->c, &rec_all, &self->r));
}

TEST_F(events, hooks_cannot_reenter_their_handle)
{
	self->r.marker = "x";
	self->r.reenter = self->c;
	ASSERT_EQ(0, kcache_add_hook(self->c, &rec_all, &self->r));
	ASSERT_EQ(0, in_child(run_marker, self->name, "x"));
	ASSERT_EQ(1, pump(self->c, &self->r, WAIT_MS));
	EXPECT_EQ(-EBUSY, self->r.reenter_ret[0]);
	EXPECT_EQ(-EBUSY, self->r.reenter_ret[1]);
	EXPECT_EQ(-EBUSY, self->r.reenter_ret[2]);
	EXPECT_EQ(-EBUSY, self->r.reenter_ret[3]);
	/* And the handle is fine afterwards. */
	self->r.reenter = NULL;
	EXPECT_EQ(0, kcache_remove_hook(self->c, &rec_all, &self->r));
}

TEST_F(events, logging_hook_writes_one_line_per_event)
{
	static const char *const want[] = {
		"evict key=\"b\" key_len=1 value_len=2 age_s=",
		"delete key=\"a\" key_len=1 value_len=1 age_s=",
		"evict key=\"c\" key_len=1 value_len=3 age_s=",
		"evict key=0x006bff key_len=3 value_len=0 age_s=",
		"expire key=\"t\" key_len=1 value_len=5 age_s=",
		"delete key=\"marker\" key_len=6 value_len=1 age_s=",
	};
	FILE *f = tmpfile();
	KCACHE_LOGGING_OPTS(log, .stream = f, .level = LOG_INFO);
	KCACHE_LOGGING_OPTS(bad, .stream = f, .flags = 1);
	char line[512], prefix[128];
	size_t n = 0;

	ASSERT_NE(NULL, f);
	EXPECT_EQ(-EINVAL, kcache_add_hook(self->c, &kcache_logging_hook,
					   &bad));
	bad.flags = 0;
	bad.level = 99;
	EXPECT_EQ(-EINVAL, kcache_add_hook(self->c, &kcache_logging_hook,
					   &bad));
	/* Only hits at LOG_INFO: nothing to log, nothing to subscribe to. */
	bad.level = LOG_INFO;
	bad.events = KCACHE_EVENT_BIT(KCACHE_EVENT_HIT);
	EXPECT_EQ(-EINVAL, kcache_add_hook(self->c, &kcache_logging_hook,
					   &bad));

	self->r.marker = "marker";
	ASSERT_EQ(0, kcache_add_hook(self->c, &kcache_logging_hook, &log));
	ASSERT_EQ(0, kcache_add_hook(self->c, &rec_deletes, &self->r));
	ASSERT_EQ(0, in_child(run_sequence, self->name, NULL));
	ASSERT_EQ(1, pump(self->c, &self->r, WAIT_MS));
	/*
	 * LOG_INFO leaves hits, misses and sets out of the subscription:
	 * the marker's delete is the sixth event the kernel numbered.
	 */
	EXPECT_EQ(6, self->r.last_seq);
	ASSERT_EQ(0, kcache_remove_hook(self->c, &kcache_logging_hook, &log));

	snprintf(prefix, sizeof(prefix), " lrucache: %s ", self->name);
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		char *text = strstr(line, prefix);

		ASSERT_LT(n, sizeof(want) / sizeof(want[0])) {
			TH_LOG("extra line: %s", line);
		}
		/* 2024-01-02T03:04:05.678Z */
		EXPECT_EQ(24, text ? text - line : -1) {
			TH_LOG("line: %s", line);
		}
		if (text) {
			text += strlen(prefix);
			EXPECT_EQ(0, strncmp(text, want[n], strlen(want[n]))) {
				TH_LOG("line %zu: %s", n, text);
			}
		}
		n++;
	}
	EXPECT_EQ(sizeof(want) / sizeof(want[0]), n);
	fclose(f);
}

TEST(event_format_describes_an_event)
{
	char buf[256], small[12];
	struct kcache_event ev = {
		.cache = "sessions", .type = KCACHE_EVENT_EVICT,
		.key = "us\"er\\1", .key_len = 7, .key_hash = 0xabc,
		.value_len = 15, .age_s = 42, .seq = 7,
	};
	const char *text = "sessions evict key=\"us\\\"er\\\\1\" key_len=7 "
			   "value_len=15 age_s=42 seq=7";

	EXPECT_EQ((int)strlen(text), kcache_event_format(&ev, buf,
							 sizeof(buf)));
	EXPECT_STREQ(text, buf);
	/* Truncated as snprintf() truncates. */
	EXPECT_EQ((int)strlen(text), kcache_event_format(&ev, small,
							 sizeof(small)));
	EXPECT_STREQ("sessions ev", small);
	EXPECT_EQ((int)strlen(text), kcache_event_format(&ev, NULL, 0));

	ev.type = KCACHE_EVENT_MISS;
	ev.key = "\x01\xfe";
	ev.key_len = 2;
	ev.value_len = 0;
	ev.age_s = -1;
	kcache_event_format(&ev, buf, sizeof(buf));
	EXPECT_STREQ("sessions miss key=0x01fe key_len=2 value_len=0 seq=7",
		     buf);

	ev.type = KCACHE_EVENT_SET;
	ev.key = NULL;
	ev.key_len = 100;
	ev.age_s = 0;
	kcache_event_format(&ev, buf, sizeof(buf));
	EXPECT_STREQ("sessions set key_hash=00000abc key_len=100 value_len=0 "
		     "age_s=0 seq=7", buf);

	EXPECT_EQ(-EINVAL, kcache_event_format(NULL, buf, sizeof(buf)));
	EXPECT_EQ(-EINVAL, kcache_event_format(&ev, NULL, 1));
	EXPECT_STREQ("hit", kcache_event_type_name(KCACHE_EVENT_HIT));
	EXPECT_STREQ("reclaim", kcache_event_type_name(KCACHE_EVENT_RECLAIM));
	EXPECT_STREQ("unknown", kcache_event_type_name(0));
	EXPECT_STREQ("unknown", kcache_event_type_name(KCACHE_EVENT_MAX + 1));
}

TEST_HARNESS_MAIN
