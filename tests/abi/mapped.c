// SPDX-License-Identifier: GPL-2.0
/*
 * Mapped caches through the raw ABI: LRUCACHE_OPEN_MAPPED, mmap() of a
 * bound descriptor and the layout of struct lrucache_map_header and
 * struct lrucache_map_slot (uapi header, "Mapped caches").
 *
 * The tests read the mapping with a reader of their own, written from the
 * documented layout only (header, index of chains of unit numbers, slots
 * under a seq, the readers' counters), not with libkcache: what they
 * prove is what the kernel writes there. They check who may map what and
 * how (every refusal), that the copy follows every kind of write (set,
 * replace, delete, clear, eviction, GETDEL, TOUCH) and never shows an old
 * value, that the counters count as hits and as uses for eviction (second
 * chance), that garbage in the counters harms nothing, and what a
 * destroyed cache's mapping holds.
 */
#include <grp.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "abi.h"
#include "../failnth.h"

#define UNITS_PER_PAGE	(LRUCACHE_MAP_PAGE / LRUCACHE_MAP_UNIT)
#define NOBODY		65534

/* One process's view of a cache's two mappings. */
struct view {
	const uint8_t *base;		/* offset 0, map_size bytes */
	size_t size;
	uint32_t *use;			/* the counters, use_size bytes */
	size_t use_size;
	const struct lrucache_map_header *h;
};

/*
 * OPEN with CREATE | EXCL | @flags and @mode (0: the default): 0 or
 * -errno.
 */
static int open_flags(int fd, const char *name, uint32_t flags,
		      uint64_t max_entries, uint32_t mode)
{
	struct lrucache_open op;

	memset(&op, 0, sizeof(op));
	put_name(op.name, name);
	op.flags = flags;
	op.max_entries = max_entries;
	op.mode = mode;
	return xioctl(fd, LRUCACHE_IOC_OPEN, &op);
}

/* A new mapped cache (with @more flags) bound to a new descriptor. */
static int create_mapped(const char *name, uint32_t more,
			 uint64_t max_entries, uint32_t mode)
{
	int fd = dev_open(), err;

	if (fd < 0)
		return fd;
	err = open_flags(fd, name, LRUCACHE_OPEN_CREATE | LRUCACHE_OPEN_EXCL |
			 LRUCACHE_OPEN_MAPPED | more, max_entries, mode);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* mmap() of @len bytes at @off: the address, or NULL and errno set. */
static void *map_at(int fd, size_t len, int prot, int flags, uint64_t off)
{
	void *p = mmap(NULL, len, prot, flags, fd, (off_t)off);

	return p == MAP_FAILED ? NULL : p;
}

/* -errno of a mapping that must fail, or 0 if it did not (and unmapped). */
static int map_err(int fd, size_t len, int prot, int flags, uint64_t off)
{
	void *p = mmap(NULL, len, prot, flags, fd, (off_t)off);

	if (p != MAP_FAILED) {
		munmap(p, len);
		return 0;
	}
	return -errno;
}

/* The whole of both mappings, as a reader maps them: 0 or -errno. */
static int view_map(int fd, struct view *v)
{
	const struct lrucache_map_header *h;
	size_t map_size, use_size;

	memset(v, 0, sizeof(*v));
	h = map_at(fd, LRUCACHE_MAP_PAGE, PROT_READ, MAP_SHARED, 0);
	if (!h)
		return -errno;
	map_size = h->map_size;
	use_size = h->use_size;
	munmap((void *)h, LRUCACHE_MAP_PAGE);
	v->base = map_at(fd, map_size, PROT_READ, MAP_SHARED, 0);
	if (!v->base)
		return -errno;
	v->use = map_at(fd, use_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			LRUCACHE_MAP_USE_OFFSET);
	if (!v->use) {
		int err = -errno;

		munmap((void *)v->base, map_size);
		v->base = NULL;
		return err;
	}
	v->size = map_size;
	v->use_size = use_size;
	v->h = (const void *)v->base;
	return 0;
}

static void view_unmap(struct view *v)
{
	if (v->base)
		munmap((void *)v->base, v->size);
	if (v->use)
		munmap(v->use, v->use_size);
	memset(v, 0, sizeof(*v));
}

static uint64_t ready_pages(const struct view *v)
{
	return __atomic_load_n(&v->h->ready_pages, __ATOMIC_ACQUIRE);
}

static const struct lrucache_map_slot *slot_at(const struct view *v,
					       uint32_t unit)
{
	return (const void *)(v->base + v->h->arena_off +
			      (size_t)unit * LRUCACHE_MAP_UNIT);
}

static const uint32_t *bucket_of(const struct view *v, const void *key,
				 uint32_t klen)
{
	uint64_t hash = lrucache_map_hash(key, klen, v->h->seed);
	const uint32_t *index = (const void *)(v->base + v->h->index_off);

	return &index[hash & ((UINT64_C(1) << v->h->bucket_shift) - 1)];
}

static bool slot_live(const struct lrucache_map_slot *s)
{
	uint64_t seq = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);

	return seq && !(seq & 1);
}

/*
 * The live slot of @key in its bucket's chain (and its unit), NULL if the
 * chain has none. A chain that leaves the ready pages or is longer than
 * LRUCACHE_MAP_CHAIN_MAX sets *bad: no test expects one.
 */
static const struct lrucache_map_slot *find_slot(const struct view *v,
						 const char *key,
						 uint32_t *unit, bool *bad)
{
	uint32_t klen = strlen(key), next, hops;
	const struct lrucache_map_slot *s;
	uint64_t ready = ready_pages(v);

	next = __atomic_load_n(bucket_of(v, key, klen), __ATOMIC_ACQUIRE);
	for (hops = 0; next; hops++) {
		if (hops >= LRUCACHE_MAP_CHAIN_MAX ||
		    (next - 1) / UNITS_PER_PAGE >= ready) {
			*bad = true;
			return NULL;
		}
		s = slot_at(v, next - 1);
		if (s->key_len + s->value_len + sizeof(*s) +
		    (next - 1) % UNITS_PER_PAGE * LRUCACHE_MAP_UNIT >
		    LRUCACHE_MAP_PAGE) {
			*bad = true;
			return NULL;
		}
		if (slot_live(s) && s->key_len == klen &&
		    !memcmp(s + 1, key, klen)) {
			if (unit)
				*unit = next - 1;
			return s;
		}
		next = s->next;
	}
	return NULL;
}

/*
 * What a reader gets for @key: the value (NUL-terminated in @out, which
 * holds 256 bytes) and its length, or -1 if the mapping has no live,
 * unexpired copy; -2 for a malformed chain.
 */
static int view_get(const struct view *v, const char *key, char out[256])
{
	const struct lrucache_map_slot *s;
	bool bad = false;

	memset(out, 0, 256);
	s = find_slot(v, key, NULL, &bad);
	if (bad)
		return -2;
	if (!s || (s->expires && boottime_ns() >= s->expires))
		return -1;
	if (s->value_len > 255)
		return -2;
	memcpy(out, (const char *)(s + 1) + s->key_len, s->value_len);
	return (int)s->value_len;
}

/* The value of @key through the mapping is @val. */
#define ASSERT_VIEW(v, key, val) do {					\
	char __out[256];						\
	ASSERT_EQ((int)strlen(val), view_get((v), (key), __out)) {	\
		TH_LOG("key %s: mapping has \"%s\"", (key), __out);	\
	}								\
	ASSERT_STREQ((val), __out);					\
} while (0)

/* The mapping has no live copy of @key. */
#define ASSERT_VIEW_NONE(v, key) do {					\
	char __out[256];						\
	ASSERT_EQ(-1, view_get((v), (key), __out)) {			\
		TH_LOG("key %s: mapping still has \"%s\"", (key), __out); \
	}								\
} while (0)

/* A slot seen live with @seq no longer holds that entry. */
#define ASSERT_SLOT_LEFT(s, old) do {					\
	uint64_t __now = __atomic_load_n(&(s)->seq, __ATOMIC_ACQUIRE);	\
	ASSERT_TRUE((__now & 1) || __now != (old)) {			\
		TH_LOG("slot still has seq %" PRIu64, __now);		\
	}								\
} while (0)

static uint64_t hits_of(int fd)
{
	struct lrucache_stats st;

	return cache_stats(fd, &st) ? UINT64_MAX : st.hits;
}

static int touch_ms(int fd, const char *key, uint64_t ttl_ms)
{
	struct lrucache_kv kv = {
		.key = (uintptr_t)key, .key_len = strlen(key), .ttl_ms = ttl_ms,
	};

	return xioctl(fd, LRUCACHE_IOC_TOUCH, &kv);
}

static int getdel(int fd, const char *key, char out[256])
{
	struct lrucache_kv kv = {
		.key = (uintptr_t)key, .key_len = strlen(key),
		.value = (uintptr_t)out, .value_len = 255,
	};

	memset(out, 0, 256);
	return xioctl(fd, LRUCACHE_IOC_GETDEL, &kv);
}

static int str_set_ttl(int fd, const char *key, const char *val,
		       uint64_t ttl_ms)
{
	return kv_set(fd, key, strlen(key), val, strlen(val), ttl_ms, 0);
}

FIXTURE(mapped) {
	int fd;
	char name[LRUCACHE_NAME_MAX];
	struct view v;
};

FIXTURE_SETUP(mapped)
{
	unique_name(self->name, "map");
	self->fd = create_mapped(self->name, 0, 1000, 0);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, view_map(self->fd, &self->v));
}

FIXTURE_TEARDOWN(mapped)
{
	view_unmap(&self->v);
	if (self->fd >= 0)
		close(self->fd);
	cache_destroy(self->name);
}

/* --- 1. which caches are mapped ---------------------------------------- */

