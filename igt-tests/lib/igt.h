/* SPDX-License-Identifier: MIT */
/*
 * Declarations for the subset of the IGT 1.27 test API (igt_core.h, drmtest.h,
 * ioctl_wrappers.h, igt_kmod.h) that the tests in igt-tests/ use.
 *
 * Debian 12 ships libigt.so.0 (IGT 1.27.1) without its headers. This file
 * holds only declarations and the control-flow macros, written so that they
 * expand to the same calls into libigt.so.0 as IGT 1.27's own headers do,
 * so the tests get real IGT behaviour: logging, --help, --list-subtests,
 * --run-subtest, "Subtest X: SUCCESS" and exit codes 0 pass, 77 skip,
 * 98 fail, 79 unknown subtest. The tests include "igt.h" exactly as upstream
 * tests do and build unchanged against a full IGT tree.
 *
 * Every function and variable declared here is exported by libigt.so.0.
 * Control flow: each subtest and fixture body is a one-pass for loop that
 * runs after sigsetjmp() on the library's igt_subtest_jmpbuf
 * (igt_dynamic_jmpbuf for dynamic subtests). igt_skip(), a failed assert,
 * or igt_success() in the loop's increment step records the result and
 * siglongjmp()s back; the non-zero return ends the loop.
 */
#ifndef IGT_H
#define IGT_H

#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <xf86drm.h>

struct option;

#ifndef IGT_LOG_DOMAIN
#define IGT_LOG_DOMAIN (NULL)
#endif

#define IGT_EXIT_SUCCESS	0
#define IGT_EXIT_SKIP		77
#define IGT_EXIT_INVALID	79
#define IGT_EXIT_FAILURE	98

/* Read by libigt (a weak reference) for --help-description. */
extern const char *__igt_test_description __attribute__((weak));
#define IGT_TEST_DESCRIPTION(str) const char *__igt_test_description = str

/* igt_core.h: subtest infrastructure */
extern jmp_buf igt_subtest_jmpbuf;
extern jmp_buf igt_dynamic_jmpbuf;

typedef int (*igt_opt_handler_t)(int opt, int opt_index, void *data);
typedef void (*igt_exit_handler_t)(int sig);
void igt_install_exit_handler(igt_exit_handler_t fn);

/*
 * Children that run the block after it (igt_assert works in them; a
 * failure fails the subtest), reaped by igt_waitchildren().
 */
bool __igt_fork(void);
#define igt_fork(child, num_children) \
	for (int child = 0; child < (num_children); child++) \
		for (; __igt_fork(); exit(0))
void igt_waitchildren(void);

/* Fails the subtest when @op takes more than @seconds (SIGALRM). */
void igt_set_timeout(unsigned int seconds, const char *op);
void igt_reset_timeout(void);

int igt_subtest_init_parse_opts(int *argc, char **argv,
				const char *extra_short_opts,
				const struct option *extra_long_opts,
				const char *help_str,
				igt_opt_handler_t extra_opt_handler,
				void *handler_data);
bool __igt_fixture(void);
void __igt_fixture_complete(void);
bool __igt_run_subtest(const char *subtest_name, const char *file,
		       const int line);
bool __igt_enter_dynamic_container(void);
bool __igt_run_dynamic_subtest(const char *dynamic_subtest_name);
void __igt_subtest_group_save(int *save, int *desc);
void __igt_subtest_group_restore(int save, int desc);
const char *igt_subtest_name(void);
bool igt_only_list_subtests(void);
void igt_success(void);
__attribute__((noreturn)) void igt_exit(void);
__attribute__((noreturn, format(printf, 1, 2)))
void igt_skip(const char *f, ...);
__attribute__((noreturn, format(printf, 5, 6)))
void __igt_skip_check(const char *file, const int line, const char *func,
		      const char *check, const char *format, ...);
__attribute__((noreturn)) void igt_fail(int exitcode);
__attribute__((noreturn, format(printf, 6, 7)))
void __igt_fail_assert(const char *domain, const char *file, const int line,
		       const char *func, const char *assertion,
		       const char *format, ...);
__attribute__((format(printf, 1, 2)))
void igt_describe_f(const char *fmt, ...);

#define __igt_tokencat2(x, y) x ## y
#define igt_tokencat(x, y) __igt_tokencat2(x, y)
#define igt_unique(prefix) \
	igt_tokencat(igt_tokencat(__igt_unique__, prefix), __LINE__)

