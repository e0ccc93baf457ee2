/* SPDX-License-Identifier: MIT */
/*
 * itest.h - shared helpers for the Criterion integration tests
 *
 * Start a daemon on one transport, attach named stations (a client, its
 * switch port number and its MAC) and check what they receive. Every
 * helper asserts, so a test reads as a list of expectations.
 */
#ifndef SOCKSWITCH_ITEST_H
#define SOCKSWITCH_ITEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ssclient.h"

/* Log fragments we match on (kept here so a wording change is one edit). */
#define LOG_CONNECTED ") connected"
#define LOG_CLOSED "closed"

/* Sequence number of the frame a station sends to its own MAC to make a
 * datagram listener create its port (the switch drops it as rx_local). */
#define ITEST_JOIN_SEQ 9999

/**
 * enum itest_tp - transport a test runs over
 */
enum itest_tp {
	TP_UNIX,
	TP_TCP4,
	TP_TCP6,
};

/**
 * struct itest_sw - a daemon under test and how to reach it
 * @d:		the daemon
 * @tp:		transport of @url
 * @url:	URL clients connect to
 * @pos:	log offset: `connected' lines before it are accounted for
 */
struct itest_sw {
	struct ss_daemon *d;
	enum itest_tp tp;
	const char *url;
	size_t pos;
};

/**
 * struct itest_sta - a station: one client attached to the switch
 * @c:		its connection
 * @port:	switch port number from the `connected' log line
 * @mac:	its MAC address
 * @name:	for messages ("A", "B", ...)
 * @logpos:	log offset just past its `connected' line (port numbers are
 *		reused, so later lines about @port are searched from here)
 */
struct itest_sta {
	struct ss_client *c;
	int port;
	uint8_t mac[SS_MAC_LEN];
	char name[8];
	size_t logpos;
};

extern const uint8_t itest_bcast[SS_MAC_LEN];
extern uint8_t itest_buf[SS_FRAME_LIMIT];

const char *itest_tp_name(enum itest_tp tp);
bool itest_have_ipv6(void);
void itest_skip_unavailable(enum itest_tp tp);
const char *itest_listen_url(enum itest_tp tp);
void itest_start(struct itest_sw *sw, enum itest_tp tp,
		 const char *const *extra);
void itest_start_argv(struct itest_sw *sw, enum itest_tp tp,
		      const char *const *args);
void itest_wait_connected(struct itest_sw *sw, struct itest_sta *s,
			  const char *peer, const char *url);
void itest_join(struct itest_sw *sw, struct itest_sta *sta, size_t n);
void itest_start_learned(struct itest_sw *sw, enum itest_tp tp,
			 const char *const *extra, struct itest_sta *sta,
			 size_t n);
void itest_join_one(struct itest_sw *sw, struct itest_sta *s, const char *url,
		    const char *name, unsigned int macn, int rcvbuf);
void itest_join_dgram(struct itest_sw *sw, struct itest_sta *s, const char *url,
		      const char *local, const char *name, unsigned int macn);
void itest_join_pipe(struct itest_sw *sw, struct itest_sta *s,
		     const char *const *argv, unsigned int hdr,
		     const char *peer, const char *name, unsigned int macn);
void itest_send(struct itest_sta *from, const uint8_t *dst, uint32_t seq,
		size_t len);
void itest_expect(struct itest_sta *to, const uint8_t *dst,
		  const struct itest_sta *from, uint32_t seq, size_t len);
void itest_unicast(struct itest_sta *from, struct itest_sta *to, uint32_t seq,
		   size_t len);
void itest_flood(struct itest_sta *sta, size_t n, size_t from, uint32_t seq,
		 size_t len);
void itest_expect_seq(struct itest_sta *to, uint32_t seq);
void itest_skip_to_seq(struct itest_sta *to, uint32_t seq);
void itest_expect_quiet(struct itest_sta *sta, size_t n, int timeout_ms);
void itest_learn_all(struct itest_sta *sta, size_t n, uint32_t seq0);
void itest_ping(struct itest_sta *a, struct itest_sta *b, uint32_t seq);
void itest_wait_closed_log(struct itest_sw *sw, const struct itest_sta *s,
			   char *line, size_t linelen);
void itest_expect_closed(struct itest_sw *sw, struct itest_sta *s, char *line,
			 size_t linelen);
long long itest_stat(struct itest_sw *sw, int port, const char *key);
void itest_dump_log(const struct ss_daemon *d);
uint16_t itest_free_tcp_port(void);
bool itest_tcp_listening(uint16_t port);
void itest_stop(struct itest_sw *sw);

#endif /* SOCKSWITCH_ITEST_H */
