/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file dns_query.h
 * The query engine: one DNS message in, a verdict and (usually) a reply out.
 *
 * Checks run cheapest first: length, QR, opcode, QDCOUNT, the question, the additional
 * section (EDNS), then the zone. The engine knows only the zone's configured data: whether a
 * held answer can actually be given (gateway registered, a waypoint free, the responder's rate)
 * is decided by the caller, which turns the held reply into an error with dns_query_error()
 * when it cannot.
 *
 * Threads: pure function of its arguments; any thread. No allocation, no system calls.
 */
#ifndef DNS_QUERY_H
#define DNS_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns_wire.h"
#include "dns_zone.h"

enum dns_verdict {
	DNS_VERDICT_DISCARD, /**< send nothing */
	DNS_VERDICT_RESPOND, /**< send the reply now */
	DNS_VERDICT_HOLD,    /**< an A query for a subscriber host: SETUP first, reply on ACCEPT */
};

enum dns_outcome {
	DNS_OUTCOME_DISCARD,  /**< not answerable: too short, or a response (QR=1) */
	DNS_OUTCOME_NOERROR,  /**< positive answer */
	DNS_OUTCOME_NODATA,   /**< the name exists, not with that type */
	DNS_OUTCOME_NXDOMAIN, /**< the name does not exist: the requester earns a strike */
	DNS_OUTCOME_REFUSED,  /**< outside the zone, zone transfer, class not served */
	DNS_OUTCOME_FORMERR,
	DNS_OUTCOME_NOTIMP,
	DNS_OUTCOME_SERVFAIL,
	DNS_OUTCOME_BADVERS,
	DNS_OUTCOME_HELD,
};

/** What the engine decided, and what a caller needs to finish or rewrite the reply. */
struct dns_reply {
	enum dns_verdict verdict;
	enum dns_outcome outcome;
	enum dns_malformed malformed; /**< why FORMERR or DISCARD, else NONE */
	bool response;                /**< DISCARD because QR was set */
	bool truncated;               /**< TC set: the answer did not fit */
	uint16_t qtype;               /**< 0 when no question was parsed */
	size_t len;                   /**< reply length in the output buffer */
	/* Set once the question has been parsed (question_end != 0). */
	size_t question_end;          /**< offset just after the reply's question */
	bool edns;                    /**< the query had a valid OPT: the reply carries one */
	bool edns_do;                 /**< its DO bit (RFC 3225: copied) */
	uint16_t edns_payload;        /**< our payload size, advertised in the reply's OPT */
	/* HOLD only. */
	uint32_t host;                /**< index into zone->hosts */
	size_t rdata_off;             /**< where the waypoint address goes in the reply */
};

struct dns_query_params {
	const struct dns_zone *zone;
	uint16_t edns_max; /**< largest UDP reply we send and advertise, 512..4096 */
};

/**
 * Process one query.
 * @param qp     zone and limits
 * @param msg    the message as received (over TCP: without the length prefix)
 * @param len    its length
 * @param tcp    whether it came over TCP (no size limit but the buffer, no TC)
 * @param out    reply buffer
 * @param cap    its size (at least DNS_MSG_MAX lets every TCP reply fit)
 * @param r      the verdict and reply description
 */
void dns_query_answer(const struct dns_query_params *qp, const uint8_t *msg, size_t len, bool tcp,
		      uint8_t *out, size_t cap, struct dns_reply *r);

/**
 * Turn a reply whose question was parsed (r->question_end != 0) into an error: header and
 * question kept, sections emptied, AA and TC cleared, @p rcode set, OPT re-appended if the
 * query had EDNS. Used for SERVFAIL when a held answer cannot be given.
 * @return the new length (also stored in r->len); r->outcome and r->verdict are updated.
 */
size_t dns_query_error(uint8_t *out, size_t cap, struct dns_reply *r, enum dns_rcode rcode);

/**
 * Recover from the bytes of a held reply (verdict HOLD), kept without its description, what
 * dns_query_error() needs to turn it into an error later: where the question ends, and the
 * query's EDNS (the held reply carries an OPT exactly when the query had one).
 * @param reply  the held reply as dns_query_answer() built it
 * @param len    its length
 * @param r      out: len, question_end, edns, edns_do, edns_payload (question_end 0 if
 *               @p reply is not such a reply)
 */
void dns_query_describe_held(const uint8_t *reply, size_t len, struct dns_reply *r);

/** Put the waypoint address @p waypoint (host order) into a held reply. */
void dns_query_set_waypoint(uint8_t *out, const struct dns_reply *r, uint32_t waypoint);

#endif /* DNS_QUERY_H */
