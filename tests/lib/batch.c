// SPDX-License-Identifier: GPL-2.0
/*
 * libkcache batches: kcache_set_many(), kcache_get_many() and the batch
 * context kcache_batch_*(). Per-item results, missing keys, values longer
 * than the buffer, duplicate keys, counts over LRUCACHE_BATCH_MAX, and the
 * stated semantics: operations run in order, one by one, not atomically
 * and without rollback. The set and get tests run on a plain and on a
 * mapped cache, whose handle answers get_many()'s hits from its mapping;
 * the mapped_batch tests prove that it does, without a system call, and
 * that it gives exactly what the batch ioctl gives.
 */
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

#include "kselftest_harness.h"
#include "lib.h"

#define MANY	2500	/* more than two full batches */

FIXTURE(batch) {
	char name[LRUCACHE_NAME_MAX];
	struct kcache *c;
};

FIXTURE_VARIANT(batch) {
	bool mapped;
};

FIXTURE_VARIANT_ADD(batch, plain) {
	.mapped = false,
};

FIXTURE_VARIANT_ADD(batch, mapped) {
	.mapped = true,
};

FIXTURE_SETUP(batch)
{
	KCACHE_OPTS(opts, .max_size = 4 * MANY,
		    .flags = variant->mapped ? KCACHE_OPEN_MAPPED : 0);
	int err;

	self->c = NULL;
	unique_name(self->name, "batch");
	err = kcache_open(self->name, &opts, &self->c);
	ASSERT_EQ(0, err) {
		TH_LOG("kcache_open(%s): %s", self->name, kcache_strerror(err));
	}
	ASSERT_EQ(variant->mapped, kcache_mapped(self->c));
}

FIXTURE_TEARDOWN(batch)
{
	kcache_close(self->c);
	kcache_destroy(self->name);
}

/* Keys "k<i>" and values "value-<i>", with their own storage. */
struct kv_store {
	char key[MANY][16];
	char val[MANY][32];
	char buf[MANY][32];
	struct kcache_item set[MANY];
	struct kcache_item get[MANY];
};

static struct kv_store *kv_store_new(size_t n)
{
	struct kv_store *s = calloc(1, sizeof(*s));
	size_t i;

	if (!s)
		return NULL;
	for (i = 0; i < n; i++) {
		snprintf(s->key[i], sizeof(s->key[i]), "k%zu", i);
		snprintf(s->val[i], sizeof(s->val[i]), "value-%zu", i);
		s->set[i] = (struct kcache_item){
			.key = s->key[i], .key_len = strlen(s->key[i]),
			.value = s->val[i], .value_len = strlen(s->val[i]),
			.status = 12345,
		};
		s->get[i] = (struct kcache_item){
			.key = s->key[i], .key_len = strlen(s->key[i]),
			.value = s->buf[i], .value_len = sizeof(s->buf[i]),
			.status = 12345,
		};
	}
	return s;
}

static struct kcache_item item(const char *key, void *value, size_t len)
{
	return (struct kcache_item){
		.key = key, .key_len = strlen(key),
		.value = value, .value_len = len, .status = 12345,
	};
}

static struct kcache_item sitem(const char *key, const char *val)
{
	return item(key, (void *)val, strlen(val));
}

TEST_F(batch, set_many_then_get_many_round_trip)
{
	struct kv_store *s = kv_store_new(10);
	size_t i;

	ASSERT_NE(NULL, s);
	ASSERT_EQ(10, kcache_set_many(self->c, s->set, 10, KCACHE_TTL_NONE));
	for (i = 0; i < 10; i++)
		ASSERT_EQ(0, s->set[i].status);
	ASSERT_EQ(10, kcache_get_many(self->c, s->get, 10));
	for (i = 0; i < 10; i++) {
		ASSERT_EQ((int)strlen(s->val[i]), s->get[i].status);
		ASSERT_STREQ(s->val[i], s->buf[i]);
		/* value_len is input only: still the buffer size. */
		ASSERT_EQ(sizeof(s->buf[i]), s->get[i].value_len);
	}
	free(s);
}

TEST_F(batch, get_many_marks_missing_keys_and_finds_the_others)
{
	char b[4][16] = { { 0 } };
	struct kcache_item it[4] = {
		item("a", b[0], 16), item("missing1", b[1], 16),
		item("b", b[2], 16), item("missing2", b[3], 16),
	};
	struct kcache_metrics m;

	ASSERT_EQ(0, sset(self->c, "a", "alpha"));
	ASSERT_EQ(0, sset(self->c, "b", "beta"));
	ASSERT_EQ(4, kcache_get_many(self->c, it, 4));
	ASSERT_EQ(5, it[0].status);
	ASSERT_STREQ("alpha", b[0]);
	ASSERT_EQ(-ENOENT, it[1].status);
	ASSERT_EQ(4, it[2].status);
	ASSERT_STREQ("beta", b[2]);
	ASSERT_EQ(-ENOENT, it[3].status);
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	ASSERT_EQ(2U, m.hits);
	ASSERT_EQ(2U, m.misses);
}

