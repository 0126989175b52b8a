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
	libssl-dev libsqlite3-dev libmicrohttpd-dev libcmocka-dev libsnmp-dev \
	postfix dovecot-core dovecot-imapd dovecot-pop3d dovecot-lmtpd \
	monitoring-plugins-basic e2fsprogs jq procps psmisc openssl ca-certificates postgresql \
	valgrind sqlite3 tzdata curl
