/* SPDX-License-Identifier: MIT */
/*
 * ssclient.h - test client and daemon launcher for integration tests
 *
 * A datagram client (udp:, unixgram:) sends and receives one raw frame
 * per datagram, as QEMU's -netdev dgram and socket,udp= do.
 * A pipe client is a process (vde_plug, sockswitch-plug -) whose stdin and
 * stdout carry framed frames; it is sent to and received from like a
 * stream client.
 * A stream client speaks the 4-byte big-endian length framing of QEMU's
 * -netdev stream/socket (protocols.md sections 1, 2 and 10) over unix or
 * TCP sockets, and can also write raw bytes to build malformed streams. The
 * daemon helper starts the real sockswitch binary in a fresh temporary
 * directory, waits for its `ready' line and learns its listener URLs.
 *
 * Objects are heap-allocated and registered, so ss_cleanup() (called from a
 * Criterion fini hook) can kill every daemon and free every client even
 * when a failed assertion left the test function early.
 */
#ifndef SOCKSWITCH_SSCLIENT_H
#define SOCKSWITCH_SSCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#define SS_MAC_LEN 6
#define SS_ETH_HLEN 14
#define SS_HDR_LEN 4
/* QEMU's NET_BUFSIZE: the largest frame any stream peer will take. */
#define SS_FRAME_LIMIT 69632
/* Default timeout for things that are expected to happen. */
#define SS_TIMEOUT_MS 5000
#define SS_MAX_LISTEN 8
#define SS_URL_LEN 256

/* Test payload layout: ethertype, then a 32-bit sequence number, then a
 * pattern derived from the sequence number and the offset. */
#define SS_ETHERTYPE_TEST 0x88b5 /* IEEE local experimental */

/**
 * struct ss_client - one stream connection to the switch
 * @fd:		connected socket (nonblocking, close-on-exec)
 * @url:	where it is connected
 * @buf:	receive buffer: bytes read but not yet handed out
 * @len:	bytes in @buf
 * @off:	start of the unconsumed bytes in @buf
 * @cap:	size of @buf
 * @eof:	the switch closed the connection (or reset it)
 * @dgram:	a datagram client (udp: or unixgram:): one frame per
 *		datagram, sent with sendto() to @peer
 * @peer:	datagram: the switch's address
 * @peerlen:	its length
 * @bound:	unixgram: the path this client bound (removed at close)
 * @pid:	pipe client: the process whose stdin/stdout carry frames
 *		(killed at close), or 0
 * @wfd:	pipe client: its stdin (@fd is its stdout)
 * @hdr:	length prefix bytes: 4 (QEMU stream framing), or 2 for a
 *		pipe client speaking vde_plug's framing
 */
struct ss_client {
	int fd;
	char url[SS_URL_LEN];
	uint8_t *buf;
	size_t len;
	size_t off;
	size_t cap;
	bool eof;
	bool dgram;
	struct sockaddr_storage peer;
	socklen_t peerlen;
	char bound[108];
	pid_t pid;
	int wfd;
	unsigned int hdr;
};

/**
 * struct ss_daemon - one sockswitch process under test
 * @pid:	its pid, or -1 once reaped
 * @status:	wait status after it exited
 * @ready:	it printed its `ready' line
 * @dir:	private temporary directory (logs, unix sockets)
 * @out_path:	file holding its stdout
 * @err_path:	file holding its stderr
 * @url:	listener URLs from its `listening on' lines, real ports
 * @nurl:	how many
 * @ctl_path:	control socket from its `control socket' line, or ""
 */
struct ss_daemon {
	pid_t pid;
	int status;
	bool ready;
	char dir[256];
	char out_path[300];
	char err_path[300];
	char url[SS_MAX_LISTEN][SS_URL_LEN];
	size_t nurl;
	char ctl_path[300];
};

/* Clients */
struct ss_client *ss_client_connect(const char *url, int rcvbuf);
struct ss_client *ss_dgram_open(const char *url, const char *local_path,
				int rcvbuf);
struct ss_client *ss_pipe_spawn(const char *const *argv, unsigned int hdr,
				const char *err_path);
void ss_client_close(struct ss_client *c);
void ss_client_abort(struct ss_client *c);
int ss_send_raw(struct ss_client *c, const void *buf, size_t len);
int ss_send_len(struct ss_client *c, uint32_t len);
int ss_send_frame(struct ss_client *c, const void *frame, size_t len);
int ss_recv_frame(struct ss_client *c, const uint8_t **frame, size_t *len,
		  int timeout_ms);
int ss_wait_eof(struct ss_client *c, int timeout_ms);
size_t ss_drain(struct ss_client *c);
int ss_local_port(const struct ss_client *c);

/* Frames */
void ss_mac(uint8_t mac[SS_MAC_LEN], unsigned int n);
size_t ss_frame_build(uint8_t *buf, size_t len, const uint8_t *dst,
		      const uint8_t *src, uint32_t seq);
bool ss_frame_check(const uint8_t *frame, size_t len, const uint8_t *dst,
		    const uint8_t *src, uint32_t seq);
int64_t ss_frame_seq(const uint8_t *frame, size_t len);

/* Daemon */
extern int ss_daemon_nofile;
extern bool ss_daemon_auto_control;
const char *ss_daemon_bin(void);
struct ss_daemon *ss_daemon_start(const char *const *args, int timeout_ms);
int ss_daemon_stop(struct ss_daemon *d, int timeout_ms);
int ss_daemon_wait_exit(struct ss_daemon *d, int timeout_ms);
const char *ss_daemon_url(const struct ss_daemon *d, const char *prefix);
char *ss_daemon_log(const struct ss_daemon *d);
int ss_daemon_wait_log(const struct ss_daemon *d, size_t *pos,
		       const char *needle, char *line, size_t linelen,
		       int timeout_ms);
size_t ss_daemon_log_end(const struct ss_daemon *d);
int ss_daemon_stat(struct ss_daemon *d, int port, const char *key,
		   long long *val, int timeout_ms);
int ss_log_port(const char *line);
bool ss_log_value(const char *line, const char *key, long long *val);

const char *ss_tmpdir(void);
void ss_daemon_cleanup_all(void);
void ss_cleanup(void);
int64_t ss_now_ms(void);

#endif /* SOCKSWITCH_SSCLIENT_H */
