// SPDX-License-Identifier: MIT
/*
 * sock.c - socket helpers: unix paths, TCP/UDP binds, the accept back-off
 *
 * Every socket the daemon listens on goes through here: stream, datagram
 * and VDE listeners, the control socket and the metrics endpoint. A unix
 * path is locked and probed before it is bound (a stale file from a dead
 * switch is replaced, a live switch's socket is not), bound never more open than
 * 0600 before its chmod, and removed at close only if the file there is
 * still the one we bound. A missing directory above it is made, mode 0700,
 * as the default socket directory is (path_make_parents()). For a TCP
 * peer on this host, tcp_peer_uid() asks the kernel (sock_diag) which
 * user owns the other end.
 */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <ev.h>

#include "sockswitchd.h"
#include "transport/sock.h"

#define ACCEPT_BACKOFF_S 1.0
#define SOCK_DIAG_TIMEOUT_US 100000 /* bound on one sock_diag answer */
#define SOCK_LOCK_SUFFIX ".lock"
#define SOCK_LOCK_TRIES 8 /* lock files replaced under us before giving up */

/**
 * accept_failed() - handle accept4() failing with errno
 * @loop:	the loop
 * @io:		the listener's accept watcher
 * @backoff:	its restart timer
 * @url:	the listener, for the log
 *
 * Out of descriptors or memory: stop accepting for ACCEPT_BACKOFF_S
 * instead of spinning. Other errors than "nothing to accept" are logged.
 */
void accept_failed(struct ev_loop *loop, ev_io *io, ev_timer *backoff,
		   const char *url)
{
	if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
	    errno == ENOMEM) {
		log_warn("%s: cannot accept, pausing for %.0f s", url,
			 ACCEPT_BACKOFF_S);
		ev_io_stop(loop, io);
		ev_timer_set(backoff, ACCEPT_BACKOFF_S, 0);
		ev_timer_start(loop, backoff);
	} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		   errno != ECONNABORTED) {
		log_warn("%s: accept", url);
	}
}

/**
 * accept_backoff_cb() - the pause is over: accept again
 * @loop:	the loop
 * @w:		the restart timer; its data is the accept watcher
 * @revents:	unused
 */
static void accept_backoff_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	ev_io_start(loop, w->data);
}

/**
 * accept_backoff_init() - set up the timer accept_failed() arms
 * @backoff:	the listener's restart timer
 * @io:		its accept watcher, started again when @backoff fires
 */
void accept_backoff_init(ev_timer *backoff, ev_io *io)
{
	ev_init(backoff, accept_backoff_cb);
	backoff->data = io;
}

/* Is a live socket at @path? Removes it if it is a stale one. */
static int path_probe(const char *path, int type)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		log_error("%s exists and is not a socket; not replacing it",
			  path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	strcpy(sa.sun_path, path);
	rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (rc == 0 || errno == EAGAIN || errno == EINPROGRESS ||
	    errno == EPROTOTYPE) {
		close(fd);
		log_error(
			"another switch is already listening on %s; stop it or choose another path with --listen",
			path);
		return -EADDRINUSE;
	}
	rc = errno;
	close(fd);
	if (rc != ECONNREFUSED && rc != ENOENT) {
		errno = rc;
		log_warn("cannot probe existing socket %s", path);
		return -rc;
	}
	log_info("replacing stale socket %s (no switch behind it)", path);
	if (unlink(path) < 0 && errno != ENOENT) {
		log_warn("cannot remove stale socket %s", path);
		return -errno;
	}
	return 0;
}

