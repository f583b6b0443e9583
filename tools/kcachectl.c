// SPDX-License-Identifier: GPL-2.0
/*
 * kcachectl: a small command line front end to libkcache.
 *
 * Every operation goes through the library ("dump" and "restore" through
 * kcache_serialize() and kcache_deserialize_ex(), "watch" through its
 * event hooks, with jansson for --json); "stats" prints the
 * module's sysfs file (which holds every counter of struct kcache_metrics,
 * the reaper's included, and the cleanup interval). Exit status: 0
 * success, 1 the operation failed (or, for "exists", the key is absent),
 * 2 usage error.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "kcache.h"

#define EXIT_FAIL	1
#define EXIT_USAGE	2

#define SYSFS_ROOT	"/sys/kernel/lrucache"

static const char *prog = "kcachectl";

static void usage(FILE *out)
{
	fprintf(out,
"Usage: %s COMMAND [ARGS]\n"
"\n"
"Commands:\n"
"  create NAME [--max-size N] [--max-memory BYTES] [--ttl MS]\n"
"              [--cleanup-interval MS] [--mode OCTAL]\n"
"                      create a cache (fails if it exists); limits of 0\n"
"                      or left out select the module defaults; --ttl is\n"
"                      the default TTL of its entries (0: none);\n"
"                      --cleanup-interval is how often the kernel frees\n"
"                      its expired entries (10 to 86400000; 0 or left\n"
"                      out: 60000); --mode sets who may read (4), write\n"
"                      (2) and administer (1) it, as owner, group and\n"
"                      others, like a file (default 0700)\n"
"  destroy NAME        destroy a cache and all its entries\n"
"  set NAME KEY VALUE [--ttl MS|none]\n"
"                      store VALUE under KEY (default: the cache's TTL)\n"
"  get NAME KEY        write the value of KEY to standard output, raw\n"
"  del NAME KEY        delete KEY\n"
"  exists NAME KEY     exit 0 if KEY is present, 1 if not\n"
"  clear NAME          delete every entry of the cache\n"
"  reap NAME [--full]  free the cache's expired entries now and print\n"
"                      \"freed N\"; --full examines every entry instead\n"
"                      of the expiry buckets that are due\n"
"  stats [NAME]        print the statistics of one cache (counters,\n"
"                      reaper figures, limits; needs read permission on\n"
"                      it), or the totals of all caches\n"
"  dump NAME [FILE]    write the cache's live entries as a JSON document\n"
"                      (least recently used first, remaining TTLs) to\n"
"                      FILE, created with mode 0600, or to standard\n"
"                      output if FILE is left out or is -\n"
"  restore NAME FILE [--replace]\n"
"                      store the entries of a dump (FILE - reads standard\n"
"                      input) into the existing cache NAME, in order, and\n"
"                      print \"restored N\"; --replace empties the cache\n"
"                      first. A malformed or truncated file changes\n"
"                      nothing. TTLs restart at the restore\n"
"  watch [NAME] [--events LIST] [--json] [--count N]\n"
"                      print the events of cache NAME (of every cache you\n"
"                      may read if NAME is left out) as they happen, one\n"
"                      line each: time, cache, event, key (quoted if\n"
"                      printable, else in hex, or its hash if longer than\n"
"                      64 bytes), lengths, age; --json prints one JSON\n"
"                      object per line instead. LIST is a comma-separated\n"
"                      list of hit, miss, set, delete, evict, expire,\n"
"                      reclaim, or all (the default). Lost events are\n"
"                      reported as such. Runs until interrupted (SIGINT,\n"
"                      SIGTERM) or until N events have been printed\n"
"\n"
"BYTES accepts a K, M or G suffix (powers of 1024). Use -- before a KEY or\n"
"VALUE that starts with '-'. The device is /dev/lrucache unless the\n"
"KCACHE_DEVICE environment variable names another.\n"
"\n"
"Exit status: 0 success, 1 failure (or key absent for exists), 2 usage.\n",
		prog);
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry '%s --help'.\n", prog);
	return EXIT_USAGE;
}

static int cache_error(const char *name, int err)
{
	fprintf(stderr, "%s: cache '%s': %s\n", prog, name,
		kcache_strerror(err));
	return EXIT_FAIL;
}

/* Parse a decimal number, with a binary K/M/G suffix if @suffix. */
static bool parse_u64(const char *s, bool suffix, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return false;
	if (suffix && *end) {
		switch (*end) {
		case 'k': case 'K':
			shift = 10;
			break;
		case 'm': case 'M':
			shift = 20;
			break;
		case 'g': case 'G':
			shift = 30;
			break;
		default:
			return false;
		}
		end++;
		if (!strcasecmp(end, "iB") || !strcasecmp(end, "B"))
			end += strlen(end);
	}
	if (*end)
		return false;
	if (shift && v > (UINT64_MAX >> shift))
		return false;
	*out = (uint64_t)v << shift;
	return true;
}

