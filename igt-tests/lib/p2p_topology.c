// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "igt.h"
#include "p2p_topology.h"

#define PCI_DEVICES "/sys/bus/pci/devices"

bool p2p_sysfs_read(const char *addr, const char *attr, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/%s", addr, attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return false;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return true;
}

uint64_t p2p_sysfs_u64(const char *addr, const char *attr)
{
	char buf[64], *end;
	uint64_t v;

	igt_assert_f(p2p_sysfs_read(addr, attr, buf, sizeof(buf)),
		     "cannot read %s of %s\n", attr, addr);
	v = strtoull(buf, &end, 0);
	igt_assert_f(end != buf && *end == '\0',
		     "%s of %s is not a number: '%s'\n", attr, addr, buf);
	return v;
}

uint64_t p2p_exporter_u64(const char *attr)
{
	char path[PATH_MAX], buf[64], *end;
	uint64_t v;
	FILE *f;

	snprintf(path, sizeof(path), P2P_DEV_SYSFS "%s", attr);
	f = fopen(path, "re");
	igt_assert_f(f, "%s: %m\n", path);
	igt_assert_f(fgets(buf, sizeof(buf), f), "%s: empty\n", path);
	fclose(f);
	v = strtoull(buf, &end, 0);
	igt_assert_f(end != buf && (*end == '\n' || *end == '\0'),
		     "%s is not a number: '%s'\n", path, buf);
	return v;
}

bool p2p_sysfs_write(const char *path, const char *value)
{
	size_t len = strlen(value);
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = write(fd, value, len);
	close(fd);
	return n == (ssize_t)len;
}

void p2p_pci_driver(const char *addr, char *buf, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver", addr);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0) {
		buf[0] = '\0';
		return;
	}
	target[n] = '\0';
	snprintf(buf, len, "%s", strrchr(target, '/') + 1);
}

void p2p_pci_unbind(const char *addr)
{
	char drv[64], path[PATH_MAX];

	p2p_pci_driver(addr, drv, sizeof(drv));
	if (!drv[0])
		return;
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/unbind", drv);
	igt_assert_f(p2p_sysfs_write(path, addr), "cannot unbind %s from %s\n",
		     addr, drv);
}

void p2p_pci_set_override(const char *addr, const char *drv)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override", addr);
	igt_assert(p2p_sysfs_write(path, drv));
}

void p2p_pci_probe(const char *addr)
{
	igt_assert(p2p_sysfs_write("/sys/bus/pci/drivers_probe", addr));
}

/* The VRAM stand-in's address while a test has it unbound, or "". */
static char vram_unbound[P2P_PCI_ADDR_LEN];

/* No asserts: this may run from a signal, after the test failed. */
static void vram_rebind_on_exit(int sig)
{
	char path[PATH_MAX];

	(void)sig;
	if (!vram_unbound[0])
		return;
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override",
		 vram_unbound);
	p2p_sysfs_write(path, "p2p-bar");
	p2p_sysfs_write("/sys/bus/pci/drivers_probe", vram_unbound);
}

void p2p_vram_unbind(const struct p2p_machine *m)
{
	static bool handler;

	if (!handler) {
		igt_install_exit_handler(vram_rebind_on_exit);
		handler = true;
	}
	snprintf(vram_unbound, sizeof(vram_unbound), "%s", m->vram.addr);
	p2p_pci_unbind(m->vram.addr);
}

void p2p_vram_rebind(const struct p2p_machine *m)
{
	char drv[64];

	vram_unbound[0] = '\0';

	p2p_pci_driver(m->vram.addr, drv, sizeof(drv));
	if (!strcmp(drv, "p2p-bar"))
		return;
	p2p_pci_set_override(m->vram.addr, "p2p-bar");
	p2p_pci_probe(m->vram.addr);
	p2p_pci_driver(m->vram.addr, drv, sizeof(drv));
	igt_assert_f(!strcmp(drv, "p2p-bar"), "VRAM stand-in not rebound\n");
}

