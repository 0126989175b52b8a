/*
 * secret.h - reading a token or password from a file.
 *
 * The agent reads its token, the collector the agents' tokens and the
 * SNMP and SMTP passwords, all the same way, so that a file accepted by
 * one side means the same secret to the other.
 */
#ifndef MXSLA_SECRET_H
#define MXSLA_SECRET_H

#include <stddef.h>

/* The secret in path: a regular file, not world-readable, at most max
   bytes, text without NUL; white space around it (a final newline is what
   editors and `echo >` leave) is not part of it.  Returns the secret
   (malloc'd; the caller wipes and frees it), or NULL with *error_r
   (malloc'd) saying what is wrong, phrased to follow the path: ": No such
   file or directory", " is world-readable (chmod o-r)". */
char *secret_read_file(const char *path, size_t max, char **error_r);

#endif