enum {
	OPT_MAX_SIZE = 256, OPT_MAX_MEMORY, OPT_TTL, OPT_CLEANUP_INTERVAL,
	OPT_MODE,
	OPT_FULL, OPT_REPLACE, OPT_EVENTS, OPT_JSON, OPT_COUNT, OPT_HELP,
};

static const struct option long_opts[] = {
	{ "max-size",	required_argument, NULL, OPT_MAX_SIZE },
	{ "max-memory",	required_argument, NULL, OPT_MAX_MEMORY },
	{ "ttl",	required_argument, NULL, OPT_TTL },
	{ "cleanup-interval", required_argument, NULL, OPT_CLEANUP_INTERVAL },
	{ "mode",	required_argument, NULL, OPT_MODE },
	{ "full",	no_argument,	   NULL, OPT_FULL },
	{ "replace",	no_argument,	   NULL, OPT_REPLACE },
	{ "events",	required_argument, NULL, OPT_EVENTS },
	{ "json",	no_argument,	   NULL, OPT_JSON },
	{ "count",	required_argument, NULL, OPT_COUNT },
	{ "help",	no_argument,	   NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* What one command accepts and what it was given. */
struct cmd_args {
	const char *cmd;
	int min_pos, max_pos;		/* positional arguments */
	bool limits;			/* --max-size, --max-memory,
					   --cleanup-interval */
	bool ttl;			/* --ttl */
	bool ttl_none_ok;		/* --ttl none */
	bool full_ok;			/* --full */
	bool replace_ok;		/* --replace */
	bool watch_ok;			/* --events, --json, --count */

	const char *pos[3];
	int npos;
	uint64_t max_size, max_memory, ttl_ms, cleanup_interval_ms;
	uint32_t mode;			/* 0: the default */
	bool full;
	bool replace;
	bool help;
	uint32_t events;		/* KCACHE_EVENT_BIT()s, 0: all */
	bool json;
	uint64_t count;			/* 0: no limit */
};

/* "hit,miss,..." or "all" as a mask of KCACHE_EVENT_BIT(); 0 if invalid. */
static uint32_t parse_events(const char *list)
{
	const char *p = list;
	uint32_t mask = 0;
	size_t len;
	int type;

	while (*p) {
		len = strcspn(p, ",");
		if (len == 3 && !strncmp(p, "all", 3)) {
			mask |= KCACHE_EVENT_ALL;
		} else {
			for (type = 1; type <= KCACHE_EVENT_MAX; type++)
				if (strlen(kcache_event_type_name(type)) ==
				    len &&
				    !strncmp(p, kcache_event_type_name(type),
					     len))
					break;
			if (type > KCACHE_EVENT_MAX)
				return 0;
			mask |= KCACHE_EVENT_BIT(type);
		}
		p += len;
		if (*p == ',' && *++p == 0)
			return 0;	/* a trailing comma */
	}
	return mask;
}

/* Parse argv (the command's own arguments): 0 or an exit status. */
static int parse_args(int argc, char **argv, struct cmd_args *a)
{
	uint64_t *dst;
	int opt;

	a->ttl_ms = KCACHE_TTL_DEFAULT;
	optind = 1;
	opterr = 0;
	/* GNU getopt moves the options first: they may follow NAME KEY VALUE. */
	while ((opt = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
		switch (opt) {
		case 'h':
		case OPT_HELP:
			a->help = true;
			return 0;
		case OPT_MAX_SIZE:
		case OPT_MAX_MEMORY:
			if (!a->limits)
				return usage_error("%s takes no size limits",
						   a->cmd);
			dst = opt == OPT_MAX_SIZE ? &a->max_size :
						    &a->max_memory;
			if (!parse_u64(optarg, opt == OPT_MAX_MEMORY, dst))
				return usage_error("invalid number '%s'",
						   optarg);
			break;
		case OPT_CLEANUP_INTERVAL:
			if (!a->limits)
				return usage_error("%s does not take "
						   "--cleanup-interval", a->cmd);
			if (!parse_u64(optarg, false, &a->cleanup_interval_ms))
				return usage_error("invalid interval '%s'",
						   optarg);
			break;
		case OPT_MODE: {
			char *end;
			unsigned long mode;

			if (!a->limits)
				return usage_error("%s does not take --mode",
						   a->cmd);
			errno = 0;
			mode = strtoul(optarg, &end, 8);
			/* The kernel judges the bits; this only parses. */
			if (errno || end == optarg || *end || mode > UINT32_MAX)
				return usage_error("invalid mode '%s' (octal)",
						   optarg);
			a->mode = (uint32_t)mode;
			break;
		}
		case OPT_FULL:
			if (!a->full_ok)
				return usage_error("%s does not take --full",
						   a->cmd);
			a->full = true;
			break;
		case OPT_REPLACE:
			if (!a->replace_ok)
				return usage_error("%s does not take --replace",
						   a->cmd);
			a->replace = true;
			break;
		case OPT_EVENTS:
		case OPT_JSON:
		case OPT_COUNT:
			if (!a->watch_ok)
				return usage_error("%s does not take --events, "
						   "--json or --count", a->cmd);
			if (opt == OPT_JSON) {
				a->json = true;
			} else if (opt == OPT_EVENTS) {
				a->events = parse_events(optarg);
				if (!a->events)
					return usage_error("invalid event list "
							   "'%s'", optarg);
			} else if (!parse_u64(optarg, false, &a->count) ||
				   !a->count) {
				return usage_error("invalid count '%s'",
						   optarg);
			}
			break;
		case OPT_TTL:
			if (!a->ttl)
				return usage_error("%s does not take --ttl",
						   a->cmd);
			if (a->ttl_none_ok && !strcmp(optarg, "none"))
				a->ttl_ms = KCACHE_TTL_NONE;
			else if (!parse_u64(optarg, false, &a->ttl_ms))
				return usage_error("invalid TTL '%s'", optarg);
			break;
		case ':':
			return usage_error("%s: missing argument",
					   argv[optind - 1]);
		default:
			return usage_error("%s: unknown option",
					   argv[optind - 1]);
		}
	}
	while (optind < argc) {
		if (a->npos == a->max_pos)
			return usage_error("%s: too many arguments", a->cmd);
		a->pos[a->npos++] = argv[optind++];
	}
	if (a->npos < a->min_pos)
		return usage_error("%s: missing arguments", a->cmd);
	return 0;
}

static int open_cache(const char *name, struct kcache **c)
{
	int err = kcache_open(name, NULL, c);

	return err ? cache_error(name, err) : 0;
}

static int cmd_create(struct cmd_args *a)
{
	KCACHE_OPTS(opts, .max_size = a->max_size,
		    .max_memory_bytes = a->max_memory,
		    .cleanup_interval_ms = a->cleanup_interval_ms,
		    .mode = a->mode, .flags = KCACHE_OPEN_EXCL);
	struct kcache *c;
	int err;

	opts.default_ttl_ms = a->ttl_ms == KCACHE_TTL_DEFAULT ? 0 : a->ttl_ms;
	err = kcache_open(a->pos[0], &opts, &c);
	if (err)
		return cache_error(a->pos[0], err);
	kcache_close(c);
	return 0;
}

static int cmd_destroy(struct cmd_args *a)
{
	int err = kcache_destroy(a->pos[0]);

	return err ? cache_error(a->pos[0], err) : 0;
}

static int cmd_set(struct cmd_args *a)
{
	const char *key = a->pos[1], *val = a->pos[2];
	struct kcache *c;
	int err;

	err = open_cache(a->pos[0], &c);
	if (err)
		return err;
	err = kcache_set(c, key, strlen(key), val, strlen(val), a->ttl_ms);
	kcache_close(c);
	return err ? cache_error(a->pos[0], err) : 0;
}

static int cmd_get(struct cmd_args *a)
{
	const char *key = a->pos[1];
	size_t size = 4096;
	struct kcache *c;
	char *buf = NULL;
	ssize_t len;
	int err;

	err = open_cache(a->pos[0], &c);
	if (err)
		return err;
	/* The value may grow between a too-small read and the retry. */
	for (;;) {
		char *nbuf = realloc(buf, size);

		if (!nbuf) {
			len = -ENOMEM;
			break;
		}
		buf = nbuf;
		len = kcache_get(c, key, strlen(key), buf, size);
		if (len < 0 || (size_t)len <= size)
			break;
		size = (size_t)len;
	}
	kcache_close(c);
	if (len < 0) {
		free(buf);
		return cache_error(a->pos[0], (int)len);
	}
	if (fwrite(buf, 1, (size_t)len, stdout) != (size_t)len ||
	    fflush(stdout)) {
		fprintf(stderr, "%s: write: %s\n", prog, strerror(errno));
		free(buf);
		return EXIT_FAIL;
	}
	free(buf);
	return 0;
}

static int cmd_del(struct cmd_args *a)
{
	const char *key = a->pos[1];
	struct kcache *c;
	int err;

	err = open_cache(a->pos[0], &c);
	if (err)
		return err;
	err = kcache_delete(c, key, strlen(key));
	kcache_close(c);
	return err ? cache_error(a->pos[0], err) : 0;
}

static int cmd_exists(struct cmd_args *a)
{
	const char *key = a->pos[1];
	struct kcache *c;
	int ret;

	ret = open_cache(a->pos[0], &c);
	if (ret)
		return ret;
	ret = kcache_exists(c, key, strlen(key));
	kcache_close(c);
	if (ret < 0)
		return cache_error(a->pos[0], ret);
	return ret ? 0 : EXIT_FAIL;
}

static int cmd_clear(struct cmd_args *a)
{
	struct kcache *c;
	int err;

	err = open_cache(a->pos[0], &c);
	if (err)
		return err;
	err = kcache_clear(c);
	kcache_close(c);
	return err ? cache_error(a->pos[0], err) : 0;
}

static int cmd_reap(struct cmd_args *a)
{
	struct kcache_reap_result res;
	struct kcache *c;
	int err;

	err = open_cache(a->pos[0], &c);
	if (err)
		return err;
	err = kcache_reap(c, a->full ? KCACHE_REAP_FULL_SCAN : 0, &res);
	kcache_close(c);
	if (err)
		return cache_error(a->pos[0], err);
	printf("freed %" PRIu64 "\n", res.freed);
	if (fflush(stdout)) {
		fprintf(stderr, "%s: write: %s\n", prog, strerror(errno));
		return EXIT_FAIL;
	}
	return 0;
}

static int cat_file(const char *path)
{
	char buf[4096];
	size_t n;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		int err = errno;

		fprintf(stderr, "%s: %s: %s\n", prog, path,
			err == ENOENT ? kcache_strerror(-ENODEV) :
					strerror(err));
		return EXIT_FAIL;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (fwrite(buf, 1, n, stdout) != n)
			break;
	}
	if (ferror(f) || ferror(stdout) || fflush(stdout)) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		fclose(f);
		return EXIT_FAIL;
	}
	fclose(f);
	return 0;
}

/*
 * The figures of one cache come from the library (what the cache's mode
 * lets the caller read), as "name value" lines in the order of the
 * cache's sysfs stats file, which only root may read.
 */
static int cmd_stats(struct cmd_args *a)
{
	struct kcache_metrics m;
	struct kcache_info info;
	struct kcache *c;
	int err;

	if (!a->npos)
		return cat_file(SYSFS_ROOT "/stats");
	err = open_cache(a->pos[0], &c);
	if (err)
		return err;
	err = kcache_get_metrics(c, &m);
	if (!err)
		err = kcache_get_info(c, &info);
	kcache_close(c);
	if (err)
		return cache_error(a->pos[0], err);
	printf("hits %" PRIu64 "\nmisses %" PRIu64 "\nsets %" PRIu64
	       "\ndeletes %" PRIu64 "\nevictions %" PRIu64
	       "\nexpirations %" PRIu64 "\nentries %" PRIu64
	       "\nbytes %" PRIu64 "\nreaped %" PRIu64 "\nreclaimed %" PRIu64
	       "\nreaper_runs %" PRIu64 "\nreaper_ns %" PRIu64
	       "\nexpiring %" PRIu64 "\nmax_entries %" PRIu64
	       "\nmax_bytes %" PRIu64 "\ndefault_ttl_ms %" PRIu64
	       "\nentry_overhead %" PRIu64 "\ncleanup_interval_ms %" PRIu64
	       "\n", m.hits, m.misses, m.sets, m.deletes, m.evictions,
	       m.expirations, m.entries, m.bytes, m.reaped, m.reclaimed,
	       m.reaper_runs, m.reaper_ns, m.expiring, m.max_entries,
	       m.max_bytes, m.default_ttl_ms, m.entry_overhead,
	       info.cleanup_interval_ms);
	return 0;
}

/* Write all of @buf to @fd: 0 or -errno. */
static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int cmd_dump(struct cmd_args *a)
{
	const char *path = a->npos > 1 ? a->pos[1] : "-";
	bool to_stdout = !strcmp(path, "-");
	struct kcache *c;
	char *json;
	size_t len;
	int err, fd;

	err = open_cache(a->pos[0], &c);
	if (err)
		return err;
	err = kcache_serialize(c, &json, &len);
	kcache_close(c);
	if (err)
		return cache_error(a->pos[0], err);

	/* A dump may hold anything the cache does: only the owner reads it. */
	fd = to_stdout ? STDOUT_FILENO :
	     open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
	} else {
		err = write_all(fd, json, len);
		if (!err)
			err = write_all(fd, "\n", 1);
		if (!to_stdout && close(fd) && !err)
			err = -errno;
	}
	free(json);
	if (err) {
		fprintf(stderr, "%s: %s: %s\n", prog,
			to_stdout ? "standard output" : path, strerror(-err));
		return EXIT_FAIL;
	}
	return 0;
}

