import Foundation
import NetDSL
import SwiftProtobuf
import Testing
@testable import Runtime

/// A fresh directory for one test's files.
private final class StateScratch {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("crema-state-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func file(_ name: String) -> URL { url.appendingPathComponent(name) }
    deinit { try? FileManager.default.removeItem(at: url) }
}

private func stateError(_ body: () throws -> Void) -> ModelFileError? {
    do {
        try body()
        return nil
    } catch let error as ModelFileError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

private let sampleState = SolverState(
    iteration: 1234, learnedNet: "/runs/lenet/lenet_iter_1234.caffemodel", currentStep: 2,
    history: [CaffeBlob(shape: [2, 3], data: [1, 2, 3, 4, 5, 6]), CaffeBlob(shape: [3], data: [-0.5, 0, 0.5])])

@Suite struct SolverStateFileTests {
    @Test func roundTrip() throws {
        let dir = try StateScratch()
        let url = dir.file("lenet_iter_1234.solverstate")
        try SolverStateFile.write(sampleState, to: url)
        #expect(try SolverStateFile.read(from: url) == sampleState)
    }

    @Test func bytesAreACaffeSolverState() throws {
        let dir = try StateScratch()
        let url = dir.file("s.solverstate")
        try SolverStateFile.write(sampleState, to: url)
        let proto = try Caffe_SolverState(serializedBytes: try Data(contentsOf: url))
        #expect(proto.iter == 1234)
        #expect(proto.learnedNet == "/runs/lenet/lenet_iter_1234.caffemodel")
        #expect(proto.currentStep == 2)
        #expect(proto.history.map(\.shape.dim) == [[2, 3], [3]])
        #expect(proto.history[1].data == [-0.5, 0, 0.5])
    }

    @Test func extraResumeDataRoundTripsAndCaffeSkipsIt() throws {
        let dir = try StateScratch()
        let url = dir.file("extra.solverstate")
        var state = sampleState
        state.extra = Data((0..<300).map { UInt8($0 % 256) })
        try SolverStateFile.write(state, to: url)
        #expect(try SolverStateFile.read(from: url) == state)
        // Caffe's own fields are untouched; ours is field 1001, which Caffe's schema lacks.
        let proto = try Caffe_SolverState(serializedBytes: try Data(contentsOf: url))
        #expect(proto.iter == 1234)
        #expect(proto.history.count == 2)
        #expect(proto.cremaState == state.extra)

    }

    @Test func stateWithEmptyLearnedNetIsNotTakenForWeights() throws {
        // An empty learned_net decodes as an empty legacy layer in a NetParameter.
        let dir = try StateScratch()
        let url = dir.file("bare.solverstate")
        try SolverStateFile.write(SolverState(iteration: 5, learnedNet: "", history: []), to: url)
        #expect(stateError { _ = try CaffeModel.read(from: url) }?.reason == .wrongKind)
        #expect(try SolverStateFile.read(from: url).iteration == 5)
    }

    @Test func iterationZeroIsStillWritten() throws {
        // Caffe always sets iter; a state at iteration 0 must not read as "no iteration".
        let dir = try StateScratch()
        let url = dir.file("zero.solverstate")
        let state = SolverState(iteration: 0, learnedNet: "", history: [])
        try SolverStateFile.write(state, to: url)
        #expect(try SolverStateFile.read(from: url) == state)
    }

    @Test func caffeModelGivenForResume() throws {
        let dir = try StateScratch()
        let url = dir.file("lenet_iter_100.caffemodel")
        try CaffeModel.write(netName: "LeNet", layers: [
            CaffeModelLayer(name: "ip1", type: "InnerProduct", blobs: [CaffeBlob(shape: [2], data: [1, 2])]),
        ], to: url)
        let error = stateError { _ = try SolverStateFile.read(from: url) }
        #expect(error?.reason == .wrongKind)
        #expect(error?.message == "this is a .caffemodel (weights); --resume needs the .solverstate written beside it")
    }

    @Test func legacyCaffeModelGivenForResume() throws {
        var layer = Caffe_V1LayerParameter()
        layer.name = "conv1"
        layer.type = .convolution
        var net = Caffe_NetParameter()
        net.name = "old"
        net.layers = [layer]
        let dir = try StateScratch()
        let url = dir.file("old.caffemodel")
        try net.serializedData().write(to: url)
        #expect(stateError { _ = try SolverStateFile.read(from: url) }?.reason == .wrongKind)
    }

    @Test func truncatedState() throws {
        let dir = try StateScratch()
        let url = dir.file("cut.solverstate")
        try SolverStateFile.write(sampleState, to: url)
        let bytes = try Data(contentsOf: url)
        try bytes.prefix(bytes.count - 3).write(to: url)
        let error = stateError { _ = try SolverStateFile.read(from: url) }
        #expect(error?.reason == .truncated)
        #expect(error?.path == url.path)
    }

    @Test func emptyFileIsNotAState() throws {
        let dir = try StateScratch()
        let url = dir.file("empty.solverstate")
        try Data().write(to: url)
        #expect(stateError { _ = try SolverStateFile.read(from: url) }?.reason == .incomplete)
    }

    @Test func badHistoryBlob() throws {
        var blob = Caffe_BlobProto()
        blob.shape.dim = [4]
        blob.data = [1, 2]
        var proto = Caffe_SolverState()
        proto.iter = 7
        proto.history = [blob]
        let dir = try StateScratch()
        let url = dir.file("bad.solverstate")
        try proto.serializedData().write(to: url)
        let error = stateError { _ = try SolverStateFile.read(from: url) }
        #expect(error?.reason == .badBlob)
        #expect(error?.message.contains("history blob 0") == true)
    }

    @Test func solverResumesThroughTheFile() throws {
        let plan = SolverPlan(type: .adam, baseLR: 0.01, momentum: 0.9, weightDecay: 0.001, iterations: 10)
        func makeParameter(_ values: [Float]) -> Parameter {
            Parameter(key: "w", layerName: "ip", index: 0, tensor: Tensor(2, values: values), lrMult: 1, decayMult: 1)
        }
        let diffs: [[Float]] = [[0.5, -1], [0.25, 0.5], [-0.75, 0.125]]
        func run(_ solver: Solver, _ p: Parameter, _ steps: Range<Int>) {
            for i in steps {
                for (j, d) in diffs[i].enumerated() { p.tensor.diff[j] = d }
                solver.step(iteration: i)
            }
        }
        let straight = makeParameter([1, -2])
        run(try Solver(plan: plan, parameters: [straight]), straight, 0..<3)

        let first = makeParameter([1, -2])
        let before = try Solver(plan: plan, parameters: [first])
        run(before, first, 0..<2)
        let dir = try StateScratch()
        let url = dir.file("adam_iter_2.solverstate")
        try SolverStateFile.write(SolverState(solver: before, iteration: 2, learnedNet: "adam_iter_2.caffemodel"), to: url)

        let state = try SolverStateFile.read(from: url)
        #expect(state.iteration == 2)
        let resumed = makeParameter(first.tensor.values)
        let after = try Solver(plan: plan, parameters: [resumed])
        try after.restoreHistory(state.history)
        run(after, resumed, state.iteration..<3)
        #expect(resumed.tensor.values == straight.tensor.values)
    }
}
