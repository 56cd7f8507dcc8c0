// SPDX-License-Identifier: MIT
/*
 * Allocation traces: parser, line cursor, live table and replay engine (the
 * format and the contract are in <bench/mmtrace.h>).
 *
 * Design. The parser reads one line at a time and never allocates, so a
 * caller can stream a trace of any length. The replay keeps only the IDs
 * that are live, in an open-addressing hash table with linear probing and
 * backward-shift deletion (no tombstones, so a long trace cannot clog it).
 * The table is kept at most three quarters full; when it would pass that,
 * it doubles through the caller's table_alloc, or the line is refused.
 * Nothing here knows which allocator runs underneath: the kernel passes
 * kmalloc/kfree wrappers that time each call, the host tool an algorithm's
 * own alloc/free over a private region.
 */
#include <lib/string.h>
#include <bench/mmtrace.h>

/* ------------------------------------------------------------------ */
/* Parsing                                                             */
/* ------------------------------------------------------------------ */

/* A field of a line: [start, start + len). */
struct field {
	const char *start;
	size_t len;
};

static bool char_is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/*
 * Split @line into up to @max fields, stopping at a '#'. Return: the number
 * of fields, or max + 1 when there are more.
 */
static size_t line_split(const char *line, size_t len, struct field *f, size_t max)
{
	size_t i = 0, n = 0;

	while (i < len && line[i] != '#') {
		size_t start;

		if (char_is_blank(line[i])) {
			i++;
			continue;
		}
		start = i;
		while (i < len && !char_is_blank(line[i]) && line[i] != '#')
			i++;
		if (n == max)
			return max + 1;
		f[n].start = line + start;
		f[n].len = i - start;
		n++;
	}
	return n;
}

