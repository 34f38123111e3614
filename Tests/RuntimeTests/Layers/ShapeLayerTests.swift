import Foundation
import NetDSL
import Testing
@testable import Runtime

/// Reshape, Silence, ArgMax, Slice, Crop, Tile and Reduction: Caffe's shape rules, values, and
/// gradients by finite differences.
@Suite struct ShapeLayerTests {
    private func make(_ kind: LayerKind, phase: Phase = .train) throws -> Layer {
        var random = RandomGenerator(seed: 1)
        return try LayerFactory.make(LayerSpec(name: kind.typeName.lowercased(), kind: kind), phase: phase,
                                     options: CompileOptions(), random: &random)
    }

    private func forward(_ kind: LayerKind, _ bottoms: [Tensor], tops: Int = 1) throws -> [Tensor] {
        let outputs = (0..<tops).map { _ in Tensor() }
        let l = try make(kind)
        try l.setUp(bottoms: bottoms, tops: outputs, store: ParameterStore())
        try l.reshape(bottoms: bottoms, tops: outputs)
        try l.forward(bottoms: bottoms, tops: outputs)
        return outputs
    }

    @Test func reshapeFollowsCaffesRules() throws {
        let x = randomTensor([2, 3, 4, 5], seed: 1)
        #expect(try forward(.reshape(ReshapeParams(shape: [0, -1])), [x])[0].shape == [2, 60])
        #expect(try forward(.reshape(ReshapeParams(shape: [6, 2], axis: 1, numAxes: 2)), [x])[0].shape == [2, 6, 2, 5])
        #expect(try forward(.reshape(ReshapeParams(shape: [1], axis: -1, numAxes: 0)), [x])[0].shape == [2, 3, 4, 5, 1])
        let y = try forward(.reshape(ReshapeParams(shape: [-1])), [x])[0]
        #expect(y.values == x.values)
        #expect(throws: LayerError.self) { try self.forward(.reshape(ReshapeParams(shape: [7, -1])), [x]) }
        #expect(throws: LayerError.self) { try self.forward(.reshape(ReshapeParams(shape: [2, 2])), [x]) }
    }

    @Test func silenceZeroesItsInputsGradients() throws {
        let x = randomTensor([3, 2], seed: 2)
        for i in 0..<x.count { x.diff[i] = 5 }
        let l = try make(.silence)
        try l.setUp(bottoms: [x], tops: [], store: ParameterStore())
        l.backward(tops: [], propagateDown: [true], bottoms: [x])
        #expect(x.gradients.allSatisfy { $0 == 0 })
    }

    @Test func argMaxGivesIndicesAndValues() throws {
        let x = Tensor(shape: [2, 4])
        x.copy(from: [0.1, 0.9, 0.3, 0.9, -1, -2, -0.5, -3])
        let plain = try forward(.argMax(ArgMaxParams()), [x])[0]
        #expect(plain.shape == [2, 1, 1])
        #expect(plain.values == [1, 2], "ties go to the lower index")
        let both = try forward(.argMax(ArgMaxParams(topK: 2, outMaxVal: true)), [x])[0]
        #expect(both.shape == [2, 2, 2])
        #expect(both.values == [1, 3, 0.9, 0.9, 2, 0, -0.5, -1])
        let along = try forward(.argMax(ArgMaxParams(axis: 0)), [x])[0]
        #expect(along.shape == [1, 4])
        #expect(along.values == [0, 0, 0, 0])
    }

    @Test func sliceGradients() throws {
        let x = randomTensor([2, 5, 3], seed: 3)
        let l = try make(.slice(SliceParams(axis: 1, slicePoints: [1, 3])))
        let checked = try GradientChecker().check(layer: l, bottoms: [x], tops: [Tensor(), Tensor(), Tensor()])
        #expect(checked == x.count)
        let even = try forward(.slice(SliceParams(axis: -1)), [x], tops: 3)
        #expect(even.map(\.shape) == [[2, 5, 1], [2, 5, 1], [2, 5, 1]])
    }

    @Test func cropGradientsAndOffsets() throws {
        let x = randomTensor([2, 3, 6, 5], seed: 4)
        let reference = Tensor(shape: [2, 3, 3, 2])
        let cropped = try forward(.crop(CropParams(axis: 2, offset: [2, 1])), [x, reference])[0]
        #expect(cropped.shape == [2, 3, 3, 2])
        #expect(cropped.data[0] == x.data[2 * 5 + 1])
        let l = try make(.crop(CropParams(axis: 1, offset: [0, 1, 2])))
        let checked = try GradientChecker().check(layer: l, bottoms: [x, reference], tops: [Tensor()], checkBottoms: [0])
        #expect(checked == x.count)
        #expect(throws: LayerError.self) { try self.forward(.crop(CropParams(axis: 2, offset: [4])), [x, reference]) }
    }

    @Test func tileGradients() throws {
        let x = randomTensor([2, 3, 2], seed: 5)
        let y = try forward(.tile(TileParams(axis: 1, tiles: 3)), [x])[0]
        #expect(y.shape == [2, 9, 2])
        #expect(Array(y.values[0..<6]) == Array(x.values[0..<6]) && Array(y.values[6..<12]) == Array(x.values[0..<6]))
        let checked = try GradientChecker().check(layer: make(.tile(TileParams(axis: 1, tiles: 3))), bottoms: [x], tops: [Tensor()])
        #expect(checked == x.count)
    }

    @Test(arguments: [ReductionOperation.sum, .absoluteSum, .sumOfSquares, .mean])
    func reductionGradients(operation: ReductionOperation) throws {
        let x = randomTensor([3, 4, 2], seed: 6, range: -2...2)
        for i in 0..<x.count where abs(x.data[i]) < 0.05 { x.data[i] += 0.1 }
        let y = try forward(.reduction(ReductionParams(operation, axis: 1, coeff: 0.5)), [x])[0]
        #expect(y.shape == [3])
        let row = (0..<8).map { Double(x.data[$0]) }
        let want: Double
        switch operation {
        case .sum: want = row.reduce(0, +)
        case .absoluteSum: want = row.map(abs).reduce(0, +)
        case .sumOfSquares: want = row.map { $0 * $0 }.reduce(0, +)
        case .mean: want = row.reduce(0, +) / 8
        }
        #expect(abs(Double(y.data[0]) - 0.5 * want) < 1e-5)
        let checked = try GradientChecker().check(layer: make(.reduction(ReductionParams(operation, axis: 1, coeff: 0.5))),
                                                  bottoms: [x], tops: [Tensor()])
        #expect(checked == x.count)
        #expect(try forward(.reduction(ReductionParams(operation)), [x])[0].shape == [])
    }
}
