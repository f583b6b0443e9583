// SPDX-License-Identifier: GPL-2.0
/*
 * lrucache mapped caches: a copy of a cache's entries that user space maps
 * read-only and reads without a system call (Documentation/lrucache/
 * mapped.rst has the layout, the read protocol and the safety rules).
 *
 * A cache created with LRUCACHE_OPEN_MAPPED has a struct lrucache_map: a
 * header page and an index (one vmalloc area, allocated at creation), and
 * an arena of pages allocated one at a time as entries need them, each cut
 * into slots of one size class. lru.c calls in here, with cache->lock held,
 * when an entry is installed (lrucache_map_publish()), leaves the cache
 * (lrucache_map_unpublish()) or gets a new expiry time
 * (lrucache_map_set_expires()), and before it evicts an entry
 * (lrucache_map_used()); the kernel's own entries stay as they are, so
 * every kernel path reads them as before and the mapping is only a copy
 * that readers validate. An entry without room in the arena (its class has
 * no free slot and the arena is full, or its slot would be larger than a
 * page, or its bucket's chain is full) is simply not mapped: readers of
 * its key fall back to the ioctl.
 *
 * Pages live until the map's last reference goes: the cache holds one, and
 * every vma that maps it another, so no page of a cache is freed, and
 * therefore reused, while a process can still read it; a destroyed cache's
 * header says so (LRUCACHE_MAP_DEAD) and its slots were all unpublished.
 *
 * The mapping holds only the map's own pages: zeroed when allocated, never
 * shared with another object, with offsets and unit numbers in them, never
 * a kernel pointer. The counters' pages are the only ones user space may
 * write; the kernel reads numbers from them and trusts nothing else.
 *
 * Locking: slots, chains, the classes' lists of pages with free slots and
 * map->mapped change under cache->lock. Adding a page to the arena takes
 * map->grow_lock (a mutex, outside cache->lock), then cache->lock to make
 * the page's slots available. The counters are read and zeroed with xchg()
 * without a lock. The fault handler reads the page tables of the map
 * (pages never leave them while the map lives) with acquire loads.
 */

#include <linux/bitops.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "lrucache_internal.h"

/* Slot sizes: LRUCACHE_MAP_PAGE / n, rounded down to whole units. */
static const u16 lrucache_map_classes[] = {
	64, 128, 192, 256, 320, 384, 448, 512, 576, 640, 768, 1024, 1344,
	2048, 4096,
};

#define LRUCACHE_MAP_CLASSES		ARRAY_SIZE(lrucache_map_classes)
#define LRUCACHE_MAP_UNITS_PER_PAGE	(LRUCACHE_MAP_PAGE / LRUCACHE_MAP_UNIT)
/* Counters per page of counters: one __u32 per unit. */
#define LRUCACHE_MAP_USE_PER_PAGE	(LRUCACHE_MAP_PAGE / sizeof(u32))
#define LRUCACHE_MAP_PAGES_PER_USE	\
	(LRUCACHE_MAP_USE_PER_PAGE / LRUCACHE_MAP_UNITS_PER_PAGE)
/* The most arena pages a cache may have: 1 GiB. */
#define LRUCACHE_MAP_MAX_PAGES		BIT(18)
#define LRUCACHE_MAP_MIN_PAGES		16U
#define LRUCACHE_MAP_MIN_BUCKETS	512U
#define LRUCACHE_MAP_MAX_BUCKETS	BIT(22)
#define LRUCACHE_MAP_USE_PGOFF		(LRUCACHE_MAP_USE_OFFSET >> PAGE_SHIFT)

/* The kernel's view of one page of the arena. */
struct lrucache_map_pg {
	void *addr;			/* page_address(page) */
	struct page *page;
	struct list_head node;		/* on its class's list while not full */
	u64 free;			/* bit i: slot i is free */
	unsigned long used[BITS_TO_LONGS(LRUCACHE_MAP_UNITS_PER_PAGE)];
	u32 index;			/* in the arena */
	u8 class;
};

