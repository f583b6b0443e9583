// SPDX-License-Identifier: GPL-2.0
/*
 * No kernel memory reaches user space: every byte the kernel copies out is
 * one it meant to write, and it writes nothing beyond what it reports.
 *
 * For fixed result structures (STATS, INFO, HEALTH, CHECK, the outputs of
 * REAP and DUMP) the call is made twice on a cache that does not change in
 * between, once into a buffer filled with 0x00 and once into one filled
 * with 0xff: if any byte (padding, a reserved field, a field the kernel
 * forgot) were left as it was, the two results would differ there. For
 * variable outputs (GET and batched GET values, the dump stream) the buffer
 * is larger than the data and filled with a pattern: the bytes past the
 * reported length must still hold it, and the structure around the call
 * must be unchanged but for the fields the ABI says are written. Failed
 * calls must leave the caller's memory as it was.
 */
#include "kselftest_harness.h"
#include "abi.h"

#define PAT	0xa5

FIXTURE(disclosure) {
	int fd;
	char name[LRUCACHE_NAME_MAX];
};

/* A cache with entries of several sizes and no TTL: nothing changes it. */
FIXTURE_SETUP(disclosure)
{
	char key[16], val[300];
	int i;

	unique_name(self->name, "discl");
	self->fd = cache_create(self->name, 100, 1 << 20, 0);
	ASSERT_LE(0, self->fd);
	for (i = 0; i < 10; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		memset(val, 'a' + i, sizeof(val));
		ASSERT_EQ(0, kv_set(self->fd, key, strlen(key), val,
				    1 + i * 29, LRUCACHE_TTL_NONE, 0));
	}
}

FIXTURE_TEARDOWN(disclosure)
{
	if (self->fd >= 0)
		close(self->fd);
	cache_destroy(self->name);
}

/* Make @cmd twice into @size bytes filled with 0x00, then 0xff; compare. */
static int both_fills_agree(int fd, unsigned long cmd, size_t size)
{
	unsigned char a[512], b[512];

	if (size > sizeof(a))
		return -1;
	memset(a, 0x00, size);
	memset(b, 0xff, size);
	if (xioctl(fd, cmd, a) || xioctl(fd, cmd, b))
		return -2;
	return memcmp(a, b, size) ? -3 : 0;
}

TEST_F(disclosure, stats_writes_every_byte)
{
	ASSERT_EQ(0, both_fills_agree(self->fd, LRUCACHE_IOC_STATS,
				      sizeof(struct lrucache_stats)));
}

TEST_F(disclosure, info_writes_every_byte)
{
	ASSERT_EQ(0, both_fills_agree(self->fd, LRUCACHE_IOC_INFO,
				      sizeof(struct lrucache_info)));
}

TEST_F(disclosure, health_writes_every_byte)
{
	ASSERT_EQ(0, both_fills_agree(self->fd, LRUCACHE_IOC_HEALTH,
				      sizeof(struct lrucache_health)));
}

TEST_F(disclosure, check_writes_every_byte)
{
	ASSERT_EQ(0, both_fills_agree(self->fd, LRUCACHE_IOC_CHECK,
				      sizeof(struct lrucache_check)));
}

/*
 * REAP takes flags and reserved (which must be zero) and writes the rest.
 * With nothing able to expire, freed and visited are 0 both times; the
 * elapsed time differs between runs but is far below the fill patterns.
 */
TEST_F(disclosure, reap_writes_every_output_byte)
{
	struct lrucache_reap a, b;

	memset(&a, 0x00, sizeof(a));
	memset(&b, 0xff, sizeof(b));
	a.flags = b.flags = 0;
	a.reserved = b.reserved = 0;
	ASSERT_EQ(0, xioctl(self->fd, LRUCACHE_IOC_REAP, &a));
	ASSERT_EQ(0, xioctl(self->fd, LRUCACHE_IOC_REAP, &b));
	EXPECT_EQ(0U, a.freed);
	EXPECT_EQ(0U, b.freed);
	EXPECT_EQ(a.visited, b.visited);
	EXPECT_EQ(0U, b.flags);
	EXPECT_EQ(0U, b.reserved);
	/* 10 s is generous for walking no bucket, and far from 0xff..ff. */
	EXPECT_GT(10000000000ULL, b.elapsed_ns);
}

