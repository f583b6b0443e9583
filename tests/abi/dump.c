// SPDX-License-Identifier: GPL-2.0
/*
 * LRUCACHE_IOC_DUMP through the raw ioctl: argument checks, the unbound
 * descriptor, the snapshot descriptor (close-on-exec, read-only, no seek,
 * no pread), the record stream (LRU first, lengths and TTLs, entries and
 * bytes as announced), reads of any size reassembling the same stream, a
 * faulting read that loses nothing, and a snapshot that stays exact while
 * the cache changes or is destroyed.
 */
#include <signal.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "abi.h"

#define TIMEOUT_S	120
#define REC		sizeof(struct lrucache_record)

FIXTURE(dump) {
	char name[LRUCACHE_NAME_MAX];
	int fd;			/* bound to the cache */
};

FIXTURE_SETUP(dump)
{
	unique_name(self->name, "dump");
	self->fd = cache_create_ex(self->name, 10000, 0, 0,
				   LRUCACHE_CLEANUP_INTERVAL_MAX_MS);
	ASSERT_LE(0, self->fd) {
		TH_LOG("cannot create %s: %s", self->name,
		       strerror(-self->fd));
	}
}

FIXTURE_TEARDOWN(dump)
{
	if (self->fd >= 0)
		close(self->fd);
	cache_destroy(self->name);
}

/* LRUCACHE_IOC_DUMP with a zeroed argument: 0 (d->fd set) or -errno. */
static int do_dump(int fd, struct lrucache_dump *d)
{
	memset(d, 0, sizeof(*d));
	return xioctl(fd, LRUCACHE_IOC_DUMP, d);
}

/* Reads to the end in @chunk-sized reads: the length, or -errno. */
static ssize_t read_stream(int fd, unsigned char *buf, size_t cap,
			   size_t chunk)
{
	size_t n = 0;
	ssize_t r;

	for (;;) {
		size_t want = cap - n < chunk ? cap - n : chunk;

		if (!want)
			return read(fd, buf, 0) < 0 ? -errno : (ssize_t)n;
		r = read(fd, buf + n, want);
		if (r < 0)
			return -errno;
		if (!r)
			return (ssize_t)n;
		n += (size_t)r;
	}
}

struct rec {
	const unsigned char *key, *val;
	uint32_t klen, vlen;
	uint64_t ttl;
};

/*
 * Splits a stream into at most @max records: their number, or -1 if the
 * stream does not end exactly after a record or has an empty key.
 */
static int parse_stream(const unsigned char *p, size_t len, struct rec *r,
			int max)
{
	struct lrucache_record h;
	size_t off = 0;
	int n = 0;

	while (off < len) {
		if (len - off < REC || n == max)
			return -1;
		memcpy(&h, p + off, REC);
		if (!h.key_len || len - off - REC < (size_t)h.key_len + h.value_len)
			return -1;
		r[n].key = p + off + REC;
		r[n].klen = h.key_len;
		r[n].val = r[n].key + h.key_len;
		r[n].vlen = h.value_len;
		r[n].ttl = h.ttl_ms;
		off += REC + h.key_len + h.value_len;
		n++;
	}
	return n;
}

static bool rec_is(const struct rec *r, const char *key, const void *val,
		   uint32_t vlen)
{
	return r->klen == strlen(key) && !memcmp(r->key, key, r->klen) &&
	       r->vlen == vlen && !memcmp(r->val, val, vlen);
}

/* The number the next descriptor will get: to spot a stray one. */
static int next_fd(void)
{
	int fd = dup(0);

	if (fd >= 0)
		close(fd);
	return fd;
}

/* @n entries "k<i>" of @vlen bytes ('a' + i), no TTL. */
static int fill(int fd, int n, uint32_t vlen)
{
	unsigned char val[512];
	char key[16];
	int i, err;

	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		memset(val, 'a' + i % 26, vlen);
		err = kv_set(fd, key, strlen(key), val, vlen,
			     LRUCACHE_TTL_NONE, 0);
		if (err)
			return err;
	}
	return 0;
}

