/* SPDX-License-Identifier: MIT */
/* What mm_init() keeps for mm's own self-tests (mm/memmap_test.c). */
#ifndef MM_INTERNAL_H
#define MM_INTERNAL_H

#include <mm/memmap.h>
#include <mmlab/kernel.h>

/* mm_boot_info - Return: the boot description mm_init() was given. */
const struct boot_info *mm_boot_info(void);

/* memmap_boot_map - Return: the boot memory map mm_init() built (NULL before). */
const struct memmap *memmap_boot_map(void);

#endif /* MM_INTERNAL_H */
