// Plain records of each layer kind's settings, with Caffe's meanings and defaults.
// Property names map to Caffe's field names through snake_case (numOutput <-> num_output).

/// Caffe's TransformationParameter: applied to Data records, in Caffe's order
/// (crop, mirror, subtract mean, scale).
public struct TransformParams: Codable, Equatable, Sendable {
    public var scale: Float = 1
    public var mirror: Bool = false
    public var cropSize: Int = 0
    public var meanFile: String? = nil
    public var meanValue: [Float] = []
    public init() {}
}

/// Caffe's Data layer: Datum records from an LMDB, `batch_size` at a time.
public struct DataParams: Codable, Equatable, Sendable {
    public var source: String
    public var batchSize: Int
    public var transform = TransformParams()
    public init(source: String, batchSize: Int) {
        self.source = source
        self.batchSize = batchSize
    }
}

/// Caffe's Input layer: blobs of fixed shape that the caller fills (deploy nets, timing).
public struct InputParams: Codable, Equatable, Sendable {
    public var shapes: [[Int]]
    public init(shapes: [[Int]]) { self.shapes = shapes }
}

public struct ConvolutionParams: Codable, Equatable, Sendable {
    public var numOutput: Int
    public var kernelH: Int
    public var kernelW: Int
    public var strideH = 1
    public var strideW = 1
    public var padH = 0
    public var padW = 0
    public var group = 1
    public var biasTerm = true
    public var weightFiller: Filler = .constant(0)
    public var biasFiller: Filler = .constant(0)
    public init(numOutput: Int, kernelH: Int, kernelW: Int) {
        self.numOutput = numOutput
        self.kernelH = kernelH
        self.kernelW = kernelW
    }
}

public struct InnerProductParams: Codable, Equatable, Sendable {
    public var numOutput: Int
    public var biasTerm = true
    public var weightFiller: Filler = .constant(0)
    public var biasFiller: Filler = .constant(0)
    /// The first axis folded into the inner product; earlier axes are the batch.
    public var axis = 1
    public init(numOutput: Int) { self.numOutput = numOutput }
}

public struct ReLUParams: Codable, Equatable, Sendable {
    public var negativeSlope: Float = 0
    public init(negativeSlope: Float = 0) { self.negativeSlope = negativeSlope }
}

public enum PoolMethod: String, Codable, Sendable {
    case max = "MAX"
    case average = "AVE"
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
    public init(method: PoolMethod, kernelH: Int, kernelW: Int) {
        self.method = method
        self.kernelH = kernelH
        self.kernelW = kernelW
    }
}

/// Local response normalisation across channels (Caffe's ACROSS_CHANNELS).
public struct LRNParams: Codable, Equatable, Sendable {
    public var localSize = 5
    public var alpha: Float = 1
    public var beta: Float = 0.75
    public var k: Float = 1
    public init() {}
}

public struct DropoutParams: Codable, Equatable, Sendable {
    public var ratio: Float = 0.5
    public init(ratio: Float = 0.5) { self.ratio = ratio }
}

public struct SoftmaxParams: Codable, Equatable, Sendable {
    public var axis = 1
    public init(axis: Int = 1) { self.axis = axis }
}

/// How a loss is divided, as Caffe's LossParameter.NormalizationMode.
public enum LossNormalization: String, Codable, Sendable {
    case full = "FULL", valid = "VALID", batchSize = "BATCH_SIZE", none = "NONE"
}

public struct SoftmaxWithLossParams: Codable, Equatable, Sendable {
    public var axis = 1
    public var ignoreLabel: Int? = nil
    public var normalization: LossNormalization = .valid
    public init() {}
}

public struct AccuracyParams: Codable, Equatable, Sendable {
    public var topK = 1
    public var axis = 1
    public var ignoreLabel: Int? = nil
    public init(topK: Int = 1) { self.topK = topK }
}

public struct ConcatParams: Codable, Equatable, Sendable {
    public var axis = 1
    public init(axis: Int = 1) { self.axis = axis }
}

public enum EltwiseOperation: String, Codable, Sendable {
    case product = "PROD", sum = "SUM", max = "MAX"
}

public struct EltwiseParams: Codable, Equatable, Sendable {
    public var operation: EltwiseOperation = .sum
    /// Per-input coefficients for `.sum` (empty means all 1).
    public var coeff: [Float] = []
    public init(operation: EltwiseOperation = .sum, coeff: [Float] = []) {
        self.operation = operation
        self.coeff = coeff
    }
}

public struct FlattenParams: Codable, Equatable, Sendable {
    public var axis = 1
    public var endAxis = -1
    public init(axis: Int = 1, endAxis: Int = -1) {
        self.axis = axis
        self.endAxis = endAxis
    }
}
