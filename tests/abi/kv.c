// SPDX-License-Identifier: GPL-2.0
/*
 * Key-value round trips through the raw ioctls: SET, GET, EXISTS, DELETE
 * and CLEAR with binary keys and values, replacement, NX/XX, and how GET
 * treats buffers that are too small.
 */
#include "kselftest_harness.h"
#include "abi.h"

FIXTURE(kv) {
	int fd;
	char name[LRUCACHE_NAME_MAX];
};

FIXTURE_SETUP(kv)
{
	self->fd = -1;
	unique_name(self->name, "kv");
	self->fd = cache_create(self->name, 0, 0, 0);
	ASSERT_LE(0, self->fd) {
		TH_LOG("cannot create cache %s: %s", self->name,
		       strerror(-self->fd));
	}
}

FIXTURE_TEARDOWN(kv)
{
	if (self->fd >= 0)
		close(self->fd);
	cache_destroy(self->name);
}

TEST_F(kv, set_then_get_returns_value)
{
	char out[256];

	ASSERT_EQ(0, str_set(self->fd, "hello", "world"));
	ASSERT_EQ(5, str_get(self->fd, "hello", out));
	ASSERT_STREQ("world", out);
}

TEST_F(kv, get_absent_key_is_enoent)
{
	char out[256];

	ASSERT_EQ(-ENOENT, str_get(self->fd, "nothing-here", out));
}

TEST_F(kv, every_single_byte_key_is_distinct)
{
	unsigned char key, val[2], out[2];
	uint32_t len;
	int b;

	for (b = 0; b < 256; b++) {
		key = (unsigned char)b;
		val[0] = (unsigned char)b;
		val[1] = (unsigned char)~b;
		ASSERT_EQ(0, kv_set(self->fd, &key, 1, val, 2,
				    LRUCACHE_TTL_NONE, 0));
	}
	for (b = 0; b < 256; b++) {
		key = (unsigned char)b;
		len = sizeof(out);
		ASSERT_EQ(2, kv_get(self->fd, &key, 1, out, &len));
		ASSERT_EQ(2U, len);
		ASSERT_EQ(b, out[0]);
		ASSERT_EQ((unsigned char)~b, out[1]);
	}
}

TEST_F(kv, value_with_all_byte_values_round_trips)
{
	unsigned char val[256], out[300];
	static const char key[] = "bytes";
	uint32_t len = sizeof(out);
	int i;

	for (i = 0; i < 256; i++)
		val[i] = (unsigned char)i;
	ASSERT_EQ(0, kv_set(self->fd, key, sizeof(key) - 1, val, sizeof(val),
			    LRUCACHE_TTL_NONE, 0));
	memset(out, 0x5a, sizeof(out));
	ASSERT_EQ(256, kv_get(self->fd, key, sizeof(key) - 1, out, &len));
	ASSERT_EQ(256U, len);
	ASSERT_EQ(0, memcmp(val, out, sizeof(val)));
	/* Nothing beyond the value was written. */
	ASSERT_EQ(0U, bytes_not(out + 256, sizeof(out) - 256, 0x5a));
}

TEST_F(kv, keys_with_embedded_nuls_are_compared_in_full)
{
	const char k1[] = { 'a', 0, 'b' }, k2[] = { 'a', 0, 'c' };
	const char k3[] = { 'a', 0 }, k4[] = { 'a' };
	char out[8];
	uint32_t len;

	ASSERT_EQ(0, kv_set(self->fd, k1, 3, "1", 1, LRUCACHE_TTL_NONE, 0));
	ASSERT_EQ(0, kv_set(self->fd, k2, 3, "2", 1, LRUCACHE_TTL_NONE, 0));
	ASSERT_EQ(0, kv_set(self->fd, k3, 2, "3", 1, LRUCACHE_TTL_NONE, 0));
	ASSERT_EQ(0, kv_set(self->fd, k4, 1, "4", 1, LRUCACHE_TTL_NONE, 0));

	len = sizeof(out);
	ASSERT_EQ(1, kv_get(self->fd, k1, 3, out, &len));
	ASSERT_EQ('1', out[0]);
	len = sizeof(out);
	ASSERT_EQ(1, kv_get(self->fd, k2, 3, out, &len));
	ASSERT_EQ('2', out[0]);
	len = sizeof(out);
	ASSERT_EQ(1, kv_get(self->fd, k3, 2, out, &len));
	ASSERT_EQ('3', out[0]);
	len = sizeof(out);
	ASSERT_EQ(1, kv_get(self->fd, k4, 1, out, &len));
	ASSERT_EQ('4', out[0]);
}