/* The whole of @path ("-": standard input) in *@buf: 0 or -errno. */
static int read_whole(const char *path, char **buf, size_t *len)
{
	bool from_stdin = !strcmp(path, "-");
	size_t cap = 65536, n = 0;
	char *p = NULL, *np;
	ssize_t r;
	int fd, err = 0;

	fd = from_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (!p || n == cap) {
			if (p)
				cap *= 2;
			np = realloc(p, cap);
			if (!np) {
				err = -ENOMEM;
				break;
			}
			p = np;
		}
		r = read(fd, p + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	if (!from_stdin)
		close(fd);
	if (err) {
		free(p);
		return err;
	}
	*buf = p;
	*len = n;
	return 0;
}

static int cmd_restore(struct cmd_args *a)
{
	const char *path = a->pos[1];
	struct kcache_json_error jerr;
	struct kcache *c;
	char *json = NULL;
	size_t len = 0;
	int ret;

	ret = read_whole(path, &json, &len);
	if (ret) {
		fprintf(stderr, "%s: %s: %s\n", prog,
			strcmp(path, "-") ? path : "standard input",
			strerror(-ret));
		return EXIT_FAIL;
	}
	ret = open_cache(a->pos[0], &c);
	if (ret) {
		free(json);
		return ret;
	}
	ret = kcache_deserialize_ex(c, json, len,
				    a->replace ? KCACHE_RESTORE_REPLACE : 0,
				    &jerr);
	kcache_close(c);
	free(json);
	if (ret == -EBADMSG || ret == -EPROTONOSUPPORT) {
		/* The file's fault: say where and why; the cache is as it was. */
		if (jerr.line > 0)
			fprintf(stderr, "%s: %s:%d:%d: %s (%s)\n", prog, path,
				jerr.line, jerr.column, jerr.text,
				kcache_strerror(ret));
		else
			fprintf(stderr, "%s: %s: %s (%s)\n", prog, path,
				jerr.text, kcache_strerror(ret));
		return EXIT_FAIL;
	}
	if (ret < 0) {
		fprintf(stderr, "%s: cache '%s': %s%s%s\n", prog, a->pos[0],
			kcache_strerror(ret), jerr.text[0] ? ": " : "",
			jerr.text);
		return EXIT_FAIL;
	}
	printf("restored %d\n", ret);
	if (fflush(stdout)) {
		fprintf(stderr, "%s: write: %s\n", prog, strerror(errno));
		return EXIT_FAIL;
	}
	return 0;
}

/* watch: one line per event, until a signal or --count events. */
struct watch {
	bool json;
	uint64_t count;
	uint64_t printed;
	int err;		/* first output error (-errno) */
};

static volatile sig_atomic_t watch_stop;

static void watch_signal(int sig)
{
	(void)sig;
	watch_stop = 1;
}

/* The time an event was read, UTC, ISO 8601 with milliseconds. */
static void watch_time(char buf[32])
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, 32 - n, ".%03dZ", (int)(ts.tv_nsec / 1000000));
}