static int lock_path(const char *path, char *out, size_t len)
{
	int n = snprintf(out, len, "%s" SOCK_LOCK_SUFFIX, path);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/*
 * Take PATH.lock with flock(). A holder removes the file before it lets
 * go, so a lock taken on a file that is no longer the one at the path
 * (removed, or removed and made again, between our open() and flock())
 * is worthless: try again with the new file.
 */
static int sock_lock(const char *path, struct sock_file *f)
{
	char lp[PATH_MAX];
	struct stat fst, pst;
	int fd, tries, rc;

	rc = lock_path(path, lp, sizeof(lp));
	if (rc < 0)
		return rc;
	for (tries = 0; tries < SOCK_LOCK_TRIES; tries++) {
		fd = open(lp, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
			  0600);
		if (fd < 0) {
			rc = -errno;
			log_warn("cannot open the lock file %s", lp);
			return rc;
		}
		if (fstat(fd, &fst) < 0 || !S_ISREG(fst.st_mode) ||
		    fst.st_uid != geteuid()) {
			close(fd);
			log_error(
				"%s is not a lock file of this user; remove it or choose another path",
				lp);
			return -EPERM;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			rc = errno == EWOULDBLOCK ? -EADDRINUSE : -errno;
			close(fd);
			if (rc == -EADDRINUSE)
				log_error(
					"another switch is already starting or running on %s (it holds %s); stop it or choose another path",
					path, lp);
			else
				log_warn("cannot lock %s", lp);
			return rc;
		}
		if (stat(lp, &pst) == 0 && pst.st_dev == fst.st_dev &&
		    pst.st_ino == fst.st_ino) {
			f->lock_fd = fd;
			f->locked = true;
			return 0;
		}
		close(fd);
	}
	log_error("the lock file %s keeps being replaced; not using %s", lp,
		  path);
	return -EAGAIN;
}

/* Remove PATH.lock while still holding it, then let go (see sock_lock()). */
static void sock_unlock(const char *path, struct sock_file *f)
{
	char lp[PATH_MAX];

	if (!f->locked)
		return;
	if (lock_path(path, lp, sizeof(lp)) == 0)
		unlink(lp);
	close(f->lock_fd);
	f->locked = false;
}

/**
 * unix_path_check() - may we bind @path? Removes a stale socket file.
 * @path:	socket path
 * @type:	SOCK_STREAM or SOCK_DGRAM: how to probe for a live owner
 * @f:		takes the lock on @path (PATH.lock, flock()) that makes
 *		"stale, so remove it and bind" atomic between two switches;
 *		held until unix_unlink_ours(), released here on failure
 *
 * Missing directories above @path are made first, mode 0700.
 *
 * Return: 0 if @path is free now, negative error code (logged) if another
 *	   switch holds the lock, or a live socket or a non-socket file is
 *	   there
 */
int unix_path_check(const char *path, int type, struct sock_file *f)
{
	int rc = path_make_parents(path); /* the lock file goes there too */

	if (rc < 0) {
		log_warn("cannot create the directory for %s", path);
		return rc;
	}
	if (rc > 0)
		log_info("created the directory for %s (mode 0700)", path);
	rc = sock_lock(path, f);
	if (rc < 0)
		return rc;
	rc = path_probe(path, type);
	if (rc < 0)
		sock_unlock(path, f);
	return rc;
}

/**
 * listen_start() - listen() on a bound stream socket and start accepting
 * @loop:	the loop
 * @io:		the listener's accept watcher (callback set)
 * @fd:		the bound socket
 * @url:	the listener, for the message
 *
 * Return: 0, or a negative error code (logged)
 */
int listen_start(struct ev_loop *loop, struct ev_io *io, int fd,
		 const char *url)
{
	if (listen(fd, SOMAXCONN) < 0) {
		int err = errno;

		log_warn("cannot listen on %s", url);
		return -err;
	}
	ev_io_set(io, fd, EV_READ);
	ev_io_start(loop, io);
	return 0;
}

/**
 * unix_stream_bind() - a non-blocking unix stream socket bound at @path,
 *			not listening yet (unix:, vhost-user: listeners)
 * @path:	socket path: checked free first (unix_path_check())
 * @mode:	file permissions
 * @group:	file group, or CONFIG_GID_UNSET
 * @f:		see unix_bind_path(); give it to unix_unlink_ours() on close
 * @fdp:	set to the socket as soon as it exists (close it on failure)
 *
 * Return: 0, or a negative error code
 */
int unix_stream_bind(const char *path, int mode, gid_t group,
		     struct sock_file *f, int *fdp)
{
	int rc = unix_path_check(path, SOCK_STREAM, f);

	if (rc < 0)
		return rc;
	*fdp = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (*fdp < 0)
		return -errno;
	return unix_bind_path(*fdp, path, mode, group, f);
}

/**
 * unix_bind_path() - bind @fd to @path with the listener's mode and group
 * @fd:		unix socket, not bound yet
 * @path:	socket path (free: see unix_path_check()); missing
 *		directories above it are made, mode 0700
 * @mode:	file permissions
 * @group:	file group, or CONFIG_GID_UNSET
 * @f:		filled once the file exists: give it to unix_unlink_ours()
 *		on close, even after a failure here
 *
 * Return: 0 on success, negative error code (logged) on failure
 */
int unix_bind_path(int fd, const char *path, int mode, gid_t group,
		   struct sock_file *f)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	rc = path_make_parents(path);
	if (rc < 0) {
		log_warn("cannot create the directory for %s", path);
		return rc;
	}
	if (rc > 0)
		log_info("created the directory for %s (mode 0700)", path);
	old = umask(0177); /* never more open than 0600 before the chmod */
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0) {
		log_warn("cannot bind %s", path);
		return -errno;
	}
	f->created = true;
	if (stat(path, &st) == 0) {
		f->dev = st.st_dev;
		f->ino = st.st_ino;
	}
	if (chmod(path, (mode_t)mode) < 0) {
		log_warn("cannot chmod %s to %04o", path, mode);
		return -errno;
	}
	if (group != CONFIG_GID_UNSET && chown(path, (uid_t)-1, group) < 0) {
		log_warn("cannot give %s to group %u", path, (unsigned)group);
		return -errno;
	}
	return 0;
}

