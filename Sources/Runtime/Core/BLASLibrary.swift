import CBLAS
import Foundation

/// OpenBLAS, opened at run time so that its kernels can be chosen before it loads.
///
/// OpenBLAS reads OPENBLAS_CORETYPE once, when the library is loaded. Debian's 0.3.21 does not
/// recognise recent Xeons and falls back to its generic SSE3 (Prescott) kernels, four to eight
/// times slower. Linking it would load it before `main`; opening it here, after setting the
/// variable, gives the AVX-512 kernels, in every process that uses Runtime (tests included).
/// A value the user or the machine has set is left alone.
final class BLASLibrary: @unchecked Sendable {
    typealias Sgemm = @convention(c) (Int32, Int32, Int32, Int32, Int32, Int32, Float,
                                      UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32, Float,
                                      UnsafeMutablePointer<Float>?, Int32) -> Void
    typealias Sgemv = @convention(c) (Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
                                      UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32) -> Void
    typealias Saxpy = @convention(c) (Int32, Float, UnsafePointer<Float>?, Int32, UnsafeMutablePointer<Float>?, Int32) -> Void
    typealias Sscal = @convention(c) (Int32, Float, UnsafeMutablePointer<Float>?, Int32) -> Void
    typealias Sdot = @convention(c) (Int32, UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32) -> Float
    typealias Sasum = @convention(c) (Int32, UnsafePointer<Float>?, Int32) -> Float
    typealias GetInt = @convention(c) () -> Int32
    typealias SetInt = @convention(c) (Int32) -> Void
    typealias GetString = @convention(c) () -> UnsafeMutablePointer<CChar>?

    let sgemm: Sgemm
    let sgemv: Sgemv
    let saxpy: Saxpy
    let sscal: Sscal
    let sdot: Sdot
    let sasum: Sasum
    let getThreads: GetInt
    let setThreads: SetInt
    let config: GetString
    let corename: GetString
    /// The OPENBLAS_CORETYPE Crema chose, nil when it left the choice to OpenBLAS or the user.
    let chosenCoreType: String?
    /// The file opened.
    let path: String
    /// Whether OpenBLAS computes on libgomp's team (its OpenMP build).
    let runsOnTeam: Bool

    /// The library, opened on first use with the file `requested` names (else the system's),
    /// or why it could not be opened. Opened once per process: OpenBLAS cannot be swapped.
    static let opened: Result<BLASLibrary, BLASError> = {
        defer { requestLock.withLock { openedYet = true } }
        return Result { try BLASLibrary() }.mapError { $0 as? BLASError ?? BLASError("\($0)") }
    }()
    nonisolated(unsafe) private static var openedYet = false
    /// Whether the library has been opened (or tried), after which the choice is fixed.
    static var isOpened: Bool { requestLock.withLock { openedYet } }

    private static let requestLock = NSLock()
    nonisolated(unsafe) private static var requestedName: String?

    nonisolated(unsafe) private static var requestedThreads = ThreadPool.team

    /// The library CREMA_BLAS_LIBRARY names (a path or a file name for dlopen), as the command
    /// that read it passed it to `BLAS.use(library:threadPool:)`.
    static var requestedLibrary: String? {
        get { requestLock.withLock { requestedName } }
        set { requestLock.withLock { requestedName = newValue } }
    }

    /// The pool CREMA_THREAD_POOL names, as the command passed it to `BLAS.use`.
    static var requestedPool: ThreadPool {
        get { requestLock.withLock { requestedThreads } }
        set { requestLock.withLock { requestedThreads = newValue } }
    }

