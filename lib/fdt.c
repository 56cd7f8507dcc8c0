// SPDX-License-Identifier: MIT
/*
 * Bounds-checked flattened-device-tree reader (interface in lib/fdt.h).
 *
 * Design: the blob is never trusted. fdt_init() checks the header once and
 * records the block offsets in struct fdt; from then on every access goes
 * through token_read(), the only place that decodes the structure block.
 * It checks that the token lies inside the block, that a node name or a
 * property value ends inside it, and that a property's name offset points
 * at a NUL-terminated string inside the strings block, and it reports where
 * the next token starts, which is always strictly further on. Every walk in
 * this file is a loop of token_read() calls, so each ends after at most
 * struct_size / 4 steps whatever the bytes say; depth counters stop at
 * FDT_MAX_DEPTH, so the one fixed-size stack (fdt_parent) cannot overflow.
 *
 * Multi-byte values are read a byte at a time (fdt_read_u32), so neither the
 * blob nor a property needs any alignment in memory. Sizes are limited to
 * FDT_SIZE_LIMIT so offsets and their sums fit an int without overflow.
 */
#include <lib/fdt.h>
#include <lib/string.h>

/* ------------------------------------------------------------------------
 * Format constants
 * ------------------------------------------------------------------------ */

enum fdt_token_tag {
	TOKEN_BEGIN_NODE	= 1,
	TOKEN_END_NODE		= 2,
	TOKEN_PROP		= 3,
	TOKEN_NOP		= 4,
	TOKEN_END		= 9,
};

/* Header field offsets (bytes). */
enum {
	HDR_MAGIC		= 0,
	HDR_TOTALSIZE		= 4,
	HDR_OFF_STRUCT		= 8,
	HDR_OFF_STRINGS		= 12,
	HDR_OFF_RSVMAP		= 16,
	HDR_VERSION		= 20,
	HDR_LAST_COMP		= 24,
	HDR_BOOT_CPUID		= 28,
	HDR_SIZE_STRINGS	= 32,
	HDR_SIZE_STRUCT		= 36,
	HDR_SIZE_V16		= 36,	/* version 16 lacks size_dt_struct */
	HDR_SIZE_V17		= 40,
};

#define TOKEN_SIZE		4u
#define PROP_HEADER_SIZE	12u	/* tag, len, nameoff */
#define RSV_ENTRY_SIZE		16u	/* address, size: two u64 */
#define FDT_SIZE_LIMIT		(1u << 29)	/* 512 MiB: far above any real tree */

BUILD_BUG_ON(FDT_SIZE_LIMIT > INT32_MAX / 2);
BUILD_BUG_ON(FDT_MAX_DEPTH < 1);

/* ------------------------------------------------------------------------
 * Bounded primitives
 * ------------------------------------------------------------------------ */

/* Length of the string at @p, looking at no more than @max bytes; -1 if no
 * NUL is found there. */
static int64_t bytes_strnlen(const void *p, uint32_t max)
{
	const char *s = p;

	for (uint32_t i = 0; i < max; i++)
		if (s[i] == '\0')
			return i;
	return -1;
}

static inline const uint8_t *struct_ptr(const struct fdt *fdt, uint32_t off)
{
	return fdt->blob + fdt->struct_off + off;
}

static inline uint32_t struct_u32(const struct fdt *fdt, uint32_t off)
{
	return fdt_read_u32(struct_ptr(fdt, off));
}

/* ------------------------------------------------------------------------
 * Tokens
 * ------------------------------------------------------------------------ */

/* One decoded token of the structure block. */
struct token {
	uint32_t tag;
	int next;		/* offset of the following token */
	const char *name;	/* BEGIN_NODE: node name; PROP: property name */
	uint32_t len;		/* BEGIN_NODE: name length; PROP: value length */
	const void *value;	/* PROP: value */
};

static inline int offset_after(uint64_t end)
{
	return (int)ALIGN_UP(end, (uint64_t)TOKEN_SIZE);
}

/*
 * Decodes the token at structure offset @off into @t, checking everything
 * it refers to. Return: 0, or FDT_ERR_BADOFFSET/TRUNCATED/BADSTRING/
 * BADSTRUCTURE. On success t->next > @off.
 */
