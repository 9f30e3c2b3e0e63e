#pragma once
/// Atomically swaps two paths (Linux renameat2 with RENAME_EXCHANGE). Returns 0, or -1 with errno
/// set (ENOSYS or EINVAL where the kernel or filesystem cannot exchange).
int quern_rename_exchange(const char *a, const char *b);
/// pipe2(fds, O_CLOEXEC): a pipe whose ends are not inherited by other children.
int quern_pipe_cloexec(int fds[2]);
