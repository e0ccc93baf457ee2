// SPDX-License-Identifier: MIT
/*
 * test_slirp_limit.c - the slirp uplink's bounds on host sockets
 * (transport/slirp_limit.c), driven the way slirp.c drives it: a guest's
 * frame is admitted or refused, libslirp's register/unregister calls are
 * played by the test, frames from slirp mark connections established.
 */
#include <arpa/inet.h>
#include <string.h>

#include <criterion/criterion.h>

#include "transport/slirp_limit.h"

static struct slirp_limit l;
static uint8_t fr[128];

static void setup(void)
{
	slirp_limit_init(&l, 0x1234);
	l.conn_max = 100;
	l.guest_max = 3;
	l.half_open_max = 2;
	inet_pton(AF_INET, "10.0.2.2", &l.host);
	inet_pton(AF_INET, "10.0.2.3", &l.dns);
	inet_pton(AF_INET6, "fec0::2", &l.host6);
}

static void teardown(void)
{
	slirp_limit_fini(&l);
}

TestSuite(slirp_limit, .init = setup, .fini = teardown);

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Ethernet + IPv4 header from guest @g (MAC 52:54:00:00:00:g, 10.0.2.g)
 * to @dst; returns the offset of the transport header. */
static size_t ip4(uint8_t g, const char *dst, uint8_t proto, size_t l4len)
{
	uint8_t *ip = fr + 14;

	memset(fr, 0, sizeof(fr));
	memcpy(fr, "\x52\x55\x0a\x00\x02\x02", 6);
	memcpy(fr + 6, "\x52\x54\x00\x00\x00", 5);
	fr[11] = g;
	put16(fr + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, (unsigned)(20 + l4len));
	ip[8] = 64;
	ip[9] = proto;
	ip[12] = 10;
	ip[14] = 2;
	ip[15] = g;
	inet_pton(AF_INET, dst, ip + 16);
	return 34;
}

static size_t tcp(uint8_t g, const char *dst, unsigned sport, unsigned dport,
		  uint8_t flags)
{
	size_t o = ip4(g, dst, IPPROTO_TCP, 20);

	put16(fr + o, sport);
	put16(fr + o + 2, dport);
	fr[o + 7] = 100; /* seq 100 */
	fr[o + 12] = 5 << 4;
	fr[o + 13] = flags;
	return o + 20;
}

static size_t udp(uint8_t g, const char *dst, unsigned sport, unsigned dport)
{
	size_t o = ip4(g, dst, IPPROTO_UDP, 8);

	put16(fr + o, sport);
	put16(fr + o + 2, dport);
	put16(fr + o + 4, 8);
	return o + 8;
}

static size_t ping(uint8_t g, const char *dst)
{
	size_t o = ip4(g, dst, IPPROTO_ICMP, 8);

	fr[o] = 8;
	return o + 8;
}

/* Admit, and if admitted play libslirp opening @fd (fd < 0: nothing). */
static int feed(size_t len, int fd)
{
	const char *what;
	int r = slirp_limit_admit(&l, fr, len, &what);

	if (r == SLIRP_ADMIT) {
		slirp_limit_register(&l, fd);
		slirp_limit_input_done(&l);
	}
	return r;
}

/* slirp's SYN+ACK to guest @g for its connection from @sport to @dst */
static void synack(uint8_t g, const char *dst, unsigned sport, unsigned dport)
{
	uint8_t *ip = fr + 14;
	uint8_t a[4];
	size_t len = tcp(g, dst, dport, sport, 0x12);

	memcpy(a, ip + 12, 4);
	memcpy(ip + 12, ip + 16, 4);
	memcpy(ip + 16, a, 4);
	slirp_limit_output(&l, fr, len);
}

