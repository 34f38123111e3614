import Foundation
import NetDSL

/// Caffe's Data layer: `batch_size` Datum records at a time from an LMDB, in key order and
/// starting again at the first record after the last, transformed (crop, mirror, mean, scale).
/// Outputs `data` `[batch, C, H', W']` and, when it has a second output, `label` `[batch]`.
///
/// A background thread prepares batches ahead of `forward`. Batch `b` always holds records
/// `b * batch ..< (b + 1) * batch` (modulo the record count; a replica's share where several
/// processes train together, see `BatchSchedule`) transformed with generators derived
/// from `(seed, b)`, so the sequence does not depend on thread timing and `seek(toBatch:)` can
/// resume it exactly from a snapshot.
public final class DataLayer: Layer {
    /// A source: nothing to send back.
    public func overwritesInputGradients(inputs: Int) -> Bool { false }
    public let spec: LayerSpec
    public let params: DataParams
    public let phase: Phase
    public let seed: UInt64
    /// Batches prepared ahead of `forward` (Caffe keeps 3).
    static let prefetchCount = 4
    /// Skipped records held until taken.
    static let skippedHeld = 1000

    /// Batches `forward` has handed out, counted from batch 0 (a seek sets it).
    public private(set) var batchesServed = 0
    /// Records in the database (known after `setUp`).
    public private(set) var recordCount = 0
    /// `[C, H, W]` of the records (known after `setUp`).
    public private(set) var recordShape: [Int] = []
    /// `[C, H', W']` after the crop.
    public private(set) var itemShape: [Int] = []
    /// Which records the batches hold (a replica's share when several processes train together).
    public private(set) var schedule: BatchSchedule = .sequential

    private var prefetcher: Prefetcher?
    /// A seek that cannot be honoured, reported by the next `forward`.
    private var seekError: Error?
    /// A schedule that names no replica, reported by every `forward`.
    private var scheduleError: Error?
    /// Skipped records not yet taken.
    private var skippedRecords: [DataError] = []

    /// `params.source` is relative to the current directory.
    public init(spec: LayerSpec, params: DataParams, phase: Phase, seed: UInt64) throws {
        guard params.batchSize > 0 else {
            throw LayerError(spec, "batch size \(params.batchSize) must be positive")
        }
        guard params.transform.meanFile == nil || params.transform.meanValue.isEmpty else {
            throw LayerError(spec, "gives both a mean file and mean values; use one or the other")
        }
        guard params.transform.cropSize >= 0 else {
            throw LayerError(spec, "crop size \(params.transform.cropSize) is negative; use 0 for no crop")
        }
        self.spec = spec
        self.params = params
        self.phase = phase
        self.seed = seed
    }

    deinit { prefetcher?.stop() }

    public func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        guard bottoms.isEmpty, tops.count == 1 || tops.count == 2 else {
            throw LayerError(spec, "takes no inputs and gives one or two outputs (data, label), not \(bottoms.count) and \(tops.count)")
        }
        prefetcher?.stop()
        prefetcher = nil

        let path = params.source
        let reader = try RecordDatabases.open(path: path, missingHint: Self.sourceHint(path))
        let count = try reader.count()
        guard count > 0 else { throw DataError.databaseEmpty(path: path) }
        let first = try reader.makeCursor().next()
        let datum: Caffe_Datum
        do {
            // Encoded (JPEG/PNG) records are decoded here; the shape is the decoded image's.
            datum = try Caffe_Datum(record: first.value).decoded()
            try datum.checkPixels()
        } catch let error as DataError {
            throw error.located(database: path, key: first.keyText)
        }
        let transformer = try DataTransformer(params: params.transform, phase: phase)
        let shape = try transformer.outputShape(for: datum.shape)
        // The batches prepared ahead and the one served must fit in memory, as a size checked
        // here rather than an allocation that fails.
        let batch = Tensor.elementCount([params.batchSize] + shape)
        let ring = batch.count.multipliedReportingOverflow(by: Self.prefetchCount + 1)
        if let problem = batch.problem ?? (ring.overflow || ring.partialValue > Tensor.maximumCount
            ? "its \(Self.prefetchCount) prefetched batches and the one served would not fit in this machine's memory" : nil) {
            throw LayerError(spec, "a batch of \(params.batchSize) images of \(shapeText(shape)) cannot be held: \(problem); lower data.\(phase.rawValue).batch_size")
        }

