/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * libkcache internals shared by its source files; not installed.
 */
#ifndef KCACHE_INTERNAL_H
#define KCACHE_INTERNAL_H

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

#endif /* KCACHE_INTERNAL_H */
