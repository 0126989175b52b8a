#!/bin/sh
# Regenerate the build system (configure, Makefile.in) from a checkout.
set -e
cd "$(dirname "$0")"
autoreconf -fi
