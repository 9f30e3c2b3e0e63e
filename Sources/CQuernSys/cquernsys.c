// renameat2 needs _GNU_SOURCE, which Swift's Glibc module does not set; this tiny shim exposes it.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
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

static void on_interrupt(int sig) {
    for (int i = 0; i < QUERN_TEMPS; i++) {
        if (temp_state[i] == 1) unlink(temp_paths[i]);
    }
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
