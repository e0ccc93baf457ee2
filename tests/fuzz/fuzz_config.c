// SPDX-License-Identifier: MIT
/*
 * fuzz_config.c - the config loader and the JSON position finder
 *
 * Copyright (c) 2026 The sockswitch authors
 *
 * config_load() only takes a path, so the input goes into one memfd,
 * reopened through /proc/self/fd/N on every run (no temporary files, no
 * clean-up). A failed load must leave the config as it was and say why;
 * a good one is loaded a second time on top of itself, as SIGHUP would,
 * and must give the same listeners. If the input holds a NUL byte, the
 * part before it is also used as a JSON path and the rest as text for
 * config_locate(), which must cope with any text, valid JSON or not.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sockswitchd.h"

#include "fuzz.h"

static int write_input(const uint8_t *data, size_t size, char *path,
		       size_t plen)
{
	static int fd = -1;
	size_t off = 0;
	ssize_t n;

	if (fd < 0) {
		fd = memfd_create("fuzz_config", MFD_CLOEXEC);
		FUZZ_ASSERT(fd >= 0, "memfd_create: %s", strerror(errno));
	}
	if (ftruncate(fd, 0) < 0)
		return -errno;
	while (off < size) {
		n = pwrite(fd, data + off, size - off, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -errno;
		off += (size_t)n;
	}
	snprintf(path, plen, "/proc/self/fd/%d", fd);
	return 0;
}

static void check_load(const char *path)
{
	struct swd_config c, fresh;
	char err[1024] = "";
	size_t i, n;
	int ret;

	config_init(&c);
	config_init(&fresh);
	ret = config_load(&c, path, err, sizeof(err));
	if (ret < 0) {
		FUZZ_ASSERT(ret == -EINVAL || ret == -ENOMEM || ret == -EFBIG,
			    "config_load: %d", ret);
		FUZZ_ASSERT(!strncmp(err, path, strlen(path)),
			    "message does not name the file: %s", err);
		FUZZ_ASSERT(!memcmp(&c, &fresh, sizeof(c)),
			    "a failed load changed the config");
		return;
	}
	FUZZ_ASSERT(c.path && !strcmp(c.path, path), "path not recorded");
	FUZZ_ASSERT(!c.listen_set || c.nlisten > 0, "listen set but empty");
	n = c.nlisten;
	ret = config_load(&c, path, err, sizeof(err));
	FUZZ_ASSERT(ret == 0, "same file failed the second time: %s", err);
	FUZZ_ASSERT(c.nlisten == n, "reload: %zu listeners, then %zu", n,
		    c.nlisten);
	for (i = 0; i < c.nlisten; i++)
		FUZZ_ASSERT(c.listen[i].url && c.listen[i].url[0],
			    "listener %zu has no URL", i);
	config_fini(&c);
}

static void check_locate(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	unsigned line = 0, col = 0, lines = 1;
	size_t tlen, i;
	char *text;
	int k;

	if (!nul)
		return;
	tlen = size - (size_t)(nul + 1 - data);
	text = malloc(tlen ? tlen : 1); /* exact size, not terminated */
	if (!text)
		return;
	memcpy(text, nul + 1, tlen);
	for (i = 0; i < tlen; i++)
		lines += text[i] == '\n';
	for (k = 0; k < 2; k++) {
		if (config_locate(text, tlen, (const char *)data, k, &line,
				  &col) < 0)
			continue;
		FUZZ_ASSERT(line >= 1 && line <= lines && col >= 1 &&
				    col <= tlen + 1,
			    "line %u col %u in %zu bytes, %u lines", line, col,
			    tlen, lines);
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];

	if (write_input(data, size, path, sizeof(path)) == 0)
		check_load(path);
	check_locate(data, size);
	return 0;
}
