/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file dns_stats.h
 * Counters of aves-dns, readable at run time: SIGUSR1 writes them to the log as a few
 * "group: name=value ..." lines. Every discard has its own counter.
 *
 * Threads: one (the server thread); counters are plain integers.
 */
#ifndef DNS_STATS_H
#define DNS_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "dns_wire.h"

/* X(group, ENUM, "name"): consecutive counters of one group print on one line. */
#define DNS_COUNTERS(X)                                                                  \
	X("queries", QUERY_UDP, "udp")                                                  \
	X("queries", QUERY_TCP, "tcp")                                                  \
	X("queries", QTYPE_A, "a")                                                      \
	X("queries", QTYPE_AAAA, "aaaa")                                                \
	X("queries", QTYPE_SOA, "soa")                                                  \
	X("queries", QTYPE_NS, "ns")                                                    \
	X("queries", QTYPE_ANY, "any")                                                  \
	X("queries", QTYPE_XFR, "axfr_ixfr")                                            \
	X("queries", QTYPE_OTHER, "other")                                              \
	X("replies", REPLY_NOERROR, "noerror")                                          \
	X("replies", REPLY_NODATA, "nodata")                                            \
	X("replies", REPLY_NXDOMAIN, "nxdomain")                                        \
	X("replies", REPLY_REFUSED, "refused")                                          \
	X("replies", REPLY_FORMERR, "formerr")                                          \
	X("replies", REPLY_NOTIMP, "notimp")                                            \
	X("replies", REPLY_SERVFAIL, "servfail")                                        \
	X("replies", REPLY_BADVERS, "badvers")                                          \
	X("replies", REPLY_TRUNCATED, "truncated")                                      \
	X("replies", REPLY_WAYPOINT, "waypoint_answers")                                \
	X("replies", REPLY_SEND_ERROR, "send_errors")                                   \
	X("held", HELD, "started")                                                      \
	X("held", HELD_COALESCED, "coalesced")                                          \
	X("held", HELD_GAVE_UP, "gave_up_dropped")                                      \
	X("held", HELD_WAYPOINT_BUSY, "waited_for_waypoint")                            \
	X("held", HELD_ABANDONED, "client_replaced")                                    \
	X("held", SERVFAIL_UNREGISTERED, "servfail_unregistered")                       \
	X("held", SERVFAIL_NO_WAYPOINT, "servfail_no_waypoint")                         \
	X("held", SERVFAIL_PENDING_FULL, "servfail_pending_full")                       \
	X("setup", SETUP_SENT, "sent")                                                  \
	X("setup", SETUP_SEND_ERROR, "send_errors")                                     \
	X("setup", SETUP_ACCEPTED, "accepted")                                          \
	X("setup", SETUP_REJECTED, "rejected")                                          \
	X("setup", SETUP_TIMEOUT, "attempt_timeouts")                                   \
	X("setup", SETUP_TIMEOUT_EXCUSED, "timeouts_excused")                           \
	X("setup", SETUP_REPLY_UNKNOWN, "reply_unknown_serial")                         \
	X("setup", SETUP_REPLY_MISMATCH, "reply_wrong_waypoint")                        \
	X("setup", WAYPOINT_DOWN, "waypoint_marked_down")                               \
	X("defence", DROP_PENALISED, "penalised_drops")                                 \
	X("defence", PENALTY_STARTED, "penalties_started")                              \
	X("defence", DROP_SESSION_RATE, "session_rate_drops")                           \
	X("defence", DROP_ERROR_RATE, "error_rate_drops")                               \
	X("defence", DROP_RESPONSE, "qr_set_drops")                                     \
	X("control", CTRL_RECEIVED, "received")                                         \
	X("control", CTRL_INVALID, "invalid")                                           \
	X("control", CTRL_UNEXPECTED, "unexpected_type")                                \
	X("control", REGISTER_OK, "register_ok")                                        \
	X("control", REGISTER_CHANGED, "register_address_changed")                      \
	X("control", REGISTER_BAD, "register_bad_fields")                               \
	X("tcp", TCP_ACCEPTED, "accepted")                                              \
	X("tcp", TCP_REFUSED_FULL, "refused_full")                                      \
	X("tcp", TCP_IDLE_CLOSED, "idle_closed")                                        \
	X("tcp", TCP_RESET, "reset_or_error")

enum dns_counter {
#define DNS_COUNTER_ENUM(group, name, str) DNS_CTR_##name,
	DNS_COUNTERS(DNS_COUNTER_ENUM)
#undef DNS_COUNTER_ENUM
	DNS_CTR_MAX
};

/** Upper bounds (microseconds) of the SETUP round-trip histogram; a last bucket takes the rest. */
#define DNS_RTT_BOUNDS_US {100, 300, 1000, 3000, 10000, 30000, 100000, 300000, 1000000}
#define DNS_RTT_BUCKETS 10

/** Control-message verification failures are counted by reason; room for the library's. */
#define DNS_CTRL_REASONS_MAX 32

struct dns_stats {
	uint64_t c[DNS_CTR_MAX];
	uint64_t malformed[DNS_MALFORMED_MAX];
	uint64_t reject_reason[8]; /**< REJECT reasons 1..7 (docs/PROTOCOL.md §4.4); 0: others */
	uint64_t ctrl_reason[DNS_CTRL_REASONS_MAX]; /**< control messages dropped, by reason */
	uint64_t rtt_count;
	uint64_t rtt_sum_us;
	uint64_t rtt_min_us;
	uint64_t rtt_max_us;
	uint64_t rtt_hist[DNS_RTT_BUCKETS];
};

static inline void
dns_count(struct dns_stats *st, enum dns_counter c)
{
	st->c[c]++;
}

/** Record one SETUP → ACCEPT/REJECT round trip. */
void dns_stats_rtt(struct dns_stats *st, uint64_t rtt_us);

/** Name of a counter ("?" out of range). */
const char *dns_counter_name(enum dns_counter c);

/** Name of a control-message drop reason, supplied by the control module. */
typedef const char *(*dns_reason_name_fn)(unsigned int reason);

/**
 * Format the counters as text, one group per line ("group: name=value ..."), lines separated
 * by '\n', NUL-terminated; counters of the malformed and control-reason groups that are zero
 * are left out to keep the dump short.
 * @return the length written (truncated to @p cap - 1).
 */
size_t dns_stats_format(const struct dns_stats *st, dns_reason_name_fn ctrl_reason_name,
			char *buf, size_t cap);

#endif /* DNS_STATS_H */
