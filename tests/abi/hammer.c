// SPDX-License-Identifier: GPL-2.0
/*
 * Rounds of every kind of call a process makes on lrucache, each round
 * opening and closing all it uses: open /dev/lrucache, create or attach
 * to one of two shared caches, SET, GET, a BATCH (set, get, exists,
 * delete), a DUMP read to its end, every eighth round DESTROY; close the
 * device; then a fresh netlink socket looks the family up, SUBSCRIBEs to
 * the cache (to every cache after a DESTROY), reads whatever events came,
 * and is closed.
 *
 * As a test, with the module loaded and nothing else touching these
 * caches, every call of every round must succeed.
 *
 * As a helper of tests/vm/modcycle (LRUCACHE_TEST_HAMMER=ID in the
 * environment; the harness never runs), rounds go on while the module is
 * unloaded and reloaded and other hammers destroy the shared caches,
 * until the file LRUCACHE_TEST_HAMMER_STOP exists or
 * LRUCACHE_TEST_HAMMER_SECONDS (default 300) have passed. Every failure
 * must then be one the code gives for that situation:
 *   open(2) of the device: ENOENT (no node: not loaded), ENODEV (the node
 *     outlived the device, or the module is going: misc_open()), ENXIO
 *     (no driver for the node);
 *   with the device open the module cannot go; another hammer may destroy
 *   the cache: SET, GET, DUMP and batched operations -EIDRM; GET and
 *   batched GET and DELETE -ENOENT (the entry went with the cache);
 *   DUMP -EAGAIN (the cache grew faster than the snapshot was sized);
 *   DESTROY -ENOENT (destroyed by another already);
 *   the family lookup: -ENOENT (not registered: not loaded);
 *   SUBSCRIBE: -ENOENT (the family went since the lookup, or the cache
 *     is not there);
 *   SUBSCRIBE and reading events: ENOBUFS (the socket's receive buffer
 *     overflowed with events of the other hammers' calls, so messages,
 *     possibly the ACK, were dropped: netlink reports it on the next
 *     recv(2)).
 * It prints a count of each outcome and exits 0, or 1 if any call gave
 * anything else (each printed on stderr).
 */
#include "kselftest_harness.h"
#include "abi.h"
#include "nl.h"

#include <sys/stat.h>

#define ENV_HAMMER		"LRUCACHE_TEST_HAMMER"
#define ENV_HAMMER_STOP		"LRUCACHE_TEST_HAMMER_STOP"
#define ENV_HAMMER_SECONDS	"LRUCACHE_TEST_HAMMER_SECONDS"

#define NR_CACHES	2
#define DUMP_BUF	(64 * 1024)

/* The calls of a round. */
enum hop {
	H_OPEN_DEV, H_OPEN, H_SET, H_GET, H_BATCH, H_DUMP, H_READ, H_DESTROY,
	H_FAMILY, H_SUBSCRIBE, H_EVENTS, NR_HOPS
};

static const char *const hop_name[NR_HOPS] = {
	"open-device", "open-cache", "set", "get", "batch", "dump",
	"read-dump", "destroy", "family", "subscribe", "events",
};

/* Outcomes counted per call: success and the errnos below. */
static const int counted[] = {
	0, ENOENT, ENODEV, ENXIO, EIDRM, EAGAIN, ENOBUFS,
};
#define NR_COUNTED	(sizeof(counted) / sizeof(counted[0]))

struct hammer {
	bool strict;		/* every call must succeed */
	unsigned long rounds;
	unsigned long seen[NR_HOPS][NR_COUNTED];
	unsigned long bad;
	char dump[DUMP_BUF];
	struct nl_sock nl;
};

