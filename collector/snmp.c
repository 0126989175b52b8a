/*
 * snmp.c - SNMP notifications with the net-snmp library (see snmp.h).
 *
 * The OIDs come from the table below, which follows MXSLA-MIB
 * (docs/MXSLA-MIB.txt) under the Net-SNMP playpen arc
 * 1.3.6.1.4.1.8072.9999.9999.57.  Every PDU carries sysUpTime.0,
 * snmpTrapOID.0 and then the notification's OBJECTS in MIB order, each
 * as the scalar's OID with instance .0.
 *
 * Sessions: v2c carries the community; v3 the user and its keys (Ku from
 * the passwords with generate_Ku, localised by the library).  For a v3
 * trap this process is the authoritative engine: securityEngineID and
 * contextEngineID are our engine ID, boots 1 and time the seconds since
 * the process first used the library, as the receiver needs a user created for our
 * engine ID (createUser -e).  For a v3 inform the receiver is
 * authoritative: its engine ID is discovered (discover) before the session
 * is opened with it, and a failed inform closes the session and forgets
 * the engine ID, so the next attempt discovers again (the receiver may
 * have been down or restarted).
 *
 * The library keeps global state without locks of its own: the USM user
 * list (written when a session is opened, read by every v3 message built
 * or parsed) and the engine-time cache (written when a message from an
 * engine is parsed).  usm_lock guards it: building and sending a PDU take
 * it shared, opening and closing a session and parsing what arrives
 * (snmp_sess_read2, which may record an engine's time) take it
 * exclusively; no call that waits for the network holds it.  That is why
 * an inform is sent asynchronously and its acknowledgement awaited here
 * (in slices, so that snmp_dest_cancel stops the wait at once), and why a
 * v3 inform's engine ID is discovered with a probe of our own instead of
 * the library's, which runs inside snmp_sess_open and would hold the lock
 * through the receiver's timeout.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/library/large_fd_set.h>
#include <net-snmp/library/snmpusm.h>
#include <openssl/sha.h>

#include "log.h"
#include "snmp.h"
#include "status.h"
#include "xmalloc.h"

/* ---- the MIB ---- */

/* mxslaMIB = 1.3.6.1.4.1.8072.9999.9999.57 */
#define MIB_PREFIX 1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 57
#define MIB_PREFIX_LEN 10

enum obj {
	O_AGENT = 1, O_SITE, O_CHECK, O_SERVICE, O_OLD, O_NEW, O_MESSAGE, O_TIME, O_SEVERITY,
	O_AVAILABILITY, O_TARGET, O_BUDGET, O_MONTH
};

struct note_def {
	const char *name;
	enum obj objs[8];       /* 0-terminated */
};

/* Indexed by enum notify_kind; the notification OID is mxslaMIB.0.(k+1). */
static const struct note_def notes[NOTIFY_NKINDS] = {
	[NOTIFY_CHECK] = { "mxslaCheckStateChange",
			   { O_AGENT, O_SITE, O_CHECK, O_OLD, O_NEW, O_MESSAGE, O_TIME, O_SEVERITY } },
	[NOTIFY_SERVICE_DOWN] = { "mxslaServiceDown",
				  { O_SERVICE, O_OLD, O_NEW, O_MESSAGE, O_TIME, O_SEVERITY } },
	[NOTIFY_SERVICE_UP] = { "mxslaServiceUp",
				{ O_SERVICE, O_OLD, O_NEW, O_MESSAGE, O_TIME, O_SEVERITY } },
	[NOTIFY_BUDGET] = { "mxslaBudgetBurn",
			    { O_SERVICE, O_BUDGET, O_AVAILABILITY, O_TARGET, O_MONTH, O_MESSAGE, O_TIME,
			      O_SEVERITY } },
	[NOTIFY_AGENT_SILENT] = { "mxslaAgentSilent",
				  { O_AGENT, O_SITE, O_OLD, O_NEW, O_MESSAGE, O_TIME, O_SEVERITY } },
	[NOTIFY_AGENT_BACK] = { "mxslaAgentBack",
				{ O_AGENT, O_SITE, O_OLD, O_NEW, O_MESSAGE, O_TIME, O_SEVERITY } },
};

/* MxslaState, value = index + 1. */
static const char *const states[] = { "ok", "warning", "critical", "unknown", "nodata",
				      "up", "down", "silent", NULL };

static const oid sysuptime_oid[] = { 1, 3, 6, 1, 2, 1, 1, 3, 0 };
static const oid snmptrapoid_oid[] = { 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0 };

#define DISPLAY_MAX 255

const char *
snmp_note_name(enum notify_kind k)
{
	return (unsigned)k < NOTIFY_NKINDS ? notes[k].name : "?";
}

int
snmp_state_value(const char *name)
{
	if (name != NULL)
		for (int i = 0; states[i] != NULL; i++)
			if (strcmp(states[i], name) == 0)
				return i + 1;
	return 4;
}

