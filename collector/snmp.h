/*
 * snmp.h - SNMP notifications with the net-snmp library (SPEC 5): the
 * MXSLA-MIB layout, the PDU of an event and one destination's session.
 *
 * The notifier (notify.c) owns the queue and the threads; this file only
 * turns one event into one trap or inform and hands it to the network.
 * OIDs are built from a table here (docs/internals/notify.md lists them;
 * docs/MXSLA-MIB.txt defines them): no MIB file is read at run time.
 *
 * net-snmp is used through its single-session API only: a struct
 * snmp_dest belongs to one thread at a time (snmp_dest_cancel excepted).  The library's global state
 * (initialised by the first snmp_lib_init, torn down at exit) reads no
 * configuration or MIB file, writes no persistent file, and its messages
 * go to our log at debug level.
 */
#ifndef MXSLA_SNMP_H
#define MXSLA_SNMP_H

#include <stddef.h>
#include <stdint.h>

#include "collector_config.h"
#include "notify.h"

/* Longest SNMPv3 engine ID in octets (RFC 3411: 5 to 32). */
#define SNMP_ENGINE_ID_MAX 32

/* Initialise the net-snmp library once per process (later calls do
   nothing); what it holds is freed at exit (atexit), because net-snmp
   5.9 leaks when initialised again after snmp_shutdown. */
int snmp_lib_init(const char **error_r);

/* "0x" and 10 to 64 hex digits (even) -> 5 to 32 octets in id; returns
   the length, or -1 when text is not such a string. */
int snmp_engine_id_parse(const char *text, unsigned char id[SNMP_ENGINE_ID_MAX]);
/* The msgAuthoritativeEngineID (5 to SNMP_ENGINE_ID_MAX octets) of the
   SNMPv3 message in buf[0..n) whose msgID is msgid, as a receiver's Report
   to an engine discovery carries it: its length, or -1 for anything else.
   buf comes from the network: any bytes are safe. */
int snmp_report_engine_id(const unsigned char *buf, size_t n, uint32_t msgid,
			  unsigned char eid[SNMP_ENGINE_ID_MAX]);
/* The engine ID used when none is configured: RFC 3411 format 5
   (enterprise-specific octets) under the Net-SNMP enterprise 8072,
   0x80001F8805 followed by the first 12 octets of SHA-256("mxsla:" host):
   stable for a host name, so receivers can be configured once.  Returns
   the length (17). */
int snmp_engine_id_host(const char *host, unsigned char id[SNMP_ENGINE_ID_MAX]);
/* "0x" + lower-case hex of id into buf (at least 2 * len + 3 bytes). */
void snmp_engine_id_hex(const unsigned char *id, size_t len, char *buf);

/* ---- the MIB ---- */

/* The MIB name of a kind's NOTIFICATION-TYPE ("mxslaCheckStateChange"). */
const char *snmp_note_name(enum notify_kind k);
/* MxslaState of a state name (ok 1 .. silent 8); unknown(4) for NULL or a
   name outside the list. */
int snmp_state_value(const char *name);
/* MxslaState of a severity MX_OK..MX_UNKNOWN (1..4; unknown(4) otherwise). */
int snmp_severity_value(int severity);
/* DateAndTime (SNMPv2-TC), 11 octets, UTC: year (2 octets, network
   order), month, day, hour, minutes, seconds, deci-seconds 0, '+', 0, 0. */
void snmp_date_and_time(int64_t t, unsigned char out[11]);
/* Bytes of s that fit in a DisplayString of at most max octets without
   cutting a UTF-8 character. */
size_t snmp_utf8_cut(const char *s, size_t max);
/* MxslaPercent: thousandths of a percent, rounded, clamped to 0..100000. */
unsigned long snmp_percent(double pct);

/* ---- one destination ---- */

struct snmp_dest;

/* A destination from its configuration (copied; nothing is opened yet).
   engine_id: this process's engine ID, authoritative for v3 traps.
   timeout_ms/retries: per inform attempt. */
struct snmp_dest *snmp_dest_new(const struct cc_snmp_dest *d, const unsigned char *engine_id,
				size_t engine_id_len, long timeout_ms, int retries);
/* Send ev: a trap returns 0 once handed to the network, an inform once
   the receiver acknowledged it.  -1 with *error_r (valid until the next
   call with sd) otherwise; the session is then reopened on the next
   call (an inform's receiver may have restarted with a new engine). */
int snmp_dest_send(struct snmp_dest *sd, const struct notify_event *ev, const char **error_r);
/* From any thread while sd is alive: an inform's wait for its
   acknowledgement (or a v3 receiver's engine ID) ends within 0.1 s and
   this and every later snmp_dest_send return -1 ("cancelled"); the row
   is the caller's to keep.  For stopping without waiting out a dead
   receiver's timeout. */
void snmp_dest_cancel(struct snmp_dest *sd);
/* Close and free (passwords are wiped). */
void snmp_dest_free(struct snmp_dest *sd);

#endif
