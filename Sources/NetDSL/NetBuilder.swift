/// Anything that can stand in a `Net { ... }` body: a layer, a phase scope or a block.
public protocol NetContent {
    var layerSpecs: [LayerSpec] { get }
    /// The layers as written at `site` in a builder body: a `Block` written inside a function
    /// records where the function was called.
    func placed(at site: SourceLocation) -> [LayerSpec]
}

extension NetContent {
    public func placed(at site: SourceLocation) -> [LayerSpec] { layerSpecs }
}

/// Builds a list of layers from a block that reads like the network, with `if` and `for`.
/// Each call of a builder function (`residual(...)`) is recorded on the layers it wrote, so an
/// error in one of them names the call as well as the line inside the function.
@resultBuilder
public enum NetBuilder {
    public static func buildExpression(_ content: some NetContent, fileID: String = #fileID, line: Int = #line) -> [LayerSpec] {
        content.placed(at: SourceLocation(fileID: fileID, line: line))
    }
    public static func buildExpression(_ specs: [LayerSpec], fileID: String = #fileID, line: Int = #line) -> [LayerSpec] {
        called(specs, at: SourceLocation(fileID: fileID, line: line))
    }

    /// `specs` with `site` added to their call sites, except where it is the line that wrote them.
    static func called(_ specs: [LayerSpec], at site: SourceLocation) -> [LayerSpec] {
        specs.map { spec in
            let last = spec.callSites.sites.last ?? spec.location
            guard last.fileID != site.fileID || last.line != site.line else { return spec }
            var placed = spec
            placed.callSites.sites.append(site)
            return placed
        }
    }
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
