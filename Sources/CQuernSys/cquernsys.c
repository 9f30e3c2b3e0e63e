// renameat2 needs _GNU_SOURCE, which Swift's Glibc module does not set; this tiny shim exposes it.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include "cquernsys.h"

int quern_rename_exchange(const char *a, const char *b) {
#ifdef RENAME_EXCHANGE
    return renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
#else
    errno = ENOSYS;
    return -1;
#endif
}

#include <unistd.h>
int quern_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

#include <signal.h>
#include <string.h>
#include <time.h>
#define QUERN_GROUPS 256
static volatile pid_t groups[QUERN_GROUPS];

void quern_track_group(pid_t group) {
    for (int i = 0; i < QUERN_GROUPS; i++) {
        if (__sync_bool_compare_and_swap(&groups[i], 0, group)) return;
    }
}

void quern_untrack_group(pid_t group) {
    for (int i = 0; i < QUERN_GROUPS; i++) __sync_bool_compare_and_swap(&groups[i], group, 0);
}

// Temporary files being written: the handler removes them, so an interrupted run leaves none.
// A slot is claimed (2), filled, then published (1); the handler only reads published slots.
#define QUERN_TEMPS 128
#define QUERN_TEMP_PATH 4096
static char temp_paths[QUERN_TEMPS][QUERN_TEMP_PATH];
static volatile int temp_state[QUERN_TEMPS];

int quern_track_temp(const char *path) {
    if (strlen(path) >= QUERN_TEMP_PATH) return -1;
    for (int i = 0; i < QUERN_TEMPS; i++) {
        if (__sync_bool_compare_and_swap(&temp_state[i], 0, 2)) {
            strcpy(temp_paths[i], path);
            __sync_synchronize();
            temp_state[i] = 1;
            return i;
        }
    }
    return -1;
}

void quern_untrack_temp(const char *path) {
    for (int i = 0; i < QUERN_TEMPS; i++) {
        if (temp_state[i] == 1 && strcmp(temp_paths[i], path) == 0) {
            __sync_bool_compare_and_swap(&temp_state[i], 1, 0);
            return;
        }
    }
}

// A staging folder being filled (a merge's): removed by the handler with async-signal-safe
// calls only (open, getdents64, unlinkat, rmdir), one level of subfolders deep.
static char staging_path[QUERN_TEMP_PATH];
static volatile int staging_set;

void quern_track_staging(const char *path) {
    staging_set = 0;
    if (!path || strlen(path) >= QUERN_TEMP_PATH) return;
    strcpy(staging_path, path);
    __sync_synchronize();
    staging_set = 1;
}

#include <sys/syscall.h>
#include <dirent.h>
struct quern_dirent {
    unsigned long long d_ino;
    long long d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static void empty_folder(int dfd, int depth) {
    char buf[4096];
    for (;;) {
        long n = syscall(SYS_getdents64, dfd, buf, sizeof buf);
        if (n <= 0) return;
        for (long off = 0; off < n;) {
            struct quern_dirent *d = (struct quern_dirent *)(buf + off);
            off += d->d_reclen;
            if (d->d_name[0] == '.' && (d->d_name[1] == 0 || (d->d_name[1] == '.' && d->d_name[2] == 0))) continue;
            if (d->d_type == DT_DIR) {
                if (depth > 0) {
                    int sub = openat(dfd, d->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                    if (sub >= 0) { empty_folder(sub, depth - 1); close(sub); }
                }
                unlinkat(dfd, d->d_name, AT_REMOVEDIR);
            } else {
                unlinkat(dfd, d->d_name, 0);
            }
        }
    }
}

static void remove_staging(void) {
    if (!staging_set) return;
    int dfd = open(staging_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return;
    empty_folder(dfd, 1);
    close(dfd);
    rmdir(staging_path);
}

// Set once the handler starts. A thread that reaches exit() meanwhile (a hook ended by the same
// signal makes its stage fail and quern exit 1) waits in an atexit function for the handler,
// which ends the process with 128 + signal.
static volatile sig_atomic_t interrupted;

static void wait_for_interrupt_handler(void) {
    while (interrupted) pause();
}

static void on_interrupt(int sig) {
    interrupted = sig;
    for (int i = 0; i < QUERN_TEMPS; i++) {
        if (temp_state[i] == 1) unlink(temp_paths[i]);
    }
    remove_staging();
    int any = 0;
    for (int i = 0; i < QUERN_GROUPS; i++) {
        pid_t g = groups[i];
        if (g > 0) { kill(-g, sig); any = 1; }
    }
    // Background jobs of a non-interactive shell ignore SIGINT: give the groups a second, then end
    // whatever is left of them.
    for (int k = 0; any && k < 20; k++) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, 0);
        any = 0;
        for (int i = 0; i < QUERN_GROUPS; i++) {
            pid_t g = groups[i];
            if (g > 0 && kill(-g, 0) == 0) any = 1;
        }
    }
    for (int i = 0; i < QUERN_GROUPS; i++) {
        pid_t g = groups[i];
        if (g > 0) kill(-g, SIGKILL);
    }
    static const char msg[] = "\ninterrupted: run the same command again to resume (finished work is kept).\n";
    ssize_t ignored = write(2, msg, sizeof msg - 1);
    (void)ignored;
    _exit(128 + sig);
}

void quern_forward_interrupts(void) {
    atexit(wait_for_interrupt_handler);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_interrupt;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, 0);
    sigaction(SIGTERM, &sa, 0);
    // A parent may have started quern with these blocked; the handler must be able to run.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_UNBLOCK, &set, 0);
}

