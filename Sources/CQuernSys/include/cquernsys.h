#pragma once
/// Atomically swaps two paths (Linux renameat2 with RENAME_EXCHANGE). Returns 0, or -1 with errno
/// set (ENOSYS or EINVAL where the kernel or filesystem cannot exchange).
int quern_rename_exchange(const char *a, const char *b);
/// pipe2(fds, O_CLOEXEC): a pipe whose ends are not inherited by other children.
int quern_pipe_cloexec(int fds[2]);
#include <sys/types.h>
/// Process groups of running hooks, ended by quern_forward_interrupts' handler.
void quern_track_group(pid_t group);
void quern_untrack_group(pid_t group);
/// On SIGINT or SIGTERM: send the signal to every tracked group, print a line, exit 128 + signal.
/// A C handler, because only async-signal-safe calls may run there.
void quern_forward_interrupts(void);
/// Temporary files being written, removed by the interrupt handler: track before creating the
/// file, untrack once it is renamed into place or removed. Returns -1 when the table is full.
int quern_track_temp(const char *path);
void quern_untrack_temp(const char *path);
/// The staging folder a merge is filling (NULL: none), emptied and removed by the interrupt handler.
void quern_track_staging(const char *path);
/// glibc malloc settings for quern's pattern: batches of arrays of 1-10 MB allocated by worker and
/// loader threads and freed after use. By default each such array is a fresh mmap, zero-filled page
/// by page on first touch and unmapped on free: about half of a merge's system time. With a 16 MiB
/// mmap threshold, a 32 MiB trim threshold and two arenas, freed arrays are reused instead. Larger
/// settings cut a little more system time but pushed `quern run`'s peak on games/large from 190 to
/// 240 MiB, close to its 256 MiB bound; these keep it at 190.
void quern_tune_malloc(void);
/// Gives the memory that malloc holds free (in every arena) back to the system (malloc_trim):
/// between a merge's stages, so what the batches used does not stay resident under the next.
void quern_release_free_memory(void);
/// Starts writing a file range back to disk without waiting (Linux sync_file_range with
/// SYNC_FILE_RANGE_WRITE), so a later fsync has less left to wait for. Returns 0 or -1 (errno).
int quern_start_writeback(int fd, long long offset, long long length);
#include <spawn.h>
/// posix_spawn_file_actions_addchdir_np (glibc 2.29): the child starts in `path`. Needs _GNU_SOURCE.
int quern_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *path);
/// For a quern started by another quern (`run --datasets`, `compare`): the parent puts its pid in
/// QUERN_PARENT_PID; when this process is its direct child, it asks the kernel for SIGTERM when
/// the parent dies (PR_SET_PDEATHSIG), so a SIGKILLed parent leaves no child holding a lock. When
/// the parent died before that, it ends itself with SIGTERM. The variable is removed, so what this
/// process starts does not inherit it. Call after quern_forward_interrupts, before other threads.
void quern_die_with_parent(void);
/// Checks the address-space and data limits (ulimit -v, ulimit -d) before any thread starts:
/// below what quern needs, libdispatch waits forever for a thread it cannot create, or an
/// allocation fails later. Prints why on stderr and returns 1 then; 0 when the limits are fine.
int quern_check_memory_limits(void);
/// The width in columns of the terminal on `fd` (ioctl TIOCGWINSZ), or 0 when `fd` is not a
/// terminal or reports no width. A C shim because Swift does not import the variadic ioctl.
int quern_terminal_columns(int fd);
