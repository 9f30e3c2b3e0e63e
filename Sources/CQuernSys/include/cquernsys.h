#pragma once
/// Atomically swaps two paths (Linux renameat2 with RENAME_EXCHANGE). Returns 0, or -1 with errno
/// set (ENOSYS or EINVAL where the kernel or filesystem cannot exchange).
int quern_rename_exchange(const char *a, const char *b);
