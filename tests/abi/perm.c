// SPDX-License-Identifier: GPL-2.0
/*
 * Per-cache permissions through the raw ioctls and the event stream.
 *
 * A cache has a mode like a file's: read, write and admin bits for its
 * owner, the owner's group and others (LRUCACHE_PERM_*), 0700 unless the
 * creator asks for another. Each test creates caches as one unprivileged
 * user and then tries every operation as another identity, each in a
 * forked child that switched ids with setgroups()/setresgid()/setresuid()
 * (and so holds no capability):
 *
 *   owner         uid 65534, gid 65534 (the creator)
 *   group member  uid 65533, gid 65534 (the owner's group by its egid)
 *   supplementary uid 65533, gid 65533, supplementary group 65534
 *   other         uid 65533, gid 65533
 *   root          uid 0 with every capability (CAP_SYS_ADMIN: all rights)
 *   root, no cap  uid 0 without CAP_SYS_ADMIN in its effective set
 *
 * Every refusal is -EACCES and is checked to have changed nothing; every
 * allowed path is checked to work. Credentials are those of each call,
 * not of the OPEN: a descriptor passed to another user (SCM_RIGHTS), or
 * kept across a drop of privileges, gives that user its own rights only.
 *
 * The event stream (generic netlink family "lrucache", spoken raw) needs
 * read permission too: SUBSCRIBE to a cache is -EACCES without it, and a
 * subscription to every cache only carries events of the caches the
 * subscriber may read.
 *
 * A child reports a failed check through a shared page and exits non-zero;
 * the test then fails with that message. Children are bounded by alarm().
 */
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <linux/capability.h>

#include "kselftest_harness.h"
#include "abi.h"
#include "nl.h"

#define UID_A		65534	/* the owner; its gid is the owner's group */
#define UID_B		65533
#define CHILD_TIMEOUT_S	20
#define NL_QUIET_MS	300	/* for events that must not come */
#define MSG_SIZE	2048

/* --- identities and children ------------------------------------------- */

struct ident {
	const char *what;
	uid_t uid;
	gid_t gid;
	gid_t supp;		/* a supplementary group, or 0 for none */
	bool drop_admin;	/* uid 0 without CAP_SYS_ADMIN */
};

static const struct ident OWNER = { "owner", UID_A, UID_A, 0, false };
static const struct ident GROUP = { "group member", UID_B, UID_A, 0, false };
static const struct ident SUPP = { "supplementary group member", UID_B, UID_B,
				   UID_A, false };
static const struct ident OTHER = { "other user", UID_B, UID_B, 0, false };
static const struct ident ROOT = { "root", 0, 0, 0, false };
static const struct ident NOCAP = { "root without CAP_SYS_ADMIN", 0, 0, 0,
				    true };

/* Shared with the children: why the last one failed. */
static char *child_msg;

static void __attribute__((noreturn, format(printf, 2, 3)))
child_fail(int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(child_msg, MSG_SIZE, "perm.c:%d: ", line);
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

#define CHILD_TRUE(cond) do {						\
	if (!(cond))							\
		child_fail(__LINE__, "%s is false (errno %s)", #cond,	\
			   strerror(errno));				\
} while (0)

/* The effective capability set of the calling process, from its status. */
static int cap_eff(unsigned long long *caps)
{
	char buf[4096], *p;
	int ret = read_file("/proc/self/status", buf, sizeof(buf));

	if (ret < 0)
		return ret;
	p = strstr(buf, "\nCapEff:");
	if (!p)
		return -ENOENT;
	*caps = strtoull(p + 8, NULL, 16);
	return 0;
}

static void drop_cap_sys_admin(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	CHILD_EQ(0, syscall(SYS_capget, &hdr, data));
	data[0].effective &= ~(1U << CAP_SYS_ADMIN);
	CHILD_EQ(0, syscall(SYS_capset, &hdr, data));
}

/* In a child: take the identity @id, and check it took. */
static void become(const struct ident *id)
{
	unsigned long long caps;
	gid_t groups[1] = { id->supp };

	CHILD_EQ(0, setgroups(id->supp ? 1 : 0, groups));
	CHILD_EQ(0, setresgid(id->gid, id->gid, id->gid));
	CHILD_EQ(0, setresuid(id->uid, id->uid, id->uid));
	if (id->drop_admin)
		drop_cap_sys_admin();
	CHILD_EQ(id->uid, geteuid());
	CHILD_EQ(id->gid, getegid());
	CHILD_EQ(0, cap_eff(&caps));
	if (id->uid)
		CHILD_EQ(0, caps);
	else
		CHILD_EQ(!id->drop_admin, !!(caps & (1ULL << CAP_SYS_ADMIN)));
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
		TH_LOG("as %s (uid %u gid %u): %s", __id->what,		\
		       (unsigned int)__id->uid, (unsigned int)__id->gid, \
		       child_msg);					\
	}								\
} while (0)

/* --- ioctl helpers ------------------------------------------------------- */

/* OPEN with every field of the current structure. */
static int open_mode(int fd, const char *name, uint32_t flags, uint32_t mode,
		     uint32_t reserved2)
{
	struct lrucache_open op;

	memset(&op, 0, sizeof(op));
	put_name(op.name, name);
	op.flags = flags;
	op.mode = mode;
	op.reserved2 = reserved2;
	return xioctl(fd, LRUCACHE_IOC_OPEN, &op);
}

