// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libkcache: the one reader of options structures (struct kcache_options,
 * kcache_memo_opts, kcache_logging_opts), kcache_opts_get(), declared and
 * described in kcache_internal.h. It has its own file, calling none of
 * the others, so that kcache.c (which frees a handle's hooks in events.c)
 * and events.c (which reads kcache_logging_opts) do not call each other:
 * the graph of which file calls which has no cycle.
 */
#include <errno.h>
#include <string.h>

#include "kcache_internal.h"

int kcache_opts_get(const void *uopts, size_t min_sz, void *opts,
		    size_t opts_sz)
{
	const unsigned char *tail = uopts;
	size_t sz, i;

	memset(opts, 0, opts_sz);
	if (!uopts)
		return 0;
	/* Every options structure starts with its size_t sz. */
	memcpy(&sz, uopts, sizeof(sz));
	if (sz < min_sz)
		return -EINVAL;
	for (i = opts_sz; i < sz; i++)
		if (tail[i])
			return -EINVAL;
	memcpy(opts, uopts, sz < opts_sz ? sz : opts_sz);
	return 0;
}
