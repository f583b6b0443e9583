// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libkcache: handles, and one small wrapper per ioctl of /dev/lrucache, as
 * libbpf's bpf.c has one per bpf(2) command. The other files build on these
 * (batch.c, memo.c, dump.c, events.c) or read sysfs (sysfs.c).
 *
 * A wrapper fills the uapi structure from its arguments, makes the ioctl
 * and copies the answer out. The kernel validates everything it can see;
 * a wrapper only checks what cannot reach it intact (NULL handles, lengths
 * beyond the ABI's 32-bit fields, names beyond the 64-byte field), maps
 * the device's absence to -ENODEV, and passes flags through with the
 * uapi's own values, so that a flag a newer module knows works without a
 * new library, and one it does not know is refused by the kernel
 * (-EINVAL). To add an ioctl: a wrapper here, its declaration and
 * documentation in kcache.h, a new version node in libkcache.map.
 *
 * Nothing here is global: a handle is an fd and a copy of the name, both
 * read-only after kcache_open(), so handles are safe to share between
 * threads (see kcache.h). The event hooks of a handle, and their netlink
 * socket, live in events.c.
 */
#define _GNU_SOURCE		/* secure_getenv() */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kcache_internal.h"

/* The structures with a reserved tail keep their size as fields are added. */
_Static_assert(sizeof(struct kcache_metrics) == 32 * sizeof(uint64_t),
	       "struct kcache_metrics changed size");
_Static_assert(sizeof(struct kcache_health) == 6 * sizeof(uint64_t),
	       "struct kcache_health changed size");
_Static_assert(sizeof(struct kcache_info) == 184,
	       "struct kcache_info changed size");
_Static_assert(sizeof(struct kcache_reap_result) == 8 * sizeof(uint64_t),
	       "struct kcache_reap_result changed size");
_Static_assert(sizeof(struct kcache_totals) == 32 * sizeof(uint64_t),
	       "struct kcache_totals changed size");

static int do_ioctl(int fd, unsigned long cmd, void *arg)
{
	int ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

static int open_device(void)
{
	const char *path = secure_getenv("KCACHE_DEVICE");
	int fd;

	if (!path || !*path)
		path = KCACHE_DEVICE_PATH;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	/*
	 * No node, or a node whose driver is gone: either way the module is
	 * not loaded. Report it as -ENODEV so that callers can tell it from
	 * the -ENOENT of a missing cache or key.
	 */
	if (errno == ENOENT || errno == ENXIO || errno == ENODEV)
		return -ENODEV;
	return -errno;
}

/* Copy @name into the ABI's zero-padded, NUL-terminated name field. */
static int put_name(char dst[LRUCACHE_NAME_MAX], const char *name)
{
	size_t len;

	if (!name)
		return -EINVAL;
	len = strnlen(name, LRUCACHE_NAME_MAX);
	if (len >= LRUCACHE_NAME_MAX)
		return -EINVAL;
	memset(dst, 0, LRUCACHE_NAME_MAX);
	memcpy(dst, name, len);
	return 0;
}

KCACHE_SYMVER_DEFAULT(kcache_open_v1_9, kcache_open, KCACHE_1.9);
KCACHE_API int kcache_open_v1_9(const char *name,
				const struct kcache_options *uopts,
				struct kcache **out);

int kcache_open_v1_9(const char *name, const struct kcache_options *uopts,
		     struct kcache **out)
{
	struct lrucache_open arg;
	struct kcache_options opts;
	struct kcache *c;
	int err;

	if (!out)
		return -EINVAL;
	memset(&arg, 0, sizeof(arg));
	err = put_name(arg.name, name);
	if (err)
		return err;
	if (uopts) {
		/* The first version ends with flags. */
		err = KCACHE_OPTS_GET(uopts, &opts, flags);
		if (err)
			return err;
		/* Options create; everything else is the kernel's to judge. */
		arg.flags = LRUCACHE_OPEN_CREATE | opts.flags;
		arg.reserved = opts.reserved;
		arg.max_entries = opts.max_size;
		arg.max_bytes = opts.max_memory_bytes;
		arg.default_ttl_ms = opts.default_ttl_ms;
		arg.cleanup_interval_ms = opts.cleanup_interval_ms;
		arg.mode = opts.mode;
		arg.reserved2 = opts.reserved2;
	}

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	memcpy(c->name, arg.name, sizeof(c->name));

	c->fd = open_device();
	if (c->fd < 0) {
		err = c->fd;
		goto err_free;
	}
	err = do_ioctl(c->fd, LRUCACHE_IOC_OPEN, &arg);
	/*
	 * A module older than cleanup_interval_ms (or mode, or reserved2)
	 * answers -E2BIG when those bytes are not zero. Report that as the
	 * setting it cannot take, the way it reports a flag it does not know.
	 */
	if (err == -E2BIG && (arg.cleanup_interval_ms || arg.mode ||
			      arg.reserved2))
		err = -EINVAL;
	if (err < 0)
		goto err_close;
	kcache_map_attach(c);

	*out = c;
	return 0;

err_close:
	close(c->fd);
err_free:
	free(c);
	return err;
}

/*
 * libkcache 1.0 to 1.8 numbered struct kcache_options.flags itself (EXCL
 * bit 0, NO_METRICS bit 1) and refused every other bit and nonzero
 * reserved fields. Binaries linked against those versions keep exactly
 * that: their flags are checked and translated here.
 */
#define KCACHE_1_0_OPEN_EXCL		(1U << 0)
#define KCACHE_1_0_OPEN_NO_METRICS	(1U << 1)

KCACHE_SYMVER_COMPAT(kcache_open_v1_0, kcache_open, KCACHE_1.0);
KCACHE_API int kcache_open_v1_0(const char *name,
				const struct kcache_options *uopts,
				struct kcache **out);

int kcache_open_v1_0(const char *name, const struct kcache_options *uopts,
		     struct kcache **out)
{
	struct kcache_options opts;
	int err;

	if (!uopts)
		return kcache_open_v1_9(name, NULL, out);
	err = KCACHE_OPTS_GET(uopts, &opts, flags);
	if (err)
		return err;
	if ((opts.flags & ~(KCACHE_1_0_OPEN_EXCL | KCACHE_1_0_OPEN_NO_METRICS)) ||
	    opts.reserved || opts.reserved2)
		return -EINVAL;
	opts.sz = sizeof(opts);
	opts.flags = (opts.flags & KCACHE_1_0_OPEN_EXCL ? KCACHE_OPEN_EXCL : 0) |
		     (opts.flags & KCACHE_1_0_OPEN_NO_METRICS ?
		      KCACHE_OPEN_NO_METRICS : 0);
	return kcache_open_v1_9(name, &opts, out);
}

void kcache_close(struct kcache *c)
{
	if (!c)
		return;
	kcache_events_free(c);
	kcache_map_detach(c);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

int kcache_destroy(const char *name)
{
	struct lrucache_destroy arg;
	int fd, err;

	memset(&arg, 0, sizeof(arg));
	err = put_name(arg.name, name);
	if (err)
		return err;
	fd = open_device();
	if (fd < 0)
		return fd;
	err = do_ioctl(fd, LRUCACHE_IOC_DESTROY, &arg);
	close(fd);
	return err < 0 ? err : 0;
}

/*
 * SET, GET, EXISTS and DELETE need only version 0 of struct lrucache_kv,
 * and send that: its 40 bytes cross into the kernel faster than the whole
 * structure, and an ioctl number carries the size it was sent with.
 */
#define KV0_CMD(cmd) (((cmd) & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT)) | \
		      (LRUCACHE_KV_SIZE_VER0 << _IOC_SIZESHIFT))

_Static_assert(offsetof(struct lrucache_kv, cas) == LRUCACHE_KV_SIZE_VER0,
	       "version 0 of struct lrucache_kv ends before cas");

/* One struct lrucache_kv operation; lengths checked against the ABI only. */
static int kv_ioctl(struct kcache *c, unsigned long cmd,
		    const void *key, size_t klen, const void *val, size_t vlen,
		    uint64_t ttl_ms, uint32_t flags)
{
	struct lrucache_kv kv;

	if (!c)
		return -EINVAL;
	if (klen > UINT32_MAX || vlen > UINT32_MAX)
		return -E2BIG;
	memset(&kv, 0, sizeof(kv));
	kv.key = (uintptr_t)key;
	kv.key_len = (uint32_t)klen;
	kv.value = (uintptr_t)val;
	kv.value_len = (uint32_t)vlen;
	kv.ttl_ms = ttl_ms;
	kv.flags = flags;
	return do_ioctl(c->fd, KV0_CMD(cmd), &kv);
}

/*
 * The other commands on one key, with the whole structure: @kv is the
 * caller's, zeroed and filled but for the key and value.
 */
static int key_ioctl(struct kcache *c, unsigned long cmd, const void *key,
		     size_t klen, const void *val, size_t vlen,
		     struct lrucache_kv *kv)
{
	if (!c)
		return -EINVAL;
	if (klen > UINT32_MAX || vlen > UINT32_MAX)
		return -E2BIG;
	kv->key = (uintptr_t)key;
	kv->key_len = (uint32_t)klen;
	kv->value = (uintptr_t)val;
	kv->value_len = (uint32_t)vlen;
	return do_ioctl(c->fd, cmd, kv);
}

/* No value can be 4 GiB long: a larger buffer is described as 4 GiB. */
static size_t buf_len(size_t buflen)
{
	return buflen > UINT32_MAX ? UINT32_MAX : buflen;
}


int kcache_set(struct kcache *c, const void *key, size_t klen,
	       const void *val, size_t vlen, uint64_t ttl_ms)
{
	return kv_ioctl(c, LRUCACHE_IOC_SET, key, klen, val, vlen, ttl_ms, 0);
}

int kcache_add(struct kcache *c, const void *key, size_t klen,
	       const void *val, size_t vlen, uint64_t ttl_ms)
{
	return kv_ioctl(c, LRUCACHE_IOC_SET, key, klen, val, vlen, ttl_ms,
			LRUCACHE_SET_NX);
}

int kcache_replace(struct kcache *c, const void *key, size_t klen,
		   const void *val, size_t vlen, uint64_t ttl_ms)
{
	return kv_ioctl(c, LRUCACHE_IOC_SET, key, klen, val, vlen, ttl_ms,
			LRUCACHE_SET_XX);
}

ssize_t kcache_get(struct kcache *c, const void *key, size_t klen,
		   void *buf, size_t buflen)
{
	if (c && c->map.base && key) {
		ssize_t ret = kcache_map_get(c, key, klen, buf, buflen);

		if (ret != KCACHE_MAP_FALLBACK)
			return ret;
	}
	return kv_ioctl(c, LRUCACHE_IOC_GET, key, klen, buf, buf_len(buflen),
			0, 0);
}

int kcache_exists(struct kcache *c, const void *key, size_t klen)
{
	return kv_ioctl(c, LRUCACHE_IOC_EXISTS, key, klen, NULL, 0, 0, 0);
}

int kcache_delete(struct kcache *c, const void *key, size_t klen)
{
	return kv_ioctl(c, LRUCACHE_IOC_DELETE, key, klen, NULL, 0, 0, 0);
}

ssize_t kcache_gets(struct kcache *c, const void *key, size_t klen,
		    void *buf, size_t buflen, uint64_t *version)
{
	struct lrucache_kv kv;
	int ret;

	memset(&kv, 0, sizeof(kv));
	ret = key_ioctl(c, LRUCACHE_IOC_GET, key, klen, buf, buf_len(buflen),
			&kv);
	if (version)
		*version = ret >= 0 ? kv.cas : 0;
	return ret;
}

int kcache_cas(struct kcache *c, const void *key, size_t klen,
	       const void *val, size_t vlen, uint64_t ttl_ms, uint64_t version)
{
	struct lrucache_kv kv;

	memset(&kv, 0, sizeof(kv));
	kv.ttl_ms = ttl_ms;
	kv.flags = LRUCACHE_SET_CAS;
	kv.cas = version;
	return key_ioctl(c, LRUCACHE_IOC_SET, key, klen, val, vlen, &kv);
}

int kcache_incr(struct kcache *c, const void *key, size_t klen, int64_t delta,
		int64_t initial, uint64_t ttl_ms, int64_t *value)
{
	struct lrucache_kv kv;
	int ret;

	memset(&kv, 0, sizeof(kv));
	kv.delta = delta;
	kv.number = initial;
	kv.ttl_ms = ttl_ms;
	ret = key_ioctl(c, LRUCACHE_IOC_INCR, key, klen, NULL, 0, &kv);
	if (!ret && value)
		*value = kv.number;
	return ret;
}

int kcache_decr(struct kcache *c, const void *key, size_t klen, int64_t delta,
		int64_t initial, uint64_t ttl_ms, int64_t *value)
{
	/* Subtracting INT64_MIN is adding 2^63: no delta can say it. */
	if (delta == INT64_MIN)
		return c ? -EOVERFLOW : -EINVAL;
	return kcache_incr(c, key, klen, -delta, initial, ttl_ms, value);
}

int kcache_touch(struct kcache *c, const void *key, size_t klen,
		 uint64_t ttl_ms)
{
	struct lrucache_kv kv;

	memset(&kv, 0, sizeof(kv));
	kv.ttl_ms = ttl_ms;
	return key_ioctl(c, LRUCACHE_IOC_TOUCH, key, klen, NULL, 0, &kv);
}

ssize_t kcache_getex(struct kcache *c, const void *key, size_t klen,
		     void *buf, size_t buflen, uint64_t ttl_ms)
{
	struct lrucache_kv kv;

	memset(&kv, 0, sizeof(kv));
	kv.ttl_ms = ttl_ms;
	return key_ioctl(c, LRUCACHE_IOC_GETEX, key, klen, buf,
			 buf_len(buflen), &kv);
}

int kcache_ttl(struct kcache *c, const void *key, size_t klen,
	       uint64_t *ttl_ms)
{
	struct lrucache_kv kv;
	int ret;

	if (!ttl_ms)
		return -EINVAL;
	memset(&kv, 0, sizeof(kv));
	ret = key_ioctl(c, LRUCACHE_IOC_TTL, key, klen, NULL, 0, &kv);
	*ttl_ms = ret ? 0 : (uint64_t)kv.number;
	return ret;
}

ssize_t kcache_getdel(struct kcache *c, const void *key, size_t klen,
		      void *buf, size_t buflen)
{
	struct lrucache_kv kv;

	memset(&kv, 0, sizeof(kv));
	return key_ioctl(c, LRUCACHE_IOC_GETDEL, key, klen, buf,
			 buf_len(buflen), &kv);
}

int kcache_delete_prefix(struct kcache *c, const void *prefix, size_t plen)
{
	struct lrucache_kv kv;

	memset(&kv, 0, sizeof(kv));
	return key_ioctl(c, LRUCACHE_IOC_DELETE_PREFIX, prefix, plen, NULL, 0,
			 &kv);
}

ssize_t kcache_get_lease(struct kcache *c, const void *key, size_t klen,
			 void *buf, size_t buflen, uint64_t lease_ms,
			 uint64_t refresh_ms, struct kcache_lease *lease)
{
	struct lrucache_kv kv;
	int ret;

	if (!lease)
		return -EINVAL;
	memset(lease, 0, sizeof(*lease));
	memset(&kv, 0, sizeof(kv));
	kv.flags = LRUCACHE_GET_LEASE;
	kv.ttl_ms = lease_ms ? lease_ms : KCACHE_TTL_DEFAULT;
	kv.refresh_ms = refresh_ms;
	ret = key_ioctl(c, LRUCACHE_IOC_GET, key, klen, buf, buf_len(buflen),
			&kv);
	if (ret >= 0 || ret == -ENOENT) {
		lease->status = kv.status;
		lease->token = kv.lease;
		lease->version = kv.cas;
	}
	return ret;
}

int kcache_set_leased(struct kcache *c, const void *key, size_t klen,
		      const void *val, size_t vlen, uint64_t ttl_ms,
		      uint64_t token)
{
	struct lrucache_kv kv;

	memset(&kv, 0, sizeof(kv));
	kv.ttl_ms = ttl_ms;
	kv.flags = LRUCACHE_SET_LEASE;
	kv.lease = token;
	return key_ioctl(c, LRUCACHE_IOC_SET, key, klen, val, vlen, &kv);
}

int kcache_lease_release(struct kcache *c, const void *key, size_t klen,
			 uint64_t token)
{
	struct lrucache_kv kv;

	memset(&kv, 0, sizeof(kv));
	kv.lease = token;
	return key_ioctl(c, LRUCACHE_IOC_LEASE_RELEASE, key, klen, NULL, 0,
			 &kv);
}

int kcache_lease_wait(struct kcache *c, const void *key, size_t klen,
		      uint64_t timeout_ms)
{
	struct lrucache_kv kv;

	memset(&kv, 0, sizeof(kv));
	kv.ttl_ms = timeout_ms;
	return key_ioctl(c, LRUCACHE_IOC_LEASE_WAIT, key, klen, NULL, 0, &kv);
}

/* The commands that take no argument: CLEAR and RESET_STATS. */
static int noarg_ioctl(struct kcache *c, unsigned long cmd)
{
	if (!c)
		return -EINVAL;
	return ioctl(c->fd, cmd) < 0 ? -errno : 0;
}

int kcache_clear(struct kcache *c)
{
	return noarg_ioctl(c, LRUCACHE_IOC_CLEAR);
}

int kcache_get_metrics(struct kcache *c, struct kcache_metrics *m)
{
	struct lrucache_stats st;
	uint64_t lookups;
	int err;

	if (!c || !m)
		return -EINVAL;
	memset(&st, 0, sizeof(st));
	err = do_ioctl(c->fd, LRUCACHE_IOC_STATS, &st);
	if (err < 0)
		return err;

	memset(m, 0, sizeof(*m));
	m->hits = st.hits;
	m->misses = st.misses;
	lookups = st.hits + st.misses;
	m->hit_rate = lookups ? (double)st.hits / (double)lookups : 0.0;
	m->sets = st.sets;
	m->deletes = st.deletes;
	m->evictions = st.evictions;
	m->expirations = st.expirations;
	m->entries = st.entries;
	m->bytes = st.bytes;
	m->max_entries = st.max_entries;
	m->max_bytes = st.max_bytes;
	m->default_ttl_ms = st.default_ttl_ms;
	m->entry_overhead = st.entry_overhead;
	/* An older module zeroes the tail it does not know: these read 0. */
	m->reaped = st.reaped;
	m->reclaimed = st.reclaimed;
	m->reaper_runs = st.reaper_runs;
	m->reaper_ns = st.reaper_ns;
	m->expiring = st.expiring;
	m->data_bytes = st.data_bytes;
	m->leases = st.leases;
	m->lease_grants = st.lease_grants;
	m->stale_fills = st.stale_fills;
	return 0;
}

int kcache_reset_metrics(struct kcache *c)
{
	return noarg_ioctl(c, LRUCACHE_IOC_RESET_STATS);
}

int kcache_health_check(struct kcache *c, struct kcache_health *h)
{
	struct lrucache_health kh;
	int err;

	if (!c || !h)
		return -EINVAL;
	memset(&kh, 0, sizeof(kh));
	err = do_ioctl(c->fd, LRUCACHE_IOC_HEALTH, &kh);
	if (err < 0)
		return err;

	/* The kernel's status and reasons, as they are. */
	memset(h, 0, sizeof(*h));
	h->status = (int)kh.status;
	h->reasons = kh.reasons;
	h->memory_pct = kh.memory_pct;
	h->hit_rate_pct = kh.hit_rate_pct;
	h->reaper_late_ms = kh.reaper_late_ms;
	return 0;
}

const char *kcache_health_status_name(int status)
{
	switch (status) {
	case KCACHE_HEALTHY:
		return "healthy";
	case KCACHE_DEGRADED:
		return "degraded";
	case KCACHE_UNHEALTHY:
		return "unhealthy";
	default:
		return "unknown";
	}
}

KCACHE_SYMVER_DEFAULT(kcache_get_info_v1_9, kcache_get_info, KCACHE_1.9);
KCACHE_API int kcache_get_info_v1_9(struct kcache *c,
				    struct kcache_info *info);

int kcache_get_info_v1_9(struct kcache *c, struct kcache_info *info)
{
	struct lrucache_info ki;
	int err;

	if (!c || !info)
		return -EINVAL;
	memset(&ki, 0, sizeof(ki));
	err = do_ioctl(c->fd, LRUCACHE_IOC_INFO, &ki);
	if (err < 0)
		return err;

	memset(info, 0, sizeof(*info));
	/* The kernel NUL-terminates; do not rely on it beyond the field. */
	memcpy(info->name, ki.name, sizeof(info->name) - 1);
	info->max_entries = ki.max_entries;
	info->max_bytes = ki.max_bytes;
	info->default_ttl_ms = ki.default_ttl_ms;
	info->entry_overhead = ki.entry_overhead;
	info->created_ns = ki.created_ns;
	info->owner_uid = ki.owner_uid;
	info->owner_gid = ki.owner_gid;
	info->flags = ki.flags;
	info->mode = ki.mode;
	info->cleanup_interval_ms = ki.cleanup_interval_ms;
	info->metrics_enabled = !!(ki.flags & LRUCACHE_INFO_METRICS);
	return 0;
}

/*
 * struct kcache_info as libkcache 1.2 to 1.8 laid it out (fields 1.4 and
 * 1.7 took from reserved included), with a bool and padding the compiler
 * places per ABI. Binaries linked against those versions get it filled
 * as before, padding zeroed.
 */
struct kcache_info_v1_2 {
	char name[KCACHE_NAME_MAX + 1];
	uint64_t max_entries;
	uint64_t max_bytes;
	uint64_t default_ttl_ms;
	uint64_t entry_overhead;
	uint64_t created_ns;
	uint32_t owner_uid;
	uint32_t owner_gid;
	bool metrics_enabled;
	uint64_t cleanup_interval_ms;
	uint32_t mode;
	uint32_t reserved_pad;
	uint64_t reserved[6];
};

KCACHE_SYMVER_COMPAT(kcache_get_info_v1_2, kcache_get_info, KCACHE_1.2);
KCACHE_API int kcache_get_info_v1_2(struct kcache *c,
				    struct kcache_info_v1_2 *old);

int kcache_get_info_v1_2(struct kcache *c, struct kcache_info_v1_2 *old)
{
	struct kcache_info info;
	int err;

	if (!old)
		return -EINVAL;
	err = kcache_get_info_v1_9(c, &info);
	if (err)
		return err;
	memset(old, 0, sizeof(*old));
	memcpy(old->name, info.name, sizeof(old->name));
	old->max_entries = info.max_entries;
	old->max_bytes = info.max_bytes;
	old->default_ttl_ms = info.default_ttl_ms;
	old->entry_overhead = info.entry_overhead;
	old->created_ns = info.created_ns;
	old->owner_uid = info.owner_uid;
	old->owner_gid = info.owner_gid;
	old->metrics_enabled = info.metrics_enabled;
	old->cleanup_interval_ms = info.cleanup_interval_ms;
	old->mode = info.mode;
	return 0;
}

int kcache_reap(struct kcache *c, unsigned int flags,
		struct kcache_reap_result *res)
{
	struct lrucache_reap arg;
	int err;

	if (!c)
		return -EINVAL;
	memset(&arg, 0, sizeof(arg));
	arg.flags = flags;
	err = do_ioctl(c->fd, LRUCACHE_IOC_REAP, &arg);
	if (err < 0)
		return err;
	if (res) {
		memset(res, 0, sizeof(*res));
		res->freed = arg.freed;
		res->visited = arg.visited;
		res->elapsed_ns = arg.elapsed_ns;
	}
	return 0;
}

int kcache_cleanup_expired(struct kcache *c)
{
	struct kcache_reap_result res;
	int err = kcache_reap(c, 0, &res);

	if (err)
		return err;
	/* A cache holds at most 1 << 24 entries; clamp all the same. */
	return res.freed > INT_MAX ? INT_MAX : (int)res.freed;
}

static int batch_raw(struct kcache *c, void *ops, unsigned int n,
		     uint32_t op_size)
{
	struct lrucache_batch batch;

	if (!c)
		return -EINVAL;
	memset(&batch, 0, sizeof(batch));
	batch.ops = (uintptr_t)ops;
	batch.count = n;
	batch.op_size = op_size;
	return do_ioctl(c->fd, LRUCACHE_IOC_BATCH, &batch);
}

KCACHE_SYMVER_DEFAULT(kcache_batch_raw_v1_10, kcache_batch_raw, KCACHE_1.10);
KCACHE_API int kcache_batch_raw_v1_10(struct kcache *c,
				      struct lrucache_op *ops, unsigned int n);
int kcache_batch_raw_v1_10(struct kcache *c, struct lrucache_op *ops,
			   unsigned int n)
{
	return batch_raw(c, ops, n, sizeof(*ops));
}

/*
 * Programs linked before 1.10 pass operations of the size their header
 * gave struct lrucache_op then: version 0, LRUCACHE_OP_SIZE_VER0 bytes.
 */
KCACHE_SYMVER_COMPAT(kcache_batch_raw_v1_0, kcache_batch_raw, KCACHE_1.0);
KCACHE_API int kcache_batch_raw_v1_0(struct kcache *c, void *ops,
				     unsigned int n);
int kcache_batch_raw_v1_0(struct kcache *c, void *ops, unsigned int n)
{
	return batch_raw(c, ops, n, LRUCACHE_OP_SIZE_VER0);
}

const char *kcache_strerror(int err)
{
	if (err == INT_MIN)
		return "unknown error";
	if (err < 0)
		err = -err;

	switch (err) {
	case 0:
		return "success";
	case ENOENT:
		return "no such cache or key";
	case ENODEV:
		return "lrucache device not found (is the lrucache module loaded?)";
	case EIDRM:
		return "cache was destroyed";
	case EBADFD:
		return "descriptor is not bound to a cache";
	case EBUSY:
		return "descriptor is already bound to a cache";
	case E2BIG:
		return "key or value too large for this cache";
	case ENOSPC:
		return "memory limit of all lrucache caches reached (max_total_bytes)";
	case EEXIST:
		return "cache or key already exists";
	case EINVAL:
		return "invalid argument (name, length, TTL, limit, flags or reserved field)";
	case ENOTTY:
		return "operation not supported by this device (not lrucache, or an older module)";
	case EFAULT:
		return "bad address for a key, value or buffer";
	case ENOMEM:
		return "out of memory";
	case EACCES:
		return "permission denied by the cache's mode";
	case EPERM:
		return "operation not permitted";
	case EDQUOT:
		return "quota of caches or bytes of this user reached";
	case EBADMSG:
		return "malformed, truncated or invalid dump document";
	case EPROTONOSUPPORT:
		return "dump document of an unknown format or version";
	case EOPNOTSUPP:
		return "not supported by this lrucache module (an older one?)";
	case ESTALE:
		return "entry or lease changed since it was read (version or lease no longer holds)";
	case EOVERFLOW:
		return "counter would leave the signed 64-bit range";
	case ETIMEDOUT:
		return "timed out waiting for another caller's lease";
	case EDEADLK:
		return "waiting for a lease this thread holds itself";
	case ELIBACC:
		return "library not installed: " KCACHE_JANSSON_SONAME
		       " (JSON dump and restore) or " KCACHE_LIBNL_GENL_SONAME
		       " (events)";
	default:
		return strerror(err);
	}
}

int kcache_fd(const struct kcache *c)
{
	if (!c)
		return -EINVAL;
	return c->fd >= 0 ? c->fd : -EBADF;	/* kcache_watch_all() */
}

const char *kcache_name(const struct kcache *c)
{
	return c ? c->name : NULL;
}
