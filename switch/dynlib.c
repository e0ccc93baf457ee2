// SPDX-License-Identifier: MIT
/*
 * dynlib.c - load an optional library and fill a table of its functions
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "dynlib.h"

/**
 * dynlib_open() - dlopen() @lib and look up every function it lists
 * @lib:	the library
 * @table:	struct of function pointers, filled at @lib->syms' offsets
 * @err:	message on failure (names the library and its package)
 * @errlen:	its size
 *
 * Return: the handle for dynlib_close(), or NULL (@table untouched)
 */
void *dynlib_open(const struct dynlib *lib, void *table, char *err,
		  size_t errlen)
{
	void *h = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL);
	const char *why;
	size_t i;

	if (!h) {
		why = dlerror();
		snprintf(err, errlen, "cannot load %s (install package %s): %s",
			 lib->soname, lib->package, why ? why : "?");
		return NULL;
	}
	for (i = 0; i < lib->nsyms; i++) {
		void *p;

		dlerror();
		p = dlsym(h, lib->syms[i].name);
		why = dlerror();
		if (!p || why) {
			snprintf(err, errlen,
				 "%s has no %s (install package %s): %s",
				 lib->soname, lib->syms[i].name, lib->package,
				 why ? why : "NULL symbol");
			dlclose(h);
			return NULL;
		}
	}
	for (i = 0; i < lib->nsyms; i++) {
		void *p = dlsym(h, lib->syms[i].name);

		/* POSIX: a data pointer from dlsym() converts to a function's */
		memcpy((char *)table + lib->syms[i].off, &p, sizeof(p));
	}
	return h;
}

/**
 * dynlib_close() - unload a library dynlib_open() loaded
 * @handle:	its handle, or NULL
 */
void dynlib_close(void *handle)
{
	if (handle)
		dlclose(handle);
}
