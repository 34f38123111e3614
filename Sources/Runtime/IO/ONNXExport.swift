import Foundation
import NetDSL

/// A compiled deploy net as an ONNX model (operator set 13) that computes what the graph's TEST
/// forward pass computes: Input layers become the graph's inputs, learned blobs its
/// initializers, and the net's outputs (Caffe's: blobs no layer reads) its outputs.
///
/// Shapes are fixed at the graph's, as in a deploy.prototxt. ONNX values are written once, so a
/// blob rewritten in place (ReLU) keeps its Caffe name only for its last version; earlier
/// versions are named `blob_layer`.
public enum ONNXExport {
    public static let opsetVersion: Int64 = 13
    /// The IR version that came with operator set 13.
    public static let irVersion: Int64 = 7

    /// The model for `graph`, which must be compiled for TEST from a net without data, loss or
    /// accuracy layers (what `deploy` nets are). Throws for a layer ONNX cannot express.
    public static func model(of graph: Graph, docString: String = "") throws -> Onnx_ModelProto {
        guard graph.phase == .test else {
            throw ONNXExportError("the graph is compiled for \(graph.phase); compile the deploy net for TEST, where Dropout passes values through")
        }
        var writer = ONNXGraphWriter(graph: graph)
        for index in graph.layers.indices {
            let (bottoms, tops) = graph.io(ofLayer: index)
            try writer.emit(graph.layers[index], bottoms: bottoms, tops: tops)
        }
        try writer.finish()
        guard !writer.proto.input.isEmpty else {
            throw ONNXExportError("net \(graph.name) has no Input layer to become the ONNX graph's input")
        }
        var model = Onnx_ModelProto()
        model.irVersion = irVersion
        var opset = Onnx_OperatorSetIdProto()
        opset.domain = ""
        opset.version = opsetVersion
        model.opsetImport = [opset]
        model.producerName = "Crema"
        if !docString.isEmpty { model.docString = docString }
        model.graph = writer.proto
        return model
    }

    /// The serialized model, ready to write to a `.onnx` file.
    public static func serializedModel(of graph: Graph, docString: String = "") throws -> Foundation.Data {
        // Protocol buffers cannot exceed 2 GiB; ONNX keeps larger weights in external files,
        // which this export does not write.
        let bytes = graph.store.parameters.reduce(0) { $0 + $1.tensor.count * 4 }
        guard bytes < Int(Int32.max) - (1 << 24) else {
            throw ONNXExportError("net \(graph.name) has \(bytes / (1 << 20)) MiB of weights, more than an ONNX file without external data can hold (2 GiB)")
        }
        return try model(of: graph, docString: docString).serializedData()
    }
}

/// A net that cannot be written as ONNX; says which layer and why.
public struct ONNXExportError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Builds the ONNX graph layer by layer, giving every written value a name of its own.
private struct ONNXGraphWriter {
    private(set) var proto = Onnx_GraphProto()
    /// The ONNX value holding each Caffe blob's current version.
    private var current: [String: String] = [:]
    /// Per blob, the writes still to come; the last one takes the blob's own name.
    private var writesLeft: [String: Int] = [:]
    /// Blob names, kept for the last version of each blob.
    private let reserved: Set<String>
    private var taken: Set<String> = []
    private var nodeNames: Set<String> = []
    private let outputs: [Graph.Output]

    init(graph: Graph) {
        outputs = graph.outputs
        var reserved: Set<String> = []
        for layer in graph.layers {
            reserved.formUnion(layer.spec.tops)
            if Self.passesThrough(layer.spec.kind) {
                for (top, bottom) in Self.passedThrough(layer.spec) where top != bottom {
                    writesLeft[top, default: 0] += 1
                }
            } else {
                for top in layer.spec.tops { writesLeft[top, default: 0] += 1 }
            }
        }
        self.reserved = reserved
        proto.name = graph.name
    }

    /// Layers that compute nothing at inference: their outputs are their inputs.
    private static func passesThrough(_ kind: LayerKind) -> Bool { kind.traits.identityAtInference }

