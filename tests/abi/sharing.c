// SPDX-License-Identifier: GPL-2.0
/*
 * One cache, several processes: values set by one process are seen by
 * another (forked, or a separately exec'd program), a descriptor inherited
 * across fork() keeps its binding, concurrent writers keep the accounting
 * exact, and a DESTROY in one process reaches the others.
 */
#include "kselftest_harness.h"
#include "abi.h"

#include <sys/wait.h>

/*
 * Exec'd helper mode. When this program is started with these variables
 * set, it attaches to the cache and sets the key before the harness runs,
 * then exits 0 on success or 1. It is how a test gets an unrelated process
 * (a fresh image, no inherited descriptor) to write into the cache.
 */
#define ENV_CACHE	"LRUCACHE_TEST_EXEC_CACHE"
#define ENV_KEY		"LRUCACHE_TEST_EXEC_KEY"
#define ENV_VALUE	"LRUCACHE_TEST_EXEC_VALUE"

static void __attribute__((constructor)) exec_helper(void)
{
	const char *name = getenv(ENV_CACHE);
	const char *key = getenv(ENV_KEY);
	const char *val = getenv(ENV_VALUE);
	int fd;

	if (!name || !key || !val)
		return;
	fd = cache_attach(name);
	if (fd < 0)
		_exit(1);
	_exit(str_set(fd, key, val) ? 1 : 0);
}

FIXTURE(share) {
	int fd;
	char name[LRUCACHE_NAME_MAX];
};

FIXTURE_SETUP(share)
{
	self->fd = -1;
	unique_name(self->name, "share");
	self->fd = cache_create(self->name, 1000, 0, 0);
	ASSERT_LE(0, self->fd) {
		TH_LOG("cannot create cache %s: %s", self->name,
		       strerror(-self->fd));
	}
}

FIXTURE_TEARDOWN(share)
{
	if (self->fd >= 0)
		close(self->fd);
	cache_destroy(self->name);
}

/* Wait for @pid; its exit status, or -1 if it did not exit normally. */
static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST_F(share, value_set_by_child_is_read_by_parent)
{
	char out[256];
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* Its own descriptor, attached by name. */
		int fd = cache_attach(self->name);

		_exit(fd >= 0 && !str_set(fd, "from-child", "hello") ? 0 : 1);
	}
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ(5, str_get(self->fd, "from-child", out));
	ASSERT_STREQ("hello", out);
}

TEST_F(share, value_set_by_parent_is_read_by_child)
{
	pid_t pid;

	ASSERT_EQ(0, str_set(self->fd, "from-parent", "world"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int fd = cache_attach(self->name);
		char out[256];

		_exit(fd >= 0 && str_get(fd, "from-parent", out) == 5 &&
		      !strcmp(out, "world") ? 0 : 1);
	}
	ASSERT_EQ(0, wait_child(pid));
}

TEST_F(share, inherited_descriptor_keeps_its_binding)
{
	char out[256];
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(str_set(self->fd, "inherited", "yes") ? 1 : 0);
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ(3, str_get(self->fd, "inherited", out));
	ASSERT_STREQ("yes", out);
}

TEST_F(share, value_set_by_exec_process_is_read_back)
{
	char out[256];
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* No descriptor survives exec: it is opened O_CLOEXEC. */
		setenv(ENV_CACHE, self->name, 1);
		setenv(ENV_KEY, "from-exec", 1);
		setenv(ENV_VALUE, "exec value", 1);
		execl("/proc/self/exe", "sharing-helper", (char *)NULL);
		_exit(2);
	}
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ(10, str_get(self->fd, "from-exec", out));
	ASSERT_STREQ("exec value", out);
}

#define WRITERS		4
#define KEYS_EACH	200

TEST_F(share, concurrent_writers_keep_exact_accounting)
{
	struct lrucache_stats st;
	pid_t pids[WRITERS];
	uint64_t expect_bytes = 0;
	int w;

	ASSERT_EQ(0, cache_stats(self->fd, &st));
	for (w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		ASSERT_LE(0, pids[w]);
		if (pids[w] == 0) {
			int fd = cache_attach(self->name), i, bad = 0;
			char key[32], out[256];

			if (fd < 0)
				_exit(1);
			for (i = 0; i < KEYS_EACH; i++) {
				snprintf(key, sizeof(key), "w%d-%d", w, i);
				bad |= str_set(fd, key, key) != 0;
				bad |= str_get(fd, key, out) !=
				       (int)strlen(key);
				/* Every writer also touches a shared key. */
				bad |= str_set(fd, "shared", key) != 0;
			}
			_exit(bad);
		}
	}
	for (w = 0; w < WRITERS; w++) {
		ASSERT_EQ(0, wait_child(pids[w]));
	}
	for (w = 0; w < WRITERS; w++) {
		char key[32];
		int i;

		for (i = 0; i < KEYS_EACH; i++) {
			snprintf(key, sizeof(key), "w%d-%d", w, i);
			expect_bytes += entry_charge(st.entry_overhead,
						     strlen(key), strlen(key));
		}
	}
	ASSERT_EQ(0, cache_stats(self->fd, &st));
	/* 800 distinct keys plus "shared", within max_entries 1000. */
	ASSERT_EQ((uint64_t)WRITERS * KEYS_EACH + 1, st.entries);
	ASSERT_EQ((uint64_t)WRITERS * KEYS_EACH * 2, st.sets);
	ASSERT_EQ((uint64_t)WRITERS * KEYS_EACH, st.hits);
	ASSERT_EQ(0U, st.evictions);
	/* "shared" holds one of the writers' last keys, "wN-199". */
	ASSERT_EQ(expect_bytes + entry_charge(st.entry_overhead, 6, 6),
		  st.bytes);
}

TEST_F(share, destroy_in_one_process_reaches_the_others)
{
	pid_t pid;

	ASSERT_EQ(0, str_set(self->fd, "k", "v"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(cache_destroy(self->name) ? 1 : 0);
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ(-EIDRM, str_exists(self->fd, "k"));
	ASSERT_EQ(-EIDRM, str_set(self->fd, "k", "v"));
}

TEST_HARNESS_MAIN
