/* SPDX-License-Identifier: MIT */
/*
 * Intrusive circular doubly linked list. A struct list_head is embedded in the
 * object it links; the head of a list is a struct list_head of its own. All
 * operations are O(1) and never allocate.
 */
#ifndef LIB_LIST_H
#define LIB_LIST_H

#include <mmlab/compiler.h>

struct list_head {
	struct list_head *next, *prev;
};

#define LIST_HEAD_INIT(name) { &(name), &(name) }

/* list_init - make @head an empty list (or an unlinked node). */
static inline void list_init(struct list_head *head)
{
	head->next = head;
	head->prev = head;
}

static inline void __list_insert(struct list_head *node,
				 struct list_head *prev, struct list_head *next)
{
	next->prev = node;
	node->next = next;
	node->prev = prev;
	prev->next = node;
}

/* list_add - insert @node right after @head (stack order). */
static inline void list_add(struct list_head *node, struct list_head *head)
{
	__list_insert(node, head, head->next);
}

/* list_add_tail - insert @node right before @head (queue order). */
static inline void list_add_tail(struct list_head *node, struct list_head *head)
{
	__list_insert(node, head->prev, head);
}

/* list_del - unlink @node from its list and leave it pointing at itself. */
static inline void list_del(struct list_head *node)
{
	node->next->prev = node->prev;
	node->prev->next = node->next;
	list_init(node);
}

/* list_empty - true when @head has no nodes. */
static inline bool list_empty(const struct list_head *head)
{
	return head->next == head;
}

#define list_entry(ptr, type, member)	container_of(ptr, type, member)
#define list_first_entry(head, type, member) \
	list_entry((head)->next, type, member)

#define list_for_each(pos, head) \
	for (pos = (head)->next; pos != (head); pos = pos->next)

/* Safe against removal of @pos: @tmp holds the next node. */
#define list_for_each_safe(pos, tmp, head) \
	for (pos = (head)->next, tmp = pos->next; pos != (head); \
	     pos = tmp, tmp = pos->next)

#endif /* LIB_LIST_H */
