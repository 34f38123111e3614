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

    static let shared: BLASLibrary = {
        do {
            return try BLASLibrary()
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            exit(70)
        }
    }()

    private init() throws {
        chosenCoreType = Self.chooseCoreType()
        let names = ["libopenblas.so.0", "libopenblas.so", "libblas.so.3"]
        var handle: UnsafeMutableRawPointer?
        for name in names where handle == nil {
            handle = dlopen(name, RTLD_NOW | RTLD_GLOBAL)
        }
        guard let handle else {
            throw BLASError("cannot open OpenBLAS (\(names.joined(separator: ", "))): \(String(cString: dlerror()))."
                            + " Install it with `apt-get install libopenblas-dev` (sh Scripts/bootstrap.sh does).")
        }
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

/// The BLAS library could not be used.
struct BLASError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}
