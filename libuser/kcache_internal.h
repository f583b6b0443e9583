/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * libkcache internals shared by its source files; not installed.
 *
 * Where things are:
 *   kcache.c   handles and one small wrapper per ioctl, errors
 *   batch.c    kcache_set_many(), kcache_get_many(), batch contexts
 *   memo.c     kcache_memo() and single-flight
 *   sysfs.c    kcache_list(), kcache_get_totals()
 *   dump.c     JSON dump and restore (jansson)
 *   events.c   event hooks (libnl-genl-3)
 */
#ifndef KCACHE_INTERNAL_H
#define KCACHE_INTERNAL_H

#include <stddef.h>

#include "kcache.h"

struct kcache_events;

/*
 * A handle: a descriptor bound to one cache and a copy of its name, both
 * read-only after kcache_open(). kcache_watch_all() makes one with no
 * descriptor (-1) and an empty name. @ev holds the event hooks and their
 * socket (events.c), NULL until the first kcache_add_hook().
 */
struct kcache {
	int fd;
	char name[LRUCACHE_NAME_MAX];
	struct kcache_events *ev;
};

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

#endif /* KCACHE_INTERNAL_H */
