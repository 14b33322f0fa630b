/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file dns_server.h
 * The sockets of aves-dns and its event loop: UDP and TCP on every listen address, the control
 * socket, and signals, all in one epoll set on one thread.
 *
 * TCP (RFC 7766): at most tcp-max-connections at once (more are closed on accept), each closed
 * after tcp-idle-timeout without a complete query. Queries on one connection are answered in
 * order, one at a time: while a query is held for a waypoint, the next one waits in the buffer.
 *
 * Threads: one (the caller of dns_server_run()).
 */
#ifndef DNS_SERVER_H
#define DNS_SERVER_H

#include <stdint.h>

#include "dns_config.h"
#include "dns_core.h"

struct dns_server;

/** What the loop does on SIGHUP and SIGUSR1 (SIGTERM and SIGINT end the loop). */
struct dns_server_hooks {
	void (*reload)(void *arg);
	void (*dump)(void *arg);
	void *arg;
};

/**
 * The I/O callbacks for dns_core_create(), with the server as their argument: UDP replies are
 * queued until the end of the round, control messages sent at once (the core batches them).
 */
extern const struct dns_core_io dns_server_io;

/**
 * Open and bind every socket @p cfg names, and a signalfd for SIGTERM, SIGINT, SIGHUP and
 * SIGUSR1 (which the caller has blocked). Failures are logged.
 * @return the server, or NULL.
 */
struct dns_server *dns_server_create(const struct dns_config *cfg);

/** Give the server the core it feeds (created with dns_server_io and this server). */
void dns_server_attach(struct dns_server *srv, struct dns_core *core);

/**
 * Serve until SIGTERM or SIGINT: dns_server_poll() in a loop.
 * @return 0, or a negative errno if the event loop itself failed.
 */
int dns_server_run(struct dns_server *srv, const struct dns_server_hooks *hooks);

/**
 * One round of the event loop: the core's due timers and idle TCP connections; what they
 * queued is sent (dns_core_flush()) before one epoll_wait(); then everything it reported, each
 * ready UDP or control socket read with one recvmmsg() of at most 64 datagrams; and at the end
 * the round's SETUPs (tagged in one burst) and UDP replies are sent, in order, with sendmmsg().
 * TCP replies are written at once. Lets a driver such as bench/dns_bench.c time the loop round
 * by round.
 * @param timeout_ms  longest wait for readiness (0: none, -1: until the next timer or event)
 * @return the number of readiness events handled (0 on timeout or EINTR), or a negative errno
 *         if epoll_wait() failed.
 */
int dns_server_poll(struct dns_server *srv, const struct dns_server_hooks *hooks, int timeout_ms);

/** Close every socket; NULL is a no-op. */
void dns_server_free(struct dns_server *srv);

/** Monotonic clock, microseconds. */
uint64_t dns_now_us(void);

/** Wall clock, milliseconds since the Unix epoch. */
uint64_t dns_wall_ms(void);

#endif /* DNS_SERVER_H */