/**
 * unix_unlink_ours() - remove a socket file we bound, unless it was replaced
 * @path:	the socket path
 * @f:		what unix_path_check() and unix_bind_path() recorded;
 *		cleared, and the lock on @path released
 *
 * Another process may have removed our file and bound a socket of its own
 * at @path (a second switch after a stale check, say): the device and inode
 * tell them apart, and only ours is removed.
 */
void unix_unlink_ours(const char *path, struct sock_file *f)
{
	struct stat st;

	if (f->created && stat(path, &st) == 0 && st.st_dev == f->dev &&
	    st.st_ino == f->ino)
		unlink(path);
	f->created = false;
	sock_unlock(path, f);
}

/**
 * inet_bind() - resolve @a and bind a new nonblocking socket to it
 * @a:		host and port; a port 0 is replaced by the one bound
 * @type:	SOCK_STREAM (gets SO_REUSEADDR) or SOCK_DGRAM
 * @url:	for messages
 *
 * Return: the socket, or a negative error code (logged)
 */
int inet_bind(struct listen_addr *a, int type, const char *url)
{
	struct addrinfo hints = { .ai_socktype = type,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct sockaddr_storage ss;
	socklen_t slen = sizeof(ss);
	struct addrinfo *ai = NULL;
	char port[8];
	int one = 1, rc, fd;

	snprintf(port, sizeof(port), "%u", a->port);
	rc = getaddrinfo(a->host, port, &hints, &ai);
	if (rc != 0) {
		log_error("%s: cannot resolve `%s': %s", url, a->host,
			  gai_strerror(rc));
		return -EINVAL;
	}
	fd = socket(ai->ai_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		rc = -errno;
		log_warn(
			"cannot bind %s%s", url,
			errno == EADDRINUSE
				? " (another switch running? pick another port with --listen)"
				: "");
		close(fd);
		goto out;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &slen) == 0)
		a->port =
			ntohs(ss.ss_family == AF_INET6
				      ? ((struct sockaddr_in6 *)&ss)->sin6_port
				      : ((struct sockaddr_in *)&ss)->sin_port);
	rc = fd;
out:
	freeaddrinfo(ai);
	return rc;
}

/**
 * qemu_escape() - QEMU's option parser takes ",," for a literal comma
 * @s:		value
 * @out:	escaped copy
 * @len:	size of @out
 */
void qemu_escape(const char *s, char *out, size_t len)
{
	size_t o = 0;

	for (; *s && o + 2 < len; s++) {
		out[o++] = *s;
		if (*s == ',')
			out[o++] = ',';
	}
	out[o] = '\0';
}