/* The whole stream of a fresh dump of @fd, in *@buf (malloc'd). */
static ssize_t dump_all(int fd, unsigned char **buf)
{
	struct lrucache_dump d;
	ssize_t n;
	int err;

	*buf = NULL;
	err = do_dump(fd, &d);
	if (err)
		return err;
	*buf = malloc(d.bytes + 1);
	n = *buf ? read_stream(d.fd, *buf, d.bytes + 1, 1 << 20) : -ENOMEM;
	close(d.fd);
	if (n >= 0 && (uint64_t)n != d.bytes)
		n = -EIO;
	return n;
}

TEST_F(dump, nonzero_fields_and_wrong_sizes_are_refused)
{
	unsigned long big = _IOC(_IOC_READ | _IOC_WRITE, LRUCACHE_IOC_MAGIC,
				 0x4d, sizeof(struct lrucache_dump) + 8);
	unsigned long small = _IOC(_IOC_READ | _IOC_WRITE, LRUCACHE_IOC_MAGIC,
				   0x4d, sizeof(struct lrucache_dump) - 8);
	struct {
		struct lrucache_dump d;
		uint64_t tail;
	} ext;
	struct lrucache_dump d;
	int before = next_fd();

	ASSERT_EQ(0, str_set(self->fd, "k", "v"));
	memset(&d, 0, sizeof(d));
	d.flags = 1;
	ASSERT_EQ(-EINVAL, xioctl(self->fd, LRUCACHE_IOC_DUMP, &d));
	memset(&d, 0, sizeof(d));
	d.flags = 1U << 31;
	ASSERT_EQ(-EINVAL, xioctl(self->fd, LRUCACHE_IOC_DUMP, &d));
	memset(&d, 0, sizeof(d));
	d.fd = 3;
	ASSERT_EQ(-EINVAL, xioctl(self->fd, LRUCACHE_IOC_DUMP, &d));
	memset(&d, 0, sizeof(d));
	d.fd = -1;
	ASSERT_EQ(-EINVAL, xioctl(self->fd, LRUCACHE_IOC_DUMP, &d));
	memset(&d, 0, sizeof(d));
	d.entries = 1;
	ASSERT_EQ(-EINVAL, xioctl(self->fd, LRUCACHE_IOC_DUMP, &d));
	memset(&d, 0, sizeof(d));
	d.bytes = 1;
	ASSERT_EQ(-EINVAL, xioctl(self->fd, LRUCACHE_IOC_DUMP, &d));
	memset(&d, 0, sizeof(d));
	d.reserved = 1;
	ASSERT_EQ(-EINVAL, xioctl(self->fd, LRUCACHE_IOC_DUMP, &d));

	/* Only version 0 exists: smaller is refused, larger needs zeros. */
	memset(&d, 0, sizeof(d));
	ASSERT_EQ(-EINVAL, xioctl(self->fd, small, &d));
	memset(&ext, 0, sizeof(ext));
	ext.tail = 1;
	ASSERT_EQ(-E2BIG, xioctl(self->fd, big, &ext));
	ASSERT_EQ(-EFAULT, xioctl(self->fd, LRUCACHE_IOC_DUMP, NULL));
	/* No failure left a descriptor behind. */
	ASSERT_EQ(before, next_fd());

	memset(&ext, 0, sizeof(ext));
	ext.tail = 0;
	ASSERT_EQ(0, xioctl(self->fd, big, &ext));
	ASSERT_EQ(before, ext.d.fd);
	ASSERT_EQ(1U, ext.d.entries);
	ASSERT_EQ(REC + 2, ext.d.bytes);
	ASSERT_EQ(0U, ext.tail);
	close(ext.d.fd);
}

TEST_F(dump, unbound_descriptor_is_EBADFD_like_the_other_commands)
{
	struct lrucache_stats st;
	struct lrucache_dump d;
	int fd = dev_open();

	ASSERT_LE(0, fd);
	ASSERT_EQ(-EBADFD, cache_stats(fd, &st));
	ASSERT_EQ(-EBADFD, do_dump(fd, &d));
	close(fd);
}

