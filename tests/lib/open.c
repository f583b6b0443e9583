// SPDX-License-Identifier: GPL-2.0
/*
 * libkcache handles: kcache_open() with and without options, the options
 * structure's size rules, names, kcache_destroy(), the accessors and the
 * KCACHE_DEVICE override.
 */
#include "kselftest_harness.h"
#include "lib.h"

#include <fcntl.h>
#include <stddef.h>
#include <unistd.h>

FIXTURE(open) {
	char name[LRUCACHE_NAME_MAX];
	char longest[LRUCACHE_NAME_MAX];	/* name + 'x's to 63 bytes */
	struct kcache *c;
};

FIXTURE_SETUP(open)
{
	size_t len;

	unique_name(self->name, "open");
	len = strlen(self->name);
	memcpy(self->longest, self->name, len);
	memset(self->longest + len, 'x', KCACHE_NAME_MAX - len);
	self->longest[KCACHE_NAME_MAX] = 0;
	self->c = NULL;
}

FIXTURE_TEARDOWN(open)
{
	kcache_close(self->c);
	kcache_destroy(self->name);
	kcache_destroy(self->longest);
}

TEST_F(open, options_create_a_missing_cache)
{
	KCACHE_OPTS(opts);

	ASSERT_EQ(0, kcache_open(self->name, &opts, &self->c));
	ASSERT_NE(NULL, self->c);
	ASSERT_EQ(0, sset(self->c, "k", "v"));
}

TEST_F(open, no_options_attaches_only)
{
	struct kcache *c = (struct kcache *)0x1;
	KCACHE_OPTS(opts);

	ASSERT_EQ(-ENOENT, kcache_open(self->name, NULL, &c));
	/* *out is untouched on failure. */
	ASSERT_EQ((struct kcache *)0x1, c);
	ASSERT_EQ(0, kcache_open(self->name, &opts, &self->c));
	ASSERT_EQ(0, kcache_open(self->name, NULL, &c));
	kcache_close(c);
}

TEST_F(open, exclusive_open_of_existing_cache_is_eexist)
{
	KCACHE_OPTS(opts, .flags = KCACHE_OPEN_EXCL);
	struct kcache *c = NULL;

	ASSERT_EQ(0, kcache_open(self->name, &opts, &self->c));
	ASSERT_EQ(-EEXIST, kcache_open(self->name, &opts, &c));
	ASSERT_NULL(c);
}

TEST_F(open, open_of_existing_cache_attaches_and_keeps_its_limits)
{
	KCACHE_OPTS(first, .max_size = 10, .max_memory_bytes = 100000,
		    .default_ttl_ms = 60000);
	KCACHE_OPTS(second, .max_size = 20, .max_memory_bytes = 200000,
		    .default_ttl_ms = 1000);
	struct kcache_metrics m;
	struct kcache *c;

	ASSERT_EQ(0, kcache_open(self->name, &first, &self->c));
	ASSERT_EQ(0, kcache_open(self->name, &second, &c));
	ASSERT_EQ(0, kcache_get_metrics(c, &m));
	ASSERT_EQ(10U, m.max_entries);
	ASSERT_EQ(100000U, m.max_bytes);
	ASSERT_EQ(60000U, m.default_ttl_ms);
	kcache_close(c);
}

TEST_F(open, zero_limits_select_module_defaults)
{
	struct kcache_metrics m;
	KCACHE_OPTS(opts);

	ASSERT_EQ(0, kcache_open(self->name, &opts, &self->c));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	ASSERT_LT(0U, m.max_entries);
	ASSERT_LT(0U, m.max_bytes);
	ASSERT_EQ(0U, m.default_ttl_ms);
}

TEST_F(open, limits_the_module_refuses_are_einval)
{
	KCACHE_OPTS(entries, .max_size = (1ULL << 24) + 1);
	KCACHE_OPTS(ttl, .default_ttl_ms = KCACHE_TTL_MAX_MS + 1);

	ASSERT_EQ(-EINVAL, kcache_open(self->name, &entries, &self->c));
	ASSERT_EQ(-EINVAL, kcache_open(self->name, &ttl, &self->c));
	ASSERT_NULL(self->c);
}

