/* SPDX-License-Identifier: MIT */
/*
 * plug.h - sockswitch-plug: one switch port joined to a peer
 *
 * Two endpoints, the SWITCH side and the PEER side, each of one kind:
 * a byte stream with a length prefix (unix/tcp sockets, stdin/stdout), a
 * datagram socket (unixgram/udp, one frame per datagram) or a libvdeplug
 * connection. Frames read on one side are queued, bounded, on the other.
 */
#ifndef SOCKSWITCH_PLUG_H
#define SOCKSWITCH_PLUG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <libvdeplug.h>

/* Ethernet header: frames shorter than this are dropped. */
#define PLUG_ETH_HLEN 14
/* Default and hard limits of a frame. 69632 is QEMU's NET_BUFSIZE. */
#define PLUG_MAX_FRAME_DEFAULT 65550
#define PLUG_MAX_FRAME_LIMIT 69632
/* What libvdeplug peers and vde_plug's stream framing take. */
#define PLUG_VDE_FRAME_MAX 9234
/* Largest UDP payload over IPv4. */
#define PLUG_UDP_FRAME_MAX 65507
/* Transmit queue bound per side (wire bytes). */
#define PLUG_TXQ_BYTES (1024 * 1024)

/**
 * enum plug_level - log levels, most severe first
 */
enum plug_level {
	PLUG_ERR,
	PLUG_WARN,
	PLUG_INFO,
	PLUG_DEBUG,
};

void plug_log(enum plug_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * enum ep_kind - how an endpoint carries frames
 * @EP_STREAM:	byte stream, each frame after a 4- or 2-byte BE length
 * @EP_DGRAM:	datagram socket, one frame per datagram
 * @EP_VDE:	a libvdeplug connection (vde_open)
 */
enum ep_kind {
	EP_STREAM,
	EP_DGRAM,
	EP_VDE,
};

/**
 * enum ep_addr - what the endpoint URL names
 */
enum ep_addr {
	EP_ADDR_UNIX,
	EP_ADDR_TCP,
	EP_ADDR_UNIXGRAM,
	EP_ADDR_UDP,
	EP_ADDR_VDE,
	EP_ADDR_STDIO,
};

/**
 * struct ep_stats - counters of one endpoint
 * @rx_frames:		frames read from this side
 * @rx_bytes:		their bytes
 * @tx_frames:		frames written to this side
 * @tx_bytes:		their bytes
 * @drop_rx_runt:	read frames shorter than 14 bytes
 * @drop_rx_oversize:	read frames longer than the limit (or truncated)
 * @drop_rx_ignored:	vde_recv() results that were not frames, datagrams
 *			from foreign addresses
 * @drop_tx_full:	frames for this side dropped: its queue was full
 * @drop_tx_oversize:	frames for this side longer than it accepts
 * @drop_tx_error:	frames for this side the kernel refused
 * @drop_tx_down:	frames for this side while it was not connected
 * @connects:		successful (re)connections
 */
struct ep_stats {
	uint64_t rx_frames;
	uint64_t rx_bytes;
	uint64_t tx_frames;
	uint64_t tx_bytes;
	uint64_t drop_rx_runt;
	uint64_t drop_rx_oversize;
	uint64_t drop_rx_ignored;
	uint64_t drop_tx_full;
	uint64_t drop_tx_oversize;
	uint64_t drop_tx_error;
	uint64_t drop_tx_down;
	uint64_t connects;
};

/**
 * struct ep - one side of the plug
 * @role:	"switch" or "peer", for messages
 * @url:	as given on the command line
 * @addr:	what @url names
 * @kind:	how frames are carried
 * @target:	parsed address: path, host, or libvdeplug URL
 * @port:	service (tcp/udp)
 * @descr:	description given to vde_open()
 * @open:	connected now
 * @rfd:	fd to read (for EP_VDE: vde_datafd())
 * @wfd:	fd to write (== @rfd except for stdin/stdout)
 * @ctlfd:	vde_ctlfd(), or -1; EOF there means the switch went away
 * @vde:	libvdeplug connection
 * @hdr:	stream length prefix: 4 (QEMU) or 2 (vde_plug)
 * @rx_max:	longest frame accepted from this side
 * @tx_max:	longest frame this side is sent
 * @rbuf:	stream receive buffer (and datagram scratch)
 * @rlen:	bytes in @rbuf
 * @rcap:	size of @rbuf
 * @skip:	bytes of an oversize frame still to discard
 * @q:		transmit queue: stream wire bytes, or for datagram/VDE
 *		records of a 4-byte host-order length and the frame
 * @qoff:	first unsent byte in @q
 * @qlen:	end of queued bytes in @q
 * @qcap:	size of @q
 * @qsent:	bytes of the record at @qoff already written (stream)
 * @dst:	datagram destination
 * @dstlen:	its length
 * @own_path:	unixgram: our bound socket path, removed on close
 * @st:		counters
 */
struct ep {
	const char *role;
	const char *url;
	enum ep_addr addr;
	enum ep_kind kind;
	char target[256];
	char port[16];
	const char *descr;
	bool open;
	int rfd;
	int wfd;
	int ctlfd;
	VDECONN *vde;
	unsigned int hdr;
	size_t rx_max;
	size_t tx_max;
	uint8_t *rbuf;
	size_t rlen;
	size_t rcap;
	size_t skip;
	uint8_t *q;
	size_t qoff;
	size_t qlen;
	size_t qcap;
	size_t qsent;
	struct sockaddr_storage dst;
	socklen_t dstlen;
	char own_path[108];
	struct ep_stats st;
};

/* ep.c */
int ep_init(struct ep *e, const char *role, const char *url, bool is_switch,
	    unsigned int hdr, size_t max_frame, const char *descr, char *err,
	    size_t errlen);
void ep_fini(struct ep *e);
int ep_open(struct ep *e);
void ep_close(struct ep *e);
bool ep_can_reopen(const struct ep *e);
int ep_input(struct ep *e, struct ep *out);
int ep_ctl_input(struct ep *e);
void ep_send(struct ep *e, const uint8_t *frame, size_t len);
int ep_flush(struct ep *e);
bool ep_pending(const struct ep *e);
void ep_log_stats(const struct ep *e, enum plug_level lvl);

#endif /* SOCKSWITCH_PLUG_H */