/* A new descriptor bound to a cache it created with @mode: fd or -errno. */
static int create_mode(const char *name, uint32_t mode)
{
	int fd = dev_open(), err;

	if (fd < 0)
		return fd;
	err = open_mode(fd, name, LRUCACHE_OPEN_CREATE | LRUCACHE_OPEN_EXCL,
			mode, 0);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

static int do_ioc(int fd, unsigned long cmd)
{
	int ret = ioctl(fd, cmd);

	return ret < 0 ? -errno : ret;
}

static int cache_health(int fd)
{
	struct lrucache_health h;

	memset(&h, 0, sizeof(h));
	return xioctl(fd, LRUCACHE_IOC_HEALTH, &h);
}

/*
 * DUMP: 0 (the snapshot's descriptor closed, its entry count in
 * *entries) or -errno; on an error no descriptor may have been made.
 */
static int cache_dump(int fd, uint64_t *entries)
{
	struct lrucache_dump d;
	int probe, ret;

	probe = fcntl(fd, F_DUPFD_CLOEXEC, 0);	/* the lowest free one */
	if (probe < 0)
		return -EMFILE;
	close(probe);
	memset(&d, 0, sizeof(d));
	ret = xioctl(fd, LRUCACHE_IOC_DUMP, &d);
	if (ret) {
		int next = fcntl(fd, F_DUPFD_CLOEXEC, 0);

		close(next);
		return d.fd || next != probe ? -EBADFD : ret;
	}
	*entries = d.entries;
	close(d.fd);
	return 0;
}


/* --- the cache every test starts from ------------------------------------ */

#define KEY	"k"
#define VAL	"value"
#define KEY2	"k2"		/* never left behind by a refused set */

struct spec {
	const char *name;
	uint32_t mode;
	bool seed;		/* store KEY=VAL */
};

/* As the owner: create the cache with the mode, and seed it. */
static void child_create(const struct spec *s)
{
	int fd = create_mode(s->name, s->mode);

	if (fd < 0)
		child_fail(__LINE__, "create %s mode 0%o: %s", s->name,
			   s->mode, strerror(-fd));
	if (s->seed)
		CHILD_EQ(0, str_set(fd, KEY, VAL));
	close(fd);
}

/*
 * As root: 0 if the cache still holds exactly KEY=VAL after one set and no
 * delete (nothing a refused operation could have changed), else 1 and
 * what differs in @why.
 */
static int cache_untouched(const char *name, char *why, size_t size)
{
	struct lrucache_stats st;
	char out[256];
	int fd = cache_attach(name), ret;

	if (fd < 0) {
		snprintf(why, size, "attach: %s", strerror(-fd));
		return 1;
	}
	why[0] = 0;
	ret = cache_stats(fd, &st);
	if (ret)
		snprintf(why, size, "STATS: %s", strerror(-ret));
	else if (st.entries != 1 || st.sets != 1 || st.deletes)
		snprintf(why, size, "entries %llu sets %llu deletes %llu",
			 (unsigned long long)st.entries,
			 (unsigned long long)st.sets,
			 (unsigned long long)st.deletes);
	else if (str_get(fd, KEY, out) != (int)strlen(VAL))
		snprintf(why, size, KEY " is gone");
	else if (strcmp(out, VAL))
		snprintf(why, size, KEY " holds '%.64s'", out);
	else if (str_exists(fd, KEY2))
		snprintf(why, size, KEY2 " appeared");
	close(fd);
	return why[0] ? 1 : 0;
}

#define ASSERT_UNTOUCHED(name) do {					\
	char __why[160];						\
	ASSERT_EQ(0, cache_untouched((name), __why, sizeof(__why))) {	\
		TH_LOG("%s changed: %s", (name), __why);		\
	}								\
} while (0)

static bool cache_listed(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), SYSFS_ROOT "/caches/%s", name);
	return access(path, F_OK) == 0;
}

/* --- every operation, as one identity -------------------------------------- */

/*
 * What an identity gets on a cache holding KEY=VAL: the OPEN result, then
 * for the read, write and admin operations 0 (allowed) or -EACCES. With
 * @destroy, DESTROY by name is tried last.
 */
struct expect {
	const char *name;
	int open;
	int read, write, admin;
	bool destroy;
};

/* Every operation on @fd, bound to the cache, against @x. */
static void child_ops_on(int fd, const struct expect *x)
{
	struct lrucache_op batch[2] = {
		{ .opcode = LRUCACHE_OP_GET, .key = (uintptr_t)KEY,
		  .key_len = strlen(KEY) },
		{ .opcode = LRUCACHE_OP_SET, .key = (uintptr_t)KEY2,
		  .key_len = strlen(KEY2), .value = (uintptr_t)"x",
		  .value_len = 1, .ttl_ms = LRUCACHE_TTL_NONE },
	};
	struct lrucache_stats st;
	struct lrucache_info info;
	struct lrucache_check chk;
	struct lrucache_reap r;
	unsigned long long caps;
	uint64_t entries = 0;
	char out[256];

	CHILD_EQ(0, do_ioc(fd, LRUCACHE_IOC_NOP));
	CHILD_EQ(-EBUSY, cache_open(fd, x->name, 0, 0, 0, 0));

	/* Read. */
	CHILD_EQ(x->read ?: (int)strlen(VAL), str_get(fd, KEY, out));
	CHILD_EQ(x->read ?: 1, str_exists(fd, KEY));
	CHILD_EQ(x->read, cache_stats(fd, &st));
	CHILD_EQ(x->read, cache_info(fd, &info));
	CHILD_EQ(x->read, cache_health(fd));
	CHILD_EQ(x->read, cache_dump(fd, &entries));
	if (!x->read) {
		CHILD_EQ(0, strcmp(out, VAL));
		CHILD_EQ(1, st.entries);
		CHILD_EQ(1, entries);
	}

	/* Write, and a batch of one read and one write. */
	CHILD_EQ(2, batch_run(fd, batch, 2));
	CHILD_EQ(x->read ?: (int)strlen(VAL), batch[0].result);
	CHILD_EQ(x->write, batch[1].result);
	CHILD_EQ(x->write, str_set(fd, KEY2, "y"));
	CHILD_EQ(x->write, kv_delete(fd, KEY2, strlen(KEY2)));
	CHILD_EQ(x->write, cache_reap(fd, 0, &r));
	CHILD_EQ(x->write, cache_reap(fd, LRUCACHE_REAP_FULL_SCAN, &r));
	CHILD_EQ(x->write, cache_clear(fd));

	/* CHECK: CAP_SYS_ADMIN only, whatever the mode (become() checked). */
	CHILD_EQ(0, cap_eff(&caps));
	CHILD_EQ(caps & (1ULL << CAP_SYS_ADMIN) ? 0 : -EPERM,
		 xioctl(fd, LRUCACHE_IOC_CHECK, &chk));
	if (caps & (1ULL << CAP_SYS_ADMIN))
		CHILD_EQ(0, chk.problems);

	/* Admin. */
	CHILD_EQ(x->admin, do_ioc(fd, LRUCACHE_IOC_RESET_STATS));
	if (x->destroy)
		CHILD_EQ(x->admin, cache_destroy_on(fd, x->name));
}

