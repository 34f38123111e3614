import Foundation
import NetDSL

/// Caffe's Convolution: NCHW input, weights `numOutput x (C / group) x kernelH x kernelW`, and
/// an optional bias per output channel; computed as im2col then one matrix product per group.
///
/// Large batches are split over the cores by image, each worker with its own column buffer
/// and single-threaded BLAS calls; small ones run in order with OpenBLAS's own threads.
/// Where an image has few output positions (LeNet's conv2: 64), a worker lays the columns of
/// several images side by side and makes one product for all of them, which gives OpenBLAS
/// wider matrices than 50 x 64 x 500 (a few percent faster for LeNet's conv2 here).
final class ConvolutionLayer: Layer {
    func overwritesInputGradients(inputs: Int) -> Bool { true }
    let spec: LayerSpec
    let params: ConvolutionParams
    private(set) var parameters: [Tensor] = []
    /// Multiply-adds per forward pass below which images are processed in order.
    var minimumParallelWork = 1 << 22
    /// Column values per worker up to which several images share one product (one image's
    /// columns always fit; 0 makes every product cover one image). A megabyte of columns stays
    /// in a core's L2 cache between im2col and the product.
    var columnBudget = 1 << 18

    /// Whether depthwise shapes (one input channel per group) take the direct plane-by-plane
    /// kernel rather than im2col and one product per group (tests turn it off to compare).
    var usesDepthwiseKernel = true
    private var channels = 0
    private var geometry: ConvGeometry?
    private var depthwise: DepthwiseConvolution?
    /// One column buffer per worker, reused between calls.
    private var columns: [Buffer] = []
    /// Per-worker outputs (forward) or output gradients (backward) of a block of images, laid
    /// out `numOutput x (images * outSpatial)` as the shared product wants them.
    private var blockOutputs: [Buffer] = []
    /// Per-worker weight and bias gradients (worker 0 writes straight into the parameters).
    private var weightScratch: [Buffer] = []
    private var biasScratch: [Buffer] = []
    private let ones = Buffer(capacity: 1)
    private var onesCount = 0

    init(spec: LayerSpec, params: ConvolutionParams) {
        self.spec = spec
        self.params = params
    }

