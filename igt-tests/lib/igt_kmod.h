/* SPDX-License-Identifier: MIT */
/*
 * Upstream IGT declares igt_kselftests() in igt_kmod.h, and its
 * tests/dmabuf.c includes this header; the subset for the packaged
 * libigt.so.0 keeps that declaration in igt.h.
 */
#ifndef IGT_KMOD_H
#define IGT_KMOD_H

#include "igt.h"

#endif /* IGT_KMOD_H */
