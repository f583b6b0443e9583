// SPDX-License-Identifier: GPL-2.0
/*
 * Cache lifetime through the raw ioctls: OPEN (create, attach, exclusive),
 * its argument checks and limits, descriptors that are not bound yet
 * (-EBADFD) or already bound (-EBUSY), DESTROY by name from any descriptor
 * and what the descriptors of a destroyed cache see (-EIDRM).
 */
#include "kselftest_harness.h"
#include "abi.h"

#define DEFAULT_MAX_ENTRIES	1000
#define DEFAULT_MAX_BYTES	(64ULL << 20)

FIXTURE(life) {
	int fd;			/* unbound descriptor */
	char name[LRUCACHE_NAME_MAX];
	char other[LRUCACHE_NAME_MAX];
	char third[LRUCACHE_NAME_MAX];	/* never meant to be created */
};

FIXTURE_SETUP(life)
{
	unique_name(self->name, "life");
	unique_name(self->other, "life-other");
	unique_name(self->third, "life-third");
	self->fd = dev_open();
	ASSERT_LE(0, self->fd) {
		TH_LOG("cannot open " LRUCACHE_DEVICE_PATH ": %s",
		       strerror(-self->fd));
	}
}

FIXTURE_TEARDOWN(life)
{
	if (self->fd >= 0)
		close(self->fd);
	cache_destroy(self->name);
	cache_destroy(self->other);
	cache_destroy(self->third);
}

static int open_struct(int fd, struct lrucache_open op)
{
	return xioctl(fd, LRUCACHE_IOC_OPEN, &op);
}

/*
 * Every cache operation with valid arguments on @fd must fail with @err.
 * A batch (one valid EXISTS) fails as a whole when the descriptor is not
 * bound; on a destroyed cache it runs and its operation fails like the
 * single ioctl would.
 */
#define ASSERT_ALL_OPS_FAIL(fd, err) do {				\
	struct lrucache_op __op = {					\
		.opcode = LRUCACHE_OP_EXISTS,				\
		.key = (uintptr_t)"k", .key_len = 1,			\
	};								\
	struct lrucache_stats __st;					\
	uint32_t __len = 0;						\
	char __out[256];						\
	ASSERT_EQ(err, str_set(fd, "k", "v"));				\
	ASSERT_EQ(err, str_get(fd, "k", __out));			\
	ASSERT_EQ(err, kv_get(fd, "k", 1, NULL, &__len));		\
	ASSERT_EQ(err, str_exists(fd, "k"));				\
	ASSERT_EQ(err, kv_delete(fd, "k", 1));				\
	ASSERT_EQ(err, cache_clear(fd));				\
	ASSERT_EQ(err, cache_stats(fd, &__st));				\
	if ((err) == -EBADFD) {						\
		ASSERT_EQ(err, batch_run(fd, &__op, 1));		\
	} else {							\
		ASSERT_EQ(1, batch_run(fd, &__op, 1));			\
		ASSERT_EQ(err, __op.result);				\
	}								\
} while (0)

TEST_F(life, create_then_attach_shares_entries)
{
	char out[256];
	int fd2;

	ASSERT_EQ(0, cache_open(self->fd, self->name, LRUCACHE_OPEN_CREATE,
				0, 0, 0));
	fd2 = cache_attach(self->name);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, str_set(self->fd, "k", "from fd1"));
	ASSERT_EQ(8, str_get(fd2, "k", out));
	ASSERT_STREQ("from fd1", out);
	ASSERT_EQ(0, kv_delete(fd2, "k", 1));
	ASSERT_EQ(0, str_exists(self->fd, "k"));
	close(fd2);
}

TEST_F(life, attach_to_missing_cache_is_enoent)
{
	struct lrucache_stats st;

	ASSERT_EQ(-ENOENT, cache_open(self->fd, self->name, 0, 0, 0, 0));
	/* Still unbound, and still bindable. */
	ASSERT_EQ(-EBADFD, cache_stats(self->fd, &st));
	ASSERT_EQ(0, cache_open(self->fd, self->name, LRUCACHE_OPEN_CREATE,
				0, 0, 0));
	ASSERT_EQ(0, cache_stats(self->fd, &st));
}

