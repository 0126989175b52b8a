#!/bin/sh
# Install what mxsla needs to build and to run its whole test suite on
# Debian 12 (as root).  Postfix is preseeded so apt asks nothing.
set -e
apt-get update
echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
echo "postfix postfix/mailname string mxsla-test.localdomain" | debconf-set-selections
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
	build-essential autoconf automake libtool pkg-config make gcc \
	libyaml-dev libpcre2-dev libjansson-dev libcurl4-openssl-dev \
	libssl-dev libsqlite3-dev libmicrohttpd-dev libcmocka-dev libsnmp-dev zlib1g-dev \
	postfix dovecot-core dovecot-imapd dovecot-pop3d dovecot-lmtpd \
	monitoring-plugins-basic e2fsprogs jq procps psmisc openssl ca-certificates postgresql \
	valgrind sqlite3 tzdata curl libcrypt-dev \
	snmptrapd snmp smitools snmptt chromium fonts-dejavu-core python3
# The browser tests drive Chromium with playwright-core; the IETF base MIBs
# that smilint and snmptranslate need come with the npm package net-snmp
# (Debian ships them only in non-free).  Both from the npm registry.
command -v node >/dev/null 2>&1 || apt-get install -y --no-install-recommends nodejs
command -v npm >/dev/null 2>&1 || apt-get install -y --no-install-recommends npm
npm install -g --no-fund --no-audit playwright-core@1 net-snmp@3
