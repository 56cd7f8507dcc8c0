/* SPDX-License-Identifier: MIT */
/*
 * Trap vector (direct mode). Every trap comes from S-mode itself (there is
 * no user mode), so the frame is pushed on the current stack: all general
 * registers x1..x31 and sstatus/sepc/scause/stval, then trap_handle(frame)
 * runs, and everything is restored (sepc and sstatus may have been changed
 * by the handler) before sret.
 */
#include <mmlab/trap.h>

	.section .text
	.balign 4
	.globl trap_entry
trap_entry:
	addi	sp, sp, -TRAP_FRAME_SIZE
	sd	x1, 0*8(sp)
	/* x2 (sp) is saved below, as its value before the trap */
	sd	x3, 2*8(sp)
	sd	x4, 3*8(sp)
	sd	x5, 4*8(sp)
	sd	x6, 5*8(sp)
	sd	x7, 6*8(sp)
	sd	x8, 7*8(sp)
	sd	x9, 8*8(sp)
	sd	x10, 9*8(sp)
	sd	x11, 10*8(sp)
	sd	x12, 11*8(sp)
	sd	x13, 12*8(sp)
	sd	x14, 13*8(sp)
	sd	x15, 14*8(sp)
	sd	x16, 15*8(sp)
	sd	x17, 16*8(sp)
	sd	x18, 17*8(sp)
	sd	x19, 18*8(sp)
	sd	x20, 19*8(sp)
	sd	x21, 20*8(sp)
	sd	x22, 21*8(sp)
	sd	x23, 22*8(sp)
	sd	x24, 23*8(sp)
	sd	x25, 24*8(sp)
	sd	x26, 25*8(sp)
	sd	x27, 26*8(sp)
	sd	x28, 27*8(sp)
	sd	x29, 28*8(sp)
	sd	x30, 29*8(sp)
	sd	x31, 30*8(sp)
	addi	t0, sp, TRAP_FRAME_SIZE
	sd	t0, 1*8(sp)
	csrr	t0, sstatus
	sd	t0, TRAP_FRAME_SSTATUS(sp)
	csrr	t0, sepc
	sd	t0, TRAP_FRAME_SEPC(sp)
	csrr	t0, scause
	sd	t0, TRAP_FRAME_SCAUSE(sp)
	csrr	t0, stval
	sd	t0, TRAP_FRAME_STVAL(sp)

	mv	a0, sp
	call	trap_handle

	ld	t0, TRAP_FRAME_SSTATUS(sp)
	csrw	sstatus, t0
	ld	t0, TRAP_FRAME_SEPC(sp)
	csrw	sepc, t0
	ld	x1, 0*8(sp)
	ld	x3, 2*8(sp)
	ld	x4, 3*8(sp)
	ld	x5, 4*8(sp)
	ld	x6, 5*8(sp)
	ld	x7, 6*8(sp)
	ld	x8, 7*8(sp)
	ld	x9, 8*8(sp)
	ld	x10, 9*8(sp)
	ld	x11, 10*8(sp)
	ld	x12, 11*8(sp)
	ld	x13, 12*8(sp)
	ld	x14, 13*8(sp)
	ld	x15, 14*8(sp)
	ld	x16, 15*8(sp)
	ld	x17, 16*8(sp)
	ld	x18, 17*8(sp)
	ld	x19, 18*8(sp)
	ld	x20, 19*8(sp)
	ld	x21, 20*8(sp)
	ld	x22, 21*8(sp)
	ld	x23, 22*8(sp)
	ld	x24, 23*8(sp)
	ld	x25, 24*8(sp)
	ld	x26, 25*8(sp)
	ld	x27, 26*8(sp)
	ld	x28, 27*8(sp)
	ld	x29, 28*8(sp)
	ld	x30, 29*8(sp)
	ld	x31, 30*8(sp)
	addi	sp, sp, TRAP_FRAME_SIZE
	sret
