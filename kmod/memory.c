// SPDX-License-Identifier: GPL-2.0
/*
 * lrucache: what entries take, and the limits on memory that several
 * caches share.
 *
 * Besides each cache's own limits, the bytes of all caches together stay
 * within lrucache_max_total_bytes (module parameter), and the bytes of the
 * caches of one uid within its quota: the counts of all caches are kept
 * here, the limits read from here, and a set that would go beyond one
 * evicts the inserting cache's own least recently used entries, or fails
 * with -ENOSPC (-EDQUOT) if even that could not make room (lrucache_room()
 * in lru.c, which keeps the counts). This file sits below lru.c and calls
 * no other file but params.c; the shrinker, which gives entries back
 * under memory pressure, is above lru.c, in shrinker.c.
 */

#include <linux/atomic.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "lrucache_internal.h"

/*
 * What an entry takes
 * -------------------
 * An entry is one allocation of its header, key and value (@size bytes).
 * It is charged what that allocation really takes, so that the limits
 * bound memory, not the bytes asked for; the allocation is chosen by size
 * alone, so the charge is a function of the size, known before anything
 * is allocated:
 *
 * - up to KMALLOC_MAX_CACHE_SIZE (8 KiB with 4 KiB pages): kmalloc(), from
 *   the slab size class that kmalloc_size_roundup() names (96, 128, 192,
 *   256, 512 bytes, ... 8 KiB): at most twice the size, and about 1.4
 *   times on average over sizes spread evenly;
 * - above: vmalloc(), whole pages, plus what vmalloc keeps per area: the
 *   array of its page pointers (8 bytes a page, itself from kmalloc, or
 *   vmalloc beyond a page), one page-table entry per page (8 bytes; the
 *   page-table pages are shared by neighbouring areas), and its two
 *   records of the area (struct vm_struct from kmalloc, struct vmap_area
 *   from its own slab cache). An entry of a 1 MiB value takes 257 pages
 *   and about 6 KiB besides, 1.01 times its size; a 12 KiB one 1.01 too,
 *   one just over 8 KiB (three pages) 1.5 times.
 *
 * kvmalloc(), which this replaces, tries kmalloc() first at every size:
 * above 8 KiB that takes a power of two of pages (2 MiB for a value of 1
 * MiB and a byte) whenever the page allocator has one, and vmalloc only
 * when it has not, so an entry's real size depended on fragmentation at
 * the time of the set. Page-sized chunks of the value (no vmalloc area,
 * no page table entries, no contiguous mapping) would save the last 0.4%
 * of vmalloc's overhead but make every copy in and out of an entry walk
 * its chunks.
 */
static size_t lrucache_vmalloc_charge(size_t size)
{
	size_t pages = DIV_ROUND_UP(size, PAGE_SIZE);
	size_t array = pages * sizeof(struct page *);

	if (array > PAGE_SIZE)
		array = lrucache_vmalloc_charge(array);
	else
		array = kmalloc_size_roundup(array);
	return pages * PAGE_SIZE + array + pages * sizeof(pte_t) +
	       kmalloc_size_roundup(sizeof(struct vm_struct)) +
	       sizeof(struct vmap_area);
}

/* What an entry of @size bytes (header, key, value) is charged. */
size_t lrucache_alloc_charge(size_t size)
{
	if (size <= KMALLOC_MAX_CACHE_SIZE)
		return kmalloc_size_roundup(size);
	return lrucache_vmalloc_charge(size);
}

/* Allocates an entry of @size bytes as lrucache_alloc_charge() counts it. */
void *lrucache_alloc_entry(size_t size)
{
	if (size <= KMALLOC_MAX_CACHE_SIZE)
		return kmalloc(size, GFP_KERNEL_ACCOUNT);
	return __vmalloc(size, GFP_KERNEL_ACCOUNT);
}

/* Bytes and entries of all caches, for the global limit and the shrinker. */
atomic64_t lrucache_total_bytes = ATOMIC64_INIT(0);
atomic64_t lrucache_total_entries = ATOMIC64_INIT(0);

bool lrucache_over_total(void)
{
	return atomic64_read(&lrucache_total_bytes) >
	       lrucache_limit(READ_ONCE(lrucache_max_total_bytes));
}

/* The byte quota of a user; 0 in a parameter selects its default. */
s64 lrucache_user_max_bytes(const struct lrucache_user *user)
{
	unsigned long total = READ_ONCE(lrucache_max_total_bytes);
	unsigned long max;

	if (lrucache_is_root(user->uid))
		max = READ_ONCE(lrucache_root_max_bytes) ?: total;
	else
		max = READ_ONCE(lrucache_max_bytes_per_user) ?: total / 2;
	return lrucache_limit(max);
}
