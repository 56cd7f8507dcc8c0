/* SPDX-License-Identifier: MIT */
/*
 * Heap and frame maps (CONFIG_BENCH): the kernel command line "map=heap",
 * "map=frames" or "map=all" makes the kernel run a fixed-seed workload on the
 * real allocators, stop it midway, and print where every block and frame run
 * lies, as lines scripts/mapviz.py turns into pictures (docs/heap.md shows
 * them). The lines, one record each, fields separated by one space:
 *
 *   map: heap <algo> <heap-bytes> <state>       a heap map starts
 *   map: about <state> <free text>              what the workload did
 *   map: h <F|U|M> <offset> <bytes>             one block, in address order
 *   map: end heap <state> key=value...          figures (free, largest, ...)
 *   map: frames <algo> <first-ppn> <count> <state>
 *   map: f <F|U|K> <first-ppn> <count>          one run of frames
 *   map: end frames <state> key=value...
 *   map: done status=<ok|failed>
 *   map: strip <algo> <heap-bytes> <trace> <op> <ops> <live> <used> <free>
 *              <largest-free> <cells>             one frame of a replay
 *
 * A strip is the whole heap in MAP_STRIP_CELLS equal cells, one character
 * each: '0' nothing allocated, '1'..'9' up to that many tenths of the cell
 * held by live blocks (rounded up, so a sliver shows), 'M' mostly the
 * algorithm's metadata. The trace benchmark prints one at every point of
 * its timeline for the trace named by "trace.animate=NAME" (make bench
 * MAPS_ANIMATE=1 turns them into an animation); @op of @ops operations are
 * done, @live bytes asked for are live, the rest are heap_stats() figures.
 *
 * F free, U used (an allocation of the workload), M the heap algorithm's own
 * metadata, K frames already in use before the workload started (firmware,
 * kernel image and heap array, allocator metadata, the workload's tables).
 * Numbers are decimal; offsets are from the start of the heap array.
 */
#ifndef MM_MAP_H
#define MM_MAP_H

#include <mmlab/compiler.h>

/* map_requested - Return: true when the command line has "map=...". */
bool map_requested(void);

/*
 * map_run - run the map workloads the command line asks for and print their
 * maps. Leaves the heap and the frames as it found them.
 * Return: EXIT_OK, or EXIT_TEST_FAIL for an unknown "map=" value, a
 * workload that could not get its tables, or an allocator that is not whole
 * (or does not validate) afterwards.
 */
int map_run(void);

#define MAP_STRIP_CELLS		4096

/*
 * map_heap_strip - print the heap as one "map: strip" line (format above)
 * for operation @op of @ops of the replay of @trace, with @live requested
 * bytes live. Not for timed code: it walks the whole heap under its lock.
 */
void map_heap_strip(const char *trace, unsigned long op, unsigned long ops,
		    unsigned long long live);

#endif /* MM_MAP_H */
