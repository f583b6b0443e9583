/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the raw-ioctl ABI tests. They speak the uapi directly (no
 * libkcache) and return what the kernel returned: the ioctl's result, or
 * -errno. The tests assert on those values.
 *
 * Include after kselftest_harness.h.
 */
#ifndef LRUCACHE_TESTS_ABI_H
#define LRUCACHE_TESTS_ABI_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/lrucache.h>

#include "../charge.h"

#define SYSFS_ROOT	"/sys/kernel/lrucache"
#define PARAM_ROOT	"/sys/module/lrucache/parameters"

/* Module defaults, used only if the parameter files cannot be read. */
#define DEFAULT_MAX_KEY_LEN	250
#define DEFAULT_MAX_VALUE_LEN	(1U << 20)

static inline int dev_open(void)
{
	int fd = open(LRUCACHE_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static inline int xioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

/* A cache name unique to this test process: tests run in forked children. */
static inline void unique_name(char name[LRUCACHE_NAME_MAX], const char *tag)
{
	memset(name, 0, LRUCACHE_NAME_MAX);
	snprintf(name, LRUCACHE_NAME_MAX, "t-%s-%d", tag, (int)getpid());
}

/* Zero the name field, then copy at most LRUCACHE_NAME_MAX - 1 bytes. */
static inline void put_name(char dst[LRUCACHE_NAME_MAX], const char *name)
{
	size_t len = strnlen(name, LRUCACHE_NAME_MAX - 1);

	memset(dst, 0, LRUCACHE_NAME_MAX);
	memcpy(dst, name, len);
}

static inline int cache_open(int fd, const char *name, uint32_t flags,
			     uint64_t max_entries, uint64_t max_bytes,
			     uint64_t default_ttl_ms)
{
	struct lrucache_open op;

	memset(&op, 0, sizeof(op));
	put_name(op.name, name);
	op.flags = flags;
	op.max_entries = max_entries;
	op.max_bytes = max_bytes;
	op.default_ttl_ms = default_ttl_ms;
	return xioctl(fd, LRUCACHE_IOC_OPEN, &op);
}

/* Open the device and create (exclusively) a cache on it: fd or -errno. */
static inline int cache_create(const char *name, uint64_t max_entries,
			       uint64_t max_bytes, uint64_t default_ttl_ms)
{
	int fd = dev_open();
	int err;

	if (fd < 0)
		return fd;
	err = cache_open(fd, name, LRUCACHE_OPEN_CREATE | LRUCACHE_OPEN_EXCL,
			 max_entries, max_bytes, default_ttl_ms);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* Open the device and attach to an existing cache: fd or -errno. */
static inline int cache_attach(const char *name)
{
	int fd = dev_open();
	int err;

	if (fd < 0)
		return fd;
	err = cache_open(fd, name, 0, 0, 0, 0);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

static inline int cache_destroy_on(int fd, const char *name)
{
	struct lrucache_destroy d;

	memset(&d, 0, sizeof(d));
	put_name(d.name, name);
	return xioctl(fd, LRUCACHE_IOC_DESTROY, &d);
}

/* Destroy by name through a fresh descriptor. */
static inline int cache_destroy(const char *name)
{
	int fd = dev_open();
	int err;

	if (fd < 0)
		return fd;
	err = cache_destroy_on(fd, name);
	close(fd);
	return err;
}

static inline int kv_set(int fd, const void *key, uint32_t klen,
			 const void *val, uint32_t vlen, uint64_t ttl_ms,
			 uint32_t flags)
{
	struct lrucache_kv kv = {
		.key = (uintptr_t)key,
		.key_len = klen,
		.value = (uintptr_t)val,
		.value_len = vlen,
		.ttl_ms = ttl_ms,
		.flags = flags,
	};

	return xioctl(fd, LRUCACHE_IOC_SET, &kv);
}

/* GET; *len is the buffer size in and the value_len the kernel wrote out. */
static inline int kv_get(int fd, const void *key, uint32_t klen,
			 void *buf, uint32_t *len)
{
	struct lrucache_kv kv = {
		.key = (uintptr_t)key,
		.key_len = klen,
		.value = (uintptr_t)buf,
		.value_len = *len,
	};
	int ret = xioctl(fd, LRUCACHE_IOC_GET, &kv);

	*len = kv.value_len;
	return ret;
}

static inline int kv_exists(int fd, const void *key, uint32_t klen)
{
	struct lrucache_kv kv = { .key = (uintptr_t)key, .key_len = klen };

	return xioctl(fd, LRUCACHE_IOC_EXISTS, &kv);
}

static inline int kv_delete(int fd, const void *key, uint32_t klen)
{
	struct lrucache_kv kv = { .key = (uintptr_t)key, .key_len = klen };

	return xioctl(fd, LRUCACHE_IOC_DELETE, &kv);
}

static inline int cache_clear(int fd)
{
	int ret = ioctl(fd, LRUCACHE_IOC_CLEAR);

	return ret < 0 ? -errno : ret;
}

static inline int cache_stats(int fd, struct lrucache_stats *st)
{
	memset(st, 0, sizeof(*st));
	return xioctl(fd, LRUCACHE_IOC_STATS, st);
}

/*
 * OPEN with every field of the current struct lrucache_open, including
 * the reaper's cleanup_interval_ms (0 selects the default).
 */
static inline int cache_open_ex(int fd, const char *name, uint32_t flags,
				uint64_t max_entries, uint64_t max_bytes,
				uint64_t default_ttl_ms,
				uint64_t cleanup_interval_ms)
{
	struct lrucache_open op;

	memset(&op, 0, sizeof(op));
	put_name(op.name, name);
	op.flags = flags;
	op.max_entries = max_entries;
	op.max_bytes = max_bytes;
	op.default_ttl_ms = default_ttl_ms;
	op.cleanup_interval_ms = cleanup_interval_ms;
	return xioctl(fd, LRUCACHE_IOC_OPEN, &op);
}

/* cache_create() with a cleanup interval: fd or -errno. */
static inline int cache_create_ex(const char *name, uint64_t max_entries,
				  uint64_t max_bytes, uint64_t default_ttl_ms,
				  uint64_t cleanup_interval_ms)
{
	int fd = dev_open();
	int err;

	if (fd < 0)
		return fd;
	err = cache_open_ex(fd, name, LRUCACHE_OPEN_CREATE | LRUCACHE_OPEN_EXCL,
			    max_entries, max_bytes, default_ttl_ms,
			    cleanup_interval_ms);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* LRUCACHE_IOC_REAP with @flags; the kernel's figures land in @r. */
static inline int cache_reap(int fd, uint32_t flags, struct lrucache_reap *r)
{
	memset(r, 0, sizeof(*r));
	r->flags = flags;
	return xioctl(fd, LRUCACHE_IOC_REAP, r);
}

static inline int cache_info(int fd, struct lrucache_info *info)
{
	memset(info, 0, sizeof(*info));
	return xioctl(fd, LRUCACHE_IOC_INFO, info);
}

/* String conveniences: the key or value is the string without its NUL. */
static inline int str_set(int fd, const char *key, const char *val)
{
	return kv_set(fd, key, strlen(key), val, strlen(val),
		      LRUCACHE_TTL_DEFAULT, 0);
}

/* GET into a 256-byte buffer; the value is NUL-terminated in @out. */
static inline int str_get(int fd, const char *key, char out[256])
{
	uint32_t len = 255;
	int ret;

	memset(out, 0, 256);
	ret = kv_get(fd, key, strlen(key), out, &len);
	if (ret > 255)
		out[0] = 0;
	return ret;
}

static inline int str_exists(int fd, const char *key)
{
	return kv_exists(fd, key, strlen(key));
}

static inline int batch_run(int fd, struct lrucache_op *ops, uint32_t count)
{
	struct lrucache_batch b = {
		.ops = (uintptr_t)ops,
		.count = count,
		.op_size = sizeof(*ops),
	};

	return xioctl(fd, LRUCACHE_IOC_BATCH, &b);
}

/* splitmix64: the tests' seeded, reproducible random numbers. */
static inline uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A number from the environment (decimal, 0x hex or 0 octal), else @dflt. */
static inline uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *s = getenv(name);
	char *end;
	uint64_t v;

	if (!s || !*s)
		return dflt;
	errno = 0;
	v = strtoull(s, &end, 0);
	return errno || *end ? dflt : v;
}

/* How many of the @n bytes at @p differ from @c. */
static inline size_t bytes_not(const void *p, size_t n, unsigned char c)
{
	const unsigned char *b = p;
	size_t i, diff = 0;

	for (i = 0; i < n; i++)
		diff += b[i] != c;
	return diff;
}

/* Read a whole small file into @buf (NUL-terminated): length or -errno. */
static inline int read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	ssize_t r;

	if (fd < 0)
		return -errno;
	while (n + 1 < size) {
		r = read(fd, buf + n, size - 1 - n);
		if (r < 0) {
			r = -errno;
			close(fd);
			return (int)r;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = 0;
	close(fd);
	return (int)n;
}

static inline int read_u64_file(const char *path, uint64_t *val)
{
	char buf[64], *end;
	int ret = read_file(path, buf, sizeof(buf));

	if (ret < 0)
		return ret;
	errno = 0;
	*val = strtoull(buf, &end, 0);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}

/* A module parameter, or its documented default if it cannot be read. */
static inline uint64_t module_param(const char *name, uint64_t dflt)
{
	char path[256];
	uint64_t val;

	snprintf(path, sizeof(path), PARAM_ROOT "/%s", name);
	return read_u64_file(path, &val) ? dflt : val;
}

/*
 * Look @key up in a flat keyed file ("key value" per line): 0 and *val on
 * success, -ENOENT if the key is not there, -errno if the file is not.
 */
static inline int flat_keyed(const char *path, const char *key, uint64_t *val)
{
	char buf[4096], *line, *save = NULL;
	size_t klen = strlen(key);
	int ret = read_file(path, buf, sizeof(buf));

	if (ret < 0)
		return ret;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, key, klen) || line[klen] != ' ')
			continue;
		*val = strtoull(line + klen + 1, NULL, 0);
		return 0;
	}
	return -ENOENT;
}

/*
 * Write @str to a (sysfs, procfs or debugfs) file in one write(): 0, or
 * -errno of the open or of the write (a short write is -EIO).
 */
static inline int write_file(const char *path, const char *str)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(str);
	ssize_t r;

	if (fd < 0)
		return -errno;
	r = write(fd, str, len);
	if (r < 0)
		r = -errno;
	else if ((size_t)r != len)
		r = -EIO;
	close(fd);
	return r < 0 ? (int)r : 0;
}

/* write_file() of a decimal number. */
static inline int write_u64_file(const char *path, uint64_t val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)val);
	return write_file(path, buf);
}

