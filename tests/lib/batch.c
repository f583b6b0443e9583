// SPDX-License-Identifier: GPL-2.0
/*
 * libkcache batches: kcache_set_many(), kcache_get_many() and the batch
 * context kcache_batch_*(). Per-item results, missing keys, values longer
 * than the buffer, duplicate keys, counts over LRUCACHE_BATCH_MAX, and the
 * stated semantics: operations run in order, one by one, not atomically
 * and without rollback.
 */
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "lib.h"

#define MANY	2500	/* more than two full batches */

FIXTURE(batch) {
	char name[LRUCACHE_NAME_MAX];
	struct kcache *c;
};

FIXTURE_SETUP(batch)
{
	KCACHE_OPTS(opts, .max_size = 4 * MANY);
	int err;

	self->c = NULL;
	unique_name(self->name, "batch");
	err = kcache_open(self->name, &opts, &self->c);
	ASSERT_EQ(0, err) {
		TH_LOG("kcache_open(%s): %s", self->name, kcache_strerror(err));
	}
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

TEST_HARNESS_MAIN