TEST(info_reports_mapped_only_for_a_mapped_cache)
{
	char name[LRUCACHE_NAME_MAX], plain[LRUCACHE_NAME_MAX];
	struct lrucache_info info;
	int fd, pfd;

	unique_name(name, "map-info");
	unique_name(plain, "map-info-plain");
	fd = create_mapped(name, 0, 100, 0);
	ASSERT_LE(0, fd);
	pfd = cache_create(plain, 100, 0, 0);
	ASSERT_LE(0, pfd);

	ASSERT_EQ(0, cache_info(fd, &info));
	EXPECT_TRUE(!!(info.flags & LRUCACHE_INFO_MAPPED));
	EXPECT_TRUE(!!(info.flags & LRUCACHE_INFO_METRICS));
	ASSERT_EQ(0, cache_info(pfd, &info));
	EXPECT_FALSE(!!(info.flags & LRUCACHE_INFO_MAPPED));
	EXPECT_TRUE(!!(info.flags & LRUCACHE_INFO_METRICS));

	/* An attached descriptor sees the same. */
	close(fd);
	fd = cache_attach(name);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, cache_info(fd, &info));
	EXPECT_TRUE(!!(info.flags & LRUCACHE_INFO_MAPPED));

	close(fd);
	close(pfd);
	ASSERT_EQ(0, cache_destroy(name));
	ASSERT_EQ(0, cache_destroy(plain));
}

TEST(mapped_without_create_is_einval)
{
	char name[LRUCACHE_NAME_MAX];
	struct lrucache_info info;
	int fd, dfd;

	unique_name(name, "map-nocreate");
	fd = create_mapped(name, 0, 100, 0);
	ASSERT_LE(0, fd);
	dfd = dev_open();
	ASSERT_LE(0, dfd);
	/* Neither on the existing mapped cache nor on a missing one. */
	ASSERT_EQ(-EINVAL, open_flags(dfd, name, LRUCACHE_OPEN_MAPPED, 0, 0));
	ASSERT_EQ(-EINVAL, open_flags(dfd, "t-map-missing",
				      LRUCACHE_OPEN_MAPPED, 0, 0));
	/* The descriptor stayed unbound. */
	ASSERT_EQ(-EBADFD, cache_info(dfd, &info));
	close(dfd);
	close(fd);
	ASSERT_EQ(0, cache_destroy(name));
}

TEST(mmap_of_a_plain_cache_is_enodev)
{
	char name[LRUCACHE_NAME_MAX];
	int fd;

	unique_name(name, "map-plain");
	fd = cache_create(name, 100, 0, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(-ENODEV, map_err(fd, LRUCACHE_MAP_PAGE, PROT_READ,
				   MAP_SHARED, 0));
	ASSERT_EQ(-ENODEV, map_err(fd, LRUCACHE_MAP_PAGE,
				   PROT_READ | PROT_WRITE, MAP_SHARED,
				   LRUCACHE_MAP_USE_OFFSET));
	close(fd);
	ASSERT_EQ(0, cache_destroy(name));
}

TEST(mmap_of_an_unbound_descriptor_is_ebadfd)
{
	int fd = dev_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(-EBADFD, map_err(fd, LRUCACHE_MAP_PAGE, PROT_READ,
				   MAP_SHARED, 0));
	ASSERT_EQ(-EBADFD, map_err(fd, LRUCACHE_MAP_PAGE,
				   PROT_READ | PROT_WRITE, MAP_SHARED,
				   LRUCACHE_MAP_USE_OFFSET));
	close(fd);
}

/* --- 2. what may be mapped, and how ------------------------------------ */

TEST_F(mapped, writable_or_executable_map_is_eacces)
{
	int fd = self->fd;

	ASSERT_EQ(-EACCES, map_err(fd, LRUCACHE_MAP_PAGE,
				   PROT_READ | PROT_WRITE, MAP_SHARED, 0));
	ASSERT_EQ(-EACCES, map_err(fd, LRUCACHE_MAP_PAGE, PROT_WRITE,
				   MAP_SHARED, 0));
	ASSERT_EQ(-EACCES, map_err(fd, LRUCACHE_MAP_PAGE,
				   PROT_READ | PROT_EXEC, MAP_SHARED, 0));
	/* The counters may be written, never executed. */
	ASSERT_EQ(-EACCES, map_err(fd, LRUCACHE_MAP_PAGE,
				   PROT_READ | PROT_WRITE | PROT_EXEC,
				   MAP_SHARED, LRUCACHE_MAP_USE_OFFSET));
	ASSERT_EQ(-EACCES, map_err(fd, LRUCACHE_MAP_PAGE,
				   PROT_READ | PROT_EXEC, MAP_SHARED,
				   LRUCACHE_MAP_USE_OFFSET));
}

TEST_F(mapped, mprotect_cannot_make_the_map_writable_or_executable)
{
	uint8_t *p, *u;

	p = map_at(self->fd, LRUCACHE_MAP_PAGE, PROT_READ, MAP_SHARED, 0);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(-1, mprotect(p, LRUCACHE_MAP_PAGE, PROT_READ | PROT_WRITE));
	ASSERT_EQ(EACCES, errno);
	ASSERT_EQ(-1, mprotect(p, LRUCACHE_MAP_PAGE, PROT_READ | PROT_EXEC));
	ASSERT_EQ(EACCES, errno);
	/* Still readable: the header is there. */
	ASSERT_EQ(LRUCACHE_MAP_MAGIC, ((struct lrucache_map_header *)p)->magic);
	ASSERT_EQ(0, munmap(p, LRUCACHE_MAP_PAGE));

	u = map_at(self->fd, LRUCACHE_MAP_PAGE, PROT_READ | PROT_WRITE,
		   MAP_SHARED, LRUCACHE_MAP_USE_OFFSET);
	ASSERT_NE(NULL, u);
	ASSERT_EQ(-1, mprotect(u, LRUCACHE_MAP_PAGE, PROT_READ | PROT_EXEC));
	ASSERT_EQ(EACCES, errno);
	/* Dropping and taking back write access to the counters is fine. */
	ASSERT_EQ(0, mprotect(u, LRUCACHE_MAP_PAGE, PROT_READ));
	ASSERT_EQ(0, mprotect(u, LRUCACHE_MAP_PAGE, PROT_READ | PROT_WRITE));
	ASSERT_EQ(0, munmap(u, LRUCACHE_MAP_PAGE));
}

TEST_F(mapped, private_map_is_einval)
{
	ASSERT_EQ(-EINVAL, map_err(self->fd, LRUCACHE_MAP_PAGE, PROT_READ,
				   MAP_PRIVATE, 0));
	ASSERT_EQ(-EINVAL, map_err(self->fd, LRUCACHE_MAP_PAGE,
				   PROT_READ | PROT_WRITE, MAP_PRIVATE, 0));
	ASSERT_EQ(-EINVAL, map_err(self->fd, LRUCACHE_MAP_PAGE,
				   PROT_READ | PROT_WRITE, MAP_PRIVATE,
				   LRUCACHE_MAP_USE_OFFSET));
}

TEST_F(mapped, other_offsets_are_einval)
{
	static const uint64_t offs[] = {
		LRUCACHE_MAP_PAGE,
		2 * LRUCACHE_MAP_PAGE,
		LRUCACHE_MAP_USE_OFFSET - LRUCACHE_MAP_PAGE,
		LRUCACHE_MAP_USE_OFFSET + LRUCACHE_MAP_PAGE,
		LRUCACHE_MAP_USE_OFFSET * 2,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		EXPECT_EQ(-EINVAL, map_err(self->fd, LRUCACHE_MAP_PAGE,
					   PROT_READ, MAP_SHARED, offs[i])) {
			TH_LOG("offset 0x%" PRIx64, offs[i]);
		}
	}
}

TEST_F(mapped, map_larger_than_its_part_is_einval)
{
	size_t map_size = self->v.h->map_size, use_size = self->v.h->use_size;

	ASSERT_EQ(-EINVAL, map_err(self->fd, map_size + LRUCACHE_MAP_PAGE,
				   PROT_READ, MAP_SHARED, 0));
	ASSERT_EQ(-EINVAL, map_err(self->fd, use_size + LRUCACHE_MAP_PAGE,
				   PROT_READ | PROT_WRITE, MAP_SHARED,
				   LRUCACHE_MAP_USE_OFFSET));
	/* Exactly the sizes the header gives are fine. */
	ASSERT_EQ(0, map_err(self->fd, map_size, PROT_READ, MAP_SHARED, 0));
	ASSERT_EQ(0, map_err(self->fd, use_size, PROT_READ | PROT_WRITE,
			     MAP_SHARED, LRUCACHE_MAP_USE_OFFSET));
}

TEST_F(mapped, mremap_cannot_grow_a_map)
{
	void *p, *q;

	p = map_at(self->fd, LRUCACHE_MAP_PAGE, PROT_READ, MAP_SHARED, 0);
	ASSERT_NE(NULL, p);
	q = mremap(p, LRUCACHE_MAP_PAGE, 2 * LRUCACHE_MAP_PAGE, MREMAP_MAYMOVE);
	ASSERT_EQ(MAP_FAILED, q);
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(0, munmap(p, LRUCACHE_MAP_PAGE));

	p = map_at(self->fd, LRUCACHE_MAP_PAGE, PROT_READ | PROT_WRITE,
		   MAP_SHARED, LRUCACHE_MAP_USE_OFFSET);
	ASSERT_NE(NULL, p);
	q = mremap(p, LRUCACHE_MAP_PAGE, 2 * LRUCACHE_MAP_PAGE, MREMAP_MAYMOVE);
	ASSERT_EQ(MAP_FAILED, q);
	ASSERT_EQ(EFAULT, errno);
	ASSERT_EQ(0, munmap(p, LRUCACHE_MAP_PAGE));
}

/* --- 3. read permission ------------------------------------------------ */

/*
 * In a child as uid and gid NOBODY with no supplementary group ("others"
 * for a cache root made): bind @name, try a set (which works only with
 * @may_write), then mmap both parts (which works only with @may_map) and
 * read the key "from-parent" through the mapping. Returns 0 if all went as
 * expected, else the line (mod 256) of the first check that failed, or
 * 1000 + the signal that killed the child.
 */
static int child_maps(const char *name, bool may_write, bool may_map)
{
	char out[256];
	struct view v;
	pid_t pid;
	int status, fd;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		alarm(20);
		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY) || geteuid() != NOBODY)
			_exit(__LINE__ & 0xff);
		fd = cache_attach(name);
		if (fd < 0)
			_exit(__LINE__ & 0xff);
		if (str_set(fd, "from-child", "w") != (may_write ? 0 : -EACCES))
			_exit(__LINE__ & 0xff);
		if (!may_map) {
			if (map_err(fd, LRUCACHE_MAP_PAGE, PROT_READ,
				    MAP_SHARED, 0) != -EACCES)
				_exit(__LINE__ & 0xff);
			if (map_err(fd, LRUCACHE_MAP_PAGE,
				    PROT_READ | PROT_WRITE, MAP_SHARED,
				    LRUCACHE_MAP_USE_OFFSET) != -EACCES)
				_exit(__LINE__ & 0xff);
			_exit(0);
		}
		if (view_map(fd, &v))
			_exit(__LINE__ & 0xff);
		if (v.h->magic != LRUCACHE_MAP_MAGIC)
			_exit(__LINE__ & 0xff);
		if (view_get(&v, "from-parent", out) != 2 ||
		    strcmp(out, "pv"))
			_exit(__LINE__ & 0xff);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (!WIFEXITED(status))
		return 1000 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return WEXITSTATUS(status);
}