int
snmp_severity_value(int severity)
{
	return severity >= MX_OK && severity <= MX_UNKNOWN ? severity + 1 : 4;
}

void
snmp_date_and_time(int64_t t, unsigned char out[11])
{
	time_t tt = (time_t)t;
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	/* two octets of year: an instant outside 0..65535 (or one gmtime
	   cannot convert) is sent as the epoch rather than a wrapped year */
	if (gmtime_r(&tt, &tm) == NULL || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 65535) {
		tt = 0;
		gmtime_r(&tt, &tm);
	}
	out[0] = (unsigned char)(((tm.tm_year + 1900) >> 8) & 0xff);
	out[1] = (unsigned char)((tm.tm_year + 1900) & 0xff);
	out[2] = (unsigned char)(tm.tm_mon + 1);
	out[3] = (unsigned char)tm.tm_mday;
	out[4] = (unsigned char)tm.tm_hour;
	out[5] = (unsigned char)tm.tm_min;
	out[6] = (unsigned char)tm.tm_sec;
	out[7] = 0;
	out[8] = '+';
	out[9] = 0;
	out[10] = 0;
}

size_t
snmp_utf8_cut(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return n;
	n = max;
	/* back over continuation bytes to the start of the cut character */
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

unsigned long
snmp_percent(double pct)
{
	double v = pct * 1000.0;

	if (!(v > 0))           /* also NaN */
		return 0;
	if (v >= 100000.0)
		return 100000;
	return (unsigned long)llround(v);
}

/* ---- engine IDs ---- */

int
snmp_engine_id_parse(const char *text, unsigned char id[SNMP_ENGINE_ID_MAX])
{
	size_t len, hex;

	if (text == NULL || text[0] != '0' || (text[1] != 'x' && text[1] != 'X'))
		return -1;
	text += 2;
	len = strlen(text);
	hex = strspn(text, "0123456789abcdefABCDEF");
	if (hex != len || len % 2 != 0 || len < 10 || len > 2 * SNMP_ENGINE_ID_MAX)
		return -1;
	for (size_t i = 0; i < len / 2; i++) {
		unsigned v = 0;

		for (int k = 0; k < 2; k++) {
			char c = text[2 * i + (size_t)k];

			v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
		}
		id[i] = (unsigned char)v;
	}
	return (int)(len / 2);
}

int
snmp_engine_id_host(const char *host, unsigned char id[SNMP_ENGINE_ID_MAX])
{
	static const unsigned char head[5] = { 0x80, 0x00, 0x1f, 0x88, 0x05 };
	unsigned char md[SHA256_DIGEST_LENGTH];
	char *s = xasprintf("mxsla:%s", host != NULL ? host : "");

	SHA256((const unsigned char *)s, strlen(s), md);
	free(s);
	memcpy(id, head, sizeof(head));
	memcpy(id + sizeof(head), md, 12);
	return (int)sizeof(head) + 12;
}

void
snmp_engine_id_hex(const unsigned char *id, size_t len, char *buf)
{
	static const char digits[] = "0123456789abcdef";

	*buf++ = '0';
	*buf++ = 'x';
	for (size_t i = 0; i < len; i++) {
		*buf++ = digits[id[i] >> 4];
		*buf++ = digits[id[i] & 15];
	}
	*buf = '\0';
}

/* ---- the library ---- */

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
/* sysUpTime and the engine time of v3 traps count from the first
   snmp_lib_init of the process. */
static struct timespec born;
/* The library's global USM state (see the file comment). */
static pthread_rwlock_t usm_lock = PTHREAD_RWLOCK_INITIALIZER;
/* Longest a wait for an acknowledgement goes without looking at the
   cancel flag. */
#define WAIT_SLICE_MS 100

/* net-snmp's own messages (module searches, transport errors): details
   for debugging; what matters is reported through our error strings. */
static int
lib_log(int major, int minor, void *serverarg, void *clientarg)
{
	const struct snmp_log_message *m = serverarg;
	size_t n;

	(void)major;
	(void)minor;
	(void)clientarg;
	if (m == NULL || m->msg == NULL)
		return 0;
	n = strlen(m->msg);
	while (n > 0 && (m->msg[n - 1] == '\n' || m->msg[n - 1] == '\r'))
		n--;
	if (n > 0)
		log_debug("net-snmp: %.*s", (int)n, m->msg);
	return 0;
}

/* At exit, after every notifier has joined its threads: what the library
   allocated is freed, so that leak checkers see a clean process. */
static void
lib_exit(void)
{
	snmp_shutdown("mxsla");
	snmp_unregister_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, lib_log, NULL, 1);
	netsnmp_ds_shutdown();
}