    /// (output, input) blob pairs of such a layer; a split copies its one input to every output.
    private static func passedThrough(_ spec: LayerSpec) -> [(String, String)] {
        let sources = spec.bottoms.count == 1 ? Array(repeating: spec.bottoms[0], count: spec.tops.count) : spec.bottoms
        return Array(zip(spec.tops, sources))
    }

    // MARK: Layers

    mutating func emit(_ layer: Layer, bottoms: [Tensor], tops: [Tensor]) throws {
        let spec = layer.spec
        let name = spec.name
        if case .input = spec.kind {
            for (top, tensor) in zip(spec.tops, tops) {
                let value = write(top, by: name)
                proto.input.append(Self.valueInfo(value, shape: tensor.shape))
            }
            return
        }
        let inputs = try spec.bottoms.map { blob in
            guard let value = current[blob] else {
                throw ONNXExportError("\(spec.label) reads blob '\(blob)', which no earlier layer writes")
            }
            return value
        }
        // A layer that writes nothing (Silence) has nothing to compute at inference.
        if !spec.kind.traits.producesOutput { return }
        guard inputs.count == bottoms.count, spec.tops.count == tops.count, !tops.isEmpty, !inputs.isEmpty else {
            throw ONNXExportError("\(spec.label) has inputs or outputs that the compiled graph does not match")
        }
        if Self.passesThrough(spec.kind) {
            for (top, bottom) in Self.passedThrough(spec) where top != bottom {
                guard let input = current[bottom] else { continue }
                passThrough(top, from: input, layer: name)
            }
            return
        }
        let x = inputs[0], inShape = bottoms[0].shape, outShape = tops[0].shape
        let top = spec.tops[0]

        switch spec.kind {
        case .convolution(let p):
            let weights = try parameter(layer, 0, "weight")
            let bias = p.biasTerm ? [try parameter(layer, 1, "bias")] : []
            node("Conv", name, [x, weights] + bias, [write(top, by: name)], [
                .ints("kernel_shape", [p.kernelH, p.kernelW]), .ints("strides", [p.strideH, p.strideW]),
                .ints("pads", [p.padH, p.padW, p.padH, p.padW]), .ints("dilations", [p.dilationH, p.dilationW]),
                .int("group", p.group),
            ])
            value(top, shape: outShape)

        case .deconvolution(let d):
            let p = d.convolution
            let weights = try parameter(layer, 0, "weight")
            let bias = p.biasTerm ? [try parameter(layer, 1, "bias")] : []
            node("ConvTranspose", name, [x, weights] + bias, [write(top, by: name)], [
                .ints("kernel_shape", [p.kernelH, p.kernelW]), .ints("strides", [p.strideH, p.strideW]),
                .ints("pads", [p.padH, p.padW, p.padH, p.padW]), .ints("dilations", [p.dilationH, p.dilationW]),
                .int("group", p.group),
            ])
            value(top, shape: outShape)

        case .innerProduct(let p):
            let axis = try canonical(p.axis, rank: inShape.count, spec)
            let rows = inShape[..<axis].reduce(1, *), columns = inShape[axis...].reduce(1, *)
            var matrix = x
            if inShape != [rows, columns] {
                matrix = temporary("\(name)_flat")
                node("Flatten", "\(name)/flatten", [x], [matrix], [.int("axis", axis)])
            }
            let weights = try parameter(layer, 0, "weight")
            let bias = p.biasTerm ? [try parameter(layer, 1, "bias")] : []
            if outShape == [rows, p.numOutput] {
                node("Gemm", name, [matrix, weights] + bias, [write(top, by: name)], [.int("transB", p.transpose ? 0 : 1)])
            } else {
                let product = temporary("\(name)_gemm")
                node("Gemm", name, [matrix, weights] + bias, [product], [.int("transB", p.transpose ? 0 : 1)])
                let shape = int64Initializer("\(name)_shape", outShape)
                node("Reshape", "\(name)/reshape", [product, shape], [write(top, by: name)])
            }
            value(top, shape: outShape)

        case .relu(let p):
            if p.negativeSlope == 0 {
                node("Relu", name, [x], [write(top, by: name)])
            } else {
                node("LeakyRelu", name, [x], [write(top, by: name)], [.float("alpha", p.negativeSlope)])
            }
            value(top, shape: outShape)

        case .pooling(let p):
            try pooling(p, spec, x: x, inShape: inShape, outShape: outShape)

        case .lrn(let p):
            switch p.normRegion {
            case .acrossChannels:
                node("LRN", name, [x], [write(top, by: name)], [
                    .int("size", p.localSize), .float("alpha", p.alpha), .float("beta", p.beta), .float("bias", p.k),
                ])
            case .withinChannel:
                // Caffe's own construction: 1 + alpha * (the square's mean of x^2), to the -beta.
                let (size, pad) = (p.localSize, p.localSize / 2)
                let squared = temporary("\(name)_squared"), mean = temporary("\(name)_mean")
                let scale = temporary("\(name)_scale")
                node("Mul", "\(name)/square", [x, x], [squared])
                node("AveragePool", "\(name)/pool", [squared], [mean], [
                    .ints("kernel_shape", [size, size]), .ints("strides", [1, 1]), .ints("pads", [pad, pad, pad, pad]),
                    .int("count_include_pad", 1),
                ])
                let shifted = affine(mean, scale: p.alpha, shift: 1, name)
                node("Pow", "\(name)/power", [shifted, scalar("\(name)_power", -p.beta)], [scale])
                node("Mul", name, [x, scale], [write(top, by: name)])
            }
            value(top, shape: outShape)

        case .softmax(let p):
            let axis = try canonical(p.axis, rank: inShape.count, spec)
            node("Softmax", name, [x], [write(top, by: name)], [.int("axis", axis)])
            value(top, shape: outShape)

        case .concat(let p):
            let axis = try canonical(p.axis, rank: inShape.count, spec)
            node("Concat", name, inputs, [write(top, by: name)], [.int("axis", axis)])
            value(top, shape: outShape)

        case .eltwise(let p):
            try eltwise(p, spec, inputs: inputs)
            value(top, shape: outShape)

        case .flatten(let p):
            let start = try canonical(p.axis, rank: inShape.count, spec)
            let end = try canonical(p.endAxis, rank: inShape.count, spec)
            if start == 1 && end == inShape.count - 1 {
                node("Flatten", name, [x], [write(top, by: name)], [.int("axis", 1)])
            } else {
                let shape = int64Initializer("\(name)_shape", outShape)
                node("Reshape", name, [x, shape], [write(top, by: name)])
            }
            value(top, shape: outShape)

        case .sigmoid:
            node("Sigmoid", name, [x], [write(top, by: name)])
            value(top, shape: outShape)

        case .tanh:
            node("Tanh", name, [x], [write(top, by: name)])
            value(top, shape: outShape)

        case .elu(let p):
            node("Elu", name, [x], [write(top, by: name)], [.float("alpha", p.alpha)])
            value(top, shape: outShape)

        case .absVal:
            node("Abs", name, [x], [write(top, by: name)])
            value(top, shape: outShape)

        case .bnll:
            node("Softplus", name, [x], [write(top, by: name)])
            value(top, shape: outShape)

        case .power(let p):
            let base = affine(x, scale: p.scale, shift: p.shift, name)
            if p.power == 1 {
                node("Identity", name, [base], [write(top, by: name)])
            } else {
                node("Pow", name, [base, scalar("\(name)_power", p.power)], [write(top, by: name)])
            }
            value(top, shape: outShape)

        case .exp(let p):
            let f = ExpFunction(p)
            let inner = affine(x, scale: f.innerScale, shift: 0, name)
            if f.outerScale == 1 {
                node("Exp", name, [inner], [write(top, by: name)])
            } else {
                let e = temporary("\(name)_exp")
                node("Exp", "\(name)/exp", [inner], [e])
                node("Mul", name, [e, scalar("\(name)_outer_scale", f.outerScale)], [write(top, by: name)])
            }
            value(top, shape: outShape)

        case .log(let p):
            let f = LogFunction(p)
            let inner = affine(x, scale: f.scale, shift: f.shift, name)
            if f.baseScale == 1 {
                node("Log", name, [inner], [write(top, by: name)])
            } else {
                let l = temporary("\(name)_ln")
                node("Log", "\(name)/ln", [inner], [l])
                node("Mul", name, [l, scalar("\(name)_base_scale", f.baseScale)], [write(top, by: name)])
            }
            value(top, shape: outShape)

        case .threshold(let p):
            let above = temporary("\(name)_above")
            node("Greater", "\(name)/greater", [x, scalar("\(name)_threshold", p.threshold)], [above])
            node("Cast", name, [above], [write(top, by: name)], [.int("to", Int(Onnx_TensorProto.DataType.float.rawValue))])
            value(top, shape: outShape)

        case .clip(let p):
            node("Clip", name, [x, scalar("\(name)_min", p.min), scalar("\(name)_max", p.max)], [write(top, by: name)])
            value(top, shape: outShape)

        case .swish(let p):
            let scaled = affine(x, scale: p.beta, shift: 0, name)
            let gate = temporary("\(name)_sigmoid")
            node("Sigmoid", "\(name)/sigmoid", [scaled], [gate])
            node("Mul", name, [x, gate], [write(top, by: name)])
            value(top, shape: outShape)

        case .prelu:
            let slopes = layer.parameters[0]
            let shape = slopes.count == 1 ? [1] : [slopes.count] + Array(repeating: 1, count: max(inShape.count - 2, 0))
            let slope = floatInitializer("\(name).slope", shape: shape, UnsafeBufferPointer(start: slopes.data, count: slopes.count))
            node("PRelu", name, [x, slope], [write(top, by: name)])
            value(top, shape: outShape)

        case .batchNorm(let p):
            guard let bn = layer as? BatchNormLayer, bn.useGlobalStats else {
                throw ONNXExportError("\(spec.label) normalises by each batch's statistics (use_global_stats: false); ONNX's BatchNormalization uses the stored ones, so leave use_global_stats out of the deploy net")
            }
            let c = layer.parameters[0].count
            let factor = layer.parameters[2].data[0]
            let scale: Float = factor == 0 ? 0 : 1 / factor
            let mean = (0..<c).map { scale * layer.parameters[0].data[$0] }
            let variance = (0..<c).map { scale * layer.parameters[1].data[$0] }
            let ones = [Float](repeating: 1, count: c), zeros = [Float](repeating: 0, count: c)
            let names = [("scale", ones), ("bias", zeros), ("mean", mean), ("variance", variance)].map { role, values in
                values.withUnsafeBufferPointer { floatInitializer("\(name).\(role)", shape: [c], $0) }
            }
            node("BatchNormalization", name, [x] + names, [write(top, by: name)], [.float("epsilon", p.eps)])
            value(top, shape: outShape)

        case .scale(let p):
            let axis = try canonical(p.axis, rank: inShape.count, spec)
            let factor = inputs.count > 1 ? inputs[1] : try parameter(layer, 0, "scale")
            let factorShape = inputs.count > 1 ? bottoms[1].shape : layer.parameters[0].shape
            let broadcast = broadcastable(factor, shape: factorShape, axis: axis, rank: inShape.count, name, "scale")
            if p.biasTerm {
                let product = temporary("\(name)_product")
                node("Mul", "\(name)/scale", [x, broadcast], [product])
                let bias = layer.parameters[layer.parameters.count - 1]
                let b = broadcastable(try parameter(layer, layer.parameters.count - 1, "bias"), shape: bias.shape,
                                      axis: axis, rank: inShape.count, name, "bias")
                node("Add", name, [product, b], [write(top, by: name)])
            } else {
                node("Mul", name, [x, broadcast], [write(top, by: name)])
            }
            value(top, shape: outShape)

        case .bias(let p):
            let axis = try canonical(p.axis, rank: inShape.count, spec)
            let shift = inputs.count > 1 ? inputs[1] : try parameter(layer, 0, "bias")
            let shiftShape = inputs.count > 1 ? bottoms[1].shape : layer.parameters[0].shape
            node("Add", name, [x, broadcastable(shift, shape: shiftShape, axis: axis, rank: inShape.count, name, "bias")],
                 [write(top, by: name)])
            value(top, shape: outShape)

        case .reshape:
            node("Reshape", name, [x, int64Initializer("\(name)_shape", outShape)], [write(top, by: name)])
            value(top, shape: outShape)

        case .argMax(let p):
            let flat = p.axis == nil
            var source = x
            if flat {
                source = temporary("\(name)_flat")
                node("Reshape", "\(name)/flatten", [x, int64Initializer("\(name)_flat_shape", [inShape[0], -1])], [source])
            }
            let axis = flat ? 1 : try canonical(p.axis ?? 1, rank: inShape.count, spec)
            let values = temporary("\(name)_values"), indices = temporary("\(name)_indices")
            node("TopK", "\(name)/topk", [source, int64Initializer("\(name)_k", [p.topK])], [values, indices], [.int("axis", axis)])
            let indexValues = flat || !p.outMaxVal ? temporary("\(name)_index_values") : ""
            if !indexValues.isEmpty {
                node("Cast", "\(name)/cast", [indices], [indexValues], [.int("to", Int(Onnx_TensorProto.DataType.float.rawValue))])
            }
            if !flat {
                node("Identity", name, [p.outMaxVal ? values : indexValues], [write(top, by: name)])
            } else if p.outMaxVal {
                let shape = int64Initializer("\(name)_row_shape", [inShape[0], 1, p.topK])
                let i3 = temporary("\(name)_index_rows"), v3 = temporary("\(name)_value_rows")
                node("Reshape", "\(name)/index_rows", [indexValues, shape], [i3])
                node("Reshape", "\(name)/value_rows", [values, shape], [v3])
                node("Concat", name, [i3, v3], [write(top, by: name)], [.int("axis", 1)])
            } else {
                node("Reshape", name, [indexValues, int64Initializer("\(name)_shape", outShape)], [write(top, by: name)])
            }
            value(top, shape: outShape)

        case .slice(let p):
            let axis = try canonical(p.axis, rank: inShape.count, spec)
            let sizes = tops.map { $0.shape[axis] }
            let outputs = spec.tops.map { write($0, by: name) }
            node("Split", name, [x, int64Initializer("\(name)_split", sizes)], outputs, [.int("axis", axis)])
            for (blob, tensor) in zip(spec.tops, tops) { value(blob, shape: tensor.shape) }

        case .crop(let p):
            let start = try canonical(p.axis, rank: inShape.count, spec)
            let axes = Array(start..<inShape.count)
            let starts = axes.map { a in p.offset.isEmpty ? 0 : p.offset[p.offset.count == 1 ? 0 : a - start] }
            let ends = zip(starts, axes).map { $0 + outShape[$1] }
            node("Slice", name, [x, int64Initializer("\(name)_starts", starts), int64Initializer("\(name)_ends", ends),
                                 int64Initializer("\(name)_axes", axes)], [write(top, by: name)])
            value(top, shape: outShape)

        case .tile(let p):
            let axis = try canonical(p.axis, rank: inShape.count, spec)
            let repeats = inShape.indices.map { $0 == axis ? p.tiles : 1 }
            node("Tile", name, [x, int64Initializer("\(name)_repeats", repeats)], [write(top, by: name)])
            value(top, shape: outShape)

        case .reduction(let p):
            let start = p.axis < 0 ? p.axis + inShape.count : p.axis
            let axes = Array(start..<inShape.count)
            let reduced = p.coeff == 1 ? write(top, by: name) : temporary("\(name)_reduced")
            let reduceName = p.coeff == 1 ? name : "\(name)/reduce"
            switch p.operation {
            case .sum:
                node("ReduceSum", reduceName, [x, int64Initializer("\(name)_axes", axes)], [reduced], [.int("keepdims", 0)])
            case .absoluteSum:
                node("ReduceL1", reduceName, [x], [reduced], [.ints("axes", axes), .int("keepdims", 0)])
            case .sumOfSquares:
                node("ReduceSumSquare", reduceName, [x], [reduced], [.ints("axes", axes), .int("keepdims", 0)])
            case .mean:
                node("ReduceMean", reduceName, [x], [reduced], [.ints("axes", axes), .int("keepdims", 0)])
            }
            if p.coeff != 1 {
                node("Mul", name, [reduced, scalar("\(name)_coeff", p.coeff)], [write(top, by: name)])
            }
            value(top, shape: outShape)

        case .silence:
            break

        case .data, .softmaxWithLoss, .accuracy:
            throw ONNXExportError("\(spec.label) has no place in an ONNX inference graph; export the deploy net, which replaces the data layer with an Input and drops losses and accuracy")
        case .input, .dropout, .split:
            break
        }
    }

