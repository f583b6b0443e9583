// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libkcache: JSON dump and restore of a cache (kcache_serialize(),
 * kcache_deserialize()), format in Documentation/lrucache/dump.rst.
 *
 * Serialising reads the record stream of LRUCACHE_IOC_DUMP in chunks and
 * turns each record into an entry of a jansson tree, which jansson then
 * writes out; restoring has jansson parse the document, checks every
 * entry (decoding base64 on the way) into a table, and only then stores
 * the table with batched sets. JSON text is only ever written and read by
 * jansson.
 *
 * jansson is not linked: its functions are called through the sym_json_*
 * pointers below, which kcache_dlib_load() (deps.c) fills on the first
 * dump or restore; without the library both fail with -ELIBACC before
 * touching the cache. They are the only global state here.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "kcache_internal.h"

/* ---- jansson, loaded on first use */

#define JANSSON_FUNCTIONS(X)						\
	X(json_array) X(json_array_append_new) X(json_array_get)	\
	X(json_array_size) X(json_delete) X(json_dump_callback)		\
	X(json_integer) X(json_integer_value) X(json_loadb)		\
	X(json_object) X(json_object_get) X(json_object_iter)		\
	X(json_object_iter_key) X(json_object_iter_next)		\
	X(json_object_iter_value) X(json_object_key_to_iter)		\
	X(json_object_set_new_nocheck) X(json_object_size)		\
	X(json_string) X(json_string_length) X(json_string_nocheck)	\
	X(json_string_value) X(json_stringn)

#define DECLARE_SYM(fn) static __typeof__(fn) *sym_##fn;
JANSSON_FUNCTIONS(DECLARE_SYM)
#undef DECLARE_SYM

static const struct kcache_dlsym jansson_syms[] = {
#define SYM_ENTRY(fn) { #fn, (void **)&sym_##fn },
	JANSSON_FUNCTIONS(SYM_ENTRY)
#undef SYM_ENTRY
};

static struct kcache_dlib jansson = KCACHE_DLIB(KCACHE_JANSSON_SONAME,
						jansson_syms);

/* jansson.h's inline json_decref(), through the table. */
static void jdecref(json_t *json)
{
	if (json && json->refcount != (size_t)-1 &&
	    JSON_INTERNAL_DECREF(json) == 0)
		sym_json_delete(json);
}

/* jansson.h's json_object_foreach(), through the table. */
#define sym_json_object_foreach(object, key, value)			\
	for (key = sym_json_object_iter_key(sym_json_object_iter(object)); \
	     key && (value = sym_json_object_iter_value(		\
				sym_json_object_key_to_iter(key)));	\
	     key = sym_json_object_iter_key(sym_json_object_iter_next(	\
				object, sym_json_object_key_to_iter(key))))

/* How much of the snapshot's stream one read(2) asks for. */
#define DUMP_READ_CHUNK		(64 * 1024)

/* ---- base64: the standard alphabet, with padding (RFC 4648, section 4) */

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* @out holds 4 * ((n + 2) / 3) + 1 bytes; NUL-terminated. */
static size_t b64_encode(const unsigned char *in, size_t n, char *out)
{
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 3 <= n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64_alphabet[v >> 18];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = b64_alphabet[(v >> 6) & 63];
		out[o++] = b64_alphabet[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = b64_alphabet[v >> 18];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64_alphabet[v >> 18];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = b64_alphabet[(v >> 6) & 63];
		out[o++] = '=';
	}
	out[o] = 0;
	return o;
}

