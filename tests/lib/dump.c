// SPDX-License-Identifier: GPL-2.0
/*
 * libkcache JSON dump and restore: kcache_serialize() and
 * kcache_deserialize(). The documents are parsed back with jansson and
 * checked member by member: text and binary keys and values (NUL bytes,
 * invalid UTF-8, empty values), the LRU order, TTLs, expired entries, a
 * large cache, malformed and unsupported documents (which must fail with
 * the right code and change nothing), KCACHE_RESTORE_REPLACE, a kernel
 * error part way, and a dump taken while another process writes.
 */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <jansson.h>

#include "kselftest_harness.h"
#include "lib.h"

#define TIMEOUT_S	120

FIXTURE(dump) {
	char name[LRUCACHE_NAME_MAX];
	char name2[LRUCACHE_NAME_MAX];
	struct kcache *c;
};

FIXTURE_SETUP(dump)
{
	KCACHE_OPTS(opts, .max_size = 100);
	int err;

	self->c = NULL;
	unique_name(self->name, "dump");
	unique_name(self->name2, "dump2");
	err = kcache_open(self->name, &opts, &self->c);
	ASSERT_EQ(0, err) {
		TH_LOG("kcache_open(%s): %s", self->name, kcache_strerror(err));
	}
}

FIXTURE_TEARDOWN(dump)
{
	kcache_close(self->c);
	kcache_destroy(self->name);
	kcache_destroy(self->name2);
}

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

static uint64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static json_t *parse(const char *s, size_t n)
{
	json_error_t e;

	return json_loadb(s, n, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &e);
}

/*
 * kcache_serialize(), checked to return a NUL-terminated string of the
 * length it reports, then parsed back. NULL with *err set on failure.
 */
static json_t *dump_json(struct kcache *c, int *err, char **text,
			 size_t *len)
{
	char *s = NULL;
	size_t n = 0;
	json_t *doc;

	*err = kcache_serialize(c, &s, &n);
	if (*err)
		return NULL;
	if (!s || s[n] || strlen(s) != n) {
		*err = -EILSEQ;
		free(s);
		return NULL;
	}
	doc = parse(s, n);
	if (!doc)
		*err = -EBADMSG;
	if (text) {
		*text = s;
		*len = n;
	} else {
		free(s);
	}
	return doc;
}

static json_t *entries_of(json_t *doc)
{
	return json_object_get(doc, "entries");
}

/* Sizes as int, for the harness's comparisons; -1 for the wrong type. */
static int arr_len(json_t *a)
{
	return json_is_array(a) ? (int)json_array_size(a) : -1;
}

static int obj_len(json_t *o)
{
	return json_is_object(o) ? (int)json_object_size(o) : -1;
}

