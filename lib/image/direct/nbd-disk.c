/* A disk image through a private qemu-nbd child and libnbd (see nbd-disk.h).
 *
 * We do the socket activation ourselves rather than through
 * nbd_connect_systemd_socket_activation: the socket is bound and listening
 * before qemu-nbd starts (no start-up race), and we keep the child's pid so
 * closing can check that qemu-nbd flushed and exited cleanly, and its
 * stderr lands in a file we quote when something fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <libnbd.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "macro.h"
#include "nbd-disk.h"
#include "watchdog.h"

/* qemu-nbd accepts requests of 32 MiB; stay well under it. */
#define NBD_CHUNK (4u << 20)
/* A large read goes out as pieces of READ_PIECE, up to READS_IN_FLIGHT of
 * them at once (qemu-nbd serves 16 at a time). */
#define READ_PIECE (1u << 20)
#define READS_IN_FLIGHT 8
/* How long closing waits for qemu-nbd to finish writing and exit. */
#define EXIT_WAIT_SECONDS 120

extern char **environ;

struct vhive_nbd_disk {
        struct nbd_handle *nbd;
        pid_t pid;    /* qemu-nbd, or 0 once reaped */
        int status;   /* its wait status once reaped */
        char *path;   /* the image, for messages */
        char dir[64]; /* private folder: sock, log */
        char sock[96];
        char log[96];
        uint64_t size;
        uint32_t align; /* the server's minimum block size (1 when none) */
        bool readonly;
        bool connected;                 /* handshake done */
        struct vhive_watchdog watchdog; /* stops qemu-nbd when vhive dies */
};

static const char *const formats[] = { "vpc", "vhdx", "qcow2", "raw" };

static bool format_known(const char *format)
{
        for (size_t i = 0; i < ARRAY_SIZE(formats); i++)
                if (format && strcmp(format, formats[i]) == 0)
                        return true;
        return false;
}

/* --image-opts value: qemu options escape a comma by doubling it.  Naming
 * the file driver explicitly keeps a path with a ':' from being taken for
 * a protocol ("nbd:", "json:"...). */
static char *image_opts(const char *format, const char *path)
{
        size_t len = strlen(path);
        size_t cap = 64 + strlen(format) + 2 * len;
        char *s = malloc(cap), *p;

        if (!s)
                return NULL;
        p = s + sprintf(s, "driver=%s,file.driver=file,file.filename=", format);
        for (size_t i = 0; i < len; i++) {
                *p++ = path[i];
                if (path[i] == ',')
                        *p++ = ',';
        }
        *p = '\0';
        return s;
}

/* qemu-nbd allocates a buffer per request and frees it after the reply;
 * with glibc's defaults a buffer of 1 MiB or more is a fresh mmap each
 * time (or the heap's top is trimmed), so every page of every read was
 * faulted in and zeroed anew: a third of a large download's CPU time
 * (perf; 33000 page faults for 120 MB, 10000 with these).  Our settings
 * come first, so any the caller gave win. */
#define QEMU_MALLOC_TUNABLES                                                                       \
        "GLIBC_TUNABLES=glibc.malloc.mmap_threshold=8388608:glibc.malloc.trim_threshold=33554432"

static void child_tunables(char *tun, size_t tun_len)
{
        const char *theirs = getenv("GLIBC_TUNABLES");
        int n = snprintf(tun, tun_len, "%s%s%s", QEMU_MALLOC_TUNABLES, theirs && *theirs ? ":" : "",
                         theirs ? theirs : "");

        if (n < 0 || (size_t)n >= tun_len)
                tun[0] = '\0'; /* theirs alone, as they are */
}

/* The child's environment: ours without any LISTEN_*, plus LISTEN_FDS=1
 * and a LISTEN_PID placeholder filled in after fork (only then is the pid
 * known, and only async-signal-safe work is allowed there); tun (see
 * child_tunables) replaces GLIBC_TUNABLES unless it is empty. */
