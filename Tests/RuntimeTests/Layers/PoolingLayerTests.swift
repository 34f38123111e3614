import NetDSL
import Testing
@testable import Runtime

private func makePool(_ method: PoolMethod, kernel: (Int, Int), stride: (Int, Int) = (1, 1), pad: (Int, Int) = (0, 0),
                      global: Bool = false) -> PoolingLayer {
    var p = PoolingParams(method: method, kernelH: kernel.0, kernelW: kernel.1)
    (p.strideH, p.strideW) = stride
    (p.padH, p.padW) = pad
    p.globalPooling = global
    return PoolingLayer(spec: LayerSpec(name: "pool", kind: .pooling(p)), params: p, method: p.method == .max ? .max : .average)
}

/// Runs setUp, reshape and forward; returns the output.
@discardableResult
private func run(_ layer: PoolingLayer, _ x: Tensor) throws -> Tensor {
    let y = Tensor()
    try layer.setUp(bottoms: [x], tops: [y], store: ParameterStore())
    try layer.reshape(bottoms: [x], tops: [y])
    try layer.forward(bottoms: [x], tops: [y])
    return y
}

/// Distinct values 0.1 apart in a random order, so no max pooling window has a tie within
/// the gradient checker's step.
private func distinctTensor(_ shape: [Int], seed: UInt64) -> Tensor {
    let t = Tensor(shape: shape)
    var order = Array(0..<t.count)
    var rng = RandomGenerator(seed: seed)
    for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.below(i + 1)) }
    for i in 0..<t.count { t.data[i] = Float(order[i]) * 0.1 - Float(t.count) * 0.05 }
    return t
}

@Suite struct PoolingLayerTests {
    @Test func maxPoolTwoByTwoStrideTwo() throws {
        let x = Tensor(1, 1, 4, 4, values: [
            1, 5, 2, 0,
            3, 4, 8, 7,
            9, 0, 1, 1,
            2, 6, 1, 3,
        ])
        let layer = makePool(.max, kernel: (2, 2), stride: (2, 2))
        let y = try run(layer, x)
        #expect(y.shape == [1, 1, 2, 2])
        #expect(y.values == [5, 8, 9, 3])
        y.diff.update(from: [1, 2, 3, 4], count: 4)
        layer.backward(tops: [y], propagateDown: [true], bottoms: [x])
        #expect(x.gradients == [0, 1, 0, 0, 0, 0, 2, 0, 3, 0, 0, 0, 0, 0, 0, 4])
    }

    @Test func maxPoolTiesGoToTheFirstMaximum() throws {
        let x = Tensor(1, 1, 2, 3, values: [2, 2, 2, 2, 2, 2])
        let layer = makePool(.max, kernel: (2, 2))
        let y = try run(layer, x)
        #expect(y.values == [2, 2])
        y.diff.update(from: [1, 10], count: 2)
        layer.backward(tops: [y], propagateDown: [true], bottoms: [x])
        #expect(x.gradients == [1, 10, 0, 0, 0, 0])
    }

    @Test func maxPoolWithPaddingIgnoresThePadding() throws {
        let x = Tensor(1, 1, 2, 2, values: [-1, -2, -3, -4])
        let y = try run(makePool(.max, kernel: (2, 2), pad: (1, 1)), x)
        #expect(y.shape == [1, 1, 3, 3])
        #expect(y.values == [-1, -1, -2, -1, -1, -2, -3, -3, -4])
    }

    @Test func averagePoolCountsPaddingAsCaffe() throws {
        let x = Tensor(1, 1, 3, 3, values: [Float](repeating: 1, count: 9))
        let y = try run(makePool(.average, kernel: (3, 3), pad: (1, 1)), x)
        #expect(y.shape == [1, 1, 3, 3])
        // Every window, clipped to the padded input, covers 9 positions: padding counts as zeros.
        let expected: [Float] = [4, 6, 4, 6, 9, 6, 4, 6, 4].map { $0 / 9 }
        #expect(y.values == expected)
    }

    @Test func averagePoolCeilRoundingDividesByTheClippedWindow() throws {
        let x = Tensor(1, 1, 6, 6, values: (0..<36).map(Float.init))
        let y = try run(makePool(.average, kernel: (3, 3), stride: (2, 2)), x)
        // ceil((6 - 3) / 2) + 1 = 3, where floor would give 2.
        #expect(y.shape == [1, 1, 3, 3])
        // The last window overhangs the input and no padding is set: it averages the 2x2 inside.
        #expect(y.values[8] == Float(28 + 29 + 34 + 35) / 4)
        // The first window is a full 3x3.
        #expect(y.values[0] == Float(0 + 1 + 2 + 6 + 7 + 8 + 12 + 13 + 14) / 9)
        // The last column window: rows 0-2, columns 4-5.
        #expect(y.values[2] == Float(4 + 5 + 10 + 11 + 16 + 17) / 6)
    }

