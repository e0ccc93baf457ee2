// SPDX-License-Identifier: MIT
/*
 * test_path.c - path.c: ~, $XDG_RUNTIME_DIR, %t, %h and %% in config paths,
 * and the directories made for sockets
 *
 * Copyright (c) 2026 The sockswitch authors
 *
 * Each test sets XDG_RUNTIME_DIR and HOME to directories of its own (the
 * fixture's temporary directory), so nothing depends on who runs it.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "cfgtest.h"
#include "sockswitchd.h"

static char rt[PATH_MAX + 8], home[PATH_MAX + 8];

/* XDG_RUNTIME_DIR=DIR/rt and HOME=DIR/home, both made. */
static void path_setup(void)
{
	cfgtest_setup();
	snprintf(rt, sizeof(rt), "%s/rt", cfgtest_dir);
	snprintf(home, sizeof(home), "%s/home", cfgtest_dir);
	cr_assert_eq(mkdir(rt, 0700), 0);
	cr_assert_eq(mkdir(home, 0700), 0);
	setenv("XDG_RUNTIME_DIR", rt, 1);
	setenv("HOME", home, 1);
}

TestSuite(path, .init = path_setup, .fini = cfgtest_teardown);

/* Expand @in; Return: the result, in a static buffer. */
static const char *expand(const char *in)
{
	static char out[PATH_MAX];
	char err[PATH_MAX + 128];
	int rc;

	rc = path_expand(in, out, sizeof(out), err, sizeof(err));
	cr_assert_eq(rc, 0, "`%s': %s", in, err);
	return out;
}

/* @in expands to @base followed by @rest. */
static void expect(const char *in, const char *base, const char *rest)
{
	char want[2 * PATH_MAX];

	snprintf(want, sizeof(want), "%s%s", base, rest);
	cr_assert_str_eq(expand(in), want, "`%s'", in);
}

Test(path, runtime_dir_in_every_spelling)
{
	expect("%t/sockswitch/lab.sock", rt, "/sockswitch/lab.sock");
	expect("$XDG_RUNTIME_DIR/lab.sock", rt, "/lab.sock");
	expect("${XDG_RUNTIME_DIR}/lab.sock", rt, "/lab.sock");
	expect("/x/%t", "/x/", rt);
}

Test(path, home_in_every_spelling)
{
	expect("~/vm/a.sock", home, "/vm/a.sock");
	expect("~", home, "");
	expect("%h/a.sock", home, "/a.sock");
	expect("$HOME/a.sock", home, "/a.sock");
	expect("${HOME}/a.sock", home, "/a.sock");
}

Test(path, plain_paths_and_other_dollars_are_kept)
{
	expect("/tmp/lab.sock", "", "/tmp/lab.sock");
	expect("rel/a.sock", "", "rel/a.sock");
	expect("/tmp/$USER/a~b", "", "/tmp/$USER/a~b");
	expect("/tmp/$HOMEDIR/x", "", "/tmp/$HOMEDIR/x");
	expect("/tmp/50%%/x", "", "/tmp/50%/x");
}

Test(path, runtime_dir_falls_back_when_unset)
{
	char want[64];

	snprintf(want, sizeof(want), "/tmp/sockswitch-%u/a.sock",
		 (unsigned)getuid());
	unsetenv("XDG_RUNTIME_DIR");
	cr_assert_str_eq(expand("%t/a.sock"), want);
	cr_assert_str_eq(expand("$XDG_RUNTIME_DIR/a.sock"), want);
	setenv("XDG_RUNTIME_DIR", "/nonexistent/run", 1);
	cr_assert_str_eq(expand("%t/a.sock"), want,
			 "a runtime dir that is not there is not used");
}

/* Arrays, not pointers: Criterion copies the parameters to the test. */
struct bad_path {
	char in[32];
	char want[64];
};

ParameterizedTestParameters(path, bad_paths_are_refused)
{
	static struct bad_path bad[] = {
		{ "/tmp/%x.sock", "unknown %x; use %t (runtime dir), %h" },
		{ "/tmp/100%", "unknown %" },
		{ "~root/a.sock", "~user is not supported" },
	};

	return cr_make_param_array(struct bad_path, bad,
				   sizeof(bad) / sizeof(bad[0]));
}

ParameterizedTest(struct bad_path *b, path, bad_paths_are_refused)
{
	char out[PATH_MAX], err[PATH_MAX + 128];

	cr_assert_eq(path_expand(b->in, out, sizeof(out), err, sizeof(err)),
		     -EINVAL, "`%s'", b->in);
	cr_assert_not_null(strstr(err, b->want), "`%s': `%s'", b->in, err);
	cr_assert_not_null(strstr(err, b->in), "quotes the path: `%s'", err);
}

