/* SPDX-License-Identifier: MIT */
/*
 * Allocation traces: a text format, its parser, and a replay engine that
 * drives any allocator through two callbacks. The same source (bench/mmtrace.c)
 * builds into the kernel (the "trace" benchmark replays an embedded trace
 * through kmalloc/kfree) and into the host tool scripts/mmtrace, which
 * replays a trace file on any heap algorithm. Both print the same summary.
 *
 * Format (version 2): one operation per line, fields separated by blanks.
 *
 *	# mmtrace v2		the version line (optional; a trace without one
 *				is read as version 1, a subset of version 2)
 *	a ID SIZE [ALIGN]	allocate SIZE bytes (>= 1) at ALIGN (a power of
 *				two, 1..4096; default: the allocator's own)
 *	c ID N SIZE		allocate N elements of SIZE bytes (both >= 1),
 *				zero-filled (calloc); the replay checks the zeros
 *	r ID NEWID NEWSIZE	resize the block ID to NEWSIZE bytes (>= 1); it
 *				is called NEWID from then on (realloc: in place
 *				or moved, as the allocator decides)
 *	f ID			free the block allocated as ID
 *	# text			a comment; '#' may also end a line
 *
 * ID, SIZE, N and ALIGN are decimal. An ID names one allocation and is
 * never reused (a resize retires ID and makes NEWID live), so a replay only
 * needs to remember the IDs that are live: memory use is the live table,
 * whatever the length of the trace. A failed allocation stays in the table
 * (without a block) so that its later free is still a valid line; the free
 * then counts as a free of a failed allocation and calls nothing. A failed
 * resize keeps the old block, now under NEWID (as realloc() leaves the old
 * block to its caller); a resize of a failed allocation is an allocation.
 *
 * Errors in a line (malformed fields, a version line newer than 2, an ID
 * already live, a free or resize of an ID that is not live, a calloc block
 * that is not zero) are returned with a static reason string; the caller
 * adds "file:LINE: " and stops.
 */
#ifndef MM_MMTRACE_H
#define MM_MMTRACE_H

#include <mmlab/compiler.h>

#define MMTRACE_LINE_MAX	256	/* longest line, newline excluded */
#define MMTRACE_ALIGN_MAX	4096	/* largest ALIGN a line may give */
#define MMTRACE_VERSION		2	/* the newest format this code reads */
#define MMTRACE_VERSION_LINE	"# mmtrace v2"

enum mmtrace_kind {
	MMTRACE_SKIP,		/* blank line or comment */
	MMTRACE_ALLOC,
	MMTRACE_FREE,
	MMTRACE_CALLOC,		/* size = N * SIZE, count = N */
	MMTRACE_REALLOC,	/* id -> new_id, size = NEWSIZE */
};

/* One parsed line. */
struct mmtrace_op {
	enum mmtrace_kind kind;
	uint64_t id;
	uint64_t new_id;	/* MMTRACE_REALLOC only */
	uint64_t size;		/* bytes: ALLOC, CALLOC (N * SIZE), REALLOC */
	uint64_t count;		/* MMTRACE_CALLOC only: N */
	uint64_t align;		/* MMTRACE_ALLOC only; 0 = not given */
};

/*
 * mmtrace_parse_line - parse the @len bytes at @line (one line, without its
 * newline) into *@op.
 * Return: 0 on success (op->kind MMTRACE_SKIP for a blank or comment line);
 * -1 for a malformed line, with *@why pointing at a static reason.
 */
int mmtrace_parse_line(const char *line, size_t len, struct mmtrace_op *op,
		       const char **why);

/* Walks the lines of a trace held in memory (the kernel's embedded trace). */
struct mmtrace_cursor {
	const char *pos, *end;
	unsigned long lineno;	/* number of the line last returned, from 1 */
};

/* mmtrace_cursor_init - start at the first line of [@buf, @buf + @len). */
void mmtrace_cursor_init(struct mmtrace_cursor *c, const char *buf, size_t len);

/*
 * mmtrace_cursor_next - the next line, without its newline ('\n' or "\r\n").
 * Return: false at the end of the buffer, true with *@line and *@len set.
 */
bool mmtrace_cursor_next(struct mmtrace_cursor *c, const char **line, size_t *len);

struct mmtrace_replay;

/* What the replay calls. @ctx is the pointer given to mmtrace_replay_init(). */
struct mmtrace_ops {
	/* alloc - a block of @size bytes at @align (0: default); NULL on failure. */
	void *(*alloc)(void *ctx, size_t size, size_t align);
	/* free - release a block alloc returned. */
	void (*free)(void *ctx, void *ptr);
	/*
	 * calloc - a zero-filled block of @n * @size bytes (the product does
	 * not overflow); NULL on failure. NULL here: alloc, then zeroed by
	 * the replay.
	 */
	void *(*calloc)(void *ctx, size_t n, size_t size);
	/*
	 * realloc - resize the live block @ptr (@old_size bytes asked for) to
	 * @size bytes, keeping min(@old_size, @size) bytes; the new block, or
	 * NULL with @ptr untouched and still live.
	 */
	void *(*realloc)(void *ctx, void *ptr, size_t old_size, size_t size);
	/* largest_free - the largest allocation that would succeed now. */
	size_t (*largest_free)(void *ctx);
	/*
	 * table_alloc / table_free - memory for the live table when it must
	 * grow. table_alloc may be NULL: the table then keeps the capacity it
	 * was created with and a trace that needs more is refused.
	 */
	void *(*table_alloc)(void *ctx, size_t bytes);
	void (*table_free)(void *ctx, void *mem, size_t bytes);
	/*
	 * sample - called after every replay->sample_every-th operation (a
	 * fragmentation timeline); may be NULL.
	 */
	void (*sample)(void *ctx, const struct mmtrace_replay *r);
};

