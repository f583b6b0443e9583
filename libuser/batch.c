// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libkcache batches: kcache_set_many() and kcache_get_many(), and the batch
 * context of kcache_batch_begin(), all sent with LRUCACHE_IOC_BATCH through
 * kcache_batch_raw() (kcache.c). A batch context belongs to one thread at a
 * time; nothing here is global.
 */
#define _GNU_SOURCE		/* SSIZE_MAX */

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kcache_internal.h"

/*
 * Batches. Every operation is described to the kernel exactly as its single
 * command would be. A length beyond the ABI's 32-bit fields is passed as
 * UINT32_MAX: for a key or a value to store, that is beyond any limit the
 * module accepts (its ceilings are far lower), so the kernel answers -E2BIG
 * for that operation alone, as kcache_set() does; for a GET buffer it
 * changes nothing, since no value can be that long.
 */
static uint32_t abi_len(size_t len)
{
	return len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
}

static void fill_op(struct lrucache_op *op, uint32_t opcode,
		    const void *key, size_t klen, const void *val, size_t vlen,
		    uint64_t ttl_ms)
{
	memset(op, 0, sizeof(*op));
	op->opcode = opcode;
	op->key = (uintptr_t)key;
	op->key_len = abi_len(klen);
	op->value = (uintptr_t)val;
	op->value_len = abi_len(vlen);
	op->ttl_ms = ttl_ms;
}

/*
 * kcache_get_many() on a handle that reads through a mapping (mapped.c):
 * an item the mapping answers gets exactly the status, and the buffer
 * exactly the bytes, that the GET operation would have given, without
 * the kernel. An item whose key or buffer the kernel would refuse with
 * -EFAULT (NULL) is left to the kernel, so that it still says so.
 */
static bool map_usable(const struct kcache_item *it)
{
	return it->key && (it->value || !it->value_len);
}

/* Answer @it from the mapping: true if done (@it->status set). */
static bool map_answer(struct kcache *c, struct kcache_item *it)
{
	ssize_t ret;

	if (!map_usable(it))
		return false;
	ret = kcache_map_get(c, it->key, it->key_len, it->value,
			     it->value_len);
	if (ret == KCACHE_MAP_FALLBACK)
		return false;
	it->status = (int)ret;	/* a length within one page */
	return true;
}

/* Whether the mapping would answer @it now, with no effect. */
static bool map_would_answer(struct kcache *c, const struct kcache_item *it)
{
	return map_usable(it) && kcache_map_peek(c, it->key, it->key_len);
}

/*
 * kcache_set_many() and kcache_get_many(): chunks of at most
 * LRUCACHE_BATCH_MAX items, one ioctl each, through one operation array
 * per call.
 *
 * On a mapped handle, kcache_get_many() keeps the items in order, as its
 * contract says: it answers from the mapping the items before the first
 * one the mapping cannot answer; then it sends the kernel, in one ioctl,
 * that item and every item after it up to the last one of the chunk the
 * mapping would not answer (kcache_map_peek(), which changes nothing);
 * then it goes on from the mapping after the ioctl has returned. Reading
 * the hits between two misses from the mapping before the ioctl would
 * answer them earlier than the misses before them, which a concurrent
 * writer can tell (tests/lib/batch.c, keeps_item_order_against_a_writer:
 * a key found set while one set before it is not); reading them in
 * between would take one ioctl per run of misses. So the kernel takes
 * them along: never more system calls than without the mapping, and none
 * for a chunk of hits.
 */
static ssize_t run_many(struct kcache *c, struct kcache_item *items, size_t n,
			uint32_t opcode, uint64_t ttl_ms)
{
	struct lrucache_op *ops = NULL;
	size_t done = 0, chunk, i;
	bool mapped;
	int ret = 0;

	if (!c || (!items && n) || n > SSIZE_MAX)
		return -EINVAL;
	mapped = opcode == LRUCACHE_OP_GET && c->map.base;
	while (done < n) {
		struct kcache_item *it;

		if (mapped) {
			while (done < n && map_answer(c, &items[done]))
				done++;
			if (done == n)
				break;
		}
		it = items + done;
		chunk = n - done;
		if (chunk > LRUCACHE_BATCH_MAX)
			chunk = LRUCACHE_BATCH_MAX;
		/* it[0] is one the mapping could not answer. */
		if (mapped)
			while (chunk > 1 && map_would_answer(c, &it[chunk - 1]))
				chunk--;
		if (!ops) {
			ops = malloc((n < LRUCACHE_BATCH_MAX ? n :
				      LRUCACHE_BATCH_MAX) * sizeof(*ops));
			if (!ops) {
				ret = -ENOMEM;
				break;
			}
		}
		for (i = 0; i < chunk; i++)
			fill_op(&ops[i], opcode, it[i].key, it[i].key_len,
				it[i].value, it[i].value_len, ttl_ms);
		ret = kcache_batch_raw(c, ops, (unsigned int)chunk);
		if (ret < 0)
			break;
		for (i = 0; i < (size_t)ret; i++)
			it[i].status = ops[i].result;
		done += (size_t)ret;
		if ((size_t)ret < chunk) {
			/* The kernel could not access the array part way. */
			ret = -EFAULT;
			break;
		}
	}
	free(ops);
	if (done == n)
		return (ssize_t)n;
	for (i = done; i < n; i++)
		items[i].status = ret;
	return ret;
}

