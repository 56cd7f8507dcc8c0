/* SPDX-License-Identifier: MIT */
/*
 * Linker-section registries: a file adds an entry to a named table without
 * any list naming it, and one loop walks the table. Test suites, heap and
 * frame algorithms and benchmarks register this way. The section name must
 * be a C identifier; the kernel's linker script (and, on the host, the
 * linker itself) defines __start_NAME and __stop_NAME around it.
 */
#ifndef MMLAB_REGISTRY_H
#define MMLAB_REGISTRY_H

/* REGISTRY_ENTRY - define the const @type object @ident inside table @table. */
#define REGISTRY_ENTRY(table, type, ident)				\
	__attribute__((used, section(#table), aligned(8)))		\
	const type ident

/* REGISTRY_DECLARE - make table @table of @type entries visible here. */
#define REGISTRY_DECLARE(table, type)					\
	extern const type __start_##table[], __stop_##table[]

/* registry_for_each - point @p at each entry of table @table in turn. */
#define registry_for_each(table, p)					\
	for ((p) = __start_##table; (p) < __stop_##table; (p)++)

#endif /* MMLAB_REGISTRY_H */
