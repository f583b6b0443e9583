// SPDX-License-Identifier: GPL-2.0
/*
 * kcachectl: the command line front end to libkcache.
 *
 * Every operation goes through the library: the cache operations through
 * a handle, "list" and the totals of "stats" through kcache_list() and
 * kcache_get_totals(), "dump" and "restore" through kcache_serialize()
 * and kcache_deserialize_ex(), "watch" through the event hooks. jansson
 * writes the --json output. Documentation/man/kcachectl.8.rst is the
 * manual; `kcachectl --help` and `kcachectl COMMAND --help` say the same.
 *
 * Exit status: 0 success, 1 the operation failed (or the key is absent,
 * or a cache is not healthy), 2 usage error.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "kcache.h"
#include "kcachectl_tier.h"

#define EXIT_FAIL	1
#define EXIT_USAGE	2

static const char *prog = "kcachectl";

/* The options, as bits of struct command.opts. */
enum {
	OPT_MAX_SIZE = 256, OPT_MAX_MEMORY, OPT_TTL, OPT_CLEANUP_INTERVAL,
	OPT_MODE, OPT_FULL, OPT_REPLACE, OPT_EVENTS, OPT_JSON, OPT_COUNT,
	OPT_FILE, OPT_PROMETHEUS, OPT_INTERVAL, OPT_INITIAL, OPT_HELP,
	OPT_MAPPED, OPT_LAST
};

#define OPTBIT(o)	(1U << ((o) - OPT_MAX_SIZE))

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
	{ "file",	required_argument, NULL, OPT_FILE },
	{ "prometheus",	no_argument,	   NULL, OPT_PROMETHEUS },
	{ "interval",	required_argument, NULL, OPT_INTERVAL },
	{ "initial",	required_argument, NULL, OPT_INITIAL },
	{ "help",	no_argument,	   NULL, OPT_HELP },
	{ "mapped",	no_argument,	   NULL, OPT_MAPPED },
	{ NULL, 0, NULL, 0 },
};

/* What one command was given. */
struct cmd_args {
	const struct command *cmd;
	const char *pos[4];
	int npos;
	unsigned int given;		/* OPTBIT()s seen */
	uint64_t max_size, max_memory, cleanup_interval_ms;
	uint64_t ttl_ms;		/* KCACHE_TTL_DEFAULT if not given */
	uint32_t mode;			/* 0: the default */
	uint32_t events;		/* KCACHE_EVENT_BIT()s, 0: all */
	uint64_t count;			/* 0: no limit */
	uint64_t interval_ms;
	int64_t initial;		/* incr, decr: 0 if not given */
	const char *file;
	bool help;
};

struct command {
	const char *name;
	int (*run)(struct cmd_args *a);
	int min_pos, max_pos;
	unsigned int opts;		/* OPTBIT()s accepted */
	const char *synopsis;		/* after "kcachectl NAME " */
	const char *summary;		/* one line, for the command list */
	const char *help;		/* the rest of `NAME --help` */
};

/*
 * The help texts. The manual (Documentation/man/kcachectl.8.rst) has the
 * same words: change both together.
 */
static const char units_help[] =
"SIZE is a number of bytes with an optional K, M, G or T suffix (powers of\n"
"1024; a trailing B or iB is allowed): 512, 64K, 64M, 1G, 1.5G.\n"
"DURATION is a number with a unit, ms, s, m, h or d, or several of them:\n"
"250ms, 30s, 5m, 1h, 1h30m. A bare number is milliseconds, as it always\n"
"was for --ttl and --cleanup-interval: --ttl 5000 is 5s.\n";

static const char exit_help[] =
"Exit status: 0 success; 1 failure, or the key is absent (get, del,\n"
"exists, gets, cas, touch, ttl, getex, getdel), or a cache is not healthy\n"
"(health); 2 usage error.\n";

static void command_usage(const struct command *cmd, FILE *out)
{
	unsigned int units = OPTBIT(OPT_MAX_MEMORY) | OPTBIT(OPT_TTL) |
			     OPTBIT(OPT_CLEANUP_INTERVAL) | OPTBIT(OPT_INTERVAL);

	fprintf(out, "Usage: %s %s %s\n\n%s.\n\n%s\n", prog, cmd->name,
		cmd->synopsis, cmd->summary, cmd->help);
	/* touch and getex take a TTL argument, a DURATION. */
	if ((cmd->opts & units) || !strcmp(cmd->name, "touch") ||
	    !strcmp(cmd->name, "getex"))
		fprintf(out, "%s\n", units_help);
	fputs(exit_help, out);
}

static int usage_error(const struct command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int usage_error(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	if (cmd)
		fprintf(stderr, "%s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cmd)
		fprintf(stderr, "\nTry '%s %s --help'.\n", prog, cmd->name);
	else
		fprintf(stderr, "\nTry '%s --help'.\n", prog);
	return EXIT_USAGE;
}

/* Units: parsing */

/* A decimal count, no sign, no suffix. */
static bool parse_count(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

/* A signed decimal integer of 64 bits: an optional '-', digits. */
static bool parse_int64(const char *s, int64_t *out)
{
	long long v;
	char *end;

	if ((*s < '0' || *s > '9') && (*s != '-' || s[1] < '0' || s[1] > '9'))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

/* SIZE: a number, maybe with a fraction, and a binary K/M/G/T suffix. */
static bool parse_size(const char *s, uint64_t *out)
{
	unsigned int shift = 0;
	long double v;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtold(s, &end);
	if (errno || end == s)
		return false;
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
	case 't': case 'T':
		shift = 40;
		break;
	}
	if (shift)
		end++;
	if (!strcasecmp(end, "iB") && shift)
		end += 2;
	else if (!strcasecmp(end, "B"))
		end++;
	if (*end)
		return false;
	v = v * (long double)(1ULL << shift);
	/* A fraction must come to whole bytes: 1.5K is 1536, 0.3K is not. */
	if (v >= 18446744073709551616.0L || v != (long double)(uint64_t)v)
		return false;
	*out = (uint64_t)v;
	return true;
}

/*
 * DURATION in milliseconds: NUMBER UNIT [NUMBER UNIT]... with units ms,
 * s, m, h, d; or a bare NUMBER of milliseconds.
 */
static bool parse_duration(const char *s, uint64_t *ms)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "d", 86400000 },
	};
	unsigned long long v;
	uint64_t total = 0, mul;
	const char *p = s;
	unsigned int i;
	size_t len;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	while (*p) {
		if (*p < '0' || *p > '9')
			return false;
		errno = 0;
		v = strtoull(p, &end, 10);
		if (errno)
			return false;
		if (!*end && p == s) {
			*ms = v;	/* a bare number: milliseconds */
			return true;
		}
		len = strspn(end, "abcdefghijklmnopqrstuvwxyz");
		mul = 0;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (strlen(units[i].unit) == len &&
			    !strncmp(end, units[i].unit, len))
				mul = units[i].ms;
		if (!mul || v > (UINT64_MAX - total) / mul)
			return false;
		total += v * mul;
		p = end + len;
	}
	*ms = total;
	return true;
}

/*
 * The TTL argument of touch and getex: none (never expires), default (the
 * cache's default TTL) or a DURATION of 1ms to KCACHE_TTL_MAX_MS.
 */
static bool parse_ttl(const char *s, uint64_t *ttl_ms)
{
	if (!strcmp(s, "none")) {
		*ttl_ms = KCACHE_TTL_NONE;
		return true;
	}
	if (!strcmp(s, "default")) {
		*ttl_ms = KCACHE_TTL_DEFAULT;
		return true;
	}
	return parse_duration(s, ttl_ms) && *ttl_ms &&
	       *ttl_ms <= KCACHE_TTL_MAX_MS;
}

/* Units: printing */

/* Bytes as "512 B", "64 MiB" or "1.5 GiB". */
static const char *fmt_size(uint64_t bytes, char buf[32])
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB",
					     "PiB", "EiB" };
	unsigned int u = 0;
	double v = (double)bytes;

	while (v >= 1024 && u < 6) {
		v /= 1024;
		u++;
	}
	if (!u || bytes % (1ULL << (10 * u)) == 0)
		snprintf(buf, 32, "%.0f %s", v, units[u]);
	else
		snprintf(buf, 32, "%.1f %s", v, units[u]);
	return buf;
}

/* Milliseconds as "250ms", "30s", "1h 30m", "2d 3h" (two units at most). */
static const char *fmt_duration(uint64_t ms, char buf[32])
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = {
		{ "d", 86400000 }, { "h", 3600000 }, { "m", 60000 },
		{ "s", 1000 }, { "ms", 1 },
	};
	unsigned int i, shown = 0;
	size_t at = 0;

	if (!ms) {
		snprintf(buf, 32, "0s");
		return buf;
	}
	buf[0] = 0;
	for (i = 0; i < 5 && shown < 2; i++) {
		uint64_t n = ms / units[i].ms;

		if (!n) {
			if (shown)
				shown++;	/* "1h 0m 5s" reads as "1h" */
			continue;
		}
		at += snprintf(buf + at, 32 - at, "%s%" PRIu64 "%s",
			       shown ? " " : "", n, units[i].unit);
		ms -= n * units[i].ms;
		shown++;
	}
	return buf;
}

/* Errors */

/* A key as it goes into a message: itself if printable, else its length. */
static const char *fmt_key(const char *key, char buf[96])
{
	size_t i, len = strlen(key);

	for (i = 0; i < len; i++)
		if (key[i] < 0x20 || key[i] > 0x7e)
			break;
	if (i == len && len < 80)
		snprintf(buf, 96, "'%s'", key);
	else
		snprintf(buf, 96, "of %zu bytes", len);
	return buf;
}