    /// Caffe's pooling with its output size written as explicit end padding, so no runtime's
    /// ceil-mode rule is involved. AVE divides by the window clipped to the padded input; ONNX
    /// (count_include_pad) divides by the whole kernel, so windows overhanging the padded input
    /// are rescaled by a constant map.
    private mutating func pooling(_ p: PoolingParams, _ spec: LayerSpec, x: String, inShape: [Int], outShape: [Int]) throws {
        let name = spec.name, top = spec.tops[0]
        guard inShape.count == 4, outShape.count == 4 else {
            throw ONNXExportError("\(spec.label) pools a \(shapeText(inShape)) blob; ONNX export handles 4-axis (NCHW) pooling only")
        }
        switch p.method {
        case .max, .average: break
        case .stochastic:
            throw ONNXExportError("\(spec.label) pools STOCHASTIC, which has no ONNX operator; export a net that pools with MAX or AVE")
        }
        if p.globalPooling {
            node(p.method == .max ? "GlobalMaxPool" : "GlobalAveragePool", name, [x], [write(top, by: name)])
            value(top, shape: outShape)
            return
        }
        let (height, width, pooledH, pooledW) = (inShape[2], inShape[3], outShape[2], outShape[3])
        let endH = max(0, (pooledH - 1) * p.strideH + p.kernelH - height - p.padH)
        let endW = max(0, (pooledW - 1) * p.strideW + p.kernelW - width - p.padW)
        // ONNX's (floor) output size with these pads must be Caffe's.
        guard (height + p.padH + endH - p.kernelH) / p.strideH + 1 == pooledH,
              (width + p.padW + endW - p.kernelW) / p.strideW + 1 == pooledW else {
            throw ONNXExportError("\(spec.label): cannot express Caffe's \(pooledH)x\(pooledW) output for a \(height)x\(width) input with ONNX padding")
        }
        let attributes: [Attribute] = [
            .ints("kernel_shape", [p.kernelH, p.kernelW]), .ints("strides", [p.strideH, p.strideW]),
            .ints("pads", [p.padH, p.padW, endH, endW]),
        ]
        if p.method == .max {
            node("MaxPool", name, [x], [write(top, by: name)], attributes)
            value(top, shape: outShape)
            return
        }
        // Caffe's divisor per output position: the window clipped to the symmetric padding.
        func clipped(_ i: Int, stride: Int, pad: Int, kernel: Int, size: Int) -> Int {
            let start = i * stride - pad
            return min(start + kernel, size + pad) - start
        }
        let kernelArea = Float(p.kernelH * p.kernelW)
        var scale = [Float](repeating: 1, count: pooledH * pooledW)
        for ph in 0..<pooledH {
            let h = clipped(ph, stride: p.strideH, pad: p.padH, kernel: p.kernelH, size: height)
            for pw in 0..<pooledW {
                let w = clipped(pw, stride: p.strideW, pad: p.padW, kernel: p.kernelW, size: width)
                scale[ph * pooledW + pw] = kernelArea / Float(h * w)
            }
        }
        let averaged = [Attribute.int("count_include_pad", 1)] + attributes
        if scale.allSatisfy({ $0 == 1 }) {
            node("AveragePool", name, [x], [write(top, by: name)], averaged)
        } else {
            let pooled = temporary("\(name)_unclipped")
            node("AveragePool", name, [x], [pooled], averaged)
            let map = scale.withUnsafeBufferPointer { floatInitializer("\(name)_divisor_scale", shape: [1, 1, pooledH, pooledW], $0) }
            node("Mul", "\(name)/clip_divisor", [pooled, map], [write(top, by: name)])
        }
        value(top, shape: outShape)
    }