TEST_F(life, exclusive_create_of_existing_cache_is_eexist)
{
	struct lrucache_stats st;
	int fd1 = cache_create(self->name, 0, 0, 0);

	ASSERT_LE(0, fd1);
	ASSERT_EQ(-EEXIST, cache_open(self->fd, self->name,
				      LRUCACHE_OPEN_CREATE | LRUCACHE_OPEN_EXCL,
				      0, 0, 0));
	ASSERT_EQ(-EBADFD, cache_stats(self->fd, &st));
	close(fd1);
}

TEST_F(life, create_of_existing_cache_attaches_and_keeps_its_limits)
{
	struct lrucache_stats st;
	int fd1 = cache_create(self->name, 5, 100000, 1234);

	ASSERT_LE(0, fd1);
	ASSERT_EQ(0, str_set(fd1, "k", "v"));
	ASSERT_EQ(0, cache_open(self->fd, self->name, LRUCACHE_OPEN_CREATE,
				10, 200000, 5678));
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(5U, st.max_entries);
	ASSERT_EQ(100000U, st.max_bytes);
	ASSERT_EQ(1234U, st.default_ttl_ms);
	ASSERT_EQ(1U, st.entries);
	close(fd1);
}

TEST_F(life, attach_with_limits_is_einval)
{
	struct lrucache_stats st;
	int fd1 = cache_create(self->name, 0, 0, 0);

	ASSERT_LE(0, fd1);
	ASSERT_EQ(-EINVAL, cache_open(self->fd, self->name, 0, 5, 0, 0));
	ASSERT_EQ(-EINVAL, cache_open(self->fd, self->name, 0, 0, 5000, 0));
	ASSERT_EQ(-EINVAL, cache_open(self->fd, self->name, 0, 0, 0, 5));
	ASSERT_EQ(-EBADFD, cache_stats(self->fd, &st));
	close(fd1);
}

TEST_F(life, open_with_unknown_flags_is_einval)
{
	/* The lowest bit the uapi does not define. */
	ASSERT_EQ(-EINVAL, cache_open(self->fd, self->name,
				      LRUCACHE_OPEN_CREATE |
				      (uint32_t)(1UL << __builtin_ctzl(~LRUCACHE_OPEN_FLAGS)),
				      0, 0, 0));
	ASSERT_EQ(-EINVAL, cache_open(self->fd, self->name,
				      LRUCACHE_OPEN_CREATE | (1U << 31),
				      0, 0, 0));
	/* Nothing was created. */
	ASSERT_EQ(-ENOENT, cache_destroy(self->name));
}

TEST_F(life, exclusive_without_create_is_einval)
{
	int fd1 = cache_create(self->name, 0, 0, 0);

	ASSERT_LE(0, fd1);
	ASSERT_EQ(-EINVAL, cache_open(self->fd, self->name,
				      LRUCACHE_OPEN_EXCL, 0, 0, 0));
	ASSERT_EQ(-EINVAL, cache_open(self->fd, self->other,
				      LRUCACHE_OPEN_EXCL, 0, 0, 0));
	close(fd1);
}

TEST_F(life, open_with_nonzero_reserved_is_einval)
{
	struct lrucache_open op;

	memset(&op, 0, sizeof(op));
	put_name(op.name, self->name);
	op.flags = LRUCACHE_OPEN_CREATE;
	op.reserved = 1;
	ASSERT_EQ(-EINVAL, open_struct(self->fd, op));
	ASSERT_EQ(-ENOENT, cache_destroy(self->name));
}

