import Foundation
import Runtime

/// The ranks of an `mpirun` job as a replica group. One thread of its own makes every MPI
/// call (MPI's FUNNELED model), so the trainer can start a bucket's sum and go on with its
/// backward pass while the sum runs.
public final class MPIReplicaGroup: ReplicaGroup, @unchecked Sendable {
    public let rank: Int
    public let size: Int
    /// Each rank's host (MPI's processor name), in rank order.
    public private(set) var hosts: [String] = []
    /// The MPI library file that was opened.
    public let libraryPath: String
    /// Whether MPI lets any thread call it (needed for `abort` from outside the MPI thread).
    private let anyThread: Bool

    private let mpi: MPILibrary
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var jobs: [() -> Void] = []
    private var startedSums = 0
    private var doneSums = 0
    private var sumFailure: Error?
    private var sumSeconds = 0.0
    private var closed = false
    /// The staging buffer that packs a bucket's segments; touched only by the MPI thread.
    private var staging: UnsafeMutablePointer<Float>?
    private var stagingCapacity = 0

    /// Starts MPI on a thread of its own and learns this process's rank; `library` names the
    /// file to open (CREMA_MPI_LIBRARY), nil for Open MPI's.
    public init(library: String? = nil) throws {
        let mpi = try MPILibrary(name: library)
        self.mpi = mpi
        libraryPath = mpi.path
        let started = StartBox()
        let thread = Thread { [condition] in
            var provided: Int32 = 0
            let code = mpi.initThread(nil, nil, MPILibrary.threadMultiple, &provided)
            var rank: Int32 = 0, size: Int32 = 0
            var result: Result<(Int, Int, Bool), Error>
            do {
                try mpi.check(code, "MPI_Init_thread")
                guard provided >= MPILibrary.threadFunneled else {
                    throw ReplicaError("this MPI library gives thread level \(provided); Crema needs at least MPI_THREAD_FUNNELED")
                }
                try mpi.check(mpi.commRank(mpi.world, &rank), "MPI_Comm_rank")
                try mpi.check(mpi.commSize(mpi.world, &size), "MPI_Comm_size")
                result = .success((Int(rank), Int(size), provided >= MPILibrary.threadMultiple))
            } catch {
                result = .failure(error)
            }
            condition.lock()
            started.result = result
            condition.broadcast()
            condition.unlock()
            if case .success = result { MPIReplicaGroup.serve(condition: condition, group: started) }
        }
        thread.name = "crema.mpi"
        thread.start()
        condition.lock()
        while started.result == nil { condition.wait() }
        let result = started.result
        condition.unlock()
        switch result {
        case .success((let r, let s, let multiple))?:
            rank = r
            size = s
            anyThread = multiple
        case .failure(let error)?:
            throw error
        case nil:
            throw ReplicaError("MPI did not start")
        }
        condition.lock()
        started.group = self
        condition.broadcast()
        condition.unlock()
        hosts = try gatherHosts()
    }

    /// Handed to the MPI thread: how MPI started, then the group whose jobs it runs.
    private final class StartBox: @unchecked Sendable {
        var result: Result<(Int, Int, Bool), Error>?
        weak var group: MPIReplicaGroup?
    }

    /// The MPI thread's loop: runs jobs in order until the group closes.
    private static func serve(condition: NSCondition, group box: StartBox) {
        condition.lock()
        while box.group == nil { condition.wait() }
        let group = box.group
        condition.unlock()
        guard let group else { return }
        while let job = group.nextJob() { job() }
    }

    private func nextJob() -> (() -> Void)? {
        condition.lock()
        defer { condition.unlock() }
        while jobs.isEmpty && !closed { condition.wait() }
        guard !jobs.isEmpty else { return nil }
        return jobs.removeFirst()
    }

    private func enqueue(_ job: @escaping () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.broadcast()
        condition.unlock()
    }

    /// Runs `body` on the MPI thread and waits for its result.
    private func perform<T>(_ body: @escaping () throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        var result: Result<T, Error>?
        enqueue {
            result = Result { try body() }
            done.signal()
        }
        done.wait()
        guard let result else { throw ReplicaError("an MPI call gave no result") }
        return try result.get()
    }

    // MARK: ReplicaGroup

    public func startSum(_ segments: [(pointer: UnsafeMutablePointer<Float>, count: Int)], scale: Float) {
        condition.lock()
        startedSums += 1
        condition.unlock()
        enqueue { [self] in
            let clock = ContinuousClock()
            let start = clock.now
            var failure: Error?
            do {
                try sumSegments(segments, scale: scale)
            } catch {
                failure = error
            }
            let took = clock.now - start
            condition.lock()
            sumSeconds += took.seconds
            if sumFailure == nil { sumFailure = failure }
            doneSums += 1
            condition.broadcast()
            condition.unlock()
        }
    }

    public func finishSums() throws {
        condition.lock()
        while doneSums < startedSums { condition.wait() }
        let failure = sumFailure
        sumFailure = nil
        condition.unlock()
        if let failure { throw failure }
    }

    public func takeSumSeconds() -> Double {
        condition.lock()
        defer {
            sumSeconds = 0
            condition.unlock()
        }
        return sumSeconds
    }

