// SPDX-License-Identifier: MIT
/*
 * replay_main.c - run a fuzz corpus through a harness without libFuzzer
 *
 * Copyright (c) 2026 The sockswitch authors
 *
 * The default (gcc) build links each harness with this main() so ctest
 * replays every checked-in input as a regression test (libgit2's
 * standalone driver). Arguments are files or folders; a folder's regular
 * files are run in name order. An empty corpus is an error, so a test
 * pointed at the wrong folder cannot pass by doing nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#define INPUT_MAX (1 << 20) /* libFuzzer's default -max_len is far less */

static int run_file(const char *path)
{
	uint8_t *buf, *nb;
	size_t n;
	FILE *f;

	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	buf = malloc(INPUT_MAX);
	if (!buf) {
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, INPUT_MAX, f);
	fclose(f);
	/* Shrink to exactly the file's size, so ASan sees reads past it. */
	nb = realloc(buf, n ? n : 1);
	if (nb)
		buf = nb;
	fprintf(stderr, "%s (%zu bytes)\n", path, n);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir, unsigned *ran)
{
	char **names = NULL, **nn, path[4096];
	size_t count = 0, i;
	struct dirent *de;
	struct stat st;
	int ret = 0;
	DIR *d;

	d = opendir(dir);
	if (!d) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		nn = realloc(names, (count + 1) * sizeof(*names));
		if (!nn || !(nn[count] = strdup(de->d_name))) {
			names = nn ? nn : names;
			ret = -1;
			break;
		}
		names = nn;
		count++;
	}
	closedir(d);
	if (count)
		qsort(names, count, sizeof(*names), cmp_names);
	for (i = 0; i < count; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (ret == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (run_file(path) < 0)
				ret = -1;
			else
				(*ran)++;
		}
		free(names[i]);
	}
	free(names);
	return ret;
}

int main(int argc, char **argv)
{
	unsigned ran = 0;
	struct stat st;
	int i, ret = 0;

	for (i = 1; i < argc && ret == 0; i++) {
		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			ret = -1;
		} else if (S_ISDIR(st.st_mode)) {
			ret = run_dir(argv[i], &ran);
		} else if (run_file(argv[i]) == 0) {
			ran++;
		} else {
			ret = -1;
		}
	}
	if (ret == 0 && ran == 0) {
		fprintf(stderr, "no inputs run (usage: %s FILE|DIR...)\n",
			argv[0]);
		return 1;
	}
	fprintf(stderr, "%u inputs ran without a crash\n", ran);
	return ret == 0 ? 0 : 1;
}