static void
lib_init_once(void)
{
	clock_gettime(CLOCK_MONOTONIC, &born);
	/* no stderr, syslog or file output of its own */
	snmp_disable_log();
	snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, lib_log, NULL);
	netsnmp_register_loghandler(NETSNMP_LOGHANDLER_CALLBACK, LOG_DEBUG);
	/* no snmp.conf, no persistent state under /var/lib, no MIBs */
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_LOAD_HOST_FILES, 1);
	netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIBDIRS, "/nonexistent");
	netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_WARNINGS, 0);
	init_snmp("mxsla");
	atexit(lib_exit);
}

int
snmp_lib_init(const char **error_r)
{
	(void)error_r;
	pthread_once(&lib_once, lib_init_once);
	return 0;
}

/* ---- one destination ---- */

struct snmp_dest {
	char *name, *peer, *community, *user;
	char *host;              /* without brackets, for the discovery socket */
	int port;
	int version, inform, level;
	const oid *auth_proto, *priv_proto;
	size_t auth_proto_len, priv_proto_len;
	char *auth_pw, *priv_pw;
	unsigned char engine_id[SNMP_ENGINE_ID_MAX];
	size_t engine_id_len;
	long timeout_us;
	int retries;
	void *sess;              /* open session, NULL when closed */
	/* v3 inform: the receiver's engine ID, discovered (0: not yet) */
	unsigned char peer_eid[SNMP_ENGINE_ID_MAX];
	size_t peer_eid_len;
	atomic_int cancel;       /* snmp_dest_cancel: no more waiting */
	char err[256];
};

static void
auth_proto(const char *name, const oid **p_r, size_t *len_r)
{
	if (name != NULL && strcmp(name, "SHA-224") == 0) {
		*p_r = usmHMAC128SHA224AuthProtocol;
		*len_r = OID_LENGTH(usmHMAC128SHA224AuthProtocol);
	} else if (name != NULL && strcmp(name, "SHA-256") == 0) {
		*p_r = usmHMAC192SHA256AuthProtocol;
		*len_r = OID_LENGTH(usmHMAC192SHA256AuthProtocol);
	} else if (name != NULL && strcmp(name, "SHA-384") == 0) {
		*p_r = usmHMAC256SHA384AuthProtocol;
		*len_r = OID_LENGTH(usmHMAC256SHA384AuthProtocol);
	} else if (name != NULL && strcmp(name, "SHA-512") == 0) {
		*p_r = usmHMAC384SHA512AuthProtocol;
		*len_r = OID_LENGTH(usmHMAC384SHA512AuthProtocol);
#ifndef NETSNMP_DISABLE_MD5
	} else if (name != NULL && strcmp(name, "MD5") == 0) {
		*p_r = usmHMACMD5AuthProtocol;
		*len_r = OID_LENGTH(usmHMACMD5AuthProtocol);
#endif
	} else {
		*p_r = usmHMACSHA1AuthProtocol;
		*len_r = OID_LENGTH(usmHMACSHA1AuthProtocol);
	}
}

/* NULL when the library lacks the protocol. */
static void
priv_proto(const char *name, const oid **p_r, size_t *len_r)
{
	*p_r = NULL;
	*len_r = 0;
	if (name == NULL || strcmp(name, "AES") == 0) {
		*p_r = usmAESPrivProtocol;
		*len_r = OID_LENGTH(usmAESPrivProtocol);
#ifdef NETSNMP_DRAFT_BLUMENTHAL_AES_04
	} else if (strcmp(name, "AES-192") == 0) {
		*p_r = usmAES192PrivProtocol;
		*len_r = OID_LENGTH(usmAES192PrivProtocol);
	} else if (strcmp(name, "AES-256") == 0) {
		*p_r = usmAES256PrivProtocol;
		*len_r = OID_LENGTH(usmAES256PrivProtocol);
#endif
#ifndef NETSNMP_DISABLE_DES
	} else if (strcmp(name, "DES") == 0) {
		*p_r = usmDESPrivProtocol;
		*len_r = OID_LENGTH(usmDESPrivProtocol);
#endif
	}
}