static void child_ops(const struct expect *x)
{
	int fd = dev_open();

	CHILD_TRUE(fd >= 0);
	CHILD_EQ(x->open, cache_open(fd, x->name, 0, 0, 0, 0));
	if (x->open) {
		/* Unbound: DESTROY by name is all there is left to try. */
		if (x->destroy)
			CHILD_EQ(x->admin, cache_destroy_on(fd, x->name));
		/* And the descriptor stayed unbound. */
		CHILD_EQ(-EBADFD, do_ioc(fd, LRUCACHE_IOC_NOP));
		close(fd);
		return;
	}
	child_ops_on(fd, x);
	close(fd);
}

/* --- the fixture ----------------------------------------------------------- */

FIXTURE(perm) {
	char name[LRUCACHE_NAME_MAX];
	char name2[LRUCACHE_NAME_MAX];
};

FIXTURE_SETUP(perm)
{
	unique_name(self->name, "perm");
	unique_name(self->name2, "perm2");
	if (geteuid())
		SKIP(return, "needs root, to switch between test users");
	child_msg = mmap(NULL, MSG_SIZE, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, child_msg);
}

FIXTURE_TEARDOWN(perm)
{
	cache_destroy(self->name);
	cache_destroy(self->name2);
}

/* The owner's cache of @mode holding KEY=VAL, made by the owner itself. */
#define OWNER_CREATES(nm, md) do {					\
	struct spec __s = { .name = (nm), .mode = (md), .seed = true };	\
	AS(&OWNER, child_create, &__s);					\
} while (0)

#define OPS_AS(id, nm, o, r, w, a, d) do {				\
	struct expect __x = { (nm), (o), (r), (w), (a), (d) };		\
	AS(id, child_ops, &__x);					\
} while (0)

#define OK	0
#define NO	(-EACCES)

static int stats_of(const char *name, struct lrucache_stats *st)
{
	int fd = cache_attach(name), ret;

	if (fd < 0)
		return fd;
	ret = cache_stats(fd, st);
	close(fd);
	return ret;
}

/* --- who may do what ----------------------------------------------------- */

TEST_F(perm, default_mode_is_owner_only)
{
	struct lrucache_info info;
	int fd;

	OWNER_CREATES(self->name, 0);
	fd = cache_attach(self->name);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, cache_info(fd, &info));
	close(fd);
	ASSERT_EQ((unsigned int)LRUCACHE_MODE_DEFAULT, info.mode);
	ASSERT_EQ(0700U, info.mode);

	/* Nobody else may bind, nor destroy by name. */
	OPS_AS(&GROUP, self->name, NO, NO, NO, NO, true);
	OPS_AS(&SUPP, self->name, NO, NO, NO, NO, true);
	OPS_AS(&OTHER, self->name, NO, NO, NO, NO, true);
	ASSERT_UNTOUCHED(self->name);
	ASSERT_TRUE(cache_listed(self->name));
}

TEST_F(perm, owner_may_do_everything)
{
	OWNER_CREATES(self->name, 0);
	OPS_AS(&OWNER, self->name, OK, OK, OK, OK, true);
	ASSERT_FALSE(cache_listed(self->name));
	ASSERT_EQ(-ENOENT, cache_attach(self->name));
}

TEST_F(perm, cap_sys_admin_may_do_everything)
{
	OWNER_CREATES(self->name, 0700);
	OPS_AS(&ROOT, self->name, OK, OK, OK, OK, true);
	ASSERT_FALSE(cache_listed(self->name));
	ASSERT_EQ(-ENOENT, cache_attach(self->name));
}

TEST_F(perm, uid_0_without_cap_sys_admin_is_an_other)
{
	OWNER_CREATES(self->name, 0700);
	OPS_AS(&NOCAP, self->name, NO, NO, NO, NO, true);
	ASSERT_UNTOUCHED(self->name);
	OWNER_CREATES(self->name2, 0704);
	OPS_AS(&NOCAP, self->name2, OK, OK, NO, NO, true);
	ASSERT_UNTOUCHED(self->name2);
}

TEST_F(perm, mode_0740_group_may_only_read)
{
	OWNER_CREATES(self->name, 0740);
	OPS_AS(&GROUP, self->name, OK, OK, NO, NO, true);
	ASSERT_UNTOUCHED(self->name);
	OPS_AS(&SUPP, self->name, OK, OK, NO, NO, true);
	ASSERT_UNTOUCHED(self->name);
	OPS_AS(&OTHER, self->name, NO, NO, NO, NO, true);
	ASSERT_UNTOUCHED(self->name);
	ASSERT_TRUE(cache_listed(self->name));
}