TEST_F(kv, value_with_embedded_nuls_round_trips)
{
	const char val[] = { 0, 'x', 0, 0, 'y', 0 };
	char out[16];
	uint32_t len = sizeof(out);

	ASSERT_EQ(0, kv_set(self->fd, "k", 1, val, sizeof(val),
			    LRUCACHE_TTL_NONE, 0));
	ASSERT_EQ((int)sizeof(val), kv_get(self->fd, "k", 1, out, &len));
	ASSERT_EQ(sizeof(val), len);
	ASSERT_EQ(0, memcmp(val, out, sizeof(val)));
}

TEST_F(kv, empty_value_is_a_hit_of_length_zero)
{
	struct lrucache_stats st;
	char out[8] = "pattern";
	uint32_t len = sizeof(out);

	ASSERT_EQ(0, kv_set(self->fd, "empty", 5, out, 0,
			    LRUCACHE_TTL_NONE, 0));
	ASSERT_EQ(1, str_exists(self->fd, "empty"));
	ASSERT_EQ(0, kv_get(self->fd, "empty", 5, out, &len));
	ASSERT_EQ(0U, len);
	ASSERT_STREQ("pattern", out);
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(1U, st.hits);
	ASSERT_EQ(0U, st.misses);
}

TEST_F(kv, empty_value_with_null_pointer_is_accepted)
{
	uint32_t len = 0;

	ASSERT_EQ(0, kv_set(self->fd, "empty", 5, NULL, 0,
			    LRUCACHE_TTL_NONE, 0));
	ASSERT_EQ(0, kv_get(self->fd, "empty", 5, NULL, &len));
	ASSERT_EQ(0U, len);
}

TEST_F(kv, replace_overwrites_value_and_length)
{
	struct lrucache_stats st;
	char out[256];

	ASSERT_EQ(0, str_set(self->fd, "k", "first"));
	ASSERT_EQ(0, str_set(self->fd, "k", "a much longer second value"));
	ASSERT_EQ(26, str_get(self->fd, "k", out));
	ASSERT_STREQ("a much longer second value", out);
	ASSERT_EQ(0, str_set(self->fd, "k", "3rd"));
	ASSERT_EQ(3, str_get(self->fd, "k", out));
	ASSERT_STREQ("3rd", out);

	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(1U, st.entries);
	ASSERT_EQ(3U, st.sets);
	ASSERT_EQ(entry_charge(st.entry_overhead, 1, 3), st.bytes);
}

TEST_F(kv, delete_removes_key_once)
{
	char out[256];

	ASSERT_EQ(0, str_set(self->fd, "k", "v"));
	ASSERT_EQ(0, kv_delete(self->fd, "k", 1));
	ASSERT_EQ(-ENOENT, str_get(self->fd, "k", out));
	ASSERT_EQ(-ENOENT, kv_delete(self->fd, "k", 1));
}

TEST_F(kv, delete_leaves_other_keys)
{
	char out[256];

	ASSERT_EQ(0, str_set(self->fd, "a", "1"));
	ASSERT_EQ(0, str_set(self->fd, "b", "2"));
	ASSERT_EQ(0, kv_delete(self->fd, "a", 1));
	ASSERT_EQ(1, str_get(self->fd, "b", out));
	ASSERT_STREQ("2", out);
}

