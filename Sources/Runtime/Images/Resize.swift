import Foundation

/// How `Image.resized` computes pixels.
public enum ResizeFilter: String, CaseIterable, Sendable {
    /// Bilinear with half-pixel centres: output pixel `d` samples the source at
    /// `(d + 0.5) * source / destination - 0.5`, clamped at the edges; OpenCV's `INTER_LINEAR`,
    /// which Caffe's convert_imageset uses, in OpenCV's 11-bit fixed point and rounding.
    case linear
    /// When shrinking: each output pixel is the average of the source area it covers, partly
    /// covered source pixels weighted by the part covered (an exact box filter in integers).
    /// Ties round as OpenCV's `INTER_AREA` rounds them: to even, except an exact halving of both
    /// sides, which rounds them up (OpenCV's fast path). The result equals OpenCV's for integer
    /// factors; for others OpenCV sums in floating point and may differ by one level in rare
    /// cases. When enlarging either axis there is nothing to average, so it is `linear`.
    case area
}

extension Image {
    /// The image at `width` x `height` pixels (the same image when the size is unchanged).
    public func resized(width newWidth: Int, height newHeight: Int, filter: ResizeFilter = .linear) throws -> Image {
        guard newWidth > 0, newHeight > 0 else {
            throw ImageError.invalid(problem: "cannot resize to \(newWidth)x\(newHeight); both sizes must be positive")
        }
        guard newWidth <= 1 << 16, newHeight <= 1 << 16 else {
            throw ImageError.invalid(problem: "cannot resize to \(newWidth)x\(newHeight); the limit is 65536 pixels a side")
        }
        if newWidth == width && newHeight == height { return self }
        if filter == .area && newWidth <= width && newHeight <= height {
            return areaResized(newWidth, newHeight)
        }
        return linearResized(newWidth, newHeight)
    }

    // MARK: - Bilinear

    /// For each output position: the two source positions and their weights (sum 2048).
    ///
    /// OpenCV treats the two axes differently at the edges, and so, to the bit, do we: across a
    /// row (`clampWeights`) a position outside the source moves to the edge pixel with all the
    /// weight; down the columns the weights stay as computed and the rows they name are clipped
    /// to the image, so an edge row is weighted twice.
    struct LinearTaps {
        var first: [Int] = []
        var second: [Int] = []
        var firstWeight: [Int32] = []
        var secondWeight: [Int32] = []

        init(source: Int, destination: Int, clampWeights: Bool) {
            let scale = Double(source) / Double(destination)
            for d in 0..<destination {
                // OpenCV computes the position in Float from a Double scale; keep that rounding.
                var f = Float((Double(d) + 0.5) * scale - 0.5)
                var s = Int(f.rounded(.down))
                f -= Float(s)
                if clampWeights {
                    if s < 0 {
                        f = 0
                        s = 0
                    }
                    if s >= source - 1 {
                        f = 0
                        s = source - 1
                    }
                }
                first.append(min(max(s, 0), source - 1))
                second.append(min(max(s + 1, 0), source - 1))
                firstWeight.append(Int32(((1 - f) * 2048).rounded(.toNearestOrEven)))
                secondWeight.append(Int32((f * 2048).rounded(.toNearestOrEven)))
            }
        }
    }

