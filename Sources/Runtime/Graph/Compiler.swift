import NetDSL

/// Turns a spec into a runnable graph for one phase.
public enum Compiler {
    /// Filters by phase, names every input and output, inserts splits where one blob feeds
    /// several layers that send gradients back, builds the kernels, and infers every shape.
    /// Parameters come from `store`, so compiling TRAIN and TEST with one store shares them.
    /// `options` choose the convolution engine and precision, fusion and gradient sharing.
    public static func compile(_ spec: NetSpec, for phase: Phase, store: ParameterStore,
                               seed: UInt64 = 1701, options: CompileOptions = CompileOptions()) throws -> Graph {
        let resolved = try spec.resolved(for: phase)
        try BLAS.load()
        var random = RandomGenerator(seed: seed)
        // Only TRAIN graphs run backward, so only they need splits.
        let specs = phase == .train
            ? insertSplits(resolved.layers, needsGradient: gradientNeeds(resolved.layers))
            : resolved.layers

        var layers: [Layer] = []
        var bottoms: [[Tensor]] = []
        var tops: [[Tensor]] = []
        var current: [String: Tensor] = [:]

        for spec in specs {
            let layer = try atLayer(spec) { try LayerFactory.make(spec, phase: phase, options: options, random: &random) }
            let ins = try spec.bottoms.map { name in
                guard let t = current[name] else { throw LayerError(spec, "reads blob '\(name)', which no earlier layer produces") }
                return t
            }
            var outs: [Tensor] = []
            for top in spec.tops {
                if spec.bottoms.contains(top), let t = current[top] {
                    outs.append(t)
                } else {
                    let t = Tensor()
                    outs.append(t)
                    current[top] = t
                }
            }
            try atLayer(spec) {
                try layer.setUp(bottoms: ins, tops: outs, store: store)
                try layer.reshape(bottoms: ins, tops: outs)
            }
            try checkShapes(of: layer, tops: outs)
            layers.append(layer)
            bottoms.append(ins)
            tops.append(outs)
        }

        if options.fuseLayers { try fuseActivations(layers: &layers, bottoms: bottoms, tops: tops) }

        // Which layers send gradients back, and to which inputs: a blob needs a gradient when a
        // layer with learnable parameters (or one fed by such a blob) produced it.
        var needsGradient: Set<ObjectIdentifier> = []
        var propagateDown: [[Bool]] = []
        var runsBackward: [Bool] = []
        for (i, layer) in layers.enumerated() {
            let down = bottoms[i].map { needsGradient.contains(ObjectIdentifier($0)) }
            let learns = layer.parameters.indices.contains { layer.spec.param($0).lrMult != 0 }
            let backward = learns || down.contains(true)
            if backward { for t in tops[i] { needsGradient.insert(ObjectIdentifier(t)) } }
            propagateDown.append(down)
            runsBackward.append(backward && phase == .train)
        }

        // Outputs: blobs that no layer reads after their last writer (Caffe's net outputs).
        var outputs: [Graph.Output] = []
        var lastWriter: [ObjectIdentifier: (layer: Int, slot: Int)] = [:]
        for i in layers.indices { for (k, t) in tops[i].enumerated() { lastWriter[ObjectIdentifier(t)] = (i, k) } }
        var seen: Set<ObjectIdentifier> = []
        for i in layers.indices where !layers[i].spec.kind.isSource {
            for t in tops[i] {
                let id = ObjectIdentifier(t)
                guard let w = lastWriter[id], w.layer == i, !seen.contains(id) else { continue }
                if bottoms[(i + 1)...].contains(where: { $0.contains { $0 === t } }) { continue }
                seen.insert(id)
                let spec = layers[i].spec
                let weight = w.slot == 0 ? (spec.lossWeight ?? spec.kind.defaultLossWeight) : 0
                outputs.append(.init(name: spec.tops[w.slot], tensor: t, lossWeight: weight))
            }
        }

        if phase == .train && options.shareGradients {
            shareGradientStorage(bottoms: bottoms, tops: tops, propagateDown: propagateDown,
                                 runsBackward: runsBackward,
                                 overwrites: layers.indices.map { layers[$0].overwritesInputGradients(inputs: bottoms[$0].count) },
                                 losses: outputs.filter { $0.lossWeight != 0 }.map(\.tensor))
        }
        return Graph(name: resolved.name, phase: phase, layers: layers, bottoms: bottoms, tops: tops,
                     propagateDown: propagateDown, runsBackward: runsBackward, blobs: current,
                     outputs: outputs, store: store, options: options)
    }