TEST_F(dump, snapshot_descriptor_is_a_read_only_cloexec_stream)
{
	struct lrucache_dump d;
	unsigned char buf[64];
	int flags;

	ASSERT_EQ(0, str_set(self->fd, "key", "value"));
	ASSERT_EQ(0, do_dump(self->fd, &d));
	ASSERT_LE(0, d.fd);
	ASSERT_NE(self->fd, d.fd);

	flags = fcntl(d.fd, F_GETFD);
	ASSERT_LE(0, flags);
	ASSERT_TRUE(flags & FD_CLOEXEC);
	flags = fcntl(d.fd, F_GETFL);
	ASSERT_LE(0, flags);
	ASSERT_EQ(O_RDONLY, flags & O_ACCMODE);

	ASSERT_EQ(-1, lseek(d.fd, 0, SEEK_SET));
	ASSERT_EQ(ESPIPE, errno);
	ASSERT_EQ(-1, lseek(d.fd, 0, SEEK_CUR));
	ASSERT_EQ(ESPIPE, errno);
	ASSERT_EQ(-1, pread(d.fd, buf, sizeof(buf), 0));
	ASSERT_EQ(ESPIPE, errno);
	ASSERT_EQ(-1, write(d.fd, "x", 1));
	ASSERT_EQ(EBADF, errno);
	/* Not a cache descriptor. */
	ASSERT_EQ(-ENOTTY, do_dump(d.fd, &(struct lrucache_dump){ 0 }));

	/* None of that moved the stream. */
	ASSERT_EQ((ssize_t)d.bytes, read(d.fd, buf, sizeof(buf)));
	ASSERT_EQ(REC + 8, d.bytes);
	ASSERT_EQ(0, memcmp(buf + REC, "keyvalue", 8));
	ASSERT_EQ(0, read(d.fd, buf, sizeof(buf)));
	ASSERT_EQ(0, close(d.fd));
}

TEST_F(dump, stream_holds_the_live_entries_least_recent_first)
{
	static const unsigned char bin[5] = { 0, 0xff, 0, 0x80, '\n' };
	unsigned char *again;
	struct lrucache_dump d;
	unsigned char buf[4096];
	struct rec r[16], r2[16];
	uint64_t bytes = 0;
	char out[256];
	uint32_t vlen;
	ssize_t n;
	int i, nrec;

	ASSERT_EQ(0, kv_set(self->fd, "first", 5, "1", 1, LRUCACHE_TTL_NONE,
			    0));
	ASSERT_EQ(0, kv_set(self->fd, "empty", 5, "", 0, LRUCACHE_TTL_NONE,
			    0));
	ASSERT_EQ(0, kv_set(self->fd, "b\0n", 3, bin, sizeof(bin),
			    LRUCACHE_TTL_NONE, 0));
	ASSERT_EQ(0, kv_set(self->fd, "ttl", 3, "t", 1, 600000, 0));
	ASSERT_EQ(0, kv_set(self->fd, "last", 4, "L", 1, LRUCACHE_TTL_NONE,
			    0));
	/* A hit moves "first" to the most recent end; EXISTS moves nothing. */
	vlen = sizeof(out);
	ASSERT_EQ(1, kv_get(self->fd, "first", 5, out, &vlen));
	ASSERT_EQ(1, str_exists(self->fd, "empty"));

	ASSERT_EQ(0, do_dump(self->fd, &d));
	n = read_stream(d.fd, buf, sizeof(buf), sizeof(buf));
	ASSERT_EQ((ssize_t)d.bytes, n);
	ASSERT_EQ(0, read(d.fd, buf, sizeof(buf)));	/* the end */
	ASSERT_EQ(0, close(d.fd));

	nrec = parse_stream(buf, (size_t)n, r, 16);
	ASSERT_EQ(5, nrec);
	ASSERT_EQ(5U, d.entries);
	for (i = 0; i < nrec; i++)
		bytes += REC + r[i].klen + r[i].vlen;
	ASSERT_EQ(bytes, d.bytes);

	ASSERT_TRUE(rec_is(&r[0], "empty", "", 0));
	ASSERT_EQ(3U, r[1].klen);
	ASSERT_EQ(0, memcmp(r[1].key, "b\0n", 3));
	ASSERT_EQ(sizeof(bin), r[1].vlen);
	ASSERT_EQ(0, memcmp(r[1].val, bin, sizeof(bin)));
	ASSERT_TRUE(rec_is(&r[2], "ttl", "t", 1));
	ASSERT_TRUE(rec_is(&r[3], "last", "L", 1));
	ASSERT_TRUE(rec_is(&r[4], "first", "1", 1));

	ASSERT_EQ(LRUCACHE_TTL_NONE, r[0].ttl);
	ASSERT_EQ(LRUCACHE_TTL_NONE, r[1].ttl);
	ASSERT_LE(1U, r[2].ttl);
	ASSERT_GE(600000U, r[2].ttl);
	ASSERT_EQ(LRUCACHE_TTL_NONE, r[3].ttl);
	ASSERT_EQ(LRUCACHE_TTL_NONE, r[4].ttl);

	/*
	 * Dumping touched nothing: the same records in the same order again,
	 * the TTL grown no longer.
	 */
	ASSERT_EQ(n, dump_all(self->fd, &again));
	ASSERT_EQ(5, parse_stream(again, (size_t)n, r2, 16));
	for (i = 0; i < nrec; i++) {
		ASSERT_EQ(r[i].klen, r2[i].klen);
		ASSERT_EQ(r[i].vlen, r2[i].vlen);
		ASSERT_EQ(0, memcmp(r[i].key, r2[i].key,
				    r[i].klen + r[i].vlen));
		if (r[i].ttl == LRUCACHE_TTL_NONE) {
			ASSERT_EQ(LRUCACHE_TTL_NONE, r2[i].ttl);
		} else {
			ASSERT_GE(r[i].ttl, r2[i].ttl);
		}
	}
	free(again);
}