Test(slirp_limit, a_guest_gets_its_share_and_no_more)
{
	unsigned i;

	for (i = 0; i < 3; i++) {
		cr_assert_eq(feed(tcp(15, "10.0.2.2", 1000 + i, 80, 0x02),
				  (int)(10 + i)),
			     SLIRP_ADMIT);
		synack(15, "10.0.2.2", 1000 + i, 80);
	}
	cr_expect_eq(l.st.socks, 3);
	cr_expect_eq(l.st.half_open, 0);
	cr_expect_eq(l.st.guests, 1);
	cr_expect_eq(feed(tcp(15, "10.0.2.2", 2000, 80, 0x02), 20),
		     SLIRP_REFUSED_CONN_MAX_GUEST);
	cr_expect_eq(l.st.refused[SLIRP_REFUSED_CONN_MAX_GUEST], 1);
	/* its SYN again for a connection it has opens nothing: let in */
	cr_expect_eq(feed(tcp(15, "10.0.2.2", 1001, 80, 0x02), -1),
		     SLIRP_ADMIT);
	/* segments of open connections always pass */
	cr_expect_eq(feed(tcp(15, "10.0.2.2", 2000, 80, 0x10), -1),
		     SLIRP_ADMIT);
	/* another guest is not held by the first one's share */
	cr_expect_eq(feed(tcp(16, "10.0.2.2", 2000, 80, 0x02), 21),
		     SLIRP_ADMIT);
	cr_expect_eq(l.st.guests, 2);
	/* a socket closed gives the share back */
	slirp_limit_unregister(&l, 11);
	cr_expect_eq(feed(tcp(15, "10.0.2.2", 2000, 80, 0x02), 22),
		     SLIRP_ADMIT);
	cr_expect_eq(l.st.socks, 4);
	cr_expect_eq(l.st.peak, 4);
}

Test(slirp_limit, connects_in_progress_are_bounded_until_answered)
{
	cr_assert_eq(feed(tcp(15, "1.2.3.4", 1000, 80, 0x02), 10), SLIRP_ADMIT);
	cr_assert_eq(feed(tcp(15, "1.2.3.4", 1001, 80, 0x02), 11), SLIRP_ADMIT);
	cr_expect_eq(l.st.half_open, 2);
	cr_expect_eq(feed(tcp(15, "1.2.3.4", 1002, 80, 0x02), 12),
		     SLIRP_REFUSED_HALF_OPEN);
	/* a SYN+ACK of another connection changes nothing */
	synack(15, "1.2.3.4", 999, 80);
	cr_expect_eq(l.st.half_open, 2);
	synack(15, "1.2.3.4", 1000, 80);
	cr_expect_eq(l.st.half_open, 1);
	synack(15, "1.2.3.4", 1000, 80); /* retransmitted */
	cr_expect_eq(l.st.half_open, 1);
	cr_expect_eq(feed(tcp(15, "1.2.3.4", 1002, 80, 0x02), 12), SLIRP_ADMIT);
	/* a connect that fails ends being half-open too */
	slirp_limit_unregister(&l, 11);
	cr_expect_eq(l.st.half_open, 1);
	cr_expect_eq(l.st.socks, 2);
}

Test(slirp_limit, udp_counts_one_socket_per_guest_port)
{
	cr_assert_eq(feed(udp(15, "10.0.2.3", 5000, 53), 10), SLIRP_ADMIT);
	/* the same guest port to elsewhere uses the same socket */
	cr_assert_eq(feed(udp(15, "1.1.1.1", 5000, 53), -1), SLIRP_ADMIT);
	cr_assert_eq(feed(udp(15, "1.1.1.1", 5001, 53), 11), SLIRP_ADMIT);
	cr_assert_eq(feed(udp(15, "1.1.1.1", 5002, 53), 12), SLIRP_ADMIT);
	cr_expect_eq(feed(udp(15, "1.1.1.1", 5003, 53), 13),
		     SLIRP_REFUSED_CONN_MAX_GUEST);
	cr_expect_eq(feed(udp(15, "1.1.1.1", 5000, 53), -1), SLIRP_ADMIT);
	cr_expect_eq(l.st.half_open, 0);
	/* DHCP and TFTP are slirp's own: never refused */
	cr_expect_eq(feed(udp(15, "255.255.255.255", 68, 67), -1), SLIRP_ADMIT);
	cr_expect_eq(feed(udp(15, "10.0.2.2", 68, 67), -1), SLIRP_ADMIT);
	cr_expect_eq(feed(udp(15, "10.0.2.2", 3000, 69), -1), SLIRP_ADMIT);
	/* ... but port 67 elsewhere is an ordinary flow */
	cr_expect_eq(feed(udp(15, "1.1.1.1", 68, 67), -1),
		     SLIRP_REFUSED_CONN_MAX_GUEST);
}

