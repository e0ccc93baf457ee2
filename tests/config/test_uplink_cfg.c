// SPDX-License-Identifier: MIT
/*
 * test_uplink_cfg.c - uplink_cfg.c: --uplink/--connect specs and the
 * config's "uplinks"/"connect" arrays (object forms, errors, copies)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "cfgtest.h"
#include "sockswitchd.h"

TestSuite(uplink_cfg, .init = cfgtest_setup, .fini = cfgtest_teardown);

static void parse_ok(const char *spec, bool connect, struct uplink_cfg *u)
{
	struct swd_config c;
	char err[512];

	config_init(&c);
	cr_assert_eq(config_add_uplink(&c, spec, connect, err, sizeof(err)), 0,
		     "`%s': %s", spec, err);
	cr_assert_eq(c.nuplinks, 1);
	*u = c.uplinks[0];
	/* Keep the strings: the caller only reads them in this test. */
	c.nuplinks = 0;
	free(c.uplinks);
	c.uplinks = NULL;
	config_fini(&c);
}

static void parse_bad(const char *spec, bool connect, const char *want)
{
	struct uplink_cfg u;
	char err[512] = "";

	cr_assert_lt(uplink_cfg_parse(spec, connect, &u, err, sizeof(err)), 0,
		     "`%s' should be refused", spec);
	cr_assert_not_null(strstr(err, want), "`%s': message `%s' lacks `%s'",
			   spec, err, want);
}

static void uplink_free(struct uplink_cfg *u)
{
	free(u->spec);
	free(u->arg);
	free(u->helper);
}

/* VLAN options on any spec: taken out before the kind parses it, and
 * written back last, in canonical form. */
Test(uplink_cfg, vlan_options)
{
	struct uplink_cfg u;
	char buf[VLAN_TEXT_MAX];

	parse_ok("tap:tap0,vlan=10", false, &u);
	cr_assert_str_eq(u.arg, "tap0");
	cr_assert_str_eq(u.spec, "tap:tap0,vlan=10");
	vlan_cfg_format(&u.vlan, buf, sizeof(buf));
	cr_assert_str_eq(buf, "access 10");
	uplink_free(&u);
	parse_ok("bridge:br0,native=12,trunk=12:20-22,helper=/bin/h", false,
		 &u);
	cr_assert_str_eq(u.helper, "/bin/h");
	cr_assert_str_eq(u.spec,
			 "bridge:br0,helper=/bin/h,trunk=12:20-22,native=12");
	vlan_cfg_format(&u.vlan, buf, sizeof(buf));
	cr_assert_str_eq(buf, "trunk 12,20-22 native 12");
	uplink_free(&u);
	parse_ok("mcast:230.0.0.1:1234,vlan=7,ttl=2", false, &u);
	cr_assert_str_eq(u.spec, "mcast:230.0.0.1:1234,ttl=2,vlan=7");
	uplink_free(&u);
	parse_ok("unix:/tmp/peer.sock,trunk=5", true, &u);
	cr_assert_str_eq(u.spec, "unix:/tmp/peer.sock,trunk=5");
	cr_assert_eq(u.vlan.mode, VLAN_MODE_TRUNK);
	uplink_free(&u);
	parse_ok("tap:tap1", false, &u);
	cr_assert_eq(u.vlan.mode, VLAN_MODE_NONE);
	uplink_free(&u);
	parse_bad("tap:tap0,vlan=4095", false, "vlan: `4095' is not a VLAN");
	parse_bad("tap:tap0,vlan=x", false, "vlan: `x' is not a number");
	parse_bad("tap:tap0,trunk=20-10", false, "range is reversed");
	parse_bad("tap:tap0,trunk=", false, "trunk=: expected a VLAN");
	parse_bad("tap:tap0,trunk=10:20,native=30", false,
		  "native VLAN 30 is not in the trunk's list");
	parse_bad("tap:tap0,native=3", false, "native applies only to a trunk");
	parse_bad("tap:tap0,vlan=3,trunk=3", false, "not both");
	parse_bad("tap:tap0,vlan=3,vlan=4", false, "vlan given twice");
}