TEST_F(batch, get_many_value_too_long_returns_full_length_copies_nothing)
{
	char small[4], big[32] = { 0 };
	struct kcache_item it[3] = {
		item("long", small, sizeof(small)),
		item("long", big, sizeof(big)),
		item("long", NULL, 0),		/* size probe */
	};

	ASSERT_EQ(0, sset(self->c, "long", "0123456789"));
	memset(small, '#', sizeof(small));
	ASSERT_EQ(3, kcache_get_many(self->c, it, 3));
	ASSERT_EQ(10, it[0].status);
	ASSERT_LT(it[0].value_len, (size_t)it[0].status);
	ASSERT_EQ(0, memcmp(small, "####", sizeof(small)));
	ASSERT_EQ(sizeof(small), it[0].value_len);
	ASSERT_EQ(10, it[1].status);
	ASSERT_STREQ("0123456789", big);
	ASSERT_EQ(10, it[2].status);
}

TEST_F(batch, set_many_duplicate_keys_run_as_sequential_sets)
{
	struct kcache_item it[3] = {
		sitem("k", "1"), sitem("other", "x"), sitem("k", "2"),
	};
	struct kcache_metrics m;
	char out[256];

	ASSERT_EQ(3, kcache_set_many(self->c, it, 3, KCACHE_TTL_DEFAULT));
	ASSERT_EQ(0, it[0].status);
	ASSERT_EQ(0, it[2].status);
	ASSERT_EQ(1, sget(self->c, "k", out));
	ASSERT_STREQ("2", out);
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	ASSERT_EQ(3U, m.sets);
	ASSERT_EQ(2U, m.entries);
}

TEST_F(batch, get_many_duplicate_keys_are_looked_up_each_time)
{
	char b[2][8] = { { 0 } };
	struct kcache_item it[2] = { item("k", b[0], 8), item("k", b[1], 8) };
	struct kcache_metrics m;

	ASSERT_EQ(0, sset(self->c, "k", "v"));
	ASSERT_EQ(2, kcache_get_many(self->c, it, 2));
	ASSERT_EQ(1, it[0].status);
	ASSERT_EQ(1, it[1].status);
	ASSERT_STREQ("v", b[0]);
	ASSERT_STREQ("v", b[1]);
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	ASSERT_EQ(2U, m.hits);
}

TEST_F(batch, many_over_batch_max_is_split_transparently)
{
	struct kv_store *s = kv_store_new(MANY);
	struct kcache_metrics before, after;
	size_t i;

	ASSERT_NE(NULL, s);
	ASSERT_LT(2 * LRUCACHE_BATCH_MAX, MANY);
	ASSERT_EQ(0, kcache_get_metrics(self->c, &before));
	ASSERT_EQ(MANY, kcache_set_many(self->c, s->set, MANY,
					KCACHE_TTL_NONE));
	for (i = 0; i < MANY; i++)
		ASSERT_EQ(0, s->set[i].status);
	ASSERT_EQ(0, kcache_get_metrics(self->c, &after));
	ASSERT_EQ((uint64_t)MANY, after.sets - before.sets);
	ASSERT_EQ((uint64_t)MANY, after.entries);

	ASSERT_EQ(MANY, kcache_get_many(self->c, s->get, MANY));
	for (i = 0; i < MANY; i++) {
		ASSERT_EQ((int)strlen(s->val[i]), s->get[i].status);
		ASSERT_STREQ(s->val[i], s->buf[i]);
	}
	ASSERT_EQ(0, kcache_get_metrics(self->c, &before));
	ASSERT_EQ((uint64_t)MANY, before.hits - after.hits);
	ASSERT_EQ(0U, before.misses);
	free(s);
}

TEST_F(batch, many_item_errors_are_per_item)
{
	char longkey[1024];
	struct kcache_item it[4] = {
		sitem("ok1", "v"), sitem("", "v"), sitem("ok2", "v"),
		{ .key = longkey, .value = "v", .value_len = 1 },
	};
	uint64_t max_key_len = module_param("max_key_len", 250);
	char out[256];

	ASSERT_GT(sizeof(longkey), max_key_len);
	memset(longkey, 'x', sizeof(longkey));
	it[3].key_len = max_key_len + 1;
	ASSERT_EQ(4, kcache_set_many(self->c, it, 4, KCACHE_TTL_DEFAULT));
	ASSERT_EQ(0, it[0].status);
	ASSERT_EQ(-EINVAL, it[1].status);
	ASSERT_EQ(0, it[2].status);
	ASSERT_EQ(-E2BIG, it[3].status);
	ASSERT_EQ(1, sget(self->c, "ok2", out));

	/* A bad TTL fails every set, not the call. */
	ASSERT_EQ(2, kcache_set_many(self->c, it, 2, 0));
	ASSERT_EQ(-EINVAL, it[0].status);
	ASSERT_EQ(-EINVAL, it[1].status);
}

TEST_F(batch, many_with_nothing_to_do_or_bad_arguments)
{
	struct kcache_item it = sitem("k", "v");

	ASSERT_EQ(0, kcache_set_many(self->c, NULL, 0, KCACHE_TTL_DEFAULT));
	ASSERT_EQ(0, kcache_get_many(self->c, NULL, 0));
	ASSERT_EQ(-EINVAL, kcache_set_many(NULL, &it, 1, KCACHE_TTL_DEFAULT));
	ASSERT_EQ(-EINVAL, kcache_get_many(NULL, &it, 1));
	ASSERT_EQ(-EINVAL, kcache_set_many(self->c, NULL, 1,
					   KCACHE_TTL_DEFAULT));
	ASSERT_EQ(-EINVAL, kcache_get_many(self->c, NULL, 1));
	ASSERT_EQ(12345, it.status);
}

