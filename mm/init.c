// SPDX-License-Identifier: MIT
/*
 * mm_init(): memory management bring-up, in dependency order: find RAM,
 * hand the free part to the frame allocator, then set up the kernel heap.
 * Each step panics with its reason if memory cannot be set up.
 */
#include <mm/frame.h>
#include <mm/heap.h>
#include <mm/memmap.h>
#include <mm/mm.h>

void mm_init(void)
{
	frame_init(memmap_init());
	heap_init();
}