TEST_F(perm, mode_0720_group_may_write_but_not_read_or_dump)
{
	struct lrucache_stats st;

	OWNER_CREATES(self->name, 0720);
	OPS_AS(&GROUP, self->name, OK, NO, OK, NO, true);
	ASSERT_EQ(0, stats_of(self->name, &st));
	ASSERT_EQ(0U, st.entries);	/* CLEAR went through */
	ASSERT_EQ(0U, st.hits);		/* no GET did */
	ASSERT_EQ(3U, st.sets);		/* the owner's, the batch's, one */
	ASSERT_EQ(1U, st.deletes);
	ASSERT_TRUE(cache_listed(self->name));
}

TEST_F(perm, mode_0766_others_may_write_but_not_destroy)
{
	struct lrucache_stats st;

	OWNER_CREATES(self->name, 0766);
	OPS_AS(&OTHER, self->name, OK, OK, OK, NO, true);
	/* The writes went through (CLEAR last), the reset did not. */
	ASSERT_EQ(0, stats_of(self->name, &st));
	ASSERT_EQ(0U, st.entries);
	ASSERT_EQ(3U, st.sets);
	ASSERT_EQ(1U, st.deletes);
	ASSERT_LT(0U, st.hits);
	ASSERT_TRUE(cache_listed(self->name));
}

TEST_F(perm, mode_0701_others_may_only_administer)
{
	struct lrucache_stats st;

	OWNER_CREATES(self->name, 0701);
	/* The group class has nothing, whatever others have. */
	OPS_AS(&GROUP, self->name, NO, NO, NO, NO, true);
	ASSERT_UNTOUCHED(self->name);
	/* Binding needs one permission: admin will do. */
	OPS_AS(&OTHER, self->name, OK, NO, NO, OK, false);
	ASSERT_EQ(0, stats_of(self->name, &st));
	ASSERT_EQ(1U, st.entries);	/* no write went through */
	ASSERT_EQ(0U, st.sets);		/* the reset did */
	OPS_AS(&OTHER, self->name, OK, NO, NO, OK, true);
	ASSERT_FALSE(cache_listed(self->name));
	ASSERT_EQ(-ENOENT, cache_attach(self->name));
}

static void child_seed(const char *name)
{
	int fd = cache_attach(name);

	CHILD_TRUE(fd >= 0);
	CHILD_EQ(0, str_set(fd, KEY, VAL));
	close(fd);
}

TEST_F(perm, owner_class_is_not_widened_by_others)
{
	struct spec s = { .name = self->name, .mode = 0477 };

	/* The owner may create a cache it can only read... */
	AS(&OWNER, child_create, &s);
	/* ...which root seeds; others have everything, the owner read. */
	AS(&ROOT, child_seed, self->name);
	OPS_AS(&OWNER, self->name, OK, OK, NO, NO, true);
	ASSERT_UNTOUCHED(self->name);
	OPS_AS(&OTHER, self->name, OK, OK, OK, OK, true);
	ASSERT_FALSE(cache_listed(self->name));
}

/* --- batches --------------------------------------------------------------- */

struct batch_arg {
	const char *name;
	int write;		/* what a write gets: 0 or -EACCES */
};

static void child_batch(const struct batch_arg *a)
{
	char buf[16] = "";
	struct lrucache_op ops[5] = {
		{ .opcode = LRUCACHE_OP_GET, .key = (uintptr_t)KEY,
		  .key_len = strlen(KEY), .value = (uintptr_t)buf,
		  .value_len = sizeof(buf) },
		{ .opcode = LRUCACHE_OP_SET, .key = (uintptr_t)KEY2,
		  .key_len = strlen(KEY2), .value = (uintptr_t)"x",
		  .value_len = 1, .ttl_ms = LRUCACHE_TTL_NONE },
		{ .opcode = LRUCACHE_OP_EXISTS, .key = (uintptr_t)KEY,
		  .key_len = strlen(KEY) },
		{ .opcode = LRUCACHE_OP_DELETE, .key = (uintptr_t)KEY,
		  .key_len = strlen(KEY) },
		{ .opcode = LRUCACHE_OP_EXISTS, .key = (uintptr_t)KEY2,
		  .key_len = strlen(KEY2) },
	};
	int fd = cache_attach(a->name);

	CHILD_TRUE(fd >= 0);
	CHILD_EQ(5, batch_run(fd, ops, 5));
	CHILD_EQ(strlen(VAL), ops[0].result);
	CHILD_EQ(strlen(VAL), ops[0].value_len);
	CHILD_EQ(0, memcmp(buf, VAL, strlen(VAL)));
	CHILD_EQ(a->write, ops[1].result);
	CHILD_EQ(1, ops[2].result);
	CHILD_EQ(a->write, ops[3].result);
	CHILD_EQ(!a->write, ops[4].result);
	close(fd);
}

TEST_F(perm, batch_checks_each_operation)
{
	struct batch_arg ro = { self->name, -EACCES };
	struct batch_arg rw = { self->name, 0 };
	struct lrucache_stats st;

	OWNER_CREATES(self->name, 0740);
	AS(&GROUP, child_batch, &ro);
	ASSERT_UNTOUCHED(self->name);
	AS(&OWNER, child_batch, &rw);
	ASSERT_EQ(0, stats_of(self->name, &st));
	ASSERT_EQ(1U, st.entries);	/* KEY2 only */
	ASSERT_EQ(2U, st.sets);
	ASSERT_EQ(1U, st.deletes);
}

