/* SPDX-License-Identifier: MIT */
/* Memory management bring-up, called once from start_kernel(). */
#ifndef MM_MM_H
#define MM_MM_H

/*
 * mm_init - discover RAM, set up the frame allocator over what is free and
 * the kernel heap. Panics with the reason when memory cannot be set up
 * (for example a heap larger than the RAM left for it).
 */
void mm_init(void);

#endif /* MM_MM_H */