TEST_F(dump, empty_cache_and_expired_entries)
{
	struct lrucache_stats st;
	struct lrucache_dump d;
	unsigned char buf[256];
	uint64_t deadline;
	struct rec r[4];

	ASSERT_EQ(0, do_dump(self->fd, &d));
	ASSERT_EQ(0U, d.entries);
	ASSERT_EQ(0U, d.bytes);
	ASSERT_EQ(0, read(d.fd, buf, sizeof(buf)));
	close(d.fd);

	/* Expired but not freed (the reaper runs once a day here). */
	ASSERT_EQ(0, kv_set(self->fd, "short", 5, "s", 1, 50, 0));
	ASSERT_EQ(0, kv_set(self->fd, "keep", 4, "k", 1, LRUCACHE_TTL_NONE,
			    0));
	deadline = boottime_ns() + 30000000000ULL;
	while (str_exists(self->fd, "short") == 1 && boottime_ns() < deadline)
		usleep(20000);
	ASSERT_EQ(0, str_exists(self->fd, "short"));
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	ASSERT_EQ(2U, st.entries);

	ASSERT_EQ(0, do_dump(self->fd, &d));
	ASSERT_EQ(1U, d.entries);
	ASSERT_EQ((ssize_t)d.bytes, read_stream(d.fd, buf, sizeof(buf), 64));
	close(d.fd);
	ASSERT_EQ(1, parse_stream(buf, d.bytes, r, 4));
	ASSERT_TRUE(rec_is(&r[0], "keep", "k", 1));
}