/*
 * DUMP's output fields must be zero on entry (the kernel refuses anything
 * else), so no fill can show an unwritten byte there; what is checked is
 * that two dumps of the unchanged cache report the same figures, and that
 * the kernel hands back flags and reserved as zero.
 */
TEST_F(disclosure, dump_result_reports_the_same_figures)
{
	struct lrucache_dump a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	ASSERT_EQ(0, xioctl(self->fd, LRUCACHE_IOC_DUMP, &a));
	ASSERT_EQ(0, xioctl(self->fd, LRUCACHE_IOC_DUMP, &b));
	EXPECT_LE(0, a.fd);
	EXPECT_LE(0, b.fd);
	EXPECT_EQ(10U, a.entries);
	EXPECT_EQ(a.entries, b.entries);
	EXPECT_EQ(a.bytes, b.bytes);
	EXPECT_EQ(0U, b.flags);
	EXPECT_EQ(0U, b.reserved);
	close(a.fd);
	close(b.fd);
}

/*
 * The stream holds exactly the records it announces: reading with room to
 * spare returns @bytes bytes, leaves the rest of the buffer alone, and
 * every byte of it belongs to a record header, key or value we can check.
 */
TEST_F(disclosure, dump_stream_holds_only_records)
{
	static unsigned char buf[8192];
	struct lrucache_record rec;
	struct lrucache_dump d;
	unsigned char want[300];
	size_t off = 0;
	ssize_t n;
	int seen = 0, i;

	memset(&d, 0, sizeof(d));
	ASSERT_EQ(0, xioctl(self->fd, LRUCACHE_IOC_DUMP, &d));
	ASSERT_GT(sizeof(buf), d.bytes);
	memset(buf, PAT, sizeof(buf));
	n = read(d.fd, buf, sizeof(buf));
	ASSERT_EQ((ssize_t)d.bytes, n);
	EXPECT_EQ(0, read(d.fd, buf + n, sizeof(buf) - n));
	close(d.fd);
	EXPECT_EQ(0U, bytes_not(buf + n, sizeof(buf) - n, PAT));

	/* Least recently used first: key-0 to key-9, as they were set. */
	while (off < (size_t)n) {
		char key[16];

		ASSERT_GE((size_t)n - off, sizeof(rec));
		memcpy(&rec, buf + off, sizeof(rec));
		off += sizeof(rec);
		i = seen++;
		snprintf(key, sizeof(key), "key-%d", i);
		ASSERT_EQ(strlen(key), rec.key_len);
		ASSERT_EQ((uint32_t)(1 + i * 29), rec.value_len);
		EXPECT_EQ((uint64_t)LRUCACHE_TTL_NONE, rec.ttl_ms);
		ASSERT_GE((size_t)n - off, (size_t)rec.key_len + rec.value_len);
		EXPECT_EQ(0, memcmp(buf + off, key, rec.key_len));
		off += rec.key_len;
		memset(want, 'a' + i, rec.value_len);
		EXPECT_EQ(0, memcmp(buf + off, want, rec.value_len));
		off += rec.value_len;
	}
	EXPECT_EQ((size_t)n, off);
	EXPECT_EQ(10, seen);
}

/* The version of @key, read with a GET of its own. */
static uint64_t version_of(int fd, const char *key)
{
	struct lrucache_kv kv = { .key = (uintptr_t)key, .key_len = strlen(key) };

	return xioctl(fd, LRUCACHE_IOC_GET, &kv) >= 0 ? kv.cas : 0;
}