/* The test's own base64 encoder, to know what to expect. */
static void b64(const unsigned char *in, size_t n, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;

	for (i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = a[v >> 18];
		out[o++] = a[(v >> 12) & 63];
		out[o++] = i + 1 < n ? a[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? a[v & 63] : '=';
	}
	out[o] = 0;
}

/*
 * Does @v encode @len bytes at @p the way the format says: a string of
 * exactly those bytes if @utf8, else {"base64": <their encoding>}?
 */
static bool encodes(json_t *v, const void *p, size_t len, bool utf8)
{
	char enc[256];

	if (utf8)
		return json_is_string(v) && json_string_length(v) == len &&
		       !memcmp(json_string_value(v), p, len);
	if (!json_is_object(v) || json_object_size(v) != 1 || len > 180)
		return false;
	v = json_object_get(v, "base64");
	b64(p, len, enc);
	return json_is_string(v) && !strcmp(json_string_value(v), enc);
}

/* The value of a string key, into @buf; -ENOENT if absent. */
static ssize_t get_bytes(struct kcache *c, const void *key, size_t klen,
			 void *buf, size_t size)
{
	return kcache_get(c, key, klen, buf, size);
}

static int entry_index(json_t *entries, const char *key)
{
	size_t i;
	json_t *e;

	json_array_foreach(entries, i, e) {
		json_t *k = json_object_get(e, "key");

		if (json_is_string(k) && !strcmp(json_string_value(k), key))
			return (int)i;
	}
	return -1;
}

static json_int_t ttl_of(json_t *entries, const char *key)
{
	int i = entry_index(entries, key);
	json_t *t;

	if (i < 0)
		return -2;
	t = json_object_get(json_array_get(entries, i), "ttl_ms");
	if (!t)
		return -1;
	return json_is_integer(t) ? json_integer_value(t) : -3;
}

/* A valid document written by the library from a small cache. */
static char *sample_doc(const char *name, size_t *len)
{
	KCACHE_OPTS(opts, .max_size = 10);
	struct kcache *c;
	char *s = NULL;

	if (kcache_open(name, &opts, &c))
		return NULL;
	if (kcache_set(c, "alpha", 5, "one", 3, 600000) ||
	    kcache_set(c, "\xff\x01", 2, "bin\0ary", 7, KCACHE_TTL_NONE) ||
	    kcache_set(c, "gamma", 5, "", 0, KCACHE_TTL_NONE) ||
	    kcache_serialize(c, &s, len))
		s = NULL;
	kcache_close(c);
	kcache_destroy(name);
	return s;
}

/* {"format": F, "version": V, "entries": E}, members NULL left out. */
static char *make_doc(json_t *format, json_t *version, json_t *entries)
{
	json_t *doc = json_object();
	char *s;

	if (format)
		json_object_set_new(doc, "format", format);
	if (version)
		json_object_set_new(doc, "version", version);
	if (entries)
		json_object_set_new(doc, "entries", entries);
	s = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	return s;
}

/* Two good entries, then @bad (if not NULL): it comes last on purpose. */
static json_t *entries_then(json_t *bad)
{
	json_t *a = json_pack("[{s:s,s:s},{s:s,s:s,s:i}]",
			      "key", "good1", "value", "v1",
			      "key", "good2", "value", "v2", "ttl_ms", 5000);

	if (bad)
		json_array_append_new(a, bad);
	return a;
}

static char *doc_with_entry(json_t *bad)
{
	return make_doc(json_string(KCACHE_DUMP_FORMAT), json_integer(1),
			entries_then(bad));
}

struct item {
	const char *key;
	size_t klen;
	const char *val;
	size_t vlen;
	bool key_utf8, val_utf8;
};

#define IT(k, v, ku, vu) { k, sizeof(k) - 1, v, sizeof(v) - 1, ku, vu }

static const struct item round_trip_items[] = {
	IT("plain", "value", true, true),
	IT("k\0nul", "v\0a\0l", true, true),		/* NULs are UTF-8 */
	IT("\xff", "\xff\xfe\x00\x01", false, false),
	IT("caf\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac", true, true),
	IT("trunc\xc3", "", false, true),		/* empty value */
	IT("surrogate", "\xed\xa0\x80", true, false),	/* not UTF-8 */
	IT("overlong", "\xc0\xaf", true, false),
	IT("bin3", "\x80\x81\x82", true, false),	/* no padding */
	IT("bin4", "\x80\x81\x82\x83", true, false),	/* "==" */
	IT("bin5", "\x80\x81\x82\x83\x84", true, false),/* "=" */
	IT("\x00", "\x00", true, true),			/* one NUL byte */
};

#define NITEMS	(sizeof(round_trip_items) / sizeof(round_trip_items[0]))

TEST_F(dump, document_shape_and_binary_safe_round_trip)
{
	KCACHE_OPTS(opts, .max_size = 100);
	uint64_t before, after;
	json_t *doc, *entries, *e, *v;
	struct kcache_metrics m;
	unsigned char buf[64];
	size_t i;
	int err;

	for (i = 0; i < NITEMS; i++) {
		const struct item *it = &round_trip_items[i];

		ASSERT_EQ(0, kcache_set(self->c, it->key, it->klen, it->val,
					it->vlen, KCACHE_TTL_NONE));
	}
	before = realtime_ns();
	doc = dump_json(self->c, &err, NULL, NULL);
	after = realtime_ns();
	ASSERT_NE(NULL, doc) {
		TH_LOG("kcache_serialize: %s", kcache_strerror(err));
	}

	/* The envelope, and nothing else. */
	ASSERT_TRUE(json_is_object(doc));
	ASSERT_EQ(5, obj_len(doc));
	v = json_object_get(doc, "format");
	ASSERT_TRUE(json_is_string(v));
	ASSERT_STREQ("lrucache-dump", json_string_value(v));
	v = json_object_get(doc, "version");
	ASSERT_TRUE(json_is_integer(v));
	ASSERT_EQ(1, json_integer_value(v));
	v = json_object_get(doc, "cache");
	ASSERT_TRUE(json_is_string(v));
	ASSERT_STREQ(self->name, json_string_value(v));
	v = json_object_get(doc, "dumped_at_ns");
	ASSERT_TRUE(json_is_integer(v));
	ASSERT_LE((json_int_t)before, json_integer_value(v));
	ASSERT_GE((json_int_t)after, json_integer_value(v));

	/* Entries in insertion order (nothing was read): LRU first. */
	entries = entries_of(doc);
	ASSERT_TRUE(json_is_array(entries));
	ASSERT_EQ((int)NITEMS, arr_len(entries));
	json_array_foreach(entries, i, e) {
		const struct item *it = &round_trip_items[i];

		ASSERT_TRUE(json_is_object(e));
		ASSERT_EQ(2, obj_len(e)) {
			TH_LOG("entry %zu: no ttl_ms without expiry", i);
		}
		ASSERT_TRUE(encodes(json_object_get(e, "key"), it->key,
				    it->klen, it->key_utf8)) {
			TH_LOG("entry %zu: key encoded wrongly", i);
		}
		ASSERT_TRUE(encodes(json_object_get(e, "value"), it->val,
				    it->vlen, it->val_utf8)) {
			TH_LOG("entry %zu: value encoded wrongly", i);
		}
	}

	/* Back into a new cache of the same name: the same bytes. */
	{
		char *s;
		size_t n;

		ASSERT_EQ(0, kcache_serialize(self->c, &s, &n));
		kcache_close(self->c);
		self->c = NULL;
		ASSERT_EQ(0, kcache_destroy(self->name));
		ASSERT_EQ(0, kcache_open(self->name, &opts, &self->c));
		ASSERT_EQ((int)NITEMS, kcache_deserialize(self->c, s, n, 0));
		free(s);
	}
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	ASSERT_EQ(NITEMS, m.entries);
	ASSERT_EQ(0U, m.expiring);
	for (i = 0; i < NITEMS; i++) {
		const struct item *it = &round_trip_items[i];

		memset(buf, 0xaa, sizeof(buf));
		ASSERT_EQ((ssize_t)it->vlen,
			  get_bytes(self->c, it->key, it->klen, buf,
				    sizeof(buf))) {
			TH_LOG("item %zu", i);
		}
		ASSERT_EQ(0, memcmp(buf, it->val, it->vlen));
	}
	json_decref(doc);
}

TEST_F(dump, empty_cache_dumps_no_entries_and_restores_none)
{
	json_t *doc;
	char *s;
	size_t n;
	int err;

	doc = dump_json(self->c, &err, &s, &n);
	ASSERT_NE(NULL, doc);
	ASSERT_TRUE(json_is_array(entries_of(doc)));
	ASSERT_EQ(0, arr_len(entries_of(doc)));
	ASSERT_EQ(0, kcache_deserialize(self->c, s, n, 0));
	ASSERT_EQ(0, kcache_deserialize(self->c, s, n,
					KCACHE_RESTORE_REPLACE));
	free(s);
	json_decref(doc);
}

TEST_F(dump, lru_order_is_kept_through_a_restore)
{
	KCACHE_OPTS(opts, .max_size = 8);
	const char *order[8] = { "k1", "k2", "k4", "k5", "k6", "k7",
				 "k0", "k3" };
	json_t *doc, *doc2;
	struct kcache *c;
	char key[8], buf[16];
	char *s;
	size_t n, i;
	int err;

	ASSERT_EQ(0, kcache_open(self->name2, &opts, &c));
	for (i = 0; i < 8; i++) {
		snprintf(key, sizeof(key), "k%zu", i);
		ASSERT_EQ(0, kcache_set(c, key, 2, key, 2, KCACHE_TTL_NONE));
	}
	/* Reads move k0, then k3, to the most recent end. */
	ASSERT_EQ(2, kcache_get(c, "k0", 2, buf, sizeof(buf)));
	ASSERT_EQ(2, kcache_get(c, "k3", 2, buf, sizeof(buf)));

	doc = dump_json(c, &err, &s, &n);
	ASSERT_NE(NULL, doc);
	ASSERT_EQ(8, arr_len(entries_of(doc)));
	for (i = 0; i < 8; i++) {
		const char *k = order[i];

		ASSERT_EQ((int)i, entry_index(entries_of(doc), k)) {
			TH_LOG("%s out of place", k);
		}
	}

	/* A fresh cache of the same size, restored. */
	kcache_close(c);
	ASSERT_EQ(0, kcache_destroy(self->name2));
	ASSERT_EQ(0, kcache_open(self->name2, &opts, &c));
	ASSERT_EQ(8, kcache_deserialize(c, s, n, 0));
	free(s);

	/* Dumped again, the same entries in the same order. */
	doc2 = dump_json(c, &err, NULL, NULL);
	ASSERT_NE(NULL, doc2);
	ASSERT_TRUE(json_equal(entries_of(doc), entries_of(doc2)));

	/* Each new key evicts the next least recent at dump time. */
	ASSERT_EQ(0, kcache_set(c, "new0", 4, "x", 1, KCACHE_TTL_NONE));
	ASSERT_EQ(0, kcache_exists(c, "k1", 2));
	ASSERT_EQ(1, kcache_exists(c, "k2", 2));
	ASSERT_EQ(0, kcache_set(c, "new1", 4, "x", 1, KCACHE_TTL_NONE));
	ASSERT_EQ(0, kcache_exists(c, "k2", 2));
	ASSERT_EQ(0, kcache_set(c, "new2", 4, "x", 1, KCACHE_TTL_NONE));
	ASSERT_EQ(0, kcache_exists(c, "k4", 2));
	for (i = 3; i < 8; i++) {
		const char *k = order[i];

		ASSERT_EQ(1, kcache_exists(c, k, 2)) {
			TH_LOG("%s evicted too early", k);
		}
	}
	kcache_close(c);
	json_decref(doc);
	json_decref(doc2);
}

TEST_F(dump, ttls_are_carried_and_absent_without_expiry)
{
	KCACHE_OPTS(opts, .max_size = 10, .default_ttl_ms = 300000);
	json_int_t ttl, dflt;
	struct kcache_metrics m;
	json_t *doc, *doc2;
	struct kcache *c;
	char *s;
	size_t n;
	int err;

	ASSERT_EQ(0, kcache_open(self->name2, &opts, &c));
	ASSERT_EQ(0, kcache_set(c, "ttl", 3, "a", 1, 600000));
	ASSERT_EQ(0, kcache_set(c, "none", 4, "b", 1, KCACHE_TTL_NONE));
	ASSERT_EQ(0, kcache_set(c, "dflt", 4, "c", 1, KCACHE_TTL_DEFAULT));
	doc = dump_json(c, &err, &s, &n);
	ASSERT_NE(NULL, doc);
	ttl = ttl_of(entries_of(doc), "ttl");
	dflt = ttl_of(entries_of(doc), "dflt");
	ASSERT_LE(1, ttl);
	ASSERT_GE(600000, ttl);
	ASSERT_EQ(-1, ttl_of(entries_of(doc), "none"));
	ASSERT_LE(1, dflt);
	ASSERT_GE(300000, dflt);
	kcache_close(c);

	/* Into a cache without a default TTL: explicit TTLs, none stays none. */
	ASSERT_EQ(0, sset(self->c, "old", "x"));
	ASSERT_EQ(3, kcache_deserialize(self->c, s, n,
					KCACHE_RESTORE_REPLACE));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	ASSERT_EQ(3U, m.entries);
	ASSERT_EQ(2U, m.expiring);
	doc2 = dump_json(self->c, &err, NULL, NULL);
	ASSERT_NE(NULL, doc2);
	ASSERT_LE(1, ttl_of(entries_of(doc2), "ttl"));
	ASSERT_GE(ttl, ttl_of(entries_of(doc2), "ttl"));
	ASSERT_LE(1, ttl_of(entries_of(doc2), "dflt"));
	ASSERT_GE(dflt, ttl_of(entries_of(doc2), "dflt"));
	ASSERT_EQ(-1, ttl_of(entries_of(doc2), "none"));
	free(s);
	json_decref(doc);
	json_decref(doc2);
}

TEST_F_TIMEOUT(dump, expired_entries_are_left_out, TIMEOUT_S)
{
	/* The reaper must not free the entry first: a day's interval. */
	KCACHE_OPTS(opts, .max_size = 10,
		    .cleanup_interval_ms = KCACHE_CLEANUP_INTERVAL_MAX_MS);
	struct kcache_metrics m;
	uint64_t deadline;
	struct kcache *c;
	json_t *doc;
	int err;

	ASSERT_EQ(0, kcache_open(self->name2, &opts, &c));
	ASSERT_EQ(0, kcache_set(c, "short", 5, "s", 1, 100));
	ASSERT_EQ(0, kcache_set(c, "long", 4, "l", 1, KCACHE_TTL_NONE));
	deadline = monotonic_ms() + 30000;
	while (kcache_exists(c, "short", 5) == 1 && monotonic_ms() < deadline)
		sleep_ms(20);
	ASSERT_EQ(0, kcache_exists(c, "short", 5));
	/* Expired but still held (exists() frees nothing)... */
	ASSERT_EQ(0, kcache_get_metrics(c, &m));
	ASSERT_EQ(2U, m.entries);
	/* ...and not in the dump. */
	doc = dump_json(c, &err, NULL, NULL);
	ASSERT_NE(NULL, doc);
	ASSERT_EQ(1, arr_len(entries_of(doc)));
	ASSERT_EQ(0, entry_index(entries_of(doc), "long"));
	kcache_close(c);
	json_decref(doc);
}

#define LARGE	20000

TEST_F_TIMEOUT(dump, large_cache_round_trip, TIMEOUT_S)
{
	KCACHE_OPTS(opts, .max_size = LARGE);
	struct kcache_item *items;
	unsigned char (*vals)[64];
	char (*keys)[16];
	unsigned char buf[64];
	struct kcache_metrics m;
	json_t *doc, *doc2;
	struct kcache *c;
	size_t i, j, n;
	char *s;
	int err;

	keys = calloc(LARGE, sizeof(*keys));
	vals = calloc(LARGE, sizeof(*vals));
	items = calloc(LARGE, sizeof(*items));
	ASSERT_TRUE(keys && vals && items);
	for (i = 0; i < LARGE; i++) {
		size_t vlen = 1 + i % 50;

		snprintf(keys[i], sizeof(keys[i]), "key-%05zu", i);
		for (j = 0; j < vlen; j++)	/* every 7th one binary */
			vals[i][j] = i % 7 ? (unsigned char)('a' + (i + j) % 26)
					   : (unsigned char)(i + j * 37);
		items[i] = (struct kcache_item){
			.key = keys[i], .key_len = strlen(keys[i]),
			.value = vals[i], .value_len = vlen,
		};
	}
	ASSERT_EQ(0, kcache_open(self->name2, &opts, &c));
	ASSERT_EQ(LARGE, kcache_set_many(c, items, LARGE, KCACHE_TTL_NONE));

	doc = dump_json(c, &err, &s, &n);
	ASSERT_NE(NULL, doc) {
		TH_LOG("kcache_serialize: %s", kcache_strerror(err));
	}
	ASSERT_EQ(LARGE, arr_len(entries_of(doc)));
	kcache_close(c);
	ASSERT_EQ(0, kcache_destroy(self->name2));
	ASSERT_EQ(0, kcache_open(self->name2, &opts, &c));
	ASSERT_EQ(LARGE, kcache_deserialize(c, s, n, 0));
	free(s);
	ASSERT_EQ(0, kcache_get_metrics(c, &m));
	ASSERT_EQ((uint64_t)LARGE, m.entries);

	/* The same entries in the same order... */
	doc2 = dump_json(c, &err, NULL, NULL);
	ASSERT_NE(NULL, doc2);
	ASSERT_TRUE(json_equal(entries_of(doc), entries_of(doc2)));
	/* ...holding the same bytes. */
	for (i = 0; i < LARGE; i += 97) {
		ASSERT_EQ((ssize_t)items[i].value_len,
			  kcache_get(c, keys[i], strlen(keys[i]), buf,
				     sizeof(buf)));
		ASSERT_EQ(0, memcmp(buf, vals[i], items[i].value_len));
	}
	kcache_close(c);
	json_decref(doc);
	json_decref(doc2);
	free(keys);
	free(vals);
	free(items);
}

struct bad_doc {
	char what[48];
	char *text;		/* malloc'd */
	size_t len;
	int err;
	const char *reason;	/* expected in kcache_json_error.text */
};

#define MAX_BAD	64

static void add_bad(struct bad_doc *b, int *n, const char *what, char *text,
		    size_t len, int err, const char *reason)
{
	struct bad_doc *d = &b[(*n)++];

	snprintf(d->what, sizeof(d->what), "%s", what);
	d->text = text;
	d->len = len;
	d->err = err;
	d->reason = reason;
}

static void add_bad_str(struct bad_doc *b, int *n, const char *what,
			char *text, int err, const char *reason)
{
	add_bad(b, n, what, text, text ? strlen(text) : 0, err, reason);
}

static char *dup_prefix(const char *s, size_t len)
{
	char *p = malloc(len + 1);

	memcpy(p, s, len);
	p[len] = 0;
	return p;
}

TEST_F(dump, malformed_or_unsupported_documents_change_nothing)
{
	struct bad_doc bad[MAX_BAD];
	struct kcache_metrics m0, m;
	struct kcache_json_error jerr;
	json_t *base, *now;
	char *sample, *p;
	size_t slen, cut[8];
	int nbad = 0, i, k, err;
	unsigned int flags;

	/* What the cache holds before, and must hold after each attempt. */
	ASSERT_EQ(0, sset(self->c, "a", "1"));
	ASSERT_EQ(0, sset(self->c, "good1", "before"));
	ASSERT_EQ(0, sset(self->c, "c", "3"));
	base = dump_json(self->c, &err, NULL, NULL);
	ASSERT_NE(NULL, base);
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m0));

	/* A valid document cut short in several places. */
	sample = sample_doc(self->name2, &slen);
	ASSERT_NE(NULL, sample);
	ASSERT_NE(NULL, parse(sample, slen));
	cut[0] = 0;
	cut[1] = 1;
	cut[2] = slen / 3;
	cut[3] = slen / 2;
	cut[4] = slen - 1;
	p = strstr(sample, "\"entries\":[");
	ASSERT_NE(NULL, p);
	cut[5] = (size_t)(p - sample) + strlen("\"entries\":[");
	p = strstr(sample, "\"base64\":\"");
	ASSERT_NE(NULL, p);
	cut[6] = (size_t)(p - sample) + strlen("\"base64\":\"") + 2;
	p = strstr(sample, "\"ttl_ms\":");
	ASSERT_NE(NULL, p);
	cut[7] = (size_t)(p - sample) + strlen("\"ttl_ms\":") + 1;
	for (k = 0; k < 8; k++) {
		char what[48];

		snprintf(what, sizeof(what), "truncated at %zu of %zu", cut[k],
			 slen);
		add_bad(bad, &nbad, what, dup_prefix(sample, cut[k]), cut[k],
			-EBADMSG, NULL);
	}
	{
		char *t = malloc(slen + 2);

		memcpy(t, sample, slen);
		memcpy(t + slen, "}", 2);
		add_bad(bad, &nbad, "trailing garbage", t, slen + 1, -EBADMSG,
			NULL);
	}

	/* Not JSON, or JSON but not a dump. */
	add_bad_str(bad, &nbad, "not JSON", strdup("this is not JSON"),
		    -EBADMSG, NULL);
	add_bad_str(bad, &nbad, "an array", strdup("[]"), -EBADMSG,
		    "not a JSON object");
	add_bad_str(bad, &nbad, "null", strdup("null"), -EBADMSG, NULL);
	add_bad_str(bad, &nbad, "duplicate member",
		    strdup("{\"format\":\"lrucache-dump\",\"version\":1,"
			   "\"entries\":[{\"key\":\"a\",\"key\":\"b\","
			   "\"value\":\"c\"}]}"), -EBADMSG, NULL);

	/* The envelope. */
	add_bad_str(bad, &nbad, "format missing",
		    make_doc(NULL, json_integer(1), entries_then(NULL)),
		    -EBADMSG, "format");
	add_bad_str(bad, &nbad, "wrong format",
		    make_doc(json_string("redis-dump"), json_integer(1),
			     entries_then(NULL)), -EPROTONOSUPPORT, "format");
	add_bad_str(bad, &nbad, "version 2",
		    make_doc(json_string(KCACHE_DUMP_FORMAT), json_integer(2),
			     entries_then(NULL)), -EPROTONOSUPPORT, "version");
	add_bad_str(bad, &nbad, "version 0",
		    make_doc(json_string(KCACHE_DUMP_FORMAT), json_integer(0),
			     entries_then(NULL)), -EPROTONOSUPPORT, "version");
	add_bad_str(bad, &nbad, "version a string",
		    make_doc(json_string(KCACHE_DUMP_FORMAT),
			     json_string("1"), entries_then(NULL)),
		    -EBADMSG, "version");
	add_bad_str(bad, &nbad, "version a real",
		    make_doc(json_string(KCACHE_DUMP_FORMAT), json_real(1.0),
			     entries_then(NULL)), -EBADMSG, "version");
	add_bad_str(bad, &nbad, "version missing",
		    make_doc(json_string(KCACHE_DUMP_FORMAT), NULL,
			     entries_then(NULL)), -EBADMSG, "version");
	add_bad_str(bad, &nbad, "entries missing",
		    make_doc(json_string(KCACHE_DUMP_FORMAT), json_integer(1),
			     NULL), -EBADMSG, "entries");
	add_bad_str(bad, &nbad, "entries an object",
		    make_doc(json_string(KCACHE_DUMP_FORMAT), json_integer(1),
			     json_object()), -EBADMSG, "entries");

	/* One bad entry after two good ones. */
	add_bad_str(bad, &nbad, "key missing",
		    doc_with_entry(json_pack("{s:s}", "value", "x")),
		    -EBADMSG, "entries[2].key");
	add_bad_str(bad, &nbad, "value missing",
		    doc_with_entry(json_pack("{s:s}", "key", "x")),
		    -EBADMSG, "entries[2].value");
	add_bad_str(bad, &nbad, "empty key",
		    doc_with_entry(json_pack("{s:s,s:s}", "key", "",
					     "value", "x")),
		    -EBADMSG, "entries[2].key");
	add_bad_str(bad, &nbad, "key a number",
		    doc_with_entry(json_pack("{s:i,s:s}", "key", 5,
					     "value", "x")),
		    -EBADMSG, "entries[2].key");
	add_bad_str(bad, &nbad, "value null",
		    doc_with_entry(json_pack("{s:s,s:n}", "key", "x",
					     "value")),
		    -EBADMSG, "entries[2].value");
	add_bad_str(bad, &nbad, "base64 bad characters",
		    doc_with_entry(json_pack("{s:{s:s},s:s}", "key",
					     "base64", "@@@@", "value", "x")),
		    -EBADMSG, "entries[2].key");
	add_bad_str(bad, &nbad, "base64 without padding",
		    doc_with_entry(json_pack("{s:s,s:{s:s}}", "key", "x",
					     "value", "base64", "QUJDRA")),
		    -EBADMSG, "entries[2].value");
	add_bad_str(bad, &nbad, "base64 unused bits set",
		    doc_with_entry(json_pack("{s:s,s:{s:s}}", "key", "x",
					     "value", "base64", "QR==")),
		    -EBADMSG, "entries[2].value");
	add_bad_str(bad, &nbad, "base64 with a newline",
		    doc_with_entry(json_pack("{s:s,s:{s:s}}", "key", "x",
					     "value", "base64", "QUJD\n")),
		    -EBADMSG, "entries[2].value");
	add_bad_str(bad, &nbad, "base64 padding inside",
		    doc_with_entry(json_pack("{s:s,s:{s:s}}", "key", "x",
					     "value", "base64", "QQ==QUJD")),
		    -EBADMSG, "entries[2].value");
	add_bad_str(bad, &nbad, "base64 object with two members",
		    doc_with_entry(json_pack("{s:{s:s,s:i},s:s}", "key",
					     "base64", "QUJD", "x", 1,
					     "value", "x")),
		    -EBADMSG, "entries[2].key");
	add_bad_str(bad, &nbad, "base64 empty key",
		    doc_with_entry(json_pack("{s:{s:s},s:s}", "key",
					     "base64", "", "value", "x")),
		    -EBADMSG, "entries[2].key");
	add_bad_str(bad, &nbad, "negative ttl",
		    doc_with_entry(json_pack("{s:s,s:s,s:i}", "key", "x",
					     "value", "y", "ttl_ms", -5)),
		    -EBADMSG, "entries[2].ttl_ms");
	add_bad_str(bad, &nbad, "zero ttl",
		    doc_with_entry(json_pack("{s:s,s:s,s:i}", "key", "x",
					     "value", "y", "ttl_ms", 0)),
		    -EBADMSG, "entries[2].ttl_ms");
	add_bad_str(bad, &nbad, "real ttl",
		    doc_with_entry(json_pack("{s:s,s:s,s:f}", "key", "x",
					     "value", "y", "ttl_ms", 1.5)),
		    -EBADMSG, "entries[2].ttl_ms");
	add_bad_str(bad, &nbad, "ttl over the maximum",
		    doc_with_entry(json_pack("{s:s,s:s,s:I}", "key", "x",
					     "value", "y", "ttl_ms",
					     (json_int_t)KCACHE_TTL_MAX_MS + 1)),
		    -EBADMSG, "entries[2].ttl_ms");
	add_bad_str(bad, &nbad, "ttl a string",
		    doc_with_entry(json_pack("{s:s,s:s,s:s}", "key", "x",
					     "value", "y", "ttl_ms", "10")),
		    -EBADMSG, "entries[2].ttl_ms");
	add_bad_str(bad, &nbad, "unknown entry member",
		    doc_with_entry(json_pack("{s:s,s:s,s:i}", "key", "x",
					     "value", "y", "flags", 1)),
		    -EBADMSG, "entries[2]");
	add_bad_str(bad, &nbad, "entry not an object",
		    doc_with_entry(json_string("x")), -EBADMSG, "entries[2]");
	ASSERT_GE(MAX_BAD, nbad);

	for (i = 0; i < nbad; i++) {
		ASSERT_NE(NULL, bad[i].text) {
			TH_LOG("%s: could not build", bad[i].what);
		}
		for (flags = 0; flags <= KCACHE_RESTORE_REPLACE;
		     flags += KCACHE_RESTORE_REPLACE) {
			memset(&jerr, 0x55, sizeof(jerr));
			err = kcache_deserialize_ex(self->c, bad[i].text,
						    bad[i].len, flags, &jerr);
			ASSERT_EQ(bad[i].err, err) {
				TH_LOG("%s (flags %u): %s; %s", bad[i].what,
				       flags, kcache_strerror(err), jerr.text);
			}
			ASSERT_NE(0, jerr.text[0]);
			ASSERT_NE(NULL, memchr(jerr.text, 0,
					       sizeof(jerr.text)));
			if (bad[i].reason) {
				/* A content error: named, no place. */
				ASSERT_NE(NULL, strstr(jerr.text,
						       bad[i].reason)) {
					TH_LOG("%s: \"%s\"", bad[i].what,
					       jerr.text);
				}
				ASSERT_EQ(-1, jerr.line);
			} else if (bad[i].len > 1 && bad[i].len < slen) {
				/* A syntax error has a place. */
				ASSERT_LE(1, jerr.line) {
					TH_LOG("%s: line %d", bad[i].what,
					       jerr.line);
				}
				ASSERT_LE(1, jerr.column);
			}
			ASSERT_EQ(bad[i].err,
				  kcache_deserialize(self->c, bad[i].text,
						     bad[i].len, flags));

			/* Nothing changed: same entries, no set ran. */
			now = dump_json(self->c, &err, NULL, NULL);
			ASSERT_NE(NULL, now);
			ASSERT_TRUE(json_equal(entries_of(base),
					       entries_of(now))) {
				TH_LOG("%s (flags %u) changed the cache",
				       bad[i].what, flags);
			}
			json_decref(now);
			ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
			ASSERT_EQ(m0.sets, m.sets);
		}
		free(bad[i].text);
	}
	free(sample);
	json_decref(base);
}

