// SPDX-License-Identifier: GPL-2.0
/*
 * Time to live through the raw ioctls. Expiry is checked on access: an
 * entry is expired once now >= set time + ttl. The tests never depend on
 * exact timing: they poll with a bounded loop until the entry is gone and
 * check only that it did not go before its TTL, measured with
 * CLOCK_BOOTTIME from before the set.
 */
#include "kselftest_harness.h"
#include "abi.h"

#define TTL_MS		1500
#define POLL_MS		50
#define POLL_LIMIT_MS	20000
/* Per-test timeout: the poll limit plus room for a slow (emulated) VM. */
#define TIMEOUT_S	60

FIXTURE(ttl) {
	int fd;
	char name[LRUCACHE_NAME_MAX];
};

FIXTURE_SETUP(ttl)
{
	self->fd = -1;
	unique_name(self->name, "ttl");
}

FIXTURE_TEARDOWN(ttl)
{
	if (self->fd >= 0)
		close(self->fd);
	cache_destroy(self->name);
}

#define CREATE(default_ttl_ms) do {					\
	self->fd = cache_create(self->name, 0, 0, (default_ttl_ms));	\
	ASSERT_LE(0, self->fd) {					\
		TH_LOG("cannot create %s: %s", self->name,		\
		       strerror(-self->fd));				\
	}								\
} while (0)

/*
 * GET @key every POLL_MS until it misses. Returns the CLOCK_BOOTTIME reading
 * taken right after the missing GET, or 0 if it still hit after
 * POLL_LIMIT_MS or GET failed otherwise (*err then holds its result).
 */
static uint64_t poll_until_get_misses(int fd, const char *key, int *err)
{
	uint64_t start = boottime_ms();
	uint32_t len;
	char buf[64];

	for (;;) {
		len = sizeof(buf);
		*err = kv_get(fd, key, strlen(key), buf, &len);
		if (*err == -ENOENT)
			return boottime_ms();
		if (*err < 0 || boottime_ms() - start > POLL_LIMIT_MS)
			return 0;
		sleep_ms(POLL_MS);
	}
}

/* As above, with EXISTS (which must not touch the counters). */
static uint64_t poll_until_absent(int fd, const char *key, int *err)
{
	uint64_t start = boottime_ms();

	for (;;) {
		*err = str_exists(fd, key);
		if (*err == 0)
			return boottime_ms();
		if (*err < 0 || boottime_ms() - start > POLL_LIMIT_MS)
			return 0;
		sleep_ms(POLL_MS);
	}
}

TEST_F_TIMEOUT(ttl, get_expired_is_miss, TIMEOUT_S)
{
	struct lrucache_stats st;
	uint64_t t0, gone;
	char out[256];
	int err;

	CREATE(0);
	t0 = boottime_ms();
	ASSERT_EQ(0, kv_set(self->fd, "k", 1, "v", 1, TTL_MS, 0));
	ASSERT_EQ(1, str_get(self->fd, "k", out));

	/* The polling GETs are hits: they must not extend the TTL. */
	gone = poll_until_get_misses(self->fd, "k", &err);
	ASSERT_NE(0U, gone) {
		TH_LOG("entry with a %d ms TTL still there after %d ms (%d)",
		       TTL_MS, POLL_LIMIT_MS, err);
	}
	ASSERT_LE(t0 + TTL_MS, gone) {
		TH_LOG("expired after %llu ms, TTL %d ms",
		       (unsigned long long)(gone - t0), TTL_MS);
	}

	/* The expired entry was freed and counted once. */
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(0U, st.entries);
	ASSERT_EQ(0U, st.bytes);
	ASSERT_EQ(1U, st.expirations);
	ASSERT_EQ(1U, st.misses);
	ASSERT_LE(1U, st.hits);
	ASSERT_EQ(-ENOENT, str_get(self->fd, "k", out));
	ASSERT_EQ(0, str_exists(self->fd, "k"));
}

TEST_F_TIMEOUT(ttl, exists_on_expired_is_false_and_counts_nothing, TIMEOUT_S)
{
	struct lrucache_stats st;
	uint64_t t0, gone;
	char out[256];
	int err;

	CREATE(0);
	t0 = boottime_ms();
	ASSERT_EQ(0, kv_set(self->fd, "k", 1, "v", 1, TTL_MS, 0));
	ASSERT_EQ(1, str_exists(self->fd, "k"));
	gone = poll_until_absent(self->fd, "k", &err);
	ASSERT_NE(0U, gone) {
		TH_LOG("EXISTS still true after %d ms (%d)", POLL_LIMIT_MS, err);
	}
	ASSERT_LE(t0 + TTL_MS, gone);

	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(0U, st.hits);
	ASSERT_EQ(0U, st.misses);
	ASSERT_EQ(-ENOENT, str_get(self->fd, "k", out));
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(1U, st.misses);
	ASSERT_EQ(0U, st.entries);
}