TEST_F(open, options_smaller_than_first_version_are_einval)
{
	KCACHE_OPTS(opts);

	opts.sz = 0;
	ASSERT_EQ(-EINVAL, kcache_open(self->name, &opts, &self->c));
	opts.sz = sizeof(size_t);
	ASSERT_EQ(-EINVAL, kcache_open(self->name, &opts, &self->c));
	opts.sz = offsetof(struct kcache_options, flags);
	ASSERT_EQ(-EINVAL, kcache_open(self->name, &opts, &self->c));
	ASSERT_EQ(-ENOENT, kcache_destroy(self->name));

	/* Up to and including flags is enough (the first version). */
	opts.sz = offsetof(struct kcache_options, flags) + sizeof(uint32_t);
	ASSERT_EQ(0, kcache_open(self->name, &opts, &self->c));
}

/* A struct kcache_options from a newer library with one more field. */
struct kcache_options_next {
	struct kcache_options base;
	uint64_t new_field;
};

TEST_F(open, larger_options_with_zero_tail_are_accepted)
{
	struct kcache_options_next next;
	struct kcache_metrics m;

	memset(&next, 0, sizeof(next));
	next.base.sz = sizeof(next);
	next.base.max_size = 42;
	ASSERT_EQ(0, kcache_open(self->name, &next.base, &self->c));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	ASSERT_EQ(42U, m.max_entries);
}

TEST_F(open, larger_options_with_nonzero_tail_are_einval)
{
	struct kcache_options_next next;

	memset(&next, 0, sizeof(next));
	next.base.sz = sizeof(next);
	next.new_field = 1ULL << 56;
	ASSERT_EQ(-EINVAL, kcache_open(self->name, &next.base, &self->c));
	ASSERT_EQ(-ENOENT, kcache_destroy(self->name));
}

TEST_F(open, flags_the_module_does_not_know_are_einval_from_the_kernel)
{
	/* The lowest bit the module does not define, and the last one. */
	const uint32_t unknown = (uint32_t)(1UL << __builtin_ctzl(
					~(unsigned long)LRUCACHE_OPEN_FLAGS));
	KCACHE_OPTS(next, .flags = unknown);
	KCACHE_OPTS(high, .flags = 1U << 31);
	KCACHE_OPTS(reserved, .reserved = 1);

	ASSERT_EQ(0U, unknown & LRUCACHE_OPEN_FLAGS);
	ASSERT_EQ(-EINVAL, kcache_open(self->name, &next, &self->c));
	ASSERT_EQ(-EINVAL, kcache_open(self->name, &high, &self->c));
	ASSERT_EQ(-EINVAL, kcache_open(self->name, &reserved, &self->c));
	ASSERT_EQ(-ENOENT, kcache_destroy(self->name));
}

TEST_F(open, flags_and_reserved_fields_are_passed_to_the_kernel)
{
	KCACHE_OPTS(next, .flags = LRUCACHE_OPEN_NO_METRICS << 1);
	KCACHE_OPTS(reserved, .reserved = 1, .reserved2 = 1);

	/*
	 * A device that is not lrucache answers every ioctl with -ENOTTY:
	 * getting it shows the library made the ioctl rather than refuse
	 * the options itself.
	 */
	ASSERT_EQ(0, setenv("KCACHE_DEVICE", "/dev/null", 1));
	EXPECT_EQ(-ENOTTY, kcache_open(self->name, &next, &self->c));
	EXPECT_EQ(-ENOTTY, kcache_open(self->name, &reserved, &self->c));
	ASSERT_NULL(self->c);
}