#define igt_main \
	static void igt_unique(__real_main)(void); \
	int main(int argc, char **argv) \
	{ \
		igt_subtest_init_parse_opts(&argc, argv, NULL, NULL, NULL, \
					    NULL, NULL); \
		igt_unique(__real_main)(); \
		igt_exit(); \
	} \
	static void igt_unique(__real_main)(void)

#define igt_fixture \
	for (volatile int igt_unique(__tmpint) = 0; \
	     igt_unique(__tmpint) < 1 && __igt_fixture() && \
	     sigsetjmp(igt_subtest_jmpbuf, 1) == 0; \
	     igt_unique(__tmpint)++, __igt_fixture_complete())

#define igt_subtest(name) \
	for (; __igt_run_subtest((name), __FILE__, __LINE__) && \
	       sigsetjmp(igt_subtest_jmpbuf, 1) == 0; \
	     igt_success())

#define __igt_subtest_f(tmp, ...) \
	for (char tmp[256]; \
	     snprintf(tmp, sizeof(tmp), __VA_ARGS__), \
	     __igt_run_subtest(tmp, __FILE__, __LINE__) && \
	     sigsetjmp(igt_subtest_jmpbuf, 1) == 0; \
	     igt_success())
#define igt_subtest_f(...) __igt_subtest_f(igt_unique(__tmpchar), __VA_ARGS__)

#define igt_subtest_with_dynamic(name) \
	for (; __igt_run_subtest((name), __FILE__, __LINE__) && \
	       __igt_enter_dynamic_container() && \
	       sigsetjmp(igt_subtest_jmpbuf, 1) == 0; \
	     igt_success())

#define __igt_dynamic_f(tmp, ...) \
	for (char tmp[256]; \
	     snprintf(tmp, sizeof(tmp), __VA_ARGS__), \
	     __igt_run_dynamic_subtest(tmp) && \
	     sigsetjmp(igt_dynamic_jmpbuf, 1) == 0; \
	     igt_success())
#define igt_dynamic_f(...) __igt_dynamic_f(igt_unique(__tmpchar), __VA_ARGS__)

#define igt_subtest_group \
	for (int igt_unique(__tmpint) = 0, igt_unique(__save) = 0, \
	     igt_unique(__desc) = 0; \
	     igt_unique(__tmpint) < 1 && \
	     (__igt_subtest_group_save(&igt_unique(__save), \
				       &igt_unique(__desc)), true); \
	     igt_unique(__tmpint)++, \
	     __igt_subtest_group_restore(igt_unique(__save), \
					 igt_unique(__desc)))

#define igt_describe(dsc) igt_describe_f("%s", dsc)

/* igt_aux.h: evaluate and drop a result nobody needs */
#define igt_ignore_warn(x) {if (x) {}}

/* igt_core.h: checks */
#define igt_assert(expr) do { \
	if (!(expr)) \
		__igt_fail_assert(IGT_LOG_DOMAIN, __FILE__, __LINE__, \
				  __func__, #expr, NULL); \
} while (0)

#define igt_assert_f(expr, ...) do { \
	if (!(expr)) \
		__igt_fail_assert(IGT_LOG_DOMAIN, __FILE__, __LINE__, \
				  __func__, #expr, __VA_ARGS__); \
} while (0)

#define igt_fail_on(expr) igt_assert(!(expr))
#define igt_fail_on_f(expr, ...) igt_assert_f(!(expr), __VA_ARGS__)

#define __igt_assert_cmp(type, fmt, n1, cmp, ncmp, n2) do { \
	type __n1 = (n1), __n2 = (n2); \
	if (!(__n1 cmp __n2)) \
		__igt_fail_assert(IGT_LOG_DOMAIN, __FILE__, __LINE__, \
				  __func__, #n1 " " #cmp " " #n2, \
				  "error: " fmt " " #ncmp " " fmt "\n", \
				  __n1, __n2); \
} while (0)

#define igt_assert_cmpint(n1, cmp, ncmp, n2) \
	__igt_assert_cmp(int, "%d", n1, cmp, ncmp, n2)
#define igt_assert_cmpuint(n1, cmp, ncmp, n2) \
	__igt_assert_cmp(uint32_t, "%#x", n1, cmp, ncmp, n2)
