// SPDX-License-Identifier: GPL-2.0
/*
 * libkcache's binary interface across versions: the functions whose meaning
 * of a value changed keep their old meaning under their old symbol version,
 * for the programs linked before (called here through dlvsym(3), as such a
 * program's references are bound), while the default version, which new
 * programs and dlsym(3) get, has the new one. (tests/lib/abi-compat runs
 * the previous release's own tests against this library as well.)
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <stddef.h>

#include "kselftest_harness.h"
#include "lib.h"

/* libkcache 1.0 to 1.8: struct kcache_options.flags numbered by the library. */
#define OLD_OPEN_EXCL		(1U << 0)
#define OLD_OPEN_NO_METRICS	(1U << 1)

/* struct kcache_info as libkcache 1.2 to 1.8 declared it. */
struct old_info {
	char name[KCACHE_NAME_MAX + 1];
	uint64_t max_entries;
	uint64_t max_bytes;
	uint64_t default_ttl_ms;
	uint64_t entry_overhead;
	uint64_t created_ns;
	uint32_t owner_uid;
	uint32_t owner_gid;
	bool metrics_enabled;
	uint64_t cleanup_interval_ms;
	uint32_t mode;
	uint32_t reserved_pad;
	uint64_t reserved[6];
};

typedef int (*open_fn)(const char *, const struct kcache_options *,
		       struct kcache **);
typedef int (*old_info_fn)(struct kcache *, struct old_info *);

FIXTURE(abi) {
	char name[LRUCACHE_NAME_MAX];
	struct kcache *c;
	open_fn open_1_0;
	void *lib;
};

FIXTURE_SETUP(abi)
{
	unique_name(self->name, "abi");
	self->c = NULL;
	/* The library this program is linked to (already loaded). */
	self->lib = dlopen("libkcache.so.1", RTLD_NOW | RTLD_NOLOAD);
	ASSERT_NE(NULL, self->lib);
	self->open_1_0 = (open_fn)dlvsym(self->lib, "kcache_open",
					 "KCACHE_1.0");
	ASSERT_NE(NULL, self->open_1_0);
}

FIXTURE_TEARDOWN(abi)
{
	kcache_close(self->c);
	kcache_destroy(self->name);
	if (self->lib)
		dlclose(self->lib);
}

TEST_F(abi, default_versions_are_the_1_9_code)
{
	/* What a program linked today, or dlsym(), binds to. */
	EXPECT_EQ(dlvsym(self->lib, "kcache_open", "KCACHE_1.9"),
		  dlsym(self->lib, "kcache_open"));
	EXPECT_EQ((void *)kcache_open,
		  dlvsym(self->lib, "kcache_open", "KCACHE_1.9"));
	EXPECT_EQ((void *)kcache_get_info,
		  dlvsym(self->lib, "kcache_get_info", "KCACHE_1.9"));
	EXPECT_NE((void *)kcache_open, (void *)self->open_1_0);
	/* A function that did not change has one version. */
	EXPECT_EQ((void *)kcache_set,
		  dlvsym(self->lib, "kcache_set", "KCACHE_1.0"));
}

TEST_F(abi, open_1_0_takes_the_old_flag_values)
{
	KCACHE_OPTS(old_excl_nometrics,
		    .flags = OLD_OPEN_EXCL | OLD_OPEN_NO_METRICS);
	KCACHE_OPTS(old_excl, .flags = OLD_OPEN_EXCL);
	struct kcache_info info;
	struct kcache *c = NULL;

	ASSERT_EQ(0, self->open_1_0(self->name, &old_excl_nometrics,
				    &self->c));
	ASSERT_EQ(0, kcache_get_info(self->c, &info));
	EXPECT_EQ(0U, info.flags & KCACHE_INFO_METRICS);
	/* Bit 0 is EXCL there (it is CREATE for the kernel). */
	EXPECT_EQ(-EEXIST, self->open_1_0(self->name, &old_excl, &c));
	EXPECT_EQ(NULL, c);
	/* Without options it attaches, as both versions do. */
	ASSERT_EQ(0, self->open_1_0(self->name, NULL, &c));
	kcache_close(c);
}

TEST_F(abi, open_1_0_refuses_other_bits_itself)
{
	KCACHE_OPTS(bit2, .flags = 1U << 2);
	KCACHE_OPTS(reserved, .reserved = 1);

	/*
	 * 1.8 refused them without asking the kernel: a device that is not
	 * lrucache (which would say -ENOTTY) is never reached.
	 */
	ASSERT_EQ(0, setenv("KCACHE_DEVICE", "/dev/null", 1));
	EXPECT_EQ(-EINVAL, self->open_1_0(self->name, &bit2, &self->c));
	EXPECT_EQ(-EINVAL, self->open_1_0(self->name, &reserved, &self->c));
	ASSERT_EQ(0, unsetenv("KCACHE_DEVICE"));
	/* 1U << 2 is a valid flag for 1.9: NO_METRICS. */
	EXPECT_EQ(LRUCACHE_OPEN_NO_METRICS, 1U << 2);
	EXPECT_EQ(-ENOENT, kcache_destroy(self->name));
}

TEST_F(abi, get_info_1_2_fills_the_old_layout)
{
	old_info_fn info_1_2 = (old_info_fn)dlvsym(self->lib,
						   "kcache_get_info",
						   "KCACHE_1.2");
	KCACHE_OPTS(opts, .flags = KCACHE_OPEN_EXCL, .max_size = 77,
		    .cleanup_interval_ms = 4321, .mode = 0750);
	struct kcache_info info;
	struct old_info old;
	const unsigned char *pad;
	size_t i;

	ASSERT_NE(NULL, info_1_2);
	ASSERT_EQ(0, kcache_open(self->name, &opts, &self->c));
	ASSERT_EQ(0, kcache_get_info(self->c, &info));
	memset(&old, 0xa5, sizeof(old));
	ASSERT_EQ(0, info_1_2(self->c, &old));

	EXPECT_STREQ(info.name, old.name);
	EXPECT_EQ(77U, old.max_entries);
	EXPECT_EQ(info.max_bytes, old.max_bytes);
	EXPECT_EQ(info.created_ns, old.created_ns);
	EXPECT_EQ(info.owner_gid, old.owner_gid);
	EXPECT_EQ(4321U, old.cleanup_interval_ms);
	EXPECT_EQ(0750U, old.mode);
	EXPECT_EQ(0U, old.reserved_pad);
	/* The bool is 1, and the padding after it zero, as 1.8 wrote. */
	pad = (const unsigned char *)&old;
	EXPECT_EQ(1, pad[offsetof(struct old_info, metrics_enabled)]);
	for (i = offsetof(struct old_info, metrics_enabled) + 1;
	     i < offsetof(struct old_info, cleanup_interval_ms); i++)
		EXPECT_EQ(0, pad[i]);
	for (i = 0; i < 6; i++)
		EXPECT_EQ(0U, old.reserved[i]);

	/* 1.9's layout: the kernel's flags, no padding. */
	EXPECT_EQ((uint32_t)KCACHE_INFO_METRICS, info.flags);
	EXPECT_EQ(1U, info.metrics_enabled);
	EXPECT_EQ(4321U, info.cleanup_interval_ms);
	EXPECT_EQ(0750U, info.mode);
}

TEST_HARNESS_MAIN