/* --- credentials of the call, not of the OPEN -------------------------------- */

/* Both ends inherited by the children of a test. */
static int pass_sock[2] = { -1, -1 };

static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = "f", .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

/* A descriptor sent on @sock (the socket times out): fd or -errno. */
static int recv_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	char c;
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -errno ?: -EIO;
	cm = CMSG_FIRSTHDR(&msg);
	if (!cm || cm->cmsg_level != SOL_SOCKET ||
	    cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int)))
		return -EBADMSG;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* The owner binds a descriptor to its 0700 cache and passes it on. */
static void child_owner_sends(const struct spec *s)
{
	int fd = create_mode(s->name, s->mode);

	CHILD_TRUE(fd >= 0);
	CHILD_EQ(0, str_set(fd, KEY, VAL));
	CHILD_EQ(0, send_fd(pass_sock[1], fd));
	close(fd);
}

/* Another user gets the bound descriptor: it gives that user nothing. */
static void child_other_receives(const struct expect *x)
{
	int fd = recv_fd(pass_sock[0]);

	if (fd < 0)
		child_fail(__LINE__, "recv_fd: %s", strerror(-fd));
	child_ops_on(fd, x);
	CHILD_EQ(0, send_fd(pass_sock[0], fd));
	close(fd);
}

/* Back with its owner, the same descriptor works as before. */
static void child_owner_receives(const void *unused)
{
	char out[256];
	int fd = recv_fd(pass_sock[1]);

	if (fd < 0)
		child_fail(__LINE__, "recv_fd: %s", strerror(-fd));
	CHILD_EQ(strlen(VAL), str_get(fd, KEY, out));
	CHILD_EQ(0, str_set(fd, KEY2, "z"));
	CHILD_EQ(0, kv_delete(fd, KEY2, strlen(KEY2)));
	CHILD_EQ(0, do_ioc(fd, LRUCACHE_IOC_RESET_STATS));
	close(fd);
}

TEST_F(perm, passed_descriptor_carries_no_rights)
{
	struct spec s = { .name = self->name, .mode = 0700 };
	struct expect other = { self->name, OK, NO, NO, NO, true };
	struct timeval tv = { .tv_sec = 5 };
	int i;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0,
				pass_sock));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, setsockopt(pass_sock[i], SOL_SOCKET, SO_RCVTIMEO,
					&tv, sizeof(tv)));
	AS(&OWNER, child_owner_sends, &s);
	AS(&OTHER, child_other_receives, &other);
	ASSERT_UNTOUCHED(self->name);
	ASSERT_TRUE(cache_listed(self->name));
	AS(&OWNER, child_owner_receives, NULL);
	close(pass_sock[0]);
	close(pass_sock[1]);
}

/* Root binds (CAP_SYS_ADMIN), then becomes another user on the same fd. */
static void child_drop_after_open(const struct expect *x)
{
	char out[256];
	int fd = cache_attach(x->name);

	CHILD_TRUE(fd >= 0);
	CHILD_EQ(strlen(VAL), str_get(fd, KEY, out));
	become(&OTHER);
	child_ops_on(fd, x);
	close(fd);
}

TEST_F(perm, dropping_privileges_after_open_drops_access)
{
	struct expect x = { self->name, OK, NO, NO, NO, true };

	OWNER_CREATES(self->name, 0700);
	AS(&ROOT, child_drop_after_open, &x);
	/* Root's one GET counted as a hit; nothing else happened. */
	ASSERT_UNTOUCHED(self->name);
}

/* --- arguments ------------------------------------------------------------------ */

static void child_bad_modes(const char *name)
{
	static const uint32_t bad[] = {
		01000, 01700, 02700, 04700, 0070, 0007, 0077, 0x10000 | 0700,
		0x80000000 | 0700, 0xffffffff,
	};
	struct lrucache_info info;
	unsigned int i;
	int fd = dev_open();

	CHILD_TRUE(fd >= 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHILD_EQ(-EINVAL, open_mode(fd, name, LRUCACHE_OPEN_CREATE |
					    LRUCACHE_OPEN_EXCL, bad[i], 0));
		CHILD_EQ(-EINVAL, open_mode(fd, name, LRUCACHE_OPEN_CREATE,
					    bad[i], 0));
		/* No cache came of it, and the file is still unbound. */
		CHILD_EQ(-ENOENT, cache_open(fd, name, 0, 0, 0, 0));
	}
	/* Any one owner bit is enough, even the admin bit alone. */
	CHILD_EQ(0, open_mode(fd, name, LRUCACHE_OPEN_CREATE |
			      LRUCACHE_OPEN_EXCL, 0100, 0));
	CHILD_EQ(geteuid() ? -EACCES : 0, cache_info(fd, &info));
	CHILD_EQ(0, cache_destroy_on(fd, name));
	close(fd);
}

/* --- the cache's sysfs files -------------------------------------------- */

/*
 * What an identity may do with a cache's files in sysfs: what the
 * permission bits of its class in the cache's mode (@bits) allow; root
 * (CAP_DAC_OVERRIDE) whatever the files' modes (@fm: stats, health, reap,
 * cleanup_interval_ms) allow anyone, since sysfs opens a file for reading
 * or writing only if some class may.
 */
struct sysfs_arg {
	const char *name;
	uint32_t bits;		/* LRUCACHE_PERM_* of the class */
	bool others;		/* the class is others' */
	bool owner;		/* the identity is the cache's owner */
	const mode_t *fm;
};

static int open_attr(const char *name, const char *file, int flags)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), SYSFS_ROOT "/caches/%s/%s", name, file);
	fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static int write_attr(const char *name, const char *file, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), SYSFS_ROOT "/caches/%s/%s", name, file);
	return write_file(path, val);
}