TEST_F(dump, documents_from_elsewhere_are_accepted)
{
	unsigned char key[3] = { 0, 1, 2 };
	char buf[256], *s, *t;
	json_t *doc;

	/* No "cache" nor "dumped_at_ns", an unknown top-level member. */
	doc = json_pack("{s:s,s:i,s:s,s:[{s:{s:s},s:{s:s}},{s:s,s:s}]}",
			"format", KCACHE_DUMP_FORMAT, "version", 1,
			"comment", "written by hand",
			"entries",
			"key", "base64", "AAEC", "value", "base64", "",
			"key", "text", "value", "t\xc3\xa9xt");
	ASSERT_NE(NULL, doc);
	s = json_dumps(doc, JSON_INDENT(2));
	ASSERT_NE(NULL, s);
	/* Whitespace after the document is fine. */
	ASSERT_LE(0, asprintf(&t, "%s \n\t\n", s));
	ASSERT_EQ(2, kcache_deserialize(self->c, t, strlen(t), 0));
	ASSERT_EQ(0, kcache_get(self->c, key, 3, buf, sizeof(buf)));
	ASSERT_EQ(5, sget(self->c, "text", buf));
	ASSERT_STREQ("t\xc3\xa9xt", buf);
	free(s);
	free(t);
	json_decref(doc);
}

