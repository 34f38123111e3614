import CBLAS
import CKernels
import Foundation

/// OpenBLAS starts its threads when it loads, and they inherit the loading thread's
/// floating-point environment: flush denormals first so that its kernels flush them too.
///
/// After each call OpenBLAS's threads spin waiting for the next one for 2^28 cycles (about a
/// tenth of a second) unless OPENBLAS_THREAD_TIMEOUT says otherwise, read when it loads. On two
/// cores that spinning thread takes a core from Crema's own parallel loops (pooling, LRN, the
/// small-batch products), which then run at half speed; 2^16 cycles (about 30 microseconds)
/// still spans consecutive calls. A value the user set is left alone.
private let loaded: Result<BLASLibrary, BLASError> = {
    // Only OpenBLAS's threads keep the setting; this thread gets its own back.
    let saved = crema_begin_flushing_denormals()
    defer { crema_restore_mxcsr(saved) }
    if getenv("OPENBLAS_THREAD_TIMEOUT") == nil && getenv("GOTO_THREAD_TIMEOUT") == nil {
        setenv("OPENBLAS_THREAD_TIMEOUT", "16", 1)
    }
    return BLASLibrary.opened
}()

/// The opened library. Every graph is compiled after `BLAS.load()` succeeded (the compiler
/// asks first), so no kernel reaches here without one; a host that calls BLAS directly without
/// loading it, on a machine without OpenBLAS, stops with the load error rather than computing
/// on nothing.
private var lib: BLASLibrary {
    @inline(__always) get {
        switch loaded {
        case .success(let library): return library
        case .failure(let error): fatalError("BLAS used without BLAS.load(): \(error)")
        }
    }
}
private let rowMajor = Int32(CREMA_CBLAS_ROW_MAJOR)
private let noTrans = Int32(CREMA_CBLAS_NO_TRANS)
private let BLAS_trans = Int32(CREMA_CBLAS_TRANS)

/// The only place that calls `cblas_*`: row-major Float products.
public enum BLAS {
    /// Opens OpenBLAS if it is not open yet; throws, saying what to install or unset, when it
    /// cannot be. `Compiler.compile` calls it, so a graph never runs without one.
    public static func load() throws {
        if case .failure(let error) = loaded { throw error }
    }

    /// Opens `library` (a path or a file name for dlopen; nil for the system's OpenBLAS) on
    /// first use instead, with Crema's loops on `threadPool`; the command line passes
    /// CREMA_BLAS_LIBRARY and CREMA_THREAD_POOL here. Neither can change once OpenBLAS is open,
    /// so after the first BLAS call this throws for a different choice.
    public static func use(library: String?, threadPool: ThreadPool = .team) throws {
        let wanted = library.flatMap { $0.isEmpty ? nil : $0 }
        if BLASLibrary.isOpened {
            guard wanted == BLASLibrary.requestedLibrary else {
                throw BLASError("OpenBLAS is already open (\(libraryPath)); \(wanted ?? "the system's OpenBLAS") can only be chosen before the first BLAS call")
            }
            guard threadPool == BLASLibrary.requestedPool else {
                throw BLASError("the thread pool (\(BLASLibrary.requestedPool.rawValue)) is fixed once OpenBLAS is open; \(threadPool.rawValue) can only be chosen before the first BLAS call")
            }
            return
        }
        BLASLibrary.requestedLibrary = wanted
        BLASLibrary.requestedPool = threadPool
    }

    /// C = alpha * op(A) * op(B) + beta * C, row-major; op(A) is MxK, op(B) is KxN.
    @inline(__always)
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                            a: UnsafePointer<Float>, b: UnsafePointer<Float>, beta: Float,
                            c: UnsafeMutablePointer<Float>) {
        let lda = transA ? m : k
        let ldb = transB ? k : n
        prepareTeam()
        lib.sgemm(rowMajor, transA ? BLAS_trans : noTrans, transB ? BLAS_trans : noTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(n))
    }

    /// y = alpha * op(A) * x + beta * y, A row-major MxN.
    @inline(__always)
    public static func gemv(trans: Bool, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>,
                            x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>) {
        prepareTeam()
        lib.sgemv(rowMajor, trans ? BLAS_trans : noTrans, Int32(m), Int32(n), alpha, a, Int32(n),
                    x, 1, beta, y, 1)
    }

    /// y += alpha * x
    @inline(__always)
    public static func axpy(_ n: Int, _ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        prepareTeam()
        lib.saxpy(Int32(n), alpha, x, 1, y, 1)
    }