TEST(write_permission_alone_cannot_map)
{
	char name[LRUCACHE_NAME_MAX];
	int fd;

	unique_name(name, "map-0702");
	fd = create_mapped(name, 0, 100, 0702);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, str_set(fd, "from-parent", "pv"));
	/* 0: the child bound and wrote, and both maps were refused. */
	ASSERT_EQ(0, child_maps(name, true, false)) {
		TH_LOG("the child failed at the line (mod 256) given");
	}
	/* Its write went in: it was bound, with write permission. */
	ASSERT_EQ(1, str_exists(fd, "from-child"));
	close(fd);
	ASSERT_EQ(0, cache_destroy(name));
}

TEST(read_permission_maps)
{
	char name[LRUCACHE_NAME_MAX];
	int fd;

	unique_name(name, "map-0704");
	fd = create_mapped(name, 0, 100, 0704);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, str_set(fd, "from-parent", "pv"));
	/* 0: the set was refused, the maps worked and held the key. */
	ASSERT_EQ(0, child_maps(name, false, true)) {
		TH_LOG("the child failed at the line (mod 256) given");
	}
	ASSERT_EQ(0, str_exists(fd, "from-child"));
	close(fd);
	ASSERT_EQ(0, cache_destroy(name));
}

/*
 * In a child: map with the descriptor root opened (cache mode 0700), drop
 * to NOBODY, then map again: the check is the caller's at each mmap(),
 * and the mapping made before the drop still reads.
 */
static int child_drops_privileges(int fd)
{
	struct view v;
	char out[256];
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		alarm(20);
		if (view_map(fd, &v))
			_exit(__LINE__ & 0xff);
		if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
		    setresuid(NOBODY, NOBODY, NOBODY) || geteuid() != NOBODY)
			_exit(__LINE__ & 0xff);
		if (map_err(fd, LRUCACHE_MAP_PAGE, PROT_READ, MAP_SHARED, 0) !=
		    -EACCES)
			_exit(__LINE__ & 0xff);
		if (str_get(fd, "from-parent", out) != -EACCES)
			_exit(__LINE__ & 0xff);
		if (view_get(&v, "from-parent", out) != 2 || strcmp(out, "pv"))
			_exit(__LINE__ & 0xff);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (!WIFEXITED(status))
		return 1000 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return WEXITSTATUS(status);
}

TEST(mmap_checks_the_callers_permission_not_the_openers)
{
	char name[LRUCACHE_NAME_MAX];
	int fd;

	unique_name(name, "map-0700");
	fd = create_mapped(name, 0, 100, 0700);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, str_set(fd, "from-parent", "pv"));
	ASSERT_EQ(0, child_drops_privileges(fd)) {
		TH_LOG("the child failed at the line (mod 256) given");
	}
	close(fd);
	ASSERT_EQ(0, cache_destroy(name));
}

/* The VmFlags of the mapping at @addr in /proc/self/smaps, in @flags. */
static int vm_flags_of(const void *addr, char *flags, size_t size)
{
	char line[512], want[32];
	bool in = false;
	FILE *f = fopen("/proc/self/smaps", "re");

	if (!f)
		return -errno;
	snprintf(want, sizeof(want), "%lx-", (unsigned long)addr);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, want, strlen(want)))
			in = true;
		else if (in && !strncmp(line, "VmFlags:", 8)) {
			size_t n = strnlen(line + 8, size - 1);

			memcpy(flags, line + 8, n);
			flags[n] = 0;
			fclose(f);
			return 0;
		}
	}
	fclose(f);
	return -ENOENT;
}

static bool has_flag(const char *flags, const char *flag)
{
	char f[8];

	snprintf(f, sizeof(f), " %s", flag);
	return strstr(flags, f) != NULL;
}

TEST_F(mapped, maps_may_not_grow_be_dumped_or_become_writable)
{
	char flags[256];

	ASSERT_EQ(0, vm_flags_of(self->v.base, flags, sizeof(flags)));
	TH_LOG("read-only map: %s", flags);
	EXPECT_TRUE(has_flag(flags, "sh"));
	EXPECT_TRUE(has_flag(flags, "rd"));
	EXPECT_FALSE(has_flag(flags, "wr"));
	EXPECT_FALSE(has_flag(flags, "mw"));
	EXPECT_FALSE(has_flag(flags, "me"));
	EXPECT_TRUE(has_flag(flags, "de"));
	EXPECT_TRUE(has_flag(flags, "dd"));
	ASSERT_EQ(0, vm_flags_of(self->v.use, flags, sizeof(flags)));
	TH_LOG("counters: %s", flags);
	EXPECT_TRUE(has_flag(flags, "sh"));
	EXPECT_TRUE(has_flag(flags, "wr"));
	EXPECT_FALSE(has_flag(flags, "me"));
	EXPECT_TRUE(has_flag(flags, "de"));
	EXPECT_TRUE(has_flag(flags, "dd"));
}

/* --- 4. the copy follows every write ----------------------------------- */

