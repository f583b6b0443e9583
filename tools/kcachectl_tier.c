// SPDX-License-Identifier: GPL-2.0
/*
 * kcachectl tier: see kcachectl_tier.h. The state files are in
 * $KCACHE_TIER_DIR, else /run/lrucache/tier.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "kcache_tier.h"
#include "kcachectl_tier.h"
#include "tier_state.h"

static const char *agent_text(const struct tier_state_snapshot *t)
{
	if (t->s.agent_state != TIER_AGENT_STOPPED && !t->agent_alive)
		return "not running";	/* silent past its fence */
	return tier_agent_state_name(t->s.agent_state);
}

/* Whether readers use the kernel cache now (see tier.c, "The fence"). */
static bool l1_in_use(const struct tier_state_snapshot *t)
{
	return t->s.backend == KCACHE_TIER_MEMCACHED ||
	       (t->agent_alive && t->s.agent_state == TIER_AGENT_CONNECTED);
}

static void human(const struct tier_state_snapshot *t)
{
	const struct tier_state *s = &t->s;
	char when[64] = "";

	if (s->connected_since) {
		time_t sec = (time_t)(s->connected_since / 1000);
		struct tm tm;

		strftime(when, sizeof(when), " since %Y-%m-%d %H:%M:%S",
			 localtime_r(&sec, &tm));
	}
	printf("tier                %s\n", t->name);
	printf("backend             %s %s\n", tier_backend_name(s->backend),
	       s->servers);
	printf("prefixes            %s\n", s->prefixes[0] ? s->prefixes :
	       "(every key)");
	printf("agent               %s%s (pid %" PRIu64 ", heartbeat %" PRIu64
	       " ms ago)\n", agent_text(t),
	       s->agent_state == TIER_AGENT_CONNECTED ? when : "",
	       s->agent_pid, t->heartbeat_age_ms);
	if (s->last_error[0])
		printf("last error          %s\n", s->last_error);
	printf("kernel cache        %s\n", l1_in_use(t) ? "in use" :
	       "fenced (reads go to the backend)");
	printf("masters tracked     %" PRIu64 "\n", s->nodes);
	printf("connections         %" PRIu64 " (%" PRIu64 " failed attempts)\n",
	       s->connects, s->connect_failures);
	printf("epoch               %" PRIu64 "\n", s->epoch);
	printf("invalidations       %" PRIu64 " keys in %" PRIu64
	       " messages\n", s->invalidations, s->invalidation_msgs);
	printf("flushes             %" PRIu64 "\n", s->flushes);
	printf("backend reads       %" PRIu64 "\n", s->backend_reads);
	printf("fills               %" PRIu64 "\n", s->fills);
	printf("stale-fill refusals %" PRIu64 "\n", s->fill_refusals);
	printf("fenced reads        %" PRIu64 "\n", s->bypass_reads);
	printf("writes              %" PRIu64 "\n", s->writes);
	printf("deletes             %" PRIu64 "\n", s->deletes);
	printf("backend errors      %" PRIu64 "\n", s->backend_errors);
	printf("max L1 TTL          %" PRIu64 " ms\n", s->max_ttl_ms);
}

static json_t *to_json(const struct tier_state_snapshot *t)
{
	const struct tier_state *s = &t->s;

	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:I, s:I,"
			 " s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
			 " s:I, s:I, s:I, s:I, s:I}",
			 "tier", t->name,
			 "backend", tier_backend_name(s->backend),
			 "servers", s->servers,
			 "prefixes", s->prefixes,
			 "agent", agent_text(t),
			 "last_error", s->last_error,
			 "kernel_cache_in_use", l1_in_use(t),
			 "agent_pid", (json_int_t)s->agent_pid,
			 "heartbeat_age_ms", (json_int_t)t->heartbeat_age_ms,
			 "connected_since_ms", (json_int_t)s->connected_since,
			 "masters", (json_int_t)s->nodes,
			 "connects", (json_int_t)s->connects,
			 "connect_failures", (json_int_t)s->connect_failures,
			 "epoch", (json_int_t)s->epoch,
			 "invalidations", (json_int_t)s->invalidations,
			 "invalidation_messages",
			 (json_int_t)s->invalidation_msgs,
			 "flushes", (json_int_t)s->flushes,
			 "backend_reads", (json_int_t)s->backend_reads,
			 "fills", (json_int_t)s->fills,
			 "fill_refusals", (json_int_t)s->fill_refusals,
			 "fenced_reads", (json_int_t)s->bypass_reads,
			 "writes", (json_int_t)s->writes,
			 "deletes", (json_int_t)s->deletes,
			 "backend_errors", (json_int_t)s->backend_errors,
			 "max_ttl_ms", (json_int_t)s->max_ttl_ms);
}

