// SPDX-License-Identifier: GPL-2.0
/*
 * lrucache permissions: who may do what to a cache from user space.
 *
 * A cache has an owner (the effective uid and gid of its creator) and a
 * mode like a file's: read, write and administer bits for the owner, the
 * owner's group and others (LRUCACHE_PERM_*). The caller's class is the
 * first that matches its effective ids, supplementary groups included,
 * and only that class's bits count; CAP_SYS_ADMIN may do everything.
 * Kernel users of the exported API are not checked.
 */

#include <linux/capability.h>
#include <linux/cred.h>

#include "lrucache_internal.h"

/* Whether @gid is in @groups (sorted, as set_groups() leaves them). */
static bool lrucache_in_groups(const struct group_info *groups, kgid_t gid)
{
	int lo = 0, hi = groups ? groups->ngroups : 0, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (gid_gt(gid, groups->gid[mid]))
			lo = mid + 1;
		else if (gid_lt(gid, groups->gid[mid]))
			hi = mid;
		else
			return true;
	}
	return false;
}

/*
 * The permission bits @cache's mode gives these ids: the owner's class,
 * else the group's (effective or supplementary gid), else others'. The
 * groups are searched only for a caller that is not the owner.
 */
static u32 lrucache_class_bits(const struct lrucache *cache, kuid_t euid,
			       kgid_t egid, const struct group_info *groups)
{
	if (uid_eq(euid, cache->owner_uid))
		return (cache->mode >> 6) & 7;
	if (gid_eq(egid, cache->owner_gid) ||
	    lrucache_in_groups(groups, cache->owner_gid))
		return (cache->mode >> 3) & 7;
	return cache->mode & 7;
}

/*
 * Checks that the current task may do what needs @want on @cache, from
 * user space; LRUCACHE_PERM_ANY asks for at least one permission.
 * CAP_SYS_ADMIN may do everything.
 *
 * Return: 0 or -EACCES.
 */
int lrucache_permission(struct lrucache *cache, u32 want)
{
	const struct cred *cred = current_cred();
	u32 bits = lrucache_class_bits(cache, cred->euid, cred->egid,
				       cred->group_info);

	if (want == LRUCACHE_PERM_ANY ? bits : (bits & want) == want)
		return 0;
	return capable(CAP_SYS_ADMIN) ? 0 : -EACCES;
}

/*
 * Whether credentials captured earlier (an event subscriber's) may watch
 * @cache's events, by the same rule as lrucache_permission().
 */
bool lrucache_ids_may_read(const struct lrucache *cache, kuid_t euid,
			   kgid_t egid, const struct group_info *groups)
{
	return lrucache_class_bits(cache, euid, egid, groups) &
	       LRUCACHE_PERM_READ;
}
