/* SPDX-License-Identifier: MIT */
/*
 * ssbench.h - shared declarations of the ssbench load generator
 *
 * ssbench attaches simulated hosts to a switch over the stream protocol
 * (4-byte big-endian length + Ethernet frame, as QEMU -netdev stream and
 * socket send it), through libvdeplug, or as vhost-user frontends, and
 * measures throughput, loss and round-trip latency. ssbench_io.c owns
 * sockets, framing and switch-side probes; ssbench_vde.c and
 * ssbench_vhost.c/ssbench_virtq.c the other two ways to attach;
 * ssbench_test.c the tests; ssbench.c the options and output.
 */
#ifndef SOCKSWITCH_SSBENCH_H
#define SOCKSWITCH_SSBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define BENCH_HDR_LEN 4
#define BENCH_MIN_FRAME 31 /* Ethernet header, magic, flow, seq, check byte */
#define BENCH_MAX_FRAME 65550 /* the switch's default maximum */
#define BENCH_RX_CHUNK (256 * 1024)
#define BENCH_ETHERTYPE 0x88b5 /* IEEE local experimental */
#define BENCH_MAGIC 0x53534231u /* "SSB1" */
#define BENCH_MAX_HOSTS 250
#define BENCH_SEND_BURST 32 /* frames per kick of a vhost-user sender */

/**
 * enum bench_target - what the hosts of a test attach to
 * @BENCH_DIRECT:	nothing: host 2k and 2k+1 share a socketpair
 * @BENCH_SWITCH:	the switch of --unix, --tcp or --vde
 * @BENCH_VHOST:	the vhost-user listener of --vhost
 * @BENCH_NTARGETS:	number of targets
 */
enum bench_target {
	BENCH_DIRECT,
	BENCH_SWITCH,
	BENCH_VHOST,
	BENCH_NTARGETS,
};

/**
 * struct rx_buf - reassembly of length-prefixed frames from a stream
 * @buf:	storage, BENCH_RX_CHUNK plus room for one incomplete frame
 * @cap:	size of @buf
 * @have:	bytes of valid data in @buf
 * @off:	start of the first unparsed byte
 * @bad_len:	a length prefix outside 0..BENCH_MAX_FRAME was seen
 * @chunk:	bytes per read(), 0 for BENCH_RX_CHUNK
 * @vde:	libvdeplug connection (VDECONN *) this host uses instead of a
 *		stream socket, or NULL; rx_buf_fill() then receives one
 *		datagram and stores it with a length prefix, so parsing is the
 *		same for both
 * @vhost:	vhost-user frontend (struct vhost_host *) this host uses
 *		instead, or NULL; rx_buf_fill() then copies the frames of its
 *		RX ring in, each behind a length prefix
 * @calls:	system calls made to fill @buf (read(), poll(), ...)
 */
struct rx_buf {
	uint8_t *buf;
	size_t cap;
	size_t have;
	size_t off;
	bool bad_len;
	size_t chunk;
	void *vde;
	void *vhost;
	uint64_t calls;
};

/**
 * struct bench_frame - fields ssbench puts into the payload of its frames
 * @flow:	pair number (ping-pong uses 0)
 * @seq:	per-flow sequence number, starting at 0
 * @intact:	the last byte matches @seq (frame boundaries were kept)
 */
struct bench_frame {
	uint32_t flow;
	uint64_t seq;
	bool intact;
};

#define BENCH_MAX_LIST 16

