// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libkcache over sysfs: kcache_list() and kcache_get_totals() read the
 * module's directory /sys/kernel/lrucache/ (world-readable, unlike the
 * per-cache figures of the device).
 */
#define _GNU_SOURCE		/* stpcpy() */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kcache_internal.h"

/* The module's sysfs directory (Documentation/ABI/testing/). */
#define KCACHE_SYSFS		"/sys/kernel/lrucache"

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int kcache_list(char ***names)
{
	size_t n = 0, cap = 0, bytes = 0, i;
	char **tmp = NULL, **np, **out;
	struct dirent *de;
	char *str;
	int err = 0;
	DIR *dir;

	if (!names)
		return -EINVAL;
	dir = opendir(KCACHE_SYSFS "/caches");
	if (!dir)
		return errno == ENOENT ? -ENODEV : -errno;
	/* The names first, then one block for the array and the strings. */
	for (;;) {
		errno = 0;
		de = readdir(dir);
		if (!de) {
			err = -errno;
			break;
		}
		if (de->d_name[0] == '.')
			continue;	/* "." and ".."; no cache name starts so */
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			np = realloc(tmp, cap * sizeof(*tmp));
			if (!np) {
				err = -ENOMEM;
				break;
			}
			tmp = np;
		}
		tmp[n] = strdup(de->d_name);
		if (!tmp[n]) {
			err = -ENOMEM;
			break;
		}
		bytes += strlen(tmp[n]) + 1;
		n++;
	}
	closedir(dir);
	if (!err && n > INT_MAX)
		err = -EOVERFLOW;
	out = err ? NULL : malloc((n + 1) * sizeof(*out) + bytes);
	if (!err && !out)
		err = -ENOMEM;
	if (out) {
		if (n)
			qsort(tmp, n, sizeof(*tmp), cmp_names);
		str = (char *)(out + n + 1);
		for (i = 0; i < n; i++) {
			out[i] = str;
			str = stpcpy(str, tmp[i]) + 1;
		}
		out[n] = NULL;
		*names = out;
	}
	for (i = 0; i < n; i++)
		free(tmp[i]);
	free(tmp);
	return err ? err : (int)n;
}

int kcache_get_totals(struct kcache_totals *t)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
#define TOTAL(f) { #f, offsetof(struct kcache_totals, f) }
		TOTAL(caches), TOTAL(hits), TOTAL(misses), TOTAL(sets),
		TOTAL(deletes), TOTAL(evictions), TOTAL(expirations),
		TOTAL(entries), TOTAL(bytes), TOTAL(reaped), TOTAL(reclaimed),
		TOTAL(reaper_runs), TOTAL(reaper_ns), TOTAL(expiring),
		TOTAL(max_total_bytes),
#undef TOTAL
	};
	char buf[4096], *line, *save, *end, *sp;
	unsigned long long v;
	size_t len = 0, i;
	ssize_t r;
	int fd;

	if (!t)
		return -EINVAL;
	fd = open(KCACHE_SYSFS "/stats", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENODEV : -errno;
	/* sysfs hands the whole file to the first read of a page or more. */
	while (len < sizeof(buf) - 1) {
		r = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int err = -errno;

			close(fd);
			return err;
		}
		if (!r)
			break;
		len += (size_t)r;
	}
	close(fd);
	buf[len] = 0;

	memset(t, 0, sizeof(*t));
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		sp = strchr(line, ' ');
		if (!sp || sp == line || sp[1] < '0' || sp[1] > '9')
			return -EBADMSG;
		*sp = 0;
		errno = 0;
		v = strtoull(sp + 1, &end, 10);
		if (errno || *end)
			return -EBADMSG;
		/* Keys this version does not know are skipped, as the ABI asks. */
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!strcmp(line, keys[i].key))
				*(uint64_t *)((char *)t + keys[i].off) = v;
	}
	return 0;
}
