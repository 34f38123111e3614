/// A named, reusable piece of a net. Its layers read the block's input through `input` (the
/// output of the layer before the block, or the blob given with `.inputs`), and the block's
/// name stands for its output, the last blob it leaves, so later layers read it as
/// `.inputs("res2a")` or simply by coming next:
///
///     func residual(_ name: String, width: Int) -> Block {
///         Block(name) { input in
///             Convolution("\(name)_a", outputs: width, kernel: 3, pad: 1).inputs(input)
///             ReLU()
///             Convolution("\(name)_b", outputs: width, kernel: 3, pad: 1)
///             Eltwise("\(name)_sum", .sum, input, "\(name)_b")
///         }
///     }
public struct Block: NetContent {
    /// The block's name, which later layers read as its output.
    public let name: String
    /// The block's layers, each marked as belonging to it.
    public let layerSpecs: [LayerSpec]
    let location: SourceLocation

    /// A block named `name` whose layers `content` writes, given the blob name that stands for
    /// the block's input.
    public init(_ name: String, fileID: String = #fileID, line: Int = #line,
                @NetBuilder _ content: (_ input: String) -> [LayerSpec]) {
        self.name = name
        location = SourceLocation(fileID: fileID, line: line)
        let frame = BlockFrame(name: name, location: location)
        layerSpecs = content(Block.input(of: name)).enumerated().map { index, spec in
            var s = spec
            var own = frame
            own.first = index == 0
            s.blocks.insert(own, at: 0)
            return s
        }
    }

    private init(name: String, layerSpecs: [LayerSpec], location: SourceLocation) {
        self.name = name
        self.layerSpecs = layerSpecs
        self.location = location
    }

    /// Reads `blob` instead of the output of the layer before the block.
    public func inputs(_ blob: String) -> Block {
        Block(name: name, layerSpecs: layerSpecs.map { spec in
            var s = spec
            if let i = s.blocks.firstIndex(where: { $0.name == name }) { s.blocks[i].input = blob }
            return s
        }, location: location)
    }

    /// The layers, recording `site` as a call when the block was written elsewhere (in a function).
    public func placed(at site: SourceLocation) -> [LayerSpec] {
        site.fileID == location.fileID && site.line == location.line ? layerSpecs : NetBuilder.called(layerSpecs, at: site)
    }

    /// The blob name that stands for block `name`'s input until the net is resolved.
    public static func input(of name: String) -> String { "<input of block \(name)>" }
}