Test(uplink_cfg, each_kind)
{
	struct uplink_cfg u;

	parse_ok("tap:tap0", false, &u);
	cr_assert_eq(u.kind, UPLINK_TAP);
	cr_assert_str_eq(u.arg, "tap0");
	uplink_free(&u);
	parse_ok("tap-fd:5", false, &u);
	cr_assert_eq(u.kind, UPLINK_TAP_FD);
	cr_assert_eq(u.fd, 5);
	uplink_free(&u);
	parse_ok("bridge:br0", false, &u);
	cr_assert_eq(u.kind, UPLINK_BRIDGE);
	cr_assert_str_eq(u.arg, "br0");
	cr_assert_str_eq(u.helper, UPLINK_BRIDGE_HELPER_DEFAULT);
	uplink_free(&u);
	parse_ok("bridge:br1,helper=/opt/qbh", false, &u);
	cr_assert_str_eq(u.arg, "br1");
	cr_assert_str_eq(u.helper, "/opt/qbh");
	uplink_free(&u);
	parse_ok("passt", false, &u);
	cr_assert_eq(u.kind, UPLINK_PASST);
	cr_assert_null(u.arg);
	uplink_free(&u);
	parse_ok("passt:/run/passt.sock", false, &u);
	cr_assert_str_eq(u.arg, "/run/passt.sock");
	uplink_free(&u);
	parse_ok("unix:/run/g.sock", true, &u);
	cr_assert_eq(u.kind, UPLINK_CONNECT);
	cr_assert_eq(u.addr.kind, LISTEN_UNIX);
	cr_assert_str_eq(u.addr.path, "/run/g.sock");
	uplink_free(&u);
	parse_ok("tcp:[::1]:5555", true, &u);
	cr_assert_eq(u.addr.kind, LISTEN_TCP);
	cr_assert_eq(u.addr.port, 5555);
	uplink_free(&u);
}

Test(uplink_cfg, mcast)
{
	struct uplink_cfg u, v;

	parse_ok("mcast:230.0.0.1:1234", false, &u);
	cr_assert_eq(u.kind, UPLINK_MCAST);
	cr_assert_eq(ntohl(u.mcast.group), 0xe6000001);
	cr_assert_eq(u.mcast.port, 1234);
	cr_assert_eq(u.mcast.localaddr, 0);
	cr_assert_eq(u.mcast.ttl, 1);
	cr_assert(u.mcast.loop);
	cr_assert_str_eq(u.spec, "mcast:230.0.0.1:1234");
	/* Defaults spelt out are the same uplink (a reload keeps it). */
	parse_ok("mcast:230.0.0.1:1234,loop=on,ttl=1", false, &v);
	cr_assert_str_eq(v.spec, "mcast:230.0.0.1:1234");
	cr_assert(uplink_cfg_same(&u, &v));
	uplink_free(&v);
	uplink_free(&u);
	parse_ok("mcast:239.255.0.9:65535,ttl=0,loop=off,localaddr=127.0.0.1",
		 false, &u);
	cr_assert_eq(ntohl(u.mcast.localaddr), 0x7f000001);
	cr_assert_eq(u.mcast.ttl, 0);
	cr_assert(!u.mcast.loop);
	cr_assert_str_eq(
		u.spec,
		"mcast:239.255.0.9:65535,localaddr=127.0.0.1,ttl=0,loop=off");
	parse_ok("mcast:239.255.0.9:65535,localaddr=127.0.0.1,ttl=0,loop=off",
		 false, &v);
	cr_assert(uplink_cfg_same(&u, &v));
	uplink_free(&v);
	parse_ok("mcast:239.255.0.9:65535,localaddr=127.0.0.1", false, &v);
	cr_assert(!uplink_cfg_same(&u, &v));
	uplink_free(&v);
	uplink_free(&u);
}