    private init() throws {
        chosenCoreType = Self.chooseCoreType()
        // libgomp first, with the settings Crema chose, in case this is an OpenMP build.
        _ = OpenMPTeam.installed
        let names: [String]
        if let chosen = Self.requestedLibrary {
            names = [chosen]
        } else {
            names = (OpenMPTeam.installed ? Self.openMPBuild.map { [$0] } ?? [] : [])
                + ["libopenblas.so.0", "libopenblas.so", "libblas.so.3"]
        }
        var handle: UnsafeMutableRawPointer?
        var opened = ""
        for name in names where handle == nil {
            handle = dlopen(name, RTLD_NOW | RTLD_GLOBAL)
            if handle != nil { opened = name }
        }
        guard let handle else {
            throw BLASError("cannot open OpenBLAS (\(names.joined(separator: ", "))): \(String(cString: dlerror()))."
                            + (Self.requestedLibrary != nil ? " CREMA_BLAS_LIBRARY names it; unset it to use the system's OpenBLAS."
                                                            : " Install it with `apt-get install libopenblas-dev` (sh Scripts/bootstrap.sh does)."))
        }
        path = opened
        // The OpenMP build links libgomp, which is then the one OpenMPTeam opened.
        runsOnTeam = OpenMPTeam.installed && Self.isOpenMPBuild(handle)
        func symbol<T>(_ name: String, as type: T.Type) throws -> T {
            guard let p = dlsym(handle, name) else {
                throw BLASError("the BLAS library has no \(name); Crema needs OpenBLAS (apt-get install libopenblas-dev)")
            }
            return unsafeBitCast(p, to: type)
        }
        sgemm = try symbol("cblas_sgemm", as: Sgemm.self)
        sgemv = try symbol("cblas_sgemv", as: Sgemv.self)
        saxpy = try symbol("cblas_saxpy", as: Saxpy.self)
        sscal = try symbol("cblas_sscal", as: Sscal.self)
        sdot = try symbol("cblas_sdot", as: Sdot.self)
        sasum = try symbol("cblas_sasum", as: Sasum.self)
        getThreads = try symbol("openblas_get_num_threads", as: GetInt.self)
        setThreads = try symbol("openblas_set_num_threads", as: SetInt.self)
        config = try symbol("openblas_get_config", as: GetString.self)
        corename = try symbol("openblas_get_corename", as: GetString.self)
    }

    /// Debian's OpenMP build of OpenBLAS (libopenblas0-openmp), where installed: its threads
    /// are libgomp's, the same team oneDNN and Crema's loops run on. The pthread build keeps
    /// threads of its own, which took the cores from the other pool's spinning threads and back:
    /// LeNet's training steps ran about 17% slower with it.
    static var openMPBuild: String? {
        #if arch(x86_64)
        let triplet = "x86_64-linux-gnu"
        #elseif arch(arm64)
        let triplet = "aarch64-linux-gnu"
        #else
        let triplet = ""
        #endif
        let path = "/usr/lib/\(triplet)/openblas-openmp/libopenblas.so.0"
        return !triplet.isEmpty && FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// Whether the library's threads are OpenMP's.
    private static func isOpenMPBuild(_ handle: UnsafeMutableRawPointer) -> Bool {
        guard let get = dlsym(handle, "openblas_get_parallel") else { return false }
        typealias GetParallel = @convention(c) () -> Int32
        // 0: sequential, 1: pthreads, 2: OpenMP.
        return unsafeBitCast(get, to: GetParallel.self)() == 2
    }

    /// SkylakeX (AVX-512) where the processor has the AVX-512 subsets those kernels use,
    /// Haswell (AVX2 + FMA) where it has those; nothing when the user or machine set a value.
    static func chooseCoreType() -> String? {
        if let set = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"], !set.isEmpty { return nil }
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        let flags = Set(flagsLine.split(separator: " ").map(String.init))
        let choice: String
        if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq"]) {
            choice = "SkylakeX"
        } else if flags.isSuperset(of: ["avx2", "fma"]) {
            choice = "Haswell"
        } else {
            return nil
        }
        setenv("OPENBLAS_CORETYPE", choice, 1)
        return choice
    }
}

/// The BLAS library could not be opened or used; the message says what to install or unset.
public struct BLASError: Error, CustomStringConvertible, Equatable {
    /// What failed and what to do about it.
    public var description: String
    init(_ message: String) { description = message }
}
