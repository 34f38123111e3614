import Dispatch
import NetDSL

/// A net compiled for one phase: layers in order, the tensors between them, and which
/// gradients backward must compute. TRAIN and TEST graphs of a model share one ParameterStore.
public final class Graph {
    public let name: String
    public let phase: Phase
    /// The layers as run, splits included.
    public let layers: [Layer]
    let bottoms: [[Tensor]]
    let tops: [[Tensor]]
    let propagateDown: [[Bool]]
    let runsBackward: [Bool]
    /// Every blob by name (the latest version, for blobs rewritten in place).
    public let blobs: [String: Tensor]
    /// Blobs no layer reads: what Caffe prints as the net's outputs, with their loss weights.
    public let outputs: [Output]
    /// (tensor, weight) for every output that counts towards the loss.
    let losses: [(Tensor, Float)]
    public let store: ParameterStore
    /// A promise that the parameters stay as they are between forward passes until
    /// `parametersChanged()` is called, so layers convert their weights once rather than every
    /// pass (converting them took CaffeNet's batch-1 convolutions from about 6 to 9 ms). For
    /// inference and a trainer's TEST net; leave it off where anything writes the parameters
    /// unannounced.
    ///
    /// In a TEST graph it also folds each BatchNorm and Scale into the convolution before it,
    /// and a residual Eltwise SUM after them (`foldedLayers`), with results equal to the
    /// unfolded layers' to rounding.
    public var parametersFixed = false {
        didSet {
            applyParametersFixed()
            prepareFolds()
        }
    }
    /// The settings the graph was compiled with (folded convolutions are made with them).
    let options: CompileOptions
    /// The convolutions with BatchNorm and Scale folded in, made when the parameters are first fixed.
    var foldPlan: FoldPlan?
    /// Why the graph runs unfolded although its parameters are fixed, if it does.
    public internal(set) var foldingProblem: String?
    /// The store's `generation` the layers' converted weights belong to.
    var convertedGeneration = 0

    public struct Output {
        public let name: String
        public let tensor: Tensor
        public let lossWeight: Float
    }

    init(name: String, phase: Phase, layers: [Layer], bottoms: [[Tensor]], tops: [[Tensor]],
         propagateDown: [[Bool]], runsBackward: [Bool], blobs: [String: Tensor], outputs: [Output],
         store: ParameterStore, options: CompileOptions) {
        self.options = options
        self.name = name
        self.phase = phase
        self.layers = layers
        self.bottoms = bottoms
        self.tops = tops
        self.propagateDown = propagateDown
        self.runsBackward = runsBackward
        self.blobs = blobs
        self.outputs = outputs
        self.losses = outputs.filter { $0.lossWeight != 0 }.map { ($0.tensor, $0.lossWeight) }
        self.store = store
    }

    /// The first output of the graph's first source (its Data or Input layer): the images,
    /// whatever the net calls the blob.
    public var input: Tensor? {
        guard let index = layers.firstIndex(where: { $0.spec.kind.isSource }) else { return nil }
        return tops[index].first
    }

    /// Images in one batch: the input's first dimension (1 for a graph without a source).
    public var batchSize: Int { input?.num ?? 1 }

    /// The layer named `name`, if the graph has one.
    public func layer(named name: String) -> Layer? { layers.first { $0.spec.name == name } }

    /// The inputs and outputs of layer `index`.
    public func io(ofLayer index: Int) -> (bottoms: [Tensor], tops: [Tensor]) { (bottoms[index], tops[index]) }

    /// The first Data layer, whose position a snapshot records.
    public var dataLayer: DataLayer? { layers.lazy.compactMap { $0 as? DataLayer }.first }

    /// Runs every layer forward and returns the weighted loss.
    @discardableResult
    public func forward() throws -> Float {
        catchUpWithStore()
        try Parallel.flushingDenormals {
            for i in layers.indices { try forwardLayer(i) }
        }
        return loss
    }

    /// Forward with each layer's time reported (for `experiments time`), in milliseconds; a
    /// folded-away layer takes no time, its convolution the folded one's.
    public func forwardTimed(_ report: (Int, Double) -> Void) throws {
        catchUpWithStore()
        for i in layers.indices {
            let start = DispatchTime.now().uptimeNanoseconds
            try Parallel.flushingDenormals { try forwardLayer(i) }
            report(i, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
    }

    /// The weighted loss of the last forward pass.
    public var loss: Float {
        var total: Float = 0
        for (t, w) in losses {
            for i in 0..<t.count { total += t.data[i] * w }
        }
        return total
    }

    /// Sends gradients back from the loss outputs; parameter gradients accumulate.
    /// `afterLayer(i)` runs once layer `i` is done (whether or not it sends gradients back), so
    /// that a caller can start using the gradients it finished (replicas summing them) while
    /// the layers before it still run.
    public func backward(afterLayer: ((Int) -> Void)? = nil) {
        for (t, w) in losses {
            for i in 0..<t.count { t.diff[i] = w }
        }
        Parallel.flushingDenormals {
            for i in layers.indices.reversed() {
                if runsBackward[i] {
                    layers[i].backward(tops: tops[i], propagateDown: propagateDown[i], bottoms: bottoms[i])
                }
                afterLayer?(i)
            }
        }
    }

    /// Backward with each layer's time reported (for `experiments time`), in milliseconds.
    public func backwardTimed(_ report: (Int, Double) -> Void) {
        for (t, w) in losses {
            for i in 0..<t.count { t.diff[i] = w }
        }
        for i in layers.indices.reversed() {
            let start = DispatchTime.now().uptimeNanoseconds
            if runsBackward[i] {
                Parallel.flushingDenormals {
                    layers[i].backward(tops: tops[i], propagateDown: propagateDown[i], bottoms: bottoms[i])
                }
            }
            report(i, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
    }

    /// Resizes every blob after an input changed shape (e.g. a new batch size).
    public func reshape() throws {
        for i in layers.indices {
            try layers[i].reshape(bottoms: bottoms[i], tops: tops[i])
            try Compiler.checkShapes(of: layers[i], tops: tops[i])
        }
        for case let fold? in foldPlan?.folded ?? [] {
            let io = io(ofLayer: fold.convolution)
            try fold.kernel.reshape(bottoms: io.bottoms, tops: io.tops)
        }
    }
}
