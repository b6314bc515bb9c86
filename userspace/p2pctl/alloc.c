// SPDX-License-Identifier: GPL-2.0
/*
 * p2pctl alloc: allocate a buffer in a provider's P2PDMA memory
 * (DMA_BUF_P2P_IOC_ALLOC) and show it; hand its fd to a command, or to the
 * first client of a unix socket (SCM_RIGHTS).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xf86drm.h>

#include "p2pctl.h"
#include "pci.h"

#define MAX_PROVIDERS	64

static void usage(FILE *f)
{
	fprintf(f,
		"usage: p2pctl alloc --provider PCI --size SIZE [--json] [--quiet]\n"
		"                    [--serve SOCKET | -- CMD [ARGS...]]\n"
		"\n"
		"Allocate SIZE bytes (rounded up to the page size) of a provider's\n"
		"P2PDMA memory as a dma-buf and show where it is: provider, size,\n"
		"placement, its chunks' offsets in the BAR (root only) and its fd.\n"
		"The buffer lives as long as an fd of it does: on its own, alloc\n"
		"frees it when it exits.\n"
		"\n"
		"  --provider PCI   the provider's PCI address, 0000:05:00.0 or\n"
		"                   05:00.0 (domain 0); see 'p2pctl list'\n"
		"  --size SIZE      bytes: 4096, 0x1000, 4K, 64M, 1G (K, M, G, T are\n"
		"                   powers of 1024)\n"
		"  --json           one JSON object on one line instead of tables\n"
		"  --quiet          print nothing (for -- CMD)\n"
		"  --serve SOCKET   listen on the unix socket path SOCKET, send the fd\n"
		"                   to the first client that connects (SCM_RIGHTS),\n"
		"                   remove SOCKET and exit 0; the buffer lives on in\n"
		"                   the receiver ('p2pctl connect').  The details are\n"
		"                   printed once SOCKET listens.  SOCKET must not exist.\n"
		"  -- CMD [ARGS...] run CMD with the fd inherited, its number in the\n"
		"                   environment as P2P_FD; wait for it and exit with\n"
		"                   its status (128 + N when signal N killed it, 127\n"
		"                   when it is not found, 126 when it cannot be\n"
		"                   executed).  The details come first.\n"
		"\n"
		"JSON keys: provider, size, placement (\"bar\" or \"system\"), fd,\n"
		"socket (null without --serve), chunks (array of {bar_offset, size};\n"
		"null when hidden from non-root).\n"
		"\n"
		"Exit status: 0 success; 1 the allocation failed (ENODEV: no such\n"
		"PCI function; ENXIO: it publishes no P2PDMA memory; ENOSPC: not\n"
		"enough free memory) or the socket failed; 2 bad usage; with\n"
		"-- CMD, CMD's status.\n"
		"\n"
		"Examples:\n"
		"  p2pctl alloc --provider 0000:05:00.0 --size 64M\n"
		"  p2pctl alloc --provider 05:00.0 --size 64M -- \\\n"
		"      sh -c 'p2pctl info $P2P_FD'\n"
		"  p2pctl alloc --provider 0000:05:00.0 --size 4M --serve /tmp/buf &\n"
		"  p2pctl connect /tmp/buf -- sh -c 'p2pctl info $P2P_FD'\n");
}

/* 0000:05:00.0, or lspci's 05:00.0 in domain 0. */
static bool parse_provider(const char *s, struct pci_func *pci)
{
	char full[PCI_ADDR_LEN + 8];

	if (pci_parse_addr(s, pci))
		return true;
	if (strlen(s) >= PCI_ADDR_LEN)
		return false;
	snprintf(full, sizeof(full), "0000:%s", s);
	return pci_parse_addr(full, pci);
}