    /// Runs one of a layer's set-up steps. A data error (a missing database, a bad mean file) is
    /// the data's fault, but the layer says where it was named, so it is reported under the layer.
    private static func atLayer<T>(_ spec: LayerSpec, _ step: () throws -> T) throws -> T {
        do {
            return try step()
        } catch let error as DataError {
            throw LayerError(spec, error.description, underlying: error)
        }
    }

    /// Every output and parameter of `layer` fits in memory; one that does not is named with
    /// its shape, before any pass could write past it.
    static func checkShapes(of layer: Layer, tops: [Tensor]) throws {
        for (i, top) in tops.enumerated() {
            if let problem = top.shapeProblem {
                throw LayerError(layer.spec, "its output '\(layer.spec.tops[i])' would be \(shapeText(top.shape)): \(problem); check the input shape and the layer's sizes")
            }
        }
        for (i, parameter) in layer.parameters.enumerated() {
            if let problem = parameter.shapeProblem {
                throw LayerError(layer.spec, "its parameter blob \(i) would be \(shapeText(parameter.shape)): \(problem); check the layer's sizes")
            }
        }
    }

    /// Buffer planning for blob gradients: a blob's gradient lives only from the backward step
    /// that first writes it (its last reader's) to the one that consumes it (its producer's), so
    /// blobs whose lifetimes do not overlap share one storage. A chain of layers then needs two
    /// gradient buffers, not one per blob (about 0.4 GB less for CaffeNet at batch 256).
    ///
    /// Lifetimes are per storage, since in-place layers (one tensor) and Flatten (a shared
    /// gradient) already share. Blobs no backward step touches (the data, accuracy) keep their
    /// own storage, which is never written and so never takes memory.
    ///
    /// Reused storage holds another blob's stale values, so only storage whose first use in a
    /// pass overwrites all of it may be shared: the loss gradients, or an input gradient from a
    /// layer in `overwrites`. Storage first read (the output of a learning layer that no loss
    /// reaches, an input that Accuracy "propagates" to) keeps its own zeros, as without sharing.
    static func shareGradientStorage(bottoms: [[Tensor]], tops: [[Tensor]], propagateDown: [[Bool]],
                                     runsBackward: [Bool], overwrites: [Bool], losses: [Tensor]) {
        let n = bottoms.count
        // Backward step of layer i: n - 1 - i; the loss gradients are set at step -1. Within a
        // step a layer reads its outputs' gradients before it writes its inputs' (in place: one
        // storage), so reads order first: (step, 0) read, (step, 1) write.
        var first: [ObjectIdentifier: (step: Int, write: Int)] = [:], last: [ObjectIdentifier: Int] = [:]
        var users: [ObjectIdentifier: [Tensor]] = [:]
        var order: [ObjectIdentifier] = []
        func touch(_ t: Tensor, at step: Int, writes: Bool) {
            let id = ObjectIdentifier(t.diffBuffer)
            if users[id] == nil { order.append(id) }
            if !(users[id]?.contains { $0 === t } ?? false) { users[id, default: []].append(t) }
            let use = (step: step, write: writes ? 1 : 0)
            if let earliest = first[id], earliest <= use {} else { first[id] = use }
            last[id] = max(last[id] ?? step, step)
        }
        for t in losses { touch(t, at: -1, writes: true) }
        for i in 0..<n where runsBackward[i] {
            let step = n - 1 - i
            for t in tops[i] { touch(t, at: step, writes: false) }
            for (k, t) in bottoms[i].enumerated() where propagateDown[i][k] {
                touch(t, at: step, writes: overwrites[i])
            }
        }
        // Greedy interval colouring in order of first use; each shared storage grows to its
        // largest user.
        struct Slot { let buffer: Buffer; var freeAfter: Int; var capacity: Int }
        var slots: [Slot] = []
        let byStart = order.enumerated().sorted {
            (first[$0.element]?.step ?? 0, $0.offset) < (first[$1.element]?.step ?? 0, $1.offset)
        }
        for id in byStart.map(\.element) {
            guard let use = first[id], use.write == 1, let end = last[id], let group = users[id] else { continue }
            let start = use.step
            let need = group.map(\.count).max() ?? 1
            // Among free slots, the one closest in size, so large and small blobs pair up.
            let free = slots.indices.filter { slots[$0].freeAfter < start }
            let pick = free.min { abs(slots[$0].capacity - need) < abs(slots[$1].capacity - need) }
            let index: Int
            if let pick {
                index = pick
            } else {
                slots.append(Slot(buffer: Buffer(capacity: need), freeAfter: end, capacity: need))
                index = slots.count - 1
            }
            slots[index].buffer.reserve(need)
            slots[index].capacity = max(slots[index].capacity, need)
            slots[index].freeAfter = end
            for t in group { t.shareDiff(storage: slots[index].buffer) }
        }
    }

