/* failshim: an LD_PRELOAD library that makes the Nth write-path call of a
 * process fail, or kills the process there, for the fault-injection tests.
 *
 * Environment:
 *   FAILSHIM_DIR    only calls on files inside this folder count (absolute
 *                   path, no trailing slash).  Unset: nothing counts.
 *   FAILSHIM_OP     which calls count: "any" (default) or a comma list of
 *                   open, write, pwrite, fsync, rename, ftruncate, close,
 *                   mkostemp, fchmod
 *   FAILSHIM_N      the 1-based number of the counted call to act on
 *   FAILSHIM_MODE   count: nothing fails (with FAILSHIM_TRACE, to learn N)
 *                   fail: the call returns -1 with FAILSHIM_ERRNO
 *                   kill: SIGKILL before the call runs
 *                   killafter: SIGKILL right after it ran
 *                   run: runs FAILSHIM_RUN (sh -c, without the shim) before
 *                   the call, which then runs as usual: another program
 *                   acting at that moment
 *   FAILSHIM_SIGNAL the signal number kill and killafter send (default 9,
 *                   SIGKILL); a signal the process survives (a handled
 *                   SIGTERM) lets the call run as usual
 *   FAILSHIM_ERRNO  EIO (default) or ENOSPC
 *   FAILSHIM_TRACE  a file: one line per counted call, "N op path result"
 *
 * The real functions are found with dlsym(RTLD_NEXT): under ASan the
 * runtime's interceptors sit on either side of these, which is fine.
 * Output goes through syscall(2) so that it is never counted itself. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
/* Both names of each call are defined here: no redirection to the *64 ones. */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

enum mode { M_COUNT, M_FAIL, M_KILL, M_KILLAFTER, M_RUN };

static bool ready;
static const char *dir;
static size_t dir_len;
static const char *ops = "any";
static long target_n;
static enum mode shim_mode = M_COUNT;
static int fail_errno = EIO;
static int kill_signal = SIGKILL;
static int trace_fd = -1;
static long counter;

