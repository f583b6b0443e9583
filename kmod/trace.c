// SPDX-License-Identifier: GPL-2.0
/*
 * lrucache tracepoints (lrucache_trace.h): a listener of events.c that
 * traces each event where it happens, as tracepoints are expected to.
 *
 * A tracepoint being enabled (tracefs, perf, BPF) calls
 * lrucache_trace_reg(), which turns the events on; while none is, the
 * listener is called only if something else listens, and each trace_*()
 * call is then itself a patched-out jump.
 */

#include "lrucache_internal.h"

#define CREATE_TRACE_POINTS
#include "lrucache_trace.h"

/* With tracepoints_mutex held, when one of ours gets its first probe. */
int lrucache_trace_reg(void)
{
	lrucache_events_get();
	return 0;
}

/* ... and when it loses its last. */
void lrucache_trace_unreg(void)
{
	lrucache_events_put();
}

static void lrucache_trace_now(const struct lrucache_event *ev)
{
	const char *name = ev->cache->name;

	switch (ev->type) {
	case LRUCACHE_EVENT_HIT:
		trace_lrucache_hit(name, ev->key, ev->key_len, ev->value_len);
		break;
	case LRUCACHE_EVENT_MISS:
		trace_lrucache_miss(name, ev->key, ev->key_len, ev->value_len);
		break;
	case LRUCACHE_EVENT_SET:
		trace_lrucache_set(name, ev->key, ev->key_len, ev->value_len);
		break;
	case LRUCACHE_EVENT_DELETE:
		trace_lrucache_delete(name, ev->key, ev->key_len,
				      ev->value_len);
		break;
	case LRUCACHE_EVENT_EVICT:
		trace_lrucache_evict(name, ev->key, ev->key_len,
				     ev->value_len);
		break;
	case LRUCACHE_EVENT_EXPIRE:
		trace_lrucache_expire(name, ev->key, ev->key_len,
				      ev->value_len);
		break;
	case LRUCACHE_EVENT_RECLAIM:
		trace_lrucache_reclaim(name, ev->key, ev->key_len,
				       ev->value_len);
		break;
	}
}

static struct lrucache_listener lrucache_trace_listener = {
	.now = lrucache_trace_now,
};

int lrucache_trace_init(void)
{
	lrucache_listener_register(&lrucache_trace_listener);
	return 0;
}

void lrucache_trace_exit(void)
{
	lrucache_listener_unregister(&lrucache_trace_listener);
}