/**
 * struct lrucache_map - a mapped cache's memory
 * @ref: the cache's reference and one per vma that maps it.
 * @hdr: the header page, followed by the index, in one vmalloc area of
 *	@fixed_pages pages.
 * @buckets: the index.
 * @bucket_mask: its number of buckets, minus one.
 * @fixed_pages: pages of @hdr's area.
 * @arena_pages: pages the arena may have.
 * @npages: pages it has; under @grow_lock.
 * @pages: the arena's pages (@arena_pages of them, NULL beyond @npages).
 * @use: the counters' pages, one per LRUCACHE_MAP_PAGES_PER_USE arena
 *	pages.
 * @avail: per class, the pages with a free slot; under cache->lock.
 * @mapped: slots published; under cache->lock.
 * @fixed_bytes: what the map took at creation (header, index, tables),
 *	counted in lrucache_map_bytes until it is freed.
 * @grow_lock: serialises adding pages.
 */
struct lrucache_map {
	refcount_t ref;
	struct lrucache_map_header *hdr;
	u32 *buckets;
	u32 bucket_mask;
	u32 fixed_pages;
	u32 arena_pages;
	u32 npages;
	struct lrucache_map_pg **pages;
	struct page **use;
	struct list_head avail[LRUCACHE_MAP_CLASSES];
	u64 mapped;
	u64 fixed_bytes;
	struct mutex grow_lock;		/* serialises lrucache_map_grow() */
};

/* Bytes of arena pages of all caches, bounded by max_total_bytes. */
static atomic64_t lrucache_map_bytes = ATOMIC64_INIT(0);

static unsigned int lrucache_map_class_of(u32 key_len, u32 value_len)
{
	u64 need = sizeof(struct lrucache_map_slot) + (u64)key_len + value_len;
	unsigned int c;

	for (c = 0; c < LRUCACHE_MAP_CLASSES; c++)
		if (need <= lrucache_map_classes[c])
			return c;
	return LRUCACHE_MAP_CLASSES;
}

static unsigned int lrucache_map_slots(unsigned int class)
{
	return LRUCACHE_MAP_PAGE / lrucache_map_classes[class];
}

static struct lrucache_map_slot *lrucache_map_slot(struct lrucache_map *map,
						   u32 unit)
{
	struct lrucache_map_pg *pg;

	pg = map->pages[unit / LRUCACHE_MAP_UNITS_PER_PAGE];
	return pg->addr +
	       (unit % LRUCACHE_MAP_UNITS_PER_PAGE) * LRUCACHE_MAP_UNIT;
}

/* The readers' counter of @unit. */
static u32 *lrucache_map_counter(struct lrucache_map *map, u32 unit)
{
	u32 *use = page_address(map->use[unit / LRUCACHE_MAP_USE_PER_PAGE]);

	return &use[unit % LRUCACHE_MAP_USE_PER_PAGE];
}

static void lrucache_map_free(struct lrucache_map *map)
{
	u32 i;

	for (i = 0; i < map->npages; i++) {
		__free_page(map->pages[i]->page);
		kfree(map->pages[i]);
	}
	/* A map whose creation failed may have no table of counters. */
	for (i = 0; map->use && i < DIV_ROUND_UP(map->arena_pages,
						 LRUCACHE_MAP_PAGES_PER_USE);
	     i++)
		if (map->use[i])
			__free_page(map->use[i]);
	atomic64_sub((u64)map->npages * LRUCACHE_MAP_PAGE + map->fixed_bytes,
		     &lrucache_map_bytes);
	kvfree(map->use);
	kvfree(map->pages);
	vfree(map->hdr);
	mutex_destroy(&map->grow_lock);
	kfree(map);
}

static void lrucache_map_put(struct lrucache_map *map)
{
	if (refcount_dec_and_test(&map->ref))
		lrucache_map_free(map);
}

