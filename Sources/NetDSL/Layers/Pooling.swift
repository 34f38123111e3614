public enum PoolMethod: String, Codable, Sendable {
    case max = "MAX"
    case average = "AVE"
    /// Zeiler and Fergus's stochastic pooling: in TRAIN each window gives one of its values,
    /// drawn with probability proportional to the value; in TEST the values weighted by those
    /// probabilities (sum of squares over sum). Meant for non-negative inputs (after a ReLU).
    case stochastic = "STOCHASTIC"

    /// The DSL spelling: `.max`, `.average`, `.stochastic`.
    var swiftName: String {
        switch self {
        case .max: ".max"
        case .average: ".average"
        case .stochastic: ".stochastic"
        }
    }
}

/// How a pooled size that does not divide evenly is rounded (Caffe's RoundMode).
public enum PoolRounding: String, Codable, Sendable {
    /// Caffe's default: a last, partial window is kept.
    case ceil = "CEIL"
    /// Only whole windows, as most other frameworks pool.
    case floor = "FLOOR"
}

public struct PoolingParams: Codable, Equatable, Sendable {
    public var method: PoolMethod
    public var kernelH: Int
    public var kernelW: Int
    public var strideH = 1
    public var strideW = 1
    public var padH = 0
    public var padW = 0
    /// Pool over the whole spatial extent (kernel = input size).
    public var globalPooling = false
    public var rounding: PoolRounding = .ceil
    public init(method: PoolMethod, kernelH: Int, kernelW: Int) {
        self.method = method
        self.kernelH = kernelH
        self.kernelW = kernelW
    }

    private enum CodingKeys: String, CodingKey {
        case method, kernelH, kernelW, strideH, strideW, padH, padW, globalPooling, rounding
    }

    /// Run records written before rounding was a setting have none: Caffe's CEIL.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        method = try c.decode(PoolMethod.self, forKey: .method)
        kernelH = try c.decode(Int.self, forKey: .kernelH)
        kernelW = try c.decode(Int.self, forKey: .kernelW)
        strideH = try c.decode(Int.self, forKey: .strideH)
        strideW = try c.decode(Int.self, forKey: .strideW)
        padH = try c.decode(Int.self, forKey: .padH)
        padW = try c.decode(Int.self, forKey: .padW)
        globalPooling = try c.decode(Bool.self, forKey: .globalPooling)
        rounding = try c.decodeIfPresent(PoolRounding.self, forKey: .rounding) ?? .ceil
    }
}

/// Max or average pooling, with Caffe's ceil rounding of the output size unless `.rounding(.floor)`.
public struct Pooling: NetLayer {
    public var base: LayerSpec
    public var params: PoolingParams
    public var kind: LayerKind { .pooling(params) }

    /// An unnamed pooling layer (named `pool1`, `pool2`, ... by the net).
    public init(_ method: PoolMethod, kernel: Int, stride: Int = 1, pad: Int = 0,
                fileID: String = #fileID, line: Int = #line) {
        self.init("", method, kernel: kernel, stride: stride, pad: pad, fileID: fileID, line: line)
    }

    public init(_ name: String, _ method: PoolMethod, kernel: Int, stride: Int = 1, pad: Int = 0,
                fileID: String = #fileID, line: Int = #line) {
        self.init(name, method, kernel: (kernel, kernel), stride: (stride, stride), pad: (pad, pad),
                  fileID: fileID, line: line)
    }

    public init(_ name: String, _ method: PoolMethod, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
                pad: (Int, Int) = (0, 0), fileID: String = #fileID, line: Int = #line) {
        var p = PoolingParams(method: method, kernelH: kernel.0, kernelW: kernel.1)
        (p.strideH, p.strideW) = stride
        (p.padH, p.padW) = pad
        params = p
        base = baseSpec(name, .pooling(p), fileID, line)
    }

    /// Pooling over the whole spatial extent.
    public static func global(_ name: String = "", _ method: PoolMethod,
                              fileID: String = #fileID, line: Int = #line) -> Pooling {
        var layer = Pooling(name, method, kernel: 1, stride: 1, pad: 0, fileID: fileID, line: line)
        layer.params.globalPooling = true
        return layer
    }

    /// Pools over the whole spatial extent whatever the kernel (Caffe's `global_pooling`).
    public func globalPooling(_ on: Bool = true) -> Self { with { $0.params.globalPooling = on } }

    /// Rounds the pooled size down, keeping only whole windows (Caffe's `round_mode: FLOOR`).
    public func rounding(_ mode: PoolRounding) -> Self { with { $0.params.rounding = mode } }
}