bool p2p_pci_parse(const char *addr, struct p2p_pci *pci)
{
	unsigned int domain, bus, dev, fn;
	char end;

	if (sscanf(addr, "%x:%x:%x.%x%c", &domain, &bus, &dev, &fn, &end) != 4 ||
	    bus > 0xff || dev > 0x1f || fn > 7)
		return false;
	snprintf(pci->addr, sizeof(pci->addr), "%04x:%02x:%02x.%x",
		 domain, bus, dev, fn);
	pci->id.domain = domain;
	pci->id.bdf = bus << 8 | dev << 3 | fn;
	return true;
}

int p2p_pci_bar_of_size(const char *addr, uint64_t size)
{
	unsigned long long start, end, flags;
	char path[PATH_MAX], line[256];
	int bar = -1, found = 0;
	FILE *f;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/resource", addr);
	f = fopen(path, "re");
	igt_assert(f);
	for (int i = 0; i < 6 && fgets(line, sizeof(line), f); i++) {
		igt_assert_eq(sscanf(line, "%llx %llx %llx", &start, &end,
				     &flags), 3);
		if (end && end - start + 1 == size) {
			bar = i;
			found++;
		}
	}
	fclose(f);
	return found == 1 ? bar : -1;
}

/* A sysfs serial attribute without its padding and newline. */
static bool read_serial(const char *path, char *buf, size_t len)
{
	bool ok = false;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return false;
	if (fgets(buf, len, f)) {
		buf[strcspn(buf, " \n")] = '\0';
		ok = true;
	}
	fclose(f);
	return ok;
}

bool p2p_nvme_ctrl_by_serial(const char *serial, char *name, size_t len)
{
	char path[PATH_MAX], buf[64];
	struct dirent *de;
	bool found = false;
	DIR *dir;

	dir = opendir("/sys/class/nvme");
	if (!dir)
		return false;
	while (!found && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/nvme/%s/serial",
			 de->d_name);
		if (read_serial(path, buf, sizeof(buf)) && !strcmp(buf, serial)) {
			snprintf(name, len, "%s", de->d_name);
			found = true;
		}
	}
	closedir(dir);
	return found;
}

static bool nvme_by_serial(const char *serial, struct p2p_pci *pci)
{
	char ctrl[64], path[PATH_MAX], target[PATH_MAX];

	if (!p2p_nvme_ctrl_by_serial(serial, ctrl, sizeof(ctrl)))
		return false;
	snprintf(path, sizeof(path), "/sys/class/nvme/%s/device", ctrl);
	return realpath(path, target) &&
	       p2p_pci_parse(strrchr(target, '/') + 1, pci);
}

/* "nvme<N>n<M>": a namespace's disk, not a multipath "nvme<N>c<C>n<M>". */
static bool is_nvme_ns(const char *name)
{
	unsigned int ctrl, ns;
	int end = 0;

	return sscanf(name, "nvme%un%u%n", &ctrl, &ns, &end) == 2 &&
	       name[end] == '\0';
}

/* The namespace ID of disk @name (/sys/block/<name>/nsid), or 0. */
static uint32_t nvme_nsid(const char *name)
{
	char path[PATH_MAX], buf[32], *end;
	unsigned long v;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/block/%s/nsid", name);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	v = strtoul(buf, &end, 10);
	return end != buf && (*end == '\n' || *end == '\0') &&
	       v <= UINT32_MAX ? v : 0;
}

bool p2p_nvme_ns_by_serial(const char *serial, uint32_t nsid, char *name,
			   size_t len)
{
	char ctrl[64], path[PATH_MAX];
	struct dirent *de;
	bool found = false;
	DIR *dir;

	if (!p2p_nvme_ctrl_by_serial(serial, ctrl, sizeof(ctrl)))
		return false;
	snprintf(path, sizeof(path), "/sys/class/nvme/%s", ctrl);
	dir = opendir(path);
	if (!dir)
		return false;
	while (!found && (de = readdir(dir))) {
		if (!is_nvme_ns(de->d_name) || nvme_nsid(de->d_name) != nsid)
			continue;
		snprintf(name, len, "%s", de->d_name);
		found = true;
	}
	closedir(dir);
	return found;
}

