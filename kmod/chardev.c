// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/lrucache: the ioctl front end of the engine.
 *
 * A file starts unbound; LRUCACHE_IOC_OPEN binds it, once, to a cache and
 * keeps a reference to it until the file is released. Every other command
 * except DESTROY applies to the bound cache and fails with -EBADFD on an
 * unbound file. Each command copies its argument in, checks what the
 * engine cannot (reserved fields, fields that must be zero), and calls
 * the engine API; nothing here touches the engine's structures.
 *
 * Commands are dispatched from one table, lrucache_ioctls[]: a row per
 * command with what it needs (a bound file, permission bits on the cache)
 * and the smallest argument it accepts. The size of an argument is part
 * of its ioctl number. Commands are matched without it, and the size the
 * caller compiled with is handed to copy_struct_from_user(): older,
 * smaller structures are refused only if they lack fields of version 0,
 * newer ones only if the bytes this module does not know are not zero.
 *
 * A bound file is a struct lrucache_file: the cache, and the file as the
 * owner of the leases taken through it, which end when it is released
 * (a process that dies holding leases never blocks the others).
 */

#include <linux/fs.h>
#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "lrucache_internal.h"

#define LRUCACHE_IOC_BASE(cmd)	((cmd) & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT))

/*
 * Copies a result out to a caller whose structure may be older (smaller,
 * but at least the command's minimum size, which lrucache_ioctl() checked:
 * it gets the fields it knows) or newer (larger: its tail is zeroed).
 * Arguments come in with copy_struct_from_user(), which treats sizes the
 * same way: an older structure leaves the newer fields zero, a newer one
 * must have a zero tail.
 */
static int lrucache_put_arg(void __user *uarg, size_t usize,
			    const void *karg, size_t ksize)
{
	if (copy_to_user(uarg, karg, min(usize, ksize)))
		return -EFAULT;
	if (usize > ksize && clear_user(uarg + ksize, usize - ksize))
		return -EFAULT;
	return 0;
}

/* A name field must hold a NUL-terminated string followed by zeros only. */
static bool lrucache_name_field_ok(const char name[LRUCACHE_NAME_MAX])
{
	size_t len = strnlen(name, LRUCACHE_NAME_MAX);

	return len < LRUCACHE_NAME_MAX &&
	       !memchr_inv(name + len, 0, LRUCACHE_NAME_MAX - len);
}

struct lrucache_file {
	struct lrucache *cache;
	struct lrucache_lease_owner owner;
};

static struct lrucache_file *lrucache_file(struct file *file)
{
	return READ_ONCE(file->private_data);
}

static struct lrucache *lrucache_file_cache(struct file *file)
{
	struct lrucache_file *lf = lrucache_file(file);

	return lf ? lf->cache : NULL;
}

static long lrucache_ioc_open(struct file *file, struct lrucache *bound,
			      void __user *uarg, size_t usize)
{
	struct lrucache_params params;
	struct lrucache_file *lf;
	struct lrucache_open arg;
	struct lrucache *cache;
	int ret;

	ret = copy_struct_from_user(&arg, sizeof(arg), uarg, usize);
	if (ret)
		return ret;
	if (arg.reserved || arg.reserved2 || !lrucache_name_field_ok(arg.name))
		return -EINVAL;
	if (!(arg.flags & LRUCACHE_OPEN_CREATE) &&
	    (arg.max_entries || arg.max_bytes || arg.default_ttl_ms ||
	     arg.cleanup_interval_ms || arg.mode))
		return -EINVAL;
	if (lrucache_file_cache(file))
		return -EBUSY;

	params.max_entries = arg.max_entries;
	params.max_bytes = arg.max_bytes;
	params.default_ttl_ms = arg.default_ttl_ms;
	params.cleanup_interval_ms = arg.cleanup_interval_ms;
	params.mode = arg.mode;
	/* Before the open: a failure then leaves no cache created. */
	lf = kzalloc_obj(*lf, GFP_KERNEL_ACCOUNT);
	if (!lf)
		return -ENOMEM;
	lrucache_lease_owner_init(&lf->owner);
	ret = lrucache_open(arg.name, &params, arg.flags, &cache);
	if (ret)
		goto free;
	/* A cache this call created grants its owner something. */
	ret = lrucache_permission(cache, LRUCACHE_PERM_ANY);
	if (ret)
		goto put;
	lf->cache = cache;
	/* Two threads may race to bind the same file: one wins. */
	if (cmpxchg(&file->private_data, NULL, lf)) {
		ret = -EBUSY;
		goto put;
	}
	return 0;

put:
	lrucache_put(cache);
free:
	kfree(lf);
	return ret;
}

static long lrucache_ioc_destroy(struct file *file, struct lrucache *bound,
				 void __user *uarg, size_t usize)
{
	struct lrucache_destroy arg;
	struct lrucache *cache;
	int ret;

	ret = copy_struct_from_user(&arg, sizeof(arg), uarg, usize);
	if (ret)
		return ret;
	if (arg.flags || arg.reserved || !lrucache_name_field_ok(arg.name))
		return -EINVAL;
	ret = lrucache_open(arg.name, NULL, 0, &cache);
	if (ret)
		return ret;
	ret = lrucache_permission(cache, LRUCACHE_PERM_ADMIN);
	if (!ret)
		ret = lrucache_destroy_cache(cache);
	lrucache_put(cache);
	return ret;
}

/*
 * The caller's permissions on the cache, asked of the engine at most once
 * per kind within one ioctl call (its credentials cannot change during
 * it): 1 while not asked yet, then 0 or -EACCES.
 */
struct lrucache_perms {
	int read;
	int write;
};

#define LRUCACHE_PERMS_INIT	{ .read = 1, .write = 1 }

