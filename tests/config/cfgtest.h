/* SPDX-License-Identifier: MIT */
/*
 * cfgtest.h - shared fixture of the config parser tests
 *
 * Each test gets a fresh temporary directory with one config file path in
 * it; the suite's .init and .fini make and remove them.
 */
#ifndef SOCKSWITCH_CFGTEST_H
#define SOCKSWITCH_CFGTEST_H

#include <limits.h>

/* The test's temporary directory, and DIR/c.json (not written yet). */
extern char cfgtest_dir[PATH_MAX];
extern char cfgtest_file[PATH_MAX + 16];

void cfgtest_setup(void);
void cfgtest_teardown(void);
void cfgtest_write(const char *json);

#endif /* SOCKSWITCH_CFGTEST_H */