static bool virtio_disk_by_serial(const char *serial, char *name, size_t len)
{
	char path[PATH_MAX], buf[64];
	struct dirent *de;
	bool found = false;
	DIR *dir;

	dir = opendir("/sys/block");
	if (!dir)
		return false;
	while (!found && (de = readdir(dir))) {
		if (strncmp(de->d_name, "vd", 2))
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/serial", de->d_name);
		if (read_serial(path, buf, sizeof(buf)) && !strcmp(buf, serial)) {
			snprintf(name, len, "%s", de->d_name);
			found = true;
		}
	}
	closedir(dir);
	return found;
}

bool p2p_block_by_serial(const char *serial, char *name, size_t len)
{
	return p2p_nvme_ns_by_serial(serial, 1, name, len) ||
	       virtio_disk_by_serial(serial, name, len);
}

static bool pci_by_id(const char *vendor, const char *device,
		      struct p2p_pci *pci)
{
	char v[16], d[16];
	struct dirent *de;
	bool found = false;
	DIR *dir;

	dir = opendir(PCI_DEVICES);
	if (!dir)
		return false;
	while (!found && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		if (p2p_sysfs_read(de->d_name, "vendor", v, sizeof(v)) &&
		    p2p_sysfs_read(de->d_name, "device", d, sizeof(d)) &&
		    !strcmp(v, vendor) && !strcmp(d, device))
			found = p2p_pci_parse(de->d_name, pci);
	}
	closedir(dir);
	return found;
}

void p2p_machine_load(struct p2p_machine *m)
{
	static const char *const roles[] = { "cmb", "peer", "far" };
	static const char *const vars[] = {
		"P2P_NVME_CMB", "P2P_NVME_PEER", "P2P_NVME_FAR"
	};
	const char *mode = getenv("P2P_HOST_BRIDGE_P2P");
	const char *vram_size = getenv("P2P_VRAM_SIZE");
	const char *cmb_size = getenv("P2P_CMB_SIZE");
	const char *vblk, *colon;

	memset(m, 0, sizeof(*m));
	igt_require_f(mode && vram_size && cmb_size && getenv("P2P_VRAM_FILE"),
		      "not in the dma-buf P2P test machine (no P2P_* variables)\n");
	m->host_bridge_p2p = !strcmp(mode, "1");
	m->move_notify = !getenv("P2P_MOVE_NOTIFY") ||
			 strcmp(getenv("P2P_MOVE_NOTIFY"), "0");
	m->vram_file = getenv("P2P_VRAM_FILE");
	m->vram_size = strtoull(vram_size, NULL, 0);
	m->cmb_size = strtoull(cmb_size, NULL, 0);

	for (int i = 0; i < 3; i++) {
		const char *v = getenv(vars[i]);
		const char *colon = v ? strchr(v, ':') : NULL;
		struct p2p_nvme *n = &m->nvme[i];

		igt_require_f(colon, "%s is not set\n", vars[i]);
		n->role = roles[i];
		snprintf(n->serial, sizeof(n->serial), "%.*s",
			 (int)(colon - v), v);
		n->image = colon + 1;
		igt_assert_f(nvme_by_serial(n->serial, &n->pci),
			     "no NVMe controller with serial %s\n", n->serial);
	}
	igt_assert_f(pci_by_id("0x1af4", "0x1110", &m->vram),
		     "no ivshmem device (the VRAM stand-in)\n");

	/* Optional here; the tests that use the disk check it is there. */
	vblk = getenv("P2P_VBLK");
	colon = vblk ? strchr(vblk, ':') : NULL;
	if (colon) {
		snprintf(m->vblk.serial, sizeof(m->vblk.serial), "%.*s",
			 (int)(colon - vblk), vblk);
		m->vblk.image = colon + 1;
	}
}

