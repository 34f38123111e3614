// Caffe's rules for the settings several kinds share: 2-D sizes given once for both axes, once
// per axis, or as an `_h`/`_w` pair, and the FillerParameter.

enum CaffeSpatial {
    /// (height, width) from `name` (once for both, or once per axis) or `<stem>_h` with
    /// `<stem>_w` ("kernel_size" has the stem "kernel"); `fallback` when none is given.
    static func pair(_ f: CaffeFields, message: String, _ name: String, repeated: Bool,
                     default fallback: Int?) -> (Int, Int)? {
        let stem = name.hasSuffix("_size") ? String(name.dropLast(5)) : name
        let values = repeated ? f.counts(name) : (f.count(name).map { [$0] } ?? [])
        let h = f.count("\(stem)_h"), w = f.count("\(stem)_w")
        if f.has("\(stem)_h") || f.has("\(stem)_w") {
            guard values.isEmpty else {
                f.problem(name, index: 0, "gives both \(name) and \(stem)_h/\(stem)_w; Caffe takes one or the other, so keep one")
                return nil
            }
            guard let h, let w else {
                f.problem(f.has("\(stem)_h") ? "\(stem)_h" : "\(stem)_w",
                          "gives only one of \(stem)_h and \(stem)_w; give both")
                return nil
            }
            return (h, w)
        }
        switch values.count {
        case 0:
            guard let fallback else {
                f.problem(nil, "\(message) has no \(name); add \(name): ... (or \(stem)_h and \(stem)_w)")
                return nil
            }
            return (fallback, fallback)
        case 1: return (values[0], values[0])
        case 2: return (values[0], values[1])
        default:
            f.problem(name, index: 2, "gives \(name) \(values.count) times; Crema's 2-D layers take one value, or one for height and one for width")
            return nil
        }
    }

    /// Writes a pair as one value when both axes agree, else as `<stem>_h` and `<stem>_w`;
    /// nothing when both equal `fallback`.
    static func write(_ w: inout CaffeMessageWriter, _ name: String, _ value: (Int, Int), unless fallback: Int?) {
        let stem = name.hasSuffix("_size") ? String(name.dropLast(5)) : name
        if value.0 == value.1 {
            if value.0 != fallback { w.int(name, value.0) }
        } else {
            w.int("\(stem)_h", value.0)
            w.int("\(stem)_w", value.1)
        }
    }
}

extension Filler {
    /// Caffe's FillerParameter (absent: constant 0), with Caffe's defaults for unset fields.
    static func read(caffe f: CaffeFields?) -> Filler? {
        guard let f else { return .constant(0) }
        let type = f.string("type") ?? "constant"
        let norm = f.choice("variance_norm", ["FAN_IN": VarianceNorm.fanIn, "FAN_OUT": .fanOut, "AVERAGE": .average]) ?? .fanIn
        let value = f.float("value") ?? 0, min = f.float("min") ?? 0, max = f.float("max") ?? 1
        let mean = f.float("mean") ?? 0, std = f.float("std") ?? 1, sparse = f.int("sparse") ?? -1
        let filler: Filler
        let reads: [String]
        switch type {
        case "constant": (filler, reads) = (.constant(value), ["value"])
        case "gaussian":
            let dense = !f.has("sparse") || sparse < 0
            (filler, reads) = (dense ? .gaussian(mean: mean, std: std) : .sparseGaussian(mean: mean, std: std, nonZero: sparse),
                               ["mean", "std", "sparse"])
        case "uniform": (filler, reads) = (.uniform(min: min, max: max), ["min", "max"])
        case "xavier": (filler, reads) = (.xavier(norm), ["variance_norm"])
        case "msra": (filler, reads) = (.msra(norm), ["variance_norm"])
        case "bilinear": (filler, reads) = (.bilinear, [])
        case "positive_unitball": (filler, reads) = (.positiveUnitball, [])
        default:
            f.unsupported("type", "Crema's fillers are constant, gaussian, uniform, xavier, msra, bilinear and positive_unitball")
            return nil
        }
        for name in ["value", "min", "max", "mean", "std", "sparse", "variance_norm"] where !reads.contains(name) {
            if f.has(name) { f.note(name, "ignored: Caffe's \(type) filler does not read it either") }
        }
        return filler
    }

    /// The filler as Caffe's FillerParameter fields.
    func write(caffe w: inout CaffeMessageWriter) {
        w.string("type", typeName)
        switch self {
        case .constant(let v): w.float("value", v, unless: 0)
        case .gaussian(let m, let s): w.float("mean", m, unless: 0); w.float("std", s, unless: 1)
        case .uniform(let lo, let hi): w.float("min", lo, unless: 0); w.float("max", hi, unless: 1)
        case .xavier(let n), .msra(let n):
            if n != .fanIn { w.identifier("variance_norm", n.rawValue) }
        case .sparseGaussian(let m, let s, let n):
            w.float("mean", m, unless: 0); w.float("std", s, unless: 1); w.int("sparse", n)
        case .bilinear, .positiveUnitball: break
        }
    }
}
