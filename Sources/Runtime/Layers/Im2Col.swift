/// The geometry of a 2-D convolution over one image, and Caffe's im2col / col2im over it.
///
/// The column matrix has `columnRows` rows, one per (channel, kernel row, kernel column) in
/// that order, and `outH * outW` columns, one per output position; a value that falls in the
/// padding is 0. A convolution is then one matrix product of the weights with this matrix.
struct ConvGeometry: Equatable {
    let channels: Int
    let height: Int
    let width: Int
    let kernelH: Int
    let kernelW: Int
    let padH: Int
    let padW: Int
    let strideH: Int
    let strideW: Int
    let outH: Int
    let outW: Int

    /// The output size rounds down, as Caffe's convolution does. Callers check that the kernel
    /// fits the padded input and that strides are positive.
    init(channels: Int, height: Int, width: Int, kernelH: Int, kernelW: Int,
         padH: Int, padW: Int, strideH: Int, strideW: Int) {
        self.channels = channels
        self.height = height
        self.width = width
        self.kernelH = kernelH
        self.kernelW = kernelW
        self.padH = padH
        self.padW = padW
        self.strideH = strideH
        self.strideW = strideW
        outH = (height + 2 * padH - kernelH) / strideH + 1
        outW = (width + 2 * padW - kernelW) / strideW + 1
    }

    var columnRows: Int { channels * kernelH * kernelW }
    var outSpatial: Int { outH * outW }
    var columnCount: Int { columnRows * outSpatial }
    var imageCount: Int { channels * height * width }

    /// A 1x1 kernel with stride 1 and no padding: the image already is its column matrix.
    var isPointwise: Bool {
        kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0
    }

    /// Output positions `o` in `0..<out` with `0 <= o * stride + offset < size`, as a half-open
    /// range that is empty (but stays inside `0...out`) when there are none.
    @inline(__always)
    static func validRange(offset: Int, stride: Int, size: Int, out: Int) -> (lo: Int, hi: Int) {
        let lo = min(out, offset >= 0 ? 0 : (-offset + stride - 1) / stride)
        let last = size - 1 - offset
        let hi = last < 0 ? 0 : min(out, last / stride + 1)
        return (lo, max(lo, hi))
    }

    /// Writes the column matrix of `image` (`channels x height x width`) into `col`.
    func im2col(_ image: UnsafePointer<Float>, _ col: UnsafeMutablePointer<Float>) {
        im2col(image, col, kernelRows: 0..<(channels * kernelH))
    }

    /// Writes the rows of the column matrix for the (channel, kernel row) pairs `kernelRows`
    /// (pair `c * kernelH + ki`), each `kernelW * outSpatial` values; disjoint ranges write
    /// disjoint parts of `col`, so threads can share the work.
    func im2col(_ image: UnsafePointer<Float>, _ col: UnsafeMutablePointer<Float>, kernelRows: Range<Int>) {
        let plane = height * width
        for pair in kernelRows {
            let c = pair / kernelH, ki = pair % kernelH
            let src = image + c * plane
            var dst = col + pair * kernelW * outSpatial
            let rowOffset = ki - padH
            let rows = ConvGeometry.validRange(offset: rowOffset, stride: strideH, size: height, out: outH)
            for kj in 0..<kernelW {
                let colOffset = kj - padW
                let cols = ConvGeometry.validRange(offset: colOffset, stride: strideW, size: width, out: outW)
                if rows.lo > 0 { dst.update(repeating: 0, count: rows.lo * outW) }
                for oh in rows.lo..<rows.hi {
                    let out = dst + oh * outW
                    let inRow = src + (oh * strideH + rowOffset) * width
                    if cols.lo > 0 { out.update(repeating: 0, count: cols.lo) }
                    if strideW == 1 {
                        (out + cols.lo).update(from: inRow + (cols.lo + colOffset), count: cols.hi - cols.lo)
                    } else {
                        var iw = cols.lo * strideW + colOffset
                        for ow in cols.lo..<cols.hi {
                            out[ow] = inRow[iw]
                            iw += strideW
                        }
                    }
                    if cols.hi < outW { (out + cols.hi).update(repeating: 0, count: outW - cols.hi) }
                }
                if rows.hi < outH { (dst + rows.hi * outW).update(repeating: 0, count: (outH - rows.hi) * outW) }
                dst += outSpatial
            }
        }
    }

    /// Overwrites `image` with the sum, at each input position, of the column entries that
    /// read it: the adjoint of `im2col`, used to send gradients back to the input.
    func col2im(_ col: UnsafePointer<Float>, _ image: UnsafeMutablePointer<Float>) {
        col2im(col, image, channels: 0..<channels)
    }

    /// `col2im` for the input channels `range` only (each channel's plane is written by its
    /// own rows of `col`, so threads can take disjoint ranges).
    func col2im(_ col: UnsafePointer<Float>, _ image: UnsafeMutablePointer<Float>, channels range: Range<Int>) {
        let plane = height * width
        guard !range.isEmpty else { return }
        (image + range.lowerBound * plane).update(repeating: 0, count: range.count * plane)
        var src = col + range.lowerBound * kernelH * kernelW * outSpatial
        for c in range {
            let dst = image + c * plane
            for ki in 0..<kernelH {
                let rowOffset = ki - padH
                let rows = ConvGeometry.validRange(offset: rowOffset, stride: strideH, size: height, out: outH)
                for kj in 0..<kernelW {
                    let colOffset = kj - padW
                    let cols = ConvGeometry.validRange(offset: colOffset, stride: strideW, size: width, out: outW)
                    for oh in rows.lo..<rows.hi {
                        let inp = src + oh * outW
                        let outRow = dst + (oh * strideH + rowOffset) * width
                        if strideW == 1 {
                            let o = outRow + colOffset
                            for ow in cols.lo..<cols.hi { o[ow] += inp[ow] }
                        } else {
                            var iw = cols.lo * strideW + colOffset
                            for ow in cols.lo..<cols.hi {
                                outRow[iw] += inp[ow]
                                iw += strideW
                            }
                        }
                    }
                    src += outSpatial
                }
            }
        }
    }
}