static int lrucache_perm_once(struct lrucache *cache, int *memo, u32 want)
{
	if (*memo > 0)
		*memo = lrucache_permission(cache, want);
	return *memo;
}

static int lrucache_op_permission(struct lrucache *cache, u32 need,
				  struct lrucache_perms *perms)
{
	int ret = 0;

	if (need & LRUCACHE_PERM_READ)
		ret = lrucache_perm_once(cache, &perms->read,
					 LRUCACHE_PERM_READ);
	if (!ret && (need & LRUCACHE_PERM_WRITE))
		ret = lrucache_perm_once(cache, &perms->write,
					 LRUCACHE_PERM_WRITE);
	return ret;
}

/*
 * The fields of struct lrucache_kv (and of struct lrucache_op) past the
 * key that an operation reads or writes back.
 */
#define LRUCACHE_F_VALUE	BIT(0)	/* value and value_len */
#define LRUCACHE_F_TTL		BIT(1)
#define LRUCACHE_F_FLAGS	BIT(2)
#define LRUCACHE_F_CAS		BIT(3)
#define LRUCACHE_F_LEASE	BIT(4)
#define LRUCACHE_F_DELTA	BIT(5)
#define LRUCACHE_F_NUMBER	BIT(6)
#define LRUCACHE_F_REFRESH	BIT(7)
#define LRUCACHE_F_STATUS	BIT(8)

#define LRUCACHE_R		LRUCACHE_PERM_READ
#define LRUCACHE_W		LRUCACHE_PERM_WRITE
#define LRUCACHE_READ_OUT	(LRUCACHE_F_VALUE | LRUCACHE_F_CAS | \
				 LRUCACHE_F_LEASE | LRUCACHE_F_STATUS)

/*
 * Per opcode: the fields it may be given (all others must be zero; GET
 * and SET narrow this by their flags), the fields it writes back, and the
 * permissions it needs. An unknown opcode needs write permission and
 * fails once the key has been read (ioctl.rst).
 */
static const struct lrucache_opdesc {
	u16 in;
	u16 out;
	u8 perm;
} lrucache_opdescs[] = {
	[LRUCACHE_OP_GET] = { LRUCACHE_F_VALUE | LRUCACHE_F_FLAGS |
			      LRUCACHE_F_TTL | LRUCACHE_F_REFRESH,
			      LRUCACHE_READ_OUT, LRUCACHE_R },
	[LRUCACHE_OP_SET] = { LRUCACHE_F_VALUE | LRUCACHE_F_TTL |
			      LRUCACHE_F_FLAGS | LRUCACHE_F_CAS |
			      LRUCACHE_F_LEASE, LRUCACHE_F_CAS, LRUCACHE_W },
	[LRUCACHE_OP_DELETE] = { 0, 0, LRUCACHE_W },
	[LRUCACHE_OP_EXISTS] = { 0, 0, LRUCACHE_R },
	[LRUCACHE_OP_INCR] = { LRUCACHE_F_TTL | LRUCACHE_F_DELTA |
			       LRUCACHE_F_NUMBER,
			       LRUCACHE_F_CAS | LRUCACHE_F_NUMBER,
			       LRUCACHE_R | LRUCACHE_W },
	[LRUCACHE_OP_TOUCH] = { LRUCACHE_F_TTL, 0, LRUCACHE_W },
	[LRUCACHE_OP_GETEX] = { LRUCACHE_F_VALUE | LRUCACHE_F_TTL,
				LRUCACHE_READ_OUT, LRUCACHE_R | LRUCACHE_W },
	[LRUCACHE_OP_TTL] = { 0, LRUCACHE_F_NUMBER, LRUCACHE_R },
	[LRUCACHE_OP_GETDEL] = { LRUCACHE_F_VALUE, LRUCACHE_READ_OUT,
				 LRUCACHE_R | LRUCACHE_W },
	[LRUCACHE_OP_DELETE_PREFIX] = { 0, 0, LRUCACHE_W },
	[LRUCACHE_OP_LEASE_RELEASE] = { LRUCACHE_F_LEASE, 0, LRUCACHE_W },
	[LRUCACHE_OP_LEASE_WAIT] = { LRUCACHE_F_TTL, 0, LRUCACHE_R },
};

static const struct lrucache_opdesc lrucache_unknown_op = { 0, 0, LRUCACHE_W };

/* One operation: what it was given, and what it reports back. */
struct lrucache_req {
	struct lrucache_kv kv;
	u16 out;		/* LRUCACHE_F_* to write back */
	u32 value_len;
	u64 cas;
	u64 lease;
	s64 number;
	u32 status;
};

/* The fields of @kv set, as LRUCACHE_F_* bits. */
static u16 lrucache_fields_given(const struct lrucache_kv *kv)
{
	return (kv->value || kv->value_len ? LRUCACHE_F_VALUE : 0) |
	       (kv->ttl_ms ? LRUCACHE_F_TTL : 0) |
	       (kv->flags ? LRUCACHE_F_FLAGS : 0) |
	       (kv->cas ? LRUCACHE_F_CAS : 0) |
	       (kv->lease ? LRUCACHE_F_LEASE : 0) |
	       (kv->delta ? LRUCACHE_F_DELTA : 0) |
	       (kv->number ? LRUCACHE_F_NUMBER : 0) |
	       (kv->refresh_ms ? LRUCACHE_F_REFRESH : 0);
}

