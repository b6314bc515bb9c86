/* SPDX-License-Identifier: MIT */
/*
 * The test machine as the tests see it: the PCI functions named by the
 * harness (scripts/vm exports P2P_* variables), their sysfs state, the
 * framework's debugfs counters, and the P2P path the kernel should report
 * between two of them, computed from the sysfs topology alone.
 */
#ifndef P2P_TOPOLOGY_H
#define P2P_TOPOLOGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/dma-buf-p2p.h>

#define P2P_PCI_ADDR_LEN 16	/* "dddd:bb:dd.f" */

struct p2p_pci {
	char addr[P2P_PCI_ADDR_LEN];
	struct dma_buf_p2p_pci_id id;
};

/* An NVMe controller of the test machine and the image behind it. */
struct p2p_nvme {
	const char *role;	/* "cmb", "peer", "far" */
	char serial[32];
	const char *image;
	struct p2p_pci pci;
};

/*
 * The virtio-blk disk of the test machine (no native dma-buf support: the
 * block layer bounces) and the image behind it.  serial is "" when the
 * harness names none (P2P_VBLK unset).
 */
struct p2p_vblk {
	char serial[32];
	const char *image;
};

struct p2p_machine {
	struct p2p_nvme nvme[3];
	struct p2p_vblk vblk;
	struct p2p_pci vram;	/* the ivshmem device p2p-bar publishes */
	const char *vram_file;
	uint64_t vram_size;
	uint64_t cmb_size;
	bool host_bridge_p2p;	/* what the harness says the mode allows */
	/*
	 * The kernel has CONFIG_DMABUF_MOVE_NOTIFY: dynamic importers are
	 * told of moves.  Without it (the pin kernel) mapping pins.
	 */
	bool move_notify;
};

/* Fills @m from the environment and sysfs; skips when not in the VM. */
void p2p_machine_load(struct p2p_machine *m);

/*
 * The block device with serial @serial: namespace 1 of an NVMe controller
 * (found through /sys/class/nvme/<ctrl>/serial, since NVMe names change
 * between boots; peer0 also has a namespace 2, see p2p_ext4.h) or a virtio
 * disk (/sys/block/vd<x>/serial).  @name gets e.g. "nvme1n1" or "vda";
 * false when there is none.
 */
bool p2p_block_by_serial(const char *serial, char *name, size_t len);
/* The NVMe controller with @serial, e.g. "nvme2"; false when none. */
bool p2p_nvme_ctrl_by_serial(const char *serial, char *name, size_t len);
/*
 * Namespace @nsid of the NVMe controller with @serial, by its
 * /sys/block/<disk>/nsid: the guest names namespaces in the order its scan
 * finds them, so "nvme1n1" may well be namespace 2.  @name gets e.g.
 * "nvme1n2"; false when there is none.
 */
bool p2p_nvme_ns_by_serial(const char *serial, uint32_t nsid, char *name,
			   size_t len);

/* The importer's and the block layer's counters (debugfs). */
#define P2P_IMPORT_STATS "/sys/kernel/debug/dma-buf-p2p-import/stats"
#define P2P_BLK_STATS	"/sys/kernel/debug/blk-dmabuf/stats"
/* The value of @key in a debugfs file of "key value" lines. */
long long p2p_debugfs_key(const char *file, const char *key);

/* sysfs file of a PCI function, e.g. ("0000:03:00.0", "p2pmem/size"). */
bool p2p_sysfs_read(const char *addr, const char *attr, char *buf, size_t len);
uint64_t p2p_sysfs_u64(const char *addr, const char *attr);
bool p2p_sysfs_write(const char *path, const char *value);
/* The exporter's cap on system memory and what buffers hold now. */
#define P2P_DEV_SYSFS	"/sys/class/misc/dma-buf-p2p/"
/* An attribute of the exporter's device: "max_system_bytes", ... */
uint64_t p2p_exporter_u64(const char *attr);
/* Name of the driver bound to a PCI function, "" when none. */
void p2p_pci_driver(const char *addr, char *buf, size_t len);

/* Unbind a PCI function from whatever driver has it. */
void p2p_pci_unbind(const char *addr);
/* Bind it to @drv through driver_override; "\n" clears the override. */
void p2p_pci_set_override(const char *addr, const char *drv);
void p2p_pci_probe(const char *addr);
/*
 * The VRAM stand-in unbound from p2p-bar (its buffers move out), and bound
 * again, by p2p_vram_rebind() or, when the test dies first, by an exit
 * handler.
 */
void p2p_vram_unbind(const struct p2p_machine *m);
/* The VRAM stand-in bound to p2p-bar again, if a test unbound it. */
void p2p_vram_rebind(const struct p2p_machine *m);

bool p2p_pci_parse(const char *addr, struct p2p_pci *pci);

/* The one BAR of a PCI function that is @size bytes long, or -1. */
int p2p_pci_bar_of_size(const char *addr, uint64_t size);

/* Whether the CPU's host bridge routes P2P (AMD Zen and later). */
bool p2p_cpu_host_bridge_p2p(void);

/*
 * The path and distance the kernel should report between @provider and
 * @client, from the sysfs device hierarchy: below a common PCI bridge, the
 * hops up to it and down again; otherwise through the host bridge, every
 * PCI function on both sides, and only when @host_bridge_p2p.  ACS
 * redirection is not modelled: the test machine's switch has no ACS.
 */
void p2p_expected_path(const struct p2p_pci *provider,
		       const struct p2p_pci *client, bool host_bridge_p2p,
		       uint32_t *path, uint32_t *distance);

/*
 * The mode (DMA_BUF_P2P_MODE_*) the exporter should give @device for memory
 * of @provider: the path p2p_expected_path() gives, or system memory.
 */
uint32_t p2p_expected_mode(const struct p2p_pci *provider,
			   const struct p2p_pci *device, bool host_bridge_p2p);

/* CRC-32 as zlib's crc32() computes it. */
uint32_t p2p_crc32(const void *buf, size_t len);

/* Deterministic pattern: byte i of stream @seed. */
void p2p_fill_pattern(void *buf, size_t len, uint64_t seed);

#endif /* P2P_TOPOLOGY_H */
