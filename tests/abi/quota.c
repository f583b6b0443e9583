// SPDX-License-Identifier: GPL-2.0
/*
 * Per-user quotas through the raw ioctls: the caches each uid may create
 * (module parameters max_caches_per_user and, for root, root_max_caches;
 * -EDQUOT beyond, with no cache and no sysfs directory made) and the
 * bytes that the caches a uid owns may hold (max_bytes_per_user,
 * root_max_bytes): a set first evicts least recently used entries of its
 * own cache, and if even emptying that cache would not bring the owner
 * under its quota it is -EDQUOT and nothing changes. Bytes are charged to
 * the cache's owner, whoever writes. /sys/kernel/lrucache/users shows
 * each uid's use and limits.
 *
 * Caches are made by unprivileged users (uids 65534 and 65533) in forked
 * children that switched ids with setgroups()/setresgid()/setresuid();
 * root (the test itself) checks the outcome. The parameters are saved in
 * the setup and put back in the teardown, even after a failure, and by a
 * guard process if the test is killed (timeout).
 */
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "abi.h"
#include "memcg.h"

#define UID_A		65534
#define UID_B		65533
#define USERS_FILE	SYSFS_ROOT "/users"
/*
 * The byte quota tests: values of VLEN bytes, whose entries (3-byte keys)
 * are charged 8 KiB each, and a quota of eight of them and a bit, so
 * that a full quota leaves room for a smaller entry.
 */
#define QUOTA		((64ULL << 10) + 3000)
#define VLEN		4096
#define NNAMES		8
#define CHILD_TIMEOUT_S	20
#define MSG_SIZE	2048

/* --- identities and children ------------------------------------------- */

struct ident {
	const char *what;
	uid_t uid;
	gid_t gid;
};

static const struct ident USER_A = { "user A", UID_A, UID_A };
static const struct ident USER_B = { "user B", UID_B, UID_B };

/* Shared with the children: why the last one failed. */
static char *child_msg;

static void __attribute__((noreturn, format(printf, 2, 3)))
child_fail(int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(child_msg, MSG_SIZE, "quota.c:%d: ", line);
	va_start(ap, fmt);
	vsnprintf(child_msg + n, MSG_SIZE - n, fmt, ap);
	va_end(ap);
	_exit(1);
}

static const char *err_str(long long v)
{
	return v < 0 ? strerror((int)-v) : "";
}

/* In a child: fail unless @seen is @expected. */
#define CHILD_EQ(expected, seen) do {					\
	long long __e = (long long)(expected);				\
	long long __s = (long long)(seen);				\
	if (__e != __s)							\
		child_fail(__LINE__, "%s is %lld %s, expected %lld %s",	\
			   #seen, __s, err_str(__s), __e, err_str(__e)); \
} while (0)

static void become(const struct ident *id)
{
	CHILD_EQ(0, setgroups(0, NULL));
	CHILD_EQ(0, setresgid(id->gid, id->gid, id->gid));
	CHILD_EQ(0, setresuid(id->uid, id->uid, id->uid));
	CHILD_EQ(id->uid, geteuid());
	CHILD_EQ(id->gid, getegid());
}

typedef void (*child_fn)(const void *arg);

/*
 * Run @fn(@arg) in a child as @id: 0 if it returned, -1 (and the reason
 * in child_msg) if a check failed, the child died or took too long.
 */
static int run_as(const struct ident *id, child_fn fn, const void *arg)
{
	int status;
	pid_t pid;

	child_msg[0] = 0;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		snprintf(child_msg, MSG_SIZE, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		alarm(CHILD_TIMEOUT_S);
		become(id);
		fn(arg);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid) {
		snprintf(child_msg, MSG_SIZE, "waitpid: %s", strerror(errno));
		return -1;
	}
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		return 0;
	if (!child_msg[0]) {
		if (WIFSIGNALED(status))
			snprintf(child_msg, MSG_SIZE, "child killed by signal %d%s",
				 WTERMSIG(status),
				 WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
		else
			snprintf(child_msg, MSG_SIZE, "child exited with %d",
				 WEXITSTATUS(status));
	}
	return -1;
}

#define AS(id, fn, arg) do {						\
	const struct ident *__id = (id);				\
	ASSERT_EQ(0, run_as(__id, (child_fn)(fn), (arg))) {		\
		TH_LOG("as %s (uid %u): %s", __id->what,		\
		       (unsigned int)__id->uid, child_msg);		\
	}								\
} while (0)

/* --- what the children do ---------------------------------------------- */

static int open_mode(int fd, const char *name, uint32_t flags, uint32_t mode)
{
	struct lrucache_open op;

	memset(&op, 0, sizeof(op));
	put_name(op.name, name);
	op.flags = flags;
	op.mode = mode;
	return xioctl(fd, LRUCACHE_IOC_OPEN, &op);
}

/* One OPEN (flags, mode) or DESTROY of @name, and what it must return. */
struct call {
	const char *name;
	uint32_t flags;
	uint32_t mode;
	int expect;
	bool destroy;
};

static void child_call(const struct call *c)
{
	int fd = dev_open();

	CHILD_EQ(1, fd >= 0);
	if (c->destroy)
		CHILD_EQ(c->expect, cache_destroy_on(fd, c->name));
	else
		CHILD_EQ(c->expect, open_mode(fd, c->name, c->flags, c->mode));
	close(fd);
}

#define CREATE_AS(id, nm, md, e) do {					\
	struct call __c = { .name = (nm), .mode = (md), .expect = (e),	\
			    .flags = LRUCACHE_OPEN_CREATE |		\
				     LRUCACHE_OPEN_EXCL };		\
	AS(id, child_call, &__c);					\
} while (0)

#define OPEN_AS(id, nm, fl, e) do {					\
	struct call __c = { .name = (nm), .flags = (fl), .expect = (e) }; \
	AS(id, child_call, &__c);					\
} while (0)

#define DESTROY_AS(id, nm, e) do {					\
	struct call __c = { .name = (nm), .expect = (e),		\
			    .destroy = true };				\
	AS(id, child_call, &__c);					\
} while (0)

/* A value of @len bytes of @c (static storage). */
static const char *filler(size_t len, char c)
{
	static char buf[VLEN * 2];

	if (len > sizeof(buf))
		len = sizeof(buf);
	memset(buf, c, len);
	return buf;
}