/**
 * unix_connect_owned() - connect to the unix socket at @path, only if the
 *			  socket found there belongs to @uid
 * @fd:		an unconnected AF_UNIX socket
 * @path:	the peer's socket path (not abstract)
 * @uid:	who must own the socket file
 * @any_owner:	skip the owner check (a root client may name any socket)
 * @owner:	set to the owner found, for messages (may be NULL)
 *
 * connect() by path follows symlinks and resolves the path again, so a
 * peer that swaps its path (or a directory in it) for a symlink after a
 * check could make the switch send to somebody else's socket. Here the
 * path is opened once, without following a last symlink (O_PATH |
 * O_NOFOLLOW); the inode it names is checked (a socket, owned by @uid)
 * and connected to through /proc/self/fd, so what is checked is what is
 * connected.
 *
 * Return: 0 on success, -ENOTSOCK (not a socket: a symlink or other
 * file), -EPERM (owned by another user), or a negative error code from
 * open() or connect()
 */
int unix_connect_owned(int fd, const char *path, uid_t uid, bool any_owner,
		       uid_t *owner)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int pfd, rc = 0;

	pfd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	if (fstat(pfd, &st) < 0) {
		rc = -errno;
		close(pfd);
		return rc;
	}
	if (owner)
		*owner = st.st_uid;
	if (!S_ISSOCK(st.st_mode))
		rc = -ENOTSOCK;
	else if (!any_owner && st.st_uid != uid)
		rc = -EPERM;
	if (rc == 0) {
		snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d",
			 pfd);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			rc = -errno;
	}
	close(pfd);
	return rc;
}

/**
 * inet_addr_bytes() - the address in @ss, IPv4 for a v4-mapped IPv6 one
 * @ss:		AF_INET or AF_INET6 address
 * @addr:	on return, 4 or 16 bytes of address
 *
 * Return: AF_INET or AF_INET6 (the family of @addr), or -EAFNOSUPPORT
 */
static int inet_addr_bytes(const struct sockaddr_storage *ss,
			   const uint8_t **addr)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET) {
		*addr = (const uint8_t *)&((const struct sockaddr_in *)ss)
				->sin_addr;
		return AF_INET;
	}
	if (ss->ss_family != AF_INET6)
		return -EAFNOSUPPORT;
	if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		*addr = s6->sin6_addr.s6_addr + 12;
		return AF_INET;
	}
	*addr = s6->sin6_addr.s6_addr;
	return AF_INET6;
}

/**
 * inet_addr_is_local() - is @ss an address of this host?
 * @ss:		a peer's address (AF_INET or AF_INET6)
 *
 * Loopback (127.0.0.0/8, ::1, and both v4-mapped) is local; so is any
 * address assigned to an interface here (getifaddrs()). If the interfaces
 * cannot be listed, the answer is true: the caller then asks for the
 * peer's owner, and refuses if it is not found (fail closed).
 *
 * Return: true if a process on this host may own the other end
 */
bool inet_addr_is_local(const struct sockaddr_storage *ss)
{
	struct ifaddrs *ifa, *i;
	const uint8_t *a, *b;
	bool local = false;
	int fam;

	fam = inet_addr_bytes(ss, &a);
	if (fam == AF_INET && a[0] == 127)
		return true;
	if (fam == AF_INET6 && IN6_IS_ADDR_LOOPBACK((const struct in6_addr *)a))
		return true;
	if (fam < 0)
		return false;
	if (getifaddrs(&ifa) < 0)
		return true;
	for (i = ifa; i && !local; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != fam)
			continue;
		inet_addr_bytes(
			(const struct sockaddr_storage *)(void *)i->ifa_addr,
			&b);
		local = !memcmp(a, b, fam == AF_INET ? 4 : 16);
	}
	freeifaddrs(ifa);
	return local;
}

/**
 * diag_reply() - read the uid from sock_diag's answer to one exact lookup
 * @buf:	the datagram received
 * @len:	its length
 * @req:	the request (the answer must be about its 4-tuple)
 * @uid:	on success, the owner
 *
 * A listening socket (the kernel's lookup falls back to listeners), a
 * TIME_WAIT entry (its uid reads as 0) or an orphan (inode 0: closed by
 * its process) is no answer: the other end has no live owner.
 *
 * Return: 0 on success, -ENOENT if the kernel knows no such socket,
 * -ENOTCONN for a socket without a live owner, -EPROTO for a garbled
 * answer, other negative error code from the kernel
 */