/**
 * struct bench_opts - command line options
 * @unix_path:	switch's unix stream socket, or NULL
 * @rx_unix_path: a second switch's unix stream socket: the receiving
 *		hosts (2k+1) attach there, the senders to @unix_path (two
 *		switches joined by a link under test), or NULL
 * @tcp_addr:	switch's HOST:PORT, or NULL
 * @vde_dir:	VDE switch directory (hosts attach through libvdeplug), or NULL
 * @vhost_path:	vhost-user listener's unix socket (hosts attach as vhost-user
 *		frontends), or NULL
 * @rx_vhost_path: with @vhost_path: the receiving hosts (2k+1) attach to
 *		this vhost-user socket instead, or NULL
 * @direct:	also run every test over direct socketpairs (no switch)
 * @pairs:	pair counts to test
 * @npairs:	entries in @pairs
 * @sizes:	frame sizes to test
 * @nsizes:	entries in @sizes
 * @seconds:	duration of each throughput test, 0 = skip them
 * @drain:	receivers wait at most this long for late frames
 * @pingpong:	round trips of the ping-pong test, 0 = skip it
 * @pp_size:	frame size of the ping-pong test
 * @switch_pid:	switch process for CPU time and SIGUSR1 stats, or 0
 * @switch_log:	file the switch's stderr goes to, or NULL
 * @max_frame:	skip throughput tests with larger frames (0: no limit)
 * @count:	frames each sender sends (0: send for @seconds)
 * @idle:	idle ports to attach before the tests and hold until exit
 * @fill_macs:	distinct source MACs to teach the switch before the tests
 * @hold:	seconds to keep idle ports attached after the tests
 * @rx_delay_us: receivers sleep this long after every read (overload)
 * @rx_chunk:	receivers read at most this many bytes per read()
 * @probe:	during each switch throughput test, attach a new client and
 *		time one frame from it to an idle host (attach_ms=)
 */
struct bench_opts {
	const char *unix_path;
	const char *rx_unix_path;
	const char *tcp_addr;
	const char *vde_dir;
	const char *vhost_path;
	const char *rx_vhost_path;
	bool direct;
	unsigned pairs[BENCH_MAX_LIST];
	unsigned npairs;
	unsigned sizes[BENCH_MAX_LIST];
	unsigned nsizes;
	double seconds;
	double drain;
	unsigned pingpong;
	unsigned pp_size;
	pid_t switch_pid;
	const char *switch_log;
	unsigned max_frame;
	unsigned count;
	unsigned idle;
	unsigned fill_macs;
	double hold;
	unsigned rx_delay_us;
	unsigned rx_chunk;
	bool probe;
};

#define BENCH_REASONS_LEN 256

/**
 * struct bench_result - outcome of one test
 * @test:	"tput" or "pingpong"
 * @mode:	"direct" or "switch"
 * @target:	what the hosts attached to
 * @transport:	how: "stream", "vde" or "vhost-user"
 * @pairs:	sender/receiver pairs
 * @size:	frame length in bytes
 * @err:	errno of the first failure, 0 if the test ran cleanly
 * @elapsed:	seconds from start to the last frame received
 * @sent:	frames sent (ping-pong: round trips attempted)
 * @received:	frames received in sequence (ping-pong: round trips done)
 * @writes:	system calls made by the senders (write(), or the kicks and
 *		waits of a vhost-user sender)
 * @rx_calls:	system calls made by the receivers
 * @reordered:	frames that arrived after a later one
 * @bad:	frames delivered to the wrong host or torn
 * @fps:	delivered frames per second (ping-pong: both directions)
 * @mbps:	delivered frame bits per second / 1e6 (length prefix excluded)
 * @writes_per_frame: @writes / @sent
 * @rx_calls_per_frame: @rx_calls / @received
 * @cpu_us:	switch CPU time per delivered frame in microseconds, or -1
 * @sw_drop:	sum of the switch's drop_<reason> counters over all its ports,
 *		or -1 if unknown
 * @sw_reasons:	the non-zero drop counters as reason:N,..., or "none"
 * @attach_ms:	--probe: milliseconds from attaching a new client to its
 *		first frame's arrival, or -1
 * @pp_lost:	ping-pong round trips that timed out
 * @pp_warmup:	untimed ping-pong round trips done before the timed ones
 * @p50:	ping-pong median round trip, microseconds
 * @p99:	ping-pong 99th percentile round trip, microseconds
 */
