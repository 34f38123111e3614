import Foundation
import NetDSL

/// Caffe's Softmax over one axis of an outer x channels x inner layout, made stable by
/// subtracting each column's maximum. Works in place.
final class SoftmaxLayer: Layer {
    func overwritesInputGradients(inputs: Int) -> Bool { true }
    let spec: LayerSpec
    let axis: Int
    /// Sizes of the axes before, at and after the softmax axis, set by `reshape`.
    private(set) var outer = 0
    private(set) var channels = 0
    private(set) var inner = 0

    init(spec: LayerSpec, params: SoftmaxParams) {
        self.spec = spec
        axis = params.axis
    }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        try requireOneInputOneOutput(bottoms, tops)
    }

    func reshape(bottoms: [Tensor], tops: [Tensor]) throws {
        let shape = bottoms[0].shape
        guard axis >= -shape.count && axis < shape.count else {
            throw LayerError(spec, "softmax axis \(axis) is outside an input of shape \(shapeText(shape)) (\(shape.count) axes; negative axes count from the end)")
        }
        let a = axis < 0 ? axis + shape.count : axis
        outer = bottoms[0].count(from: 0, to: a)
        channels = shape[a]
        inner = bottoms[0].count(from: a + 1)
        if tops[0] !== bottoms[0] { tops[0].reshape(like: bottoms[0]) }
    }

    /// Outer rows per parallel chunk so each chunk has worthwhile work.
    private var rowGrain: Int { max(1, 32_768 / max(channels * inner, 1)) }

    func forward(bottoms: [Tensor], tops: [Tensor]) throws {
        let x = bottoms[0].data, y = tops[0].data
        let channels = channels, inner = inner, dim = channels * inner
        guard channels > 0 else { return }
        Parallel.forEachChunk(outer, grain: rowGrain) { rows in
            if inner == 1 {
                for i in rows {
                    let xr = x + i * dim, yr = y + i * dim
                    var m = xr[0]
                    for c in 1..<channels { m = max(m, xr[c]) }
                    var sum: Float = 0
                    for c in 0..<channels {
                        let e = expf(xr[c] - m)
                        yr[c] = e
                        sum += e
                    }
                    for c in 0..<channels { yr[c] /= sum }
                }
                return
            }
            let s = UnsafeMutablePointer<Float>.allocate(capacity: inner)
            defer { s.deallocate() }
            for i in rows {
                let xr = x + i * dim, yr = y + i * dim
                s.update(from: xr, count: inner)
                for c in 1..<channels {
                    let xc = xr + c * inner
                    for k in 0..<inner { s[k] = max(s[k], xc[k]) }
                }
                for c in 0..<channels {
                    let xc = xr + c * inner, yc = yr + c * inner
                    for k in 0..<inner { yc[k] = expf(xc[k] - s[k]) }
                }
                s.update(repeating: 0, count: inner)
                for c in 0..<channels {
                    let yc = yr + c * inner
                    for k in 0..<inner { s[k] += yc[k] }
                }
                for c in 0..<channels {
                    let yc = yr + c * inner
                    for k in 0..<inner { yc[k] /= s[k] }
                }
            }
        }
    }

    func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor]) {
        guard propagateDown.first == true else { return }
        let y = tops[0].data, dy = tops[0].diff, dx = bottoms[0].diff
        let channels = channels, inner = inner, dim = channels * inner
        guard channels > 0 else { return }
        Parallel.forEachChunk(outer, grain: rowGrain) { rows in
            if inner == 1 {
                for i in rows {
                    let yr = y + i * dim, dyr = dy + i * dim, dxr = dx + i * dim
                    var dot: Float = 0
                    for c in 0..<channels { dot += dyr[c] * yr[c] }
                    for c in 0..<channels { dxr[c] = (dyr[c] - dot) * yr[c] }
                }
                return
            }
            let s = UnsafeMutablePointer<Float>.allocate(capacity: inner)
            defer { s.deallocate() }
            for i in rows {
                let yr = y + i * dim, dyr = dy + i * dim, dxr = dx + i * dim
                s.update(repeating: 0, count: inner)
                for c in 0..<channels {
                    let yc = yr + c * inner, dyc = dyr + c * inner
                    for k in 0..<inner { s[k] += dyc[k] * yc[k] }
                }
                for c in 0..<channels {
                    let o = c * inner
                    for k in 0..<inner { dxr[o + k] = (dyr[o + k] - s[k]) * yr[o + k] }
                }
            }
        }
    }
}