    /// SUM (each input times its coefficient, then added in order), PROD and MAX.
    private mutating func eltwise(_ p: EltwiseParams, _ spec: LayerSpec, inputs: [String]) throws {
        let name = spec.name, top = spec.tops[0]
        switch p.operation {
        case .sum:
            guard p.coeff.isEmpty || p.coeff.count == inputs.count else {
                throw ONNXExportError("\(spec.label) has \(p.coeff.count) coefficients for \(inputs.count) inputs")
            }
            var terms: [String] = []
            for (i, input) in inputs.enumerated() {
                let c = p.coeff.isEmpty ? 1 : p.coeff[i]
                if c == 1 {
                    terms.append(input)
                } else {
                    let coefficient = [c].withUnsafeBufferPointer { floatInitializer("\(name)_coeff\(i)", shape: [], $0) }
                    let scaled = temporary("\(name)_term\(i)")
                    node("Mul", "\(name)/coeff\(i)", [input, coefficient], [scaled])
                    terms.append(scaled)
                }
            }
            node("Sum", name, terms, [write(top, by: name)])
        case .product:
            guard inputs.count > 1 else {
                node("Identity", name, inputs, [write(top, by: name)])
                return
            }
            var product = inputs[0]
            for i in 1..<inputs.count {
                let output = i == inputs.count - 1 ? write(top, by: name) : temporary("\(name)_product\(i)")
                node("Mul", i == inputs.count - 1 ? name : "\(name)/product\(i)", [product, inputs[i]], [output])
                product = output
            }
        case .max:
            node("Max", name, inputs, [write(top, by: name)])
        }
    }

