// SPDX-License-Identifier: MIT
/*
 * test_slirp_opts.c - the slirp uplink's option parser: QEMU's -netdev user
 * names, defaults, the spec and JSON forms, and a clear error for every
 * kind of bad value
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>
#include <jansson.h>

#include "slirp_opts.h"

static char err[512];

static int parse(struct slirp_opts *o, const char *spec)
{
	slirp_opts_init(o);
	err[0] = '\0';
	return slirp_opts_parse_spec(o, spec, err, sizeof(err));
}

static const char *ip(struct in_addr a)
{
	static char b[4][INET_ADDRSTRLEN];
	static int n;

	n = (n + 1) % 4;
	return inet_ntop(AF_INET, &a, b[n], sizeof(b[n]));
}

static const char *ip6(const struct in6_addr *a)
{
	static char b[2][INET6_ADDRSTRLEN];
	static int n;

	n = (n + 1) % 2;
	return inet_ntop(AF_INET6, a, b[n], sizeof(b[n]));
}

Test(slirp_opts, qemu_defaults)
{
	struct slirp_opts o;

	cr_assert_eq(parse(&o, "slirp"), 0, "%s", err);
	cr_expect_str_eq(ip(o.net), "10.0.2.0");
	cr_expect_eq(o.prefix, 24);
	cr_expect_str_eq(ip(o.host), "10.0.2.2");
	cr_expect_str_eq(ip(o.dns), "10.0.2.3");
	cr_expect_str_eq(ip(o.dhcpstart), "10.0.2.15");
	cr_expect(o.ipv6);
	cr_expect_str_eq(ip6(&o.net6), "fec0::");
	cr_expect_eq(o.prefix6, 64);
	cr_expect_str_eq(ip6(&o.host6), "fec0::2");
	cr_expect_str_eq(ip6(&o.dns6), "fec0::3");
	cr_expect_not(o.restricted);
	cr_expect_eq(o.nfwd, 0);
	slirp_opts_fini(&o);
}

Test(slirp_opts, net_moves_the_defaults)
{
	struct slirp_opts o;

	cr_assert_eq(parse(&o, "slirp,net=192.168.76.0/24"), 0, "%s", err);
	cr_expect_str_eq(ip(o.host), "192.168.76.2");
	cr_expect_str_eq(ip(o.dns), "192.168.76.3");
	cr_expect_str_eq(ip(o.dhcpstart), "192.168.76.15");
	slirp_opts_fini(&o);
	/* a /16 keeps QEMU's historic .2.2 offsets, and a dotted mask works */
	cr_assert_eq(parse(&o, "net=172.20.0.0/255.255.0.0"), 0, "%s", err);
	cr_expect_eq(o.prefix, 16);
	cr_expect_str_eq(ip(o.host), "172.20.2.2");
	cr_expect_str_eq(ip(o.dhcpstart), "172.20.2.15");
	slirp_opts_fini(&o);
}

