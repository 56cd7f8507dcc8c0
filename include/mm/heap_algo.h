/* SPDX-License-Identifier: MIT */
/*
 * The contract between the heap front end (mm/heap.c: kmalloc and friends) and
 * the heap algorithms (mm/heap/<name>.c, one file each).
 *
 * An algorithm manages one caller-given region [base, base + size). It keeps
 * all of its metadata inside that region (its instance struct included), uses
 * no globals, no locks and no architecture code, so the same file builds into
 * the kernel and into host tests and tools. Locking is the front end's job.
 *
 * Each algorithm file ends with HEAP_ALGO_REGISTER(name, ops), which places a
 * struct heap_algo in the "heap_algos" linker section. The kernel links exactly
 * one algorithm (chosen in Kconfig); host tests link them all and iterate over
 * the section, so a new algorithm is tested without editing any test code.
 */
#ifndef MM_HEAP_ALGO_H
#define MM_HEAP_ALGO_H

#include <lib/audit.h>
#include <mmlab/compiler.h>
#include <mmlab/registry.h>

/* Result of heap_algo.free(); the front end turns errors into a panic. */
enum heap_free_result {
	HEAP_FREE_OK = 0,
	HEAP_FREE_FOREIGN,	/* pointer outside the heap region */
	HEAP_FREE_NOT_BLOCK,	/* inside the heap but not the start of a block */
	HEAP_FREE_DOUBLE,	/* start of a block that is already free */
};
/*
 * A block freed twice after it merged with a free neighbour may be reported
 * as HEAP_FREE_DOUBLE (if the algorithm can tell it points into free space)
 * or HEAP_FREE_NOT_BLOCK; the host tests expect DOUBLE only for a block whose
 * neighbours are still allocated.
 */

/* Kind of a block reported by heap_algo.walk(). */
enum heap_block_kind {
	HEAP_BLOCK_FREE,
	HEAP_BLOCK_USED,
	HEAP_BLOCK_META,	/* the algorithm's own metadata */
};

/* Called once per block, in address order; @offset is from the region base. */
typedef void (*heap_walk_fn)(void *arg, enum heap_block_kind kind,
			     size_t offset, size_t size);

/*
 * The alignment largest_free is measured at: the least the front end ever
 * asks for (KMALLOC_MIN_ALIGN), so that kmalloc() can take what it reports.
 */
#define HEAP_ALGO_SPACE_ALIGN	16UL

/*
 * Space figures an algorithm reports about its region. largest_free is
 * exact: alloc(largest_free, align) succeeds for every align up to
 * HEAP_ALGO_SPACE_ALIGN, and alloc(largest_free + 1, HEAP_ALGO_SPACE_ALIGN)
 * fails. (An algorithm whose blocks are smaller than that alignment may
 * still fit one byte more at a smaller alignment.)
 */
struct heap_algo_space {
	size_t region;		/* bytes of the region given to init */
	size_t meta;		/* bytes the algorithm keeps for itself */
	size_t free;		/* bytes in free blocks */
	size_t largest_free;	/* largest allocation that would succeed at 16-byte alignment */
};

struct heap_algo {
	const char *name;	/* short name: "buddy", "bitmap", "first_fit" */

	/*
	 * init - take over [base, base + size) and return the instance handle
	 * (placed inside the region), with all space free. Returns NULL when
	 * the region is too small or misaligned for the algorithm to work.
	 * @base is at least 16-byte aligned. @flags is a set of HEAP_ALGO_*.
	 */
	void *(*init)(void *base, size_t size, unsigned flags);

	/*
	 * alloc - a block of at least @size bytes whose address is a multiple
	 * of @align. @size >= 1; @align is a power of two, 1..page size.
	 * Returns NULL when no such block exists; a failed call changes nothing.
	 * On success, when @usable is not NULL, *@usable gets what
	 * usable_size() would say of the block (so the front end needs no
	 * second look-up).
	 */
	void *(*alloc)(void *heap, size_t size, size_t align, size_t *usable);

	/*
	 * free - release the block that starts at @ptr (never NULL). Returns
	 * HEAP_FREE_OK, or the reason the pointer was refused; a refused
	 * pointer changes nothing. Must never read outside the region or
	 * follow a pointer it has not checked. On HEAP_FREE_OK, when @usable
	 * is not NULL, *@usable gets the block's usable size (what
	 * usable_size() said of it before the free).
	 */
	enum heap_free_result (*free)(void *heap, void *ptr, size_t *usable);

	/*
	 * usable_size - bytes the caller may use at @ptr when it is the start
	 * of a live block returned by alloc (>= the size asked for); 0 for
	 * any other pointer (outside the region, interior, misaligned, free),
	 * found with the same checks as free() and without changing anything
	 * or reading outside the region (ksize() and krealloc() call it on
	 * pointers they have not checked).
	 */
	size_t (*usable_size)(void *heap, void *ptr);

	/*
	 * reserved_size - bytes the block at @ptr takes from the heap,
	 * including headers, padding and rounding.
	 */
	size_t (*reserved_size)(void *heap, void *ptr);

	/* space - fill @out; O(metadata) is acceptable, it is not a hot path. */
	void (*space)(void *heap, struct heap_algo_space *out);

	/*
	 * validate - walk all metadata and return the number of problems
	 * found (0 when consistent), the first one described through
	 * audit_note() in @a (may be NULL). Must not crash or loop forever on
	 * a corrupt heap: every pointer is range-checked before it is followed.
	 */
	unsigned (*validate)(void *heap, struct audit *a);

	/*
	 * walk - report every block in address order (for heap maps). The
	 * blocks tile the region: they start at offset 0, each begins where the
	 * previous ended, and they end at the region size; FREE sizes add up to
	 * space().free and META sizes to space().meta. A USED block is one
	 * allocation: the first 16-byte boundary inside it is the pointer
	 * alloc() returned (a header of fewer than 16 bytes may come before),
	 * which is where the debug front end looks for its own header.
	 */
	void (*walk)(void *heap, heap_walk_fn fn, void *arg);
};

#define HEAP_ALGO_REGISTER(ident, ...) \
	REGISTRY_ENTRY(heap_algos, struct heap_algo, heap_algo_##ident) = __VA_ARGS__

REGISTRY_DECLARE(heap_algos, struct heap_algo);

#define heap_algo_for_each(a)	registry_for_each(heap_algos, a)

/*
 * HEAP_ALGO_POISON (set by the front end under CONFIG_DEBUG_HEAP): every byte
 * of free space holds HEAP_POISON, except the algorithm's own free-block
 * headers. The algorithm poisons what it frees (and headers it absorbs when
 * merging) and checks the poison of a block before handing it out, calling
 * heap_poison_check() (mm/heap/poison.c) to panic on the first wrong byte.
 */
#define HEAP_ALGO_POISON	0x1u
#define HEAP_POISON		0x6b

/* heap_poison_fill - fill [p, p + n) with HEAP_POISON. */
void heap_poison_fill(void *p, size_t n);
/*
 * heap_poison_check - panic "<who>: write after free at 0x..." when a byte of
 * [p, p + n) is not HEAP_POISON.
 */
void heap_poison_check(const char *who, const void *p, size_t n);

#endif /* MM_HEAP_ALGO_H */
