/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The query engine. Replies are minimal (RFC 1034 §4.3.2 answers, the SOA for negative
 * answers per RFC 2308 §3, glue only where a referral-free NS answer needs it per RFC 9471)
 * and every reply that does not fit the requester's UDP size is sent as header, question and
 * OPT with TC set (RFC 2181 §9), so the requester retries over TCP.
 */
#include <string.h>

#include "dns_query.h"

/* RFC 8482 §4.2: the answer to QTYPE=ANY is a synthesised HINFO naming the RFC. */
static const uint8_t rfc8482_hinfo[] = {7, 'R', 'F', 'C', '8', '4', '8', '2', 0};

/* What was read from the query. */
struct query {
	uint16_t id;
	uint16_t flags;
	uint8_t qname[DNS_NAME_MAX]; /* as asked */
	size_t qname_len;
	uint16_t qtype;
	uint16_t qclass;
	bool edns;
	uint16_t edns_payload; /* requestor's UDP payload size */
	uint8_t edns_version;
	bool edns_do;
};

/* Reply header flags: QR, the query's opcode, RD and CD copied; RA, AD, Z clear. */
static uint16_t
reply_flags(uint16_t query_flags, bool aa, enum dns_rcode rcode)
{
	uint16_t f = DNS_FLAG_QR;

	f |= query_flags & ((DNS_OPCODE_MASK << DNS_OPCODE_SHIFT) | DNS_FLAG_RD | DNS_FLAG_CD);
	if (aa)
		f |= DNS_FLAG_AA;
	return (uint16_t)(f | ((unsigned int)rcode & DNS_RCODE_MASK));
}

static void
put_header(struct dns_writer *w, uint16_t id, uint16_t flags)
{
	dns_put_u16(w, id);
	dns_put_u16(w, flags);
	dns_put_u16(w, 0);
	dns_put_u16(w, 0);
	dns_put_u16(w, 0);
	dns_put_u16(w, 0);
}

static void
set_counts(struct dns_writer *w, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar)
{
	dns_patch_u16(w, 4, qd);
	dns_patch_u16(w, 6, an);
	dns_patch_u16(w, 8, ns);
	dns_patch_u16(w, 10, ar);
}

/* The OPT record put_opt() writes: root owner, type, class, TTL, no options. */
#define OPT_RR_LEN 11

static void
put_opt(struct dns_writer *w, uint16_t payload, enum dns_rcode rcode, bool do_bit)
{
	uint32_t ttl = ((uint32_t)rcode >> 4) << 24 | (do_bit ? DNS_EDNS_DO : 0);

	dns_put_u8(w, 0);
	dns_put_u16(w, DNS_TYPE_OPT);
	dns_put_u16(w, payload);
	dns_put_u32(w, ttl);
	dns_put_u16(w, 0);
}

/* A header-only reply: the query could not be parsed far enough to echo its question. */
static void
reply_bare(const struct query *q, enum dns_rcode rcode, uint8_t *out, size_t cap,
	   struct dns_reply *r)
{
	struct dns_writer w;

	dns_writer_init(&w, out, cap);
	put_header(&w, q->id, reply_flags(q->flags, false, rcode));
	r->verdict = DNS_VERDICT_RESPOND;
	r->outcome = rcode == DNS_RCODE_NOTIMP ? DNS_OUTCOME_NOTIMP : DNS_OUTCOME_FORMERR;
	r->len = w.len;
}

static void
formerr(const struct query *q, enum dns_malformed why, uint8_t *out, size_t cap,
	struct dns_reply *r)
{
	r->malformed = why;
	reply_bare(q, DNS_RCODE_FORMERR, out, cap, r);
}

