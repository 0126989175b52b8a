/*
 * htmlesc.h - text into HTML: the five characters that could end an
 * element or an attribute value (< > & " ') written as entities.
 */
#ifndef MXSLA_HTMLESC_H
#define MXSLA_HTMLESC_H

#include <stdio.h>

/* Write s (NULL as nothing) to fp with < > & " ' escaped. */
void html_escape(FILE *fp, const char *s);

#endif
