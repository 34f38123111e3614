import Foundation

/// 64-byte aligned Float storage that can be shared between tensors (in-place layers, Flatten).
public final class Buffer: @unchecked Sendable {
    public private(set) var pointer: UnsafeMutablePointer<Float>
    public private(set) var capacity: Int

    public init(capacity: Int) {
        self.capacity = max(capacity, 1)
        pointer = Buffer.allocate(self.capacity)
    }

    /// Makes room for `count` values; contents are kept only up to the old capacity.
    public func reserve(_ count: Int) {
        guard count > capacity else { return }
        let fresh = Buffer.allocate(count)
        fresh.update(from: pointer, count: capacity)
        pointer.deallocate()
        pointer = fresh
        capacity = count
    }

    private static func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
        let p = raw.bindMemory(to: Float.self, capacity: count)
        p.initialize(repeating: 0, count: count)
        return p
    }

    deinit { pointer.deallocate() }
}

/// An N-dimensional Float blob (NCHW for images) with a gradient of the same shape.
public final class Tensor: @unchecked Sendable, CustomStringConvertible {
    public private(set) var shape: [Int]
    public private(set) var count: Int
    public private(set) var dataBuffer: Buffer
    public private(set) var diffBuffer: Buffer

    public init(shape: [Int] = []) {
        self.shape = shape
        count = shape.reduce(1, *)
        dataBuffer = Buffer(capacity: count)
        diffBuffer = Buffer(capacity: count)
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
        count = newShape.reduce(1, *)
        dataBuffer.reserve(count)
        diffBuffer.reserve(count)
    }

    public func reshape(like other: Tensor) { reshape(other.shape) }

    /// Reads `other`'s values in place of its own (Caffe's ShareData).
    public func shareData(with other: Tensor) { dataBuffer = other.dataBuffer }
    /// Writes gradients into `other`'s gradient storage (Caffe's ShareDiff).
    public func shareDiff(with other: Tensor) { diffBuffer = other.diffBuffer }

    /// Size of axis `i`; negative counts from the end.
    public func dim(_ i: Int) -> Int { shape[i < 0 ? shape.count + i : i] }

    /// Product of the sizes of axes `start..<end` (`end` nil: to the last axis).
    public func count(from start: Int, to end: Int? = nil) -> Int {
        shape[start..<(end ?? shape.count)].reduce(1, *)
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
