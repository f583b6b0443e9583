// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * The tier's state file (tier_state.h): mapping, creating, reading.
 * Compiled into libkcache-tier, lrucache-tierd and kcachectl.
 */
#define _GNU_SOURCE		/* secure_getenv() */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tier_state.h"

#include "kcache_tier.h"

_Static_assert(sizeof(struct tier_state) % 8 == 0, "state layout padded");

uint64_t tier_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t tier_realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

const char *tier_state_dir(const char *override)
{
	const char *d = override;

	if (!d || !*d)
		d = secure_getenv("KCACHE_TIER_DIR");
	if (!d || !*d)
		d = TIER_STATE_DIR;
	return d;
}

int tier_state_path(const char *dir, const char *name, const char *suffix,
		    char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%s%s", dir, name,
			 suffix ? suffix : TIER_STATE_SUFFIX);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static bool layout_ok(const struct tier_state *s, size_t file_size)
{
	return file_size >= sizeof(*s) &&
	       tier_load(&s->magic) == TIER_STATE_MAGIC &&
	       s->version == TIER_STATE_VERSION &&
	       s->size >= sizeof(*s) && s->size <= file_size;
}

int tier_state_map(const char *path, bool writable, struct tier_state **out)
{
	struct stat st;
	void *p;
	int fd, err = 0;

	fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size < sizeof(**out)) {
		err = -EBADMSG;
		goto out;
	}
	p = mmap(NULL, sizeof(**out), PROT_READ | (writable ? PROT_WRITE : 0),
		 MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		err = -errno;
		goto out;
	}
	if (!layout_ok(p, (size_t)st.st_size)) {
		munmap(p, sizeof(**out));
		err = -EBADMSG;
		goto out;
	}
	*out = p;
out:
	close(fd);
	return err;
}

int tier_state_create(const char *path, unsigned int mode, long gid,
		      struct tier_state **out)
{
	struct tier_state *s;
	struct stat st;
	bool fresh;
	int fd, err = 0;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err = errno ? -errno : -EBADMSG;
		goto out;
	}
	/* The umask may have taken bits away: the config's mode is meant. */
	if (fchmod(fd, mode) < 0 ||
	    (gid >= 0 && fchown(fd, (uid_t)-1, (gid_t)gid) < 0)) {
		err = -errno;
		goto out;
	}
	if ((size_t)st.st_size < sizeof(*s) &&
	    ftruncate(fd, sizeof(*s)) < 0) {
		err = -errno;
		goto out;
	}
	s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (s == MAP_FAILED) {
		err = -errno;
		goto out;
	}
	fresh = !layout_ok(s, (size_t)st.st_size < sizeof(*s) ?
			      sizeof(*s) : (size_t)st.st_size);
	if (fresh) {
		/* The magic last: a reader never maps a half-made file. */
		tier_store(&s->magic, 0);
		memset((char *)s + sizeof(s->magic), 0,
		       sizeof(*s) - sizeof(s->magic));
		s->version = TIER_STATE_VERSION;
		s->size = sizeof(*s);
		tier_store(&s->magic, TIER_STATE_MAGIC);
	}
	*out = s;
out:
	close(fd);
	return err;
}

void tier_state_unmap(struct tier_state *s)
{
	if (s)
		munmap(s, sizeof(*s));
}

void tier_state_set_text(struct tier_state *s, char *field, const char *text)
{
	tier_add(&s->text_seq, 1);
	memset(field, 0, TIER_TEXT_MAX);
	snprintf(field, TIER_TEXT_MAX, "%s", text ? text : "");
	tier_add(&s->text_seq, 1);
}

bool tier_state_usable(const struct tier_state *s, uint64_t now_ms)
{
	uint64_t hb, fence;

	if (tier_load(&s->agent_state) != TIER_AGENT_CONNECTED)
		return false;
	hb = tier_load(&s->heartbeat_ms);
	fence = tier_load(&s->fence_ms);
	return now_ms < hb + fence;
}