TEST_F(mapped, every_key_set_is_in_its_chain_with_its_value)
{
	const struct lrucache_map_slot *s;
	char key[32], val[64];
	uint64_t before, after;
	uint32_t unit;
	bool bad = false;
	int i;

	for (i = 0; i < 200; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		/* Values of several lengths: slots of several classes. */
		snprintf(val, sizeof(val), "value-%d-%.*s", i, i % 40,
			 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN");
		ASSERT_EQ(0, str_set_ttl(self->fd, key, val, LRUCACHE_TTL_NONE));
	}
	before = boottime_ns();
	ASSERT_EQ(0, str_set_ttl(self->fd, "ttl-key", "ttl-value", 60000));
	after = boottime_ns();

	for (i = 0; i < 200; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		snprintf(val, sizeof(val), "value-%d-%.*s", i, i % 40,
			 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN");
		s = find_slot(&self->v, key, &unit, &bad);
		ASSERT_FALSE(bad);
		ASSERT_NE(NULL, s) {
			TH_LOG("%s is not in the mapping", key);
		}
		ASSERT_NE(0U, s->seq);
		ASSERT_EQ(0U, s->seq & 1);
		ASSERT_EQ(strlen(key), s->key_len);
		ASSERT_EQ(strlen(val), s->value_len);
		ASSERT_EQ(0, memcmp((const char *)(s + 1) + s->key_len, val,
				    s->value_len));
		ASSERT_EQ(0U, s->expires);
		ASSERT_EQ(0U, s->reserved);
		/* Slots start on a unit inside the ready pages. */
		ASSERT_LT(unit / UNITS_PER_PAGE, ready_pages(&self->v));
		ASSERT_EQ((const uint8_t *)s, self->v.base +
			  self->v.h->arena_off + (size_t)unit * LRUCACHE_MAP_UNIT);
		ASSERT_VIEW(&self->v, key, val);
	}
	s = find_slot(&self->v, "ttl-key", NULL, &bad);
	ASSERT_NE(NULL, s);
	/* Its expiry: 60 s after the set, on CLOCK_BOOTTIME. */
	ASSERT_LE(before + 60000ULL * 1000000, s->expires);
	ASSERT_GE(after + 60000ULL * 1000000, s->expires);
	ASSERT_LT(boottime_ns(), s->expires);
	ASSERT_VIEW(&self->v, "ttl-key", "ttl-value");
	/* A key never set is not there. */
	ASSERT_VIEW_NONE(&self->v, "key-200");
}

TEST_F(mapped, delete_unpublishes_the_slot)
{
	const struct lrucache_map_slot *s;
	bool bad = false;
	uint64_t seq;

	ASSERT_EQ(0, str_set(self->fd, "gone", "old-value"));
	ASSERT_EQ(0, str_set(self->fd, "kept", "kept-value"));
	s = find_slot(&self->v, "gone", NULL, &bad);
	ASSERT_NE(NULL, s);
	seq = s->seq;
	ASSERT_EQ(0, kv_delete(self->fd, "gone", 4));
	ASSERT_SLOT_LEFT(s, seq);
	ASSERT_VIEW_NONE(&self->v, "gone");
	ASSERT_VIEW(&self->v, "kept", "kept-value");
}

/* Live slots of @key on its chain. */
static int live_copies(const struct view *v, const char *key)
{
	uint32_t klen = strlen(key), next, hops = 0;
	const struct lrucache_map_slot *s;
	int n = 0;

	next = *bucket_of(v, key, klen);
	while (next && hops++ < 2 * LRUCACHE_MAP_CHAIN_MAX) {
		s = slot_at(v, next - 1);
		n += slot_live(s) && s->key_len == klen &&
		     !memcmp(s + 1, key, klen);
		next = s->next;
	}
	return n;
}

TEST_F(mapped, replace_never_shows_the_old_value)
{
	const struct lrucache_map_slot *s;
	char val[64];
	bool bad = false;
	uint64_t seq;
	int i;

	ASSERT_EQ(0, str_set(self->fd, "k", "value-0"));
	for (i = 1; i <= 100; i++) {
		s = find_slot(&self->v, "k", NULL, &bad);
		ASSERT_NE(NULL, s);
		seq = s->seq;
		/* Same class and another one, in turn. */
		snprintf(val, sizeof(val), "value-%d%s", i,
			 i % 2 ? "-longer-than-before-by-far-and-then-some" : "");
		ASSERT_EQ(0, str_set(self->fd, "k", val));
		ASSERT_SLOT_LEFT(s, seq);
		ASSERT_VIEW(&self->v, "k", val);
		/* Never two live slots of one key. */
		ASSERT_EQ(1, live_copies(&self->v, "k"));
	}
}

TEST_F(mapped, clear_unpublishes_every_slot)
{
	const struct lrucache_map_slot *s[50];
	uint64_t seq[50];
	char key[32];
	bool bad = false;
	int i;

	for (i = 0; i < 50; i++) {
		snprintf(key, sizeof(key), "c%d", i);
		ASSERT_EQ(0, str_set(self->fd, key, key));
		s[i] = find_slot(&self->v, key, NULL, &bad);
		ASSERT_NE(NULL, s[i]);
		seq[i] = s[i]->seq;
	}
	ASSERT_EQ(0, cache_clear(self->fd));
	for (i = 0; i < 50; i++) {
		snprintf(key, sizeof(key), "c%d", i);
		ASSERT_SLOT_LEFT(s[i], seq[i]);
		ASSERT_VIEW_NONE(&self->v, key);
	}
	/* And the cache maps what comes next. */
	ASSERT_EQ(0, str_set(self->fd, "c0", "again"));
	ASSERT_VIEW(&self->v, "c0", "again");
}

TEST(evicted_entries_leave_the_mapping)
{
	const struct lrucache_map_slot *s[8];
	char name[LRUCACHE_NAME_MAX], key[32], val[32];
	struct lrucache_stats st;
	struct view v;
	uint64_t seq[8];
	bool bad = false;
	int fd, i, round;

	unique_name(name, "map-evict");
	fd = create_mapped(name, 0, 8, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, view_map(fd, &v));
	for (round = 0; round < 20; round++) {
		for (i = 0; i < 8; i++) {
			snprintf(key, sizeof(key), "r%d-%d", round, i);
			snprintf(val, sizeof(val), "v%d-%d", round, i);
			ASSERT_EQ(0, str_set(fd, key, val));
		}
		/* The previous round's 8 entries were evicted. */
		for (i = 0; round && i < 8; i++) {
			snprintf(key, sizeof(key), "r%d-%d", round - 1, i);
			ASSERT_SLOT_LEFT(s[i], seq[i]);
			ASSERT_VIEW_NONE(&v, key);
		}
		for (i = 0; i < 8; i++) {
			snprintf(key, sizeof(key), "r%d-%d", round, i);
			snprintf(val, sizeof(val), "v%d-%d", round, i);
			ASSERT_VIEW(&v, key, val);
			s[i] = find_slot(&v, key, NULL, &bad);
			ASSERT_NE(NULL, s[i]);
			seq[i] = s[i]->seq;
		}
	}
	ASSERT_EQ(0, cache_stats(fd, &st));
	ASSERT_EQ(8U, st.entries);
	ASSERT_EQ(19U * 8, st.evictions);
	view_unmap(&v);
	close(fd);
	ASSERT_EQ(0, cache_destroy(name));
}

TEST_F(mapped, getdel_unpublishes_the_slot)
{
	const struct lrucache_map_slot *s;
	char out[256];
	bool bad = false;
	uint64_t seq;

	ASSERT_EQ(0, str_set(self->fd, "job", "payload"));
	s = find_slot(&self->v, "job", NULL, &bad);
	ASSERT_NE(NULL, s);
	seq = s->seq;
	ASSERT_EQ(7, getdel(self->fd, "job", out));
	ASSERT_STREQ("payload", out);
	ASSERT_SLOT_LEFT(s, seq);
	ASSERT_VIEW_NONE(&self->v, "job");
}

TEST_F(mapped, touch_changes_the_slots_expiry)
{
	const struct lrucache_map_slot *s;
	uint64_t first, before, after;
	bool bad = false;

	ASSERT_EQ(0, str_set_ttl(self->fd, "t", "tv", 60000));
	s = find_slot(&self->v, "t", NULL, &bad);
	ASSERT_NE(NULL, s);
	first = s->expires;
	ASSERT_NE(0U, first);

	before = boottime_ns();
	ASSERT_EQ(0, touch_ms(self->fd, "t", 600000));
	after = boottime_ns();
	s = find_slot(&self->v, "t", NULL, &bad);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0U, s->seq & 1);
	ASSERT_LE(before + 600000ULL * 1000000, s->expires);
	ASSERT_GE(after + 600000ULL * 1000000, s->expires);
	ASSERT_LT(first, s->expires);
	ASSERT_VIEW(&self->v, "t", "tv");

	/* No expiry at all: 0. */
	ASSERT_EQ(0, touch_ms(self->fd, "t", LRUCACHE_TTL_NONE));
	s = find_slot(&self->v, "t", NULL, &bad);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0U, s->expires);
	ASSERT_VIEW(&self->v, "t", "tv");
}

/* --- 5. the counters are hits ------------------------------------------ */

TEST_F(mapped, counter_adds_count_exactly_as_hits)
{
	char out[256];
	uint64_t hits;
	uint32_t unit;
	bool bad = false;

	ASSERT_EQ(0, str_set(self->fd, "hot", "v"));
	ASSERT_EQ(0, str_set(self->fd, "cold", "v"));
	ASSERT_NE(NULL, find_slot(&self->v, "hot", &unit, &bad));
	hits = hits_of(self->fd);
	ASSERT_EQ(0U, hits);

	__atomic_fetch_add(&self->v.use[unit], 37, __ATOMIC_RELAXED);
	ASSERT_EQ(37U, hits_of(self->fd));
	/* Counted once: the kernel took them. */
	ASSERT_EQ(0U, __atomic_load_n(&self->v.use[unit], __ATOMIC_RELAXED));
	ASSERT_EQ(37U, hits_of(self->fd));

	__atomic_fetch_add(&self->v.use[unit], 5, __ATOMIC_RELAXED);
	ASSERT_EQ(42U, hits_of(self->fd));
	/* The ioctl path adds its own. */
	ASSERT_EQ(1, str_get(self->fd, "cold", out));
	ASSERT_EQ(43U, hits_of(self->fd));
}

TEST(counters_count_nothing_without_metrics)
{
	char name[LRUCACHE_NAME_MAX];
	struct lrucache_info info;
	struct view v;
	uint32_t unit;
	bool bad = false;
	int fd;

	unique_name(name, "map-nometrics");
	fd = create_mapped(name, LRUCACHE_OPEN_NO_METRICS, 100, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, cache_info(fd, &info));
	ASSERT_TRUE(!!(info.flags & LRUCACHE_INFO_MAPPED));
	ASSERT_FALSE(!!(info.flags & LRUCACHE_INFO_METRICS));
	ASSERT_EQ(0, view_map(fd, &v));
	ASSERT_EQ(0, str_set(fd, "hot", "v"));
	ASSERT_NE(NULL, find_slot(&v, "hot", &unit, &bad));
	__atomic_fetch_add(&v.use[unit], 1000, __ATOMIC_RELAXED);
	ASSERT_EQ(0U, hits_of(fd));
	ASSERT_EQ(0U, hits_of(fd));
	view_unmap(&v);
	close(fd);
	ASSERT_EQ(0, cache_destroy(name));
}

/* --- 6. second chance -------------------------------------------------- */

/*
 * A cache of 4 entries holding a, b, c, d, set in that order: the LRU
 * order is d c b a (a the oldest). With @use_a, a reader bumped a's
 * counter. Then e is set: lrucache_evict() looks at the oldest, a; a used
 * entry is made the most recent instead of being evicted (a e d c), and
 * b, the next oldest, goes. Without the use, a goes. Then f is set and
 * the oldest of what remains goes: c (use) or b (no use).
 */