/*
 * Sets keys "<prefix><i>" (i from @first, @count of them) with values of
 * @vlen bytes; each must return @expect. With @batch, as one batch of
 * SETs whose results must all be @expect.
 */
struct fill {
	const char *name;
	const char *prefix;
	int first, count;
	uint32_t vlen;
	int expect;
	bool batch;
};

static void child_fill(const struct fill *f)
{
	struct lrucache_op ops[32];
	char keys[32][16];
	int fd = cache_attach(f->name), i;

	if (fd < 0)
		child_fail(__LINE__, "attach %s: %s", f->name, strerror(-fd));
	CHILD_EQ(1, f->count <= 32);
	memset(ops, 0, sizeof(ops));
	for (i = 0; i < f->count; i++) {
		snprintf(keys[i], sizeof(keys[i]), "%s%02d", f->prefix,
			 f->first + i);
		ops[i].opcode = LRUCACHE_OP_SET;
		ops[i].key = (uintptr_t)keys[i];
		ops[i].key_len = strlen(keys[i]);
		ops[i].value = (uintptr_t)filler(f->vlen, 'a' + i % 26);
		ops[i].value_len = f->vlen;
		ops[i].ttl_ms = LRUCACHE_TTL_NONE;
		if (!f->batch)
			CHILD_EQ(f->expect,
				 kv_set(fd, keys[i], ops[i].key_len,
					(const void *)(uintptr_t)ops[i].value,
					f->vlen, LRUCACHE_TTL_NONE, 0));
	}
	if (f->batch) {
		CHILD_EQ(f->count, batch_run(fd, ops, f->count));
		for (i = 0; i < f->count; i++)
			CHILD_EQ(f->expect, ops[i].result);
	}
	close(fd);
}

#define FILL_AS(id, nm, pfx, fst, cnt, vl, e) do {			\
	struct fill __f = { (nm), (pfx), (fst), (cnt), (vl), (e), false }; \
	AS(id, child_fill, &__f);					\
} while (0)

/* --- the users file -------------------------------------------------------- */

struct quota_line {
	unsigned int caches, max_caches;
	long long bytes, max_bytes, dump_bytes;
};

/*
 * The line of @uid in the users file: 0, -ENOENT if it has none,
 * -EBADMSG if any line is not "uid U caches N max_caches M bytes B
 * max_bytes Q dump_bytes D", -errno if the file cannot be read.
 */
static int users_line(uid_t uid, struct quota_line *q)
{
	char buf[16384], *line, *save = NULL;
	int ret = read_file(USERS_FILE, buf, sizeof(buf)), found = -ENOENT;

	if (ret < 0)
		return ret;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		struct quota_line l;
		unsigned int u;
		int end = -1;

		if (sscanf(line, "uid %u caches %u max_caches %u bytes %lld max_bytes %lld dump_bytes %lld%n",
			   &u, &l.caches, &l.max_caches, &l.bytes,
			   &l.max_bytes, &l.dump_bytes, &end) != 6 ||
		    end < 0 || line[end])
			return -EBADMSG;
		if (u == uid) {
			if (!found)
				return -EBADMSG;	/* two lines */
			*q = l;
			found = 0;
		}
	}
	return found;
}

#define ASSERT_USER(uid, caches_, max_caches_) do {			\
	struct quota_line __q;						\
	ASSERT_EQ(0, users_line((uid), &__q));				\
	ASSERT_EQ((unsigned int)(caches_), __q.caches);			\
	ASSERT_EQ((unsigned int)(max_caches_), __q.max_caches);		\
} while (0)

/* --- the fixture ----------------------------------------------------------- */

static const char *const params[] = {
	"max_caches_per_user", "max_bytes_per_user", "root_max_caches",
	"root_max_bytes",
};
#define NPARAMS	(sizeof(params) / sizeof(params[0]))

FIXTURE(quota) {
	char name[NNAMES][LRUCACHE_NAME_MAX];
	uint64_t overhead;
	uint64_t saved[NPARAMS];
	bool saved_ok;
	pid_t guard;		/* restores the parameters if we are killed */
	int guard_fd;		/* its pipe: a byte means "done, nothing to do" */
};

static int param_path(char *path, size_t size, const char *param)
{
	return snprintf(path, size, PARAM_ROOT "/%s", param);
}

static int set_param(const char *param, uint64_t val)
{
	char path[256];
	uint64_t back;
	int err;

	param_path(path, sizeof(path), param);
	err = write_u64_file(path, val);
	if (!err)
		err = read_u64_file(path, &back);
	return err ?: (back == val ? 0 : -EIO);
}

static uint64_t get_param(const char *param)
{
	char path[256];
	uint64_t val = UINT64_MAX;

	param_path(path, sizeof(path), param);
	read_u64_file(path, &val);
	return val;
}

/* Put every saved parameter back: 0, or the first -errno. */
static int restore_params(const uint64_t *saved)
{
	unsigned int i;
	int err = 0, ret;

	for (i = 0; i < NPARAMS; i++) {
		ret = set_param(params[i], saved[i]);
		err = err ?: ret;
	}
	return err;
}

/*
 * Save the parameters and start the guard: a process outside the test's
 * process group (which the harness kills on a timeout) that waits on a
 * pipe and, if it closes without a byte, puts the saved values back.
 */
static int save_params(FIXTURE_DATA(quota) *self)
{
	unsigned int i;
	int fds[2], err;
	char c;

	for (i = 0; i < NPARAMS; i++) {
		char path[256];

		param_path(path, sizeof(path), params[i]);
		err = read_u64_file(path, &self->saved[i]);
		if (err)
			return err;
	}
	if (pipe(fds))
		return -errno;
	self->guard = fork();
	if (self->guard < 0) {
		err = -errno;
		close(fds[0]);
		close(fds[1]);
		return err;
	}
	if (self->guard == 0) {
		setpgid(0, 0);
		close(fds[1]);
		if (read(fds[0], &c, 1) != 1)
			restore_params(self->saved);
		_exit(0);
	}
	close(fds[0]);
	self->guard_fd = fds[1];
	self->saved_ok = true;
	return 0;
}

