// SPDX-License-Identifier: MIT
/*
 * Function names for backtraces. The link step generates the table
 * (scripts/kallsyms.py): sorted function addresses and their names.
 */
#include <mmlab/kernel.h>
#include <mmlab/printk.h>

extern const unsigned long kallsyms_count;
extern const unsigned long kallsyms_addrs[];
extern const uint32_t kallsyms_offsets[];
extern const char kallsyms_names[];

const char *kallsyms_lookup(unsigned long addr, unsigned long *offset)
{
	unsigned long lo = 0, hi = kallsyms_count;

	if (!kallsyms_count || addr < kallsyms_addrs[0] ||
	    addr >= (unsigned long)__text_end)
		return NULL;
	/* Last symbol whose address is <= addr. */
	while (hi - lo > 1) {
		unsigned long mid = lo + (hi - lo) / 2;

		if (kallsyms_addrs[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*offset = addr - kallsyms_addrs[lo];
	return kallsyms_names + kallsyms_offsets[lo];
}

static void backtrace_print_pc(unsigned long pc)
{
	unsigned long off;
	const char *name = kallsyms_lookup(pc, &off);

	if (name)
		printk("  [<0x%016lx>] %s+0x%lx\n", pc, name, off);
	else
		printk("  [<0x%016lx>] ?\n", pc);
}

/*
 * With -fno-omit-frame-pointer, s0 points just above each frame: the return
 * address is at fp - 8 and the caller's fp at fp - 16. Stop at the top of
 * the boot stack, on a misaligned or out-of-stack pointer, or after 32
 * frames, so a corrupt stack cannot make this wander.
 */
void backtrace_print(unsigned long pc, unsigned long fp)
{
	unsigned depth;

	printk("Call trace:\n");
	backtrace_print_pc(pc);
	for (depth = 0; depth < 32; depth++) {
		unsigned long ra, prev;

		if (fp & 7 || fp <= (unsigned long)boot_stack + 16 ||
		    fp > (unsigned long)boot_stack_top)
			break;
		ra = ((unsigned long *)fp)[-1];
		prev = ((unsigned long *)fp)[-2];
		if (!ra)
			break;
		backtrace_print_pc(ra - 4);
		if (prev <= fp)
			break;
		fp = prev;
	}
}
