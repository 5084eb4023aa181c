/* A helper process (qemu for the appliance, qemu-nbd for the direct
 * backend) must not outlive vhive: a killed vhive would leave it running,
 * holding the image open and locked ("Failed to get shared write lock").
 *
 * The watchdog is a child that blocks reading a pipe whose only writer is
 * vhive: when vhive dies, for whatever reason, the read returns at once.
 * It then kills the helper with SIGKILL, which frees the image at once: a
 * SIGTERM makes qemu stop its vCPUs, drain and flush (fdatasync) every
 * image before it exits, 0.3 to 1.9 s on a loaded host, and the flush adds
 * nothing the protocol needs (a kill of vhive is already a stop between two
 * of its barriers).  SIGKILL loses nothing of a raw image (every write
 * already went to the host with pwrite), nor of a VHD or VHDX (qemu writes
 * their block tables synchronously; VHDX through its log, flushed and
 * applied at each allocation).  A writable qcow2 after a write is the
 * exception: qemu keeps L2 tables and refcounts in memory until a flush or
 * an orderly exit.  Then the watchdog asks the helper to quit with SIGTERM
 * and repeats it every 50 ms (qemu-nbd loses a SIGTERM that comes while it
 * is still starting: its main loop sets its state to "running" after
 * installing the handler), and after two seconds, SIGKILL.
 *
 * The watchdog has a process group of its own, so that a kill of vhive's
 * group (timeout(1), a CI runner's cancel) spares it.  A clean shutdown
 * kills the watchdog first.
 *
 * Compiled into each backend module (no libvhive symbol needed).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "watchdog.h"

#define GRACE_MS 2000
#define POLL_MS 10
#define TERM_EVERY_MS 50

struct vhive_watchdog_shared {
        int helper;  /* 0 until known */
        int unborn;  /* the helper names itself: never looked for */
        int cache;   /* the helper caches metadata of a writable image */
        int written; /* a write went out through the helper */
};

static bool gone(pid_t pid)
{
        return kill(pid, 0) < 0 && errno == ESRCH;
}

/* SIGTERM every 50 ms for two seconds (the SIGKILL follows). */
static void term_for_a_while(pid_t helper)
{
        struct timespec ts = { 0, POLL_MS * 1000000L };

        for (int waited = 0; waited < GRACE_MS && !gone(helper); waited += POLL_MS) {
                if (waited % TERM_EVERY_MS == 0)
                        kill(helper, SIGTERM);
                nanosleep(&ts, NULL);
        }
}

static bool named_qemu(pid_t pid)
{
        char path[48], comm[32] = "";
        int fd, n;

        snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return false;
        n = (int)read(fd, comm, sizeof(comm) - 1);
        close(fd);
        return n >= 4 && strncmp(comm, "qemu", 4) == 0;
}

/* Every child named qemu* that thread tid of parent forked: the
 * appliance's qemu (or, while it starts, the qemu-img that makes its
 * overlay).  libguestfs forks them from the thread that launches, and the
 * watchdog is started by that thread: with a batch split over two
 * appliances (image-job.c), each in its own thread, the other's qemu is
 * never taken for this one's. */
struct seen {
        pid_t pid[16];
        size_t n;
};

static void find_children(pid_t parent, pid_t tid, struct seen *seen)
{
        char path[64], buf[512];
        char *p, *end;
        int fd, n;

        seen->n = 0;
        snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)parent, (int)tid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return;
        n = (int)read(fd, buf, sizeof(buf) - 1);
        close(fd);
        buf[n > 0 ? n : 0] = 0;
        for (p = buf; seen->n < sizeof(seen->pid) / sizeof(seen->pid[0]); p = end) {
                long v = strtol(p, &end, 10);

                if (end == p)
                        break;
                if (v > 0 && named_qemu((pid_t)v))
                        seen->pid[seen->n++] = (pid_t)v;
        }
}