FIXTURE_SETUP(quota)
{
	char path[256];
	int i;

	self->guard = -1;
	self->guard_fd = -1;
	for (i = 0; i < NNAMES; i++) {
		char tag[16];

		snprintf(tag, sizeof(tag), "quota%d", i);
		unique_name(self->name[i], tag);
	}
	param_path(path, sizeof(path), params[0]);
	if (geteuid() || access(path, W_OK))
		SKIP(return, "needs root and a writable %s", path);
	child_msg = mmap(NULL, MSG_SIZE, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, child_msg);
	ASSERT_EQ(0, entry_overhead(&self->overhead));
	ASSERT_EQ(0, save_params(self));
}

FIXTURE_TEARDOWN(quota)
{
	int i, status;

	for (i = 0; i < NNAMES; i++)
		cache_destroy(self->name[i]);
	if (self->saved_ok && restore_params(self->saved))
		TH_LOG("could not restore the parameters in " PARAM_ROOT);
	if (self->guard_fd >= 0) {
		if (write(self->guard_fd, "d", 1) != 1)
			TH_LOG("guard: %s", strerror(errno));
		close(self->guard_fd);
	}
	if (self->guard > 0)
		waitpid(self->guard, &status, 0);
}

static bool cache_listed(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), SYSFS_ROOT "/caches/%s", name);
	return access(path, F_OK) == 0;
}

static int stats_of(const char *name, struct lrucache_stats *st)
{
	int fd = cache_attach(name), ret;

	if (fd < 0)
		return fd;
	ret = cache_stats(fd, st);
	close(fd);
	return ret;
}

static uint64_t global_caches(void)
{
	uint64_t val = UINT64_MAX;

	flat_keyed(SYSFS_ROOT "/stats", "caches", &val);
	return val;
}

#define N(i)	(self->name[i])

/* --- the quota of caches ------------------------------------------------------- */

TEST_F(quota, fourth_cache_over_a_quota_of_three_is_edquot)
{
	uint64_t before = global_caches();

	ASSERT_EQ(0, set_param("max_caches_per_user", 3));
	CREATE_AS(&USER_A, N(0), 0, 0);
	CREATE_AS(&USER_A, N(1), 0, 0);
	CREATE_AS(&USER_A, N(2), 0, 0);
	ASSERT_USER(UID_A, 3, 3);
	CREATE_AS(&USER_A, N(3), 0, -EDQUOT);
	OPEN_AS(&USER_A, N(3), LRUCACHE_OPEN_CREATE, -EDQUOT);
	OPEN_AS(&USER_A, N(3), 0, -ENOENT);

	/* No cache, no sysfs directory, nothing counted. */
	ASSERT_FALSE(cache_listed(N(3)));
	ASSERT_TRUE(cache_listed(N(2)));
	ASSERT_EQ(-ENOENT, cache_attach(N(3)));
	ASSERT_EQ(before + 3, global_caches());
	ASSERT_USER(UID_A, 3, 3);
}

TEST_F(quota, destroying_a_cache_gives_its_quota_back)
{
	ASSERT_EQ(0, set_param("max_caches_per_user", 3));
	CREATE_AS(&USER_A, N(0), 0, 0);
	CREATE_AS(&USER_A, N(1), 0, 0);
	CREATE_AS(&USER_A, N(2), 0, 0);
	CREATE_AS(&USER_A, N(3), 0, -EDQUOT);

	/* Destroyed by its owner... */
	DESTROY_AS(&USER_A, N(1), 0);
	ASSERT_USER(UID_A, 2, 3);
	CREATE_AS(&USER_A, N(3), 0, 0);
	CREATE_AS(&USER_A, N(4), 0, -EDQUOT);

	/* ...or by root: the owner's count goes down either way. */
	ASSERT_EQ(0, cache_destroy(N(0)));
	ASSERT_USER(UID_A, 2, 3);
	CREATE_AS(&USER_A, N(4), 0, 0);
	CREATE_AS(&USER_A, N(5), 0, -EDQUOT);
	ASSERT_USER(UID_A, 3, 3);
	ASSERT_FALSE(cache_listed(N(5)));
}

TEST_F(quota, each_uid_has_its_own_quota)
{
	ASSERT_EQ(0, set_param("max_caches_per_user", 3));
	CREATE_AS(&USER_A, N(0), 0, 0);
	CREATE_AS(&USER_A, N(1), 0, 0);
	CREATE_AS(&USER_A, N(2), 0, 0);
	CREATE_AS(&USER_A, N(6), 0, -EDQUOT);
	CREATE_AS(&USER_B, N(3), 0, 0);
	CREATE_AS(&USER_B, N(4), 0, 0);
	CREATE_AS(&USER_B, N(5), 0, 0);
	CREATE_AS(&USER_B, N(6), 0, -EDQUOT);
	ASSERT_USER(UID_A, 3, 3);
	ASSERT_USER(UID_B, 3, 3);
	ASSERT_FALSE(cache_listed(N(6)));
}

TEST_F(quota, root_has_its_own_cache_quota)
{
	struct quota_line q;
	unsigned int held = 0;
	int fd[3], i;

	if (!users_line(0, &q))
		held = q.caches;
	ASSERT_EQ(0, set_param("max_caches_per_user", 1));
	ASSERT_EQ(0, set_param("root_max_caches", held + 2));

	/* Root may create more than a user, but not more than its own. */
	for (i = 0; i < 2; i++) {
		fd[i] = cache_create(N(i), 0, 0, 0);
		ASSERT_LE(0, fd[i]);
		close(fd[i]);
	}
	fd[2] = cache_create(N(2), 0, 0, 0);
	ASSERT_EQ(-EDQUOT, fd[2]);	/* CAP_SYS_ADMIN does not help */
	ASSERT_FALSE(cache_listed(N(2)));
	ASSERT_USER(0, held + 2, held + 2);

	/* The user's quota is apart from root's. */
	CREATE_AS(&USER_A, N(3), 0, 0);
	CREATE_AS(&USER_A, N(4), 0, -EDQUOT);
	ASSERT_USER(UID_A, 1, 1);
	ASSERT_USER(0, held + 2, held + 2);
}

