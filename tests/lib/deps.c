// SPDX-License-Identifier: GPL-2.0
/*
 * libkcache's optional libraries: jansson (JSON dump and restore) and
 * libnl-genl-3 (events) are loaded when first needed, not linked, so that
 * a program that uses neither runs where they are not installed, and the
 * functions that need them fail with -ELIBACC there rather than crash.
 *
 * This program links to libkcache only (not to jansson or libnl). It
 * checks which libraries each kind of call brings into the process, and,
 * as root, runs itself again in a chroot that holds nothing but the
 * dynamic loader, the C library, libkcache and /dev/lrucache: that run
 * must work with the cache and get -ELIBACC from the dump, the restore and
 * the hooks, leaving the cache as it was.
 */
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "lib.h"

/* Set to a cache name, the program runs the chroot's checks (payload()). */
#define PAYLOAD_ENV	"KCACHE_TEST_WITHOUT_OPTIONAL_LIBS"

struct objects {
	char paths[32][PATH_MAX];
	int n;
	bool jansson, libnl;
};

static int collect(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct objects *o = arg;
	const char *name = info->dlpi_name;

	(void)size;
	if (strstr(name, "libjansson"))
		o->jansson = true;
	if (strstr(name, "libnl-"))
		o->libnl = true;
	/* The program itself has no name here; the vDSO has no file. */
	if (name[0] == '/' && o->n < 32)
		snprintf(o->paths[o->n++], PATH_MAX, "%s", name);
	return 0;
}

static struct objects loaded(void)
{
	struct objects o;

	memset(&o, 0, sizeof(o));
	dl_iterate_phdr(collect, &o);
	return o;
}

static void on_set(const struct kcache_event *ev, void *arg)
{
	(void)ev;
	(*(int *)arg)++;
}

static const struct kcache_hook_ops set_hook = { .on_set = on_set };

FIXTURE(deps) {
	char name[LRUCACHE_NAME_MAX];
	struct kcache *c;
};

FIXTURE_SETUP(deps)
{
	KCACHE_OPTS(opts, .flags = KCACHE_OPEN_EXCL);

	unique_name(self->name, "deps");
	ASSERT_EQ(0, kcache_open(self->name, &opts, &self->c));
}

FIXTURE_TEARDOWN(deps)
{
	kcache_close(self->c);
	kcache_destroy(self->name);
}

TEST_F(deps, core_calls_load_neither_jansson_nor_libnl)
{
	struct kcache_item items[2] = {
		{ .key = "a", .key_len = 1, .value = "1", .value_len = 1 },
		{ .key = "b", .key_len = 1, .value = "2", .value_len = 1 },
	};
	struct kcache_metrics m;
	struct kcache_health h;
	struct kcache_info info;
	struct kcache_event ev = { .cache = "c", .type = KCACHE_EVENT_SET,
				   .key = "k", .key_len = 1 };
	struct kcache *all;
	struct objects o;
	char out[256], **names;
	int n;

	ASSERT_EQ(0, sset(self->c, "k", "v"));
	ASSERT_EQ(1, sget(self->c, "k", out));
	ASSERT_EQ(2, kcache_set_many(self->c, items, 2, KCACHE_TTL_NONE));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	ASSERT_EQ(0, kcache_health_check(self->c, &h));
	ASSERT_EQ(0, kcache_get_info(self->c, &info));
	n = kcache_list(&names);
	ASSERT_LT(0, n);
	free(names);
	/* Formatting events and a handle for all caches need no libnl. */
	ASSERT_LT(0, kcache_event_format(&ev, out, sizeof(out)));
	ASSERT_EQ(0, kcache_watch_all(&all));
	EXPECT_EQ(-ENOENT, kcache_events_fd(all));
	kcache_close(all);

	o = loaded();
	EXPECT_FALSE(o.jansson);
	EXPECT_FALSE(o.libnl);
}

TEST_F(deps, first_dump_loads_jansson_first_hook_loads_libnl)
{
	struct objects o;
	char *json;
	size_t len;
	int sets = 0;

	ASSERT_EQ(0, sset(self->c, "k", "v"));
	o = loaded();
	ASSERT_FALSE(o.jansson);
	ASSERT_EQ(0, kcache_serialize(self->c, &json, &len));
	o = loaded();
	EXPECT_TRUE(o.jansson);
	EXPECT_FALSE(o.libnl);
	EXPECT_EQ(1, kcache_deserialize(self->c, json, len, 0));
	free(json);

	ASSERT_EQ(0, kcache_add_hook(self->c, &set_hook, &sets));
	o = loaded();
	EXPECT_TRUE(o.libnl);
	EXPECT_EQ(0, kcache_remove_hook(self->c, &set_hook, &sets));
}

