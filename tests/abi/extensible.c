// SPDX-License-Identifier: GPL-2.0
/*
 * Extensible ioctl arguments: the structure size is part of the command
 * number, and the kernel accepts a larger (newer) structure whose unknown
 * bytes are zero, refuses one whose unknown bytes are not (-E2BIG), and
 * refuses one smaller than version 0 (-EINVAL), as openat2() and clone3()
 * do. Results written to a larger structure have their tail zeroed.
 */
#include "kselftest_harness.h"
#include "abi.h"

/* What a newer uapi could look like: each structure with a field more. */
struct kv_next {
	struct lrucache_kv kv;
	uint64_t extra;
};

struct open_next {
	struct lrucache_open op;
	uint64_t extra;
};

struct stats_next {
	struct lrucache_stats st;
	uint64_t extra[2];
};

#define IOC_SET_NEXT	_IOW(LRUCACHE_IOC_MAGIC, 0x42, struct kv_next)
#define IOC_GET_NEXT	_IOWR(LRUCACHE_IOC_MAGIC, 0x43, struct kv_next)
#define IOC_OPEN_NEXT	_IOW(LRUCACHE_IOC_MAGIC, 0x40, struct open_next)
#define IOC_STATS_NEXT	_IOR(LRUCACHE_IOC_MAGIC, 0x47, struct stats_next)
/* Version 0 cut short by one field. */
#define IOC_SET_SHORT	_IOC(_IOC_WRITE, LRUCACHE_IOC_MAGIC, 0x42, \
			     LRUCACHE_KV_SIZE_VER0 - 8)

FIXTURE(ext) {
	int fd;
	char name[LRUCACHE_NAME_MAX];
	char other[LRUCACHE_NAME_MAX];
};

FIXTURE_SETUP(ext)
{
	self->fd = -1;
	unique_name(self->name, "ext");
	unique_name(self->other, "ext-other");
	self->fd = cache_create(self->name, 0, 0, 0);
	ASSERT_LE(0, self->fd) {
		TH_LOG("cannot create cache %s: %s", self->name,
		       strerror(-self->fd));
	}
}

FIXTURE_TEARDOWN(ext)
{
	if (self->fd >= 0)
		close(self->fd);
	cache_destroy(self->name);
	cache_destroy(self->other);
}

TEST_F(ext, larger_struct_with_zero_tail_is_accepted)
{
	struct kv_next set = {
		.kv = {
			.key = (uintptr_t)"k", .key_len = 1,
			.value = (uintptr_t)"value", .value_len = 5,
			.ttl_ms = LRUCACHE_TTL_NONE,
		},
	};
	struct kv_next get;
	char buf[16];

	ASSERT_EQ(0, xioctl(self->fd, IOC_SET_NEXT, &set));
	memset(&get, 0, sizeof(get));
	get.kv.key = (uintptr_t)"k";
	get.kv.key_len = 1;
	get.kv.value = (uintptr_t)buf;
	get.kv.value_len = sizeof(buf);
	ASSERT_EQ(5, xioctl(self->fd, IOC_GET_NEXT, &get));
	ASSERT_EQ(5U, get.kv.value_len);
	ASSERT_EQ(0, memcmp(buf, "value", 5));
}

TEST_F(ext, larger_struct_with_nonzero_tail_is_e2big)
{
	struct kv_next set = {
		.kv = {
			.key = (uintptr_t)"k", .key_len = 1,
			.value = (uintptr_t)"v", .value_len = 1,
			.ttl_ms = LRUCACHE_TTL_NONE,
		},
		.extra = 1,
	};
	struct open_next op;

	ASSERT_EQ(-E2BIG, xioctl(self->fd, IOC_SET_NEXT, &set));
	ASSERT_EQ(0, str_exists(self->fd, "k"));

	memset(&op, 0, sizeof(op));
	put_name(op.op.name, self->other);
	op.op.flags = LRUCACHE_OPEN_CREATE;
	op.extra = 1ULL << 63;
	close(self->fd);
	self->fd = dev_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(-E2BIG, xioctl(self->fd, IOC_OPEN_NEXT, &op));
	ASSERT_EQ(-ENOENT, cache_destroy(self->other));
	op.extra = 0;
	ASSERT_EQ(0, xioctl(self->fd, IOC_OPEN_NEXT, &op));
}

TEST_F(ext, struct_smaller_than_version_0_is_einval)
{
	struct lrucache_kv kv = {
		.key = (uintptr_t)"k", .key_len = 1,
		.value = (uintptr_t)"v", .value_len = 1,
		.ttl_ms = LRUCACHE_TTL_NONE,
	};

	ASSERT_EQ(-EINVAL, xioctl(self->fd, IOC_SET_SHORT, &kv));
	ASSERT_EQ(0, str_exists(self->fd, "k"));
}

TEST_F(ext, larger_result_struct_gets_zeroed_tail)
{
	struct stats_next st;
	struct lrucache_stats ref;

	ASSERT_EQ(0, str_set(self->fd, "k", "v"));
	memset(&st, 0xff, sizeof(st));
	ASSERT_EQ(0, xioctl(self->fd, IOC_STATS_NEXT, &st));
	ASSERT_EQ(0U, st.extra[0]);
	ASSERT_EQ(0U, st.extra[1]);
	ASSERT_EQ(0, cache_stats(self->fd, &ref));
	ASSERT_EQ(0, memcmp(&ref, &st.st, sizeof(ref)));
}

TEST_HARNESS_MAIN
