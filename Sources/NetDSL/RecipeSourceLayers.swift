// One layer as DSL source: the constructor with labelled arguments, then modifiers for
// whatever differs from the constructor's defaults.

/// A layer's source before layout: `head(arguments)` then `.modifier(...)`s.
struct LayerSource {
    var head: String
    var arguments: [String]
    var modifiers: [String] = []

    func lines(indent: Int) -> [String] {
        SourceLayout.chain(SourceLayout.call(head, arguments, indent: indent), modifiers, indent: indent)
    }
}

extension RecipeSource {
    /// `layer` (already in `chained` form) as DSL source; `showName` false leaves the name to `Net`.
    static func source(of layer: LayerSpec, showName: Bool) -> LayerSource {
        let f = SwiftLiteral.float
        let i: (Int) -> String = { SwiftLiteral.int($0) }
        var named: [String] = showName ? [SwiftLiteral.string(layer.name)] : []
        var code: LayerSource
        var bottomsInConstructor = false
        switch layer.kind {
        case .data(let p):
            code = LayerSource(head: "Data", arguments: named + ["lmdb: \(SwiftLiteral.string(p.source))", "batch: \(i(p.batchSize))"])
            let t = p.transform
            if t.cropSize != 0 { code.modifiers.append(".crop(\(i(t.cropSize)))") }
            if t.mirror { code.modifiers.append(".mirror()") }
            if let file = t.meanFile { code.modifiers.append(".mean(file: \(SwiftLiteral.string(file)))") }
            if !t.meanValue.isEmpty { code.modifiers.append(".mean(values: \(t.meanValue.map(f).joined(separator: ", ")))") }
            if t.scale != 1 { code.modifiers.append(".scale(\(f(t.scale)))") }
        case .input(let p):
            let shapes = p.shapes.count == 1 ? "shape: \(SwiftLiteral.ints(p.shapes[0]))"
                : "shapes: [\(p.shapes.map(SwiftLiteral.ints).joined(separator: ", "))]"
            code = LayerSource(head: "Input", arguments: named + [shapes])
        case .convolution(let p):
            var args = named + ["outputs: \(i(p.numOutput))"]
            if p.kernelH == p.kernelW && p.strideH == p.strideW && p.padH == p.padW {
                args.append("kernel: \(i(p.kernelH))")
                if p.strideH != 1 { args.append("stride: \(i(p.strideH))") }
                if p.padH != 0 { args.append("pad: \(i(p.padH))") }
            } else {
                args.append("kernel: (\(i(p.kernelH)), \(i(p.kernelW)))")
                if (p.strideH, p.strideW) != (1, 1) { args.append("stride: (\(i(p.strideH)), \(i(p.strideW)))") }
                if (p.padH, p.padW) != (0, 0) { args.append("pad: (\(i(p.padH)), \(i(p.padW)))") }
            }
            if p.group != 1 { args.append("group: \(i(p.group))") }
            if !p.biasTerm { args.append("bias: false") }
            code = LayerSource(head: "Convolution", arguments: args)
            code.modifiers += fillers(p.weightFiller, p.biasFiller)
        case .innerProduct(let p):
            code = LayerSource(head: "InnerProduct", arguments: named + ["outputs: \(i(p.numOutput))"]
                               + (p.biasTerm ? [] : ["bias: false"]))
            code.modifiers += fillers(p.weightFiller, p.biasFiller)
            if p.axis != 1 { code.modifiers.append(".axis(\(i(p.axis)))") }
        case .relu(let p):
            code = LayerSource(head: "ReLU", arguments: named + (p.negativeSlope != 0 ? ["negativeSlope: \(f(p.negativeSlope))"] : []))
        case .pooling(let p):
            let method = p.method == .max ? ".max" : ".average"
            if named.isEmpty { named = ["\"\""] }
            if p.globalPooling && (p.kernelH, p.kernelW, p.strideH, p.strideW, p.padH, p.padW) == (1, 1, 1, 1, 0, 0) {
                code = LayerSource(head: "Pooling.global", arguments: named + [method])
            } else {
                var args = named + [method]
                if p.kernelH == p.kernelW && p.strideH == p.strideW && p.padH == p.padW {
                    args.append("kernel: \(i(p.kernelH))")
                    if p.strideH != 1 { args.append("stride: \(i(p.strideH))") }
                    if p.padH != 0 { args.append("pad: \(i(p.padH))") }
                } else {
                    args.append("kernel: (\(i(p.kernelH)), \(i(p.kernelW)))")
                    if (p.strideH, p.strideW) != (1, 1) { args.append("stride: (\(i(p.strideH)), \(i(p.strideW)))") }
                    if (p.padH, p.padW) != (0, 0) { args.append("pad: (\(i(p.padH)), \(i(p.padW)))") }
                }
                code = LayerSource(head: "Pooling", arguments: args)
                if p.globalPooling { code.modifiers.append(".globalPooling()") }
            }
        case .lrn(let p):
            code = LayerSource(head: "LRN", arguments: named + ["size: \(i(p.localSize))", "alpha: \(f(p.alpha))",
                                                                "beta: \(f(p.beta))"] + (p.k != 1 ? ["k: \(f(p.k))"] : []))
        case .dropout(let p):
            code = LayerSource(head: "Dropout", arguments: named + ["ratio: \(f(p.ratio))"])
        case .softmax(let p):
            code = LayerSource(head: "Softmax", arguments: named + (p.axis != 1 ? ["axis: \(i(p.axis))"] : []))
        case .softmaxWithLoss(let p):
            var args = named
            if let ignore = p.ignoreLabel { args.append("ignoreLabel: \(i(ignore))") }
            if p.normalization != .valid { args.append("normalization: \(normalization(p.normalization))") }
            code = LayerSource(head: "SoftmaxWithLoss", arguments: args)
            if p.axis != 1 { code.modifiers.append(".axis(\(i(p.axis)))") }
        case .accuracy(let p):
            var args = named
            if p.topK != 1 { args.append("topK: \(i(p.topK))") }
            if let ignore = p.ignoreLabel { args.append("ignoreLabel: \(i(ignore))") }
            code = LayerSource(head: "Accuracy", arguments: args)
            if p.axis != 1 { code.modifiers.append(".axis(\(i(p.axis)))") }
        case .concat(let p):
            if named.isEmpty { named = ["\"\""] }
            code = LayerSource(head: "Concat", arguments: named + layer.bottoms.map(SwiftLiteral.string)
                               + (p.axis != 1 ? ["axis: \(i(p.axis))"] : []))
            bottomsInConstructor = true
        case .eltwise(let p):
            if named.isEmpty { named = ["\"\""] }
            code = LayerSource(head: "Eltwise", arguments: named + [operation(p.operation)] + layer.bottoms.map(SwiftLiteral.string)
                               + (p.coeff.isEmpty ? [] : ["coeff: \(SwiftLiteral.floats(p.coeff))"]))
            bottomsInConstructor = true
        case .flatten(let p):
            var args = named
            if p.axis != 1 { args.append("axis: \(i(p.axis))") }
            if p.endAxis != -1 { args.append("endAxis: \(i(p.endAxis))") }
            code = LayerSource(head: "Flatten", arguments: args)
        case .sigmoid:
            code = LayerSource(head: "Sigmoid", arguments: named)
        case .tanh:
            code = LayerSource(head: "TanH", arguments: named)
        case .split:
            return rawSource(of: layer)
        }
        if !bottomsInConstructor && !layer.bottoms.isEmpty {
            code.modifiers.append(".inputs(\(SwiftLiteral.strings(layer.bottoms)))")
        }
        if layer.tops != defaultTops(of: layer.kind) {
            code.modifiers.append(".outputs(\(SwiftLiteral.strings(layer.tops)))")
        }
        code.modifiers += paramModifiers(layer.params)
        if let weight = layer.lossWeight { code.modifiers.append(".lossWeight(\(f(weight)))") }
        return code
    }