/* Whether @err (0 or -errno) is an outcome @op may have; counts it. */
static bool hammer_note(struct hammer *h, enum hop op, int err)
{
	unsigned int i;
	bool ok;

	switch (-err) {
	case 0:
		ok = true;
		break;
	case ENOENT:
		ok = op == H_OPEN_DEV || op == H_GET || op == H_BATCH ||
		     op == H_DESTROY || op == H_FAMILY || op == H_SUBSCRIBE;
		break;
	case ENODEV:
	case ENXIO:
		ok = op == H_OPEN_DEV;
		break;
	case EIDRM:
		ok = op == H_SET || op == H_GET || op == H_BATCH ||
		     op == H_DUMP;
		break;
	case EAGAIN:
		ok = op == H_DUMP;
		break;
	case ENOBUFS:
		ok = op == H_SUBSCRIBE || op == H_EVENTS;
		break;
	default:
		ok = false;
		break;
	}
	if (h->strict && err)
		ok = false;
	for (i = 0; i < NR_COUNTED; i++)
		if (counted[i] == -err)
			h->seen[op][i]++;
	if (!ok) {
		h->bad++;
		fprintf(stderr, "hammer: round %lu: %s: %s\n", h->rounds,
			hop_name[op], err ? strerror(-err) : "success");
	}
	return ok;
}

/* A batch: set, get, exists and delete of one key. */
static int hammer_batch(struct hammer *h, int fd, const char *key)
{
	char val[32];
	struct lrucache_op ops[4] = {
		{ .opcode = LRUCACHE_OP_SET, .key = (uintptr_t)key,
		  .key_len = strlen(key), .value = (uintptr_t)"batch",
		  .value_len = 5, .ttl_ms = LRUCACHE_TTL_NONE },
		{ .opcode = LRUCACHE_OP_GET, .key = (uintptr_t)key,
		  .key_len = strlen(key), .value = (uintptr_t)val,
		  .value_len = sizeof(val) },
		{ .opcode = LRUCACHE_OP_EXISTS, .key = (uintptr_t)key,
		  .key_len = strlen(key) },
		{ .opcode = LRUCACHE_OP_DELETE, .key = (uintptr_t)key,
		  .key_len = strlen(key) },
	};
	unsigned int i;
	int ret = batch_run(fd, ops, 4);

	if (!hammer_note(h, H_BATCH, ret < 0 ? ret : 0) || ret < 0)
		return ret;
	if (ret != 4) {
		hammer_note(h, H_BATCH, -EPROTO);
		return -EPROTO;
	}
	/* GET gives the value's length, EXISTS 1 (or 0). */
	for (i = 0; i < 4; i++)
		if (ops[i].result != 1 &&
		    !hammer_note(h, H_BATCH, ops[i].result > 0 ? 0 :
					     ops[i].result))
			return ops[i].result;
	return 0;
}

static void hammer_dump(struct hammer *h, int fd)
{
	struct lrucache_dump arg;
	uint64_t got = 0;
	ssize_t r;
	int ret;

	memset(&arg, 0, sizeof(arg));
	ret = xioctl(fd, LRUCACHE_IOC_DUMP, &arg);
	if (!hammer_note(h, H_DUMP, ret) || ret)
		return;
	/* To its end: exactly the bytes announced. */
	do {
		r = read(arg.fd, h->dump, sizeof(h->dump));
		if (r > 0)
			got += r;
	} while (r > 0);
	hammer_note(h, H_READ, r < 0 ? -errno :
			       got == arg.bytes ? 0 : -EPROTO);
	close(arg.fd);
}

/* The device part of a round: false if the device could not be opened. */
static bool hammer_device(struct hammer *h, const char *name)
{
	char key[16], val[32];
	uint32_t len = sizeof(val);
	int fd, ret;

	fd = dev_open();
	if (!hammer_note(h, H_OPEN_DEV, fd < 0 ? fd : 0) || fd < 0)
		return false;
	ret = cache_open(fd, name, LRUCACHE_OPEN_CREATE, 100, 0, 0);
	if (!hammer_note(h, H_OPEN, ret) || ret)
		goto out;
	snprintf(key, sizeof(key), "k%lu", h->rounds % 50);
	ret = kv_set(fd, key, strlen(key), "value", 5, LRUCACHE_TTL_NONE, 0);
	hammer_note(h, H_SET, ret);
	ret = kv_get(fd, key, strlen(key), val, &len);
	hammer_note(h, H_GET, ret < 0 ? ret : 0);
	hammer_batch(h, fd, key);
	hammer_dump(h, fd);
	if (h->rounds % 8 == 7)
		hammer_note(h, H_DESTROY, cache_destroy_on(fd, name));
out:
	close(fd);
	return true;
}

