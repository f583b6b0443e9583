// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libkcache: each public function is one ioctl on /dev/lrucache.
 *
 * The kernel validates everything it can see; this file only checks what
 * cannot reach it intact (NULL handles, lengths beyond the ABI's 32-bit
 * fields, names beyond the 64-byte field) and maps the device's absence to
 * -ENODEV. Nothing here is global: a handle is an fd and a copy of the name,
 * both read-only after kcache_open(), so handles are safe to share between
 * threads (see kcache.h).
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

#include "kcache.h"

struct kcache {
	int fd;
	char name[LRUCACHE_NAME_MAX];
};

/* The first published struct kcache_options ends with its flags. */
#define KCACHE_OPTS_SZ_V1 \
	(offsetof(struct kcache_options, flags) + sizeof(uint32_t))

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

/*
 * Read the caller's options, whatever version of the structure it was
 * built with: shorter is fine if it holds the first version's fields,
 * longer is fine if the bytes this library does not know are zero.
 */
static int get_options(const struct kcache_options *uopts,
		       struct kcache_options *opts)
{
	size_t sz = uopts->sz;

	if (sz < KCACHE_OPTS_SZ_V1)
		return -EINVAL;
	if (sz > sizeof(*opts)) {
		const unsigned char *tail = (const unsigned char *)uopts;
		size_t i;

		for (i = sizeof(*opts); i < sz; i++)
			if (tail[i])
				return -EINVAL;
		sz = sizeof(*opts);
	}
	memset(opts, 0, sizeof(*opts));
	memcpy(opts, uopts, sz);
	if ((opts->flags & ~KCACHE_OPEN_EXCL) || opts->reserved)
		return -EINVAL;
	return 0;
}

int kcache_open(const char *name, const struct kcache_options *uopts,
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
		err = get_options(uopts, &opts);
		if (err)
			return err;
		arg.flags = LRUCACHE_OPEN_CREATE;
		if (opts.flags & KCACHE_OPEN_EXCL)
			arg.flags |= LRUCACHE_OPEN_EXCL;
		arg.max_entries = opts.max_size;
		arg.max_bytes = opts.max_memory_bytes;
		arg.default_ttl_ms = opts.default_ttl_ms;
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
	if (err < 0)
		goto err_close;

	*out = c;
	return 0;

err_close:
	close(c->fd);
err_free:
	free(c);
	return err;
}

void kcache_close(struct kcache *c)
{
	if (!c)
		return;
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
	return do_ioctl(c->fd, cmd, &kv);
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
	/*
	 * No value can be 4 GiB long, so a larger buffer can be described as
	 * a 4 GiB one without changing the outcome.
	 */
	if (buflen > UINT32_MAX)
		buflen = UINT32_MAX;
	return kv_ioctl(c, LRUCACHE_IOC_GET, key, klen, buf, buflen, 0, 0);
}

int kcache_exists(struct kcache *c, const void *key, size_t klen)
{
	return kv_ioctl(c, LRUCACHE_IOC_EXISTS, key, klen, NULL, 0, 0, 0);
}

int kcache_delete(struct kcache *c, const void *key, size_t klen)
{
	return kv_ioctl(c, LRUCACHE_IOC_DELETE, key, klen, NULL, 0, 0, 0);
}

int kcache_clear(struct kcache *c)
{
	int ret;

	if (!c)
		return -EINVAL;
	ret = ioctl(c->fd, LRUCACHE_IOC_CLEAR);
	return ret < 0 ? -errno : 0;
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
	return 0;
}

int kcache_batch_raw(struct kcache *c, struct lrucache_op *ops, unsigned int n)
{
	struct lrucache_batch batch;

	if (!c)
		return -EINVAL;
	memset(&batch, 0, sizeof(batch));
	batch.ops = (uintptr_t)ops;
	batch.count = n;
	batch.op_size = sizeof(*ops);
	return do_ioctl(c->fd, LRUCACHE_IOC_BATCH, &batch);
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
	case EEXIST:
		return "cache or key already exists";
	case EINVAL:
		return "invalid argument (name, length, TTL, flags or reserved field)";
	case ENOTTY:
		return "operation not supported by this device (not lrucache, or an older module)";
	case EFAULT:
		return "bad address for a key, value or buffer";
	case ENOMEM:
		return "out of memory";
	case EACCES:
	case EPERM:
		return "permission denied on the lrucache device";
	default:
		return strerror(err);
	}
}

int kcache_fd(const struct kcache *c)
{
	return c ? c->fd : -EINVAL;
}

const char *kcache_name(const struct kcache *c)
{
	return c ? c->name : NULL;
}