#define igt_assert_cmpu64(n1, cmp, ncmp, n2) \
	__igt_assert_cmp(unsigned long long, "%#llx", n1, cmp, ncmp, n2)

#define igt_assert_eq(n1, n2)		igt_assert_cmpint(n1, ==, !=, n2)
#define igt_assert_neq(n1, n2)		igt_assert_cmpint(n1, !=, ==, n2)
#define igt_assert_lt(n1, n2)		igt_assert_cmpint(n1, <, >=, n2)
#define igt_assert_lte(n1, n2)		igt_assert_cmpint(n1, <=, >, n2)
#define igt_assert_eq_u32(n1, n2)	igt_assert_cmpuint(n1, ==, !=, n2)
#define igt_assert_eq_u64(n1, n2)	igt_assert_cmpu64(n1, ==, !=, n2)
#define igt_assert_lt_u64(n1, n2)	igt_assert_cmpu64(n1, <, >=, n2)
#define igt_assert_fd(fd) \
	igt_assert_f((fd) >= 0, "file descriptor " #fd " failed\n")

#define igt_skip_check(E, ...) \
	__igt_skip_check(__FILE__, __LINE__, __func__, E, __VA_ARGS__)

#define igt_require(expr) do { \
	if (!(expr)) \
		igt_skip_check(#expr, NULL); \
	else \
		igt_debug("Test requirement passed: %s\n", #expr); \
} while (0)

#define igt_require_f(expr, ...) do { \
	if (!(expr)) \
		igt_skip_check(#expr, __VA_ARGS__); \
	else \
		igt_debug("Test requirement passed: %s\n", #expr); \
} while (0)

#define igt_skip_on(expr) do { \
	if ((expr)) \
		igt_skip_check("!(" #expr ")", NULL); \
	else \
		igt_debug("Test requirement passed: !(%s)\n", #expr); \
} while (0)

#define igt_skip_on_f(expr, ...) do { \
	if ((expr)) \
		igt_skip_check("!(" #expr ")", __VA_ARGS__); \
	else \
		igt_debug("Test requirement passed: !(%s)\n", #expr); \
} while (0)

/* igt_core.h: logging */
enum igt_log_level {
	IGT_LOG_DEBUG,
	IGT_LOG_INFO,
	IGT_LOG_WARN,
	IGT_LOG_CRITICAL,
	IGT_LOG_NONE,
};

__attribute__((format(printf, 3, 4)))
void igt_log(const char *domain, enum igt_log_level level,
	     const char *format, ...);

#define igt_debug(...)	igt_log(IGT_LOG_DOMAIN, IGT_LOG_DEBUG, __VA_ARGS__)
#define igt_info(...)	igt_log(IGT_LOG_DOMAIN, IGT_LOG_INFO, __VA_ARGS__)
#define igt_warn(...)	igt_log(IGT_LOG_DOMAIN, IGT_LOG_WARN, __VA_ARGS__)

/* drmtest.h */
#define DRIVER_VGEM	(1 << 2)
#define DRIVER_ANY	~(DRIVER_VGEM)

int drm_open_driver(int chipset);
int __drm_open_driver(int chipset);

/* ioctl_wrappers.h; igt_ioctl defaults to drmIoctl() */
extern int (*igt_ioctl)(int fd, unsigned long request, void *arg);

#define do_ioctl(fd, ioc, ioc_data) do { \
	igt_assert_eq(igt_ioctl((fd), (ioc), (ioc_data)), 0); \
	errno = 0; \
} while (0)

#define do_ioctl_err(fd, ioc, ioc_data, err) do { \
	igt_assert_eq(igt_ioctl((fd), (ioc), (ioc_data)), -1); \
	igt_assert_eq(errno, err); \
	errno = 0; \
} while (0)

int prime_handle_to_fd(int fd, uint32_t handle);
int prime_handle_to_fd_for_mmap(int fd, uint32_t handle);
uint32_t prime_fd_to_handle(int fd, int dma_buf_fd);
off_t prime_get_size(int dma_buf_fd);
void prime_sync_start(int dma_buf_fd, bool write);
void prime_sync_end(int dma_buf_fd, bool write);

/* igt_kmod.h */
void igt_kselftests(const char *module_name, const char *module_options,
		    const char *result_option, const char *filter);

#endif /* IGT_H */