/**
 * lrucache_map_create - give a new cache its map
 * @cache: the cache, not yet visible to anybody, its limits set
 *
 * The arena may take one and a half times the cache's max_bytes, one page
 * per entry at most, and 16 pages to 1 GiB; the index has a power of two
 * of buckets, about one per entry the arena can hold.
 *
 * Return: 0, -EOPNOTSUPP on a kernel whose pages are not 4 KiB, -ENOSPC if
 * the map would take the module's total beyond max_total_bytes, or -ENOMEM.
 */
int lrucache_map_create(struct lrucache *cache)
{
	struct lrucache_map_header *hdr;
	struct lrucache_map *map;
	u64 pages, buckets;
	size_t fixed;
	unsigned int c;

	if (PAGE_SIZE != LRUCACHE_MAP_PAGE)
		return -EOPNOTSUPP;
	pages = min_t(u64, cache->max_bytes, U64_MAX / 3) / 2 * 3;
	pages = min_t(u64, DIV_ROUND_UP_ULL(pages, LRUCACHE_MAP_PAGE),
		      cache->max_entries);
	pages = clamp_t(u64, pages, LRUCACHE_MAP_MIN_PAGES,
			LRUCACHE_MAP_MAX_PAGES);
	buckets = min_t(u64, cache->max_entries,
			pages * LRUCACHE_MAP_UNITS_PER_PAGE);
	buckets = roundup_pow_of_two(clamp_t(u64, buckets,
					     LRUCACHE_MAP_MIN_BUCKETS,
					     LRUCACHE_MAP_MAX_BUCKETS));
	fixed = LRUCACHE_MAP_PAGE + PAGE_ALIGN(buckets * sizeof(u32));

	map = kzalloc_obj(*map, GFP_KERNEL_ACCOUNT);
	if (!map)
		return -ENOMEM;
	/*
	 * The header, the index and the page tables count against
	 * max_total_bytes with the arenas and the entries, from the start:
	 * a user cannot take memory without bound by creating caches.
	 */
	map->fixed_bytes = fixed + pages * sizeof(*map->pages) +
			   DIV_ROUND_UP(pages, LRUCACHE_MAP_PAGES_PER_USE) *
			   sizeof(*map->use);
	if (atomic64_add_return(map->fixed_bytes, &lrucache_map_bytes) +
	    atomic64_read(&lrucache_total_bytes) >
	    lrucache_limit(READ_ONCE(lrucache_max_total_bytes))) {
		lrucache_map_free(map);
		return -ENOSPC;
	}
	refcount_set(&map->ref, 1);
	mutex_init(&map->grow_lock);
	for (c = 0; c < LRUCACHE_MAP_CLASSES; c++)
		INIT_LIST_HEAD(&map->avail[c]);
	map->arena_pages = pages;
	map->fixed_pages = fixed >> PAGE_SHIFT;
	map->bucket_mask = buckets - 1;
	/* A failure is the caller's -ENOMEM: no warning in the log. */
	map->pages = kvcalloc(pages, sizeof(*map->pages),
			      GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	map->use = kvcalloc(DIV_ROUND_UP(pages, LRUCACHE_MAP_PAGES_PER_USE),
			    sizeof(*map->use), GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	map->hdr = __vmalloc(fixed, GFP_KERNEL_ACCOUNT | __GFP_ZERO |
			     __GFP_NOWARN);
	if (!map->pages || !map->use || !map->hdr) {
		lrucache_map_free(map);
		return -ENOMEM;
	}
	hdr = map->hdr;
	map->buckets = (void *)hdr + LRUCACHE_MAP_PAGE;
	hdr->magic = LRUCACHE_MAP_MAGIC;
	hdr->version = LRUCACHE_MAP_VERSION;
	hdr->bucket_shift = ilog2(buckets);
	hdr->seed = get_random_u64();
	hdr->index_off = LRUCACHE_MAP_PAGE;
	hdr->arena_off = fixed;
	hdr->arena_pages = pages;
	hdr->map_size = fixed + pages * LRUCACHE_MAP_PAGE;
	hdr->use_size = DIV_ROUND_UP(pages, LRUCACHE_MAP_PAGES_PER_USE) *
			LRUCACHE_MAP_PAGE;
	cache->map = map;
	return 0;
}

/* The cache's reference goes with the cache (registry.c's release). */
void lrucache_map_release(struct lrucache *cache)
{
	if (cache->map)
		lrucache_map_put(cache->map);
}

/*
 * The cache was destroyed: readers that look at the header from now on
 * fall back to the ioctl, which fails with -EIDRM. Its slots are
 * unpublished as its entries go.
 */
void lrucache_map_kill(struct lrucache *cache)
{
	struct lrucache_map *map = cache->map;

	if (!map)
		return;
	/* After the cache is dead: a reader falling back then gets -EIDRM. */
	smp_store_release(&map->hdr->flags,
			  map->hdr->flags | LRUCACHE_MAP_DEAD);
}

/*
 * Adds a page of @class to the arena, if it may grow; outside cache->lock,
 * as the allocations sleep.
 */
static void lrucache_map_grow(struct lrucache *cache, unsigned int class)
{
	struct lrucache_map *map = cache->map;
	unsigned int n = lrucache_map_slots(class);
	struct lrucache_map_pg *pg;
	struct page *use = NULL;
	u32 p;

	mutex_lock(&map->grow_lock);
	p = map->npages;
	if (p >= map->arena_pages ||
	    !list_empty_careful(&map->avail[class]) ||
	    atomic64_read(&lrucache_total_bytes) +
	    atomic64_read(&lrucache_map_bytes) + LRUCACHE_MAP_PAGE >
	    lrucache_limit(READ_ONCE(lrucache_max_total_bytes)))
		goto out;
	pg = kzalloc_obj(*pg, GFP_KERNEL_ACCOUNT);
	if (!pg)
		goto out;
	pg->page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NOWARN);
	if (!map->use[p / LRUCACHE_MAP_PAGES_PER_USE])
		use = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO |
				 __GFP_NOWARN);
	if (!pg->page ||
	    (!use && !map->use[p / LRUCACHE_MAP_PAGES_PER_USE])) {
		if (pg->page)
			__free_page(pg->page);
		if (use)
			__free_page(use);
		kfree(pg);
		goto out;
	}
	pg->addr = page_address(pg->page);
	pg->class = class;
	pg->index = p;
	pg->free = n == 64 ? ~0ULL : BIT_ULL(n) - 1;
	atomic64_add(LRUCACHE_MAP_PAGE, &lrucache_map_bytes);
	/*
	 * The stores below pair with the acquire loads of lrucache_map_page()
	 * and lrucache_map_hits(), and the readers' of ready_pages: whoever
	 * sees the page sees it complete, its counters' page first.
	 */
	if (use) {
		/* The counters' page, complete, before the page. */
		smp_store_release(&map->use[p / LRUCACHE_MAP_PAGES_PER_USE],
				  use);
	}
	/* The page, complete, before the readers' bound. */
	smp_store_release(&map->pages[p], pg);
	map->npages = p + 1;
	/* As above: the page and its counters before the readers' bound. */
	smp_store_release(&map->hdr->ready_pages, (u64)p + 1);
	spin_lock(&cache->lock);
	list_add(&pg->node, &map->avail[class]);
	spin_unlock(&cache->lock);
out:
	mutex_unlock(&map->grow_lock);
}

