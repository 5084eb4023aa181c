/* SIGINT, SIGTERM and SIGHUP: recorded, so that the run ends at the next
 * step boundary and unwinds (private copies removed, the backend shut
 * down), then exits 128 + the signal as a shell would report it.  A signal
 * ignored when vhive starts (a background job's SIGINT, nohup's SIGHUP)
 * stays ignored. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "signals.h"
#include "vhive.h"

static const int handled[] = { SIGINT, SIGTERM, SIGHUP };

static void on_signal(int sig)
{
        vhive_interrupt(sig);
}

void signals_install(void)
{
        struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };

        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++) {
                struct sigaction old;

                if (sigaction(handled[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
                        sigaction(handled[i], &sa, NULL);
        }
}

int signals_exit_status(int status)
{
        int sig = vhive_interrupted();

        if (!sig)
                return status;
        fprintf(stderr, "vhive: interrupted by SIG%s\n", sigabbrev_np(sig));
        return 128 + sig;
}