Test(slirp_limit, pings_open_sockets_unless_to_slirp)
{
	cr_assert_eq(feed(ping(15, "1.1.1.1"), 10), SLIRP_ADMIT);
	cr_assert_eq(feed(ping(15, "1.1.1.1"), 11), SLIRP_ADMIT);
	cr_assert_eq(feed(ping(15, "1.1.1.1"), 12), SLIRP_ADMIT);
	cr_expect_eq(feed(ping(15, "1.1.1.1"), 13),
		     SLIRP_REFUSED_CONN_MAX_GUEST);
	cr_expect_eq(feed(ping(15, "10.0.2.2"), -1), SLIRP_ADMIT);
	cr_expect_eq(feed(ping(15, "10.0.2.3"), -1), SLIRP_ADMIT);
}

Test(slirp_limit, fragments_are_held_at_the_bound)
{
	size_t len;

	cr_assert_eq(feed(udp(15, "1.1.1.1", 1, 9), 10), SLIRP_ADMIT);
	cr_assert_eq(feed(udp(15, "1.1.1.1", 2, 9), 11), SLIRP_ADMIT);
	cr_assert_eq(feed(udp(15, "1.1.1.1", 3, 9), 12), SLIRP_ADMIT);
	len = udp(15, "1.1.1.1", 1, 9);
	fr[20] = 0x20; /* more fragments */
	cr_expect_eq(feed(len, -1), SLIRP_REFUSED_CONN_MAX_GUEST);
	len = udp(16, "1.1.1.1", 1, 9);
	fr[21] = 0x10; /* an offset */
	cr_expect_eq(feed(len, 13), SLIRP_ADMIT);
}

Test(slirp_limit, the_total_holds_across_guests_and_forwards)
{
	l.conn_max = 4;
	/* a port forward accepting: nobody's frame, counts toward the total */
	slirp_limit_register(&l, 9);
	cr_expect_eq(l.st.outside, 1);
	cr_assert_eq(feed(udp(15, "1.1.1.1", 1, 9), 10), SLIRP_ADMIT);
	cr_assert_eq(feed(udp(16, "1.1.1.1", 1, 9), 11), SLIRP_ADMIT);
	cr_assert_eq(feed(udp(17, "1.1.1.1", 1, 9), 12), SLIRP_ADMIT);
	cr_expect_eq(feed(udp(18, "1.1.1.1", 1, 9), 13),
		     SLIRP_REFUSED_CONN_MAX);
	cr_expect_eq(feed(tcp(18, "1.1.1.1", 1, 9, 0x02), 13),
		     SLIRP_REFUSED_CONN_MAX);
	cr_expect_eq(l.st.refused[SLIRP_REFUSED_CONN_MAX], 2);
	slirp_limit_unregister(&l, 9);
	cr_expect_eq(l.st.outside, 0);
	cr_expect_eq(feed(udp(18, "1.1.1.1", 1, 9), 13), SLIRP_ADMIT);
	/* unknown descriptors change nothing */
	slirp_limit_unregister(&l, 500);
	slirp_limit_register(&l, -1);
	cr_expect_eq(l.st.socks, 4);
}

Test(slirp_limit, other_frames_pass)
{
	const char *what;

	memset(fr, 0, sizeof(fr));
	put16(fr + 12, 0x0806);
	cr_expect_eq(slirp_limit_admit(&l, fr, 42, &what), SLIRP_ADMIT);
	cr_expect_eq(slirp_limit_admit(&l, fr, 5, &what), SLIRP_ADMIT);
	slirp_limit_input_done(&l);
	/* an IPv4 header that does not fit */
	tcp(15, "1.1.1.1", 1, 2, 0x02);
	cr_expect_eq(slirp_limit_admit(&l, fr, 30, &what), SLIRP_ADMIT);
	slirp_limit_input_done(&l);
	cr_expect_eq(l.st.socks, 0);
}

