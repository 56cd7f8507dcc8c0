/* SPDX-License-Identifier: MIT */
/*
 * Spinlocks whose lock word is the owner: 0 when free, hart id + 1 when held,
 * taken with one compare-and-swap. A lock so remembers the
 * hart holding it, so taking a lock the same hart already holds panics with
 * the lock's name ("spin_lock: recursive acquire of frame_lock on hart 0")
 * instead of spinning forever: the classic trap of freeing a frame handle
 * while the allocator's lock is held ends in a clear message.
 *
 * The lock sits in the structure it guards (xv6 style); hold it only around
 * the data it protects. Functions named __foo expect the caller to hold it.
 *
 * Ordering under real parallelism (CONFIG_SMP, multi-threaded QEMU): the
 * compare-and-swap that takes the lock is an acquire (lr.w.aq/sc.w on
 * rv64imac), so no access inside the critical section moves above it; the
 * store that frees it is a release (fence rw,w; sw), so none moves below.
 * A hart waits with plain loads and retries the swap only once the word
 * reads free, so waiters do not keep the line's reservation busy.
 *
 * CONFIG_LOCK_STAT: each lock counts its acquisitions, the acquisitions
 * that found it held (contended) and the failed swaps and wait-loop reads
 * (spins), all updated by the holder, so plain adds suffice. A lock
 * registered with LOCK_STAT_REGISTER() is listed by the "locks" benchmark.
 */
#ifndef MMLAB_SPINLOCK_H
#define MMLAB_SPINLOCK_H

#include <mmlab/compiler.h>
#include <mmlab/panic.h>
#include <mmlab/registry.h>

struct spinlock {
	uint32_t owner;		/* hart id + 1 of the holder; 0 when free */
	const char *name;
#ifdef CONFIG_LOCK_STAT
	unsigned long acquired;		/* times taken */
	unsigned long contended;	/* of those, times it was held by another hart */
	unsigned long spins;		/* failed swaps plus wait-loop reads */
#endif
};

#ifdef CONFIG_LOCK_STAT
/* Count one acquisition of @lock after @spins spins (the caller holds it). */
static inline void lock_stat_note(struct spinlock *lock, unsigned long spins)
{
	lock->acquired++;
	lock->contended += spins != 0;
	lock->spins += spins;
}

/* An entry of the lock_stats table: a lock whose counters may be read and reset. */
typedef struct spinlock *lock_stat_entry;

/* LOCK_STAT_REGISTER - list @lockp (a constant address) for the "locks" benchmark. */
#define LOCK_STAT_REGISTER(ident, lockp)					\
	static REGISTRY_ENTRY(lock_stats, lock_stat_entry, lock_stat_##ident) = (lockp)
REGISTRY_DECLARE(lock_stats, lock_stat_entry);
#else
static inline void lock_stat_note(struct spinlock *lock, unsigned long spins)
{
	(void)lock;
	(void)spins;
}
#define LOCK_STAT_REGISTER(ident, lockp)
#endif

#define SPINLOCK_INIT(lockname)	{ .owner = 0, .name = #lockname }

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

/* The value a lock holds while this hart owns it. */
static inline uint32_t spin_owner_tag(void)
{
	return (uint32_t)hart_id() + 1;
}

/* spin_is_held - true when the calling hart holds @lock. */
static inline bool spin_is_held(const struct spinlock *lock)
{
	return __atomic_load_n(&lock->owner, __ATOMIC_RELAXED) == spin_owner_tag();
}

/*
 * spin_lock - take @lock, spinning while another hart holds it. Panics when
 * the calling hart already holds it (that would deadlock). The lock word
 * holds the owner itself, so taking a free lock is one compare-and-swap
 * (an lr/sc pair on RISC-V).
 */
static inline void spin_lock(struct spinlock *lock)
{
	uint32_t me = spin_owner_tag();
	unsigned long spins = 0;

	for (;;) {
		uint32_t old = 0;

		if (likely(__atomic_compare_exchange_n(&lock->owner, &old, me, false,
						       __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))) {
			lock_stat_note(lock, spins);
			return;
		}
		if (unlikely(old == me))
			panic("spin_lock: recursive acquire of %s on hart %ld",
			      lock->name, hart_id());
		spins++;
		while (__atomic_load_n(&lock->owner, __ATOMIC_RELAXED))
			spins++;
	}
}

/*
 * spin_trylock - take @lock if it is free, with one compare-and-swap.
 * Return: true when the calling hart now holds it; false when any hart
 * (this one included) holds it. Never spins and never panics, so a fast
 * path can hand every other case to a slow path that calls spin_lock().
 */
static inline bool spin_trylock(struct spinlock *lock)
{
	uint32_t old = 0;

	if (!__atomic_compare_exchange_n(&lock->owner, &old, spin_owner_tag(), false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return false;	/* the spin_lock() of the slow path counts the wait */
	lock_stat_note(lock, 0);
	return true;
}

/*
 * __spin_unlock - release @lock, which the caller took itself earlier on
 * the same path (spin_lock() or spin_trylock() returned there): the
 * ownership check of spin_unlock() could not fail, so it is left out.
 */
static inline void __spin_unlock(struct spinlock *lock)
{
	__atomic_store_n(&lock->owner, 0, __ATOMIC_RELEASE);
}

/* spin_unlock - release @lock, which the calling hart must hold. */
static inline void spin_unlock(struct spinlock *lock)
{
	if (unlikely(!spin_is_held(lock)))
		panic("spin_unlock: %s is not held by hart %ld", lock->name, hart_id());
	__atomic_store_n(&lock->owner, 0, __ATOMIC_RELEASE);
}

#endif /* MMLAB_SPINLOCK_H */