    private func linearResized(_ newWidth: Int, _ newHeight: Int) -> Image {
        let c = channels
        let xs = LinearTaps(source: width, destination: newWidth, clampWeights: true)
        let ys = LinearTaps(source: height, destination: newHeight, clampWeights: false)
        let rowLength = newWidth * c

        // The horizontal pass, for the source rows the vertical pass reads.
        var slot = [Int](repeating: -1, count: height)
        var rows = 0
        for y in 0..<newHeight {
            for s in [ys.first[y], ys.second[y]] where slot[s] < 0 {
                slot[s] = rows
                rows += 1
            }
        }
        var horizontal = [Int32](repeating: 0, count: rows * rowLength)
        let first = xs.first.map { $0 * c }, second = xs.second.map { $0 * c }
        pixels.withUnsafeBufferPointer { src in
        horizontal.withUnsafeMutableBufferPointer { h in
        first.withUnsafeBufferPointer { i0 in
        second.withUnsafeBufferPointer { i1 in
        xs.firstWeight.withUnsafeBufferPointer { w0 in
        xs.secondWeight.withUnsafeBufferPointer { w1 in
            for sy in 0..<height where slot[sy] >= 0 {
                let row = src.baseAddress! + sy * width * c
                let out = h.baseAddress! + slot[sy] * rowLength
                if c == 3 {
                    for x in 0..<newWidth {
                        let p0 = row + i0[x], p1 = row + i1[x]
                        let a0 = w0[x], a1 = w1[x]
                        let o = out + 3 * x
                        o[0] = Int32(p0[0]) &* a0 &+ Int32(p1[0]) &* a1
                        o[1] = Int32(p0[1]) &* a0 &+ Int32(p1[1]) &* a1
                        o[2] = Int32(p0[2]) &* a0 &+ Int32(p1[2]) &* a1
                    }
                } else {
                    for x in 0..<newWidth {
                        out[x] = Int32(row[i0[x]]) &* w0[x] &+ Int32(row[i1[x]]) &* w1[x]
                    }
                }
            }
        }
        }
        }
        }
        }
        }

        var out = [UInt8](repeating: 0, count: newHeight * rowLength)
        horizontal.withUnsafeBufferPointer { h in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<newHeight {
                    let r0 = h.baseAddress! + slot[ys.first[y]] * rowLength
                    let r1 = h.baseAddress! + slot[ys.second[y]] * rowLength
                    let b0 = ys.firstWeight[y], b1 = ys.secondWeight[y]
                    let o = dst.baseAddress! + y * rowLength
                    // OpenCV's vector kernel: 16-bit high products, then a rounding shift.
                    for i in 0..<rowLength {
                        let v = (((r0[i] >> 4) &* b0) >> 16) &+ (((r1[i] >> 4) &* b1) >> 16) &+ 2
                        o[i] = UInt8(clamping: v >> 2)
                    }
                }
            }
        }
        return Image(unchecked: newWidth, newHeight, c, out)
    }

    // MARK: - Area

    /// For each output position: source positions and integer weights (the overlap measured
    /// in units of 1/destination of a source pixel), summing to `source`.
    struct AreaTaps {
        var start: [Int] = []      // into index/weight, one more than the outputs
        var index: [Int] = []
        var weight: [Int64] = []

        init(source: Int, destination: Int) {
            for d in 0..<destination {
                start.append(index.count)
                let lo = d * source, hi = lo + source
                var s = lo / destination
                while s * destination < hi {
                    let overlap = min(hi, (s + 1) * destination) - max(lo, s * destination)
                    if overlap > 0 {
                        index.append(s)
                        weight.append(Int64(overlap))
                    }
                    s += 1
                }
            }
            start.append(index.count)
        }
    }

    private func areaResized(_ newWidth: Int, _ newHeight: Int) -> Image {
        let c = channels
        let xs = AreaTaps(source: width, destination: newWidth)
        let ys = AreaTaps(source: height, destination: newHeight)
        let rowLength = newWidth * c
        let total = Int64(width) * Int64(height)
        let halving = width == 2 * newWidth && height == 2 * newHeight

        var horizontal = [Int64](repeating: 0, count: height * rowLength)
        pixels.withUnsafeBufferPointer { src in
            horizontal.withUnsafeMutableBufferPointer { h in
                for sy in 0..<height {
                    let row = src.baseAddress! + sy * width * c
                    let out = h.baseAddress! + sy * rowLength
                    for x in 0..<newWidth {
                        for t in xs.start[x]..<xs.start[x + 1] {
                            let p = row + xs.index[t] * c
                            let w = xs.weight[t]
                            for k in 0..<c { out[x * c + k] += Int64(p[k]) * w }
                        }
                    }
                }
            }
        }

        var out = [UInt8](repeating: 0, count: newHeight * rowLength)
        var sums = [Int64](repeating: 0, count: rowLength)
        horizontal.withUnsafeBufferPointer { h in
            out.withUnsafeMutableBufferPointer { dst in
                sums.withUnsafeMutableBufferPointer { acc in
                    for y in 0..<newHeight {
                        for i in 0..<rowLength { acc[i] = 0 }
                        for t in ys.start[y]..<ys.start[y + 1] {
                            let r = h.baseAddress! + ys.index[t] * rowLength
                            let w = ys.weight[t]
                            for i in 0..<rowLength { acc[i] += r[i] * w }
                        }
                        let o = dst.baseAddress! + y * rowLength
                        for i in 0..<rowLength {
                            let q = acc[i] / total, twice = 2 * (acc[i] - q * total)
                            let up = halving ? twice >= total : (twice > total || (twice == total && q & 1 == 1))
                            o[i] = UInt8(clamping: up ? q + 1 : q)
                        }
                    }
                }
            }
        }
        return Image(unchecked: newWidth, newHeight, c, out)
    }
}