TEST_F(kv, exists_follows_set_and_delete)
{
	ASSERT_EQ(0, str_exists(self->fd, "k"));
	ASSERT_EQ(0, str_set(self->fd, "k", "v"));
	ASSERT_EQ(1, str_exists(self->fd, "k"));
	ASSERT_EQ(0, kv_delete(self->fd, "k", 1));
	ASSERT_EQ(0, str_exists(self->fd, "k"));
}

TEST_F(kv, clear_removes_everything_without_counting)
{
	struct lrucache_stats st;
	char key[16];
	int i;

	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "key%d", i);
		ASSERT_EQ(0, str_set(self->fd, key, "value"));
	}
	ASSERT_EQ(0, cache_clear(self->fd));
	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "key%d", i);
		ASSERT_EQ(0, str_exists(self->fd, key));
	}
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(0U, st.entries);
	ASSERT_EQ(0U, st.bytes);
	ASSERT_EQ(10U, st.sets);
	ASSERT_EQ(0U, st.deletes);
	ASSERT_EQ(0U, st.evictions);
	/* The cache is still usable. */
	ASSERT_EQ(0, str_set(self->fd, "after", "clear"));
	ASSERT_EQ(1, str_exists(self->fd, "after"));
}

TEST_F(kv, clear_of_empty_cache_succeeds)
{
	ASSERT_EQ(0, cache_clear(self->fd));
	ASSERT_EQ(0, cache_clear(self->fd));
}

TEST_F(kv, get_size_probe_returns_length_and_counts_hit)
{
	struct lrucache_stats st;
	uint32_t len = 0;

	ASSERT_EQ(0, str_set(self->fd, "k", "0123456789"));
	ASSERT_EQ(10, kv_get(self->fd, "k", 1, NULL, &len));
	ASSERT_EQ(10U, len);
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(1U, st.hits);
}

TEST_F(kv, get_into_short_buffer_copies_nothing)
{
	unsigned char val[100], buf[64];
	uint32_t len = 10;
	int i;

	for (i = 0; i < 100; i++)
		val[i] = (unsigned char)(i + 1);
	ASSERT_EQ(0, kv_set(self->fd, "k", 1, val, sizeof(val),
			    LRUCACHE_TTL_NONE, 0));
	memset(buf, 0xa5, sizeof(buf));
	ASSERT_EQ(100, kv_get(self->fd, "k", 1, buf, &len));
	ASSERT_EQ(100U, len);
	ASSERT_EQ(0U, bytes_not(buf, sizeof(buf), 0xa5));

	/* One byte short is still too short. */
	len = 99;
	ASSERT_EQ(100, kv_get(self->fd, "k", 1, buf, &len));
	ASSERT_EQ(0U, bytes_not(buf, sizeof(buf), 0xa5));
}

TEST_F(kv, get_into_exact_buffer_copies_value)
{
	char buf[5];
	uint32_t len = sizeof(buf);

	ASSERT_EQ(0, str_set(self->fd, "k", "12345"));
	ASSERT_EQ(5, kv_get(self->fd, "k", 1, buf, &len));
	ASSERT_EQ(5U, len);
	ASSERT_EQ(0, memcmp(buf, "12345", 5));
}

/*
 * A buffer whose pages were never touched is not mapped yet: the copy out
 * must take the page faults (the kernel first tries without, under RCU),
 * for a small value and a large one alike, and count one hit each.
 */
TEST_F(kv, get_into_untouched_pages_copies_value)
{
	static const uint32_t sizes[] = { 64, 3000 };
	long pg = sysconf(_SC_PAGESIZE);
	struct lrucache_stats st;
	char val[3000], *buf;
	uint32_t len;
	unsigned int i;

	memset(val, 'u', sizeof(val));
	for (i = 0; i < 2; i++) {
		buf = mmap(NULL, pg, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, buf);
		ASSERT_EQ(0, kv_set(self->fd, "k", 1, val, sizes[i],
				    LRUCACHE_TTL_NONE, 0));
		len = sizes[i];
		ASSERT_EQ((int)sizes[i], kv_get(self->fd, "k", 1, buf, &len));
		EXPECT_EQ(sizes[i], len);
		EXPECT_EQ(0U, bytes_not(buf, sizes[i], 'u'));
		munmap(buf, pg);
	}
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	EXPECT_EQ(2U, st.hits);
}