Test(path, expansion_that_does_not_fit_is_refused)
{
	char out[16], err[256];

	cr_assert_eq(path_expand("%t/a-rather-long-name.sock", out, sizeof(out),
				 err, sizeof(err)),
		     -ENAMETOOLONG);
}

/* Every path a config names is expanded as it is loaded. */
Test(path, config_paths_are_expanded)
{
	struct swd_config c;
	char err[1024], want[2 * PATH_MAX];

	config_init(&c);
	cfgtest_write(
		"{\"listen\": [\"unix:%t/s/a.sock\", \"unixgram:~/g.sock\","
		" \"vde:$XDG_RUNTIME_DIR/v\"],"
		" \"control\": \"%t/s/control.sock\","
		" \"pidfile\": \"%h/sw.pid\","
		" \"connect\": [\"unix:%t/guest1.sock\"],"
		" \"uplinks\": [\"passt:%t/passt.sock\"]}");
	cr_assert_eq(config_load(&c, cfgtest_file, err, sizeof(err)), 0, "%s",
		     err);
	snprintf(want, sizeof(want), "%s/s/a.sock", rt);
	cr_assert_str_eq(c.listen[0].addr.path, want);
	cr_assert_str_eq(c.listen[0].url, "unix:%t/s/a.sock",
			 "the URL stays as written, for messages and reload");
	snprintf(want, sizeof(want), "%s/g.sock", home);
	cr_assert_str_eq(c.listen[1].addr.path, want);
	snprintf(want, sizeof(want), "%s/v", rt);
	cr_assert_str_eq(c.listen[2].addr.path, want);
	snprintf(want, sizeof(want), "%s/s/control.sock", rt);
	cr_assert_str_eq(c.control.path, want);
	snprintf(want, sizeof(want), "%s/sw.pid", home);
	cr_assert_str_eq(c.pidfile, want);
	cr_assert_eq(c.nuplinks, 2);
	snprintf(want, sizeof(want), "%s/guest1.sock", rt);
	cr_assert_str_eq(c.uplinks[0].addr.path, want);
	snprintf(want, sizeof(want), "%s/passt.sock", rt);
	cr_assert_str_eq(c.uplinks[1].arg, want);
	config_fini(&c);
}

Test(path, bad_expansion_in_a_config_has_its_position)
{
	struct swd_config c;
	char err[1024], want[PATH_MAX + 64];

	config_init(&c);
	cfgtest_write("{\"pidfile\": \"%q/sw.pid\"}");
	cr_assert_lt(config_load(&c, cfgtest_file, err, sizeof(err)), 0);
	snprintf(want, sizeof(want),
		 "%s:1:13: $.pidfile: `%%q/sw.pid': unknown %%q", cfgtest_file);
	cr_assert_eq(strncmp(err, want, strlen(want)), 0, "%s", err);
	config_fini(&c);
}

Test(path, missing_parents_are_made_0700)
{
	char sock[PATH_MAX + 32], dir[PATH_MAX + 32];
	struct stat st;

	snprintf(sock, sizeof(sock), "%s/a/b/c.sock", rt);
	cr_assert_eq(path_make_parents(sock), 2, "made a and a/b");
	snprintf(dir, sizeof(dir), "%s/a/b", rt);
	cr_assert_eq(stat(dir, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700);
	cr_assert_eq(path_make_parents(sock), 0, "nothing left to make");
	snprintf(dir, sizeof(dir), "%s/file", rt);
	fclose(fopen(dir, "w"));
	snprintf(sock, sizeof(sock), "%s/file/c.sock", rt);
	cr_assert_eq(path_make_parents(sock), -ENOTDIR);
}

/* What --check-config warns about: each directory a socket or file needs
 * that is not there. */
static void count_missing(void *opaque, const char *dir, const char *what,
			  int rc)
{
	unsigned *n = opaque;

	cr_assert_eq(rc, 1, "%s for %s", dir, what);
	(*n)++;
}

Test(path, missing_dirs_are_reported)
{
	struct swd_config c;
	unsigned n = 0;
	char err[1024];

	config_init(&c);
	cfgtest_write(
		"{\"listen\": [\"unix:%t/new/a.sock\", \"unix:%t/b.sock\","
		" \"tcp:127.0.0.1:0\"], \"pidfile\": \"%h/no/pid\"}");
	cr_assert_eq(config_load(&c, cfgtest_file, err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(config_missing_dirs(&c, count_missing, &n), 2);
	cr_assert_eq(n, 2);
	config_fini(&c);
}