static int diag_reply(const uint8_t *buf, size_t len,
		      const struct inet_diag_req_v2 *req, uid_t *uid)
{
	const struct nlmsghdr *h = (const struct nlmsghdr *)(const void *)buf;
	const struct inet_diag_msg *m;
	const struct nlmsgerr *e;

	for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
		if (h->nlmsg_type == NLMSG_ERROR) {
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				return -EPROTO;
			e = NLMSG_DATA(h);
			return e->error < 0 ? e->error : -EPROTO;
		}
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
		    h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
			continue;
		m = NLMSG_DATA(h);
		/* the family may differ: a v4-mapped IPv6 socket is found
		 * in the IPv4 table, an IPv4 one by a v4-mapped request */
		if (m->id.idiag_sport != req->id.idiag_sport ||
		    m->id.idiag_dport != req->id.idiag_dport)
			return -EPROTO;
		if (m->idiag_state == TCP_LISTEN ||
		    m->idiag_state == TCP_TIME_WAIT ||
		    m->idiag_state == TCP_CLOSE || !m->idiag_inode)
			return -ENOTCONN;
		*uid = (uid_t)m->idiag_uid;
		return 0;
	}
	return -EPROTO;
}

/**
 * diag_lookup() - ask sock_diag who owns the TCP socket at one 4-tuple
 * @req:	the lookup (family, addresses, ports filled in)
 * @uid:	on success, the owner
 *
 * One request and one answer on a fresh NETLINK_SOCK_DIAG socket,
 * connected to the kernel (no other process can answer for it), with a
 * receive timeout of SOCK_DIAG_TIMEOUT_US so a caller in the event loop
 * is never held long.
 *
 * Return: 0 on success, negative error code on failure (see diag_reply();
 * -EAGAIN on timeout)
 */
static int diag_lookup(struct inet_diag_req_v2 *req, uid_t *uid)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_usec = SOCK_DIAG_TIMEOUT_US };
	struct nlmsghdr nlh = {
		.nlmsg_len = NLMSG_LENGTH(sizeof(*req)),
		.nlmsg_type = SOCK_DIAG_BY_FAMILY,
		.nlmsg_flags = NLM_F_REQUEST,
		.nlmsg_seq = 1,
	};
	struct iovec iov[2] = { { &nlh, sizeof(nlh) }, { req, sizeof(*req) } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	uint8_t buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	ssize_t r;
	int fd, rc;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&kernel, sizeof(kernel)) < 0 ||
	    sendmsg(fd, &mh, 0) < 0) {
		rc = -errno;
		goto out;
	}
	do
		r = recv(fd, buf, sizeof(buf), 0);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		rc = errno == EWOULDBLOCK ? -EAGAIN : -errno;
	else
		rc = diag_reply(buf, (size_t)r, req, uid);
out:
	close(fd);
	return rc;
}

/**
 * tcp_peer_uid() - which local user owns the other end of a TCP connection
 * @local:	our end (getsockname() of the accepted socket)
 * @peer:	the other end (from accept()); must be on this host
 * @uid:	on success, the uid that created the peer's socket
 *
 * The peer's socket is found by its exact 4-tuple: its source is @peer,
 * its destination @local. For v4-mapped IPv6 addresses the kernel looks
 * in the IPv4 table, where an IPv4 client of a dual-stack listener is.
 *
 * Return: 0 on success, negative error code on failure: -ENOENT (no
 * such socket here), -ENOTCONN (the peer closed it), -EAGAIN (no answer
 * in time), -EAFNOSUPPORT, or what the netlink socket gave
 */
int tcp_peer_uid(const struct sockaddr_storage *local,
		 const struct sockaddr_storage *peer, uid_t *uid)
{
	const struct sockaddr_in6 *p6 = (const struct sockaddr_in6 *)peer,
				  *l6 = (const struct sockaddr_in6 *)local;
	const struct sockaddr_in *p4 = (const struct sockaddr_in *)peer,
				 *l4 = (const struct sockaddr_in *)local;
	struct inet_diag_req_v2 req = {
		.sdiag_family = (uint8_t)peer->ss_family,
		.sdiag_protocol = IPPROTO_TCP,
		.idiag_states = ~0U,
		.id.idiag_cookie = { INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE },
	};

	if (peer->ss_family != local->ss_family)
		return -EAFNOSUPPORT;
	if (peer->ss_family == AF_INET) {
		memcpy(req.id.idiag_src, &p4->sin_addr, 4);
		memcpy(req.id.idiag_dst, &l4->sin_addr, 4);
		req.id.idiag_sport = p4->sin_port;
		req.id.idiag_dport = l4->sin_port;
	} else if (peer->ss_family == AF_INET6) {
		memcpy(req.id.idiag_src, &p6->sin6_addr, 16);
		memcpy(req.id.idiag_dst, &l6->sin6_addr, 16);
		req.id.idiag_sport = p6->sin6_port;
		req.id.idiag_dport = l6->sin6_port;
		req.id.idiag_if = p6->sin6_scope_id;
	} else {
		return -EAFNOSUPPORT;
	}
	return diag_lookup(&req, uid);
}

