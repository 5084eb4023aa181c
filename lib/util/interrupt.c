/* Interruption: SIGINT, SIGTERM and SIGHUP end a run at the next step
 * boundary, never inside one.  The command's handler only records the
 * signal (the one async-signal-safe thing it may do); the jobs ask before
 * each step that could be skipped (a launch, a target, a download, a
 * commit) and unwind as after any failure, which removes the private
 * copies and shuts the backend down.  A commit that has begun runs to its
 * end: its steps take milliseconds, and the log protocol keeps even a kill
 * between them safe, but a finished commit needs no recovery at all. */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "vhive.h"

static volatile sig_atomic_t interrupted;

void vhive_interrupt(int sig)
{
        interrupted = sig;
}

int vhive_interrupted(void)
{
        return interrupted;
}

int vhive_check_interrupt(const char *before, struct vhive_error *err)
{
        int sig = interrupted;

        if (!sig)
                return 0;
        return vhive_fail(err, ECANCELED, "interrupted by SIG%s before %s: nothing written",
                          sigabbrev_np(sig) ? sigabbrev_np(sig) : "?", before);
}
