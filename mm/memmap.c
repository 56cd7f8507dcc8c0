// SPDX-License-Identifier: MIT
/*
 * RAM discovery: the physical memory map (see <mm/memmap.h>).
 *
 * Design. RAM ranges are kept as bytes, sorted and merged on insertion, so
 * two /memory nodes describing touching ranges become one range and the
 * inward rounding to pages happens once per real range. Reservations are
 * kept as bytes too, sorted by start, with the name of what holds them for
 * the boot log. compute_free walks each RAM range's whole pages and cuts
 * out every reservation's touched pages in one sweep over the sorted list:
 * a partial page of RAM is never free and a page a reservation only grazes
 * is never free either.
 *
 * The upper part is pure (host-tested in tests/host/memmap_test.c); the
 * kernel glue at the end reads the boot globals, logs and panics.
 */
#include <mm/memmap.h>
#include <lib/fdt.h>
#include <lib/string.h>
#include <mmlab/panic.h>

/* ------------------------------------------------------------------------ */
/* Table helpers                                                            */
/* ------------------------------------------------------------------------ */

/* Index of the first RAM range ending at or after @r's start (touching merges). */
static unsigned ram_find_slot(const struct memmap *m, struct pa_range r)
{
	unsigned i = 0;

	while (i < m->nr_ram && pa_lt(m->ram[i].end, r.start))
		i++;
	return i;
}

/* Open a hole at @pos in an array of @n elements of @size bytes. */
static void table_open_slot(void *base, unsigned n, unsigned pos, size_t size)
{
	char *at = (char *)base + (size_t)pos * size;

	memmove(at + size, at, (size_t)(n - pos) * size);
}

/* Close the hole at @pos in an array of @n elements of @size bytes. */
static void table_close_slot(void *base, unsigned n, unsigned pos, size_t size)
{
	char *at = (char *)base + (size_t)pos * size;

	memmove(at, at + size, (size_t)(n - pos - 1) * size);
}

/* ------------------------------------------------------------------------ */
/* Building the map                                                         */
/* ------------------------------------------------------------------------ */

void memmap_reset(struct memmap *m)
{
	m->nr_ram = 0;
	m->nr_rsv = 0;
	m->nr_free = 0;
}

int memmap_add_ram(struct memmap *m, struct pa_range r)
{
	unsigned i;

	if (pa_range_is_empty(r))
		return MEMMAP_OK;
	i = ram_find_slot(m, r);
	if (i == m->nr_ram || pa_lt(r.end, m->ram[i].start)) {
		/* Touches nothing: a new slot at i. */
		if (m->nr_ram == MEMMAP_MAX_RAM)
			return MEMMAP_EFULL;
		table_open_slot(m->ram, m->nr_ram, i, sizeof(m->ram[0]));
		m->ram[i] = r;
		m->nr_ram++;
		return MEMMAP_OK;
	}
	/* Merge into slot i, then swallow the following ranges it reaches. */
	if (pa_lt(r.start, m->ram[i].start))
		m->ram[i].start = r.start;
	if (pa_lt(m->ram[i].end, r.end))
		m->ram[i].end = r.end;
	while (i + 1 < m->nr_ram && !pa_lt(m->ram[i].end, m->ram[i + 1].start)) {
		if (pa_lt(m->ram[i].end, m->ram[i + 1].end))
			m->ram[i].end = m->ram[i + 1].end;
		table_close_slot(m->ram, m->nr_ram, i + 1, sizeof(m->ram[0]));
		m->nr_ram--;
	}
	return MEMMAP_OK;
}

int memmap_reserve(struct memmap *m, struct pa_range r, const char *what)
{
	unsigned i = 0;

	if (pa_range_is_empty(r))
		return MEMMAP_OK;
	if (m->nr_rsv == MEMMAP_MAX_RESERVED)
		return MEMMAP_EFULL;
	while (i < m->nr_rsv && !pa_lt(r.start, m->rsv[i].bytes.start))
		i++;
	table_open_slot(m->rsv, m->nr_rsv, i, sizeof(m->rsv[0]));
	m->rsv[i].bytes = r;
	m->rsv[i].what = what;
	m->nr_rsv++;
	return MEMMAP_OK;
}