/* Standard base64 with padding, as dump documents write binary keys. */
static char *base64(const unsigned char *in, size_t len)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;
	size_t i;

	if (!out)
		return NULL;
	for (i = 0; i + 2 < len; i += 3, o += 4) {
		o[0] = abc[in[i] >> 2];
		o[1] = abc[(in[i] & 3) << 4 | in[i + 1] >> 4];
		o[2] = abc[(in[i + 1] & 15) << 2 | in[i + 2] >> 6];
		o[3] = abc[in[i + 2] & 63];
	}
	if (i < len) {
		o[0] = abc[in[i] >> 2];
		o[1] = abc[(in[i] & 3) << 4 |
			   (i + 1 < len ? in[i + 1] >> 4 : 0)];
		o[2] = i + 1 < len ? abc[(in[i + 1] & 15) << 2] : '=';
		o[3] = '=';
		o += 4;
	}
	*o = 0;
	return out;
}

/*
 * The key as dump documents write it: a string if it is valid UTF-8,
 * else {"base64": ...}; null if the event does not carry it.
 */
static json_t *json_key(const struct kcache_event *ev)
{
	json_t *key;
	char *b64;

	if (!ev->key)
		return json_null();
	key = json_stringn(ev->key, ev->key_len);
	if (key)
		return key;
	b64 = base64(ev->key, ev->key_len);
	if (!b64)
		return NULL;
	key = json_pack("{s:s}", "base64", b64);
	free(b64);
	return key;
}