size_t
dns_query_error(uint8_t *out, size_t cap, struct dns_reply *r, enum dns_rcode rcode)
{
	struct dns_writer w;
	uint16_t flags = (uint16_t)(out[2] << 8 | out[3]);

	flags &= (uint16_t) ~(DNS_FLAG_AA | DNS_FLAG_TC | DNS_RCODE_MASK);
	flags |= (uint16_t)((unsigned int)rcode & DNS_RCODE_MASK);
	dns_writer_init(&w, out, cap);
	w.len = r->question_end;
	dns_patch_u16(&w, 2, flags);
	if (r->edns)
		put_opt(&w, r->edns_payload, rcode, r->edns_do);
	set_counts(&w, 1, 0, 0, r->edns ? 1 : 0);
	r->len = w.len;
	r->verdict = DNS_VERDICT_RESPOND;
	r->truncated = false;
	switch (rcode) {
	case DNS_RCODE_SERVFAIL:
		r->outcome = DNS_OUTCOME_SERVFAIL;
		break;
	case DNS_RCODE_REFUSED:
		r->outcome = DNS_OUTCOME_REFUSED;
		break;
	case DNS_RCODE_NOTIMP:
		r->outcome = DNS_OUTCOME_NOTIMP;
		break;
	case DNS_RCODE_BADVERS:
		r->outcome = DNS_OUTCOME_BADVERS;
		break;
	default:
		r->outcome = DNS_OUTCOME_FORMERR;
		break;
	}
	return w.len;
}

void
dns_query_describe_held(const uint8_t *reply, size_t len, struct dns_reply *r)
{
	struct dns_cursor c;

	memset(r, 0, sizeof(*r));
	r->len = len;
	dns_cursor_init(&c, reply, len);
	/* Header, the question (its name written uncompressed), then the A record and OPT. */
	if (!dns_skip(&c, DNS_HEADER_LEN) || dns_name_read(&c, NULL, NULL) != DNS_MALFORMED_NONE ||
	    !dns_skip(&c, 4))
		return;
	r->question_end = c.off;
	/* A held reply's only additional record is the OPT, last, without options. */
	r->edns = (reply[10] << 8 | reply[11]) == 1 && len - c.off >= OPT_RR_LEN;
	if (r->edns) {
		size_t opt = len - OPT_RR_LEN;

		r->edns_payload = (uint16_t)(reply[opt + 3] << 8 | reply[opt + 4]);
		r->edns_do = (reply[opt + 7] << 8 & DNS_EDNS_DO) != 0;
	}
}

void
dns_query_set_waypoint(uint8_t *out, const struct dns_reply *r, uint32_t waypoint)
{
	out[r->rdata_off] = (uint8_t)(waypoint >> 24);
	out[r->rdata_off + 1] = (uint8_t)(waypoint >> 16);
	out[r->rdata_off + 2] = (uint8_t)(waypoint >> 8);
	out[r->rdata_off + 3] = (uint8_t)waypoint;
}

