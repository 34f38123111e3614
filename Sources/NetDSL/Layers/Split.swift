/// Split has no settings.
public struct SplitParams: Codable, Equatable, Sendable {
    public init() {}
}

extension SplitParams: LayerKindDeclaration {
    public static let typeName = "Split"
    public static let settingsKey = "split_param"
    public static let nameStem = "split"
    public static let traits = LayerTraits(identityAtInference: true)
    public var kind: LayerKind { .split }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [] }

    /// Caffe inserts its splits itself, as Crema does; a prototxt that writes one keeps it.
    public static func read(caffe layer: CaffeFields) -> SplitParams? { SplitParams() }

    public func write(caffe w: inout CaffeMessageWriter) {}

    /// Recipes do not write splits, so the layer is written as a plain spec, which a Net body
    /// accepts too.
    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        var args = ["name: \(SwiftLiteral.string(layer.name))", "kind: .split"]
        if !layer.bottoms.isEmpty { args.append("bottoms: [\(SwiftLiteral.strings(layer.bottoms))]") }
        if !layer.tops.isEmpty { args.append("tops: [\(SwiftLiteral.strings(layer.tops))]") }
        if !layer.params.isEmpty { args.append("params: [\(layer.params.map(RecipeSource.paramSpec).joined(separator: ", "))]") }
        if let weight = layer.lossWeight { args.append("lossWeight: \(SwiftLiteral.float(weight))") }
        return LayerSource(head: "[LayerSpec", arguments: args, modifiers: ["]"], rawSpec: true)
    }
}