static void watch_print_json(struct watch *w, json_t *obj)
{
	char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;

	if (!text) {
		if (!w->err)
			w->err = -ENOMEM;
	} else if (printf("%s\n", text) < 0 && !w->err) {
		w->err = -errno;
	}
	free(text);
	json_decref(obj);
}

static void watch_event(const struct kcache_event *ev, void *arg)
{
	struct watch *w = arg;
	char when[32], text[512];

	if (w->count && w->printed >= w->count)
		return;		/* read in the same batch as the last one */
	w->printed++;
	watch_time(when);
	if (w->json) {
		json_t *key = json_key(ev);

		watch_print_json(w, key ? json_pack(
			"{s:s, s:s, s:s, s:o, s:I, s:I, s:I, s:o, s:I}",
			"time", when, "cache", ev->cache,
			"event", kcache_event_type_name(ev->type),
			"key", key, "key_len", (json_int_t)ev->key_len,
			"key_hash", (json_int_t)ev->key_hash,
			"value_len", (json_int_t)ev->value_len,
			"age_s", ev->age_s >= 0 ?
				 json_integer((json_int_t)ev->age_s) :
				 json_null(),
			"seq", (json_int_t)ev->seq) : NULL);
		return;
	}
	kcache_event_format(ev, text, sizeof(text));
	if (printf("%s %s\n", when, text) < 0 && !w->err)
		w->err = -errno;
}