static const struct {
	const char *name, *type, *help;
	size_t off;
} prom[] = {
#define P(n, t, h, f) { n, t, h, offsetof(struct tier_state, f) }
	P("lrucache_tier_invalidations_total", "counter",
	  "Keys the agent deleted on the backend's invalidations.",
	  invalidations),
	P("lrucache_tier_invalidation_messages_total", "counter",
	  "Invalidation messages the agent received.", invalidation_msgs),
	P("lrucache_tier_flushes_total", "counter",
	  "Times the agent cleared the whole kernel cache.", flushes),
	P("lrucache_tier_connects_total", "counter",
	  "Successful connections of the agent.", connects),
	P("lrucache_tier_connect_failures_total", "counter",
	  "Failed connection attempts of the agent.", connect_failures),
	P("lrucache_tier_backend_reads_total", "counter",
	  "Keys read from the backend by the tier's processes.",
	  backend_reads),
	P("lrucache_tier_fills_total", "counter",
	  "Values stored in the kernel cache by read-through fills.", fills),
	P("lrucache_tier_fill_refusals_total", "counter",
	  "Fills dropped because a write or invalidation came first.",
	  fill_refusals),
	P("lrucache_tier_fenced_reads_total", "counter",
	  "Reads served by the backend while the tier was fenced.",
	  bypass_reads),
	P("lrucache_tier_writes_total", "counter",
	  "Write-through calls that succeeded.", writes),
	P("lrucache_tier_deletes_total", "counter",
	  "Delete-through calls that succeeded.", deletes),
	P("lrucache_tier_backend_errors_total", "counter",
	  "Backend calls that failed.", backend_errors),
	P("lrucache_tier_masters", "gauge",
	  "Masters whose invalidations the agent receives.", nodes),
#undef P
};

static void prometheus(const struct tier_state_snapshot *t, int n)
{
	unsigned int i;
	int j;

	if (!n)
		return;
	for (i = 0; i < sizeof(prom) / sizeof(prom[0]); i++) {
		printf("# HELP %s %s\n# TYPE %s %s\n", prom[i].name,
		       prom[i].help, prom[i].name, prom[i].type);
		for (j = 0; j < n; j++)
			printf("%s{tier=\"%s\"} %" PRIu64 "\n", prom[i].name,
			       t[j].name, *(const uint64_t *)
			       ((const char *)&t[j].s + prom[i].off));
	}
	printf("# HELP lrucache_tier_agent_connected Whether the agent holds "
	       "its invalidation connections and is alive (1) or not (0).\n"
	       "# TYPE lrucache_tier_agent_connected gauge\n");
	for (j = 0; j < n; j++)
		printf("lrucache_tier_agent_connected{tier=\"%s\"} %d\n",
		       t[j].name, t[j].agent_alive &&
		       t[j].s.agent_state == TIER_AGENT_CONNECTED);
	printf("# HELP lrucache_tier_kernel_cache_in_use Whether readers use "
	       "the kernel cache (1) or are fenced (0).\n"
	       "# TYPE lrucache_tier_kernel_cache_in_use gauge\n");
	for (j = 0; j < n; j++)
		printf("lrucache_tier_kernel_cache_in_use{tier=\"%s\"} %d\n",
		       t[j].name, l1_in_use(&t[j]));
}

/* One tier (name) or all: the count, or -errno. */
static int load(const char *name, struct tier_state_snapshot **out)
{
	const char *dir = tier_state_dir(NULL);
	int err;

	if (!name)
		return tier_state_list(dir, out);
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	err = tier_state_read_name(dir, name, *out);
	if (err) {
		free(*out);
		*out = NULL;
		return err;
	}
	return 1;
}

void tier_prometheus(const char *name)
{
	struct tier_state_snapshot *t = NULL;
	int n = load(name, &t);

	if (n > 0)
		prometheus(t, n);
	free(t);
}

int tier_show(const char *name, enum tier_output out)
{
	struct tier_state_snapshot *t = NULL;
	json_t *arr;
	int n, i;

	n = load(name, &t);
	if (n == -ENOENT && !name)
		n = 0;		/* no directory: no tier */
	if (n < 0) {
		fprintf(stderr, "kcachectl: tier %s: %s\n", name ? name : "",
			n == -ENOENT ? "no such tier (no agent state file)" :
			n == -EBADMSG ? "not a tier state file" :
			strerror(-n));
		return 1;
	}
	if (out == TIER_PROMETHEUS) {
		prometheus(t, n);
	} else if (out == TIER_JSON) {
		char *s;

		if (name) {
			arr = to_json(&t[0]);
		} else {
			arr = json_array();
			for (i = 0; arr && i < n; i++)
				json_array_append_new(arr, to_json(&t[i]));
		}
		s = arr ? json_dumps(arr, JSON_INDENT(2)) : NULL;
		json_decref(arr);
		if (!s) {
			free(t);
			return 1;
		}
		printf("%s\n", s);
		free(s);
	} else if (name) {
		human(&t[0]);
	} else {
		printf("%-20s %-14s %-12s %14s %10s %10s\n", "TIER", "BACKEND",
		       "AGENT", "INVALIDATIONS", "FILLS", "REFUSALS");
		for (i = 0; i < n; i++)
			printf("%-20s %-14s %-12s %14" PRIu64 " %10" PRIu64
			       " %10" PRIu64 "\n", t[i].name,
			       tier_backend_name(t[i].s.backend),
			       agent_text(&t[i]), t[i].s.invalidations,
			       t[i].s.fills, t[i].s.fill_refusals);
	}
	free(t);
	return fflush(stdout) ? 1 : 0;
}