        recordCount = count
        recordShape = datum.shape
        itemShape = shape
        prefetcher = Prefetcher(reader: reader, transformer: transformer, recordShape: datum.shape,
                                itemShape: shape, batchSize: params.batchSize, seed: seed, schedule: schedule,
                                policy: params.recordErrors)
        try reshape(bottoms: bottoms, tops: tops)
        if seekError == nil { prefetcher?.start(atBatch: batchesServed) }
    }

    public func reshape(bottoms: [Tensor], tops: [Tensor]) throws {
        guard !itemShape.isEmpty else { throw LayerError(spec, "reshape before setUp") }
        let dataShape = [params.batchSize] + itemShape
        if tops[0].shape != dataShape { tops[0].reshape(dataShape) }
        if tops.count > 1 && tops[1].shape != [params.batchSize] { tops[1].reshape([params.batchSize]) }
    }

    public func forward(bottoms: [Tensor], tops: [Tensor]) throws {
        if let scheduleError { throw scheduleError }
        if let seekError { throw seekError }
        guard let prefetcher else { throw LayerError(spec, "forward before setUp") }
        try reshape(bottoms: bottoms, tops: tops)
        try prefetcher.take { data, labels, skipped in
            tops[0].data.update(from: data, count: tops[0].count)
            if tops.count > 1 { tops[1].data.update(from: labels, count: params.batchSize) }
            // Held for whoever reports them, but not without bound when nobody does.
            skippedRecords += skipped.prefix(max(0, Self.skippedHeld - skippedRecords.count))
        }
        batchesServed += 1
    }

    /// Records that could not be read and were skipped (`on_error: skip`) since the last call,
    /// each with its database, key and problem.
    public func takeSkippedRecords() -> [DataError] {
        defer { skippedRecords = [] }
        return skippedRecords
    }

    /// Makes batch `index` the next one `forward` serves (its first record is
    /// `index * batch` modulo the record count), as an uninterrupted run would have. Works
    /// before or after `setUp`; a problem (a negative index, a database that fails) is thrown
    /// by the next `forward`.
    public func seek(toBatch index: Int) {
        prefetcher?.stop()
        guard index >= 0 else {
            seekError = LayerError(spec, "cannot resume at batch \(index); batches count from 0 (is the snapshot damaged?)")
            return
        }
        seekError = nil
        batchesServed = index
        prefetcher?.start(atBatch: index)
    }

    /// Serves batches by `schedule` from now on, batch `batchesServed` next; a schedule that
    /// names no replica is reported by the next `forward`.
    public func follow(_ schedule: BatchSchedule) {
        prefetcher?.stop()
        if let problem = schedule.problem() {
            scheduleError = LayerError(spec, "cannot deal its records: \(problem)")
            return
        }
        scheduleError = nil
        self.schedule = schedule
        prefetcher?.schedule = schedule
        if seekError == nil { prefetcher?.start(atBatch: batchesServed) }
    }

    static func missingHint(_ path: String) -> String? {
        let url = URL(fileURLWithPath: path)
        guard url.deletingLastPathComponent().lastPathComponent == "fashion-mnist",
              ["train_lmdb", "test_lmdb"].contains(url.lastPathComponent) else { return nil }
        return "make it with `experiments prepare fashion-mnist` (it converts Debian's dataset-fashion-mnist; run from the folder that holds data/)"
    }

    /// What a missing source's message adds: how to make Fashion-MNIST's, else where to look.
    static func sourceHint(_ path: String) -> String {
        missingHint(path) ?? "check the Data layer's source path (it is relative to the current directory)"
    }
}