TEST_F_TIMEOUT(ttl, default_ttl_applies_only_to_ttl_default, TIMEOUT_S)
{
	struct lrucache_stats st;
	uint64_t t0, gone;
	char out[256];
	int err;

	CREATE(TTL_MS);
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ((uint64_t)TTL_MS, st.default_ttl_ms);

	t0 = boottime_ms();
	ASSERT_EQ(0, kv_set(self->fd, "dflt", 4, "v", 1,
			    LRUCACHE_TTL_DEFAULT, 0));
	ASSERT_EQ(0, kv_set(self->fd, "none", 4, "v", 1,
			    LRUCACHE_TTL_NONE, 0));
	ASSERT_EQ(0, kv_set(self->fd, "long", 4, "v", 1,
			    3600 * 1000, 0));
	gone = poll_until_get_misses(self->fd, "dflt", &err);
	ASSERT_NE(0U, gone);
	ASSERT_LE(t0 + TTL_MS, gone);
	ASSERT_EQ(1, str_get(self->fd, "none", out));
	ASSERT_EQ(1, str_get(self->fd, "long", out));
}

TEST_F_TIMEOUT(ttl, explicit_ttl_overrides_cache_default, TIMEOUT_S)
{
	uint64_t t0, gone;
	char out[256];
	int err;

	CREATE(3600 * 1000);
	t0 = boottime_ms();
	ASSERT_EQ(0, kv_set(self->fd, "short", 5, "v", 1, TTL_MS, 0));
	ASSERT_EQ(0, str_set(self->fd, "dflt", "v"));
	gone = poll_until_get_misses(self->fd, "short", &err);
	ASSERT_NE(0U, gone);
	ASSERT_LE(t0 + TTL_MS, gone);
	ASSERT_EQ(1, str_get(self->fd, "dflt", out));
}

TEST_F_TIMEOUT(ttl, no_default_ttl_means_no_expiry, TIMEOUT_S)
{
	uint64_t gone;
	char out[256];
	int err;

	CREATE(0);
	ASSERT_EQ(0, str_set(self->fd, "dflt", "v"));
	ASSERT_EQ(0, kv_set(self->fd, "short", 5, "v", 1, TTL_MS, 0));
	gone = poll_until_get_misses(self->fd, "short", &err);
	ASSERT_NE(0U, gone);
	ASSERT_EQ(1, str_get(self->fd, "dflt", out));
}

TEST_F_TIMEOUT(ttl, replace_sets_new_ttl, TIMEOUT_S)
{
	uint64_t t0, gone;
	char out[256];
	int err;

	CREATE(0);
	/* A short TTL replaced by none: the entry outlives the short one. */
	ASSERT_EQ(0, kv_set(self->fd, "k", 1, "old", 3, TTL_MS, 0));
	ASSERT_EQ(0, kv_set(self->fd, "k", 1, "new", 3, LRUCACHE_TTL_NONE, 0));
	/* A probe with the same short TTL, set after k's first set. */
	ASSERT_EQ(0, kv_set(self->fd, "probe", 5, "v", 1, TTL_MS, 0));
	gone = poll_until_get_misses(self->fd, "probe", &err);
	ASSERT_NE(0U, gone);
	ASSERT_EQ(3, str_get(self->fd, "k", out));
	ASSERT_STREQ("new", out);

	/* No TTL replaced by a short one: the entry now expires. */
	t0 = boottime_ms();
	ASSERT_EQ(0, kv_set(self->fd, "k", 1, "short", 5, TTL_MS, 0));
	gone = poll_until_get_misses(self->fd, "k", &err);
	ASSERT_NE(0U, gone);
	ASSERT_LE(t0 + TTL_MS, gone);
}

TEST_F(ttl, largest_ttl_is_accepted)
{
	CREATE(LRUCACHE_TTL_MAX_MS);
	ASSERT_EQ(0, kv_set(self->fd, "k", 1, "v", 1, LRUCACHE_TTL_MAX_MS, 0));
	ASSERT_EQ(1, str_exists(self->fd, "k"));
	ASSERT_EQ(0, str_set(self->fd, "d", "v"));
	ASSERT_EQ(1, str_exists(self->fd, "d"));
}

TEST_F(ttl, one_ms_ttl_expires)
{
	char out[256];
	int tries;

	CREATE(0);
	ASSERT_EQ(0, kv_set(self->fd, "k", 1, "v", 1, 1, 0));
	/* 1 ms later at the latest it is gone; allow a few slow ticks. */
	for (tries = 0; tries < 100; tries++) {
		sleep_ms(10);
		if (str_get(self->fd, "k", out) == -ENOENT)
			break;
	}
	ASSERT_GT(100, tries);
}

TEST_HARNESS_MAIN