static void second_chance(struct __test_metadata *_metadata, bool use_a)
{
	static const char *const keys[] = { "a", "b", "c", "d", "e", "f" };
	char name[LRUCACHE_NAME_MAX];
	struct lrucache_stats st;
	struct view v;
	uint32_t unit;
	bool bad = false;
	int fd, i;

	unique_name(name, use_a ? "map-2nd" : "map-no2nd");
	fd = create_mapped(name, 0, 4, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, view_map(fd, &v));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, str_set(fd, keys[i], keys[i]));
	}
	ASSERT_NE(NULL, find_slot(&v, "a", &unit, &bad));
	if (use_a)
		__atomic_fetch_add(&v.use[unit], 1, __ATOMIC_RELAXED);

	ASSERT_EQ(0, str_set(fd, "e", "e"));
	ASSERT_EQ(0, cache_stats(fd, &st));
	ASSERT_EQ(4U, st.entries);
	ASSERT_EQ(1U, st.evictions);
	ASSERT_EQ(use_a ? 1U : 0U, st.hits);
	if (use_a) {
		ASSERT_VIEW(&v, "a", "a");
		ASSERT_VIEW_NONE(&v, "b");
	} else {
		ASSERT_VIEW_NONE(&v, "a");
		ASSERT_VIEW(&v, "b", "b");
	}
	ASSERT_VIEW(&v, "c", "c");

	ASSERT_EQ(0, str_set(fd, "f", "f"));
	if (use_a) {
		/* a was made recent: c is now the oldest. */
		ASSERT_VIEW(&v, "a", "a");
		ASSERT_VIEW_NONE(&v, "c");
	} else {
		ASSERT_VIEW_NONE(&v, "b");
		ASSERT_VIEW(&v, "c", "c");
	}
	ASSERT_VIEW(&v, "d", "d");
	ASSERT_VIEW(&v, "e", "e");
	ASSERT_VIEW(&v, "f", "f");
	/* The ioctls agree (EXISTS does not reorder; checked last anyway). */
	ASSERT_EQ(use_a ? 1 : 0, str_exists(fd, "a"));
	ASSERT_EQ(0, str_exists(fd, "b"));
	ASSERT_EQ(use_a ? 0 : 1, str_exists(fd, "c"));
	ASSERT_EQ(0, cache_stats(fd, &st));
	ASSERT_EQ(2U, st.evictions);
	view_unmap(&v);
	close(fd);
	ASSERT_EQ(0, cache_destroy(name));
}

TEST(a_mapped_hit_saves_the_oldest_entry_once)
{
	second_chance(_metadata, true);
}

TEST(without_a_mapped_hit_the_oldest_entry_goes)
{
	second_chance(_metadata, false);
}

/*
 * A reader that found a's slot just before a was deleted counts its hit
 * late, into a free slot; b then takes the slot. The late hit counts as a
 * hit (with @stats_between, already when the counters are next reported)
 * but never as a use of b: in a cache of 2, set b, c, d evicts b.
 */
static void late_hit(struct __test_metadata *_metadata, bool stats_between)
{
	char name[LRUCACHE_NAME_MAX];
	uint32_t unit_a, unit_b;
	struct view v;
	bool bad = false;
	int fd;

	unique_name(name, stats_between ? "map-late-stats" : "map-late");
	fd = create_mapped(name, 0, 2, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, view_map(fd, &v));
	ASSERT_EQ(0, str_set(fd, "a", "a"));
	ASSERT_NE(NULL, find_slot(&v, "a", &unit_a, &bad));
	ASSERT_EQ(0, kv_delete(fd, "a", 1));
	__atomic_fetch_add(&v.use[unit_a], 3, __ATOMIC_RELAXED);
	if (stats_between) {
		ASSERT_EQ(3U, hits_of(fd));
	}
	ASSERT_EQ(0, str_set(fd, "b", "b"));
	ASSERT_NE(NULL, find_slot(&v, "b", &unit_b, &bad));
	/* The same slot again (the lowest free one of its page). */
	ASSERT_EQ(unit_a, unit_b);
	ASSERT_EQ(0, str_set(fd, "c", "c"));
	ASSERT_EQ(0, str_set(fd, "d", "d"));
	ASSERT_VIEW_NONE(&v, "b");
	ASSERT_VIEW(&v, "c", "c");
	ASSERT_VIEW(&v, "d", "d");
	ASSERT_EQ(3U, hits_of(fd));
	view_unmap(&v);
	close(fd);
	ASSERT_EQ(0, cache_destroy(name));
}

TEST(a_late_hit_on_a_freed_slot_is_no_use_of_its_next_entry)
{
	late_hit(_metadata, false);
}

TEST(a_late_hit_reported_before_reuse_is_no_use_of_its_next_entry)
{
	late_hit(_metadata, true);
}

/* --- 7. garbage in the counters ---------------------------------------- */

static sigjmp_buf bus_jmp;

static void on_sigbus(int sig)
{
	siglongjmp(bus_jmp, 1);
}

/*
 * Writes garbage (random words, every fourth 0xffffffff) into every page
 * of the counters that can be written. A counters' page comes with the
 * arena pages it counts for; one that does not exist yet is a SIGBUS,
 * which is caught and the page skipped. Returns the pages written, or -1
 * if a page that must exist (it counts for a ready arena page) faulted.
 */
static long fill_garbage(struct view *v, uint64_t *rng)
{
	size_t per_page = LRUCACHE_MAP_PAGE / sizeof(uint32_t);
	size_t pages = v->use_size / LRUCACHE_MAP_PAGE;
	size_t need = (ready_pages(v) * UNITS_PER_PAGE + per_page - 1) /
		      per_page;
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	volatile size_t p;
	volatile long written = 0;
	size_t i;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &old))
		return -1;
	for (p = 0; p < pages; p++) {
		if (sigsetjmp(bus_jmp, 1)) {
			if (p < need) {
				written = -1;
				break;
			}
			continue;
		}
		for (i = 0; i < per_page; i++) {
			uint64_t r = splitmix64(rng);

			v->use[p * per_page + i] = r % 4 == 0 ? 0xffffffffU :
						   (uint32_t)(r >> 32);
		}
		written++;
	}
	sigaction(SIGBUS, &old, NULL);
	return written;
}

TEST(garbage_in_the_counters_harms_nothing)
{
	enum { KEYS = 200, MAX = 64, OPS = 4000 };
	char name[LRUCACHE_NAME_MAX], key[32], val[64], out[256];
	static char model[KEYS][64];	/* last value set, "" if deleted */
	struct lrucache_check check;
	struct lrucache_stats st;
	uint64_t rng = 0x6d61707065642d37ULL;
	struct view v;
	int fd, i, k, ret;

	unique_name(name, "map-garbage");
	fd = create_mapped(name, 0, MAX, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, view_map(fd, &v));
	memset(model, 0, sizeof(model));
	/* No arena page yet, so no counters' page: nothing to write. */
	ASSERT_EQ(0, fill_garbage(&v, &rng));

	for (i = 0; i < OPS; i++) {
		uint64_t r = splitmix64(&rng);

		k = (int)(r % KEYS);
		snprintf(key, sizeof(key), "g%d", k);
		switch ((r >> 32) % 8) {
		case 0:
			ret = kv_delete(fd, key, strlen(key));
			/* Absent if deleted last; else present or evicted. */
			if (!model[k][0]) {
				ASSERT_EQ(-ENOENT, ret);
			} else {
				ASSERT_TRUE(ret == 0 || ret == -ENOENT);
			}
			model[k][0] = 0;
			break;
		case 1:
		case 2:
		case 3: {
			ret = str_get(fd, key, out);
			if (ret == -ENOENT)
				break;
			ASSERT_NE(0, model[k][0]);
			/* Never a value that was not the last one set. */
			ASSERT_LE(0, ret);
			ASSERT_STREQ(model[k], out);
			break;
		}
		default:
			snprintf(val, sizeof(val), "%d-%.*s", i,
				 (int)(r >> 48) % 40,
				 "0123456789012345678901234567890123456789");
			ASSERT_EQ(0, str_set(fd, key, val));
			strcpy(model[k], val);
			break;
		}
		/* What the mapping shows is the last value or nothing. */
		ret = view_get(&v, key, out);
		ASSERT_NE(-2, ret);
		if (ret >= 0) {
			ASSERT_STREQ(model[k], out);
		}
		if (i % 500 == 499) {
			ASSERT_EQ(0, cache_stats(fd, &st));
			ASSERT_GE((uint64_t)MAX, st.entries);
			ASSERT_LE(1, fill_garbage(&v, &rng));
		}
	}
	ASSERT_EQ(0, cache_stats(fd, &st));
	ASSERT_GE((uint64_t)MAX, st.entries);
	ASSERT_LT(0U, st.evictions);
	memset(&check, 0, sizeof(check));
	ASSERT_EQ(0, xioctl(fd, LRUCACHE_IOC_CHECK, &check));
	ASSERT_EQ(0U, check.problems);
	ASSERT_EQ(st.entries, check.entries);
	/* Every key still mapped is live in the cache with that value. */
	for (k = 0; k < KEYS; k++) {
		snprintf(key, sizeof(key), "g%d", k);
		if (view_get(&v, key, out) < 0)
			continue;
		ASSERT_STREQ(model[k], out);
		ASSERT_EQ(1, str_exists(fd, key));
	}
	view_unmap(&v);
	close(fd);
	ASSERT_EQ(0, cache_destroy(name));
}

/* --- 8. destroy and fork ----------------------------------------------- */