/* The fields @opcode may be given, narrowed by its flags. */
static u16 lrucache_fields_allowed(u32 opcode, const struct lrucache_opdesc *d,
				   u32 flags)
{
	u16 in = d->in;

	if (opcode == LRUCACHE_OP_GET && !(flags & LRUCACHE_GET_LEASE))
		in &= ~(LRUCACHE_F_TTL | LRUCACHE_F_REFRESH);
	if (opcode == LRUCACHE_OP_SET && !(flags & LRUCACHE_SET_CAS))
		in &= ~LRUCACHE_F_CAS;
	if (opcode == LRUCACHE_OP_SET && !(flags & LRUCACHE_SET_LEASE))
		in &= ~LRUCACHE_F_LEASE;
	return in;
}

/* A user buffer as an iov_iter: where a value comes from or goes to. */
static int lrucache_value_iter(const struct lrucache_kv *kv, int dir,
			       struct iov_iter *iter)
{
	void __user *uvalue = u64_to_user_ptr(kv->value);
	/* As import_ubuf(): at most MAX_RW_COUNT bytes. */
	u32 len = dir == ITER_DEST ? min_t(u32, kv->value_len, MAX_RW_COUNT) :
				     kv->value_len;

	if (!access_ok(uvalue, len))
		return -EFAULT;
	iov_iter_ubuf(iter, dir, uvalue, len);
	return 0;
}

/* The lookups: GET, with or without a lease, GETEX and GETDEL. */
static long lrucache_do_read(struct lrucache_file *lf, u32 opcode,
			     const u8 *key, struct lrucache_req *rq)
{
	const struct lrucache_kv *kv = &rq->kv;
	struct lrucache_lookup lk = { .owner = &lf->owner };
	struct iov_iter iter;
	long ret;

	ret = lrucache_value_iter(kv, ITER_DEST, &iter);
	if (ret)
		return ret;
	switch (opcode) {
	case LRUCACHE_OP_GET:
		if (kv->flags & LRUCACHE_GET_LEASE) {
			lk.lease_ms = kv->ttl_ms;
			lk.refresh_ms = kv->refresh_ms;
			ret = lrucache_get_lease_iter(lf->cache, key,
						      kv->key_len, &iter, &lk);
			rq->cas = lk.version;
			rq->lease = lk.lease;
			rq->status = lk.status;
			break;
		}
		ret = lrucache_gets_iter(lf->cache, key, kv->key_len, &iter,
					 &rq->cas);
		break;
	case LRUCACHE_OP_GETEX:
		ret = lrucache_getex_iter(lf->cache, key, kv->key_len, &iter,
					  kv->ttl_ms, &rq->cas);
		break;
	default:
		ret = lrucache_getdel_iter(lf->cache, key, kv->key_len, &iter,
					   &rq->cas);
		break;
	}
	if (ret >= 0) {
		rq->value_len = ret;
		rq->status |= LRUCACHE_STATUS_HIT;
		rq->out = LRUCACHE_READ_OUT;
	} else if (ret == -ENOENT) {
		/* A miss tells about the lease, but no length. */
		rq->out = LRUCACHE_READ_OUT & ~LRUCACHE_F_VALUE;
	}
	return ret;
}

/*
 * One key-value operation, shared by the single commands and batches.
 * @rq->kv has been copied in; on return @rq says what to write back.
 */
static long lrucache_do_op(struct lrucache_file *lf, u32 opcode,
			   struct lrucache_req *rq,
			   struct lrucache_perms *perms)
{
	const struct lrucache_kv *kv = &rq->kv;
	struct lrucache *cache = lf->cache;
	u8 key[LRUCACHE_KEY_LEN_CEILING];
	const struct lrucache_opdesc *d;
	struct lrucache_write w;
	struct iov_iter iter;
	u32 perm, flags_ok;
	u64 u;
	long ret;

	rq->out = 0;
	rq->status = 0;
	d = opcode < ARRAY_SIZE(lrucache_opdescs) && lrucache_opdescs[opcode].perm ?
	    &lrucache_opdescs[opcode] : &lrucache_unknown_op;
	if (kv->reserved || kv->reserved2 || kv->status)
		return -EINVAL;
	if (!kv->key_len)
		return -EINVAL;
	if (kv->key_len > lrucache_max_key_len)
		return -E2BIG;
	flags_ok = opcode == LRUCACHE_OP_GET ? LRUCACHE_GET_FLAGS :
		   opcode == LRUCACHE_OP_SET ? LRUCACHE_SET_FLAGS : 0;
	if ((kv->flags & ~flags_ok) ||
	    (lrucache_fields_given(kv) &
	     ~lrucache_fields_allowed(opcode, d, kv->flags)))
		return -EINVAL;
	if (copy_from_user(key, u64_to_user_ptr(kv->key), kv->key_len))
		return -EFAULT;
	perm = d->perm;
	if (opcode == LRUCACHE_OP_GET && (kv->flags & LRUCACHE_GET_LEASE))
		perm |= LRUCACHE_PERM_WRITE;	/* it decides who fills */
	ret = lrucache_op_permission(cache, perm, perms);
	if (ret)
		return ret;

