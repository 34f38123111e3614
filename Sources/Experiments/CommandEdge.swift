import Foundation
import Runtime

// What a command reads from its flags and the environment once, as it starts, and hands to the
// library as values.

/// Opens OpenBLAS (the file CREMA_BLAS_LIBRARY names, else the system's), saying what to do
/// when it cannot be opened.
func openBLAS() throws {
    try BLAS.use(library: ProcessInfo.processInfo.environment["CREMA_BLAS_LIBRARY"])
    do {
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
