import Foundation

/// One layer of a net as a plain value: what it computes, what it reads and writes, and when.
public struct LayerSpec: Equatable, Sendable {
    /// Empty until the net names it; `Net` gives unnamed layers Caffe-style names.
    public var name: String
    public var kind: LayerKind
    /// Input blob names. Empty means "the previous layer's output" (implicit chaining).
    public var bottoms: [String]
    /// Output blob names. Empty means the layer's own name, or its input for in-place layers.
    public var tops: [String]
    /// The only phase the layer exists in; nil means both.
    public var phase: Phase?
    /// Per-parameter-blob lr and decay multipliers and share names (weights first, then bias).
    public var params: [ParamSpec]
    /// Weight of the first output in the net's loss; nil means the kind's default.
    public var lossWeight: Float?
    /// The recipe line that wrote this layer; not part of equality or JSON.
    public var location: SourceLocation
    /// Where the builder functions that wrote this layer were called, innermost first (a
    /// block's layer is written inside the block, but the mistake is often at the call); not
    /// part of equality or JSON.
    public var callSites = CallSites()
    /// The `Block`s this layer belongs to, outermost first: where a block's `input` and its
    /// name, standing for its output, are resolved.
    public var blocks: [BlockFrame] = []

    public init(name: String = "", kind: LayerKind, bottoms: [String] = [], tops: [String] = [],
                phase: Phase? = nil, params: [ParamSpec] = [], lossWeight: Float? = nil,
                location: SourceLocation = .unknown) {
        self.name = name
        self.kind = kind
        self.bottoms = bottoms
        self.tops = tops
        self.phase = phase
        self.params = params
        self.lossWeight = lossWeight
        self.location = location
    }

    /// The multipliers for parameter blob `index`, Caffe's defaults (1, 1) where unset.
    public func param(_ index: Int) -> ParamSpec {
        index < params.count ? params[index] : ParamSpec()
    }

    /// Whether the solver learns any of the layer's blobs from gradients: one its kind learns,
    /// whose `lr_mult` is not 0.
    public var learns: Bool {
        kind.parameterBlobs(inputs: bottoms.count).enumerated().contains { i, blob in blob.learned && param(i).lrMult != 0 }
    }

    /// `layer 'res2a_1' (Convolution) at Recipes/Blocks.swift:8, in block res2a, called from :31`,
    /// for error messages: the line that wrote the layer, its blocks, and the calls that led there
    /// (a path left out where it repeats the one before).
    public var label: String {
        var text = "layer '\(name)' (\(kind.typeName))"
        if !location.fileID.isEmpty { text += " at \(location)" }
        if !blocks.isEmpty { text += ", in block " + blocks.reversed().map(\.name).joined(separator: " in ") }
        var file = location.fileID
        var calls: [String] = []
        for site in callSites.sites where !site.fileID.isEmpty {
            calls.append(site.fileID == file ? ":\(site.line)" : "\(site)")
            file = site.fileID
        }
        if !calls.isEmpty { text += ", called from " + calls.joined(separator: ", then ") }
        return text
    }
}

/// The calls that led to a layer, innermost first. Like `SourceLocation`, never part of
/// equality: two recipes that describe the same net are equal wherever they were written.
public struct CallSites: Sendable, Hashable {
    public var sites: [SourceLocation] = []
    public init(_ sites: [SourceLocation] = []) { self.sites = sites }
    public static func == (lhs: CallSites, rhs: CallSites) -> Bool { true }
    public func hash(into hasher: inout Hasher) {}
}

/// A layer's membership of a `Block`: the block's name, which stands for its output blob, and
/// the blob it reads when given one (`.inputs`), else the output before it.
public struct BlockFrame: Codable, Hashable, Sendable {
    /// The block's name, which stands for its output blob.
    public var name: String
    /// The blob the block reads, when given one with `.inputs`.
    public var input: String?
    /// Whether this layer is the block's first: where one block ends and another of the same
    /// name would begin, so two such blocks are an error rather than one merged block.
    public var first: Bool
    /// Where the block was written; not part of equality or JSON.
    public var location: SourceLocation = .unknown

    public init(name: String, input: String? = nil, first: Bool = false, location: SourceLocation = .unknown) {
        self.name = name
        self.input = input
        self.first = first
        self.location = location
    }

    private enum CodingKeys: String, CodingKey { case name, input, first }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        input = try c.decodeIfPresent(String.self, forKey: .input)
        first = try c.decodeIfPresent(Bool.self, forKey: .first) ?? false
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encodeIfPresent(input, forKey: .input)
        if first { try c.encode(true, forKey: .first) }
    }
}

extension LayerSpec: Codable {
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
        static let name = Key("name"), type = Key("type"), bottom = Key("bottom"), top = Key("top")
        static let phase = Key("phase"), param = Key("param"), lossWeight = Key("lossWeight"), block = Key("block")

        /// The settings' key before the encoder writes it in snake_case (`convolutionParam`).
        static func settings(_ declaration: any LayerKindDeclaration.Type) -> Key {
            let words = declaration.settingsKey.split(separator: "_")
            return Key(words.enumerated().map { $0.offset == 0 ? String($0.element) : $0.element.prefix(1).uppercased() + $0.element.dropFirst() }.joined())
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(name, forKey: .name)
        try c.encode(kind.typeName, forKey: .type)
        if !bottoms.isEmpty { try c.encode(bottoms, forKey: .bottom) }
        if !tops.isEmpty { try c.encode(tops, forKey: .top) }
        try c.encodeIfPresent(phase, forKey: .phase)
        if !params.isEmpty { try c.encode(params, forKey: .param) }
        try c.encodeIfPresent(lossWeight, forKey: .lossWeight)
        if !blocks.isEmpty { try c.encode(blocks, forKey: .block) }
        try kind.settings.encode(into: &c, forKey: .settings(type(of: kind.settings)))
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        bottoms = try c.decodeIfPresent([String].self, forKey: .bottom) ?? []
        tops = try c.decodeIfPresent([String].self, forKey: .top) ?? []
        phase = try c.decodeIfPresent(Phase.self, forKey: .phase)
        params = try c.decodeIfPresent([ParamSpec].self, forKey: .param) ?? []
        lossWeight = try c.decodeIfPresent(Float.self, forKey: .lossWeight)
        location = .unknown
        blocks = try c.decodeIfPresent([BlockFrame].self, forKey: .block) ?? []
        let type = try c.decode(String.self, forKey: .type)
        guard let declaration = LayerKind.declaration(typeName: type) else {
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown layer type '\(type)'")
        }
        kind = try Self.decode(declaration, from: c, forKey: .settings(declaration))
    }

    private static func decode<T: LayerKindDeclaration>(_ type: T.Type, from c: KeyedDecodingContainer<Key>,
                                                         forKey key: Key) throws -> LayerKind {
        if c.contains(key) { return try c.decode(T.self, forKey: key).kind }
        // Kinds without settings (Sigmoid) may leave the key out.
        return try SpecJSON.decoder().decode(T.self, from: Foundation.Data("{}".utf8)).kind
    }
}

private extension LayerKindDeclaration {
    func encode<K: CodingKey>(into c: inout KeyedEncodingContainer<K>, forKey key: K) throws {
        try c.encode(self, forKey: key)
    }
}
