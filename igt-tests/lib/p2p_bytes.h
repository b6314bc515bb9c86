/* SPDX-License-Identifier: MIT */
/*
 * Bytes as the host has them: the disk images and files behind the test
 * machine's devices, read around the guest's page cache, and compared with
 * what a test expects, reporting how many bytes differ and the first.
 */
#ifndef P2P_BYTES_H
#define P2P_BYTES_H

#include <stddef.h>
#include <stdint.h>

/* @len bytes, page-aligned (O_DIRECT wants it); fails when out of memory. */
void *p2p_xalloc(size_t len);

/*
 * Opens @path read-only, with O_DIRECT where the filesystem has it, and
 * drops what the page cache holds of it: reads see the file as it is now.
 */
int p2p_image_open(const char *path);

/* All of [off, off + len) of @fd into @buf; @path names it in failures. */
void p2p_pread_all(int fd, void *buf, size_t len, uint64_t off,
		   const char *path);

/* [off, off + len) of @path in a new p2p_xalloc() buffer. */
uint8_t *p2p_file_dup(const char *path, uint64_t off, size_t len);

/* [@off, @off + @len) of file @path is @want, byte for byte. */
void p2p_check_file(const char *path, uint64_t off, const uint8_t *want,
		    size_t len, const char *what);
/* @got is @want, byte for byte; @what names the bytes in the failure. */
void p2p_check_bytes(const uint8_t *got, const uint8_t *want, size_t len,
		     const char *what);

/* @got is p2p_fill_pattern()'s stream @seed. */
void p2p_check_pattern(const uint8_t *got, size_t len, uint64_t seed,
		       const char *what);

/*
 * The pattern p2pctl fill --help documents, written out again from that
 * text (not p2pctl's code): word @n of seed @seed is
 * SplitMix64(@seed + (@n + 1) * 0x9e3779b97f4a7c15), and buffer byte X is
 * byte X % 8 (little-endian) of word X / 8.
 */
uint64_t p2pctl_pattern_word(uint64_t seed, uint64_t n);
uint8_t p2pctl_pattern_byte(uint64_t seed, uint64_t x);

#endif /* P2P_BYTES_H */