TEST_F(batch, many_on_destroyed_cache_marks_every_item)
{
	struct kcache_item it[2] = { sitem("a", "1"), sitem("b", "2") };

	ASSERT_EQ(0, kcache_destroy(self->name));
	ASSERT_EQ(2, kcache_set_many(self->c, it, 2, KCACHE_TTL_DEFAULT));
	ASSERT_EQ(-EIDRM, it[0].status);
	ASSERT_EQ(-EIDRM, it[1].status);
}

TEST_F(batch, context_commit_runs_every_kind_of_op)
{
	struct kcache_batch *b;
	char buf[16] = { 0 }, buf2[16];
	size_t vlen;
	int i;

	ASSERT_EQ(0, sset(self->c, "old", "gone"));
	ASSERT_EQ(0, kcache_batch_begin(self->c, &b));
	ASSERT_EQ(0, kcache_batch_set(b, "a", 1, "apple", 5,
				      KCACHE_TTL_DEFAULT));
	ASSERT_EQ(1, kcache_batch_get(b, "a", 1, buf, sizeof(buf)));
	ASSERT_EQ(2, kcache_batch_exists(b, "a", 1));
	ASSERT_EQ(3, kcache_batch_exists(b, "nope", 4));
	ASSERT_EQ(4, kcache_batch_delete(b, "old", 3));
	ASSERT_EQ(5, kcache_batch_delete(b, "nope", 4));
	ASSERT_EQ(6, kcache_batch_get(b, "nope", 4, buf2, sizeof(buf2)));
	ASSERT_EQ(7, kcache_batch_count(b));

	ASSERT_EQ(7, kcache_batch_commit(b));
	ASSERT_EQ(0, kcache_batch_result(b, 0, &vlen));
	ASSERT_EQ(0U, vlen);
	ASSERT_EQ(5, kcache_batch_result(b, 1, &vlen));
	ASSERT_EQ(5U, vlen);
	ASSERT_STREQ("apple", buf);
	ASSERT_EQ(1, kcache_batch_result(b, 2, NULL));
	ASSERT_EQ(0, kcache_batch_result(b, 3, NULL));
	ASSERT_EQ(0, kcache_batch_result(b, 4, NULL));
	ASSERT_EQ(-ENOENT, kcache_batch_result(b, 5, NULL));
	ASSERT_EQ(-ENOENT, kcache_batch_result(b, 6, &vlen));
	ASSERT_EQ(0U, vlen);
	/* The results stay readable; the committed batch takes no more. */
	for (i = 0; i < 2; i++)
		ASSERT_EQ(5, kcache_batch_result(b, 1, NULL));
	ASSERT_EQ(-EINVAL, kcache_batch_exists(b, "a", 1));
	ASSERT_EQ(-EINVAL, kcache_batch_commit(b));
	ASSERT_EQ(-EINVAL, kcache_batch_result(b, 7, NULL));
	kcache_batch_free(b);

	ASSERT_EQ(1, sexists(self->c, "a"));
	ASSERT_EQ(0, sexists(self->c, "old"));
}

TEST_F(batch, context_runs_in_order_each_op_sees_the_previous)
{
	struct kcache_batch *b;
	char buf[16] = { 0 }, out[256];

	ASSERT_EQ(0, kcache_batch_begin(self->c, &b));
	ASSERT_EQ(0, kcache_batch_set(b, "a", 1, "1", 1, KCACHE_TTL_DEFAULT));
	ASSERT_EQ(1, kcache_batch_get(b, "a", 1, buf, sizeof(buf)));
	ASSERT_EQ(2, kcache_batch_delete(b, "a", 1));
	ASSERT_EQ(3, kcache_batch_exists(b, "a", 1));
	ASSERT_EQ(4, kcache_batch_set(b, "a", 1, "22", 2, KCACHE_TTL_DEFAULT));
	ASSERT_EQ(5, kcache_batch_exists(b, "a", 1));
	ASSERT_EQ(6, kcache_batch_commit(b));
	ASSERT_EQ(0, kcache_batch_result(b, 0, NULL));
	ASSERT_EQ(1, kcache_batch_result(b, 1, NULL));	/* saw the set */
	ASSERT_STREQ("1", buf);
	ASSERT_EQ(0, kcache_batch_result(b, 2, NULL));	/* saw the set */
	ASSERT_EQ(0, kcache_batch_result(b, 3, NULL));	/* saw the delete */
	ASSERT_EQ(0, kcache_batch_result(b, 4, NULL));
	ASSERT_EQ(1, kcache_batch_result(b, 5, NULL));	/* saw the set */
	kcache_batch_free(b);
	ASSERT_EQ(2, sget(self->c, "a", out));
	ASSERT_STREQ("22", out);
}

TEST_F(batch, context_failing_op_neither_rolls_back_nor_stops)
{
	struct kcache_batch *b;
	struct kcache_metrics m;

	ASSERT_EQ(0, kcache_batch_begin(self->c, &b));
	ASSERT_EQ(0, kcache_batch_set(b, "first", 5, "1", 1,
				      KCACHE_TTL_DEFAULT));
	ASSERT_EQ(1, kcache_batch_set(b, "bad", 3, "1", 1, 0)); /* bad TTL */
	ASSERT_EQ(2, kcache_batch_delete(b, "absent", 6));
	ASSERT_EQ(3, kcache_batch_set(b, "last", 4, "1", 1,
				      KCACHE_TTL_DEFAULT));
	ASSERT_EQ(4, kcache_batch_commit(b));
	ASSERT_EQ(0, kcache_batch_result(b, 0, NULL));
	ASSERT_EQ(-EINVAL, kcache_batch_result(b, 1, NULL));
	ASSERT_EQ(-ENOENT, kcache_batch_result(b, 2, NULL));
	ASSERT_EQ(0, kcache_batch_result(b, 3, NULL));
	kcache_batch_free(b);
	ASSERT_EQ(1, sexists(self->c, "first"));
	ASSERT_EQ(0, sexists(self->c, "bad"));
	ASSERT_EQ(1, sexists(self->c, "last"));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	ASSERT_EQ(2U, m.sets);
}

