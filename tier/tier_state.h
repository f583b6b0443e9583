/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * The state files of a tier, in /run/lrucache/tier/ (the directory is
 * $KCACHE_TIER_DIR when set), two files of one fixed layout that every
 * party maps shared:
 *
 *  - <cache>.state: lrucache-tierd, the agent, creates it (mode 0644) and
 *    alone writes it: whether it holds its invalidation connections, its
 *    heartbeat, the epoch (bumped at every connection and every loss), its
 *    counters and the texts (backend, servers, prefixes, last error);
 *  - <cache>.apps: the agent creates it too, with the config's state_mode
 *    (0666 by default) and state_group; the processes of libkcache-tier
 *    add to its application counters (fills, refused fills, backend
 *    reads, ...). Its agent part stays zero.
 * Split so that whoever may write the counters cannot forge the agent's
 * state, epoch or invalidations. Fills are checked by the kernel's leases
 * (tier.c, "The fill path"), not through these files.
 *
 * kcachectl reads both, and nothing else of the tier: it needs neither
 * hiredis nor libmemcached.
 *
 * Every number is a uint64_t accessed with __atomic builtins. The texts
 * change rarely; @text_seq is a sequence lock around them (odd while the
 * agent writes). The layout only grows at its end, @size says how much of
 * it the file has; @version changes only for an incompatible layout.
 * Version 2 dropped version 1's slot_seq, the invalidation counters that
 * fills were checked against before kernel leases: a version-1 library
 * would trust slots nobody bumps any more, so it must not map a version-2
 * file (it then fences itself: reads go to the backend).
 *
 * One implementation (state.c) serves the library, the agent and
 * kcachectl, which compiles state.c in.
 */
#ifndef KCACHE_TIER_STATE_H
#define KCACHE_TIER_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TIER_STATE_MAGIC	0x3174736572656974ULL	/* "tierst1" LE */
#define TIER_STATE_VERSION	2
#define TIER_STATE_DIR		"/run/lrucache/tier"
#define TIER_STATE_SUFFIX	".state"
#define TIER_APPS_SUFFIX	".apps"
#define TIER_TEXT_MAX		256

/* state->agent_state */
enum {
	TIER_AGENT_STOPPED = 0,		/* no agent, or it exited */
	TIER_AGENT_CONNECTING = 1,	/* fenced: no connection yet */
	TIER_AGENT_CONNECTED = 2,	/* invalidations flow */
	TIER_AGENT_BACKOFF = 3,		/* fenced: lost, waiting to retry */
};

struct tier_state {
	uint64_t magic;
	uint32_t version;
	uint32_t size;			/* bytes of the layout in the file */

	/* Written by the agent. */
	uint64_t agent_pid;
	uint64_t agent_state;		/* TIER_AGENT_* */
	uint64_t epoch;			/* bumped at every connect and loss */
	uint64_t heartbeat_ms;		/* CLOCK_MONOTONIC, milliseconds */
	uint64_t fence_ms;		/* readers fence past this silence */
	uint64_t connected_since;	/* CLOCK_REALTIME ms, 0 if not */
	uint64_t invalidations;		/* keys invalidated */
	uint64_t invalidation_msgs;	/* messages received */
	uint64_t flushes;		/* whole-cache clears */
	uint64_t connects;		/* successful (re)connections */
	uint64_t connect_failures;
	uint64_t nodes;			/* masters tracked */
	uint64_t max_ttl_ms;		/* the L1 TTL cap the agent's config sets */
	uint64_t backend;		/* KCACHE_TIER_* */
	uint64_t agent_reserved[8];

	/* Added to by the library's processes (in the .apps file). */
	uint64_t backend_reads;		/* keys read from the backend */
	uint64_t fills;			/* values stored in the L1 by a fill */
	uint64_t fill_refusals;		/* fills dropped: a write came first */
	uint64_t bypass_reads;		/* reads while fenced: L1 not used */
	uint64_t writes;		/* write-through */
	uint64_t deletes;		/* delete-through */
	uint64_t backend_errors;
	uint64_t app_reserved[9];

	uint64_t text_seq;
	char servers[TIER_TEXT_MAX];
	char prefixes[TIER_TEXT_MAX];
	char last_error[TIER_TEXT_MAX];
};

/* A copy of the state, read consistently enough for a report. */
struct tier_state_snapshot {
	char name[64];
	struct tier_state s;
	bool agent_alive;		/* heartbeat fresh and pid present */
	uint64_t heartbeat_age_ms;
};

static inline uint64_t tier_load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static inline void tier_store(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

static inline uint64_t tier_add(uint64_t *p, uint64_t v)
{
	return __atomic_add_fetch(p, v, __ATOMIC_SEQ_CST);
}

uint64_t tier_now_ms(void);
uint64_t tier_realtime_ms(void);

/* The directory of state files: $KCACHE_TIER_DIR or TIER_STATE_DIR. */
const char *tier_state_dir(const char *override);

/* dir/name.state, or with @suffix TIER_APPS_SUFFIX dir/name.apps, into
 * @buf: 0 or -ENAMETOOLONG. */
int tier_state_path(const char *dir, const char *name, const char *suffix,
		    char *buf, size_t size);

/*
 * Map an existing state file. @writable: read-write, else read-only.
 * Return: 0 and *@out, or -ENOENT (no file), -EBADMSG (not a state file
 * of a layout this code knows), or another -errno.
 */
int tier_state_map(const char *path, bool writable, struct tier_state **out);

/*
 * The agent's: create the file (mode @mode, then fchown to @gid unless
 * it is (gid_t)-1) or reuse it if it is a valid state file (its counters
 * carry on; a file of another version or layout is started afresh, in
 * place), mapped read-write.
 */
int tier_state_create(const char *path, unsigned int mode, long gid,
		      struct tier_state **out);

void tier_state_unmap(struct tier_state *s);

/* The agent's text update, under text_seq. */
void tier_state_set_text(struct tier_state *s, char *field, const char *text);

/*
 * A consistent copy of the counters and texts of @s (the .state file),
 * with the application counters of @apps (the .apps file) if not NULL;
 * agent_alive computed.
 */
void tier_state_read(const struct tier_state *s, const struct tier_state *apps,
		     const char *name, struct tier_state_snapshot *snap);

/*
 * Whether readers may use the L1: an agent is connected and its
 * heartbeat is fresh.
 */
bool tier_state_usable(const struct tier_state *s, uint64_t now_ms);

/*
 * Every state file in @dir: *@out an array of snapshots (free() it).
 * Return: the count, or -errno (-ENOENT: no directory).
 */
int tier_state_list(const char *dir, struct tier_state_snapshot **out);

/* Read one tier's state (both files): 0, -ENOENT, -EBADMSG or -errno. */
int tier_state_read_name(const char *dir, const char *name,
			 struct tier_state_snapshot *snap);

const char *tier_agent_state_name(uint64_t st);
const char *tier_backend_name(uint64_t backend);

#endif /* KCACHE_TIER_STATE_H */
