// SPDX-License-Identifier: GPL-2.0
/*
 * LRUCACHE_IOC_INFO, LRUCACHE_IOC_HEALTH and LRUCACHE_IOC_RESET_STATS as
 * raw ioctls: binding, destroyed caches, fully initialised output, and the
 * extensible-structure rules (a larger result structure gets a zeroed
 * tail, one smaller than version 0 is -EINVAL).
 */
#include "kselftest_harness.h"
#include "abi.h"

struct info_next {
	struct lrucache_info info;
	uint64_t extra[3];
};

struct health_next {
	struct lrucache_health h;
	uint64_t extra[2];
};

#define IOC_INFO_NEXT	_IOC(_IOC_READ, LRUCACHE_IOC_MAGIC, 0x4b, \
			     sizeof(struct info_next))
#define IOC_HEALTH_NEXT	_IOC(_IOC_READ, LRUCACHE_IOC_MAGIC, 0x4a, \
			     sizeof(struct health_next))
/* Version 0 cut short by one field. */
#define IOC_INFO_SHORT	_IOC(_IOC_READ, LRUCACHE_IOC_MAGIC, 0x4b, \
			     LRUCACHE_INFO_SIZE_VER0 - 8)
#define IOC_HEALTH_SHORT _IOC(_IOC_READ, LRUCACHE_IOC_MAGIC, 0x4a, \
			      LRUCACHE_HEALTH_SIZE_VER0 - 4)

static int reset_stats(int fd)
{
	int ret = ioctl(fd, LRUCACHE_IOC_RESET_STATS);

	return ret < 0 ? -errno : ret;
}

FIXTURE(info) {
	int fd;
	char name[LRUCACHE_NAME_MAX];
};

FIXTURE_SETUP(info)
{
	self->fd = -1;
	unique_name(self->name, "info");
	self->fd = cache_create(self->name, 11, 1 << 20, 5000);
	ASSERT_LE(0, self->fd) {
		TH_LOG("cannot create cache %s: %s", self->name,
		       strerror(-self->fd));
	}
}

FIXTURE_TEARDOWN(info)
{
	if (self->fd >= 0)
		close(self->fd);
	cache_destroy(self->name);
}

TEST(unbound_fd_is_ebadfd)
{
	struct lrucache_info info;
	struct lrucache_health h;
	int fd = dev_open();

	ASSERT_LE(0, fd);
	memset(&info, 0xa5, sizeof(info));
	memset(&h, 0xa5, sizeof(h));
	EXPECT_EQ(-EBADFD, xioctl(fd, LRUCACHE_IOC_INFO, &info));
	EXPECT_EQ(-EBADFD, xioctl(fd, LRUCACHE_IOC_HEALTH, &h));
	EXPECT_EQ(-EBADFD, reset_stats(fd));
	/* Nothing written on failure. */
	EXPECT_EQ(0U, bytes_not(&info, sizeof(info), 0xa5));
	EXPECT_EQ(0U, bytes_not(&h, sizeof(h), 0xa5));
	close(fd);
}

TEST_F(info, info_is_fully_initialised)
{
	struct lrucache_info info;
	size_t len = strlen(self->name);

	memset(&info, 0xa5, sizeof(info));
	ASSERT_EQ(0, xioctl(self->fd, LRUCACHE_IOC_INFO, &info));
	EXPECT_STREQ(self->name, info.name);
	EXPECT_EQ(0U, bytes_not(info.name + len, sizeof(info.name) - len, 0));
	EXPECT_EQ(11U, info.max_entries);
	EXPECT_EQ(1U << 20, info.max_bytes);
	EXPECT_EQ(5000U, info.default_ttl_ms);
	EXPECT_LT(0U, info.entry_overhead);
	EXPECT_LT(0U, info.created_ns);
	EXPECT_EQ((uint32_t)geteuid(), info.owner_uid);
	EXPECT_EQ((uint32_t)getegid(), info.owner_gid);
	EXPECT_EQ((uint32_t)LRUCACHE_INFO_METRICS, info.flags);
	EXPECT_EQ((unsigned int)LRUCACHE_MODE_DEFAULT, info.mode);
}

TEST_F(info, info_matches_stats)
{
	struct lrucache_info info;
	struct lrucache_stats st;

	ASSERT_EQ(0, xioctl(self->fd, LRUCACHE_IOC_INFO, &info));
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	EXPECT_EQ(st.max_entries, info.max_entries);
	EXPECT_EQ(st.max_bytes, info.max_bytes);
	EXPECT_EQ(st.default_ttl_ms, info.default_ttl_ms);
	EXPECT_EQ(st.entry_overhead, info.entry_overhead);
}

TEST_F(info, health_is_fully_initialised)
{
	struct lrucache_health h;

	memset(&h, 0xa5, sizeof(h));
	ASSERT_EQ(0, xioctl(self->fd, LRUCACHE_IOC_HEALTH, &h));
	EXPECT_EQ((uint32_t)LRUCACHE_HEALTHY, h.status);
	EXPECT_EQ(0U, h.reasons);
	EXPECT_EQ(0U, h.memory_pct);
	EXPECT_EQ(100U, h.hit_rate_pct);
}