/* The event part: subscribe on a fresh socket, read what is there. */
static void hammer_events(struct hammer *h, const char *name)
{
	struct nl_event ev;
	unsigned int i;
	int ret;

	ret = nl_open(&h->nl);
	if (!hammer_note(h, H_FAMILY, ret) || ret)
		return;
	ret = nl_request(&h->nl, h->nl.family, LRUCACHE_CMD_SUBSCRIBE, 2,
			 name, 0);
	if (!ret)
		ret = nl_answer(&h->nl, 2, NULL);
	if (hammer_note(h, H_SUBSCRIBE, ret) && !ret) {
		/* Whatever came already; bounded. */
		for (i = 0; i < 64; i++) {
			ret = nl_next_event(&h->nl, &ev, 0);
			if (ret)
				break;
		}
		hammer_note(h, H_EVENTS, ret == -ETIMEDOUT ? 0 : ret);
	}
	close(h->nl.fd);
}

static void hammer_round(struct hammer *h, const char *prefix)
{
	char name[LRUCACHE_NAME_MAX];

	snprintf(name, sizeof(name), "%s-%lu", prefix, h->rounds % NR_CACHES);
	if (!hammer_device(h, name)) {
		/* No device: do not spin on it. */
		sleep_ms(1);
	}
	/* After a DESTROY, to every cache. */
	hammer_events(h, h->rounds % 8 == 7 ? NULL : name);
	h->rounds++;
}

static void hammer_report(const struct hammer *h, const char *id)
{
	unsigned int op, i;

	printf("# hammer %s: %lu rounds, %lu unexpected outcomes\n", id,
	       h->rounds, h->bad);
	for (op = 0; op < NR_HOPS; op++) {
		printf("# hammer %s: %-11s", id, hop_name[op]);
		for (i = 0; i < NR_COUNTED; i++)
			printf(" %s %lu", counted[i] ?
			       strerrorname_np(counted[i]) : "ok",
			       h->seen[op][i]);
		printf("\n");
	}
	fflush(stdout);
}

static struct hammer helper;

static void __attribute__((constructor)) hammer_helper(void)
{
	const char *id = getenv(ENV_HAMMER);
	const char *stop = getenv(ENV_HAMMER_STOP);
	const char *secs = getenv(ENV_HAMMER_SECONDS);
	uint64_t end;
	struct stat sb;

	if (!id)
		return;
	end = boottime_ms() + 1000 * (secs ? strtoull(secs, NULL, 10) : 300);
	while (boottime_ms() < end && !(stop && !stat(stop, &sb)))
		hammer_round(&helper, "hammer");
	hammer_report(&helper, id);
	_exit(helper.bad ? 1 : 0);
}

#define ROUNDS	100

TEST(every_round_succeeds_while_loaded)
{
	static struct hammer h = { .strict = true };
	char prefix[LRUCACHE_NAME_MAX], name[LRUCACHE_NAME_MAX + 16];
	unsigned int i;

	unique_name(prefix, "hammer");
	for (i = 0; i < ROUNDS; i++)
		hammer_round(&h, prefix);
	hammer_report(&h, "test");
	ASSERT_EQ(0UL, h.bad);
	ASSERT_EQ((unsigned long)ROUNDS, h.rounds);
	/* Every call counted once per round, as a success. */
	ASSERT_EQ((unsigned long)ROUNDS, h.seen[H_SUBSCRIBE][0]);
	ASSERT_EQ((unsigned long)ROUNDS, h.seen[H_READ][0]);
	ASSERT_EQ((unsigned long)ROUNDS / 8, h.seen[H_DESTROY][0]);
	for (i = 0; i < NR_CACHES; i++) {
		snprintf(name, sizeof(name), "%s-%u", prefix, i);
		cache_destroy(name);
	}
}

TEST_HARNESS_MAIN