static void alloc_err(int dev, int err, const char *size,
		      const struct pci_func *pci)
{
	static struct p2p_provider prov[MAX_PROVIDERS];
	char avail[16], total[16];
	int n;

	switch (err) {
	case ENODEV:
		p2pctl_err("alloc", err, "%s on %s: no such PCI function",
			   size, pci->addr);
		return;
	case ENXIO:
		p2pctl_err("alloc", err,
			   "%s on %s: it publishes no P2PDMA memory (see 'p2pctl list')",
			   size, pci->addr);
		return;
	case ENOSPC:
		n = p2p_list_providers(dev, prov, MAX_PROVIDERS);
		for (int i = 0; i < n && i < MAX_PROVIDERS; i++) {
			if (strcmp(prov[i].pci.addr, pci->addr))
				continue;
			p2pctl_err("alloc", err, "%s on %s (%s free of %s)",
				   size, pci->addr,
				   p2pctl_fmt_size(prov[i].available, avail,
						   sizeof(avail)),
				   p2pctl_fmt_size(prov[i].size, total,
						   sizeof(total)));
			return;
		}
		break;
	default:
		break;
	}
	p2pctl_err("alloc", err, "%s on %s", size, pci->addr);
}

static void print_text(const struct p2pctl_buf *b, int fd, const char *socket)
{
	char size[16], pci[24];

	p2pctl_pci_id_str(&b->q.provider, pci, sizeof(pci));
	printf("Buffer\n");
	printf("  %-10s %s\n", "provider", pci);
	printf("  %-10s %s (%llu bytes)\n", "size",
	       p2pctl_fmt_size(b->q.size, size, sizeof(size)),
	       (unsigned long long)b->q.size);
	printf("  %-10s %s\n", "placement",
	       p2pctl_placement_name(b->q.placement));
	printf("  %-10s %d\n", "fd", fd);
	if (socket)
		printf("  %-10s %s\n", "socket", socket);
	p2pctl_print_chunks(b);
}

static void print_json(const struct p2pctl_buf *b, int fd, const char *socket)
{
	char pci[24];

	p2pctl_pci_id_str(&b->q.provider, pci, sizeof(pci));
	printf("{\"provider\":");
	p2pctl_json_str(pci);
	printf(",\"size\":%llu,\"placement\":\"%s\",\"fd\":%d,\"socket\":",
	       (unsigned long long)b->q.size,
	       p2pctl_placement_name(b->q.placement), fd);
	if (socket)
		p2pctl_json_str(socket);
	else
		printf("null");
	printf(",\"chunks\":");
	p2pctl_json_chunks(b);
	printf("}\n");
}

int p2pctl_run_with_fd(const char *cmd, int fd, char **argv)
{
	struct sigaction ign = { .sa_handler = SIG_IGN };
	struct sigaction old_int, old_quit;
	char num[16];
	int status;
	pid_t pid;

	snprintf(num, sizeof(num), "%d", fd);
	fflush(stdout);
	fflush(stderr);
	/* As system(3): a ^C is for CMD; we report how it ended. */
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);

	pid = fork();
	if (pid < 0) {
		p2pctl_err(cmd, errno, "run %s", argv[0]);
		status = P2PCTL_EXIT_ERROR;
		goto out_restore;
	}
	if (!pid) {
		int err;

		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		if (fcntl(fd, F_SETFD, 0) || setenv("P2P_FD", num, 1)) {
			p2pctl_err(cmd, errno, "fd %d for %s", fd, argv[0]);
			_exit(127);
		}
		execvp(argv[0], argv);
		err = errno;
		p2pctl_err(cmd, err, "run %s", argv[0]);
		_exit(err == ENOENT ? 127 : 126);
	}

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			p2pctl_err(cmd, errno, "wait for %s", argv[0]);
			status = P2PCTL_EXIT_ERROR;
			goto out_restore;
		}
	}
	if (WIFEXITED(status))
		status = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		status = 128 + WTERMSIG(status);
	else
		status = P2PCTL_EXIT_ERROR;

