/* SPDX-License-Identifier: MIT */
/*
 * Linker script, run through the C preprocessor with the configuration.
 * OpenSBI enters the kernel at 0x80200000 in S-mode; .text.entry goes first.
 * The symbol table for backtraces (.kallsyms) follows .rodata so that its
 * size cannot move any function (see the link step in the Makefile).
 */
OUTPUT_ARCH(riscv)
ENTRY(_start)

/*
 * .bss is in no loadable segment: QEMU's -kernel loader would otherwise count
 * it as loaded image and refuse to boot when the device tree it places near
 * the top of a small RAM falls inside .bss. The kernel clears .bss itself
 * (head.S), after moving such a tree out of the way, and then says in one
 * line when the RAM is too small for the image.
 */
PHDRS
{
	text PT_LOAD FLAGS(5);		/* R X */
	data PT_LOAD FLAGS(6);		/* R W */
}

#define KERNEL_BASE 0x80200000

/* A registry table (include/mmlab/registry.h) and its bounds. */
#define REGISTRY(name)				\
	name : {				\
		__start_##name = .;		\
		KEEP(*(name))			\
		__stop_##name = .;		\
	}

SECTIONS
{
	. = KERNEL_BASE;
	__kernel_start = .;

	.text : {
		__text_start = .;
		KEEP(*(.text.entry))
		*(.text .text.*)
		__text_end = .;
	} :text

	. = ALIGN(16);
	.rodata : {
		*(.rodata .rodata.*)
		*(.srodata .srodata.*)
	}

	/* Registries (include/mmlab/registry.h): suites, algorithms, benchmarks. */
	. = ALIGN(8);
	REGISTRY(ktest_suites)
	REGISTRY(heap_algos)
	REGISTRY(frame_algos)
	REGISTRY(benches)
#ifdef CONFIG_LOCK_STAT
	REGISTRY(lock_stats)
#endif

	. = ALIGN(8);
	.kallsyms : {
		KEEP(*(.kallsyms))
	}

	. = ALIGN(4096);
	.data : {
		*(.data .data.*)
		*(.sdata .sdata.*)
	} :data

	. = ALIGN(4096);
	.bss (NOLOAD) : {
		__bss_start = .;
		*(.bss.stack)
		*(.sbss .sbss.*)
		*(.bss .bss.*)
		*(COMMON)
		. = ALIGN(8);
		__bss_end = .;
	} :NONE

	. = ALIGN(4096);
	__kernel_end = .;

	/DISCARD/ : {
		*(.eh_frame .eh_frame_hdr .note .note.* .comment .riscv.attributes)
	}
}
