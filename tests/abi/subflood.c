// SPDX-License-Identifier: GPL-2.0
/*
 * Event subscribers that never read must not slow the caches down
 * (events.rst: "a slow subscriber never slows the cache down").
 *
 * Another user opens many generic netlink sockets, each with the smallest
 * receive buffer, subscribes each to every cache and never reads them.
 * Meanwhile root sets keys in a cache that user may read (its events go
 * to every subscriber) and in one it may not (they go to none):
 *
 * - set_allocations_independent_of_subscribers counts the slab
 *   allocations of one SET with failslab's fail-nth (debug kernel; skips
 *   elsewhere): the same with 64 idle subscribers as with one. A writer
 *   that built each subscriber's message itself would allocate one per
 *   subscriber.
 * - set_cost_under_idle_subscribers times blocks of SETs before, during
 *   and after the flood, in the same VM run, and prints the ratio of the
 *   fastest blocks with and without the flood (a figure, not a pass/fail
 *   criterion: times in the emulator are not; fanning events out in the
 *   writer made it about 3000 with 256 subscribers). It fails only if a
 *   SET or the flood fails.
 * - subscriptions_per_user_are_bounded: a uid gets -EDQUOT past
 *   max_subscriptions_per_user; closing one makes room; CAP_SYS_ADMIN is
 *   not bounded.
 * - events_flow_past_idle_subscribers: with the flood in place, a reading
 *   subscriber still gets a marker event.
 *
 * LRUCACHE_SUBFLOOD_SUBS (256, or 64 on the debug kernel) sets the
 * flood's size (make stress: 1000),
 * LRUCACHE_SUBFLOOD_BLOCKS (9) the blocks per phase and cache; the
 * subscribers' per-user bound is raised for the flood and put back.
 */
#include <grp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "abi.h"
#include "nl.h"
#include "../failnth.h"

#define FLOOD_UID	65533
#define FLOOD_WAIT_MS	30000	/* for an event past the flood */
#define SETS_PER_BLOCK	100
#define KEYS		64
#define SUBS_PARAM	PARAM_ROOT "/max_subscriptions_per_user"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* --- the flood ------------------------------------------------------------ */

struct flood {
	pid_t pid;
	int go;			/* closing it ends the flood */
	unsigned int subscribed;
	int first_error;	/* of a SUBSCRIBE that failed, or 0 */
};

/*
 * A child that becomes @uid, opens @n sockets with the smallest receive
 * buffer, subscribes each to every cache and reads nothing; it writes how
 * many subscribed and the first error, then waits until @f->go closes.
 */
