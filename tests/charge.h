/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the module charges an entry (Documentation/lrucache/design.rst,
 * "What an entry is charged"): what its allocation takes. An entry of
 * n = entry_overhead + key + value bytes comes from kmalloc() up to
 * KMALLOC_MAX_CACHE bytes, in the size class kmalloc rounds n up to
 * (those of x86-64, where KMALLOC_MIN_SIZE is 8), and from vmalloc()
 * beyond: whole pages, plus vmalloc's array of page pointers (8 bytes a
 * page, rounded up as kmalloc rounds, or itself vmalloc'd beyond a page),
 * a page-table entry per page, and @area, vmalloc's two records of the
 * area, whose size depends on the kernel (the ABI tests learn it from the
 * module: vmalloc_area_cost() in abi/abi.h).
 *
 * Shared by the ABI and the library tests.
 */
#ifndef LRUCACHE_TESTS_CHARGE_H
#define LRUCACHE_TESTS_CHARGE_H

#include <stdint.h>

#define KMALLOC_MAX_CACHE	8192
#define PAGE_BYTES		4096

static inline uint64_t kmalloc_class(uint64_t n)
{
	static const uint64_t small[] = { 8, 16, 32, 64, 96, 128, 192 };
	unsigned int i;
	uint64_t c;

	for (i = 0; i < sizeof(small) / sizeof(small[0]); i++)
		if (n <= small[i])
			return small[i];
	for (c = 256; c < n; c <<= 1)
		;
	return c;
}

static inline uint64_t vmalloc_charge(uint64_t n, uint64_t area)
{
	uint64_t pages = (n + PAGE_BYTES - 1) / PAGE_BYTES;
	uint64_t array = pages * 8;

	array = array > PAGE_BYTES ? vmalloc_charge(array, area) :
				     kmalloc_class(array);
	return pages * PAGE_BYTES + array + pages * 8 + area;
}

#endif /* LRUCACHE_TESTS_CHARGE_H */
