public struct BatchNormParams: Codable, Equatable, Sendable {
    /// Normalise with the stored statistics rather than the batch's; nil follows the phase, as
    /// Caffe does (the batch's in TRAIN, the stored ones in TEST).
    public var useGlobalStats: Bool? = nil
    /// How much of the running statistics each training batch keeps.
    public var movingAverageFraction: Float = 0.999
    public var eps: Float = 1e-5
    public init(useGlobalStats: Bool? = nil, movingAverageFraction: Float = 0.999, eps: Float = 1e-5) {
        self.useGlobalStats = useGlobalStats
        self.movingAverageFraction = movingAverageFraction
        self.eps = eps
    }
}

/// Caffe's BatchNorm: each channel normalised to zero mean and unit variance, by the batch's
/// statistics while training (which also update the stored running averages) and by the
/// stored ones in TEST. It learns no scale or shift: a `Scale(bias: true)` after it does, as
/// in Caffe's ResNets. In place unless given outputs.
public struct BatchNorm: NetLayer {
    public var base: LayerSpec
    public var params: BatchNormParams
    public var kind: LayerKind { .batchNorm(params) }

    public init(_ name: String = "", useGlobalStats: Bool? = nil, movingAverageFraction: Float = 0.999,
                eps: Float = 1e-5, fileID: String = #fileID, line: Int = #line) {
        params = BatchNormParams(useGlobalStats: useGlobalStats, movingAverageFraction: movingAverageFraction, eps: eps)
        base = baseSpec(name, .batchNorm(params), fileID, line)
    }
}

extension BatchNormParams: LayerKindDeclaration {
    public static let typeName = "BatchNorm"
    public static let settingsKey = "batch_norm_param"
    public static let nameStem = "bn"
    public static let traits = LayerTraits(inPlace: .byDefault)
    public var kind: LayerKind { .batchNorm(self) }

    /// Caffe's three blobs: the sums of means and of variances and their weight (the running
    /// averages are each sum divided by it). The solver never changes them.
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] {
        [ParameterBlob("mean", learned: false), ParameterBlob("variance", learned: false),
         ParameterBlob("moving average factor", learned: false)]
    }

    public static func read(caffe layer: CaffeFields) -> BatchNormParams? {
        let f = layer.optionalMessage("batch_norm_param")
        let p = BatchNormParams(useGlobalStats: f.bool("use_global_stats"),
                                movingAverageFraction: f.float("moving_average_fraction") ?? 0.999,
                                eps: f.float("eps") ?? 1e-5)
        guard p.eps > 0 else {
            f.problem("eps", "eps must be positive")
            return nil
        }
        return p
    }

    public func write(caffe w: inout CaffeMessageWriter) {
        w.message("batch_norm_param") { b in
            if let useGlobalStats { b.bool("use_global_stats", useGlobalStats) }
            b.float("moving_average_fraction", movingAverageFraction, unless: 0.999)
            b.float("eps", eps, unless: 1e-5)
        }
    }

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        let f = SwiftLiteral.float
        var args = name
        if let useGlobalStats { args.append("useGlobalStats: \(useGlobalStats)") }
        if movingAverageFraction != 0.999 { args.append("movingAverageFraction: \(f(movingAverageFraction))") }
        if eps != 1e-5 { args.append("eps: \(f(eps))") }
        return LayerSource(head: "BatchNorm", arguments: args)
    }
}
