// SPDX-License-Identifier: MIT
/*
 * test_slirp_api.c - slirp_uplink_hostfwd_add()/_remove(), the functions
 * the control socket calls, on a real slirp uplink in a real daemon
 * context (the daemon's sources without main.c): a forward added listens
 * on the host, a removed one does not, and bad requests say why.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <ev.h>

#include "itest.h"
#include "sockswitchd.h"
#include "uplink.h"

struct log_state log_state = { .level = LOG_LVL_WARNING };

static struct swd d;
static struct ev_loop *loop;
static struct port *slirp_port;

static void setup(void)
{
	char err[512];
	struct port *p;
	uint32_t i;

	memset(&d, 0, sizeof(d));
	config_init(&d.cfg);
	cr_assert_eq(config_add_uplink(&d.cfg, "slirp,net=10.7.0.0/24", false,
				       err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(
		config_add_uplink(&d.cfg, "tap-fd:99", false, err, sizeof(err)),
		0, "%s", err);
	loop = ev_loop_new(EVFLAG_AUTO);
	cr_assert_not_null(loop);
	cr_assert_eq(swd_init(&d, loop), 0);
	uplinks_add(&d, d.cfg.uplinks, d.cfg.nuplinks);
	slirp_port = NULL;
	port_foreach(&d.sw, p, i)
		if (slirp_uplink_is(p))
			slirp_port = p;
	cr_assert_not_null(slirp_port);
	cr_assert(slirp_port->up, "the slirp uplink is not up");
}

static void teardown(void)
{
	swd_close_all_ports(&d, "test over");
	swd_fini(&d);
	config_fini(&d.cfg);
	ev_loop_destroy(loop);
}

TestSuite(slirp_api, .init = setup, .fini = teardown);

Test(slirp_api, add_then_remove)
{
	uint16_t port = itest_free_tcp_port();
	char rule[96], err[512];

	cr_assert_not(itest_tcp_listening(port));
	snprintf(rule, sizeof(rule), "tcp:127.0.0.1:%u-:22", port);
	cr_assert_eq(
		slirp_uplink_hostfwd_add(slirp_port, rule, err, sizeof(err)), 0,
		"%s", err);
	cr_expect(itest_tcp_listening(port), "no listener after hostfwd-add %s",
		  rule);
	/* the same host port again cannot be bound */
	cr_expect_eq(
		slirp_uplink_hostfwd_add(slirp_port, rule, err, sizeof(err)),
		-EADDRINUSE);
	cr_expect(strstr(err, "cannot bind host TCP 127.0.0.1:"), "%s", err);
	snprintf(rule, sizeof(rule), "tcp:127.0.0.1:%u", port);
	cr_assert_eq(
		slirp_uplink_hostfwd_remove(slirp_port, rule, err, sizeof(err)),
		0, "%s", err);
	cr_expect_not(itest_tcp_listening(port),
		      "still listening after hostfwd-remove");
	cr_expect_eq(
		slirp_uplink_hostfwd_remove(slirp_port, rule, err, sizeof(err)),
		-ENOENT);
	cr_expect(strstr(err, "no such forward"), "%s", err);
}

Test(slirp_api, bad_requests)
{
	struct port *p, *other = NULL;
	char err[512];
	uint32_t i;

	cr_expect_eq(slirp_uplink_hostfwd_add(slirp_port, "tcp::22", err,
					      sizeof(err)),
		     -EINVAL);
	cr_expect(strstr(err, "is not [tcp|udp]:[HOSTADDR]:HOSTPORT-"), "%s",
		  err);
	cr_expect_eq(slirp_uplink_hostfwd_add(slirp_port,
					      "tcp::2222-10.0.2.15:22", err,
					      sizeof(err)),
		     -EINVAL);
	cr_expect(strstr(err,
			 "guest address 10.0.2.15 is not in net 10.7.0.0/24"),
		  "%s", err);
	port_foreach(&d.sw, p, i)
		if (!slirp_uplink_is(p))
			other = p;
	cr_assert_not_null(other);
	cr_expect_eq(slirp_uplink_hostfwd_add(other, "tcp::2222-:22", err,
					      sizeof(err)),
		     -EINVAL);
	cr_expect(strstr(err, "is not a slirp uplink"), "%s", err);
}

/* A host port in use fails the start; the uplink retries and comes up
 * once the port is free, and the switch runs on meanwhile. */
Test(slirp_retry, busy_host_port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct swd sd = { 0 };
	struct ev_loop *l = ev_loop_new(EVFLAG_AUTO);
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0), i;
	socklen_t len = sizeof(sa);
	char spec[128], err[512];
	struct port *p;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(fd, 1), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	snprintf(spec, sizeof(spec), "slirp,hostfwd=tcp:127.0.0.1:%u-:22",
		 ntohs(sa.sin_port));
	config_init(&sd.cfg);
	cr_assert_eq(config_add_uplink(&sd.cfg, spec, false, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(swd_init(&sd, l), 0);
	uplinks_add(&sd, sd.cfg.uplinks, sd.cfg.nuplinks);
	p = sd.sw.ports[0];
	cr_assert(slirp_uplink_is(p));
	cr_expect_not(p->up, "up although its host port is taken");
	cr_expect_str_eq(p->ops->state(p), "retrying");
	close(fd);
	for (i = 0; i < 100 && !p->up; i++)
		ev_run(l, EVRUN_ONCE);
	cr_expect(p->up, "not up after the host port was freed");
	cr_expect(itest_tcp_listening(ntohs(sa.sin_port)));
	swd_close_all_ports(&sd, "test over");
	swd_fini(&sd);
	config_fini(&sd.cfg);
	ev_loop_destroy(l);
}