static int flood_start(struct flood *f, uid_t uid, unsigned int n)
{
	int ready[2], go[2];
	int res[2] = { 0, 0 };
	struct rlimit rl = { n + 64, n + 64 };

	if (pipe(ready) || pipe(go))
		return -errno;
	f->pid = fork();
	if (f->pid < 0)
		return -errno;
	if (!f->pid) {
		unsigned int i;
		int rcvbuf = 1;
		char c;

		close(ready[0]);
		close(go[1]);
		if (setrlimit(RLIMIT_NOFILE, &rl) ||
		    (uid && (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
			     setresuid(uid, uid, uid))))
			_exit(2);
		for (i = 0; i < n; i++) {
			struct nl_sock *s = malloc(sizeof(*s));
			int ret = s ? nl_open(s) : -ENOMEM;

			if (!ret && setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF,
					       &rcvbuf, sizeof(rcvbuf)))
				ret = -errno;
			if (!ret)
				ret = nl_request(s, s->family,
						 LRUCACHE_CMD_SUBSCRIBE, 2,
						 NULL, 0);
			if (!ret)
				ret = nl_answer(s, 2, NULL);
			if (ret) {
				res[1] = ret;
				break;
			}
			res[0]++;
			/* Kept open, never read: freed when the child exits. */
		}
		if (write(ready[1], res, sizeof(res)) != sizeof(res))
			_exit(3);
		while (read(go[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	f->go = go[1];
	if (read(ready[0], res, sizeof(res)) != sizeof(res)) {
		close(ready[0]);
		return -EPIPE;
	}
	close(ready[0]);
	f->subscribed = res[0];
	f->first_error = res[1];
	return 0;
}

/* Ends the flood: the child closes its sockets by exiting. */
static int flood_stop(struct flood *f)
{
	int st;

	if (f->pid <= 0)
		return 0;
	close(f->go);
	if (waitpid(f->pid, &st, 0) != f->pid)
		return -errno;
	f->pid = 0;
	return WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -ECHILD;
}

/* --- what is measured ------------------------------------------------------ */

/*
 * One block of replacing SETs into *@ns, nanoseconds per SET: 0 or the
 * first SET's -errno.
 */
static int set_block(int fd, uint64_t *round, uint64_t *ns)
{
	char key[16], val[32];
	uint64_t t0;
	int i, ret;

	t0 = mono_ns();
	for (i = 0; i < SETS_PER_BLOCK; i++) {
		snprintf(key, sizeof(key), "k%d", i % KEYS);
		snprintf(val, sizeof(val), "value-%llu",
			 (unsigned long long)(*round)++);
		ret = str_set(fd, key, val);
		if (ret)
			return ret;
	}
	*ns = (mono_ns() - t0) / SETS_PER_BLOCK;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Sorts @v; its smallest and its median value. */
static void spread(uint64_t *v, unsigned int n, uint64_t *min, uint64_t *med)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	*min = v[0];
	*med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * The flood's size: LRUCACHE_SUBFLOOD_SUBS, else 256 (64 on the debug
 * kernel, where every subscription costs a few tens of milliseconds).
 */
static unsigned int flood_size(void)
{
	const char *k = getenv("VM_KERNEL");

	return env_u64("LRUCACHE_SUBFLOOD_SUBS",
		       k && !strcmp(k, "debug") ? 64 : 256);
}

/* --- fixture --------------------------------------------------------------- */

/* A new cache of 1000 entries with @mode: its descriptor, or -errno. */
static int create_mode(const char *name, uint32_t mode)
{
	struct lrucache_open op;
	int fd = dev_open(), err;

	if (fd < 0)
		return fd;
	memset(&op, 0, sizeof(op));
	put_name(op.name, name);
	op.flags = LRUCACHE_OPEN_CREATE | LRUCACHE_OPEN_EXCL;
	op.max_entries = 1000;
	op.mode = mode;
	err = xioctl(fd, LRUCACHE_IOC_OPEN, &op);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

FIXTURE(subflood) {
	char readable[LRUCACHE_NAME_MAX], hidden[LRUCACHE_NAME_MAX];
	int fd_r, fd_h;
	struct flood flood;
	uint64_t saved_param;
	bool have_param;
};

FIXTURE_SETUP(subflood)
{
	if (getuid())
		SKIP(return, "needs root: the flood runs as another uid");
	self->flood.pid = 0;
	self->have_param = !read_u64_file(SUBS_PARAM, &self->saved_param);
	unique_name(self->readable, "flood-r");
	unique_name(self->hidden, "flood-h");
	/* Others may read the first, nothing of the second. */
	self->fd_r = create_mode(self->readable, 0744);
	ASSERT_LE(0, self->fd_r);
	self->fd_h = create_mode(self->hidden, 0700);
	ASSERT_LE(0, self->fd_h);
}

FIXTURE_TEARDOWN(subflood)
{
	flood_stop(&self->flood);
	if (self->have_param)
		write_u64_file(SUBS_PARAM, self->saved_param);
	close(self->fd_r);
	close(self->fd_h);
	cache_destroy(self->readable);
	cache_destroy(self->hidden);
}

/* Raises the per-user bound so that one uid may hold @n subscriptions. */
static void allow_subscriptions(struct _test_data_subflood *self, uint64_t n)
{
	if (self->have_param && self->saved_param < n)
		write_u64_file(SUBS_PARAM, n);
}

/* Slab allocations the next SET of a new key makes in this thread. */
static int set_allocations(int fd, const char *key, unsigned int *allocs)
{
	char left[32];
	int ffd = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	int ret;

	if (ffd < 0)
		return -errno;
	/* Far more than a SET makes: what is left tells how many it made. */
	if (pwrite(ffd, "100000", 6, 0) != 6) {
		close(ffd);
		return -errno;
	}
	ret = str_set(fd, key, "v");
	memset(left, 0, sizeof(left));
	if (pread(ffd, left, sizeof(left) - 1, 0) < 0 ||
	    pwrite(ffd, "0", 1, 0) != 1)
		ret = ret ?: -errno;
	close(ffd);
	if (ret)
		return ret;
	*allocs = 100000 - (unsigned int)strtoul(left, NULL, 10);
	return 0;
}

TEST_F_TIMEOUT(subflood, set_allocations_independent_of_subscribers, 600)
{
	struct failnth f = FAILNTH_INIT;
	unsigned int one, many, i;
	char key[16];

	FAILNTH_BEGIN_OR_SKIP(&f);
	allow_subscriptions(self, 64);

	ASSERT_EQ(0, flood_start(&self->flood, FLOOD_UID, 1));
	ASSERT_EQ(1U, self->flood.subscribed);
	/* The first SETs warm what is allocated once (the hash table). */
	for (i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "warm%u", i);
		ASSERT_EQ(0, str_set(self->fd_r, key, "v"));
	}
	ASSERT_EQ(0, set_allocations(self->fd_r, "one", &one));
	ASSERT_EQ(0, flood_stop(&self->flood));

	ASSERT_EQ(0, flood_start(&self->flood, FLOOD_UID, 64));
	ASSERT_EQ(64U, self->flood.subscribed);
	ASSERT_EQ(0, set_allocations(self->fd_r, "many", &many));
	ASSERT_EQ(0, flood_stop(&self->flood));
	ASSERT_EQ(0, failnth_end(&f));

	TH_LOG("a SET allocates %u times with 1 idle subscriber, %u with 64",
	       one, many);
	EXPECT_EQ(one, many);
}

/*
 * Host load only ever adds time to a block (the emulator's threads are
 * preempted), so each phase is summed up by its fastest block, the
 * median printed beside it.
 */
TEST_F_TIMEOUT(subflood, set_cost_under_idle_subscribers, 600)
{
	unsigned int subs = flood_size();
	unsigned int blocks = env_u64("LRUCACHE_SUBFLOOD_BLOCKS", 9);
	uint64_t *base_r, *base_h, *fl_r, *fl_h, round = 0, t;
	uint64_t min_br, min_bh, min_fr, min_fh, med_br, med_bh, med_fr, med_fh;
	unsigned int i, nb = 0, nf = 0;

	ASSERT_LT(0U, blocks);
	base_r = calloc(2 * blocks, sizeof(*base_r));
	base_h = calloc(2 * blocks, sizeof(*base_h));
	fl_r = calloc(blocks, sizeof(*fl_r));
	fl_h = calloc(blocks, sizeof(*fl_h));
	ASSERT_TRUE(base_r && base_h && fl_r && fl_h);
	allow_subscriptions(self, subs);

	/* Warm up: the keys exist, every later SET replaces. */
	ASSERT_EQ(0, set_block(self->fd_r, &round, &t));
	ASSERT_EQ(0, set_block(self->fd_h, &round, &t));
	for (i = 0; i < blocks; i++, nb++) {
		ASSERT_EQ(0, set_block(self->fd_r, &round, &base_r[nb]));
		ASSERT_EQ(0, set_block(self->fd_h, &round, &base_h[nb]));
	}

	ASSERT_EQ(0, flood_start(&self->flood, FLOOD_UID, subs));
	if (self->flood.subscribed < subs)
		TH_LOG("subscribed %u of %u: %s", self->flood.subscribed, subs,
		       strerror(-self->flood.first_error));
	ASSERT_EQ(subs, self->flood.subscribed);
	for (i = 0; i < blocks; i++, nf++) {
		ASSERT_EQ(0, set_block(self->fd_r, &round, &fl_r[nf]));
		ASSERT_EQ(0, set_block(self->fd_h, &round, &fl_h[nf]));
	}
	ASSERT_EQ(0, flood_stop(&self->flood));

	for (i = 0; i < blocks; i++, nb++) {
		ASSERT_EQ(0, set_block(self->fd_r, &round, &base_r[nb]));
		ASSERT_EQ(0, set_block(self->fd_h, &round, &base_h[nb]));
	}

	spread(base_r, nb, &min_br, &med_br);
	spread(base_h, nb, &min_bh, &med_bh);
	spread(fl_r, nf, &min_fr, &med_fr);
	spread(fl_h, nf, &min_fh, &med_fh);
	TH_LOG("set, readable cache: %llu ns alone, %llu ns with %u idle subscribers (x%.2f; medians %llu and %llu ns)",
	       (unsigned long long)min_br, (unsigned long long)min_fr, subs,
	       (double)min_fr / min_br, (unsigned long long)med_br,
	       (unsigned long long)med_fr);
	TH_LOG("set, hidden cache:   %llu ns alone, %llu ns with %u idle subscribers (x%.2f; medians %llu and %llu ns)",
	       (unsigned long long)min_bh, (unsigned long long)min_fh, subs,
	       (double)min_fh / min_bh, (unsigned long long)med_bh,
	       (unsigned long long)med_fh);
	free(base_r);
	free(base_h);
	free(fl_r);
	free(fl_h);
}

TEST_F_TIMEOUT(subflood, subscriptions_per_user_are_bounded, 300)
{
	struct nl_sock *extra;
	uint64_t bound;

	ASSERT_TRUE(self->have_param) {
		TH_LOG("no %s: subscriptions are not bounded per user",
		       SUBS_PARAM);
	}
	ASSERT_EQ(0, write_u64_file(SUBS_PARAM, 8));
	ASSERT_EQ(0, read_u64_file(SUBS_PARAM, &bound));
	ASSERT_EQ((uint64_t)8, bound);

	/* The ninth of one uid is refused, with nothing changed. */
	ASSERT_EQ(0, flood_start(&self->flood, FLOOD_UID, 9));
	EXPECT_EQ(8U, self->flood.subscribed);
	EXPECT_EQ(-EDQUOT, self->flood.first_error);
	ASSERT_EQ(0, flood_stop(&self->flood));

	/* Closed sockets give their places back. */
	ASSERT_EQ(0, flood_start(&self->flood, FLOOD_UID, 8));
	EXPECT_EQ(8U, self->flood.subscribed);
	ASSERT_EQ(0, flood_stop(&self->flood));

	/* CAP_SYS_ADMIN is not bounded. */
	ASSERT_EQ(0, flood_start(&self->flood, 0, 9));
	EXPECT_EQ(9U, self->flood.subscribed);
	ASSERT_EQ(0, flood_stop(&self->flood));

	/* Subscribing again on a socket replaces, it takes no new place. */
	extra = malloc(sizeof(*extra));
	ASSERT_NE(NULL, extra);
	ASSERT_EQ(0, write_u64_file(SUBS_PARAM, 1));
	ASSERT_EQ(0, setresuid(FLOOD_UID, FLOOD_UID, 0));
	ASSERT_EQ(0, nl_open(extra));
	EXPECT_EQ(0, nl_request(extra, extra->family, LRUCACHE_CMD_SUBSCRIBE,
				2, NULL, 0));
	EXPECT_EQ(0, nl_answer(extra, 2, NULL));
	EXPECT_EQ(0, nl_request(extra, extra->family, LRUCACHE_CMD_SUBSCRIBE,
				3, self->readable, 0));
	EXPECT_EQ(0, nl_answer(extra, 3, NULL));
	ASSERT_EQ(0, setresuid(0, 0, 0));
	close(extra->fd);
	free(extra);
}

TEST_F_TIMEOUT(subflood, events_flow_past_idle_subscribers, 600)
{
	unsigned int subs = flood_size();
	struct nl_event ev;
	struct nl_sock *s;
	uint64_t round = 0, t;
	int ret;

	allow_subscriptions(self, subs);
	ASSERT_EQ(0, flood_start(&self->flood, FLOOD_UID, subs));
	ASSERT_EQ(subs, self->flood.subscribed);
	s = malloc(sizeof(*s));
	ASSERT_NE(NULL, s);
	ASSERT_EQ(0, nl_open(s));
	ASSERT_EQ(0, nl_request(s, s->family, LRUCACHE_CMD_SUBSCRIBE, 2,
				self->readable,
				LRUCACHE_EVENT_BIT(LRUCACHE_EVENT_DELETE)));
	ASSERT_EQ(0, nl_answer(s, 2, NULL));
	/* Sets for the flood, then one delete for the reader. */
	ASSERT_EQ(0, set_block(self->fd_r, &round, &t));
	ASSERT_EQ(0, kv_delete(self->fd_r, "k1", 2));
	t = mono_ns();
	ret = nl_next_event(s, &ev, FLOOD_WAIT_MS);
	TH_LOG("the reader's event came %llu ms after the delete",
	       (unsigned long long)(mono_ns() - t) / 1000000);
	ASSERT_EQ(0, ret);
	EXPECT_EQ((uint32_t)LRUCACHE_EVENT_DELETE, ev.type);
	EXPECT_STREQ("k1", ev.key);
	EXPECT_EQ((uint64_t)1, ev.seq);
	EXPECT_EQ((uint64_t)0, ev.lost);
	close(s->fd);
	free(s);
}

TEST_HARNESS_MAIN