/*
 * Why the caller may not do something to a cache: the owner and mode if
 * the caller may read them (LRUCACHE_IOC_INFO needs read permission, and
 * nothing else the kernel offers an unprivileged caller shows them).
 */
static void explain_access(const char *name)
{
	struct kcache_info info;
	struct kcache *c;
	int err;

	err = kcache_open(name, NULL, &c);
	if (!err) {
		err = kcache_get_info(c, &info);
		kcache_close(c);
	}
	if (!err)
		fprintf(stderr, " (owner uid %u gid %u, mode %04o; you are uid "
			"%u gid %u)", info.owner_uid, info.owner_gid, info.mode,
			(unsigned int)geteuid(), (unsigned int)getegid());
	else
		fprintf(stderr, " (you are uid %u gid %u; the owner and mode "
			"are shown only to users who may read the cache)",
			(unsigned int)geteuid(), (unsigned int)getegid());
}

/* "kcachectl: cache 'NAME': why" for an operation on the cache itself. */
static int cache_error(const char *name, int err)
{
	if (err == -ENODEV) {
		fprintf(stderr, "%s: %s\n", prog, kcache_strerror(err));
		return EXIT_FAIL;
	}
	fprintf(stderr, "%s: cache '%s': %s", prog, name,
		err == -ENOENT ? "no such cache" :
		err == -EACCES ? "permission denied" : kcache_strerror(err));
	if (err == -EACCES)
		explain_access(name);
	fputc('\n', stderr);
	return EXIT_FAIL;
}

/* The same for an operation on a key of a cache the caller has open. */
static int key_error(const char *name, const char *key, int err)
{
	char kbuf[96];

	if (err != -ENOENT)
		return cache_error(name, err);
	fprintf(stderr, "%s: cache '%s': key %s not found\n", prog, name,
		fmt_key(key, kbuf));
	return EXIT_FAIL;
}

/*
 * An error a command explains in its own words, with the errno's name:
 * "kcachectl: cache 'NAME': key 'KEY': WHY (ENAME)".
 */
