/* SPDX-License-Identifier: MIT */
/* Memory management bring-up, called once from start_kernel(). */
#ifndef MM_MM_H
#define MM_MM_H

struct boot_info;
struct fdt;

/*
 * mm_check_fit - when the RAM the checked tree @fdt (at @dtb) describes
 * cannot hold the kernel image, say so in one line and stop QEMU with
 * EXIT_NO_RAM; return otherwise. Called before .bss is cleared (clearing it
 * would fault on the missing RAM), so it uses the stack only.
 */
void mm_check_fit(const struct fdt *fdt, unsigned long dtb);

/*
 * mm_init - discover RAM, set up the frame allocator over what is free and
 * the kernel heap. Panics with the reason when memory cannot be set up
 * (for example a heap larger than the RAM left for it). @boot (the device
 * tree, or none) is the only input; mm keeps a copy for its self-tests.
 */
void mm_init(const struct boot_info *boot);

#endif /* MM_MM_H */