    private var weights: Tensor { parameters[0] }
    private var bias: Tensor? { params.biasTerm ? parameters[1] : nil }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        try requireOneInputOneOutput(bottoms, tops)
        let p = params
        guard p.numOutput > 0 else { throw LayerError(spec, "num_output is \(p.numOutput); it must be positive") }
        guard p.kernelH > 0, p.kernelW > 0 else {
            throw LayerError(spec, "kernel \(p.kernelH)x\(p.kernelW) must be positive in both dimensions")
        }
        guard p.strideH > 0, p.strideW > 0 else {
            throw LayerError(spec, "stride \(p.strideH)x\(p.strideW) must be positive in both dimensions")
        }
        guard p.padH >= 0, p.padW >= 0 else {
            throw LayerError(spec, "pad \(p.padH)x\(p.padW) must not be negative")
        }
        guard p.dilationH > 0, p.dilationW > 0 else {
            throw LayerError(spec, "dilation \(p.dilationH)x\(p.dilationW) must be positive in both dimensions (1 is a plain convolution)")
        }
        guard p.group > 0 else { throw LayerError(spec, "group is \(p.group); it must be positive") }
        guard p.numOutput % p.group == 0 else {
            throw LayerError(spec, "num_output \(p.numOutput) is not divisible by group \(p.group)")
        }
        let shape = bottoms[0].shape
        guard shape.count == 4 else {
            throw LayerError(spec, "input is \(shapeText(shape)) but convolution needs 4 axes (num x channels x height x width)")
        }
        guard shape[1] % p.group == 0 else {
            throw LayerError(spec, "input has \(shape[1]) channels, which is not divisible by group \(p.group)")
        }
        channels = shape[1]
        let w = try store.parameter(for: spec, index: 0, shape: [p.numOutput, channels / p.group, p.kernelH, p.kernelW],
                                    filler: p.weightFiller)
        parameters = [w]
        if p.biasTerm {
            parameters.append(try store.parameter(for: spec, index: 1, shape: [p.numOutput], filler: p.biasFiller))
        }
    }

    func reshape(bottoms: [Tensor], tops: [Tensor]) throws {
        let bottom = bottoms[0], top = tops[0]
        let shape = bottom.shape
        guard top !== bottom else { throw LayerError(spec, "cannot run in place; give it its own output") }
        guard shape.count == 4 else {
            throw LayerError(spec, "input is \(shapeText(shape)) but convolution needs 4 axes (num x channels x height x width)")
        }
        guard shape[1] == channels else {
            throw LayerError(spec, "input has \(shape[1]) channels but the weights were made for \(channels)")
        }
        let p = params
        guard shape[2] + 2 * p.padH >= p.effectiveKernelH, shape[3] + 2 * p.padW >= p.effectiveKernelW else {
            throw LayerError(spec, "kernel \(p.kernelH)x\(p.kernelW)\(dilationText(p)) is larger than the input \(shapeText(shape)) with padding \(p.padH)x\(p.padW); use a smaller kernel, more padding or a larger input")
        }
        let g = ConvGeometry(channels: channels, height: shape[2], width: shape[3], kernelH: p.kernelH, kernelW: p.kernelW,
                             padH: p.padH, padW: p.padW, strideH: p.strideH, strideW: p.strideW,
                             dilationH: p.dilationH, dilationW: p.dilationW)
        geometry = g
        depthwise = usesDepthwiseKernel && DepthwiseConvolution.applies(channels: channels, group: p.group,
                                                                        numOutput: p.numOutput)
            ? DepthwiseConvolution(geometry: g, numOutput: p.numOutput) : nil
        top.reshape([shape[0], p.numOutput, g.outH, g.outW])
        reserveOnes(g.outSpatial)
    }

    // MARK: - Work split

    private func workerCount(images: Int, geometry g: ConvGeometry) -> Int {
        let work = images * params.numOutput * (g.columnRows / params.group) * g.outSpatial
        guard Parallel.threads > 1, images > 1, work >= minimumParallelWork else { return 1 }
        return min(Parallel.threads, images)
    }

    /// Images per shared product for a worker with `images` images: 1 for pointwise kernels
    /// (the image is its own column matrix) and for large column matrices.
    private func blockSize(images: Int, workers: Int, geometry g: ConvGeometry) -> Int {
        guard !g.isPointwise, g.columnCount > 0, g.outSpatial < Self.blockedSpatialLimit else { return 1 }
        let perWorker = (images + workers - 1) / workers
        return max(1, min(perWorker, columnBudget / g.columnCount))
    }

    /// Output positions per image from which one image's product is wide enough by itself:
    /// gathering blocks then costs more than it saves (LeNet's conv1, 24 x 24, slows down).
    static let blockedSpatialLimit = 256

    private func grow(_ buffers: inout [Buffer], count: Int, capacity: Int) {
        while buffers.count < count { buffers.append(Buffer(capacity: capacity)) }
        for b in buffers.prefix(count) { b.reserve(capacity) }
    }

    private func reserveOnes(_ count: Int) {
        guard onesCount < count else { return }
        ones.reserve(count)
        ones.pointer.update(repeating: 1, count: count)
        onesCount = count
    }

    /// Calls `body(worker, images)` over contiguous image ranges, one per worker, in parallel
    /// when there is more than one worker.
    private func split(images: Int, workers: Int, _ body: (Int, Range<Int>) -> Void) {
        guard workers > 1 else {
            body(0, 0..<images)
            return
        }
        let size = (images + workers - 1) / workers
        SingleThreadedBLAS.run {
            Parallel.forEach(workers, work: Int.max) { w in
                let range = (w * size)..<min(images, (w + 1) * size)
                if !range.isEmpty { body(w, range) }
            }
        }
    }

    /// `range` in consecutive blocks of at most `size` images.
    private func blocks(_ range: Range<Int>, size: Int) -> StrideTo<Int> {
        stride(from: range.lowerBound, to: range.upperBound, by: size)
    }

    // MARK: - Forward

    func forward(bottoms: [Tensor], tops: [Tensor]) throws {
        guard let g = geometry else { throw LayerError(spec, "forward ran before reshape") }
        let bottom = bottoms[0], top = tops[0]
        let images = bottom.num
        if let depthwise {
            depthwise.forward(x: bottom.data, weights: weights.data, bias: bias?.data, y: top.data, images: images)
            return
        }
        let workers = workerCount(images: images, geometry: g)
        let block = blockSize(images: images, workers: workers, geometry: g)
        if !g.isPointwise { grow(&columns, count: workers, capacity: g.columnCount * block) }
        if block > 1 { grow(&blockOutputs, count: workers, capacity: params.numOutput * g.outSpatial * block) }
        let cols = columns.prefix(workers).map { $0.pointer }
        let outs = block > 1 ? blockOutputs.prefix(workers).map { $0.pointer } : []
        let x = bottom.data, y = top.data
        let w = weights.data
        let b = bias?.data
        let groups = params.group
        let outPerGroup = params.numOutput / groups
        let kdim = g.columnRows / groups
        let spatial = g.outSpatial
        let inCount = g.imageCount, outCount = params.numOutput * spatial
        let numOutput = params.numOutput

        // One image at a time leaves the cores to OpenBLAS's threads for the products; the
        // column matrix is then filled by all cores too.
        let shareColumns = workers == 1 && block == 1 && Parallel.threads > 1 && g.columnCount >= 1 << 16
        let kernelRows = channels * g.kernelH
        split(images: images, workers: workers) { worker, range in
            if block > 1 {
                for first in blocks(range, size: block) {
                    let count = min(block, range.upperBound - first)
                    let width = count * spatial
                    let col = cols[worker], out = outs[worker]
                    g.im2col(images: x + first * inCount, count: count, into: col)
                    for gi in 0..<groups {
                        BLAS.gemm(transA: false, transB: false, m: outPerGroup, n: width, k: kdim, alpha: 1,
                                  a: w + gi * outPerGroup * kdim, b: col + gi * kdim * width, beta: 0,
                                  c: out + gi * outPerGroup * width)
                    }
                    // Back to NCHW, with the bias.
                    for i in 0..<count {
                        let image = y + (first + i) * outCount
                        for o in 0..<numOutput {
                            let src = out + o * width + i * spatial, dst = image + o * spatial
                            let bo = b?[o] ?? 0
                            for s in 0..<spatial { dst[s] = src[s] + bo }
                        }
                    }
                }
                return
            }
            for n in range {
                let image = x + n * inCount
                let col: UnsafePointer<Float>
                if g.isPointwise {
                    col = UnsafePointer(image)
                } else if shareColumns {
                    let c = cols[worker]
                    Parallel.forEachChunk(kernelRows, grain: 1) { rows in g.im2col(image, c, kernelRows: rows) }
                    col = UnsafePointer(c)
                } else {
                    g.im2col(image, cols[worker])
                    col = UnsafePointer(cols[worker])
                }
                let out = y + n * outCount
                // The bias goes in first and the products add to it: one pass over the output.
                if let b {
                    for o in 0..<numOutput { (out + o * spatial).update(repeating: b[o], count: spatial) }
                }
                for gi in 0..<groups {
                    BLAS.gemm(transA: false, transB: false, m: outPerGroup, n: spatial, k: kdim, alpha: 1,
                              a: w + gi * outPerGroup * kdim, b: col + gi * kdim * spatial, beta: b == nil ? 0 : 1,
                              c: out + gi * outPerGroup * spatial)
                }
            }
        }
    }

    // MARK: - Backward

    func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor]) {
        guard let g = geometry else { return }
        let bottom = bottoms[0], top = tops[0]
        let images = bottom.num
        let propagate = propagateDown.first ?? false
        if let depthwise {
            depthwise.backward(x: bottom.data, dy: top.diff, weights: weights.data, weightDiff: weights.diff,
                               biasDiff: bias?.diff, dx: propagate ? bottom.diff : nil, images: images)
            return
        }
        let workers = workerCount(images: images, geometry: g)
        let block = blockSize(images: images, workers: workers, geometry: g)
        if !g.isPointwise { grow(&columns, count: workers, capacity: g.columnCount * block) }
        if block > 1 { grow(&blockOutputs, count: workers, capacity: params.numOutput * g.outSpatial * block) }
        reserveOnes(g.outSpatial * block)
        let cols = columns.prefix(workers).map { $0.pointer }
        let outs = block > 1 ? blockOutputs.prefix(workers).map { $0.pointer } : []
        grow(&weightScratch, count: workers - 1, capacity: weights.count)
        let weightDiffs = [weights.diff] + weightScratch.prefix(workers - 1).map { $0.pointer }
        var biasDiffs: [UnsafeMutablePointer<Float>] = []
        if let bias {
            grow(&biasScratch, count: workers - 1, capacity: bias.count)
            biasDiffs = [bias.diff] + biasScratch.prefix(workers - 1).map { $0.pointer }
        }
        for p in weightDiffs.dropFirst() { p.update(repeating: 0, count: weights.count) }
        for p in biasDiffs.dropFirst() { p.update(repeating: 0, count: params.numOutput) }

        let x = bottom.data, dx = bottom.diff, dy = top.diff
        let w = weights.data
        let ones = ones.pointer
        let groups = params.group
        let outPerGroup = params.numOutput / groups
        let kdim = g.columnRows / groups
        let spatial = g.outSpatial
        let inCount = g.imageCount, outCount = params.numOutput * spatial
        let numOutput = params.numOutput
        let hasBias = !biasDiffs.isEmpty
        let shareColumns = workers == 1 && block == 1 && Parallel.threads > 1 && g.columnCount >= 1 << 16
        let kernelRows = channels * g.kernelH
        let channels = channels

        split(images: images, workers: workers) { worker, range in
            let dw = weightDiffs[worker]
            if block > 1 {
                for first in blocks(range, size: block) {
                    let count = min(block, range.upperBound - first)
                    let width = count * spatial
                    let col = cols[worker], gradOut = outs[worker]
                    // The output gradients of the block, side by side as the forward product made them.
                    for i in 0..<count {
                        let image = dy + (first + i) * outCount
                        for o in 0..<numOutput {
                            (gradOut + o * width + i * spatial).update(from: image + o * spatial, count: spatial)
                        }
                    }
                    if hasBias {
                        BLAS.gemv(trans: false, m: numOutput, n: width, alpha: 1, a: gradOut, x: ones, beta: 1,
                                  y: biasDiffs[worker])
                    }
                    g.im2col(images: x + first * inCount, count: count, into: col)
                    for gi in 0..<groups {
                        BLAS.gemm(transA: false, transB: true, m: outPerGroup, n: kdim, k: width, alpha: 1,
                                  a: gradOut + gi * outPerGroup * width, b: col + gi * kdim * width, beta: 1,
                                  c: dw + gi * outPerGroup * kdim)
                    }
                    guard propagate else { continue }
                    for gi in 0..<groups {
                        BLAS.gemm(transA: true, transB: false, m: kdim, n: width, k: outPerGroup, alpha: 1,
                                  a: w + gi * outPerGroup * kdim, b: gradOut + gi * outPerGroup * width, beta: 0,
                                  c: col + gi * kdim * width)
                    }
                    g.col2im(sideBySide: col, count: count, into: dx + first * inCount)
                }
                return
            }
            for n in range {
                let topDiff = dy + n * outCount
                if hasBias {
                    BLAS.gemv(trans: false, m: numOutput, n: spatial, alpha: 1, a: topDiff, x: ones, beta: 1,
                              y: biasDiffs[worker])
                }
                let image = x + n * inCount
                let col: UnsafeMutablePointer<Float>
                if g.isPointwise {
                    col = image
                } else if shareColumns {
                    col = cols[worker]
                    Parallel.forEachChunk(kernelRows, grain: 1) { rows in g.im2col(image, col, kernelRows: rows) }
                } else {
                    col = cols[worker]
                    g.im2col(image, col)
                }
                for gi in 0..<groups {
                    BLAS.gemm(transA: false, transB: true, m: outPerGroup, n: kdim, k: spatial, alpha: 1,
                              a: topDiff + gi * outPerGroup * spatial, b: col + gi * kdim * spatial, beta: 1,
                              c: dw + gi * outPerGroup * kdim)
                }
                guard propagate else { continue }
                // The column buffer is free again: it takes the gradient of the columns.
                let colDiff = g.isPointwise ? dx + n * inCount : cols[worker]
                for gi in 0..<groups {
                    BLAS.gemm(transA: true, transB: false, m: kdim, n: spatial, k: outPerGroup, alpha: 1,
                              a: w + gi * outPerGroup * kdim, b: topDiff + gi * outPerGroup * spatial, beta: 0,
                              c: colDiff + gi * kdim * spatial)
                }
                if g.isPointwise {
                } else if shareColumns {
                    let image = dx + n * inCount
                    Parallel.forEachChunk(channels, grain: 1) { range in
                        g.col2im(colDiff, image, channels: range)
                    }
                } else {
                    g.col2im(colDiff, dx + n * inCount)
                }
            }
        }
        for p in weightDiffs.dropFirst() { BLAS.axpy(weights.count, 1, p, weights.diff) }
        if hasBias, let bias {
            for p in biasDiffs.dropFirst() { BLAS.axpy(bias.count, 1, p, bias.diff) }
        }
    }
}

/// Holds OpenBLAS to one thread while layers call it from several threads of their own, so
/// the two kinds of threads do not compete for the cores; nested and concurrent users share
/// one hold and the last to leave restores the setting.
enum SingleThreadedBLAS {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var holders = 0
    nonisolated(unsafe) private static var saved = 1

    static func run(_ body: () -> Void) {
        // OpenBLAS's OpenMP build runs one thread by itself inside a team region, and changing
        // its thread count frees buffers another caller may be using.
        if BLAS.runsOnTeam {
            body()
            return
        }
        lock.lock()
        if holders == 0 {
            saved = BLAS.threads
            if saved != 1 { BLAS.threads = 1 }
        }
        holders += 1
        lock.unlock()
        defer {
            lock.lock()
            holders -= 1
            if holders == 0, saved != 1 { BLAS.threads = saved }
            lock.unlock()
        }
        body()
    }
}
