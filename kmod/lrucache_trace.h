/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lrucache tracepoints: one event per thing that happens to an entry,
 * under /sys/kernel/tracing/events/lrucache/. Keys are not copied into
 * the trace, only their length and a hash, computed when the event is on.
 * Only trace.c includes this: it defines them and traces the events that
 * events.c announces. Enabling one calls lrucache_trace_reg(), which turns
 * the events on; disabling it, lrucache_trace_unreg().
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM lrucache

#if !defined(_LRUCACHE_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _LRUCACHE_TRACE_H

#include <linux/jhash.h>
#include <linux/tracepoint.h>

int lrucache_trace_reg(void);
void lrucache_trace_unreg(void);

DECLARE_EVENT_CLASS(lrucache_key_event,
		    TP_PROTO(const char *cache, const void *key, u32 key_len,
			     u32 value_len),
		    TP_ARGS(cache, key, key_len, value_len),
		    TP_STRUCT__entry(__string(cache, cache)
				     __field(u32, key_len)
				     __field(u32, key_hash)
				     __field(u32, value_len)),
		    TP_fast_assign(lrucache_assign_str(cache);
				   __entry->key_len = key_len;
				   __entry->key_hash = jhash(key, key_len, 0);
				   __entry->value_len = value_len;),
		    TP_printk("cache=%s key_len=%u key_hash=%08x value_len=%u",
			      __get_str(cache), __entry->key_len,
			      __entry->key_hash, __entry->value_len)
);

#define LRUCACHE_KEY_EVENT(name)					\
DEFINE_EVENT_FN(lrucache_key_event, name,				\
	TP_PROTO(const char *cache, const void *key, u32 key_len,	\
		 u32 value_len),					\
	TP_ARGS(cache, key, key_len, value_len),			\
	lrucache_trace_reg, lrucache_trace_unreg)

LRUCACHE_KEY_EVENT(lrucache_hit);
LRUCACHE_KEY_EVENT(lrucache_miss);
LRUCACHE_KEY_EVENT(lrucache_set);
LRUCACHE_KEY_EVENT(lrucache_delete);
LRUCACHE_KEY_EVENT(lrucache_evict);
LRUCACHE_KEY_EVENT(lrucache_expire);
LRUCACHE_KEY_EVENT(lrucache_reclaim);

#endif /* _LRUCACHE_TRACE_H */

#undef TRACE_INCLUDE_PATH
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_PATH .
#define TRACE_INCLUDE_FILE lrucache_trace
#include <trace/define_trace.h>