    /// Gives every graph output its blob's own name.
    mutating func finish() throws {
        for output in outputs {
            guard let value = current[output.name] else {
                throw ONNXExportError("output blob '\(output.name)' has no value in the ONNX graph")
            }
            if value != output.name {
                guard !taken.contains(output.name) else {
                    throw ONNXExportError("output blob '\(output.name)' was overwritten by a layer that passes another blob through; give that layer's output its own name")
                }
                taken.insert(output.name)
                node("Identity", unique("\(output.name)/output", in: &nodeNames), [value], [output.name])
            }
            proto.output.append(Self.valueInfo(output.name, shape: output.tensor.shape))
            proto.valueInfo.removeAll { $0.name == output.name }
        }
    }

    // MARK: Values and names

    /// The value a layer writes for `blob`: the blob's own name on its last write.
    private mutating func write(_ blob: String, by layer: String) -> String {
        let left = (writesLeft[blob] ?? 1) - 1
        writesLeft[blob] = left
        let value: String
        if left <= 0 && !taken.contains(blob) {
            value = blob
            taken.insert(blob)
        } else {
            value = temporary("\(blob)_\(layer)")
        }
        current[blob] = value
        return value
    }

    /// A layer that passes `input` through as `blob`; only a graph output needs a node for it.
    private mutating func passThrough(_ blob: String, from input: String, layer: String) {
        let isLast = (writesLeft[blob] ?? 1) <= 1
        if isLast && outputs.contains(where: { $0.name == blob }) {
            let value = write(blob, by: layer)
            node("Identity", layer, [input], [value])
        } else {
            writesLeft[blob, default: 1] -= 1
            current[blob] = input
        }
    }