TEST_F(mapped, destroy_while_mapped_unpublishes_everything)
{
	const struct view *v = &self->v;
	const uint32_t *index;
	uint64_t ready, u, sum = 0, used = 0;
	char key[16], val[32];
	size_t i, n;
	int i2;

	/* Slots of 64 bytes only: every unit of every page is a slot. */
	for (i2 = 0; i2 < 100; i2++) {
		snprintf(key, sizeof(key), "d%03d", i2);
		snprintf(val, sizeof(val), "value-of-%06d", i2);
		ASSERT_GE((size_t)LRUCACHE_MAP_UNIT, sizeof(struct lrucache_map_slot)
			  + strlen(key) + strlen(val));
		ASSERT_EQ(0, str_set(self->fd, key, val));
		ASSERT_VIEW(v, key, val);
	}
	ASSERT_EQ(0U, v->h->flags & LRUCACHE_MAP_DEAD);
	ASSERT_EQ(0, cache_destroy(self->name));

	ASSERT_NE(0U, __atomic_load_n(&v->h->flags, __ATOMIC_ACQUIRE) &
		  LRUCACHE_MAP_DEAD);
	ready = ready_pages(v);
	ASSERT_LE(2U, ready);
	for (u = 0; u < ready * UNITS_PER_PAGE; u++) {
		const struct lrucache_map_slot *s = slot_at(v, u);

		ASSERT_FALSE(slot_live(s)) {
			TH_LOG("unit %" PRIu64 " is live, seq %llu", u,
			       (unsigned long long)s->seq);
		}
		used += s->seq != 0;
	}
	ASSERT_LE(100U, used);
	/* Off their chains too. */
	index = (const void *)(v->base + v->h->index_off);
	for (i = 0; i < (size_t)1 << v->h->bucket_shift; i++) {
		ASSERT_EQ(0U, index[i]);
	}
	for (i2 = 0; i2 < 100; i2++) {
		snprintf(key, sizeof(key), "d%03d", i2);
		ASSERT_VIEW_NONE(v, key);
	}
	/* Everything in place still reads (no fault), the counters write. */
	n = v->h->arena_off + ready * LRUCACHE_MAP_PAGE;
	for (i = 0; i < n; i += 64)
		sum += v->base[i];
	(void)sum;
	for (i = 0; i < UNITS_PER_PAGE * ready; i++)
		v->use[i] = 0xffffffffU;

	/* No new map of a destroyed cache. */
	ASSERT_EQ(-EIDRM, map_err(self->fd, LRUCACHE_MAP_PAGE, PROT_READ,
				  MAP_SHARED, 0));
	ASSERT_EQ(-EIDRM, map_err(self->fd, LRUCACHE_MAP_PAGE,
				  PROT_READ | PROT_WRITE, MAP_SHARED,
				  LRUCACHE_MAP_USE_OFFSET));
	/* The old maps go away cleanly after the descriptor. */
	close(self->fd);
	self->fd = -1;
	ASSERT_NE(0U, v->h->flags & LRUCACHE_MAP_DEAD);
}

TEST_F(mapped, a_forked_child_shares_the_mapping)
{
	char out[256], c = 0;
	uint32_t unit;
	bool bad = false;
	int go[2], seen[2], status;
	pid_t pid;

	ASSERT_EQ(0, str_set(self->fd, "before", "b-value"));
	ASSERT_NE(NULL, find_slot(&self->v, "before", &unit, &bad));
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(seen));
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		alarm(20);
		close(go[1]);
		close(seen[0]);
		if (self->v.h->magic != LRUCACHE_MAP_MAGIC)
			_exit(10);
		if (view_get(&self->v, "before", out) != 7 ||
		    strcmp(out, "b-value"))
			_exit(11);
		if (write(seen[1], &c, 1) != 1)
			_exit(15);
		/* What the parent sets after the fork shows up here. */
		if (read(go[0], &c, 1) != 1)
			_exit(12);
		if (view_get(&self->v, "after", out) != 7 ||
		    strcmp(out, "a-value"))
			_exit(13);
		if (view_get(&self->v, "before", out) != -1)
			_exit(14);
		/* A hit counted in the child counts for everybody. */
		__atomic_fetch_add(&self->v.use[unit], 3, __ATOMIC_RELAXED);
		_exit(0);
	}
	close(go[0]);
	close(seen[1]);
	/* The child read "before" first. */
	ASSERT_EQ(1, read(seen[0], &c, 1));
	close(seen[0]);
	ASSERT_EQ(0, str_set(self->fd, "after", "a-value"));
	/* Deleted: the child must not see b-value any more. */
	ASSERT_EQ(0, kv_delete(self->fd, "before", 6));
	ASSERT_EQ(0U, hits_of(self->fd));
	ASSERT_EQ(1, write(go[1], &c, 1));
	close(go[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(3U, hits_of(self->fd));
}

/* --- 9. the header ----------------------------------------------------- */

TEST_F(mapped, header_fields_are_consistent)
{
	const struct lrucache_map_header *h = self->v.h;
	unsigned int i;

	ASSERT_EQ(LRUCACHE_MAP_MAGIC, h->magic);
	ASSERT_EQ((uint32_t)LRUCACHE_MAP_VERSION, h->version);
	ASSERT_EQ(0U, h->flags);
	ASSERT_GE(31U, h->bucket_shift);
	ASSERT_LE(1U, h->bucket_shift);
	/* The index: after the header, inside the read-only part. */
	ASSERT_LE(sizeof(*h), h->index_off);
	ASSERT_EQ(0U, h->index_off % sizeof(uint32_t));
	ASSERT_LE(h->index_off + (sizeof(uint32_t) << h->bucket_shift),
		  h->arena_off);
	ASSERT_EQ(0U, h->arena_off % LRUCACHE_MAP_PAGE);
	ASSERT_LE(1U, h->arena_pages);
	ASSERT_EQ(h->arena_off + h->arena_pages * LRUCACHE_MAP_PAGE,
		  h->map_size);
	ASSERT_LE(h->arena_pages * UNITS_PER_PAGE * sizeof(uint32_t),
		  h->use_size);
	ASSERT_EQ(0U, h->use_size % LRUCACHE_MAP_PAGE);
	ASSERT_GE(h->arena_pages, h->ready_pages);
	ASSERT_EQ(self->v.size, h->map_size);
	for (i = 0; i < ARRAY_SIZE(h->reserved); i++) {
		ASSERT_EQ(0U, h->reserved[i]);
	}
	/* No offset reaches past the map or into the counters' offset. */
	ASSERT_GT(LRUCACHE_MAP_USE_OFFSET, h->map_size);
	/* Nothing but the header and the index: zeroes around them. */
	ASSERT_EQ(0U, bytes_not(self->v.base + sizeof(*h),
				h->index_off - sizeof(*h), 0));
	ASSERT_EQ(0U, bytes_not(self->v.base + h->index_off,
				h->arena_off - h->index_off, 0));
}

TEST_F(mapped, a_new_arena_page_holds_only_its_slot)
{
	const struct lrucache_map_slot *s;
	uint32_t unit;
	bool bad = false;

	ASSERT_EQ(0, str_set(self->fd, "z", "zv"));
	ASSERT_EQ(1U, ready_pages(&self->v));
	s = find_slot(&self->v, "z", &unit, &bad);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0U, unit);
	ASSERT_EQ(0U, s->next);
	ASSERT_EQ(0U, bytes_not((const uint8_t *)(s + 1) + 3,
				LRUCACHE_MAP_PAGE - sizeof(*s) - 3, 0));
}

TEST_F(mapped, ready_pages_only_grow)
{
	static const unsigned int lens[] = {
		8, 100, 200, 300, 500, 1000, 2000, 4000,
	};
	uint64_t last = ready_pages(&self->v), now;
	char key[32], val[4096];
	unsigned int i, round;

	ASSERT_EQ(0U, last);
	memset(val, 'x', sizeof(val));
	for (round = 0; round < 4; round++) {
		for (i = 0; i < ARRAY_SIZE(lens); i++) {
			snprintf(key, sizeof(key), "r%u-%u", round, i);
			ASSERT_EQ(0, kv_set(self->fd, key, strlen(key), val,
					    lens[i], LRUCACHE_TTL_NONE, 0));
			now = ready_pages(&self->v);
			ASSERT_LE(last, now);
			last = now;
			ASSERT_GE(self->v.h->arena_pages, now);
		}
		/* One page per size class at least. */
		ASSERT_LE((uint64_t)ARRAY_SIZE(lens), now);
		for (i = 0; i < ARRAY_SIZE(lens); i += 2) {
			snprintf(key, sizeof(key), "r%u-%u", round, i);
			ASSERT_EQ(0, kv_delete(self->fd, key, strlen(key)));
			now = ready_pages(&self->v);
			ASSERT_LE(last, now);
			last = now;
		}
		if (round == 2) {
			ASSERT_EQ(0, cache_clear(self->fd));
			now = ready_pages(&self->v);
			ASSERT_LE(last, now);
			last = now;
		}
	}
	ASSERT_EQ(0, xioctl(self->fd, LRUCACHE_IOC_CHECK,
			    &(struct lrucache_check){ 0 }));
}

/* --- mappings split, moved and outliving their cache ------------------- */

TEST_F(mapped, split_and_moved_maps_keep_their_pages)
{
	size_t pg = LRUCACHE_MAP_PAGE, size = self->v.size;
	const struct lrucache_map_header *h;
	uint8_t *p, *q, *dst;
	char key[16];
	int i;

	for (i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "s%03d", i);
		ASSERT_EQ(0, str_set(self->fd, key, key));
	}
	ASSERT_LE(2U, ready_pages(&self->v));
	p = map_at(self->fd, size, PROT_READ, MAP_SHARED, 0);
	ASSERT_NE(NULL, p);
	/* Punch a hole after the header: two vmas, one map. */
	ASSERT_EQ(0, munmap(p + pg, pg));
	/* Move the first ready arena page's part elsewhere. */
	q = p + self->v.h->arena_off;
	dst = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, dst);
	ASSERT_EQ(dst, mremap(q, pg, pg, MREMAP_MAYMOVE | MREMAP_FIXED, dst));
	ASSERT_EQ(0, memcmp(dst, self->v.base + self->v.h->arena_off, pg));

	/* The cache and every descriptor go: the maps still read. */
	view_unmap(&self->v);
	ASSERT_EQ(0, cache_destroy(self->name));
	close(self->fd);
	self->fd = -1;
	h = (const void *)p;
	ASSERT_EQ(LRUCACHE_MAP_MAGIC, h->magic);
	ASSERT_NE(0U, h->flags & LRUCACHE_MAP_DEAD);
	for (i = 0; i < (int)(pg / LRUCACHE_MAP_UNIT); i++) {
		ASSERT_FALSE(slot_live((const void *)(dst +
						     i * LRUCACHE_MAP_UNIT)));
	}
	ASSERT_EQ(0, munmap(dst, pg));
	ASSERT_EQ(0, munmap(p, size));
}

