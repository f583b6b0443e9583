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
 */

#include <linux/fs.h>
#include <linux/anon_inodes.h>
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/nospec.h>
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

static struct lrucache *lrucache_file_cache(struct file *file)
{
	return READ_ONCE(file->private_data);
}

static long lrucache_ioc_open(struct file *file, struct lrucache *bound,
			      void __user *uarg, size_t usize)
{
	struct lrucache_params params;
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
	ret = lrucache_open(arg.name, &params, arg.flags, &cache);
	if (ret)
		return ret;
	/* A cache this call created grants its owner something. */
	ret = lrucache_permission(cache, LRUCACHE_PERM_ANY);
	if (ret) {
		lrucache_put(cache);
		return ret;
	}
	/* Two threads may race to bind the same file: one wins. */
	if (cmpxchg(&file->private_data, NULL, cache)) {
		lrucache_put(cache);
		return -EBUSY;
	}
	return 0;
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

static int lrucache_op_permission(struct lrucache *cache, bool reads,
				  struct lrucache_perms *perms)
{
	int *memo = reads ? &perms->read : &perms->write;

	if (*memo > 0)
		*memo = lrucache_permission(cache, reads ? LRUCACHE_PERM_READ :
							   LRUCACHE_PERM_WRITE);
	return *memo;
}

/*
 * One key-value operation, shared by the single commands and batches.
 * @kv has been copied in; on return *@value_len holds what GET reports.
 */
static long lrucache_do_op(struct lrucache *cache, u32 opcode,
			   const struct lrucache_kv *kv, u32 *value_len,
			   struct lrucache_perms *perms)
{
	void __user *uvalue = u64_to_user_ptr(kv->value);
	u8 key[LRUCACHE_KEY_LEN_CEILING];
	struct iov_iter iter;
	bool reads;
	long ret;
	u32 len;

	if (kv->reserved)
		return -EINVAL;
	if (!kv->key_len)
		return -EINVAL;
	if (kv->key_len > lrucache_max_key_len)
		return -E2BIG;
	if (opcode != LRUCACHE_OP_SET && (kv->ttl_ms || kv->flags))
		return -EINVAL;
	if ((opcode == LRUCACHE_OP_EXISTS || opcode == LRUCACHE_OP_DELETE) &&
	    (kv->value || kv->value_len))
		return -EINVAL;
	if (copy_from_user(key, u64_to_user_ptr(kv->key), kv->key_len))
		return -EFAULT;
	reads = opcode == LRUCACHE_OP_GET || opcode == LRUCACHE_OP_EXISTS;
	ret = lrucache_op_permission(cache, reads, perms);
	if (ret)
		return ret;

	switch (opcode) {
	case LRUCACHE_OP_SET:
		/* Refuse an oversized value before looking at its pointer. */
		if (kv->value_len > lrucache_max_value_len)
			return -E2BIG;
		if (!access_ok(uvalue, kv->value_len))
			return -EFAULT;
		iov_iter_ubuf(&iter, ITER_SOURCE, uvalue, kv->value_len);
		return lrucache_set_iter(cache, key, kv->key_len, &iter,
					 kv->ttl_ms, kv->flags);
	case LRUCACHE_OP_GET:
		/* As import_ubuf(): at most MAX_RW_COUNT bytes. */
		len = min_t(u32, kv->value_len, MAX_RW_COUNT);
		if (!access_ok(uvalue, len))
			return -EFAULT;
		iov_iter_ubuf(&iter, ITER_DEST, uvalue, len);
		ret = lrucache_get_iter(cache, key, kv->key_len, &iter);
		if (ret >= 0)
			*value_len = ret;
		return ret;
	case LRUCACHE_OP_EXISTS:
		return lrucache_exists(cache, key, kv->key_len);
	case LRUCACHE_OP_DELETE:
		return lrucache_delete(cache, key, kv->key_len);
	default:
		return -EINVAL;
	}
}

/*
 * Reads a struct lrucache_kv of our size in one user access window. For a
 * GET (@out), whose value_len is written back, it also writes that field
 * with the value just read, so that an argument that cannot be written
 * fails here, before the lookup changes anything, and not after it.
 */
static int lrucache_get_kv(struct lrucache_kv *kv,
			   struct lrucache_kv __user *ukv, bool out)
{
	if (!user_access_begin(ukv, sizeof(*ukv)))
		return -EFAULT;
	unsafe_get_user(kv->key, &ukv->key, efault);
	unsafe_get_user(kv->value, &ukv->value, efault);
	unsafe_get_user(kv->key_len, &ukv->key_len, efault);
	unsafe_get_user(kv->value_len, &ukv->value_len, efault);
	unsafe_get_user(kv->ttl_ms, &ukv->ttl_ms, efault);
	unsafe_get_user(kv->flags, &ukv->flags, efault);
	unsafe_get_user(kv->reserved, &ukv->reserved, efault);
	if (out)
		unsafe_put_user(kv->value_len, &ukv->value_len, efault);
	user_access_end();
	return 0;
efault:
	user_access_end();
	return -EFAULT;
}

static long lrucache_ioc_kv(struct lrucache *cache, u32 opcode,
			    void __user *uarg, size_t usize)
{
	struct lrucache_perms perms = LRUCACHE_PERMS_INIT;
	struct lrucache_kv __user *ukv = uarg;
	struct lrucache_kv kv;
	u32 value_len = 0;
	long ret;

	/* The usual case field by field; other sizes as every argument. */
	if (likely(usize == sizeof(kv))) {
		ret = lrucache_get_kv(&kv, ukv, opcode == LRUCACHE_OP_GET);
	} else {
		ret = copy_struct_from_user(&kv, sizeof(kv), uarg, usize);
		if (!ret && opcode == LRUCACHE_OP_GET &&
		    put_user(kv.value_len, &ukv->value_len))
			ret = -EFAULT;
	}
	if (ret)
		return ret;
	ret = lrucache_do_op(cache, opcode, &kv, &value_len, &perms);
	if (opcode == LRUCACHE_OP_GET && ret >= 0 &&
	    put_user(value_len, &ukv->value_len))
		return -EFAULT;
	return ret;
}

static long lrucache_ioc_set(struct file *file, struct lrucache *cache,
			     void __user *uarg, size_t usize)
{
	return lrucache_ioc_kv(cache, LRUCACHE_OP_SET, uarg, usize);
}

static long lrucache_ioc_get(struct file *file, struct lrucache *cache,
			     void __user *uarg, size_t usize)
{
	return lrucache_ioc_kv(cache, LRUCACHE_OP_GET, uarg, usize);
}

static long lrucache_ioc_exists(struct file *file, struct lrucache *cache,
				void __user *uarg, size_t usize)
{
	return lrucache_ioc_kv(cache, LRUCACHE_OP_EXISTS, uarg, usize);
}

static long lrucache_ioc_delete(struct file *file, struct lrucache *cache,
				void __user *uarg, size_t usize)
{
	return lrucache_ioc_kv(cache, LRUCACHE_OP_DELETE, uarg, usize);
}

/*
 * Writes an operation's outcome back into its place in the array: its
 * result, and the value length if @get reports one.
 */
static bool lrucache_op_result(struct lrucache_op __user *uop, long ret,
			       bool get, u32 value_len)
{
	if (!user_write_access_begin(uop, sizeof(*uop)))
		return false;
	unsafe_put_user((s32)ret, &uop->result, efault);
	if (get)
		unsafe_put_user(value_len, &uop->value_len, efault);
	user_write_access_end();
	return true;
efault:
	user_write_access_end();
	return false;
}

/*
 * What a batch checks before its first operation runs: that every
 * operation of the array can be read (its first and last bytes: an
 * operation, at most a page long, lies on at most two pages), and that
 * the fields written back after it runs (result, and value_len of a GET)
 * can be written. They are written with the values they hold, so the
 * caller sees no change. A batch that fails here has run nothing; one
 * that passes runs to its end unless the caller changes the array's
 * mappings while it runs.
 */
static int lrucache_batch_check(const struct lrucache_batch *batch)
{
	struct lrucache_op __user *uop;
	u32 i, opcode, value_len;
	s32 result;
	u8 last __maybe_unused;

	for (i = 0; i < batch->count; i++) {
		uop = u64_to_user_ptr(batch->ops + (u64)i * batch->op_size);
		if (!user_access_begin(uop, batch->op_size))
			return -EFAULT;
		unsafe_get_user(last, (u8 __user *)uop + batch->op_size - 1,
				efault);
		unsafe_get_user(opcode, &uop->opcode, efault);
		unsafe_get_user(result, &uop->result, efault);
		unsafe_put_user(result, &uop->result, efault);
		if (opcode == LRUCACHE_OP_GET) {
			unsafe_get_user(value_len, &uop->value_len, efault);
			unsafe_put_user(value_len, &uop->value_len, efault);
		}
		user_access_end();
	}
	return 0;
efault:
	user_access_end();
	return -EFAULT;
}

/* Operations of a batch copied in at once, when their size is ours. */
#define LRUCACHE_OPS_CHUNK	8

static long lrucache_ioc_batch(struct file *file, struct lrucache *cache,
			       void __user *uarg, size_t usize)
{
	struct lrucache_perms perms = LRUCACHE_PERMS_INIT;
	struct lrucache_op ops[LRUCACHE_OPS_CHUNK], *op = ops;
	unsigned int have = 0, at = 0, left;
	struct lrucache_op __user *uop;
	struct lrucache_batch batch;
	struct lrucache_kv kv;
	u32 value_len = 0, i;
	long ret;

	ret = copy_struct_from_user(&batch, sizeof(batch), uarg, usize);
	if (ret)
		return ret;
	if (batch.flags || batch.reserved || batch.op_size < sizeof(*op))
		return -EINVAL;
	/* A newer op is larger, but not by pages: its zero tail is scanned. */
	if (batch.count > LRUCACHE_BATCH_MAX || batch.op_size > PAGE_SIZE)
		return -E2BIG;
	ret = lrucache_batch_check(&batch);
	if (ret)
		return ret;

	for (i = 0; i < batch.count; i++) {
		uop = u64_to_user_ptr(batch.ops + (u64)i * batch.op_size);
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
			kv.key = op->key;
			kv.value = op->value;
			kv.key_len = op->key_len;
			kv.value_len = op->value_len;
			kv.ttl_ms = op->ttl_ms;
			kv.flags = op->flags;
			kv.reserved = op->reserved;
			ret = lrucache_do_op(cache, op->opcode, &kv, &value_len,
					     &perms);
		}
		if (!lrucache_op_result(uop, ret, ret >= 0 &&
					op->opcode == LRUCACHE_OP_GET,
					value_len))
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
 * @func: the handler; @cache is NULL for an unbound file
 */
struct lrucache_ioctl_desc {
	unsigned int cmd;
	u32 flags;
	u32 perm;
	u32 min_size;
	long (*func)(struct file *file, struct lrucache *cache,
		     void __user *uarg, size_t usize);
};

#define LRUCACHE_IOC_FIRST	_IOC_NR(LRUCACHE_IOC_OPEN)
#define LRUCACHE_IOCTL(name, _flags, _perm, _min_size, _func)		\
	[_IOC_NR(LRUCACHE_IOC_##name) - LRUCACHE_IOC_FIRST] = {		\
		.cmd = LRUCACHE_IOC_##name, .flags = _flags,		\
		.perm = _perm, .min_size = _min_size, .func = _func,	\
	}

static const struct lrucache_ioctl_desc lrucache_ioctls[] = {
	LRUCACHE_IOCTL(OPEN, LRUCACHE_IOC_UNBOUND, 0,
		       LRUCACHE_OPEN_SIZE_VER0, lrucache_ioc_open),
	LRUCACHE_IOCTL(DESTROY, LRUCACHE_IOC_UNBOUND, 0,
		       sizeof(struct lrucache_destroy), lrucache_ioc_destroy),
	LRUCACHE_IOCTL(SET, 0, 0,
		       sizeof(struct lrucache_kv), lrucache_ioc_set),
	LRUCACHE_IOCTL(GET, 0, 0,
		       sizeof(struct lrucache_kv), lrucache_ioc_get),
	LRUCACHE_IOCTL(EXISTS, 0, 0,
		       sizeof(struct lrucache_kv), lrucache_ioc_exists),
	LRUCACHE_IOCTL(DELETE, 0, 0,
		       sizeof(struct lrucache_kv), lrucache_ioc_delete),
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
	if (!ioctl->func ||
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
	struct lrucache *cache = file->private_data;

	if (cache)
		lrucache_put(cache);
	return 0;
}

static const struct file_operations lrucache_fops = {
	.owner		= THIS_MODULE,
	.open		= lrucache_dev_open,
	.release	= lrucache_dev_release,
	.unlocked_ioctl	= lrucache_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
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
	return misc_register(&lrucache_miscdev);
}

void lrucache_chardev_exit(void)
{
	misc_deregister(&lrucache_miscdev);
}
