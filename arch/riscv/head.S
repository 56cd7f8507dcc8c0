/* SPDX-License-Identifier: MIT */
/*
 * Kernel entry. OpenSBI jumps here in S-mode with a0 = hart id and
 * a1 = physical address of the flattened device tree. Check that the CPU
 * runs the instructions the image was built for, set up the boot stack,
 * call boot_early(dtb) (which may stop when RAM is too small, and may move
 * the device tree out of .bss), clear .bss, and call
 * start_kernel(hartid, dtb).
 *
 * The ISA check comes first because every C function may use them: with
 * CONFIG_RISCV_ISA_ZBB an image on a CPU without Zbb would trap on its first
 * Zbb instruction, and the trap handler itself is built with Zbb. So one Zbb
 * instruction is tried here with a private trap vector; if it traps, one
 * line goes out through the SBI legacy console and the machine stops (QEMU
 * virt's test device with status 1, SBI shutdown if that faults too).
 */
#include <asm/sbi.h>

#define QEMU_VIRT_TEST_DEVICE	0x100000	/* sifive,test0 on QEMU virt */

	.section .text.entry, "ax"
	.globl _start
_start:
	/* No interrupts until the trap vector is installed. */
	csrw	sie, zero
	csrw	sip, zero

#ifdef CONFIG_RISCV_ISA_ZBB
	la	t0, isa_missing
	csrw	stvec, t0
	cpop	t1, t0			/* traps without Zbb */
#endif
	la	t0, trap_entry		/* a fault from here on is reported */
	csrw	stvec, t0

	la	sp, boot_stack_top
	mv	s0, zero		/* frame-pointer chain ends here */
	mv	tp, a0			/* tp holds the hart id (hart_id()) */

	/* boot_early(dtb): the steps before .bss is cleared (init/main.c). */
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

#ifdef CONFIG_RISCV_ISA_ZBB
	/* The CPU lacks Zbb: say so, then stop with a failure status. */
	.balign	4
isa_missing:
	la	s1, isa_message
1:	lbu	a0, 0(s1)
	beqz	a0, 2f
	li	a7, SBI_EXT_LEGACY_PUTCHAR
	ecall
	addi	s1, s1, 1
	j	1b
2:	la	t0, isa_stop
	csrw	stvec, t0
	li	t0, QEMU_VIRT_TEST_DEVICE
	li	t1, 0x13333		/* "fail" with status 1 */
	sw	t1, 0(t0)
	.balign	4
isa_stop:				/* the test device is not there */
	li	a7, SBI_EXT_SRST
	li	a6, 0
	li	a0, 0			/* shutdown */
	li	a1, 1			/* system failure */
	ecall
3:	wfi
	j	3b

	.section .rodata
isa_message:
	.asciz	"mmlab: built for zbb, this CPU lacks it: rebuild with CONFIG_RISCV_ISA_ZBB=n\n"
#endif

	.section .bss.stack, "aw", @nobits
	.balign 16
	.globl boot_stack, boot_stack_top
boot_stack:
	.space	CONFIG_KERNEL_STACK_SIZE
boot_stack_top:
