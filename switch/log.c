// SPDX-License-Identifier: MIT
/*
 * log.c - logging to stderr (foreground) or syslog (daemon)
 *
 * After OpenBSD's log.c: log_warn() appends strerror(errno) and keeps
 * errno; the others do not. fatalx() is for start-up only. When stderr is
 * the systemd journal ($JOURNAL_STREAM names its device and inode, see
 * sd-daemon(3) and systemd.exec(5)), each line starts with its syslog
 * priority, "<3>" to "<7>", instead of the text level, so the journal
 * files it at the right priority. With -v on a terminal, lines carry a
 * local timestamp to the millisecond.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "sockswitchd.h"

/* log_state is defined in main.c, the one home of mutable globals: the
 * logger is process-wide by nature, like stderr and syslog. */

static const char *const level_name[] = {
	[LOG_LVL_ERROR] = "error",
	[LOG_LVL_WARNING] = "warning",
	[LOG_LVL_INFO] = "info",
	[LOG_LVL_DEBUG] = "debug",
};

static const int level_prio[] = {
	[LOG_LVL_ERROR] = LOG_ERR,
	[LOG_LVL_WARNING] = LOG_WARNING,
	[LOG_LVL_INFO] = LOG_INFO,
	[LOG_LVL_DEBUG] = LOG_DEBUG,
};

/*
 * Is stderr the journal? $JOURNAL_STREAM is "DEV:INODE" of the stream
 * systemd connected; a child with stderr redirected elsewhere inherits the
 * variable, so it counts only when stderr is that very stream.
 */
static bool stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char tail;

	if (!env || sscanf(env, "%llu:%llu%c", &dev, &ino, &tail) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

/**
 * log_init() - choose verbosity and destination
 * @level:	most verbose level printed
 * @use_syslog:	log to syslog (daemon) instead of stderr
 * @verbose:	-v was given: timestamps, if stderr is a terminal
 */
void log_init(enum log_level level, bool use_syslog, bool verbose)
{
	log_state.level = level;
	log_state.use_syslog = use_syslog;
	log_state.journal = !use_syslog && stderr_is_journal();
	log_state.stamps = !use_syslog && !log_state.journal && verbose &&
			   isatty(STDERR_FILENO);
	if (use_syslog)
		openlog("sockswitch", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/**
 * log_set_level() - change verbosity at run time
 * @level:	most verbose level printed from now on
 */
void log_set_level(enum log_level level)
{
	log_state.level = level;
}

/**
 * log_get_level() - the current verbosity
 *
 * Return: the most verbose level printed
 */
enum log_level log_get_level(void)
{
	return log_state.level;
}

/**
 * log_level_name() - "error", "warning", "info" or "debug"
 * @level:	a level
 *
 * Return: static string
 */
const char *log_level_name(enum log_level level)
{
	return level <= LOG_LVL_DEBUG ? level_name[level] : "?";
}

/**
 * log_enabled() - would a message at @level be printed
 * @level:	a level
 *
 * Return: true if it would
 */
bool log_enabled(enum log_level level)
{
	return level <= log_state.level;
}

/* "2026-12-04 17:10:02.123 " into @buf. */
static void log_stamp(char *buf, size_t len)
{
	struct timeval tv;
	struct tm tm;
	char day[32];

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03d ", day, (int)(tv.tv_usec / 1000) % 1000);
}

static void __attribute__((format(printf, 2, 0)))
log_vmsg(enum log_level level, const char *fmt, va_list ap, const char *suffix)
{
	char buf[1024], stamp[64] = "";

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (log_state.use_syslog) {
		syslog(level_prio[level], "%s%s%s", buf, suffix ? ": " : "",
		       suffix ? suffix : "");
		return;
	}
	if (log_state.journal) {
		fprintf(stderr, "<%d>%s%s%s\n", level_prio[level], buf,
			suffix ? ": " : "", suffix ? suffix : "");
		return;
	}
	if (log_state.stamps)
		log_stamp(stamp, sizeof(stamp));
	fprintf(stderr, "%ssockswitch: %s: %s%s%s\n", stamp, level_name[level],
		buf, suffix ? ": " : "", suffix ? suffix : "");
}

/**
 * log_msg() - log at @level
 * @level:	severity
 * @fmt:	printf format
 */
void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap, NULL);
	va_end(ap);
}

/**
 * log_warn() - log a warning followed by strerror(errno); errno is kept
 * @fmt:	printf format
 */
void log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	if (log_enabled(LOG_LVL_WARNING)) {
		va_start(ap, fmt);
		log_vmsg(LOG_LVL_WARNING, fmt, ap, strerror(saved));
		va_end(ap);
	}
	errno = saved;
}

/**
 * fatalx() - log an error and exit 1 (start-up only)
 * @fmt:	printf format
 */
void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_ERROR, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}

/**
 * log_ratelimit_ok() - may a per-event warning be logged now?
 * @r:		the event kind's state (zeroed at start)
 * @now_ms:	monotonic time
 * @burst:	lines allowed per LOG_WINDOW_MS (LOG_BURST, or 1 where one
 *		line with a count says it all)
 * @suppressed:	set to how many were held back since the last line
 *
 * At most @burst lines per LOG_WINDOW_MS for one kind of event (a
 * refusal, a bad datagram): a peer that repeats it cannot flood the log.
 * The next line after a quiet spell says how many were suppressed.
 *
 * Return: true if the caller logs this one
 */
bool log_ratelimit_ok(struct log_ratelimit *r, uint64_t now_ms, unsigned burst,
		      uint64_t *suppressed)
{
	if (now_ms >= r->window_ms + LOG_WINDOW_MS || r->window_ms == 0) {
		r->window_ms = now_ms ? now_ms : 1;
		r->lines = 0;
	}
	if (r->lines >= burst) {
		r->suppressed++;
		return false;
	}
	r->lines++;
	*suppressed = r->suppressed;
	r->suppressed = 0;
	return true;
}