/*
 * Not atomic with respect to other processes: a second process keeps
 * setting "k" to new values while this one commits batches of
 * LRUCACHE_BATCH_MAX gets of "k". Were a batch atomic, all the gets of one
 * batch would return the same value; the header states it is not, and two
 * different values within one batch show the interleaving. Interleaving
 * needs a second CPU (or a preemption mid-batch), so on one CPU the test
 * is skipped if it never sees it.
 */
TEST_F(batch, context_is_not_atomic_against_other_processes)
{
	static char bufs[LRUCACHE_BATCH_MAX][16];
	struct kcache_batch *b;
	int tries, i, status, mixed = 0;
	pid_t pid;

	ASSERT_EQ(0, sset(self->c, "k", "0"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kcache *c2;
		char v[16];
		unsigned int n;

		if (kcache_open(self->name, NULL, &c2))
			_exit(1);
		for (n = 0; n < 2000000; n++) {
			int len = snprintf(v, sizeof(v), "%u", n);

			if (kcache_set(c2, "k", 1, v, (size_t)len,
				       KCACHE_TTL_DEFAULT) == -EIDRM)
				break;
			if (kcache_exists(c2, "stop", 4) == 1)
				break;
		}
		kcache_close(c2);
		_exit(0);
	}

	ASSERT_EQ(0, kcache_batch_begin(self->c, &b));
	for (tries = 0; tries < 2000 && !mixed; tries++) {
		kcache_batch_abort(b);
		memset(bufs, 0, sizeof(bufs));
		for (i = 0; i < LRUCACHE_BATCH_MAX; i++)
			ASSERT_EQ(i, kcache_batch_get(b, "k", 1, bufs[i],
						      sizeof(bufs[i]) - 1));
		ASSERT_EQ(LRUCACHE_BATCH_MAX, kcache_batch_commit(b));
		for (i = 1; i < LRUCACHE_BATCH_MAX; i++) {
			if (strcmp(bufs[0], bufs[i])) {
				mixed = 1;
				break;
			}
		}
	}
	kcache_batch_free(b);
	sset(self->c, "stop", "1");
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	if (!mixed && sysconf(_SC_NPROCESSORS_ONLN) < 2)
		SKIP(return, "one CPU: no interleaving seen in %d tries", tries);
	ASSERT_EQ(1, mixed) {
		TH_LOG("no batch of gets saw a concurrent set in %d tries",
		       tries);
	}
}

TEST_F(batch, context_value_too_long_returns_full_length_copies_nothing)
{
	struct kcache_batch *b;
	char small[4];
	size_t vlen;

	ASSERT_EQ(0, sset(self->c, "long", "0123456789"));
	memset(small, '#', sizeof(small));
	ASSERT_EQ(0, kcache_batch_begin(self->c, &b));
	ASSERT_EQ(0, kcache_batch_get(b, "long", 4, small, sizeof(small)));
	ASSERT_EQ(1, kcache_batch_commit(b));
	ASSERT_EQ(10, kcache_batch_result(b, 0, &vlen));
	ASSERT_EQ(10U, vlen);
	ASSERT_EQ(0, memcmp(small, "####", sizeof(small)));
	kcache_batch_free(b);
}

TEST_F(batch, context_holds_at_most_batch_max_ops)
{
	struct kcache_batch *b;
	int i;

	ASSERT_EQ(0, kcache_batch_begin(self->c, &b));
	for (i = 0; i < LRUCACHE_BATCH_MAX; i++)
		ASSERT_EQ(i, kcache_batch_exists(b, "k", 1));
	ASSERT_EQ(-E2BIG, kcache_batch_exists(b, "k", 1));
	ASSERT_EQ(-E2BIG, kcache_batch_set(b, "k", 1, "v", 1,
					   KCACHE_TTL_DEFAULT));
	ASSERT_EQ(LRUCACHE_BATCH_MAX, kcache_batch_count(b));
	ASSERT_EQ(LRUCACHE_BATCH_MAX, kcache_batch_commit(b));
	ASSERT_EQ(0, kcache_batch_result(b, LRUCACHE_BATCH_MAX - 1, NULL));
	ASSERT_EQ(-EINVAL, kcache_batch_result(b, LRUCACHE_BATCH_MAX, NULL));
	kcache_batch_free(b);
	ASSERT_EQ(0, sexists(self->c, "k"));
}

TEST_F(batch, context_abort_runs_nothing_and_empties_the_batch)
{
	struct kcache_batch *b;
	struct kcache_metrics m;

	ASSERT_EQ(0, kcache_batch_begin(self->c, &b));
	ASSERT_EQ(0, kcache_batch_set(b, "a", 1, "1", 1, KCACHE_TTL_DEFAULT));
	ASSERT_EQ(1, kcache_batch_set(b, "b", 1, "2", 1, KCACHE_TTL_DEFAULT));
	kcache_batch_abort(b);
	ASSERT_EQ(0, kcache_batch_count(b));
	ASSERT_EQ(0, sexists(self->c, "a"));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	ASSERT_EQ(0U, m.sets);

	/* The aborted batch is empty and usable again. */
	ASSERT_EQ(0, kcache_batch_set(b, "c", 1, "3", 1, KCACHE_TTL_DEFAULT));
	ASSERT_EQ(1, kcache_batch_commit(b));
	ASSERT_EQ(0, kcache_batch_result(b, 0, NULL));
	/* Aborting a committed batch drops its results. */
	kcache_batch_abort(b);
	ASSERT_EQ(-EINVAL, kcache_batch_result(b, 0, NULL));
	ASSERT_EQ(0, kcache_batch_commit(b));	/* empty batch */
	kcache_batch_free(b);

	ASSERT_EQ(0, sexists(self->c, "a"));
	ASSERT_EQ(0, sexists(self->c, "b"));
	ASSERT_EQ(1, sexists(self->c, "c"));
}

TEST_F(batch, context_free_without_commit_runs_nothing)
{
	struct kcache_batch *b;

	ASSERT_EQ(0, kcache_batch_begin(self->c, &b));
	ASSERT_EQ(0, kcache_batch_set(b, "a", 1, "1", 1, KCACHE_TTL_DEFAULT));
	kcache_batch_free(b);
	ASSERT_EQ(0, sexists(self->c, "a"));
	kcache_batch_free(NULL);
	kcache_batch_abort(NULL);
}

TEST_F(batch, context_misuse)
{
	struct kcache_batch *b = NULL;

	ASSERT_EQ(-EINVAL, kcache_batch_begin(NULL, &b));
	ASSERT_EQ(-EINVAL, kcache_batch_begin(self->c, NULL));
	ASSERT_EQ(-EINVAL, kcache_batch_set(NULL, "a", 1, "1", 1,
					    KCACHE_TTL_DEFAULT));
	ASSERT_EQ(-EINVAL, kcache_batch_get(NULL, "a", 1, NULL, 0));
	ASSERT_EQ(-EINVAL, kcache_batch_delete(NULL, "a", 1));
	ASSERT_EQ(-EINVAL, kcache_batch_exists(NULL, "a", 1));
	ASSERT_EQ(-EINVAL, kcache_batch_count(NULL));
	ASSERT_EQ(-EINVAL, kcache_batch_commit(NULL));
	ASSERT_EQ(-EINVAL, kcache_batch_result(NULL, 0, NULL));

	ASSERT_EQ(0, kcache_batch_begin(self->c, &b));
	ASSERT_EQ(0, kcache_batch_exists(b, "a", 1));
	ASSERT_EQ(-EINPROGRESS, kcache_batch_result(b, 0, NULL));
	ASSERT_EQ(-EINVAL, kcache_batch_result(b, 1, NULL));
	kcache_batch_free(b);
}

TEST_F(batch, context_commit_on_destroyed_cache_fails_each_op)
{
	struct kcache_batch *b;

	ASSERT_EQ(0, kcache_batch_begin(self->c, &b));
	ASSERT_EQ(0, kcache_batch_set(b, "a", 1, "1", 1, KCACHE_TTL_DEFAULT));
	ASSERT_EQ(1, kcache_batch_exists(b, "a", 1));
	ASSERT_EQ(0, kcache_destroy(self->name));
	ASSERT_EQ(2, kcache_batch_commit(b));
	ASSERT_EQ(-EIDRM, kcache_batch_result(b, 0, NULL));
	ASSERT_EQ(-EIDRM, kcache_batch_result(b, 1, NULL));
	kcache_batch_free(b);
}

/*
 * get_many() on a mapped handle. Each test compares with what the kernel
 * answers for the same items: the batch context, which always sends its
 * operations in one LRUCACHE_IOC_BATCH ioctl.
 */
FIXTURE(mapped_batch) {
	char name[LRUCACHE_NAME_MAX];
	struct kcache *c;
	uint64_t max_key_len;
};

FIXTURE_SETUP(mapped_batch)
{
	KCACHE_OPTS(opts, .max_size = 100, .flags = KCACHE_OPEN_MAPPED);
	int err;

	self->c = NULL;
	self->max_key_len = module_param("max_key_len", 250);
	unique_name(self->name, "mbatch");
	err = kcache_open(self->name, &opts, &self->c);
	ASSERT_EQ(0, err) {
		TH_LOG("kcache_open(%s): %s", self->name, kcache_strerror(err));
	}
	ASSERT_EQ(1, kcache_mapped(self->c));
}

FIXTURE_TEARDOWN(mapped_batch)
{
	kcache_close(self->c);
	kcache_destroy(self->name);
}

#define ITEMS	14
#define BUFSZ	64
#define FILL	0xa5

/*
 * Items of every kind, in a mix: hits (short, empty, 3000 bytes), misses,
 * buffers too small, a size probe (NULL, 0), a duplicate, the errors the
 * kernel gives per item (zero-length key, key over max_key_len, NULL
 * buffer of non-zero size), a value too long for the mapping's page
 * slots (kcache_map_get() leaves it to the kernel).
 */
struct mix {
	char longkey[1024];
	char big[3000];
	char huge[6000];
	char bufs[ITEMS][8192];
	struct kcache_item it[ITEMS];
};

static int mix_fill(struct kcache *c, struct mix *m, uint64_t max_key_len)
{
	size_t i;
	int err = 0;

	memset(m->longkey, 'x', sizeof(m->longkey));
	for (i = 0; i < sizeof(m->big); i++)
		m->big[i] = (char)(i * 7 + 1);
	for (i = 0; i < sizeof(m->huge); i++)
		m->huge[i] = (char)(i * 13 + 5);
	err |= sset(c, "a", "alpha");
	err |= kcache_set(c, "empty", 5, "", 0, KCACHE_TTL_DEFAULT);
	err |= kcache_set(c, "big", 3, m->big, sizeof(m->big),
			  KCACHE_TTL_DEFAULT);
	err |= kcache_set(c, "huge", 4, m->huge, sizeof(m->huge),
			  KCACHE_TTL_DEFAULT);
	err |= sset(c, "b", "beta");
	m->it[0] = item("a", m->bufs[0], BUFSZ);
	m->it[1] = item("empty", m->bufs[1], BUFSZ);
	m->it[2] = item("big", m->bufs[2], sizeof(m->bufs[2]));
	m->it[3] = item("big", m->bufs[3], 100);		/* too small */
	m->it[4] = item("missing", m->bufs[4], BUFSZ);
	m->it[5] = item("a", m->bufs[5], 3);			/* too small */
	m->it[6] = item("b", NULL, 0);				/* size probe */
	m->it[7] = item("huge", m->bufs[7], sizeof(m->bufs[7]));
	m->it[8] = item("", m->bufs[8], BUFSZ);			/* -EINVAL */
	m->it[9] = item("a", m->bufs[9], BUFSZ);
	m->it[10] = (struct kcache_item){ .key = m->longkey,
		.key_len = max_key_len + 1, .value = m->bufs[10],
		.value_len = BUFSZ, .status = 12345 };		/* -E2BIG */
	m->it[11] = item("b", NULL, BUFSZ);			/* -EFAULT */
	m->it[12] = item("missing2", m->bufs[12], BUFSZ);
	m->it[13] = item("b", m->bufs[13], BUFSZ);
	memset(m->bufs, FILL, sizeof(m->bufs));
	return err;
}

/* The same items through the batch context: one ioctl, no mapping. */
static int mix_by_ioctl(struct kcache *c, struct mix *m)
{
	struct kcache_batch *b;
	unsigned int i;
	int ret;

	ret = kcache_batch_begin(c, &b);
	if (ret)
		return ret;
	for (i = 0; i < ITEMS && ret >= 0; i++)
		ret = kcache_batch_get(b, m->it[i].key, m->it[i].key_len,
				       m->it[i].value, m->it[i].value_len);
	if (ret >= 0)
		ret = kcache_batch_commit(b);
	for (i = 0; i < ITEMS && ret >= 0; i++)
		m->it[i].status = kcache_batch_result(b, i, NULL);
	kcache_batch_free(b);
	return ret < 0 ? ret : ITEMS;
}

TEST_F(mapped_batch, get_many_gives_what_the_batch_ioctl_gives)
{
	struct kcache_metrics m0, m1, m2;
	struct mix *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	size_t i;

	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	ASSERT_GE(sizeof(a->longkey), self->max_key_len + 1);
	ASSERT_EQ(0, mix_fill(self->c, a, self->max_key_len));
	ASSERT_EQ(0, mix_fill(self->c, b, self->max_key_len));

	ASSERT_EQ(0, kcache_get_metrics(self->c, &m0));
	ASSERT_EQ(ITEMS, kcache_get_many(self->c, a->it, ITEMS));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m1));
	ASSERT_EQ(ITEMS, mix_by_ioctl(self->c, b));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m2));

	for (i = 0; i < ITEMS; i++) {
		EXPECT_EQ(b->it[i].status, a->it[i].status) {
			TH_LOG("item %zu", i);
		}
		EXPECT_EQ(0, memcmp(a->bufs[i], b->bufs[i],
				    sizeof(a->bufs[i]))) {
			TH_LOG("buffer of item %zu", i);
		}
	}
	/* What those results are, by the contract. */
	ASSERT_EQ(5, a->it[0].status);
	ASSERT_EQ(0, memcmp(a->bufs[0], "alpha", 5));
	ASSERT_EQ((unsigned char)FILL, (unsigned char)a->bufs[0][5]);
	ASSERT_EQ(0, a->it[1].status);
	ASSERT_EQ((unsigned char)FILL, (unsigned char)a->bufs[1][0]);
	ASSERT_EQ(3000, a->it[2].status);
	ASSERT_EQ(0, memcmp(a->bufs[2], a->big, sizeof(a->big)));
	ASSERT_EQ(3000, a->it[3].status);		/* nothing copied */
	ASSERT_EQ((unsigned char)FILL, (unsigned char)a->bufs[3][0]);
	ASSERT_EQ(-ENOENT, a->it[4].status);
	ASSERT_EQ(5, a->it[5].status);
	ASSERT_EQ((unsigned char)FILL, (unsigned char)a->bufs[5][0]);
	ASSERT_EQ(4, a->it[6].status);
	ASSERT_EQ(6000, a->it[7].status);
	ASSERT_EQ(0, memcmp(a->bufs[7], a->huge, sizeof(a->huge)));
	ASSERT_EQ(-EINVAL, a->it[8].status);
	ASSERT_EQ(5, a->it[9].status);
	ASSERT_EQ(-E2BIG, a->it[10].status);
	ASSERT_EQ(-EFAULT, a->it[11].status);
	ASSERT_EQ(-ENOENT, a->it[12].status);
	ASSERT_EQ(4, a->it[13].status);
	ASSERT_EQ(0, memcmp(a->bufs[13], "beta", 4));
	/*
	 * The same counts: 9 hits (0-3, 5-7, 9, 13) and 2 misses (4, 12);
	 * the refused items (8, 10, 11) count nothing.
	 */
	ASSERT_EQ(m2.hits - m1.hits, m1.hits - m0.hits);
	ASSERT_EQ(m2.misses - m1.misses, m1.misses - m0.misses);
	ASSERT_EQ(9U, m1.hits - m0.hits);
	ASSERT_EQ(2U, m1.misses - m0.misses);
	free(a);
	free(b);
}