TEST_F(life, max_entries_above_limit_is_einval)
{
	struct lrucache_stats st;

	ASSERT_EQ(-EINVAL, cache_open(self->fd, self->name,
				      LRUCACHE_OPEN_CREATE,
				      (1ULL << 24) + 1, 0, 0));
	ASSERT_EQ(-EINVAL, cache_open(self->fd, self->name,
				      LRUCACHE_OPEN_CREATE, UINT64_MAX, 0, 0));
	ASSERT_EQ(-ENOENT, cache_destroy(self->name));
	ASSERT_EQ(0, cache_open(self->fd, self->name, LRUCACHE_OPEN_CREATE,
				1ULL << 24, 0, 0));
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(1ULL << 24, st.max_entries);
}

TEST_F(life, default_ttl_above_max_is_einval)
{
	ASSERT_EQ(-EINVAL, cache_open(self->fd, self->name,
				      LRUCACHE_OPEN_CREATE, 0, 0,
				      LRUCACHE_TTL_MAX_MS + 1));
	ASSERT_EQ(-EINVAL, cache_open(self->fd, self->name,
				      LRUCACHE_OPEN_CREATE, 0, 0,
				      LRUCACHE_TTL_NONE));
	ASSERT_EQ(-ENOENT, cache_destroy(self->name));
}

TEST_F(life, zero_limits_select_module_defaults)
{
	struct lrucache_stats st;

	ASSERT_EQ(0, cache_open(self->fd, self->name, LRUCACHE_OPEN_CREATE,
				0, 0, 0));
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(module_param("default_max_entries", DEFAULT_MAX_ENTRIES),
		  st.max_entries);
	ASSERT_EQ(module_param("default_max_bytes", DEFAULT_MAX_BYTES),
		  st.max_bytes);
	ASSERT_EQ(0U, st.default_ttl_ms);
	ASSERT_EQ(0U, st.entries);
	ASSERT_EQ(0U, st.bytes);
}

TEST_F(life, explicit_limits_are_reported)
{
	struct lrucache_stats st;

	ASSERT_EQ(0, cache_open(self->fd, self->name, LRUCACHE_OPEN_CREATE,
				7, 123457, 999));
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(7U, st.max_entries);
	ASSERT_EQ(123457U, st.max_bytes);
	ASSERT_EQ(999U, st.default_ttl_ms);
}

TEST_F(life, second_open_on_bound_descriptor_is_ebusy)
{
	char out[256];
	int fd2 = cache_create(self->other, 0, 0, 0);

	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, cache_open(self->fd, self->name, LRUCACHE_OPEN_CREATE,
				0, 0, 0));
	ASSERT_EQ(-EBUSY, cache_open(self->fd, self->name, 0, 0, 0, 0));
	ASSERT_EQ(-EBUSY, cache_open(self->fd, self->other, 0, 0, 0, 0));
	ASSERT_EQ(-EBUSY, cache_open(self->fd, self->third,
				     LRUCACHE_OPEN_CREATE, 0, 0, 0));
	/* Still bound to the first cache. */
	ASSERT_EQ(0, str_set(self->fd, "k", "first"));
	ASSERT_EQ(-ENOENT, str_get(fd2, "k", out));
	ASSERT_EQ(-ENOENT, cache_destroy(self->third));
	close(fd2);
}

TEST_F(life, ops_before_open_are_ebadfd)
{
	ASSERT_ALL_OPS_FAIL(self->fd, -EBADFD);
}

TEST_F(life, ops_after_destroy_by_another_descriptor_are_eidrm)
{
	int fd1 = cache_create(self->name, 0, 0, 0);

	ASSERT_LE(0, fd1);
	ASSERT_EQ(0, str_set(fd1, "k", "v"));
	/* self->fd is unbound: DESTROY works on any descriptor. */
	ASSERT_EQ(0, cache_destroy_on(self->fd, self->name));
	ASSERT_ALL_OPS_FAIL(fd1, -EIDRM);
	close(fd1);
}

TEST_F(life, destroy_through_own_descriptor_then_eidrm)
{
	int fd1 = cache_create(self->name, 0, 0, 0);

	ASSERT_LE(0, fd1);
	ASSERT_EQ(0, cache_destroy_on(fd1, self->name));
	ASSERT_ALL_OPS_FAIL(fd1, -EIDRM);
	close(fd1);
}

