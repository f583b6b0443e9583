/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Allocation failures one at a time, for tests/abi/failslab.c and
 * tests/lib/failslab.c: failslab in fail-nth mode
 * (Documentation/fault-injection/fault-injection.rst). Writing N to
 * /proc/thread-self/fail-nth makes the N-th slab allocation of this thread
 * fail; reading it back gives 0 once that fault was injected, or what was
 * left of N if the thread made fewer allocations.
 *
 * GFP_KERNEL allocations can sleep, so failnth_begin() sets failslab's
 * ignore-gfp-wait to N (and verbose to 0: no stack dump per fault in the
 * kernel log); failnth_end() puts both back.
 */
#ifndef LRUCACHE_TESTS_FAILNTH_H
#define LRUCACHE_TESTS_FAILNTH_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FAILSLAB		"/sys/kernel/debug/failslab"
#define FAILSLAB_IGNORE_WAIT	FAILSLAB "/ignore-gfp-wait"
#define FAILSLAB_VERBOSE	FAILSLAB "/verbose"
#define FAIL_NTH		"/proc/thread-self/fail-nth"

struct failnth {
	int fd;			/* FAIL_NTH, open; -1 if not */
	char saved_wait[16], saved_verbose[16];
	bool changed;		/* failslab's settings are ours to restore */
};

#define FAILNTH_INIT	{ .fd = -1 }

static inline int failnth_read(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return 0;
}

static inline int failnth_write(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

/* Why fail-nth cannot be used on this kernel (a reason to skip), or NULL. */
static inline const char *failnth_missing(void)
{
	struct stat sb;

	if (stat(FAILSLAB, &sb))
		return FAILSLAB " missing: no CONFIG_FAILSLAB or debugfs";
	if (access(FAIL_NTH, R_OK | W_OK))
		return FAIL_NTH " cannot be opened for reading and writing";
	return NULL;
}

/*
 * Opens fail-nth and makes failslab fail sleeping allocations, silently:
 * 0 or -errno. failnth_end() undoes what was done, also after a failure.
 */
static inline int failnth_begin(struct failnth *f)
{
	int ret;

	f->fd = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	if (f->fd < 0)
		return -errno;
	ret = failnth_read(FAILSLAB_IGNORE_WAIT, f->saved_wait,
			   sizeof(f->saved_wait));
	if (!ret)
		ret = failnth_read(FAILSLAB_VERBOSE, f->saved_verbose,
				   sizeof(f->saved_verbose));
	if (ret)
		return ret;
	f->changed = true;
	ret = failnth_write(FAILSLAB_IGNORE_WAIT, "N");
	return ret ? ret : failnth_write(FAILSLAB_VERBOSE, "0");
}

/*
 * For a kselftest fixture setup (include after kselftest_harness.h): SKIP
 * the test where fail-nth is missing, else failnth_begin(@f) or fail.
 */
#define FAILNTH_BEGIN_OR_SKIP(f) do {					\
	const char *__why = failnth_missing();				\
	if (__why)							\
		SKIP(return, "%s", __why);				\
	ASSERT_EQ(0, failnth_begin(f));					\
} while (0)

/* Disarms, closes fail-nth and restores failslab: 0, or -errno. */
static inline int failnth_end(struct failnth *f)
{
	int ret = 0;

	if (f->fd >= 0) {
		if (pwrite(f->fd, "0", 1, 0) != 1)
			ret = -errno;
		close(f->fd);
		f->fd = -1;
	}
	if (f->changed) {
		f->changed = false;
		if (failnth_write(FAILSLAB_IGNORE_WAIT, f->saved_wait) ||
		    failnth_write(FAILSLAB_VERBOSE, f->saved_verbose))
			ret = -EIO;
	}
	return ret;
}

/* Makes the @n-th slab allocation of this thread fail: 0 or -errno. */
static inline int failnth_arm(struct failnth *f, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(f->fd, buf, len, 0) == len ? 0 : -errno;
}

/*
 * Disarms; returns what was left of the count (0: the fault was
 * injected), or -errno.
 */
static inline int failnth_disarm(struct failnth *f)
{
	char buf[16];
	ssize_t r = pread(f->fd, buf, sizeof(buf) - 1, 0);

	if (r <= 0)
		return r < 0 ? -errno : -EIO;
	buf[r] = 0;
	if (pwrite(f->fd, "0", 1, 0) != 1)
		return -errno;
	return atoi(buf);
}

/* Descriptors this process has open: a failed call must leave none. */
static inline int count_fds(void)
{
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1;			/* the directory's own */
}

#endif /* LRUCACHE_TESTS_FAILNTH_H */