static void watch_lost(uint64_t n, void *arg)
{
	struct watch *w = arg;
	char when[32];

	watch_time(when);
	if (w->json)
		watch_print_json(w, json_pack("{s:s, s:s, s:I}", "time", when,
					      "event", "lost",
					      "count", (json_int_t)n));
	else if (printf("%s lost %" PRIu64 " events\n", when, n) < 0 &&
		 !w->err)
		w->err = -errno;
}

static int cmd_watch(struct cmd_args *a)
{
	struct kcache_hook_ops ops = { .on_lost = watch_lost };
	struct watch w = { .json = a->json, .count = a->count };
	uint32_t mask = a->events ? a->events : KCACHE_EVENT_ALL;
	const char *what = a->npos ? a->pos[0] : "(all)";
	struct sigaction sa;
	sigset_t block, orig;
	struct pollfd pfd;
	struct kcache *c;
	int err, ret = 0;

	/* The same callback for every event asked for: that is the mask. */
	if (mask & KCACHE_EVENT_BIT(KCACHE_EVENT_HIT))
		ops.on_hit = watch_event;
	if (mask & KCACHE_EVENT_BIT(KCACHE_EVENT_MISS))
		ops.on_miss = watch_event;
	if (mask & KCACHE_EVENT_BIT(KCACHE_EVENT_SET))
		ops.on_set = watch_event;
	if (mask & KCACHE_EVENT_BIT(KCACHE_EVENT_DELETE))
		ops.on_delete = watch_event;
	if (mask & KCACHE_EVENT_BIT(KCACHE_EVENT_EVICT))
		ops.on_evict = watch_event;
	if (mask & KCACHE_EVENT_BIT(KCACHE_EVENT_EXPIRE))
		ops.on_expire = watch_event;
	if (mask & KCACHE_EVENT_BIT(KCACHE_EVENT_RECLAIM))
		ops.on_reclaim = watch_event;

	if (a->npos) {
		err = open_cache(a->pos[0], &c);
		if (err)
			return err;
	} else if ((err = kcache_watch_all(&c))) {
		return cache_error(what, err);
	}
	err = kcache_add_hook(c, &ops, &w);
	if (err) {
		kcache_close(c);
		return cache_error(what, err);
	}

	/*
	 * The signals stay blocked but while waiting in ppoll(), so that one
	 * arriving between the check and the wait still ends the wait.
	 */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &orig);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = watch_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* Lines go out as they are made, for pipes too. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	pfd.fd = kcache_events_fd(c);
	pfd.events = POLLIN;
	while (!watch_stop && !(w.count && w.printed >= w.count) && !w.err) {
		err = kcache_events_dispatch(c);
		if (err < 0) {
			if (err == -ENODEV)
				fprintf(stderr, "%s: the lrucache module was "
					"unloaded\n", prog);
			else
				cache_error(what, err);
			ret = EXIT_FAIL;
			break;
		}
		if (err > 0)
			continue;	/* there may be more */
		if (ppoll(&pfd, 1, NULL, &orig) < 0 && errno != EINTR) {
			fprintf(stderr, "%s: poll: %s\n", prog,
				strerror(errno));
			ret = EXIT_FAIL;
			break;
		}
	}
	if (w.err || fflush(stdout)) {
		fprintf(stderr, "%s: write: %s\n", prog,
			strerror(w.err ? -w.err : errno));
		ret = EXIT_FAIL;
	}
	kcache_remove_hook(c, &ops, &w);
	kcache_close(c);
	sigprocmask(SIG_SETMASK, &orig, NULL);
	return ret;
}