static int token_read(const struct fdt *fdt, int off, struct token *t)
{
	uint32_t avail;
	int64_t n;

	if (off < 0 || off % TOKEN_SIZE)
		return FDT_ERR_BADOFFSET;
	if ((uint64_t)off + TOKEN_SIZE > fdt->struct_size)
		return FDT_ERR_TRUNCATED;
	avail = fdt->struct_size - (uint32_t)off - TOKEN_SIZE;
	t->tag = struct_u32(fdt, (uint32_t)off);
	t->next = off + (int)TOKEN_SIZE;
	t->name = NULL;
	t->value = NULL;
	t->len = 0;
	switch (t->tag) {
	case TOKEN_BEGIN_NODE:
		n = bytes_strnlen(struct_ptr(fdt, (uint32_t)off + TOKEN_SIZE), avail);
		if (n < 0)
			return FDT_ERR_TRUNCATED;
		t->name = (const char *)struct_ptr(fdt, (uint32_t)off + TOKEN_SIZE);
		t->len = (uint32_t)n;
		t->next = offset_after((uint64_t)off + TOKEN_SIZE + (uint64_t)n + 1);
		return 0;
	case TOKEN_PROP: {
		uint32_t nameoff;

		if ((uint64_t)off + PROP_HEADER_SIZE > fdt->struct_size)
			return FDT_ERR_TRUNCATED;
		t->len = struct_u32(fdt, (uint32_t)off + 4);
		nameoff = struct_u32(fdt, (uint32_t)off + 8);
		if ((uint64_t)off + PROP_HEADER_SIZE + t->len > fdt->struct_size)
			return FDT_ERR_TRUNCATED;
		if (nameoff >= fdt->strings_size)
			return FDT_ERR_BADSTRING;
		t->name = (const char *)fdt->blob + fdt->strings_off + nameoff;
		if (bytes_strnlen(t->name, fdt->strings_size - nameoff) < 0)
			return FDT_ERR_BADSTRING;
		t->value = struct_ptr(fdt, (uint32_t)off + PROP_HEADER_SIZE);
		t->next = offset_after((uint64_t)off + PROP_HEADER_SIZE + t->len);
		return 0;
	}
	case TOKEN_END_NODE:
	case TOKEN_NOP:
	case TOKEN_END:
		return 0;
	default:
		return FDT_ERR_BADSTRUCTURE;
	}
}

/* Reads @node's BEGIN_NODE token into @t. Return: 0, or FDT_ERR_BADOFFSET
 * when no well-formed node starts at @node. */
static int node_read(const struct fdt *fdt, int node, struct token *t)
{
	if (token_read(fdt, node, t) || t->tag != TOKEN_BEGIN_NODE)
		return FDT_ERR_BADOFFSET;
	return 0;
}

/* Return: the root node (the first token that is not a NOP), or an error. */
static int root_find(const struct fdt *fdt)
{
	struct token t;
	int off = 0, err;

	for (;;) {
		err = token_read(fdt, off, &t);
		if (err)
			return err;
		if (t.tag == TOKEN_BEGIN_NODE)
			return off;
		if (t.tag != TOKEN_NOP)
			return FDT_ERR_BADSTRUCTURE;
		off = t.next;
	}
}

/*
 * The first BEGIN_NODE token at or after @off. An END_NODE token on the
 * way ends the scan with @at_end_node, or is stepped over when that is 0;
 * the END token ends it with @at_end. Return: the node, that code, or an
 * error from reading a token.
 */
static int begin_node_scan(const struct fdt *fdt, int off, int at_end_node, int at_end)
{
	struct token t;
	int err;

	for (;; off = t.next) {
		err = token_read(fdt, off, &t);
		if (err)
			return err;
		if (t.tag == TOKEN_BEGIN_NODE)
			return off;
		if (t.tag == TOKEN_END_NODE && at_end_node)
			return at_end_node;
		if (t.tag == TOKEN_END)
			return at_end;
	}
}

/*
 * Return: the first BEGIN_NODE token after @node's own, anywhere in the
 * tree (document order), FDT_ERR_NOTFOUND at the END token, or an error.
 */
static int node_after(const struct fdt *fdt, int node)
{
	struct token t;
	int err = node_read(fdt, node, &t);

	return err ? err : begin_node_scan(fdt, t.next, 0, FDT_ERR_NOTFOUND);
}

