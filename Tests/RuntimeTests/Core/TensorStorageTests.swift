import Testing
@testable import Runtime

/// Large buffers are mapped lazily from the kernel; they must behave like the small ones.
@Suite struct TensorStorageTests {
    @Test(arguments: [10, 1 << 20])
    func buffersStartAtZeroAndKeepValuesWhenTheyGrow(capacity: Int) {
        let buffer = Buffer(capacity: capacity)
        let p = buffer.pointer
        #expect((0..<capacity).allSatisfy { p[$0] == 0 })
        for i in 0..<capacity { p[i] = Float(i % 251) }
        buffer.reserve(capacity * 3)
        let q = buffer.pointer
        #expect((0..<capacity).allSatisfy { q[$0] == Float($0 % 251) })
        #expect((capacity..<(capacity * 3)).allSatisfy { q[$0] == 0 })
        #expect(Int(bitPattern: q) % 64 == 0)
    }

    @Test func reshapeKeepsSharedStorageShared() {
        let a = Tensor(shape: [2, 3])
        let b = Tensor(shape: [2, 3])
        b.shareData(with: a)
        a.reshape([512, 1024])
        b.reshape([512, 1024])
        a.data[512 * 1024 - 1] = 7
        #expect(b.data[512 * 1024 - 1] == 7)
        #expect(a.diff[512 * 1024 - 1] == 0)
    }
}