static char **child_env(char *pid_var, size_t pid_var_len, char *tun)
{
        size_t n = 0, j = 0;
        char **env;

        while (environ[n])
                n++;
        env = calloc(n + 4, sizeof(*env));
        if (!env)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (strncmp(environ[i], "LISTEN_", 7) != 0 &&
                    (!tun[0] || strncmp(environ[i], "GLIBC_TUNABLES=", 15) != 0))
                        env[j++] = environ[i];
        if (tun[0])
                env[j++] = tun;
        snprintf(pid_var, pid_var_len, "LISTEN_PID=");
        env[j++] = pid_var;
        env[j++] = (char *)"LISTEN_FDS=1";
        env[j] = NULL;
        return env;
}

static void put_pid(char *dst, pid_t pid)
{
        char digits[24];
        int n = 0;

        do {
                digits[n++] = '0' + pid % 10;
                pid /= 10;
        } while (pid > 0);
        while (n > 0)
                *dst++ = digits[--n];
        *dst = '\0';
}

/* vhive's handlers (they only record a signal) are the child's until
 * exec: the SIGTERM of PR_SET_PDEATHSIG must end it instead, or a child
 * whose vhive died before exec would run a qemu-nbd nobody stops. */
static void default_signals(void)
{
        static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
        struct sigaction dfl = { .sa_handler = SIG_DFL };

        for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
                struct sigaction old;

                if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
                        sigaction(sigs[i], &dfl, NULL);
        }
}

/* In the child: only async-signal-safe calls until exec. */
static void __attribute__((noreturn))
exec_child(int listen_fd, int log_fd, int null_fd, char *const argv[], char **env, char *pid_var,
           pid_t parent)
{
        /* When vhive dies, however (SIGKILL included), qemu-nbd gets SIGTERM:
         * it finishes the request in flight, writes its format's metadata
         * (qcow2 refcounts) and exits; the watchdog (watchdog.c) sends
         * SIGKILL right behind it unless a written qcow2 needs that exit.
         * A vhive that died before the prctl is caught by the getppid
         * check. */
        default_signals();
        if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent)
                _exit(126);
        /* A process group of its own: a terminal's ^C reaches vhive alone,
         * which finishes the write in flight and then stops qemu-nbd. */
        if (setpgid(0, 0) < 0)
                _exit(126);
        if (listen_fd == 3) {
                if (fcntl(3, F_SETFD, 0) < 0)
                        _exit(126);
        } else if (dup2(listen_fd, 3) < 0) {
                _exit(126);
        }
        if (dup2(null_fd, 0) < 0 || dup2(null_fd, 1) < 0 || dup2(log_fd, 2) < 0)
                _exit(126);
        put_pid(pid_var + strlen("LISTEN_PID="), getpid());
        execvpe(argv[0], argv, env);
        _exit(127);
}