void tier_state_read(const struct tier_state *s, const struct tier_state *apps,
		     const char *name, struct tier_state_snapshot *snap)
{
	const size_t first = offsetof(struct tier_state, backend_reads) /
			     sizeof(uint64_t);
	const size_t last = offsetof(struct tier_state, text_seq) /
			    sizeof(uint64_t);
	const size_t nums = offsetof(struct tier_state, text_seq) /
			    sizeof(uint64_t);
	const uint64_t *src = (const uint64_t *)s;
	uint64_t *dst = (uint64_t *)&snap->s;
	uint64_t seq, now;
	size_t i;
	int tries;

	memset(snap, 0, sizeof(*snap));
	snprintf(snap->name, sizeof(snap->name), "%s", name);
	for (i = 0; i < nums; i++)
		dst[i] = tier_load(&src[i]);
	/* The application counters live in the .apps file. */
	for (i = first; i < last; i++)
		dst[i] = apps ? tier_load(&((const uint64_t *)apps)[i]) : 0;
	/* The texts: retry while the agent writes them (a bounded number). */
	for (tries = 0; tries < 100; tries++) {
		seq = tier_load(&s->text_seq);
		if (seq & 1)
			continue;
		memcpy(snap->s.servers, s->servers, sizeof(s->servers));
		memcpy(snap->s.prefixes, s->prefixes, sizeof(s->prefixes));
		memcpy(snap->s.last_error, s->last_error,
		       sizeof(s->last_error));
		if (tier_load(&s->text_seq) == seq)
			break;
	}
	snap->s.servers[TIER_TEXT_MAX - 1] = '\0';
	snap->s.prefixes[TIER_TEXT_MAX - 1] = '\0';
	snap->s.last_error[TIER_TEXT_MAX - 1] = '\0';
	now = tier_now_ms();
	snap->heartbeat_age_ms = now > snap->s.heartbeat_ms ?
				 now - snap->s.heartbeat_ms : 0;
	snap->agent_alive = snap->s.agent_state != TIER_AGENT_STOPPED &&
			    snap->heartbeat_age_ms < snap->s.fence_ms;
}

int tier_state_read_name(const char *dir, const char *name,
			 struct tier_state_snapshot *snap)
{
	struct tier_state *s, *apps = NULL;
	char path[4096];
	int err;

	err = tier_state_path(dir, name, NULL, path, sizeof(path));
	if (err)
		return err;
	err = tier_state_map(path, false, &s);
	if (err)
		return err;
	/* No .apps file (or an unreadable one): no application counters. */
	if (!tier_state_path(dir, name, TIER_APPS_SUFFIX, path, sizeof(path)) &&
	    tier_state_map(path, false, &apps))
		apps = NULL;
	tier_state_read(s, apps, name, snap);
	tier_state_unmap(apps);
	tier_state_unmap(s);
	return 0;
}

static int cmp_snap(const void *a, const void *b)
{
	return strcmp(((const struct tier_state_snapshot *)a)->name,
		      ((const struct tier_state_snapshot *)b)->name);
}

int tier_state_list(const char *dir, struct tier_state_snapshot **out)
{
	struct tier_state_snapshot *v = NULL, *nv;
	size_t n = 0, cap = 0, len, sfx = strlen(TIER_STATE_SUFFIX);
	struct dirent *de;
	char name[64];
	DIR *d;

	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len <= sfx ||
		    len - sfx >= sizeof(name) ||
		    strcmp(de->d_name + len - sfx, TIER_STATE_SUFFIX))
			continue;
		memcpy(name, de->d_name, len - sfx);
		name[len - sfx] = '\0';
		if (n == cap) {
			cap = cap ? 2 * cap : 8;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
		}
		/* A file that is not a state file is left out, not fatal. */
		if (!tier_state_read_name(dir, name, &v[n]))
			n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_snap);
	*out = v;
	return (int)n;
}

const char *tier_agent_state_name(uint64_t st)
{
	switch (st) {
	case TIER_AGENT_STOPPED:	return "stopped";
	case TIER_AGENT_CONNECTING:	return "connecting";
	case TIER_AGENT_CONNECTED:	return "connected";
	case TIER_AGENT_BACKOFF:	return "reconnecting";
	default:			return "unknown";
	}
}

const char *tier_backend_name(uint64_t backend)
{
	switch (backend) {
	case KCACHE_TIER_REDIS:		return "redis";
	case KCACHE_TIER_REDIS_CLUSTER:	return "redis-cluster";
	case KCACHE_TIER_MEMCACHED:	return "memcached";
	default:			return "unknown";
	}
}