    @Test func averagePoolWithPaddingPastTheEdge() throws {
        // pad 1, kernel 3, stride 2 on 4: ceil(3 / 2) + 1 = 3 windows per axis, starting at -1, 1
        // and 3; the last is clipped to H + pad = 5, so it covers 2 positions, 1 of them real.
        let x = Tensor(1, 1, 4, 4, values: [Float](repeating: 1, count: 16))
        let y = try run(makePool(.average, kernel: (3, 3), stride: (2, 2), pad: (1, 1)), x)
        #expect(y.shape == [1, 1, 3, 3])
        let expected: [Float] = [4 / 9, 6 / 9, 2 / 6, 6 / 9, 9 / 9, 3 / 6, 2 / 6, 3 / 6, 1 / 4]
        #expect(y.values == expected)
    }

    @Test func paddingDropsAWindowThatWouldStartInThePadding() throws {
        // ceil((3 + 2 - 2) / 2) + 1 = 3, but the third window would start at 3 = H: Caffe drops it.
        let x = Tensor(1, 1, 3, 3, values: (1...9).map(Float.init))
        let layer = makePool(.max, kernel: (2, 2), stride: (2, 2), pad: (1, 1))
        let y = try run(layer, x)
        #expect(y.shape == [1, 1, 2, 2])
        #expect(y.values == [1, 3, 7, 9])
        let avg = try run(makePool(.average, kernel: (2, 2), stride: (2, 2), pad: (1, 1)), x)
        #expect(avg.values == [Float(1) / 4, Float(2 + 3) / 4, Float(4 + 7) / 4, Float(5 + 6 + 8 + 9) / 4])
    }

    @Test func caffeNetShapes() throws {
        let pool1 = try run(makePool(.max, kernel: (3, 3), stride: (2, 2)), Tensor(shape: [1, 2, 55, 55]))
        #expect(pool1.shape == [1, 2, 27, 27])
        let pool2 = try run(makePool(.max, kernel: (3, 3), stride: (2, 2)), Tensor(shape: [1, 2, 27, 27]))
        #expect(pool2.shape == [1, 2, 13, 13])
        let pool5 = try run(makePool(.max, kernel: (3, 3), stride: (2, 2)), Tensor(shape: [2, 3, 13, 13]))
        #expect(pool5.shape == [2, 3, 6, 6])
    }

    @Test func globalPooling() throws {
        let x = randomTensor([2, 3, 5, 4], seed: 5)
        let avg = try run(makePool(.average, kernel: (1, 1), global: true), x)
        let max = try run(makePool(.max, kernel: (1, 1), global: true), x)
        #expect(avg.shape == [2, 3, 1, 1])
        #expect(max.shape == [2, 3, 1, 1])
        for p in 0..<6 {
            let plane = Array(x.values[(p * 20)..<((p + 1) * 20)])
            #expect(abs(avg.values[p] - plane.reduce(0, +) / 20) <= 1e-6)
            #expect(max.values[p] == plane.max())
        }
    }

