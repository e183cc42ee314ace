/*
 * report_html_svg.h — the HTML page's inline SVG charts and byte sizes
 * (report_html_svg.c); names drawn in a chart are escaped.
 */
#ifndef DBCARE_CLI_REPORT_HTML_SVG_H
#define DBCARE_CLI_REPORT_HTML_SVG_H

#include "report_html.h"

#include <stdbool.h>
#include <stddef.h>

/* 1536 -> "1.5 kB" */
void report_html_bytes(char *buf, size_t len, double v);
/* A line of y over x (seconds since 1970, ascending); bytes: y are sizes. */
void report_html_svg_line(FILE *out, const char *title, const double *x, const double *y, int n,
                          bool bytes);
/* Horizontal bars of sizes in bytes, one per name. */
void report_html_svg_bars(FILE *out, const char *title, const char *const *names,
                          const double *values, int n);

#endif