    public func sum(_ values: [Double]) throws -> [Double] {
        let mpi = self.mpi
        return try perform {
            var result = values
            try result.withUnsafeMutableBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return }
                try Self.inChunks(buffer.count) { offset, n in
                    try mpi.check(mpi.allreduce(MPILibrary.inPlace, base + offset, n, mpi.double, mpi.sum, mpi.world), "MPI_Allreduce")
                }
            }
            return result
        }
    }

    public func broadcast(_ pointer: UnsafeMutablePointer<Float>, count: Int) throws {
        let mpi = self.mpi
        let address = UInt(bitPattern: pointer)
        try perform {
            guard let pointer = UnsafeMutablePointer<Float>(bitPattern: address) else { return }
            try Self.inChunks(count) { offset, n in
                try mpi.check(mpi.bcast(pointer + offset, n, mpi.float, 0, mpi.world), "MPI_Bcast")
            }
        }
    }

    public func broadcast(_ bytes: [UInt8]) throws -> [UInt8] {
        let mpi = self.mpi
        var length = try Self.messageLength(bytes.count)
        return try perform {
            try mpi.check(mpi.bcast(&length, 1, mpi.int32, 0, mpi.world), "MPI_Bcast")
            var result = [UInt8](repeating: 0, count: Int(length))
            if self.rank == 0 { result = Array(bytes.prefix(Int(length))) }
            try result.withUnsafeMutableBytes { buffer in
                guard let base = buffer.baseAddress, length > 0 else { return }
                try mpi.check(mpi.bcast(base, length, mpi.byte, 0, mpi.world), "MPI_Bcast")
            }
            return result
        }
    }

    public func gather(_ bytes: [UInt8]) throws -> [[UInt8]] {
        let mpi = self.mpi
        let (size, rank) = (self.size, self.rank)
        var length = try Self.messageLength(bytes.count)
        return try perform {
            var lengths = [Int32](repeating: 0, count: rank == 0 ? size : 0)
            try mpi.check(mpi.gather(&length, 1, mpi.int32, &lengths, 1, mpi.int32, 0, mpi.world), "MPI_Gather")
            var offsets = [Int32](repeating: 0, count: lengths.count)
            var total = 0
            for (r, n) in lengths.enumerated() {
                offsets[r] = try Self.messageLength(total)
                total += Int(n)
            }
            _ = try Self.messageLength(total)
            var all = [UInt8](repeating: 0, count: max(total, 1))
            try mpi.check(mpi.gatherv(bytes, length, mpi.byte, &all, lengths, offsets, mpi.byte, 0, mpi.world), "MPI_Gatherv")
            guard rank == 0 else { return [] }
            return lengths.indices.map { r in Array(all[Int(offsets[r])..<(Int(offsets[r]) + Int(lengths[r]))]) }
        }
    }

    /// A message's length as MPI counts it; a message of 2 GiB or more is an error.
    private static func messageLength(_ count: Int) throws -> Int32 {
        guard let length = Int32(exactly: count) else {
            throw ReplicaError("a message of \(count) bytes is more than MPI sends at once (2 GiB); use smaller pieces (fewer images per chunk: --threads)")
        }
        return length
    }

    // MARK: Life

    /// Ends MPI (every rank must call it); the group is unusable afterwards.
    public func finish() throws {
        let mpi = self.mpi
        try perform { try mpi.check(mpi.finalize(), "MPI_Finalize") }
        close()
    }

    /// Ends the whole job at once, every rank with `code`: for a rank that cannot go on, so
    /// that the others, waiting for it in a sum, stop too rather than hang.
    public func abort(code: Int32) -> Never {
        // Where only the MPI thread may call MPI, exiting does it: mpirun ends a job whose
        // process exits with an error.
        if anyThread { _ = mpi.abort(mpi.world, code) }
        exit(code)
    }

    private func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    // MARK: MPI thread

    private func gatherHosts() throws -> [String] {
        let mpi = self.mpi
        let name: [UInt8] = try perform {
            var buffer = [CChar](repeating: 0, count: MPILibrary.maxProcessorName + 1)
            var length: Int32 = 0
            try mpi.check(mpi.processorName(&buffer, &length), "MPI_Get_processor_name")
            return Array(String(cString: buffer).utf8)
        }
        return try gather(name).map { String(decoding: $0, as: UTF8.self) }
    }

    /// On the MPI thread: sums the segments in place (packed into one message when there are
    /// several), then scales them.
    private func sumSegments(_ segments: [(pointer: UnsafeMutablePointer<Float>, count: Int)], scale: Float) throws {
        if segments.count == 1, let only = segments.first {
            try Self.inChunks(only.count) { offset, n in
                try mpi.check(mpi.allreduce(MPILibrary.inPlace, only.pointer + offset, n, mpi.float, mpi.sum, mpi.world), "MPI_Allreduce")
            }
            Self.scale(only.pointer, count: only.count, by: scale)
            return
        }
        let total = segments.reduce(0) { $0 + $1.count }
        guard total > 0 else { return }
        if stagingCapacity < total {
            staging?.deallocate()
            staging = .allocate(capacity: total)
            stagingCapacity = total
        }
        guard let staging else { return }
        var offset = 0
        for segment in segments {
            (staging + offset).update(from: segment.pointer, count: segment.count)
            offset += segment.count
        }
        try Self.inChunks(total) { offset, n in
            try mpi.check(mpi.allreduce(MPILibrary.inPlace, staging + offset, n, mpi.float, mpi.sum, mpi.world), "MPI_Allreduce")
        }
        offset = 0
        for segment in segments {
            let source = staging + offset, target = segment.pointer
            for i in 0..<segment.count { target[i] = source[i] * scale }
            offset += segment.count
        }
    }

    private static func scale(_ pointer: UnsafeMutablePointer<Float>, count: Int, by factor: Float) {
        guard factor != 1 else { return }
        for i in 0..<count { pointer[i] *= factor }
    }

    /// MPI counts are 32-bit: calls `body(offset, count)` over pieces that fit.
    private static func inChunks(_ total: Int, _ body: (Int, Int32) throws -> Void) throws {
        var offset = 0
        while offset < total {
            let n = min(total - offset, Int(Int32.max))
            try body(offset, Int32(n))
            offset += n
        }
    }

    deinit { staging?.deallocate() }
}