TEST_F(dump, replace_clears_first_and_merge_keeps_the_rest)
{
	KCACHE_OPTS(opts, .max_size = 10);
	struct kcache_metrics m;
	struct kcache *c;
	char out[256];
	char *s;
	size_t n;

	ASSERT_EQ(0, kcache_open(self->name2, &opts, &c));
	ASSERT_EQ(0, sset(c, "shared", "new"));
	ASSERT_EQ(0, sset(c, "fresh", "x"));
	ASSERT_EQ(0, kcache_serialize(c, &s, &n));
	kcache_close(c);

	ASSERT_EQ(0, sset(self->c, "old1", "1"));
	ASSERT_EQ(0, sset(self->c, "old2", "2"));
	ASSERT_EQ(0, sset(self->c, "shared", "old"));
	ASSERT_EQ(2, kcache_deserialize(self->c, s, n, 0));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	ASSERT_EQ(4U, m.entries);
	ASSERT_EQ(3, sget(self->c, "shared", out));
	ASSERT_STREQ("new", out);
	ASSERT_EQ(1, sexists(self->c, "old1"));

	ASSERT_EQ(2, kcache_deserialize(self->c, s, n,
					KCACHE_RESTORE_REPLACE));
	ASSERT_EQ(0, kcache_get_metrics(self->c, &m));
	ASSERT_EQ(2U, m.entries);
	ASSERT_EQ(0, sexists(self->c, "old1"));
	ASSERT_EQ(0, sexists(self->c, "old2"));
	ASSERT_EQ(3, sget(self->c, "shared", out));
	ASSERT_STREQ("new", out);
	ASSERT_EQ(1, sget(self->c, "fresh", out));
	free(s);
}