static void setup(void)
{
        const char *m, *e, *t, *o, *n;

        if (ready)
                return;
        ready = true;
        dir = getenv("FAILSHIM_DIR");
        dir_len = dir ? strlen(dir) : 0;
        o = getenv("FAILSHIM_OP");
        if (o && *o)
                ops = o;
        n = getenv("FAILSHIM_N");
        target_n = n ? strtol(n, NULL, 10) : 0;
        m = getenv("FAILSHIM_MODE");
        if (m && strcmp(m, "fail") == 0)
                shim_mode = M_FAIL;
        else if (m && strcmp(m, "kill") == 0)
                shim_mode = M_KILL;
        else if (m && strcmp(m, "killafter") == 0)
                shim_mode = M_KILLAFTER;
        else if (m && strcmp(m, "run") == 0)
                shim_mode = M_RUN;
        e = getenv("FAILSHIM_SIGNAL");
        if (e && *e)
                kill_signal = (int)strtol(e, NULL, 10);
        e = getenv("FAILSHIM_ERRNO");
        if (e && strcmp(e, "ENOSPC") == 0)
                fail_errno = ENOSPC;
        t = getenv("FAILSHIM_TRACE");
        if (t && *t)
                trace_fd = (int)syscall(SYS_openat, AT_FDCWD, t,
                                        O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

static bool op_selected(const char *op)
{
        size_t len = strlen(op);

        if (strcmp(ops, "any") == 0)
                return true;
        for (const char *p = ops; (p = strstr(p, op)); p += len)
                if ((p == ops || p[-1] == ',') && (p[len] == ',' || p[len] == '\0'))
                        return true;
        return false;
}

/* The folder itself counts too: vhive fsyncs it after a rename. */
static bool in_dir(const char *path)
{
        setup();
        return path && dir_len && strncmp(path, dir, dir_len) == 0 &&
               (path[dir_len] == '/' || path[dir_len] == '\0');
}

/* Paths are compared as given, made absolute against the working folder. */
static bool path_in_dir(int dirfd, const char *path)
{
        char buf[PATH_MAX * 2];

        if (!path)
                return false;
        if (path[0] == '/')
                return in_dir(path);
        if (dirfd == AT_FDCWD) {
                if (!getcwd(buf, PATH_MAX))
                        return false;
        } else {
                char link[64];
                ssize_t n;

                snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
                n = readlink(link, buf, PATH_MAX - 1);
                if (n < 0)
                        return false;
                buf[n] = '\0';
        }
        strcat(buf, "/");
        strncat(buf, path, PATH_MAX - 1);
        return in_dir(buf);
}

static bool fd_in_dir(int fd, char *name, size_t size)
{
        char link[64];
        ssize_t n;

        if (fd < 0 || !dir_len)
                return false;
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        n = readlink(link, name, size - 1);
        if (n < 0)
                return false;
        name[n] = '\0';
        return in_dir(name);
}

static void trace(long n, const char *op, const char *path, const char *what)
{
        char line[PATH_MAX + 128];
        int len;

        if (trace_fd < 0)
                return;
        len = snprintf(line, sizeof(line), "%ld %s %s %s\n", n, op, path ? path : "-", what);
        if (len > 0)
                syscall(SYS_write, trace_fd, line, (size_t)len);
}

/* The command runs in a child without the shim, so its own calls are not
 * counted (or acted on). */
static void run_command(void)
{
        const char *cmd = getenv("FAILSHIM_RUN");
        pid_t pid;
        int status;

        if (!cmd || !*cmd)
                return;
        pid = fork();
        if (pid == 0) {
                unsetenv("LD_PRELOAD");
                execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
                _exit(127);
        }
        if (pid > 0)
                waitpid(pid, &status, 0);
}

/* Called before a counted call: returns true when it must fail (errno
 * set).  Kills the process in kill mode. */
static bool before(const char *op, const char *path, long *n)
{
        setup();
        *n = 0;
        if (!op_selected(op))
                return false;
        *n = ++counter;
        if (*n != target_n || shim_mode == M_COUNT || shim_mode == M_KILLAFTER) {
                trace(*n, op, path, "run");
                return false;
        }
        if (shim_mode == M_RUN) {
                trace(*n, op, path, "ran-command");
                run_command();
                return false;
        }
        if (shim_mode == M_KILL) {
                trace(*n, op, path, "killed-before");
                syscall(SYS_kill, getpid(), kill_signal);
                return false; /* survived (a handled signal): the call runs */
        }
        trace(*n, op, path, fail_errno == ENOSPC ? "failed-ENOSPC" : "failed-EIO");
        errno = fail_errno;
        return true;
}

static void after(long n)
{
        if (n && n == target_n && shim_mode == M_KILLAFTER)
                syscall(SYS_kill, getpid(), kill_signal);
}

#define REAL(name, type)                                                                           \
        static __typeof__(type) real_##name;                                                       \
        if (!real_##name)                                                                          \
        real_##name = (type)dlsym(RTLD_NEXT, #name)

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);

static bool open_writes(int flags)
{
        return (flags & (O_CREAT | O_TRUNC)) || (flags & O_ACCMODE) != O_RDONLY;
}

static int do_openat(int dirfd, const char *path, int flags, mode_t mode,
                     int (*call)(int, const char *, int, mode_t))
{
        long n = 0;
        int r;

        if (open_writes(flags) && path_in_dir(dirfd, path) && before("open", path, &n))
                return -1;
        r = call(dirfd, path, flags, mode);
        after(n);
        return r;
}

static mode_t mode_arg(int flags, va_list ap)
{
        return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, mode_t) : 0;
}

#define OPEN_WRAPPER(name)                                                                         \
        static int call_##name(int dirfd, const char *p, int f, mode_t m)                          \
        {                                                                                          \
                (void)dirfd;                                                                       \
                REAL(name, open_fn);                                                               \
                return real_##name(p, f, m);                                                       \
        }                                                                                          \
        EXPORT int name(const char *p, int f, ...)                                                 \
        {                                                                                          \
                va_list ap;                                                                        \
                mode_t m;                                                                          \
                va_start(ap, f);                                                                   \
                m = mode_arg(f, ap);                                                               \
                va_end(ap);                                                                        \
                return do_openat(AT_FDCWD, p, f, m, call_##name);                                  \
        }

#define OPENAT_WRAPPER(name)                                                                       \
        static int call_##name(int dirfd, const char *p, int f, mode_t m)                          \
        {                                                                                          \
                REAL(name, openat_fn);                                                             \
                return real_##name(dirfd, p, f, m);                                                \
        }                                                                                          \
        EXPORT int name(int d, const char *p, int f, ...)                                          \
        {                                                                                          \
                va_list ap;                                                                        \
                mode_t m;                                                                          \
                va_start(ap, f);                                                                   \
                m = mode_arg(f, ap);                                                               \
                va_end(ap);                                                                        \
                return do_openat(d, p, f, m, call_##name);                                         \
        }

OPEN_WRAPPER(open)
OPEN_WRAPPER(open64)
OPENAT_WRAPPER(openat)
OPENAT_WRAPPER(openat64)

/* The fortified entry points (_FORTIFY_SOURCE with non-constant flags). */
static int call_open_2(int dirfd, const char *p, int f, mode_t m)
{
        REAL(__open_2, int (*)(const char *, int));
        (void)dirfd;
        (void)m;
        return real___open_2(p, f);
}

/* glibc's fortified open (no public prototype). */
int __open_2(const char *p, int f);
int __open64_2(const char *p, int f);

EXPORT int __open_2(const char *p, int f)
{
        return do_openat(AT_FDCWD, p, f, 0, call_open_2);
}

EXPORT int __open64_2(const char *p, int f)
{
        return do_openat(AT_FDCWD, p, f, 0, call_open_2);
}

typedef int (*mkostemp_fn)(char *, int);

EXPORT int mkostemp(char *tmpl, int flags)
{
        long n = 0;
        int r;

        REAL(mkostemp, mkostemp_fn);
        if (path_in_dir(AT_FDCWD, tmpl) && before("mkostemp", tmpl, &n))
                return -1;
        r = real_mkostemp(tmpl, flags);
        after(n);
        return r;
}

EXPORT int mkostemp64(char *tmpl, int flags)
{
        return mkostemp(tmpl, flags);
}

EXPORT int mkstemp(char *tmpl)
{
        return mkostemp(tmpl, 0);
}

EXPORT int mkstemp64(char *tmpl)
{
        return mkostemp(tmpl, 0);
}

/* fd-based calls: counted when the fd names a file inside FAILSHIM_DIR. */
#define FD_CALL(op, fd, call)                                                                      \
        do {                                                                                       \
                char path_[PATH_MAX];                                                              \
                long n_ = 0;                                                                       \
                __typeof__(call) r_;                                                               \
                if (fd_in_dir(fd, path_, sizeof(path_)) && before(op, path_, &n_))                 \
                        return -1;                                                                 \
                r_ = call;                                                                         \
                after(n_);                                                                         \
                return r_;                                                                         \
        } while (0)

EXPORT ssize_t write(int fd, const void *buf, size_t len)
{
        REAL(write, ssize_t(*)(int, const void *, size_t));
        FD_CALL("write", fd, real_write(fd, buf, len));
}

EXPORT ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
        REAL(pwrite, ssize_t(*)(int, const void *, size_t, off_t));
        FD_CALL("pwrite", fd, real_pwrite(fd, buf, len, off));
}

EXPORT ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off)
{
        REAL(pwrite64, ssize_t(*)(int, const void *, size_t, off_t));
        FD_CALL("pwrite", fd, real_pwrite64(fd, buf, len, off));
}

EXPORT int fsync(int fd)
{
        REAL(fsync, int (*)(int));
        FD_CALL("fsync", fd, real_fsync(fd));
}

EXPORT int fdatasync(int fd)
{
        REAL(fdatasync, int (*)(int));
        FD_CALL("fsync", fd, real_fdatasync(fd));
}

EXPORT int ftruncate(int fd, off_t len)
{
        REAL(ftruncate, int (*)(int, off_t));
        FD_CALL("ftruncate", fd, real_ftruncate(fd, len));
}

EXPORT int ftruncate64(int fd, off_t len)
{
        REAL(ftruncate64, int (*)(int, off_t));
        FD_CALL("ftruncate", fd, real_ftruncate64(fd, len));
}

EXPORT int fchmod(int fd, mode_t mode)
{
        REAL(fchmod, int (*)(int, mode_t));
        FD_CALL("fchmod", fd, real_fchmod(fd, mode));
}

/* close: a failure is reported after the descriptor is gone, as the
 * kernel does; only descriptors opened for writing count (closing a file
 * read does not lose data). */
EXPORT int close(int fd)
{
        char path[PATH_MAX];
        long n = 0;
        int r, fl;

        REAL(close, int (*)(int));
        fl = fcntl(fd, F_GETFL);
        if (fl >= 0 && (fl & O_ACCMODE) != O_RDONLY && fd_in_dir(fd, path, sizeof(path)) &&
            before("close", path, &n)) {
                real_close(fd);
                return -1;
        }
        r = real_close(fd);
        after(n);
        return r;
}

static int count_rename(int olddirfd, const char *old, int newdirfd, const char *new, long *n)
{
        setup();
        if (!path_in_dir(olddirfd, old) && !path_in_dir(newdirfd, new))
                return 0;
        return before("rename", new, n) ? -1 : 0;
}

EXPORT int rename(const char *old, const char *new)
{
        long n = 0;
        int r;

        REAL(rename, int (*)(const char *, const char *));
        if (count_rename(AT_FDCWD, old, AT_FDCWD, new, &n) < 0)
                return -1;
        r = real_rename(old, new);
        after(n);
        return r;
}

EXPORT int renameat(int od, const char *old, int nd, const char *new)
{
        long n = 0;
        int r;

        REAL(renameat, int (*)(int, const char *, int, const char *));
        if (count_rename(od, old, nd, new, &n) < 0)
                return -1;
        r = real_renameat(od, old, nd, new);
        after(n);
        return r;
}

EXPORT int renameat2(int od, const char *old, int nd, const char *new, unsigned flags)
{
        long n = 0;
        int r;

        REAL(renameat2, int (*)(int, const char *, int, const char *, unsigned));
        if (count_rename(od, old, nd, new, &n) < 0)
                return -1;
        r = real_renameat2(od, old, nd, new, flags);
        after(n);
        return r;
}

/* FAILSHIM_MODE=count: the total, for the test to loop over. */
__attribute__((destructor)) static void report(void)
{
        const char *path = getenv("FAILSHIM_COUNT_FILE");
        char line[32];
        int fd, len;

        if (!path || !*path)
                return;
        fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                          0644);
        if (fd < 0)
                return;
        len = snprintf(line, sizeof(line), "%ld\n", counter);
        syscall(SYS_write, fd, line, (size_t)len);
        syscall(SYS_close, fd);
}
