/* SPDX-License-Identifier: MIT */
/*
 * Running p2pctl (or any helper program) the way a user would: its argv, its
 * stdout and stderr captured whole, its exit status; what it inherits (fds
 * without FD_CLOEXEC, an extra variable, a terminal) chosen by the test.
 */
#ifndef P2PCTL_RUN_H
#define P2PCTL_RUN_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

/* The p2pctl binary, set by p2pctl_find(). */
extern char p2pctl_path[PATH_MAX];

/* Finds p2pctl next to this test in the build tree; skips when absent. */
void p2pctl_find(void);

/* What a run printed and how it exited. */
struct p2p_result {
	int status;		/* exit status; a death by signal fails */
	char *out;		/* NUL-terminated; out_len bytes before it */
	size_t out_len;
	char *err;		/* NUL-terminated; err_len bytes before it */
	size_t err_len;
};

/* Frees what the last run stored in @r; @r may be reused after. */
void p2p_result_fini(struct p2p_result *r);

/* A started child; out and err are -1 where not captured. */
struct p2p_proc {
	pid_t pid;
	int out, err;		/* read ends of its stdout and stderr */
};

/*
 * How to start a child: fds to give it as stdin, stdout and stderr (-1:
 * stdin inherited, stdout and stderr captured through pipes), a "K=V" to
 * add to its environment, and a function to call in it right before exec.
 * A NULL pointer where one is taken means all defaults.
 */
struct p2p_spawn {
	int stdin_fd;
	int stdout_fd;
	int stderr_fd;
	const char *env;
	void (*setup)(void);
};

#define P2P_SPAWN_DEFAULT \
	{ .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1 }

/*
 * Starts @argv (argv[0] looked up in $PATH); fails the test, naming the
 * program and errno, when it cannot be executed.  Returns once the child
 * has exec()ed, so @argv may go after.
 */
void p2p_spawn(struct p2p_proc *p, char *const argv[],
	       const struct p2p_spawn *how);

/* One line of @p's stdout, as soon as it is there. */
void p2p_read_line(struct p2p_proc *p, char *buf, size_t len);

/*
 * The rest of @p's output and its exit status, into @r (whose previous
 * contents are freed: zero it before its first use).  Fails when the child
 * prints nothing for 60 s or dies by a signal.
 */
void p2p_collect(struct p2p_proc *p, struct p2p_result *r);

/* p2pctl FIRST... (NULL-terminated), started; collect it later. */
void p2pctl_spawnl(struct p2p_proc *p, const struct p2p_spawn *how,
		   const char *first, ...);

/* p2pctl FIRST... (NULL-terminated), run to the end: its exit status. */
int p2pctl_runl(struct p2p_result *r, const struct p2p_spawn *how,
		const char *first, ...);

#define p2pctl_run(r, ...) p2pctl_runl(r, NULL, __VA_ARGS__, NULL)

/*
 * The command line @fmt, split at spaces (so no argument may hold one):
 * p2p_runf() runs it to the end and returns its exit status, p2p_spawnf()
 * starts it.  The p2pctl_ forms put p2pctl in front (@fmt a literal).
 */
__attribute__((format(printf, 3, 4)))
int p2p_runf(struct p2p_result *r, const struct p2p_spawn *how,
	     const char *fmt, ...);
__attribute__((format(printf, 3, 4)))
void p2p_spawnf(struct p2p_proc *p, const struct p2p_spawn *how,
		const char *fmt, ...);

#define p2pctl_runf(r, how, fmt, ...) \
	p2p_runf(r, how, "%s " fmt, p2pctl_path, ##__VA_ARGS__)
#define p2pctl_spawnf(p, how, fmt, ...) \
	p2p_spawnf(p, how, "%s " fmt, p2pctl_path, ##__VA_ARGS__)

/* Exactly @want on stderr and nothing on stdout: a failure's report. */
void p2p_expect_err(const struct p2p_result *r, const char *want);

/*
 * A pseudo-terminal, for output that depends on isatty(); skips when the
 * machine has none.  Both ends are close-on-exec.
 */
void p2p_pty_open(int *master, int *slave);

#endif /* P2PCTL_RUN_H */