/* Whether reading the byte at @p faults with SIGBUS. */
static bool read_faults(const volatile uint8_t *p)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	volatile bool faulted = false;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(bus_jmp, 1))
		faulted = true;
	else
		(void)*p;
	sigaction(SIGBUS, &old, NULL);
	return faulted;
}

TEST_F(mapped, arena_pages_not_in_place_are_sigbus)
{
	const uint8_t *arena = self->v.base + self->v.h->arena_off;

	ASSERT_EQ(0U, ready_pages(&self->v));
	ASSERT_FALSE(read_faults(self->v.base));
	ASSERT_FALSE(read_faults(self->v.base + self->v.h->arena_off - 1));
	ASSERT_TRUE(read_faults(arena));
	ASSERT_EQ(0, str_set(self->fd, "k", "v"));
	ASSERT_EQ(1U, ready_pages(&self->v));
	ASSERT_FALSE(read_faults(arena));
	ASSERT_FALSE(read_faults(arena + LRUCACHE_MAP_PAGE - 1));
	ASSERT_TRUE(read_faults(arena + LRUCACHE_MAP_PAGE));
	ASSERT_TRUE(read_faults(self->v.base + self->v.size - 1));
	ASSERT_VIEW(&self->v, "k", "v");
}

/* --- allocation failures (failslab; SKIP elsewhere) -------------------- */

#define MAX_NTH	200

TEST(failed_allocations_in_a_mapped_cache_are_enomem_or_unmapped)
{
	struct failnth fn = FAILNTH_INIT;
	char name[LRUCACHE_NAME_MAX], key[32], val[64], out[256];
	struct lrucache_check check;
	unsigned int n, injected = 0;
	int fd, ret, left, i;
	struct view v;

	FAILNTH_BEGIN_OR_SKIP(&fn);
	unique_name(name, "map-failslab");
	/* Creating the cache and its map. */
	for (n = 1; n <= MAX_NTH; n++) {
		fd = dev_open();
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, failnth_arm(&fn, n));
		ret = open_flags(fd, name, LRUCACHE_OPEN_CREATE |
				 LRUCACHE_OPEN_EXCL | LRUCACHE_OPEN_MAPPED,
				 100, 0);
		left = failnth_disarm(&fn);
		ASSERT_LE(0, left);
		ASSERT_TRUE(ret == 0 || ret == -ENOMEM) {
			TH_LOG("fault %u: OPEN gave %d", n, ret);
		}
		if (ret) {
			injected++;
			ASSERT_EQ(-ENOENT, cache_attach(name));
			close(fd);
			continue;
		}
		ASSERT_EQ(0, view_map(fd, &v));
		ASSERT_EQ(LRUCACHE_MAP_MAGIC, v.h->magic);
		ASSERT_EQ(0, str_set(fd, "k", "v"));
		ASSERT_VIEW(&v, "k", "v");
		view_unmap(&v);
		close(fd);
		ASSERT_EQ(0, cache_destroy(name));
		if (left)
			break;
	}
	ASSERT_LT(0U, injected);
	ASSERT_GT((unsigned int)MAX_NTH, n);

	/* Sets that grow the arena: the entry is set, or -ENOMEM. */
	fd = create_mapped(name, 0, 1000, 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, view_map(fd, &v));
	for (i = 0; i < 60; i++) {
		snprintf(key, sizeof(key), "f%d", i);
		/* One size class per key (of 15): each set may add a page. */
		snprintf(val, sizeof(val), "%.*s", i % 15 * 4 + 1,
			 "0123456789012345678901234567890123456789"
			 "012345678901234567890");
		ASSERT_EQ(0, failnth_arm(&fn, (unsigned int)(i % 8) + 1));
		ret = str_set(fd, key, val);
		left = failnth_disarm(&fn);
		ASSERT_LE(0, left);
		ASSERT_TRUE(ret == 0 || ret == -ENOMEM);
		ret = view_get(&v, key, out);
		ASSERT_NE(-2, ret);
		/* Mapped or not, never another value. */
		if (ret >= 0) {
			ASSERT_STREQ(val, out);
		}
	}
	ASSERT_EQ(0, failnth_end(&fn));
	memset(&check, 0, sizeof(check));
	ASSERT_EQ(0, xioctl(fd, LRUCACHE_IOC_CHECK, &check));
	ASSERT_EQ(0U, check.problems);
	view_unmap(&v);
	close(fd);
	ASSERT_EQ(0, cache_destroy(name));
}

/* --- more writes: expiry, prefixes, counters, batches, large values ---- */

static int kv_key_cmd(int fd, unsigned long cmd, struct lrucache_kv *kv,
		      const char *key)
{
	kv->key = (uintptr_t)key;
	kv->key_len = strlen(key);
	return xioctl(fd, cmd, kv);
}

/* Waits (bounded) until CLOCK_BOOTTIME reaches @ns: 0, or -1 if not. */
static int wait_boottime(uint64_t ns)
{
	uint64_t limit = boottime_ns() + 30ULL * 1000000000;

	while (boottime_ns() < ns) {
		if (boottime_ns() > limit)
			return -1;
		sleep_ms(10);
	}
	return 0;
}

TEST_F(mapped, expired_entries_leave_the_mapping_when_removed)
{
	const struct lrucache_map_slot *reaped, *lazy;
	uint64_t reaped_seq, lazy_seq;
	struct lrucache_reap r;
	char out[256];
	bool bad = false;

	ASSERT_EQ(0, str_set_ttl(self->fd, "reaped", "r", 100));
	ASSERT_EQ(0, str_set_ttl(self->fd, "lazy", "l", 100));
	ASSERT_EQ(0, str_set(self->fd, "stays", "s"));
	reaped = find_slot(&self->v, "reaped", NULL, &bad);
	lazy = find_slot(&self->v, "lazy", NULL, &bad);
	ASSERT_NE(NULL, reaped);
	ASSERT_NE(NULL, lazy);
	reaped_seq = reaped->seq;
	lazy_seq = lazy->seq;
	ASSERT_NE(0U, reaped->expires);
	/* Past its expiry a reader takes it for a miss. */
	ASSERT_EQ(0, wait_boottime(reaped->expires > lazy->expires ?
				   reaped->expires : lazy->expires));
	ASSERT_VIEW_NONE(&self->v, "reaped");
	ASSERT_VIEW_NONE(&self->v, "lazy");

	/* A GET finds it expired and removes it: its slot goes. */
	ASSERT_EQ(-ENOENT, str_get(self->fd, "lazy", out));
	ASSERT_SLOT_LEFT(lazy, lazy_seq);
	/* The reaper's walk removes the other. */
	ASSERT_EQ(0, cache_reap(self->fd, LRUCACHE_REAP_FULL_SCAN, &r));
	ASSERT_EQ(1U, r.freed);
	ASSERT_SLOT_LEFT(reaped, reaped_seq);
	ASSERT_VIEW(&self->v, "stays", "s");
}

TEST_F(mapped, delete_prefix_unpublishes_every_match)
{
	const struct lrucache_map_slot *s[5];
	struct lrucache_kv kv = { 0 };
	uint64_t seq[5];
	char key[16];
	bool bad = false;
	int i;

	for (i = 0; i < 5; i++) {
		snprintf(key, sizeof(key), "p:%d", i);
		ASSERT_EQ(0, str_set(self->fd, key, key));
		s[i] = find_slot(&self->v, key, NULL, &bad);
		ASSERT_NE(NULL, s[i]);
		seq[i] = s[i]->seq;
	}
	ASSERT_EQ(0, str_set(self->fd, "q:0", "q"));
	ASSERT_EQ(5, kv_key_cmd(self->fd, LRUCACHE_IOC_DELETE_PREFIX, &kv,
				"p:"));
	for (i = 0; i < 5; i++) {
		snprintf(key, sizeof(key), "p:%d", i);
		ASSERT_SLOT_LEFT(s[i], seq[i]);
		ASSERT_VIEW_NONE(&self->v, key);
	}
	ASSERT_VIEW(&self->v, "q:0", "q");
}

TEST_F(mapped, incr_never_leaves_the_old_number)
{
	const struct lrucache_map_slot *s;
	char expect[32], out[256];
	bool bad = false;
	uint64_t seq;
	int i, ret;

	ASSERT_EQ(0, str_set(self->fd, "n", "100"));
	for (i = 1; i <= 50; i++) {
		struct lrucache_kv kv = {
			.delta = 7, .ttl_ms = LRUCACHE_TTL_NONE,
		};

		s = find_slot(&self->v, "n", NULL, &bad);
		seq = s ? s->seq : 0;
		ASSERT_EQ(0, kv_key_cmd(self->fd, LRUCACHE_IOC_INCR, &kv, "n"));
		ASSERT_EQ(100 + 7 * i, kv.number);
		if (s) {
			ASSERT_SLOT_LEFT(s, seq);
		}
		/* The new number or nothing (the ioctl then answers). */
		snprintf(expect, sizeof(expect), "%d", 100 + 7 * i);
		ret = view_get(&self->v, "n", out);
		ASSERT_NE(-2, ret);
		if (ret >= 0) {
			ASSERT_STREQ(expect, out);
		}
		ASSERT_EQ((int)strlen(expect), str_get(self->fd, "n", out));
		ASSERT_STREQ(expect, out);
	}
}

