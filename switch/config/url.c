// SPDX-License-Identifier: MIT
/*
 * url.c - listener URLs: tcp:HOST:PORT, tcp:[V6]:PORT, unix:PATH,
 * udp:HOST:PORT, udp:[V6]:PORT, unixgram:PATH, vde:DIR
 *
 * Parsing only: no name resolution and no sockets here, so the config
 * checker can validate a URL without touching the system. Paths are
 * expanded as they are parsed (~, %t, $XDG_RUNTIME_DIR...: path.c).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockswitchd.h"

static int parse_port(const char *s, uint16_t *port)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end != '\0' || v > 65535)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/**
 * parse_path() - a URL's socket path, expanded (path_expand())
 * @url:	the URL, for messages
 * @path:	its path part as written
 * @out:	@out->path is set
 * @err:	on failure, a message quoting the bad part
 * @errlen:	size of @err
 *
 * Return: 0 on success, negative error code on failure
 */
static int parse_path(const char *url, const char *path,
		      struct listen_addr *out, char *err, size_t errlen)
{
	char full[PATH_MAX];
	int rc;

	if (*path == '\0') {
		snprintf(err, errlen, "`%s': empty unix socket path", url);
		return -EINVAL;
	}
	rc = path_expand(path, full, sizeof(full), err, errlen);
	if (rc < 0)
		return rc;
	if (strlen(full) >= sizeof(out->path)) {
		snprintf(err, errlen,
			 "`%s': unix socket path %s longer than %zu bytes", url,
			 full, sizeof(out->path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(out->path, full);
	return 0;
}

static int parse_tcp(const char *rest, struct listen_addr *out, char *err,
		     size_t errlen)
{
	const char *colon;
	size_t hlen;

	if (rest[0] == '[') {
		const char *close = strchr(rest, ']');

		if (!close || close[1] != ':') {
			snprintf(
				err, errlen,
				"`%s': IPv6 address must be written [ADDR]:PORT",
				rest);
			return -EINVAL;
		}
		hlen = (size_t)(close - rest - 1);
		if (hlen == 0 || hlen >= sizeof(out->host)) {
			snprintf(err, errlen, "`%s': bad IPv6 address", rest);
			return -EINVAL;
		}
		memcpy(out->host, rest + 1, hlen);
		out->host[hlen] = '\0';
		colon = close + 1;
	} else {
		colon = strrchr(rest, ':');
		if (!colon) {
			snprintf(err, errlen, "`%s': expected HOST:PORT", rest);
			return -EINVAL;
		}
		hlen = (size_t)(colon - rest);
		if (hlen == 0 || hlen >= sizeof(out->host) ||
		    memchr(rest, ':', hlen)) {
			snprintf(
				err, errlen,
				"`%s': expected HOST:PORT (IPv6 as [ADDR]:PORT)",
				rest);
			return -EINVAL;
		}
		memcpy(out->host, rest, hlen);
		out->host[hlen] = '\0';
	}
	if (parse_port(colon + 1, &out->port) < 0) {
		snprintf(err, errlen, "`%s': port must be 0-65535", colon + 1);
		return -EINVAL;
	}
	out->kind = LISTEN_TCP;
	return 0;
}

/* vde:DIR, also written vde:///DIR like a vdeplug URL */
static int parse_vde(const char *url, struct listen_addr *out, char *err,
		     size_t errlen)
{
	const char *dir = url + 4;
	char full[PATH_MAX];
	int rc;

	if (strncmp(dir, "//", 2) == 0 && dir[2] == '/')
		dir += 2;
	if (*dir == '\0') {
		snprintf(err, errlen, "`%s': empty vde switch directory", url);
		return -EINVAL;
	}
	rc = path_expand(dir, full, sizeof(full), err, errlen);
	if (rc < 0)
		return rc;
	if (strlen(full) > VDE_DIR_MAX) {
		snprintf(
			err, errlen,
			"`%s': vde switch directory %s longer than %d bytes (its sockets must fit a unix socket path)",
			url, full, VDE_DIR_MAX);
		return -ENAMETOOLONG;
	}
	strcpy(out->path, full);
	out->kind = LISTEN_VDE;
	return 0;
}

/**
 * listen_url_parse() - parse a listener URL
 * @url:	tcp:HOST:PORT, tcp:[V6]:PORT, unix:PATH, udp:HOST:PORT,
 *		udp:[V6]:PORT, unixgram:PATH, vde:DIR or vhost-user:PATH
 * @out:	parsed address
 * @err:	on failure, a message quoting the bad part
 * @errlen:	size of @err
 *
 * Return: 0 on success, negative error code on failure
 */
int listen_url_parse(const char *url, struct listen_addr *out, char *err,
		     size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (strncmp(url, "tcp:", 4) == 0)
		return parse_tcp(url + 4, out, err, errlen);
	if (strncmp(url, "unix:", 5) == 0) {
		out->kind = LISTEN_UNIX;
		return parse_path(url, url + 5, out, err, errlen);
	}
	if (strncmp(url, "udp:", 4) == 0) {
		int rc = parse_tcp(url + 4, out, err, errlen);

		out->kind = LISTEN_UDP;
		return rc;
	}
	if (strncmp(url, "unixgram:", 9) == 0) {
		out->kind = LISTEN_UNIXGRAM;
		return parse_path(url, url + 9, out, err, errlen);
	}
	if (strncmp(url, "vde:", 4) == 0)
		return parse_vde(url, out, err, errlen);
	if (strncmp(url, "vhost-user:", 11) == 0) {
		out->kind = LISTEN_VHOST;
		return parse_path(url, url + 11, out, err, errlen);
	}
	snprintf(
		err, errlen,
		"`%s': unknown listener; use tcp:HOST:PORT, tcp:[V6]:PORT, unix:PATH, udp:HOST:PORT, udp:[V6]:PORT, unixgram:PATH, vde:DIR or vhost-user:PATH",
		url);
	return -EINVAL;
}

/**
 * listen_url_format() - write an address back as a URL
 * @a:		the address
 * @buf:	output
 * @len:	size of @buf
 *
 * Return: 0 on success, -ENOSPC if @buf is too small
 */
int listen_url_format(const struct listen_addr *a, char *buf, size_t len)
{
	const char *scheme = a->kind == LISTEN_UDP ? "udp" : "tcp";
	int n;

	if (a->kind == LISTEN_UNIX)
		n = snprintf(buf, len, "unix:%s", a->path);
	else if (a->kind == LISTEN_VDE)
		n = snprintf(buf, len, "vde:%s", a->path);
	else if (a->kind == LISTEN_UNIXGRAM)
		n = snprintf(buf, len, "unixgram:%s", a->path);
	else if (a->kind == LISTEN_VHOST)
		n = snprintf(buf, len, "vhost-user:%s", a->path);
	else if (strchr(a->host, ':'))
		n = snprintf(buf, len, "%s:[%s]:%u", scheme, a->host, a->port);
	else
		n = snprintf(buf, len, "%s:%s:%u", scheme, a->host, a->port);
	return (n < 0 || (size_t)n >= len) ? -ENOSPC : 0;
}

/**
 * listen_addr_same() - do two listener addresses name the same socket
 * @a:		one, as configured
 * @b:		the other
 *
 * Return: true if same kind and same path, or same host and port
 */
bool listen_addr_same(const struct listen_addr *a, const struct listen_addr *b)
{
	if (a->kind != b->kind)
		return false;
	if (listen_addr_is_file(a))
		return !strcmp(a->path, b->path);
	return a->port == b->port && !strcmp(a->host, b->host);
}

/**
 * endpoint_url_parse() - parse the address of a service endpoint
 * @url:	tcp:HOST:PORT, tcp:[V6]:PORT or unix:PATH (a stream socket the
 *		daemon serves something other than frames on, e.g. metrics)
 * @out:	parsed address
 * @err:	on failure, a message quoting the bad part
 * @errlen:	size of @err
 *
 * Return: 0 on success, negative error code otherwise
 */
int endpoint_url_parse(const char *url, struct listen_addr *out, char *err,
		       size_t errlen)
{
	int rc = listen_url_parse(url, out, err, errlen);

	if (rc == 0 && out->kind != LISTEN_TCP && out->kind != LISTEN_UNIX)
		rc = -EINVAL;
	if (rc == -EINVAL)
		snprintf(
			err, errlen,
			"`%s': not a stream endpoint; use tcp:HOST:PORT, tcp:[V6]:PORT or unix:PATH",
			url);
	return rc;
}