static void child_sysfs(const struct sysfs_arg *a)
{
	static const char *const files[] = {
		"stats", "health", "reap", "cleanup_interval_ms",
	};
	int read = a->bits & LRUCACHE_PERM_READ || a->owner ? 0 : -EACCES;
	int reap = a->bits & LRUCACHE_PERM_WRITE && !a->others ? 0 : -EACCES;
	int interval = a->bits & LRUCACHE_PERM_ADMIN && !a->others ? 0 :
		       -EACCES;
	char path[256], buf[4096];
	unsigned int i;
	int ret;

	if (!geteuid()) {
		reap = a->fm[2] & 0222 ? 0 : -EACCES;
		interval = a->fm[3] & 0222 ? 0 : -EACCES;
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), SYSFS_ROOT "/caches/%s/%s",
			 a->name, files[i]);
		if (!geteuid())
			read = a->fm[i] & 0444 ? 0 : -EACCES;
		ret = read_file(path, buf, sizeof(buf));
		CHILD_EQ(read, ret < 0 ? ret : 0);
		if (!read && i == 0)
			CHILD_TRUE(strstr(buf, "entries 1\n"));
	}
	CHILD_EQ(reap, open_attr(a->name, "reap", O_WRONLY));
	CHILD_EQ(reap, write_attr(a->name, "reap", "1"));
	CHILD_EQ(interval, open_attr(a->name, "cleanup_interval_ms", O_WRONLY));
	CHILD_EQ(interval, write_attr(a->name, "cleanup_interval_ms", "5000"));
	CHILD_EQ(-EACCES, open_attr(a->name, "stats", O_WRONLY));
}

#define SYSFS_AS(id, nm, b, oth, fm) do {				\
	struct sysfs_arg __a = { (nm), (b), (oth), (id) == &OWNER, (fm) }; \
	AS(id, child_sysfs, &__a);					\
} while (0)

/* The mode of a cache's file, and its owner, as stat() shows them. */
static int attr_mode(const char *name, const char *file, struct stat *st)
{
	char path[256];

	snprintf(path, sizeof(path), SYSFS_ROOT "/caches/%s/%s", name, file);
	return stat(path, st) ? -errno : 0;
}

/*
 * A cache's files in /sys/kernel/lrucache/caches/NAME belong to its owner
 * and group, with modes from its mode: each class reads all of them with
 * read permission on the cache (the owner always), writes "reap" with write permission and
 * "cleanup_interval_ms" with admin permission; sysfs makes no file
 * writable by others, so others write neither. The VFS checks them as
 * any file's: root, with CAP_DAC_OVERRIDE, may do everything, except
 * what sysfs refuses everyone, writing a file no class may write.
 */
TEST_F(perm, sysfs_files_follow_the_cache_mode)
{
	static const struct {
		uint32_t mode;
		mode_t stats, reap, interval;
	} modes[] = {
		{ 0700, 0400, 0600, 0600 },
		{ 0740, 0440, 0640, 0640 },
		{ 0764, 0444, 0664, 0644 },
		{ 0776, 0444, 0664, 0664 },
		{ 0751, 0440, 0640, 0660 },
		{ 0300, 0400, 0600, 0600 },
		{ 0137, 0404, 0424, 0624 },
	};
	struct stat st;
	mode_t fm[4];
	unsigned int i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		uint32_t m = modes[i].mode;

		struct spec sp = { .name = self->name, .mode = m };
		int fd;

		if (i)
			ASSERT_EQ(0, cache_destroy(self->name));
		/* Seeded by root: not every mode lets the owner write. */
		AS(&OWNER, child_create, &sp);
		fd = cache_attach(self->name);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, str_set(fd, KEY, VAL));
		close(fd);
		ASSERT_EQ(0, attr_mode(self->name, "stats", &st));
		EXPECT_EQ(modes[i].stats, st.st_mode & 0777) {
			TH_LOG("mode 0%o: stats 0%o", m, st.st_mode & 0777);
		}
		EXPECT_EQ((uid_t)UID_A, st.st_uid);
		EXPECT_EQ((gid_t)UID_A, st.st_gid);
		ASSERT_EQ(0, attr_mode(self->name, "health", &st));
		EXPECT_EQ(modes[i].stats, st.st_mode & 0777);
		ASSERT_EQ(0, attr_mode(self->name, "reap", &st));
		EXPECT_EQ(modes[i].reap, st.st_mode & 0777) {
			TH_LOG("mode 0%o: reap 0%o", m, st.st_mode & 0777);
		}
		ASSERT_EQ(0, attr_mode(self->name, "cleanup_interval_ms", &st));
		EXPECT_EQ(modes[i].interval, st.st_mode & 0777) {
			TH_LOG("mode 0%o: cleanup_interval_ms 0%o", m,
			       st.st_mode & 0777);
		}
		ASSERT_EQ(0, attr_mode(self->name, ".", &st));
		EXPECT_EQ((uid_t)UID_A, st.st_uid);

		fm[0] = fm[1] = modes[i].stats;
		fm[2] = modes[i].reap;
		fm[3] = modes[i].interval;
		SYSFS_AS(&OWNER, self->name, (m >> 6) & 7, false, fm);
		SYSFS_AS(&GROUP, self->name, (m >> 3) & 7, false, fm);
		SYSFS_AS(&SUPP, self->name, (m >> 3) & 7, false, fm);
		SYSFS_AS(&OTHER, self->name, m & 7, true, fm);
		SYSFS_AS(&ROOT, self->name, 7, false, fm);
	}
}