TEST_F(quota, lowering_the_quota_keeps_existing_caches)
{
	ASSERT_EQ(0, set_param("max_caches_per_user", 3));
	CREATE_AS(&USER_A, N(0), 0, 0);
	CREATE_AS(&USER_A, N(1), 0, 0);
	CREATE_AS(&USER_A, N(2), 0, 0);
	ASSERT_EQ(0, set_param("max_caches_per_user", 1));
	ASSERT_USER(UID_A, 3, 1);

	/* Still there and usable; no new one until under the quota. */
	FILL_AS(&USER_A, N(0), "k", 0, 1, 10, 0);
	CREATE_AS(&USER_A, N(3), 0, -EDQUOT);
	DESTROY_AS(&USER_A, N(0), 0);
	DESTROY_AS(&USER_A, N(1), 0);
	CREATE_AS(&USER_A, N(3), 0, -EDQUOT);
	DESTROY_AS(&USER_A, N(2), 0);
	CREATE_AS(&USER_A, N(3), 0, 0);
	ASSERT_USER(UID_A, 1, 1);
}

TEST_F(quota, attaching_at_the_quota_needs_no_quota)
{
	ASSERT_EQ(0, set_param("max_caches_per_user", 1));
	CREATE_AS(&USER_A, N(0), 0766, 0);
	CREATE_AS(&USER_B, N(1), 0, 0);

	/* CREATE without EXCL of an existing cache attaches. */
	OPEN_AS(&USER_A, N(0), LRUCACHE_OPEN_CREATE, 0);
	OPEN_AS(&USER_B, N(0), LRUCACHE_OPEN_CREATE, 0);
	OPEN_AS(&USER_B, N(0), 0, 0);
	/* With EXCL it is -EEXIST, not -EDQUOT. */
	OPEN_AS(&USER_B, N(0), LRUCACHE_OPEN_CREATE | LRUCACHE_OPEN_EXCL,
		-EEXIST);
	ASSERT_USER(UID_A, 1, 1);
	ASSERT_USER(UID_B, 1, 1);
}

TEST_F(quota, failed_creates_take_no_quota)
{
	struct quota_line q;
	int fd;

	ASSERT_EQ(0, set_param("max_caches_per_user", 1));
	fd = cache_create(N(0), 0, 0, 0);	/* root's */
	ASSERT_LE(0, fd);
	close(fd);

	CREATE_AS(&USER_A, N(1), 0070, -EINVAL);
	CREATE_AS(&USER_A, N(1), 01700, -EINVAL);
	CREATE_AS(&USER_A, N(0), 0, -EEXIST);
	/* A uid holding no cache has no line. */
	ASSERT_EQ(-ENOENT, users_line(UID_A, &q));
	CREATE_AS(&USER_A, N(1), 0, 0);
	ASSERT_USER(UID_A, 1, 1);
	CREATE_AS(&USER_A, N(2), 0, -EDQUOT);
	ASSERT_USER(UID_A, 1, 1);

	/* A quota of 0 allows no cache at all. */
	ASSERT_EQ(0, set_param("max_caches_per_user", 0));
	CREATE_AS(&USER_B, N(2), 0, -EDQUOT);
	ASSERT_EQ(-ENOENT, users_line(UID_B, &q));
	ASSERT_FALSE(cache_listed(N(2)));
}

TEST_F(quota, users_file_shows_each_uid)
{
	struct lrucache_stats s0, s1, s2;
	struct quota_line q;

	ASSERT_EQ(0, set_param("max_caches_per_user", 5));
	ASSERT_EQ(0, set_param("max_bytes_per_user", 1 << 20));
	CREATE_AS(&USER_A, N(0), 0, 0);
	CREATE_AS(&USER_A, N(1), 0, 0);
	CREATE_AS(&USER_B, N(2), 0, 0);
	FILL_AS(&USER_A, N(0), "a", 0, 3, 100, 0);
	FILL_AS(&USER_A, N(1), "b", 0, 2, 1000, 0);
	FILL_AS(&USER_B, N(2), "c", 0, 1, 10, 0);
	ASSERT_EQ(0, stats_of(N(0), &s0));
	ASSERT_EQ(0, stats_of(N(1), &s1));
	ASSERT_EQ(0, stats_of(N(2), &s2));

	ASSERT_EQ(0, users_line(UID_A, &q));
	ASSERT_EQ(2U, q.caches);
	ASSERT_EQ(5U, q.max_caches);
	ASSERT_EQ((long long)(s0.bytes + s1.bytes), q.bytes);
	ASSERT_EQ((long long)(3 * entry_charge(self->overhead, 3, 100) +
			      2 * entry_charge(self->overhead, 3, 1000)),
		  q.bytes);
	ASSERT_EQ(0LL, q.dump_bytes);
	ASSERT_EQ(1LL << 20, q.max_bytes);
	ASSERT_EQ(0, users_line(UID_B, &q));
	ASSERT_EQ(1U, q.caches);
	ASSERT_EQ((long long)s2.bytes, q.bytes);

	/* The limits shown are those of the moment. */
	ASSERT_EQ(0, set_param("max_caches_per_user", 7));
	ASSERT_EQ(0, set_param("max_bytes_per_user", 12345));
	ASSERT_EQ(0, users_line(UID_A, &q));
	ASSERT_EQ(7U, q.max_caches);
	ASSERT_EQ(12345LL, q.max_bytes);

	/* Entries removed, bytes gone; caches destroyed, line gone. */
	DESTROY_AS(&USER_A, N(1), 0);
	ASSERT_EQ(0, users_line(UID_A, &q));
	ASSERT_EQ(1U, q.caches);
	ASSERT_EQ((long long)s0.bytes, q.bytes);
	DESTROY_AS(&USER_A, N(0), 0);
	ASSERT_EQ(-ENOENT, users_line(UID_A, &q));
	ASSERT_EQ(0, users_line(UID_B, &q));
}