    /// A Split layer, which recipes do not write, as a plain spec: a Net body accepts those too.
    static func rawSource(of layer: LayerSpec) -> LayerSource {
        var args = ["name: \(SwiftLiteral.string(layer.name))", "kind: .split"]
        if !layer.bottoms.isEmpty { args.append("bottoms: [\(SwiftLiteral.strings(layer.bottoms))]") }
        if !layer.tops.isEmpty { args.append("tops: [\(SwiftLiteral.strings(layer.tops))]") }
        if !layer.params.isEmpty { args.append("params: [\(layer.params.map(paramSpec).joined(separator: ", "))]") }
        if let weight = layer.lossWeight { args.append("lossWeight: \(SwiftLiteral.float(weight))") }
        var code = LayerSource(head: "[LayerSpec", arguments: args)
        code.modifiers = ["]"]
        return code
    }

    static func fillers(_ weights: Filler, _ bias: Filler) -> [String] {
        (weights == .constant(0) ? [] : [".weights(\(filler(weights)))"])
            + (bias == .constant(0) ? [] : [".bias(\(filler(bias)))"])
    }

    static func filler(_ filler: Filler) -> String {
        let f = SwiftLiteral.float
        switch filler {
        case .constant(let v): return ".constant(\(f(v)))"
        case .gaussian(let mean, let std): return mean == 0 ? ".gaussian(std: \(f(std)))" : ".gaussian(mean: \(f(mean)), std: \(f(std)))"
        case .uniform(let lo, let hi): return ".uniform(min: \(f(lo)), max: \(f(hi)))"
        case .xavier(let norm): return norm == .fanIn ? ".xavier" : ".xavier(\(varianceNorm(norm)))"
        case .msra(let norm): return norm == .fanIn ? ".msra" : ".msra(\(varianceNorm(norm)))"
        }
    }

