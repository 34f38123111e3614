/// How a parameter blob is initialised, with Caffe's filler semantics.
public enum Filler: Equatable, Sendable {
    /// Every value set to `value`.
    case constant(Float)
    /// Normal with the given mean and standard deviation.
    case gaussian(mean: Float = 0, std: Float)
    /// Uniform on `[min, max]`.
    case uniform(min: Float, max: Float)
    /// Caffe's "xavier": uniform on ±sqrt(3 / n), n from `norm` (fan in by default).
    case xavier(VarianceNorm = .fanIn)
    /// Caffe's "msra" (He et al.): normal with std sqrt(2 / n).
    case msra(VarianceNorm = .fanIn)
    /// Caffe's gaussian with `sparse`: each value kept with probability nonZero / outputs
    /// (the blob's first axis), zero otherwise.
    case sparseGaussian(mean: Float = 0, std: Float, nonZero: Int)
    /// Caffe's "bilinear": the weights of bilinear upsampling, for a Deconvolution whose stride
    /// is the factor and whose kernel is 2 x factor - factor % 2 (FCN's upsampling).
    case bilinear
    /// Caffe's "positive_unitball": uniform on [0, 1), each output's values then summing to 1.
    case positiveUnitball

    /// Which fan Caffe's xavier and msra fillers divide by.
    public enum VarianceNorm: String, Codable, Sendable {
        case fanIn = "FAN_IN", fanOut = "FAN_OUT", average = "AVERAGE"
    }

    public static let xavier: Filler = .xavier(.fanIn)
    public static let msra: Filler = .msra(.fanIn)
    public static let zero: Filler = .constant(0)

    /// Caffe's `type` field for this filler.
    public var typeName: String {
        switch self {
        case .constant: "constant"
        case .gaussian: "gaussian"
        case .uniform: "uniform"
        case .xavier: "xavier"
        case .msra: "msra"
        case .sparseGaussian: "gaussian"
        case .bilinear: "bilinear"
        case .positiveUnitball: "positive_unitball"
        }
    }
}

extension Filler: Codable {
    private enum CodingKeys: String, CodingKey { case type, value, mean, std, min, max, varianceNorm, sparse }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(typeName, forKey: .type)
        switch self {
        case .constant(let v): try c.encode(v, forKey: .value)
        case .gaussian(let m, let s): try c.encode(m, forKey: .mean); try c.encode(s, forKey: .std)
        case .uniform(let lo, let hi): try c.encode(lo, forKey: .min); try c.encode(hi, forKey: .max)
        case .xavier(let n), .msra(let n): try c.encode(n, forKey: .varianceNorm)
        case .sparseGaussian(let m, let s, let n):
            try c.encode(m, forKey: .mean); try c.encode(s, forKey: .std); try c.encode(n, forKey: .sparse)
        case .bilinear, .positiveUnitball: break
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "constant": self = .constant(try c.decodeIfPresent(Float.self, forKey: .value) ?? 0)
        case "gaussian":
            let mean = try c.decodeIfPresent(Float.self, forKey: .mean) ?? 0
            let std = try c.decodeIfPresent(Float.self, forKey: .std) ?? 1
            if let sparse = try c.decodeIfPresent(Int.self, forKey: .sparse) {
                self = .sparseGaussian(mean: mean, std: std, nonZero: sparse)
            } else {
                self = .gaussian(mean: mean, std: std)
            }
        case "uniform":
            self = .uniform(min: try c.decodeIfPresent(Float.self, forKey: .min) ?? 0,
                            max: try c.decodeIfPresent(Float.self, forKey: .max) ?? 1)
        case "xavier": self = .xavier(try c.decodeIfPresent(VarianceNorm.self, forKey: .varianceNorm) ?? .fanIn)
        case "msra": self = .msra(try c.decodeIfPresent(VarianceNorm.self, forKey: .varianceNorm) ?? .fanIn)
        case "bilinear": self = .bilinear
        case "positive_unitball": self = .positiveUnitball
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: c,
                debugDescription: "unknown filler type '\(type)'; expected constant, gaussian, uniform, xavier, msra, bilinear or positive_unitball")
        }
    }
}
