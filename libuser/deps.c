// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * libkcache's optional libraries: jansson for the JSON dump and restore,
 * libnl-genl-3 for the event hooks. libkcache.so has no DT_NEEDED entry
 * for either: the first call that needs one loads it with dlopen(3) and
 * looks up the functions its file calls (the tables in dump.c and
 * events.c). A program that never calls those functions runs without the
 * libraries installed; one that does gets -ELIBACC where they are
 * missing, and the call can be made again once they are installed.
 * Documentation/lrucache/library.rst says why this rather than split
 * libraries.
 *
 * The sonames are those of the development libraries the build found
 * (libuser/Makefile reads them with readelf), and are announced in the
 * ".note.dlopen" ELF notes below, in the format of
 * https://systemd.io/ELF_DLOPEN_METADATA/, for packaging tools to turn
 * into package relations (Recommends).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>

#include "kcache_internal.h"

#ifndef KCACHE_JANSSON_SONAME
#error "KCACHE_JANSSON_SONAME is set by libuser/Makefile"
#endif
#ifndef KCACHE_LIBNL_GENL_SONAME
#error "KCACHE_LIBNL_GENL_SONAME is set by libuser/Makefile"
#endif

int kcache_dlib_load(struct kcache_dlib *lib)
{
	void *handle, *fn;
	size_t i;
	int ret = 0;

	if (__atomic_load_n(&lib->loaded, __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_lock(&lib->lock);
	if (lib->loaded)
		goto out;
	/*
	 * RTLD_LOCAL: the library's symbols stay out of the program's global
	 * scope. A library the program links itself is found and shared.
	 */
	handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		ret = -ELIBACC;
		goto out;
	}
	/* dlsym() searches the library and then the libraries it needs. */
	for (i = 0; i < lib->nsyms; i++) {
		fn = dlsym(handle, lib->syms[i].name);
		if (!fn) {
			/* Not the library this was built for: no table. */
			dlclose(handle);
			ret = -ELIBACC;
			goto out;
		}
		*lib->syms[i].addr = fn;
	}
	/* The handle is never closed: the table points into the library. */
	__atomic_store_n(&lib->loaded, true, __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&lib->lock);
	return ret;
}

/* ---- ELF notes: the libraries dlopen()ed, for packaging tools */

#define ELF_NOTE_FDO_DLOPEN	0x407c0c0aU

#define DLOPEN_NOTE(id, json)						\
	__attribute__((used, section(".note.dlopen"), aligned(4)))	\
	static const struct {						\
		uint32_t n_namesz, n_descsz, n_type;			\
		char name[4];						\
		char desc[(sizeof(json) + 3) & ~(size_t)3];		\
	} id = {							\
		.n_namesz = sizeof("FDO"),				\
		.n_descsz = sizeof(json),				\
		.n_type = ELF_NOTE_FDO_DLOPEN,				\
		.name = "FDO",						\
		.desc = json,						\
	}

DLOPEN_NOTE(kcache_note_jansson,
	    "[{\"feature\":\"dump\",\"description\":\"JSON dump and restore "
	    "(kcache_serialize, kcache_deserialize)\",\"priority\":"
	    "\"recommended\",\"soname\":[\"" KCACHE_JANSSON_SONAME "\"]}]");

DLOPEN_NOTE(kcache_note_libnl,
	    "[{\"feature\":\"events\",\"description\":\"cache events through "
	    "generic netlink (kcache_add_hook)\",\"priority\":"
	    "\"recommended\",\"soname\":[\"" KCACHE_LIBNL_GENL_SONAME "\"]}]");
