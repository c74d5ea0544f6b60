/* bench-floor-<service>: the "library floor" of a service's memory. This
 * program does nothing, but bench/link_floor.cmake links it (with
 * --no-as-needed) against exactly the shared libraries the service binary
 * names as DT_NEEDED, so its resident memory is what loading those
 * libraries costs (the loader's mappings, relocations and the libraries'
 * constructors) before any code of ours runs. The service's resident memory
 * minus this is its own.
 *
 *   bench-floor-<service>
 *
 * Prints "ready" once loaded, then waits until its stdin closes and exits
 * 0; the bench reads its /proc/<pid>/smaps_rollup in between. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	if (puts("ready") == EOF || fflush(stdout) == EOF)
		return 1;
	char buf[64];
	ssize_t n;
	while ((n = read(STDIN_FILENO, buf, sizeof buf)) != 0)
		if (n < 0 && errno != EINTR)
			return 1;
	return 0;
}
