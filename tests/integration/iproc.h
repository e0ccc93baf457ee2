/* SPDX-License-Identifier: MIT */
/*
 * iproc.h - run the real command-line tools tests check against
 *
 * curl, promtool and tcpdump read what the daemon produced; each runs as
 * a child with a deadline, its output in a file, and is killed by its own
 * pid if it overstays.
 */
#ifndef SOCKSWITCH_IPROC_H
#define SOCKSWITCH_IPROC_H

#include <stdbool.h>
#include <sys/types.h>

#include "ssclient.h"

bool iproc_have(const char *prog);
pid_t iproc_spawn(const char *const *argv, const char *in_path,
		  const char *out_path);
int iproc_wait(pid_t pid, int timeout_ms);
int iproc_run(const char *const *argv, const char *in_path,
	      const char *out_path, int timeout_ms);
char *iproc_read(const char *path);
bool iproc_daemon_line(const struct ss_daemon *d, const char *prefix,
		       char *line, size_t len);

#endif /* SOCKSWITCH_IPROC_H */