	switch (opcode) {
	case LRUCACHE_OP_SET:
		/* Refuse an oversized value before looking at its pointer. */
		if (kv->value_len > lrucache_max_value_len)
			return -E2BIG;
		ret = lrucache_value_iter(kv, ITER_SOURCE, &iter);
		if (ret)
			return ret;
		w.ttl_ms = kv->ttl_ms;
		w.flags = kv->flags;
		w.cas = kv->cas;
		w.lease = kv->lease;
		ret = lrucache_write_iter(cache, key, kv->key_len, &iter, &w);
		rq->cas = w.version;
		break;
	case LRUCACHE_OP_GET:
	case LRUCACHE_OP_GETEX:
	case LRUCACHE_OP_GETDEL:
		return lrucache_do_read(lf, opcode, key, rq);
	case LRUCACHE_OP_EXISTS:
		return lrucache_exists(cache, key, kv->key_len);
	case LRUCACHE_OP_DELETE:
		return lrucache_delete(cache, key, kv->key_len);
	case LRUCACHE_OP_INCR:
		ret = lrucache_incr(cache, key, kv->key_len, kv->delta,
				    kv->number, kv->ttl_ms, &rq->number,
				    &rq->cas);
		break;
	case LRUCACHE_OP_TOUCH:
		return lrucache_touch(cache, key, kv->key_len, kv->ttl_ms);
	case LRUCACHE_OP_TTL:
		ret = lrucache_ttl(cache, key, kv->key_len, &u);
		rq->number = u;
		break;
	case LRUCACHE_OP_DELETE_PREFIX:
		return lrucache_delete_prefix(cache, key, kv->key_len);
	case LRUCACHE_OP_LEASE_RELEASE:
		return lrucache_lease_release(cache, key, kv->key_len,
					      kv->lease);
	case LRUCACHE_OP_LEASE_WAIT:
		return lrucache_lease_wait(cache, &lf->owner, key, kv->key_len,
					   kv->ttl_ms);
	default:
		return -EINVAL;
	}
	if (ret >= 0)
		rq->out = d->out;
	return ret;
}

/*
 * Reads a struct lrucache_kv of our size, or of version 0 (the size
 * libkcache sends SET, GET, EXISTS and DELETE with), in one user access
 * window.
 */
static int lrucache_get_kv(struct lrucache_kv *kv,
			   const struct lrucache_kv __user *ukv, size_t usize)
{
	if (!user_read_access_begin(ukv, usize))
		return -EFAULT;
	unsafe_get_user(kv->key, &ukv->key, efault);
	unsafe_get_user(kv->value, &ukv->value, efault);
	unsafe_get_user(kv->key_len, &ukv->key_len, efault);
	unsafe_get_user(kv->value_len, &ukv->value_len, efault);
	unsafe_get_user(kv->ttl_ms, &ukv->ttl_ms, efault);
	unsafe_get_user(kv->flags, &ukv->flags, efault);
	unsafe_get_user(kv->reserved, &ukv->reserved, efault);
	if (usize == LRUCACHE_KV_SIZE_VER0) {
		user_read_access_end();
		memset((u8 *)kv + LRUCACHE_KV_SIZE_VER0, 0,
		       sizeof(*kv) - LRUCACHE_KV_SIZE_VER0);
		return 0;
	}
	unsafe_get_user(kv->cas, &ukv->cas, efault);
	unsafe_get_user(kv->lease, &ukv->lease, efault);
	unsafe_get_user(kv->delta, &ukv->delta, efault);
	unsafe_get_user(kv->number, &ukv->number, efault);
	unsafe_get_user(kv->refresh_ms, &ukv->refresh_ms, efault);
	unsafe_get_user(kv->status, &ukv->status, efault);
	unsafe_get_user(kv->reserved2, &ukv->reserved2, efault);
	user_read_access_end();
	return 0;
efault:
	user_read_access_end();
	return -EFAULT;
}

/*
 * Writes back what @rq reports into a caller's struct lrucache_kv or
 * struct lrucache_op (@uarg, @usize bytes, whose fields sit at the
 * offsets @off gives), each field only if the caller's structure holds it,
 * and @ret into *@result if that is not NULL, in one user access window.
 * Returns false on a fault.
 */
struct lrucache_out_layout {
	size_t value_len, cas, lease, number, status;
};

static const struct lrucache_out_layout lrucache_kv_layout = {
	offsetof(struct lrucache_kv, value_len),
	offsetof(struct lrucache_kv, cas),
	offsetof(struct lrucache_kv, lease),
	offsetof(struct lrucache_kv, number),
	offsetof(struct lrucache_kv, status),
};

static const struct lrucache_out_layout lrucache_op_layout = {
	offsetof(struct lrucache_op, value_len),
	offsetof(struct lrucache_op, cas),
	offsetof(struct lrucache_op, lease),
	offsetof(struct lrucache_op, number),
	offsetof(struct lrucache_op, status),
};

/* Writes @val at offset @at of the caller's structure, if it has room. */
#define LRUCACHE_PUT_OUT(val, at, type, bit)				\
	do {								\
		size_t at_ = (at);					\
									\
		if ((out & (bit)) && at_ + sizeof(type) <= usize)	\
			unsafe_put_user((type)(val),			\
					(type __user *)(uarg + at_),	\
					efault);			\
	} while (0)

static bool lrucache_put_out(void __user *uarg, size_t usize,
			     const struct lrucache_out_layout *off,
			     const struct lrucache_req *rq, s32 __user *result,
			     long ret)
{
	u16 out = rq->out;

	if (!out && !result)
		return true;
	if (!user_write_access_begin(uarg, usize))
		return false;
	if (result)
		unsafe_put_user((s32)ret, result, efault);
	LRUCACHE_PUT_OUT(rq->value_len, off->value_len, u32, LRUCACHE_F_VALUE);
	LRUCACHE_PUT_OUT(rq->cas, off->cas, u64, LRUCACHE_F_CAS);
	LRUCACHE_PUT_OUT(rq->lease, off->lease, u64, LRUCACHE_F_LEASE);
	LRUCACHE_PUT_OUT(rq->number, off->number, u64, LRUCACHE_F_NUMBER);
	LRUCACHE_PUT_OUT(rq->status, off->status, u32, LRUCACHE_F_STATUS);
	user_write_access_end();
	return true;
efault:
	user_write_access_end();
	return false;
}

/* What @opcode may write back: the fields lrucache_put_out() writes. */
static u16 lrucache_op_out(u32 opcode)
{
	return opcode < ARRAY_SIZE(lrucache_opdescs) ?
	       lrucache_opdescs[opcode].out : 0;
}