struct snmp_dest *
snmp_dest_new(const struct cc_snmp_dest *d, const unsigned char *engine_id, size_t engine_id_len,
	      long timeout_ms, int retries)
{
	struct snmp_dest *sd = xcalloc(1, sizeof(*sd));
	size_t hl = strlen(d->host);
	int v6;

	sd->name = xstrdup(d->name);
	/* an IPv6 address, bracketed or not, goes to the udp6 transport */
	if (hl >= 2 && d->host[0] == '[' && d->host[hl - 1] == ']')
		sd->host = xasprintf("%.*s", (int)hl - 2, d->host + 1);
	else
		sd->host = xstrdup(d->host);
	v6 = strchr(sd->host, ':') != NULL;
	sd->peer = xasprintf("%s:%s%s%s:%d", v6 ? "udp6" : "udp", v6 ? "[" : "", sd->host,
			     v6 ? "]" : "", d->port);
	sd->port = d->port;
	sd->version = d->version;
	sd->inform = d->inform;
	sd->community = d->community != NULL ? xstrdup(d->community) : xstrdup("public");
	if (d->version == 3) {
		sd->user = xstrdup(d->user != NULL ? d->user : "");
		sd->level = d->security == 2   ? SNMP_SEC_LEVEL_AUTHPRIV
			    : d->security == 1 ? SNMP_SEC_LEVEL_AUTHNOPRIV
					       : SNMP_SEC_LEVEL_NOAUTH;
		auth_proto(d->auth_protocol, &sd->auth_proto, &sd->auth_proto_len);
		priv_proto(d->priv_protocol, &sd->priv_proto, &sd->priv_proto_len);
		sd->auth_pw = d->auth_password != NULL ? xstrdup(d->auth_password) : NULL;
		sd->priv_pw = d->priv_password != NULL ? xstrdup(d->priv_password) : NULL;
	}
	if (engine_id_len > SNMP_ENGINE_ID_MAX)
		engine_id_len = SNMP_ENGINE_ID_MAX;
	memcpy(sd->engine_id, engine_id, engine_id_len);
	sd->engine_id_len = engine_id_len;
	sd->timeout_us = timeout_ms * 1000;
	sd->retries = retries;
	atomic_init(&sd->cancel, 0);
	return sd;
}

static void
wipe_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static void
sess_close(void *sess)
{
	pthread_rwlock_wrlock(&usm_lock);
	snmp_sess_close(sess);
	pthread_rwlock_unlock(&usm_lock);
}

/* Close the session; a v3 inform discovers its receiver again. */
static void
dest_close(struct snmp_dest *sd)
{
	if (sd->sess != NULL) {
		sess_close(sd->sess);
		sd->sess = NULL;
	}
	sd->peer_eid_len = 0;
}

void
snmp_dest_cancel(struct snmp_dest *sd)
{
	atomic_store(&sd->cancel, 1);
}

void
snmp_dest_free(struct snmp_dest *sd)
{
	if (sd == NULL)
		return;
	dest_close(sd);
	free(sd->name);
	free(sd->peer);
	free(sd->host);
	free(sd->community);
	free(sd->user);
	wipe_free(sd->auth_pw);
	wipe_free(sd->priv_pw);
	free(sd);
}

/* Hundredths of a second since the library was first initialised. */
static int64_t
uptime_cs(void)
{
	struct timespec now, b;

	clock_gettime(CLOCK_MONOTONIC, &now);
	b = born;
	return (int64_t)(now.tv_sec - b.tv_sec) * 100 + (now.tv_nsec - b.tv_nsec) / 10000000;
}

static void
set_err(struct snmp_dest *sd, const char *what, int snmp_errno, int sys_errno)
{
	const char *e = snmp_api_errstring(snmp_errno);

	if (sys_errno != 0)
		snprintf(sd->err, sizeof(sd->err), "%s: %s (%s)", what, e, strerror(sys_errno));
	else
		snprintf(sd->err, sizeof(sd->err), "%s: %s", what, e);
}

/* What came back for a request sent with exchange(). */
struct reply {
	int done;
	int status;             /* STAT_SUCCESS, STAT_ERROR (a report, a failure), STAT_TIMEOUT */
	long errstat;           /* of a response */
	int report;             /* snmpv3_get_report_type of a report, or 0 */
	int op;                 /* the callback's operation when nothing came back */
};

static int
reply_cb(int op, netsnmp_session *session, int reqid, netsnmp_pdu *pdu, void *magic)
{
	struct reply *r = magic;

	(void)session;
	(void)reqid;
	/* the library resends (after a notInTimeWindow report): go on waiting */
	if (op == NETSNMP_CALLBACK_OP_RESEND || op == NETSNMP_CALLBACK_OP_CONNECT)
		return 0;
	if (op == NETSNMP_CALLBACK_OP_RECEIVED_MESSAGE && pdu != NULL) {
		if (pdu->command == SNMP_MSG_REPORT) {
			r->status = STAT_ERROR;
			r->report = snmpv3_get_report_type(pdu);
		} else {
			r->status = STAT_SUCCESS;
			r->errstat = pdu->errstat;
		}
	} else if (op == NETSNMP_CALLBACK_OP_TIMED_OUT) {
		r->status = STAT_TIMEOUT;
	} else {
		r->status = STAT_ERROR;
		r->op = op;
	}
	r->done = 1;
	return 1;
}

/* Send pdu (freed) on sess and wait for the reply, the library's timeout
   and retries, or snmp_dest_cancel.  0 with *r filled; -1 when the PDU
   could not be sent or the wait was cancelled (sd->err says which).  The
   caller closes sess after -1: a request may still be pending on it. */
