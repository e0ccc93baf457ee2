/* SPDX-License-Identifier: MIT */
/*
 * control_int.h - private to control.c and control_client.c
 *
 * The control socket's objects, shared by the listening side and command
 * registry (control.c) and the per-client I/O (control_client.c).
 */
#ifndef SOCKSWITCH_CONTROL_INT_H
#define SOCKSWITCH_CONTROL_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/un.h>

#include <ev.h>

#include "control/control.h"
#include "transport/sock.h"

#define CTL_LINE_MAX (64 * 1024)
#define CTL_OUT_PAUSE (256 * 1024)
#define CTL_OUT_MAX (4 * 1024 * 1024)
#define CTL_CLIENTS_MAX 64
#define CTL_READ_CHUNK 4096
#define CTL_PROTOCOL 1

/**
 * struct ctl_cmdset - one registered table of commands
 * @cmds:	the table (static, not copied)
 * @n:		entries
 * @next:	next table
 */
struct ctl_cmdset {
	const struct ctl_cmd *cmds;
	size_t n;
	struct ctl_cmdset *next;
};

/**
 * struct ctl_client - one control connection
 * @ctl:	owner
 * @next:	next live client
 * @id:		number for the log
 * @fd:		connected socket
 * @rio:	read watcher (stopped while paused)
 * @wio:	write watcher, active while output is pending
 * @in:		input bytes not yet consumed (CTL_LINE_MAX + 1 bytes)
 * @in_len:	bytes in @in
 * @out:	output not yet written
 * @out_len:	bytes in @out
 * @out_off:	bytes of @out already written
 * @out_cap:	size of @out
 * @subscribed:	gets events
 * @active_ms:	when it connected or last sent bytes (monotonic)
 * @dead:	closed, off the list, waiting for the deferred pass
 * @defer:	its place in the daemon's deferred list
 */
struct ctl_client {
	struct ctl *ctl;
	struct ctl_client *next;
	unsigned id;
	int fd;
	ev_io rio;
	ev_io wio;
	char *in;
	size_t in_len;
	char *out;
	size_t out_len;
	size_t out_off;
	size_t out_cap;
	bool subscribed;
	uint64_t active_ms;
	bool dead;
	struct swd_deferred defer;
};

/**
 * struct ctl_stats - control socket counters (query-status)
 * @accepted:	connections accepted
 * @refused:	connections refused: CTL_CLIENTS_MAX reached, every client
 *		a subscriber
 * @evicted:	idle clients closed to make room for a new one
 * @commands:	requests run
 * @errors:	requests answered with an error
 * @long_lines:	clients disconnected for a line above CTL_LINE_MAX
 * @slow:	subscribers disconnected for not reading their events
 * @events:	events emitted
 */
struct ctl_stats {
	uint64_t accepted;
	uint64_t refused;
	uint64_t evicted;
	uint64_t commands;
	uint64_t errors;
	uint64_t long_lines;
	uint64_t slow;
	uint64_t events;
};

/**
 * struct ctl - the control socket and command registry
 * @d:		the daemon
 * @fd:		listening socket, or -1 (registry only)
 * @io:		accept watcher
 * @backoff:	restarts @io after running out of descriptors
 * @path:	socket path
 * @file:	the socket file we created, removed while still ours
 * @sets:	registered command tables
 * @clients:	live clients
 * @nclients:	how many
 * @nsubs:	how many of them subscribed
 * @next_id:	next client number
 * @rl_refuse:	rate limit of the refusal lines
 * @st:		counters
 */
struct ctl {
	struct swd *d;
	int fd;
	ev_io io;
	ev_timer backoff;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct sock_file file;
	struct ctl_cmdset *sets;
	struct ctl_client *clients;
	unsigned nclients;
	unsigned nsubs;
	unsigned next_id;
	struct log_ratelimit rl_refuse;
	struct ctl_stats st;
};

const struct ctl_cmd *ctl_lookup(const struct ctl *c, const char *name);
void ctl_client_new(struct ctl *c, int fd);
void ctl_client_kill(struct ctl_client *cl, const char *why);
bool ctl_client_evict_idle(struct ctl *c);
void ctl_client_free(struct ctl_client *cl);
size_t ctl_client_pending(const struct ctl_client *cl);
bool ctl_client_append(struct ctl_client *cl, const char *s, size_t len);

#endif /* SOCKSWITCH_CONTROL_INT_H */
