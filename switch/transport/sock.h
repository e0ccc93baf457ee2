/* SPDX-License-Identifier: MIT */
/*
 * sock.h - socket helpers shared by listeners, the control socket and
 * the metrics endpoint: binding unix paths and TCP/UDP addresses, removing
 * socket files only while they are still ours, the accept back-off, who
 * owns a local TCP peer, and recvmmsg() headers for datagram slots
 */
#ifndef SWD_SOCK_H
#define SWD_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "config/config.h"

struct ev_loop;
struct sockaddr_storage;
struct ev_io;
struct ev_timer;

/**
 * struct sock_file - a unix socket file we bound, removed only while ours
 * @created:	we created it (unix_bind_path() got that far)
 * @dev:	its device, to not remove a successor's socket
 * @ino:	its inode
 * @locked:	we hold PATH.lock (unix_path_check())
 * @lock_fd:	the lock file, flock()ed, while @locked
 */
struct sock_file {
	bool created;
	dev_t dev;
	ino_t ino;
	bool locked;
	int lock_fd;
};

int unix_path_check(const char *path, int type, struct sock_file *f);
int unix_bind_path(int fd, const char *path, int mode, gid_t group,
		   struct sock_file *f);
void unix_unlink_ours(const char *path, struct sock_file *f);
int unix_stream_bind(const char *path, int mode, gid_t group,
		     struct sock_file *f, int *fdp);
int inet_bind(struct listen_addr *a, int type, const char *url);
void accept_failed(struct ev_loop *loop, struct ev_io *io,
		   struct ev_timer *backoff, const char *url);
int listen_start(struct ev_loop *loop, struct ev_io *io, int fd,
		 const char *url);
void accept_backoff_init(struct ev_timer *backoff, struct ev_io *io);
void qemu_escape(const char *s, char *out, size_t len);
int unix_connect_owned(int fd, const char *path, uid_t uid, bool any_owner,
		       uid_t *owner);
bool inet_addr_is_local(const struct sockaddr_storage *ss);
int tcp_peer_uid(const struct sockaddr_storage *local,
		 const struct sockaddr_storage *peer, uid_t *uid);
void dgram_slots_init(struct mmsghdr *mm, struct iovec *iov, void *names,
		      socklen_t namelen, uint8_t *buf, size_t slot, unsigned n);

/**
 * union dgram_ovfl_cmsg - room for one SO_RXQ_OVFL control message
 * @buf:	the message
 * @align:	its alignment
 */
union dgram_ovfl_cmsg {
	char buf[CMSG_SPACE(sizeof(uint32_t))];
	struct cmsghdr align;
};

void dgram_ovfl_init(struct mmsghdr *mm, union dgram_ovfl_cmsg *c, unsigned n);
void dgram_ovfl_read(struct msghdr *h, uint32_t *count);

/**
 * struct dgram_rx - a datagram socket's receive headers, for
 *		     dgram_recv_batch()
 * @mm:		recvmmsg() headers
 * @iov:	one iovec per header
 * @names:	source addresses, one per header
 * @namelen:	size of one
 * @cm:		SO_RXQ_OVFL control buffers, one per header
 */
struct dgram_rx {
	struct mmsghdr *mm;
	struct iovec *iov;
	void *names;
	socklen_t namelen;
	union dgram_ovfl_cmsg *cm;
};

struct swd;
int dgram_recv_batch(struct swd *d, int fd, const struct dgram_rx *rx,
		     size_t slot, unsigned want, unsigned *asked, uint8_t **buf,
		     uint32_t *overruns);

#endif /* SWD_SOCK_H */
