import CBLAS

private let lib = BLASLibrary.shared
private let rowMajor = Int32(CREMA_CBLAS_ROW_MAJOR)
private let noTrans = Int32(CREMA_CBLAS_NO_TRANS)
private let BLAS_trans = Int32(CREMA_CBLAS_TRANS)

/// The only place that calls `cblas_*`: row-major Float products.
public enum BLAS {
    /// C = alpha * op(A) * op(B) + beta * C, row-major; op(A) is MxK, op(B) is KxN.
    @inline(__always)
    public static func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                            a: UnsafePointer<Float>, b: UnsafePointer<Float>, beta: Float,
                            c: UnsafeMutablePointer<Float>) {
        let lda = transA ? m : k
        let ldb = transB ? k : n
        lib.sgemm(rowMajor, transA ? BLAS_trans : noTrans, transB ? BLAS_trans : noTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(n))
    }

    /// y = alpha * op(A) * x + beta * y, A row-major MxN.
    @inline(__always)
    public static func gemv(trans: Bool, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>,
                            x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>) {
        lib.sgemv(rowMajor, trans ? BLAS_trans : noTrans, Int32(m), Int32(n), alpha, a, Int32(n),
                    x, 1, beta, y, 1)
    }

    /// y += alpha * x
    @inline(__always)
    public static func axpy(_ n: Int, _ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        lib.saxpy(Int32(n), alpha, x, 1, y, 1)
    }

    /// x *= alpha
    @inline(__always)
    public static func scal(_ n: Int, _ alpha: Float, _ x: UnsafeMutablePointer<Float>) {
        lib.sscal(Int32(n), alpha, x, 1)
    }

    @inline(__always)
    public static func dot(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) -> Float {
        lib.sdot(Int32(n), x, 1, y, 1)
    }

    /// Sum of absolute values.
    @inline(__always)
    public static func asum(_ n: Int, _ x: UnsafePointer<Float>) -> Float { lib.sasum(Int32(n), x, 1) }

    /// Threads OpenBLAS uses for each call.
    public static var threads: Int {
        get { Int(lib.getThreads()) }
        set { lib.setThreads(Int32(newValue)) }
    }

    /// OpenBLAS's own description: version, build options and the kernels it chose.
    public static var configuration: String { lib.config().map { String(cString: $0) } ?? "unknown" }
    public static var coreName: String { lib.corename().map { String(cString: $0) } ?? "unknown" }
    /// The OPENBLAS_CORETYPE Crema set before loading OpenBLAS; nil when it left it alone.
    public static var chosenCoreType: String? { lib.chosenCoreType }
}
