/*
 * fuzz.h - what every fuzz target (tests/fuzz/fuzz-<name>.c) defines and
 * the small helpers they share.
 *
 * A target is one function in the libFuzzer style: it gets an input of
 * any bytes and length, hands it to one parser (or a few parsers of the
 * same outside input) exactly as the agent would, and frees everything
 * again.  It must never crash, hang or leak, whatever the input.  The
 * same file links either with tests/fuzz/driver.c (seed corpus plus
 * deterministic mutations, run by `make check`) or with clang's libFuzzer
 * (-fsanitize=fuzzer), see tests/fuzz/README.md.
 *
 * The helpers are static inline so that a target plus this header is all
 * a libFuzzer build needs.
 */
#ifndef MXSLA_FUZZ_H
#define MXSLA_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "xmalloc.h"

/* The target: 0 always (libFuzzer reserves other values). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs larger than this are not parsed: every caller in the agent caps
   what it reads (probe outputs, files) and the interesting bugs are in
   small inputs. */
#define FUZZ_INPUT_MAX (1024 * 1024)

/* The input as a NUL-terminated string (freed by the caller), for the
   parsers that take one.  An embedded NUL ends the string early, as it
   does for the agent, which reads program output into C strings too. */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);

	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