static int
exchange(struct snmp_dest *sd, void *sess, netsnmp_pdu *pdu, struct reply *r)
{
	netsnmp_transport *tr = snmp_sess_transport(sess);
	int sent;

	memset(r, 0, sizeof(*r));
	pthread_rwlock_rdlock(&usm_lock);
	sent = snmp_sess_async_send(sess, pdu, reply_cb, r);
	pthread_rwlock_unlock(&usm_lock);
	if (sent == 0) {
		int se = 0, ce = 0;
		char *msg = NULL;

		snmp_free_pdu(pdu);
		snmp_sess_error(sess, &ce, &se, &msg);
		snprintf(sd->err, sizeof(sd->err), "not sent: %s", msg != NULL ? msg : "?");
		free(msg);
		return -1;
	}
	while (!r->done) {
		struct pollfd pfd = { tr != NULL ? tr->sock : -1, POLLIN, 0 };
		int n;

		if (atomic_load(&sd->cancel)) {
			snprintf(sd->err, sizeof(sd->err), "cancelled");
			return -1;
		}
		n = poll(&pfd, 1, WAIT_SLICE_MS);
		if (n < 0 && errno != EINTR) {
			snprintf(sd->err, sizeof(sd->err), "poll: %s", strerror(errno));
			return -1;
		}
		/* parsing may record the sender's engine time: exclusive */
		pthread_rwlock_wrlock(&usm_lock);
		if (n > 0) {
			netsnmp_large_fd_set fds;

			netsnmp_large_fd_set_init(&fds, pfd.fd + 1);
			NETSNMP_LARGE_FD_SET(pfd.fd, &fds);
			snmp_sess_read2(sess, &fds);
			netsnmp_large_fd_set_cleanup(&fds);
		}
		/* retransmits and expires what is due (nothing otherwise) */
		if (!r->done)
			snmp_sess_timeout(sess);
		pthread_rwlock_unlock(&usm_lock);
	}
	return 0;
}

/* ---- engine discovery (RFC 3414 4) ---- */

/* The discovery request: an unauthenticated, reportable SNMPv3 get with
   empty engine ID, user and variable list; msgID and request-id are
   filled in at the offsets below.  BER, 64 octets. */
static const unsigned char probe_tmpl[] = {
	0x30, 0x3e,                                     /* SNMPv3Message */
	0x02, 0x01, 0x03,                               /* msgVersion 3 */
	0x30, 0x11,                                     /* msgGlobalData */
	0x02, 0x04, 0, 0, 0, 0,                         /* msgID (9) */
	0x02, 0x03, 0x00, 0xff, 0xe3,                   /* msgMaxSize 65507 */
	0x04, 0x01, 0x04,                               /* msgFlags: reportable */
	0x02, 0x01, 0x03,                               /* msgSecurityModel USM */
	0x04, 0x10,                                     /* msgSecurityParameters */
	0x30, 0x0e, 0x04, 0x00, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00,
	0x04, 0x00, 0x04, 0x00, 0x04, 0x00,
	0x30, 0x14,                                     /* ScopedPDU */
	0x04, 0x00, 0x04, 0x00,                         /* contextEngineID, contextName */
	0xa0, 0x0e,                                     /* GetRequest-PDU */
	0x02, 0x04, 0, 0, 0, 0,                         /* request-id (52) */
	0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x30, 0x00
};
#define PROBE_MSGID_AT 9
#define PROBE_REQID_AT 52

/* One BER TLV at *p (end: one past the buffer): its tag, and the value in
   [*v, *v + *len); *p moves past it.  -1 when it does not fit. */
static int
ber_next(const unsigned char **p, const unsigned char *end, int *tag, const unsigned char **v,
	 size_t *len)
{
	const unsigned char *q = *p;
	size_t n;

	if (end - q < 2)
		return -1;
	*tag = *q++;
	n = *q++;
	if (n & 0x80) {
		size_t k = n & 0x7f;

		if (k == 0 || k > 3 || (size_t)(end - q) < k)
			return -1;
		for (n = 0; k > 0; k--)
			n = n << 8 | *q++;
	}
	if ((size_t)(end - q) < n)
		return -1;
	*v = q;
	*len = n;
	*p = q + n;
	return 0;
}