Test(uplink_cfg, mcast_bad_specs)
{
	parse_bad("mcast:10.0.0.1:1234", false,
		  "`10.0.0.1': not an IPv4 multicast group");
	parse_bad("mcast:230.0.0:1234", false, "not an IPv4 multicast group");
	parse_bad("mcast:[ff02::1]:1234", false,
		  "IPv6 groups are not supported");
	parse_bad(
		"mcast:230.0.0.1", false,
		"expected mcast:GROUP:PORT[,localaddr=ADDR][,ttl=N][,loop=on|off]");
	parse_bad("mcast:230.0.0.1:", false, "expected mcast:GROUP:PORT");
	parse_bad("mcast::1234", false, "expected mcast:GROUP:PORT");
	parse_bad("mcast:230.0.0.1:0", false,
		  "`0': port must be a number in 1-65535");
	parse_bad("mcast:230.0.0.1:65536", false, "1-65535");
	parse_bad("mcast:230.0.0.1:12x", false, "1-65535");
	parse_bad("mcast:230.0.0.1:1234,ttl=256", false,
		  "ttl: `256' is not a number in 0-255");
	parse_bad("mcast:230.0.0.1:1234,ttl=-1", false, "0-255");
	parse_bad("mcast:230.0.0.1:1234,loop=yes", false,
		  "loop: `yes' is not on or off");
	parse_bad("mcast:230.0.0.1:1234,localaddr=lo", false,
		  "localaddr: `lo' is not an IPv4 address");
	parse_bad("mcast:230.0.0.1:1234,localaddr=127.0.0.1:5", false,
		  "is not an IPv4 address");
	parse_bad("mcast:230.0.0.1:1234,localaddr=230.0.0.2", false,
		  "is not an interface address");
	parse_bad("mcast:230.0.0.1:1234,localaddr=0.0.0.0", false,
		  "leave localaddr out");
	parse_bad("mcast:230.0.0.1:1234,ttl=2,ttl=3", false,
		  "`ttl' given twice");
	parse_bad("mcast:230.0.0.1:1234,mcast_ttl=3", false,
		  "`mcast_ttl': unknown mcast option");
	parse_bad("mcast:230.0.0.1:1234,ttl", false,
		  "`ttl': expected KEY=VALUE");
	parse_bad("mcast:230.0.0.1:1234,", false, "expected mcast:GROUP:PORT");
}

Test(uplink_cfg, bad_specs)
{
	parse_bad("tap:", false, "tap name must be 1-15 characters");
	parse_bad("tap:a-very-long-tap-name", false, "1-15 characters");
	parse_bad("tap:../x", false, "without `/'");
	parse_bad("tap-fd:2", false, "standard input/output/error");
	parse_bad("tap-fd:x", false, "expected a descriptor number");
	parse_bad("bridge:br0,foo=1", false, "the only bridge option");
	parse_bad("passt:", false, "needs a socket path");
	parse_bad("slirp,nett=10.0.2.0/24", false, "unknown slirp option");
	parse_bad("unix:/x", false, "--connect URL");
	parse_bad("vde:/x", false, "unknown uplink");
	parse_bad("tcp:127.0.0.1:0", true, "cannot connect to port 0");
	parse_bad("udp:1.2.3.4:5", true, "");
}

static void load(const char *json, struct swd_config *c, int want,
		 const char *want_err)
{
	char err[1024] = "";

	cfgtest_write(json);
	config_init(c);
	cr_assert_eq(config_load(c, cfgtest_file, err, sizeof(err)), want, "%s",
		     err);
	if (want_err) {
		const char *msg = strchr(err, ':');

		cr_assert(msg && strcmp(msg + 1, want_err) == 0,
			  "got `%s', expected `FILE:%s'", err, want_err);
	}
}

Test(uplink_cfg, json_objects_become_specs)
{
	struct swd_config c, copy;
	char err[256];

	load("{\"uplinks\": [\"tap:t0\", {\"type\": \"tap\", \"name\": \"t1\"},\n"
	     " {\"type\": \"tap-fd\", \"fd\": 7},\n"
	     " {\"type\": \"bridge\", \"bridge\": \"br0\", \"helper\": \"/h\"},\n"
	     " {\"type\": \"passt\", \"path\": \"/p.sock\"}, {\"type\": \"passt\"}],\n"
	     " \"connect\": [\"unix:/a.sock\", {\"url\": \"tcp:127.0.0.1:9\"}]}",
	     &c, 0, NULL);
	cr_assert_eq(c.nuplinks, 8);
	cr_assert_str_eq(c.uplinks[1].spec, "tap:t1");
	cr_assert_str_eq(c.uplinks[2].spec, "tap-fd:7");
	cr_assert_str_eq(c.uplinks[3].spec, "bridge:br0,helper=/h");
	cr_assert_str_eq(c.uplinks[4].spec, "passt:/p.sock");
	cr_assert_str_eq(c.uplinks[5].spec, "passt");
	cr_assert_eq(c.uplinks[6].kind, UPLINK_CONNECT);
	cr_assert_eq(c.uplinks[7].addr.port, 9);
	/* Flags add to the file's uplinks. */
	config_init(&copy);
	cr_assert_eq(
		config_add_uplink(&copy, "tap:t9", false, err, sizeof(err)), 0);
	cr_assert_eq(config_copy_uplinks(&c, &copy), 0);
	cr_assert_eq(c.nuplinks, 9);
	cr_assert_str_eq(c.uplinks[8].spec, "tap:t9");
	config_fini(&copy);
	config_fini(&c);
}

