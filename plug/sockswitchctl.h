/* SPDX-License-Identifier: MIT */
/*
 * sockswitchctl.h - shared parts of the control client
 *
 * sockswitchctl.c talks to the daemon's control socket (connection,
 * requests, subcommands); sockswitchctl_show.c turns replies into tables
 * and runs `top'.
 */
#ifndef SOCKSWITCHCTL_H
#define SOCKSWITCHCTL_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

/* Exit codes (also in --help). */
#define EXIT_CMD_ERROR 1 /* the daemon answered with an error */
#define EXIT_USAGE 2
#define EXIT_NO_DAEMON 3 /* cannot connect, or the connection broke */

/**
 * struct ctl_conn - one connection to the control socket
 * @path:	socket path
 * @fd:		connected socket
 * @in:		buffered reader on @fd
 * @json:	print JSON instead of tables
 */
struct ctl_conn {
	const char *path;
	int fd;
	FILE *in;
	bool json;
};

json_t *ctl_call(struct ctl_conn *c, const char *cmd, json_t *args);
json_t *ctl_read_line(struct ctl_conn *c);
void ctl_die_conn(const struct ctl_conn *c, const char *what);

void show_status(const json_t *r);
void show_ports(const json_t *r);
void show_impair(const json_t *r);
void show_vlan(const json_t *r);
void show_macs(const json_t *r);
void show_event(const json_t *ev);
void show_json(const json_t *v);
int run_top(struct ctl_conn *c, double interval, long count);

#endif /* SOCKSWITCHCTL_H */
