/* A check both reminder-service fuzz targets make. */
#ifndef REM_FUZZ_STORED_H
#define REM_FUZZ_STORED_H

#include "reminder.h"

/* The stored form of s (rem_state_encode) reads back (rem_state_decode) to
 * a state that is stored the same way; aborts otherwise. */
void rem_fuzz_check_stored(const struct rem_state *s);

#endif
