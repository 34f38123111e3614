public struct TileParams: Codable, Equatable, Sendable {
    public var axis = 1
    public var tiles: Int
    public init(axis: Int = 1, tiles: Int) {
        self.axis = axis
        self.tiles = tiles
    }
}

/// Caffe's Tile: the input repeated `tiles` times along `axis`.
public struct Tile: NetLayer {
    public var base: LayerSpec
    public var params: TileParams
    public var kind: LayerKind { .tile(params) }

    public init(_ name: String = "", axis: Int = 1, tiles: Int, fileID: String = #fileID, line: Int = #line) {
        params = TileParams(axis: axis, tiles: tiles)
        base = baseSpec(name, .tile(params), fileID, line)
    }
}

extension TileParams: LayerKindDeclaration {
    public static let typeName = "Tile"
    public static let settingsKey = "tile_param"
    public static let nameStem = "tile"
    public static let traits = LayerTraits.plain
    public var kind: LayerKind { .tile(self) }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [] }

    public static func read(caffe layer: CaffeFields) -> TileParams? {
        guard let f = layer.message("tile_param"), let tiles = f.int("tiles") else {
            layer.problem(nil, "has no tile_param { tiles: ... }; add one")
            return nil
        }
        guard tiles >= 1 else {
            f.problem("tiles", "tiles must be at least 1")
            return nil
        }
        return TileParams(axis: f.int("axis") ?? 1, tiles: tiles)
    }

    public func write(caffe w: inout CaffeMessageWriter) {
        w.message("tile_param") { t in
            t.int("axis", axis, unless: 1)
            t.int("tiles", tiles)
        }
    }

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        LayerSource(head: "Tile", arguments: name + (axis != 1 ? ["axis: \(SwiftLiteral.int(axis))"] : []) + ["tiles: \(SwiftLiteral.int(tiles))"])
    }
}
