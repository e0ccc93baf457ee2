/* SPDX-License-Identifier: MIT */
/*
 * transport.h - listeners and the transports behind them
 */
#ifndef SWD_TRANSPORT_H
#define SWD_TRANSPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "sockswitchd.h"

/* transport/stream.c */

int listener_open(struct swd *d, const struct listen_cfg *lc);
void listener_close_all(struct swd *d);
void listener_print_all(const struct swd *d, FILE *out);
int unix_path_check(const char *path, int type);
int inet_bind(struct listen_addr *a, int type, const char *url);
int unix_bind_path(int fd, const char *path, int mode, gid_t group,
		   bool *created, dev_t *dev, ino_t *ino);
void qemu_escape(const char *s, char *out, size_t len);
void listener_log_stats(const struct swd *d);
struct ev_io;
struct ev_timer;
void accept_failed(struct ev_loop *loop, struct ev_io *io,
		   struct ev_timer *backoff, const char *url);
void accept_backoff_init(struct ev_timer *backoff, struct ev_io *io);

struct listener *listener_find(struct swd *d, const struct listen_addr *want);
void listener_close(struct swd *d, struct listener *l);
const struct listener *listener_next(const struct swd *d,
				     const struct listener *l);
const char *listener_url(const struct listener *l);

/* transport/vde.c */

struct vde_listener;

int vde_listener_open(struct swd *d, const struct listen_cfg *lc, int mode,
		      struct vde_listener **out);
void vde_listener_free(struct vde_listener *vl);
void vde_listener_print(const struct vde_listener *vl, FILE *out);
void vde_listener_log_stats(const struct vde_listener *vl, const char *prefix);

/* transport/dgram.c */

int dgram_listener_open(struct swd *d, const struct listen_cfg *lc);
void dgram_listener_close_all(struct swd *d);
void dgram_listener_print_all(const struct swd *d, FILE *out);
bool dgram_listener_close(struct swd *d, const struct listen_addr *want);
const char *dgram_listener_url_at(const struct swd *d, size_t i);
void dgram_listener_set_idle(struct swd *d, uint32_t idle_s);

/* transport/slirp.c: port forwards of a running slirp uplink, for the
 * control socket (hostfwd-add / hostfwd-remove). @rule is QEMU's syntax:
 * add [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT (empty GUESTADDR:
 * the first DHCP address), remove [tcp|udp]:[HOSTADDR]:HOSTPORT. Return 0,
 * or -EINVAL (bad rule, not a slirp uplink or not up), -EADDRINUSE (host
 * port cannot be bound), -ENOENT (no such forward), -ENOMEM; the message
 * is in @err. Forwards added are kept if the uplink restarts. */

bool slirp_uplink_is(const struct port *p);
int slirp_uplink_hostfwd_add(struct port *p, const char *rule, char *err,
			     size_t errlen);
int slirp_uplink_hostfwd_remove(struct port *p, const char *rule, char *err,
				size_t errlen);
const char *slirp_uplink_hostfwd_at(const struct port *p, size_t i);

#endif /* SWD_TRANSPORT_H */