    /// x *= alpha
    @inline(__always)
    public static func scal(_ n: Int, _ alpha: Float, _ x: UnsafeMutablePointer<Float>) {
        prepareTeam()
        lib.sscal(Int32(n), alpha, x, 1)
    }

    @inline(__always)
    public static func dot(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) -> Float {
        prepareTeam()
        return lib.sdot(Int32(n), x, 1, y, 1)
    }

    /// Sum of absolute values.
    @inline(__always)
    public static func asum(_ n: Int, _ x: UnsafePointer<Float>) -> Float {
        prepareTeam()
        return lib.sasum(Int32(n), x, 1)
    }

    /// OpenBLAS's OpenMP build computes on the calling thread's libgomp team, whose workers
    /// must flush denormals as Crema's own do.
    @inline(__always)
    private static func prepareTeam() {
        if lib.runsOnTeam { crema_team_prepare(UInt32(max(1, Int(lib.getThreads()), Parallel.threads))) }
    }

    /// For `m` input rows (1...8) of `k` values, `y[j * outputs + i] = dot(w row i, x row j)`
    /// (plus `bias[i]`) over a row-major `outputs x k` weight matrix: a fully connected layer at
    /// batch sizes where it is bound by reading the weights. Each weight is read once for all
    /// rows, and the outputs are split over the cores so both stream weights at once.
    public static func smallBatchProduct(m: Int, outputs: Int, k: Int, weights: UnsafePointer<Float>,
                                         x: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                         y: UnsafeMutablePointer<Float>) {
        // About a million weights per chunk (4 MB) is worth a thread.
        let grain = max(4, (1 << 20) / max(k, 1))
        Parallel.forEachChunk(outputs, grain: grain) { rows in
            crema_rows_dot(weights, x, bias, y, Int64(k), Int64(m), Int64(k), Int64(outputs),
                           Int64(rows.lowerBound), Int64(rows.upperBound))
        }
    }

    /// The most input rows `smallBatchProduct` takes.
    public static let smallBatchLimit = 8

    /// The library if it opened; the descriptions below say "unavailable" rather than stop.
    private static var library: BLASLibrary? { try? loaded.get() }

    /// Threads OpenBLAS uses for each call (1, and setting does nothing, when it did not open).
    public static var threads: Int {
        get { library.map { Int($0.getThreads()) } ?? 1 }
        set {
            guard let library else { return }
            library.setThreads(Int32(clamping: newValue))
            // The OpenMP build sizes its regions by the caller's OpenMP setting.
            if library.runsOnTeam { crema_team_set_threads(Int32(clamping: newValue)) }
        }
    }

    /// The file Crema opened: Debian's OpenMP build of OpenBLAS where it is installed (it shares
    /// libgomp's threads with oneDNN and Crema's loops), else the system's OpenBLAS.
    public static var libraryPath: String { library?.path ?? "unavailable" }
    /// Whether OpenBLAS's threads are libgomp's team (its OpenMP build).
    public static var runsOnTeam: Bool { library?.runsOnTeam ?? false }

    /// OpenBLAS's own description: version, build options and the kernels it chose.
    public static var configuration: String { library?.config().map { String(cString: $0) } ?? "unavailable" }
    public static var coreName: String { library?.corename().map { String(cString: $0) } ?? "unavailable" }
    /// The OPENBLAS_CORETYPE Crema set before loading OpenBLAS; nil when it left it alone.
    public static var chosenCoreType: String? { library?.chosenCoreType }
}

/// Which build of Crema's own vectorised kernels (pooling, LRN, small-batch products) runs.
public enum KernelVariant: Int, Sendable, CaseIterable {
    /// Plain C for the baseline x86-64 instruction set.
    case plain = 0
    /// AVX-512 (F, BW, DQ, VL).
    case avx512 = 1

    /// The variant in use; the best the processor supports unless set (tests run each).
    public static var current: KernelVariant {
        get { KernelVariant(rawValue: Int(crema_kernel_level())) ?? .plain }
        set { crema_set_kernel_level(Int32(newValue.rawValue)) }
    }

    /// The best variant this processor runs.
    public static var best: KernelVariant { KernelVariant(rawValue: Int(crema_kernel_level_supported())) ?? .plain }

    /// The variants this processor runs, plain first.
    public static var supported: [KernelVariant] { allCases.filter { $0.rawValue <= best.rawValue } }
}
