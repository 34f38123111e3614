import CKernels
import NetDSL

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
    let dilationH: Int
    let dilationW: Int
    let outH: Int
    let outW: Int

    /// The output size rounds down, as Caffe's convolution does. Callers check that the dilated
    /// kernel fits the padded input and that strides and dilations are positive.
    init(channels: Int, height: Int, width: Int, kernelH: Int, kernelW: Int,
         padH: Int, padW: Int, strideH: Int, strideW: Int, dilationH: Int = 1, dilationW: Int = 1) {
        self.channels = channels
        self.height = height
        self.width = width
        self.kernelH = kernelH
        self.kernelW = kernelW
        self.padH = padH
        self.padW = padW
        self.strideH = strideH
        self.strideW = strideW
        self.dilationH = dilationH
        self.dilationW = dilationW
        outH = (height + 2 * padH - (dilationH * (kernelH - 1) + 1)) / strideH + 1
        outW = (width + 2 * padW - (dilationW * (kernelW - 1) + 1)) / strideW + 1
    }

    var columnRows: Int { channels * kernelH * kernelW }
    var outSpatial: Int { outH * outW }
    var columnCount: Int { columnRows * outSpatial }
    var imageCount: Int { channels * height * width }

    /// A 1x1 kernel with stride 1 and no padding: the image already is its column matrix.
    var isPointwise: Bool {
        kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0
    }

    /// Writes the column matrix of `image` (`channels x height x width`) into `col`.
    func im2col(_ image: UnsafePointer<Float>, _ col: UnsafeMutablePointer<Float>) {
        im2col(image, col, kernelRows: 0..<(channels * kernelH))
    }

    /// Writes the rows of the column matrix for the (channel, kernel row) pairs `kernelRows`
    /// (pair `c * kernelH + ki`), each `kernelW` rows of `outSpatial` values; disjoint ranges
    /// write disjoint parts of `col`, so threads can share the work.
    ///
    /// Row `r` starts at `col + r * rowStride`: with a stride of `images * outSpatial` and `col`
    /// moved on by `i * outSpatial`, image `i` fills its own block of columns of a matrix that
    /// holds several images side by side, so one product covers them all.
    func im2col(_ image: UnsafePointer<Float>, _ col: UnsafeMutablePointer<Float>, kernelRows: Range<Int>,
                rowStride: Int? = nil) {
        var g = kernelGeometry
        crema_im2col(image, col, &g, Int64(kernelRows.lowerBound), Int64(kernelRows.upperBound),
                     Int64(rowStride ?? outSpatial))
    }

    /// The column matrices of `count` consecutive images starting at `images`, side by side in
    /// `col`: `columnRows` rows of `count * outSpatial` values, image `i` in columns
    /// `i * outSpatial ..< (i + 1) * outSpatial`.
    func im2col(images: UnsafePointer<Float>, count: Int, into col: UnsafeMutablePointer<Float>) {
        for i in 0..<count {
            im2col(images + i * imageCount, col + i * outSpatial, kernelRows: 0..<(channels * kernelH),
                   rowStride: count * outSpatial)
        }
    }

    /// The adjoint of `im2col(images:count:into:)`: overwrites the `count` images at `images`.
    func col2im(sideBySide col: UnsafePointer<Float>, count: Int, into images: UnsafeMutablePointer<Float>) {
        for i in 0..<count {
            col2im(col + i * outSpatial, images + i * imageCount, channels: 0..<channels, rowStride: count * outSpatial)
        }
    }

    /// Overwrites `image` with the sum, at each input position, of the column entries that
    /// read it: the adjoint of `im2col`, used to send gradients back to the input.
    func col2im(_ col: UnsafePointer<Float>, _ image: UnsafeMutablePointer<Float>) {
        col2im(col, image, channels: 0..<channels)
    }

    /// `col2im` for the input channels `range` only (each channel's plane is written by its
    /// own rows of `col`, so threads can take disjoint ranges); `rowStride` as for `im2col`.
    func col2im(_ col: UnsafePointer<Float>, _ image: UnsafeMutablePointer<Float>, channels range: Range<Int>,
                rowStride: Int? = nil) {
        var g = kernelGeometry
        crema_col2im(col, image, &g, Int64(range.lowerBound), Int64(range.upperBound), Int64(rowStride ?? outSpatial))
    }

    private var kernelGeometry: crema_conv_geometry {
        crema_conv_geometry(channels: Int64(channels), height: Int64(height), width: Int64(width),
                            kernel_h: Int64(kernelH), kernel_w: Int64(kernelW), pad_h: Int64(padH), pad_w: Int64(padW),
                            stride_h: Int64(strideH), stride_w: Int64(strideW), out_h: Int64(outH), out_w: Int64(outW),
                            dilation_h: Int64(dilationH), dilation_w: Int64(dilationW))
    }
}

/// " dilated 2x2" for error messages about a dilated kernel's extent; empty without dilation.
func dilationText(_ p: ConvolutionParams) -> String {
    (p.dilationH, p.dilationW) == (1, 1) ? "" : " dilated \(p.dilationH)x\(p.dilationW)"
}