/* Until vhive's end: its pipe gives EOF.  While the helper is not named,
 * looks for candidates every 10 ms, unless it will name itself (another
 * image's qemu-nbd, a child of vhive too, is no candidate for it).
 * Returns the named helper, or 0 and the candidates last seen. */
static pid_t wait_for_end(pid_t parent, pid_t tid, const struct vhive_watchdog_shared *sh,
                          struct seen *seen)
{
        seen->n = 0;
        for (;;) {
                pid_t known = __atomic_load_n(&sh->helper, __ATOMIC_SEQ_CST);
                bool look = !known && !sh->unborn;
                struct pollfd p = { .fd = 3, .events = POLLIN };
                int r = poll(&p, 1, look ? POLL_MS : -1);

                if (r > 0 || (r < 0 && errno != EINTR))
                        break;
                if (look)
                        find_children(parent, tid, seen);
        }
        return __atomic_load_n(&sh->helper, __ATOMIC_SEQ_CST);
}

static void __attribute__((noreturn))
watch(int fd, pid_t parent, pid_t tid, const struct vhive_watchdog_shared *sh)
{
        struct seen seen;
        pid_t helper;

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
        helper = wait_for_end(parent, tid, sh, &seen);
        if (helper <= 0) {
                for (size_t k = 0; k < seen.n; k++)
                        if (!gone(seen.pid[k]))
                                kill(seen.pid[k], SIGKILL);
                _exit(0);
        }
        if (sh->cache && __atomic_load_n(&sh->written, __ATOMIC_SEQ_CST))
                term_for_a_while(helper);
        if (!gone(helper))
                kill(helper, SIGKILL);
        _exit(0);
}

static void start(struct vhive_watchdog *w, pid_t helper, bool cache, bool unborn)
{
        struct vhive_watchdog_shared *sh;
        pid_t parent = getpid(), tid = gettid(), pid;
        int p[2];

        *w = (struct vhive_watchdog){ .pid = 0, .fd = -1 };
        if (helper < 0)
                return;
        sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (sh == MAP_FAILED)
                return;
        *sh = (struct vhive_watchdog_shared){ .helper = helper, .cache = cache, .unborn = unborn };
        if (pipe2(p, O_CLOEXEC) < 0) {
                munmap(sh, sizeof(*sh));
                return;
        }
        pid = fork();
        if (pid == 0) {
                close(p[1]);
                watch(p[0], parent, tid, sh);
        }
        close(p[0]);
        if (pid < 0) {
                close(p[1]);
                munmap(sh, sizeof(*sh));
                return;
        }
        /* Its own group from here on, whenever the child itself gets to
         * it: a kill of vhive's group (timeout(1)) that came before the
         * child's setpgid took the watchdog with it, and left a helper
         * started since then running (image-crash-direct, 2026-12-07). */
        (void)setpgid(pid, pid);
        /* Kept open, close-on-exec, never written: its end is vhive's end. */
        w->pid = pid;
        w->fd = p[1];
        w->shared = sh;
}

void vhive_watchdog_start(struct vhive_watchdog *w, pid_t helper, bool cache)
{
        start(w, helper, cache, false);
}

void vhive_watchdog_start_unborn(struct vhive_watchdog *w, bool cache)
{
        start(w, 0, cache, true);
}

void vhive_watchdog_set_helper(struct vhive_watchdog *w, pid_t helper)
{
        if (w->shared && helper > 0)
                __atomic_store_n(&w->shared->helper, helper, __ATOMIC_SEQ_CST);
}

void vhive_watchdog_name_self(struct vhive_watchdog *w)
{
        if (w->shared)
                __atomic_store_n(&w->shared->helper, getpid(), __ATOMIC_SEQ_CST);
}

void vhive_watchdog_writing(struct vhive_watchdog *w)
{
        if (w->shared)
                __atomic_store_n(&w->shared->written, 1, __ATOMIC_SEQ_CST);
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
        munmap(w->shared, sizeof(*w->shared));
        w->shared = NULL;
}