/* An entry of the live table: open addressing, linear probing. */
struct mmtrace_slot {
	uint64_t id;
	void *ptr;		/* NULL: the allocation failed */
	uint64_t size : 63;
	uint64_t used : 1;
};

/* Counters of one replay; the caller fills the "end" fields before printing. */
struct mmtrace_stats {
	unsigned long lines;		/* lines read, comments included */
	unsigned long allocs;		/* successful allocations (calloc too) */
	unsigned long callocs;		/* of which zero-filled */
	unsigned long reallocs;		/* successful resizes */
	unsigned long realloc_moves;	/* of which moved the block */
	unsigned long frees;		/* frees of live blocks */
	unsigned long failures;		/* allocations and resizes answered with NULL */
	unsigned long failed_frees;	/* frees of IDs whose allocation failed */
	uint64_t live_bytes;		/* requested bytes of live blocks */
	uint64_t live_blocks;
	uint64_t peak_live_bytes;
	unsigned long first_failure_line;	/* 0: no allocation failed */
	uint64_t failure_size;		/* the request that failed first */
	uint64_t failure_live_bytes;	/* live_bytes at that moment */
	uint64_t failure_largest_free;	/* largest_free() at that moment */
	uint64_t end_largest_free;	/* set by the caller: after the trace */
	unsigned end_validate;		/* set by the caller: problems found */
};

struct mmtrace_replay {
	const struct mmtrace_ops *ops;
	void *ctx;
	struct mmtrace_slot *slots;
	size_t cap;			/* slots, a power of two */
	size_t count;			/* IDs in the table */
	unsigned long ops_done;		/* operations applied */
	unsigned long sample_every;	/* 0: ops->sample is never called */
	struct mmtrace_stats st;
};

/*
 * mmtrace_replay_init - prepare a replay over the caller's table memory
 * @slots (@cap entries, a power of two, at least 4), cleared here.
 */
void mmtrace_replay_init(struct mmtrace_replay *r, const struct mmtrace_ops *ops,
			 void *ctx, struct mmtrace_slot *slots, size_t cap);

/* mmtrace_table_cap - Return: a table capacity that holds @live IDs. */
size_t mmtrace_table_cap(uint64_t live);

/*
 * mmtrace_replay_op - apply one parsed line (line number @lineno, for the
 * first-failure record).
 * Return: 0, or -1 with *@why set when the line cannot apply (ID already
 * live, ID not live, live table full); the replay is then unchanged.
 */
int mmtrace_replay_op(struct mmtrace_replay *r, const struct mmtrace_op *op,
		      unsigned long lineno, const char **why);

/*
 * mmtrace_replay_drain - free every block still live and empty the table,
 * so the allocator is whole again. Return: the blocks freed.
 */
uint64_t mmtrace_replay_drain(struct mmtrace_replay *r);

/* What mmtrace_scan() learns from a whole trace held in memory. */
struct mmtrace_scan {
	unsigned long lines;
	unsigned long ops;		/* allocations, resizes and frees */
	uint64_t max_live;		/* most IDs live at once */
	unsigned long bad_line;		/* first malformed line, 0: none */
	const char *why;		/* its reason */
};

/*
 * mmtrace_scan - parse every line of [@buf, @buf + @len) without replaying
 * it, to size the live table before a replay and to reject a bad trace
 * before anything is allocated. Only the syntax is checked (an ID freed
 * twice shows up in the replay).
 * Return: 0, or -1 with out->bad_line and out->why set.
 */
int mmtrace_scan(const char *buf, size_t len, struct mmtrace_scan *out);

/* The printer mmtrace_stats_print() writes through (printk- or printf-like). */
typedef void (*mmtrace_out_fn)(void *arg, const char *fmt, ...);

/*
 * mmtrace_stats_print - write the summary as one JSON object on one line
 * (no prefix, no newline). Utilisation is live bytes at the first
 * failure divided by @heap_size.
 */
void mmtrace_stats_print(const struct mmtrace_stats *s, uint64_t heap_size,
			 mmtrace_out_fn out, void *arg);

/*
 * mmtrace_ratio_split - @num / @den as a whole part and millionths, for
 * printing "%lu.%06lu" without floating point. @den 0 gives 0.000000.
 */
void mmtrace_ratio_split(uint64_t num, uint64_t den, unsigned long *whole,
			 unsigned long *millionths);

#endif /* MM_MMTRACE_H */
