import CKernels
import NetDSL

/// Caffe's Pooling (MAX and AVE) over each channel of an NCHW blob, with Caffe's output size:
/// rounded up, less one where padding would start the last window outside the input.
///
/// MAX keeps, for each output, the index in its plane of the first largest input (Caffe's
/// strict `>`), and sends the gradient back there. Those indices cost a quarter of the input's
/// size and most of the kernel's time, and only backward reads them, so forward records them
/// only once a backward pass has asked (the first one finds them itself): inference never
/// pays for them. AVE divides by the window clipped to the
/// padded input, so padding counts as zeros but the overhang of the last window does not.
final class PoolingLayer: Layer {
    func overwritesInputGradients(inputs: Int) -> Bool { true }
    let spec: LayerSpec
    let params: PoolingParams
    /// The deterministic methods this kernel computes (STOCHASTIC is `StochasticPoolingLayer`).
    enum Method { case max, average }
    let method: Method

    private var kernelH = 0, kernelW = 0
    private var strideH = 1, strideW = 1
    private var padH = 0, padW = 0
    private var height = 0, width = 0
    private var pooledH = 0, pooledW = 0
    /// For MAX: index within its input plane of each output's maximum, -1 for none.
    private let argmax = ArgmaxBuffer()
    /// Set by the first backward pass: from then on forward records `argmax`.
    private var recordsArgmax = false
    /// Whether `argmax` holds the last forward pass's indices.
    private var argmaxIsCurrent = false

