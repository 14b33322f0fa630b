/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The log: syslog or stderr.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dns_log.h"

static bool to_stderr = true;

void
dns_log_open(bool foreground)
{
	to_stderr = foreground;
	if (!foreground)
		openlog("aves-dns", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
dns_log(int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (to_stderr) {
		fputs("aves-dns: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		fflush(stderr);
	} else {
		vsyslog(priority, fmt, ap);
	}
	va_end(ap);
}

void
dns_log_lines(int priority, const char *text)
{
	while (*text != '\0') {
		const char *nl = strchr(text, '\n');
		int len = nl != NULL ? (int)(nl - text) : (int)strlen(text);

		dns_log(priority, "%.*s", len, text);
		text += len + (nl != NULL);
	}
}