TEST_F(quota, zero_byte_quota_selects_the_default)
{
	uint64_t total = get_param("max_total_bytes");
	struct quota_line q;
	int fd;

	ASSERT_NE(UINT64_MAX, total);
	ASSERT_EQ(0, set_param("max_bytes_per_user", 0));
	ASSERT_EQ(0, set_param("root_max_bytes", 0));
	CREATE_AS(&USER_A, N(0), 0, 0);
	fd = cache_create(N(1), 0, 0, 0);
	ASSERT_LE(0, fd);
	close(fd);

	ASSERT_EQ(0, users_line(UID_A, &q));
	ASSERT_EQ((long long)(total / 2), q.max_bytes);
	ASSERT_EQ(0, users_line(0, &q));
	ASSERT_EQ((long long)total, q.max_bytes);
	ASSERT_EQ(get_param("root_max_caches"), q.max_caches);
}

/* --- the quota of bytes -------------------------------------------------------- */

/*
 * A model of one cache of a user with a byte quota: its entries in LRU
 * order (index 0 least recent) with their charges, and its evictions.
 */
#define MODEL_MAX	64

struct model {
	int n;
	char key[MODEL_MAX][8];
	uint64_t charge[MODEL_MAX];
	uint64_t bytes, evictions;
	int nseen;
	char seen[MODEL_MAX][8];
};

static void model_remove(struct model *m, int i)
{
	m->bytes -= m->charge[i];
	memmove(&m->key[i], &m->key[i + 1], sizeof(m->key[0]) * (m->n - i - 1));
	memmove(&m->charge[i], &m->charge[i + 1],
		sizeof(m->charge[0]) * (m->n - i - 1));
	m->n--;
}

/*
 * A SET of @key, charged @charge, into the cache of @m while the owner's
 * other caches hold @others bytes, under a quota of @quota: -EDQUOT (and
 * nothing changes) unless the entry fits with this cache emptied; else the
 * entry it replaces goes and least recent entries of this cache are
 * evicted until the owner is within the quota.
 */
static int model_set(struct model *m, uint64_t others, const char *key,
		     uint64_t charge, uint64_t quota)
{
	int i;

	if (others + charge > quota)
		return -EDQUOT;
	for (i = 0; i < m->n; i++)
		if (!strcmp(m->key[i], key))
			model_remove(m, i);
	while (others + m->bytes + charge > quota) {
		model_remove(m, 0);
		m->evictions++;
	}
	snprintf(m->key[m->n], sizeof(m->key[0]), "%s", key);
	m->charge[m->n++] = charge;
	m->bytes += charge;
	for (i = 0; i < m->nseen; i++)
		if (!strcmp(m->seen[i], key))
			return 0;
	snprintf(m->seen[m->nseen++], sizeof(m->seen[0]), "%s", key);
	return 0;
}

/* model_set() of the keys child_fill() sets. */
static void model_fill(struct model *m, uint64_t others, const char *prefix,
		       int first, int count, uint64_t charge, uint64_t quota)
{
	char key[16];
	int i;

	for (i = 0; i < count; i++) {
		snprintf(key, sizeof(key), "%s%02d", prefix, first + i);
		model_set(m, others, key, charge, quota);
	}
}

/*
 * As root: compare the cache with the model (entries, bytes, evictions,
 * and which keys EXISTS, which moves nothing). 0, or 1 with @why set.
 */
static int model_check(const struct model *m, const char *name, char *why,
		       size_t size)
{
	struct lrucache_stats st;
	int fd = cache_attach(name), i, j, ret, present;

	if (fd < 0) {
		snprintf(why, size, "attach: %s", strerror(-fd));
		return 1;
	}
	why[0] = 0;
	ret = cache_stats(fd, &st);
	if (ret)
		snprintf(why, size, "STATS: %s", strerror(-ret));
	else if (st.entries != (uint64_t)m->n || st.bytes != m->bytes ||
		 st.evictions != m->evictions)
		snprintf(why, size,
			 "entries %llu bytes %llu evictions %llu, model %d %llu %llu",
			 (unsigned long long)st.entries,
			 (unsigned long long)st.bytes,
			 (unsigned long long)st.evictions, m->n,
			 (unsigned long long)m->bytes,
			 (unsigned long long)m->evictions);
	for (i = 0; !why[0] && i < m->nseen; i++) {
		for (present = 0, j = 0; j < m->n; j++)
			present |= !strcmp(m->key[j], m->seen[i]);
		ret = str_exists(fd, m->seen[i]);
		if (ret != present)
			snprintf(why, size, "EXISTS %s: %d, model %d",
				 m->seen[i], ret, present);
	}
	close(fd);
	return why[0] ? 1 : 0;
}

#define ASSERT_MODEL(m, name) do {					\
	char __why[160];						\
	ASSERT_EQ(0, model_check((m), (name), __why, sizeof(__why))) {	\
		TH_LOG("%s: %s", (name), __why);			\
	}								\
} while (0)

static long long user_bytes(uid_t uid)
{
	struct quota_line q;

	return users_line(uid, &q) ? -1 : q.bytes;
}

/* The charge of an entry with a 3-byte key ("a00") and @vlen bytes. */
#define CHARGE(vlen)	entry_charge(self->overhead, 3, (vlen))

TEST_F(quota, byte_quota_evicts_own_lru_entries)
{
	const uint64_t ch = CHARGE(VLEN);
	const int n1 = (int)(QUOTA / ch / 3);
	struct model m1 = { 0 }, m2 = { 0 };
	struct quota_line q;

	ASSERT_EQ(0, set_param("max_bytes_per_user", QUOTA));
	CREATE_AS(&USER_A, N(0), 0, 0);
	CREATE_AS(&USER_A, N(1), 0, 0);

	/* A third of the quota in the first cache... */
	FILL_AS(&USER_A, N(0), "a", 0, n1, VLEN, 0);
	model_fill(&m1, 0, "a", 0, n1, ch, QUOTA);
	ASSERT_MODEL(&m1, N(0));

	/* ...then far more than the rest into the second: it evicts its own. */
	FILL_AS(&USER_A, N(1), "b", 0, 20, VLEN, 0);
	model_fill(&m2, m1.bytes, "b", 0, 20, ch, QUOTA);
	ASSERT_LT(0U, m2.evictions);
	ASSERT_MODEL(&m1, N(0));
	ASSERT_MODEL(&m2, N(1));
	ASSERT_EQ(0, users_line(UID_A, &q));
	ASSERT_EQ((long long)(m1.bytes + m2.bytes), q.bytes);
	ASSERT_GE((long long)QUOTA, q.bytes);
	ASSERT_EQ((long long)QUOTA, q.max_bytes);

	/* Sets into the first cache now evict the first cache's entries. */
	FILL_AS(&USER_A, N(0), "a", n1, 3, VLEN, 0);
	model_fill(&m1, m2.bytes, "a", n1, 3, ch, QUOTA);
	ASSERT_LT(0U, m1.evictions);
	ASSERT_MODEL(&m1, N(0));
	ASSERT_MODEL(&m2, N(1));
	ASSERT_EQ((long long)(m1.bytes + m2.bytes), user_bytes(UID_A));
}

