/* qemu must not outlive vhive: a killed vhive would leave the appliance
 * running, holding the image open and locked ("Failed to get shared write
 * lock") until libguestfs' recovery process notices, which polls every
 * two seconds.
 *
 * The watchdog is a child that blocks reading a pipe whose only writer is
 * vhive: when vhive dies, for whatever reason, the read returns at once.
 * It then asks qemu to quit (SIGTERM: qemu flushes and closes the image
 * formats' metadata, e.g. qcow2 refcounts) and kills it after a second.
 * A clean shutdown kills the watchdog first.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "appliance-internal.h"

#define GRACE_MS 1000
#define POLL_MS 20

static bool gone_within(pid_t pid, int ms)
{
        struct timespec ts = { 0, POLL_MS * 1000000L };

        for (int waited = 0; waited < ms; waited += POLL_MS) {
                if (kill(pid, 0) < 0 && errno == ESRCH)
                        return true;
                nanosleep(&ts, NULL);
        }
        return false;
}

static void __attribute__((noreturn)) watch(int fd, pid_t qemu)
{
        char c;

        /* Nothing of vhive's but the pipe: no other descriptor (a caller's
         * stdout pipe, the appliance's sockets) is held open. */
        if (fd != 3 && dup2(fd, 3) < 0)
                _exit(1);
        close_range(0, 2, 0);
        close_range(4, ~0u, 0);
        while (read(3, &c, 1) < 0 && errno == EINTR)
                ;
        kill(qemu, SIGTERM);
        if (!gone_within(qemu, GRACE_MS))
                kill(qemu, SIGKILL);
        _exit(0);
}

void ap_watchdog_start(struct vhive_backend *be)
{
        int qemu = guestfs_get_pid(be->g); /* -1 with the libvirt backend */
        int p[2];
        pid_t pid;

        if (qemu <= 0 || pipe2(p, O_CLOEXEC) < 0)
                return;
        pid = fork();
        if (pid == 0) {
                close(p[1]);
                watch(p[0], qemu);
        }
        close(p[0]);
        if (pid < 0) {
                close(p[1]);
                return;
        }
        /* Kept open, close-on-exec, never written: its end is vhive's end. */
        be->watchdog = pid;
        be->watchdog_fd = p[1];
}

void ap_watchdog_stop(struct vhive_backend *be)
{
        if (be->watchdog <= 0)
                return;
        kill(be->watchdog, SIGKILL);
        while (waitpid(be->watchdog, NULL, 0) < 0 && errno == EINTR)
                ;
        be->watchdog = 0;
        close(be->watchdog_fd);
}
