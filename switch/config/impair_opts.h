/* SPDX-License-Identifier: MIT */
/*
 * impair_opts.h - impairment settings as text (sockswitchctl impair, a
 * listener's "impair" object) and back
 */
#ifndef SWD_IMPAIR_OPTS_H
#define SWD_IMPAIR_OPTS_H

#include <stddef.h>

#include "sockswitch/impair.h"

#define IMPAIR_SETTINGS_LEN 256 /* impair_opts_format() output, NUL incl. */

int impair_opts_set(struct impair_cfg *c, const char *setting, char *err,
		    size_t errlen);
int impair_opts_check(const struct impair_cfg *c, char *err, size_t errlen);
void impair_opts_format(const struct impair_cfg *c, char *out, size_t len);

#endif /* SWD_IMPAIR_OPTS_H */
