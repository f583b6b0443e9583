// SPDX-License-Identifier: MIT
/*
 * Scenario 4: caching computed results with tuple keys.
 *
 * expensive_calculation(x, y, z) is costly, so its results are cached.
 * The key is the tuple (x, y, z) packed as three int32 in binary (12 bytes,
 * any byte value is fine in a key); the value is the double result.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include <kcache.h>

static int computations;

static double complex_math_operation(int32_t x, int32_t y, int32_t z)
{
	computations++;
	return (double)x * x + (double)y * y + (double)z * z;
}

/* Returns 0 and the result in *out, or a negative errno. */
static int expensive_calculation(struct kcache *c, int32_t x, int32_t y,
				 int32_t z, double *out)
{
	const int32_t key[3] = { x, y, z };	/* the packed tuple */
	ssize_t len;

	len = kcache_get(c, key, sizeof(key), out, sizeof(*out));
	if (len == (ssize_t)sizeof(*out))
		return 0;			/* cached */
	if (len != -ENOENT)
		return len < 0 ? (int)len : -EBADMSG;
	*out = complex_math_operation(x, y, z);
	return kcache_set(c, key, sizeof(key), out, sizeof(*out),
			  KCACHE_TTL_NONE);
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "computed_results: %s: %s\n", what, kcache_strerror(err));
	return 1;
}

int main(void)
{
	static const int32_t args[][3] = {
		{ 3, 4, 0 }, { 1, 2, 2 }, { 3, 4, 0 }, { 2, 3, 6 }, { 1, 2, 2 },
	};
	struct kcache *cache;
	char name[64];
	double r;
	int err, i, ret = 1;

	KCACHE_OPTS(opts, .max_size = 1000);
	snprintf(name, sizeof(name), "ex-compute-%d", (int)getpid());
	err = kcache_open(name, &opts, &cache);
	if (err)
		return fail("kcache_open", err);

	for (i = 0; i < 5; i++) {
		int before = computations;

		err = expensive_calculation(cache, args[i][0], args[i][1],
					    args[i][2], &r);
		if (err) {
			fail("expensive_calculation", err);
			goto out;
		}
		printf("f(%d, %d, %d) = %g (%s)\n", (int)args[i][0],
		       (int)args[i][1], (int)args[i][2], r,
		       computations > before ? "computed" : "cached");
	}
	/* Three distinct tuples: three computations, two cache hits. */
	if (computations != 3 || r != 9.0) {
		fprintf(stderr, "computed_results: expected 3 computations, got %d\n",
			computations);
		goto out;
	}
	ret = 0;
out:
	kcache_close(cache);
	err = kcache_destroy(name);
	if (err)
		ret = fail("kcache_destroy", err);
	return ret;
}