/// The data layer's background thread and its ring of batch buffers.
private final class Prefetcher: @unchecked Sendable {
    /// One prepared batch (or the error met while preparing it).
    final class Slot {
        let data: UnsafeMutablePointer<Float>
        let labels: UnsafeMutablePointer<Float>
        var error: Error?
        /// Records of the batch that could not be read and were skipped.
        var skipped: [DataError] = []

        init(items: Int, batchSize: Int) {
            data = .allocate(capacity: max(items, 1))
            data.initialize(repeating: 0, count: max(items, 1))
            labels = .allocate(capacity: max(batchSize, 1))
            labels.initialize(repeating: 0, count: max(batchSize, 1))
        }

        deinit {
            data.deallocate()
            labels.deallocate()
        }
    }

    let reader: RecordDatabase
    let transformer: DataTransformer
    let recordShape: [Int]
    let itemCount: Int
    let batchSize: Int
    let seed: UInt64
    /// Set only while the thread is stopped.
    var schedule: BatchSchedule
    let policy: RecordErrorPolicy

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var free: [Slot]
    private var ready: [Slot] = []
    private var stopRequested = false
    private var running = false
    /// The error that ended the thread; every later `take` repeats it until a restart.
    private var failure: Error?
    /// Touched only by the running thread (and by `start` while none runs).
    private var cursor: RecordCursor?

    init(reader: RecordDatabase, transformer: DataTransformer, recordShape: [Int], itemShape: [Int],
         batchSize: Int, seed: UInt64, schedule: BatchSchedule, policy: RecordErrorPolicy) {
        self.reader = reader
        self.schedule = schedule
        self.policy = policy
        self.transformer = transformer
        self.recordShape = recordShape
        itemCount = itemShape.reduce(1, *)
        self.batchSize = batchSize
        self.seed = seed
        free = (0..<DataLayer.prefetchCount).map { _ in Slot(items: itemShape.reduce(1, *) * batchSize, batchSize: batchSize) }
    }

    /// Starts the thread at batch `first` (0 or more); the thread must not be running.
    func start(atBatch first: Int) {
        condition.lock()
        free += ready
        ready.removeAll()
        failure = nil
        stopRequested = false
        running = true
        condition.unlock()
        let thread = Thread { [self] in run(from: first) }
        thread.name = "crema.data"
        thread.start()
    }

    /// Stops the thread and waits for it to finish the batch it is on.
    func stop() {
        condition.lock()
        stopRequested = true
        condition.broadcast()
        while running { condition.wait() }
        condition.unlock()
    }

    /// Hands the next batch to `body`, waiting for it if needed.
    func take(_ body: (UnsafePointer<Float>, UnsafePointer<Float>, [DataError]) -> Void) throws {
        condition.lock()
        while ready.isEmpty {
            if let failure {
                condition.unlock()
                throw failure
            }
            if !running {
                condition.unlock()
                throw DataError.badRecord(database: reader.path, key: nil, problem: "the data thread is not running")
            }
            condition.wait()
        }
        let slot = ready.removeFirst()
        condition.unlock()
        defer {
            condition.lock()
            free.append(slot)
            condition.broadcast()
            condition.unlock()
        }
        if let error = slot.error {
            condition.lock()
            failure = error
            condition.unlock()
            throw error
        }
        body(slot.data, slot.labels, slot.skipped)
    }

    /// Places the cursor on batch `batch`'s first record (for one process, `batch * batchSize`
    /// modulo the count).
    private func position(atBatch batch: Int) throws {
        let count = try reader.count()
        guard count > 0 else { throw DataError.databaseEmpty(path: reader.path) }
        let record: Int
        record = schedule.record(batch: batch, item: 0, batchSize: batchSize, count: count)
        if cursor == nil { cursor = try reader.makeCursor() }
        try cursor?.seek(toPosition: record)
    }