/* Return: the offset just after @node's END_NODE token, or an error. */
static int subtree_end(const struct fdt *fdt, int node)
{
	struct token t;
	int off, depth = 0, err = node_read(fdt, node, &t);

	if (err)
		return err;
	for (off = t.next;; off = t.next) {
		err = token_read(fdt, off, &t);
		if (err)
			return err;
		switch (t.tag) {
		case TOKEN_BEGIN_NODE:
			if (++depth > FDT_MAX_DEPTH)
				return FDT_ERR_TOODEEP;
			break;
		case TOKEN_END_NODE:
			if (depth-- == 0)
				return t.next;
			break;
		case TOKEN_END:
			return FDT_ERR_BADSTRUCTURE;
		}
	}
}

/* ------------------------------------------------------------------------
 * Names and string lists
 * ------------------------------------------------------------------------ */

static bool bytes_contain(const char *p, size_t n, char c)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] == c)
			return true;
	return false;
}

/*
 * True when the node name @name (@nlen bytes) matches the path component
 * @comp (@clen bytes): equal, or @comp has no unit address and equals the
 * part of @name before its '@'.
 */
static bool name_matches(const char *name, size_t nlen, const char *comp, size_t clen)
{
	if (nlen < clen || memcmp(name, comp, clen) != 0)
		return false;
	if (nlen == clen)
		return true;
	return name[clen] == '@' && !bytes_contain(comp, clen, '@');
}

/* True when the string list @list (@len bytes) holds the string @s. A final
 * entry without its NUL is not a string and never matches. */
static bool stringlist_contains(const char *list, uint32_t len, const char *s)
{
	size_t slen = strlen(s);
	uint32_t i = 0;

	while (i < len) {
		int64_t n = bytes_strnlen(list + i, len - i);

		if (n < 0)
			return false;
		if ((size_t)n == slen && memcmp(list + i, s, slen) == 0)
			return true;
		i += (uint32_t)n + 1;
	}
	return false;
}

/* ------------------------------------------------------------------------
 * Header and whole-blob checks
 * ------------------------------------------------------------------------ */

static inline uint32_t header_u32(const void *blob, unsigned field)
{
	return fdt_read_u32((const uint8_t *)blob + field);
}

/* True when [@off, @off + @size) lies inside the first @total bytes. */
static inline bool range_inside(uint32_t off, uint32_t size, uint32_t total)
{
	return (uint64_t)off + size <= total;
}

int fdt_init(struct fdt *fdt, const void *blob, size_t max_size)
{
	uint32_t version, hdr_size, total;

	if (!blob || max_size < HDR_TOTALSIZE + 4)
		return FDT_ERR_TRUNCATED;
	if (header_u32(blob, HDR_MAGIC) != FDT_MAGIC)
		return FDT_ERR_BADMAGIC;
	if (max_size < HDR_SIZE_V16)
		return FDT_ERR_TRUNCATED;
	version = header_u32(blob, HDR_VERSION);
	if (version < 16 || header_u32(blob, HDR_LAST_COMP) > 17)
		return FDT_ERR_BADVERSION;
	hdr_size = version >= 17 ? HDR_SIZE_V17 : HDR_SIZE_V16;
	if (max_size < hdr_size)
		return FDT_ERR_TRUNCATED;
	total = header_u32(blob, HDR_TOTALSIZE);
	if (total > max_size)
		return FDT_ERR_TRUNCATED;
	if (total < hdr_size || total > FDT_SIZE_LIMIT)
		return FDT_ERR_BADLAYOUT;

	fdt->blob = blob;
	fdt->total_size = total;
	fdt->version = version;
	fdt->boot_cpuid = header_u32(blob, HDR_BOOT_CPUID);
	fdt->struct_off = header_u32(blob, HDR_OFF_STRUCT);
	fdt->strings_off = header_u32(blob, HDR_OFF_STRINGS);
	fdt->strings_size = header_u32(blob, HDR_SIZE_STRINGS);
	fdt->rsvmap_off = header_u32(blob, HDR_OFF_RSVMAP);
	if (fdt->struct_off % TOKEN_SIZE || fdt->rsvmap_off % 8)
		return FDT_ERR_BADALIGN;
	if (fdt->struct_off < hdr_size || fdt->struct_off > total ||
	    fdt->strings_off < hdr_size || fdt->rsvmap_off < hdr_size)
		return FDT_ERR_BADLAYOUT;
	fdt->struct_size = version >= 17 ? header_u32(blob, HDR_SIZE_STRUCT)
					 : total - fdt->struct_off;
	if (!range_inside(fdt->struct_off, fdt->struct_size, total) ||
	    !range_inside(fdt->strings_off, fdt->strings_size, total) ||
	    !range_inside(fdt->rsvmap_off, RSV_ENTRY_SIZE, total))
		return FDT_ERR_BADLAYOUT;
	return 0;
}

