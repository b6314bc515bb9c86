// SPDX-License-Identifier: GPL-2.0
/*
 * A one-line progress bar on stderr for long operations: shown only when
 * stderr is a terminal and the operation has run for a second, redrawn at
 * most ten times a second, with the rate and the time left.  Elsewhere
 * (pipes, files, short operations) it prints nothing at all.
 */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "p2pctl.h"

#define PROGRESS_DELAY		1.0	/* seconds before the bar appears */
#define PROGRESS_INTERVAL	0.1	/* seconds between redraws */
#define PROGRESS_WIDTH		24	/* characters of the bar itself */

double p2pctl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void p2pctl_progress_start(struct p2pctl_progress *p, const char *what,
			   uint64_t total)
{
	p->what = what;
	p->total = total;
	p->done = 0;
	p->start = p2pctl_now();
	p->drawn = 0;
	p->tty = isatty(STDERR_FILENO);
	p->shown = false;
}

static void format_eta(double s, char *buf, size_t len)
{
	unsigned long t = s < 0 ? 0 : (unsigned long)(s + 0.5);

	if (t >= 3600)
		snprintf(buf, len, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60,
			 t % 60);
	else
		snprintf(buf, len, "%lu:%02lu", t / 60, t % 60);
}

static void draw(struct p2pctl_progress *p, double now)
{
	double elapsed = now - p->start, rate, frac;
	char done[16], total[16], speed[16], eta[32], bar[PROGRESS_WIDTH + 1];
	int fill;

	frac = p->total ? (double)p->done / p->total : 1.0;
	if (frac > 1.0)
		frac = 1.0;
	rate = elapsed > 0 ? p->done / elapsed : 0;
	fill = (int)(frac * PROGRESS_WIDTH);
	for (int i = 0; i < PROGRESS_WIDTH; i++)
		bar[i] = i < fill ? '#' : '-';
	bar[PROGRESS_WIDTH] = '\0';
	if (rate > 0)
		format_eta((p->total - p->done) / rate, eta, sizeof(eta));
	else
		snprintf(eta, sizeof(eta), "-:--");

	/* \r and erase to the end of the line: shorter lines leave no tail. */
	fprintf(stderr, "\r\033[K%s [%s] %3d%% %s/%s %s/s ETA %s", p->what, bar,
		(int)(frac * 100),
		p2pctl_fmt_size(p->done, done, sizeof(done)),
		p2pctl_fmt_size(p->total, total, sizeof(total)),
		p2pctl_fmt_size((uint64_t)rate, speed, sizeof(speed)), eta);
	fflush(stderr);
	p->drawn = now;
	p->shown = true;
}

void p2pctl_progress_update(struct p2pctl_progress *p, uint64_t done)
{
	double now;

	p->done = done;
	if (!p->tty)
		return;
	now = p2pctl_now();
	if (now - p->start < PROGRESS_DELAY ||
	    now - p->drawn < PROGRESS_INTERVAL)
		return;
	draw(p, now);
}

void p2pctl_progress_finish(struct p2pctl_progress *p)
{
	if (!p->shown)
		return;
	/* The bar gives way to whatever is printed next. */
	fputs("\r\033[K", stderr);
	fflush(stderr);
	p->shown = false;
}
