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
 *
 * CONFIG_SMP: the boot hart is cpu 0 (sscratch = 0). smp_init() starts each
 * other hart at secondary_entry; the hart finds its cpu number by looking
 * its hart id (a0) up in smp_cpu_hartid[], which smp_init() fills before
 * the start call; it gets stack cpu - 1 of secondary_stacks, the trap
 * vector, tp = hart id, sscratch = cpu, and runs smp_secondary_main().
 * .bss is cleared and memory is up by then, so nothing here waits.
 *
 * A started hart can also arrive here, at _start, with a1 = the firmware's
 * device tree: OpenSBI 1.1's HSM hart_start marks the hart START_PENDING
 * before it stores the new entry address, so a hart that is polling its
 * state (not asleep in wfi) may leave the firmware with the entry and
 * argument the firmware had for it at boot, ours. Such a hart used to run
 * the boot path a second time on the boot hart's stack, clearing .bss
 * under the running kernel (the ~1-in-7 early crash at -smp 4). So the
 * first hart to reach _start claims the boot (an atomic swap on a word in
 * .data, which nothing clears); every later one goes to secondary_entry.
 */
#include <asm/sbi.h>

#define QEMU_VIRT_TEST_DEVICE	0x100000	/* sifive,test0 on QEMU virt */

	.section .text.entry, "ax"
	.globl _start
_start:
#ifdef CONFIG_SMP
	la	t0, boot_claimed	/* the boot hart is whoever gets here first */
	li	t1, 1
	amoswap.w.aq t1, t1, (t0)
	bnez	t1, boot_entry_taken
#endif
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
#ifdef CONFIG_SMP
	csrw	sscratch, zero		/* the boot hart is cpu 0 (smp_cpu_id()) */
#endif

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

#ifdef CONFIG_SMP
	/* A started hart that the firmware sent to _start: count it, go on. */
boot_entry_taken:
	la	t0, smp_boot_entry_redirects
	li	t1, 1
	amoadd.w zero, t1, (t0)

	/*
	 * A hart smp_init() started: a0 = hart id. Its cpu number is the first
	 * index from 1 up whose smp_cpu_hartid[] entry is a0 (the entries below
	 * are the harts started before it, all with other ids); a hart not in
	 * the table was never started by us and parks.
	 */
	.balign	4
	.globl secondary_entry
secondary_entry:
	csrw	sie, zero
	fence	r, r			/* smp_init() stored the entry before the start call */
	la	t0, smp_cpu_hartid
	li	a1, 1
	li	t2, CONFIG_NR_CPUS
1:	bgeu	a1, t2, secondary_park
	slli	t1, a1, 3
	add	t1, t1, t0
	ld	t1, 0(t1)
	beq	t1, a0, 2f
	addi	a1, a1, 1
	j	1b
2:	la	t0, trap_entry
	csrw	stvec, t0
	la	sp, secondary_stacks
	li	t0, CONFIG_KERNEL_STACK_SIZE
	mul	t0, t0, a1		/* top of stack a1 - 1 */
	add	sp, sp, t0
	mv	s0, zero
	mv	tp, a0
	csrw	sscratch, a1
	call	smp_secondary_main
secondary_park:				/* smp_secondary_main does not return */
	wfi
	j	secondary_park
#endif

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

#ifdef CONFIG_SMP
	/* Set by the first hart to reach _start; in .data: .bss is cleared later. */
	.section .data
	.balign 4
boot_claimed:
	.word	0

	/* One stack per started hart (cpu 1 .. NR_CPUS - 1), cleared with .bss. */
	.section .bss, "aw", @nobits
	.balign 16
	.globl secondary_stacks
secondary_stacks:
	.space	CONFIG_KERNEL_STACK_SIZE * (CONFIG_NR_CPUS - 1)
#endif