TEST_F_TIMEOUT(dump, reads_of_any_size_reassemble_the_same_stream, TIMEOUT_S)
{
	static const size_t sizes[] = { 1, 3, 7, REC, REC + 1, 4096, 65536 };
	unsigned char *ref, *buf;
	ssize_t len, n;
	struct rec *r;
	size_t s;

	/* Records of many lengths, over several pages of snapshot storage. */
	ASSERT_EQ(0, fill(self->fd, 700, 0));
	ASSERT_EQ(0, fill(self->fd, 300, 37));
	len = dump_all(self->fd, &ref);
	ASSERT_LT(0, len);
	r = calloc(1000, sizeof(*r));
	ASSERT_NE(NULL, r);
	ASSERT_EQ(700, parse_stream(ref, (size_t)len, r, 1000));
	/* The 300 refreshed keys went to the most recent end, in order. */
	ASSERT_TRUE(rec_is(&r[0], "k300", "", 0));
	ASSERT_TRUE(rec_is(&r[399], "k699", "", 0));
	ASSERT_EQ(37U, r[400].vlen);
	ASSERT_EQ(0, memcmp(r[400].key, "k0", 2));
	ASSERT_EQ(0, memcmp(r[699].key, "k299", 4));
	free(r);

	buf = malloc((size_t)len + 1);
	ASSERT_NE(NULL, buf);
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct lrucache_dump d;

		memset(buf, 0, (size_t)len + 1);
		ASSERT_EQ(0, do_dump(self->fd, &d));
		ASSERT_EQ((uint64_t)len, d.bytes);
		n = read_stream(d.fd, buf, (size_t)len + 1, sizes[s]);
		close(d.fd);
		ASSERT_EQ(len, n) {
			TH_LOG("reads of %zu bytes", sizes[s]);
		}
		ASSERT_EQ(0, memcmp(ref, buf, (size_t)len)) {
			TH_LOG("reads of %zu bytes", sizes[s]);
		}
	}
	free(buf);
	free(ref);
}

TEST_F(dump, faulting_read_is_EFAULT_and_loses_nothing)
{
	void *volatile kernel_addr = (void *)(uintptr_t)-4096;
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *ref, *buf, *map;
	struct lrucache_dump d;
	size_t got = 0;
	ssize_t len, r;

	ASSERT_EQ(0, fill(self->fd, 20, 100));
	len = dump_all(self->fd, &ref);
	ASSERT_LT(0, len);
	buf = calloc(1, (size_t)len);
	ASSERT_NE(NULL, buf);
	/* A readable page, then one that is not. */
	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, mprotect(map + page, page, PROT_NONE));

	ASSERT_EQ(0, do_dump(self->fd, &d));
	/* Stop inside the first key. */
	ASSERT_EQ((ssize_t)REC + 1, read(d.fd, buf, REC + 1));
	got = REC + 1;
	ASSERT_EQ(-1, read(d.fd, map + page, 64));
	ASSERT_EQ(EFAULT, errno);
	/* An address of the kernel's half: refused before any copy. */
	ASSERT_EQ(-1, read(d.fd, kernel_addr, 64));
	ASSERT_EQ(EFAULT, errno);
	/*
	 * Straddling the hole: what fits before it is read, and only that
	 * (an architecture may give up short of the hole: then nothing).
	 */
	r = read(d.fd, map + page - 10, 64);
	if (r < 0) {
		ASSERT_EQ(EFAULT, errno);
	} else {
		ASSERT_LT(0, r);
		ASSERT_GE(10, r);
		memcpy(buf + got, map + page - 10, (size_t)r);
		got += (size_t)r;
	}
	ASSERT_EQ(-1, read(d.fd, map + page, 1));
	ASSERT_EQ(EFAULT, errno);
	/* The rest follows on. */
	r = read_stream(d.fd, buf + got, (size_t)len - got, 1000);
	ASSERT_EQ(len - (ssize_t)got, r);
	ASSERT_EQ(0, memcmp(ref, buf, (size_t)len));
	ASSERT_EQ(0, read(d.fd, map, 1));
	close(d.fd);
	munmap(map, 2 * page);
	free(buf);
	free(ref);
}

TEST_F(dump, snapshot_ignores_later_changes)
{
	unsigned char buf[1024];
	struct lrucache_dump d;
	struct rec r[8];
	ssize_t n;

	ASSERT_EQ(0, str_set(self->fd, "a", "1"));
	ASSERT_EQ(0, str_set(self->fd, "b", "2"));
	ASSERT_EQ(0, str_set(self->fd, "c", "3"));
	ASSERT_EQ(0, do_dump(self->fd, &d));
	ASSERT_EQ(3U, d.entries);

	/* Replace, delete, add, then empty the cache. */
	ASSERT_EQ(0, str_set(self->fd, "a", "changed"));
	ASSERT_EQ(0, kv_delete(self->fd, "b", 1));
	ASSERT_EQ(0, str_set(self->fd, "d", "4"));
	ASSERT_EQ(0, cache_clear(self->fd));
	ASSERT_EQ(0, str_set(self->fd, "c", "again"));

	n = read_stream(d.fd, buf, sizeof(buf), 5);
	close(d.fd);
	ASSERT_EQ((ssize_t)d.bytes, n);
	ASSERT_EQ(3, parse_stream(buf, (size_t)n, r, 8));
	ASSERT_TRUE(rec_is(&r[0], "a", "1", 1));
	ASSERT_TRUE(rec_is(&r[1], "b", "2", 1));
	ASSERT_TRUE(rec_is(&r[2], "c", "3", 1));

	/* A new dump sees the cache as it is now. */
	ASSERT_EQ(0, do_dump(self->fd, &d));
	n = read_stream(d.fd, buf, sizeof(buf), sizeof(buf));
	close(d.fd);
	ASSERT_EQ(1, parse_stream(buf, (size_t)n, r, 8));
	ASSERT_TRUE(rec_is(&r[0], "c", "again", 5));
}

TEST_F(dump, snapshot_outlives_the_cache)
{
	struct lrucache_stats st;
	struct lrucache_dump d, d2;
	unsigned char *buf;
	struct rec *r;
	ssize_t n;
	int i;

	ASSERT_EQ(0, fill(self->fd, 300, 50));
	ASSERT_EQ(0, do_dump(self->fd, &d));
	ASSERT_EQ(300U, d.entries);
	/* A second snapshot, dropped unread: its entries go with it. */
	ASSERT_EQ(0, do_dump(self->fd, &d2));

	ASSERT_EQ(0, cache_destroy(self->name));
	ASSERT_EQ(-EIDRM, cache_stats(self->fd, &st));
	ASSERT_EQ(-EIDRM, do_dump(self->fd, &(struct lrucache_dump){ 0 }));
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, close(d2.fd));

	buf = malloc(d.bytes + 1);
	r = calloc(300, sizeof(*r));
	ASSERT_TRUE(buf && r);
	n = read_stream(d.fd, buf, d.bytes + 1, 4096);
	ASSERT_EQ((ssize_t)d.bytes, n);
	ASSERT_EQ(300, parse_stream(buf, (size_t)n, r, 300));
	for (i = 0; i < 300; i++) {
		char key[16];
		unsigned char val[50];

		snprintf(key, sizeof(key), "k%d", i);
		memset(val, 'a' + i % 26, sizeof(val));
		ASSERT_TRUE(rec_is(&r[i], key, val, sizeof(val))) {
			TH_LOG("record %d", i);
		}
	}
	ASSERT_EQ(0, close(d.fd));
	free(buf);
	free(r);
}

TEST_F(dump, readers_of_one_snapshot_share_its_position)
{
	struct lrucache_dump d;
	unsigned char buf[512];
	uint64_t mine = 0, theirs = 0;
	int pfd[2], status;
	ssize_t n;
	pid_t pid;

	ASSERT_EQ(0, fill(self->fd, 2000, 20));
	ASSERT_EQ(0, do_dump(self->fd, &d));
	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		uint64_t got = 0;

		close(pfd[0]);
		while ((n = read(d.fd, buf, 100)) > 0)
			got += (uint64_t)n;
		_exit(n < 0 || write(pfd[1], &got, sizeof(got)) !=
			       sizeof(got));
	}
	close(pfd[1]);
	while ((n = read(d.fd, buf, 100)) > 0)
		mine += (uint64_t)n;
	ASSERT_EQ(0, n);
	ASSERT_EQ((ssize_t)sizeof(theirs), read(pfd[0], &theirs,
						 sizeof(theirs)));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status));
	/* Between them they read the stream once. */
	ASSERT_EQ(d.bytes, mine + theirs);
	close(pfd[0]);
	close(d.fd);
}

TEST_HARNESS_MAIN