/*
 * Runs @fn in a child process in which ioctl() fails with -EXDEV, which no
 * lrucache call returns: whatever @fn gets right there, it got without
 * the kernel. Returns the child's exit status (0: @fn returned 0), or
 * NO_SECCOMP if the kernel has no seccomp filters (the debug kernel's
 * configuration leaves them out).
 */
#define NO_SECCOMP	101

static int without_ioctl(int (*fn)(void *), void *arg)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ioctl, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EXDEV),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = ARRAY_SIZE(filter), .filter = filter,
	};
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
			_exit(100);
		if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
			_exit(errno == EINVAL ? NO_SECCOMP : 100);
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

struct hits_only {
	struct kcache *c;
	struct mix *m;
};

/* Child side: hits (fitting, too small, empty, probe) with no ioctl. */
static int get_hits_without_ioctl(void *arg)
{
	struct hits_only *h = arg;
	struct mix *m = h->m;
	struct kcache_item it[6] = {
		m->it[0], m->it[1], m->it[2], m->it[3], m->it[5], m->it[6],
	};
	char probe[8];

	/* First: ioctl() does fail in here. */
	if (kcache_get_many(h->c, &m->it[4], 1) != -EXDEV ||
	    m->it[4].status != -EXDEV)
		return 1;
	if (kcache_exists(h->c, "a", 1) != -EXDEV)
		return 2;
	if (kcache_get_many(h->c, it, 6) != 6)
		return 3;
	if (it[0].status != 5 || memcmp(m->bufs[0], "alpha", 5) ||
	    (unsigned char)m->bufs[0][5] != FILL)
		return 4;
	if (it[1].status != 0 || (unsigned char)m->bufs[1][0] != FILL)
		return 5;
	if (it[2].status != 3000 || memcmp(m->bufs[2], m->big, 3000))
		return 6;
	if (it[3].status != 3000 || (unsigned char)m->bufs[3][0] != FILL)
		return 7;
	if (it[4].status != 5 || (unsigned char)m->bufs[5][0] != FILL)
		return 8;
	if (it[5].status != 4)
		return 9;
	/* And kcache_get() as well. */
	if (kcache_get(h->c, "b", 1, probe, sizeof(probe)) != 4 ||
	    memcmp(probe, "beta", 4))
		return 10;
	return 0;
}