    /// A fresh value name from `base`, clear of every blob name.
    private mutating func temporary(_ base: String) -> String {
        var name = base, n = 1
        while reserved.contains(name) || taken.contains(name) {
            n += 1
            name = "\(base)_\(n)"
        }
        taken.insert(name)
        return name
    }

    private func unique(_ base: String, in names: inout Set<String>) -> String {
        var name = base, n = 1
        while names.contains(name) {
            n += 1
            name = "\(base)_\(n)"
        }
        names.insert(name)
        return name
    }

    /// Records the shape of a blob's value for readers of the model (and for the runtime's
    /// shape inference to check).
    private mutating func value(_ blob: String, shape: [Int]) {
        guard let name = current[blob] else { return }
        proto.valueInfo.append(Self.valueInfo(name, shape: shape))
    }

    private static func valueInfo(_ name: String, shape: [Int]) -> Onnx_ValueInfoProto {
        var info = Onnx_ValueInfoProto()
        info.name = name
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        tensor.shape.dim = shape.map { size in
            var dim = Onnx_TensorShapeProto.Dimension()
            dim.dimValue = Int64(size)
            return dim
        }
        info.type.tensorType = tensor
        return info
    }

    // MARK: Nodes and initializers

    private mutating func node(_ op: String, _ name: String, _ inputs: [String], _ outputs: [String],
                               _ attributes: [Attribute] = []) {
        var node = Onnx_NodeProto()
        node.opType = op
        node.name = unique(name, in: &nodeNames)
        node.input = inputs
        node.output = outputs
        node.attribute = attributes.map(\.proto)
        proto.node.append(node)
    }