/**
 * lrucache_map_prepare - make room in the arena for an entry about to be set
 * @cache: the cache; cache->lock not held
 * @key_len: the entry's key length
 * @value_len: its value length
 *
 * Adds a page for the entry's class if the class has no free slot and the
 * cache would not give one back first: unless the cache is full and every
 * entry in it is mapped (then the entry the set evicts frees a slot).
 * Only a hint: the set takes a slot, or maps nothing, under cache->lock.
 */
void lrucache_map_prepare(struct lrucache *cache, u32 key_len, u32 value_len)
{
	struct lrucache_map *map = cache->map;
	unsigned int class;

	if (!map)
		return;
	class = lrucache_map_class_of(key_len, value_len);
	if (class == LRUCACHE_MAP_CLASSES ||
	    !list_empty_careful(&map->avail[class]))
		return;
	if (READ_ONCE(cache->entries) >= cache->max_entries &&
	    READ_ONCE(cache->entries) == READ_ONCE(map->mapped))
		return;
	lrucache_map_grow(cache, class);
}

/*
 * Under cache->lock: the published slot of @key, as a unit number, and
 * where the chain points at it; U32_MAX if the key has none.
 */
static u32 lrucache_map_find(struct lrucache_map *map, const u8 *key,
			     u32 key_len, u32 **link)
{
	u32 *at = &map->buckets[lrucache_map_hash(key, key_len,
						  map->hdr->seed) &
				map->bucket_mask];
	struct lrucache_map_slot *s;
	u32 next;

	while ((next = *at)) {
		s = lrucache_map_slot(map, next - 1);
		if (s->key_len == key_len && !(s->seq & 1) &&
		    !memcmp(s + 1, key, key_len)) {
			*link = at;
			return next - 1;
		}
		at = &s->next;
	}
	return U32_MAX;
}