TEST_F(mapped_batch, get_many_of_hits_makes_no_system_call)
{
	struct mix *m = calloc(1, sizeof(*m));
	struct hits_only h = { .c = self->c, .m = m };
	struct kcache_metrics m0, m1;
	int ret;

	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, mix_fill(self->c, m, self->max_key_len));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m0));
	ret = without_ioctl(get_hits_without_ioctl, &h);
	if (ret == NO_SECCOMP)
		SKIP(return, "this kernel has no seccomp filters");
	ASSERT_EQ(0, ret) {
		TH_LOG("check %d of get_hits_without_ioctl() failed", ret);
	}
	/* The child's 7 mapped hits (6 items and a get) are counted. */
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m1));
	ASSERT_EQ(7U, m1.hits - m0.hits);
	ASSERT_EQ(0U, m1.misses - m0.misses);
	free(m);
}

/*
 * Child side: in [hit, hit, miss, hit, miss, hit] the hits before the
 * first miss are answered from the mapping, and the ioctl (which fails
 * here) takes the rest up to the last miss: those items, and the hit
 * after it (which the call does not reach once its ioctl failed), hold
 * the error, as the contract says ("the items that ran are a prefix").
 */
static int mixed_prefix_without_ioctl(void *arg)
{
	struct hits_only *h = arg;
	struct mix *m = h->m;
	struct kcache_item it[6] = {
		m->it[0], m->it[13], m->it[4], m->it[9], m->it[12], m->it[1],
	};
	int i;

	if (kcache_get_many(h->c, it, 6) != -EXDEV)
		return 1;
	if (it[0].status != 5 || memcmp(m->bufs[0], "alpha", 5))
		return 2;
	if (it[1].status != 4 || memcmp(m->bufs[13], "beta", 4))
		return 3;
	for (i = 2; i < 6; i++)
		if (it[i].status != -EXDEV)
			return 4 + i;
	if ((unsigned char)m->bufs[9][0] != FILL ||
	    (unsigned char)m->bufs[1][0] != FILL)
		return 20;
	return 0;
}