bool p2p_cpu_host_bridge_p2p(void)
{
	bool amd = false;
	int family = -1;
	char line[256];
	FILE *f;

	f = fopen("/proc/cpuinfo", "re");
	igt_assert(f);
	while (fgets(line, sizeof(line), f) && family < 0) {
		if (!strncmp(line, "vendor_id", 9))
			amd = strstr(line, "AuthenticAMD") != NULL;
		else if (!strncmp(line, "cpu family", 10))
			family = atoi(strchr(line, ':') + 1);
	}
	fclose(f);
	return amd && family >= 0x17;
}

/* PCI functions from the root down to @pci, from its sysfs device path. */
static int pci_chain(const struct p2p_pci *pci, char root[32],
		     char chain[][P2P_PCI_ADDR_LEN], int max)
{
	char path[PATH_MAX], real[PATH_MAX], *tok, *save;
	int n = 0;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s", pci->addr);
	igt_assert(realpath(path, real));
	/* /sys/devices/pci0000:00/0000:00:01.0/.../0000:03:00.0 */
	root[0] = '\0';
	for (tok = strtok_r(real, "/", &save); tok;
	     tok = strtok_r(NULL, "/", &save)) {
		struct p2p_pci p;

		if (!strncmp(tok, "pci", 3))
			snprintf(root, 32, "%s", tok);
		else if (root[0] && p2p_pci_parse(tok, &p)) {
			igt_assert(n < max);
			memcpy(chain[n++], p.addr, P2P_PCI_ADDR_LEN);
		}
	}
	igt_assert_f(root[0] && n > 0, "unexpected sysfs path for %s\n",
		     pci->addr);
	return n;
}

void p2p_expected_path(const struct p2p_pci *provider,
		       const struct p2p_pci *client, bool host_bridge_p2p,
		       uint32_t *path, uint32_t *distance)
{
	char pchain[16][P2P_PCI_ADDR_LEN], cchain[16][P2P_PCI_ADDR_LEN];
	char proot[32], croot[32];
	int np, nc, common = 0;

	np = pci_chain(provider, proot, pchain, 16);
	nc = pci_chain(client, croot, cchain, 16);
	if (!strcmp(proot, croot))
		while (common < np && common < nc &&
		       !strcmp(pchain[common], cchain[common]))
			common++;

	if (common) {
		*path = DMA_BUF_P2P_PATH_BUS;
		*distance = (np - common) + (nc - common);
	} else if (host_bridge_p2p) {
		*path = DMA_BUF_P2P_PATH_HOST_BRIDGE;
		*distance = np + nc;
	} else {
		*path = DMA_BUF_P2P_PATH_NONE;
		*distance = 0;
	}
}

uint32_t p2p_expected_mode(const struct p2p_pci *provider,
			   const struct p2p_pci *device, bool host_bridge_p2p)
{
	uint32_t path, distance;

	p2p_expected_path(provider, device, host_bridge_p2p, &path, &distance);
	switch (path) {
	case DMA_BUF_P2P_PATH_BUS:
		return DMA_BUF_P2P_MODE_BUS;
	case DMA_BUF_P2P_PATH_HOST_BRIDGE:
		return DMA_BUF_P2P_MODE_HOST_BRIDGE;
	default:
		return DMA_BUF_P2P_MODE_SYSTEM;
	}
}

uint32_t p2p_crc32(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t crc = ~0u;

	while (len--) {
		crc ^= *p++;
		for (int i = 0; i < 8; i++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

void p2p_fill_pattern(void *buf, size_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++) {
		/* xorshift64: cheap, and every seed gives another stream */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = x >> 56;
	}
}

long long p2p_debugfs_key(const char *file, const char *key)
{
	char line[256], name[64];
	long long v, found = -1;
	FILE *f;

	f = fopen(file, "re");
	igt_assert_f(f, "cannot open %s: %m\n", file);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lld", name, &v) == 2 &&
		    !strcmp(name, key))
			found = v;
	fclose(f);
	igt_assert_f(found >= 0, "no '%s' in %s\n", key, file);
	return found;
}
