/* SPDX-License-Identifier: MIT */
/*
 * control.h - the control socket, metrics and packet capture
 */
#ifndef SWD_CONTROL_H
#define SWD_CONTROL_H

#include <stdbool.h>
#include <stdio.h>

#include "sockswitchd.h"

/* control.c, control_cmds.c - the control socket (docs/control.md)
 *
 * Extension point: any module adds commands with ctl_register() at start-up
 * (before or after ctl_open(); the registry is created on first use), with
 * a static table of struct ctl_cmd. A handler gets the request's
 * "arguments" object and returns the "return" value (a new jansson
 * reference), or NULL after ctl_fail(). Events go to every subscribed
 * client with ctl_emit(). jansson types appear only in the control files
 * and in modules that add commands.
 */

struct json_t;
struct ctl_client;

#define CTL_ERR_GENERIC "GenericError"
#define CTL_ERR_NOT_FOUND "CommandNotFound"
#define CTL_ERR_NO_PORT "DeviceNotFound"

/**
 * struct ctl_req - one command being run
 * @d:		the daemon
 * @client:	the connection it came on
 * @args:	its "arguments" object (an empty object if none was given)
 * @err_class:	set by ctl_fail(): QMP-style error class
 * @err:	set by ctl_fail(): human-readable description
 */
struct ctl_req {
	struct swd *d;
	struct ctl_client *client;
	struct json_t *args;
	const char *err_class;
	char err[512];
};

/**
 * struct ctl_cmd - one control command
 * @name:	what "execute" names ("query-ports")
 * @fn:		handler: the "return" value (new reference), or NULL after
 *		ctl_fail(). Context: runs in the control client's callback;
 *		must not block; may close ports (swd_port_close defers).
 * @help:	one line for query-commands
 */
struct ctl_cmd {
	const char *name;
	struct json_t *(*fn)(struct ctl_req *r);
	const char *help;
};

int ctl_register(struct swd *d, const struct ctl_cmd *cmds, size_t n);
int ctl_open(struct swd *d, const struct swd_config *c);
int ctl_reload_register(struct swd *d);
void ctl_close(struct swd *d);
void ctl_fini(struct swd *d);
const char *ctl_path(const struct swd *d);
struct json_t *ctl_fail(struct ctl_req *r, const char *cls, const char *fmt,
			...) __attribute__((format(printf, 3, 4)));
void ctl_emit(struct swd *d, const char *event, struct json_t *data);
bool ctl_has_subscribers(const struct swd *d);
void ctl_subscribe(struct ctl_client *c);
struct json_t *ctl_stats_json(const struct swd *d);
struct json_t *ctl_commands_json(const struct swd *d);
struct json_t *ctl_port_json(const struct swd *d, const struct port *p);
int ctl_cmds_register(struct swd *d);

/* metrics.c */

int metrics_init(struct swd *d);
void metrics_stop(struct swd *d);
void metrics_print(const struct swd *d, FILE *out);

/* capture.c */

#define CAPTURE_MAX 8
#define CAPTURE_SNAPLEN_DEFAULT 262144
#define CAPTURE_BUFFER_DEFAULT (1024 * 1024)

/**
 * struct capture_spec - what to capture, where, and how much
 * @target:	port id, port name, or "all" (every frame as received)
 * @path:	file or FIFO to write the pcap stream to
 * @filter:	BPF expression (tcpdump syntax), or NULL
 * @max_bytes:	stop after this many bytes written (0 = no limit)
 * @max_frames:	stop after this many frames written (0 = no limit)
 * @snaplen:	bytes kept of each frame
 * @buffer:	bytes of memory buffered for a slow reader
 */
struct capture_spec {
	const char *target;
	const char *path;
	const char *filter;
	uint64_t max_bytes;
	uint64_t max_frames;
	uint32_t snaplen;
	size_t buffer;
};

/**
 * struct capture_info - one capture's state, for listings
 * @id:		capture number
 * @port:	port id, or 0 for all ports
 * @port_name:	port name, or "all"
 * @path:	where it writes
 * @filter:	BPF expression or ""
 * @frames:	frames written
 * @bytes:	bytes written (file header included)
 * @dropped:	frames dropped because the buffer was full
 * @filtered:	frames the filter rejected
 * @buffered:	bytes waiting for the reader
 * @buffer:	size of its ring buffer
 * @stalled:	the buffer filled up: frames are counted in @dropped,
 *		not looked at, until the reader takes half of it
 * @max_bytes:	limit, 0 = none
 * @max_frames:	limit, 0 = none
 * @snaplen:	bytes kept of each frame
 */
struct capture_info {
	unsigned id;
	uint32_t port;
	const char *port_name;
	const char *path;
	const char *filter;
	uint64_t frames;
	uint64_t bytes;
	uint64_t dropped;
	uint64_t filtered;
	size_t buffered;
	size_t buffer;
	bool stalled;
	uint64_t max_bytes;
	uint64_t max_frames;
	uint32_t snaplen;
};

void capture_spec_default(struct capture_spec *s);
int capture_spec_parse(char *text, struct capture_spec *s, char *err,
		       size_t errlen);
int capture_init(struct swd *d);
void capture_fini(struct swd *d);
int capture_start(struct swd *d, const struct capture_spec *s, char *err,
		  size_t errlen);
int capture_stop(struct swd *d, unsigned id, const char *target, char *err,
		 size_t errlen);
bool capture_get(const struct swd *d, unsigned slot, struct capture_info *out);
size_t capture_buffers(const struct swd *d);

/* capture_ctl.c */

int capture_ctl_register(struct swd *d);

/* uplink_cmds.c */

int uplink_cmds_register(struct swd *d);

#endif /* SWD_CONTROL_H */
