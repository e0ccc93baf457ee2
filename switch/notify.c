// SPDX-License-Identifier: MIT
/*
 * notify.c - tell a supervisor that the switch is ready
 *
 * Under systemd (Type=notify) $NOTIFY_SOCKET names a unix datagram socket
 * (a path, or an abstract name written with a leading '@'); one datagram
 * "READY=1" says the listeners are up. Other supervisors pass a pipe with
 * --ready-fd N and get the line "READY=1\n" on it, then end of file. The
 * datagram protocol is small and stable, so no libsystemd is needed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sockswitchd.h"

static void notify_send(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;
	int fd;

	if (!path || (path[0] != '/' && path[0] != '@') || strlen(path) < 2 ||
	    strlen(path) >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, strlen(path));
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
			  strlen(path));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa,
		   len) < 0)
		log_warn("cannot notify the service manager at %s", path);
	close(fd);
}

/**
 * notify_ready() - the switch is up: tell systemd and the --ready-fd
 * @ready_fd:	descriptor from --ready-fd, or -1
 * @status:	one line for systemctl status
 */
void notify_ready(int ready_fd, const char *status)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s\nMAINPID=%ld", status,
		 (long)getpid());
	notify_send(msg);
	if (ready_fd >= 0) {
		ssize_t r;

		do
			r = write(ready_fd, "READY=1\n", 8);
		while (r < 0 && errno == EINTR);
		if (r != 8)
			log_warn("cannot write to --ready-fd %d", ready_fd);
		close(ready_fd);
	}
}

/**
 * notify_status() - a state change for systemd ("RELOADING=1", "STOPPING=1")
 * @state:	the assignment(s) to send
 */
void notify_status(const char *state)
{
	notify_send(state);
}
