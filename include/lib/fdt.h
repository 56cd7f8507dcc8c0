/* SPDX-License-Identifier: MIT */
/*
 * Read-only access to a flattened device tree (FDT, "DTB", Devicetree
 * Specification v0.4 chapter 5), as OpenSBI hands it to the kernel in a1.
 *
 * The reader never trusts the blob. fdt_init() checks the header against a
 * caller-given maximum size; after that every offset, length, string and
 * nesting level is checked against the blob before it is used, so no input
 * makes a function read outside [blob, blob + totalsize) or loop forever
 * (every walk moves strictly forward through the structure block). Errors
 * are negative FDT_ERR_* codes; fdt_strerror() names them. Nothing
 * allocates; results point into the blob, which the caller keeps owning.
 *
 * Nodes are named by "node offsets": non-negative ints locating the node's
 * BEGIN_NODE token inside the structure block. Functions returning a node
 * return such an offset, or a negative error (FDT_ERR_NOTFOUND when there
 * simply is no such node).
 *
 * Typical use:
 *   struct fdt fdt;
 *   if (fdt_init(&fdt, dtb, 64 * KiB) < 0 || fdt_validate(&fdt) < 0) ...;
 *   for (n = fdt_next_node_named(&fdt, -1, "memory"); n >= 0;
 *        n = fdt_next_node_named(&fdt, n, "memory"))
 *       if (fdt_reg_begin(&fdt, n, &it) == 0)
 *           while (fdt_reg_next(&it, &reg) == 0) ...;
 */
#ifndef LIB_FDT_H
#define LIB_FDT_H

#include <mmlab/compiler.h>

#define FDT_MAGIC		0xd00dfeedu
/* Deeper nesting is FDT_ERR_TOODEEP; the kernel takes it from Kconfig. */
#ifdef CONFIG_FDT_MAX_DEPTH
#define FDT_MAX_DEPTH		CONFIG_FDT_MAX_DEPTH
#else
#define FDT_MAX_DEPTH		32
#endif
#define FDT_MAX_CELLS		4	/* largest #address-cells accepted */

enum fdt_error {
	FDT_ERR_NOTFOUND	= -1,	/* no such node, property or entry */
	FDT_ERR_TRUNCATED	= -2,	/* something runs past the blob's end */
	FDT_ERR_BADMAGIC	= -3,	/* not a device tree */
	FDT_ERR_BADVERSION	= -4,	/* version < 16 or incompatible */
	FDT_ERR_BADLAYOUT	= -5,	/* block offsets/sizes inconsistent */
	FDT_ERR_BADALIGN	= -6,	/* misaligned block or node offset */
	FDT_ERR_BADSTRUCTURE	= -7,	/* bad token or unbalanced nesting */
	FDT_ERR_BADSTRING	= -8,	/* string not terminated in bounds */
	FDT_ERR_TOODEEP		= -9,	/* nesting deeper than FDT_MAX_DEPTH */
	FDT_ERR_BADVALUE	= -10,	/* property has the wrong length */
	FDT_ERR_BADCELLS	= -11,	/* #address/#size-cells unusable */
	FDT_ERR_BADPATH		= -12,	/* path does not start with '/' */
	FDT_ERR_BADOFFSET	= -13,	/* argument is not a node offset */
};

/* A checked view of one blob; filled by fdt_init(), read-only after. */
struct fdt {
	const uint8_t *blob;
	uint32_t total_size;
	uint32_t version;
	uint32_t boot_cpuid;
	uint32_t struct_off, struct_size;
	uint32_t strings_off, strings_size;
	uint32_t rsvmap_off;
};

/* One property: name and value point into the blob. */
struct fdt_prop {
	const char *name;
	const void *value;
	uint32_t len;
};

/* One (address, size) pair decoded from a "reg" property. */
struct fdt_reg {
	uint64_t address;
	uint64_t size;
};

/* Big-endian cell readers; @p need not be aligned. */
static inline uint32_t fdt_read_u32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

static inline uint64_t fdt_read_u64(const void *p)
{
	const uint8_t *b = p;

	return (uint64_t)fdt_read_u32(b) << 32 | fdt_read_u32(b + 4);
}

/*
 * fdt_init - check the header of the blob at @blob, of which at most
 * @max_size bytes may be read: magic, version >= 16, totalsize <= @max_size,
 * and every block offset, size and alignment inside totalsize.
 * Return: 0 and @fdt filled, or a negative FDT_ERR_* (then @fdt is unusable).
 */
int fdt_init(struct fdt *fdt, const void *blob, size_t max_size);

/*
 * fdt_validate - walk the whole structure block once: known tokens only,
 * one root, balanced nesting no deeper than FDT_MAX_DEPTH, properties inside
 * nodes with in-bounds names and values, and a final END token.
 * Return: 0, or the first problem as a negative FDT_ERR_*.
 */
int fdt_validate(const struct fdt *fdt);

/* fdt_total_size - Return: the blob's totalsize from its header. */
uint32_t fdt_total_size(const struct fdt *fdt);

/* fdt_strerror - Return: a constant description of @err (any int). */
const char *fdt_strerror(int err);

/*
 * fdt_next_node - depth-first walk. With @node < 0, returns the root and
 * sets *@depth to 0; otherwise returns the node after @node in document
 * order, adjusting *@depth (root = 0) by the levels entered and left.
 * Return: a node offset, FDT_ERR_NOTFOUND after the last node, or an error.
 */
int fdt_next_node(const struct fdt *fdt, int node, int *depth);

/* fdt_first_child - Return: @node's first child, FDT_ERR_NOTFOUND or error. */
int fdt_first_child(const struct fdt *fdt, int node);

