import CKernels
import Dispatch
import Foundation

/// Work split over the machine's cores for elementwise, pooling and LRN loops.
///
/// Every thread that runs a body here computes with flush-to-zero and denormals-are-zero set:
/// values below Float's normal range become 0 instead of taking the slow microcode path (a
/// loss driven towards zero made Caffe's iterations 5-8x slower).
public enum Parallel {
    /// Cores to use; set once from the command line or the environment.
    nonisolated(unsafe) public static var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    /// Whether the calling thread flushes denormal results and inputs to zero. Crema sets this
    /// on the thread that loads OpenBLAS (whose threads inherit it) and on every thread that
    /// runs a `Parallel` body.
    public static var flushesDenormals: Bool { crema_flushes_denormals() != 0 }

    /// Sets flush-to-zero and denormals-are-zero on the calling thread (and threads it starts).
    @inline(__always)
    public static func flushDenormals() { crema_flush_denormals() }

    /// Calls `body(range)` on disjoint ranges covering 0..<count, in parallel when worthwhile.
    /// `grain` is the smallest amount of work worth a thread.
    @inline(__always)
    public static func forEachChunk(_ count: Int, grain: Int = 32_768, _ body: (Range<Int>) -> Void) {
        crema_flush_denormals()
        let chunks = min(threads, max(1, count / max(grain, 1)))
        if chunks <= 1 {
            body(0..<count)
            return
        }
        let size = (count + chunks - 1) / chunks
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            crema_flush_denormals()
            let start = c * size
            let end = min(count, start + size)
            if start < end { body(start..<end) }
        }
    }

    /// Calls `body(i)` for each i in 0..<count, spread over the cores when `work` (an estimate
    /// of total operations) makes it worthwhile.
    @inline(__always)
    public static func forEach(_ count: Int, work: Int, _ body: (Int) -> Void) {
        crema_flush_denormals()
        if threads <= 1 || count <= 1 || work < 65_536 {
            for i in 0..<count { body(i) }
            return
        }
        let chunks = min(threads, count)
        let size = (count + chunks - 1) / chunks
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            crema_flush_denormals()
            let start = c * size
            let end = min(count, start + size)
            if start < end { for i in start..<end { body(i) } }
        }
    }
}
