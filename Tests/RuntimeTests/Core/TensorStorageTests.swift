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

/// Caffe's bilinear, positive_unitball and sparse gaussian fillers.
@Suite struct FillerTests {
    @Test func bilinearIsTwiceUpsamplingsKernel() throws {
        let t = Tensor(shape: [1, 1, 4, 4])
        ParameterStore().fill(t, with: .bilinear)
        // factor 2, centre 0.75: the 1-D weights are 0.25, 0.75, 0.75, 0.25.
        let row: [Float] = [0.25, 0.75, 0.75, 0.25]
        #expect(t.values == row.flatMap { a in row.map { a * $0 } })
    }

    @Test func positiveUnitballRowsSumToOne() throws {
        let t = Tensor(shape: [3, 5])
        ParameterStore(seed: 4).fill(t, with: .positiveUnitball)
        for o in 0..<3 {
            let row = t.values[(o * 5)..<(o * 5 + 5)]
            #expect(row.allSatisfy { $0 >= 0 })
            #expect(abs(row.reduce(0, +) - 1) < 1e-5)
        }
    }

    @Test func sparseGaussianKeepsAboutNonZeroPerOutput() throws {
        let t = Tensor(shape: [10, 2_000])
        ParameterStore(seed: 5).fill(t, with: .sparseGaussian(std: 1, nonZero: 2))
        // Each value is kept with probability 2/10.
        let kept = Double(t.values.filter { $0 != 0 }.count) / Double(t.count)
        #expect(abs(kept - 0.2) < 0.01, "\(kept)")
    }
}
