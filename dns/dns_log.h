/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file dns_log.h
 * aves-dns's log: syslog (facility daemon) when running as a daemon, stderr in the
 * foreground (-d). Used at start, stop, reload and for the statistics dump; never per query.
 *
 * Threads: one.
 */
#ifndef DNS_LOG_H
#define DNS_LOG_H

#include <stdbool.h>
#include <syslog.h>

/** Choose the destination: stderr if @p foreground, else syslog. */
void dns_log_open(bool foreground);

/** Log one message at a syslog priority (LOG_ERR, LOG_WARNING, LOG_INFO, ...). */
void dns_log(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Log a multi-line text one line at a time. */
void dns_log_lines(int priority, const char *text);

#endif /* DNS_LOG_H */
