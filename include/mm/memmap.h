/* SPDX-License-Identifier: MIT */
/*
 * Physical memory map: which RAM exists, what of it is taken, what is free.
 *
 * A struct memmap collects RAM ranges (from the device tree's /memory nodes)
 * and reserved ranges (firmware, the kernel image, the device tree blob,
 * /reserved-memory children, the /memreserve/ block), then computes the free
 * page ranges: RAM rounded inward to whole pages, minus every reservation
 * rounded outward. Everything here is pure arithmetic
 * over a caller-owned struct (no globals, no printing), so tests/host builds
 * the same code and feeds it device trees.
 *
 * Accounting (the boot log's "mm: frames total=N free=M"): total is the
 * number of whole pages of RAM, i.e. RAM bytes / 4096 for page-aligned RAM;
 * the frames of the free ranges are those not reserved; the frame front end
 * carves its metadata out of them and hands the rest, M, to the allocator.
 *
 * Capacities are fixed (no allocator exists yet when this runs). RAM ranges
 * beyond MEMMAP_MAX_RAM, and /memory entries that cannot be read, are left
 * out and noted in m->skipped (ignoring RAM is safe); a reservation
 * beyond MEMMAP_MAX_RESERVED is an error, since ignoring it would hand out
 * memory someone else owns. The free table cannot overflow: each RAM range
 * gives at most one free range plus one more per reservation cutting it.
 */
#ifndef MM_MEMMAP_H
#define MM_MEMMAP_H

#include <mm/range.h>

struct fdt;

#define MEMMAP_MAX_RAM		8
#define MEMMAP_MAX_RESERVED	24
#define MEMMAP_MAX_FREE		(MEMMAP_MAX_RAM + MEMMAP_MAX_RESERVED)

/* QEMU virt: RAM starts here and the kernel is loaded 2 MiB above it. */
#define MEMMAP_RAM_BASE		0x80000000UL

enum memmap_status {
	MEMMAP_OK = 0,
	MEMMAP_EFULL = -1,	/* a fixed table is full; the entry was not added */
	MEMMAP_ENORAM = -2,	/* the device tree describes no usable RAM */
	MEMMAP_EKERNEL = -3,	/* the kernel image is not inside one RAM range */
	MEMMAP_EFDT = -4,	/* the device tree could not be read */
};

struct memmap_reserved {
	struct pa_range bytes;
	const char *what;	/* "kernel image", a node name, ...; not owned */
};

/*
 * An entry of the tree that the map left out (a safe omission: RAM that
 * cannot be read or does not fit the table is simply not used), or the one
 * that made memmap_build() fail (@fatal: a reservation that cannot be read
 * cannot be honoured, so nothing may be handed out).
 */
struct memmap_note {
	const char *node;	/* the node's name in the tree; not owned */
	int err;		/* a memmap_status saying why */
};

#define MEMMAP_MAX_NOTES	4

struct memmap {
	struct pa_range ram[MEMMAP_MAX_RAM];	/* sorted, disjoint, non-adjacent */
	unsigned nr_ram;
	struct memmap_reserved rsv[MEMMAP_MAX_RESERVED];	/* sorted by start */
	unsigned nr_rsv;
	struct ppn_range free[MEMMAP_MAX_FREE];	/* sorted, disjoint; by compute_free */
	unsigned nr_free;
	struct memmap_note skipped[MEMMAP_MAX_NOTES];	/* entries left out (first few) */
	unsigned nr_skipped;				/* all of them */
	struct memmap_note fatal;	/* why memmap_add_fdt() failed (node NULL: none) */
};

/* What the boot code knows besides the device tree (input of memmap_build). */
struct memmap_boot {
	const struct fdt *fdt;		/* NULL: no usable tree */
	struct pa_range kernel;		/* __kernel_start..__kernel_end */
	struct pa_range dtb;		/* the blob; empty without a tree */
	uint64_t fallback_size;		/* RAM at MEMMAP_RAM_BASE without a tree */
};

/* memmap_reset - make @m empty. */
void memmap_reset(struct memmap *m);

/*
 * memmap_add_ram - add RAM range @r, merging it with ranges it overlaps or
 * touches. Empty ranges are ignored. Return: MEMMAP_OK, or MEMMAP_EFULL when
 * it would need a new slot and all MEMMAP_MAX_RAM are used (@m unchanged).
 */
int memmap_add_ram(struct memmap *m, struct pa_range r);

/*
 * memmap_reserve - record @r as taken by @what (a string the caller keeps
 * alive). Empty ranges are ignored. Return: MEMMAP_OK, or MEMMAP_EFULL when
 * the table is full (@m unchanged).
 */
int memmap_reserve(struct memmap *m, struct pa_range r, const char *what);

/*
 * memmap_compute_free - fill @m->free with the whole pages of RAM that no
 * reservation touches (never more than MEMMAP_MAX_FREE ranges).
 */
void memmap_compute_free(struct memmap *m);

/*
 * memmap_add_fdt - add every /memory node's reg entries as RAM, and every
 * reg entry of /reserved-memory's children and of the memory-reservation
 * block as reserved. A /memory node that cannot be decoded, and RAM beyond
 * the table, are left out and noted in @m->skipped. Return: MEMMAP_OK;
 * MEMMAP_EFDT when a reservation cannot be decoded or the tree cannot be
 * walked, MEMMAP_EFULL for too many reservations (@m->fatal names the node;
 * entries added before the error stay).
 */
int memmap_add_fdt(struct memmap *m, const struct fdt *fdt);

/*
 * memmap_build - the whole discovery from @boot: RAM and reservations from
 * the tree (or @boot->fallback_size at MEMMAP_RAM_BASE when there is none),
 * the kernel image and the blob reserved, the firmware's region assumed as
 * [first RAM byte, kernel start) when the tree reserves nothing at the
 * first RAM page, then the free ranges. Return: MEMMAP_OK, or
 * MEMMAP_EKERNEL (kernel image not inside one RAM range), MEMMAP_EFULL,
 * MEMMAP_ENORAM or MEMMAP_EFDT. A tree that fails is not replaced by the
 * fallback size: RAM the tree does not describe is never assumed.
 */
int memmap_build(struct memmap *m, const struct memmap_boot *boot);

/* memmap_ram_frames - Return: the whole pages of RAM in @m. */
uint64_t memmap_ram_frames(const struct memmap *m);

/* memmap_free_frames - Return: the frames of @m's free ranges. */
uint64_t memmap_free_frames(const struct memmap *m);

/*
 * memmap_span - Return: the pages from the first to the last whole page of
 * RAM (holes included); empty when @m has no RAM.
 */
struct ppn_range memmap_span(const struct memmap *m);

/*
 * memmap_ram_end_after - Return: the end of the RAM range holding @pa, or of
 * the last RAM range below it (@pa itself when there is none): where RAM
 * runs out for something starting at @pa.
 */
paddr_t memmap_ram_end_after(const struct memmap *m, paddr_t pa);

/* memmap_strerror - Return: a constant description of a memmap_status. */
const char *memmap_strerror(int err);

#endif /* MM_MEMMAP_H */
