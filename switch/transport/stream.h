/* SPDX-License-Identifier: MIT */
/*
 * stream.h - one stream connection's data path, shared by accepted ports
 * (stream.c) and outbound uplinks (connect.c)
 */
#ifndef SOCKSWITCH_STREAM_H
#define SOCKSWITCH_STREAM_H

#include <ev.h>

#include "sockswitch/stream_rx.h"
#include "transport/transport.h"

struct stream_conn;

/**
 * stream_fail_fn - the connection broke; stop using it
 * @c:		the connection; its watchers are stopped already
 * @reason:	for the log
 *
 * Context: called from @c's own callbacks and flush; must not free @c.
 */
typedef void (*stream_fail_fn)(struct stream_conn *c, const char *reason);

/**
 * struct stream_conn - a connected stream socket speaking QEMU framing
 * @d:		the daemon
 * @port:	the switch port its frames belong to
 * @fd:		connected socket, -1 when stopped
 * @rio:	read watcher
 * @wio:	write watcher, active only while output is pending
 * @rx:		frame reassembly
 * @fail:	what to do when it breaks
 */
struct stream_conn {
	struct swd *d;
	struct port *port;
	int fd;
	ev_io rio;
	ev_io wio;
	struct stream_rx rx;
	stream_fail_fn fail;
};

void stream_conn_start(struct stream_conn *c, struct swd *d, struct port *p,
		       int fd, stream_fail_fn fail);
int stream_conn_flush(struct stream_conn *c);
void stream_conn_stop(struct stream_conn *c);
void stream_conn_pause(struct stream_conn *c, bool pause);

#endif /* SOCKSWITCH_STREAM_H */