Test(slirp_opts, every_option)
{
	struct slirp_opts o;

	cr_assert_eq(
		parse(&o,
		      "slirp,net=10.9.0.0/24,host=10.9.0.1,dns=10.9.0.53,dhcpstart=10.9.0.100,"
		      "hostname=lab,domainname=lab.example,dnssearch=a.example,dnssearch=b.example,"
		      "restrict=on,hostfwd=tcp:127.0.0.1:2222-:22,hostfwd=udp::5353-10.9.0.7:53,"
		      "tftp=/srv/tftp,bootfile=pxelinux.0,ipv6=on,ipv6-net=fd00:1::/64,"
		      "ipv6-host=fd00:1::1,ipv6-dns=fd00:1::53"),
		0, "%s", err);
	cr_expect_str_eq(ip(o.host), "10.9.0.1");
	cr_expect_str_eq(ip(o.dns), "10.9.0.53");
	cr_expect_str_eq(ip(o.dhcpstart), "10.9.0.100");
	cr_expect_str_eq(o.hostname, "lab");
	cr_expect_str_eq(o.domainname, "lab.example");
	cr_assert_eq(o.ndnssearch, 2);
	cr_expect_str_eq(o.dnssearch[1], "b.example");
	cr_expect_null(o.dnssearch[2]);
	cr_expect(o.restricted);
	cr_assert_eq(o.nfwd, 2);
	cr_expect_not(o.fwd[0].udp);
	cr_expect_str_eq(ip(o.fwd[0].haddr), "127.0.0.1");
	cr_expect_eq(o.fwd[0].hport, 2222);
	/* an empty guest address is the first DHCP address, as in QEMU */
	cr_expect_str_eq(ip(o.fwd[0].gaddr), "10.9.0.100");
	cr_expect_eq(o.fwd[0].gport, 22);
	cr_expect(o.fwd[1].udp);
	cr_expect_str_eq(ip(o.fwd[1].haddr), "0.0.0.0");
	cr_expect_str_eq(ip(o.fwd[1].gaddr), "10.9.0.7");
	cr_expect_str_eq(o.tftp, "/srv/tftp");
	cr_expect_str_eq(o.bootfile, "pxelinux.0");
	cr_expect_str_eq(ip6(&o.host6), "fd00:1::1");
	cr_expect_str_eq(ip6(&o.dns6), "fd00:1::53");
	slirp_opts_fini(&o);
}

Test(slirp_opts, comma_escape)
{
	struct slirp_opts o;

	cr_assert_eq(parse(&o, "slirp,hostname=a,,b"), 0, "%s", err);
	cr_expect_str_eq(o.hostname, "a,b");
	slirp_opts_fini(&o);
}

/* Each bad spec fails with a message containing the given words. */
static const struct {
	const char *spec, *want;
} bad[] = {
	{ "slirp,nett=10.0.2.0/24", "unknown slirp option `nett'" },
	{ "slirp,net", "`net' is not KEY=VALUE" },
	{ "slirp,,net=10.0.2.0/24", "empty option" },
	{ "slirp,net=10.0.2.0/33",
	  "net: prefix length `33' is not a number in 1-30" },
	{ "slirp,net=10.0.2.5/24",
	  "net: `10.0.2.5/24' has host bits set; did you mean 10.0.2.0/24?" },
	{ "slirp,net=10.0.2/24", "net: `10.0.2' is not an IPv4 address" },
	{ "slirp,net=10.0.0.0/255.0.255.0", "not contiguous" },
	{ "slirp,host=10.0.3.2", "host: 10.0.3.2 is not in net 10.0.2.0/24" },
	{ "slirp,dns=10.0.2.2", "dns: must differ from host" },
	{ "slirp,dhcpstart=10.0.2.255",
	  "dhcpstart: 10.0.2.255 is the network or broadcast address" },
	{ "slirp,dhcpstart=10.0.2.3",
	  "dhcpstart: 10.0.2.3 must differ from host and dns" },
	{ "slirp,dns=fec0::3", "dns: `fec0::3' is not an IPv4 address" },
	{ "slirp,restrict=maybe", "restrict: `maybe' is not on or off" },
	{ "slirp,ipv6=2", "ipv6: `2' is not on or off" },
	{ "slirp,ipv6-net=fec0::/127",
	  "ipv6-net: prefix length `127' is not a number in 1-126" },
	{ "slirp,ipv6-host=fd00::2", "ipv6-host: fd00::2 is not in ipv6-net" },
	{ "slirp,ipv6-dns=10.0.2.3",
	  "ipv6-dns: `10.0.2.3' is not an IPv6 address" },
	{ "slirp,hostfwd=tcp:2222-:22", "needs ADDR:PORT or :PORT" },
	{ "slirp,hostfwd=127.0.0.1:2222-:22",
	  "protocol `127.0.0.1' is not tcp or udp" },
	{ "slirp,hostfwd=sctp::2222-:22", "protocol `sctp' is not tcp or udp" },
	{ "slirp,hostfwd=tcp::2222",
	  "is not [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT" },
	{ "slirp,hostfwd=tcp::0-:22",
	  "host port `0' is not a number in 1-65535" },
	{ "slirp,hostfwd=tcp::2222-:70000",
	  "guest port `70000' is not a number in 1-65535" },
	{ "slirp,hostfwd=tcp:localhost:2222-:22",
	  "host address `localhost' is not an IPv4 address" },
	{ "slirp,hostfwd=tcp::2222-10.0.3.9:22",
	  "guest address 10.0.3.9 is not in net 10.0.2.0/24" },
	{ "slirp,hostfwd=tcp:[::1]:2222-:22",
	  "IPv6 forwards are not supported" },
	{ "slirp,dnssearch=bad..example",
	  "dnssearch: `bad..example' is not a domain name" },
	{ "slirp,domainname=a b", "domainname: `a b' is not a domain name" },
	{ "slirp,hostname=", "hostname: must be 1-255 characters" },
	{ "slirp,bootfile=pxelinux.0", "bootfile: needs tftp=DIR" },
	{ "slirp,tftp=srv", "tftp: `srv' must be an absolute directory path" },
};

