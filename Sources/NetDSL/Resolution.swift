/// A net for one phase with every input and output named: implicit chaining made explicit.
public struct ResolvedNet: Equatable, Sendable {
    public var name: String
    public var phase: Phase
    public var layers: [LayerSpec]
}

extension NetSpec {
    /// Filters the layers by phase (Caffe's include rules), then names every unnamed input and
    /// output: a layer reads the previous surviving layer's first output, losses and accuracy also
    /// read `label`, and in-place layers write over their input.
    public func resolved(for phase: Phase) throws -> ResolvedNet {
        var result: [LayerSpec] = []
        var produced: Set<String> = []
        var previous: String?
        var names: Set<String> = []
        // Blocks: the blob each reads (fixed when its first layer is met) and the last blob it
        // has left so far, which its name stands for.
        var blockInputs: [String: String?] = [:]
        var blockOutputs: [String: String] = [:]

        for var layer in layers(in: phase) {
            guard !layer.name.isEmpty else { throw SpecError(layer: layer, "has no name") }
            guard names.insert(layer.name).inserted else {
                throw SpecError(layer: layer, "another layer in the \(phase) net is also named '\(layer.name)'; give one of them another name")
            }
            for frame in layer.blocks {
                // A block's first layer (or, where the phase filtered that out, the first one
                // met) fixes its input; a second block of the same name is an error.
                if frame.first, blockInputs[frame.name] != nil {
                    throw SpecError(layer: layer, "begins block '\(frame.name)', but an earlier block of the \(phase) net has that name too; give one of them another name")
                }
                guard blockInputs[frame.name] == nil else { continue }
                if let input = frame.input { previous = try blob(input, for: layer) }
                blockInputs[frame.name] = .some(previous)
            }
            /// A blob name as written: a block's input, a block's name (its output), or a blob.
            func blob(_ name: String, for layer: LayerSpec) throws -> String {
                if let block = layer.blocks.first(where: { Block.input(of: $0.name) == name }) {
                    guard let input = blockInputs[block.name] ?? nil else {
                        throw SpecError(layer: layer, "reads the input of block '\(block.name)', but no layer before the block produces one; add a Data or Input layer first, or give the block its input with .inputs(\"blob\")")
                    }
                    return input
                }
                if !produced.contains(name), let output = blockOutputs[name] { return output }
                return name
            }
            layer.bottoms = try layer.bottoms.map { try blob($0, for: layer) }
            if layer.bottoms.isEmpty && !layer.kind.isSource {
                if layer.kind.joinsBranches {
                    throw SpecError(layer: layer, "joins branches, so it needs its inputs named, e.g. \(layer.kind.typeName)(\"\(layer.name)\", \"a\", \"b\")")
                }
                guard let previous else {
                    throw SpecError(layer: layer, "has no input: no layer before it in the \(phase) net produces one; add a Data or Input layer first, or name its inputs")
                }
                layer.bottoms = layer.kind.takesLabel ? [previous, "label"] : [previous]
            }
            for bottom in layer.bottoms where !produced.contains(bottom) {
                let known = produced.sorted().joined(separator: ", ")
                throw SpecError(layer: layer, "reads blob '\(bottom)', which no earlier layer of the \(phase) net produces (known blobs: \(known.isEmpty ? "none" : known))")
            }
            if layer.tops.isEmpty && layer.kind.traits.producesOutput {
                layer.tops = layer.kind.runsInPlace ? [layer.bottoms[0]] : [layer.name]
            }
            let inPlace = Set(layer.tops).intersection(layer.bottoms)
            if !inPlace.isEmpty && !layer.kind.mayRunInPlace {
                throw SpecError(layer: layer, "cannot write over its input '\(inPlace.sorted()[0])': a \(layer.kind.typeName) layer does not run in place; name its output differently")
            }
            for top in layer.tops where produced.contains(top) && !layer.bottoms.contains(top) {
                throw SpecError(layer: layer, "writes blob '\(top)', which an earlier layer already produces; name its output differently")
            }
            produced.formUnion(layer.tops)
            if !layer.kind.endsChain, let first = layer.tops.first { previous = first }
            if let previous { for frame in layer.blocks { blockOutputs[frame.name] = previous } }
            result.append(layer)
        }
        if phase == .test || phase == .train {
            guard result.contains(where: { $0.kind.isSource }) else {
                throw SpecError(net: name, "the \(phase) net has no Data or Input layer; add one (inside \(phase == .train ? "Train" : "Test") { } if it is for that phase only)")
            }
        }
        return ResolvedNet(name: name, phase: phase, layers: result)
    }
}
