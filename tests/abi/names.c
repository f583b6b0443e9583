// SPDX-License-Identifier: GPL-2.0
/*
 * Cache names in LRUCACHE_IOC_OPEN and LRUCACHE_IOC_DESTROY: 1 to 63 bytes
 * of [A-Za-z0-9_.-], not starting with '.', NUL-terminated in the 64-byte
 * field with zeroes after the NUL. Anything else is -EINVAL, and a rejected
 * OPEN leaves the descriptor unbound.
 */
#include "kselftest_harness.h"
#include "abi.h"

#define NR_CREATED	8

FIXTURE(names) {
	int fd;
	/* Caches the test created, destroyed by the teardown. */
	char created[NR_CREATED][LRUCACHE_NAME_MAX];
	int nr_created;
};

FIXTURE_SETUP(names)
{
	self->fd = dev_open();
	ASSERT_LE(0, self->fd) {
		TH_LOG("cannot open " LRUCACHE_DEVICE_PATH ": %s",
		       strerror(-self->fd));
	}
}

FIXTURE_TEARDOWN(names)
{
	int i;

	if (self->fd >= 0)
		close(self->fd);
	for (i = 0; i < self->nr_created; i++)
		cache_destroy(self->created[i]);
}

/* OPEN|CREATE with a raw 64-byte name field. */
static int open_raw(int fd, const char field[LRUCACHE_NAME_MAX])
{
	struct lrucache_open op;

	memset(&op, 0, sizeof(op));
	memcpy(op.name, field, LRUCACHE_NAME_MAX);
	op.flags = LRUCACHE_OPEN_CREATE;
	return xioctl(fd, LRUCACHE_IOC_OPEN, &op);
}

static int destroy_raw(int fd, const char field[LRUCACHE_NAME_MAX])
{
	struct lrucache_destroy d;

	memset(&d, 0, sizeof(d));
	memcpy(d.name, field, LRUCACHE_NAME_MAX);
	return xioctl(fd, LRUCACHE_IOC_DESTROY, &d);
}

/* @len bytes of @s, C-escaped into @out (4 * len + 1 bytes) for logs. */
static const char *escaped(const char *s, int len, char *out)
{
	char *p = out;
	int i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			*p++ = (char)c;
		else
			p += sprintf(p, "\\x%02x", c);
	}
	*p = 0;
	return out;
}

/* @name (may hold NULs, @len bytes) must be refused by OPEN and DESTROY. */
#define ASSERT_NAME_INVALID(name, len) do {				\
	char __f[LRUCACHE_NAME_MAX] = { 0 };				\
	char __log[4 * LRUCACHE_NAME_MAX + 1];				\
	struct lrucache_stats __st;					\
	int __ret;							\
	memcpy(__f, (name), (len));					\
	__ret = open_raw(self->fd, __f);				\
	if (!__ret)	/* wrongly created: do not leave it behind */	\
		destroy_raw(self->fd, __f);				\
	ASSERT_EQ(-EINVAL, __ret) {					\
		TH_LOG("name \"%s\" (%d bytes) accepted",		\
		       escaped((name), (int)(len), __log), (int)(len));	\
	}								\
	ASSERT_EQ(-EINVAL, destroy_raw(self->fd, __f));			\
	/* The descriptor is still unbound. */				\
	ASSERT_EQ(-EBADFD, cache_stats(self->fd, &__st));		\
} while (0)

/* Create @name on a fresh descriptor (remembered for the teardown). */
#define ASSERT_NAME_VALID(name) do {					\
	int __fd = dev_open();						\
	ASSERT_LE(0, __fd);						\
	ASSERT_GT(NR_CREATED, self->nr_created);			\
	put_name(self->created[self->nr_created++], (name));		\
	ASSERT_EQ(0, cache_open(__fd, (name), LRUCACHE_OPEN_CREATE |	\
				LRUCACHE_OPEN_EXCL, 0, 0, 0)) {		\
		TH_LOG("name \"%s\" refused", (name));			\
	}								\
	close(__fd);							\
} while (0)

#define ASSERT_STR_INVALID(s) ASSERT_NAME_INVALID(s, strlen(s))

TEST_F(names, empty_name_is_einval)
{
	ASSERT_NAME_INVALID("", 0);
}

TEST_F(names, slash_is_einval)
{
	ASSERT_STR_INVALID("/");
	ASSERT_STR_INVALID("a/b");
	ASSERT_STR_INVALID("../x");
}

TEST_F(names, leading_dot_is_einval)
{
	ASSERT_STR_INVALID(".");
	ASSERT_STR_INVALID("..");
	ASSERT_STR_INVALID(".hidden");
}

TEST_F(names, control_characters_are_einval)
{
	ASSERT_STR_INVALID("a\nb");
	ASSERT_STR_INVALID("\x01x");
	ASSERT_STR_INVALID("x\x1f");
	ASSERT_STR_INVALID("x\x7f");
	ASSERT_STR_INVALID("tab\there");
}

TEST_F(names, other_punctuation_and_non_ascii_are_einval)
{
	ASSERT_STR_INVALID("a b");
	ASSERT_STR_INVALID("a:b");
	ASSERT_STR_INVALID("a*");
	ASSERT_STR_INVALID("caf\xc3\xa9");	/* UTF-8 */
	/* Latin-1 letters: not in [A-Za-z], whatever a ctype table says. */
	ASSERT_STR_INVALID("caf\xe9");
	ASSERT_STR_INVALID("\xc0");
	ASSERT_STR_INVALID("\xff");
}

TEST_F(names, sixty_four_bytes_without_nul_is_einval)
{
	char field[LRUCACHE_NAME_MAX];

	memset(field, 'a', sizeof(field));
	ASSERT_NAME_INVALID(field, sizeof(field));
}

TEST_F(names, garbage_after_nul_is_einval)
{
	ASSERT_NAME_INVALID("abc\0x", 5);
	ASSERT_NAME_INVALID("abc\0\0\0\0\0\0\0\x01", 12);
}

TEST_F(names, sixty_three_bytes_is_valid)
{
	char name[LRUCACHE_NAME_MAX];
	int n;

	n = snprintf(name, sizeof(name), "n%d-", (int)getpid());
	memset(name + n, 'x', sizeof(name) - 1 - n);
	name[sizeof(name) - 1] = 0;
	ASSERT_EQ(63U, strlen(name));
	ASSERT_NAME_VALID(name);
}

TEST_F(names, every_allowed_character_is_valid)
{
	char name[LRUCACHE_NAME_MAX];

	snprintf(name, sizeof(name), "AZaz09_.-%d", (int)getpid());
	ASSERT_NAME_VALID(name);
	/* Only the first byte may not be a dot: '-' and '_' may lead. */
	snprintf(name, sizeof(name), "-%d", (int)getpid());
	ASSERT_NAME_VALID(name);
	snprintf(name, sizeof(name), "_%d", (int)getpid());
	ASSERT_NAME_VALID(name);
	snprintf(name, sizeof(name), "%d.", (int)getpid());
	ASSERT_NAME_VALID(name);
}

TEST_F(names, names_are_case_sensitive)
{
	char lower[LRUCACHE_NAME_MAX], upper[LRUCACHE_NAME_MAX];

	snprintf(lower, sizeof(lower), "case-%d", (int)getpid());
	snprintf(upper, sizeof(upper), "CASE-%d", (int)getpid());
	ASSERT_NAME_VALID(lower);
	ASSERT_NAME_VALID(upper);
}

TEST_HARNESS_MAIN