/* Parse a decimal field into *@v. Return: false unless all digits and no overflow. */
static bool field_number(const struct field *f, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (f->len == 0)
		return false;
	for (i = 0; i < f->len; i++) {
		unsigned d = (unsigned char)f->start[i] - '0';

		if (d > 9 || x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*v = x;
	return true;
}

/*
 * A version line "# mmtrace vN": Return: false when @line is one naming a
 * version newer than MMTRACE_VERSION (any other comment is fine).
 */
static bool version_supported(const char *line, size_t len)
{
	static const char tag[] = "# mmtrace v";
	struct field f = { line + sizeof(tag) - 1, len - (sizeof(tag) - 1) };
	uint64_t v;

	if (len < sizeof(tag) || memcmp(line, tag, sizeof(tag) - 1))
		return true;
	while (f.len && char_is_blank(f.start[f.len - 1]))
		f.len--;
	return !field_number(&f, &v) || v <= MMTRACE_VERSION;
}

/* The fields each operation takes after its letter: usage and count. */
struct op_syntax {
	char letter;
	enum mmtrace_kind kind;
	size_t min, max;	/* fields, the letter included */
	const char *usage;
};

static const struct op_syntax op_syntaxes[] = {
	{ 'a', MMTRACE_ALLOC, 3, 4, "too many fields (a ID SIZE [ALIGN])" },
	{ 'c', MMTRACE_CALLOC, 4, 4, "a calloc takes ID N SIZE" },
	{ 'r', MMTRACE_REALLOC, 4, 4, "a realloc takes ID NEWID NEWSIZE" },
	{ 'f', MMTRACE_FREE, 2, 2, "a free takes only an ID" },
};

/* Parse the fields after the ID of a line of @syn's kind into *@op. */
static int op_fields_parse(const struct op_syntax *syn, const struct field *f,
			   struct mmtrace_op *op, const char **why)
{
	const struct field *size = &f[2];

	if (syn->kind == MMTRACE_CALLOC) {
		if (!field_number(&f[2], &op->count) || op->count == 0) {
			*why = "N is not a decimal number of at least 1";
			return -1;
		}
		size = &f[3];
	} else if (syn->kind == MMTRACE_REALLOC && !field_number(&f[2], &op->new_id)) {
		*why = "NEWID is not a decimal number";
		return -1;
	}
	if (syn->kind == MMTRACE_REALLOC)
		size = &f[3];
	if (!field_number(size, &op->size) || op->size == 0) {
		*why = "SIZE is not a decimal number of at least 1";
		return -1;
	}
	if (syn->kind == MMTRACE_CALLOC && op->size > UINT64_MAX / op->count) {
		*why = "N * SIZE overflows";
		return -1;
	}
	op->size *= syn->kind == MMTRACE_CALLOC ? op->count : 1;
	return 0;
}

int mmtrace_parse_line(const char *line, size_t len, struct mmtrace_op *op,
		       const char **why)
{
	const struct op_syntax *syn = NULL;
	struct field f[4];
	size_t n, i;

	*op = (struct mmtrace_op){ .kind = MMTRACE_SKIP };
	if (len > MMTRACE_LINE_MAX) {
		*why = "line too long";
		return -1;
	}
	if (!version_supported(line, len)) {
		*why = "trace format newer than this replay (it reads up to v2)";
		return -1;
	}
	n = line_split(line, len, f, ARRAY_SIZE(f));
	if (n == 0)
		return 0;
	for (i = 0; f[0].len == 1 && i < ARRAY_SIZE(op_syntaxes); i++)
		if (f[0].start[0] == op_syntaxes[i].letter)
			syn = &op_syntaxes[i];
	if (!syn) {
		*why = "unknown operation (expected 'a', 'c', 'r' or 'f')";
		return -1;
	}
	if (n < 2 || !field_number(&f[1], &op->id)) {
		*why = n < 2 ? "missing ID" : "ID is not a decimal number";
		return -1;
	}
	if (n < syn->min || n > syn->max) {
		*why = n < syn->min && syn->kind == MMTRACE_ALLOC ? "missing SIZE" : syn->usage;
		return -1;
	}
	if (syn->kind != MMTRACE_FREE && op_fields_parse(syn, f, op, why))
		return -1;
	if (n == 4 && syn->kind == MMTRACE_ALLOC &&
	    (!field_number(&f[3], &op->align) || !IS_POWER_OF_2(op->align) ||
	     op->align > MMTRACE_ALIGN_MAX)) {
		*why = "ALIGN is not a power of two from 1 to 4096";
		return -1;
	}
	op->kind = syn->kind;
	return 0;
}

void mmtrace_cursor_init(struct mmtrace_cursor *c, const char *buf, size_t len)
{
	c->pos = buf;
	c->end = buf + len;
	c->lineno = 0;
}

bool mmtrace_cursor_next(struct mmtrace_cursor *c, const char **line, size_t *len)
{
	const char *p = c->pos;

	if (p >= c->end)
		return false;
	while (p < c->end && *p != '\n')
		p++;
	*line = c->pos;
	*len = (size_t)(p - c->pos);
	if (*len && (*line)[*len - 1] == '\r')
		(*len)--;
	c->pos = p < c->end ? p + 1 : p;
	c->lineno++;
	return true;
}

int mmtrace_scan(const char *buf, size_t len, struct mmtrace_scan *out)
{
	struct mmtrace_cursor c;
	struct mmtrace_op op;
	uint64_t live = 0;
	const char *line;
	size_t n;

	*out = (struct mmtrace_scan){ 0 };
	mmtrace_cursor_init(&c, buf, len);
	while (mmtrace_cursor_next(&c, &line, &n)) {
		out->lines++;
		if (mmtrace_parse_line(line, n, &op, &out->why)) {
			out->bad_line = c.lineno;
			return -1;
		}
		if (op.kind == MMTRACE_ALLOC || op.kind == MMTRACE_CALLOC) {
			live++;
			out->max_live = MAX(out->max_live, live);
		} else if (op.kind == MMTRACE_FREE && live) {
			live--;
		}
		out->ops += op.kind != MMTRACE_SKIP;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Live table                                                          */
/* ------------------------------------------------------------------ */

static size_t slot_home(const struct mmtrace_replay *r, uint64_t id)
{
	return (size_t)((id * 0x9e3779b97f4a7c15ULL) >> 17) & (r->cap - 1);
}

/* The slot holding @id, or NULL. */
static struct mmtrace_slot *slot_find(struct mmtrace_replay *r, uint64_t id)
{
	size_t i = slot_home(r, id);

	while (r->slots[i].used) {
		if (r->slots[i].id == id)
			return &r->slots[i];
		i = (i + 1) & (r->cap - 1);
	}
	return NULL;
}

/* Put @s in the first empty slot of its probe sequence (the ID is absent). */
static void slot_place(struct mmtrace_replay *r, const struct mmtrace_slot *s)
{
	size_t i = slot_home(r, s->id);

	while (r->slots[i].used)
		i = (i + 1) & (r->cap - 1);
	r->slots[i] = *s;
}

/*
 * Empty @s and shift later entries of its cluster back, so every entry
 * stays reachable from its home slot without tombstones.
 */
static void slot_remove(struct mmtrace_replay *r, struct mmtrace_slot *s)
{
	size_t hole = (size_t)(s - r->slots), i = hole;

	for (;;) {
		size_t home;

		i = (i + 1) & (r->cap - 1);
		if (!r->slots[i].used)
			break;
		home = slot_home(r, r->slots[i].id);
		/* Move it unless its home lies cyclically in (hole, i]. */
		if (((i - home) & (r->cap - 1)) >= ((i - hole) & (r->cap - 1))) {
			r->slots[hole] = r->slots[i];
			hole = i;
		}
	}
	r->slots[hole].used = 0;
	r->count--;
}

size_t mmtrace_table_cap(uint64_t live)
{
	size_t cap = 4;

	while (cap / 4 * 3 < live + 1)
		cap *= 2;
	return cap;
}

/* Make room for one more ID. Return: false when the table is full and cannot grow. */
static bool table_reserve(struct mmtrace_replay *r)
{
	struct mmtrace_slot *old = r->slots;
	size_t old_cap = r->cap, i, bytes;

	if (r->count + 1 <= r->cap / 4 * 3)
		return true;
	if (!r->ops->table_alloc)
		return false;
	bytes = 2 * old_cap * sizeof(*old);
	r->slots = r->ops->table_alloc(r->ctx, bytes);
	if (!r->slots) {
		r->slots = old;
		return false;
	}
	memset(r->slots, 0, bytes);
	r->cap = 2 * old_cap;
	for (i = 0; i < old_cap; i++)
		if (old[i].used)
			slot_place(r, &old[i]);
	r->ops->table_free(r->ctx, old, old_cap * sizeof(*old));
	return true;
}

/* ------------------------------------------------------------------ */
/* Replay                                                              */
/* ------------------------------------------------------------------ */

void mmtrace_replay_init(struct mmtrace_replay *r, const struct mmtrace_ops *ops,
			 void *ctx, struct mmtrace_slot *slots, size_t cap)
{
	*r = (struct mmtrace_replay){ .ops = ops, .ctx = ctx, .slots = slots, .cap = cap };
	memset(slots, 0, cap * sizeof(*slots));
}

/* Count a block of @size bytes at @ptr (NULL: the request failed) on line @lineno. */
static void stats_count_block(struct mmtrace_replay *r, uint64_t size, const void *ptr,
			      unsigned long lineno)
{
	struct mmtrace_stats *st = &r->st;

	if (ptr) {
		st->live_bytes += size;
		st->peak_live_bytes = MAX(st->peak_live_bytes, st->live_bytes);
		return;
	}
	st->failures++;
	if (!st->first_failure_line) {
		st->first_failure_line = lineno;
		st->failure_size = size;
		st->failure_live_bytes = st->live_bytes;
		st->failure_largest_free = r->ops->largest_free(r->ctx);
	}
}

/* A zero-filled block of @op's N * SIZE bytes, through calloc or alloc + memset. */
static void *block_calloc(struct mmtrace_replay *r, const struct mmtrace_op *op)
{
	void *p;

	if (r->ops->calloc)
		return r->ops->calloc(r->ctx, (size_t)op->count, (size_t)(op->size / op->count));
	p = r->ops->alloc(r->ctx, (size_t)op->size, 0);
	if (p)
		memset(p, 0, (size_t)op->size);
	return p;
}

/* Return: true when the @len bytes at @p are all zero. */
static bool bytes_are_zero(const unsigned char *p, size_t len)
{
	while (len && !*p) {
		p++;
		len--;
	}
	return len == 0;
}

static int replay_alloc(struct mmtrace_replay *r, const struct mmtrace_op *op,
			unsigned long lineno, const char **why)
{
	struct mmtrace_slot s = { .id = op->id, .size = op->size, .used = 1 };
	bool zeroed = op->kind == MMTRACE_CALLOC;

	if (slot_find(r, op->id)) {
		*why = "ID is already live (IDs are never reused)";
		return -1;
	}
	if (!table_reserve(r)) {
		*why = "live table full";
		return -1;
	}
	if (op->size <= SIZE_MAX)
		s.ptr = zeroed ? block_calloc(r, op) : r->ops->alloc(r->ctx, op->size, op->align);
	stats_count_block(r, op->size, s.ptr, lineno);
	if (s.ptr) {
		r->st.allocs++;
		r->st.callocs += zeroed;
		r->st.live_blocks++;
	}
	slot_place(r, &s);
	r->count++;
	if (zeroed && s.ptr && !bytes_are_zero(s.ptr, (size_t)op->size)) {
		*why = "calloc returned a block that is not zero-filled";
		return -1;
	}
	return 0;
}

/* Resize @ptr (@old bytes) to @size: the callback, or alloc + copy + free. */
static void *block_realloc(struct mmtrace_replay *r, void *ptr, size_t old, size_t size)
{
	void *q;

	if (r->ops->realloc)
		return r->ops->realloc(r->ctx, ptr, old, size);
	q = r->ops->alloc(r->ctx, size, 0);
	if (q) {
		memcpy(q, ptr, MIN(old, size));
		r->ops->free(r->ctx, ptr);
	}
	return q;
}

static int replay_realloc(struct mmtrace_replay *r, const struct mmtrace_op *op,
			  unsigned long lineno, const char **why)
{
	struct mmtrace_slot *s = slot_find(r, op->id), moved;
	void *q = NULL;

	if (!s) {
		*why = "realloc of an ID that is not live";
		return -1;
	}
	if (op->new_id == op->id || slot_find(r, op->new_id)) {
		*why = "NEWID is already live (IDs are never reused)";
		return -1;
	}
	moved = *s;
	if (op->size <= SIZE_MAX)
		q = s->ptr ? block_realloc(r, s->ptr, s->size, (size_t)op->size) :
			     r->ops->alloc(r->ctx, (size_t)op->size, 0);
	if (q && s->ptr) {
		r->st.reallocs++;
		r->st.realloc_moves += q != s->ptr;
		r->st.live_bytes -= s->size;
	} else if (q) {
		r->st.allocs++;
		r->st.live_blocks++;
	}
	stats_count_block(r, op->size, q, lineno);
	if (q) {
		moved.ptr = q;
		moved.size = op->size;
	}
	moved.id = op->new_id;
	slot_remove(r, s);
	slot_place(r, &moved);
	r->count++;
	return 0;
}

static int replay_free(struct mmtrace_replay *r, const struct mmtrace_op *op,
		       const char **why)
{
	struct mmtrace_slot *s = slot_find(r, op->id);

	if (!s) {
		*why = "free of an ID that is not live";
		return -1;
	}
	if (s->ptr) {
		r->ops->free(r->ctx, s->ptr);
		r->st.frees++;
		r->st.live_blocks--;
		r->st.live_bytes -= s->size;
	} else {
		r->st.failed_frees++;
	}
	slot_remove(r, s);
	return 0;
}

/* Apply @op (not a skip). Return: 0, or -1 with *@why set. */
static int replay_apply(struct mmtrace_replay *r, const struct mmtrace_op *op,
			unsigned long lineno, const char **why)
{
	switch (op->kind) {
	case MMTRACE_ALLOC:
	case MMTRACE_CALLOC:
		return replay_alloc(r, op, lineno, why);
	case MMTRACE_REALLOC:
		return replay_realloc(r, op, lineno, why);
	default:
		return replay_free(r, op, why);
	}
}

int mmtrace_replay_op(struct mmtrace_replay *r, const struct mmtrace_op *op,
		      unsigned long lineno, const char **why)
{
	if (op->kind == MMTRACE_SKIP)
		return 0;
	if (replay_apply(r, op, lineno, why))
		return -1;
	r->ops_done++;
	if (r->sample_every && r->ops->sample && r->ops_done % r->sample_every == 0)
		r->ops->sample(r->ctx, r);
	return 0;
}

uint64_t mmtrace_replay_drain(struct mmtrace_replay *r)
{
	uint64_t freed = 0;
	size_t i;

	for (i = 0; i < r->cap; i++) {
		struct mmtrace_slot *s = &r->slots[i];

		if (!s->used)
			continue;
		if (s->ptr) {
			r->ops->free(r->ctx, s->ptr);
			r->st.live_blocks--;
			r->st.live_bytes -= s->size;
			freed++;
		}
		s->used = 0;
	}
	r->count = 0;
	return freed;
}

/* ------------------------------------------------------------------ */
/* Output                                                              */
/* ------------------------------------------------------------------ */

void mmtrace_ratio_split(uint64_t num, uint64_t den, unsigned long *whole,
			 unsigned long *millionths)
{
	*whole = den ? (unsigned long)(num / den) : 0;
	*millionths = den ? (unsigned long)((num % den) * 1000000 / den) : 0;
}

void mmtrace_stats_print(const struct mmtrace_stats *s, uint64_t heap_size,
			 mmtrace_out_fn out, void *arg)
{
	unsigned long whole, frac;

	mmtrace_ratio_split(s->failure_live_bytes, heap_size, &whole, &frac);
	out(arg, "{\"lines\":%lu,\"allocs\":%lu,\"callocs\":%lu,\"reallocs\":%lu,"
	    "\"realloc_moves\":%lu,\"frees\":%lu,\"failures\":%lu,"
	    "\"failed_frees\":%lu,\"peak_live_bytes\":%llu,",
	    s->lines, s->allocs, s->callocs, s->reallocs, s->realloc_moves, s->frees,
	    s->failures, s->failed_frees, (unsigned long long)s->peak_live_bytes);
	out(arg, "\"first_failure_line\":%lu,\"failure_size\":%llu,"
	    "\"live_bytes_at_failure\":%llu,\"util_at_failure\":%lu.%06lu,"
	    "\"largest_free_at_failure\":%llu,",
	    s->first_failure_line, (unsigned long long)s->failure_size,
	    (unsigned long long)s->failure_live_bytes, whole, frac,
	    (unsigned long long)s->failure_largest_free);
	out(arg, "\"live_blocks_end\":%llu,\"live_bytes_end\":%llu,"
	    "\"largest_free_end\":%llu,\"validate\":%u}",
	    (unsigned long long)s->live_blocks, (unsigned long long)s->live_bytes,
	    (unsigned long long)s->end_largest_free, s->end_validate);
}