/* Reads the field at offset @at and writes it back unchanged, if it fits. */
#define LRUCACHE_PROBE_OUT(at, type, bit)				\
	do {								\
		size_t at_ = (at);					\
		type v_;						\
									\
		if ((out & (bit)) && at_ + sizeof(type) <= usize) {	\
			unsafe_get_user(v_, (type __user *)(uarg + at_), \
					efault);			\
			unsafe_put_user(v_, (type __user *)(uarg + at_), \
					efault);			\
		}							\
	} while (0)

/*
 * Checks, before an operation changes anything, that the fields
 * lrucache_put_out() may write after it (those of @out, and *@result if
 * not NULL) can be written: each is written with the value it holds, so
 * the caller sees no change. An operation whose outcome could not be
 * reported fails here instead, having done nothing.
 */
static bool lrucache_probe_out(void __user *uarg, size_t usize,
			       const struct lrucache_out_layout *off, u16 out,
			       s32 __user *result)
{
	s32 r;

	if (!out && !result)
		return true;
	if (!user_access_begin(uarg, usize))
		return false;
	if (result) {
		unsafe_get_user(r, result, efault);
		unsafe_put_user(r, result, efault);
	}
	LRUCACHE_PROBE_OUT(off->value_len, u32, LRUCACHE_F_VALUE);
	LRUCACHE_PROBE_OUT(off->cas, u64, LRUCACHE_F_CAS);
	LRUCACHE_PROBE_OUT(off->lease, u64, LRUCACHE_F_LEASE);
	LRUCACHE_PROBE_OUT(off->number, u64, LRUCACHE_F_NUMBER);
	LRUCACHE_PROBE_OUT(off->status, u32, LRUCACHE_F_STATUS);
	user_access_end();
	return true;
efault:
	user_access_end();
	return false;
}

static long lrucache_ioc_kv(struct lrucache_file *lf, u32 opcode,
			    void __user *uarg, size_t usize)
{
	struct lrucache_perms perms = LRUCACHE_PERMS_INIT;
	struct lrucache_req rq;
	long ret;

	/* The usual cases field by field; other sizes as every argument. */
	if (likely(usize == sizeof(rq.kv) || usize == LRUCACHE_KV_SIZE_VER0))
		ret = lrucache_get_kv(&rq.kv, uarg, usize);
	else
		/* lrucache_ioctl() checked it holds version 0. */
		ret = copy_struct_from_user(&rq.kv, sizeof(rq.kv), uarg,
					    usize);
	if (ret)
		return ret;
	if (!lrucache_probe_out(uarg, min(usize, sizeof(rq.kv)),
				&lrucache_kv_layout, lrucache_op_out(opcode),
				NULL))
		return -EFAULT;
	ret = lrucache_do_op(lf, opcode, &rq, &perms);
	if (!lrucache_put_out(uarg, min(usize, sizeof(rq.kv)),
			      &lrucache_kv_layout, &rq, NULL, 0))
		return -EFAULT;
	return ret;
}

/*
 * Writes an operation's outcome back into its place in the array: its
 * result, and what it reports (within @op_size bytes).
 */
static bool lrucache_op_result(struct lrucache_op __user *uop, size_t op_size,
			       long ret, const struct lrucache_req *rq)
{
	return lrucache_put_out(uop, min(op_size, sizeof(*uop)),
				&lrucache_op_layout, rq, &uop->result, ret);
}

/*
 * What a batch checks before its first operation runs: that every
 * operation of the array can be read (its first and last bytes: an
 * operation, at most a page long, lies on at most two pages), and that
 * the fields written back after it runs (result, and what its opcode
 * reports) can be written (lrucache_probe_out()). A batch that fails here
 * has run nothing; one that passes runs to its end unless the caller
 * changes the array's mappings while it runs.
 */
static int lrucache_batch_check(const struct lrucache_batch *batch)
{
	struct lrucache_op __user *uop;
	size_t op_size = min_t(size_t, batch->op_size, sizeof(*uop));
	u32 i, opcode;
	u8 last __maybe_unused;

	for (i = 0; i < batch->count; i++) {
		uop = u64_to_user_ptr(batch->ops + (u64)i * batch->op_size);
		if (!user_read_access_begin(uop, batch->op_size))
			return -EFAULT;
		unsafe_get_user(last, (u8 __user *)uop + batch->op_size - 1,
				efault);
		unsafe_get_user(opcode, &uop->opcode, efault);
		user_read_access_end();
		if (!lrucache_probe_out(uop, op_size, &lrucache_op_layout,
					lrucache_op_out(opcode), &uop->result))
			return -EFAULT;
	}
	return 0;
efault:
	user_read_access_end();
	return -EFAULT;
}

/* Operations of a batch copied in at once, when their size is ours. */
#define LRUCACHE_OPS_CHUNK	8