TEST_F(info, larger_result_structs_get_zeroed_tail)
{
	struct lrucache_info ref_info;
	struct lrucache_health ref_h;
	struct info_next info;
	struct health_next h;

	ASSERT_EQ(0, str_set(self->fd, "k", "v"));
	memset(&info, 0xff, sizeof(info));
	ASSERT_EQ(0, xioctl(self->fd, IOC_INFO_NEXT, &info));
	EXPECT_EQ(0U, bytes_not(info.extra, sizeof(info.extra), 0));
	memset(&ref_info, 0, sizeof(ref_info));
	ASSERT_EQ(0, xioctl(self->fd, LRUCACHE_IOC_INFO, &ref_info));
	EXPECT_EQ(0, memcmp(&ref_info, &info.info, sizeof(ref_info)));

	memset(&h, 0xff, sizeof(h));
	ASSERT_EQ(0, xioctl(self->fd, IOC_HEALTH_NEXT, &h));
	EXPECT_EQ(0U, bytes_not(h.extra, sizeof(h.extra), 0));
	memset(&ref_h, 0, sizeof(ref_h));
	ASSERT_EQ(0, xioctl(self->fd, LRUCACHE_IOC_HEALTH, &ref_h));
	EXPECT_EQ(0, memcmp(&ref_h, &h.h, sizeof(ref_h)));
}

TEST_F(info, struct_smaller_than_version_0_is_einval)
{
	struct lrucache_info info;
	struct lrucache_health h;

	memset(&info, 0xa5, sizeof(info));
	memset(&h, 0xa5, sizeof(h));
	EXPECT_EQ(-EINVAL, xioctl(self->fd, IOC_INFO_SHORT, &info));
	EXPECT_EQ(-EINVAL, xioctl(self->fd, IOC_HEALTH_SHORT, &h));
	EXPECT_EQ(0U, bytes_not(&info, sizeof(info), 0xa5));
	EXPECT_EQ(0U, bytes_not(&h, sizeof(h), 0xa5));
}

TEST_F(info, reset_stats_zeroes_counters_only)
{
	struct lrucache_stats before, after;
	char out[256];

	ASSERT_EQ(0, str_set(self->fd, "a", "1"));
	ASSERT_EQ(1, str_get(self->fd, "a", out));
	ASSERT_EQ(-ENOENT, str_get(self->fd, "x", out));
	ASSERT_EQ(0, str_set(self->fd, "b", "2"));
	ASSERT_EQ(0, kv_delete(self->fd, "b", 1));
	ASSERT_EQ(0, cache_stats(self->fd, &before));
	ASSERT_EQ(0, reset_stats(self->fd));
	ASSERT_EQ(0, cache_stats(self->fd, &after));
	EXPECT_EQ(0U, after.hits);
	EXPECT_EQ(0U, after.misses);
	EXPECT_EQ(0U, after.sets);
	EXPECT_EQ(0U, after.deletes);
	EXPECT_EQ(0U, after.evictions);
	EXPECT_EQ(0U, after.expirations);
	EXPECT_EQ(before.entries, after.entries);
	EXPECT_EQ(1U, after.entries);
	EXPECT_EQ(before.bytes, after.bytes);
	EXPECT_EQ(before.max_entries, after.max_entries);
	EXPECT_EQ(before.max_bytes, after.max_bytes);
	EXPECT_EQ(before.default_ttl_ms, after.default_ttl_ms);
	EXPECT_EQ(before.entry_overhead, after.entry_overhead);
}

TEST(no_metrics_flag)
{
	char name[LRUCACHE_NAME_MAX], out[256];
	struct lrucache_stats st;
	struct lrucache_info info;
	int fd = dev_open();

	ASSERT_LE(0, fd);
	unique_name(name, "info-nometrics");
	ASSERT_EQ(0, cache_open(fd, name, LRUCACHE_OPEN_CREATE |
				LRUCACHE_OPEN_EXCL | LRUCACHE_OPEN_NO_METRICS,
				0, 0, 0));
	ASSERT_EQ(0, xioctl(fd, LRUCACHE_IOC_INFO, &info));
	EXPECT_EQ(0U, info.flags);
	ASSERT_EQ(0, str_set(fd, "a", "1"));
	ASSERT_EQ(1, str_get(fd, "a", out));
	ASSERT_EQ(-ENOENT, str_get(fd, "x", out));
	ASSERT_EQ(0, cache_stats(fd, &st));
	EXPECT_EQ(0U, st.hits);
	EXPECT_EQ(0U, st.misses);
	EXPECT_EQ(0U, st.sets);
	EXPECT_EQ(1U, st.entries);
	EXPECT_EQ(entry_charge(st.entry_overhead, 1, 1), st.bytes);
	close(fd);
	EXPECT_EQ(0, cache_destroy(name));
}

TEST_F(info, destroyed_cache_is_eidrm)
{
	struct lrucache_info info;
	struct lrucache_health h;

	ASSERT_EQ(0, cache_destroy(self->name));
	EXPECT_EQ(-EIDRM, xioctl(self->fd, LRUCACHE_IOC_INFO, &info));
	EXPECT_EQ(-EIDRM, xioctl(self->fd, LRUCACHE_IOC_HEALTH, &h));
	EXPECT_EQ(-EIDRM, reset_stats(self->fd));
}

TEST_HARNESS_MAIN
