/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lrucache: the kernel versions the module builds for, in one place.
 *
 * Policy. The module is written against the Linux 6.1 API, the kernels of
 * Debian 12 (stock, cloud and PREEMPT_RT flavours; make check-install
 * builds against each). The sources in kmod/ use 6.1 names only and never
 * test LINUX_VERSION_CODE: every difference between kernel versions is
 * dealt with here, under a LINUX_VERSION_CODE check, in one of two ways:
 *  - a later kernel that renames an API without changing its arguments
 *    gets a #define from the 6.1 name to the new one;
 *  - a kernel outside the range the module can build for stops the build
 *    here, with an #error that names what is missing or what needs
 *    porting, instead of failing in some later file.
 * Every file of the module includes this header through
 * lrucache_internal.h.
 *
 * Range. 6.1 is the oldest kernel with what the module needs: named
 * shrinkers (register_shrinker() with a name, 6.0) and strict validation
 * of every generic netlink command (genl_family.resv_start_op, 6.1).
 * 6.7 replaced register_shrinker() by shrinker_alloc() and
 * shrinker_register(), which allocate the shrinker: a port to it changes
 * lrucache_shrinker_init() and _exit() in memory.c. The same port will
 * meet no_llseek (removed in 6.12: leave .llseek unset) and hrtimer_init()
 * (replaced by hrtimer_setup(), which takes the callback, in 6.13).
 */
#ifndef _LRUCACHE_COMPAT_H
#define _LRUCACHE_COMPAT_H

#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "lrucache needs Linux 6.1 or later (named shrinkers, genl resv_start_op)"
#endif

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
#error "lrucache builds for Linux 6.1 to 6.6: 6.7 needs a port to shrinker_alloc()"
#endif

#endif /* _LRUCACHE_COMPAT_H */
