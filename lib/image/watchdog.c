/* A helper process (qemu for the appliance, qemu-nbd for the direct
 * backend) must not outlive vhive: a killed vhive would leave it running,
 * holding the image open and locked ("Failed to get shared write lock").
 *
 * The watchdog is a child that blocks reading a pipe whose only writer is
 * vhive: when vhive dies, for whatever reason, the read returns at once.
 * It then asks the helper to quit with SIGTERM (qemu writes its formats'
 * metadata, qcow2 refcounts, the VHDX log) and repeats it every 50 ms:
 * qemu-nbd loses a SIGTERM that comes while it is still starting (its main
 * loop sets its state to "running" after installing the handler).  After
 * two seconds, SIGKILL.  The watchdog has a process group of its own, so
 * that a kill of vhive's group (timeout(1), a CI runner's cancel) spares
 * it.  A clean shutdown kills the watchdog first.
 *
 * Compiled into each backend module (no libvhive symbol needed).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "watchdog.h"

#define GRACE_MS 2000
#define POLL_MS 10
#define TERM_EVERY_MS 50

static bool gone(pid_t pid)
{
        return kill(pid, 0) < 0 && errno == ESRCH;
}

static void __attribute__((noreturn)) watch(int fd, pid_t helper)
{
        struct timespec ts = { 0, POLL_MS * 1000000L };
        char c;

        setpgid(0, 0);
        signal(SIGINT, SIG_IGN); /* vhive's handlers are no use here */
        signal(SIGTERM, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
        /* Nothing of vhive's but the pipe: no other descriptor (a caller's
         * stdout pipe, the appliance's sockets) is held open. */
        if (fd != 3 && dup2(fd, 3) < 0)
                _exit(1);
        close_range(0, 2, 0);
        close_range(4, ~0u, 0);
        while (read(3, &c, 1) < 0 && errno == EINTR)
                ;
        for (int waited = 0; waited < GRACE_MS && !gone(helper); waited += POLL_MS) {
                if (waited % TERM_EVERY_MS == 0)
                        kill(helper, SIGTERM);
                nanosleep(&ts, NULL);
        }
        if (!gone(helper))
                kill(helper, SIGKILL);
        _exit(0);
}

void vhive_watchdog_start(struct vhive_watchdog *w, pid_t helper)
{
        int p[2];
        pid_t pid;

        *w = (struct vhive_watchdog){ .pid = 0, .fd = -1 };
        if (helper <= 0 || pipe2(p, O_CLOEXEC) < 0)
                return;
        pid = fork();
        if (pid == 0) {
                close(p[1]);
                watch(p[0], helper);
        }
        close(p[0]);
        if (pid < 0) {
                close(p[1]);
                return;
        }
        /* Kept open, close-on-exec, never written: its end is vhive's end. */
        w->pid = pid;
        w->fd = p[1];
}

void vhive_watchdog_stop(struct vhive_watchdog *w)
{
        if (w->pid <= 0)
                return;
        kill(w->pid, SIGKILL);
        while (waitpid(w->pid, NULL, 0) < 0 && errno == EINTR)
                ;
        w->pid = 0;
        close(w->fd);
        w->fd = -1;
}