static int key_fail(const char *name, const char *key, int err,
		    const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int key_fail(const char *name, const char *key, int err,
		    const char *fmt, ...)
{
	const char *ename = strerrorname_np(-err);
	char kbuf[96];
	va_list ap;

	fprintf(stderr, "%s: cache '%s': key %s: ", prog, name,
		fmt_key(key, kbuf));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (%s)\n", ename ? ename : "unknown errno");
	return EXIT_FAIL;
}

static int output_error(void)
{
	fprintf(stderr, "%s: write: %s\n", prog, strerror(errno));
	return EXIT_FAIL;
}

/* Flush standard output: 0 or EXIT_FAIL with the reason printed. */
static int finish_output(void)
{
	if (ferror(stdout) || fflush(stdout))
		return output_error();
	return 0;
}

/*
 * Print a JSON value laid out as json_dumps()'s @flags say, and a newline,
 * and free it: 0 or EXIT_FAIL.
 */
static int print_json_as(json_t *obj, size_t flags)
{
	char *text = obj ? json_dumps(obj, flags | JSON_PRESERVE_ORDER) : NULL;

	json_decref(obj);
	if (!text) {
		fprintf(stderr, "%s: %s\n", prog, kcache_strerror(-ENOMEM));
		return EXIT_FAIL;
	}
	printf("%s\n", text);
	free(text);
	return finish_output();
}

/* Indented, for a person. */
static int print_json(json_t *obj)
{
	return print_json_as(obj, JSON_INDENT(2));
}

/* On one line, one value a line (top --json). */
static int print_json_line(json_t *obj)
{
	return print_json_as(obj, JSON_COMPACT);
}

/* Standard base64 with padding, as dump documents write binary bytes. */
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
 * Bytes as dump documents write them: a string if they are valid UTF-8,
 * else {"base64": ...}. NULL only when out of memory.
 */
static json_t *json_bytes(const void *p, size_t len)
{
	json_t *s = json_stringn(p, len);
	char *b64;

	if (s)
		return s;
	b64 = base64(p, len);
	if (!b64)
		return NULL;
	s = json_pack("{s:s}", "base64", b64);
	free(b64);
	return s;
}

/* Argument parsing */

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

/* One option's argument into @a: 0 or an exit status. */
static int parse_option(const struct command *cmd, int opt, const char *arg,
			struct cmd_args *a)
{
	unsigned long mode;
	char *end;

	switch (opt) {
	case OPT_MAX_SIZE:
		if (!parse_count(arg, &a->max_size))
			return usage_error(cmd, "invalid --max-size '%s' "
					   "(a number of entries)", arg);
		break;
	case OPT_MAX_MEMORY:
		if (!parse_size(arg, &a->max_memory))
			return usage_error(cmd, "invalid --max-memory '%s' "
					   "(a SIZE: 1048576, 64M, 1G)", arg);
		break;
	case OPT_CLEANUP_INTERVAL:
		if (!parse_duration(arg, &a->cleanup_interval_ms))
			return usage_error(cmd, "invalid --cleanup-interval "
					   "'%s' (a DURATION: 500ms, 30s, 1m)",
					   arg);
		break;
	case OPT_TTL:
		if (!strcmp(arg, "none")) {
			/* set: never expires; create: no default TTL. */
			a->ttl_ms = KCACHE_TTL_NONE;
			break;
		}
		if (!parse_duration(arg, &a->ttl_ms))
			return usage_error(cmd, "invalid --ttl '%s' (a DURATION:"
					   " 250ms, 30s, 5m, 1h, or none)", arg);
		/* 0 is "no default TTL" to create, and no TTL to the rest. */
		if (!a->ttl_ms && strcmp(cmd->name, "create"))
			return usage_error(cmd, "--ttl 0: a TTL must be "
					   "positive (or none)");
		if (a->ttl_ms > KCACHE_TTL_MAX_MS)
			return usage_error(cmd, "--ttl '%s': longer than the "
					   "longest TTL, %" PRIu64 "ms (about "
					   "139 years)", arg, KCACHE_TTL_MAX_MS);
		break;
	case OPT_INITIAL:
		if (!parse_int64(arg, &a->initial))
			return usage_error(cmd, "invalid --initial '%s' (a "
					   "signed 64-bit integer)", arg);
		break;
	case OPT_MODE:
		errno = 0;
		mode = strtoul(arg, &end, 8);
		/* The kernel judges the bits; this only parses. */
		if (errno || end == arg || *end || *arg == '-' ||
		    mode > UINT32_MAX)
			return usage_error(cmd, "invalid --mode '%s' (octal, "
					   "like chmod: 0700, 0740)", arg);
		a->mode = (uint32_t)mode;
		break;
	case OPT_EVENTS:
		a->events = parse_events(arg);
		if (!a->events)
			return usage_error(cmd, "invalid --events '%s' (a "
					   "comma-separated list of hit, miss, "
					   "set, delete, evict, expire, reclaim"
					   " or all)", arg);
		break;
	case OPT_COUNT:
		if (!parse_count(arg, &a->count) || !a->count)
			return usage_error(cmd, "invalid --count '%s' (a "
					   "positive number)", arg);
		break;
	case OPT_INTERVAL:
		if (!parse_duration(arg, &a->interval_ms) ||
		    a->interval_ms < 100)
			return usage_error(cmd, "invalid --interval '%s' (a "
					   "DURATION of 100ms or more)", arg);
		break;
	case OPT_FILE:
		a->file = arg;
		break;
	}
	return 0;
}

/* Parse argv (the command's own arguments): 0 or an exit status. */
static int parse_args(const struct command *cmd, int argc, char **argv,
		      struct cmd_args *a)
{
	const char *name;
	int opt, idx, ret;

	memset(a, 0, sizeof(*a));
	a->cmd = cmd;
	a->ttl_ms = KCACHE_TTL_DEFAULT;
	a->interval_ms = 1000;
	optind = 1;
	opterr = 0;
	/* GNU getopt moves the options first: they may follow NAME KEY VALUE. */
	while ((opt = getopt_long(argc, argv, ":h", long_opts, &idx)) != -1) {
		if (opt == 'h' || opt == OPT_HELP) {
			a->help = true;
			return 0;
		}
		if (opt == ':')
			return usage_error(cmd, "option %s needs an argument",
					   argv[optind - 1]);
		if (opt == '?' && optopt >= '0' && optopt <= '9')
			return usage_error(cmd, "a negative number needs -- "
					   "before it (after the options)");
		if (opt == '?' || opt < OPT_MAX_SIZE || opt >= OPT_LAST)
			return usage_error(cmd, "unknown option '%s'",
					   argv[optind - 1]);
		name = long_opts[idx].name;
		if (!(cmd->opts & OPTBIT(opt)))
			return usage_error(cmd, "%s does not take --%s",
					   cmd->name, name);
		if (a->given & OPTBIT(opt))
			return usage_error(cmd, "--%s given twice", name);
		a->given |= OPTBIT(opt);
		ret = parse_option(cmd, opt, optarg, a);
		if (ret)
			return ret;
	}
	if ((a->given & OPTBIT(OPT_JSON)) &&
	    (a->given & OPTBIT(OPT_PROMETHEUS)))
		return usage_error(cmd, "--json and --prometheus exclude each "
				   "other");
	while (optind < argc) {
		if (a->npos == cmd->max_pos)
			return usage_error(cmd, "too many arguments ('%s')",
					   argv[optind]);
		a->pos[a->npos++] = argv[optind++];
	}
	if (a->npos < cmd->min_pos)
		return usage_error(cmd, "missing arguments");
	return 0;
}

static bool json_wanted(const struct cmd_args *a)
{
	return a->given & OPTBIT(OPT_JSON);
}

/* Attach to an existing cache, reporting why not: 0 or EXIT_FAIL. */
static int open_cache(const char *name, struct kcache **c)
{
	int err = kcache_open(name, NULL, c);

	return err ? cache_error(name, err) : 0;
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

static const char *input_name(const char *path)
{
	return strcmp(path, "-") ? path : "standard input";
}

static int cmd_list(struct cmd_args *a)
{
	char **names;
	json_t *arr;
	int n, i;

	n = kcache_list(&names);
	if (n < 0) {
		fprintf(stderr, "%s: %s\n", prog, kcache_strerror(n));
		return EXIT_FAIL;
	}
	if (json_wanted(a)) {
		arr = json_array();
		for (i = 0; arr && i < n; i++) {
			if (json_array_append_new(arr, json_string(names[i]))) {
				json_decref(arr);
				arr = NULL;	/* out of memory */
			}
		}
		free(names);
		return print_json(arr);
	}
	for (i = 0; i < n; i++)
		printf("%s\n", names[i]);
	free(names);
	return finish_output();
}

static int cmd_create(struct cmd_args *a)
{
	KCACHE_OPTS(opts, .max_size = a->max_size,
		    .max_memory_bytes = a->max_memory,
		    .cleanup_interval_ms = a->cleanup_interval_ms,
		    .mode = a->mode, .flags = KCACHE_OPEN_EXCL);
	struct kcache *c;
	int err;

	if (a->given & OPTBIT(OPT_MAPPED))
		opts.flags |= KCACHE_OPEN_MAPPED;
	opts.default_ttl_ms = a->ttl_ms == KCACHE_TTL_DEFAULT ||
			      a->ttl_ms == KCACHE_TTL_NONE ? 0 : a->ttl_ms;
	err = kcache_open(a->pos[0], &opts, &c);
	if (err == -EEXIST) {
		fprintf(stderr, "%s: cache '%s': exists already\n", prog,
			a->pos[0]);
		return EXIT_FAIL;
	}
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
	const char *key = a->pos[1], *src = a->file;
	char *val = NULL;
	struct kcache *c;
	size_t vlen;
	int err;

	if (a->file && a->npos == 3)
		return usage_error(a->cmd, "a VALUE and --file: give one");
	if (!a->file && a->npos < 3)
		return usage_error(a->cmd, "missing VALUE (or - for standard "
				   "input, or --file FILE)");
	if (!src && !strcmp(a->pos[2], "-"))
		src = "-";
	if (src) {
		err = read_whole(src, &val, &vlen);
		if (err) {
			fprintf(stderr, "%s: %s: %s\n", prog, input_name(src),
				strerror(-err));
			return EXIT_FAIL;
		}
	}
	err = open_cache(a->pos[0], &c);
	if (err) {
		free(val);
		return err;
	}
	if (src)
		err = kcache_set(c, key, strlen(key), val, vlen, a->ttl_ms);
	else
		err = kcache_set(c, key, strlen(key), a->pos[2],
				 strlen(a->pos[2]), a->ttl_ms);
	kcache_close(c);
	free(val);
	return err ? cache_error(a->pos[0], err) : 0;
}

/* How get_value() reads a key: the libkcache call and what it needs. */
struct reader {
	enum { READ_GET, READ_GETS, READ_GETEX, READ_GETDEL } op;
	uint64_t ttl_ms;		/* READ_GETEX: the new TTL */
	uint64_t version;		/* READ_GETS: the version read */
};

static ssize_t read_once(struct kcache *c, const char *key, char *buf,
			 size_t size, struct reader *r)
{
	size_t klen = strlen(key);

	switch (r->op) {
	case READ_GETS:
		return kcache_gets(c, key, klen, buf, size, &r->version);
	case READ_GETEX:
		return kcache_getex(c, key, klen, buf, size, r->ttl_ms);
	case READ_GETDEL:
		/* A value too long is neither copied nor deleted. */
		return kcache_getdel(c, key, klen, buf, size);
	case READ_GET:
		break;
	}
	return kcache_get(c, key, klen, buf, size);
}

/*
 * The whole value of @key in *@buf (malloc()ed), read as @r says (NULL:
 * kcache_get()): its length or -errno.
 */
static ssize_t get_value(struct kcache *c, const char *key, char **buf,
			 struct reader *r)
{
	struct reader plain = { .op = READ_GET };
	size_t size = 4096;
	char *p = NULL, *np;
	ssize_t len;

	if (!r)
		r = &plain;
	/* The value may grow between a too-small read and the retry. */
	for (;;) {
		np = realloc(p, size ? size : 1);
		if (!np) {
			len = -ENOMEM;
			break;
		}
		p = np;
		len = read_once(c, key, p, size, r);
		if (len < 0 || (size_t)len <= size)
			break;
		size = (size_t)len;
	}
	if (len < 0) {
		free(p);
		return len;
	}
	*buf = p;
	return len;
}

/*
 * Print a value read from @key and free @buf: the bytes as they are, or
 * with --json {"key", "value", "encoding"} (the value as text if it is
 * UTF-8, else in base64). With @version (gets), the version first: on a
 * line of its own before the bytes, or as "version" in the JSON.
 */
static int print_value(const struct cmd_args *a, const char *key, char *buf,
		       size_t len, const uint64_t *version)
{
	const char *enc = "utf-8";
	json_t *obj, *v;
	char *b64;

	if (!json_wanted(a)) {
		if (version)
			printf("%" PRIu64 "\n", *version);
		if (fwrite(buf, 1, len, stdout) != len) {
			free(buf);
			return output_error();
		}
		free(buf);
		return finish_output();
	}
	v = json_stringn(buf, len);
	if (!v) {
		b64 = base64((unsigned char *)buf, len);
		v = b64 ? json_string(b64) : NULL;
		free(b64);
		enc = "base64";
	}
	free(buf);
	obj = v ? json_pack("{s:o?, s:o, s:s}", "key",
			    json_bytes(key, strlen(key)), "value", v,
			    "encoding", enc) : NULL;
	if (obj && version &&
	    json_object_set_new(obj, "version",
				json_integer((json_int_t)*version))) {
		json_decref(obj);
		obj = NULL;	/* out of memory */
	}
	return print_json(obj);
}

/* get, gets, getex, getdel: read @key as @r says and print it. */
static int read_command(struct cmd_args *a, struct reader *r)
{
	const char *key = a->pos[1];
	struct kcache *c;
	ssize_t len;
	char *buf;
	int err;

	err = open_cache(a->pos[0], &c);
	if (err)
		return err;
	len = get_value(c, key, &buf, r);
	kcache_close(c);
	if (len < 0)
		return key_error(a->pos[0], key, (int)len);
	return print_value(a, key, buf, (size_t)len,
			   r->op == READ_GETS ? &r->version : NULL);
}

static int cmd_get(struct cmd_args *a)
{
	struct reader r = { .op = READ_GET };

	return read_command(a, &r);
}

static int cmd_gets(struct cmd_args *a)
{
	struct reader r = { .op = READ_GETS };

	return read_command(a, &r);
}

static int cmd_getex(struct cmd_args *a)
{
	struct reader r = { .op = READ_GETEX };

	if (!parse_ttl(a->pos[2], &r.ttl_ms))
		return usage_error(a->cmd, "invalid TTL '%s' (a DURATION: "
				   "250ms, 30s, 5m, or none, or default)",
				   a->pos[2]);
	return read_command(a, &r);
}

static int cmd_getdel(struct cmd_args *a)
{
	struct reader r = { .op = READ_GETDEL };

	return read_command(a, &r);
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
	return err ? key_error(a->pos[0], key, err) : 0;
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

/* incr, decr: add DELTA (default 1), or subtract it, and print the result. */
static int counter_command(struct cmd_args *a, bool down)
{
	const char *key = a->pos[1];
	int64_t delta = 1, value;
	struct kcache *c;
	int err;

	if (a->npos == 3 && !parse_int64(a->pos[2], &delta))
		return usage_error(a->cmd, "invalid DELTA '%s' (a signed "
				   "64-bit integer; use -- before a negative "
				   "one)", a->pos[2]);
	err = open_cache(a->pos[0], &c);
	if (err)
		return err;
	if (down)
		err = kcache_decr(c, key, strlen(key), delta, a->initial,
				  a->ttl_ms, &value);
	else
		err = kcache_incr(c, key, strlen(key), delta, a->initial,
				  a->ttl_ms, &value);
	kcache_close(c);
	if (err == -EINVAL && *key)
		return key_fail(a->pos[0], key, err, "its value is not a "
				"counter, the decimal text of a signed 64-bit "
				"integer");
	if (err == -EOVERFLOW)
		return key_fail(a->pos[0], key, err, "the result would leave "
				"the signed 64-bit range; the counter keeps its "
				"value");
	if (err)
		return key_error(a->pos[0], key, err);
	printf("%" PRId64 "\n", value);
	return finish_output();
}

static int cmd_incr(struct cmd_args *a)
{
	return counter_command(a, false);
}

static int cmd_decr(struct cmd_args *a)
{
	return counter_command(a, true);
}

static int cmd_cas(struct cmd_args *a)
{
	const char *key = a->pos[1];
	uint64_t version;
	char *val = NULL;
	struct kcache *c;
	size_t vlen;
	int err;

	if (!parse_count(a->pos[3], &version) || !version)
		return usage_error(a->cmd, "invalid VERSION '%s' (a positive "
				   "number, as gets prints it)", a->pos[3]);
	if (!strcmp(a->pos[2], "-")) {
		err = read_whole("-", &val, &vlen);
		if (err) {
			fprintf(stderr, "%s: %s: %s\n", prog,
				input_name("-"), strerror(-err));
			return EXIT_FAIL;
		}
	}
	err = open_cache(a->pos[0], &c);
	if (err) {
		free(val);
		return err;
	}
	if (val)
		err = kcache_cas(c, key, strlen(key), val, vlen, a->ttl_ms,
				 version);
	else
		err = kcache_cas(c, key, strlen(key), a->pos[2],
				 strlen(a->pos[2]), a->ttl_ms, version);
	kcache_close(c);
	free(val);
	if (err == -ESTALE)
		return key_fail(a->pos[0], key, err, "written since version "
				"%" PRIu64 " was read, nothing stored; read it "
				"again with gets", version);
	return err ? key_error(a->pos[0], key, err) : 0;
}

static int cmd_touch(struct cmd_args *a)
{
	const char *key = a->pos[1];
	struct kcache *c;
	uint64_t ttl_ms;
	int err;

	if (!parse_ttl(a->pos[2], &ttl_ms))
		return usage_error(a->cmd, "invalid TTL '%s' (a DURATION: "
				   "250ms, 30s, 5m, or none, or default)",
				   a->pos[2]);
	err = open_cache(a->pos[0], &c);
	if (err)
		return err;
	err = kcache_touch(c, key, strlen(key), ttl_ms);
	kcache_close(c);
	return err ? key_error(a->pos[0], key, err) : 0;
}

static int cmd_ttl(struct cmd_args *a)
{
	const char *key = a->pos[1];
	struct kcache *c;
	uint64_t ttl_ms;
	int err;

	err = open_cache(a->pos[0], &c);
	if (err)
		return err;
	err = kcache_ttl(c, key, strlen(key), &ttl_ms);
	kcache_close(c);
	if (err)
		return key_error(a->pos[0], key, err);
	if (ttl_ms == KCACHE_TTL_NONE)
		printf("none\n");
	else
		printf("%" PRIu64 "\n", ttl_ms);
	return finish_output();
}

static int cmd_delete_prefix(struct cmd_args *a)
{
	struct kcache *c;
	int n;

	if (!*a->pos[1])
		return usage_error(a->cmd, "an empty PREFIX (clear deletes "
				   "every entry)");
	n = open_cache(a->pos[0], &c);
	if (n)
		return n;
	n = kcache_delete_prefix(c, a->pos[1], strlen(a->pos[1]));
	kcache_close(c);
	if (n < 0)
		return cache_error(a->pos[0], n);
	printf("deleted %d\n", n);
	return finish_output();
}

static int cmd_reap(struct cmd_args *a)
{
	struct kcache_reap_result res;
	struct kcache *c;
	int err;

	err = open_cache(a->pos[0], &c);
	if (err)
		return err;
	err = kcache_reap(c, (a->given & OPTBIT(OPT_FULL)) ?
			  KCACHE_REAP_FULL_SCAN : 0, &res);
	kcache_close(c);
	if (err)
		return cache_error(a->pos[0], err);
	printf("freed %" PRIu64 "\n", res.freed);
	return finish_output();
}

/* stats, health, info: the figures of one cache */

struct cache_figures {
	const char *name;
	int err;			/* 0, or why the figures are missing */
	struct kcache_metrics m;
	struct kcache_info info;
	struct kcache_health h;
};

/* Read what stats, health, info and top show of @name: 0 or -errno. */
static int read_figures(const char *name, struct cache_figures *f)
{
	struct kcache *c;
	int err;

	memset(f, 0, sizeof(*f));
	f->name = name;
	err = kcache_open(name, NULL, &c);
	if (!err) {
		err = kcache_get_metrics(c, &f->m);
		if (!err)
			err = kcache_get_info(c, &f->info);
		if (!err)
			err = kcache_health_check(c, &f->h);
		kcache_close(c);
	}
	f->err = err;
	return err;
}

/* The readable caches' figures (every cache, or @one): count or -errno. */
static int read_all_figures(const char *one, char ***names,
			    struct cache_figures **out)
{
	struct cache_figures *f;
	int n, i;

	if (one) {
		*names = NULL;
		n = 1;
	} else {
		n = kcache_list(names);
		if (n < 0)
			return n;
	}
	f = calloc(n ? (size_t)n : 1, sizeof(*f));
	if (!f) {
		free(*names);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		read_figures(one ? one : (*names)[i], &f[i]);
	*out = f;
	return n;
}

static const char *metrics_state(const struct kcache_info *info)
{
	return info->metrics_enabled ? "on" : "off (created without)";
}

static int stats_human(const struct cache_figures *f)
{
	const struct kcache_metrics *m = &f->m;
	char s1[32], s2[32];

	printf("cache             %s\n", f->name);
	printf("entries           %" PRIu64 " of %" PRIu64 "\n", m->entries,
	       m->max_entries);
	printf("memory            %s of %s (%.0f%%)\n", fmt_size(m->bytes, s1),
	       fmt_size(m->max_bytes, s2),
	       m->max_bytes ? 100.0 * (double)m->bytes / (double)m->max_bytes
			    : 0.0);
	printf("hits              %" PRIu64 "\n", m->hits);
	printf("misses            %" PRIu64 "\n", m->misses);
	printf("hit rate          %.1f%%\n", 100.0 * m->hit_rate);
	printf("sets              %" PRIu64 "\n", m->sets);
	printf("deletes           %" PRIu64 "\n", m->deletes);
	printf("evictions         %" PRIu64 "\n", m->evictions);
	printf("expirations       %" PRIu64 " (%" PRIu64 " by the reaper)\n",
	       m->expirations, m->reaped);
	printf("reclaimed         %" PRIu64 "\n", m->reclaimed);
	printf("expiring          %" PRIu64 "\n", m->expiring);
	printf("reaper runs       %" PRIu64 " (%s in all)\n", m->reaper_runs,
	       fmt_duration(m->reaper_ns / 1000000, s1));
	printf("default TTL       %s\n", m->default_ttl_ms ?
	       fmt_duration(m->default_ttl_ms, s1) : "none");
	printf("cleanup interval  %s\n",
	       fmt_duration(f->info.cleanup_interval_ms, s1));
	printf("entry overhead    %s\n", fmt_size(m->entry_overhead, s1));
	printf("data              %s (headers, keys and values, unrounded)\n",
	       fmt_size(m->data_bytes, s1));
	printf("leases            %" PRIu64 " (%" PRIu64 " granted, %" PRIu64
	       " stale fills)\n", m->leases, m->lease_grants, m->stale_fills);
	printf("metrics           %s\n", metrics_state(&f->info));
	return finish_output();
}

static json_t *stats_json(const struct cache_figures *f)
{
	const struct kcache_metrics *m = &f->m;

	return json_pack("{s:s, s:I, s:I, s:f, s:I, s:I, s:I, s:I, s:I, s:I,"
			 " s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
			 " s:I, s:I, s:I, s:b}",
			 "cache", f->name,
			 "hits", (json_int_t)m->hits,
			 "misses", (json_int_t)m->misses,
			 "hit_rate", m->hit_rate,
			 "sets", (json_int_t)m->sets,
			 "deletes", (json_int_t)m->deletes,
			 "evictions", (json_int_t)m->evictions,
			 "expirations", (json_int_t)m->expirations,
			 "entries", (json_int_t)m->entries,
			 "bytes", (json_int_t)m->bytes,
			 "data_bytes", (json_int_t)m->data_bytes,
			 "reaped", (json_int_t)m->reaped,
			 "reclaimed", (json_int_t)m->reclaimed,
			 "reaper_runs", (json_int_t)m->reaper_runs,
			 "reaper_ns", (json_int_t)m->reaper_ns,
			 "expiring", (json_int_t)m->expiring,
			 "leases", (json_int_t)m->leases,
			 "lease_grants", (json_int_t)m->lease_grants,
			 "stale_fills", (json_int_t)m->stale_fills,
			 "max_entries", (json_int_t)m->max_entries,
			 "max_bytes", (json_int_t)m->max_bytes,
			 "default_ttl_ms", (json_int_t)m->default_ttl_ms,
			 "cleanup_interval_ms",
			 (json_int_t)f->info.cleanup_interval_ms,
			 "metrics_enabled", f->info.metrics_enabled);
}

static int totals_human(const struct kcache_totals *t)
{
	char s1[32], s2[32];
	uint64_t lookups = t->hits + t->misses;

	printf("caches            %" PRIu64 "\n", t->caches);
	printf("entries           %" PRIu64 "\n", t->entries);
	printf("memory            %s of %s (the limit of all caches)\n",
	       fmt_size(t->bytes, s1), fmt_size(t->max_total_bytes, s2));
	printf("hits              %" PRIu64 "\n", t->hits);
	printf("misses            %" PRIu64 "\n", t->misses);
	printf("hit rate          %.1f%%\n",
	       lookups ? 100.0 * (double)t->hits / (double)lookups : 0.0);
	printf("sets              %" PRIu64 "\n", t->sets);
	printf("deletes           %" PRIu64 "\n", t->deletes);
	printf("evictions         %" PRIu64 "\n", t->evictions);
	printf("expirations       %" PRIu64 " (%" PRIu64 " by the reapers)\n",
	       t->expirations, t->reaped);
	printf("reclaimed         %" PRIu64 "\n", t->reclaimed);
	printf("expiring          %" PRIu64 "\n", t->expiring);
	printf("reaper runs       %" PRIu64 " (%s in all)\n", t->reaper_runs,
	       fmt_duration(t->reaper_ns / 1000000, s1));
	return finish_output();
}

static json_t *totals_json(const struct kcache_totals *t)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
			 " s:I, s:I, s:I, s:I, s:I}",
			 "caches", (json_int_t)t->caches,
			 "hits", (json_int_t)t->hits,
			 "misses", (json_int_t)t->misses,
			 "sets", (json_int_t)t->sets,
			 "deletes", (json_int_t)t->deletes,
			 "evictions", (json_int_t)t->evictions,
			 "expirations", (json_int_t)t->expirations,
			 "entries", (json_int_t)t->entries,
			 "bytes", (json_int_t)t->bytes,
			 "reaped", (json_int_t)t->reaped,
			 "reclaimed", (json_int_t)t->reclaimed,
			 "reaper_runs", (json_int_t)t->reaper_runs,
			 "reaper_ns", (json_int_t)t->reaper_ns,
			 "expiring", (json_int_t)t->expiring,
			 "max_total_bytes", (json_int_t)t->max_total_bytes);
}

/*
 * The Prometheus text exposition format (version 0.0.4): for each metric
 * its HELP and TYPE lines, then one sample per cache, labelled cache.
 */
static const struct prom_metric {
	const char *name;
	const char *type;
	const char *help;
	size_t off;		/* in struct kcache_metrics, or ~0 */
	double scale;
} prom_metrics[] = {
#define PM(n, t, h, f, s) { n, t, h, offsetof(struct kcache_metrics, f), s }
	PM("lrucache_hits_total", "counter",
	   "Lookups that found a live entry.", hits, 1),
	PM("lrucache_misses_total", "counter",
	   "Lookups that found nothing or an expired entry.", misses, 1),
	PM("lrucache_sets_total", "counter",
	   "Entries stored (inserted or replaced).", sets, 1),
	PM("lrucache_deletes_total", "counter",
	   "Entries removed by a delete.", deletes, 1),
	PM("lrucache_evictions_total", "counter",
	   "Entries removed to respect the cache's limits or the global one.",
	   evictions, 1),
	PM("lrucache_expirations_total", "counter",
	   "Expired entries removed, by whatever path.", expirations, 1),
	PM("lrucache_reaped_total", "counter",
	   "Expired entries the cache's reaper removed.", reaped, 1),
	PM("lrucache_reclaimed_total", "counter",
	   "Entries removed under memory pressure.", reclaimed, 1),
	PM("lrucache_reaper_runs_total", "counter",
	   "Runs of the cache's reaper.", reaper_runs, 1),
	PM("lrucache_reaper_seconds_total", "counter",
	   "Time the cache's reaper ran.", reaper_ns, 1e-9),
	PM("lrucache_lease_grants_total", "counter",
	   "Leases granted.", lease_grants, 1),
	PM("lrucache_stale_fills_total", "counter",
	   "Sets through a lease refused: the key was written meanwhile.",
	   stale_fills, 1),
	PM("lrucache_entries", "gauge", "Entries held now.", entries, 1),
	PM("lrucache_expiring_entries", "gauge",
	   "Entries held now that have an expiry time.", expiring, 1),
	PM("lrucache_memory_bytes", "gauge",
	   "Bytes charged now: what the entries' allocations take.", bytes, 1),
	PM("lrucache_data_bytes", "gauge",
	   "Bytes of the entries' headers, keys and values, unrounded.",
	   data_bytes, 1),
	PM("lrucache_leases", "gauge", "Leases held now.", leases, 1),
	PM("lrucache_max_entries", "gauge", "The cache's entry limit.",
	   max_entries, 1),
	PM("lrucache_max_memory_bytes", "gauge", "The cache's byte limit.",
	   max_bytes, 1),
	PM("lrucache_default_ttl_seconds", "gauge",
	   "TTL of entries stored without one (0: none).", default_ttl_ms,
	   1e-3),
#undef PM
};

static int stats_prometheus(const struct cache_figures *f, int n,
			    const struct kcache_totals *t)
{
	unsigned int i;
	uint64_t v;
	int j;

	for (i = 0; i < sizeof(prom_metrics) / sizeof(prom_metrics[0]); i++) {
		const struct prom_metric *pm = &prom_metrics[i];

		printf("# HELP %s %s\n# TYPE %s %s\n", pm->name, pm->help,
		       pm->name, pm->type);
		for (j = 0; j < n; j++) {
			if (f[j].err)
				continue;
			v = *(const uint64_t *)((const char *)&f[j].m +
						pm->off);
			/* Cache names are [A-Za-z0-9_.-]: nothing to escape. */
			if (pm->scale == 1)
				printf("%s{cache=\"%s\"} %" PRIu64 "\n",
				       pm->name, f[j].name, v);
			else
				printf("%s{cache=\"%s\"} %.9g\n", pm->name,
				       f[j].name, (double)v * pm->scale);
		}
	}
	printf("# HELP lrucache_cleanup_interval_seconds How often the "
	       "cache's reaper runs while entries can expire.\n"
	       "# TYPE lrucache_cleanup_interval_seconds gauge\n");
	for (j = 0; j < n; j++)
		if (!f[j].err)
			printf("lrucache_cleanup_interval_seconds{cache=\"%s\"} "
			       "%.9g\n", f[j].name,
			       (double)f[j].info.cleanup_interval_ms / 1000);
	printf("# HELP lrucache_healthy Whether the cache is healthy (1), "
	       "degraded or unhealthy (0).\n"
	       "# TYPE lrucache_healthy gauge\n");
	for (j = 0; j < n; j++)
		if (!f[j].err)
			printf("lrucache_healthy{cache=\"%s\"} %d\n", f[j].name,
			       f[j].h.status == KCACHE_HEALTHY);
	if (t) {
		printf("# HELP lrucache_caches Caches that exist now, readable "
		       "or not.\n# TYPE lrucache_caches gauge\n"
		       "lrucache_caches %" PRIu64 "\n", t->caches);
		printf("# HELP lrucache_max_total_bytes The limit on the bytes "
		       "of all caches together.\n"
		       "# TYPE lrucache_max_total_bytes gauge\n"
		       "lrucache_max_total_bytes %" PRIu64 "\n",
		       t->max_total_bytes);
	}
	/* The tiers' counters (every tier, or the named cache's). */
	tier_prometheus(t ? NULL : (n == 1 ? f[0].name : NULL));
	/* A comment for each cache left out, which the format allows. */
	for (j = 0; j < n; j++)
		if (f[j].err)
			printf("# kcachectl: cache %s left out: %s\n",
			       f[j].name, kcache_strerror(f[j].err));
	return finish_output();
}

static int cmd_stats(struct cmd_args *a)
{
	bool prom = a->given & OPTBIT(OPT_PROMETHEUS);
	struct cache_figures *f, one;
	struct kcache_totals t;
	char **names;
	int n, ret;

	if (a->npos) {
		if (read_figures(a->pos[0], &one))
			return cache_error(a->pos[0], one.err);
		if (prom)
			return stats_prometheus(&one, 1, NULL);
		if (json_wanted(a))
			return print_json(stats_json(&one));
		return stats_human(&one);
	}
	ret = kcache_get_totals(&t);
	if (ret) {
		fprintf(stderr, "%s: %s\n", prog, kcache_strerror(ret));
		return EXIT_FAIL;
	}
	if (json_wanted(a))
		return print_json(totals_json(&t));
	if (!prom)
		return totals_human(&t);
	n = read_all_figures(NULL, &names, &f);
	if (n < 0) {
		fprintf(stderr, "%s: %s\n", prog, kcache_strerror(n));
		return EXIT_FAIL;
	}
	ret = stats_prometheus(f, n, &t);
	free(f);
	free(names);
	return ret;
}

/* The reasons of a health result, as the sysfs health file names them. */
static json_t *health_reasons(const struct kcache_health *h)
{
	json_t *r = json_array();

	if (!r)
		return NULL;
	if (h->reasons & KCACHE_HEALTH_MEMORY_HIGH)
		json_array_append_new(r, json_string("memory_high"));
	if (h->reasons & KCACHE_HEALTH_HIT_RATE_LOW)
		json_array_append_new(r, json_string("hit_rate_low"));
	if (h->reasons & KCACHE_HEALTH_REAPER_BEHIND)
		json_array_append_new(r, json_string("reaper_behind"));
	return r;
}

static void health_line(const struct cache_figures *f)
{
	const struct kcache_health *h = &f->h;
	const char *sep = " (";

	if (f->err) {
		printf("%s: unknown (%s)\n", f->name,
		       f->err == -EACCES ? "no read permission" :
		       kcache_strerror(f->err));
		return;
	}
	printf("%s: %s", f->name, kcache_health_status_name(h->status));
	if (h->reasons & KCACHE_HEALTH_MEMORY_HIGH) {
		printf("%smemory at %u%% of its limit", sep, h->memory_pct);
		sep = "; ";
	}
	if (h->reasons & KCACHE_HEALTH_HIT_RATE_LOW) {
		printf("%shit rate %u%%", sep, h->hit_rate_pct);
		sep = "; ";
	}
	if (h->reasons & KCACHE_HEALTH_REAPER_BEHIND) {
		printf("%sreaper behind", sep);
		sep = "; ";
	}
	printf("%s\n", h->reasons ? ")" : "");
}

static json_t *health_json(const struct cache_figures *f)
{
	if (f->err)
		return json_pack("{s:s, s:s, s:s}", "cache", f->name, "status",
				 "unknown", "error", kcache_strerror(f->err));
	return json_pack("{s:s, s:s, s:o, s:i, s:i}", "cache", f->name,
			 "status", kcache_health_status_name(f->h.status),
			 "reasons", health_reasons(&f->h),
			 "memory_pct", (int)f->h.memory_pct,
			 "hit_rate_pct", (int)f->h.hit_rate_pct);
}

/*
 * health [NAME]: 0 if every cache examined is healthy, 1 if one is not.
 * Caches the caller may not read are shown as unknown and do not count.
 */
static int cmd_health(struct cmd_args *a)
{
	struct cache_figures *f;
	int n, i, worst = KCACHE_HEALTHY, ret;
	json_t *arr = NULL;
	char **names;

	n = read_all_figures(a->npos ? a->pos[0] : NULL, &names, &f);
	if (n < 0) {
		fprintf(stderr, "%s: %s\n", prog, kcache_strerror(n));
		return EXIT_FAIL;
	}
	if (a->npos && f[0].err) {
		ret = cache_error(a->pos[0], f[0].err);
		free(f);
		return ret;
	}
	if (json_wanted(a))
		arr = json_array();
	for (i = 0; i < n; i++) {
		if (!f[i].err && f[i].h.status > worst)
			worst = f[i].h.status;
		if (arr)
			json_array_append_new(arr, health_json(&f[i]));
		else if (!json_wanted(a))
			health_line(&f[i]);
	}
	if (json_wanted(a)) {
		if (a->npos) {
			json_decref(arr);
			ret = print_json(health_json(&f[0]));
		} else {
			ret = print_json(arr ? json_pack("{s:s, s:o}", "status",
					 kcache_health_status_name(worst),
					 "caches", arr) : NULL);
		}
	} else {
		ret = finish_output();
	}
	free(f);
	free(names);
	if (ret)
		return ret;
	return worst == KCACHE_HEALTHY ? 0 : EXIT_FAIL;
}

/* "rwa" letters of one class of a cache's mode. */
static const char *mode_letters(uint32_t bits, char buf[4])
{
	buf[0] = bits & KCACHE_PERM_READ ? 'r' : '-';
	buf[1] = bits & KCACHE_PERM_WRITE ? 'w' : '-';
	buf[2] = bits & KCACHE_PERM_ADMIN ? 'a' : '-';
	buf[3] = 0;
	return buf;
}

static int cmd_info(struct cmd_args *a)
{
	struct cache_figures f;
	char s1[32], created[64], m1[4], m2[4], m3[4];
	const struct kcache_info *in = &f.info;
	struct passwd *pw;
	struct group *gr;
	struct tm tm;
	time_t sec;

	if (read_figures(a->pos[0], &f))
		return cache_error(a->pos[0], f.err);
	sec = (time_t)(in->created_ns / 1000000000ULL);
	gmtime_r(&sec, &tm);
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(s1, sizeof(s1), "%04o", in->mode);
	if (json_wanted(a))
		return print_json(json_pack(
			"{s:s, s:i, s:i, s:s, s:s, s:I, s:I, s:I, s:I, s:I,"
			" s:I, s:b, s:b}",
			"name", in->name,
			"owner_uid", (int)in->owner_uid,
			"owner_gid", (int)in->owner_gid,
			"mode", s1,
			"created", created,
			"created_ns", (json_int_t)in->created_ns,
			"max_entries", (json_int_t)in->max_entries,
			"max_bytes", (json_int_t)in->max_bytes,
			"default_ttl_ms", (json_int_t)in->default_ttl_ms,
			"cleanup_interval_ms",
			(json_int_t)in->cleanup_interval_ms,
			"entry_overhead", (json_int_t)in->entry_overhead,
			"metrics_enabled", in->metrics_enabled,
			"mapped", !!(in->flags & KCACHE_INFO_MAPPED)));
	pw = getpwuid(in->owner_uid);
	gr = getgrgid(in->owner_gid);
	printf("name              %s\n", in->name);
	printf("owner             uid %u%s%s%s, gid %u%s%s%s\n", in->owner_uid,
	       pw ? " (" : "", pw ? pw->pw_name : "", pw ? ")" : "",
	       in->owner_gid, gr ? " (" : "", gr ? gr->gr_name : "",
	       gr ? ")" : "");
	printf("mode              %s (owner %s, group %s, others %s)\n", s1,
	       mode_letters(in->mode >> 6, m1), mode_letters(in->mode >> 3, m2),
	       mode_letters(in->mode, m3));
	printf("created           %s\n", created);
	printf("max entries       %" PRIu64 "\n", in->max_entries);
	printf("max memory        %s\n", fmt_size(in->max_bytes, s1));
	printf("default TTL       %s\n", in->default_ttl_ms ?
	       fmt_duration(in->default_ttl_ms, s1) : "none");
	printf("cleanup interval  %s\n",
	       fmt_duration(in->cleanup_interval_ms, s1));
	printf("entry overhead    %s\n", fmt_size(in->entry_overhead, s1));
	printf("metrics           %s\n", metrics_state(in));
	printf("mapped            %s\n",
	       in->flags & KCACHE_INFO_MAPPED ? "yes" : "no");
	return finish_output();
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

static int cmd_restore(struct cmd_args *a)
{
	const char *path = a->npos > 1 ? a->pos[1] : "-";
	struct kcache_json_error jerr;
	struct kcache *c;
	char *json = NULL;
	size_t len = 0;
	int ret;

	ret = read_whole(path, &json, &len);
	if (ret) {
		fprintf(stderr, "%s: %s: %s\n", prog, input_name(path),
			strerror(-ret));
		return EXIT_FAIL;
	}
	ret = open_cache(a->pos[0], &c);
	if (ret) {
		free(json);
		return ret;
	}
	ret = kcache_deserialize_ex(c, json, len,
				    (a->given & OPTBIT(OPT_REPLACE)) ?
				    KCACHE_RESTORE_REPLACE : 0, &jerr);
	kcache_close(c);
	free(json);
	if (ret == -EBADMSG || ret == -EPROTONOSUPPORT) {
		/* The file's fault: say where and why; the cache is as it was. */
		if (jerr.line > 0)
			fprintf(stderr, "%s: %s:%d:%d: %s (%s)\n", prog,
				input_name(path), jerr.line, jerr.column,
				jerr.text, kcache_strerror(ret));
		else
			fprintf(stderr, "%s: %s: %s (%s)\n", prog,
				input_name(path), jerr.text,
				kcache_strerror(ret));
		return EXIT_FAIL;
	}
	if (ret < 0 && (!jerr.text[0] || ret == -EACCES))
		return cache_error(a->pos[0], ret);
	if (ret < 0) {
		fprintf(stderr, "%s: cache '%s': %s: %s\n", prog, a->pos[0],
			kcache_strerror(ret), jerr.text);
		return EXIT_FAIL;
	}
	printf("restored %d\n", ret);
	return finish_output();
}

/* watch: one line per event, until a signal or --count events. */
struct watch {
	bool json;
	uint64_t count;
	uint64_t printed;
	int err;		/* first output error (-errno) */
};

static volatile sig_atomic_t stop_requested;

static void stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/*
 * SIGINT and SIGTERM stay blocked but while waiting (ppoll() with @orig),
 * so that one arriving between a check and the wait still ends the wait.
 */
static void catch_stop_signals(sigset_t *orig)
{
	struct sigaction sa;
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, orig);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = stop_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
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
		json_t *key = ev->key ? json_bytes(ev->key, ev->key_len) :
					 json_null();

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
	struct watch w = { .json = json_wanted(a), .count = a->count };
	uint32_t mask = a->events ? a->events : KCACHE_EVENT_ALL;
	const char *what = a->npos ? a->pos[0] : "(all)";
	sigset_t orig;
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

	catch_stop_signals(&orig);
	/* Lines go out as they are made, for pipes too. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	pfd.fd = kcache_events_fd(c);
	pfd.events = POLLIN;
	while (!stop_requested && !(w.count && w.printed >= w.count) && !w.err) {
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


/* top: every cache, refreshed */

struct top_row {
	char name[KCACHE_NAME_MAX + 1];
	uint64_t ops;
};

/* What "ops" counts: every lookup and every change asked for. */
static uint64_t ops_of(const struct kcache_metrics *m)
{
	return m->hits + m->misses + m->sets + m->deletes;
}

static const struct top_row *top_find(const struct top_row *rows, int n,
				      const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(rows[i].name, name))
			return &rows[i];
	return NULL;
}

/* One refresh: the table of @f (@n caches) against the previous one. */
/*
 * One refresh as one compact JSON line, for programs: the raw counter
 * deltas beside the rates, and the seconds they were counted over, so
 * that a reader needs no clock of its own.
 */
static int top_print_json(const struct cache_figures *f, int n,
			  const struct top_row *prev, int nprev, double elapsed)
{
	char when[32];
	json_t *obj, *arr, *row;
	const struct top_row *p;
	uint64_t cur;
	int i;

	watch_time(when);
	arr = json_array();
	obj = json_pack("{s:s, s:o, s:o}", "time", when, "interval_s",
			elapsed > 0 ? json_real(elapsed) : json_null(),
			"caches", arr);
	for (i = 0; obj && i < n; i++) {
		if (f[i].err) {
			row = json_pack("{s:s, s:s}", "name", f[i].name, "error",
					kcache_strerror(f[i].err));
		} else {
			cur = ops_of(&f[i].m);
			p = top_find(prev, nprev, f[i].name);
			row = json_pack("{s:s, s:I, s:I, s:I, s:f, s:I}",
					"name", f[i].name,
					"entries", (json_int_t)f[i].m.entries,
					"bytes", (json_int_t)f[i].m.bytes,
					"max_bytes",
					(json_int_t)f[i].m.max_bytes,
					"hit_rate", f[i].m.hit_rate,
					"ops", (json_int_t)cur);
			/* New, or destroyed and created again: no delta. */
			if (row && p && cur >= p->ops && elapsed > 0) {
				json_object_set_new(row, "ops_delta",
						    json_integer((json_int_t)
								 (cur - p->ops)));
				json_object_set_new(row, "ops_per_second",
						    json_real((double)(cur - p->ops) /
							      elapsed));
			}
		}
		if (!row || json_array_append_new(arr, row)) {
			json_decref(obj);
			obj = NULL;
		}
	}
	return print_json_line(obj);
}

static void top_print(const struct cmd_args *a, bool tty, unsigned long iter,
		      const struct cache_figures *f, int n,
		      const struct top_row *prev, int nprev, double elapsed)
{
	char when[32], every[32], s1[32], s2[32], mem[64], ops[32];
	const struct top_row *p;
	struct tm tm;
	time_t now = time(NULL);
	uint64_t cur;
	int i;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	if (tty)
		printf("\033[H\033[2J");	/* home, clear the screen */
	else if (iter)
		printf("\n");
	printf("kcachectl top: %d cache%s at %s UTC, every %s\n", n,
	       n == 1 ? "" : "s", when, fmt_duration(a->interval_ms, every));
	printf("%-28s %10s %23s %6s %10s\n", "CACHE", "ENTRIES", "MEMORY",
	       "HIT%", "OPS/S");
	for (i = 0; i < n; i++) {
		if (f[i].err) {
			printf("%-28s %s\n", f[i].name,
			       f[i].err == -EACCES ? "(no read permission)" :
			       kcache_strerror(f[i].err));
			continue;
		}
		snprintf(mem, sizeof(mem), "%s/%s", fmt_size(f[i].m.bytes, s1),
			 fmt_size(f[i].m.max_bytes, s2));
		cur = ops_of(&f[i].m);
		p = top_find(prev, nprev, f[i].name);
		/* New, or destroyed and created again: no rate yet. */
		if (p && cur >= p->ops && elapsed > 0)
			snprintf(ops, sizeof(ops), "%.1f",
				 (double)(cur - p->ops) / elapsed);
		else
			snprintf(ops, sizeof(ops), "-");
		printf("%-28s %10" PRIu64 " %23s %6.1f %10s\n", f[i].name,
		       f[i].m.entries, mem, 100.0 * f[i].m.hit_rate, ops);
	}
	/* Each refresh as it is made, into a pipe or a file too. */
	fflush(stdout);
}

static double seconds_between(const struct timespec *a,
			      const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static int cmd_top(struct cmd_args *a)
{
	bool tty = isatty(STDOUT_FILENO);
	struct top_row *prev = NULL, *rows;
	struct timespec then = { 0 }, now, wait;
	struct cache_figures *f;
	unsigned long iter;
	int nprev = 0, n, i, ret = 0;
	sigset_t orig;
	char **names;

	catch_stop_signals(&orig);
	wait.tv_sec = (time_t)(a->interval_ms / 1000);
	wait.tv_nsec = (long)(a->interval_ms % 1000) * 1000000L;
	for (iter = 0; !a->count || iter < a->count; iter++) {
		if (iter && !stop_requested)
			ppoll(NULL, 0, &wait, &orig);
		if (stop_requested)
			break;
		n = read_all_figures(NULL, &names, &f);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (n < 0) {
			fprintf(stderr, "%s: %s\n", prog, kcache_strerror(n));
			ret = EXIT_FAIL;
			break;
		}
		if (json_wanted(a)) {
			ret = top_print_json(f, n, prev, nprev,
					     iter ? seconds_between(&then, &now)
						  : 0);
		} else {
			top_print(a, tty, iter, f, n, prev, nprev,
				  iter ? seconds_between(&then, &now) : 0);
		}
		rows = calloc(n ? (size_t)n : 1, sizeof(*rows));
		for (i = 0; rows && i < n; i++) {
			snprintf(rows[i].name, sizeof(rows[i].name), "%s",
				 f[i].name);
			/* An unreadable cache has no count: never a rate. */
			rows[i].ops = f[i].err ? UINT64_MAX : ops_of(&f[i].m);
		}
		free(f);
		free(names);
		free(prev);
		prev = rows;
		nprev = rows ? n : 0;
		then = now;
		if (!ret)
			ret = finish_output();
		if (ret)
			break;
	}
	free(prev);
	sigprocmask(SIG_SETMASK, &orig, NULL);
	return ret;
}

static int cmd_tier(struct cmd_args *a)
{
	enum tier_output out = TIER_HUMAN;

	if (a->given & OPTBIT(OPT_PROMETHEUS))
		out = TIER_PROMETHEUS;
	else if (json_wanted(a))
		out = TIER_JSON;
	return tier_show(a->npos ? a->pos[0] : NULL, out);
}

#define O(o)	OPTBIT(OPT_##o)

static const struct command commands[] = {
	{ "list", cmd_list, 0, 0, O(JSON), "[--json]",
	  "Print the names of the caches, one a line",
"Every cache is listed, whatever its mode (the names are public, in\n"
"/sys/kernel/lrucache/caches/). --json prints a JSON array of the names.\n" },
	{ "create", cmd_create, 1, 1,
	  O(MAX_SIZE) | O(MAX_MEMORY) | O(TTL) | O(CLEANUP_INTERVAL) | O(MODE) |
	  O(MAPPED),
	  "NAME [--max-size N] [--max-memory SIZE] [--ttl DURATION]\n"
	  "          [--cleanup-interval DURATION] [--mode OCTAL] [--mapped]",
	  "Create a cache (fails if it exists)",
"NAME is 1 to 63 characters of A-Z a-z 0-9 _ . - not starting with '.'.\n"
"  --max-size N          most entries (0 or left out: the module default,\n"
"                        1000)\n"
"  --max-memory SIZE     most bytes charged: keys, values and a per-entry\n"
"                        overhead (0 or left out: the module default, 64M)\n"
"  --ttl DURATION        default TTL of its entries (0, none or left out:\n"
"                        none)\n"
"  --cleanup-interval DURATION\n"
"                        how often the kernel frees its expired entries,\n"
"                        10ms to 1d (0 or left out: 1m)\n"
"  --mode OCTAL          who may read (4), write (2) and administer (1)\n"
"                        it, as owner, group and others, like a file\n"
"                        (default 0700)\n"
"  --mapped              a mapped cache: readers map its entries and get\n"
"                        hits without a system call (info tells)\n" },
	{ "destroy", cmd_destroy, 1, 1, 0, "NAME",
	  "Destroy a cache and all its entries",
"Needs the administer permission on the cache.\n" },
	{ "set", cmd_set, 2, 3, O(TTL) | O(FILE),
	  "NAME KEY {VALUE | - | --file FILE} [--ttl DURATION|none]",
	  "Store a value under KEY",
"The value is VALUE, or standard input if VALUE is -, or the contents of\n"
"FILE; any bytes. --ttl gives the entry's time to live (none: never\n"
"expires; left out: the cache's default TTL). Use -- before a KEY or\n"
"VALUE that starts with '-'.\n" },
	{ "get", cmd_get, 2, 2, O(JSON), "NAME KEY [--json]",
	  "Write the value of KEY to standard output",
"The value goes out as it is, byte for byte, with no newline added.\n"
"--json prints {\"key\": ..., \"value\": ..., \"encoding\": ...} instead:\n"
"the value as a string if it is UTF-8 (encoding \"utf-8\"), else in\n"
"base64 (encoding \"base64\"). Exits 1 if the key is absent.\n" },
	{ "del", cmd_del, 2, 2, 0, "NAME KEY",
	  "Delete KEY",
"Exits 1 if the key was absent.\n" },
	{ "exists", cmd_exists, 2, 2, 0, "NAME KEY",
	  "Tell whether KEY is present",
"Prints nothing: exits 0 if KEY is present, 1 if not.\n" },
	{ "gets", cmd_gets, 2, 2, O(JSON), "NAME KEY [--json]",
	  "Write the version of KEY and its value",
"The version (a number that changes with every write of the entry) on a\n"
"line of its own, then the value as get writes it. --json prints get's\n"
"JSON object with \"version\" added. cas stores only if the entry still\n"
"has that version. Exits 1 if the key is absent.\n" },
	{ "cas", cmd_cas, 4, 4, O(TTL),
	  "NAME KEY {VALUE | -} VERSION [--ttl DURATION|none]",
	  "Store a value only if the entry still has VERSION",
"Compare and swap: VERSION is what gets printed. If the entry was\n"
"written since (it has another version), nothing is stored and cas exits\n"
"1 saying so (ESTALE): read it again and retry. Exits 1 if the key is\n"
"absent. The value is VALUE, or standard input if VALUE is -. --ttl as\n"
"for set.\n" },
	{ "incr", cmd_incr, 2, 3, O(INITIAL) | O(TTL),
	  "NAME KEY [DELTA] [--initial N] [--ttl DURATION|none]",
	  "Add to a counter (creating it) and print its new value",
"DELTA defaults to 1. A counter is a value holding the decimal text of a\n"
"signed 64-bit integer (get shows it; set of such text makes one). An\n"
"absent key starts from N (default 0) with the TTL of --ttl (none: never\n"
"expires; left out: the cache's default TTL); an existing counter keeps\n"
"its expiry time. The read, add and store are one atomic operation.\n"
"Exits 1, changing nothing, if the value is not a counter (EINVAL) or\n"
"the result would leave the 64-bit range (EOVERFLOW). Use -- before a\n"
"negative DELTA.\n" },
	{ "decr", cmd_decr, 2, 3, O(INITIAL) | O(TTL),
	  "NAME KEY [DELTA] [--initial N] [--ttl DURATION|none]",
	  "Subtract from a counter (creating it) and print its new value",
"As incr with -DELTA (DELTA defaults to 1): an absent key starts from N\n"
"(default 0), and the result may be negative.\n" },
	{ "touch", cmd_touch, 3, 3, 0, "NAME KEY TTL",
	  "Give KEY a new TTL without rewriting its value",
"TTL is a DURATION counted from now, none (never expires) or default\n"
"(the cache's default TTL). The value and its version stay. Exits 1 if\n"
"the key is absent.\n" },
	{ "ttl", cmd_ttl, 2, 2, 0, "NAME KEY",
	  "Print how long KEY has left to live",
"In milliseconds, rounded up, or none if it never expires. Changes\n"
"nothing. Exits 1 if the key is absent.\n" },
	{ "getex", cmd_getex, 3, 3, O(JSON), "NAME KEY TTL [--json]",
	  "Write the value of KEY and give it a new TTL at once",
"The sliding session: every read extends the entry's life. TTL as for\n"
"touch; the output as for get. Exits 1 if the key is absent.\n" },
	{ "getdel", cmd_getdel, 2, 2, O(JSON), "NAME KEY [--json]",
	  "Write the value of KEY and delete it at once",
"Of several callers at once, exactly one gets the value. The output as\n"
"for get. Exits 1 if the key is absent.\n" },
	{ "delete-prefix", cmd_delete_prefix, 2, 2, 0, "NAME PREFIX",
	  "Delete every entry whose key starts with PREFIX",
"Prints \"deleted N\". Every entry with the prefix stored before the\n"
"command began is gone when it returns; one stored while it runs stays.\n"
"The kernel holds the cache's lock for a few entries at a time, so the\n"
"cache stays usable meanwhile.\n" },
	{ "clear", cmd_clear, 1, 1, 0, "NAME",
	  "Delete every entry of the cache",
"The cache itself, its limits and its counters stay.\n" },
	{ "reap", cmd_reap, 1, 1, O(FULL), "NAME [--full]",
	  "Free the cache's expired entries now",
"Prints \"freed N\". --full examines every entry instead of the expiry\n"
"buckets that are due.\n" },
	{ "stats", cmd_stats, 0, 1, O(JSON) | O(PROMETHEUS),
	  "[NAME] [--json | --prometheus]",
	  "Print the counters and limits of a cache, or of all",
"With NAME, the figures of that cache (it needs read permission on it):\n"
"entries, memory, hits, misses, hit rate, sets, deletes, evictions,\n"
"expirations, the reaper's figures and the limits, sizes and durations\n"
"in human units. Without NAME, the totals over every cache.\n"
"--json prints the same figures as a JSON object, in bytes and\n"
"milliseconds. --prometheus prints them in the Prometheus text\n"
"exposition format, one sample per cache labelled cache=\"NAME\"\n"
"(lrucache_hits_total, lrucache_entries, lrucache_memory_bytes, ...):\n"
"without NAME, of every cache the caller may read, plus lrucache_caches\n"
"and lrucache_max_total_bytes; a comment line names each cache left\n"
"out.\n" },
	{ "health", cmd_health, 0, 1, O(JSON), "[NAME] [--json]",
	  "Tell whether a cache, or every cache, is healthy",
"One line per cache: healthy, degraded or unhealthy, with the reasons\n"
"(memory at 95% of its limit or more; hit rate under 50% after 100\n"
"lookups, or under 10% after 1000; reaper behind). A cache the caller\n"
"may not read is shown as unknown. --json prints a JSON object (with\n"
"NAME) or {\"status\": WORST, \"caches\": [...]}. Exits 1 if a cache\n"
"examined is degraded or unhealthy.\n" },
	{ "info", cmd_info, 1, 1, O(JSON), "NAME [--json]",
	  "Describe a cache: owner, mode, limits, creation time",
"Needs read permission on the cache. --json prints a JSON object (sizes\n"
"in bytes, durations in milliseconds, the mode as an octal string).\n" },
	{ "dump", cmd_dump, 1, 2, 0, "NAME [FILE]",
	  "Write the cache's live entries as a JSON document",
"Least recently used first, with their remaining TTLs, to FILE (created\n"
"with mode 0600), or to standard output if FILE is left out or is -.\n"
"The format is in Documentation/lrucache/dump.rst.\n" },
	{ "restore", cmd_restore, 1, 2, O(REPLACE), "NAME [FILE] [--replace]",
	  "Store the entries of a dump into an existing cache",
"Reads FILE, or standard input if FILE is left out or is -, stores its\n"
"entries in order and prints \"restored N\". --replace empties the cache\n"
"first. A malformed or truncated document changes nothing. TTLs restart\n"
"at the restore.\n" },
	{ "watch", cmd_watch, 0, 1, O(EVENTS) | O(JSON) | O(COUNT),
	  "[NAME] [--events LIST] [--json] [--count N]",
	  "Print the events of a cache, or of every cache, as they happen",
"One line each: time, cache, event, key (quoted if printable, else in\n"
"hex, or its hash if longer than 64 bytes), lengths, age. Without NAME,\n"
"the events of every cache the caller may read. --json prints one JSON\n"
"object per line. LIST is a comma-separated list of hit, miss, set,\n"
"delete, evict, expire, reclaim, or all (the default). Lost events are\n"
"reported as such. Runs until interrupted (SIGINT, SIGTERM) or until N\n"
"events have been printed.\n" },
	{ "tier", cmd_tier, 0, 1, O(JSON) | O(PROMETHEUS),
	  "[NAME] [--json | --prometheus]",
	  "Show the state of a cache's tier (Redis, memcached), or of all",
"A tier is a cache bound to a backend by libkcache-tier, kept coherent by\n"
"its agent, lrucache-tierd. With NAME: the backend and its servers, the\n"
"agent's connection (connected, reconnecting, stopped, not running) and\n"
"last error, whether readers use the kernel cache or are fenced, the\n"
"invalidations received, the fills, the stale-fill refusals, the fenced\n"
"reads, writes, deletes and backend errors of every process using the\n"
"tier. Without NAME, one line per tier. Read from the agents' state files\n"
"in /run/lrucache/tier (KCACHE_TIER_DIR names another directory).\n"
"--json prints JSON; --prometheus the lrucache_tier_* metrics, which\n"
"kcachectl stats --prometheus includes too.\n" },
	{ "top", cmd_top, 0, 0, O(INTERVAL) | O(COUNT) | O(JSON),
	  "[--interval DURATION] [--count N] [--json]",
	  "Show every cache, refreshed: entries, memory, hit rate, ops/s",
"Every DURATION (default 1s, at least 100ms) reads the figures of every\n"
"cache again. OPS/S is the hits, misses, sets and deletes since the\n"
"previous refresh, per second (- on the first, and for a cache new since\n"
"then). On a terminal the screen is redrawn; otherwise each refresh is\n"
"printed as a block after an empty line. Runs until interrupted, or for\n"
"N refreshes. --json prints each refresh as one line of JSON: the time,\n"
"interval_s (the seconds since the previous refresh, null on the first)\n"
"and for each cache its figures, ops (the counters' sum) and, from the\n"
"second refresh on, ops_delta and ops_per_second.\n" },
};

#undef O

static const struct command *find_command(const char *name)
{
	unsigned int i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void usage(FILE *out)
{
	unsigned int i;

	fprintf(out, "Usage: %s COMMAND [ARGS]\n"
		"       %s COMMAND --help\n\nCommands:\n", prog, prog);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-13s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(out, "\n%s\nThe device is /dev/lrucache unless the "
		"KCACHE_DEVICE environment variable\nnames another.\n\n%s",
		units_help, exit_help);
}

int main(int argc, char **argv)
{
	const struct command *cmd;
	struct cmd_args a;
	int ret;

	if (argc < 2)
		return usage_error(NULL, "missing command");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return finish_output();
	}
	if (!strcmp(argv[1], "help")) {
		if (argc < 3) {
			usage(stdout);
			return finish_output();
		}
		cmd = find_command(argv[2]);
		if (!cmd)
			return usage_error(NULL, "unknown command '%s'",
					   argv[2]);
		command_usage(cmd, stdout);
		return finish_output();
	}
	cmd = find_command(argv[1]);
	if (!cmd)
		return usage_error(NULL, "unknown command '%s'", argv[1]);
	ret = parse_args(cmd, argc - 1, argv + 1, &a);
	if (ret)
		return ret;
	if (a.help) {
		command_usage(cmd, stdout);
		return finish_output();
	}
	return cmd->run(&a);
}