/* Append @r to the free table (sized so that it cannot overflow). */
static void free_append(struct memmap *m, struct ppn_range r)
{
	if (ppn_range_is_empty(r))
		return;
	if (m->nr_free == MEMMAP_MAX_FREE)
		panic("memmap_compute_free: more than %d free ranges", MEMMAP_MAX_FREE);
	m->free[m->nr_free++] = r;
}

/* Emit the pages of @ram that no reservation touches (reservations sorted). */
static void ram_cut_reservations(struct memmap *m, struct ppn_range ram)
{
	ppn_t cur = ram.start;
	unsigned i;

	for (i = 0; i < m->nr_rsv; i++) {
		struct ppn_range taken = pa_range_to_ppn_outward(m->rsv[i].bytes);

		if (!ppn_lt(cur, taken.end))
			continue;
		if (!ppn_lt(taken.start, ram.end))
			break;
		if (ppn_lt(cur, taken.start))
			free_append(m, ppn_range_make(cur, taken.start));
		cur = taken.end;
	}
	if (ppn_lt(cur, ram.end))
		free_append(m, ppn_range_make(cur, ram.end));
}

void memmap_compute_free(struct memmap *m)
{
	unsigned i;

	m->nr_free = 0;
	for (i = 0; i < m->nr_ram; i++)
		ram_cut_reservations(m, pa_range_to_ppn_inward(m->ram[i]));
}

/* ------------------------------------------------------------------------ */
/* Reading the device tree                                                  */
/* ------------------------------------------------------------------------ */

/* A reg entry as a byte range, clipped at the top of the address space. */
static struct pa_range reg_to_range(const struct fdt_reg *reg)
{
	uint64_t end = reg->address + reg->size;

	if (end < reg->address)
		end = UINT64_MAX;
	return pa_range_make(PADDR(reg->address), PADDR(end));
}

/* Add every reg entry of @node as RAM (@what NULL) or as reserved by @what. */
static int node_add_regs(struct memmap *m, const struct fdt *fdt, int node,
			 const char *what)
{
	struct fdt_reg reg;
	unsigned i;
	int err;

	for (i = 0; (err = fdt_reg(fdt, node, i, &reg)) == 0; i++) {
		struct pa_range r = reg_to_range(&reg);
		int st = what ? memmap_reserve(m, r, what) : memmap_add_ram(m, r);

		if (st)
			return st;
	}
	return err == FDT_ERR_NOTFOUND ? MEMMAP_OK : MEMMAP_EFDT;
}

/* The children of /reserved-memory, each reserved under its node name. */
static int reserved_memory_add(struct memmap *m, const struct fdt *fdt)
{
	int parent = fdt_path_offset(fdt, "/reserved-memory");
	int child, err;

	if (parent == FDT_ERR_NOTFOUND)
		return MEMMAP_OK;
	if (parent < 0)
		return MEMMAP_EFDT;
	for (child = fdt_first_child(fdt, parent); child >= 0;
	     child = fdt_next_sibling(fdt, child)) {
		const char *name;

		if (fdt_node_name(fdt, child, &name) < 0)
			return MEMMAP_EFDT;
		err = node_add_regs(m, fdt, child, name);
		if (err)
			return err;
	}
	return child == FDT_ERR_NOTFOUND ? MEMMAP_OK : MEMMAP_EFDT;
}

/* The entries of the memory-reservation block (/memreserve/). */
static int rsvmap_add(struct memmap *m, const struct fdt *fdt)
{
	struct fdt_reg rsv;
	unsigned i;
	int err;

	for (i = 0; (err = fdt_reservation(fdt, i, &rsv)) == 0; i++) {
		int st = memmap_reserve(m, reg_to_range(&rsv), "memreserve");

		if (st)
			return st;
	}
	return err == FDT_ERR_NOTFOUND ? MEMMAP_OK : MEMMAP_EFDT;
}