TEST_F(dump, kernel_error_part_way_keeps_the_entries_before_it)
{
	size_t max_key = module_param("max_key_len", 250);
	struct kcache_json_error jerr;
	char *longkey, *s;
	json_t *doc;

	longkey = malloc(max_key + 2);
	ASSERT_NE(NULL, longkey);
	memset(longkey, 'x', max_key + 1);
	longkey[max_key + 1] = 0;
	doc = json_pack("{s:s,s:i,s:[{s:s,s:s},{s:s,s:s},{s:s,s:s}]}",
			"format", KCACHE_DUMP_FORMAT, "version", 1, "entries",
			"key", "first", "value", "1",
			"key", "second", "value", "2",
			"key", longkey, "value", "3");
	ASSERT_NE(NULL, doc);
	s = json_dumps(doc, JSON_COMPACT);
	ASSERT_EQ(-E2BIG, kcache_deserialize_ex(self->c, s, strlen(s), 0,
						&jerr));
	ASSERT_NE(NULL, strstr(jerr.text, "entries[2]")) {
		TH_LOG("\"%s\"", jerr.text);
	}
	ASSERT_EQ(1, sexists(self->c, "first"));
	ASSERT_EQ(1, sexists(self->c, "second"));
	free(s);
	free(longkey);
	json_decref(doc);
}