Test(uplink_cfg, json_mcast_objects)
{
	struct swd_config c, copy;

	load("{\"uplinks\": [{\"type\": \"mcast\", \"group\": \"230.0.0.1\",\n"
	     " \"port\": 1234, \"localaddr\": \"127.0.0.1\", \"ttl\": 2,\n"
	     " \"loop\": false},\n"
	     " {\"type\": \"mcast\", \"group\": \"230.0.0.2\", \"port\": \"99\",\n"
	     " \"loop\": \"on\"}, \"mcast:230.0.0.2:99,loop=on\"]}",
	     &c, 0, NULL);
	cr_assert_eq(c.nuplinks, 3);
	cr_assert_eq(c.uplinks[0].kind, UPLINK_MCAST);
	cr_assert_str_eq(
		c.uplinks[0].spec,
		"mcast:230.0.0.1:1234,localaddr=127.0.0.1,ttl=2,loop=off");
	cr_assert_eq(c.uplinks[0].mcast.port, 1234);
	cr_assert(!c.uplinks[0].mcast.loop);
	cr_assert_str_eq(c.uplinks[1].spec, "mcast:230.0.0.2:99");
	cr_assert(uplink_cfg_same(&c.uplinks[1], &c.uplinks[2]));
	/* A copy (what an uplink keeps) carries the parsed settings. */
	config_init(&copy);
	cr_assert_eq(config_copy_uplinks(&copy, &c), 0);
	cr_assert_eq(copy.uplinks[0].mcast.ttl, 2);
	cr_assert_eq(ntohl(copy.uplinks[0].mcast.localaddr), 0x7f000001);
	cr_assert_str_eq(copy.uplinks[0].spec, c.uplinks[0].spec);
	config_fini(&copy);
	config_fini(&c);
}

Test(uplink_cfg, json_mcast_errors_point_at_the_member)
{
	struct swd_config c;

	load("{\"uplinks\": [{\"type\": \"mcast\", \"group\": \"230.0.0.1\", \"port\": 0}]}",
	     &c, -EINVAL,
	     "1:62: $.uplinks[0].port: `0': port must be a number in 1-65535");
	load("{\"uplinks\": [{\"type\": \"mcast\", \"group\": \"10.1.1.1\", \"port\": 5}]}",
	     &c, -EINVAL,
	     "1:41: $.uplinks[0].group: `10.1.1.1': not an IPv4 multicast group (224.0.0.0-239.255.255.255, e.g. 230.0.0.1)");
	load("{\"uplinks\": [{\"type\": \"mcast\", \"group\": \"230.0.0.1\", \"port\": 5,\n"
	     "  \"ttl\": 300}]}",
	     &c, -EINVAL,
	     "2:10: $.uplinks[0].ttl: ttl: `300' is not a number in 0-255");
	load("{\"uplinks\": [{\"type\": \"mcast\", \"group\": \"230.0.0.1\", \"port\": 5,\n"
	     "  \"loop\": \"maybe\"}]}",
	     &c, -EINVAL,
	     "2:11: $.uplinks[0].loop: loop: `maybe' is not on or off");
	load("{\"uplinks\": [{\"type\": \"mcast\", \"group\": \"230.0.0.1\", \"port\": 5,\n"
	     "  \"localaddr\": [\"lo\"]}]}",
	     &c, -EINVAL,
	     "2:16: $.uplinks[0].localaddr: expected a string, number or boolean");
	load("{\"uplinks\": [{\"type\": \"mcast\", \"group\": \"230.0.0.1\", \"port\": 5,\n"
	     "  \"iface\": \"lo\"}]}",
	     &c, -EINVAL,
	     "2:3: $.uplinks[0].iface: unknown key for a mcast uplink");
	load("{\"uplinks\": [{\"type\": \"mcast\", \"port\": 5}]}", &c, -EINVAL,
	     "1:14: $.uplinks[0]: missing \"group\"");
	load("{\"uplinks\": [{\"type\": \"mcast\", \"group\": \"230.0.0.1\"}]}",
	     &c, -EINVAL, "1:14: $.uplinks[0]: missing \"port\"");
}