int memmap_add_fdt(struct memmap *m, const struct fdt *fdt)
{
	int node, err;

	for (node = fdt_next_node_named(fdt, -1, "memory"); node >= 0;
	     node = fdt_next_node_named(fdt, node, "memory")) {
		err = node_add_regs(m, fdt, node, NULL);
		if (err)
			return err;
	}
	if (node != FDT_ERR_NOTFOUND)
		return MEMMAP_EFDT;
	err = reserved_memory_add(m, fdt);
	return err ? err : rsvmap_add(m, fdt);
}

/* ------------------------------------------------------------------------ */
/* Queries                                                                  */
/* ------------------------------------------------------------------------ */

uint64_t memmap_ram_frames(const struct memmap *m)
{
	uint64_t n = 0;
	unsigned i;

	for (i = 0; i < m->nr_ram; i++)
		n += ppn_range_len(pa_range_to_ppn_inward(m->ram[i]));
	return n;
}

uint64_t memmap_free_frames(const struct memmap *m)
{
	uint64_t n = 0;
	unsigned i;

	for (i = 0; i < m->nr_free; i++)
		n += ppn_range_len(m->free[i]);
	return n;
}

struct ppn_range memmap_span(const struct memmap *m)
{
	if (m->nr_ram == 0)
		return ppn_range_make(PPN(0), PPN(0));
	return ppn_range_make(pa_range_to_ppn_inward(m->ram[0]).start,
			      pa_range_to_ppn_inward(m->ram[m->nr_ram - 1]).end);
}

paddr_t memmap_ram_end_after(const struct memmap *m, paddr_t pa)
{
	paddr_t end = pa;
	unsigned i;

	for (i = 0; i < m->nr_ram && !pa_lt(pa, m->ram[i].start); i++)
		end = m->ram[i].end;
	return end;
}

/* True when some RAM range holds every byte of @r. */
static bool ram_holds(const struct memmap *m, struct pa_range r)
{
	unsigned i;

	for (i = 0; i < m->nr_ram; i++)
		if (pa_range_covers(m->ram[i], r))
			return true;
	return false;
}

/* True when some reservation touches the first page of RAM. */
static bool ram_base_reserved(const struct memmap *m)
{
	struct pa_range first = pa_range_sized(m->ram[0].start, PAGE_SIZE);
	unsigned i;

	for (i = 0; i < m->nr_rsv; i++)
		if (pa_range_overlaps(m->rsv[i].bytes, first))
			return true;
	return false;
}

const char *memmap_strerror(int err)
{
	switch (err) {
	case MEMMAP_OK:		return "no error";
	case MEMMAP_EFULL:	return "too many ranges";
	case MEMMAP_ENORAM:	return "no RAM described";
	case MEMMAP_EKERNEL:	return "kernel image outside RAM";
	case MEMMAP_EFDT:	return "device tree entry unreadable";
	default:		return "unknown error";
	}
}

int memmap_build(struct memmap *m, const struct memmap_boot *boot)
{
	int err;

	memmap_reset(m);
	if (boot->fdt) {
		err = memmap_add_fdt(m, boot->fdt);
		if (err)
			return err;
		if (m->nr_ram == 0)
			return MEMMAP_ENORAM;
	} else {
		memmap_add_ram(m, pa_range_sized(PADDR(MEMMAP_RAM_BASE),
						 boot->fallback_size));
	}
	if (!ram_holds(m, boot->kernel))
		return MEMMAP_EKERNEL;
	if (!ram_base_reserved(m) && pa_lt(m->ram[0].start, boot->kernel.start)) {
		err = memmap_reserve(m, pa_range_make(m->ram[0].start, boot->kernel.start),
				     "firmware (assumed)");
		if (err)
			return err;
	}
	err = memmap_reserve(m, boot->kernel, "kernel image");
	if (!err)
		err = memmap_reserve(m, boot->dtb, "device tree");
	if (err)
		return err;
	memmap_compute_free(m);
	return MEMMAP_OK;
}

/* ------------------------------------------------------------------------ */
/* Kernel glue: boot globals, log, panics (not built into host tests)       */
/* ------------------------------------------------------------------------ */
#ifndef MMLAB_HOST
#include <mmlab/kernel.h>
#include <mmlab/printk.h>

static struct memmap boot_map;
static bool boot_map_ready;

