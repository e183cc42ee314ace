/*
 * report_html_svg.c — the page's escaping and its charts, drawn as inline
 * SVG (no script, no external file): a line over time and horizontal bars.
 * Every text that came from a database goes through report_html_escape.
 */
#include "report_html_svg.h"

#include <stdio.h>
#include <string.h>

void report_html_escape(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		default:
			fputc(*s, out);
		}
	}
}

void report_html_bytes(char *buf, size_t len, double v)
{
	static const char *const unit[] = {"B", "kB", "MB", "GB", "TB", "PB"};
	int u = 0;
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

static void value_text(char *buf, size_t len, double v, bool bytes)
{
	if (bytes)
		report_html_bytes(buf, len, v);
	else
		snprintf(buf, len, "%.0f", v);
}

enum { W = 640, H = 180, PAD_L = 70, PAD_R = 10, PAD_T = 10, PAD_B = 24 };

void report_html_svg_line(FILE *out, const char *title, const double *x, const double *y, int n,
                          bool bytes)
{
	if (n < 1)
		return;
	double x0 = x[0], x1 = x[0], y0 = y[0], y1 = y[0];
	for (int i = 1; i < n; i++) {
		x0 = x[i] < x0 ? x[i] : x0;
		x1 = x[i] > x1 ? x[i] : x1;
		y0 = y[i] < y0 ? y[i] : y0;
		y1 = y[i] > y1 ? y[i] : y1;
	}
	if (y0 > 0 && !bytes)
		y0 = 0;
	double xs = x1 > x0 ? (W - PAD_L - PAD_R) / (x1 - x0) : 0;
	double ys = y1 > y0 ? (H - PAD_T - PAD_B) / (y1 - y0) : 0;
	char lo[32], hi[32];
	value_text(lo, sizeof lo, y0, bytes);
	value_text(hi, sizeof hi, y1, bytes);
	fprintf(out,
	        "<svg class=\"chart\" role=\"img\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\">"
	        "<title>",
	        W, H, W, H);
	report_html_escape(out, title);
	fprintf(out,
	        "</title><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" class=\"axis\"/>"
	        "<text x=\"%d\" y=\"%d\" class=\"tick\">%s</text>"
	        "<text x=\"%d\" y=\"%d\" class=\"tick\">%s</text><polyline points=\"",
	        PAD_L, H - PAD_B, W - PAD_R, H - PAD_B, 2, PAD_T + 10, hi, 2, H - PAD_B, lo);
	for (int i = 0; i < n; i++)
		fprintf(out, "%s%.1f,%.1f", i ? " " : "", n == 1 ? (double)PAD_L : PAD_L + (x[i] - x0) * xs,
		        H - PAD_B - (y[i] - y0) * ys);
	fputs("\"/>", out);
	for (int i = 0; i < n; i++)
		fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\"/>",
		        n == 1 ? (double)PAD_L : PAD_L + (x[i] - x0) * xs, H - PAD_B - (y[i] - y0) * ys);
	fputs("</svg>\n", out);
}

void report_html_svg_bars(FILE *out, const char *title, const char *const *names,
                          const double *values, int n)
{
	if (n < 1)
		return;
	double max = 0;
	for (int i = 0; i < n; i++)
		max = values[i] > max ? values[i] : max;
	int row = 22, h = n * row + 4, label_w = 220, bar_w = W - label_w - 90;
	fprintf(out,
	        "<svg class=\"chart bars\" role=\"img\" viewBox=\"0 0 %d %d\" width=\"%d\" "
	        "height=\"%d\"><title>",
	        W, h, W, h);
	report_html_escape(out, title);
	fputs("</title>", out);
	for (int i = 0; i < n; i++) {
		char v[32];
		report_html_bytes(v, sizeof v, values[i]);
		double len = max > 0 ? values[i] / max * bar_w : 0;
		fprintf(out, "<text x=\"0\" y=\"%d\" class=\"name\">", i * row + 16);
		/* a long name is cut (on a UTF-8 character's start) to fit its
		 * column; the table under the chart shows it whole */
		char cut[40];
		size_t len0 = strlen(names[i]), keep = len0;
		if (len0 >= sizeof cut - 4) {
			keep = sizeof cut - 4;
			while (keep > 0 && ((unsigned char)names[i][keep] & 0xC0) == 0x80)
				keep--;
		}
		snprintf(cut, sizeof cut, "%.*s%s", (int)keep, names[i], keep < len0 ? "\u2026" : "");
		report_html_escape(out, cut);
		fprintf(out,
		        "</text><rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\"/>"
		        "<text x=\"%.1f\" y=\"%d\" class=\"tick\">%s</text>",
		        label_w, i * row + 4, len < 1 ? 1 : len, row - 6, label_w + len + 6, i * row + 16,
		        v);
	}
	fputs("</svg>\n", out);
}
