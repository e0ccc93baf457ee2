/* SPDX-License-Identifier: MIT */
/*
 * ssctl.h - a control socket client for integration tests
 *
 * Connects to a daemon's control socket, runs commands and collects
 * events (docs/control.md). Events that arrive while a reply is awaited
 * are kept in order for ss_ctl_event().
 */
#ifndef SOCKSWITCH_SSCTL_H
#define SOCKSWITCH_SSCTL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/**
 * struct ss_ctl - one control connection
 * @fd:		connected socket (nonblocking)
 * @buf:	bytes read, not yet split into lines
 * @len:	bytes in @buf
 * @cap:	size of @buf
 * @events:	events received while waiting for replies (array)
 * @hello:	the greeting line
 * @eof:	the daemon closed the connection
 */
struct ss_ctl {
	int fd;
	char *buf;
	size_t len;
	size_t cap;
	json_t *events;
	json_t *hello;
	bool eof;
};

struct ss_ctl *ss_ctl_connect(const char *path, int rcvbuf);
void ss_ctl_close(struct ss_ctl *c);
int ss_ctl_send_line(struct ss_ctl *c, const char *line);
json_t *ss_ctl_read(struct ss_ctl *c, int timeout_ms);
json_t *ss_ctl_cmd(struct ss_ctl *c, const char *cmd, json_t *args);
json_t *ss_ctl_event(struct ss_ctl *c, const char *name, int timeout_ms);
json_t *ss_ctl_port(json_t *ports, long long id);

#endif /* SOCKSWITCH_SSCTL_H */
