/*
 * arena.h - a bump allocator for per-record allocations.
 *
 * Decoding one alert makes many small strings and arrays that all die together;
 * an arena makes that one reset instead of hundreds of free() calls. Memory is
 * kept across corral_arena_reset(), so a steady stream of records allocates
 * nothing once the arena has grown to the largest record.
 */
#ifndef CORRAL_UTIL_ARENA_H
#define CORRAL_UTIL_ARENA_H

#include <stddef.h>

typedef struct corral_arena corral_arena;

/* A new empty arena; NULL when out of memory. */
corral_arena *corral_arena_new(void);
/* Free the arena and everything allocated from it. NULL is a no-op. */
void corral_arena_free(corral_arena *arena);
/* Forget every allocation but keep the memory for reuse. */
void corral_arena_reset(corral_arena *arena);

/* size bytes aligned for any type; NULL when out of memory. Owned by the arena. */
void *corral_arena_alloc(corral_arena *arena, size_t size);
/* A NUL-terminated copy of s[0..len); NULL when out of memory. Owned by the arena. */
char *corral_arena_strndup(corral_arena *arena, const char *s, size_t len);
/* Bytes handed out since the last reset (for limits and statistics). */
size_t corral_arena_used(const corral_arena *arena);

#endif