/* Make @path (a file) exist in @root, with the content of the same path. */
static int bind_file(const char *root, const char *path)
{
	char target[PATH_MAX], *slash;
	int fd;

	if (snprintf(target, sizeof(target), "%s%s", root, path) >=
	    (int)sizeof(target))
		return -ENAMETOOLONG;
	for (slash = strchr(target + strlen(root) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = 0;
		if (mkdir(target, 0755) && errno != EEXIST)
			return -errno;
		*slash = '/';
	}
	fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	return mount(path, target, NULL, MS_BIND, NULL) ? -errno : 0;
}

/*
 * In a child: a private mount namespace, a tmpfs at @root holding only
 * the files of @o and the device, chroot into it, and this program again,
 * as the payload. Exit status 100 + step on a failure of the setup.
 */
static void run_in_bare_root(const char *root, const struct objects *o,
			     const char *self_exe, const char *cache)
{
	char *argv[] = { (char *)self_exe, NULL };
	int i;

	if (unshare(CLONE_NEWNS))
		_exit(101);
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		_exit(102);
	if (mount("tmpfs", root, "tmpfs", 0, "mode=0755"))
		_exit(103);
	for (i = 0; i < o->n; i++)
		if (bind_file(root, o->paths[i]))
			_exit(104);
	if (bind_file(root, self_exe) || bind_file(root, KCACHE_DEVICE_PATH))
		_exit(105);
	if (chroot(root) || chdir("/"))
		_exit(106);
	if (setenv(PAYLOAD_ENV, cache, 1))
		_exit(107);
	execv(self_exe, argv);
	_exit(108);
}

TEST_F(deps, without_the_libraries_dump_and_hooks_fail_with_elibacc)
{
	char root[] = "/tmp/kcache-deps-XXXXXX", self_exe[PATH_MAX];
	struct objects o = loaded();
	struct kcache_metrics m;
	ssize_t len;
	int status;
	pid_t pid;

	if (geteuid())
		SKIP(return, "needs root (a mount namespace and chroot)");
	ASSERT_FALSE(o.jansson);
	ASSERT_FALSE(o.libnl);
	len = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	ASSERT_LT(0, len);
	self_exe[len] = 0;
	ASSERT_NE(NULL, mkdtemp(root));

	ASSERT_EQ(0, sset(self->c, "before", "1"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		run_in_bare_root(root, &o, self_exe, self->name);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	rmdir(root);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status)) {
		TH_LOG("the run without jansson and libnl failed (status %d; "
		       "100+ is the setup, 127 the loader)",
		       WEXITSTATUS(status));
	}
	/* What the payload stored is there, and nothing else changed. */
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	EXPECT_EQ(2U, m.entries);
	EXPECT_EQ(1, sexists(self->c, "before"));
	EXPECT_EQ(1, sexists(self->c, "inside"));
}

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond); \
		return 1;						\
	}								\
} while (0)

/* In the bare root: the cache works, dumps and hooks say -ELIBACC. */
static int payload(const char *name)
{
	static const char doc[] =
		"{\"format\": \"lrucache-dump\", \"version\": 1, "
		"\"entries\": [{\"key\": \"restored\", \"value\": \"x\"}]}";
	struct kcache_json_error jerr;
	struct kcache_metrics m;
	struct kcache *c, *all;
	struct objects o;
	char out[256], *json = NULL;
	size_t len = 0;
	int sets = 0, i;

	CHECK(access("/lib/x86_64-linux-gnu/libjansson.so.4", F_OK) &&
	      access("/usr/lib/x86_64-linux-gnu/libjansson.so.4", F_OK));
	CHECK(kcache_open(name, NULL, &c) == 0);
	CHECK(sset(c, "inside", "2") == 0);
	CHECK(sget(c, "before", out) == 1 && !strcmp(out, "1"));
	/* Twice: a failed load is tried again, and fails the same way. */
	for (i = 0; i < 2; i++) {
		CHECK(kcache_serialize(c, &json, &len) == -ELIBACC);
		CHECK(!json && !len);
		CHECK(kcache_deserialize(c, doc, sizeof(doc) - 1, 0) ==
		      -ELIBACC);
		CHECK(kcache_deserialize_ex(c, doc, sizeof(doc) - 1,
					    KCACHE_RESTORE_REPLACE, &jerr) ==
		      -ELIBACC);
		CHECK(strstr(jerr.text, "libjansson"));
		CHECK(kcache_add_hook(c, &set_hook, &sets) == -ELIBACC);
		CHECK(kcache_events_fd(c) == -ENOENT);
		CHECK(kcache_remove_hook(c, &set_hook, &sets) == -ENOENT);
	}
	CHECK(kcache_watch_all(&all) == 0);
	CHECK(kcache_add_hook(all, &set_hook, &sets) == -ELIBACC);
	kcache_close(all);
	CHECK(strstr(kcache_strerror(-ELIBACC), "libnl-genl-3"));
	/* Nothing was restored, nothing cleared. */
	CHECK(kcache_get_metrics(c, &m) == 0 && m.entries == 2);
	kcache_close(c);

	o = loaded();
	CHECK(!o.jansson && !o.libnl);
	return 0;
}

static void __attribute__((constructor)) maybe_payload(void)
{
	const char *name = getenv(PAYLOAD_ENV);

	if (name)
		_exit(payload(name));
}

TEST_HARNESS_MAIN
