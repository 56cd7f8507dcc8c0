/* SPDX-License-Identifier: MIT */
/*
 * Trap handling: the register frame saved on every trap, the handler entry,
 * and the timer tick counter.
 */
#ifndef MMLAB_TRAP_H
#define MMLAB_TRAP_H

#ifndef __ASSEMBLY__
#include <mmlab/compiler.h>

/*
 * The frame arch/riscv/entry.S saves on the stack: x1..x31 in order (regs[i]
 * is x(i+1)), then the supervisor CSRs. Keep in sync with TRAP_FRAME_*.
 */
struct trap_frame {
	unsigned long regs[31];
	unsigned long sstatus;
	unsigned long sepc;
	unsigned long scause;
	unsigned long stval;
};

/* Register names as printed by trap_frame_print(), x1..x31. */
extern const char *const trap_reg_names[31];

/* trap_init - install the trap vector; traps are handled from then on. */
void trap_init(void);

/* trap_handle - C entry from entry.S; may change @tf (e.g. sepc). */
void trap_handle(struct trap_frame *tf);

/* trap_frame_print - dump every register of @tf to the console. */
void trap_frame_print(const struct trap_frame *tf);

/* trap_current_frame - the frame of the trap being handled, or NULL. */
const struct trap_frame *trap_current_frame(void);

/* trap_cause_name - human name of an exception cause ("Illegal instruction"). */
const char *trap_cause_name(unsigned long scause);

/* Number of breakpoint (ebreak) traps handled so far. */
unsigned long trap_breakpoint_count(void);

/*
 * trap_probe_read - read one byte at physical address @addr, catching the
 * access fault a missing address raises. Return: true when the byte is
 * there. For checking that RAM the firmware describes exists.
 */
bool trap_probe_read(unsigned long addr);

/* Timer: start ticking at the configured rate; tick count since timer_init(). */
void timer_init(unsigned long timebase_hz);
unsigned long timer_ticks(void);
/* timer_handle - count one supervisor timer interrupt and arm the next one;
 * called by the trap handler only. */
void timer_handle(void);
#endif

#define TRAP_FRAME_SIZE		(35 * 8)
#define TRAP_FRAME_SSTATUS	(31 * 8)
#define TRAP_FRAME_SEPC		(32 * 8)
#define TRAP_FRAME_SCAUSE	(33 * 8)
#define TRAP_FRAME_STVAL	(34 * 8)

#ifndef __ASSEMBLY__
BUILD_BUG_ON(sizeof(struct trap_frame) != TRAP_FRAME_SIZE);
BUILD_BUG_ON(offsetof(struct trap_frame, sepc) != TRAP_FRAME_SEPC);
BUILD_BUG_ON(offsetof(struct trap_frame, stval) != TRAP_FRAME_STVAL);
#endif

#endif /* MMLAB_TRAP_H */