/* Parse what follows the header. Returns NONE or why the message is malformed. */
static enum dns_malformed
parse_query(struct dns_cursor *c, uint16_t nscount, uint16_t arcount, struct query *q)
{
	enum dns_malformed why;
	unsigned int i;

	why = dns_name_read(c, q->qname, &q->qname_len);
	if (why != DNS_MALFORMED_NONE)
		return why == DNS_MALFORMED_NAME_TRUNCATED ? DNS_MALFORMED_QUESTION_TRUNCATED : why;
	if (!dns_get_u16(c, &q->qtype) || !dns_get_u16(c, &q->qclass))
		return DNS_MALFORMED_QUESTION_TRUNCATED;
	/* Only an IXFR query carries an authority section (RFC 1995 §3: the client's SOA). */
	if (nscount != 0 && q->qtype != DNS_TYPE_IXFR)
		return DNS_MALFORMED_SECTIONS;

	for (i = 0; i < (unsigned int)nscount + arcount; i++) {
		size_t owner_len;
		uint16_t type, rclass, rdlength;
		uint32_t ttl;

		why = dns_name_read(c, NULL, &owner_len);
		if (why == DNS_MALFORMED_NAME_TRUNCATED)
			return DNS_MALFORMED_RR_TRUNCATED;
		if (why != DNS_MALFORMED_NONE)
			return why;
		if (!dns_get_u16(c, &type) || !dns_get_u16(c, &rclass) || !dns_get_u32(c, &ttl) ||
		    !dns_get_u16(c, &rdlength) || dns_cursor_left(c) < rdlength)
			return DNS_MALFORMED_RR_TRUNCATED;
		if (type != DNS_TYPE_OPT || i < nscount) {
			/* Not used here (an IXFR's SOA, TSIG): skipped. */
			dns_skip(c, rdlength);
			continue;
		}
		if (q->edns)
			return DNS_MALFORMED_OPT_DUPLICATE;
		if (owner_len != 1)
			return DNS_MALFORMED_OPT_OWNER;
		q->edns = true;
		q->edns_payload = rclass;
		q->edns_version = (uint8_t)(ttl >> DNS_EDNS_VERSION_SHIFT);
		q->edns_do = (ttl & DNS_EDNS_DO) != 0;
		/* Options are not acted on, but they must tile the rdata exactly (RFC 6891 §6.1.2). */
		while (rdlength > 0) {
			uint16_t code, olen;

			if (rdlength < 4 || !dns_get_u16(c, &code) || !dns_get_u16(c, &olen) ||
			    olen > rdlength - 4)
				return DNS_MALFORMED_OPT_OPTIONS;
			dns_skip(c, olen);
			rdlength = (uint16_t)(rdlength - 4 - olen);
		}
	}
	if (dns_cursor_left(c) != 0)
		return DNS_MALFORMED_TRAILING;
	return DNS_MALFORMED_NONE;
}

static bool
put_soa(struct dns_writer *w, const struct dns_zone *zone, uint32_t ttl)
{
	const struct dns_soa *soa = &zone->soa;
	size_t rd = dns_rr_begin(w, zone->apex.wire, zone->apex.len, DNS_TYPE_SOA, DNS_CLASS_IN, ttl);

	dns_put_name(w, soa->mname.wire, soa->mname.len);
	dns_put_name(w, soa->rname.wire, soa->rname.len);
	dns_put_u32(w, soa->serial);
	dns_put_u32(w, soa->refresh);
	dns_put_u32(w, soa->retry);
	dns_put_u32(w, soa->expire);
	dns_put_u32(w, soa->minimum);
	dns_rr_end(w, rd);
	return !w->overflow;
}

static void
put_a(struct dns_writer *w, const uint8_t *owner, size_t owner_len, uint32_t ttl, uint32_t addr)
{
	size_t rd = dns_rr_begin(w, owner, owner_len, DNS_TYPE_A, DNS_CLASS_IN, ttl);

	dns_put_u32(w, addr);
	dns_rr_end(w, rd);
}