Test(uplink_cfg, json_errors_point_at_the_element)
{
	struct swd_config c;

	load("{\"uplinks\": \"tap:t0\"}", &c, -EINVAL,
	     "1:13: $.uplinks: expected an array of uplink spec strings or objects");
	load("{\"uplinks\": [{\"name\": \"t0\"}]}", &c, -EINVAL,
	     "1:14: $.uplinks[0]: missing \"type\" (tap, tap-fd, bridge, slirp, passt, mcast or vxlan)");
	load("{\"uplinks\": [{\"type\": \"vde\"}]}", &c, -EINVAL,
	     "1:23: $.uplinks[0].type: expected \"tap\", \"tap-fd\", \"bridge\", \"slirp\", \"passt\", \"mcast\" or \"vxlan\"");
	load("{\"uplinks\": [{\"type\": \"tap-fd\", \"fd\": \"3\"}]}", &c,
	     -EINVAL, "1:39: $.uplinks[0].fd: expected a number");
	load("{\"uplinks\": [{\"type\": \"tap\"}]}", &c, -EINVAL,
	     "1:14: $.uplinks[0]: missing \"name\"");
	load("{\"connect\": [{\"url\": \"unix:/a\", \"x\": 1}]}", &c, -EINVAL,
	     "1:33: $.connect[0].x: unknown key for a connection (url, vlan, trunk or native)");
	load("{\"connect\": [{\"vlan\": 3}]}", &c, -EINVAL,
	     "1:14: $.connect[0]: expected {\"url\": \"unix:PATH\" or \"tcp:HOST:PORT\"}");
	load("{\"connect\": [3]}", &c, -EINVAL,
	     "1:14: $.connect[0]: expected a string or an object");
}

/* "vlan", "trunk" and "native" on every object form, as on a listener:
 * the same uplink as the spec string with the same options. */
Test(uplink_cfg, json_vlan_keys)
{
	struct swd_config c, s;
	char buf[128];
	size_t i;

	load("{\"uplinks\": [{\"type\": \"tap\", \"name\": \"t0\", \"vlan\": 10},\n"
	     " {\"type\": \"bridge\", \"bridge\": \"br0\", \"trunk\": [10, \"20-22\"],\n"
	     "  \"native\": 21},\n"
	     " {\"type\": \"slirp\", \"net\": \"10.9.0.0/24\", \"vlan\": 7},\n"
	     " {\"type\": \"mcast\", \"group\": \"230.0.0.1\", \"port\": 5, \"trunk\": [4]},\n"
	     " {\"type\": \"tap-fd\", \"fd\": 9, \"trunk\": [\"1-4094\"]}],\n"
	     " \"connect\": [{\"url\": \"unix:/a.sock\", \"vlan\": 30}]}",
	     &c, 0, NULL);
	load("{\"uplinks\": [\"tap:t0,vlan=10\",\n"
	     " \"bridge:br0,trunk=10:20-22,native=21\",\n"
	     " \"slirp,net=10.9.0.0/24,vlan=7\", \"mcast:230.0.0.1:5,trunk=4\",\n"
	     " \"tap-fd:9,trunk=1-4094\"],\n"
	     " \"connect\": [\"unix:/a.sock,vlan=30\"]}",
	     &s, 0, NULL);
	cr_assert_eq(c.nuplinks, 6);
	cr_assert_eq(s.nuplinks, 6);
	for (i = 0; i < c.nuplinks; i++) {
		cr_assert(uplink_cfg_same(&c.uplinks[i], &s.uplinks[i]),
			  "uplink %zu: `%s' and `%s'", i, c.uplinks[i].spec,
			  s.uplinks[i].spec);
		cr_assert(vlan_cfg_same(&c.uplinks[i].vlan, &s.uplinks[i].vlan),
			  "uplink %zu: VLAN modes differ", i);
	}
	cr_assert_str_eq(c.uplinks[0].spec, "tap:t0,vlan=10");
	cr_assert_str_eq(c.uplinks[1].spec,
			 "bridge:br0,trunk=10:20-22,native=21");
	vlan_cfg_format(&c.uplinks[1].vlan, buf, sizeof(buf));
	cr_assert_str_eq(buf, "trunk 10,20-22 native 21");
	cr_assert_eq(c.uplinks[2].kind, UPLINK_SLIRP);
	cr_assert_eq(c.uplinks[2].vlan.mode, VLAN_MODE_ACCESS);
	cr_assert_eq(c.uplinks[2].vlan.vid, 7);
	cr_assert_eq(c.uplinks[3].kind, UPLINK_MCAST);
	cr_assert_str_eq(c.uplinks[3].spec, "mcast:230.0.0.1:5,trunk=4");
	cr_assert_eq(c.uplinks[5].kind, UPLINK_CONNECT);
	cr_assert_eq(c.uplinks[5].vlan.vid, 30);
	config_fini(&s);
	config_fini(&c);
}

