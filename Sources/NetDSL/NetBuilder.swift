/// Anything that can stand in a `Net { ... }` body: a layer, or a phase scope of layers.
public protocol NetContent {
    var layerSpecs: [LayerSpec] { get }
}

/// Builds a list of layers from a block that reads like the network, with `if` and `for`.
@resultBuilder
public enum NetBuilder {
    public static func buildExpression(_ content: some NetContent) -> [LayerSpec] { content.layerSpecs }
    public static func buildExpression(_ specs: [LayerSpec]) -> [LayerSpec] { specs }
    public static func buildBlock(_ parts: [LayerSpec]...) -> [LayerSpec] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [LayerSpec]?) -> [LayerSpec] { part ?? [] }
    public static func buildEither(first part: [LayerSpec]) -> [LayerSpec] { part }
    public static func buildEither(second part: [LayerSpec]) -> [LayerSpec] { part }
    public static func buildArray(_ parts: [[LayerSpec]]) -> [LayerSpec] { parts.flatMap { $0 } }
    public static func buildLimitedAvailability(_ part: [LayerSpec]) -> [LayerSpec] { part }
}

/// Layers that exist only while training (Caffe's `include { phase: TRAIN }`).
public struct Train: NetContent {
    public let layerSpecs: [LayerSpec]
    public init(@NetBuilder _ content: () -> [LayerSpec]) {
        layerSpecs = content().map { var s = $0; s.phase = .train; return s }
    }
}

/// Layers that exist only while testing (Caffe's `include { phase: TEST }`).
public struct Test: NetContent {
    public let layerSpecs: [LayerSpec]
    public init(@NetBuilder _ content: () -> [LayerSpec]) {
        layerSpecs = content().map { var s = $0; s.phase = .test; return s }
    }
}

/// A named net. Unnamed layers get Caffe-style names (`relu1`, `pool2`) in recipe order.
public struct Net {
    public var spec: NetSpec

    public init(_ name: String, @NetBuilder _ content: () -> [LayerSpec]) {
        var layers = content()
        // Names must be unique among layers that can exist together (same phase, or any phase).
        func clashes(_ candidate: String, _ phase: Phase?) -> Bool {
            layers.contains { $0.name == candidate && ($0.phase == nil || phase == nil || $0.phase == phase) }
        }
        var counters: [String: Int] = [:]
        for i in layers.indices where layers[i].name.isEmpty {
            let stem = layers[i].kind.nameStem
            // One-of-a-kind layers keep Caffe's plain names: "data", "loss", "accuracy", "prob".
            if layers[i].kind.traits.plainName, !clashes(stem, layers[i].phase) {
                layers[i].name = stem
                continue
            }
            var n = counters[stem, default: 0]
            var candidate: String
            repeat {
                n += 1
                candidate = "\(stem)\(n)"
            } while clashes(candidate, layers[i].phase)
            counters[stem] = n
            layers[i].name = candidate
        }
        spec = NetSpec(name: name, layers: layers)
    }

    public init(spec: NetSpec) { self.spec = spec }
}