extension PoolingParams: LayerKindDeclaration {
    public static let typeName = "Pooling"
    public static let settingsKey = "pooling_param"
    public static let nameStem = "pool"
    public static let traits = LayerTraits.plain
    public var kind: LayerKind { .pooling(self) }
    public func parameterBlobs(inputs: Int) -> [ParameterBlob] { [] }

    public static func read(caffe layer: CaffeFields) -> PoolingParams? {
        guard let pf = layer.message("pooling_param") else {
            layer.problem(nil, "has no pooling_param; add pooling_param { pool: MAX kernel_size: ... stride: ... }")
            return nil
        }
        let method: PoolMethod
        switch pf.identifier("pool") ?? "MAX" {
        case "MAX": method = .max
        case "AVE": method = .average
        case "STOCHASTIC": method = .stochastic
        default:
            pf.unsupported("pool", "Caffe's pooling methods are MAX, AVE and STOCHASTIC")
            return nil
        }
        let global = pf.bool("global_pooling") ?? false
        let rounding = pf.choice("round_mode", ["CEIL": PoolRounding.ceil, "FLOOR": .floor]) ?? .ceil
        pf.ignoresEngine()
        let kernelField = ["kernel_size", "kernel_h", "kernel_w"].first(where: pf.has)
        let m = "pooling_param"
        let kernel: (Int, Int)?
        if global {
            if let kernelField {
                pf.use(kernelField)
                pf.problem(kernelField, "gives a kernel size with global_pooling: true; Caffe rejects that, so remove the kernel size")
            }
            kernel = (1, 1)
        } else {
            kernel = CaffeSpatial.pair(pf, message: m, "kernel_size", repeated: false, default: nil)
        }
        let stride = CaffeSpatial.pair(pf, message: m, "stride", repeated: false, default: 1)
        let pad = CaffeSpatial.pair(pf, message: m, "pad", repeated: false, default: 0)
        guard let kernel, let stride, let pad else { return nil }
        if global && (stride != (1, 1) || pad != (0, 0)) {
            pf.problem(["stride", "pad", "stride_h", "pad_h"].first(where: pf.has),
                       "global_pooling: true takes only stride 1 and pad 0 in Caffe; remove them")
            return nil
        }
        guard kernel.0 > 0 && kernel.1 > 0 else {
            pf.problem(kernelField, "kernel sizes must be positive")
            return nil
        }
        if method == .stochastic && pad != (0, 0) {
            pf.problem(["pad", "pad_h", "pad_w"].first(where: pf.has),
                       "Caffe pads only MAX and AVE pooling; remove the padding or pool with MAX or AVE")
            return nil
        }
        var p = PoolingParams(method: method, kernelH: kernel.0, kernelW: kernel.1)
        (p.strideH, p.strideW) = stride
        (p.padH, p.padW) = pad
        p.globalPooling = global
        p.rounding = rounding
        return p
    }

    public func write(caffe w: inout CaffeMessageWriter) {
        w.message("pooling_param") { c in
            c.identifier("pool", method.rawValue)
            if globalPooling {
                c.bool("global_pooling", true)
            } else {
                CaffeSpatial.write(&c, "kernel_size", (kernelH, kernelW), unless: nil)
            }
            CaffeSpatial.write(&c, "stride", (strideH, strideW), unless: 1)
            CaffeSpatial.write(&c, "pad", (padH, padW), unless: 0)
            if rounding != .ceil { c.identifier("round_mode", rounding.rawValue) }
        }
    }

    public func source(_ layer: LayerSpec, name: [String]) -> LayerSource {
        let i: (Int) -> String = { SwiftLiteral.int($0) }
        let methodText = method.swiftName
        let named = name.isEmpty ? ["\"\""] : name
        let roundingModifier = rounding == .floor ? [".rounding(.floor)"] : []
        if globalPooling && (kernelH, kernelW, strideH, strideW, padH, padW) == (1, 1, 1, 1, 0, 0) {
            return LayerSource(head: "Pooling.global", arguments: named + [methodText], modifiers: roundingModifier)
        }
        var args = named + [methodText]
        if kernelH == kernelW && strideH == strideW && padH == padW {
            args.append("kernel: \(i(kernelH))")
            if strideH != 1 { args.append("stride: \(i(strideH))") }
            if padH != 0 { args.append("pad: \(i(padH))") }
        } else {
            args.append("kernel: (\(i(kernelH)), \(i(kernelW)))")
            if (strideH, strideW) != (1, 1) { args.append("stride: (\(i(strideH)), \(i(strideW)))") }
            if (padH, padW) != (0, 0) { args.append("pad: (\(i(padH)), \(i(padW)))") }
        }
        var code = LayerSource(head: "Pooling", arguments: args)
        if globalPooling { code.modifiers.append(".globalPooling()") }
        code.modifiers += roundingModifier
        return code
    }
}