/* Hits counted on @unit since the last look, which they count as. */
static u32 lrucache_map_take(struct lrucache *cache, u32 unit)
{
	u32 n = xchg(lrucache_map_counter(cache->map, unit), 0);

	if (n)
		lrucache_count_add(cache, LRUCACHE_CNT_HITS, n);
	return n;
}

/*
 * Unpublishes the slot of @unit, which *@link (its bucket, or the slot
 * before it in the chain) points at: seq odd first (readers drop what
 * they copied from it), then off the chain and free; its hits not yet
 * counted are counted. A reader still walking the chain through it may
 * be led astray by its reuse and miss, which sends it to the ioctl.
 */
static void lrucache_map_drop(struct lrucache *cache, u32 unit, u32 *link)
{
	struct lrucache_map *map = cache->map;
	struct lrucache_map_slot *s = lrucache_map_slot(map, unit);
	struct lrucache_map_pg *pg;
	unsigned int i;

	WRITE_ONCE(s->seq, s->seq + 1);
	/* Dead (odd) before it leaves the chain and may be rewritten. */
	smp_wmb();
	WRITE_ONCE(*link, s->next);
	lrucache_map_take(cache, unit);

	pg = map->pages[unit / LRUCACHE_MAP_UNITS_PER_PAGE];
	i = (unit % LRUCACHE_MAP_UNITS_PER_PAGE) * LRUCACHE_MAP_UNIT /
	    lrucache_map_classes[pg->class];
	if (!pg->free)
		list_add(&pg->node, &map->avail[pg->class]);
	pg->free |= BIT_ULL(i);
	map->mapped--;
}

/*
 * Writes @e into a free slot of its class while the slot's seq is odd,
 * makes seq even, then puts the slot at the head of @bucket's chain.
 * Returns the slot; NULL, with nothing done, if there is no free slot or
 * the chain is full.
 */
