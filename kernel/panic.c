// SPDX-License-Identifier: MIT
/*
 * panic(): print "Kernel panic: <message>", the trap registers when a trap
 * is being handled, a backtrace, and end QEMU with EXIT_PANIC. A panic
 * while panicking skips straight to the exit.
 */
#include <asm/csr.h>
#include <mmlab/kernel.h>
#include <mmlab/panic.h>
#include <mmlab/printk.h>
#include <mmlab/trap.h>

static bool panicking;

void panic(const char *fmt, ...)
{
	const struct trap_frame *tf = trap_current_frame();
	va_list ap;

	csr_clear(sstatus, SSTATUS_SIE);
	if (panicking)
		machine_exit(EXIT_PANIC);
	panicking = true;

	printk("Kernel panic: ");
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
	printk("\n");

	if (tf) {
		printk("Trap registers:\n");
		trap_frame_print(tf);
		backtrace_print(tf->sepc, tf->regs[7]);
	} else {
		/* Start in panic()'s caller: its pc and its frame pointer. */
		unsigned long *fp = __builtin_frame_address(0);

		backtrace_print((unsigned long)__builtin_return_address(0) - 4, fp[-2]);
	}
	printk("---[ end Kernel panic ]---\n");
	machine_exit(EXIT_PANIC);
}