/* The answer, authority and additional records for a question inside the zone. */
static void
put_sections(const struct dns_query_params *qp, const struct query *q,
	     const struct dns_node *node, struct dns_writer *w, struct dns_reply *r,
	     uint16_t counts[3])
{
	const struct dns_zone *zone = qp->zone;
	unsigned int i;

	if (node == NULL) {
		r->outcome = DNS_OUTCOME_NXDOMAIN;
		put_soa(w, zone, zone->ttl < zone->soa.minimum ? zone->ttl : zone->soa.minimum);
		counts[1] = 1;
		return;
	}
	r->outcome = DNS_OUTCOME_NOERROR;
	if (q->qtype == DNS_TYPE_ANY) {
		size_t rd = dns_rr_begin(w, q->qname, q->qname_len, DNS_TYPE_HINFO, DNS_CLASS_IN,
					 zone->ttl);

		dns_put_bytes(w, rfc8482_hinfo, sizeof(rfc8482_hinfo));
		dns_rr_end(w, rd);
		counts[0] = 1;
		return;
	}
	switch (node->kind) {
	case DNS_NODE_APEX:
		if (q->qtype == DNS_TYPE_SOA) {
			put_soa(w, zone, zone->ttl);
			counts[0] = 1;
			return;
		}
		if (q->qtype == DNS_TYPE_NS) {
			for (i = 0; i < zone->n_ns; i++) {
				size_t rd = dns_rr_begin(w, q->qname, q->qname_len, DNS_TYPE_NS,
							 DNS_CLASS_IN, zone->ttl);

				dns_put_name(w, zone->ns[i].name.wire, zone->ns[i].name.len);
				dns_rr_end(w, rd);
			}
			counts[0] = (uint16_t)zone->n_ns;
			for (i = 0; i < zone->n_ns; i++)
				if (zone->ns[i].glue != 0) {
					put_a(w, zone->ns[i].name.wire, zone->ns[i].name.len, zone->ttl,
					      zone->ns[i].glue);
					counts[2]++;
				}
			return;
		}
		break;
	case DNS_NODE_NS_HOST:
		if (q->qtype == DNS_TYPE_A) {
			put_a(w, q->qname, q->qname_len, zone->ttl, zone->ns[node->index].glue);
			counts[0] = 1;
			return;
		}
		break;
	case DNS_NODE_HOST:
		if (q->qtype == DNS_TYPE_A) {
			/* TTL 0: the binding is for this initiator and this moment only. */
			put_a(w, q->qname, q->qname_len, 0, 0);
			r->rdata_off = w->len - 4;
			r->host = node->index;
			r->outcome = DNS_OUTCOME_HELD;
			counts[0] = 1;
			return;
		}
		break;
	case DNS_NODE_EMPTY:
		break;
	}
	r->outcome = DNS_OUTCOME_NODATA;
	put_soa(w, zone, zone->ttl < zone->soa.minimum ? zone->ttl : zone->soa.minimum);
	counts[1] = 1;
}

