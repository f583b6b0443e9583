// SPDX-License-Identifier: GPL-2.0
/*
 * kcache_strerror(): lrucache-specific wording for the codes the library
 * returns, the same text for -errno and errno, strerror(3) for the rest.
 * Needs no device.
 */
#include "kselftest_harness.h"
#include "lib.h"

#include <limits.h>

TEST(negative_and_positive_codes_read_the_same)
{
	static const int codes[] = {
		ENOENT, ENODEV, EIDRM, EBADFD, EBUSY, E2BIG, EEXIST, EINVAL,
		ENOTTY, EFAULT, ENOMEM, EACCES, EPERM, EPIPE, EAGAIN, ENOSPC,
	};
	unsigned int i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		ASSERT_STREQ(kcache_strerror(codes[i]),
			     kcache_strerror(-codes[i]));
	}
}

TEST(destroyed_cache_has_its_own_wording)
{
	ASSERT_STREQ("cache was destroyed", kcache_strerror(-EIDRM));
}

TEST(size_errors_name_keys_and_values)
{
	ASSERT_STREQ("key or value too large for this cache",
		     kcache_strerror(-E2BIG));
}

TEST(global_limit_names_the_parameter)
{
	/* ENOSPC is the limit of all caches, not a full disk. */
	ASSERT_NE(NULL, strstr(kcache_strerror(-ENOSPC), "max_total_bytes"));
	ASSERT_NE(NULL, strstr(kcache_strerror(-ENOSPC), "all"));
}

TEST(missing_device_points_at_the_module)
{
	ASSERT_NE(NULL, strstr(kcache_strerror(-ENODEV), "module"));
	ASSERT_NE(NULL, strstr(kcache_strerror(-ENODEV), "loaded"));
}

TEST(lrucache_codes_differ_from_libc_wording)
{
	static const int codes[] = {
		ENOENT, EIDRM, EBADFD, E2BIG, ENODEV, ENOSPC,
	};
	unsigned int i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		ASSERT_STRNE(strerror(codes[i]), kcache_strerror(-codes[i]));
	}
	ASSERT_NE(NULL, strstr(kcache_strerror(-ENOENT), "cache"));
	ASSERT_NE(NULL, strstr(kcache_strerror(-EBADFD), "bound"));
}

TEST(other_codes_fall_back_to_strerror)
{
	ASSERT_STREQ(strerror(EPIPE), kcache_strerror(-EPIPE));
	ASSERT_STREQ(strerror(EAGAIN), kcache_strerror(EAGAIN));
	ASSERT_STREQ(strerror(12345), kcache_strerror(-12345));
}

TEST(every_code_has_a_string)
{
	int err;

	for (err = -300; err <= 300; err++) {
		const char *s = kcache_strerror(err);

		ASSERT_NE(NULL, s);
		ASSERT_LT(0U, strlen(s));
	}
	ASSERT_NE(NULL, kcache_strerror(INT_MIN));
	ASSERT_NE(NULL, kcache_strerror(INT_MAX));
	ASSERT_STREQ("success", kcache_strerror(0));
}

TEST_HARNESS_MAIN