TEST_F(quota, set_into_empty_cache_over_quota_is_edquot)
{
	const uint64_t ch = CHARGE(VLEN);
	const int n = (int)(QUOTA / ch);
	struct lrucache_stats st0, st;
	struct model m1 = { 0 }, m2 = { 0 };
	struct fill batch = { N(1), "b", 0, 2, VLEN, -EDQUOT, true };
	uint64_t room, small;

	ASSERT_EQ(0, set_param("max_bytes_per_user", QUOTA));
	CREATE_AS(&USER_A, N(0), 0, 0);
	CREATE_AS(&USER_A, N(1), 0, 0);
	FILL_AS(&USER_A, N(0), "a", 0, n, VLEN, 0);
	model_fill(&m1, 0, "a", 0, n, ch, QUOTA);
	ASSERT_MODEL(&m1, N(0));
	ASSERT_EQ(0, stats_of(N(0), &st0));
	room = QUOTA - m1.bytes;
	ASSERT_GT(ch, room);

	/* Emptying the second cache cannot make room: nothing changes. */
	FILL_AS(&USER_A, N(1), "b", 0, 1, VLEN, -EDQUOT);
	AS(&USER_A, child_fill, &batch);
	ASSERT_EQ(0, stats_of(N(1), &st));
	ASSERT_EQ(0U, st.entries);
	ASSERT_EQ(0U, st.bytes);
	ASSERT_EQ(0U, st.sets);
	ASSERT_EQ(0U, st.evictions);
	ASSERT_EQ(0, stats_of(N(0), &st));
	ASSERT_EQ(st0.entries, st.entries);
	ASSERT_EQ(st0.bytes, st.bytes);
	ASSERT_EQ(0U, st.evictions);
	ASSERT_MODEL(&m1, N(0));
	ASSERT_EQ((long long)m1.bytes, user_bytes(UID_A));

	/* The largest entry that fits the room left is fine... */
	ASSERT_LE(0, value_within(self->overhead, 3, room)) {
		TH_LOG("the quota leaves %llu bytes, less than an empty entry",
		       (unsigned long long)room);
	}
	small = value_within(self->overhead, 3, room);
	FILL_AS(&USER_A, N(1), "s", 0, 1, small, 0);
	ASSERT_EQ(0, model_set(&m2, m1.bytes, "s00", CHARGE(small), QUOTA));
	ASSERT_MODEL(&m2, N(1));
	ASSERT_EQ((long long)(m1.bytes + CHARGE(small)), user_bytes(UID_A));
	ASSERT_LT(QUOTA, m1.bytes + CHARGE(small + 1));
	/* ...one byte more, as a replace, is not, and keeps the old value. */
	FILL_AS(&USER_A, N(1), "s", 0, 1, small + 1, -EDQUOT);
	ASSERT_MODEL(&m2, N(1));
	ASSERT_EQ(0, stats_of(N(1), &st));
	ASSERT_EQ(1U, st.sets);
	ASSERT_MODEL(&m1, N(0));

	/* The full cache itself can still make room, from its own LRU end. */
	FILL_AS(&USER_A, N(0), "a", n, 1, VLEN, 0);
	model_fill(&m1, m2.bytes, "a", n, 1, ch, QUOTA);
	ASSERT_LT(0U, m1.evictions);
	ASSERT_MODEL(&m1, N(0));
	ASSERT_MODEL(&m2, N(1));
	ASSERT_EQ((long long)(m1.bytes + m2.bytes), user_bytes(UID_A));
}

TEST_F(quota, bytes_are_charged_to_the_cache_owner)
{
	const uint64_t ch = CHARGE(VLEN);
	const int n = (int)(QUOTA / ch);
	struct model m1 = { 0 };
	struct quota_line q;
	uint64_t room;
	int fd;

	ASSERT_EQ(0, set_param("max_bytes_per_user", QUOTA));
	CREATE_AS(&USER_A, N(0), 0700, 0);
	CREATE_AS(&USER_A, N(1), 0766, 0);	/* others may write */
	CREATE_AS(&USER_B, N(2), 0700, 0);

	/* B's entries in A's cache are A's bytes. */
	FILL_AS(&USER_B, N(1), "x", 0, 2, VLEN, 0);
	ASSERT_EQ((long long)(2 * ch), user_bytes(UID_A));
	ASSERT_EQ(0, users_line(UID_B, &q));
	ASSERT_EQ(0LL, q.bytes);
	ASSERT_EQ(1U, q.caches);
	fd = cache_attach(N(1));
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, cache_clear(fd));
	close(fd);
	ASSERT_EQ(0LL, user_bytes(UID_A));

	/* With A's quota full, B (holding nothing) cannot add to A's cache... */
	FILL_AS(&USER_A, N(0), "a", 0, n, VLEN, 0);
	model_fill(&m1, 0, "a", 0, n, ch, QUOTA);
	FILL_AS(&USER_B, N(1), "x", 0, 1, VLEN, -EDQUOT);
	ASSERT_EQ((long long)m1.bytes, user_bytes(UID_A));
	ASSERT_EQ(0LL, user_bytes(UID_B));
	/* ...but can to its own. */
	FILL_AS(&USER_B, N(2), "y", 0, 1, VLEN, 0);
	ASSERT_EQ((long long)ch, user_bytes(UID_B));

	/* What still fits A's quota, B may store there: A pays. */
	room = QUOTA - m1.bytes;
	ASSERT_LE(0, value_within(self->overhead, 3, room));
	FILL_AS(&USER_B, N(1), "x", 0, 1,
		value_within(self->overhead, 3, room), 0);
	ASSERT_EQ((long long)(m1.bytes +
			      CHARGE(value_within(self->overhead, 3, room))),
		  user_bytes(UID_A));
	ASSERT_EQ((long long)ch, user_bytes(UID_B));
	ASSERT_MODEL(&m1, N(0));
}

