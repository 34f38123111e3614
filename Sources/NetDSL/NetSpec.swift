import Foundation

/// A whole net as a plain, serialisable value: its name and its layers, both phases together.
public struct NetSpec: Codable, Equatable, Sendable {
    public var name: String
    public var layers: [LayerSpec]

    public init(name: String, layers: [LayerSpec]) {
        self.name = name
        self.layers = layers
    }

    /// The layers that exist in `phase` (Caffe's include rules), in recipe order.
    public func layers(in phase: Phase) -> [LayerSpec] {
        layers.filter { $0.phase == nil || $0.phase == phase }
    }

    /// The data layer of `phase`, if the net has one.
    public func dataLayerIndex(in phase: Phase) -> Int? {
        layers.indices.first { i in
            if case .data = layers[i].kind { return layers[i].phase == nil || layers[i].phase == phase }
            return false
        }
    }
}

/// JSON with Caffe's snake_case field names, sorted keys, so equal specs give equal bytes.
public enum SpecJSON {
    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return e
    }

    public static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }
}
