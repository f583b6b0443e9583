// SPDX-License-Identifier: MIT
/*
 * Scenario 6: saving a cache to a file and bringing it back.
 *
 * A session store is dumped to a JSON file with kcache_serialize(), as a
 * service would before a reboot or a module upgrade, and the file is
 * restored into a new cache with kcache_deserialize(). The entries come
 * back with their values (binary ones too), their remaining TTLs and
 * their LRU order: the next insertion into the full restored cache evicts
 * the session that was least recently used when the dump was taken.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <kcache.h>

static int fail(const char *what, int err)
{
	fprintf(stderr, "dump_restore: %s: %s\n", what, kcache_strerror(err));
	return 1;
}

/* Write @len bytes to a new temporary file; its path goes in @path. */
static int save(const char *json, size_t len, char *path, size_t size)
{
	const char *dir = getenv("TMPDIR");
	FILE *f;
	int fd;

	snprintf(path, size, "%s/kcache-dump-XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);	/* mode 0600: a dump holds the sessions */
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return -errno;
	}
	if (fwrite(json, 1, len, f) != len) {
		fclose(f);
		return -EIO;
	}
	return fclose(f) ? -errno : 0;
}

/* Read the whole file back into a malloc'd buffer. */
static int load(const char *path, char **json, size_t *len)
{
	FILE *f = fopen(path, "r");
	long size;

	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return -EIO;
	}
	*json = malloc((size_t)size + 1);
	if (!*json) {
		fclose(f);
		return -ENOMEM;
	}
	*len = fread(*json, 1, (size_t)size, f);
	fclose(f);
	return *len == (size_t)size ? 0 : -EIO;
}

int main(void)
{
	const unsigned char token[4] = { 0xde, 0xad, 0x00, 0xef };	/* binary */
	char src[64], dst[64], path[256] = "", buf[64], *json = NULL;
	struct kcache *from = NULL, *to = NULL;
	struct kcache_metrics m;
	size_t len;
	int err, n, ret = 1;

	KCACHE_OPTS(opts, .max_size = 3);
	snprintf(src, sizeof(src), "ex-dump-src-%d", (int)getpid());
	snprintf(dst, sizeof(dst), "ex-dump-dst-%d", (int)getpid());

	/* The live store: three sessions, alice's a binary token, read last. */
	err = kcache_open(src, &opts, &from);
	if (err)
		return fail("kcache_open", err);
	if ((err = kcache_set(from, "session:alice", 13, token, sizeof(token),
			      600000)) ||
	    (err = kcache_set(from, "session:bob", 11, "{\"user\":\"bob\"}", 14,
			      600000)) ||
	    (err = kcache_set(from, "session:carol", 13, "{\"user\":\"carol\"}", 16,
			      KCACHE_TTL_NONE))) {
		fail("kcache_set", err);
		goto out;
	}
	if (kcache_get(from, "session:alice", 13, buf, sizeof(buf)) != sizeof(token)) {
		fprintf(stderr, "dump_restore: session:alice is missing\n");
		goto out;
	}

	/* Dump it to a file. The string is ours to free(). */
	err = kcache_serialize(from, &json, &len);
	if (err) {
		fail("kcache_serialize", err);
		goto out;
	}
	err = save(json, len, path, sizeof(path));
	free(json);
	json = NULL;
	if (err) {
		fail("saving the dump", err);
		goto out;
	}
	printf("dumped %s to %s (%zu bytes)\n", src, path, len);

	/* Later, maybe elsewhere: restore the file into a new cache. */
	err = load(path, &json, &len);
	if (err) {
		fail("reading the dump", err);
		goto out;
	}
	err = kcache_open(dst, &opts, &to);
	if (err) {
		fail("kcache_open", err);
		goto out;
	}
	n = kcache_deserialize(to, json, len, KCACHE_RESTORE_REPLACE);
	if (n != 3) {
		fail("kcache_deserialize", n < 0 ? n : -EBADMSG);
		goto out;
	}
	printf("restored %d sessions into %s\n", n, dst);

	/* The TTLs came back: alice and bob expire (counted again from now). */
	err = kcache_get_metrics(to, &m);
	if (err || m.entries != 3 || m.expiring != 2) {
		fprintf(stderr, "dump_restore: expected 3 entries, 2 with a TTL\n");
		goto out;
	}

	/*
	 * So did the LRU order: bob, carol, alice (read last). A fourth
	 * session in this 3-entry cache evicts bob. kcache_exists() looks
	 * without changing the order.
	 */
	if ((err = kcache_set(to, "session:dave", 12, "{\"user\":\"dave\"}", 15,
			      600000))) {
		fail("kcache_set", err);
		goto out;
	}
	if (kcache_exists(to, "session:bob", 11) != 0 ||
	    kcache_exists(to, "session:alice", 13) != 1 ||
	    kcache_exists(to, "session:carol", 13) != 1) {
		fprintf(stderr, "dump_restore: the wrong session was evicted\n");
		goto out;
	}
	printf("adding session:dave evicted session:bob, the least recently used\n");

	/* And the bytes: the binary token and the JSON text, intact. */
	if (kcache_get(to, "session:alice", 13, buf, sizeof(buf)) != sizeof(token) ||
	    memcmp(buf, token, sizeof(token)) ||
	    kcache_get(to, "session:carol", 13, buf, sizeof(buf)) != 16 ||
	    memcmp(buf, "{\"user\":\"carol\"}", 16)) {
		fprintf(stderr, "dump_restore: restored values differ\n");
		goto out;
	}
	printf("session:alice (binary) and session:carol read back intact\n");
	ret = 0;
out:
	free(json);
	if (path[0])
		unlink(path);
	kcache_close(to);
	kcache_close(from);
	kcache_destroy(dst);
	kcache_destroy(src);
	return ret;
}