TEST_F(quota, root_has_its_own_byte_quota)
{
	const uint64_t ch = CHARGE(VLEN);
	const int n = (int)(QUOTA / ch);
	struct lrucache_stats st;
	struct quota_line q;
	char key[16];
	int fd0, fd1, i;

	ASSERT_EQ(0, set_param("root_max_bytes", QUOTA));
	ASSERT_EQ(0, set_param("max_bytes_per_user", 0));
	fd0 = cache_create(N(0), 0, 0, 0);
	ASSERT_LE(0, fd0);
	fd1 = cache_create(N(1), 0, 0, 0);
	ASSERT_LE(0, fd1);
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "r%02d", i);
		ASSERT_EQ(0, kv_set(fd0, key, 3, filler(VLEN, 'r'), VLEN,
				    LRUCACHE_TTL_NONE, 0));
	}
	/* CAP_SYS_ADMIN does not lift the byte quota. */
	ASSERT_EQ(-EDQUOT, kv_set(fd1, "r99", 3, filler(VLEN, 'r'), VLEN,
				  LRUCACHE_TTL_NONE, 0));
	ASSERT_EQ(0, cache_stats(fd1, &st));
	ASSERT_EQ(0U, st.entries);
	ASSERT_EQ(0, cache_stats(fd0, &st));
	ASSERT_EQ((uint64_t)n, st.entries);
	ASSERT_EQ(0, users_line(0, &q));
	ASSERT_EQ((long long)st.bytes, q.bytes);
	ASSERT_EQ((long long)QUOTA, q.max_bytes);
	close(fd0);
	close(fd1);

	/* A user's quota (by default half of max_total_bytes) is apart. */
	CREATE_AS(&USER_A, N(2), 0, 0);
	FILL_AS(&USER_A, N(2), "a", 0, n + 5, VLEN, 0);
	ASSERT_EQ(0, stats_of(N(2), &st));
	ASSERT_EQ((uint64_t)n + 5, st.entries);
	ASSERT_EQ(0U, st.evictions);
	ASSERT_EQ((long long)st.bytes, user_bytes(UID_A));
}

/* --- dumps and the byte quota ------------------------------------------ */

#define PIN_MAX_ROUNDS	64

/*
 * "Fill most of the quota, DUMP and keep the descriptor, CLEAR", @rounds
 * times, by the cache's owner, in a memory cgroup of the test's: each
 * set must succeed or fail with -EDQUOT; what it found goes to @out.
 */
struct pin_run {
	const char *name;
	const char *cgroup;	/* the memory cgroup's directory */
	uint32_t vlen;
	int per_round, rounds;
	uint64_t bound;		/* what the dumps may hold, at most */
	struct pin_out {
		uint64_t held;		/* growth of the cgroup's kernel memory */
		int edquot;		/* sets refused */
		struct quota_line q;	/* the owner's line, dumps open */
	} *out;
};

static uint64_t cgroup_bytes(const char *dir)
{
	struct memcg m = { .mounted = false };

	snprintf(m.dir, sizeof(m.dir), "%s", dir);
	return memcg_kernel_bytes(&m);
}

static void child_pin(const struct pin_run *p)
{
	static char value[4 << 20];
	int fd = cache_attach(p->name), dumps[PIN_MAX_ROUNDS], r, i, ret;
	uint64_t before = cgroup_bytes(p->cgroup), deadline;
	char key[16];

	if (fd < 0)
		child_fail(__LINE__, "attach %s: %s", p->name, strerror(-fd));
	alarm(500);		/* many large sets, then the wait below */
	CHILD_EQ(1, before != UINT64_MAX);
	CHILD_EQ(1, p->rounds <= PIN_MAX_ROUNDS);
	CHILD_EQ(1, p->vlen <= sizeof(value));
	memset(value, 'p', p->vlen);
	p->out->edquot = 0;
	for (r = 0; r < p->rounds; r++) {
		struct lrucache_dump d = { 0 };

		for (i = 0; i < p->per_round; i++) {
			snprintf(key, sizeof(key), "r%02d-%02d", r, i);
			ret = kv_set(fd, key, strlen(key), value, p->vlen,
				     LRUCACHE_TTL_NONE, 0);
			if (ret && ret != -EDQUOT)
				child_fail(__LINE__, "round %d, set %d: %s", r,
					   i, strerror(-ret));
			p->out->edquot += ret == -EDQUOT;
		}
		/* A dump of one's own cache is never refused for the quota. */
		CHILD_EQ(0, xioctl(fd, LRUCACHE_IOC_DUMP, &d));
		dumps[r] = d.fd;
		CHILD_EQ(0, cache_clear(fd));
	}
	/*
	 * The entries the sets evicted go back after an RCU grace period,
	 * which kvfree_rcu() batches for seconds: the memory is read until
	 * it is within the bound, for at most 60 s. What the dumps hold
	 * stays however long one waits.
	 */
	deadline = boottime_ms() + 60000;
	do {
		p->out->held = cgroup_bytes(p->cgroup) - before;
		if (p->out->held <= p->bound)
			break;
		sleep_ms(250);
	} while (boottime_ms() < deadline);
	CHILD_EQ(0, users_line(geteuid(), &p->out->q));
	for (r = 0; r < p->rounds; r++)
		close(dumps[r]);
	close(fd);
}

/*
 * The pattern: with a byte quota Q, "fill 7/8 of Q, DUMP and keep
 * the descriptor, CLEAR", again and again. The entries each dump holds
 * stay charged to the owner after the CLEAR, so later sets evict from the
 * cache or fail with -EDQUOT, and what the cache's entries and the dumps
 * hold together, as the kernel's memory cgroup counts it, stays within Q
 * (plus the dumps' own storage, a few KiB each). The quick form here (Q 2
 * MiB, 6 rounds); make stress runs Q 8 MiB, 40 rounds
 * (LRUCACHE_DUMP_PIN_MIB, LRUCACHE_DUMP_PIN_ROUNDS).
 */