struct bench_result {
	const char *test;
	const char *mode;
	enum bench_target target;
	const char *transport;
	unsigned pairs;
	size_t size;
	int err;
	double elapsed;
	uint64_t sent;
	uint64_t received;
	uint64_t writes;
	uint64_t rx_calls;
	uint64_t reordered;
	uint64_t bad;
	double fps;
	double mbps;
	double writes_per_frame;
	double rx_calls_per_frame;
	double cpu_us;
	long long sw_drop;
	char sw_reasons[BENCH_REASONS_LEN];
	double attach_ms;
	uint64_t pp_lost;
	uint64_t pp_warmup;
	double p50;
	double p99;
};

/* ssbench_test.c */
void bench_tput(const struct bench_opts *o, enum bench_target t, unsigned pairs,
		size_t size, struct bench_result *r);
void bench_pingpong(const struct bench_opts *o, enum bench_target t,
		    struct bench_result *r);
void sleep_s(double s);

/* ssbench_io.c */
double now_s(void);
void put_be32(uint8_t *p, uint32_t v);
int rx_buf_init(struct rx_buf *r);
void rx_buf_fini(struct rx_buf *r);
void rx_buf_compact(struct rx_buf *r);
ssize_t rx_buf_fill(int fd, struct rx_buf *r);
const uint8_t *rx_buf_next(struct rx_buf *r, size_t *len);
void host_mac(uint8_t mac[6], unsigned idx);
size_t frame_build(uint8_t *out, const uint8_t dst[6], const uint8_t src[6],
		   size_t size, uint32_t flow);
void frame_set_seq(uint8_t *frame, size_t size, uint64_t seq);
bool frame_parse(const uint8_t *frame, size_t len, struct bench_frame *bf);
int write_frame(int fd, const uint8_t *buf, size_t total, uint64_t *writes);
int host_write(int fd, const struct rx_buf *rx, const uint8_t *buf,
	       size_t total, uint64_t *writes);
int host_send(int fd, const struct rx_buf *rx, uint8_t *buf, size_t total,
	      uint64_t seq, unsigned max, uint64_t *writes);
int switch_connect(const char *unix_path, const char *tcp_addr);
int host_attach(const struct bench_opts *o, enum bench_target t, bool rx_side,
		struct rx_buf *rx);
int host_timeouts(int fd, const struct rx_buf *rx, int snd_ms, int rcv_ms);
void host_detach(int fd, struct rx_buf *rx);
size_t arp_build(uint8_t *out, unsigned idx);
int tcp_pair(int sv[2]);
int sock_timeouts(int fd, int snd_ms, int rcv_ms);
int learn_hosts(const int *fds, struct rx_buf *rx, unsigned n, double limit);
double proc_cpu_s(pid_t pid);
long long switch_stats(pid_t pid, const char *log, unsigned nports,
		       char *reasons, size_t rlen);

/* ssbench_vde.c */
bool vde_supported(void);
int vde_attach(const char *dir, void **conn);
void vde_detach(void *conn);
ssize_t vde_fill(void *conn, struct rx_buf *r);
int vde_write_frame(void *conn, const uint8_t *buf, size_t total,
		    uint64_t *writes);

/* ssbench_vhost.c */
int vhost_attach(const char *path, void **conn);
void vhost_detach(void *conn);

/* ssbench_virtq.c */
void vhost_timeouts(void *conn, int snd_ms, int rcv_ms);
ssize_t vhost_fill(void *conn, struct rx_buf *r);
int vhost_write_frame(void *conn, const uint8_t *buf, size_t total,
		      uint64_t *calls);
int vhost_send_burst(void *conn, const uint8_t *frame, size_t len, uint64_t seq,
		     unsigned max, uint64_t *calls);

#endif /* SOCKSWITCH_SSBENCH_H */
