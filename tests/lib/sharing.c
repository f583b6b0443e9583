// SPDX-License-Identifier: GPL-2.0
/*
 * libkcache handles shared three ways: two handles to one cache in one
 * process, one handle used by several threads at once, and handles in
 * two processes.
 */
#include "kselftest_harness.h"
#include "lib.h"

#include <pthread.h>
#include <sys/wait.h>

FIXTURE(share) {
	char name[LRUCACHE_NAME_MAX];
	struct kcache *c;
};

FIXTURE_SETUP(share)
{
	KCACHE_OPTS(opts, .max_size = 10000);
	int err;

	self->c = NULL;
	unique_name(self->name, "share");
	err = kcache_open(self->name, &opts, &self->c);
	ASSERT_EQ(0, err) {
		TH_LOG("kcache_open(%s): %s", self->name, kcache_strerror(err));
	}
}

FIXTURE_TEARDOWN(share)
{
	kcache_close(self->c);
	kcache_destroy(self->name);
}

TEST_F(share, two_handles_see_the_same_entries)
{
	struct kcache *c2;
	char out[256];

	ASSERT_EQ(0, kcache_open(self->name, NULL, &c2));
	ASSERT_NE(kcache_fd(self->c), kcache_fd(c2));
	ASSERT_EQ(0, sset(self->c, "k", "one"));
	ASSERT_EQ(3, sget(c2, "k", out));
	ASSERT_STREQ("one", out);
	ASSERT_EQ(0, sset(c2, "k", "two"));
	ASSERT_EQ(3, sget(self->c, "k", out));
	ASSERT_STREQ("two", out);
	ASSERT_EQ(0, kcache_delete(c2, "k", 1));
	ASSERT_EQ(0, sexists(self->c, "k"));
	kcache_close(c2);
}

TEST_F(share, closing_one_handle_leaves_the_other)
{
	struct kcache *c2;
	char out[256];

	ASSERT_EQ(0, kcache_open(self->name, NULL, &c2));
	ASSERT_EQ(0, sset(c2, "k", "kept"));
	kcache_close(c2);
	ASSERT_EQ(4, sget(self->c, "k", out));
	ASSERT_STREQ("kept", out);
}

#define THREADS		4
#define OPS_EACH	500

struct worker {
	struct kcache *c;
	int id;
	int failures;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	char key[32], out[256];
	int i;

	for (i = 0; i < OPS_EACH; i++) {
		snprintf(key, sizeof(key), "t%d-%d", w->id, i);
		w->failures += sset(w->c, key, key) != 0;
		w->failures += sget(w->c, key, out) != (ssize_t)strlen(key);
		w->failures += strcmp(out, key) != 0;
		if (i % 2)
			w->failures += kcache_delete(w->c, key,
						     strlen(key)) != 0;
	}
	return NULL;
}

TEST_F(share, one_handle_serves_many_threads)
{
	struct worker workers[THREADS];
	pthread_t tids[THREADS];
	struct kcache_metrics m;
	int i;

	for (i = 0; i < THREADS; i++) {
		workers[i] = (struct worker){ .c = self->c, .id = i };
		ASSERT_EQ(0, pthread_create(&tids[i], NULL, worker_run,
					    &workers[i]));
	}
	for (i = 0; i < THREADS; i++) {
		ASSERT_EQ(0, pthread_join(tids[i], NULL));
		EXPECT_EQ(0, workers[i].failures);
	}
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	ASSERT_EQ((uint64_t)THREADS * OPS_EACH, m.sets);
	ASSERT_EQ((uint64_t)THREADS * OPS_EACH, m.hits);
	ASSERT_EQ((uint64_t)THREADS * OPS_EACH / 2, m.deletes);
	ASSERT_EQ((uint64_t)THREADS * OPS_EACH / 2, m.entries);
}

TEST_F(share, handles_in_two_processes_share_entries)
{
	char out[256];
	int status;
	pid_t pid;

	ASSERT_EQ(0, sset(self->c, "from-parent", "p"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct kcache *c;
		char buf[256];
		int ok;

		if (kcache_open(self->name, NULL, &c))
			_exit(1);
		ok = sget(c, "from-parent", buf) == 1 && !strcmp(buf, "p") &&
		     !sset(c, "from-child", "c");
		kcache_close(c);
		_exit(ok ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(1, sget(self->c, "from-child", out));
	ASSERT_STREQ("c", out);
}

TEST_HARNESS_MAIN