/*
 * GET writes the value, value_len, and (version 1) its version, status
 * and lease, nothing else: the rest of the structure and the buffer past
 * the value are as the caller left them.
 */
TEST_F(disclosure, get_writes_only_value_and_its_length)
{
	unsigned char buf[512], want[300];
	struct lrucache_kv kv, before;

	memset(buf, PAT, sizeof(buf));
	memset(&kv, 0, sizeof(kv));
	kv.key = (uintptr_t)"key-3";
	kv.key_len = 5;
	kv.value = (uintptr_t)buf;
	kv.value_len = sizeof(buf);
	before = kv;
	ASSERT_EQ(1 + 3 * 29, xioctl(self->fd, LRUCACHE_IOC_GET, &kv));
	EXPECT_EQ((uint32_t)(1 + 3 * 29), kv.value_len);
	EXPECT_EQ(version_of(self->fd, "key-3"), kv.cas);
	EXPECT_NE(0U, kv.cas);
	EXPECT_EQ(LRUCACHE_STATUS_HIT, kv.status);
	EXPECT_EQ(0U, kv.lease);
	kv.value_len = before.value_len;
	kv.cas = before.cas;
	kv.status = before.status;
	EXPECT_EQ(0, memcmp(&before, &kv, sizeof(kv)));
	memset(want, 'd', sizeof(want));
	EXPECT_EQ(0, memcmp(buf, want, 1 + 3 * 29));
	EXPECT_EQ(0U, bytes_not(buf + 1 + 3 * 29, sizeof(buf) - 1 - 3 * 29,
				PAT));
}

/* A value that does not fit copies nothing: the length only. */
TEST_F(disclosure, get_into_too_small_buffer_copies_nothing)
{
	unsigned char buf[64];
	uint32_t len = 16;

	memset(buf, PAT, sizeof(buf));
	ASSERT_EQ(1 + 9 * 29, kv_get(self->fd, "key-9", 5, buf, &len));
	EXPECT_EQ((uint32_t)(1 + 9 * 29), len);
	EXPECT_EQ(0U, bytes_not(buf, sizeof(buf), PAT));
}

/*
 * A batch writes result for every op and value_len for each GET that
 * found its key; everything else of the array, and each value buffer past
 * its value, is untouched.
 */
TEST_F(disclosure, batch_writes_only_results_and_lengths)
{
	unsigned char bufs[3][128], want[128];
	struct lrucache_op ops[5], before[5];
	int i;

	memset(bufs, PAT, sizeof(bufs));
	memset(ops, 0, sizeof(ops));
	for (i = 0; i < 3; i++) {
		ops[i].opcode = LRUCACHE_OP_GET;
		ops[i].value = (uintptr_t)bufs[i];
		ops[i].value_len = sizeof(bufs[i]);
		ops[i].result = 0x5a5a5a5a;
	}
	ops[0].key = (uintptr_t)"key-1";	/* 30 bytes: fits */
	ops[0].key_len = 5;
	ops[1].key = (uintptr_t)"absent";	/* a miss */
	ops[1].key_len = 6;
	ops[2].key = (uintptr_t)"key-8";	/* 233 bytes: too large */
	ops[2].key_len = 5;
	ops[3].opcode = LRUCACHE_OP_EXISTS;
	ops[3].key = (uintptr_t)"key-2";
	ops[3].key_len = 5;
	ops[3].result = 0x5a5a5a5a;
	ops[4].opcode = 99;			/* unknown: -EINVAL */
	ops[4].key = (uintptr_t)"key-2";
	ops[4].key_len = 5;
	ops[4].result = 0x5a5a5a5a;
	memcpy(before, ops, sizeof(ops));

	ASSERT_EQ(5, batch_run(self->fd, ops, 5));
	EXPECT_EQ(30, ops[0].result);
	EXPECT_EQ(30U, ops[0].value_len);
	EXPECT_EQ(version_of(self->fd, "key-1"), ops[0].cas);
	EXPECT_EQ(LRUCACHE_STATUS_HIT, ops[0].status);
	EXPECT_EQ(-ENOENT, ops[1].result);
	EXPECT_EQ((uint32_t)sizeof(bufs[1]), ops[1].value_len);
	EXPECT_EQ(0U, ops[1].status);
	EXPECT_EQ(233, ops[2].result);
	EXPECT_EQ(233U, ops[2].value_len);
	EXPECT_EQ(version_of(self->fd, "key-8"), ops[2].cas);
	EXPECT_EQ(LRUCACHE_STATUS_HIT, ops[2].status);
	EXPECT_EQ(1, ops[3].result);
	EXPECT_EQ(-EINVAL, ops[4].result);

	/* Put back what the kernel may write; the rest must be as it was. */
	for (i = 0; i < 5; i++) {
		ops[i].result = before[i].result;
		ops[i].value_len = before[i].value_len;
		ops[i].cas = before[i].cas;
		ops[i].status = before[i].status;
	}
	EXPECT_EQ(0, memcmp(before, ops, sizeof(ops)));

	memset(want, 'b', sizeof(want));
	EXPECT_EQ(0, memcmp(bufs[0], want, 30));
	EXPECT_EQ(0U, bytes_not(bufs[0] + 30, sizeof(bufs[0]) - 30, PAT));
	EXPECT_EQ(0U, bytes_not(bufs[1], sizeof(bufs[1]), PAT));
	EXPECT_EQ(0U, bytes_not(bufs[2], sizeof(bufs[2]), PAT));
}