    init(spec: LayerSpec, params: PoolingParams, method: Method) {
        self.spec = spec
        self.params = params
        self.method = method
    }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        try requireOneInputOneOutput(bottoms, tops)
        let p = params
        guard p.strideH > 0, p.strideW > 0 else {
            throw LayerError(spec, "stride \(p.strideH)x\(p.strideW) must be positive in both dimensions")
        }
        guard p.padH >= 0, p.padW >= 0 else {
            throw LayerError(spec, "pad \(p.padH)x\(p.padW) must not be negative")
        }
        if p.globalPooling {
            guard p.padH == 0, p.padW == 0, p.strideH == 1, p.strideW == 1 else {
                throw LayerError(spec, "global pooling takes no padding and stride 1, not pad \(p.padH)x\(p.padW) and stride \(p.strideH)x\(p.strideW)")
            }
        } else {
            guard p.kernelH > 0, p.kernelW > 0 else {
                throw LayerError(spec, "kernel \(p.kernelH)x\(p.kernelW) must be positive in both dimensions")
            }
            guard p.padH < p.kernelH, p.padW < p.kernelW else {
                throw LayerError(spec, "pad \(p.padH)x\(p.padW) must be smaller than the kernel \(p.kernelH)x\(p.kernelW)")
            }
        }
        (strideH, strideW, padH, padW) = (p.strideH, p.strideW, p.padH, p.padW)
        (kernelH, kernelW) = (p.kernelH, p.kernelW)
    }

    /// Caffe's output size along one axis, ceil- or floor-rounded.
    static func pooledSize(input: Int, kernel: Int, stride: Int, pad: Int, rounding: PoolRounding) -> Int {
        let span = input + 2 * pad - kernel
        var pooled: Int
        switch rounding {
        case .ceil: pooled = (span + stride - 1) / stride + 1
        case .floor: pooled = span / stride + 1
        }
        if pad > 0 && (pooled - 1) * stride >= input + pad { pooled -= 1 }
        return pooled
    }

    func reshape(bottoms: [Tensor], tops: [Tensor]) throws {
        let bottom = bottoms[0], top = tops[0]
        let shape = bottom.shape
        guard top !== bottom else { throw LayerError(spec, "cannot run in place; give it its own output") }
        guard shape.count == 4 else {
            throw LayerError(spec, "input is \(shapeText(shape)) but pooling needs 4 axes (num x channels x height x width)")
        }
        (height, width) = (shape[2], shape[3])
        if params.globalPooling { (kernelH, kernelW) = (height, width) }
        guard height + 2 * padH >= kernelH, width + 2 * padW >= kernelW else {
            throw LayerError(spec, "kernel \(kernelH)x\(kernelW) is larger than the input \(shapeText(shape)) with padding \(padH)x\(padW)")
        }
        pooledH = PoolingLayer.pooledSize(input: height, kernel: kernelH, stride: strideH, pad: padH, rounding: params.rounding)
        pooledW = PoolingLayer.pooledSize(input: width, kernel: kernelW, stride: strideW, pad: padW, rounding: params.rounding)
        // Caffe leaves a window that starts past the input undefined (stride above kernel).
        guard (pooledH - 1) * strideH < height + padH, (pooledW - 1) * strideW < width + padW else {
            throw LayerError(spec, "the last \(kernelH)x\(kernelW) window with stride \(strideH)x\(strideW) would start outside the input \(shapeText(shape)); use a stride no larger than the kernel or another input size")
        }
        top.reshape([shape[0], shape[1], pooledH, pooledW])
        if method == .max && recordsArgmax { argmax.reserve(top.count) }
        argmaxIsCurrent = false
    }

    func forward(bottoms: [Tensor], tops: [Tensor]) throws {
        let bottom = bottoms[0], top = tops[0]
        let planes = bottom.count(from: 0, to: 2)
        let inPlane = height * width, outPlane = pooledH * pooledW
        let x = bottom.data, y = top.data
        let (H, W, PH, PW) = (height, width, pooledH, pooledW)
        let (kh, kw, sh, sw, ph0, pw0) = (kernelH, kernelW, strideH, strideW, padH, padW)
        let work = top.count * kh * kw
        switch method {
        case .max:
            maxPool(bottom.data, into: top.data, planes: planes, recording: recordsArgmax)
        case .average:
            Parallel.forEach(planes, work: work) { p in
                let src = x + p * inPlane, dst = y + p * outPlane
                for ph in 0..<PH {
                    let hs = ph * sh - ph0
                    let he = min(hs + kh, H + ph0)
                    let h0 = max(hs, 0), h1 = min(he, H)
                    for pw in 0..<PW {
                        let ws = pw * sw - pw0
                        let we = min(ws + kw, W + pw0)
                        let w0 = max(ws, 0), w1 = min(we, W)
                        let poolSize = Float((he - hs) * (we - ws))
                        var sum: Float = 0
                        for h in h0..<h1 {
                            let row = h * W
                            for w in w0..<w1 { sum += src[row + w] }
                        }
                        dst[ph * PW + pw] = sum / poolSize
                    }
                }
            }
        }
    }

    /// MAX forward over `planes` channel planes (crema_max_pool_plane, vectorised), with one
    /// column scratch per chunk of planes; `recording` also writes `argmax`.
    private func maxPool(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, planes: Int, recording: Bool) {
        let inPlane = height * width, outPlane = pooledH * pooledW
        let (H, W, PH, PW) = (Int64(height), Int64(width), Int64(pooledH), Int64(pooledW))
        let (kh, kw, sh, sw, ph0, pw0) = (Int64(kernelH), Int64(kernelW), Int64(strideH), Int64(strideW),
                                          Int64(padH), Int64(padW))
        let mask: UnsafeMutablePointer<Int32>? = recording ? argmax.pointer : nil
        let scratchCount = Int(crema_max_pool_scratch(PW, kw, sw))
        let work = planes * outPlane * kernelH * kernelW
        Parallel.forEachChunk(planes, grain: max(1, planes * 65_536 / max(work, 1))) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: scratchCount) { scratch in
                for p in range {
                    crema_max_pool_plane(x + p * inPlane, H, W, PH, PW, kh, kw, sh, sw, ph0, pw0, y + p * outPlane,
                                         mask.map { $0 + p * outPlane }, scratch.baseAddress)
                }
            }
        }
        argmaxIsCurrent = recording
    }

    func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor]) {
        guard propagateDown.first == true else { return }
        let bottom = bottoms[0], top = tops[0]
        let planes = bottom.count(from: 0, to: 2)
        let inPlane = height * width, outPlane = pooledH * pooledW
        let dx = bottom.diff, dy = top.diff
        let (H, W, PH, PW) = (height, width, pooledH, pooledW)
        let (kh, kw, sh, sw, ph0, pw0) = (kernelH, kernelW, strideH, strideW, padH, padW)
        switch method {
        case .max:
            if !argmaxIsCurrent {
                // The first backward pass: find the indices and record them from now on. The
                // values go to the input's gradient, overwritten next (or, where padding makes
                // the output larger, to scratch), so the output stays as the layers after this
                // one saw it.
                recordsArgmax = true
                argmax.reserve(top.count)
                if top.count <= bottom.count {
                    maxPool(bottom.data, into: dx, planes: planes, recording: true)
                } else {
                    let values = UnsafeMutablePointer<Float>.allocate(capacity: top.count)
                    defer { values.deallocate() }
                    maxPool(bottom.data, into: values, planes: planes, recording: true)
                }
            }
            let mask = argmax.pointer
            Parallel.forEach(planes, work: bottom.count + top.count) { p in
                crema_max_pool_backward_plane(dy + p * outPlane, mask + p * outPlane, Int64(outPlane),
                                              dx + p * inPlane, Int64(inPlane))
            }
        case .average:
            Parallel.forEach(planes, work: top.count * kh * kw) { p in
                let dst = dx + p * inPlane, src = dy + p * outPlane
                dst.update(repeating: 0, count: inPlane)
                for ph in 0..<PH {
                    let hs = ph * sh - ph0
                    let he = min(hs + kh, H + ph0)
                    let h0 = max(hs, 0), h1 = min(he, H)
                    for pw in 0..<PW {
                        let ws = pw * sw - pw0
                        let we = min(ws + kw, W + pw0)
                        let w0 = max(ws, 0), w1 = min(we, W)
                        let share = src[ph * PW + pw] / Float((he - hs) * (we - ws))
                        for h in h0..<h1 {
                            let row = h * W
                            for w in w0..<w1 { dst[row + w] += share }
                        }
                    }
                }
            }
        }
    }

    /// Growable Int32 storage for pooling's argmax, read through a stable pointer.
    final class ArgmaxBuffer {
        private(set) var pointer: UnsafeMutablePointer<Int32>
        private var capacity = 1

        init() {
            pointer = .allocate(capacity: 1)
            pointer.initialize(to: -1)
        }

        func reserve(_ count: Int) {
            guard count > capacity else { return }
            pointer.deallocate()
            pointer = .allocate(capacity: count)
            pointer.initialize(repeating: -1, count: count)
            capacity = count
        }

        deinit { pointer.deallocate() }
    }
}