int fdt_validate(const struct fdt *fdt)
{
	struct token t;
	int off, depth = -1, err;
	bool seen_root = false;

	for (off = 0;; off = t.next) {
		err = token_read(fdt, off, &t);
		if (err)
			return err;
		switch (t.tag) {
		case TOKEN_BEGIN_NODE:
			if (depth < 0 && seen_root)
				return FDT_ERR_BADSTRUCTURE;	/* a second root */
			seen_root = true;
			if (++depth > FDT_MAX_DEPTH)
				return FDT_ERR_TOODEEP;
			break;
		case TOKEN_END_NODE:
			if (depth < 0)
				return FDT_ERR_BADSTRUCTURE;
			depth--;
			break;
		case TOKEN_PROP:
			if (depth < 0)
				return FDT_ERR_BADSTRUCTURE;
			break;
		case TOKEN_END:
			return depth < 0 && seen_root ? 0 : FDT_ERR_BADSTRUCTURE;
		}
	}
}

uint32_t fdt_total_size(const struct fdt *fdt)
{
	return fdt->total_size;
}

const char *fdt_strerror(int err)
{
	switch (err) {
	case 0:			return "no error";
	case FDT_ERR_NOTFOUND:	return "not found";
	case FDT_ERR_TRUNCATED:	return "runs past the end of the blob";
	case FDT_ERR_BADMAGIC:	return "bad magic";
	case FDT_ERR_BADVERSION: return "unsupported version";
	case FDT_ERR_BADLAYOUT:	return "block offsets or sizes outside the blob";
	case FDT_ERR_BADALIGN:	return "misaligned block";
	case FDT_ERR_BADSTRUCTURE: return "bad token or unbalanced nesting";
	case FDT_ERR_BADSTRING:	return "string not terminated in bounds";
	case FDT_ERR_TOODEEP:	return "nesting too deep";
	case FDT_ERR_BADVALUE:	return "property has the wrong length";
	case FDT_ERR_BADCELLS:	return "unusable #address-cells or #size-cells";
	case FDT_ERR_BADPATH:	return "path is not absolute";
	case FDT_ERR_BADOFFSET:	return "not a node offset";
	default:		return "unknown error";
	}
}

/* ------------------------------------------------------------------------
 * Tree walking
 * ------------------------------------------------------------------------ */

int fdt_next_node(const struct fdt *fdt, int node, int *depth)
{
	struct token t;
	int off, d, err;

	if (node < 0) {
		off = root_find(fdt);
		if (off >= 0)
			*depth = 0;
		return off;
	}
	err = node_read(fdt, node, &t);
	if (err)
		return err;
	d = *depth;
	for (off = t.next;; off = t.next) {
		err = token_read(fdt, off, &t);
		if (err)
			return err;
		switch (t.tag) {
		case TOKEN_BEGIN_NODE:
			if (++d > FDT_MAX_DEPTH)
				return FDT_ERR_TOODEEP;
			*depth = d;
			return off;
		case TOKEN_END_NODE:
			if (--d < 0)
				return FDT_ERR_NOTFOUND;
			break;
		case TOKEN_END:
			return FDT_ERR_BADSTRUCTURE;
		}
	}
}

int fdt_first_child(const struct fdt *fdt, int node)
{
	struct token t;
	int err = node_read(fdt, node, &t);

	return err ? err : begin_node_scan(fdt, t.next, FDT_ERR_NOTFOUND,
					   FDT_ERR_BADSTRUCTURE);
}

int fdt_next_sibling(const struct fdt *fdt, int node)
{
	int off = subtree_end(fdt, node);

	return off < 0 ? off : begin_node_scan(fdt, off, FDT_ERR_NOTFOUND, FDT_ERR_NOTFOUND);
}

int fdt_parent(const struct fdt *fdt, int node)
{
	int stack[FDT_MAX_DEPTH + 1];
	struct token t;
	int n, depth = 0, err = node_read(fdt, node, &t);

	if (err)
		return err;
	for (n = fdt_next_node(fdt, -1, &depth); n >= 0 && n <= node;
	     n = fdt_next_node(fdt, n, &depth)) {
		stack[depth] = n;
		if (n == node)
			return depth == 0 ? FDT_ERR_NOTFOUND : stack[depth - 1];
	}
	/* Walked past @node or off the tree: it is not a node of this tree. */
	return n >= 0 || n == FDT_ERR_NOTFOUND ? FDT_ERR_BADOFFSET : n;
}