Test(uplink_cfg, json_vlan_errors_point_at_the_member)
{
	struct swd_config c;

	load("{\"uplinks\": [{\"type\": \"tap\", \"name\": \"t0\", \"vlan\": 0}]}",
	     &c, -EINVAL,
	     "1:52: $.uplinks[0].vlan: vlan: `0' is not a VLAN 1-4094");
	load("{\"uplinks\": [{\"type\": \"tap\", \"name\": \"t0\", \"vlan\": \"10\"}]}",
	     &c, -EINVAL,
	     "1:52: $.uplinks[0].vlan: expected a VLAN number 1-4094, got a string");
	load("{\"uplinks\": [{\"type\": \"slirp\", \"trunk\": []}]}", &c,
	     -EINVAL,
	     "1:41: $.uplinks[0].trunk: expected a non-empty array of VLANs and ranges, e.g. [10, \"20-29\"], got an empty array");
	load("{\"uplinks\": [{\"type\": \"passt\", \"trunk\": [\"9-3\"]}]}", &c,
	     -EINVAL,
	     "1:42: $.uplinks[0].trunk[0]: `9-3': range is reversed (A-B needs A <= B)");
	load("{\"uplinks\": [{\"type\": \"mcast\", \"group\": \"230.0.0.1\", \"port\": 5,\n"
	     "  \"trunk\": [10], \"native\": 11}]}",
	     &c, -EINVAL,
	     "2:28: $.uplinks[0].native: native VLAN 11 is not in the trunk's list");
	load("{\"uplinks\": [{\"type\": \"tap\", \"name\": \"t0\", \"native\": 3}]}",
	     &c, -EINVAL,
	     "1:54: $.uplinks[0].native: native applies only to a trunk");
	load("{\"connect\": [{\"url\": \"unix:/a\", \"vlan\": 5, \"trunk\": [5]}]}",
	     &c, -EINVAL,
	     "1:53: $.connect[0].trunk: a port is either an access port (vlan) or a trunk (trunk), not both");
}