static int listen_socket(struct vhive_nbd_disk *d, int *fd, struct vhive_error *err)
{
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        *fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (*fd < 0)
                return vhive_fail(err, errno, "socket: %s", strerror(errno));
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", d->sock);
        if (bind(*fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(*fd, 8) < 0)
                return vhive_fail(err, errno, "%s: %s", d->sock, strerror(errno));
        return 0;
}

static int spawn(struct vhive_nbd_disk *d, const char *format, struct vhive_error *err)
{
        _cleanup_free_ char *opts = image_opts(format, d->path);
        _cleanup_free_ char **env = NULL;
        _cleanup_close_ int listen_fd = -1;
        _cleanup_close_ int log_fd = -1;
        _cleanup_close_ int null_fd = -1;
        char pid_var[48];
        char tunables[1024];
        const char *argv[8];
        pid_t parent;
        size_t a = 0;
        int r;

        child_tunables(tunables, sizeof(tunables));
        env = child_env(pid_var, sizeof(pid_var), tunables);
        if (!opts || !env)
                return vhive_fail(err, ENOMEM, "qemu-nbd: out of memory");
        argv[a++] = "qemu-nbd";
        argv[a++] = "--image-opts";
        /* writeback: qemu's cache is flushed by NBD_CMD_FLUSH and on exit */
        argv[a++] = "--cache=writeback";
        if (d->readonly)
                argv[a++] = "--read-only";
        argv[a++] = opts;
        argv[a] = NULL;

        r = listen_socket(d, &listen_fd, err);
        if (r < 0)
                return r;
        log_fd = open(d->log, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (log_fd < 0 || null_fd < 0)
                return vhive_fail(err, errno, "qemu-nbd: %s", strerror(errno));
        /* PR_SET_PDEATHSIG's one SIGTERM is lost when it comes while
         * qemu-nbd is starting, and an orderly exit is slow: the watchdog
         * kills it (after SIGTERMs for a written qcow2 only).  It starts
         * before the fork, and the child names itself to it: started after,
         * a vhive killed in between (an ASan build's fork takes
         * milliseconds) left a qemu-nbd holding the image for good. */
        vhive_watchdog_start_unborn(&d->watchdog, !d->readonly && strcmp(format, "qcow2") == 0);
        parent = getpid();
        d->pid = fork();
        if (d->pid < 0) {
                d->pid = 0;
                return vhive_fail(err, errno, "fork: %s", strerror(errno));
        }
        if (d->pid == 0) {
                vhive_watchdog_name_self(&d->watchdog);
                exec_child(listen_fd, log_fd, null_fd, (char *const *)argv, env, pid_var, parent);
        }
        /* The child holds the listening socket now; once it exits, a
         * connection attempt fails instead of hanging. */
        return 0;
}

int vhive_nbd_start(struct vhive_nbd_disk **dp, const char *path, const char *format, bool readonly,
                    struct vhive_error *err)
{
        struct vhive_nbd_disk *d;
        const char *tmp = getenv("TMPDIR");
        int r;

        *dp = NULL;
        if (!format_known(format))
                return vhive_fail(err, EINVAL, "unsupported image format \"%s\"",
                                  format ? format : "");
        if (!tmp || !*tmp || strlen(tmp) > 40)
                tmp = "/tmp";
        d = calloc(1, sizeof(*d));
        if (!d || !(d->path = strdup(path))) {
                free(d);
                return vhive_fail(err, ENOMEM, "out of memory");
        }
        d->readonly = readonly;
        snprintf(d->dir, sizeof(d->dir), "%s/vhive-nbd.XXXXXX", tmp);
        if (!mkdtemp(d->dir)) {
                r = vhive_fail(err, errno, "mkdtemp %s: %s", d->dir, strerror(errno));
                d->dir[0] = '\0';
                vhive_nbd_close(d, NULL);
                return r;
        }
        snprintf(d->sock, sizeof(d->sock), "%s/sock", d->dir);
        snprintf(d->log, sizeof(d->log), "%s/log", d->dir);
        r = spawn(d, format, err);
        if (r < 0) {
                vhive_nbd_close(d, NULL);
                return r;
        }
        *dp = d;
        return 0;
}

/* Waits up to timeout_ms for qemu-nbd; true when it has exited. */
static bool reap(struct vhive_nbd_disk *d, long timeout_ms)
{
        struct timespec ts = { 0, 100 * 1000 }; /* 0.1 ms, doubling to 50 ms */
        long waited_us = 0;

        while (d->pid > 0) {
                pid_t r = waitpid(d->pid, &d->status, WNOHANG);

                if (r == d->pid || (r < 0 && errno != EINTR)) {
                        d->pid = 0;
                        break;
                }
                if (waited_us / 1000 >= timeout_ms)
                        return false;
                nanosleep(&ts, NULL);
                waited_us += ts.tv_nsec / 1000;
                if (ts.tv_nsec < 50 * 1000 * 1000)
                        ts.tv_nsec *= 2;
        }
        return true;
}

/* A qemu-nbd that never served anyone: SIGTERM, repeated every 50 ms for
 * two seconds, because one that comes while it starts is lost (see
 * watchdog.c), then SIGKILL: it holds nothing of the image's yet. */
static void stop_unserved(struct vhive_nbd_disk *d)
{
        for (int tries = 0; tries < 40 && d->pid > 0; tries++) {
                kill(d->pid, SIGTERM);
                if (reap(d, 50))
                        return;
        }
        if (d->pid > 0)
                kill(d->pid, SIGKILL);
}

/* qemu-nbd's last message, without the "qemu-nbd: " prefix. */
static void child_message(const struct vhive_nbd_disk *d, char *buf, size_t len)
{
        _cleanup_close_ int fd = open(d->log, O_RDONLY | O_CLOEXEC);
        char raw[2048], *line, *end;
        ssize_t n;

        buf[0] = '\0';
        n = fd < 0 ? -1 : read(fd, raw, sizeof(raw) - 1);
        if (n <= 0)
                return;
        raw[n] = '\0';
        while (n > 0 && (raw[n - 1] == '\n' || raw[n - 1] == ' '))
                raw[--n] = '\0';
        line = strrchr(raw, '\n');
        line = line ? line + 1 : raw;
        if (strncmp(line, "qemu-nbd: ", 10) == 0)
                line += 10;
        /* "Failed to blk_new_open 'driver=...,file.filename=X': why": the
         * options are ours, the reason is what helps */
        if (strncmp(line, "Failed to blk_new_open '", 24) == 0 && strstr(line, "': "))
                line = strstr(line, "': ") + 3;
        end = line + strlen(line);
        snprintf(buf, len, "%.*s", (int)(end - line), line);
}

static int child_failure(struct vhive_nbd_disk *d, const char *what, struct vhive_error *err)
{
        char msg[768];

        reap(d, 2000);
        child_message(d, msg, sizeof(msg));
        if (d->pid == 0 && WIFEXITED(d->status) && WEXITSTATUS(d->status) == 127)
                return vhive_fail(err, ENOENT, "qemu-nbd not found: install qemu-utils");
        if (msg[0])
                return vhive_fail(err, EIO, "qemu-nbd: %s", msg);
        return vhive_fail(err, EIO, "%s: %s", what, nbd_get_error());
}

int vhive_nbd_connect(struct vhive_nbd_disk *d, struct vhive_error *err)
{
        int64_t size;

        d->nbd = nbd_create();
        if (!d->nbd)
                return vhive_fail(err, nbd_get_errno() ? nbd_get_errno() : ENOMEM, "nbd_create: %s",
                                  nbd_get_error());
        if (nbd_connect_unix(d->nbd, d->sock) < 0)
                return child_failure(d, "connecting to qemu-nbd", err);
        size = nbd_get_size(d->nbd);
        if (size < 0)
                return child_failure(d, "size of the image", err);
        d->size = (uint64_t)size;
        d->connected = true;
        /* libnbd zeroes every read buffer first, in case a caller uses it
         * after a failed read; ours never do, and the memset is about 5 % of a
         * large download's CPU time (perf). */
        if (nbd_set_pread_initialize(d->nbd, false) < 0)
                return child_failure(d, "libnbd", err);
        /* qemu-nbd advertises e.g. 4096 for a VHDX with 4K sectors; libnbd
         * refuses smaller requests, so we bounce those (align_io). */
        size = nbd_get_block_size(d->nbd, LIBNBD_SIZE_MINIMUM);
        d->align = size > 1 && size <= (1 << 16) ? (uint32_t)size : 1;
        if (!d->readonly && nbd_is_read_only(d->nbd) != 0)
                return vhive_fail(err, EROFS, "qemu-nbd serves it read-only");
        return 0;
}

int vhive_nbd_open(struct vhive_nbd_disk **d, const char *path, const char *format, bool readonly,
                   struct vhive_error *err)
{
        int r = vhive_nbd_start(d, path, format, readonly, err);

        if (r < 0)
                return r;
        r = vhive_nbd_connect(*d, err);
        if (r < 0) {
                vhive_nbd_close(*d, NULL);
                *d = NULL;
        }
        return r;
}

uint64_t vhive_nbd_size(const struct vhive_nbd_disk *d)
{
        return d->size;
}

bool vhive_nbd_readonly(const struct vhive_nbd_disk *d)
{
        return d->readonly;
}

static int check_range(struct vhive_nbd_disk *d, size_t count, uint64_t offset,
                       struct vhive_error *err)
{
        if (!d->nbd)
                return vhive_fail(err, EBADF, "not connected");
        if (offset > d->size || count > d->size - offset)
                return vhive_fail(err, EINVAL,
                                  "%zu bytes at %llu lie past the end of the disk (%llu)", count,
                                  (unsigned long long)offset, (unsigned long long)d->size);
        return 0;
}

static int nbd_failure(const char *what, uint64_t offset, struct vhive_error *err)
{
        int e = nbd_get_errno();

        return vhive_fail(err, e ? e : EIO, "%s at %llu: %s", what, (unsigned long long)offset,
                          nbd_get_error());
}

/* Retires every command of cookies[0..n), waiting for each: the first
 * failure is reported, but only once none of them can still write into the
 * caller's buffer.  A signal (EINTR) fails the read, as it fails a
 * synchronous one, after the wait; any other failure ends it (libnbd has
 * then moved the connection to DEAD, which writes into no buffer). */
static int retire_reads(struct vhive_nbd_disk *d, const int64_t *cookies, const uint64_t *offsets,
                        size_t n, struct vhive_error *err)
{
        int r = 0;

        for (size_t i = 0; i < n; i++) {
                int done;

                while ((done = nbd_aio_command_completed(d->nbd, cookies[i])) == 0) {
                        if (nbd_poll(d->nbd, -1) >= 0)
                                continue;
                        if (r == 0)
                                r = nbd_failure("read", offsets[i], err);
                        if (nbd_get_errno() != EINTR)
                                return r;
                }
                if (done < 0 && r == 0)
                        r = nbd_failure("read", offsets[i], err);
        }
        return r;
}

/* With one synchronous request at a time, qemu-nbd and we take turns (and,
 * on a loaded machine, wait for a CPU at every turn).  Several requests in
 * flight let qemu-nbd's reads, the socket and our receiving overlap: the
 * download of a 120 MB hive took half the time (bench/bench-download.sh).
 * The bytes read are the same; writes stay one synchronous request at a
 * time (raw_io). */
static int parallel_read(struct vhive_nbd_disk *d, uint8_t *buf, size_t count, uint64_t offset,
                         struct vhive_error *err)
{
        int64_t cookies[READS_IN_FLIGHT];
        uint64_t offsets[READS_IN_FLIGHT];

        while (count > 0) {
                size_t n = 0;
                int r;

                for (; n < READS_IN_FLIGHT && count > 0; n++) {
                        size_t len = count < READ_PIECE ? count : READ_PIECE;

                        offsets[n] = offset;
                        cookies[n] = nbd_aio_pread(d->nbd, buf, len, offset, NBD_NULL_COMPLETION,
                                                   0);
                        if (cookies[n] < 0) {
                                r = nbd_failure("read", offset, err);
                                retire_reads(d, cookies, offsets, n, NULL);
                                return r;
                        }
                        buf += len;
                        count -= len;
                        offset += len;
                }
                r = retire_reads(d, cookies, offsets, n, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int raw_io(struct vhive_nbd_disk *d, bool write, void *buf, size_t count, uint64_t offset,
                  struct vhive_error *err)
{
        if (!write && count > READ_PIECE)
                return parallel_read(d, buf, count, offset, err);
        while (count > 0) {
                size_t n = count < NBD_CHUNK ? count : NBD_CHUNK;
                int r;

                if (write)
                        vhive_watchdog_writing(&d->watchdog);
                r = write ? nbd_pwrite(d->nbd, buf, n, offset, 0)
                          : nbd_pread(d->nbd, buf, n, offset, 0);

                if (r < 0)
                        return nbd_failure(write ? "write" : "read", offset, err);
                buf = (uint8_t *)buf + n;
                count -= n;
                offset += n;
        }
        return 0;
}

/* A request not aligned to the server's block size goes through a bounce
 * buffer covering whole blocks (read-modify-write for a write).  libntfs-3g
 * mostly does aligned I/O; the odd 1-byte probe read is what lands here. */
static int align_io(struct vhive_nbd_disk *d, bool write, void *buf, size_t count, uint64_t offset,
                    struct vhive_error *err)
{
        uint64_t start = offset - offset % d->align;
        uint64_t end = offset + count;
        _cleanup_free_ uint8_t *bounce = NULL;
        int r;

        if (end % d->align)
                end += d->align - end % d->align;
        if (end > d->size)
                return vhive_fail(err, EINVAL, "unaligned request at the end of the disk");
        bounce = malloc(end - start);
        if (!bounce)
                return vhive_fail(err, ENOMEM, "out of memory");
        r = raw_io(d, false, bounce, end - start, start, err);
        if (r < 0 || !write) {
                if (r == 0)
                        memcpy(buf, bounce + (offset - start), count);
                return r;
        }
        memcpy(bounce + (offset - start), buf, count);
        return raw_io(d, true, bounce, end - start, start, err);
}

static int disk_io(struct vhive_nbd_disk *d, bool write, void *buf, size_t count, uint64_t offset,
                   struct vhive_error *err)
{
        int r = check_range(d, count, offset, err);

        if (r == 0 && write && d->readonly)
                return vhive_fail(err, EROFS, "opened read-only");
        if (r < 0 || count == 0)
                return r;
        if (offset % d->align == 0 && count % d->align == 0)
                return raw_io(d, write, buf, count, offset, err);
        return align_io(d, write, buf, count, offset, err);
}

int vhive_nbd_pread(struct vhive_nbd_disk *d, void *buf, size_t count, uint64_t offset,
                    struct vhive_error *err)
{
        return disk_io(d, false, buf, count, offset, err);
}

int vhive_nbd_pwrite(struct vhive_nbd_disk *d, const void *buf, size_t count, uint64_t offset,
                     struct vhive_error *err)
{
        return disk_io(d, true, (void *)buf, count, offset, err);
}

int vhive_nbd_flush(struct vhive_nbd_disk *d, struct vhive_error *err)
{
        if (!d->nbd)
                return vhive_fail(err, EBADF, "not connected");
        if (d->readonly)
                return 0;
        if (nbd_flush(d->nbd, 0) < 0)
                return nbd_failure("flush", 0, err);
        return 0;
}

static int blockio_pread(void *ctx, void *buf, size_t count, uint64_t offset,
                         struct vhive_error *err)
{
        return vhive_nbd_pread(ctx, buf, count, offset, err);
}

static int blockio_pwrite(void *ctx, const void *buf, size_t count, uint64_t offset,
                          struct vhive_error *err)
{
        return vhive_nbd_pwrite(ctx, buf, count, offset, err);
}

static int blockio_flush(void *ctx, struct vhive_error *err)
{
        return vhive_nbd_flush(ctx, err);
}

struct vhive_blockio vhive_nbd_blockio(struct vhive_nbd_disk *d)
{
        return (struct vhive_blockio){ .ctx = d,
                                       .size = d->size,
                                       .readonly = d->readonly,
                                       .pread = blockio_pread,
                                       .pwrite = blockio_pwrite,
                                       .flush = blockio_flush };
}

/* Disconnects and checks that qemu-nbd exited 0. */
static int finish_child(struct vhive_nbd_disk *d, struct vhive_error *err)
{
        char msg[768];

        if (d->pid == 0)
                return 0;
        if (!reap(d, EXIT_WAIT_SECONDS * 1000L)) {
                kill(d->pid, SIGKILL);
                reap(d, 5000);
                return vhive_fail(err, ETIMEDOUT,
                                  "qemu-nbd did not exit within %d s after disconnecting",
                                  EXIT_WAIT_SECONDS);
        }
        if (WIFEXITED(d->status) && WEXITSTATUS(d->status) == 0)
                return 0;
        child_message(d, msg, sizeof(msg));
        if (WIFSIGNALED(d->status))
                return vhive_fail(err, EIO, "qemu-nbd was killed by signal %d%s%s",
                                  WTERMSIG(d->status), msg[0] ? ": " : "", msg);
        return vhive_fail(err, EIO, "qemu-nbd exited with status %d%s%s", WEXITSTATUS(d->status),
                          msg[0] ? ": " : "", msg);
}

int vhive_nbd_close(struct vhive_nbd_disk *d, struct vhive_error *err)
{
        struct vhive_error e2;
        int r = 0, r2;

        if (!d)
                return 0;
        if (!err)
                err = &e2;
        if (d->connected) {
                if (!d->readonly)
                        r = vhive_nbd_flush(d, err);
                /* A clean NBD_CMD_DISC: qemu-nbd flushes and exits 0 after it. */
                if (nbd_shutdown(d->nbd, 0) < 0 && r == 0)
                        r = nbd_failure("disconnect", 0, err);
        }
        if (d->nbd)
                nbd_close(d->nbd);
        if (!d->connected)
                stop_unserved(d);
        r2 = finish_child(d, r < 0 ? &e2 : err);
        vhive_watchdog_stop(&d->watchdog); /* qemu-nbd is gone: a kill until then stops it */
        if (r == 0 && d->connected)
                r = r2;
        if (d->dir[0]) {
                unlink(d->sock);
                unlink(d->log);
                if (rmdir(d->dir) < 0 && r == 0)
                        r = vhive_fail(err, errno, "rmdir %s: %s", d->dir, strerror(errno));
        }
        free(d->path);
        free(d);
        return r;
}