int fdt_node_name(const struct fdt *fdt, int node, const char **name)
{
	struct token t;
	int err = node_read(fdt, node, &t);

	if (err)
		return err;
	*name = t.name;
	return (int)t.len;
}

/* ------------------------------------------------------------------------
 * Finding nodes
 * ------------------------------------------------------------------------ */

int fdt_path_offset(const struct fdt *fdt, const char *path)
{
	const char *p = path;
	int node;

	if (!path || path[0] != '/')
		return FDT_ERR_BADPATH;
	node = root_find(fdt);
	while (node >= 0) {
		const char *end, *name = NULL;
		int child, nlen;

		while (*p == '/')
			p++;
		if (*p == '\0')
			return node;
		for (end = p; *end != '\0' && *end != '/'; end++)
			;
		for (child = fdt_first_child(fdt, node); child >= 0;
		     child = fdt_next_sibling(fdt, child)) {
			nlen = fdt_node_name(fdt, child, &name);
			if (nlen >= 0 && name_matches(name, (size_t)nlen, p, (size_t)(end - p)))
				break;
		}
		node = child;
		p = end;
	}
	return node;
}

/* Return: @node's successor in document order, or the root if @node < 0. */
static int node_start(const struct fdt *fdt, int node)
{
	return node < 0 ? root_find(fdt) : node_after(fdt, node);
}

int fdt_next_node_named(const struct fdt *fdt, int node, const char *base)
{
	size_t blen = strlen(base);
	const char *name = NULL;
	int n, nlen;

	for (n = node_start(fdt, node); n >= 0; n = node_after(fdt, n)) {
		nlen = fdt_node_name(fdt, n, &name);
		if (nlen < 0)
			return nlen;
		if ((size_t)nlen >= blen && memcmp(name, base, blen) == 0 &&
		    ((size_t)nlen == blen || name[blen] == '@'))
			return n;
	}
	return n;
}

int fdt_next_compatible(const struct fdt *fdt, int node, const char *compat)
{
	struct fdt_prop prop;
	int n, err;

	for (n = node_start(fdt, node); n >= 0; n = node_after(fdt, n)) {
		err = fdt_property(fdt, n, "compatible", &prop);
		if (err == 0 && stringlist_contains(prop.value, prop.len, compat))
			return n;
		if (err && err != FDT_ERR_NOTFOUND)
			return err;
	}
	return n;
}

/* ------------------------------------------------------------------------
 * Properties
 * ------------------------------------------------------------------------ */

int fdt_next_property(const struct fdt *fdt, int node, int cursor,
		      struct fdt_prop *prop)
{
	struct token t;
	int off, err = node_read(fdt, node, &t);

	if (err)
		return err;
	if (cursor >= 0) {
		if (cursor <= node)
			return FDT_ERR_BADOFFSET;
		err = token_read(fdt, cursor, &t);
		if (err)
			return err;
		if (t.tag != TOKEN_PROP)
			return FDT_ERR_BADOFFSET;
	}
	for (off = t.next;; off = t.next) {
		err = token_read(fdt, off, &t);
		if (err)
			return err;
		switch (t.tag) {
		case TOKEN_PROP:
			prop->name = t.name;
			prop->value = t.value;
			prop->len = t.len;
			return off;
		case TOKEN_BEGIN_NODE:
		case TOKEN_END_NODE:
			return FDT_ERR_NOTFOUND;
		case TOKEN_END:
			return FDT_ERR_BADSTRUCTURE;
		}
	}
}

int fdt_property(const struct fdt *fdt, int node, const char *name,
		 struct fdt_prop *prop)
{
	struct fdt_prop p;
	int cursor;

	for (cursor = fdt_next_property(fdt, node, -1, &p); cursor >= 0;
	     cursor = fdt_next_property(fdt, node, cursor, &p)) {
		if (strcmp(p.name, name) == 0) {
			*prop = p;
			return 0;
		}
	}
	return cursor;
}

int fdt_property_string(const struct fdt *fdt, int node, const char *name,
			const char **str)
{
	struct fdt_prop prop;
	int64_t n;
	int err = fdt_property(fdt, node, name, &prop);

	if (err)
		return err;
	n = bytes_strnlen(prop.value, prop.len);
	if (n < 0)
		return FDT_ERR_BADSTRING;
	*str = prop.value;
	return (int)n;
}

