import CKernels
import Dispatch
import Foundation
import Synchronization

/// Work split over the machine's cores for elementwise, pooling and LRN loops.
///
/// Every body here runs with flush-to-zero and denormals-are-zero set: values below Float's
/// normal range become 0 instead of taking the slow microcode path (a loss driven towards zero
/// made Caffe's iterations 5-8x slower). The setting is scoped: each thread gets its previous
/// floating-point environment back afterwards, so code outside the kernels (parsing, printing,
/// a test runner sharing the threads) keeps IEEE semantics.
public enum Parallel {
    /// Cores to use; set once from the command line or the environment. Atomic because the
    /// kernels read it on every call while a command (or a test) may set it on another thread.
    public static var threads: Int {
        get { threadCount.load(ordering: .relaxed) }
        set { threadCount.store(newValue, ordering: .relaxed) }
    }
    private static let threadCount = Atomic<Int>(ProcessInfo.processInfo.activeProcessorCount)

    /// Which threads the kernels run on, for run records and `experiments time`.
    public static var poolDescription: String { OpenMPTeam.summary }

    /// Whether the calling thread flushes denormal results and inputs to zero right now: true
    /// inside `flushingDenormals` and `Parallel` bodies, and on OpenBLAS's threads.
    public static var flushesDenormals: Bool { crema_flushes_denormals() != 0 }

    /// Runs `body` with flush-to-zero and denormals-are-zero set on the calling thread, then
    /// restores the thread's previous setting. Graph passes and solver steps run inside it.
    @inline(__always)
    public static func flushingDenormals<T>(_ body: () throws -> T) rethrows -> T {
        let saved = crema_begin_flushing_denormals()
        defer { crema_restore_mxcsr(saved) }
        return try body()
    }

    /// Calls `body(range)` on disjoint ranges covering 0..<count, in parallel when worthwhile.
    /// `grain` is the smallest amount of work worth a thread. Waking a worker costs tens of
    /// microseconds here, as long as a vectorised elementwise pass over 256K values in cache
    /// takes, hence the default.
    @inline(__always)
    public static func forEachChunk(_ count: Int, grain: Int = 1 << 18, _ body: (Range<Int>) -> Void) {
        let saved = crema_begin_flushing_denormals()
        defer { crema_restore_mxcsr(saved) }
        let chunks = min(threads, max(1, count / max(grain, 1)))
        if chunks <= 1 {
            body(0..<count)
            return
        }
        let size = (count + chunks - 1) / chunks
        run(chunks) { c in
            let start = c * size
            let end = min(count, start + size)
            if start < end { body(start..<end) }
        }
    }

    /// Calls `body(i)` for each i in 0..<count, spread over the cores when `work` (an estimate
    /// of total operations) makes it worthwhile.
    /// `background` work (the data layer's prefetching, beside a running net) goes to
    /// Dispatch's threads, leaving the kernels' team to the net.
    @inline(__always)
    public static func forEach(_ count: Int, work: Int, background: Bool = false, _ body: (Int) -> Void) {
        let saved = crema_begin_flushing_denormals()
        defer { crema_restore_mxcsr(saved) }
        if threads <= 1 || count <= 1 || work < 65_536 {
            for i in 0..<count { body(i) }
            return
        }
        let chunks = min(threads, count)
        let size = (count + chunks - 1) / chunks
        run(chunks, background: background) { c in
            let start = c * size
            let end = min(count, start + size)
            if start < end { for i in start..<end { body(i) } }
        }
    }

    /// Runs `body(c)` for c in 0..<chunks at once, each with flush-to-zero set: on libgomp's
    /// team (oneDNN's threads) when it is there, else on Dispatch's threads.
    @inline(__always)
    static func run(_ chunks: Int, background: Bool = false, _ body: (Int) -> Void) {
        if !background && OpenMPTeam.installed {
            OpenMPTeam.run(chunks, threads: max(threads, chunks), body)
            return
        }
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let workerSaved = crema_begin_flushing_denormals()
            defer { crema_restore_mxcsr(workerSaved) }
            body(c)
        }
    }
}