    /// For each layer, whether its outputs will carry gradients (it learns, or its inputs do).
    private static func gradientNeeds(_ specs: [LayerSpec]) -> [String: Bool] {
        var needs: [String: Bool] = [:]
        for spec in specs {
            let learns = spec.learns
            let fromInputs = spec.bottoms.contains { needs[$0] ?? false }
            for top in spec.tops { needs[top] = learns || fromInputs || (needs[top] ?? false) }
        }
        return needs
    }

    /// Caffe's insert_splits: where one version of a blob that carries gradients feeds several
    /// layers, a Split layer gives each reader its own gradient, summed on the way back.
    static func insertSplits(_ specs: [LayerSpec], needsGradient: [String: Bool]) -> [LayerSpec] {
        // Readers of each blob version: version = (name, index of the layer that wrote it).
        var writer: [String: Int] = [:]
        var readers: [String: [(layer: Int, slot: Int)]] = [:]
        func key(_ name: String, _ w: Int) -> String { "\(name)@\(w)" }
        for (i, spec) in specs.enumerated() {
            for (slot, b) in spec.bottoms.enumerated() {
                readers[key(b, writer[b] ?? -1), default: []].append((i, slot))
            }
            for t in spec.tops { writer[t] = i }
        }
        var result = specs
        var inserts: [(after: Int, split: LayerSpec)] = []
        for (versionKey, list) in readers where list.count > 1 {
            let parts = versionKey.split(separator: "@")
            let name = String(parts[0])
            let w = Int(parts[1]) ?? -1
            guard needsGradient[name] ?? false, w >= 0 else { continue }
            // An in-place reader then works on its own split output (which, as in Caffe, shares
            // the data of the blob it splits).
            var splitTops: [String] = []
            for (j, r) in list.enumerated() {
                let top = "\(name)_\(specs[w].name)_\(j)_split"
                splitTops.append(top)
                result[r.layer].bottoms[r.slot] = top
                if result[r.layer].tops.contains(name) && specs[r.layer].kind.mayRunInPlace {
                    if let t = result[r.layer].tops.firstIndex(of: name) { result[r.layer].tops[t] = top }
                }
            }
            let split = LayerSpec(name: "\(name)_\(specs[w].name)_split", kind: .split,
                                  bottoms: [name], tops: splitTops, phase: specs[w].phase,
                                  location: specs[w].location)
            inserts.append((w, split))
        }
        for insert in inserts.sorted(by: { $0.after > $1.after }) {
            result.insert(insert.split, at: insert.after + 1)
        }
        return result
    }
}
