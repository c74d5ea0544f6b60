#include "ratecount.h"

#include <stdlib.h>
#include <string.h>

struct entry {
	struct entry *next; /* in its bucket */
	struct entry *next_dirty;
	bool dirty;         /* on the table's dirty list: pending > 0 */
	long long count;    /* as Redis last told */
	long long pending;  /* counted here, not sent */
	long long sending;  /* sent, not answered */
	long long end_ms;   /* when the window ends */
	char key[];
};

struct gw_rl_table {
	struct entry **buckets;
	size_t nbuckets; /* a power of two */
	size_t n, max;
	struct entry *dirty; /* entries with counts to send */
};

static size_t hash(const char *s)
{
	size_t h = 1469598103934665603u; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

struct gw_rl_table *gw_rl_table_new(size_t max_keys)
{
	struct gw_rl_table *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->max = max_keys;
	t->nbuckets = 64;
	while (t->nbuckets < max_keys)
		t->nbuckets <<= 1;
	t->buckets = calloc(t->nbuckets, sizeof *t->buckets);
	if (!t->buckets) {
		free(t);
		return NULL;
	}
	return t;
}

void gw_rl_table_free(struct gw_rl_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nbuckets; i++)
		for (struct entry *e = t->buckets[i], *next; e; e = next) {
			next = e->next;
			free(e);
		}
	free(t->buckets);
	free(t);
}

static struct entry *find(const struct gw_rl_table *t, const char *key)
{
	for (struct entry *e = t->buckets[hash(key) & (t->nbuckets - 1)]; e; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

bool gw_rl_table_known(const struct gw_rl_table *t, const char *key, long long now_ms)
{
	const struct entry *e = find(t, key);
	return e && now_ms < e->end_ms;
}

void gw_rl_table_count(struct gw_rl_table *t, const char *key, long long now_ms,
		       long long *total, long long *left_ms)
{
	struct entry *e = find(t, key);
	if (!e) {
		*total = 1;
		*left_ms = 0;
		return;
	}
	e->pending++;
	if (!e->dirty) {
		e->dirty = true;
		e->next_dirty = t->dirty;
		t->dirty = e;
	}
	*total = e->count + e->sending + e->pending;
	*left_ms = e->end_ms > now_ms ? e->end_ms - now_ms : 0;
}

void gw_rl_table_learn(struct gw_rl_table *t, const char *key, long long count,
		       long long pttl_ms, long long sent, long long now_ms)
{
	struct entry *e = find(t, key);
	if (!e) {
		if (t->n >= t->max)
			return;
		size_t len = strlen(key);
		e = calloc(1, sizeof *e + len + 1);
		if (!e)
			return;
		memcpy(e->key, key, len + 1);
		struct entry **b = &t->buckets[hash(key) & (t->nbuckets - 1)];
		e->next = *b;
		*b = e;
		t->n++;
	}
	e->count = count;
	e->sending = e->sending > sent ? e->sending - sent : 0;
	e->end_ms = now_ms + (pttl_ms > 0 ? pttl_ms : 0);
}

size_t gw_rl_table_take(struct gw_rl_table *t, long long now_ms, struct gw_rl_send *out,
			size_t max)
{
	size_t k = 0;
	while (t->dirty && k < max) {
		struct entry *e = t->dirty;
		t->dirty = e->next_dirty;
		e->dirty = false;
		if (now_ms >= e->end_ms)
			e->pending = 0;
		if (e->pending == 0)
			continue;
		out[k].key = e->key;
		out[k].n = e->pending;
		e->sending += e->pending;
		e->pending = 0;
		k++;
	}
	return k;
}

void gw_rl_table_give_back(struct gw_rl_table *t, const char *key, long long n)
{
	struct entry *e = find(t, key);
	if (!e)
		return;
	long long back = e->sending < n ? e->sending : n;
	e->sending -= back;
	e->pending += back;
	if (e->pending && !e->dirty) {
		e->dirty = true;
		e->next_dirty = t->dirty;
		t->dirty = e;
	}
}

size_t gw_rl_table_sweep(struct gw_rl_table *t, long long now_ms)
{
	for (size_t i = 0; i < t->nbuckets; i++)
		for (struct entry **pp = &t->buckets[i]; *pp;) {
			struct entry *e = *pp;
			if (now_ms >= e->end_ms && e->pending == 0 && e->sending == 0 && !e->dirty) {
				*pp = e->next;
				free(e);
				t->n--;
			} else {
				pp = &e->next;
			}
		}
	return t->n;
}