int
snmp_report_engine_id(const unsigned char *buf, size_t n, uint32_t msgid,
		      unsigned char eid[SNMP_ENGINE_ID_MAX])
{
	const unsigned char *p = buf, *end = buf + n, *v, *hv, *hend;
	size_t len;
	int tag;
	uint32_t id = 0;

	if (ber_next(&p, end, &tag, &v, &len) < 0 || tag != 0x30)
		return -1;
	p = v;
	end = v + len;
	if (ber_next(&p, end, &tag, &v, &len) < 0 || tag != 0x02 || len != 1 || v[0] != 3)
		return -1;
	if (ber_next(&p, end, &tag, &hv, &len) < 0 || tag != 0x30)
		return -1;
	hend = hv + len;
	if (ber_next(&hv, hend, &tag, &v, &len) < 0 || tag != 0x02 || len == 0 || len > 5)
		return -1;
	for (size_t i = 0; i < len; i++)
		id = id << 8 | v[i];
	if (id != msgid)
		return -1;
	if (ber_next(&p, end, &tag, &v, &len) < 0 || tag != 0x04)
		return -1;
	p = v;
	end = v + len;
	if (ber_next(&p, end, &tag, &v, &len) < 0 || tag != 0x30)
		return -1;
	p = v;
	end = v + len;
	if (ber_next(&p, end, &tag, &v, &len) < 0 || tag != 0x04 || len < 5 ||
	    len > SNMP_ENGINE_ID_MAX)
		return -1;
	memcpy(eid, v, len);
	return (int)len;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A v3 inform: learn the receiver's engine ID with a discovery request
   of our own on a socket of our own, so that the wait (timeout and
   retries as for an inform) holds no lock and is cancelled by
   snmp_dest_cancel.  The library would probe inside snmp_sess_open,
   which changes the USM list and so runs under usm_lock exclusively. */
static int
discover(struct snmp_dest *sd, const char **error_r)
{
	struct addrinfo hints, *ai = NULL;
	unsigned char msg[sizeof(probe_tmpl)], buf[1500];
	char port[16];
	uint32_t id;
	int fd = -1, rc = -1, gai;
	struct timespec ts;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%d", sd->port);
	if ((gai = getaddrinfo(sd->host, port, &hints, &ai)) != 0) {
		snprintf(sd->err, sizeof(sd->err), "engine discovery: %s: %s", sd->host,
			 gai_strerror(gai));
		goto out;
	}
	fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		snprintf(sd->err, sizeof(sd->err), "engine discovery: %s", strerror(errno));
		goto out;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	id = ((uint32_t)ts.tv_nsec ^ (uint32_t)ts.tv_sec * 2654435761u ^ (uint32_t)(uintptr_t)sd) &
	     0x7fffffff;
	memcpy(msg, probe_tmpl, sizeof(msg));
	for (int i = 0; i < 4; i++) {
		msg[PROBE_MSGID_AT + i] = (unsigned char)(id >> (24 - 8 * i));
		msg[PROBE_REQID_AT + i] = (unsigned char)(id >> (24 - 8 * i));
	}
	for (int attempt = 0; attempt <= sd->retries && rc < 0; attempt++) {
		if (send(fd, msg, sizeof(msg), 0) < 0) {
			snprintf(sd->err, sizeof(sd->err), "engine discovery: %s", strerror(errno));
			goto out;
		}
		int64_t deadline = mono_ms() + sd->timeout_us / 1000;

		while (rc < 0) {
			struct pollfd pfd = { fd, POLLIN, 0 };
			int64_t left = deadline - mono_ms();
			ssize_t n;
			int len;

			if (atomic_load(&sd->cancel)) {
				snprintf(sd->err, sizeof(sd->err), "cancelled");
				goto out;
			}
			if (left <= 0)
				break;
			if (poll(&pfd, 1, (int)(left < WAIT_SLICE_MS ? left : WAIT_SLICE_MS)) <= 0)
				continue;
			n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n < 0) {
				/* ECONNREFUSED: nothing listens (ICMP port unreachable) */
				snprintf(sd->err, sizeof(sd->err), "engine discovery: %s",
					 strerror(errno));
				goto out;
			}
			if ((len = snmp_report_engine_id(buf, (size_t)n, id, sd->peer_eid)) > 0) {
				sd->peer_eid_len = (size_t)len;
				rc = 0;
			}
		}
	}
	if (rc < 0)
		snprintf(sd->err, sizeof(sd->err), "engine discovery: no answer (timeout)");
out:
	if (fd >= 0)
		close(fd);
	if (ai != NULL)
		freeaddrinfo(ai);
	if (rc < 0)
		*error_r = sd->err;
	return rc;
}

/* A user of the library's USM list left by an earlier session with the
   same engine ID and name would be used as it is, with the keys and
   protocols it was created with (net-snmp copies a session's keys only
   into a new user): after a reload changed a password, the old one would
   stay in use.  Dropped, so that the session opened next creates it from
   its own keys.  Called with usm_lock held exclusively. */
static void
forget_user(const unsigned char *eid, size_t eid_len, const char *name)
{
	struct usmUser *u = usm_get_user(eid, eid_len, name);

	if (u != NULL) {
		usm_remove_user(u);
		usm_free_user(u);
	}
}

