/* forkshim.so: an LD_PRELOAD library that stops vhive (SIGKILL) right
 * after it started its qemu-nbd, before anything else it does: the
 * instant where a watchdog started after the fork was not there yet.
 *
 *   VHIVE_KILL_AFTER_EXEC=NAME  after each fork, the parent waits up to
 *                               0.5 s for the child to exec NAME (its
 *                               /proc comm); if it does, SIGKILL
 *   VHIVE_KILL_GROUP=1          the SIGKILL goes to vhive's process group,
 *                               as timeout(1) sends it
 *   VHIVE_SLOW_FIRST_CHILD_MS=N the child of vhive's first fork waits N ms
 *                               before it goes on (a watchdog slow to start)
 *   VHIVE_NO_PDEATHSIG=1        prctl(PR_SET_PDEATHSIG) does nothing: the
 *                               one SIGTERM it would send is lost, as when
 *                               it reaches qemu-nbd while it starts
 *
 * Built without the sanitizers (preloaded ahead of the ASan runtime). */
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

static void *next(const char *name)
{
        void *f = dlsym(RTLD_NEXT, name);

        if (!f) {
                fprintf(stderr, "forkshim: no %s\n", name);
                abort();
        }
        return f;
}

static int comm_is(pid_t pid, const char *name)
{
        char path[48], comm[32] = "";
        int fd, n;

        snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        n = (int)read(fd, comm, sizeof(comm) - 1);
        close(fd);
        comm[n > 0 ? n : 0] = '\0';
        comm[strcspn(comm, "\n")] = '\0';
        return strcmp(comm, name) == 0;
}

static pid_t (*real_fork)(void);
static int (*real_prctl)(int, ...);

/* Looked up before main: prctl is called between fork and exec, where
 * dlsym (locks, malloc) is no safe call. */
__attribute__((constructor)) static void find_real(void)
{
        real_fork = (pid_t(*)(void))next("fork");
        real_prctl = (int (*)(int, ...))next("prctl");
}

static int forks;

pid_t fork(void)
{
        const char *name = getenv("VHIVE_KILL_AFTER_EXEC");
        const char *slow = getenv("VHIVE_SLOW_FIRST_CHILD_MS");
        const char *group = getenv("VHIVE_KILL_GROUP");
        struct timespec ms = { 0, 1000000 };
        pid_t pid;

        pid = real_fork();
        if (pid == 0 && forks == 0 && slow && *slow) {
                long n = atol(slow);
                struct timespec wait = { n / 1000, n % 1000 * 1000000 };

                nanosleep(&wait, NULL);
        }
        if (pid != 0)
                forks++;
        if (pid <= 0 || !name || !*name)
                return pid;
        for (int i = 0; i < 500; i++) {
                if (comm_is(pid, name))
                        kill(group && *group == '1' ? 0 : getpid(), SIGKILL);
                nanosleep(&ms, NULL);
        }
        return pid;
}

int prctl(int option, ...)
{
        unsigned long a[4];
        const char *no = getenv("VHIVE_NO_PDEATHSIG");
        va_list ap;

        va_start(ap, option);
        for (int i = 0; i < 4; i++)
                a[i] = va_arg(ap, unsigned long);
        va_end(ap);
        if (option == PR_SET_PDEATHSIG && no && *no == '1')
                return 0;
        return real_prctl(option, a[0], a[1], a[2], a[3]);
}
