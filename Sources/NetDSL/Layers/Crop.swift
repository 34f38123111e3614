public struct CropParams: Codable, Equatable, Sendable {
    /// The first axis cropped; axes before it are kept whole.
    public var axis = 2
    /// Where the crop starts: one offset for every cropped axis, or one per axis.
    public var offset: [Int] = []
    public init(axis: Int = 2, offset: [Int] = []) {
        self.axis = axis
        self.offset = offset
    }
}

/// Caffe's Crop: the first input cut to the second's shape from `axis` on (FCN's alignment of
/// upsampled scores to the image).
public struct Crop: NetLayer {
    public var base: LayerSpec
    public var params: CropParams
    public var kind: LayerKind { .crop(params) }

    public init(_ name: String = "", _ input: String, like reference: String, axis: Int = 2, offset: [Int] = [],
                fileID: String = #fileID, line: Int = #line) {
        params = CropParams(axis: axis, offset: offset)
        base = baseSpec(name, .crop(params), fileID, line)
        base.bottoms = [input, reference]
    }
}

extension CropParams: LayerKindDeclaration {
    public static let typeName = "Crop"
    public static let settingsKey = "crop_param"
    public static let nameStem = "crop"
    public static let traits = LayerTraits(inputs: .named)
    public var kind: LayerKind { .crop(self) }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [] }

    public static func read(caffe layer: CaffeFields) -> CropParams? {
        let f = layer.optionalMessage("crop_param")
        return CropParams(axis: f.int("axis") ?? 2, offset: f.counts("offset"))
    }

    public func write(caffe w: inout CaffeMessageWriter) {
        w.message("crop_param") { c in
            c.int("axis", axis, unless: 2)
            for o in offset { c.int("offset", o) }
        }
    }

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        let inputs = layer.bottoms.count == 2 ? [SwiftLiteral.string(layer.bottoms[0]), "like: \(SwiftLiteral.string(layer.bottoms[1]))"] : []
        return LayerSource(head: "Crop", arguments: (name.isEmpty ? ["\"\""] : name) + inputs
                           + (axis != 2 ? ["axis: \(SwiftLiteral.int(axis))"] : [])
                           + (offset.isEmpty ? [] : ["offset: \(SwiftLiteral.ints(offset))"]),
                           bottomsInConstructor: layer.bottoms.count == 2)
    }
}
