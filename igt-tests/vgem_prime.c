// SPDX-License-Identifier: MIT
/*
 * PRIME round trip on vgem: a dumb buffer is exported as a dma-buf, filled
 * through the dma-buf's own mmap, imported into a second vgem file and read
 * back byte for byte through that file's GEM mapping. The negative subtests
 * pin down the errno of importing something that is not a dma-buf.
 */

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "igt.h"

IGT_TEST_DESCRIPTION("Share a vgem buffer through a dma-buf fd and check "
		     "that both mappings see the same bytes");

#define BO_WIDTH	1024
#define BO_HEIGHT	256
#define BO_BPP		32
#define PATTERN_SEED	0x5eed1234u

struct dumb_bo {
	uint32_t handle;
	uint64_t size;
};

static void dumb_bo_create(int fd, struct dumb_bo *bo)
{
	struct drm_mode_create_dumb arg = {
		.width = BO_WIDTH,
		.height = BO_HEIGHT,
		.bpp = BO_BPP,
	};

	do_ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &arg);
	igt_assert_neq(arg.handle, 0);
	igt_assert(arg.size >= (uint64_t)BO_WIDTH * BO_HEIGHT * BO_BPP / 8);

	bo->handle = arg.handle;
	bo->size = arg.size;
}

static void *dumb_bo_map(int fd, uint32_t handle, uint64_t size, int prot)
{
	struct drm_mode_map_dumb arg = { .handle = handle };
	void *ptr;

	do_ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &arg);
	ptr = mmap(NULL, size, prot, MAP_SHARED, fd, arg.offset);
	igt_assert_f(ptr != MAP_FAILED, "mmap of GEM handle %u: %m\n", handle);

	return ptr;
}

/* xorshift32: every byte depends on its offset, so moved pages show up */
static uint8_t pattern_next(uint32_t *state)
{
	uint32_t x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;

	return x >> 24;
}

static void fill_pattern(uint8_t *buf, uint64_t size, uint32_t seed)
{
	for (uint64_t i = 0; i < size; i++)
		buf[i] = pattern_next(&seed);
}

static void check_pattern(const uint8_t *buf, uint64_t size, uint32_t seed)
{
	uint64_t bad = 0, first = 0;
	uint8_t want_first = 0;

	for (uint64_t i = 0; i < size; i++) {
		uint8_t want = pattern_next(&seed);

		if (buf[i] != want && !bad++) {
			first = i;
			want_first = want;
		}
	}

	igt_assert_f(!bad, "%llu/%llu bytes differ, first at %#llx: %#04x != %#04x\n",
		     (unsigned long long)bad, (unsigned long long)size,
		     (unsigned long long)first, buf[first], want_first);
}

static void test_export_write_import_read(int fd, int fd2)
{
	struct dumb_bo bo;
	uint32_t handle2;
	uint8_t *ptr;
	int dmabuf;

	dumb_bo_create(fd, &bo);

	/* a writable shared mapping needs a dma-buf file opened O_RDWR */
	dmabuf = prime_handle_to_fd_for_mmap(fd, bo.handle);
	igt_assert_fd(dmabuf);
	igt_assert_eq_u64(prime_get_size(dmabuf), bo.size);

	ptr = mmap(NULL, bo.size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   dmabuf, 0);
	igt_assert_f(ptr != MAP_FAILED, "mmap of dma-buf fd %d: %m\n", dmabuf);

	prime_sync_start(dmabuf, true);
	fill_pattern(ptr, bo.size, PATTERN_SEED);
	prime_sync_end(dmabuf, true);
	igt_assert_eq(munmap(ptr, bo.size), 0);

	handle2 = prime_fd_to_handle(fd2, dmabuf);
	igt_assert_neq(handle2, 0);

	/* only fd2's handle keeps the buffer alive from here */
	close(dmabuf);
	igt_assert_eq(drmCloseBufferHandle(fd, bo.handle), 0);

	ptr = dumb_bo_map(fd2, handle2, bo.size, PROT_READ);
	check_pattern(ptr, bo.size, PATTERN_SEED);
	igt_assert_eq(munmap(ptr, bo.size), 0);

	igt_assert_eq(drmCloseBufferHandle(fd2, handle2), 0);
}

static void test_import_closed_fd(int fd)
{
	struct drm_prime_handle args = { };
	struct dumb_bo bo;
	int dmabuf;

	/* a descriptor number that was a dma-buf a moment ago */
	dumb_bo_create(fd, &bo);
	dmabuf = prime_handle_to_fd(fd, bo.handle);
	igt_assert_eq(close(dmabuf), 0);

	/* dma_buf_get() finds no file behind the number */
	args.fd = dmabuf;
	do_ioctl_err(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &args, EBADF);
	igt_assert_eq_u32(args.handle, 0);

	igt_assert_eq(drmCloseBufferHandle(fd, bo.handle), 0);
}

static void test_import_non_dmabuf_fd(int fd)
{
	struct drm_prime_handle args = { .fd = fd };

	/* an open file that is not a dma-buf: the DRM device itself */
	do_ioctl_err(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &args, EINVAL);
	igt_assert_eq_u32(args.handle, 0);
}

igt_main
{
	int fd = -1, fd2 = -1;

	igt_fixture {
		fd = drm_open_driver(DRIVER_VGEM);
		fd2 = drm_open_driver(DRIVER_VGEM);
	}

	igt_describe("Write a vgem buffer through its exported dma-buf mapping "
		     "and read every byte back through the GEM mapping of the "
		     "handle imported into another vgem file.");
	igt_subtest("export-write-import-read")
		test_export_write_import_read(fd, fd2);

	igt_describe("Importing a closed file descriptor fails with EBADF.");
	igt_subtest("import-closed-fd")
		test_import_closed_fd(fd);

	igt_describe("Importing a file that is not a dma-buf fails with EINVAL.");
	igt_subtest("import-non-dmabuf-fd")
		test_import_non_dmabuf_fd(fd);

	igt_fixture {
		close(fd2);
		close(fd);
	}
}