static long lrucache_ioc_batch(struct file *file, struct lrucache *cache,
			       void __user *uarg, size_t usize)
{
	struct lrucache_file *lf = lrucache_file(file);
	struct lrucache_perms perms = LRUCACHE_PERMS_INIT;
	struct lrucache_op ops[LRUCACHE_OPS_CHUNK], *op = ops;
	unsigned int have = 0, at = 0, left;
	struct lrucache_op __user *uop;
	struct lrucache_batch batch;
	struct lrucache_req rq;
	long ret;
	u32 i;

	ret = copy_struct_from_user(&batch, sizeof(batch), uarg, usize);
	if (ret)
		return ret;
	if (batch.flags || batch.reserved ||
	    batch.op_size < LRUCACHE_OP_SIZE_VER0)
		return -EINVAL;
	/* A newer op is larger, but not by pages: its zero tail is scanned. */
	if (batch.count > LRUCACHE_BATCH_MAX || batch.op_size > PAGE_SIZE)
		return -E2BIG;
	ret = lrucache_batch_check(&batch);
	if (ret)
		return ret;

	for (i = 0; i < batch.count; i++) {
		uop = u64_to_user_ptr(batch.ops + (u64)i * batch.op_size);
		rq.out = 0;
		if (batch.op_size != sizeof(*op)) {
			ret = copy_struct_from_user(ops, sizeof(*op), uop,
						    batch.op_size);
		} else if (at < have) {
			ret = 0;
		} else {
			/*
			 * The next operations in one copy; if it stops part
			 * way, those it read in full, and this one alone if
			 * none, exactly as one copy per operation would.
			 */
			have = min_t(u32, batch.count - i, LRUCACHE_OPS_CHUNK);
			left = copy_from_user(ops, uop, have * sizeof(*op));
			have -= DIV_ROUND_UP(left, sizeof(*op));
			if (!have && !copy_from_user(ops, uop, sizeof(*op)))
				have = 1;
			at = 0;
			ret = have ? 0 : -EFAULT;
		}
		if (ret == -EFAULT)
			break;
		op = batch.op_size == sizeof(*op) ? &ops[at++] : ops;
		if (!ret) {
			rq.kv.key = op->key;
			rq.kv.value = op->value;
			rq.kv.key_len = op->key_len;
			rq.kv.value_len = op->value_len;
			rq.kv.ttl_ms = op->ttl_ms;
			rq.kv.flags = op->flags;
			rq.kv.reserved = op->reserved;
			rq.kv.cas = op->cas;
			rq.kv.lease = op->lease;
			rq.kv.delta = op->delta;
			rq.kv.number = op->number;
			rq.kv.refresh_ms = op->refresh_ms;
			rq.kv.status = op->status;
			rq.kv.reserved2 = op->reserved2;
			ret = lrucache_do_op(lf, op->opcode, &rq, &perms);
		}
		if (!lrucache_op_result(uop, batch.op_size, ret, &rq))
			break;
	}
	return i || !batch.count ? i : -EFAULT;
}

static ssize_t lrucache_dump_read(struct file *file, char __user *buf,
				  size_t count, loff_t *ppos)
{
	struct iov_iter to;
	int ret;

	ret = import_ubuf(ITER_DEST, buf, count, &to);
	if (ret)
		return ret;
	return lrucache_snapshot_read(file->private_data, &to);
}

static int lrucache_dump_release(struct inode *inode, struct file *file)
{
	lrucache_snapshot_free(file->private_data);
	return 0;
}

static const struct file_operations lrucache_dump_fops = {
	.owner		= THIS_MODULE,
	.read		= lrucache_dump_read,
	.release	= lrucache_dump_release,
};

/*
 * DUMP: a snapshot read through a new file descriptor. The descriptor is
 * installed only once the caller has its number, so a fault leaves no
 * stray descriptor behind.
 */
static long lrucache_ioc_dump(struct file *file, struct lrucache *cache,
			      void __user *uarg, size_t usize)
{
	struct lrucache_snapshot *snap;
	struct lrucache_dump arg;
	struct file *dump;
	int ret, fd;

	ret = copy_struct_from_user(&arg, sizeof(arg), uarg, usize);
	if (ret)
		return ret;
	if (arg.flags || arg.fd || arg.entries || arg.bytes || arg.reserved)
		return -EINVAL;

	snap = lrucache_snapshot(cache);
	if (IS_ERR(snap))
		return PTR_ERR(snap);
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		lrucache_snapshot_free(snap);
		return fd;
	}
	dump = anon_inode_getfile("[lrucache-dump]", &lrucache_dump_fops, snap,
				  O_RDONLY);
	if (IS_ERR(dump)) {
		put_unused_fd(fd);
		lrucache_snapshot_free(snap);
		return PTR_ERR(dump);
	}
	/* A stream: no seeking, no pread. */
	dump->f_mode &= ~(FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE);
	dump->f_mode |= FMODE_STREAM;

	arg.fd = fd;
	arg.entries = lrucache_snapshot_entries(snap);
	arg.bytes = lrucache_snapshot_bytes(snap);
	ret = lrucache_put_arg(uarg, usize, &arg, sizeof(arg));
	if (ret) {
		fput(dump);		/* release() frees the snapshot */
		put_unused_fd(fd);
		return ret;
	}
	fd_install(fd, dump);
	return 0;
}

/* STATS, HEALTH, INFO, CHECK: fill a structure from the engine, copy out. */
static long lrucache_ioc_stats(struct file *file, struct lrucache *cache,
			       void __user *uarg, size_t usize)
{
	struct lrucache_stats st;
	int ret;

	/* Each engine call zeroes its whole structure, padding included. */
	ret = lrucache_get_stats(cache, &st);
	return ret ?: lrucache_put_arg(uarg, usize, &st, sizeof(st));
}

static long lrucache_ioc_health(struct file *file, struct lrucache *cache,
				void __user *uarg, size_t usize)
{
	struct lrucache_health h;
	int ret;

	ret = lrucache_get_health(cache, &h);
	return ret ?: lrucache_put_arg(uarg, usize, &h, sizeof(h));
}

static long lrucache_ioc_info(struct file *file, struct lrucache *cache,
			      void __user *uarg, size_t usize)
{
	struct lrucache_info info;
	int ret;

	ret = lrucache_get_info(cache, &info);
	return ret ?: lrucache_put_arg(uarg, usize, &info, sizeof(info));
}

static long lrucache_ioc_check(struct file *file, struct lrucache *cache,
			       void __user *uarg, size_t usize)
{
	struct lrucache_check c;
	int ret;

	ret = lrucache_check(cache, &c);
	return ret ?: lrucache_put_arg(uarg, usize, &c, sizeof(c));
}

