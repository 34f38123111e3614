import Foundation
import Runtime

// What a command reads from its flags and the environment once, as it starts, and hands to the
// library as values.

/// Opens OpenBLAS (the file CREMA_BLAS_LIBRARY names, else the system's) with Crema's loops on
/// the pool CREMA_THREAD_POOL names, saying what to do when it cannot be opened.
func openBLAS() throws {
    let environment = ProcessInfo.processInfo.environment
    do {
        try BLAS.use(library: environment["CREMA_BLAS_LIBRARY"], threadPool: ThreadPool.named(environment["CREMA_THREAD_POOL"]))
        try BLAS.load()
    } catch {
        throw CLIError(UserMessage.describe(error))
    }
}

/// Opens OpenBLAS and sets the kernel and BLAS thread counts (one team for the process).
func configureThreads(_ threads: Int?) throws {
    try openBLAS()
    let n = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
    Parallel.threads = n
    BLAS.threads = n
}

/// The compile options the environment asks for (CREMA_CONV_ENGINE, CREMA_PRECISION).
func compileOptions() throws -> CompileOptions {
    try openBLAS()
    do {
        return try CompileOptions.reading(environment: ProcessInfo.processInfo.environment)
    } catch {
        throw CLIError(UserMessage.describe(error))
    }
}
