// SPDX-License-Identifier: MIT
/*
 * Host tests for lib/fdt.c: real trees (QEMU's virt dump and hand-written
 * fixtures compiled by dtc, see tests/host/lib.mk) are read back, and blobs
 * built or damaged here check that every kind of corruption gives an error,
 * never a crash (the program runs under ASan and UBSan, and every blob sits
 * in a heap block of exactly its size so one byte too far is caught).
 *
 * Fixtures are found in $MMLAB_FDT_DATA if set, else in fdt-data/ next to
 * this executable (where the build puts them).
 */
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>
#include "host_test.h"
#include <lib/fdt.h>

/* ------------------------------------------------------------------------
 * Fixtures
 * ------------------------------------------------------------------------ */

static char fixture_dir[PATH_MAX + 16];

/* Sets fixture_dir from the environment or the executable's location. */
static void fixture_dir_init(const char *argv0)
{
	const char *env = getenv("MMLAB_FDT_DATA");
	char exe[PATH_MAX];
	ssize_t n;
	char *slash;

	if (env) {
		snprintf(fixture_dir, sizeof(fixture_dir), "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0)
		exe[n] = '\0';
	else
		snprintf(exe, sizeof(exe), "%s", argv0);
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(exe, sizeof(exe), ".");
	snprintf(fixture_dir, sizeof(fixture_dir), "%s/fdt-data", exe);
}

/* A blob in a heap block of exactly its size; freed by blob_free(). */
struct blob {
	uint8_t *data;
	size_t size;
};

static struct blob fixture_load(const char *name)
{
	char path[PATH_MAX + 96];
	struct blob b = { NULL, 0 };
	FILE *f;
	long len;

	snprintf(path, sizeof(path), "%s/%s", fixture_dir, name);
	f = fopen(path, "rb");
	if (!f)
		host_test_fail(__FILE__, __LINE__, "cannot open fixture %s", path);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	b.size = (size_t)len;
	b.data = malloc(b.size);
	if (!b.data || fread(b.data, 1, b.size, f) != b.size)
		host_test_fail(__FILE__, __LINE__, "cannot read fixture %s", path);
	fclose(f);
	return b;
}

static struct blob blob_copy(const uint8_t *data, size_t size)
{
	struct blob b = { malloc(size ? size : 1), size };

	memcpy(b.data, data, size);
	return b;
}

static void blob_free(struct blob *b)
{
	free(b->data);
	b->data = NULL;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Loads a fixture and checks it passes fdt_init() and fdt_validate(). */
static struct blob fixture_open(const char *name, struct fdt *fdt)
{
	struct blob b = fixture_load(name);

	CHECK_EQ(fdt_init(fdt, b.data, b.size), 0);
	CHECK_EQ(fdt_validate(fdt), 0);
	CHECK_EQ(fdt_total_size(fdt), b.size);
	return b;
}

/* Name of @node, failing the case on error. */
static const char *name_of(const struct fdt *fdt, int node)
{
	const char *name = NULL;

	CHECK(fdt_node_name(fdt, node, &name) >= 0);
	return name;
}

/* ------------------------------------------------------------------------
 * QEMU virt dump
 * ------------------------------------------------------------------------ */

HOST_TEST(virt_memory_node)
{
	struct fdt fdt;
	struct blob b = fixture_open("qemu-virt.dtb", &fdt);
	struct fdt_reg reg;
	int mem = fdt_path_offset(&fdt, "/memory@80000000");

	CHECK(mem >= 0);
	CHECK_EQ(fdt_path_offset(&fdt, "/memory"), mem);
	CHECK_EQ(fdt_next_node_named(&fdt, -1, "memory"), mem);
	CHECK_EQ(fdt_next_node_named(&fdt, mem, "memory"), FDT_ERR_NOTFOUND);
	CHECK_EQ(fdt_reg(&fdt, mem, 0, &reg), 0);
	CHECK_EQ(reg.address, 0x80000000);
	CHECK_EQ(reg.size, 128 * MiB);
	CHECK_EQ(fdt_reg(&fdt, mem, 1, &reg), FDT_ERR_NOTFOUND);
	CHECK_EQ(fdt_address_cells(&fdt, fdt_path_offset(&fdt, "/")), 2);
	CHECK_EQ(fdt_size_cells(&fdt, fdt_path_offset(&fdt, "/")), 2);
	CHECK_EQ(fdt_reservation(&fdt, 0, &reg), FDT_ERR_NOTFOUND);
	blob_free(&b);
}

HOST_TEST(virt_test_device)
{
	struct fdt fdt;
	struct blob b = fixture_open("qemu-virt.dtb", &fdt);
	struct fdt_reg reg;
	int dev = fdt_next_compatible(&fdt, -1, "sifive,test0");

	CHECK(dev >= 0);
	CHECK_STR(name_of(&fdt, dev), "test@100000");
	CHECK_EQ(fdt_path_offset(&fdt, "/soc/test@100000"), dev);
	CHECK_EQ(fdt_reg(&fdt, dev, 0, &reg), 0);
	CHECK_EQ(reg.address, 0x100000);
	CHECK_EQ(reg.size, 0x1000);
	CHECK_EQ(fdt_next_compatible(&fdt, -1, "syscon"), dev);
	CHECK_EQ(fdt_next_compatible(&fdt, dev, "sifive,test0"), FDT_ERR_NOTFOUND);
	/* Whole entries only: a prefix of one is no match. */
	CHECK_EQ(fdt_next_compatible(&fdt, -1, "sifive,test"), FDT_ERR_NOTFOUND);
	blob_free(&b);
}

HOST_TEST(virt_chosen)
{
	struct fdt fdt;
	struct blob b = fixture_open("qemu-virt.dtb", &fdt);
	const char *s = NULL;
	int chosen = fdt_path_offset(&fdt, "/chosen");

	CHECK(chosen >= 0);
	CHECK_EQ(fdt_property_string(&fdt, chosen, "bootargs", &s), 29);
	CHECK_STR(s, "console=hvc0 mmlab.selftest=1");
	CHECK(fdt_property_string(&fdt, chosen, "stdout-path", &s) > 0);
	CHECK_STR(s, "/soc/serial@10000000");
	CHECK(fdt_path_offset(&fdt, s) >= 0);
	CHECK_EQ(fdt_property_string(&fdt, chosen, "no-such", &s), FDT_ERR_NOTFOUND);
	CHECK_EQ(fdt_path_offset(&fdt, "chosen"), FDT_ERR_BADPATH);
	CHECK_EQ(fdt_path_offset(&fdt, "/chosen/nothing"), FDT_ERR_NOTFOUND);
	CHECK_EQ(fdt_path_offset(&fdt, "//chosen/"), chosen);
	blob_free(&b);
}

HOST_TEST(virt_cpus)
{
	struct fdt fdt;
	struct blob b = fixture_open("qemu-virt.dtb", &fdt);
	struct fdt_reg reg;
	uint32_t freq = 0;
	int cpus = fdt_path_offset(&fdt, "/cpus");
	int cpu, count = 0;

	CHECK(cpus >= 0);
	CHECK_EQ(fdt_address_cells(&fdt, cpus), 1);
	CHECK_EQ(fdt_size_cells(&fdt, cpus), 0);
	CHECK_EQ(fdt_property_u32(&fdt, cpus, "timebase-frequency", &freq), 0);
	CHECK_EQ(freq, 10000000);
	for (cpu = fdt_next_node_named(&fdt, -1, "cpu"); cpu >= 0;
	     cpu = fdt_next_node_named(&fdt, cpu, "cpu")) {
		CHECK_EQ(fdt_parent(&fdt, cpu), cpus);
		CHECK_EQ(fdt_reg(&fdt, cpu, 0, &reg), 0);
		CHECK_EQ(reg.address, (uint64_t)count);
		CHECK_EQ(reg.size, 0);
		count++;
	}
	CHECK_EQ(cpu, FDT_ERR_NOTFOUND);
	CHECK_EQ(count, 2);
	blob_free(&b);
}

/* Counts the nodes below @node with first_child/next_sibling, checking each
 * child's parent and depth against the depth-first walk's view. */
static int subtree_count(const struct fdt *fdt, int node)
{
	int n = 1;

	for (int c = fdt_first_child(fdt, node); c >= 0; c = fdt_next_sibling(fdt, c)) {
		CHECK_EQ(fdt_parent(fdt, c), node);
		n += subtree_count(fdt, c);
	}
	return n;
}

HOST_TEST(virt_walks_agree)
{
	struct fdt fdt;
	struct blob b = fixture_open("qemu-virt.dtb", &fdt);
	int depth = -1, max_depth = 0, nodes = 0, node, root;

	root = fdt_next_node(&fdt, -1, &depth);
	CHECK(root >= 0);
	CHECK_EQ(depth, 0);
	CHECK_STR(name_of(&fdt, root), "");
	CHECK_EQ(fdt_parent(&fdt, root), FDT_ERR_NOTFOUND);
	for (node = root; node >= 0; node = fdt_next_node(&fdt, node, &depth)) {
		int parent = fdt_parent(&fdt, node), pdepth = -1, p;

		nodes++;
		max_depth = MAX(max_depth, depth);
		if (node == root)
			continue;
		/* The parent's own depth, found by walking to it, is one less. */
		for (p = fdt_next_node(&fdt, -1, &pdepth); p >= 0 && p != parent;
		     p = fdt_next_node(&fdt, p, &pdepth))
			;
		CHECK_EQ(p, parent);
		CHECK_EQ(pdepth + 1, depth);
	}
	CHECK_EQ(node, FDT_ERR_NOTFOUND);
	CHECK_EQ(max_depth, 4);	/* /cpus/cpu@0/interrupt-controller, cpu-map/cluster0/core0 */
	CHECK_EQ(subtree_count(&fdt, root), nodes);
	CHECK(nodes > 20);
	blob_free(&b);
}

HOST_TEST(virt_properties_iterate)
{
	struct fdt fdt;
	struct blob b = fixture_open("qemu-virt.dtb", &fdt);
	struct fdt_prop prop, found;
	int chosen = fdt_path_offset(&fdt, "/chosen");
	int cursor, n = 0;
	bool saw_bootargs = false;

	for (cursor = fdt_next_property(&fdt, chosen, -1, &prop); cursor >= 0;
	     cursor = fdt_next_property(&fdt, chosen, cursor, &prop)) {
		n++;
		CHECK_EQ(fdt_property(&fdt, chosen, prop.name, &found), 0);
		CHECK(found.value == prop.value && found.len == prop.len);
		saw_bootargs |= strcmp(prop.name, "bootargs") == 0;
	}
	CHECK_EQ(cursor, FDT_ERR_NOTFOUND);
	CHECK_EQ(n, 3);	/* rng-seed, bootargs, stdout-path */
	CHECK(saw_bootargs);
	CHECK_EQ(fdt_next_property(&fdt, chosen, chosen, &prop), FDT_ERR_BADOFFSET);
	blob_free(&b);
}

/* ------------------------------------------------------------------------
 * Hand-written fixtures
 * ------------------------------------------------------------------------ */

HOST_TEST(reserved_fixture)
{
	struct fdt fdt;
	struct blob b = fixture_open("reserved.dtb", &fdt);
	struct fdt_reg reg;
	struct fdt_prop prop;
	int mem, resv, child, dev;

	CHECK_EQ(fdt_reservation(&fdt, 0, &reg), 0);
	CHECK_EQ(reg.address, 0x87000000);
	CHECK_EQ(reg.size, 0x100000);
	CHECK_EQ(fdt_reservation(&fdt, 1, &reg), FDT_ERR_NOTFOUND);
	CHECK_EQ(fdt_reservation(&fdt, 1000000, &reg), FDT_ERR_NOTFOUND);

	mem = fdt_next_node_named(&fdt, -1, "memory");
	CHECK_STR(name_of(&fdt, mem), "memory@80000000");
	CHECK_EQ(fdt_reg(&fdt, mem, 0, &reg), 0);
	CHECK_EQ(reg.address, 0x80000000);
	CHECK_EQ(reg.size, 64 * MiB);
	mem = fdt_next_node_named(&fdt, mem, "memory");
	CHECK_STR(name_of(&fdt, mem), "memory@90000000");
	CHECK_EQ(fdt_reg(&fdt, mem, 1, &reg), 0);
	CHECK_EQ(reg.address, 0x98000000);
	CHECK_EQ(reg.size, 8 * MiB);
	CHECK_EQ(fdt_reg(&fdt, mem, 2, &reg), FDT_ERR_NOTFOUND);
	CHECK_EQ(fdt_next_node_named(&fdt, mem, "memory"), FDT_ERR_NOTFOUND);
	/* "mem" is not the unit-name of any node. */
	CHECK_EQ(fdt_next_node_named(&fdt, -1, "mem"), FDT_ERR_NOTFOUND);

	resv = fdt_path_offset(&fdt, "/reserved-memory");
	CHECK(resv >= 0);
	child = fdt_first_child(&fdt, resv);
	CHECK_STR(name_of(&fdt, child), "mmode_resv0@80000000");
	CHECK_EQ(fdt_property(&fdt, child, "no-map", &prop), 0);
	CHECK_EQ(prop.len, 0);
	CHECK_EQ(fdt_reg(&fdt, child, 0, &reg), 0);
	CHECK_EQ(reg.address, 0x80000000);
	CHECK_EQ(reg.size, 0x80000);
	child = fdt_next_sibling(&fdt, child);
	CHECK_STR(name_of(&fdt, child), "framebuffer@83000000");
	CHECK_EQ(fdt_property(&fdt, child, "no-map", &prop), FDT_ERR_NOTFOUND);
	CHECK_EQ(fdt_next_sibling(&fdt, child), FDT_ERR_NOTFOUND);

	dev = fdt_next_compatible(&fdt, -1, "sifive,test0");
	CHECK_EQ(dev, fdt_path_offset(&fdt, "/soc/poweroff@100000"));
	CHECK_EQ(fdt_reg(&fdt, dev, 0, &reg), 0);
	CHECK_EQ(reg.address, 0x100000);
	CHECK_EQ(fdt_next_compatible(&fdt, -1, "vendor,reset"), dev);
	blob_free(&b);
}

HOST_TEST(string_properties_checked)
{
	struct fdt fdt;
	struct blob b = fixture_open("reserved.dtb", &fdt);
	int chosen = fdt_path_offset(&fdt, "/chosen");
	const char *s = NULL;
	uint32_t v;

	CHECK_EQ(fdt_property_string(&fdt, chosen, "bootargs", &s), 18);
	CHECK_STR(s, "mm=buddy heap=tlsf");
	CHECK_EQ(fdt_property_string(&fdt, chosen, "empty-string", &s), 0);
	s = NULL;
	CHECK_EQ(fdt_property_string(&fdt, chosen, "not-a-string", &s), FDT_ERR_BADSTRING);
	CHECK(s == NULL);
	CHECK_EQ(fdt_property_u32(&fdt, chosen, "bootargs", &v), FDT_ERR_BADVALUE);
	blob_free(&b);
}

HOST_TEST(cells_defaults_and_errors)
{
	struct fdt fdt;
	struct blob b = fixture_open("cells.dtb", &fdt);
	struct fdt_reg reg;
	int root = fdt_path_offset(&fdt, "/");
	int mem = fdt_path_offset(&fdt, "/memory");

	CHECK_EQ(fdt_address_cells(&fdt, root), 2);
	CHECK_EQ(fdt_size_cells(&fdt, root), 1);
	CHECK_EQ(fdt_reg(&fdt, mem, 0, &reg), 0);
	CHECK_EQ(reg.address, 0x100000000ULL);
	CHECK_EQ(reg.size, 512 * MiB);
	CHECK_EQ(fdt_reg(&fdt, root, 0, &reg), FDT_ERR_NOTFOUND);
	CHECK_EQ(fdt_address_cells(&fdt, fdt_path_offset(&fdt, "/bad-cells")),
		 FDT_ERR_BADCELLS);
	CHECK_EQ(fdt_reg(&fdt, fdt_path_offset(&fdt, "/bad-cells/child"), 0, &reg),
		 FDT_ERR_BADCELLS);
	CHECK_EQ(fdt_address_cells(&fdt, fdt_path_offset(&fdt, "/three-cells")), 3);
	CHECK_EQ(fdt_reg(&fdt, fdt_path_offset(&fdt, "/three-cells/child@0"), 0, &reg),
		 FDT_ERR_BADCELLS);
	CHECK_EQ(fdt_address_cells(&fdt, fdt_path_offset(&fdt, "/short-cells")),
		 FDT_ERR_BADVALUE);
	CHECK_EQ(fdt_reg(&fdt, fdt_path_offset(&fdt, "/bus2/ragged@1"), 0, &reg),
		 FDT_ERR_BADVALUE);
	CHECK_EQ(fdt_reg(&fdt, fdt_path_offset(&fdt, "/bus/dev@2"), 1, &reg), 0);
	CHECK_EQ(reg.address, 3);
	CHECK_EQ(reg.size, 0);
	blob_free(&b);
}

/* ------------------------------------------------------------------------
 * A small blob builder for corrupt trees
 * ------------------------------------------------------------------------ */

struct builder {
	uint8_t structure[4096];
	uint32_t struct_len;
	char strings[256];
	uint32_t strings_len;
};

static void build_u32(struct builder *b, uint32_t v)
{
	put_u32(b->structure + b->struct_len, v);
	b->struct_len += 4;
}

static void build_bytes(struct builder *b, const void *p, uint32_t n)
{
	memcpy(b->structure + b->struct_len, p, n);
	b->struct_len += n;
	while (b->struct_len % 4)
		b->structure[b->struct_len++] = 0;
}

static void build_begin(struct builder *b, const char *name)
{
	build_u32(b, 1);
	build_bytes(b, name, (uint32_t)strlen(name) + 1);
}

static uint32_t build_string(struct builder *b, const char *s)
{
	uint32_t off = b->strings_len;

	memcpy(b->strings + off, s, strlen(s) + 1);
	b->strings_len += (uint32_t)strlen(s) + 1;
	return off;
}

static void build_prop(struct builder *b, const char *name, const void *val, uint32_t len)
{
	uint32_t nameoff = build_string(b, name);

	build_u32(b, 3);
	build_u32(b, len);
	build_u32(b, nameoff);
	build_bytes(b, val, len);
}

/* Lays out header, a one-terminator reservation block, the structure and the
 * strings, in a heap block of exactly the total size. */
static struct blob build_finish(const struct builder *b)
{
	uint32_t off_rsv = 40, off_struct = off_rsv + 16;
	uint32_t off_strings = off_struct + b->struct_len;
	uint32_t total = off_strings + b->strings_len;
	struct blob out = { calloc(1, total), total };
	uint32_t hdr[10] = { FDT_MAGIC, total, off_struct, off_strings, off_rsv,
			     17, 16, 0, b->strings_len, b->struct_len };

	for (int i = 0; i < 10; i++)
		put_u32(out.data + 4 * i, hdr[i]);
	memcpy(out.data + off_struct, b->structure, b->struct_len);
	memcpy(out.data + off_strings, b->strings, b->strings_len);
	return out;
}

/*
 * A minimal sound tree, property "a" first (its header at structure offset
 * 8, name offset 0 in the strings block):
 *   / { a = "x"; #address-cells = <1>; #size-cells = <1>;
 *       c@1 { reg = <1 2>; }; };
 */
static void build_small(struct builder *b)
{
	static const uint8_t reg[8] = { 0, 0, 0, 1, 0, 0, 0, 2 };
	static const uint8_t one[4] = { 0, 0, 0, 1 };

	memset(b, 0, sizeof(*b));
	build_begin(b, "");
	build_prop(b, "a", "x", 2);
	build_prop(b, "#address-cells", one, 4);
	build_prop(b, "#size-cells", one, 4);
	build_begin(b, "c@1");
	build_prop(b, "reg", reg, sizeof(reg));
	build_u32(b, 2);
	build_u32(b, 2);
	build_u32(b, 9);
}

/* fdt_init() + fdt_validate() of @blob: the first error, or 0. */
static int blob_check(const struct blob *blob)
{
	struct fdt fdt;
	int err = fdt_init(&fdt, blob->data, blob->size);

	return err ? err : fdt_validate(&fdt);
}

HOST_TEST(builder_small_tree_is_sound)
{
	struct builder bld;
	struct blob b;
	struct fdt fdt;
	struct fdt_reg reg;

	build_small(&bld);
	b = build_finish(&bld);
	CHECK_EQ(blob_check(&b), 0);
	CHECK_EQ(fdt_init(&fdt, b.data, b.size), 0);
	CHECK_EQ(fdt_reg(&fdt, fdt_path_offset(&fdt, "/c"), 0, &reg), 0);
	CHECK_EQ(reg.address, 1);
	CHECK_EQ(reg.size, 2);
	blob_free(&b);
}

/* ------------------------------------------------------------------------
 * Corrupt headers
 * ------------------------------------------------------------------------ */

/* Copies the virt blob, sets header word @field to @value, checks it. */
static int virt_with_header(unsigned field, uint32_t value)
{
	struct blob v = fixture_load("qemu-virt.dtb");
	int err;

	put_u32(v.data + field, value);
	err = blob_check(&v);
	blob_free(&v);
	return err;
}

HOST_TEST(corrupt_headers)
{
	struct blob v = fixture_load("qemu-virt.dtb");
	uint32_t total = (uint32_t)v.size;
	struct fdt fdt;

	CHECK_EQ(virt_with_header(0, 0xd00dfeee), FDT_ERR_BADMAGIC);
	CHECK_EQ(virt_with_header(20, 15), FDT_ERR_BADVERSION);
	CHECK_EQ(virt_with_header(24, 18), FDT_ERR_BADVERSION);
	CHECK_EQ(virt_with_header(4, total + 1), FDT_ERR_TRUNCATED);
	CHECK_EQ(virt_with_header(4, 20), FDT_ERR_BADLAYOUT);
	CHECK_EQ(virt_with_header(8, ALIGN_UP(total + 1, 4)), FDT_ERR_BADLAYOUT);
	CHECK_EQ(virt_with_header(8, 0xfffffffc), FDT_ERR_BADLAYOUT);
	CHECK_EQ(virt_with_header(8, 58), FDT_ERR_BADALIGN);
	CHECK_EQ(virt_with_header(16, 44), FDT_ERR_BADALIGN);
	CHECK_EQ(virt_with_header(16, ALIGN_DOWN(total - 8, 8)), FDT_ERR_BADLAYOUT);
	CHECK_EQ(virt_with_header(12, total), FDT_ERR_BADLAYOUT);
	CHECK_EQ(virt_with_header(32, 0xffffffff), FDT_ERR_BADLAYOUT);
	CHECK_EQ(virt_with_header(36, total), FDT_ERR_BADLAYOUT);
	/* A structure block cut short: the header is fine, the walk is not. */
	CHECK_EQ(virt_with_header(36, 64), FDT_ERR_TRUNCATED);
	/* Version 16 has no size_dt_struct: the block runs to totalsize. */
	CHECK_EQ(virt_with_header(20, 16), 0);
	CHECK_EQ(fdt_init(&fdt, NULL, 100), FDT_ERR_TRUNCATED);
	CHECK(strcmp(fdt_strerror(FDT_ERR_BADMAGIC), "bad magic") == 0);
	CHECK(strcmp(fdt_strerror(12345), "unknown error") == 0);
	blob_free(&v);
}

HOST_TEST(truncated_at_every_length)
{
	struct blob v = fixture_load("qemu-virt.dtb");
	struct fdt fdt;

	for (size_t len = 0; len < v.size; len++) {
		struct blob cut = blob_copy(v.data, len);
		int err = fdt_init(&fdt, cut.data, cut.size);

		CHECK(err == FDT_ERR_TRUNCATED || (len < 8 && err == FDT_ERR_BADMAGIC));
		/* Now claim the cut length in the header: layout or walk fails. */
		if (len >= 40) {
			put_u32(cut.data + 4, (uint32_t)len);
			CHECK(blob_check(&cut) < 0);
		}
		blob_free(&cut);
	}
	blob_free(&v);
}

/* Runs the readers over @fdt; all must fail or answer within bounds. */
static void readers_run(const struct fdt *fdt)
{
	struct fdt_reg reg;
	struct fdt_prop prop;
	const char *s;
	int depth = 0, n;

	for (n = fdt_next_node(fdt, -1, &depth); n >= 0; n = fdt_next_node(fdt, n, &depth)) {
		CHECK(depth >= 0 && depth <= FDT_MAX_DEPTH);
		CHECK(fdt_node_name(fdt, n, &s) >= 0);
		fdt_parent(fdt, n);
		fdt_reg(fdt, n, 0, &reg);
		fdt_next_property(fdt, n, -1, &prop);
		fdt_property_string(fdt, n, "compatible", &s);
	}
	CHECK(n < 0);
	fdt_path_offset(fdt, "/chosen");
	fdt_next_compatible(fdt, -1, "sifive,test0");
	fdt_next_node_named(fdt, -1, "memory");
	fdt_reservation(fdt, 0, &reg);
}

HOST_TEST(structure_cut_at_every_word)
{
	struct blob v = fixture_load("qemu-virt.dtb");
	struct fdt fdt;

	CHECK_EQ(fdt_init(&fdt, v.data, v.size), 0);
	for (uint32_t cut = 0; cut < fdt.struct_size; cut += 4) {
		struct fdt shorter = fdt;

		shorter.struct_size = cut;
		CHECK(fdt_validate(&shorter) < 0);
		readers_run(&shorter);
	}
	blob_free(&v);
}

/* ------------------------------------------------------------------------
 * Corrupt structures
 * ------------------------------------------------------------------------ */

HOST_TEST(unterminated_strings)
{
	struct builder bld;
	struct blob b;
	struct fdt fdt;
	struct fdt_prop prop;

	/* A node name running to the end of the structure block. */
	memset(&bld, 0, sizeof(bld));
	build_u32(&bld, 1);
	memcpy(bld.structure + bld.struct_len, "abcdefgh", 8);
	bld.struct_len += 8;
	b = build_finish(&bld);
	CHECK_EQ(blob_check(&b), FDT_ERR_TRUNCATED);
	blob_free(&b);

	/* A property name with no NUL inside the strings block. */
	build_small(&bld);
	bld.strings_len = 1;		/* "a" loses its terminator */
	b = build_finish(&bld);
	CHECK_EQ(blob_check(&b), FDT_ERR_BADSTRING);
	CHECK_EQ(fdt_init(&fdt, b.data, b.size), 0);
	CHECK_EQ(fdt_property(&fdt, 0, "a", &prop), FDT_ERR_BADSTRING);
	blob_free(&b);

	/* A name offset beyond the strings block. */
	build_small(&bld);
	put_u32(bld.structure + 16, 200);	/* nameoff of property "a" */
	b = build_finish(&bld);
	CHECK_EQ(blob_check(&b), FDT_ERR_BADSTRING);
	blob_free(&b);
}

HOST_TEST(property_length_past_end)
{
	struct builder bld;
	struct blob b;
	struct fdt fdt;
	struct fdt_prop prop;

	/* Property "a" has its value at structure offset 20: any length over
	 * struct_len - 20 runs past the block; odd steps try huge lengths. */
	for (uint32_t k = 1; k < 200; k += 7) {
		build_small(&bld);
		put_u32(bld.structure + 12, (bld.struct_len - 20 + k) | (k & 1 ? 0xfff00000u : 0));
		b = build_finish(&bld);
		CHECK(blob_check(&b) < 0);
		CHECK_EQ(fdt_init(&fdt, b.data, b.size), 0);
		CHECK(fdt_property(&fdt, 0, "a", &prop) < 0 ||
		      (uint8_t *)prop.value + prop.len <= b.data + b.size);
		readers_run(&fdt);
		blob_free(&b);
	}
}

HOST_TEST(bad_tokens_and_nesting)
{
	struct builder bld;
	struct blob b;
	struct fdt fdt;

	/* Missing END: the structure stops after the root closes. */
	build_small(&bld);
	bld.struct_len -= 4;
	b = build_finish(&bld);
	CHECK_EQ(blob_check(&b), FDT_ERR_TRUNCATED);
	blob_free(&b);

	/* Unknown token in place of END. */
	build_small(&bld);
	put_u32(bld.structure + bld.struct_len - 4, 7);
	b = build_finish(&bld);
	CHECK_EQ(blob_check(&b), FDT_ERR_BADSTRUCTURE);
	blob_free(&b);

	/* END while a node is still open. */
	build_small(&bld);
	put_u32(bld.structure + bld.struct_len - 8, 9);
	b = build_finish(&bld);
	CHECK_EQ(blob_check(&b), FDT_ERR_BADSTRUCTURE);
	CHECK_EQ(fdt_init(&fdt, b.data, b.size), 0);
	CHECK_EQ(fdt_next_sibling(&fdt, 0), FDT_ERR_BADSTRUCTURE);
	blob_free(&b);

	/* A second root, and an END_NODE with nothing open. */
	build_small(&bld);
	bld.struct_len -= 4;
	build_u32(&bld, 2);
	build_u32(&bld, 9);
	b = build_finish(&bld);
	CHECK_EQ(blob_check(&b), FDT_ERR_BADSTRUCTURE);
	blob_free(&b);
	build_small(&bld);
	bld.struct_len -= 4;
	build_begin(&bld, "");
	build_u32(&bld, 2);
	build_u32(&bld, 9);
	b = build_finish(&bld);
	CHECK_EQ(blob_check(&b), FDT_ERR_BADSTRUCTURE);
	blob_free(&b);
}

HOST_TEST(deep_nesting_is_refused)
{
	struct builder bld;
	struct blob b;
	struct fdt fdt;
	int depth = 0, n, last = -1;

	memset(&bld, 0, sizeof(bld));
	for (int i = 0; i < FDT_MAX_DEPTH + 10; i++)
		build_begin(&bld, "n");
	for (int i = 0; i < FDT_MAX_DEPTH + 10; i++)
		build_u32(&bld, 2);
	build_u32(&bld, 9);
	b = build_finish(&bld);
	CHECK_EQ(blob_check(&b), FDT_ERR_TOODEEP);
	CHECK_EQ(fdt_init(&fdt, b.data, b.size), 0);
	for (n = fdt_next_node(&fdt, -1, &depth); n >= 0; n = fdt_next_node(&fdt, n, &depth))
		last = n;
	CHECK_EQ(n, FDT_ERR_TOODEEP);
	CHECK_EQ(depth, FDT_MAX_DEPTH);
	CHECK_EQ(fdt_next_sibling(&fdt, 0), FDT_ERR_TOODEEP);
	CHECK(fdt_parent(&fdt, last) >= 0);
	readers_run(&fdt);
	blob_free(&b);
}

HOST_TEST(bad_node_offsets)
{
	struct fdt fdt;
	struct blob b = fixture_open("reserved.dtb", &fdt);
	const char *s;
	int chosen = fdt_path_offset(&fdt, "/chosen");

	CHECK_EQ(fdt_node_name(&fdt, -4, &s), FDT_ERR_BADOFFSET);
	CHECK_EQ(fdt_node_name(&fdt, chosen + 1, &s), FDT_ERR_BADOFFSET);
	CHECK_EQ(fdt_node_name(&fdt, chosen + 8, &s), FDT_ERR_BADOFFSET);
	CHECK_EQ(fdt_node_name(&fdt, 1 << 28, &s), FDT_ERR_BADOFFSET);
	CHECK_EQ(fdt_first_child(&fdt, chosen + 4), FDT_ERR_BADOFFSET);
	CHECK_EQ(fdt_parent(&fdt, chosen + 4), FDT_ERR_BADOFFSET);
	blob_free(&b);
}

HOST_TEST(reservation_block_without_terminator)
{
	struct builder bld;
	struct blob b;
	struct fdt fdt;
	struct fdt_reg reg;

	build_small(&bld);
	b = build_finish(&bld);
	/* Point the map at the structure block's last 16 bytes: no zero entry. */
	put_u32(b.data + 16, (uint32_t)b.size - 16 - ((uint32_t)b.size % 8));
	memset(b.data + b.size - 16, 0xff, 16);
	CHECK_EQ(fdt_init(&fdt, b.data, b.size), 0);
	CHECK_EQ(fdt_reservation(&fdt, 0, &reg), 0);
	CHECK_EQ(fdt_reservation(&fdt, 5, &reg), FDT_ERR_TRUNCATED);
	blob_free(&b);
}

int main(int argc, char **argv)
{
	fixture_dir_init(argv[0]);
	return host_test_main(argc, argv);
}