TEST_F(mapped_batch, get_many_sends_the_kernel_only_from_the_first_miss)
{
	struct mix *m = calloc(1, sizeof(*m));
	struct hits_only h = { .c = self->c, .m = m };
	int ret;

	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, mix_fill(self->c, m, self->max_key_len));
	ret = without_ioctl(mixed_prefix_without_ioctl, &h);
	if (ret == NO_SECCOMP)
		SKIP(return, "this kernel has no seccomp filters");
	ASSERT_EQ(0, ret) {
		TH_LOG("check %d of mixed_prefix_without_ioctl() failed", ret);
	}
	free(m);
}

/*
 * With the kernel: [hit, miss, hit, miss, hit, hit] gives each item its
 * result in order; and items after the last miss are read from the
 * mapping after the ioctl (their hits count like the others).
 */
TEST_F(mapped_batch, get_many_mixed_hits_and_misses_in_order)
{
	struct mix *m = calloc(1, sizeof(*m));
	struct kcache_metrics m0, m1;
	struct kcache_item it[6];

	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, mix_fill(self->c, m, self->max_key_len));
	it[0] = m->it[0];
	it[1] = m->it[4];
	it[2] = m->it[13];
	it[3] = m->it[12];
	it[4] = m->it[2];
	it[5] = m->it[3];
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m0));
	ASSERT_EQ(6, kcache_get_many(self->c, it, 6));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m1));
	ASSERT_EQ(5, it[0].status);
	ASSERT_EQ(-ENOENT, it[1].status);
	ASSERT_EQ(4, it[2].status);
	ASSERT_EQ(0, memcmp(m->bufs[13], "beta", 4));
	ASSERT_EQ(-ENOENT, it[3].status);
	ASSERT_EQ(3000, it[4].status);
	ASSERT_EQ(0, memcmp(m->bufs[2], m->big, 3000));
	ASSERT_EQ(3000, it[5].status);
	ASSERT_EQ((unsigned char)FILL, (unsigned char)m->bufs[3][0]);
	ASSERT_EQ(4U, m1.hits - m0.hits);
	ASSERT_EQ(2U, m1.misses - m0.misses);
	free(m);
}

