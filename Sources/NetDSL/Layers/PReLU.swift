public struct PReLUParams: Codable, Equatable, Sendable {
    /// One slope for every channel instead of one per channel.
    public var channelShared = false
    /// The slopes' initial values (Caffe's default: 0.25).
    public var filler: Filler = .constant(0.25)
    public init(channelShared: Bool = false) { self.channelShared = channelShared }
}

/// Parametric ReLU (He et al. 2015): x for x > 0, a x otherwise, with the slopes a learned per
/// channel (or one for all with `channelShared`).
public struct PReLU: NetLayer {
    public var base: LayerSpec
    public var params: PReLUParams
    public var kind: LayerKind { .prelu(params) }

    public init(_ name: String = "", channelShared: Bool = false, fileID: String = #fileID, line: Int = #line) {
        params = PReLUParams(channelShared: channelShared)
        base = baseSpec(name, .prelu(params), fileID, line)
    }

    /// The slopes' initial values.
    public func slopes(_ filler: Filler) -> Self { with { $0.params.filler = filler } }
}

extension PReLUParams: LayerKindDeclaration {
    public static let typeName = "PReLU"
    public static let settingsKey = "prelu_param"
    public static let nameStem = "prelu"
    public static let traits = LayerTraits(inPlace: .allowed, nameMayBeLeftOut: false)
    public var kind: LayerKind { .prelu(self) }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [ParameterBlob("slopes")] }

    public static func read(caffe layer: CaffeFields) -> PReLUParams? {
        let f = layer.optionalMessage("prelu_param")
        var p = PReLUParams(channelShared: f.bool("channel_shared") ?? false)
        if let filler = f.message("filler") {
            guard let read = Filler.read(caffe: filler) else { return nil }
            p.filler = read
        }
        return p
    }

    public func write(caffe w: inout CaffeMessageWriter) {
        w.message("prelu_param") { p in
            if filler != .constant(0.25) { p.message("filler", filler.write(caffe:)) }
            p.bool("channel_shared", channelShared, unless: false)
        }
    }

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        LayerSource(head: "PReLU", arguments: name + (channelShared ? ["channelShared: true"] : []),
                    modifiers: filler != .constant(0.25) ? [".slopes(\(RecipeSource.filler(filler)))"] : [])
    }
}
