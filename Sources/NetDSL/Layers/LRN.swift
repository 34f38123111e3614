/// Which neighbours an LRN sums over (Caffe's NormRegion).
public enum LRNRegion: String, Codable, Sendable {
    /// `local_size` neighbouring channels at the same position.
    case acrossChannels = "ACROSS_CHANNELS"
    /// A `local_size` x `local_size` square of positions in the same channel.
    case withinChannel = "WITHIN_CHANNEL"
}

/// Local response normalisation, across channels (Caffe's default) or within each channel.
public struct LRNParams: Codable, Equatable, Sendable {
    public var localSize = 5
    public var alpha: Float = 1
    public var beta: Float = 0.75
    /// Across channels only: Caffe's within-channel form adds 1 instead.
    public var k: Float = 1
    public var normRegion: LRNRegion = .acrossChannels
    public init() {}

    private enum CodingKeys: String, CodingKey { case localSize, alpha, beta, k, normRegion }

    /// Run records written before the region was a setting have none: across channels.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        localSize = try c.decode(Int.self, forKey: .localSize)
        alpha = try c.decode(Float.self, forKey: .alpha)
        beta = try c.decode(Float.self, forKey: .beta)
        k = try c.decode(Float.self, forKey: .k)
        normRegion = try c.decodeIfPresent(LRNRegion.self, forKey: .normRegion) ?? .acrossChannels
    }
}

/// Local response normalisation: across channels y = x / (k + alpha/size * sum of x^2 over
/// `size` neighbouring channels)^beta; `.withinChannel()` sums a size x size square instead,
/// y = x / (1 + alpha/size^2 * sum)^beta.
public struct LRN: NetLayer {
    public var base: LayerSpec
    public var params: LRNParams
    public var kind: LayerKind { .lrn(params) }

    public init(_ name: String = "", size: Int = 5, alpha: Float = 1, beta: Float = 0.75, k: Float = 1,
                fileID: String = #fileID, line: Int = #line) {
        var p = LRNParams()
        p.localSize = size
        p.alpha = alpha
        p.beta = beta
        p.k = k
        params = p
        base = baseSpec(name, .lrn(p), fileID, line)
    }

    /// Normalise over a square of positions in each channel (Caffe's WITHIN_CHANNEL).
    public func withinChannel() -> Self { with { $0.params.normRegion = .withinChannel } }
}

extension LRNParams: LayerKindDeclaration {
    public static let typeName = "LRN"
    public static let settingsKey = "lrn_param"
    public static let nameStem = "norm"
    public static let traits = LayerTraits.plain
    public var kind: LayerKind { .lrn(self) }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [] }

    public static func read(caffe layer: CaffeFields) -> LRNParams? {
        var p = LRNParams()
        guard let lf = layer.message("lrn_param") else { return p }
        p.normRegion = lf.choice("norm_region", ["ACROSS_CHANNELS": LRNRegion.acrossChannels, "WITHIN_CHANNEL": .withinChannel])
            ?? .acrossChannels
        lf.ignoresEngine()
        p.localSize = lf.count("local_size") ?? 5
        p.alpha = lf.float("alpha") ?? 1
        p.beta = lf.float("beta") ?? 0.75
        p.k = lf.float("k") ?? 1
        return p
    }

    public func write(caffe w: inout CaffeMessageWriter) {
        w.message("lrn_param") { c in
            c.int("local_size", localSize)
            c.float("alpha", alpha)
            c.float("beta", beta)
            c.float("k", k)
            if normRegion != .acrossChannels { c.identifier("norm_region", normRegion.rawValue) }
        }
    }

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        let f = SwiftLiteral.float
        return LayerSource(head: "LRN", arguments: name + ["size: \(SwiftLiteral.int(localSize))", "alpha: \(f(alpha))",
                                                           "beta: \(f(beta))"] + (k != 1 ? ["k: \(f(k))"] : []),
                           modifiers: normRegion == .withinChannel ? [".withinChannel()"] : [])
    }
}