/* More items than a batch: every chunk answered, hits from the mapping. */
TEST_F(mapped_batch, get_many_over_batch_max_with_misses_here_and_there)
{
	enum { N = 2 * LRUCACHE_BATCH_MAX + 100 };
	struct kcache_item *it = calloc(N, sizeof(*it));
	char (*bufs)[8] = calloc(N, sizeof(*bufs));
	struct kcache_metrics m0, m1;
	const char *keys[3] = { "a", "b", "nope" };
	const int want[3] = { 5, 4, -ENOENT };
	size_t i;

	ASSERT_NE(NULL, it);
	ASSERT_NE(NULL, bufs);
	ASSERT_EQ(0, sset(self->c, "a", "alpha"));
	ASSERT_EQ(0, sset(self->c, "b", "beta"));
	/* A miss every 7th item, and none in the last 200. */
	for (i = 0; i < N; i++)
		it[i] = item(keys[i < N - 200 && i % 7 == 3 ? 2 : i % 2],
			     bufs[i], sizeof(bufs[i]));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m0));
	ASSERT_EQ(N, kcache_get_many(self->c, it, N));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m1));
	for (i = 0; i < N; i++) {
		int k = i < N - 200 && i % 7 == 3 ? 2 : (int)(i % 2);

		ASSERT_EQ(want[k], it[i].status) {
			TH_LOG("item %zu", i);
		}
		if (k < 2)
			ASSERT_EQ(0, memcmp(bufs[i], keys[k][0] == 'a' ?
					    "alpha" : "beta", (size_t)want[k]));
	}
	ASSERT_EQ((uint64_t)N, (m1.hits - m0.hits) + (m1.misses - m0.misses));
	free(it);
	free(bufs);
}

/*
 * Order against a concurrent writer. The writer sets "data" to i, then
 * "ver" to i (in a value too long for the mapping, so that get_many()
 * always asks the kernel for it). A reader's get_many([ver, data]) runs
 * its items in that order: whenever it finds ver = i, data was set to i
 * before, so it finds data >= i. Reading data from the mapping before the
 * ioctl that reads ver would break that as soon as the writer moves on in
 * between. Bounded: the writer stops after WRITES pairs.
 */
#define WRITES	3000

static void writer(const char *name)
{
	char big[6000] = { 0 }, small[32];
	struct kcache *c;
	int i, n;

	if (kcache_open(name, NULL, &c))
		_exit(1);
	for (i = 1; i <= WRITES; i++) {
		n = snprintf(small, sizeof(small), "%d", i);
		snprintf(big, sizeof(big), "%d", i);
		if (kcache_set(c, "data", 4, small, (size_t)n,
			       KCACHE_TTL_DEFAULT) ||
		    kcache_set(c, "ver", 3, big, sizeof(big),
			       KCACHE_TTL_DEFAULT))
			_exit(2);
	}
	kcache_close(c);
	_exit(0);
}

TEST_F(mapped_batch, get_many_keeps_item_order_against_a_writer)
{
	static char vbuf[8192];
	char dbuf[32];
	struct kcache_item it[2];
	long reads = 0, both = 0, last_ver = 0;
	int status, done = 0;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		writer(self->name);
	while (!done) {
		long ver, data;

		done = waitpid(pid, &status, WNOHANG) == pid;
		memset(dbuf, 0, sizeof(dbuf));
		it[0] = item("ver", vbuf, sizeof(vbuf));
		it[1] = item("data", dbuf, sizeof(dbuf) - 1);
		ASSERT_EQ(2, kcache_get_many(self->c, it, 2));
		reads++;
		if (it[0].status < 0 || it[1].status < 0)
			continue;
		ASSERT_EQ(6000, it[0].status);
		ver = atol(vbuf);
		data = atol(dbuf);
		ASSERT_GE(data, ver) {
			TH_LOG("read %ld: ver %ld but data %ld", reads, ver,
			       data);
		}
		both++;
		last_ver = ver;
	}
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	/* It read the last pair, and something before. */
	ASSERT_EQ(WRITES, last_ver);
	ASSERT_LT(1, both);
	TH_LOG("%ld reads, %ld found both keys", reads, both);
}

TEST_HARNESS_MAIN