    @Test func invalidSettingsThrow() {
        let x = Tensor(shape: [1, 1, 6, 6]), y = Tensor()
        let layers = [
            makePool(.max, kernel: (3, 3), pad: (3, 0)),
            makePool(.average, kernel: (2, 2), pad: (0, 2)),
            makePool(.max, kernel: (0, 2)),
            makePool(.max, kernel: (2, 2), stride: (0, 1)),
            makePool(.average, kernel: (1, 1), pad: (1, 1), global: true),
            makePool(.max, kernel: (7, 7)),
            // Stride above the kernel: the last ceil-rounded window would start past the input.
            makePool(.max, kernel: (1, 1), stride: (2, 2)),
        ]
        for layer in layers {
            #expect(throws: LayerError.self) {
                try layer.setUp(bottoms: [x], tops: [y], store: ParameterStore())
                try layer.reshape(bottoms: [x], tops: [y])
            }
        }
        #expect(throws: LayerError.self) { try run(makePool(.max, kernel: (2, 2)), Tensor(shape: [2, 6, 6])) }
    }

    @Test(arguments: [
        (PoolMethod.max, 3, 2, 1, 7),
        (PoolMethod.max, 3, 2, 0, 6),
        (PoolMethod.max, 2, 1, 1, 5),
        (PoolMethod.average, 3, 2, 1, 7),
        (PoolMethod.average, 3, 2, 0, 6),
        (PoolMethod.average, 2, 1, 1, 5),
        (PoolMethod.average, 3, 3, 2, 7),
    ])
    func gradients(method: PoolMethod, kernel: Int, stride: Int, pad: Int, size: Int) throws {
        let x = distinctTensor([2, 2, size, size + 1], seed: UInt64(kernel * 100 + size))
        let layer = makePool(method, kernel: (kernel, kernel), stride: (stride, stride), pad: (pad, pad))
        let compared = try GradientChecker().check(layer: layer, bottoms: [x], tops: [Tensor()])
        #expect(compared == x.count)
    }

    @Test(arguments: [PoolMethod.max, .average])
    func rectangularGradients(method: PoolMethod) throws {
        let x = distinctTensor([1, 3, 6, 7], seed: 17)
        let layer = makePool(method, kernel: (3, 2), stride: (2, 1), pad: (1, 0))
        try GradientChecker().check(layer: layer, bottoms: [x], tops: [Tensor()])
    }

    @Test(arguments: [PoolMethod.max, .average])
    func globalGradients(method: PoolMethod) throws {
        let x = distinctTensor([2, 3, 4, 5], seed: 23)
        try GradientChecker().check(layer: makePool(method, kernel: (1, 1), global: true), bottoms: [x], tops: [Tensor()])
    }

    @Test(arguments: [PoolMethod.max, .average])
    func parallelPlanesMatchSinglePlanes(method: PoolMethod) throws {
        // Enough work for the planes to be split over threads; each must equal its own run.
        let x = distinctTensor([8, 16, 16, 16], seed: 31)
        let layer = makePool(method, kernel: (3, 3), stride: (2, 2), pad: (1, 1))
        let y = try run(layer, x)
        let dy = randomTensor(y.shape, seed: 32)
        y.diff.update(from: dy.data, count: y.count)
        layer.backward(tops: [y], propagateDown: [true], bottoms: [x])
        let out = y.count / 128
        for plane in [0, 37, 127] {
            let one = Tensor(shape: [1, 1, 16, 16])
            one.data.update(from: x.data + plane * 256, count: 256)
            let single = makePool(method, kernel: (3, 3), stride: (2, 2), pad: (1, 1))
            let z = try run(single, one)
            z.diff.update(from: dy.data + plane * out, count: out)
            single.backward(tops: [z], propagateDown: [true], bottoms: [one])
            #expect(Array(y.values[(plane * out)..<((plane + 1) * out)]) == z.values)
            #expect(Array(x.gradients[(plane * 256)..<((plane + 1) * 256)]) == one.gradients)
        }
    }
}

/// Caffe's `round_mode: FLOOR`: only whole windows.
@Suite struct PoolingFloorTests {
    private func pool(_ method: PoolMethod, rounding: PoolRounding, pad: Int = 0) -> PoolingLayer {
        var p = PoolingParams(method: method, kernelH: 3, kernelW: 3)
        (p.strideH, p.strideW, p.padH, p.padW, p.rounding) = (2, 2, pad, pad, rounding)
        return PoolingLayer(spec: LayerSpec(name: "pool", kind: .pooling(p)), params: p, method: p.method == .max ? .max : .average)
    }

    @Test func floorKeepsOnlyWholeWindows() throws {
        let x = distinctTensor([1, 2, 6, 8], seed: 3)
        #expect(try run(pool(.max, rounding: .ceil), x).shape == [1, 2, 3, 4])
        let floored = try run(pool(.max, rounding: .floor), x)
        #expect(floored.shape == [1, 2, 2, 3])
        // The first window is the same either way.
        let ceiled = try run(pool(.max, rounding: .ceil), x)
        #expect(floored.data[0] == ceiled.data[0])
        #expect(try run(pool(.average, rounding: .floor, pad: 1), x).shape == [1, 2, 3, 4])
    }

    @Test(arguments: [PoolMethod.max, .average])
    func gradients(method: PoolMethod) throws {
        let x = distinctTensor([2, 2, 7, 6], seed: 4)
        let compared = try GradientChecker().check(layer: pool(method, rounding: .floor, pad: 1), bottoms: [x], tops: [Tensor()])
        #expect(compared == x.count)
    }
}
