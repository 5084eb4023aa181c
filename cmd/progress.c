/* Progress on one redrawn line of stderr, while a run works: the library
 * calls back with the target, the step and a fraction (vhive.h); a timer
 * thread redraws every quarter second so that a long step without
 * fractions (the appliance's first seconds) still shows its time.  Only
 * when stderr is a terminal, unless --progress; the line is cleared before
 * anything else is printed.  Output goes through write(2), never stdio:
 * stdout may carry JSON, and no stdio lock is held across a fork. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"

static struct {
        pthread_mutex_t lock;
        pthread_cond_t wake;
        pthread_t thread;
        bool running, stop, drawn;
        char *const *targets;
        size_t n;
        size_t target;
        char step[96];
        double fraction;
        struct timespec since; /* when the step began */
        char last[512];        /* the line on screen */
} p = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER };

static double seconds_since(const struct timespec *t)
{
        struct timespec now;

        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double)(now.tv_sec - t->tv_sec) + (now.tv_nsec - t->tv_nsec) / 1e9;
}

static size_t columns(void)
{
        struct winsize ws;

        if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
                return ws.ws_col;
        return 80;
}

static const char *base_name(const char *path)
{
        const char *slash = strrchr(path, '/');

        return slash && slash[1] ? slash + 1 : path;
}

static void write_all(const char *s, size_t len)
{
        while (len > 0) {
                ssize_t w = write(STDERR_FILENO, s, len);

                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return; /* progress is best effort */
                s += w;
                len -= (size_t)w;
        }
}

/* Appends to line (size bytes, used of them in use), never past its end. */
static void append(char *line, size_t size, size_t *used, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static void append(char *line, size_t size, size_t *used, const char *fmt, ...)
{
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(line + *used, size - *used, fmt, ap);
        va_end(ap);
        if (n > 0)
                *used = *used + (size_t)n < size ? *used + (size_t)n : size - 1;
}

/* "vhive: [2/8] a.vhdx: downloading the hive 45% 3s", cut to the terminal
 * width (a wrapped line cannot be redrawn in place).  Lock held. */
static void draw(void)
{
        char line[512];
        double secs = seconds_since(&p.since);
        size_t len = 0, max = columns() - 1;

        append(line, sizeof(line), &len, "\r\033[Kvhive: ");
        if (p.target != VHIVE_PROGRESS_RUN && p.target < p.n) {
                /* A name from a store listing may hold control characters. */
                char *name = vhive_escape_text(base_name(p.targets[p.target]));

                if (p.n > 1)
                        append(line, sizeof(line), &len, "[%zu/%zu] ", p.target + 1, p.n);
                append(line, sizeof(line), &len, "%s: ", name ? name : "?");
                free(name);
        }
        append(line, sizeof(line), &len, "%s", p.step);
        if (p.fraction >= 0)
                append(line, sizeof(line), &len, " %3d%%", (int)(p.fraction * 100 + 0.5));
        if (secs >= 1)
                append(line, sizeof(line), &len, " %ds", (int)secs);
        if (len - 4 > max) { /* "\r\033[K" takes no column */
                len = max + 4 < sizeof(line) ? max + 4 : sizeof(line) - 1;
                while (len > 4 && ((unsigned char)line[len] & 0xc0) == 0x80)
                        len--; /* not inside a UTF-8 character */
        }
        line[len] = '\0';
        if (p.drawn && strcmp(line, p.last) == 0)
                return;
        write_all(line, len);
        memcpy(p.last, line, len + 1);
        p.drawn = true;
}

static void on_progress(void *opaque, size_t target, const char *step, double fraction)
{
        (void)opaque;
        pthread_mutex_lock(&p.lock);
        if (step && (target != p.target || strcmp(step, p.step) != 0)) {
                snprintf(p.step, sizeof(p.step), "%s", step);
                clock_gettime(CLOCK_MONOTONIC, &p.since);
        }
        p.target = target;
        p.fraction = fraction;
        draw();
        pthread_mutex_unlock(&p.lock);
}

static void *ticker(void *arg)
{
        (void)arg;
        pthread_mutex_lock(&p.lock);
        while (!p.stop) {
                struct timespec until;

                clock_gettime(CLOCK_REALTIME, &until);
                until.tv_nsec += 250 * 1000 * 1000;
                if (until.tv_nsec >= 1000 * 1000 * 1000) {
                        until.tv_sec++;
                        until.tv_nsec -= 1000 * 1000 * 1000;
                }
                if (pthread_cond_timedwait(&p.wake, &p.lock, &until) == ETIMEDOUT && p.drawn)
                        draw();
        }
        pthread_mutex_unlock(&p.lock);
        return NULL;
}

static bool wanted(const struct cmd_opts *o)
{
        if (o->no_progress || o->progress)
                return !o->no_progress;
        /* -v passes libguestfs' own output through: lines would collide. */
        return !o->run.verbose && isatty(STDERR_FILENO);
}

void progress_begin(struct cmd_opts *o, char *const *targets, size_t n)
{
        if (!wanted(o))
                return;
        p.targets = targets;
        p.n = n;
        p.target = VHIVE_PROGRESS_RUN;
        p.step[0] = '\0';
        p.stop = false;
        p.drawn = false;
        clock_gettime(CLOCK_MONOTONIC, &p.since);
        p.running = pthread_create(&p.thread, NULL, ticker, NULL) == 0;
        o->run.progress = on_progress;
        o->run.progress_opaque = NULL;
}

void progress_end(struct cmd_opts *o)
{
        if (!o->run.progress)
                return;
        pthread_mutex_lock(&p.lock);
        p.stop = true;
        pthread_cond_signal(&p.wake);
        if (p.drawn)
                write_all("\r\033[K", 4);
        p.drawn = false;
        pthread_mutex_unlock(&p.lock);
        if (p.running)
                pthread_join(p.thread, NULL);
        p.running = false;
        o->run.progress = NULL;
}