static struct lrucache_map_slot *
lrucache_map_write(struct lrucache *cache, const struct lrucache_entry *e,
		   u32 *bucket)
{
	struct lrucache_map *map = cache->map;
	u32 key_len = lrucache_key_len(e), unit, next;
	struct lrucache_map_slot *s;
	struct lrucache_map_pg *pg;
	unsigned int class, i, n;
	u64 seq;

	class = lrucache_map_class_of(key_len, e->value_len);
	if (class == LRUCACHE_MAP_CLASSES || list_empty(&map->avail[class]))
		return NULL;
	for (n = 0, next = *bucket; next; n++)
		next = lrucache_map_slot(map, next - 1)->next;
	if (n >= LRUCACHE_MAP_CHAIN_MAX)
		return NULL;

	pg = list_first_entry(&map->avail[class], struct lrucache_map_pg, node);
	i = __ffs64(pg->free);
	pg->free &= ~BIT_ULL(i);
	if (!pg->free)
		list_del_init(&pg->node);
	s = pg->addr + i * lrucache_map_classes[class];
	unit = pg->index * LRUCACHE_MAP_UNITS_PER_PAGE +
	       i * lrucache_map_classes[class] / LRUCACHE_MAP_UNIT;

	/* A slot never used has seq 0: make it odd before writing. */
	seq = s->seq | 1;
	WRITE_ONCE(s->seq, seq);
	/* Odd seq before the content: readers' read side of the seqcount. */
	smp_wmb();
	s->expires = lrucache_expires(e);
	s->key_len = key_len;
	s->value_len = e->value_len;
	s->next = *bucket;
	memcpy(s + 1, e->data, key_len + e->value_len);
	/* Uses counted for the slot's last entry are not this one's. */
	lrucache_map_take(cache, unit);
	clear_bit(unit % LRUCACHE_MAP_UNITS_PER_PAGE, pg->used);
	/* The content before the even seq that validates it. */
	smp_wmb();
	WRITE_ONCE(s->seq, seq + 1);
	/* A reader that finds the slot in the chain finds it published. */
	smp_wmb();
	WRITE_ONCE(*bucket, unit + 1);
	map->mapped++;
	return s;
}

/**
 * lrucache_map_publish - map an entry just installed
 * @cache: the cache, locked
 * @e: the entry, linked: the live one of its key
 * @old: the entry @e replaced (unlinked; only tested, as the cache's
 *	reference to it may be gone), or NULL
 *
 * Maps @e if a slot can be had (else readers of its key ask the kernel),
 * then unpublishes @old's slot, if it had one. Between the two, both
 * slots are live, @e's first in the chain: a reader that starts then
 * reads either value, as the set has not returned; one that starts after
 * it returned finds only @e's. Readers never miss the key in between, as
 * they would if @old's slot went first.
 */
void lrucache_map_publish(struct lrucache *cache,
			  const struct lrucache_entry *e,
			  const struct lrucache_entry *old)
{
	struct lrucache_map *map = cache->map;
	u32 key_len = lrucache_key_len(e), old_unit = U32_MAX, *bucket, *link;
	struct lrucache_map_slot *s;

	lockdep_assert_held(&cache->lock);

	if (!map)
		return;
	/* Before @e's slot exists, the key's live slot is @old's. */
	if (old)
		old_unit = lrucache_map_find(map, e->data, key_len, &link);
	bucket = &map->buckets[lrucache_map_hash(e->data, key_len,
						 map->hdr->seed) &
			       map->bucket_mask];
	s = lrucache_map_write(cache, e, bucket);
	if (old_unit == U32_MAX)
		return;
	/* @old's slot was the head: @e's, the new head, points at it now. */
	if (s && link == bucket)
		link = &s->next;
	lrucache_map_drop(cache, old_unit, link);
}

/**
 * lrucache_map_unpublish - unmap an entry leaving the cache
 * @cache: the cache, locked
 * @e: the entry, still the live one of its key
 *
 * Its slot, if it has one, goes (lrucache_map_drop()).
 */
void lrucache_map_unpublish(struct lrucache *cache,
			    const struct lrucache_entry *e)
{
	struct lrucache_map *map = cache->map;
	u32 unit, *link;

	lockdep_assert_held(&cache->lock);

	if (!map)
		return;
	unit = lrucache_map_find(map, e->data, lrucache_key_len(e), &link);
	if (unit != U32_MAX)
		lrucache_map_drop(cache, unit, link);
}

