/* SPDX-License-Identifier: MIT */
/*
 * The test process itself: its open fds, a monotonic clock and the
 * fixed-seed random numbers the tests draw their inputs from.
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

#endif /* P2P_PROC_H */