TEST_F(perm, invalid_mode_at_create_is_einval)
{
	AS(&OWNER, child_bad_modes, self->name);
	ASSERT_FALSE(cache_listed(self->name));
	/* Root is held to the same rules. */
	AS(&ROOT, child_bad_modes, self->name);
	ASSERT_FALSE(cache_listed(self->name));
}

TEST_F(perm, mode_without_create_is_einval)
{
	struct lrucache_stats st;
	int fd, owner_fd = create_mode(self->name, 0);

	ASSERT_LE(0, owner_fd);
	fd = dev_open();
	ASSERT_LE(0, fd);
	/* Existing cache, missing cache: the argument is wrong either way. */
	ASSERT_EQ(-EINVAL, open_mode(fd, self->name, 0, 0700, 0));
	ASSERT_EQ(-EINVAL, open_mode(fd, self->name, 0, 0777, 0));
	ASSERT_EQ(-EINVAL, open_mode(fd, self->name2, 0, 0700, 0));
	ASSERT_EQ(-EBADFD, cache_stats(fd, &st));
	ASSERT_FALSE(cache_listed(self->name2));
	ASSERT_EQ(0, open_mode(fd, self->name, 0, 0, 0));
	close(fd);
	close(owner_fd);
}

TEST_F(perm, nonzero_reserved2_is_einval)
{
	static const uint32_t flags[] = {
		0, LRUCACHE_OPEN_CREATE,
		LRUCACHE_OPEN_CREATE | LRUCACHE_OPEN_EXCL,
	};
	struct lrucache_stats st;
	unsigned int i;
	int fd, owner_fd = create_mode(self->name, 0);

	ASSERT_LE(0, owner_fd);
	fd = dev_open();
	ASSERT_LE(0, fd);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(-EINVAL, open_mode(fd, self->name, flags[i], 0, 1));
		ASSERT_EQ(-EINVAL, open_mode(fd, self->name2, flags[i], 0,
					     0x80000000));
		ASSERT_EQ(-EBADFD, cache_stats(fd, &st));
	}
	ASSERT_FALSE(cache_listed(self->name2));
	close(fd);
	close(owner_fd);
}

/* --- what INFO reports ---------------------------------------------------------- */

#define IOC_OPEN_VER0	_IOC(_IOC_WRITE, LRUCACHE_IOC_MAGIC, 0x40, \
			     LRUCACHE_OPEN_SIZE_VER0)
#define IOC_OPEN_VER1	_IOC(_IOC_WRITE, LRUCACHE_IOC_MAGIC, 0x40, \
			     offsetof(struct lrucache_open, mode))
#define IOC_INFO_VER0	_IOC(_IOC_READ, LRUCACHE_IOC_MAGIC, 0x4b, \
			     LRUCACHE_INFO_SIZE_VER0)

struct info_arg {
	const char *name;
	uint32_t mode;
};

static void child_info(const struct info_arg *a)
{
	struct lrucache_info info, info0;
	int fd = cache_attach(a->name);

	CHILD_TRUE(fd >= 0);
	CHILD_EQ(0, cache_info(fd, &info));
	CHILD_EQ(a->mode, info.mode);
	CHILD_EQ(UID_A, info.owner_uid);
	CHILD_EQ(UID_A, info.owner_gid);
	CHILD_EQ(0, strcmp(info.name, a->name));
	/* Version 0 of the structure ends with the mode. */
	memset(&info0, 0xa5, sizeof(info0));
	CHILD_EQ(0, xioctl(fd, IOC_INFO_VER0, &info0));
	CHILD_EQ(a->mode, info0.mode);
	CHILD_EQ(0xa5a5a5a5a5a5a5a5ULL, info0.cleanup_interval_ms);
	close(fd);
}

TEST_F(perm, info_reports_mode_and_owner)
{
	struct info_arg a = { self->name, 0751 };

	OWNER_CREATES(self->name, 0751);
	AS(&OWNER, child_info, &a);
	AS(&GROUP, child_info, &a);
	AS(&ROOT, child_info, &a);
	/* Others may only administer it: no INFO, but they may bind. */
	OPS_AS(&OTHER, self->name, OK, NO, NO, OK, false);
}

/* Caches created with OPEN structures from before the mode field. */
struct old_open {
	const char *name;
	unsigned long cmd;	/* IOC_OPEN_VER0 or IOC_OPEN_VER1 */
};

static void child_old_open(const struct old_open *o)
{
	struct lrucache_open op;
	int fd = dev_open();

	CHILD_TRUE(fd >= 0);
	memset(&op, 0, sizeof(op));
	put_name(op.name, o->name);
	op.flags = LRUCACHE_OPEN_CREATE | LRUCACHE_OPEN_EXCL;
	/* Past the old end: must not be read. */
	op.mode = 0777;
	op.reserved2 = 1;
	CHILD_EQ(0, xioctl(fd, o->cmd, &op));
	CHILD_EQ(0, str_set(fd, KEY, VAL));
	close(fd);
}

TEST_F(perm, old_open_structures_create_mode_0700)
{
	struct old_open v0 = { self->name, IOC_OPEN_VER0 };
	struct old_open v1 = { self->name2, IOC_OPEN_VER1 };
	struct info_arg a0 = { self->name, 0700 }, a1 = { self->name2, 0700 };

	AS(&OWNER, child_old_open, &v0);
	AS(&OWNER, child_old_open, &v1);
	AS(&OWNER, child_info, &a0);
	AS(&OWNER, child_info, &a1);
	OPS_AS(&GROUP, self->name, NO, NO, NO, NO, true);
	OPS_AS(&OTHER, self->name2, NO, NO, NO, NO, true);
	ASSERT_UNTOUCHED(self->name);
	ASSERT_UNTOUCHED(self->name2);
}