TEST_F(mapped, batched_sets_are_mapped)
{
	struct lrucache_op ops[10];
	char keys[10][16], vals[10][16];
	int i;

	memset(ops, 0, sizeof(ops));
	for (i = 0; i < 10; i++) {
		snprintf(keys[i], sizeof(keys[i]), "b%d", i);
		snprintf(vals[i], sizeof(vals[i]), "bv%d", i);
		ops[i].opcode = LRUCACHE_OP_SET;
		ops[i].key = (uintptr_t)keys[i];
		ops[i].key_len = strlen(keys[i]);
		ops[i].value = (uintptr_t)vals[i];
		ops[i].value_len = strlen(vals[i]);
		ops[i].ttl_ms = LRUCACHE_TTL_NONE;
	}
	ASSERT_EQ(10, batch_run(self->fd, ops, 10));
	for (i = 0; i < 10; i++) {
		ASSERT_EQ(0, ops[i].result);
		ASSERT_VIEW(&self->v, keys[i], vals[i]);
	}
}

TEST_F(mapped, a_value_too_large_for_a_slot_is_not_mapped)
{
	const struct lrucache_map_slot *s;
	static char big[5000];
	char out[256];
	bool bad = false;
	uint32_t len = sizeof(big);
	uint64_t seq;

	memset(big, 'B', sizeof(big));
	ASSERT_EQ(0, str_set(self->fd, "big", "small"));
	s = find_slot(&self->v, "big", NULL, &bad);
	ASSERT_NE(NULL, s);
	seq = s->seq;
	/* Replaced by what no slot holds: the old copy goes all the same. */
	ASSERT_EQ(0, kv_set(self->fd, "big", 3, big, sizeof(big),
			    LRUCACHE_TTL_NONE, 0));
	ASSERT_SLOT_LEFT(s, seq);
	ASSERT_VIEW_NONE(&self->v, "big");
	{
		static char back[5000];

		ASSERT_EQ((int)sizeof(big), kv_get(self->fd, "big", 3, back,
						   &len));
		ASSERT_EQ(0, memcmp(big, back, sizeof(big)));
	}
	/* The largest that fits a page is mapped. */
	ASSERT_EQ(0, kv_set(self->fd, "big", 3, big,
			    LRUCACHE_MAP_PAGE - sizeof(*s) - 3,
			    LRUCACHE_TTL_NONE, 0));
	s = find_slot(&self->v, "big", NULL, &bad);
	ASSERT_NE(NULL, s);
	ASSERT_EQ(LRUCACHE_MAP_PAGE - sizeof(*s) - 3, s->value_len);
	ASSERT_EQ(0U, bytes_not((const char *)(s + 1) + 3, s->value_len, 'B'));
	/* And small again. */
	ASSERT_EQ(0, str_set(self->fd, "big", "small"));
	ASSERT_VIEW(&self->v, "big", "small");
	(void)out;
}

/* Keys "h<n>" that fall in the bucket of "h0", @n of them, in @keys. */
static void colliding_keys(const struct view *v, char keys[][16], int n)
{
	const uint32_t *bucket = bucket_of(v, "h0", 2);
	int found = 0, i;

	for (i = 0; found < n; i++) {
		snprintf(keys[found], 16, "h%d", i);
		if (bucket_of(v, keys[found], strlen(keys[found])) == bucket)
			found++;
	}
}

/* Slots on the chain of @key's bucket (the chain must end). */
static int chain_len(const struct view *v, const char *key)
{
	uint32_t next = *bucket_of(v, key, strlen(key));
	int n = 0;

	while (next && n <= 2 * LRUCACHE_MAP_CHAIN_MAX) {
		n++;
		next = slot_at(v, next - 1)->next;
	}
	return n;
}

TEST_F(mapped, a_chain_never_grows_past_its_maximum)
{
	enum { N = LRUCACHE_MAP_CHAIN_MAX + 4 };
	char keys[N][16], out[256];
	int i;

	colliding_keys(&self->v, keys, N);
	for (i = 0; i < N; i++) {
		ASSERT_EQ(0, str_set(self->fd, keys[i], keys[i]));
		ASSERT_GE(LRUCACHE_MAP_CHAIN_MAX, chain_len(&self->v, keys[i]));
	}
	ASSERT_EQ(LRUCACHE_MAP_CHAIN_MAX, chain_len(&self->v, keys[0]));
	/* The first ones are mapped, the rest only in the cache. */
	for (i = 0; i < N; i++) {
		if (i < LRUCACHE_MAP_CHAIN_MAX) {
			ASSERT_VIEW(&self->v, keys[i], keys[i]);
		} else {
			ASSERT_VIEW_NONE(&self->v, keys[i]);
		}
		ASSERT_EQ((int)strlen(keys[i]), str_get(self->fd, keys[i], out));
	}
	/* Room again: the next write of an unmapped key maps it. */
	ASSERT_EQ(0, kv_delete(self->fd, keys[0], strlen(keys[0])));
	ASSERT_EQ(0, str_set(self->fd, keys[N - 1], "now mapped"));
	ASSERT_VIEW(&self->v, keys[N - 1], "now mapped");
	ASSERT_VIEW_NONE(&self->v, keys[N - 2]);
	ASSERT_EQ(LRUCACHE_MAP_CHAIN_MAX, chain_len(&self->v, keys[0]));
}

/* --- readers racing a writer ------------------------------------------- */

struct race {
	volatile uint64_t last_set;	/* the writer's last set returned */
	volatile int done;
	volatile int failed;		/* a line of a failed check */
	volatile uint64_t reads, misses, retries;
};

/* The value of the @i-th write: @i, then a filler that depends on it. */
static size_t race_value(uint64_t i, uint8_t *buf)
{
	size_t len = 8 + 10 + (i % 26) * 7;

	memcpy(buf, &i, 8);
	memset(buf + 8, 'a' + (int)(i % 26), len - 8);
	return len;
}

/*
 * One read by the protocol: find the slot, take its even seq, copy, check
 * the seq again. 1 and the value's length in *len for a stable read, 0
 * for a miss, -1 if the slot changed under it.
 */
static int race_read(const struct view *v, const char *key, uint8_t *buf,
		     size_t *len)
{
	const struct lrucache_map_slot *s;
	uint32_t unit, kl, vl;
	uint64_t seq;
	bool bad = false;

	s = find_slot(v, key, &unit, &bad);
	if (!s)
		return bad ? -1 : 0;
	seq = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
	if (!seq || (seq & 1))
		return -1;
	kl = __atomic_load_n(&s->key_len, __ATOMIC_RELAXED);
	vl = __atomic_load_n(&s->value_len, __ATOMIC_RELAXED);
	if (kl != strlen(key) || sizeof(*s) + kl + vl +
	    unit % UNITS_PER_PAGE * LRUCACHE_MAP_UNIT > LRUCACHE_MAP_PAGE ||
	    vl > 256 || memcmp(s + 1, key, kl))
		goto changed;
	memcpy(buf, (const uint8_t *)(s + 1) + kl, vl);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
changed:
	if (__atomic_load_n(&s->seq, __ATOMIC_RELAXED) != seq)
		return -1;
	if (kl != strlen(key) || vl > 256)
		return -1;
	*len = vl;
	return 1;
}

static void race_reader(struct race *r, const struct view *v)
{
	uint8_t buf[256], want[256];
	uint64_t before, got;
	size_t len;
	int ret;

	alarm(120);
	while (!r->done) {
		before = __atomic_load_n(&r->last_set, __ATOMIC_ACQUIRE);
		ret = race_read(v, "race", buf, &len);
		if (ret < 0) {
			r->retries++;
			continue;
		}
		if (!ret) {
			r->misses++;
			continue;
		}
		if (len < 8) {
			r->failed = __LINE__;
			break;
		}
		memcpy(&got, buf, 8);
		/* Never torn, never older than a set that had returned. */
		if (race_value(got, want) != len || memcmp(buf, want, len)) {
			r->failed = __LINE__;
			break;
		}
		if (got < before) {
			r->failed = __LINE__;
			break;
		}
		r->reads++;
	}
	_exit(0);
}

TEST_F(mapped, readers_never_see_a_torn_or_stale_value)
{
	enum { READERS = 2, WRITES = 3000 };
	struct race *r;
	uint8_t val[256];
	pid_t pids[READERS];
	int i, status;
	uint64_t w;

	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, r);
	memset(r, 0, sizeof(*r));
	ASSERT_EQ(0, kv_set(self->fd, "race", 4, val, race_value(0, val),
			    LRUCACHE_TTL_NONE, 0));
	fflush(NULL);
	for (i = 0; i < READERS; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i])
			race_reader(r, &self->v);
	}
	for (w = 1; w <= WRITES && !r->failed; w++) {
		ASSERT_EQ(0, kv_set(self->fd, "race", 4, val,
				    race_value(w, val), LRUCACHE_TTL_NONE, 0));
		__atomic_store_n(&r->last_set, w, __ATOMIC_RELEASE);
	}
	r->done = 1;
	for (i = 0; i < READERS; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
	}
	TH_LOG("%" PRIu64 " stable reads, %" PRIu64 " misses, %" PRIu64
	       " retries", (uint64_t)r->reads, (uint64_t)r->misses,
	       (uint64_t)r->retries);
	ASSERT_EQ(0, r->failed) {
		TH_LOG("a reader's check at line %d failed", r->failed);
	}
	ASSERT_LT(0U, r->reads);
	munmap(r, sizeof(*r));
}

TEST_HARNESS_MAIN