    static func varianceNorm(_ norm: Filler.VarianceNorm) -> String {
        switch norm {
        case .fanIn: ".fanIn"
        case .fanOut: ".fanOut"
        case .average: ".average"
        }
    }

    static func normalization(_ n: LossNormalization) -> String {
        switch n {
        case .full: ".full"
        case .valid: ".valid"
        case .batchSize: ".batchSize"
        case .none: ".none"
        }
    }

    static func operation(_ op: EltwiseOperation) -> String {
        switch op {
        case .product: ".product"
        case .sum: ".sum"
        case .max: ".max"
        }
    }

    /// `.lrMult(...)` for the usual weights-and-bias pair, `.sharing(...)` for names, else
    /// `.params(...)` spelled out.
    static func paramModifiers(_ params: [ParamSpec]) -> [String] {
        guard !params.isEmpty else { return [] }
        let names = params.compactMap(\.name)
        let allNamed = names.count == params.count
        let defaultMultipliers = params.allSatisfy { $0.lrMult == 1 && $0.decayMult == 1 }
        if allNamed && defaultMultipliers {
            return [".sharing(\(SwiftLiteral.strings(names)))"]
        }
        if params.count == 2 && (allNamed || names.isEmpty) {
            let f = SwiftLiteral.float
            var args = [f(params[0].lrMult)]
            if params[0].decayMult != 1 { args.append("decay: \(f(params[0].decayMult))") }
            if params[1].lrMult != 2 { args.append("bias: \(f(params[1].lrMult))") }
            if params[1].decayMult != 0 { args.append("biasDecay: \(f(params[1].decayMult))") }
            return [".lrMult(\(args.joined(separator: ", ")))"] + (allNamed ? [".sharing(\(SwiftLiteral.strings(names)))"] : [])
        }
        return [".params(\(params.map(paramSpec).joined(separator: ", ")))"]
    }

    static func paramSpec(_ p: ParamSpec) -> String {
        var args: [String] = []
        if let name = p.name { args.append("name: \(SwiftLiteral.string(name))") }
        if p.lrMult != 1 { args.append("lrMult: \(SwiftLiteral.float(p.lrMult))") }
        if p.decayMult != 1 { args.append("decayMult: \(SwiftLiteral.float(p.decayMult))") }
        return "ParamSpec(\(args.joined(separator: ", ")))"
    }
}
