import CKernels

/// A convolution whose groups each read one input channel (MobileNet's depthwise layers:
/// group equal to the channels), computed plane by plane from the NCHW tensors.
///
/// Output channel `o` reads input channel `o / multiplier`, with its own
/// `kernelH x kernelW` weights. Forward splits the (image, output channel) planes over the
/// cores; backward splits the input channels, so each worker owns the weight and bias
/// gradients of its channels' outputs and the input gradients of its channels.
struct DepthwiseConvolution {
    let geometry: ConvGeometry
    let numOutput: Int
    var multiplier: Int { numOutput / geometry.channels }
    private var taps: Int { geometry.kernelH * geometry.kernelW }

    /// Whether a convolution of `channels` input channels with these settings is depthwise.
    static func applies(channels: Int, group: Int, numOutput: Int) -> Bool {
        group > 1 && group == channels && numOutput % group == 0
    }

    func forward(x: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                 y: UnsafeMutablePointer<Float>, images: Int) {
        var g = planeGeometry
        let inPlane = geometry.height * geometry.width, outPlane = geometry.outSpatial
        let channels = geometry.channels, numOutput = numOutput, multiplier = multiplier, taps = taps
        let scratchCount = Int(crema_depthwise_forward_scratch(&g))
        Parallel.forEachChunk(images * numOutput, grain: max(1, (1 << 16) / max(1, outPlane * taps))) { planes in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: max(1, scratchCount)) { buffer in
                let scratch = scratchCount > 0 ? buffer.baseAddress : nil
                for plane in planes {
                    let image = plane / numOutput, o = plane % numOutput
                    let source = x + (image * channels + o / multiplier) * inPlane
                    crema_depthwise_forward(source, weights + o * taps, bias?[o] ?? 0, y + plane * outPlane, scratch, &g)
                }
            }
        }
    }

    /// Adds the weight and bias gradients; overwrites `dx` when it is given.
    func backward(x: UnsafePointer<Float>, dy: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                  weightDiff: UnsafeMutablePointer<Float>, biasDiff: UnsafeMutablePointer<Float>?,
                  dx: UnsafeMutablePointer<Float>?, images: Int) {
        var g = planeGeometry
        let inPlane = geometry.height * geometry.width, outPlane = geometry.outSpatial
        let channels = geometry.channels, numOutput = numOutput, multiplier = multiplier, taps = taps
        let outW = geometry.outW
        let grain = max(1, (1 << 16) / max(1, images * multiplier * outPlane * taps))
        Parallel.forEachChunk(channels, grain: grain) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: max(1, outW)) { partial in
                // The capacity is at least 1, so the buffer has an address.
                guard let partial = partial.baseAddress else { return }
                for c in range {
                    for image in 0..<images {
                        let source = x + (image * channels + c) * inPlane
                        for o in (c * multiplier)..<((c + 1) * multiplier) {
                            let gradient = dy + (image * numOutput + o) * outPlane
                            if let biasDiff {
                                var sum: Float = 0
                                for s in 0..<outPlane { sum += gradient[s] }
                                biasDiff[o] += sum
                            }
                            crema_depthwise_backward_weights(gradient, source, weightDiff + o * taps, partial, &g)
                        }
                        guard let dx else { continue }
                        let target = dx + (image * channels + c) * inPlane
                        if multiplier == 1 {
                            crema_depthwise_backward_data(dy + (image * numOutput + c) * outPlane, weights + c * taps,
                                                          target, &g)
                        } else {
                            backwardData(dy: dy + (image * numOutput + c * multiplier) * outPlane,
                                         weights: weights + c * multiplier * taps, into: target, geometry: &g)
                        }
                    }
                }
            }
        }
    }

    /// The input gradient of one channel with several outputs: each output's part, summed.
    private func backwardData(dy: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                              into target: UnsafeMutablePointer<Float>, geometry g: inout crema_conv_geometry) {
        let inPlane = geometry.height * geometry.width, outPlane = geometry.outSpatial
        withUnsafeTemporaryAllocation(of: Float.self, capacity: inPlane) { part in
            guard let part = part.baseAddress else { return }
            crema_depthwise_backward_data(dy, weights, target, &g)
            for k in 1..<multiplier {
                crema_depthwise_backward_data(dy + k * outPlane, weights + k * taps, part, &g)
                for i in 0..<inPlane { target[i] += part[i] }
            }
        }
    }

    /// The geometry of one plane (one channel).
    private var planeGeometry: crema_conv_geometry {
        let g = geometry
        return crema_conv_geometry(channels: 1, height: Int64(g.height), width: Int64(g.width),
                                   kernel_h: Int64(g.kernelH), kernel_w: Int64(g.kernelW), pad_h: Int64(g.padH),
                                   pad_w: Int64(g.padW), stride_h: Int64(g.strideH), stride_w: Int64(g.strideW),
                                   out_h: Int64(g.outH), out_w: Int64(g.outW), dilation_h: Int64(g.dilationH),
                                   dilation_w: Int64(g.dilationW))
    }
}