static int b64_value(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

/*
 * Decodes @n characters into @out (room for 3 * n / 4 bytes). Only the
 * canonical encoding is accepted: a multiple of 4 characters, padding
 * only at the end, unused bits zero. Returns the decoded length, or -1.
 */
static ssize_t b64_decode(const char *in, size_t n, unsigned char *out)
{
	size_t i, o = 0, pad = 0;
	int d[4], k;

	if (n % 4)
		return -1;
	if (n && in[n - 1] == '=')
		pad = in[n - 2] == '=' ? 2 : 1;
	for (i = 0; i < n; i += 4) {
		bool last = i + 4 == n;

		for (k = 0; k < 4; k++) {
			if (last && k >= 4 - (int)pad) {
				d[k] = 0;
				continue;
			}
			d[k] = b64_value((unsigned char)in[i + k]);
			if (d[k] < 0)
				return -1;
		}
		out[o++] = (unsigned char)(d[0] << 2 | d[1] >> 4);
		if (last && pad == 2) {
			if (d[1] & 15)
				return -1;
			break;
		}
		out[o++] = (unsigned char)((d[1] & 15) << 4 | d[2] >> 2);
		if (last && pad == 1) {
			if (d[2] & 3)
				return -1;
			break;
		}
		out[o++] = (unsigned char)((d[2] & 3) << 6 | d[3]);
	}
	return (ssize_t)o;
}

/* ---- serialising */

/* A key or a value: a string if it is valid UTF-8, else base64. */
static json_t *encode_bytes(const unsigned char *p, size_t n)
{
	json_t *s, *obj;
	char *b64;

	/* jansson checks the UTF-8; NUL bytes are fine (as \u0000). */
	s = sym_json_stringn((const char *)p, n);
	if (s)
		return s;
	if (n > (SIZE_MAX - 1) / 4 * 3 - 3)
		return NULL;
	b64 = malloc(4 * ((n + 2) / 3) + 1);
	if (!b64)
		return NULL;
	b64_encode(p, n, b64);
	obj = sym_json_object();
	/* The alphabet is ASCII: no UTF-8 check needed. */
	if (!obj || sym_json_object_set_new_nocheck(obj, "base64",
						sym_json_string_nocheck(b64))) {
		jdecref(obj);
		obj = NULL;
	}
	free(b64);
	return obj;
}

static int add_record(json_t *entries, const struct lrucache_record *rec,
		      const unsigned char *data)
{
	json_t *e = sym_json_object();
	uint64_t ttl = rec->ttl_ms;

	if (!e)
		return -ENOMEM;
	if (sym_json_object_set_new_nocheck(e, "key",
					encode_bytes(data, rec->key_len)) ||
	    sym_json_object_set_new_nocheck(e, "value",
					encode_bytes(data + rec->key_len,
						     rec->value_len)))
		goto nomem;
	if (ttl != LRUCACHE_TTL_NONE) {
		/* The kernel rounds up: never 0; and a TTL never grows. */
		if (ttl < 1)
			ttl = 1;
		if (ttl > LRUCACHE_TTL_MAX_MS)
			ttl = LRUCACHE_TTL_MAX_MS;
		if (sym_json_object_set_new_nocheck(e, "ttl_ms",
				sym_json_integer((json_int_t)ttl)))
			goto nomem;
	}
	if (sym_json_array_append_new(entries, e))
		return -ENOMEM;
	return 0;
nomem:
	jdecref(e);
	return -ENOMEM;
}

/*
 * Reads the stream of @fd, @bytes long with @count records, into
 * @entries. Records may straddle reads: incomplete ones wait in @buf.
 */
static int read_records(int fd, uint64_t count, uint64_t bytes,
			json_t *entries)
{
	struct lrucache_record rec;
	unsigned char *buf = NULL, *nbuf;
	size_t len = 0, cap = 0, off, need;
	uint64_t total = 0, nrec = 0;
	ssize_t n;
	int err = 0;

	for (;;) {
		if (cap - len < DUMP_READ_CHUNK) {
			size_t ncap = cap ? cap * 2 : 2 * DUMP_READ_CHUNK;

			while (ncap - len < DUMP_READ_CHUNK)
				ncap *= 2;
			nbuf = realloc(buf, ncap);
			if (!nbuf) {
				err = -ENOMEM;
				break;
			}
			buf = nbuf;
			cap = ncap;
		}
		n = read(fd, buf + len, DUMP_READ_CHUNK);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		if (!n)
			break;
		len += (size_t)n;
		total += (uint64_t)n;
		if (total > bytes) {
			err = -EIO;
			break;
		}

		/* Every complete record; an incomplete one waits. */
		for (off = 0; len - off >= sizeof(rec); off += need) {
			memcpy(&rec, buf + off, sizeof(rec));
			need = sizeof(rec) + (size_t)rec.key_len +
			       rec.value_len;
			if (!rec.key_len) {
				err = -EIO;	/* no key is empty */
				break;
			}
			if (len - off < need)
				break;
			err = add_record(entries, &rec,
					 buf + off + sizeof(rec));
			if (err)
				break;
			nrec++;
		}
		if (err)
			break;
		memmove(buf, buf + off, len - off);
		len -= off;
	}
	free(buf);
	if (!err && (len || total != bytes || nrec != count))
		err = -EIO;
	return err;
}

/* sym_json_dump_callback() sink: a malloc'd string the caller can free(). */
struct out_buf {
	char *p;
	size_t len, cap;
};

static int out_append(const char *buffer, size_t size, void *data)
{
	struct out_buf *o = data;

	if (o->cap - o->len <= size) {
		size_t ncap = o->cap ? o->cap : 4096;
		char *np;

		while (ncap - o->len <= size) {
			if (ncap > SIZE_MAX / 2)
				return -1;
			ncap *= 2;
		}
		np = realloc(o->p, ncap);
		if (!np)
			return -1;
		o->p = np;
		o->cap = ncap;
	}
	memcpy(o->p + o->len, buffer, size);
	o->len += size;
	o->p[o->len] = 0;
	return 0;
}

int kcache_serialize(struct kcache *c, char **json, size_t *len)
{
	struct lrucache_dump arg;
	struct out_buf out = { 0 };
	json_t *doc = NULL, *entries;
	struct timespec now;
	const char *name;
	int fd, err;

	if (!c || !json || !len)
		return -EINVAL;
	err = kcache_dlib_load(&jansson);
	if (err)
		return err;
	fd = kcache_fd(c);
	name = kcache_name(c);

	clock_gettime(CLOCK_REALTIME, &now);
	memset(&arg, 0, sizeof(arg));
	if (ioctl(fd, LRUCACHE_IOC_DUMP, &arg) < 0)
		return -errno;

	doc = sym_json_object();
	entries = sym_json_array();
	if (!doc || !entries ||
	    sym_json_object_set_new_nocheck(doc, "format",
			sym_json_string(KCACHE_DUMP_FORMAT)) ||
	    sym_json_object_set_new_nocheck(doc, "version",
			sym_json_integer(KCACHE_DUMP_VERSION)) ||
	    sym_json_object_set_new_nocheck(doc, "cache",
			sym_json_string(name)) ||
	    sym_json_object_set_new_nocheck(doc, "dumped_at_ns",
			sym_json_integer((json_int_t)now.tv_sec * 1000000000 +
					 now.tv_nsec))) {
		jdecref(entries);
		err = -ENOMEM;
		goto out;
	}
	/* "entries" goes last: the small members stay readable at the top. */
	if (sym_json_object_set_new_nocheck(doc, "entries", entries)) {
		err = -ENOMEM;
		goto out;
	}
	err = read_records(arg.fd, arg.entries, arg.bytes, entries);
	if (err)
		goto out;
	if (sym_json_dump_callback(doc, out_append, &out,
			       JSON_COMPACT | JSON_PRESERVE_ORDER) ||
	    !out.p) {
		err = -ENOMEM;
		goto out;
	}
	*json = out.p;
	*len = out.len;
	out.p = NULL;
out:
	/* Closing the descriptor frees the snapshot in the kernel. */
	close(arg.fd);
	jdecref(doc);
	free(out.p);
	return err;
}

/* ---- restoring */

struct restore_item {
	const unsigned char *key, *value;
	size_t key_len, value_len;
	uint64_t ttl_ms;
	unsigned char *owned;	/* decoded base64 of key and value */
};

static void set_error(struct kcache_json_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_error(struct kcache_json_error *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	err->line = -1;
	err->column = -1;
	err->position = 0;
	va_start(ap, fmt);
	vsnprintf(err->text, sizeof(err->text), fmt, ap);
	va_end(ap);
}

/*
 * A key or a value of entry @idx: a string, or {"base64": "..."} decoded
 * into *@owned (a buffer the caller frees). Returns 0 or -EBADMSG.
 */
static int decode_bytes(json_t *v, size_t idx, const char *what,
			bool nonempty, const unsigned char **p, size_t *n,
			unsigned char **owned, struct kcache_json_error *err)
{
	const char *s;
	json_t *b64;
	size_t slen;
	ssize_t dlen;

	if (json_is_string(v)) {
		*p = (const unsigned char *)sym_json_string_value(v);
		*n = sym_json_string_length(v);
	} else if (json_is_object(v)) {
		b64 = sym_json_object_get(v, "base64");
		if (!b64 || sym_json_object_size(v) != 1 ||
		    !json_is_string(b64)) {
			set_error(err, "entries[%zu].%s: an object must have "
				  "one member, \"base64\", a string", idx,
				  what);
			return -EBADMSG;
		}
		s = sym_json_string_value(b64);
		slen = sym_json_string_length(b64);
		*owned = malloc(slen / 4 * 3 + 1);
		if (!*owned) {
			set_error(err, "%s", kcache_strerror(-ENOMEM));
			return -ENOMEM;
		}
		dlen = b64_decode(s, slen, *owned);
		if (dlen < 0) {
			set_error(err, "entries[%zu].%s: invalid base64", idx,
				  what);
			return -EBADMSG;
		}
		*p = *owned;
		*n = (size_t)dlen;
	} else {
		set_error(err, "entries[%zu].%s: %s", idx, what,
			  v ? "not a string or a {\"base64\": ...} object" :
			      "missing");
		return -EBADMSG;
	}
	if (nonempty && !*n) {
		set_error(err, "entries[%zu].%s: empty", idx, what);
		return -EBADMSG;
	}
	return 0;
}

static int check_entry(json_t *e, size_t idx, struct restore_item *it,
		       struct kcache_json_error *err)
{
	unsigned char *kown = NULL, *vown = NULL;
	const char *member;
	json_t *v, *ttl;
	json_int_t t;
	int ret;

	if (!json_is_object(e)) {
		set_error(err, "entries[%zu]: not an object", idx);
		return -EBADMSG;
	}
	sym_json_object_foreach(e, member, v) {
		if (strcmp(member, "key") && strcmp(member, "value") &&
		    strcmp(member, "ttl_ms")) {
			set_error(err, "entries[%zu]: unknown member \"%.60s\"",
				  idx, member);
			return -EBADMSG;
		}
	}
	ret = decode_bytes(sym_json_object_get(e, "key"), idx, "key", true,
			   &it->key, &it->key_len, &kown, err);
	if (!ret)
		ret = decode_bytes(sym_json_object_get(e, "value"), idx,
				   "value", false, &it->value, &it->value_len,
				   &vown, err);
	if (ret)
		goto fail;

	it->ttl_ms = KCACHE_TTL_NONE;
	ttl = sym_json_object_get(e, "ttl_ms");
	if (ttl) {
		t = json_is_integer(ttl) ? sym_json_integer_value(ttl) : 0;
		if (t < 1 || (uint64_t)t > KCACHE_TTL_MAX_MS) {
			set_error(err, "entries[%zu].ttl_ms: not an integer "
				  "from 1 to %llu", idx,
				  (unsigned long long)KCACHE_TTL_MAX_MS);
			ret = -EBADMSG;
			goto fail;
		}
		it->ttl_ms = (uint64_t)t;
	}

	/* One owned buffer per item: keep the value's, copy the key's in. */
	if (kown && vown) {
		unsigned char *both = malloc(it->key_len + it->value_len + 1);

		if (!both) {
			set_error(err, "%s", kcache_strerror(-ENOMEM));
			ret = -ENOMEM;
			goto fail;
		}
		memcpy(both, it->key, it->key_len);
		memcpy(both + it->key_len, it->value, it->value_len);
		it->key = both;
		it->value = both + it->key_len;
		free(kown);
		free(vown);
		kown = both;
		vown = NULL;
	}
	it->owned = kown ? kown : vown;
	return 0;
fail:
	free(kown);
	free(vown);
	return ret;
}

/* The header: format, version and the informative members. */
static int check_header(json_t *doc, struct kcache_json_error *err)
{
	json_t *format, *version, *v;

	if (!json_is_object(doc)) {
		set_error(err, "the document is not a JSON object");
		return -EBADMSG;
	}
	format = sym_json_object_get(doc, "format");
	if (!json_is_string(format)) {
		set_error(err, "\"format\": %s", format ? "not a string" :
							  "missing");
		return -EBADMSG;
	}
	if (strcmp(sym_json_string_value(format), KCACHE_DUMP_FORMAT) ||
	    sym_json_string_length(format) != strlen(KCACHE_DUMP_FORMAT)) {
		set_error(err, "\"format\": \"%.80s\" is not \"%s\"",
			  sym_json_string_value(format), KCACHE_DUMP_FORMAT);
		return -EPROTONOSUPPORT;
	}
	version = sym_json_object_get(doc, "version");
	if (!json_is_integer(version)) {
		set_error(err, "\"version\": %s", version ? "not an integer" :
							    "missing");
		return -EBADMSG;
	}
	if (sym_json_integer_value(version) != KCACHE_DUMP_VERSION) {
		set_error(err, "\"version\": %lld is not supported (only %d)",
			  (long long)sym_json_integer_value(version),
			  KCACHE_DUMP_VERSION);
		return -EPROTONOSUPPORT;
	}
	v = sym_json_object_get(doc, "cache");
	if (v && !json_is_string(v)) {
		set_error(err, "\"cache\": not a string");
		return -EBADMSG;
	}
	v = sym_json_object_get(doc, "dumped_at_ns");
	if (v && (!json_is_integer(v) || sym_json_integer_value(v) < 0)) {
		set_error(err, "\"dumped_at_ns\": not a non-negative integer");
		return -EBADMSG;
	}
	v = sym_json_object_get(doc, "entries");
	if (!json_is_array(v)) {
		set_error(err, "\"entries\": %s", v ? "not an array" :
						      "missing");
		return -EBADMSG;
	}
	if (sym_json_array_size(v) > INT_MAX) {
		set_error(err, "\"entries\": more than %d entries", INT_MAX);
		return -E2BIG;
	}
	return 0;
}

/*
 * Stores @n checked items, LRUCACHE_BATCH_MAX per ioctl, through @ops
 * (room for min(n, LRUCACHE_BATCH_MAX), allocated before the cache was
 * touched).
 */
static int store_items(struct kcache *c, const struct restore_item *items,
		       size_t n, struct lrucache_op *ops,
		       struct kcache_json_error *err)
{
	size_t done = 0, chunk, i;
	int ret = 0;

	while (done < n) {
		chunk = n - done < LRUCACHE_BATCH_MAX ? n - done :
							LRUCACHE_BATCH_MAX;
		for (i = 0; i < chunk; i++) {
			const struct restore_item *it = &items[done + i];

			memset(&ops[i], 0, sizeof(ops[i]));
			ops[i].opcode = LRUCACHE_OP_SET;
			ops[i].key = (uintptr_t)it->key;
			ops[i].value = (uintptr_t)it->value;
			/* Beyond 32 bits: the kernel answers -E2BIG. */
			ops[i].key_len = it->key_len > UINT32_MAX ?
					 UINT32_MAX : (uint32_t)it->key_len;
			ops[i].value_len = it->value_len > UINT32_MAX ?
					   UINT32_MAX : (uint32_t)it->value_len;
			ops[i].ttl_ms = it->ttl_ms;
		}
		ret = kcache_batch_raw(c, ops, (unsigned int)chunk);
		if (ret < 0) {
			set_error(err, "entries[%zu]: %s", done,
				  kcache_strerror(ret));
			break;
		}
		for (i = 0; i < (size_t)ret; i++) {
			if (ops[i].result < 0)
				break;
		}
		if (i < (size_t)ret) {
			ret = ops[i].result;
			set_error(err, "entries[%zu]: %s", done + i,
				  kcache_strerror(ret));
			break;
		}
		if ((size_t)ret < chunk) {
			/* The kernel could not read the array part way. */
			set_error(err, "entries[%zu]: %s", done + (size_t)ret,
				  kcache_strerror(-EFAULT));
			ret = -EFAULT;
			break;
		}
		done += chunk;
		ret = 0;
	}
	return ret;
}

int kcache_deserialize_ex(struct kcache *c, const char *json, size_t len,
			  unsigned int flags, struct kcache_json_error *err)
{
	struct restore_item *items = NULL;
	struct lrucache_op *ops = NULL;
	json_t *doc, *entries;
	json_error_t jerr;
	size_t n = 0, i;
	int ret;

	if (err) {
		memset(err, 0, sizeof(*err));
		err->line = -1;
		err->column = -1;
	}
	if (!c || !json || (flags & ~KCACHE_RESTORE_REPLACE)) {
		set_error(err, "%s", kcache_strerror(-EINVAL));
		return -EINVAL;
	}
	ret = kcache_dlib_load(&jansson);
	if (ret) {
		set_error(err, "%s", kcache_strerror(ret));
		return ret;
	}

	/*
	 * \u0000 is allowed: keys and values may hold NUL bytes. A member
	 * given twice is ambiguous: refused.
	 */
	doc = sym_json_loadb(json, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
			 &jerr);
	if (!doc) {
		if (json_error_code(&jerr) == json_error_out_of_memory) {
			set_error(err, "%s", kcache_strerror(-ENOMEM));
			return -ENOMEM;
		}
		if (err) {
			err->line = jerr.line;
			err->column = jerr.column;
			err->position = jerr.position;
			snprintf(err->text, sizeof(err->text), "%s",
				 jerr.text);
		}
		return -EBADMSG;
	}

	ret = check_header(doc, err);
	if (ret)
		goto out;
	entries = sym_json_object_get(doc, "entries");
	n = sym_json_array_size(entries);
	if (n) {
		items = calloc(n, sizeof(*items));
		ops = calloc(n < LRUCACHE_BATCH_MAX ? n : LRUCACHE_BATCH_MAX,
			     sizeof(*ops));
		if (!items || !ops) {
			set_error(err, "%s", kcache_strerror(-ENOMEM));
			ret = -ENOMEM;
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		ret = check_entry(sym_json_array_get(entries, i), i, &items[i],
				  err);
		if (ret)
			goto out;
	}

	/* The whole document is valid: now, and only now, the cache. */
	if (flags & KCACHE_RESTORE_REPLACE) {
		ret = kcache_clear(c);
		if (ret) {
			set_error(err, "clearing the cache: %s",
				  kcache_strerror(ret));
			goto out;
		}
	}
	ret = store_items(c, items, n, ops, err);
	if (!ret)
		ret = (int)n;
out:
	for (i = 0; items && i < n; i++)
		free(items[i].owned);
	free(items);
	free(ops);
	jdecref(doc);
	return ret;
}

int kcache_deserialize(struct kcache *c, const char *json, size_t len,
		       unsigned int flags)
{
	return kcache_deserialize_ex(c, json, len, flags, NULL);
}
