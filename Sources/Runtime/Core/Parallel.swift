import Dispatch
import Foundation

/// Work split over the machine's cores for elementwise, pooling and LRN loops.
public enum Parallel {
    /// Cores to use; set once from the command line or the environment.
    nonisolated(unsafe) public static var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    /// Calls `body(range)` on disjoint ranges covering 0..<count, in parallel when worthwhile.
    /// `grain` is the smallest amount of work worth a thread.
    @inline(__always)
    public static func forEachChunk(_ count: Int, grain: Int = 32_768, _ body: (Range<Int>) -> Void) {
        let chunks = min(threads, max(1, count / max(grain, 1)))
        if chunks <= 1 {
            body(0..<count)
            return
        }
        let size = (count + chunks - 1) / chunks
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let start = c * size
            let end = min(count, start + size)
            if start < end { body(start..<end) }
        }
    }

    /// Calls `body(i)` for each i in 0..<count, spread over the cores when `work` (an estimate
    /// of total operations) makes it worthwhile.
    @inline(__always)
    public static func forEach(_ count: Int, work: Int, _ body: (Int) -> Void) {
        if threads <= 1 || count <= 1 || work < 65_536 {
            for i in 0..<count { body(i) }
            return
        }
        let chunks = min(threads, count)
        let size = (count + chunks - 1) / chunks
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let start = c * size
            let end = min(count, start + size)
            if start < end { for i in start..<end { body(i) } }
        }
    }
}
