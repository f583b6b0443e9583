/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A memory cgroup of the test's own, to read what the kernel really
 * allocated for the test: the module allocates entries with
 * GFP_KERNEL_ACCOUNT, so they are charged to the memory cgroup of the
 * task that stores them, and that cgroup's memory.stat counts them in
 * bytes, slab objects at their slab's object size ("slab_unreclaimable",
 * which also counts kmalloc()'s whole-page allocations) and vmalloc()'s
 * pages ("vmalloc").
 *
 * memcg_enter() mounts cgroup2 on /sys/fs/cgroup if nothing is mounted
 * there (the test VM mounts no cgroup), enables the memory controller
 * for the root's children, makes a child group and moves the calling
 * process into it; children forked later start in it too. memcg_leave()
 * moves the process back to the root group and removes the child (what
 * is still charged to it stays with the kernel's record of it until
 * freed). Needs root. Include after abi.h.
 */
#ifndef LRUCACHE_TESTS_MEMCG_H
#define LRUCACHE_TESTS_MEMCG_H

#include <sys/mount.h>
#include <sys/stat.h>

#define MEMCG_ROOT	"/sys/fs/cgroup"

struct memcg {
	char dir[192];
	bool mounted;		/* we mounted cgroup2 at MEMCG_ROOT */
};

/* Whether cgroup2 is what MEMCG_ROOT holds (a cgroup.procs file). */
static inline bool memcg_root_ready(void)
{
	return access(MEMCG_ROOT "/cgroup.subtree_control", W_OK) == 0;
}

/* 0, or -errno with a reason a test can SKIP on. */
static inline int memcg_enter(struct memcg *m, const char *tag)
{
	char path[256], buf[512];
	int err;

	memset(m, 0, sizeof(*m));
	if (!memcg_root_ready()) {
		if (mount("cgroup2", MEMCG_ROOT, "cgroup2", 0, NULL))
			return -errno;
		m->mounted = true;
	}
	err = read_file(MEMCG_ROOT "/cgroup.controllers", buf, sizeof(buf));
	if (err < 0)
		return err;
	if (!strstr(buf, "memory"))
		return -EOPNOTSUPP;
	err = write_file(MEMCG_ROOT "/cgroup.subtree_control", "+memory");
	if (err)
		return err;
	snprintf(m->dir, sizeof(m->dir), MEMCG_ROOT "/lrucache-%s-%d", tag,
		 (int)getpid());
	if (mkdir(m->dir, 0755) && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "%s/cgroup.procs", m->dir);
	return write_u64_file(path, (uint64_t)getpid());
}

static inline void memcg_leave(struct memcg *m)
{
	if (!m->dir[0])
		return;
	write_u64_file(MEMCG_ROOT "/cgroup.procs", (uint64_t)getpid());
	rmdir(m->dir);
	m->dir[0] = 0;
	if (m->mounted)
		umount(MEMCG_ROOT);
	m->mounted = false;
}

/* A key of the group's memory.stat, in bytes; UINT64_MAX if missing. */
static inline uint64_t memcg_stat(const struct memcg *m, const char *key)
{
	char path[256];
	uint64_t val = UINT64_MAX;

	snprintf(path, sizeof(path), "%s/memory.stat", m->dir);
	flat_keyed(path, key, &val);
	return val;
}

/*
 * Makes the group's next memory.stat read exact. The kernel keeps
 * statistics updates per CPU and folds them into memory.stat when the
 * file is read only once more than MEMCG_CHARGE_BATCH (64) updates per
 * online CPU are pending, and otherwise every 2 seconds (mm/memcontrol.c,
 * "memcg and lruvec stats flushing"). Newer kernels (7.2's) count an
 * update in pages, a slab update of a few bytes as one, and pass the
 * per-CPU slab byte counts on only past a page: a few hundred KiB of
 * small slab objects were then missing from the figure. Faulting in and unmapping
 * anonymous pages makes more than enough updates (several per page, none
 * of them to the slab or vmalloc counts) for the threshold to be passed
 * on any number of CPUs up to 256, without waiting for the timer.
 */
static inline int memcg_flush_stats(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_CONF);
	size_t pages, len, i;
	char *p;

	if (cpus < 1 || cpus > 256)
		cpus = 256;
	pages = (size_t)cpus * 64 * 2 + 64;
	len = pages * 4096;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	for (i = 0; i < len; i += 4096)
		p[i] = 1;
	munmap(p, len);
	return 0;
}

/*
 * What the group holds in memory the module can allocate for entries:
 * slab objects and kmalloc()'s pages, and vmalloc()'s pages, with the
 * statistics flushed first (memcg_flush_stats()).
 */
static inline uint64_t memcg_kernel_bytes(const struct memcg *m)
{
	uint64_t slab, vm;

	if (memcg_flush_stats())
		return UINT64_MAX;
	slab = memcg_stat(m, "slab_unreclaimable");
	vm = memcg_stat(m, "vmalloc");
	if (slab == UINT64_MAX || vm == UINT64_MAX)
		return UINT64_MAX;
	return slab + vm;
}

#endif /* LRUCACHE_TESTS_MEMCG_H */