int fdt_property_u32(const struct fdt *fdt, int node, const char *name,
		     uint32_t *val)
{
	struct fdt_prop prop;
	int err = fdt_property(fdt, node, name, &prop);

	if (err)
		return err;
	if (prop.len != sizeof(uint32_t))
		return FDT_ERR_BADVALUE;
	*val = fdt_read_u32(prop.value);
	return 0;
}

/* ------------------------------------------------------------------------
 * Addresses
 * ------------------------------------------------------------------------ */

/* Reads the cell count @name of @node, @dflt when absent. */
static int cells_read(const struct fdt *fdt, int node, const char *name, int dflt)
{
	uint32_t val;
	int err = fdt_property_u32(fdt, node, name, &val);

	if (err == FDT_ERR_NOTFOUND)
		return dflt;
	if (err)
		return err;
	return val <= FDT_MAX_CELLS ? (int)val : FDT_ERR_BADCELLS;
}

int fdt_address_cells(const struct fdt *fdt, int node)
{
	return cells_read(fdt, node, "#address-cells", 2);
}

int fdt_size_cells(const struct fdt *fdt, int node)
{
	return cells_read(fdt, node, "#size-cells", 1);
}

/* Reads a value of @cells (0-2) big-endian cells at @p. */
static uint64_t cells_value(const uint8_t *p, int cells)
{
	uint64_t v = 0;

	for (int i = 0; i < cells; i++)
		v = v << 32 | fdt_read_u32(p + 4 * i);
	return v;
}

int fdt_reg_begin(const struct fdt *fdt, int node, struct fdt_reg_iter *it)
{
	struct fdt_prop prop;
	int parent, ac, sc, err;
	uint32_t entry;

	it->next = it->end = NULL;
	parent = fdt_parent(fdt, node);
	if (parent < 0)
		return parent;
	ac = fdt_address_cells(fdt, parent);
	if (ac < 0)
		return ac;
	sc = fdt_size_cells(fdt, parent);
	if (sc < 0)
		return sc;
	if (ac < 1 || ac > 2 || sc > 2)
		return FDT_ERR_BADCELLS;
	err = fdt_property(fdt, node, "reg", &prop);
	if (err)
		return err;
	entry = 4 * (uint32_t)(ac + sc);
	if (prop.len % entry)
		return FDT_ERR_BADVALUE;
	it->next = prop.value;
	it->end = it->next + prop.len;
	it->address_cells = ac;
	it->size_cells = sc;
	return 0;
}

int fdt_reg_next(struct fdt_reg_iter *it, struct fdt_reg *reg)
{
	if (it->next == it->end)
		return FDT_ERR_NOTFOUND;
	reg->address = cells_value(it->next, it->address_cells);
	reg->size = cells_value(it->next + 4 * it->address_cells, it->size_cells);
	it->next += 4 * (it->address_cells + it->size_cells);
	return 0;
}

int fdt_reg(const struct fdt *fdt, int node, unsigned index, struct fdt_reg *reg)
{
	struct fdt_reg_iter it;
	int err = fdt_reg_begin(fdt, node, &it);

	while (!err && !(err = fdt_reg_next(&it, reg)) && index--)
		;
	return err;
}

void fdt_reservation_begin(const struct fdt *fdt, struct fdt_rsv_iter *it)
{
	it->fdt = fdt;
	it->offset = fdt->rsvmap_off;
}

int fdt_reservation_next(struct fdt_rsv_iter *it, struct fdt_reg *rsv)
{
	const struct fdt *fdt = it->fdt;
	const uint8_t *p = fdt->blob + it->offset;

	if (it->offset + RSV_ENTRY_SIZE > fdt->total_size)
		return FDT_ERR_TRUNCATED;
	rsv->address = fdt_read_u64(p);
	rsv->size = fdt_read_u64(p + 8);
	if (rsv->address == 0 && rsv->size == 0)
		return FDT_ERR_NOTFOUND;
	it->offset += RSV_ENTRY_SIZE;
	return 0;
}

int fdt_reservation(const struct fdt *fdt, unsigned index, struct fdt_reg *rsv)
{
	struct fdt_rsv_iter it;
	int err;

	fdt_reservation_begin(fdt, &it);
	while (!(err = fdt_reservation_next(&it, rsv)) && index--)
		;
	return err;
}