/*
 * Each command of version 1 writes the fields ioctl.rst names for it and
 * nothing else, each with a value the test can tell: a structure larger
 * than the module's, filled past its end with a pattern, keeps the
 * pattern, and every field not written keeps what the caller gave.
 */
struct kv_canary {
	struct lrucache_kv kv;
	unsigned char tail[24];
};

static int kv_run(int fd, unsigned long cmd, struct kv_canary *k,
		  struct lrucache_kv *before)
{
	unsigned long big = (cmd & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT)) |
			    ((unsigned long)sizeof(*k) << _IOC_SIZESHIFT);

	memset(k->tail, 0, sizeof(k->tail));
	*before = k->kv;
	return xioctl(fd, big, k);
}

TEST_F(disclosure, new_commands_write_only_their_fields)
{
	struct kv_canary k;
	struct lrucache_kv before;
	unsigned char buf[64];
	uint64_t v, token;

	/* INCR: number and cas. */
	memset(&k, 0, sizeof(k));
	k.kv.key = (uintptr_t)"n";
	k.kv.key_len = 1;
	k.kv.delta = 2;
	k.kv.number = 40;
	k.kv.ttl_ms = LRUCACHE_TTL_NONE;
	ASSERT_EQ(0, kv_run(self->fd, LRUCACHE_IOC_INCR, &k, &before));
	EXPECT_EQ(42, k.kv.number);
	v = version_of(self->fd, "n");
	EXPECT_EQ(v, k.kv.cas);
	k.kv.number = before.number;
	k.kv.cas = before.cas;
	EXPECT_EQ(0, memcmp(&before, &k.kv, sizeof(before)));
	EXPECT_EQ(0U, bytes_not(k.tail, sizeof(k.tail), 0));

	/* TTL: number only. */
	memset(&k, 0, sizeof(k));
	k.kv.key = (uintptr_t)"n";
	k.kv.key_len = 1;
	ASSERT_EQ(0, kv_run(self->fd, LRUCACHE_IOC_TTL, &k, &before));
	EXPECT_EQ((int64_t)LRUCACHE_TTL_NONE, k.kv.number);
	k.kv.number = before.number;
	EXPECT_EQ(0, memcmp(&before, &k.kv, sizeof(before)));

	/* TOUCH: nothing. */
	memset(&k, 0, sizeof(k));
	k.kv.key = (uintptr_t)"n";
	k.kv.key_len = 1;
	k.kv.ttl_ms = 600000;
	ASSERT_EQ(0, kv_run(self->fd, LRUCACHE_IOC_TOUCH, &k, &before));
	EXPECT_EQ(0, memcmp(&before, &k.kv, sizeof(before)));

	/* GETEX: value_len, cas, status and lease (0). */
	memset(&k, 0, sizeof(k));
	memset(buf, PAT, sizeof(buf));
	k.kv.key = (uintptr_t)"n";
	k.kv.key_len = 1;
	k.kv.value = (uintptr_t)buf;
	k.kv.value_len = sizeof(buf);
	k.kv.ttl_ms = LRUCACHE_TTL_NONE;
	ASSERT_EQ(2, kv_run(self->fd, LRUCACHE_IOC_GETEX, &k, &before));
	EXPECT_EQ(2U, k.kv.value_len);
	EXPECT_EQ(v, k.kv.cas);
	EXPECT_EQ(LRUCACHE_STATUS_HIT, k.kv.status);
	EXPECT_EQ(0U, k.kv.lease);
	EXPECT_EQ(0, memcmp(buf, "42", 2));
	EXPECT_EQ(0U, bytes_not(buf + 2, sizeof(buf) - 2, PAT));
	k.kv.value_len = before.value_len;
	k.kv.cas = before.cas;
	k.kv.status = before.status;
	EXPECT_EQ(0, memcmp(&before, &k.kv, sizeof(before)));
	EXPECT_EQ(0U, bytes_not(k.tail, sizeof(k.tail), 0));

	/* GET with a lease, a miss: cas 0, a token, status; no length. */
	memset(&k, 0, sizeof(k));
	k.kv.key = (uintptr_t)"missing";
	k.kv.key_len = 7;
	k.kv.value = (uintptr_t)buf;
	k.kv.value_len = sizeof(buf);
	k.kv.flags = LRUCACHE_GET_LEASE;
	k.kv.ttl_ms = 60000;
	ASSERT_EQ(-ENOENT, kv_run(self->fd, LRUCACHE_IOC_GET, &k, &before));
	EXPECT_EQ(LRUCACHE_STATUS_LEASE, k.kv.status);
	EXPECT_NE(0U, k.kv.lease);
	EXPECT_EQ(0U, k.kv.cas);
	token = k.kv.lease;
	k.kv.status = before.status;
	k.kv.lease = before.lease;
	EXPECT_EQ(0, memcmp(&before, &k.kv, sizeof(before)));
	EXPECT_EQ(0U, bytes_not(k.tail, sizeof(k.tail), 0));

	/* LEASE_RELEASE, LEASE_WAIT, DELETE_PREFIX: nothing. */
	k.kv = (struct lrucache_kv){ .key = (uintptr_t)"missing",
				     .key_len = 7, .lease = token };
	ASSERT_EQ(0, kv_run(self->fd, LRUCACHE_IOC_LEASE_RELEASE, &k,
			    &before));
	EXPECT_EQ(0, memcmp(&before, &k.kv, sizeof(before)));
	k.kv = (struct lrucache_kv){ .key = (uintptr_t)"missing",
				     .key_len = 7 };
	ASSERT_EQ(0, kv_run(self->fd, LRUCACHE_IOC_LEASE_WAIT, &k, &before));
	EXPECT_EQ(0, memcmp(&before, &k.kv, sizeof(before)));
	k.kv = (struct lrucache_kv){ .key = (uintptr_t)"zzz", .key_len = 3 };
	ASSERT_EQ(0, kv_run(self->fd, LRUCACHE_IOC_DELETE_PREFIX, &k,
			    &before));
	EXPECT_EQ(0, memcmp(&before, &k.kv, sizeof(before)));

	/* GETDEL, last: value_len, cas, status. */
	memset(&k, 0, sizeof(k));
	memset(buf, PAT, sizeof(buf));
	k.kv.key = (uintptr_t)"n";
	k.kv.key_len = 1;
	k.kv.value = (uintptr_t)buf;
	k.kv.value_len = sizeof(buf);
	ASSERT_EQ(2, kv_run(self->fd, LRUCACHE_IOC_GETDEL, &k, &before));
	EXPECT_EQ(2U, k.kv.value_len);
	EXPECT_EQ(v, k.kv.cas);
	EXPECT_EQ(LRUCACHE_STATUS_HIT, k.kv.status);
	EXPECT_EQ(0U, bytes_not(buf + 2, sizeof(buf) - 2, PAT));
	k.kv.value_len = before.value_len;
	k.kv.cas = before.cas;
	k.kv.status = before.status;
	EXPECT_EQ(0, memcmp(&before, &k.kv, sizeof(before)));
	EXPECT_EQ(0U, bytes_not(k.tail, sizeof(k.tail), 0));
}

