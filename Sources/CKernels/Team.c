// Crema's parallel loops on libgomp's thread team, the team oneDNN (and OpenBLAS's OpenMP
// build) run on: one set of worker threads for every kernel, so no pool's idle threads spin
// on a core another pool needs. libgomp is opened at run time by the Swift side (after it has
// chosen OpenMP's settings, which libgomp reads once when it loads) and handed over here.
#include <dlfcn.h>
#include <stddef.h>
#include "CKernels.h"

// libgomp is not built for ThreadSanitizer, so the hand-over GOMP_parallel makes (the job is
// written before the workers start, and their writes are done when it returns) is invisible to
// it. Under -fsanitize=thread these say so, with separate marks for the start and the join so
// that one worker's chunks are never ordered before another's: races between chunks are still
// reported. They compile to nothing otherwise.
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define TEAM_HANDOVER(mark) __tsan_release(mark)
#define TEAM_RECEIVE(mark) __tsan_acquire(mark)
#endif
#endif
#ifndef TEAM_HANDOVER
#define TEAM_HANDOVER(mark) ((void)0)
#define TEAM_RECEIVE(mark) ((void)0)
#endif

typedef void (*gomp_parallel_fn)(void (*)(void *), void *, unsigned, unsigned);
typedef int (*omp_int_fn)(void);
typedef void (*omp_set_fn)(int);

static gomp_parallel_fn team_parallel;
static omp_int_fn team_thread_num;
static omp_int_fn team_num_threads;
static omp_set_fn team_set_num_threads;

int crema_team_install(void *handle) {
    // GOMP_parallel is the entry point GCC compiles `#pragma omp parallel` into (libgomp 4.9+).
    gomp_parallel_fn parallel = (gomp_parallel_fn)dlsym(handle, "GOMP_parallel");
    omp_int_fn thread_num = (omp_int_fn)dlsym(handle, "omp_get_thread_num");
    omp_int_fn num_threads = (omp_int_fn)dlsym(handle, "omp_get_num_threads");
    omp_set_fn set_num_threads = (omp_set_fn)dlsym(handle, "omp_set_num_threads");
    if (parallel == NULL || thread_num == NULL || num_threads == NULL || set_num_threads == NULL) return 0;
    team_set_num_threads = set_num_threads;
    team_thread_num = thread_num;
    team_num_threads = num_threads;
    team_parallel = parallel;
    return 1;
}

int crema_team_installed(void) { return team_parallel != NULL; }

void crema_team_set_threads(int threads) {
    if (team_set_num_threads != NULL && threads > 0) team_set_num_threads(threads);
}

static void team_flush(void *unused) {
    (void)unused;
    crema_flush_denormals();
}

// The team size whose workers this thread has set flushing on (libgomp keeps one team per
// thread that starts regions, and its workers keep the floating-point environment they were
// created with).
static __thread unsigned int team_flushed_threads;

void crema_team_prepare(unsigned int threads) {
    if (team_parallel == NULL || threads <= team_flushed_threads) return;
    unsigned int saved = crema_begin_flushing_denormals();
    team_parallel(team_flush, NULL, threads, 0);
    crema_restore_mxcsr(saved);
    team_flushed_threads = threads;
}

struct team_job {
    crema_team_body body;
    void *context;
    long chunks;
    char started, joined;  // ThreadSanitizer's marks (addresses only)
};

static void team_worker(void *data) {
    struct team_job *job = data;
    TEAM_RECEIVE(&job->started);
    unsigned int saved = crema_begin_flushing_denormals();
    long thread = team_thread_num(), threads = team_num_threads();
    for (long chunk = thread; chunk < job->chunks; chunk += threads) job->body(job->context, chunk);
    crema_restore_mxcsr(saved);
    TEAM_HANDOVER(&job->joined);
}

void crema_team_run(long chunks, unsigned int threads, crema_team_body body, void *context) {
    struct team_job job = {body, context, chunks, 0, 0};
    if (team_parallel == NULL || threads <= 1 || chunks <= 1) {
        for (long chunk = 0; chunk < chunks; chunk++) body(context, chunk);
        return;
    }
    TEAM_HANDOVER(&job.started);
    team_parallel(team_worker, &job, threads, 0);
    TEAM_RECEIVE(&job.joined);
}