out_restore:
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	return status;
}

static volatile sig_atomic_t serve_signal;

static void serve_on_signal(int sig)
{
	serve_signal = sig;
}

/* The listening socket at @path, or -1 after saying why. */
static int serve_listen(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int sock;

	memcpy(addr.sun_path, path, strlen(path));
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0) {
		p2pctl_err("alloc", errno, "socket %s", path);
		return -1;
	}
	/* An existing path, even a stale socket, is not ours to remove. */
	if (bind(sock, (struct sockaddr *)&addr, sizeof(addr))) {
		p2pctl_err("alloc", errno, "socket %s%s", path,
			   errno == EADDRINUSE ? ": the path exists" : "");
		close(sock);
		return -1;
	}
	if (listen(sock, 1)) {
		p2pctl_err("alloc", errno, "listen on %s", path);
		unlink(path);
		close(sock);
		return -1;
	}
	return sock;
}

static int send_fd(int conn, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	char byte = 'P';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *cmsg;
	ssize_t n;

	memset(&ctl, 0, sizeof(ctl));
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));

	do {
		n = sendmsg(conn, &msg, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -(n < 0 ? errno : EIO);
}

/*
 * From before the socket exists until it is gone, the signals that end us
 * are held, and taken only inside ppoll(): the socket is always removed.
 */
static void serve_hold_signals(sigset_t *orig)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa = { .sa_handler = serve_on_signal };
	sigset_t block;

	sigemptyset(&block);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigaddset(&block, sigs[i]);
		sigaction(sigs[i], &sa, NULL);
	}
	sigprocmask(SIG_BLOCK, &block, orig);
}

/* Waits for the first client and sends it @fd: an exit code. */
static int serve_accept(int sock, const char *path, int fd,
			const sigset_t *orig)
{
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	int conn = -1, ret;

	while (conn < 0) {
		if (ppoll(&pfd, 1, NULL, orig) < 0) {
			if (errno != EINTR) {
				p2pctl_err("alloc", errno, "wait on %s", path);
				ret = P2PCTL_EXIT_ERROR;
				goto out;
			}
			if (serve_signal) {
				p2pctl_err("alloc", EINTR,
					   "%s: %s before a client connected",
					   path, strsignal(serve_signal));
				ret = P2PCTL_EXIT_ERROR;
				goto out;
			}
			continue;
		}
		conn = accept4(sock, NULL, NULL, SOCK_CLOEXEC);
		if (conn < 0 && errno != EINTR && errno != ECONNABORTED &&
		    errno != EAGAIN) {
			p2pctl_err("alloc", errno, "accept on %s", path);
			ret = P2PCTL_EXIT_ERROR;
			goto out;
		}
	}

	ret = send_fd(conn, fd);
	if (ret)
		p2pctl_err("alloc", -ret, "send the fd on %s", path);
	ret = ret ? P2PCTL_EXIT_ERROR : P2PCTL_EXIT_OK;
	close(conn);
out:
	unlink(path);
	return ret;
}

enum { OPT_PROVIDER = 0x100, OPT_SIZE, OPT_SERVE };