/* Calls that fail leave every result buffer exactly as it was. */
TEST(failed_calls_write_nothing)
{
	static const unsigned long cmds[] = {
		LRUCACHE_IOC_STATS, LRUCACHE_IOC_INFO, LRUCACHE_IOC_HEALTH,
		LRUCACHE_IOC_CHECK,
	};
	unsigned char buf[512];
	struct lrucache_reap r;
	unsigned int i;
	int fd = dev_open();

	ASSERT_LE(0, fd);
	/* Unbound: nothing to report on. */
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		memset(buf, PAT, sizeof(buf));
		EXPECT_EQ(-EBADFD, xioctl(fd, cmds[i], buf));
		EXPECT_EQ(0U, bytes_not(buf, sizeof(buf), PAT));
	}
	memset(&r, 0, sizeof(r));
	r.freed = r.visited = r.elapsed_ns = 0xa5a5a5a5a5a5a5a5ULL;
	EXPECT_EQ(-EBADFD, xioctl(fd, LRUCACHE_IOC_REAP, &r));
	EXPECT_EQ(0xa5a5a5a5a5a5a5a5ULL, r.freed);
	EXPECT_EQ(0xa5a5a5a5a5a5a5a5ULL, r.visited);
	EXPECT_EQ(0xa5a5a5a5a5a5a5a5ULL, r.elapsed_ns);

	close(fd);
}