/**
 * dgram_slots_init() - recvmmsg() headers for datagram slots in the arena
 * @mm:		@n headers, zeroed and filled in
 * @iov:	@n iovecs, one per slot
 * @names:	@n source-address buffers of @namelen bytes, back to back
 * @namelen:	size of each
 * @buf:	the slots, back to back (swd_rx_slots())
 * @slot:	bytes per slot
 * @n:		how many
 */
void dgram_slots_init(struct mmsghdr *mm, struct iovec *iov, void *names,
		      socklen_t namelen, uint8_t *buf, size_t slot, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		struct msghdr *h = &mm[i].msg_hdr;

		iov[i].iov_base = buf + i * slot;
		iov[i].iov_len = slot;
		memset(h, 0, sizeof(*h));
		h->msg_name = (char *)names + (size_t)i * namelen;
		h->msg_namelen = namelen;
		h->msg_iov = &iov[i];
		h->msg_iovlen = 1;
	}
}

/**
 * dgram_ovfl_init() - give @n recvmmsg() headers room for SO_RXQ_OVFL
 * @mm:		the headers (after dgram_slots_init())
 * @c:		@n control buffers
 * @n:		how many
 */
void dgram_ovfl_init(struct mmsghdr *mm, union dgram_ovfl_cmsg *c, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		mm[i].msg_hdr.msg_control = c[i].buf;
		mm[i].msg_hdr.msg_controllen = sizeof(c[i].buf);
	}
}

/**
 * dgram_recv_batch() - one recvmmsg() into the arena, datagram i in the
 *			slot at *@buf + i * @slot, with the socket's count
 *			of datagrams the kernel dropped (SO_RXQ_OVFL)
 * @d:		the daemon (its arena: swd_rx_slots())
 * @fd:		the socket
 * @rx:		its receive headers, at least @want of each
 * @slot:	bytes per slot (a datagram is never cut: max_frame or more)
 * @want:	slots wanted
 * @asked:	set to the slots given to recvmmsg()
 * @buf:	set to the first slot
 * @overruns:	updated from the last datagram's SO_RXQ_OVFL
 *
 * The caller hands the datagrams on, packs them and swd_rx_commit()s
 * what it keeps. EINTR is retried.
 *
 * Return: datagrams read, or -errno (-EAGAIN: none)
 */
int dgram_recv_batch(struct swd *d, int fd, const struct dgram_rx *rx,
		     size_t slot, unsigned want, unsigned *asked, uint8_t **buf,
		     uint32_t *overruns)
{
	int r;

	*buf = swd_rx_slots(d, slot, want, asked);
	dgram_slots_init(rx->mm, rx->iov, rx->names, rx->namelen, *buf, slot,
			 *asked);
	dgram_ovfl_init(rx->mm, rx->cm, *asked);
	do
		r = recvmmsg(fd, rx->mm, *asked, MSG_DONTWAIT | MSG_TRUNC,
			     NULL);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r > 0)
		dgram_ovfl_read(&rx->mm[r - 1].msg_hdr, overruns);
	return r;
}

/**
 * dgram_ovfl_read() - the socket's drop count as of datagram @h
 * @h:		a received datagram's header
 * @count:	set to the kernel's count of datagrams dropped on the full
 *		receive queue, if @h carries it (only once it is nonzero)
 */
void dgram_ovfl_read(struct msghdr *h, uint32_t *count)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c))
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SO_RXQ_OVFL &&
		    c->cmsg_len >= CMSG_LEN(sizeof(uint32_t)))
			memcpy(count, CMSG_DATA(c), sizeof(uint32_t));
}
