/* SPDX-License-Identifier: MIT */
/*
 * The test process itself: its open fds, a monotonic clock, the
 * fixed-seed random numbers the tests draw their inputs from, and the
 * names of the errnos it reports.
 */
#ifndef P2P_PROC_H
#define P2P_PROC_H

#include <stdint.h>

/* Open fds of the process (leak checks: compare two counts). */
int p2p_count_fds(void);
/* Seconds on CLOCK_MONOTONIC. */
double p2p_now_s(void);
/* splitmix64: the next number from @state, the same on every run. */
uint64_t p2p_splitmix64(uint64_t *state);
/*
 * "EINVAL" for EINVAL (a positive errno), "success" for 0, "unknown errno"
 * for a number that names none.
 */
const char *p2p_errno_name(int err);

#endif /* P2P_PROC_H */