static inline uint64_t boottime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline uint64_t boottime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline void sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (long)(ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * An address that faults: a page mapped PROT_NONE. Unlike a freshly
 * unmapped page, nothing else can be mapped there while the test runs.
 */
static inline void *fault_page(void)
{
	void *p = mmap(NULL, getpagesize(), PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/*
 * Two pages: the first readable and writable, the second PROT_NONE.
 * Returns the address of the boundary (start of the second page); a buffer
 * ending past it straddles a fault.
 */
static inline char *fault_boundary(void)
{
	long pg = getpagesize();
	char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (mprotect(p + pg, pg, PROT_NONE))
		return NULL;
	return p + pg;
}

/* The per-entry overhead the module charges, from a throwaway cache. */
static inline int entry_overhead(uint64_t *overhead)
{
	char name[LRUCACHE_NAME_MAX];
	struct lrucache_stats st;
	int fd, err;

	unique_name(name, "overhead");
	fd = cache_create(name, 0, 0, 0);
	if (fd < 0)
		return fd;
	err = cache_stats(fd, &st);
	close(fd);
	cache_destroy(name);
	if (err)
		return err;
	*overhead = st.entry_overhead;
	return 0;
}

/*
 * The fixed part of a vmalloc'd entry's charge, from the charge of one
 * entry of 16 KiB and a byte in a throwaway cache; 0 if it cannot be
 * learned (the tests using it then fail their comparisons).
 */
static inline uint64_t vmalloc_area_cost(void)
{
	static uint64_t area = UINT64_MAX;
	char name[LRUCACHE_NAME_MAX];
	struct lrucache_stats st;
	uint64_t n = 16385;
	static char value[16385];
	int fd;

	if (area != UINT64_MAX)
		return area;
	area = 0;
	unique_name(name, "vmarea");
	fd = cache_create(name, 0, 1 << 20, 0);
	if (fd < 0)
		return area;
	if (!cache_stats(fd, &st) &&
	    !kv_set(fd, "a", 1, value, n - st.entry_overhead - 1,
		    LRUCACHE_TTL_NONE, 0) &&
	    !cache_stats(fd, &st) && st.bytes > vmalloc_charge(n, 0))
		area = st.bytes - vmalloc_charge(n, 0);
	close(fd);
	cache_destroy(name);
	return area;
}

/* The charge of an entry of @n bytes, header, key and value. */
static inline uint64_t alloc_charge(uint64_t n)
{
	if (n <= KMALLOC_MAX_CACHE)
		return kmalloc_class(n);
	return vmalloc_charge(n, vmalloc_area_cost());
}

/* The charge of an entry with a key of @klen and a value of @vlen bytes. */
static inline uint64_t entry_charge(uint64_t overhead, uint64_t klen,
				    uint64_t vlen)
{
	return alloc_charge(overhead + klen + vlen);
}

/*
 * The longest value whose entry (key of @klen bytes) is charged at most
 * @charge bytes, or -1 if even an empty one is charged more.
 */
static inline int64_t value_within(uint64_t overhead, uint64_t klen,
				   uint64_t charge)
{
	uint64_t lo = 0, hi = charge, mid;

	if (entry_charge(overhead, klen, 0) > charge)
		return -1;
	while (lo < hi) {
		mid = lo + (hi - lo + 1) / 2;
		if (entry_charge(overhead, klen, mid) <= charge)
			lo = mid;
		else
			hi = mid - 1;
	}
	return (int64_t)lo;
}

#endif /* LRUCACHE_TESTS_ABI_H */