/* The boot inputs: the tree @fdt (NULL: none) at @dtb, the image bounds. */
static struct memmap_boot boot_inputs(const struct fdt *fdt, unsigned long dtb)
{
	struct memmap_boot b = {
		.fdt = fdt,
		.kernel = pa_range_make(PADDR((uint64_t)(uintptr_t)__kernel_start),
					PADDR((uint64_t)(uintptr_t)__kernel_end)),
		.fallback_size = CONFIG_PHYS_MEM_FALLBACK_SIZE,
	};

	b.dtb = pa_range_sized(PADDR(dtb), fdt ? fdt_total_size(fdt) : 0);
	return b;
}

static void boot_map_print(const struct memmap *m)
{
	unsigned i;

	for (i = 0; i < m->nr_ram; i++)
		pr_info("mm: ram      " PA_RANGE_FMT " %lu MiB\n",
			PA_RANGE_ARG(m->ram[i]),
			(unsigned long)(pa_range_len(m->ram[i]) / MiB));
	for (i = 0; i < m->nr_rsv; i++)
		pr_info("mm: reserved " PA_RANGE_FMT " %s\n",
			PA_RANGE_ARG(m->rsv[i].bytes), m->rsv[i].what);
	for (i = 0; i < m->nr_free; i++)
		pr_info("mm: free     " PA_RANGE_FMT " %lu frames\n",
			PA_RANGE_ARG(ppn_range_to_pa(m->free[i])),
			(unsigned long)ppn_range_len(m->free[i]));
}

/*
 * The kernel image does not fit the RAM found (QEMU -m too small for the
 * heap): say so in one line, naming both sizes, and stop with EXIT_NO_RAM.
 */
static __noreturn void kernel_too_big(const struct memmap *m, struct pa_range k)
{
	uint64_t ram = 0;
	unsigned i;

	for (i = 0; i < m->nr_ram; i++)
		ram += pa_range_len(m->ram[i]);
	printk("error: RAM too small: the kernel image " PA_FMT "-" PA_FMT " (heap %lu MiB) "
	       "runs past the end of RAM at " PA_FMT " (%lu MiB of RAM); give QEMU more "
	       "memory (-m) or lower CONFIG_HEAP_SIZE\n",
	       PA_ARG(k.start), PA_ARG(k.end), (unsigned long)CONFIG_HEAP_SIZE / MiB,
	       PA_ARG(memmap_ram_end_after(m, k.start)), (unsigned long)(ram / MiB));
	machine_exit(EXIT_NO_RAM);
}

void memmap_check_fit(const struct fdt *fdt, unsigned long dtb)
{
	struct memmap_boot b = boot_inputs(fdt, dtb);
	struct memmap m;

	if (memmap_build(&m, &b) == MEMMAP_EKERNEL)
		kernel_too_big(&m, b.kernel);
}

const struct memmap *memmap_init(void)
{
	struct memmap_boot b = boot_inputs(boot_fdt, boot_dtb_addr);
	int err = memmap_build(&boot_map, &b);

	if (b.fdt && (err == MEMMAP_ENORAM || err == MEMMAP_EFDT)) {
		pr_warn("mm: device tree memory map unusable (%s); assuming %lu MiB at " PA_FMT "\n",
			memmap_strerror(err), (unsigned long)(b.fallback_size / MiB),
			PA_ARG(PADDR(MEMMAP_RAM_BASE)));
		b.fdt = NULL;
		err = memmap_build(&boot_map, &b);
	} else if (!b.fdt) {
		pr_warn("mm: no device tree; assuming %lu MiB of RAM at " PA_FMT "\n",
			(unsigned long)(b.fallback_size / MiB),
			PA_ARG(PADDR(MEMMAP_RAM_BASE)));
	}
	if (err == MEMMAP_EKERNEL)
		kernel_too_big(&boot_map, b.kernel);
	if (err)
		panic("memmap_init: cannot build the memory map: %s", memmap_strerror(err));
	boot_map_print(&boot_map);
	boot_map_ready = true;
	return &boot_map;
}

const struct memmap *memmap_boot_map(void)
{
	return boot_map_ready ? &boot_map : NULL;
}
#endif /* !MMLAB_HOST */
