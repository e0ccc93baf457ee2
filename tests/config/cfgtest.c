// SPDX-License-Identifier: MIT
/*
 * cfgtest.c - shared fixture of the config parser tests: a fresh temporary
 * directory per test and a config file in it
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "cfgtest.h"

char cfgtest_dir[PATH_MAX];
char cfgtest_file[PATH_MAX + 16];

/**
 * cfgtest_setup() - make the test's directory (suite .init)
 *
 * $TMPDIR/sockswitch-config-XXXXXX, or under /tmp without $TMPDIR.
 */
void cfgtest_setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(cfgtest_dir, sizeof(cfgtest_dir),
		 "%s/sockswitch-config-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	cr_assert_not_null(mkdtemp(cfgtest_dir));
	snprintf(cfgtest_file, sizeof(cfgtest_file), "%s/c.json", cfgtest_dir);
}

/**
 * cfgtest_teardown() - remove the config file and the directory (.fini)
 */
void cfgtest_teardown(void)
{
	unlink(cfgtest_file);
	rmdir(cfgtest_dir);
}

/**
 * cfgtest_write() - write @json as the config file
 * @json:	file contents
 */
void cfgtest_write(const char *json)
{
	FILE *f = fopen(cfgtest_file, "w");

	cr_assert_not_null(f);
	cr_assert_eq(fputs(json, f) >= 0, true);
	cr_assert_eq(fclose(f), 0);
}