    /// Learned blob `index` of `layer` as an initializer named `layer.role`.
    private mutating func parameter(_ layer: Layer, _ index: Int, _ role: String) throws -> String {
        guard index < layer.parameters.count else {
            throw ONNXExportError("\(layer.spec.label) has \(layer.parameters.count) learned blobs; blob \(index) (\(role)) is missing")
        }
        let tensor = layer.parameters[index]
        return floatInitializer("\(layer.spec.name).\(role)", shape: tensor.shape,
                                UnsafeBufferPointer(start: tensor.data, count: tensor.count))
    }

    private mutating func floatInitializer(_ base: String, shape: [Int], _ values: UnsafeBufferPointer<Float>) -> String {
        var tensor = Onnx_TensorProto()
        tensor.name = temporary(base)
        tensor.dims = shape.map(Int64.init)
        tensor.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        // raw_data is little-endian whatever the host.
        var bytes = Foundation.Data(count: values.count * 4)
        bytes.withUnsafeMutableBytes { raw in
            for (i, v) in values.enumerated() {
                raw.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self)
            }
        }
        tensor.rawData = bytes
        proto.initializer.append(tensor)
        return tensor.name
    }

    /// A float scalar constant.
    private mutating func scalar(_ base: String, _ value: Float) -> String {
        [value].withUnsafeBufferPointer { floatInitializer(base, shape: [], $0) }
    }

    /// scale x + shift, leaving out the steps that change nothing.
    private mutating func affine(_ x: String, scale: Float, shift: Float, _ name: String) -> String {
        var value = x
        if scale != 1 {
            let scaled = temporary("\(name)_scaled")
            node("Mul", "\(name)/scale", [value, self.scalar("\(name)_scale", scale)], [scaled])
            value = scaled
        }
        if shift != 0 {
            let shifted = temporary("\(name)_shifted")
            node("Add", "\(name)/shift", [value, self.scalar("\(name)_shift", shift)], [shifted])
            value = shifted
        }
        return value
    }

    /// `value` (of `shape`, covering the input's axes from `axis`) reshaped to broadcast over
    /// a `rank`-axis input, as Caffe's Scale and Bias apply it.
    private mutating func broadcastable(_ value: String, shape: [Int], axis: Int, rank: Int, _ name: String,
                                        _ role: String) -> String {
        let target = shape + Array(repeating: 1, count: max(rank - axis - shape.count, 0))
        guard target != shape else { return value }
        let reshaped = temporary("\(name)_\(role)_broadcast")
        node("Reshape", "\(name)/\(role)_broadcast", [value, int64Initializer("\(name)_\(role)_shape", target)], [reshaped])
        return reshaped
    }

    /// A 1-D int64 constant (a target shape for Reshape).
    private mutating func int64Initializer(_ base: String, _ values: [Int]) -> String {
        var tensor = Onnx_TensorProto()
        tensor.name = temporary(base)
        tensor.dims = [Int64(values.count)]
        tensor.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        tensor.int64Data = values.map(Int64.init)
        proto.initializer.append(tensor)
        return tensor.name
    }

    private func canonical(_ axis: Int, rank: Int, _ spec: LayerSpec) throws -> Int {
        guard axis >= -rank && axis < rank else {
            throw ONNXExportError("\(spec.label): axis \(axis) is outside its \(rank)-axis input")
        }
        return axis < 0 ? axis + rank : axis
    }

    /// A node attribute.
    enum Attribute {
        case int(String, Int)
        case ints(String, [Int])
        case float(String, Float)

        var proto: Onnx_AttributeProto {
            var a = Onnx_AttributeProto()
            switch self {
            case .int(let name, let v):
                a.name = name
                a.type = .int
                a.i = Int64(v)
            case .ints(let name, let v):
                a.name = name
                a.type = .ints
                a.ints = v.map(Int64.init)
            case .float(let name, let v):
                a.name = name
                a.type = .float
                a.f = v
            }
            return a
        }
    }
}