/* vxlan: one entry per remote, each named by its canonical spec. */
Test(uplink_cfg, vxlan_specs)
{
	struct swd_config c;
	char err[512];

	config_init(&c);
	cr_assert_eq(
		config_add_uplink(
			&c,
			"vxlan,remote=192.0.2.2,vni=42,remote=[2001:db8::1],port=8472",
			false, err, sizeof(err)),
		-EINVAL);
	cr_assert_not_null(strstr(err, "all IPv4 or all IPv6"), "%s", err);
	cr_assert_eq(config_add_uplink(
			     &c,
			     "vxlan,vni=42,remote=192.0.2.2,remote=192.0.2.3,"
			     "local=192.0.2.1,ttl=9,port=8472,vlan=10",
			     false, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(c.nuplinks, 2);
	cr_assert_eq(c.uplinks[0].kind, UPLINK_VXLAN);
	cr_assert_str_eq(
		c.uplinks[0].spec,
		"vxlan,vni=42,remote=192.0.2.2,local=192.0.2.1,port=8472,ttl=9,vlan=10");
	cr_assert_str_eq(
		c.uplinks[1].spec,
		"vxlan,vni=42,remote=192.0.2.3,local=192.0.2.1,port=8472,ttl=9,vlan=10");
	cr_assert_eq(c.uplinks[1].vxlan.nremotes, 1);
	cr_assert_eq(c.uplinks[1].vxlan.vni, 42);
	cr_assert_eq(c.uplinks[1].vxlan.port, 8472);
	cr_assert_eq(c.uplinks[1].vxlan.ttl, 9);
	cr_assert_eq(c.uplinks[1].vlan.mode, VLAN_MODE_ACCESS);
	cr_assert_eq(c.uplinks[1].vlan.vid, 10);
	cr_assert_eq(config_add_uplink(&c, "vxlan,vni=0,remote=[2001:DB8::7]",
				       false, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(c.nuplinks, 3);
	cr_assert_str_eq(c.uplinks[2].spec, "vxlan,vni=0,remote=2001:db8::7");
	cr_assert_eq(c.uplinks[2].vxlan.port, VXLAN_PORT_DEFAULT);
	config_fini(&c);
}

Test(uplink_cfg, vxlan_bad_specs)
{
	parse_bad("vxlan", false, "missing vni=N");
	parse_bad("vxlan,vni=42", false, "missing remote=ADDR");
	parse_bad("vxlan,vni=16777216,remote=192.0.2.2", false,
		  "vni=16777216: expected a number from 0 to 16777215");
	parse_bad("vxlan,vni=-1,remote=192.0.2.2", false, "vni=-1");
	parse_bad("vxlan,vni=1,vni=2,remote=192.0.2.2", false,
		  "vni= given twice");
	parse_bad("vxlan,vni=1,remote=host.example", false,
		  "expected a numeric IPv4 or IPv6 address");
	parse_bad("vxlan,vni=1,remote=192.0.2.2,remote=192.0.2.2", false,
		  "remote=192.0.2.2: given twice");
	parse_bad("vxlan,vni=1,remote=239.1.1.1", false,
		  "group mode is not built");
	parse_bad("vxlan,vni=1,remote=0.0.0.0", false,
		  "the unspecified address");
	parse_bad("vxlan,vni=1,remote=fe80::1", false, "link-local");
	parse_bad("vxlan,vni=1,remote=192.0.2.2,local=2001:db8::1", false,
		  "not of the same family");
	parse_bad("vxlan,vni=1,remote=192.0.2.2,local=192.0.2.2", false,
		  "is the local address itself");
	parse_bad("vxlan,vni=1,remote=192.0.2.2,port=0", false,
		  "port=0: expected a UDP port from 1 to 65535");
	parse_bad("vxlan,vni=1,remote=192.0.2.2,ttl=0", false,
		  "ttl=0: expected a number from 1 to 255");
	parse_bad("vxlan,vni=1,remote=192.0.2.2,group=239.1.1.1", false,
		  "`group': unknown vxlan option");
	parse_bad("vxlan,vni=1,remote=192.0.2.2,bogus", false,
		  "`bogus': expected KEY=VALUE");
	parse_bad("vxlan:1", false, "unknown uplink");
}

Test(uplink_cfg, json_vxlan_objects)
{
	struct swd_config c, s;
	size_t i;

	load("{\"uplinks\": [{\"type\": \"vxlan\", \"vni\": 42,\n"
	     "  \"remote\": [\"192.0.2.2\", \"192.0.2.3\"], \"local\": \"192.0.2.1\",\n"
	     "  \"port\": 8472, \"ttl\": 5, \"trunk\": [10, 20]},\n"
	     " {\"type\": \"vxlan\", \"vni\": \"7\", \"remote\": \"2001:db8::2\"}]}",
	     &c, 0, NULL);
	load("{\"uplinks\": [\"vxlan,vni=42,remote=192.0.2.2,remote=192.0.2.3,"
	     "local=192.0.2.1,port=8472,ttl=5,trunk=10:20\",\n"
	     " \"vxlan,vni=7,remote=2001:db8::2\"]}",
	     &s, 0, NULL);
	cr_assert_eq(c.nuplinks, 3);
	cr_assert_eq(s.nuplinks, 3);
	for (i = 0; i < c.nuplinks; i++)
		cr_assert(uplink_cfg_same(&c.uplinks[i], &s.uplinks[i]),
			  "uplink %zu: `%s' and `%s'", i, c.uplinks[i].spec,
			  s.uplinks[i].spec);
	cr_assert_str_eq(
		c.uplinks[1].spec,
		"vxlan,vni=42,remote=192.0.2.3,local=192.0.2.1,port=8472,ttl=5,trunk=10:20");
	cr_assert_eq(c.uplinks[1].vlan.mode, VLAN_MODE_TRUNK);
	config_fini(&s);
	config_fini(&c);
}

Test(uplink_cfg, json_vxlan_errors_point_at_the_member)
{
	struct swd_config c;

	load("{\"uplinks\": [{\"type\": \"vxlan\", \"vni\": 42,\n"
	     "  \"remote\": [\"192.0.2.2\", \"nowhere\"]}]}",
	     &c, -EINVAL,
	     "2:27: $.uplinks[0].remote[1]: remote=nowhere: expected a numeric IPv4 or IPv6 address (no names, no %interface)");
	load("{\"uplinks\": [{\"type\": \"vxlan\", \"vni\": 42, \"remote\": \"192.0.2.2\",\n"
	     "  \"ttl\": 300}]}",
	     &c, -EINVAL,
	     "2:10: $.uplinks[0].ttl: ttl=300: expected a number from 1 to 255");
	load("{\"uplinks\": [{\"type\": \"vxlan\", \"vni\": 42, \"remote\": \"192.0.2.2\",\n"
	     "  \"group\": \"239.1.1.1\"}]}",
	     &c, -EINVAL,
	     "2:3: $.uplinks[0].group: unknown key for a vxlan uplink (vni, remote, local, port, ttl, vlan, trunk, native)");
	load("{\"uplinks\": [{\"type\": \"vxlan\", \"remote\": \"192.0.2.2\"}]}",
	     &c, -EINVAL, "1:14: $.uplinks[0]: missing vni=N (0 to 16777215)");
	load("{\"uplinks\": [{\"type\": \"vxlan\", \"vni\": 1,\n"
	     "  \"remote\": [\"192.0.2.2\", \"2001:db8::1\"]}]}",
	     &c, -EINVAL,
	     "2:13: $.uplinks[0].remote: remote=192.0.2.2 and remote=2001:db8::1: the remotes of one uplink are all IPv4 or all IPv6 (use one uplink per family)");
	load("{\"uplinks\": [{\"type\": \"vxlan\", \"vni\": 1, \"remote\": true}]}",
	     &c, -EINVAL,
	     "1:52: $.uplinks[0].remote: expected an address string or an array of them");
}

/* What would clash when the uplinks start is refused in the config. */
Test(uplink_cfg, vxlan_clashes)
{
	struct swd_config c;
	char err[512];

	config_init(&c);
	cr_assert_eq(config_add_uplink(&c, "vxlan,vni=1,remote=192.0.2.2",
				       false, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(
		config_add_uplink(
			&c,
			"vxlan,vni=1,remote=192.0.2.3,remote=192.0.2.2,vlan=5",
			false, err, sizeof(err)),
		-EINVAL);
	cr_assert_not_null(
		strstr(err,
		       "vni 1 to remote=192.0.2.2 port 4789 is given twice"),
		"%s", err);
	cr_assert_eq(config_add_uplink(
			     &c, "vxlan,vni=2,remote=192.0.2.2,local=192.0.2.1",
			     false, err, sizeof(err)),
		     -EINVAL);
	cr_assert_not_null(
		strstr(err, "one port number takes one local address"), "%s",
		err);
	cr_assert_eq(config_add_uplink(&c, "vxlan,vni=2,remote=192.0.2.2,ttl=3",
				       false, err, sizeof(err)),
		     -EINVAL);
	cr_assert_not_null(strstr(err, "give them the same ttl"), "%s", err);
	/* Another port, another family, another VNI: all fine. */
	cr_assert_eq(
		config_add_uplink(
			&c,
			"vxlan,vni=1,remote=192.0.2.2,port=8472,local=192.0.2.1,ttl=3",
			false, err, sizeof(err)),
		0, "%s", err);
	cr_assert_eq(config_add_uplink(&c, "vxlan,vni=1,remote=2001:db8::2",
				       false, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(config_add_uplink(&c, "vxlan,vni=2,remote=192.0.2.2",
				       false, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(c.nuplinks, 4);
	/* The same uplink again (a flag and the file, a file loaded on top
	 * of itself) is that uplink, not a clash. */
	cr_assert_eq(config_add_uplink(
			     &c,
			     "vxlan,remote=192.0.2.2,vni=2,remote=192.0.2.9",
			     false, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(c.nuplinks, 5);
	cr_assert_str_eq(c.uplinks[4].spec, "vxlan,vni=2,remote=192.0.2.9");
	config_fini(&c);
}
