/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * libkcache internals shared by its source files; not installed.
 *
 * Where things are:
 *   kcache.c   handles and one small wrapper per ioctl, errors
 *   batch.c    kcache_set_many(), kcache_get_many(), batch contexts
 *   memo.c     kcache_memo() and single-flight
 *   sysfs.c    kcache_list(), kcache_get_totals()
 *   dump.c     JSON dump and restore (jansson, loaded on first use)
 *   events.c   event hooks (libnl-genl-3, loaded on first use)
 *   deps.c     the loader of those optional libraries
 *   opts.c     kcache_opts_get(), the reader of options structures
 */
#ifndef KCACHE_INTERNAL_H
#define KCACHE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "kcache.h"

struct kcache_events;

/*
 * A handle: a descriptor bound to one cache and a copy of its name, both
 * read-only after kcache_open(). kcache_watch_all() makes one with no
 * descriptor (-1) and an empty name. @ev holds the event hooks and their
 * socket (events.c), NULL until the first kcache_add_hook().
 */
/*
 * A handle's mapping of a mapped cache (mapped.c); all zero if it reads
 * through ioctls only.
 */
struct kcache_map {
	const uint8_t *base;		/* header, index, arena: read-only */
	size_t size;
	uint32_t *use;			/* the readers' counters */
	size_t use_size;
	const struct lrucache_map_header *hdr;
	const uint32_t *buckets;
	const uint8_t *arena;
	uint64_t seed;
	uint64_t arena_pages;
	uint32_t mask;
};

struct kcache {
	int fd;
	char name[LRUCACHE_NAME_MAX];
	struct kcache_events *ev;
	struct kcache_map map;
};

/*
 * kcache_map_get()'s answer when the mapping cannot decide: ask the
 * kernel. Below every -errno.
 */
#define KCACHE_MAP_FALLBACK	((ssize_t)-8192)

void kcache_map_attach(struct kcache *c);
void kcache_map_detach(struct kcache *c);
ssize_t kcache_map_get(struct kcache *c, const void *key, size_t klen,
		       void *buf, size_t buflen);
/*
 * Whether kcache_map_get() would answer @key now (a live, unexpired
 * entry in the mapping), without copying or counting anything: a hint,
 * which the entry may stop deserving at any time.
 */
bool kcache_map_peek(struct kcache *c, const void *key, size_t klen);

/* Drops the handle's hooks and closes their socket (kcache_close()). */
void kcache_events_free(struct kcache *c);

#define offsetofend(TYPE, MEMBER) \
	(offsetof(TYPE, MEMBER) + sizeof(((TYPE *)0)->MEMBER))

/*
 * Options structures (struct kcache_options, kcache_memo_opts,
 * kcache_logging_opts) start with their own size, sz, and only grow at
 * their end, as libbpf's do. kcache_opts_get() reads the caller's copy
 * whatever library it was built for: @uopts (NULL reads as all zero) is
 * copied into @opts (@opts_sz bytes, this library's size), the bytes the
 * caller's smaller structure lacks zeroed. It must hold at least @min_sz
 * bytes, the first version's fields, and bytes of a larger structure
 * beyond @opts_sz (fields of a later library) must be zero: -EINVAL
 * otherwise. KCACHE_OPTS_GET() names the first version's last field.
 */
int kcache_opts_get(const void *uopts, size_t min_sz, void *opts,
		    size_t opts_sz);

#define KCACHE_OPTS_GET(uopts, opts, last_v1_field)			\
	kcache_opts_get((uopts),					\
			offsetofend(__typeof__(*(opts)), last_v1_field),\
			(opts), sizeof(*(opts)))

/*
 * Symbol versions (libkcache.map). A new function goes into a new version
 * node. When an existing function gives a value a new meaning, the binaries
 * linked against the old meaning keep it: the old code stays under the old
 * node and the new code becomes the default, as glibc and libbpf do:
 *
 *	KCACHE_SYMVER_COMPAT(kcache_open_v1_0, kcache_open, KCACHE_1.0);
 *	KCACHE_SYMVER_DEFAULT(kcache_open_v1_9, kcache_open, KCACHE_1.9);
 *
 * Programs linked from now on (and dlsym(), and static links) get the
 * default. Both implementations need KCACHE_API to be exported at all;
 * the version script keeps their own names local.
 */
#define KCACHE_SYMVER_COMPAT(impl, api, node) \
	__asm__(".symver " #impl "," #api "@" #node)
#define KCACHE_SYMVER_DEFAULT(impl, api, node) \
	__asm__(".symver " #impl "," #api "@@" #node)

/*
 * Optional libraries (deps.c). jansson (dump.c) and libnl-genl-3
 * (events.c) are not linked: each file keeps a table of the functions it
 * calls, which kcache_dlib_load() fills on first use with dlopen(3) and
 * dlsym(3), so that a program that never dumps nor watches events runs
 * where neither library is installed. The table is the library's only
 * global state; it is written once, under @lock, and never unloaded.
 */
struct kcache_dlsym {
	const char *name;
	void **addr;		/* where the function's address goes */
};

struct kcache_dlib {
	const char *soname;	/* e.g. "libjansson.so.4" */
	const struct kcache_dlsym *syms;
	size_t nsyms;
	pthread_mutex_t lock;
	bool loaded;		/* read with acquire, set with release */
};

#define KCACHE_DLIB(SONAME, SYMS) {					\
	.soname = (SONAME),						\
	.syms = (SYMS),							\
	.nsyms = sizeof(SYMS) / sizeof((SYMS)[0]),			\
	.lock = PTHREAD_MUTEX_INITIALIZER,				\
}

/*
 * 0 once every function of @lib is in its table (the first call loads
 * them, later ones return at once), or -ELIBACC if the library or one of
 * the functions cannot be found; a later call tries again.
 */
int kcache_dlib_load(struct kcache_dlib *lib);

#endif /* KCACHE_INTERNAL_H */