TEST_F_TIMEOUT(quota, dumps_kept_across_clears_stay_within_the_byte_quota,
	       600)
{
	uint64_t quota = env_u64("LRUCACHE_DUMP_PIN_MIB", 2) << 20;
	struct pin_run p = {
		.name = N(0),
		.vlen = (uint32_t)(quota / 16 - 200),
		.per_round = 14,
		.rounds = (int)env_u64("LRUCACHE_DUMP_PIN_ROUNDS", 6),
	};
	uint64_t slack;
	struct quota_line q;
	struct memcg cg;
	int err;

	ASSERT_GE(PIN_MAX_ROUNDS, p.rounds);
	ASSERT_LE(3, p.rounds);
	p.out = mmap(NULL, sizeof(*p.out), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p.out);
	ASSERT_EQ(0, set_param("max_bytes_per_user", quota));
	/* The dumps' storage, files and inodes, and slab rounding. */
	slack = (64 << 10) + (uint64_t)p.rounds * (16 << 10) + quota / 64;
	p.bound = quota + slack;
	CREATE_AS(&USER_A, N(0), 0, 0);
	err = memcg_enter(&cg, "pin");
	if (err)
		SKIP(return, "no memory cgroup: %s", strerror(-err));
	p.cgroup = cg.dir;
	err = run_as(&USER_A, (child_fn)child_pin, &p);
	memcg_leave(&cg);
	printf("# quota %llu, %d rounds of %d values of %u bytes: %llu bytes held with the dumps open, user bytes %lld (dumps %lld), %d sets refused\n",
	       (unsigned long long)quota, p.rounds, p.per_round, p.vlen,
	       (unsigned long long)p.out->held, p.out->q.bytes,
	       p.out->q.dump_bytes, p.out->edquot);
	fflush(stdout);
	ASSERT_EQ(0, err) {
		TH_LOG("as user A: %s", child_msg);
	}
	EXPECT_GE(p.bound, p.out->held) {
		TH_LOG("the dumps held %llu bytes beyond the quota",
		       (unsigned long long)(p.out->held - quota));
	}
	EXPECT_GE((long long)quota, p.out->q.bytes);
	EXPECT_LT(0LL, p.out->q.dump_bytes);
	EXPECT_LT(0, p.out->edquot);
	/* The dumps closed, nothing of them is charged any more. */
	ASSERT_EQ(0, users_line(UID_A, &q));
	EXPECT_EQ(0LL, q.bytes);
	EXPECT_EQ(0LL, q.dump_bytes);
	munmap(p.out, sizeof(*p.out));
}

/* What user B sees of A's cache N(0) (mode 0766) and the quota lines. */
struct foreign_run {
	const char *name;
	uint64_t overhead;
};

static void child_foreign(const struct foreign_run *f)
{
	struct lrucache_dump d1 = { 0 }, d2 = { 0 }, d3 = { 0 };
	struct lrucache_stats st;
	struct quota_line a, b;
	int fd = cache_attach(f->name), i;
	uint64_t held;
	char key[16];

	if (fd < 0)
		child_fail(__LINE__, "attach %s: %s", f->name, strerror(-fd));
	CHILD_EQ(0, cache_stats(fd, &st));
	held = st.bytes;
	CHILD_EQ(1, held > 0);
	/* B has no cache, so no line, until its dump is charged to it. */
	CHILD_EQ(-ENOENT, users_line(UID_B, &b));
	CHILD_EQ(0, xioctl(fd, LRUCACHE_IOC_DUMP, &d1));
	CHILD_EQ(0, users_line(UID_B, &b));
	CHILD_EQ(0, b.caches);
	CHILD_EQ(held, b.bytes);
	CHILD_EQ(held, b.dump_bytes);
	CHILD_EQ(0, users_line(UID_A, &a));
	CHILD_EQ(held, a.bytes);
	CHILD_EQ(0, a.dump_bytes);

	/* The entries leave A's cache and A's quota; B's dump holds them. */
	CHILD_EQ(0, cache_clear(fd));
	CHILD_EQ(0, users_line(UID_A, &a));
	CHILD_EQ(0, a.bytes);
	CHILD_EQ(0, users_line(UID_B, &b));
	CHILD_EQ(held, b.bytes);

	/* Refilled (A pays), a second dump would take B over its quota. */
	for (i = 0; i < 6; i++) {
		snprintf(key, sizeof(key), "b%02d", i);
		CHILD_EQ(0, kv_set(fd, key, 3, filler(VLEN, 'b'), VLEN,
				   LRUCACHE_TTL_NONE, 0));
	}
	CHILD_EQ(0, users_line(UID_A, &a));
	CHILD_EQ(held, a.bytes);
	CHILD_EQ(-EDQUOT, xioctl(fd, LRUCACHE_IOC_DUMP, &d2));
	CHILD_EQ(0, users_line(UID_B, &b));
	CHILD_EQ(held, b.bytes);

	/* Closing the first gives the room back. */
	close(d1.fd);
	CHILD_EQ(-ENOENT, users_line(UID_B, &b));
	CHILD_EQ(0, xioctl(fd, LRUCACHE_IOC_DUMP, &d3));
	CHILD_EQ(0, users_line(UID_B, &b));
	CHILD_EQ(held, b.dump_bytes);
	close(d3.fd);
	close(fd);
}

/*
 * A dump of another user's cache is charged to its taker, in full, while
 * it is open: it needs room in the taker's byte quota (-EDQUOT), and the
 * owner's quota counts the owner's live entries only, whatever others'
 * dumps keep in memory.
 */
TEST_F(quota, a_dump_of_another_users_cache_is_charged_to_its_taker)
{
	struct foreign_run f = { N(0), self->overhead };

	ASSERT_EQ(0, set_param("max_bytes_per_user", QUOTA));
	CREATE_AS(&USER_A, N(0), 0766, 0);
	FILL_AS(&USER_A, N(0), "a", 0, 6, VLEN, 0);
	ASSERT_LT(6 * CHARGE(VLEN), QUOTA);
	ASSERT_GT(12 * CHARGE(VLEN), QUOTA);
	AS(&USER_B, child_foreign, &f);
	ASSERT_EQ((long long)(6 * CHARGE(VLEN)), user_bytes(UID_A));
}

TEST_HARNESS_MAIN