    private func run(from first: Int) {
        do {
            try position(atBatch: first)
        } catch {
            // A cursor that met an error is not trusted again: the next start makes a new one.
            cursor = nil
            condition.lock()
            failure = error
            running = false
            condition.broadcast()
            condition.unlock()
            return
        }
        var batch = first
        while true {
            condition.lock()
            while free.isEmpty && !stopRequested { condition.wait() }
            if stopRequested {
                running = false
                condition.broadcast()
                condition.unlock()
                return
            }
            let slot = free.removeLast()
            condition.unlock()

            slot.error = nil
            slot.skipped = []
            do {
                try fill(slot, batch: batch)
            } catch {
                slot.error = error
            }

            condition.lock()
            ready.append(slot)
            let failed = slot.error != nil
            if failed {
                running = false
                cursor = nil
            }
            condition.broadcast()
            condition.unlock()
            if failed { return }
            batch += 1
        }
    }

    /// Reads the batch's records in cursor order, then parses and transforms them in parallel,
    /// each with its own generator forked in item order from the batch's generator.
    private func fill(_ slot: Slot, batch: Int) throws {
        guard let cursor else { throw DataError.badRecord(database: reader.path, key: nil, problem: "no cursor") }
        var entries: [DatabaseRecord] = []
        entries.reserveCapacity(batchSize)
        let contiguous = schedule.isContiguous
        let count = contiguous ? 0 : try reader.count()
        for item in 0..<batchSize {
            // A replica's share skips the other replicas' records (moving on without copying them).
            if !contiguous { try cursor.seek(toPosition: schedule.record(batch: batch, item: item, batchSize: batchSize, count: count)) }
            entries.append(try cursor.next())
        }

        var batchRandom = RandomGenerator(seed: seed ^ (UInt64(batch) &* 0x9E37_79B9_7F4A_7C15))
        var generators = (0..<batchSize).map { _ in batchRandom.fork() }
        var errors = [DataError?](repeating: nil, count: batchSize)
        let path = reader.path
        let (data, labels, itemCount, recordShape, transformer) = (slot.data, slot.labels, itemCount, recordShape, transformer)

        generators.withUnsafeMutableBufferPointer { rngs in
            errors.withUnsafeMutableBufferPointer { errs in
                Parallel.forEach(batchSize, work: batchSize * (itemCount + 4096), background: true) { i in
                    do {
                        let datum = try Caffe_Datum(record: entries[i].value).decoded()
                        guard datum.shape == recordShape else {
                            throw DataError.badRecord(database: nil, key: nil,
                                                      problem: "is \(shapeText(datum.shape)) but the first record is \(shapeText(recordShape)); every record must have the same size")
                        }
                        guard datum.label >= 0 else {
                            throw DataError.badRecord(database: nil, key: nil, problem: "has label \(datum.label); labels must be 0 or more")
                        }
                        try transformer.transform(datum, into: data + i * itemCount, random: &rngs[i])
                        labels[i] = Float(datum.label)
                    } catch let error as DataError {
                        errs[i] = error.located(database: path, key: entries[i].keyText)
                    } catch {
                        errs[i] = .badRecord(database: path, key: entries[i].keyText, problem: ProtobufDecodingProblem.record(error))
                    }
                }
            }
        }
        guard let firstError = errors.lazy.compactMap({ $0 }).first else { return }
        guard policy == .skip else { throw firstError }
        // Each bad record's place goes to the nearest good record of the same batch, so the
        // batch keeps its size and the sequence its order.
        let good = errors.indices.filter { errors[$0] == nil }
        guard !good.isEmpty else {
            throw DataError.badRecord(database: path, key: nil,
                                      problem: "every record of batch \(batch) is unreadable (the first: \(firstError)); with on_error=skip a batch still needs one good record")
        }
        for (i, error) in errors.enumerated() {
            guard let error else { continue }
            let donor = good.min { abs($0 - i) < abs($1 - i) } ?? good[0]
            (data + i * itemCount).update(from: data + donor * itemCount, count: itemCount)
            labels[i] = labels[donor]
            slot.skipped.append(error)
        }
    }
}
