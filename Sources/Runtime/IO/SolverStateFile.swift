import Foundation
import SwiftProtobuf

/// What `--resume` needs besides the weights: Caffe's `SolverState`.
public struct SolverState: Equatable, Sendable {
    /// Updates done so far (Caffe's `iter`).
    public var iteration: Int
    /// Path of the `.caffemodel` written with this state (Caffe's `learned_net`).
    public var learnedNet: String
    /// Caffe's `current_step_` (the multistep/step position).
    public var currentStep: Int
    /// The solver's history blobs in `Solver.history` order.
    public var history: [CaffeBlob]
    /// Crema's own resume data (data order, random streams), opaque here. Stored in a field
    /// that Caffe's schema lacks, so Caffe still reads the file and skips it.
    public var extra: Data

    public init(iteration: Int, learnedNet: String, currentStep: Int = 0, history: [CaffeBlob], extra: Data = Data()) {
        self.iteration = iteration
        self.learnedNet = learnedNet
        self.currentStep = currentStep
        self.history = history
        self.extra = extra
    }

    /// A snapshot of `solver` after `iteration` updates.
    public init(solver: Solver, iteration: Int, learnedNet: String) {
        self.init(iteration: iteration, learnedNet: learnedNet, currentStep: solver.currentStep,
                  history: solver.history.map(CaffeBlob.init))
    }
}

/// Caffe's binary `.solverstate` files.
public enum SolverStateFile {
    public static func write(_ state: SolverState, to url: URL) throws {
        guard let iter = Int32(exactly: state.iteration), let step = Int32(exactly: state.currentStep) else {
            throw ModelFileError(path: url.path, .badBlob,
                                 "iteration \(state.iteration) or step \(state.currentStep) does not fit Caffe's int32 fields")
        }
        var proto = Caffe_SolverState()
        proto.iter = iter
        proto.learnedNet = state.learnedNet
        proto.currentStep = step
        proto.history = state.history.map(CaffeModel.blobProto)
        // Field 1001 (`crema_state`), which Caffe's schema lacks and so skips.
        if !state.extra.isEmpty { proto.cremaState = state.extra }
        try writeAtomically(try CaffeModel.serialized(proto, url), to: url)
    }

    public static func read(from url: URL) throws -> SolverState {
        try decode(try CaffeModel.readFile(url, kind: ".solverstate"), source: url)
    }

    /// Decodes a .solverstate's bytes; `url` names the file in errors.
    public static func decode(_ bytes: Data, source url: URL) throws -> SolverState {
        let proto: Caffe_SolverState
        do {
            proto = try Caffe_SolverState(serializedBytes: bytes)
        } catch {
            if isCaffeModel(bytes) { throw caffeModelGiven(url) }
            throw CaffeModel.decodingError(error, url, what: "a Caffe .solverstate (binary SolverState)")
        }
        guard CaffeModel.looksLikeSolverState(proto) else {
            if isCaffeModel(bytes) { throw caffeModelGiven(url) }
            throw ModelFileError(path: url.path, .incomplete,
                                 "has no iteration count ('iter'): not a Caffe .solverstate")
        }
        guard proto.iter >= 0, proto.currentStep >= 0 else {
            throw ModelFileError(path: url.path, .incomplete,
                                 "stores iteration \(proto.iter) and step \(proto.currentStep); neither can be negative")
        }
        let history = try proto.history.enumerated().map { i, blob in
            try CaffeModel.blob(blob, what: "history blob \(i)", url)
        }
        return SolverState(iteration: Int(proto.iter), learnedNet: proto.learnedNet,
                           currentStep: Int(proto.currentStep), history: history,
                           extra: proto.cremaState)
    }

    private static func isCaffeModel(_ bytes: Data) -> Bool {
        guard let net = try? Caffe_NetParameter(serializedBytes: bytes) else { return false }
        return !net.layer.isEmpty || !net.layers.isEmpty
    }

    private static func caffeModelGiven(_ url: URL) -> ModelFileError {
        ModelFileError(path: url.path, .wrongKind,
                       "this is a .caffemodel (weights); --resume needs the .solverstate written beside it")
    }
}