TEST_F(life, destroy_through_descriptor_bound_elsewhere)
{
	int fd1 = cache_create(self->name, 0, 0, 0);
	int fd2 = cache_create(self->other, 0, 0, 0);

	ASSERT_LE(0, fd1);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, cache_destroy_on(fd2, self->name));
	ASSERT_ALL_OPS_FAIL(fd1, -EIDRM);
	/* fd2's own cache is untouched. */
	ASSERT_EQ(0, str_set(fd2, "k", "v"));
	ASSERT_EQ(1, str_exists(fd2, "k"));
	close(fd1);
	close(fd2);
}

TEST_F(life, destroy_of_missing_cache_is_enoent)
{
	ASSERT_EQ(-ENOENT, cache_destroy_on(self->fd, self->name));
}

TEST_F(life, destroy_with_flags_or_reserved_is_einval)
{
	struct lrucache_destroy d;
	int fd1 = cache_create(self->name, 0, 0, 0);

	ASSERT_LE(0, fd1);
	memset(&d, 0, sizeof(d));
	put_name(d.name, self->name);
	d.flags = 1;
	ASSERT_EQ(-EINVAL, xioctl(self->fd, LRUCACHE_IOC_DESTROY, &d));
	d.flags = 0;
	d.reserved = 1;
	ASSERT_EQ(-EINVAL, xioctl(self->fd, LRUCACHE_IOC_DESTROY, &d));
	/* The cache survived. */
	ASSERT_EQ(0, str_set(fd1, "k", "v"));
	close(fd1);
}

TEST_F(life, destroyed_name_can_be_recreated_at_once)
{
	struct lrucache_stats st;
	char out[256];
	int fd1, fd2, fd3;

	fd1 = cache_create(self->name, 5, 0, 0);
	ASSERT_LE(0, fd1);
	ASSERT_EQ(0, str_set(fd1, "k", "old"));
	ASSERT_EQ(0, cache_destroy(self->name));

	fd2 = cache_create(self->name, 9, 0, 0);
	ASSERT_LE(0, fd2);
	/* A new, empty cache with its own limits... */
	ASSERT_EQ(0, cache_stats(fd2, &st));
	ASSERT_EQ(0U, st.entries);
	ASSERT_EQ(0U, st.sets);
	ASSERT_EQ(9U, st.max_entries);
	ASSERT_EQ(-ENOENT, str_get(fd2, "k", out));
	/* ...that the old descriptor does not reach. */
	ASSERT_EQ(-EIDRM, str_set(fd1, "k", "stale"));
	ASSERT_EQ(0, str_set(fd2, "k", "new"));
	fd3 = cache_attach(self->name);
	ASSERT_LE(0, fd3);
	ASSERT_EQ(3, str_get(fd3, "k", out));
	ASSERT_STREQ("new", out);
	close(fd1);
	close(fd2);
	close(fd3);
}

TEST_F(life, cache_outlives_its_descriptors)
{
	char out[256];
	int fd1 = cache_create(self->name, 0, 0, 0);

	ASSERT_LE(0, fd1);
	ASSERT_EQ(0, str_set(fd1, "k", "kept"));
	close(fd1);
	ASSERT_EQ(0, cache_open(self->fd, self->name, 0, 0, 0, 0));
	ASSERT_EQ(4, str_get(self->fd, "k", out));
	ASSERT_STREQ("kept", out);
}

TEST_F(life, destroy_drops_entries_for_everyone)
{
	int fd1 = cache_create(self->name, 0, 0, 0);

	ASSERT_LE(0, fd1);
	ASSERT_EQ(0, str_set(fd1, "k", "v"));
	ASSERT_EQ(0, cache_destroy(self->name));
	ASSERT_EQ(-ENOENT, cache_open(self->fd, self->name, 0, 0, 0, 0));
	ASSERT_EQ(-ENOENT, cache_destroy(self->name));
	close(fd1);
}

TEST_HARNESS_MAIN
