/* SPDX-License-Identifier: MIT */
/* Supervisor CSR numbers, bits and accessors. */
#ifndef ASM_CSR_H
#define ASM_CSR_H

#define SSTATUS_SIE	(1UL << 1)
#define SIE_STIE	(1UL << 5)
#define SCAUSE_INTERRUPT (1UL << 63)
#define IRQ_S_TIMER	5

#define EXC_INST_MISALIGNED	0
#define EXC_INST_ACCESS		1
#define EXC_ILLEGAL_INST	2
#define EXC_BREAKPOINT		3
#define EXC_LOAD_MISALIGNED	4
#define EXC_LOAD_ACCESS		5
#define EXC_STORE_MISALIGNED	6
#define EXC_STORE_ACCESS	7
#define EXC_ECALL_U		8
#define EXC_ECALL_S		9
#define EXC_INST_PAGE_FAULT	12
#define EXC_LOAD_PAGE_FAULT	13
#define EXC_STORE_PAGE_FAULT	15

#ifndef __ASSEMBLY__
#include <stdbool.h>

#define csr_read(csr) ({						\
	unsigned long __v;						\
	__asm__ volatile("csrr %0, " #csr : "=r"(__v) :: "memory");	\
	__v;								\
})

#define csr_write(csr, val) \
	__asm__ volatile("csrw " #csr ", %0" :: "rK"(val) : "memory")

#define csr_set(csr, val) \
	__asm__ volatile("csrs " #csr ", %0" :: "rK"(val) : "memory")

#define csr_clear(csr, val) \
	__asm__ volatile("csrc " #csr ", %0" :: "rK"(val) : "memory")

/* Instructions retired: exact and repeatable under QEMU -icount shift=0. */
static inline unsigned long rdinstret(void)
{
	unsigned long v;

	__asm__ volatile("rdinstret %0" : "=r"(v));
	return v;
}

/*
 * rdinstret_exact - true when rdinstret counts guest instructions exactly
 * (QEMU -icount shift=0): back-to-back reads then differ by one, every time.
 * Without -icount the counter follows host ticks, which never advance by
 * exactly one between two reads.
 */
static inline bool rdinstret_exact(void)
{
	unsigned long a = rdinstret(), b = rdinstret(), c = rdinstret();

	return b - a == 1 && c - b == 1;
}

static inline unsigned long rdcycle(void)
{
	unsigned long v;

	__asm__ volatile("rdcycle %0" : "=r"(v));
	return v;
}

static inline unsigned long rdtime(void)
{
	unsigned long v;

	__asm__ volatile("rdtime %0" : "=r"(v));
	return v;
}

/* Disable interrupts, returning the previous state for irq_restore(). */
static inline unsigned long irq_save(void)
{
	unsigned long v;

	__asm__ volatile("csrrc %0, sstatus, %1" : "=r"(v) : "rK"(SSTATUS_SIE) : "memory");
	return v & SSTATUS_SIE;
}

static inline void irq_restore(unsigned long flags)
{
	if (flags)
		csr_set(sstatus, SSTATUS_SIE);
}
#endif

#endif /* ASM_CSR_H */
