// SPDX-License-Identifier: MIT
/*
 * errf.c - the error message helper of the option parsers
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "config/config.h"

/**
 * config_errf() - write a message for the user into @err
 * @err:	buffer
 * @errlen:	its size
 * @fmt:	printf format, then its arguments
 *
 * Return: -EINVAL, for the parser to return as it is
 */
int config_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}
