import Foundation
import Runtime

// What a command reads from its flags and the environment once, as it starts, and hands to the
// library as values.

/// Sets the kernel and BLAS thread counts (one team for the process).
func configureThreads(_ threads: Int?) {
    let n = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
    Parallel.threads = n
    BLAS.threads = n
}

/// The compile options the environment asks for (CREMA_CONV_ENGINE, CREMA_PRECISION).
func compileOptions() throws -> CompileOptions {
    do {
        return try CompileOptions.reading(environment: ProcessInfo.processInfo.environment)
    } catch {
        throw CLIError(UserMessage.describe(error))
    }
}