/* fdt_next_sibling - Return: the node after @node under the same parent,
 * FDT_ERR_NOTFOUND when @node is the last, or an error. */
int fdt_next_sibling(const struct fdt *fdt, int node);

/* fdt_parent - Return: @node's parent, FDT_ERR_NOTFOUND for the root, or an
 * error (it walks from the root: cost grows with the tree). */
int fdt_parent(const struct fdt *fdt, int node);

/*
 * fdt_node_name - point *@name at @node's name ("memory@80000000"; "" for
 * the root), NUL-terminated inside the blob.
 * Return: the name's length, or a negative error (*@name untouched).
 */
int fdt_node_name(const struct fdt *fdt, int node, const char **name);

/*
 * fdt_path_offset - find a node by absolute path ("/", "/chosen",
 * "/memory@80000000", "/soc/test@100000"). A component without '@' also
 * matches a node with a unit address ("memory" finds "memory@80000000";
 * the first such child wins).
 * Return: the node, FDT_ERR_NOTFOUND, FDT_ERR_BADPATH or another error.
 */
int fdt_path_offset(const struct fdt *fdt, const char *path);

/*
 * fdt_next_node_named - the first node after @node (from the root,
 * inclusive, when @node < 0) in depth-first order whose name without its
 * unit address equals @base: "memory" matches "memory" and "memory@80000000".
 * Return: the node, FDT_ERR_NOTFOUND, or an error.
 */
int fdt_next_node_named(const struct fdt *fdt, int node, const char *base);

/*
 * fdt_next_compatible - like fdt_next_node_named() but matching nodes whose
 * "compatible" string list contains @compat exactly.
 * Return: the node, FDT_ERR_NOTFOUND, or an error.
 */
int fdt_next_compatible(const struct fdt *fdt, int node, const char *compat);

/*
 * fdt_next_property - iterate @node's properties: @cursor < 0 gives the
 * first, otherwise the one after the property at @cursor. Fills @prop.
 * Return: the new cursor (>= 0), FDT_ERR_NOTFOUND after the last, or error.
 */
int fdt_next_property(const struct fdt *fdt, int node, int cursor,
		      struct fdt_prop *prop);

/*
 * fdt_property - find @node's property @name and fill @prop.
 * Return: 0, FDT_ERR_NOTFOUND, or an error.
 */
int fdt_property(const struct fdt *fdt, int node, const char *name,
		 struct fdt_prop *prop);

/*
 * fdt_property_string - point *@str at the string property @name of @node
 * (e.g. /chosen "bootargs"); it must hold a NUL inside its length.
 * Return: the string's length, FDT_ERR_NOTFOUND, FDT_ERR_BADSTRING, or error.
 */
int fdt_property_string(const struct fdt *fdt, int node, const char *name,
			const char **str);

/*
 * fdt_property_u32 - read the one-cell property @name of @node into *@val.
 * Return: 0, FDT_ERR_NOTFOUND, FDT_ERR_BADVALUE if it is not 4 bytes, or error.
 */
int fdt_property_u32(const struct fdt *fdt, int node, const char *name,
		     uint32_t *val);

/*
 * fdt_address_cells / fdt_size_cells - the #address-cells / #size-cells
 * @node declares for its children: the property's value, or the spec's
 * default (2 / 1) when absent.
 * Return: the count (0..FDT_MAX_CELLS), or FDT_ERR_BADVALUE/BADCELLS/error.
 */
int fdt_address_cells(const struct fdt *fdt, int node);
int fdt_size_cells(const struct fdt *fdt, int node);

/* A pass over the entries of one "reg" property (see fdt_reg_begin). */
struct fdt_reg_iter {
	const uint8_t *next, *end;	/* the entries not yet read */
	int address_cells, size_cells;	/* from the node's parent */
};

/*
 * fdt_reg_begin - start reading @node's "reg" property with the cell counts
 * of @node's parent (address 1-2 cells, size 0-2 cells), found once here.
 * Return: 0, FDT_ERR_NOTFOUND with no "reg", FDT_ERR_BADCELLS,
 * FDT_ERR_BADVALUE for a ragged length, or another error; on an error
 * fdt_reg_next() reports no entries.
 */
int fdt_reg_begin(const struct fdt *fdt, int node, struct fdt_reg_iter *it);

/* fdt_reg_next - Return: 0 and the next entry in *@reg, FDT_ERR_NOTFOUND after the last. */
int fdt_reg_next(struct fdt_reg_iter *it, struct fdt_reg *reg);

/*
 * fdt_reg - entry @index of @node's "reg" property (one look-up; a loop over
 * all entries should use fdt_reg_begin/next, which find the parent once).
 * Return: as fdt_reg_begin, or FDT_ERR_NOTFOUND past the last entry.
 */
int fdt_reg(const struct fdt *fdt, int node, unsigned index, struct fdt_reg *reg);

/* A pass over the memory-reservation block (/memreserve/ in a .dts). */
struct fdt_rsv_iter {
	const struct fdt *fdt;
	uint64_t offset;		/* of the next entry in the blob */
};

/* fdt_reservation_begin - start at the first reservation entry. */
void fdt_reservation_begin(const struct fdt *fdt, struct fdt_rsv_iter *it);

/*
 * fdt_reservation_next - Return: 0 and the next entry in *@rsv,
 * FDT_ERR_NOTFOUND at the terminating entry, FDT_ERR_TRUNCATED if the block
 * runs past the blob.
 */
int fdt_reservation_next(struct fdt_rsv_iter *it, struct fdt_reg *rsv);

/* fdt_reservation - entry @index of the reservation block (errors as _next). */
int fdt_reservation(const struct fdt *fdt, unsigned index, struct fdt_reg *rsv);

#endif /* LIB_FDT_H */
