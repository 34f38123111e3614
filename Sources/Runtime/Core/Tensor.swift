import Foundation

/// 64-byte aligned Float storage that can be shared between tensors (in-place layers, Flatten).
///
/// Storage of a megabyte or more is mapped straight from the kernel: it reads as zeros and
/// takes no memory until written, so gradients that nothing ever writes (the data blob's, a
/// TEST net's) cost address space only, and freed storage goes back to the system at once.
public final class Buffer: @unchecked Sendable {
    public private(set) var pointer: UnsafeMutablePointer<Float>
    public private(set) var capacity: Int
    /// Bytes mapped with mmap for `pointer`, 0 when it came from the allocator.
    private var mappedBytes: Int

    public init(capacity: Int) {
        self.capacity = max(capacity, 1)
        (pointer, mappedBytes) = Buffer.allocate(self.capacity)
    }

    /// Makes room for `count` values; contents are kept only up to the old capacity.
    public func reserve(_ count: Int) {
        guard count > capacity else { return }
        let fresh = Buffer.allocate(count)
        fresh.pointer.update(from: pointer, count: capacity)
        Buffer.release(pointer, mappedBytes: mappedBytes)
        (pointer, mappedBytes) = fresh
        capacity = count
    }

    /// Below this many bytes the allocator's zero-filled memory is cheaper than a mapping.
    private static let mappingThreshold = 1 << 20
    /// Mappings are whole 2 MB huge pages (where the system allows them on request, as Linux's
    /// default `madvise` setting does): batch-256 blobs span gigabytes, which 4 KB pages cover
    /// with far more TLB misses, and far more faults the first time they are written.
    private static let hugePage = 2 << 20

    private static func allocate(_ count: Int) -> (pointer: UnsafeMutablePointer<Float>, mappedBytes: Int) {
        let bytes = count * MemoryLayout<Float>.stride
        if bytes >= mappingThreshold, let mapped = mapHugePages(bytes) {
            return (mapped.bindMemory(to: Float.self, capacity: count), (bytes + hugePage - 1) / hugePage * hugePage)
        }
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        let p = raw.bindMemory(to: Float.self, capacity: count)
        p.initialize(repeating: 0, count: count)
        return (p, 0)
    }

    /// A zero-filled mapping of `bytes` rounded up to whole huge pages, starting on a huge-page
    /// boundary (so the kernel can back it with huge pages); nil if the system refuses.
    private static func mapHugePages(_ bytes: Int) -> UnsafeMutableRawPointer? {
        let size = (bytes + hugePage - 1) / hugePage * hugePage
        guard let raw = mmap(nil, size + hugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              raw != MAP_FAILED else { return nil }
        let start = Int(bitPattern: raw)
        let aligned = (start + hugePage - 1) / hugePage * hugePage
        // Trim the slack before and after the aligned range.
        if aligned > start { munmap(raw, aligned - start) }
        let tail = start + size + hugePage - (aligned + size)
        if let end = UnsafeMutableRawPointer(bitPattern: aligned + size), tail > 0 { munmap(end, tail) }
        guard let pointer = UnsafeMutableRawPointer(bitPattern: aligned) else { return nil }
        _ = madvise(pointer, size, MADV_HUGEPAGE)
        return pointer
    }

    private static func release(_ pointer: UnsafeMutablePointer<Float>, mappedBytes: Int) {
        if mappedBytes > 0 {
            munmap(UnsafeMutableRawPointer(pointer), mappedBytes)
        } else {
            pointer.deallocate()
        }
    }

    deinit { Buffer.release(pointer, mappedBytes: mappedBytes) }
}

/// An N-dimensional Float blob (NCHW for images) with a gradient of the same shape.
public final class Tensor: @unchecked Sendable, CustomStringConvertible {
    public private(set) var shape: [Int]
    public private(set) var count: Int
    public private(set) var dataBuffer: Buffer
    public private(set) var diffBuffer: Buffer

    /// Why the last shape asked for cannot be stored (a negative size, a product that overflows,
    /// more memory than the machine has), nil when it can. Such a tensor holds nothing
    /// (`count` 0) until reshaped to a shape that fits; the compiler reports it, naming the layer,
    /// before any pass runs.
    public private(set) var shapeProblem: String?