TEST_F(open, flags_are_the_kernels_values)
{
	KCACHE_OPTS(opts, .flags = LRUCACHE_OPEN_EXCL |
				   LRUCACHE_OPEN_NO_METRICS);
	struct kcache_info info;
	struct kcache *c = NULL;

	/* The uapi's own names work, and mean what the kernel says. */
	ASSERT_EQ(0, kcache_open(self->name, &opts, &self->c));
	ASSERT_EQ(0, kcache_get_info(self->c, &info));
	EXPECT_EQ(0U, info.flags & LRUCACHE_INFO_METRICS);
	EXPECT_EQ(-EEXIST, kcache_open(self->name, &opts, &c));
	/* LRUCACHE_OPEN_CREATE is implied, so giving it changes nothing. */
	opts.flags = LRUCACHE_OPEN_CREATE;
	EXPECT_EQ(0, kcache_open(self->name, &opts, &c));
	kcache_close(c);
}

TEST_F(open, mode_is_set_at_creation_and_reported)
{
	KCACHE_OPTS(opts, .mode = 0740);
	KCACHE_OPTS(fallback);
	struct kcache_info info;
	struct kcache *c;
	char other[KCACHE_NAME_MAX + 16];

	ASSERT_EQ(0, kcache_open(self->name, &opts, &self->c));
	ASSERT_EQ(0, kcache_get_info(self->c, &info));
	EXPECT_EQ(0740U, info.mode);
	EXPECT_EQ(geteuid(), info.owner_uid);

	/* No mode: the owner only. */
	snprintf(other, sizeof(other), "%.40s-default", self->name);
	ASSERT_EQ(0, kcache_open(other, &fallback, &c));
	ASSERT_EQ(0, kcache_get_info(c, &info));
	EXPECT_EQ((unsigned int)KCACHE_MODE_DEFAULT, info.mode);
	kcache_close(c);
	ASSERT_EQ(0, kcache_destroy(other));
}

TEST_F(open, modes_without_owner_bits_or_beyond_0777_are_einval)
{
	KCACHE_OPTS(no_owner, .mode = 0077);
	KCACHE_OPTS(sticky, .mode = 01700);
	KCACHE_OPTS(reserved, .reserved2 = 1);
	struct kcache *c = NULL;

	EXPECT_EQ(-EINVAL, kcache_open(self->name, &no_owner, &c));
	EXPECT_EQ(-EINVAL, kcache_open(self->name, &sticky, &c));
	EXPECT_EQ(-EINVAL, kcache_open(self->name, &reserved, &c));
	EXPECT_EQ(NULL, c);
	EXPECT_EQ(-ENOENT, kcache_open(self->name, NULL, &c));
}

TEST_F(open, bad_names_are_einval)
{
	char too_long[200];
	KCACHE_OPTS(opts);
	struct kcache *c = NULL;

	ASSERT_EQ(-EINVAL, kcache_open(NULL, &opts, &c));
	ASSERT_EQ(-EINVAL, kcache_open("", &opts, &c));
	ASSERT_EQ(-EINVAL, kcache_open("a/b", &opts, &c));
	ASSERT_EQ(-EINVAL, kcache_open(".dot", &opts, &c));
	memset(too_long, 'x', sizeof(too_long) - 1);
	too_long[sizeof(too_long) - 1] = 0;
	ASSERT_EQ(-EINVAL, kcache_open(too_long, &opts, &c));
	too_long[KCACHE_NAME_MAX + 1] = 0;	/* 64 bytes */
	ASSERT_EQ(-EINVAL, kcache_open(too_long, &opts, &c));
	ASSERT_EQ(-EINVAL, kcache_destroy(too_long));
	ASSERT_EQ(-EINVAL, kcache_destroy(NULL));
	ASSERT_NULL(c);

	/* 63 bytes is the longest name. */
	ASSERT_EQ(63U, strlen(self->longest));
	ASSERT_EQ(0, kcache_open(self->longest, &opts, &c));
	ASSERT_STREQ(self->longest, kcache_name(c));
	kcache_close(c);
	ASSERT_EQ(0, kcache_destroy(self->longest));
}