/* TOUCH or GETEX gave @e a new expiry time: its slot gets it too. */
void lrucache_map_set_expires(struct lrucache *cache,
			      const struct lrucache_entry *e)
{
	struct lrucache_map *map = cache->map;
	struct lrucache_map_slot *s;
	u32 unit, *link;
	u64 seq;

	lockdep_assert_held(&cache->lock);

	if (!map)
		return;
	unit = lrucache_map_find(map, e->data, lrucache_key_len(e), &link);
	if (unit == U32_MAX)
		return;
	s = lrucache_map_slot(map, unit);
	seq = s->seq;
	WRITE_ONCE(s->seq, seq + 1);
	/* The seqcount's write side around the one field that changes. */
	smp_wmb();
	WRITE_ONCE(s->expires, lrucache_expires(e));
	/* As above: the new expiry before the even seq. */
	smp_wmb();
	WRITE_ONCE(s->seq, seq + 2);
}

/**
 * lrucache_map_used - whether readers hit @e in the mapping since last asked
 * @cache: the cache, locked
 * @e: a linked entry, about to be evicted
 *
 * The second chance of mapped hits: an entry read through the mapping since
 * the last time it was asked about (or counted, lrucache_map_hits()) is
 * made the most recent instead of being evicted. The hits are counted.
 */
bool lrucache_map_used(struct lrucache *cache, const struct lrucache_entry *e)
{
	struct lrucache_map *map = cache->map;
	struct lrucache_map_pg *pg;
	u32 unit, *link;
	bool used;

	lockdep_assert_held(&cache->lock);

	if (!map)
		return false;
	unit = lrucache_map_find(map, e->data, lrucache_key_len(e), &link);
	if (unit == U32_MAX)
		return false;
	pg = map->pages[unit / LRUCACHE_MAP_UNITS_PER_PAGE];
	used = test_and_clear_bit(unit % LRUCACHE_MAP_UNITS_PER_PAGE, pg->used);
	return lrucache_map_take(cache, unit) || used;
}

/**
 * lrucache_map_hits - count the hits readers recorded
 * @cache: the cache
 *
 * Adds every counter of the arena to the cache's hits and zeroes it, and
 * marks the slots hit for lrucache_map_used(). Called before the counters
 * are reported; takes no lock.
 */
void lrucache_map_hits(struct lrucache *cache)
{
	struct lrucache_map *map = cache->map;
	struct lrucache_map_pg *pg;
	u32 p, ready, j, *use;

	if (!map)
		return;
	/* Pairs with lrucache_map_grow(): the pages below it are complete. */
	ready = smp_load_acquire(&map->hdr->ready_pages);
	for (p = 0; p < ready; p++) {
		/* As above, for the page itself. */
		pg = smp_load_acquire(&map->pages[p]);
		use = page_address(map->use[p / LRUCACHE_MAP_PAGES_PER_USE]);
		use += (p % LRUCACHE_MAP_PAGES_PER_USE) *
		       LRUCACHE_MAP_UNITS_PER_PAGE;
		for (j = 0; j < LRUCACHE_MAP_UNITS_PER_PAGE; j++) {
			u32 n;

			if (!READ_ONCE(use[j]))
				continue;
			n = xchg(&use[j], 0);
			if (!n)
				continue;
			lrucache_count_add(cache, LRUCACHE_CNT_HITS, n);
			set_bit(j, pg->used);
		}
		cond_resched();
	}
}

/* Whether @cache is mapped (LRUCACHE_INFO_MAPPED). */
bool lrucache_mapped(const struct lrucache *cache)
{
	return cache->map;
}

static struct page *lrucache_map_page(struct lrucache_map *map,
				      unsigned long pgoff)
{
	struct lrucache_map_pg *pg;

	if (pgoff >= LRUCACHE_MAP_USE_PGOFF) {
		pgoff -= LRUCACHE_MAP_USE_PGOFF;
		if (pgoff >= DIV_ROUND_UP(map->arena_pages,
					  LRUCACHE_MAP_PAGES_PER_USE))
			return NULL;
		/* Pairs with lrucache_map_grow(): a complete page or none. */
		return smp_load_acquire(&map->use[pgoff]);
	}
	if (pgoff < map->fixed_pages)
		return vmalloc_to_page((void *)map->hdr + (pgoff << PAGE_SHIFT));
	pgoff -= map->fixed_pages;
	if (pgoff >= map->arena_pages)
		return NULL;
	/* Pairs with lrucache_map_grow(): a complete page or none. */
	pg = smp_load_acquire(&map->pages[pgoff]);
	return pg ? pg->page : NULL;
}

