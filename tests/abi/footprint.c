// SPDX-License-Identifier: GPL-2.0
/*
 * What an entry really takes, against what the cache is charged for it.
 *
 * For values of 16 bytes to 1 MiB (8-byte keys), a fresh cache is filled
 * from a memory cgroup of the test's own (memcg.h), and the growth of the
 * group's kernel memory as the kernel counts it (memory.stat:
 * slab_unreclaimable, which includes kmalloc()'s whole-page allocations,
 * plus vmalloc) is compared with the growth of the cache's "bytes". The
 * module allocates an entry of n = entry_overhead + key + value bytes
 * with kmalloc() up to 8 KiB and with vmalloc() beyond, and charges what
 * that takes (design.rst, "What an entry is charged"); the tolerances:
 *
 *  - kmalloc'd entries: "bytes" is exactly the entries times the object
 *    size of the kmalloc-cg-<size> slab cache that kmalloc_size_roundup()
 *    names, read from /sys/kernel/slab. The memory cgroup counts each
 *    object at its slab's slot size plus the 8-byte pointer to its
 *    cgroup, which is kept for it (obj_full_size() in mm/memcontrol.c:
 *    the kmem_cache's size, which /sys/kernel/slab's slab_size shows).
 *    The slot is the object size unless the kernel debugs its slabs: on
 *    the debug kernel KASAN adds red zones and its metadata, a 96-byte
 *    object takes a 128-byte slot and a 512-byte one 1024 (the slot sizes
 *    are printed). The group's growth must be that, within 2% and 64 KiB
 *    (the per-CPU byte counts not yet passed on, a page a CPU): the
 *    statistics are flushed before each read (memcg_flush_stats());
 *  - vmalloc'd entries: the group counts the pages only; "bytes" adds
 *    vmalloc's page array, page-table entries and records of the area,
 *    so it must lie between the pages and 1% plus 512 bytes an entry
 *    above them.
 *
 * A table of charged and real bytes per entry is printed for each size.
 * It needs root and cgroup2 with the memory controller (SKIP otherwise).
 */
#include "kselftest_harness.h"
#include "abi.h"
#include "memcg.h"

#define KEY_LEN		8
#define FILL_BYTES	(4U << 20)	/* about this much per size */
#define MAX_ENTRIES	4000

static const uint32_t value_sizes[] = {
	16, 200, 1000, 3000, 6000, 20000, 65536, 262144, 1048576,
};

/* A number from /sys/kernel/slab/kmalloc-cg-<size>/<file>, or @dflt. */
static uint64_t slab_attr(uint64_t size, const char *file, uint64_t dflt)
{
	char path[128];
	uint64_t val;

	if (size >= 1024 && size % 1024 == 0)
		snprintf(path, sizeof(path), "/sys/kernel/slab/kmalloc-cg-%lluk/%s",
			 (unsigned long long)size / 1024, file);
	else
		snprintf(path, sizeof(path), "/sys/kernel/slab/kmalloc-cg-%llu/%s",
			 (unsigned long long)size, file);
	return read_u64_file(path, &val) ? dflt : val;
}

FIXTURE(footprint) {
	char name[LRUCACHE_NAME_MAX];
	struct memcg cg;
	uint64_t overhead;
	int fd;
};

FIXTURE_SETUP(footprint)
{
	self->fd = -1;
	self->cg.dir[0] = 0;
	unique_name(self->name, "footprint");
	if (geteuid())
		SKIP(return, "needs root (a memory cgroup of its own)");
	ASSERT_EQ(0, entry_overhead(&self->overhead));
}

FIXTURE_TEARDOWN(footprint)
{
	if (self->fd >= 0)
		close(self->fd);
	cache_destroy(self->name);
	memcg_leave(&self->cg);
}