    public init(shape: [Int] = []) {
        self.shape = shape
        let checked = Tensor.elementCount(shape)
        shapeProblem = checked.problem
        count = checked.count
        dataBuffer = Buffer(capacity: count)
        diffBuffer = Buffer(capacity: count)
    }

    /// The most values one tensor may hold: as many as fit in the machine's memory.
    public static let maximumCount = Int(clamping: ProcessInfo.processInfo.physicalMemory / UInt64(MemoryLayout<Float>.stride))

    /// The number of values of `shape`, or 0 and why it cannot be stored.
    public static func elementCount(_ shape: [Int]) -> (count: Int, problem: String?) {
        // The sizes other than 0 must multiply without overflow too, so that any part of the
        // shape (`count(from:to:)`) can be multiplied safely.
        var total = 1, nonZero = 1
        for d in shape {
            guard d >= 0 else { return (0, "a size of \(d) is negative") }
            let (product, overflow) = nonZero.multipliedReportingOverflow(by: max(d, 1))
            guard !overflow else { return (0, "its sizes multiply beyond what any machine can hold") }
            nonZero = product
            total = d == 0 ? 0 : total * d
        }
        guard total <= maximumCount else {
            let gib = Double(total) * Double(MemoryLayout<Float>.stride) / Double(1 << 30)
            return (0, String(format: "it would take %.1f GiB, more than this machine's memory", gib))
        }
        return (total, nil)
    }

    public convenience init(_ shape: Int..., values: [Float]? = nil) {
        self.init(shape: shape)
        if let values { copy(from: values) }
    }

    public var data: UnsafeMutablePointer<Float> { dataBuffer.pointer }
    public var diff: UnsafeMutablePointer<Float> { diffBuffer.pointer }
    public var dataBufferPointer: UnsafeMutableBufferPointer<Float> { .init(start: data, count: count) }
    public var diffBufferPointer: UnsafeMutableBufferPointer<Float> { .init(start: diff, count: count) }

    /// Changes the shape, growing storage when needed (shared storage grows for all sharers).
    public func reshape(_ newShape: [Int]) {
        shape = newShape
        let checked = Tensor.elementCount(newShape)
        shapeProblem = checked.problem
        count = checked.count
        dataBuffer.reserve(count)
        diffBuffer.reserve(count)
    }

    public func reshape(like other: Tensor) { reshape(other.shape) }

    /// Reads `other`'s values in place of its own (Caffe's ShareData).
    public func shareData(with other: Tensor) { dataBuffer = other.dataBuffer }
    /// Writes gradients into `other`'s gradient storage (Caffe's ShareDiff).
    public func shareDiff(with other: Tensor) { diffBuffer = other.diffBuffer }
    /// Keeps gradients in `storage`, which other tensors may share (the graph's buffer planning).
    func shareDiff(storage: Buffer) {
        storage.reserve(count)
        diffBuffer = storage
    }

    /// Size of axis `i`; negative counts from the end.
    public func dim(_ i: Int) -> Int { shape[i < 0 ? shape.count + i : i] }

    /// Product of the sizes of axes `start..<end` (`end` nil: to the last axis).
    public func count(from start: Int, to end: Int? = nil) -> Int {
        // Every part of a checked shape multiplies without overflow (`elementCount`).
        shapeProblem == nil ? shape[start..<(end ?? shape.count)].reduce(1, *) : 0
    }

    public var num: Int { shape.isEmpty ? 1 : shape[0] }

    public func copy(from values: [Float]) {
        precondition(values.count == count, "internal: \(values.count) values for a tensor of \(count)")
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    public var values: [Float] { Array(dataBufferPointer) }
    public var gradients: [Float] { Array(diffBufferPointer) }

    public func zeroData() { data.update(repeating: 0, count: count) }
    public func zeroDiff() { diff.update(repeating: 0, count: count) }

    public var description: String { "Tensor(\(shape.map(String.init).joined(separator: "x")))" }
}
