import Foundation
import NetDSL
import Runtime

/// What an exported net's Input expects, in words: the recipe's TEST transform with its values.
/// Caffe users otherwise feed raw pixels to a net trained on mean-subtracted, scaled ones.
enum DeployInputNote {
    /// The note's lines (no comment marks). `mean` is the mean image when the transform names
    /// one and it can be read.
    static func lines(data: DataParams, input: String = "data", shape: [Int], mean: MeanImage?) -> [String] {
        let t = data.transform
        let dims = shape.map(String.init).joined(separator: "x")
        var out = ["Input \"\(input)\" (\(dims)) takes images preprocessed as the recipe's TEST data, not raw pixels:"]
        let channels = shape.count > 1 ? shape[1] : 1
        let order = channels == 3 ? " in Caffe's channel order (B, G, R)" : ""
        let meanText: String
        if let meanFile = t.meanFile {
            if let mean {
                let plane = max(1, mean.height * mean.width)
                let averages = (0..<mean.channels).map { c -> String in
                    let sum = mean.values[(c * plane)..<min(mean.values.count, (c + 1) * plane)].reduce(0, +)
                    return String(format: "%.1f", sum / Float(plane))
                }
                meanText = "mean = the mean image \(meanFile) (\(mean.channels)x\(mean.height)x\(mean.width), channel averages \(averages.joined(separator: ", "))), cropped as the image is"
            } else {
                meanText = "mean = the mean image \(meanFile) (not found here)"
            }
        } else if !t.meanValue.isEmpty {
            meanText = "mean = " + t.meanValue.map { String(format: "%g", $0) }.joined(separator: ", ") + (t.meanValue.count > 1 ? " (one per channel)" : "")
        } else {
            meanText = "mean = 0 (the recipe subtracts none)"
        }
        out.append("  value = (pixel - mean) * scale, pixels 0-255\(order)")
        out.append("  \(meanText)")
        out.append("  scale = \(String(format: "%g", t.scale))" + (t.scale != 1 && abs(1 / t.scale - (1 / t.scale).rounded()) < 1e-3 ? String(format: " (1/%g)", (1 / t.scale).rounded()) : ""))
        if t.cropSize > 0 {
            out.append("  the centre \(t.cropSize)x\(t.cropSize) crop of the resized image" + (mean.map { " (\($0.width)x\($0.height))" } ?? ""))
        }
        return out
    }
}