static int
dest_open(struct snmp_dest *sd, const char **error_r)
{
	netsnmp_session s;
	int ok = 1;

	snmp_sess_init(&s);
	s.peername = sd->peer;
	s.timeout = sd->timeout_us;
	s.retries = sd->retries;
	if (sd->version == 3) {
		s.version = SNMP_VERSION_3;
		s.securityName = sd->user;
		s.securityNameLen = strlen(sd->user);
		s.securityLevel = sd->level;
		s.securityModel = SNMP_SEC_MODEL_USM;
		if (sd->level >= SNMP_SEC_LEVEL_AUTHNOPRIV) {
			s.securityAuthProto = (oid *)sd->auth_proto;
			s.securityAuthProtoLen = sd->auth_proto_len;
			s.securityAuthKeyLen = USM_AUTH_KU_LEN;
			if (sd->auth_pw == NULL ||
			    generate_Ku(s.securityAuthProto, (u_int)s.securityAuthProtoLen,
					(const u_char *)sd->auth_pw, strlen(sd->auth_pw), s.securityAuthKey,
					&s.securityAuthKeyLen) != SNMPERR_SUCCESS)
				ok = 0;
		}
		if (ok && sd->level >= SNMP_SEC_LEVEL_AUTHPRIV) {
			if (sd->priv_proto == NULL) {
				snprintf(sd->err, sizeof(sd->err),
					 "this net-snmp library lacks the configured privacy protocol");
				*error_r = sd->err;
				return -1;
			}
			s.securityPrivProto = (oid *)sd->priv_proto;
			s.securityPrivProtoLen = sd->priv_proto_len;
			s.securityPrivKeyLen = USM_PRIV_KU_LEN;
			/* the privacy key is derived with the authentication hash */
			if (sd->priv_pw == NULL ||
			    generate_Ku(s.securityAuthProto, (u_int)s.securityAuthProtoLen,
					(const u_char *)sd->priv_pw, strlen(sd->priv_pw), s.securityPrivKey,
					&s.securityPrivKeyLen) != SNMPERR_SUCCESS)
				ok = 0;
		}
		if (!ok) {
			explicit_bzero(s.securityAuthKey, sizeof(s.securityAuthKey));
			explicit_bzero(s.securityPrivKey, sizeof(s.securityPrivKey));
			snprintf(sd->err, sizeof(sd->err), "cannot derive the SNMPv3 keys");
			*error_r = sd->err;
			return -1;
		}
		if (sd->inform) {
			/* the receiver is authoritative: its engine ID, learnt
			   first, is what the keys are localised with */
			if (sd->peer_eid_len == 0 && discover(sd, error_r) < 0) {
				explicit_bzero(s.securityAuthKey, sizeof(s.securityAuthKey));
				explicit_bzero(s.securityPrivKey, sizeof(s.securityPrivKey));
				return -1;
			}
			s.securityEngineID = sd->peer_eid;
			s.securityEngineIDLen = sd->peer_eid_len;
			s.contextEngineID = sd->peer_eid;
			s.contextEngineIDLen = sd->peer_eid_len;
			s.flags |= SNMP_FLAGS_DONT_PROBE;
		} else {
			/* we are the authoritative engine of our traps */
			s.securityEngineID = sd->engine_id;
			s.securityEngineIDLen = sd->engine_id_len;
			s.contextEngineID = sd->engine_id;
			s.contextEngineIDLen = sd->engine_id_len;
			s.engineBoots = 1;
			s.engineTime = (u_int)(uptime_cs() / 100) + 1;
			s.flags |= SNMP_FLAGS_DONT_PROBE;
		}
	} else {
		s.version = SNMP_VERSION_2c;
		s.community = (u_char *)sd->community;
		s.community_len = strlen(sd->community);
	}
	pthread_rwlock_wrlock(&usm_lock);
	if (sd->version == 3)
		forget_user(s.securityEngineID, s.securityEngineIDLen, sd->user);
	sd->sess = snmp_sess_open(&s);
	pthread_rwlock_unlock(&usm_lock);
	explicit_bzero(s.securityAuthKey, sizeof(s.securityAuthKey));
	explicit_bzero(s.securityPrivKey, sizeof(s.securityPrivKey));
	if (sd->sess == NULL) {
		set_err(sd, "cannot open the session", s.s_snmp_errno, s.s_errno);
		sd->peer_eid_len = 0;
		*error_r = sd->err;
		return -1;
	}
	return 0;
}

static void
add_str(netsnmp_pdu *pdu, const oid *name, size_t len, const char *s, size_t max)
{
	if (s == NULL)
		s = "";
	snmp_pdu_add_variable(pdu, name, len, ASN_OCTET_STR, s, snmp_utf8_cut(s, max));
}

static void
add_int(netsnmp_pdu *pdu, const oid *name, size_t len, long v)
{
	snmp_pdu_add_variable(pdu, name, len, ASN_INTEGER, &v, sizeof(v));
}

static void
add_unsigned(netsnmp_pdu *pdu, const oid *name, size_t len, unsigned long v)
{
	snmp_pdu_add_variable(pdu, name, len, ASN_UNSIGNED, &v, sizeof(v));
}

