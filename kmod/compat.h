/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lrucache: the kernel versions the module builds for, in one place.
 *
 * Range. Linux 6.1 to 7.2: make check-install builds the module against
 * Debian 12's 6.1 (stock, cloud, PREEMPT_RT), Debian's 6.12 LTS from
 * bookworm-backports (the same three) and a 7.2 tree, and make check runs
 * every suite on 6.1, 6.1 PREEMPT_RT, 6.12 and 7.2. 6.1 is the oldest
 * kernel with what the module needs: named shrinkers (6.0) and strict
 * validation of every generic netlink command (genl_family.resv_start_op,
 * 6.1).
 *
 * Policy. The sources in kmod/ never test LINUX_VERSION_CODE: every
 * difference between kernel versions is dealt with here, under a
 * LINUX_VERSION_CODE check (or, for an API that is a macro, a test of the
 * macro's name). Where a newer kernel has a better API, the
 * sources use the newer one, and this header gives older kernels a shim of
 * it with the same name and meaning, built from what they have (so the
 * shims are deleted, not rewritten, when the oldest kernel moves up).
 * Where the two cannot be given one meaning (an API that allocates on one
 * kernel and not on the other), this header gives the module a small
 * lrucache_ function over both. Every file of the module includes this
 * header through lrucache_internal.h.
 */
#ifndef _LRUCACHE_COMPAT_H
#define _LRUCACHE_COMPAT_H

#include <linux/version.h>
#include <linux/hrtimer.h>
#include <linux/shrinker.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <linux/workqueue.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "lrucache needs Linux 6.1 or later (named shrinkers, genl resv_start_op)"
#endif

/* 6.12 moved <asm/unaligned.h> to <linux/unaligned.h>. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/*
 * 6.2 made kobj_type.get_ownership() take a const struct kobject *:
 * lrucache_kobj_const is the qualifier this kernel's prototype has.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define lrucache_kobj_const	const
#else
#define lrucache_kobj_const
#endif

/*
 * 6.13 added hrtimer_setup(), which sets the callback with the rest
 * (hrtimer_init() was removed in 6.15). Older kernels: the same from
 * hrtimer_init().
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 13, 0)
static inline void hrtimer_setup(struct hrtimer *timer,
				 enum hrtimer_restart (*function)(struct hrtimer *),
				 clockid_t clock_id, enum hrtimer_mode mode)
{
	hrtimer_init(timer, clock_id, mode);
	timer->function = function;
}
#endif

/*
 * 6.3 added import_ubuf(), a single user buffer as an ITER_UBUF iterator
 * (6.7 removed import_single_range(), which needed an iovec besides).
 * Older kernels: what import_ubuf() does, from iov_iter_ubuf() (6.0).
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
#include <linux/fs.h>

static inline int import_ubuf(int rw, void __user *buf, size_t len,
			      struct iov_iter *i)
{
	if (len > MAX_RW_COUNT)
		len = MAX_RW_COUNT;
	if (unlikely(!access_ok(buf, len)))
		return -EFAULT;
	iov_iter_ubuf(i, rw, buf, len);
	return 0;
}
#endif

/*
 * 6.3 made vma->vm_flags read-only, changed through vm_flags_set() and
 * vm_flags_clear() (which take the mmap lock's write side, held in
 * ->mmap()). Older kernels: the plain stores those helpers do.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
#include <linux/mm.h>

static inline void vm_flags_set(struct vm_area_struct *vma,
				unsigned long flags)
{
	vma->vm_flags |= flags;
}

static inline void vm_flags_clear(struct vm_area_struct *vma,
				  unsigned long flags)
{
	vma->vm_flags &= ~flags;
}
#endif

/*
 * 6.10 dropped the source argument of __assign_str(): __string(field, src)
 * names the source. lrucache_assign_str(field) in a TP_fast_assign() is
 * that one-argument form, and on older kernels the two-argument one with
 * the source of the same name, so a field must be named after the
 * tracepoint argument it copies (__string(cache, cache)).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
#define lrucache_assign_str(field)	__assign_str(field)
#else
#define lrucache_assign_str(field)	__assign_str(field, field)
#endif

/*
 * Typed allocation, kzalloc_obj(*p, gfp) for kzalloc(sizeof(*p), gfp),
 * its result of p's type: newer kernels have it (7.2 does, 6.12 does
 * not), as a macro, tested here by name. Older kernels: kzalloc(), the
 * flags required (the module always gives them).
 */
#ifndef kzalloc_obj
#define kzalloc_obj(P, GFP)	kzalloc(sizeof(P), GFP)
#endif

/*
 * 6.17 named the system's unbound workqueue system_dfl_wq; 7.2 marks the
 * old name, system_unbound_wq, deprecated and logs a warning when work is
 * queued on it. Older kernels (Debian's 6.12 has the new name too): the
 * old name, the same workqueue.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 17, 0)
#define system_dfl_wq	system_unbound_wq
#endif

/*
 * Symbol namespaces: 6.13 made them string literals
 * (EXPORT_SYMBOL_NS_GPL(sym, "NS"), MODULE_IMPORT_NS("NS")); before, the
 * macros stringified a bare name. LRUCACHE_TEST_NS, the namespace of the
 * hooks only the KUnit suite uses, is whichever the kernel takes.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#define LRUCACHE_TEST_NS	"LRUCACHE_TEST"
#else
#define LRUCACHE_TEST_NS	LRUCACHE_TEST
#endif

/*
 * Shrinkers. 6.7 allocates them (shrinker_alloc(), which may fail, then
 * shrinker_register(), which cannot, and shrinker_free()); 6.1 registers
 * one the caller owns (register_shrinker(), which may fail). The module
 * creates and destroys its one shrinker through these two functions:
 * 6.7's API where it exists, a kzalloc()ed shrinker for register_shrinker()
 * before, with the same errors (-ENOMEM) on both.
 */
static inline struct shrinker *
lrucache_shrinker_create(const char *name,
			 unsigned long (*count)(struct shrinker *,
						struct shrink_control *),
			 unsigned long (*scan)(struct shrinker *,
					       struct shrink_control *))
{
	struct shrinker *s;

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
	s = shrinker_alloc(0, "%s", name);
	if (!s)
		return ERR_PTR(-ENOMEM);
	s->count_objects = count;
	s->scan_objects = scan;
	s->seeks = DEFAULT_SEEKS;
	shrinker_register(s);
#else
	int ret;

	s = kzalloc_obj(*s, GFP_KERNEL);
	if (!s)
		return ERR_PTR(-ENOMEM);
	s->count_objects = count;
	s->scan_objects = scan;
	s->seeks = DEFAULT_SEEKS;
	ret = register_shrinker(s, "%s", name);
	if (ret) {
		kfree(s);
		return ERR_PTR(ret);
	}
#endif
	return s;
}

static inline void lrucache_shrinker_destroy(struct shrinker *s)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
	shrinker_free(s);
#else
	unregister_shrinker(s);
	kfree(s);
#endif
}

#endif /* _LRUCACHE_COMPAT_H */