int p2pctl_alloc(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "provider", required_argument, NULL, OPT_PROVIDER },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "serve", required_argument, NULL, OPT_SERVE },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	const char *provider = NULL, *size_arg = NULL, *socket_path = NULL;
	bool json = false, quiet = false;
	char **cmd = NULL, size[16];
	struct dma_buf_p2p_alloc a;
	struct pci_func pci;
	struct p2pctl_buf b;
	int nopts, dev, sock = -1, ret, c;
	sigset_t orig;
	uint64_t bytes;

	/* Everything after the first "--" is CMD, never our options. */
	for (nopts = 1; nopts < argc && strcmp(argv[nopts], "--"); nopts++)
		;
	if (nopts < argc) {
		cmd = argv + nopts + 1;
		if (!*cmd) {
			p2pctl_usage_err("alloc", "missing CMD after --");
			return P2PCTL_EXIT_USAGE;
		}
	}

	while ((c = getopt_long(nopts, argv, "hq", opts, NULL)) != -1) {
		switch (c) {
		case OPT_PROVIDER:
			provider = optarg;
			break;
		case OPT_SIZE:
			size_arg = optarg;
			break;
		case OPT_SERVE:
			socket_path = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return P2PCTL_EXIT_OK;
		default:
			p2pctl_usage_err("alloc", "bad option");
			return P2PCTL_EXIT_USAGE;
		}
	}
	if (optind < nopts) {
		p2pctl_usage_err("alloc", "unexpected argument '%s'%s",
				 argv[optind],
				 cmd ? "" : " (a command goes after --)");
		return P2PCTL_EXIT_USAGE;
	}
	if (!provider || !size_arg) {
		p2pctl_usage_err("alloc", "missing %s",
				 provider ? "--size" : "--provider");
		return P2PCTL_EXIT_USAGE;
	}
	if (!parse_provider(provider, &pci)) {
		p2pctl_usage_err("alloc", "'%s' is not a PCI address", provider);
		return P2PCTL_EXIT_USAGE;
	}
	ret = p2pctl_parse_size(size_arg, &bytes);
	if (ret || !bytes) {
		p2pctl_usage_err("alloc", "bad size '%s'%s", size_arg,
				 ret == -ERANGE ? " (too large)" :
				 !ret ? " (must not be 0)" : "");
		return P2PCTL_EXIT_USAGE;
	}
	if (socket_path && cmd) {
		p2pctl_usage_err("alloc", "--serve and -- CMD do not go together");
		return P2PCTL_EXIT_USAGE;
	}
	if (socket_path && (!*socket_path ||
			    strlen(socket_path) >=
			    sizeof(((struct sockaddr_un *)0)->sun_path))) {
		p2pctl_usage_err("alloc", "bad socket path '%s' (1 to %zu bytes)",
				 socket_path,
				 sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		return P2PCTL_EXIT_USAGE;
	}
	p2pctl_fmt_size(bytes, size, sizeof(size));

	dev = p2pctl_open_dev("alloc");
	if (dev < 0)
		return P2PCTL_EXIT_ERROR;
	a = (struct dma_buf_p2p_alloc) {
		.provider = pci.id,
		.size = bytes,
		/* CMD gets it through exec: cleared in its child only. */
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	ret = drmIoctl(dev, DMA_BUF_P2P_IOC_ALLOC, &a);
	if (ret) {
		alloc_err(dev, errno, size, &pci);
		close(dev);
		return P2PCTL_EXIT_ERROR;
	}
	/* Its fd owns the buffer from here. */
	ret = p2pctl_buf_query(dev, (int)a.fd, &b);
	close(dev);
	if (ret) {
		p2pctl_err("alloc", -ret, "query the new buffer (fd %u)", a.fd);
		close((int)a.fd);
		return P2PCTL_EXIT_ERROR;
	}

	if (socket_path) {
		serve_hold_signals(&orig);
		sock = serve_listen(socket_path);
		if (sock < 0) {
			ret = P2PCTL_EXIT_ERROR;
			goto out_close;
		}
	}
	if (json && !quiet)
		print_json(&b, (int)a.fd, socket_path);
	else if (!quiet)
		print_text(&b, (int)a.fd, socket_path);
	fflush(stdout);

	if (cmd)
		ret = p2pctl_run_with_fd("alloc", (int)a.fd, cmd);
	else if (socket_path)
		ret = serve_accept(sock, socket_path, (int)a.fd, &orig);
	else
		ret = P2PCTL_EXIT_OK;

	if (sock >= 0)
		close(sock);
out_close:
	p2pctl_buf_free(&b);
	close((int)a.fd);
	return ret;
}