static long lrucache_ioc_reap(struct file *file, struct lrucache *cache,
			      void __user *uarg, size_t usize)
{
	struct lrucache_reap r;
	int ret;

	ret = copy_struct_from_user(&r, sizeof(r), uarg, usize);
	if (ret)
		return ret;
	ret = lrucache_reap(cache, &r);
	if (ret)
		return ret;
	return lrucache_put_arg(uarg, usize, &r, sizeof(r));
}

static long lrucache_ioc_clear(struct file *file, struct lrucache *cache,
			       void __user *uarg, size_t usize)
{
	return lrucache_clear(cache);
}

static long lrucache_ioc_reset_stats(struct file *file,
				     struct lrucache *cache,
				     void __user *uarg, size_t usize)
{
	return lrucache_reset_stats(cache);
}

/* The cost floor of this ioctl path, for benchmarks; see ioctl.rst. */
static long lrucache_ioc_nop(struct file *file, struct lrucache *cache,
			     void __user *uarg, size_t usize)
{
	return 0;
}

/* What a command needs besides the permission bits of its table row. */
#define LRUCACHE_IOC_UNBOUND	BIT(0)	/* also on an unbound file */
#define LRUCACHE_IOC_SYS_ADMIN	BIT(1)	/* CAP_SYS_ADMIN, whatever the mode */

/**
 * struct lrucache_ioctl_desc - one command of /dev/lrucache
 * @cmd: the command, with the size of the argument this module knows
 * @flags: LRUCACHE_IOC_UNBOUND, LRUCACHE_IOC_SYS_ADMIN
 * @perm: LRUCACHE_PERM_* bits needed on the bound cache, checked on every
 *	call against the caller's credentials of the moment; 0 for the key
 *	operations (checked per operation, batched ones included), for NOP,
 *	and for OPEN and DESTROY (which check their cache themselves)
 * @min_size: the smallest argument accepted (version 0 of a structure
 *	that grew; an older caller's structure leaves newer fields zero)
 * @opcode: for a key operation (struct lrucache_kv), its LRUCACHE_OP_*:
 *	lrucache_ioc_kv() runs it, as a batch runs its operations
 * @func: the handler of the other commands; @cache is NULL for an unbound
 *	file
 */
struct lrucache_ioctl_desc {
	unsigned int cmd;
	u32 flags;
	u32 perm;
	u32 min_size;
	u32 opcode;
	long (*func)(struct file *file, struct lrucache *cache,
		     void __user *uarg, size_t usize);
};