/* --- the event stream ------------------------------------------------------------ */

struct sub_arg {
	const char *cache;	/* NULL: subscribe to every cache */
	int expect;		/* the answer */
};

static void child_subscribe(const struct sub_arg *a)
{
	struct nl_sock s;
	int ret = nl_open(&s);

	if (ret)
		child_fail(__LINE__, "no family " LRUCACHE_GENL_NAME ": %s",
			   strerror(-ret));
	CHILD_EQ(0, nl_request(&s, s.family, LRUCACHE_CMD_SUBSCRIBE, 2,
			       a->cache, 0));
	CHILD_EQ(a->expect, nl_answer(&s, 2, NULL));
	close(s.fd);
}

#define SUBSCRIBE_AS(id, c, e) do {					\
	struct sub_arg __a = { (c), (e) };				\
	AS(id, child_subscribe, &__a);					\
} while (0)

TEST_F(perm, netlink_subscribe_needs_read)
{
	char missing[LRUCACHE_NAME_MAX];

	unique_name(missing, "perm-missing");
	OWNER_CREATES(self->name, 0740);
	OWNER_CREATES(self->name2, 0703);

	SUBSCRIBE_AS(&OWNER, self->name, 0);
	SUBSCRIBE_AS(&GROUP, self->name, 0);
	SUBSCRIBE_AS(&SUPP, self->name, 0);
	SUBSCRIBE_AS(&ROOT, self->name, 0);
	SUBSCRIBE_AS(&OTHER, self->name, -EACCES);
	SUBSCRIBE_AS(&NOCAP, self->name, -EACCES);
	/* Write and admin are not read; the group class has nothing. */
	SUBSCRIBE_AS(&OTHER, self->name2, -EACCES);
	SUBSCRIBE_AS(&GROUP, self->name2, -EACCES);
	SUBSCRIBE_AS(&ROOT, self->name2, 0);
	SUBSCRIBE_AS(&OTHER, missing, -ENOENT);
	/* Every cache: allowed to anyone, and filtered (below). */
	SUBSCRIBE_AS(&OTHER, NULL, 0);
}

/*
 * Subscribe (to @watch, or every cache), set KEY2 in each cache of
 * @write (as this user may), then expect exactly one event: the set in
 * @seen, numbered 1, and nothing after it.
 */
struct events_arg {
	const char *watch;
	const char *write[2];
	const char *seen;
};

static void child_events(const struct events_arg *a)
{
	struct nl_event ev;
	struct nl_sock s;
	int cfd, i, ret;

	CHILD_EQ(0, nl_open(&s));
	CHILD_EQ(0, nl_request(&s, s.family, LRUCACHE_CMD_SUBSCRIBE, 2,
			       a->watch, 0));
	CHILD_EQ(0, nl_answer(&s, 2, NULL));
	for (i = 0; i < 2 && a->write[i]; i++) {
		cfd = cache_attach(a->write[i]);
		CHILD_TRUE(cfd >= 0);
		CHILD_EQ(0, str_set(cfd, KEY2, "e"));
		close(cfd);
	}
	ret = nl_next_event(&s, &ev, NL_WAIT_MS);
	if (ret)
		child_fail(__LINE__, "no event of %s: %s", a->seen,
			   strerror(-ret));
	if (strcmp(ev.cache, a->seen))
		child_fail(__LINE__, "event of %s, expected %s", ev.cache,
			   a->seen);
	CHILD_EQ(LRUCACHE_EVENT_SET, ev.type);
	CHILD_EQ(1, ev.seq);
	ret = nl_next_event(&s, &ev, NL_QUIET_MS);
	if (ret != -ETIMEDOUT)
		child_fail(__LINE__, "unexpected event (%d): cache %s type %u seq %llu",
			   ret, ev.cache, ev.type, (unsigned long long)ev.seq);
	close(s.fd);
}

TEST_F(perm, netlink_events_of_every_cache_need_read)
{
	struct events_arg other = {
		.watch = NULL,
		.write = { self->name, self->name2 },
		.seen = self->name2,
	};

	/* Others may write both, but read only the second. */
	OWNER_CREATES(self->name, 0702);
	OWNER_CREATES(self->name2, 0706);
	AS(&OTHER, child_events, &other);
}

TEST_F(perm, netlink_group_members_get_events)
{
	struct events_arg by_egid = {
		.watch = self->name,
		.write = { self->name },
		.seen = self->name,
	};
	struct events_arg every = {
		.watch = NULL,
		.write = { self->name2, self->name },
		.seen = self->name,
	};

	/* The group may read and write the first, only write the second. */
	OWNER_CREATES(self->name, 0760);
	OWNER_CREATES(self->name2, 0720);
	AS(&GROUP, child_events, &by_egid);
	AS(&GROUP, child_events, &every);
}

TEST_F(perm, netlink_supplementary_group_members_get_events)
{
	struct events_arg a = {
		.watch = self->name,
		.write = { self->name },
		.seen = self->name,
	};
	struct events_arg every = {
		.watch = NULL,
		.write = { self->name2, self->name },
		.seen = self->name,
	};

	/*
	 * SUBSCRIBE admits the member of the owner's group through its
	 * supplementary groups: the events must then come too, and a
	 * subscription to every cache carries those of the caches the
	 * group may read (the first), not of those it may only write.
	 */
	OWNER_CREATES(self->name, 0760);
	OWNER_CREATES(self->name2, 0720);
	SUBSCRIBE_AS(&SUPP, self->name, 0);
	AS(&SUPP, child_events, &a);
	AS(&SUPP, child_events, &every);
}

TEST_HARNESS_MAIN