ssize_t kcache_set_many(struct kcache *c, struct kcache_item *items, size_t n,
			uint64_t ttl_ms)
{
	return run_many(c, items, n, LRUCACHE_OP_SET, ttl_ms);
}

ssize_t kcache_get_many(struct kcache *c, struct kcache_item *items, size_t n)
{
	return run_many(c, items, n, LRUCACHE_OP_GET, 0);
}

/*
 * A batch context: the operations as the kernel will read them, in an
 * array grown on demand up to LRUCACHE_BATCH_MAX, so that small batches
 * stay small and the kernel's answers land in place.
 */
#define KCACHE_BATCH_INITIAL	16

struct kcache_batch {
	struct kcache *c;
	struct lrucache_op *ops;
	unsigned int count;	/* operations queued */
	unsigned int cap;	/* room in ops */
	unsigned int ran;	/* after commit: operations the kernel ran */
	bool committed;
};

int kcache_batch_begin(struct kcache *c, struct kcache_batch **out)
{
	struct kcache_batch *b;

	if (!c || !out)
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->ops = calloc(KCACHE_BATCH_INITIAL, sizeof(*b->ops));
	if (!b->ops) {
		free(b);
		return -ENOMEM;
	}
	b->c = c;
	b->cap = KCACHE_BATCH_INITIAL;
	*out = b;
	return 0;
}

static int batch_add(struct kcache_batch *b, uint32_t opcode,
		     const void *key, size_t klen, const void *val,
		     size_t vlen, uint64_t ttl_ms)
{
	if (!b || b->committed)
		return -EINVAL;
	if (b->count >= LRUCACHE_BATCH_MAX)
		return -E2BIG;
	if (b->count == b->cap) {
		unsigned int cap = b->cap * 2;
		struct lrucache_op *ops;

		if (cap > LRUCACHE_BATCH_MAX)
			cap = LRUCACHE_BATCH_MAX;
		ops = realloc(b->ops, cap * sizeof(*ops));
		if (!ops)
			return -ENOMEM;
		b->ops = ops;
		b->cap = cap;
	}
	fill_op(&b->ops[b->count], opcode, key, klen, val, vlen, ttl_ms);
	return (int)b->count++;
}

int kcache_batch_set(struct kcache_batch *b, const void *key, size_t klen,
		     const void *val, size_t vlen, uint64_t ttl_ms)
{
	return batch_add(b, LRUCACHE_OP_SET, key, klen, val, vlen, ttl_ms);
}

int kcache_batch_get(struct kcache_batch *b, const void *key, size_t klen,
		     void *buf, size_t buflen)
{
	return batch_add(b, LRUCACHE_OP_GET, key, klen, buf, buflen, 0);
}

int kcache_batch_delete(struct kcache_batch *b, const void *key, size_t klen)
{
	return batch_add(b, LRUCACHE_OP_DELETE, key, klen, NULL, 0, 0);
}

int kcache_batch_exists(struct kcache_batch *b, const void *key, size_t klen)
{
	return batch_add(b, LRUCACHE_OP_EXISTS, key, klen, NULL, 0, 0);
}

int kcache_batch_count(const struct kcache_batch *b)
{
	return b ? (int)b->count : -EINVAL;
}

int kcache_batch_commit(struct kcache_batch *b)
{
	int ret;

	if (!b || b->committed)
		return -EINVAL;
	ret = kcache_batch_raw(b->c, b->ops, b->count);
	if (ret < 0)
		return ret;	/* nothing ran: the batch stays queued */
	b->ran = (unsigned int)ret;
	b->committed = true;
	return ret;
}

int kcache_batch_result(const struct kcache_batch *b, unsigned int idx,
			size_t *value_len)
{
	const struct lrucache_op *op;

	if (value_len)
		*value_len = 0;
	if (!b || idx >= b->count)
		return -EINVAL;
	if (!b->committed)
		return -EINPROGRESS;
	if (idx >= b->ran)
		return -ECANCELED;
	op = &b->ops[idx];
	if (value_len && op->opcode == LRUCACHE_OP_GET && op->result >= 0)
		*value_len = op->value_len;
	return op->result;
}

void kcache_batch_abort(struct kcache_batch *b)
{
	if (!b)
		return;
	b->count = 0;
	b->ran = 0;
	b->committed = false;
}

void kcache_batch_free(struct kcache_batch *b)
{
	if (!b)
		return;
	free(b->ops);
	free(b);
}