void
dns_query_answer(const struct dns_query_params *qp, const uint8_t *msg, size_t len, bool tcp,
		 uint8_t *out, size_t cap, struct dns_reply *r)
{
	struct query q;
	struct dns_cursor c;
	struct dns_writer w;
	uint16_t qdcount, ancount, nscount, arcount, counts[3] = {0, 0, 0};
	uint8_t lower[DNS_NAME_MAX];
	enum dns_malformed why;
	size_t limit;
	bool aa;
	const struct dns_node *node;

	memset(r, 0, sizeof(*r));
	memset(&q, 0, sizeof(q));
	r->verdict = DNS_VERDICT_DISCARD;
	r->outcome = DNS_OUTCOME_DISCARD;

	dns_cursor_init(&c, msg, len);
	if (!dns_get_u16(&c, &q.id) || !dns_get_u16(&c, &q.flags) || !dns_get_u16(&c, &qdcount) ||
	    !dns_get_u16(&c, &ancount) || !dns_get_u16(&c, &nscount) ||
	    !dns_get_u16(&c, &arcount)) {
		r->malformed = DNS_MALFORMED_SHORT_HEADER;
		return;
	}
	if (q.flags & DNS_FLAG_QR) {
		/* Answering a response could start a loop between two servers. */
		r->response = true;
		return;
	}
	if (((q.flags >> DNS_OPCODE_SHIFT) & DNS_OPCODE_MASK) != DNS_OPCODE_QUERY) {
		reply_bare(&q, DNS_RCODE_NOTIMP, out, cap, r);
		return;
	}
	if (qdcount != 1) {
		formerr(&q, DNS_MALFORMED_QDCOUNT, out, cap, r);
		return;
	}
	if (ancount != 0) {
		formerr(&q, DNS_MALFORMED_SECTIONS, out, cap, r);
		return;
	}
	why = parse_query(&c, nscount, arcount, &q);
	if (why != DNS_MALFORMED_NONE) {
		formerr(&q, why, out, cap, r);
		return;
	}
	r->qtype = q.qtype;
	if (q.qtype == 0 || q.qtype == DNS_TYPE_OPT || q.qtype == DNS_TYPE_TSIG ||
	    q.qtype == DNS_TYPE_TKEY) {
		formerr(&q, DNS_MALFORMED_QTYPE, out, cap, r);
		return;
	}

	if (tcp)
		limit = DNS_MSG_MAX;
	else if (!q.edns || q.edns_payload <= DNS_UDP_CLASSIC)
		limit = DNS_UDP_CLASSIC;
	else
		limit = q.edns_payload < qp->edns_max ? q.edns_payload : qp->edns_max;
	if (limit > cap)
		limit = cap;
	r->edns = q.edns;
	r->edns_do = q.edns_do;
	r->edns_payload = qp->edns_max;

	/* Header and question: from here on every reply echoes the question. */
	dns_writer_init(&w, out, limit);
	put_header(&w, q.id, reply_flags(q.flags, false, DNS_RCODE_NOERROR));
	dns_put_name_plain(&w, q.qname, q.qname_len);
	dns_put_u16(&w, q.qtype);
	dns_put_u16(&w, q.qclass);
	r->question_end = w.len;
	set_counts(&w, 1, 0, 0, 0);
	r->len = w.len;

	if (q.edns && q.edns_version != 0) {
		dns_query_error(out, limit, r, DNS_RCODE_BADVERS);
		return;
	}
	if (q.qclass != DNS_CLASS_IN && q.qclass != DNS_CLASS_ANY) {
		dns_query_error(out, limit, r, DNS_RCODE_REFUSED);
		return;
	}
	memcpy(lower, q.qname, q.qname_len);
	dns_name_lower(lower, q.qname_len);
	if (dns_name_under(lower, q.qname_len, qp->zone->apex.wire, qp->zone->apex.len) < 0 ||
	    q.qtype == DNS_TYPE_AXFR || q.qtype == DNS_TYPE_IXFR) {
		/* Not ours; and zone transfers would hand out every host name (§6.2). */
		dns_query_error(out, limit, r, DNS_RCODE_REFUSED);
		return;
	}
	if (q.qtype == DNS_TYPE_MAILA || q.qtype == DNS_TYPE_MAILB) {
		dns_query_error(out, limit, r, DNS_RCODE_NOTIMP);
		return;
	}

	node = dns_zone_find(qp->zone, lower, q.qname_len);
	put_sections(qp, &q, node, &w, r, counts);
	if (q.edns)
		put_opt(&w, qp->edns_max, DNS_RCODE_NOERROR, q.edns_do);
	/* QCLASS * can never be answered authoritatively (RFC 6895 §3.2). */
	aa = q.qclass == DNS_CLASS_IN;
	if (w.overflow) {
		/* Header, question and OPT always fit in 512 bytes (a question is at most 259). */
		dns_writer_init(&w, out, limit);
		w.len = r->question_end;
		if (q.edns)
			put_opt(&w, qp->edns_max, DNS_RCODE_NOERROR, q.edns_do);
		counts[0] = counts[1] = counts[2] = 0;
		r->truncated = true;
		/* A held reply (at most 298 bytes) always fits 512; only a caller's buffer
		 * smaller than that could get here, and a reply without its record must not
		 * be held. */
		if (r->outcome == DNS_OUTCOME_HELD)
			r->outcome = DNS_OUTCOME_NOERROR;
	}
	dns_patch_u16(&w, 2,
		      (uint16_t)(reply_flags(q.flags, aa,
					     r->outcome == DNS_OUTCOME_NXDOMAIN ? DNS_RCODE_NXDOMAIN
										 : DNS_RCODE_NOERROR) |
				 (r->truncated ? DNS_FLAG_TC : 0)));
	set_counts(&w, 1, counts[0], counts[1], (uint16_t)(counts[2] + (q.edns ? 1 : 0)));
	r->len = w.len;
	r->verdict = r->outcome == DNS_OUTCOME_HELD ? DNS_VERDICT_HOLD : DNS_VERDICT_RESPOND;
}
