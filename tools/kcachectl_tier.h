/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kcachectl tier: the state of the tiers (libkcache-tier, lrucache-tierd),
 * read from the agents' state files only (tier/state.c, compiled in), so
 * that kcachectl needs neither hiredis nor libmemcached.
 */
#ifndef KCACHECTL_TIER_H
#define KCACHECTL_TIER_H

#include <stdbool.h>

enum tier_output { TIER_HUMAN, TIER_JSON, TIER_PROMETHEUS };

/* kcachectl tier [NAME]: an exit status. */
int tier_show(const char *name, enum tier_output out);

/*
 * The lrucache_tier_* samples of every tier (name NULL) or of one, for
 * kcachectl stats --prometheus; nothing if there is none.
 */
void tier_prometheus(const char *name);

#endif /* KCACHECTL_TIER_H */