Test(slirp_opts, bad_specs_say_what_is_wrong)
{
	struct slirp_opts o;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(parse(&o, bad[i].spec), -EINVAL,
			     "`%s' was accepted", bad[i].spec);
		cr_expect(strstr(err, bad[i].want) != NULL,
			  "`%s': got `%s', want `%s'", bad[i].spec, err,
			  bad[i].want);
		slirp_opts_fini(&o);
	}
}

Test(slirp_opts, json_form)
{
	struct slirp_opts o;
	const char *bad_key;
	json_error_t je;
	json_t *j = json_loads(
		"{\"type\":\"slirp\",\"net\":\"10.1.0.0/24\",\"restrict\":true,"
		"\"ipv6\":false,\"hostfwd\":[\"tcp:127.0.0.1:8022-:22\",\"udp::9053-:53\"],"
		"\"dnssearch\":\"x.example\"}",
		0, &je);

	cr_assert_not_null(j, "%s", je.text);
	slirp_opts_init(&o);
	cr_assert_eq(slirp_opts_from_json(&o, j, &bad_key, err, sizeof(err)), 0,
		     "%s", err);
	cr_expect(o.restricted);
	cr_expect_not(o.ipv6);
	cr_assert_eq(o.nfwd, 2);
	cr_expect_str_eq(ip(o.fwd[1].gaddr), "10.1.0.15");
	cr_expect_eq(o.ndnssearch, 1);
	slirp_opts_fini(&o);
	json_decref(j);

	j = json_loads("{\"type\":\"slirp\",\"hostfwd\":[22]}", 0, &je);
	slirp_opts_init(&o);
	cr_expect_eq(slirp_opts_from_json(&o, j, &bad_key, err, sizeof(err)),
		     -EINVAL);
	cr_expect_str_eq(bad_key, "hostfwd");
	cr_expect(strstr(err, "every entry must be a string") == err, "%s",
		  err);
	slirp_opts_fini(&o);
	json_decref(j);

	j = json_loads("{\"type\":\"slirp\",\"net\":24}", 0, &je);
	slirp_opts_init(&o);
	cr_expect_eq(slirp_opts_from_json(&o, j, &bad_key, err, sizeof(err)),
		     -EINVAL);
	cr_expect_str_eq(bad_key, "net");
	cr_expect(strstr(err, "expected a string") == err, "%s", err);
	slirp_opts_fini(&o);
	json_decref(j);
}

Test(slirp_opts, hostfwd_remove_form)
{
	struct slirp_hostfwd f;

	cr_expect_eq(slirp_hostfwd_parse("udp:127.0.0.1:5000", false, &f, err,
					 sizeof(err)),
		     0, "%s", err);
	cr_expect(f.udp);
	cr_expect_eq(f.hport, 5000);
	cr_expect_eq(slirp_hostfwd_parse("tcp::5000-:22", false, &f, err,
					 sizeof(err)),
		     -EINVAL);
	cr_expect(strstr(err, "give only"), "%s", err);
}

