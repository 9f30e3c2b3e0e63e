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