#include <malloc.h>

void quern_tune_malloc(void) {
    mallopt(M_MMAP_THRESHOLD, 16 << 20);
    mallopt(M_TRIM_THRESHOLD, 8 << 20);
    mallopt(M_ARENA_MAX, 2);
}

int quern_start_writeback(int fd, long long offset, long long length) {
    return sync_file_range(fd, (off64_t)offset, (off64_t)length, SYNC_FILE_RANGE_WRITE);
}

#include <spawn.h>
int quern_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

#include <malloc.h>
void quern_release_free_memory(void) { malloc_trim(0); }

#include <sys/prctl.h>
void quern_die_with_parent(void) {
    const char *value = getenv("QUERN_PARENT_PID");
    if (!value) return;
    pid_t parent = (pid_t)atol(value);
    unsetenv("QUERN_PARENT_PID");
    if (parent <= 1) return;
    // PDEATHSIG follows the thread that started this process: ChildProcess spawns from a thread
    // that waits for the child, so it outlives it unless the whole parent dies.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() == parent) return;
    // Not the direct child (a hook started this quern): nothing to follow, unless the parent is
    // already gone, when this process was orphaned before it could ask.
    prctl(PR_SET_PDEATHSIG, 0);
    if (kill(parent, 0) != 0 && errno == ESRCH) raise(SIGTERM);
}

#include <sys/resource.h>
// Measured: `quern --help` hangs at 100,000 KiB of address space and a small run at 150,000
// (libdispatch retries thread creation forever); 250,000 works for a small run. Threads'
// stacks and malloc arenas are address space, so leave room for many cores.
#define QUERN_MIN_ADDRESS_SPACE (512LL << 20)
#define QUERN_MIN_DATA (256LL << 20)

static int limit_problem(int resource, long long need, const char *what, const char *flag) {
    struct rlimit r;
    if (getrlimit(resource, &r) != 0 || r.rlim_cur == RLIM_INFINITY || (long long)r.rlim_cur >= need) return 0;
    char msg[512];
    int n = snprintf(msg, sizeof msg,
        "error: quern needs at least %lld MiB of %s, but this process may use only %lld MiB (ulimit %s %lld). "
        "Raise the limit (ulimit %s %lld, or unlimited); to keep quern's memory small, use --memory-limit "
        "(batch.memory_limit) instead.\n",
        need >> 20, what, (long long)r.rlim_cur >> 20, flag, (long long)r.rlim_cur >> 10, flag, (need >> 10) * 2);
    if (n > 0) {
        ssize_t ignored = write(2, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
        (void)ignored;
    }
    return 1;
}

int quern_check_memory_limits(void) {
    if (limit_problem(RLIMIT_AS, QUERN_MIN_ADDRESS_SPACE, "address space", "-v")) return 1;
    if (limit_problem(RLIMIT_DATA, QUERN_MIN_DATA, "data memory", "-d")) return 1;
    return 0;
}

#include <sys/ioctl.h>
int quern_terminal_columns(int fd) {
    struct winsize w;
    if (ioctl(fd, TIOCGWINSZ, &w) != 0) return 0;
    return w.ws_col;
}