Test(slirp_opts, copy_is_deep)
{
	struct slirp_opts a, b;

	cr_assert_eq(
		parse(&a,
		      "slirp,hostname=h,dnssearch=x.example,hostfwd=tcp::1-:2"),
		0, "%s", err);
	cr_assert_eq(slirp_opts_copy(&b, &a), 0);
	slirp_opts_fini(&a);
	cr_expect_str_eq(b.hostname, "h");
	cr_expect_str_eq(b.dnssearch[0], "x.example");
	cr_expect_eq(b.fwd[0].gport, 2);
	slirp_opts_fini(&b);
}

Test(slirp_opts, host_socket_bounds)
{
	struct slirp_opts o;

	cr_assert_eq(parse(&o, "slirp"), 0, "%s", err);
	cr_expect_eq(o.conn_max, SLIRP_CONN_MAX_DEFAULT);
	cr_expect_eq(o.conn_max_guest, SLIRP_CONN_MAX_GUEST_DEFAULT);
	cr_expect_eq(o.half_open_max_guest, SLIRP_HALF_OPEN_MAX_GUEST_DEFAULT);
	slirp_opts_fini(&o);
	cr_assert_eq(parse(&o, "slirp,conn-max=40,conn-max-guest=20,"
			       "half-open-max-guest=8"),
		     0, "%s", err);
	cr_expect_eq(o.conn_max, 40);
	cr_expect_eq(o.conn_max_guest, 20);
	cr_expect_eq(o.half_open_max_guest, 8);
	slirp_opts_fini(&o);
	cr_expect_eq(parse(&o, "slirp,conn-max=0"), -EINVAL);
	cr_expect_str_eq(err,
			 "conn-max: `0' is not a whole number in 1-1048576");
	slirp_opts_fini(&o);
	cr_expect_eq(parse(&o, "slirp,conn-max-guest=many"), -EINVAL);
	cr_expect_str_eq(
		err,
		"conn-max-guest: `many' is not a whole number in 1-1048576");
	slirp_opts_fini(&o);
	cr_expect_eq(parse(&o, "slirp,half-open-max-guest=2000000"), -EINVAL);
	cr_expect(strstr(err, "half-open-max-guest: `2000000'") == err, "%s",
		  err);
	slirp_opts_fini(&o);
	cr_expect_eq(parse(&o, "slirp,conn-max=-1"), -EINVAL);
	slirp_opts_fini(&o);
}

Test(slirp_opts, host_socket_bounds_in_json)
{
	const char *bad_key;
	json_error_t je;
	struct slirp_opts o;
	json_t *j = json_loads("{\"type\":\"slirp\",\"conn-max\":100,"
			       "\"conn-max-guest\":\"10\"}",
			       0, &je);

	slirp_opts_init(&o);
	cr_assert_eq(slirp_opts_from_json(&o, j, &bad_key, err, sizeof(err)), 0,
		     "%s", err);
	cr_expect_eq(o.conn_max, 100);
	cr_expect_eq(o.conn_max_guest, 10);
	slirp_opts_fini(&o);
	json_decref(j);

	j = json_loads("{\"type\":\"slirp\",\"half-open-max-guest\":true}", 0,
		       &je);
	slirp_opts_init(&o);
	cr_expect_eq(slirp_opts_from_json(&o, j, &bad_key, err, sizeof(err)),
		     -EINVAL);
	cr_expect_str_eq(bad_key, "half-open-max-guest");
	cr_expect_str_eq(err, "expected a number");
	slirp_opts_fini(&o);
	json_decref(j);

	j = json_loads("{\"type\":\"slirp\",\"conn-max\":0}", 0, &je);
	slirp_opts_init(&o);
	cr_expect_eq(slirp_opts_from_json(&o, j, &bad_key, err, sizeof(err)),
		     -EINVAL);
	cr_expect_str_eq(bad_key, "conn-max");
	cr_expect_str_eq(err, "`0' is not a whole number in 1-1048576");
	slirp_opts_fini(&o);
	json_decref(j);
}
