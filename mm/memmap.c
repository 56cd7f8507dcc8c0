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
	m->nr_skipped = 0;
	m->fatal = (struct memmap_note){ NULL, MEMMAP_OK };
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

/* Note that @node was left out for @err (the first few are kept). */
static void note_skipped(struct memmap *m, const char *node, int err)
{
	if (m->nr_skipped < MEMMAP_MAX_NOTES)
		m->skipped[m->nr_skipped] = (struct memmap_note){ node, err };
	m->nr_skipped++;
}

/* Record why the map failed; Return: @err. */
static int note_fatal(struct memmap *m, const char *node, int err)
{
	m->fatal = (struct memmap_note){ node, err };
	return err;
}

/* The node's name for messages ("?" when even that cannot be read). */
static const char *node_name_or_unknown(const struct fdt *fdt, int node)
{
	const char *name;

	return fdt_node_name(fdt, node, &name) < 0 ? "?" : name;
}

/*
 * Add every reg entry of @node as RAM: an entry that cannot be decoded
 * ends the node (what came before it stays), RAM beyond the table is left
 * out; both are noted, since using less RAM is always safe.
 */
static void node_add_ram(struct memmap *m, const struct fdt *fdt, int node)
{
	struct fdt_reg_iter it;
	struct fdt_reg reg;
	int err = fdt_reg_begin(fdt, node, &it);

	while (!err && (err = fdt_reg_next(&it, &reg)) == 0)
		if (memmap_add_ram(m, reg_to_range(&reg)) == MEMMAP_EFULL)
			note_skipped(m, node_name_or_unknown(fdt, node), MEMMAP_EFULL);
	if (err != FDT_ERR_NOTFOUND)
		note_skipped(m, node_name_or_unknown(fdt, node), MEMMAP_EFDT);
}

/* Reserve every reg entry of @node under @what; any failure is fatal. */
static int node_add_reserved(struct memmap *m, const struct fdt *fdt, int node,
			     const char *what)
{
	struct fdt_reg_iter it;
	struct fdt_reg reg;
	int err = fdt_reg_begin(fdt, node, &it);

	while (!err && (err = fdt_reg_next(&it, &reg)) == 0) {
		int st = memmap_reserve(m, reg_to_range(&reg), what);

		if (st)
			return note_fatal(m, what, st);
	}
	return err == FDT_ERR_NOTFOUND ? MEMMAP_OK : note_fatal(m, what, MEMMAP_EFDT);
}

/* The children of /reserved-memory, each reserved under its node name. */
static int reserved_memory_add(struct memmap *m, const struct fdt *fdt)
{
	int parent = fdt_path_offset(fdt, "/reserved-memory");
	int child, err;

	if (parent == FDT_ERR_NOTFOUND)
		return MEMMAP_OK;
	if (parent < 0)
		return note_fatal(m, "/reserved-memory", MEMMAP_EFDT);
	for (child = fdt_first_child(fdt, parent); child >= 0;
	     child = fdt_next_sibling(fdt, child)) {
		err = node_add_reserved(m, fdt, child, node_name_or_unknown(fdt, child));
		if (err)
			return err;
	}
	return child == FDT_ERR_NOTFOUND ? MEMMAP_OK :
	       note_fatal(m, "/reserved-memory", MEMMAP_EFDT);
}

/* The entries of the memory-reservation block (/memreserve/). */
static int rsvmap_add(struct memmap *m, const struct fdt *fdt)
{
	struct fdt_rsv_iter it;
	struct fdt_reg rsv;
	int err;

	fdt_reservation_begin(fdt, &it);
	while ((err = fdt_reservation_next(&it, &rsv)) == 0) {
		int st = memmap_reserve(m, reg_to_range(&rsv), "memreserve");

		if (st)
			return note_fatal(m, "memreserve", st);
	}
	return err == FDT_ERR_NOTFOUND ? MEMMAP_OK : note_fatal(m, "memreserve", MEMMAP_EFDT);
}

int memmap_add_fdt(struct memmap *m, const struct fdt *fdt)
{
	int node, err;

	for (node = fdt_next_node_named(fdt, -1, "memory"); node >= 0;
	     node = fdt_next_node_named(fdt, node, "memory"))
		node_add_ram(m, fdt, node);
	if (node != FDT_ERR_NOTFOUND)
		return note_fatal(m, "/", MEMMAP_EFDT);
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
