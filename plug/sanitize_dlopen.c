// SPDX-License-Identifier: MIT
/*
 * sanitize_dlopen.c - let libvdeplug load its plugins under ASan
 *
 * libvdeplug dlopen()s each plugin (libvdeplug_vde.so, ...) with
 * RTLD_DEEPBIND, which the AddressSanitizer runtime refuses
 * (google/sanitizers issue 611). Built only with -DSOCKSWITCH_SANITIZE=ON:
 * this dlopen(), found before libc's, drops that flag and calls the next
 * one. Plugins resolve against the global scope instead, which is what
 * they do in every normal build of a program that does not define the
 * same symbols (this one does not).
 */
#include <dlfcn.h>
#include <stddef.h>

void *dlopen(const char *file, int mode);

/**
 * dlopen() - dlopen without RTLD_DEEPBIND
 * @file:	library to load
 * @mode:	RTLD_* flags
 *
 * Return: handle, or NULL (see dlerror())
 */
void *dlopen(const char *file, int mode)
{
	void *(*next)(const char *, int);
	void *sym = dlsym(RTLD_NEXT, "dlopen");

	*(void **)&next = sym;
	return next ? next(file, mode & ~RTLD_DEEPBIND) : NULL;
}
