/* SPDX-License-Identifier: MIT */
/*
 * Kernel entry. OpenSBI jumps here in S-mode with a0 = hart id and
 * a1 = physical address of the flattened device tree. Set up the boot
 * stack, call boot_early(dtb) (which may stop when RAM is too small, and
 * may move the device tree out of .bss), clear .bss, and call
 * start_kernel(hartid, dtb).
 */
	.section .text.entry, "ax"
	.globl _start
_start:
	/* No interrupts until the trap vector is installed. */
	csrw	sie, zero
	csrw	sip, zero

	la	sp, boot_stack_top
	mv	s0, zero		/* frame-pointer chain ends here */
	mv	tp, a0			/* tp holds the hart id (hart_id()) */

	/* boot_early(dtb): the steps before .bss is cleared (kernel/main.c). */
	mv	a0, a1
	call	boot_early
	mv	a1, a0
	mv	a0, tp

	la	t0, __bss_start
	la	t1, __bss_end
1:	bgeu	t0, t1, 2f
	sd	zero, 0(t0)
	addi	t0, t0, 8
	j	1b
2:
	call	start_kernel
	/* start_kernel does not return; park the hart if it ever does. */
3:	wfi
	j	3b

	.section .bss.stack, "aw", @nobits
	.balign 16
	.globl boot_stack, boot_stack_top
boot_stack:
	.space	CONFIG_KERNEL_STACK_SIZE
boot_stack_top:
