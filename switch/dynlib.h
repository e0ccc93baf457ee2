/* SPDX-License-Identifier: MIT */
/*
 * dynlib.h - optional libraries loaded with dlopen() when first needed
 *
 * libmicrohttpd (metrics) and libpcap (captures) pull in a dozen further
 * libraries; linking them would map all of those into every daemon, even
 * one that never serves metrics or captures. Their users keep the headers
 * for types and constants and call through a table of function pointers
 * filled here.
 */
#ifndef SOCKSWITCH_DYNLIB_H
#define SOCKSWITCH_DYNLIB_H

#include <stddef.h>

/**
 * struct dynlib_sym - one function a table needs
 * @name:	symbol name
 * @off:	offset of its pointer in the table (offsetof)
 */
struct dynlib_sym {
	const char *name;
	size_t off;
};

/**
 * struct dynlib - a library and where to get it
 * @soname:	file name to dlopen(), e.g. "libpcap.so.0.8"
 * @package:	Debian package that installs it, for the error message
 * @syms:	functions to look up
 * @nsyms:	how many
 */
struct dynlib {
	const char *soname;
	const char *package;
	const struct dynlib_sym *syms;
	size_t nsyms;
};

void *dynlib_open(const struct dynlib *lib, void *table, char *err,
		  size_t errlen);
void dynlib_close(void *handle);

#endif