static netsnmp_pdu *
build_pdu(struct snmp_dest *sd, const struct notify_event *ev)
{
	const struct note_def *def = &notes[ev->kind];
	netsnmp_pdu *pdu = snmp_pdu_create(sd->inform ? SNMP_MSG_INFORM : SNMP_MSG_TRAP2);
	oid note_oid[] = { MIB_PREFIX, 0, (oid)ev->kind + 1 };
	oid obj_oid[] = { MIB_PREFIX, 1, 0, 0 };
	u_long ticks = (u_long)uptime_cs();
	unsigned char dt[11];

	snmp_pdu_add_variable(pdu, sysuptime_oid, OID_LENGTH(sysuptime_oid), ASN_TIMETICKS, &ticks,
			      sizeof(ticks));
	snmp_pdu_add_variable(pdu, snmptrapoid_oid, OID_LENGTH(snmptrapoid_oid), ASN_OBJECT_ID,
			      note_oid, sizeof(note_oid));
	for (size_t i = 0; i < sizeof(def->objs) / sizeof(def->objs[0]) && def->objs[i] != 0; i++) {
		size_t n = OID_LENGTH(obj_oid);

		obj_oid[MIB_PREFIX_LEN + 1] = (oid)def->objs[i];
		switch (def->objs[i]) {
		case O_AGENT: add_str(pdu, obj_oid, n, ev->agent, DISPLAY_MAX); break;
		case O_SITE: add_str(pdu, obj_oid, n, ev->site, DISPLAY_MAX); break;
		case O_CHECK: add_str(pdu, obj_oid, n, ev->check, DISPLAY_MAX); break;
		case O_SERVICE: add_str(pdu, obj_oid, n, ev->service, DISPLAY_MAX); break;
		case O_OLD: add_int(pdu, obj_oid, n, snmp_state_value(ev->old_state)); break;
		case O_NEW: add_int(pdu, obj_oid, n, snmp_state_value(ev->new_state)); break;
		case O_MESSAGE: add_str(pdu, obj_oid, n, ev->message, DISPLAY_MAX); break;
		case O_TIME:
			snmp_date_and_time(ev->time, dt);
			snmp_pdu_add_variable(pdu, obj_oid, n, ASN_OCTET_STR, dt, sizeof(dt));
			break;
		case O_SEVERITY: add_int(pdu, obj_oid, n, snmp_severity_value(ev->severity)); break;
		case O_AVAILABILITY: add_unsigned(pdu, obj_oid, n, snmp_percent(ev->availability)); break;
		case O_TARGET: add_unsigned(pdu, obj_oid, n, snmp_percent(ev->target)); break;
		case O_BUDGET:
			add_unsigned(pdu, obj_oid, n,
				     ev->budget_pct < 0 ? 0 : ev->budget_pct > 100 ? 100 : (unsigned long)ev->budget_pct);
			break;
		case O_MONTH: add_str(pdu, obj_oid, n, ev->month, 7); break;
		}
	}
	return pdu;
}

int
snmp_dest_send(struct snmp_dest *sd, const struct notify_event *ev, const char **error_r)
{
	netsnmp_pdu *pdu;
	struct reply r;
	int sent;

	if ((unsigned)ev->kind >= NOTIFY_NKINDS) {
		snprintf(sd->err, sizeof(sd->err), "unknown notification kind %d", (int)ev->kind);
		*error_r = sd->err;
		return -1;
	}
	if (atomic_load(&sd->cancel)) {
		snprintf(sd->err, sizeof(sd->err), "cancelled");
		*error_r = sd->err;
		return -1;
	}
	if (sd->sess == NULL && dest_open(sd, error_r) < 0)
		return -1;
	pdu = build_pdu(sd, ev);
	if (!sd->inform) {
		pthread_rwlock_rdlock(&usm_lock);
		sent = snmp_sess_send(sd->sess, pdu);
		pthread_rwlock_unlock(&usm_lock);
		if (sent == 0) {
			int se = 0, ce = 0;
			char *msg = NULL;

			snmp_free_pdu(pdu);
			snmp_sess_error(sd->sess, &ce, &se, &msg);
			snprintf(sd->err, sizeof(sd->err), "trap not sent: %s", msg != NULL ? msg : "?");
			free(msg);
			dest_close(sd);
			*error_r = sd->err;
			return -1;
		}
		return 0;
	}
	if (exchange(sd, sd->sess, pdu, &r) < 0) {
		char e[sizeof(sd->err)];

		snprintf(e, sizeof(e), "%s", sd->err);
		snprintf(sd->err, sizeof(sd->err), "inform %.200s", e);
	} else if (r.status == STAT_SUCCESS && r.errstat == SNMP_ERR_NOERROR) {
		return 0;
	} else if (r.status == STAT_SUCCESS) {
		snprintf(sd->err, sizeof(sd->err), "inform refused: %s", snmp_errstring((int)r.errstat));
	} else if (r.status == STAT_TIMEOUT) {
		snprintf(sd->err, sizeof(sd->err), "no acknowledgement (timeout)");
	} else if (r.report != 0) {
		snprintf(sd->err, sizeof(sd->err), "inform refused: report %s",
			 snmp_api_errstring(r.report));
	} else {
		snprintf(sd->err, sizeof(sd->err), "inform not sent%s",
			 r.op == NETSNMP_CALLBACK_OP_SEC_ERROR ? " (security error)" : "");
	}
	dest_close(sd);
	*error_r = sd->err;
	return -1;
}