TEST_F(open, null_out_is_einval)
{
	KCACHE_OPTS(opts);

	ASSERT_EQ(-EINVAL, kcache_open(self->name, &opts, NULL));
	ASSERT_EQ(-ENOENT, kcache_destroy(self->name));
}

TEST_F(open, accessors_report_descriptor_and_name)
{
	KCACHE_OPTS(opts);
	int fd;

	ASSERT_EQ(0, kcache_open(self->name, &opts, &self->c));
	ASSERT_STREQ(self->name, kcache_name(self->c));
	fd = kcache_fd(self->c);
	ASSERT_LE(0, fd);
	ASSERT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(-EINVAL, kcache_fd(NULL));
	ASSERT_NULL(kcache_name(NULL));
	kcache_close(NULL);
}

TEST_F(open, destroy_removes_the_cache)
{
	KCACHE_OPTS(opts);
	struct kcache *c = NULL;

	ASSERT_EQ(0, kcache_open(self->name, &opts, &self->c));
	ASSERT_EQ(0, sset(self->c, "k", "v"));
	ASSERT_EQ(0, kcache_destroy(self->name));
	ASSERT_EQ(-ENOENT, kcache_open(self->name, NULL, &c));
	ASSERT_EQ(-ENOENT, kcache_destroy(self->name));
}

TEST_F(open, handle_of_destroyed_cache_fails_with_eidrm)
{
	KCACHE_OPTS(opts);
	char out[256];

	ASSERT_EQ(0, kcache_open(self->name, &opts, &self->c));
	ASSERT_EQ(0, kcache_destroy(self->name));
	ASSERT_EQ(-EIDRM, sset(self->c, "k", "v"));
	ASSERT_EQ(-EIDRM, sget(self->c, "k", out));
	ASSERT_EQ(-EIDRM, sexists(self->c, "k"));
	ASSERT_EQ(-EIDRM, kcache_delete(self->c, "k", 1));
	ASSERT_EQ(-EIDRM, kcache_clear(self->c));
	/* The handle is still an object to close. */
	ASSERT_STREQ(self->name, kcache_name(self->c));
}

TEST_F(open, name_can_be_reused_after_destroy)
{
	KCACHE_OPTS(opts, .flags = KCACHE_OPEN_EXCL);
	struct kcache *c;
	char out[256];

	ASSERT_EQ(0, kcache_open(self->name, &opts, &c));
	ASSERT_EQ(0, sset(c, "k", "old"));
	ASSERT_EQ(0, kcache_destroy(self->name));
	ASSERT_EQ(0, kcache_open(self->name, &opts, &self->c));
	ASSERT_EQ(-ENOENT, sget(self->c, "k", out));
	ASSERT_EQ(-EIDRM, sget(c, "k", out));
	kcache_close(c);
}

TEST_F(open, missing_device_is_enodev)
{
	KCACHE_OPTS(opts);

	ASSERT_EQ(0, setenv("KCACHE_DEVICE", "/nonexistent/lrucache", 1));
	ASSERT_EQ(-ENODEV, kcache_open(self->name, &opts, &self->c));
	ASSERT_EQ(-ENODEV, kcache_destroy(self->name));
	ASSERT_NULL(self->c);
}

TEST_F(open, device_that_is_not_lrucache_is_enotty)
{
	KCACHE_OPTS(opts);

	ASSERT_EQ(0, setenv("KCACHE_DEVICE", "/dev/null", 1));
	ASSERT_EQ(-ENOTTY, kcache_open(self->name, &opts, &self->c));
	ASSERT_NULL(self->c);
}

TEST_F(open, device_override_names_the_device)
{
	KCACHE_OPTS(opts);

	ASSERT_EQ(0, setenv("KCACHE_DEVICE", KCACHE_DEVICE_PATH, 1));
	ASSERT_EQ(0, kcache_open(self->name, &opts, &self->c));
	/* Empty means unset. */
	ASSERT_EQ(0, setenv("KCACHE_DEVICE", "", 1));
	ASSERT_EQ(0, kcache_destroy(self->name));
}

TEST_HARNESS_MAIN