TEST_F(dump, argument_errors_and_destroyed_cache)
{
	char *s = NULL, *t = NULL;
	struct kcache_json_error jerr;
	size_t n = 0, m;

	ASSERT_EQ(-EINVAL, kcache_serialize(NULL, &s, &n));
	ASSERT_EQ(-EINVAL, kcache_serialize(self->c, NULL, &n));
	ASSERT_EQ(-EINVAL, kcache_serialize(self->c, &s, NULL));
	ASSERT_EQ(0, sset(self->c, "k", "v"));
	ASSERT_EQ(0, kcache_serialize(self->c, &s, &n));
	ASSERT_EQ(-EINVAL, kcache_deserialize(NULL, s, n, 0));
	ASSERT_EQ(-EINVAL, kcache_deserialize(self->c, NULL, n, 0));
	ASSERT_EQ(-EINVAL, kcache_deserialize(self->c, s, n, 1U << 7));
	ASSERT_EQ(1, kcache_deserialize_ex(self->c, s, n, 0, &jerr));
	ASSERT_EQ(-1, jerr.line);
	ASSERT_EQ(0, jerr.text[0]);

	/* The library's words for its two new codes. */
	ASSERT_STRNE(strerror(EBADMSG), kcache_strerror(-EBADMSG));
	ASSERT_STRNE(strerror(EPROTONOSUPPORT),
		     kcache_strerror(-EPROTONOSUPPORT));

	ASSERT_EQ(0, kcache_destroy(self->name));
	ASSERT_EQ(-EIDRM, kcache_serialize(self->c, &t, &m));
	ASSERT_EQ(NULL, t);
	ASSERT_EQ(-EIDRM, kcache_deserialize_ex(self->c, s, n, 0, &jerr));
	ASSERT_NE(0, jerr.text[0]);
	ASSERT_EQ(-EIDRM, kcache_deserialize(self->c, s, n,
					     KCACHE_RESTORE_REPLACE));
	free(s);
}