TEST_F(kv, set_nx_inserts_only_absent_keys)
{
	char out[256];

	ASSERT_EQ(0, kv_set(self->fd, "k", 1, "one", 3, LRUCACHE_TTL_NONE,
			    LRUCACHE_SET_NX));
	ASSERT_EQ(-EEXIST, kv_set(self->fd, "k", 1, "two", 3,
				  LRUCACHE_TTL_NONE, LRUCACHE_SET_NX));
	ASSERT_EQ(3, str_get(self->fd, "k", out));
	ASSERT_STREQ("one", out);
}

TEST_F(kv, set_xx_replaces_only_present_keys)
{
	char out[256];

	ASSERT_EQ(-ENOENT, kv_set(self->fd, "k", 1, "one", 3,
				  LRUCACHE_TTL_NONE, LRUCACHE_SET_XX));
	ASSERT_EQ(0, str_exists(self->fd, "k"));
	ASSERT_EQ(0, str_set(self->fd, "k", "one"));
	ASSERT_EQ(0, kv_set(self->fd, "k", 1, "two", 3, LRUCACHE_TTL_NONE,
			    LRUCACHE_SET_XX));
	ASSERT_EQ(3, str_get(self->fd, "k", out));
	ASSERT_STREQ("two", out);
}

TEST_F(kv, failed_nx_and_xx_do_not_count_as_sets)
{
	struct lrucache_stats st;

	ASSERT_EQ(-ENOENT, kv_set(self->fd, "k", 1, "v", 1,
				  LRUCACHE_TTL_NONE, LRUCACHE_SET_XX));
	ASSERT_EQ(0, str_set(self->fd, "k", "v"));
	ASSERT_EQ(-EEXIST, kv_set(self->fd, "k", 1, "v", 1,
				  LRUCACHE_TTL_NONE, LRUCACHE_SET_NX));
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(1U, st.sets);
	ASSERT_EQ(1U, st.entries);
}

TEST_F(kv, longest_key_is_accepted)
{
	uint64_t max = module_param("max_key_len", DEFAULT_MAX_KEY_LEN);
	char *key = malloc(max);
	uint32_t len = 0;

	ASSERT_NE(NULL, key);
	memset(key, 'k', max);
	key[max - 1] = 'x';
	ASSERT_EQ(0, kv_set(self->fd, key, max, "v", 1, LRUCACHE_TTL_NONE, 0));
	ASSERT_EQ(1, kv_exists(self->fd, key, max));
	/* The same key one byte shorter is another key. */
	ASSERT_EQ(0, kv_exists(self->fd, key, max - 1));
	ASSERT_EQ(1, kv_get(self->fd, key, max, NULL, &len));
	free(key);
}

TEST_F(kv, longest_value_round_trips)
{
	uint64_t max = module_param("max_value_len", DEFAULT_MAX_VALUE_LEN);
	unsigned char *val = malloc(max), *out = malloc(max);
	uint32_t len = max;
	uint64_t i;

	ASSERT_NE(NULL, val);
	ASSERT_NE(NULL, out);
	for (i = 0; i < max; i++)
		val[i] = (unsigned char)(i * 7 + (i >> 8));
	ASSERT_EQ(0, kv_set(self->fd, "big", 3, val, max,
			    LRUCACHE_TTL_NONE, 0));
	ASSERT_EQ((int)max, kv_get(self->fd, "big", 3, out, &len));
	ASSERT_EQ(max, len);
	ASSERT_EQ(0, memcmp(val, out, max));
	free(val);
	free(out);
}

TEST_HARNESS_MAIN
