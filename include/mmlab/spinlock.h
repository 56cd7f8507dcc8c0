/* SPDX-License-Identifier: MIT */
/*
 * Spinlocks built on an atomic swap (amoswap.w.aq). A lock remembers the
 * hart holding it, so taking a lock the same hart already holds panics with
 * the lock's name ("spin_lock: recursive acquire of frame_lock on hart 0")
 * instead of spinning forever: the classic trap of freeing a frame handle
 * while the allocator's lock is held ends in a clear message.
 *
 * The lock sits in the structure it guards (xv6 style); hold it only around
 * the data it protects. Functions named __foo expect the caller to hold it.
 */
#ifndef MMLAB_SPINLOCK_H
#define MMLAB_SPINLOCK_H

#include <mmlab/compiler.h>
#include <mmlab/panic.h>

#define SPINLOCK_NO_OWNER	(-1L)

struct spinlock {
	uint32_t locked;
	long owner;		/* hart id of the holder, SPINLOCK_NO_OWNER when free */
	const char *name;
};

#define SPINLOCK_INIT(lockname) \
	{ .locked = 0, .owner = SPINLOCK_NO_OWNER, .name = #lockname }

/* The hart this code runs on (head.S keeps it in tp). */
static inline long hart_id(void)
{
#ifdef MMLAB_HOST
	return 0;
#else
	long id;

	__asm__("mv %0, tp" : "=r"(id));
	return id;
#endif
}

/* spin_is_held - true when the calling hart holds @lock. */
static inline bool spin_is_held(const struct spinlock *lock)
{
	return __atomic_load_n(&lock->locked, __ATOMIC_RELAXED) &&
	       lock->owner == hart_id();
}

/*
 * spin_lock - take @lock, spinning while another hart holds it. Panics when
 * the calling hart already holds it (that would deadlock).
 */
static inline void spin_lock(struct spinlock *lock)
{
	if (unlikely(spin_is_held(lock)))
		panic("spin_lock: recursive acquire of %s on hart %ld",
		      lock->name, lock->owner);
	while (__atomic_exchange_n(&lock->locked, 1, __ATOMIC_ACQUIRE))
		;
	lock->owner = hart_id();
}

/* spin_unlock - release @lock, which the calling hart must hold. */
static inline void spin_unlock(struct spinlock *lock)
{
	if (unlikely(!spin_is_held(lock)))
		panic("spin_unlock: %s is not held by hart %ld", lock->name, hart_id());
	lock->owner = SPINLOCK_NO_OWNER;
	__atomic_store_n(&lock->locked, 0, __ATOMIC_RELEASE);
}

#endif /* MMLAB_SPINLOCK_H */