Test(slirp_limit, many_guests_and_sockets_come_and_go)
{
	int fd;

	l.conn_max = 5000;
	l.guest_max = 20;
	l.half_open_max = 10;
	for (fd = 3; fd < 3003; fd++)
		cr_assert_eq(feed(udp((uint8_t)(fd % 250), "1.1.1.1",
				      (unsigned)fd, 9),
				  fd),
			     SLIRP_ADMIT, "fd %d", fd);
	cr_expect_eq(l.st.socks, 3000);
	cr_expect_eq(l.st.guests, 250);
	/* every flow is found again after the tables grew */
	for (fd = 3; fd < 3003; fd++)
		cr_assert_eq(feed(udp((uint8_t)(fd % 250), "1.1.1.1",
				      (unsigned)fd, 9),
				  -1),
			     SLIRP_ADMIT);
	for (fd = 3; fd < 3003; fd++)
		slirp_limit_unregister(&l, fd);
	cr_expect_eq(l.st.socks, 0);
	cr_expect_eq(l.st.guests, 0);
	cr_expect_eq(l.st.peak, 3000);
}

static unsigned fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

static uint32_t sum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	return s;
}

Test(slirp_limit, a_refused_syn_gets_a_valid_reset)
{
	uint8_t rst[SLIRP_RST_LEN], syn[128];
	size_t len = tcp(15, "10.0.2.2", 40000, 80, 0x02), n;
	const uint8_t *ip = rst + 14, *th = rst + 34;

	memcpy(syn, fr, len);
	n = slirp_limit_rst(syn, len, rst, sizeof(rst));
	cr_assert_eq(n, 54);
	cr_expect(!memcmp(rst, syn + 6, 6) && !memcmp(rst + 6, syn, 6));
	cr_expect(!memcmp(ip + 12, syn + 30, 4) &&
		  !memcmp(ip + 16, syn + 26, 4));
	cr_expect_eq(fold(sum(ip, 20)), 0xffff, "IPv4 header checksum");
	cr_expect_eq(th[0] << 8 | th[1], 80);
	cr_expect_eq(th[2] << 8 | th[3], 40000);
	cr_expect_eq(th[11], 101, "acks the SYN's sequence number + 1");
	cr_expect_eq(th[13], 0x14, "RST+ACK");
	cr_expect_eq(fold(sum(ip + 12, 8) + IPPROTO_TCP + 20 + sum(th, 20)),
		     0xffff, "TCP checksum");
	/* not for anything but a SYN */
	tcp(15, "10.0.2.2", 40000, 80, 0x12);
	cr_expect_eq(slirp_limit_rst(fr, len, rst, sizeof(rst)), 0);
	cr_expect_eq(slirp_limit_rst(syn, len, rst, 40), 0);
}

Test(slirp_limit, ipv6_reset)
{
	uint8_t rst[SLIRP_RST_LEN], *ip = fr + 14;
	size_t n;

	memset(fr, 0, sizeof(fr));
	put16(fr + 12, 0x86dd);
	ip[0] = 0x60;
	put16(ip + 4, 20);
	ip[6] = IPPROTO_TCP;
	inet_pton(AF_INET6, "fec0::15", ip + 8);
	inet_pton(AF_INET6, "fec0::2", ip + 24);
	put16(ip + 40, 1234);
	put16(ip + 42, 22);
	ip[40 + 12] = 5 << 4;
	ip[40 + 13] = 0x02;
	n = slirp_limit_rst(fr, 74, rst, sizeof(rst));
	cr_assert_eq(n, 74);
	cr_expect_eq(fold(sum(rst + 14 + 8, 32) + IPPROTO_TCP + 20 +
			  sum(rst + 54, 20)),
		     0xffff, "TCP checksum");
	cr_expect(!memcmp(rst + 14 + 8, ip + 24, 16));
	/* and the SYN itself is counted as a connection of that guest */
	cr_expect_eq(feed(74, 10), SLIRP_ADMIT);
	cr_expect_eq(l.st.half_open, 1);
}