static const struct command {
	const char *name;
	int (*run)(struct cmd_args *a);
	int min_pos, max_pos;
	bool limits, ttl, ttl_none_ok, full_ok, replace_ok;
} commands[] = {
	{ "create",  cmd_create,  1, 1, true,  true,  false, false, false },
	{ "destroy", cmd_destroy, 1, 1, false, false, false, false, false },
	{ "set",     cmd_set,     3, 3, false, true,  true,  false, false },
	{ "get",     cmd_get,     2, 2, false, false, false, false, false },
	{ "del",     cmd_del,     2, 2, false, false, false, false, false },
	{ "exists",  cmd_exists,  2, 2, false, false, false, false, false },
	{ "clear",   cmd_clear,   1, 1, false, false, false, false, false },
	{ "reap",    cmd_reap,    1, 1, false, false, false, true,  false },
	{ "stats",   cmd_stats,   0, 1, false, false, false, false, false },
	{ "dump",    cmd_dump,    1, 2, false, false, false, false, false },
	{ "restore", cmd_restore, 2, 2, false, false, false, false, true },
	{ "watch",   cmd_watch,   0, 1, false, false, false, false, false },
};

int main(int argc, char **argv)
{
	struct cmd_args a;
	unsigned int i;
	int ret;

	if (argc < 2)
		return usage_error("%s", "missing command");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct command *cmd = &commands[i];

		if (strcmp(argv[1], cmd->name))
			continue;
		memset(&a, 0, sizeof(a));
		a.cmd = cmd->name;
		a.min_pos = cmd->min_pos;
		a.max_pos = cmd->max_pos;
		a.limits = cmd->limits;
		a.ttl = cmd->ttl;
		a.ttl_none_ok = cmd->ttl_none_ok;
		a.full_ok = cmd->full_ok;
		a.replace_ok = cmd->replace_ok;
		a.watch_ok = cmd->run == cmd_watch;
		ret = parse_args(argc - 1, argv + 1, &a);
		if (ret)
			return ret;
		if (a.help) {
			usage(stdout);
			return 0;
		}
		return cmd->run(&a);
	}
	return usage_error("unknown command '%s'", argv[1]);
}