/* A failed INCR (the value is no counter) writes nothing back. */
TEST_F(disclosure, failed_incr_writes_nothing)
{
	struct lrucache_kv kv, before;

	memset(&kv, 0, sizeof(kv));
	kv.key = (uintptr_t)"key-0";	/* the value "a": no counter */
	kv.key_len = 5;
	kv.delta = 1;
	kv.number = 7;
	kv.ttl_ms = LRUCACHE_TTL_NONE;
	before = kv;
	EXPECT_EQ(-EINVAL, xioctl(self->fd, LRUCACHE_IOC_INCR, &kv));
	EXPECT_EQ(0, memcmp(&before, &kv, sizeof(kv)));
}

/*
 * A miss writes neither the buffer nor value_len (its version, status and
 * lease are written: all 0).
 */
TEST_F(disclosure, get_miss_writes_nothing)
{
	unsigned char buf[512];
	struct lrucache_kv kv, before;

	memset(buf, PAT, sizeof(buf));
	memset(&kv, 0, sizeof(kv));
	kv.key = (uintptr_t)"nothing";
	kv.key_len = 7;
	kv.value = (uintptr_t)buf;
	kv.value_len = sizeof(buf);
	before = kv;
	EXPECT_EQ(-ENOENT, xioctl(self->fd, LRUCACHE_IOC_GET, &kv));
	EXPECT_EQ(0, memcmp(&before, &kv, sizeof(kv)));
	EXPECT_EQ(0U, bytes_not(buf, sizeof(buf), PAT));
}

TEST_HARNESS_MAIN