TEST_F_TIMEOUT(footprint, charge_is_what_entries_really_take, 300)
{
	static char value[1 << 20];
	unsigned int i, s;
	int err;

	memset(value, 'v', sizeof(value));
	printf("# %8s %7s %10s %10s %10s %7s\n", "value", "entries",
	       "data/entry", "charged", "real", "real/ch");
	fflush(stdout);
	for (s = 0; s < sizeof(value_sizes) / sizeof(value_sizes[0]); s++) {
		uint32_t vlen = value_sizes[s];
		uint64_t n = self->overhead + KEY_LEN + vlen;
		uint64_t count = FILL_BYTES / n, before, real;
		struct lrucache_stats st;
		char tag[32], key[KEY_LEN + 1];

		if (count > MAX_ENTRIES)
			count = MAX_ENTRIES;
		if (count < 16)
			count = 16;
		snprintf(tag, sizeof(tag), "fp%u", vlen);
		err = memcg_enter(&self->cg, tag);
		if (err)
			SKIP(return, "no memory cgroup: %s", strerror(-err));
		self->fd = cache_create(self->name, count, UINT32_MAX, 0);
		ASSERT_LE(0, self->fd);
		before = memcg_kernel_bytes(&self->cg);
		ASSERT_NE(UINT64_MAX, before);
		for (i = 0; i < count; i++) {
			snprintf(key, sizeof(key), "k%07u", i);
			ASSERT_EQ(0, kv_set(self->fd, key, KEY_LEN, value, vlen,
					    LRUCACHE_TTL_NONE, 0));
		}
		real = memcg_kernel_bytes(&self->cg) - before;
		ASSERT_EQ(0, cache_stats(self->fd, &st));
		ASSERT_EQ(count, st.entries);
		EXPECT_EQ(count * n, st.data_bytes);
		printf("# %8u %7llu %10llu %10llu %10llu %7.3f\n", vlen,
		       (unsigned long long)count, (unsigned long long)n,
		       (unsigned long long)(st.bytes / count),
		       (unsigned long long)(real / count),
		       (double)real / (double)st.bytes);
		fflush(stdout);

		if (n <= 8192) {
			uint64_t class = kmalloc_class(n);
			uint64_t object = slab_attr(class, "object_size", class);
			uint64_t slot = slab_attr(class, "slab_size", object);
			uint64_t want = count * (slot + 8);

			printf("# %8u kmalloc-cg-%llu: object %llu, slot %llu\n",
			       vlen, (unsigned long long)class,
			       (unsigned long long)object,
			       (unsigned long long)slot);

			EXPECT_EQ(count * object, st.bytes) {
				TH_LOG("value %u: an entry of %llu bytes should be charged the %llu of its slab",
				       vlen, (unsigned long long)n,
				       (unsigned long long)object);
			}
			EXPECT_GE(want / 50 + (64 << 10),
				  real > want ? real - want : want - real) {
				TH_LOG("value %u: the cgroup grew by %llu, %llu entries of %llu-byte slots make %llu",
				       vlen, (unsigned long long)real,
				       (unsigned long long)count,
				       (unsigned long long)slot,
				       (unsigned long long)want);
			}
		} else {
			uint64_t pages = count * ((n + 4095) / 4096) * 4096;

			EXPECT_GE(real, pages - (64 << 10)) {
				TH_LOG("value %u: the cgroup grew by %llu, less than the %llu bytes of pages",
				       vlen, (unsigned long long)real,
				       (unsigned long long)pages);
			}
			EXPECT_LE(pages, st.bytes);
			EXPECT_GE(real + real / 100 + count * 512 + (64 << 10),
				  st.bytes) {
				TH_LOG("value %u: charged %llu for %llu of memory",
				       vlen, (unsigned long long)st.bytes,
				       (unsigned long long)real);
			}
			EXPECT_LE(real, st.bytes + st.bytes / 50 + (64 << 10)) {
				TH_LOG("value %u: the cgroup grew by %llu, charged %llu",
				       vlen, (unsigned long long)real,
				       (unsigned long long)st.bytes);
			}
		}
		close(self->fd);
		self->fd = -1;
		ASSERT_EQ(0, cache_destroy(self->name));
		memcg_leave(&self->cg);
	}
}

TEST_HARNESS_MAIN