#define WRITER_KEYS	1000
#define DUMPS		5

/*
 * The writer sets k0..k999 in order, round after round, each to
 * "k<i>=<round>". At any instant the live entries, least recent first,
 * are k<j>..k999 of round r-1 then k0..k<j-1> of round r: so a dump of
 * one instant lists every key once, each with its own value, in strictly
 * increasing (round, index) order.
 */
static void writer(const char *name, int ready_fd)
{
	uint64_t deadline = monotonic_ms() + 60000;
	char key[16], val[32];
	struct kcache *c;
	int i, round;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (kcache_open(name, NULL, &c))
		_exit(2);
	for (round = 0; monotonic_ms() < deadline; round++) {
		for (i = 0; i < WRITER_KEYS; i++) {
			snprintf(key, sizeof(key), "k%d", i);
			snprintf(val, sizeof(val), "k%d=%d", i, round);
			if (kcache_set(c, key, strlen(key), val, strlen(val),
				       KCACHE_TTL_NONE))
				_exit(3);
		}
		if (round == 0 && write(ready_fd, "r", 1) != 1)
			_exit(4);
	}
	_exit(0);
}

TEST_F_TIMEOUT(dump, snapshot_while_another_process_writes, TIMEOUT_S)
{
	KCACHE_OPTS(opts, .max_size = 4 * WRITER_KEYS);
	int pfd[2], status, d, idx, round, prev_idx, prev_round, pos, err;
	int first_round = -1, last_round = -1;
	bool seen[WRITER_KEYS];
	struct kcache *c;
	json_t *doc, *e;
	char ready;
	pid_t pid;
	size_t i;

	ASSERT_EQ(0, kcache_open(self->name2, &opts, &c));
	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(pfd[0]);
		writer(self->name2, pfd[1]);
	}
	close(pfd[1]);
	/* The first round is complete: every key is live from now on. */
	ASSERT_EQ(1, read(pfd[0], &ready, 1));
	close(pfd[0]);

	for (d = 0; d < DUMPS; d++) {
		doc = dump_json(c, &err, NULL, NULL);
		ASSERT_NE(NULL, doc) {
			TH_LOG("kcache_serialize: %s", kcache_strerror(err));
		}
		ASSERT_EQ(WRITER_KEYS, arr_len(entries_of(doc)));
		memset(seen, 0, sizeof(seen));
		prev_idx = -1;
		prev_round = -1;
		json_array_foreach(entries_of(doc), i, e) {
			json_t *k = json_object_get(e, "key");
			json_t *v = json_object_get(e, "value");
			char want[32];

			ASSERT_TRUE(json_is_string(k) && json_is_string(v));
			pos = 0;
			ASSERT_EQ(1, sscanf(json_string_value(k), "k%d%n",
					    &idx, &pos));
			ASSERT_EQ((int)strlen(json_string_value(k)), pos);
			ASSERT_TRUE(idx >= 0 && idx < WRITER_KEYS);
			ASSERT_FALSE(seen[idx]) {
				TH_LOG("dump %d: k%d twice", d, idx);
			}
			seen[idx] = true;
			/* The value is the one written for this key. */
			snprintf(want, sizeof(want), "k%d=", idx);
			ASSERT_EQ(0, strncmp(json_string_value(v), want,
					     strlen(want))) {
				TH_LOG("dump %d: %s holds %s", d,
				       json_string_value(k),
				       json_string_value(v));
			}
			round = atoi(json_string_value(v) + strlen(want));
			/* One instant: (round, index) strictly increases. */
			ASSERT_TRUE(round > prev_round ||
				    (round == prev_round && idx > prev_idx)) {
				TH_LOG("dump %d: k%d=%d after k%d=%d", d, idx,
				       round, prev_idx, prev_round);
			}
			prev_round = round;
			prev_idx = idx;
			if (!i)
				first_round = round;
		}
		ASSERT_LE(prev_round - first_round, 1);
		last_round = prev_round;
		json_decref(doc);
	}
	TH_LOG("writer at round %d after %d dumps", last_round, DUMPS);
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	/* Killed while writing, not failed on its own. */
	ASSERT_TRUE(WIFSIGNALED(status) ||
		    (WIFEXITED(status) && !WEXITSTATUS(status)));
	kcache_close(c);
}

TEST_HARNESS_MAIN
