// SPDX-License-Identifier: MIT
/*
 * sstapfd.c - open a tap and run a command with it as a given descriptor
 *
 * Usage: sstapfd NAME FD COMMAND [ARG]...
 * Attaches to (as root: creates) tap NAME with IFF_TAP|IFF_NO_PI, puts the
 * descriptor at FD and execs COMMAND: the wrapper a tap-fd:FD uplink
 * expects.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct ifreq ifr;
	int fd, want;

	if (argc < 4) {
		fprintf(stderr, "usage: sstapfd NAME FD COMMAND [ARG]...\n");
		return 2;
	}
	want = atoi(argv[2]);
	fd = open("/dev/net/tun", O_RDWR);
	if (fd < 0) {
		perror("sstapfd: /dev/net/tun");
		return 1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[1]);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		fprintf(stderr, "sstapfd: TUNSETIFF %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	if (fd != want && (dup2(fd, want) < 0 || close(fd) < 0)) {
		perror("sstapfd: dup2");
		return 1;
	}
	execvp(argv[3], argv + 3);
	fprintf(stderr, "sstapfd: %s: %s\n", argv[3], strerror(errno));
	return 127;
}
