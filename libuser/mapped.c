// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libkcache mapped reads: kcache_get() on a handle whose cache was created
 * with KCACHE_OPEN_MAPPED looks the key up in the cache's mapping and
 * copies the value without entering the kernel, following the read
 * protocol of Documentation/lrucache/mapped.rst. Whenever it cannot decide
 * safely (not found, a slot changing under it, an expired entry, anything
 * unexpected) it answers KCACHE_MAP_FALLBACK and the caller asks the
 * kernel, so the result is always one the ioctl could have given.
 *
 * Every offset read from the mapping is checked against the pages the
 * kernel says are in place, and every length against the slot's page,
 * before it is followed: whatever the mapping holds, a reader stays in it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kcache_internal.h"

#define UNITS_PER_PAGE	(LRUCACHE_MAP_PAGE / LRUCACHE_MAP_UNIT)
/* How often a lookup starts over after a slot changed under it. */
#define MAP_TRIES	4

static uint64_t load64(const __u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static uint32_t load32(const __u32 *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

void kcache_map_detach(struct kcache *c)
{
	if (c->map.base)
		munmap((void *)c->map.base, c->map.size);
	if (c->map.use)
		munmap(c->map.use, c->map.use_size);
	memset(&c->map, 0, sizeof(c->map));
}

/*
 * Maps the handle's cache if the kernel offers a mapping of it: the
 * header page first, for the sizes, then the whole of each part. A cache
 * that is not mapped (-ENODEV), a caller without read permission
 * (-EACCES) or a layout this library does not know leave the handle on
 * ioctls, which is not an error.
 */
void kcache_map_attach(struct kcache *c)
{
	const struct lrucache_map_header *h;
	uint64_t map_size, use_size;
	void *p;

	p = mmap(NULL, LRUCACHE_MAP_PAGE, PROT_READ, MAP_SHARED, c->fd, 0);
	if (p == MAP_FAILED)
		return;
	h = p;
	map_size = h->map_size;
	use_size = h->use_size;
	if (h->magic != LRUCACHE_MAP_MAGIC ||
	    h->version != LRUCACHE_MAP_VERSION ||
	    h->arena_off % LRUCACHE_MAP_PAGE || h->index_off % 4 ||
	    h->bucket_shift > 31 || h->arena_pages > (UINT64_C(1) << 26) ||
	    h->arena_off > map_size ||
	    h->index_off + (sizeof(uint32_t) << h->bucket_shift) >
	    h->arena_off ||
	    map_size < h->arena_off + h->arena_pages * LRUCACHE_MAP_PAGE ||
	    use_size < h->arena_pages * UNITS_PER_PAGE * sizeof(uint32_t) ||
	    map_size > SIZE_MAX || use_size > SIZE_MAX) {
		munmap(p, LRUCACHE_MAP_PAGE);
		return;
	}
	munmap(p, LRUCACHE_MAP_PAGE);

	p = mmap(NULL, map_size, PROT_READ, MAP_SHARED, c->fd, 0);
	if (p == MAP_FAILED)
		return;
	c->map.base = p;
	c->map.size = map_size;
	p = mmap(NULL, use_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd,
		 (off_t)LRUCACHE_MAP_USE_OFFSET);
	if (p == MAP_FAILED) {
		kcache_map_detach(c);
		return;
	}
	c->map.use = p;
	c->map.use_size = use_size;
	h = (const void *)c->map.base;
	c->map.hdr = h;
	c->map.buckets = (const uint32_t *)(c->map.base + h->index_off);
	c->map.mask = (UINT32_C(1) << h->bucket_shift) - 1;
	c->map.seed = h->seed;
	c->map.arena = c->map.base + h->arena_off;
	c->map.arena_pages = h->arena_pages;
}

int kcache_mapped(const struct kcache *c)
{
	return c && c->map.base ? 1 : 0;
}

static uint64_t boottime_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_BOOTTIME, &ts))
		return UINT64_MAX;
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * kcache_map_get(), and kcache_map_peek() with @peek: the same lookup,
 * which then neither copies the value nor counts the hit.
 */
static ssize_t map_lookup(struct kcache *c, const void *key, size_t klen,
			  void *buf, size_t buflen, bool peek)
{
	const struct kcache_map *m = &c->map;
	const struct lrucache_map_slot *s;
	uint64_t hash, ready, seq, expires;
	uint32_t next, unit, kl, vl, hops;
	unsigned int tries;
	size_t room;

	if (__atomic_load_n(&m->hdr->flags, __ATOMIC_ACQUIRE) &
	    LRUCACHE_MAP_DEAD)
		return KCACHE_MAP_FALLBACK;
	if (!klen || klen > LRUCACHE_MAP_PAGE)
		return KCACHE_MAP_FALLBACK;
	hash = lrucache_map_hash(key, (uint32_t)klen, m->seed);

	for (tries = 0; tries < MAP_TRIES; tries++) {
		ready = load64(&m->hdr->ready_pages);
		if (ready > m->arena_pages)
			return KCACHE_MAP_FALLBACK;
		next = __atomic_load_n(&m->buckets[hash & m->mask],
				       __ATOMIC_ACQUIRE);
		for (hops = 0; next; hops++) {
			unit = next - 1;
			if (hops == LRUCACHE_MAP_CHAIN_MAX ||
			    unit / UNITS_PER_PAGE >= ready)
				return KCACHE_MAP_FALLBACK;
			s = (const void *)(m->arena +
					   (size_t)unit * LRUCACHE_MAP_UNIT);
			room = LRUCACHE_MAP_PAGE - sizeof(*s) -
			       (unit % UNITS_PER_PAGE) * LRUCACHE_MAP_UNIT;
			seq = load64(&s->seq);
			kl = load32(&s->key_len);
			vl = load32(&s->value_len);
			next = load32(&s->next);
			if (!seq || (seq & 1) || kl != klen ||
			    (size_t)kl + vl > room ||
			    memcmp(s + 1, key, klen))
				continue;
			expires = __atomic_load_n(&s->expires,
						  __ATOMIC_RELAXED);
			if (expires && boottime_ns() >= expires)
				return KCACHE_MAP_FALLBACK;
			if (!peek && vl && vl <= buflen)
				memcpy(buf, (const char *)(s + 1) + kl, vl);
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			if (__atomic_load_n(&s->seq, __ATOMIC_RELAXED) != seq)
				goto again;
			if (peek)
				return vl;
			/* A hit: the kernel counts it and ages the entry by it. */
			__atomic_fetch_add(&m->use[unit], 1, __ATOMIC_RELAXED);
			return vl;
		}
		return KCACHE_MAP_FALLBACK;
again:
		;
	}
	return KCACHE_MAP_FALLBACK;
}

ssize_t kcache_map_get(struct kcache *c, const void *key, size_t klen,
		       void *buf, size_t buflen)
{
	return map_lookup(c, key, klen, buf, buflen, false);
}

bool kcache_map_peek(struct kcache *c, const void *key, size_t klen)
{
	return map_lookup(c, key, klen, NULL, 0, true) != KCACHE_MAP_FALLBACK;
}
