// SPDX-License-Identifier: MIT
/*
 * Pattern: an optimistic read-modify-write with versions (compare and
 * swap).
 *
 * An account balance is a value that programs update by reading it,
 * computing the new balance and storing it. Two updaters doing this at
 * once would lose one update if each simply stored its result. Instead
 * each reads the balance with its version (kcache_gets()) and stores with
 * kcache_cas(), which stores only if the entry still has that version;
 * the updater that finds it written meanwhile (-ESTALE) reads again and
 * retries. No lock is held while computing.
 *
 * First the race step by step: A and B both read 100, A stores 110, B's
 * store of 120 is refused, B reads 110 again and stores 130: both
 * deposits count. Then two processes each make UPDATES deposits of 1 at
 * full speed; the balance must end exactly 2 * UPDATES higher, and each
 * process can have failed at most once per store of the other.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <kcache.h>

#define KEY		"balance:alice"
#define UPDATES		500

static int fail(const char *what, int err)
{
	fprintf(stderr, "optimistic_update: %s: %s\n", what,
		kcache_strerror(err));
	return 1;
}

/* Read the balance and its version: 0 or a negative errno. */
static int read_balance(struct kcache *c, long long *balance,
			uint64_t *version)
{
	char buf[32];
	ssize_t len;

	len = kcache_gets(c, KEY, strlen(KEY), buf, sizeof(buf) - 1, version);
	if (len < 0)
		return (int)len;
	if ((size_t)len >= sizeof(buf))
		return -EMSGSIZE;
	buf[len] = 0;
	*balance = strtoll(buf, NULL, 10);
	return 0;
}

/* Store @balance if the entry still has @version: 0, -ESTALE, -errno. */
static int store_balance(struct kcache *c, long long balance,
			 uint64_t version)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%lld", balance);

	return kcache_cas(c, KEY, strlen(KEY), buf, (size_t)len,
			  KCACHE_TTL_NONE, version);
}

/*
 * Deposit @amount: read, add, store if unchanged, else read again.
 * *@retries counts the stores refused. 0 or a negative errno.
 */
static int deposit(struct kcache *c, long long amount, unsigned long *retries)
{
	long long balance;
	uint64_t version;
	int err;

	for (;;) {
		err = read_balance(c, &balance, &version);
		if (err)
			return err;
		err = store_balance(c, balance + amount, version);
		if (err != -ESTALE)
			return err;
		(*retries)++;	/* another updater stored first */
	}
}

/* One of the two concurrent updaters: an exit status. */
static int updater(const char *name, int id)
{
	unsigned long retries = 0;
	struct kcache *c;
	int err, i;

	err = kcache_open(name, NULL, &c);
	if (err)
		return fail("kcache_open", err);
	for (i = 0; i < UPDATES; i++) {
		err = deposit(c, 1, &retries);
		if (err) {
			kcache_close(c);
			return fail("deposit", err);
		}
	}
	kcache_close(c);
	printf("updater %d: %d deposits, %lu retried\n", id, UPDATES, retries);
	fflush(stdout);		/* the child leaves with _exit() */
	/*
	 * A store is refused only if the other updater stored between our
	 * read and our store, and each of its stores falls between one
	 * read and store of ours at most: at most UPDATES refusals.
	 */
	if (retries > UPDATES) {
		fprintf(stderr, "optimistic_update: %lu retries, more than the "
			"other updater's %d stores\n", retries, UPDATES);
		return 1;
	}
	return 0;
}

int main(void)
{
	uint64_t va, vb, vnow;
	long long a, b, now;
	int err, i, status, ret = 1;
	struct kcache *cache;
	pid_t pid[2];
	char name[64];

	KCACHE_OPTS(opts, .max_size = 100);
	snprintf(name, sizeof(name), "ex-cas-%d", (int)getpid());
	err = kcache_open(name, &opts, &cache);
	if (err)
		return fail("kcache_open", err);
	err = kcache_set(cache, KEY, strlen(KEY), "100", 3, KCACHE_TTL_NONE);
	if (err) {
		fail("kcache_set", err);
		goto out;
	}

	/* The race, one step at a time. */
	if ((err = read_balance(cache, &a, &va)) ||
	    (err = read_balance(cache, &b, &vb))) {
		fail("kcache_gets", err);
		goto out;
	}
	printf("A and B read %lld (version %" PRIu64 ")\n", a, va);
	err = store_balance(cache, a + 10, va);
	if (err) {
		fail("A's kcache_cas", err);
		goto out;
	}
	printf("A stores %lld\n", a + 10);
	err = store_balance(cache, b + 20, vb);
	if (err != -ESTALE) {
		fprintf(stderr, "optimistic_update: B's store on an old version "
			"returned %d (%s), not -ESTALE\n", err,
			kcache_strerror(err));
		goto out;
	}
	printf("B's store of %lld refused: %s\n", b + 20, kcache_strerror(err));
	if ((err = read_balance(cache, &b, &vb))) {
		fail("kcache_gets", err);
		goto out;
	}
	if ((err = store_balance(cache, b + 20, vb))) {
		fail("B's second kcache_cas", err);
		goto out;
	}
	printf("B read %lld again (version %" PRIu64 ") and stores %lld\n", b,
	       vb, b + 20);
	if ((err = read_balance(cache, &now, &vnow))) {
		fail("kcache_gets", err);
		goto out;
	}
	if (now != 130 || vnow <= vb || vb <= va) {
		fprintf(stderr, "optimistic_update: balance %lld, versions %"
			PRIu64 " %" PRIu64 " %" PRIu64 "\n", now, va, vb, vnow);
		goto out;
	}
	printf("balance %lld: both deposits counted\n", now);

	/* Two processes at full speed. */
	fflush(stdout);
	for (i = 0; i < 2; i++) {
		pid[i] = fork();
		if (pid[i] < 0) {
			fail("fork", -errno);
			while (i--)
				waitpid(pid[i], NULL, 0);
			goto out;
		}
		if (pid[i] == 0)
			_exit(updater(name, i + 1));
	}
	ret = 0;
	for (i = 0; i < 2; i++) {
		if (waitpid(pid[i], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			ret = 1;
	}
	if (ret)
		goto out;
	ret = 1;
	if ((err = read_balance(cache, &now, &vnow))) {
		fail("kcache_gets", err);
		goto out;
	}
	printf("balance %lld after 2 x %d deposits of 1\n", now, UPDATES);
	if (now != 130 + 2 * UPDATES) {
		fprintf(stderr, "optimistic_update: %lld, not %d: updates lost\n",
			now, 130 + 2 * UPDATES);
		goto out;
	}
	ret = 0;
out:
	kcache_close(cache);
	err = kcache_destroy(name);
	if (err)
		ret = fail("kcache_destroy", err);
	return ret;
}
