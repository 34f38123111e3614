import Foundation
import NetDSL

/// Caffe's DataTransformer for Datum records, in Caffe's order: choose the mirror coin, then
/// the crop offset (random in TRAIN, centred in TEST), then write
/// `(pixel - mean) * scale` for each kept pixel, flipped left-right when mirrored. The mean is
/// the mean image at the pixel's full-size position, or one value per channel, or none.
public struct DataTransformer: Sendable {
    public let params: TransformParams
    public let phase: Phase
    /// The full-size mean image, from `params.meanFile` or given directly.
    public let mean: MeanImage?

    /// Loads the mean file named in `params` unless `mean` is given.
    public init(params: TransformParams, phase: Phase, mean: MeanImage? = nil) throws {
        guard params.meanFile == nil || params.meanValue.isEmpty, mean == nil || params.meanValue.isEmpty else {
            throw DataError.transform(problem: "a mean file and mean values are both given; use one or the other")
        }
        guard params.cropSize >= 0 else {
            throw DataError.transform(problem: "crop size \(params.cropSize) is negative; use 0 for no crop")
        }
        self.params = params
        self.phase = phase
        if let mean {
            self.mean = mean
        } else if let file = params.meanFile {
            self.mean = try MeanFile.read(URL(fileURLWithPath: file))
        } else {
            self.mean = nil
        }
        if let m = self.mean, m.values.count != m.channels * m.height * m.width {
            throw DataError.transform(problem: "the mean image has \(m.values.count) values for shape \(shapeText(m.shape))")
        }
    }

    /// The output `[C, H', W']` for records of shape `[C, H, W]`, after checking that the crop
    /// and the mean fit them.
    public func outputShape(for record: [Int]) throws -> [Int] {
        guard record.count == 3, record.allSatisfy({ $0 > 0 }) else {
            throw DataError.transform(problem: "record shape \(shapeText(record)) is not a valid CxHxW image")
        }
        let (c, h, w) = (record[0], record[1], record[2])
        let crop = params.cropSize
        if crop > 0 && (crop > h || crop > w) {
            throw DataError.transform(problem: "crop size \(crop) is larger than the \(h)x\(w) records; use a crop of at most \(min(h, w))")
        }
        if let mean, mean.shape != record {
            let source = params.meanFile.map { " (\($0))" } ?? ""
            throw DataError.transform(problem: "the mean image\(source) is \(shapeText(mean.shape)) but the records are \(shapeText(record)); the mean must have the records' full size")
        }
        let k = params.meanValue.count
        if k > 1 && k != c {
            throw DataError.transform(problem: "\(k) mean values for \(c)-channel records; give one value, or one per channel")
        }
        return crop > 0 ? [c, crop, crop] : record
    }

    /// Writes the transformed record to `out` (`outputShape` values), drawing the mirror coin and
    /// the TRAIN crop offsets from `random`.
    public func transform(_ datum: Caffe_Datum, into out: UnsafeMutablePointer<Float>,
                          random: inout RandomGenerator) throws {
        if datum.encoded {
            // JPEG/PNG bytes: decode to raw CHW pixels (blue, green, red; grey stays grey) first.
            try transform(try datum.decoded(), into: out, random: &random)
            return
        }
        try datum.checkPixels()
        let shape = datum.shape
        let outShape = try outputShape(for: shape)
        let (channels, height, width) = (shape[0], shape[1], shape[2])
        let (outH, outW) = (outShape[1], outShape[2])

        let mirror = params.mirror && random.below(2) == 1
        var hOff = 0, wOff = 0
        if params.cropSize > 0 {
            if phase == .train {
                hOff = random.below(height - params.cropSize + 1)
                wOff = random.below(width - params.cropSize + 1)
            } else {
                hOff = (height - params.cropSize) / 2
                wOff = (width - params.cropSize) / 2
            }
        }

        let scale = params.scale
        let values = params.meanValue
        let channelMean: [Float] = values.isEmpty ? [] : (values.count == 1 ? Array(repeating: values[0], count: channels) : values)

        func run(_ pixel: (Int) -> Float, _ meanImage: UnsafePointer<Float>?) {
            for c in 0..<channels {
                let m = channelMean.isEmpty ? 0 : channelMean[c]
                for h in 0..<outH {
                    let source = (c * height + hOff + h) * width + wOff
                    let row = out + (c * outH + h) * outW
                    if let meanImage {
                        if mirror {
                            for w in 0..<outW { row[outW - 1 - w] = (pixel(source + w) - meanImage[source + w]) * scale }
                        } else {
                            for w in 0..<outW { row[w] = (pixel(source + w) - meanImage[source + w]) * scale }
                        }
                    } else {
                        if mirror {
                            for w in 0..<outW { row[outW - 1 - w] = (pixel(source + w) - m) * scale }
                        } else {
                            for w in 0..<outW { row[w] = (pixel(source + w) - m) * scale }
                        }
                    }
                }
            }
        }

        func withMean(_ body: (UnsafePointer<Float>?) -> Void) {
            if let mean {
                mean.values.withUnsafeBufferPointer { body($0.baseAddress) }
            } else {
                body(nil)
            }
        }

        withMean { meanImage in
            if !datum.data.isEmpty {
                datum.data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                    let bytes = raw.bindMemory(to: UInt8.self)
                    run({ Float(bytes[$0]) }, meanImage)
                }
            } else {
                datum.floatData.withUnsafeBufferPointer { floats in
                    run({ floats[$0] }, meanImage)
                }
            }
        }
    }
}
