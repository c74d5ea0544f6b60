/* Helpers for the libFuzzer targets (fuzz/<name>.c of each component):
 * turning the fuzzer's bytes into the C strings and fields a parser takes.
 * Built only with TODO_FUZZ. */
#ifndef SVC_FUZZ_H
#define SVC_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* What each target defines: libFuzzer calls it with one input at a time.
 * It returns 0; a crash, a sanitizer report or SVC_FUZZ_CHECK is a
 * finding. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* data[0..size) as a NUL-terminated string (a NUL inside ends it early, as
 * it would for a C string from a request). Caller frees with free(); NULL
 * on OOM. */
char *svc_fuzz_str(const uint8_t *data, size_t size);

/* data[0..size) as svc_fuzz_str, cut at its first max-1 newlines into the
 * fields out[0..max): the last keeps the rest, newlines included; fields
 * past the end are "". Returns the string that holds them (caller frees
 * with free()), or NULL on OOM. */
char *svc_fuzz_split(const uint8_t *data, size_t size, char **out, size_t max);

/* An error as the client would get it: svc_err_body is strict JSON (valid
 * UTF-8 too) naming err's code. Aborts otherwise. */
struct svc_err;
void svc_fuzz_check_err(const struct svc_err *err);

/* A property every input must keep: when cond is false, prints it and
 * aborts, which libFuzzer reports as a crash with the input that did it.
 * (assert() is compiled out in the RelWithDebInfo fuzz build.) */
#define SVC_FUZZ_CHECK(cond)                                                                       \
	do {                                                                                       \
		if (!(cond))                                                                       \
			svc_fuzz_fail(#cond, __FILE__, __LINE__);                                  \
	} while (0)
_Noreturn void svc_fuzz_fail(const char *what, const char *file, int line);

#endif