/*
 * A page of the map, once it exists: the header and the index always do;
 * an arena page or a counters' page that is not there yet (a reader that
 * follows the protocol never reads one) is a SIGBUS.
 */
static vm_fault_t lrucache_map_fault(struct vm_fault *vmf)
{
	struct lrucache_map *map = vmf->vma->vm_private_data;
	struct page *page = lrucache_map_page(map, vmf->pgoff);

	if (!page)
		return VM_FAULT_SIGBUS;
	get_page(page);
	vmf->page = page;
	return 0;
}

static void lrucache_map_vm_open(struct vm_area_struct *vma)
{
	struct lrucache_map *map = vma->vm_private_data;

	refcount_inc(&map->ref);
}

static void lrucache_map_vm_close(struct vm_area_struct *vma)
{
	lrucache_map_put(vma->vm_private_data);
}

static const struct vm_operations_struct lrucache_map_vm_ops = {
	.open	= lrucache_map_vm_open,
	.close	= lrucache_map_vm_close,
	.fault	= lrucache_map_fault,
};

/**
 * lrucache_map_mmap - map a cache for a descriptor bound to it
 * @cache: the cache; the caller checked the read permission
 * @vma: a shared mapping at offset 0 (the header, index and arena;
 *	read-only, and never to be made writable or executable) or at
 *	LRUCACHE_MAP_USE_OFFSET (the counters; not executable), no larger
 *	than the header's map_size or use_size
 *
 * Return: 0; -ENODEV if the cache is not mapped; -EIDRM if it was
 * destroyed; -EACCES for a writable or executable mapping of what may not
 * be; -EINVAL for another offset, a size too large or a private mapping.
 */
int lrucache_map_mmap(struct lrucache *cache, struct vm_area_struct *vma)
{
	struct lrucache_map *map = cache->map;
	unsigned long len = vma->vm_end - vma->vm_start;

	if (!map)
		return -ENODEV;
	if (READ_ONCE(cache->dead))
		return -EIDRM;
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_flags & VM_EXEC)
		return -EACCES;
	if (vma->vm_pgoff == 0) {
		if (len > map->hdr->map_size)
			return -EINVAL;
		if (vma->vm_flags & VM_WRITE)
			return -EACCES;
		vm_flags_clear(vma, VM_MAYWRITE | VM_MAYEXEC);
	} else if (vma->vm_pgoff == LRUCACHE_MAP_USE_PGOFF) {
		if (len > map->hdr->use_size)
			return -EINVAL;
		vm_flags_clear(vma, VM_MAYEXEC);
	} else {
		return -EINVAL;
	}
	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &lrucache_map_vm_ops;
	vma->vm_private_data = map;
	refcount_inc(&map->ref);
	return 0;
}

#if IS_ENABLED(CONFIG_KUNIT)
/*
 * For the KUnit suite (lrucache_kunit.c): the kernel's view of a mapped
 * cache's header (with the index after it), of a slot, and of a counter.
 */
const struct lrucache_map_header *
lrucache_test_map_header(struct lrucache *cache)
{
	return cache->map ? cache->map->hdr : NULL;
}
EXPORT_SYMBOL_NS_GPL(lrucache_test_map_header, LRUCACHE_TEST_NS);

const struct lrucache_map_slot *lrucache_test_map_slot(struct lrucache *cache,
						       u32 unit)
{
	return lrucache_map_slot(cache->map, unit);
}
EXPORT_SYMBOL_NS_GPL(lrucache_test_map_slot, LRUCACHE_TEST_NS);

u32 *lrucache_test_map_counter(struct lrucache *cache, u32 unit)
{
	return lrucache_map_counter(cache->map, unit);
}
EXPORT_SYMBOL_NS_GPL(lrucache_test_map_counter, LRUCACHE_TEST_NS);
#endif