#define LRUCACHE_IOC_FIRST	_IOC_NR(LRUCACHE_IOC_OPEN)
#define LRUCACHE_IOCTL(name, _flags, _perm, _min_size, _func)		\
	[_IOC_NR(LRUCACHE_IOC_##name) - LRUCACHE_IOC_FIRST] = {		\
		.cmd = LRUCACHE_IOC_##name, .flags = _flags,		\
		.perm = _perm, .min_size = _min_size, .func = _func,	\
	}
/* A key operation: permissions are checked per key in lrucache_do_op(). */
#define LRUCACHE_KV_IOCTL(name)						\
	[_IOC_NR(LRUCACHE_IOC_##name) - LRUCACHE_IOC_FIRST] = {		\
		.cmd = LRUCACHE_IOC_##name,				\
		.min_size = LRUCACHE_KV_SIZE_VER0,			\
		.opcode = LRUCACHE_OP_##name,				\
	}

static const struct lrucache_ioctl_desc lrucache_ioctls[] = {
	LRUCACHE_IOCTL(OPEN, LRUCACHE_IOC_UNBOUND, 0,
		       LRUCACHE_OPEN_SIZE_VER0, lrucache_ioc_open),
	LRUCACHE_IOCTL(DESTROY, LRUCACHE_IOC_UNBOUND, 0,
		       sizeof(struct lrucache_destroy), lrucache_ioc_destroy),
	LRUCACHE_KV_IOCTL(SET),
	LRUCACHE_KV_IOCTL(GET),
	LRUCACHE_KV_IOCTL(EXISTS),
	LRUCACHE_KV_IOCTL(DELETE),
	LRUCACHE_IOCTL(CLEAR, 0, LRUCACHE_PERM_WRITE,
		       0, lrucache_ioc_clear),
	LRUCACHE_IOCTL(STATS, 0, LRUCACHE_PERM_READ,
		       LRUCACHE_STATS_SIZE_VER0, lrucache_ioc_stats),
	LRUCACHE_IOCTL(BATCH, 0, 0,
		       sizeof(struct lrucache_batch), lrucache_ioc_batch),
	LRUCACHE_IOCTL(RESET_STATS, 0, LRUCACHE_PERM_ADMIN,
		       0, lrucache_ioc_reset_stats),
	LRUCACHE_IOCTL(HEALTH, 0, LRUCACHE_PERM_READ,
		       LRUCACHE_HEALTH_SIZE_VER0, lrucache_ioc_health),
	LRUCACHE_IOCTL(INFO, 0, LRUCACHE_PERM_READ,
		       LRUCACHE_INFO_SIZE_VER0, lrucache_ioc_info),
	LRUCACHE_IOCTL(REAP, 0, LRUCACHE_PERM_WRITE,
		       sizeof(struct lrucache_reap), lrucache_ioc_reap),
	LRUCACHE_IOCTL(DUMP, 0, LRUCACHE_PERM_READ,
		       sizeof(struct lrucache_dump), lrucache_ioc_dump),
	LRUCACHE_IOCTL(NOP, 0, 0, 0, lrucache_ioc_nop),
	/* A diagnostic that walks every entry: for the administrator. */
	LRUCACHE_IOCTL(CHECK, LRUCACHE_IOC_SYS_ADMIN, 0,
		       sizeof(struct lrucache_check), lrucache_ioc_check),
	LRUCACHE_KV_IOCTL(INCR),
	LRUCACHE_KV_IOCTL(TOUCH),
	LRUCACHE_KV_IOCTL(GETEX),
	LRUCACHE_KV_IOCTL(TTL),
	LRUCACHE_KV_IOCTL(GETDEL),
	LRUCACHE_KV_IOCTL(DELETE_PREFIX),
	LRUCACHE_KV_IOCTL(LEASE_RELEASE),
	LRUCACHE_KV_IOCTL(LEASE_WAIT),
};

/*
 * Finds the command's row. The size of an argument is part of its ioctl
 * number: commands are matched without it, and the caller's size goes to
 * the handler, which copies with copy_struct_from_user().
 */
static const struct lrucache_ioctl_desc *lrucache_ioctl_find(unsigned int cmd)
{
	const struct lrucache_ioctl_desc *ioctl;
	unsigned int nr = _IOC_NR(cmd) - LRUCACHE_IOC_FIRST;

	if (nr >= ARRAY_SIZE(lrucache_ioctls))
		return NULL;
	ioctl = &lrucache_ioctls[array_index_nospec(nr,
						    ARRAY_SIZE(lrucache_ioctls))];
	if ((!ioctl->func && !ioctl->opcode) ||
	    LRUCACHE_IOC_BASE(cmd) != LRUCACHE_IOC_BASE(ioctl->cmd))
		return NULL;
	return ioctl;
}

/*
 * Errors come in this order: -ENOTTY (unknown command), -EBADFD (unbound
 * file), -EPERM (no CAP_SYS_ADMIN) or -EACCES (the cache's mode), then
 * -EINVAL for an argument smaller than the command's version 0, then the
 * handler's own.
 */
static long lrucache_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct lrucache *cache = lrucache_file_cache(file);
	const struct lrucache_ioctl_desc *ioctl;
	void __user *uarg = (void __user *)arg;
	size_t usize = _IOC_SIZE(cmd);
	int ret;

	ioctl = lrucache_ioctl_find(cmd);
	if (!ioctl)
		return -ENOTTY;
	if (!cache && !(ioctl->flags & LRUCACHE_IOC_UNBOUND))
		return -EBADFD;
	if ((ioctl->flags & LRUCACHE_IOC_SYS_ADMIN) && !capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (ioctl->perm) {
		ret = lrucache_permission(cache, ioctl->perm);
		if (ret)
			return ret;
	}
	if (usize < ioctl->min_size)
		return -EINVAL;
	if (ioctl->opcode)
		return lrucache_ioc_kv(lrucache_file(file), ioctl->opcode, uarg,
				       usize);
	return ioctl->func(file, cache, uarg, usize);
}

static int lrucache_dev_open(struct inode *inode, struct file *file)
{
	/* misc_open() left the miscdevice here; a file starts unbound. */
	file->private_data = NULL;
	return 0;
}

static int lrucache_dev_release(struct inode *inode, struct file *file)
{
	struct lrucache_file *lf = file->private_data;

	if (lf) {
		lrucache_lease_owner_release(lf->cache, &lf->owner);
		lrucache_put(lf->cache);
		kfree(lf);
	}
	return 0;
}

/*
 * mmap() of a bound file whose cache is mapped (map.c): the read
 * permission of the caller, now, as for a GET. The mapping lasts, like a
 * file's, whatever happens to the caller's credentials afterwards.
 */
static int lrucache_dev_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct lrucache *cache = lrucache_file_cache(file);
	int ret;

	if (!cache)
		return -EBADFD;
	ret = lrucache_permission(cache, LRUCACHE_PERM_READ);
	if (ret)
		return ret;
	return lrucache_map_mmap(cache, vma);
}

static const struct file_operations lrucache_fops = {
	.owner		= THIS_MODULE,
	.open		= lrucache_dev_open,
	.release	= lrucache_dev_release,
	.unlocked_ioctl	= lrucache_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= lrucache_dev_mmap,
	.llseek		= noop_llseek,
};

static struct miscdevice lrucache_miscdev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "lrucache",
	.fops	= &lrucache_fops,
	.mode	= 0666,
};

int lrucache_chardev_init(void)
{
	/*
	 * Version 0 of each structure that grew ends at the field the uapi
	 * header names, as clone3() ties its CLONE_ARGS_SIZE_VER* to
	 * struct clone_args: a field added or moved breaks the build, not
	 * the old binaries.
	 */
	BUILD_BUG_ON(LRUCACHE_OPEN_SIZE_VER0 !=
		     offsetofend(struct lrucache_open, default_ttl_ms));
	BUILD_BUG_ON(LRUCACHE_STATS_SIZE_VER0 !=
		     offsetofend(struct lrucache_stats, entry_overhead));
	BUILD_BUG_ON(LRUCACHE_INFO_SIZE_VER0 !=
		     offsetofend(struct lrucache_info, mode));
	BUILD_BUG_ON(LRUCACHE_HEALTH_SIZE_VER0 !=
		     offsetofend(struct lrucache_health, hit_rate_pct));
	BUILD_BUG_ON(offsetofend(struct lrucache_kv, reserved) !=
		     LRUCACHE_KV_SIZE_VER0);
	BUILD_BUG_ON(offsetofend(struct lrucache_op, reserved) !=
		     LRUCACHE_OP_SIZE_VER0);
	BUILD_BUG_ON(offsetofend(struct lrucache_stats, expiring) !=
		     LRUCACHE_STATS_SIZE_VER1);
	return misc_register(&lrucache_miscdev);
}

void lrucache_chardev_exit(void)
{
	misc_deregister(&lrucache_miscdev);
}
