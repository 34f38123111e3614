import Foundation
import NetDSL

/// Plain loops in double precision for CaffeNet's heavy layers, written from Caffe's
/// definitions (conv_layer, pooling_layer, lrn_layer, inner_product_layer,
/// softmax_loss_layer) and kept deliberately naive: the benchmark checks the fast kernels
/// against these before it times them.
enum Reference {
    /// NCHW geometry of one blob.
    struct Shape {
        var n: Int, c: Int, h: Int, w: Int
        init(_ s: [Int]) {
            n = s[0]
            c = s.count > 1 ? s[1] : 1
            h = s.count > 2 ? s[2] : 1
            w = s.count > 3 ? s[3] : 1
        }
        func at(_ i: Int, _ ch: Int, _ y: Int, _ x: Int) -> Int { ((i * c + ch) * h + y) * w + x }
    }

    struct Convolution {
        let p: ConvolutionParams
        let input: Shape
        var outH: Int { (input.h + 2 * p.padH - p.kernelH) / p.strideH + 1 }
        var outW: Int { (input.w + 2 * p.padW - p.kernelW) / p.strideW + 1 }

        /// Calls `body(outputIndex, inputIndex, weightIndex, outputChannel)` for every product term.
        private func terms(_ body: (Int, Int, Int, Int) -> Void) {
            let cg = input.c / p.group, og = p.numOutput / p.group
            let out = Shape([input.n, p.numOutput, outH, outW])
            for i in 0..<input.n {
                for o in 0..<p.numOutput {
                    let g = o / og
                    for oy in 0..<outH {
                        for ox in 0..<outW {
                            let oi = out.at(i, o, oy, ox)
                            for ci in 0..<cg {
                                for ky in 0..<p.kernelH {
                                    let iy = oy * p.strideH - p.padH + ky
                                    guard iy >= 0, iy < input.h else { continue }
                                    for kx in 0..<p.kernelW {
                                        let ix = ox * p.strideW - p.padW + kx
                                        guard ix >= 0, ix < input.w else { continue }
                                        body(oi, input.at(i, g * cg + ci, iy, ix),
                                             ((o * cg + ci) * p.kernelH + ky) * p.kernelW + kx, o)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        func forward(x: [Float], weight: [Float], bias: [Float]) -> [Double] {
            let pixels = outH * outW
            var y = [Double](repeating: 0, count: input.n * p.numOutput * pixels)
            for j in y.indices { y[j] = Double(bias[(j / pixels) % p.numOutput]) }
            terms { oi, xi, wi, _ in y[oi] += Double(x[xi]) * Double(weight[wi]) }
            return y
        }

        func backward(x: [Float], weight: [Float], dy: [Float]) -> (dx: [Double], dw: [Double], db: [Double]) {
            var dx = [Double](repeating: 0, count: x.count)
            var dw = [Double](repeating: 0, count: weight.count)
            var db = [Double](repeating: 0, count: p.numOutput)
            let pixels = outH * outW
            for j in dy.indices { db[(j / pixels) % p.numOutput] += Double(dy[j]) }
            terms { oi, xi, wi, _ in
                dx[xi] += Double(dy[oi]) * Double(weight[wi])
                dw[wi] += Double(dy[oi]) * Double(x[xi])
            }
            return (dx, dw, db)
        }
    }

    /// y = x W' + b over rows of `inputs` values.
    struct InnerProduct {
        let rows: Int, inputs: Int, outputs: Int

        func forward(x: [Float], weight: [Float], bias: [Float]) -> [Double] {
            var y = [Double](repeating: 0, count: rows * outputs)
            for r in 0..<rows {
                for o in 0..<outputs {
                    var s = Double(bias[o])
                    for k in 0..<inputs { s += Double(x[r * inputs + k]) * Double(weight[o * inputs + k]) }
                    y[r * outputs + o] = s
                }
            }
            return y
        }

        func backward(x: [Float], weight: [Float], dy: [Float]) -> (dx: [Double], dw: [Double], db: [Double]) {
            var dx = [Double](repeating: 0, count: rows * inputs)
            var dw = [Double](repeating: 0, count: outputs * inputs)
            var db = [Double](repeating: 0, count: outputs)
            for r in 0..<rows {
                for o in 0..<outputs {
                    let g = Double(dy[r * outputs + o])
                    db[o] += g
                    for k in 0..<inputs {
                        dx[r * inputs + k] += g * Double(weight[o * inputs + k])
                        dw[o * inputs + k] += g * Double(x[r * inputs + k])
                    }
                }
            }
            return (dx, dw, db)
        }
    }

    /// Max pooling with Caffe's ceil-mode output size; ties go to the first maximum.
    struct MaxPooling {
        let p: PoolingParams
        let input: Shape
        var outH: Int { size(input.h, p.kernelH, p.strideH, p.padH) }
        var outW: Int { size(input.w, p.kernelW, p.strideW, p.padW) }

        private func size(_ n: Int, _ k: Int, _ s: Int, _ pad: Int) -> Int {
            var out = Int((Double(n + 2 * pad - k) / Double(s)).rounded(.up)) + 1
            if pad > 0, (out - 1) * s >= n + pad { out -= 1 }
            return out
        }

        /// Outputs and, for each, the input index it took.
        func forward(x: [Float]) -> (y: [Double], argmax: [Int]) {
            let out = Shape([input.n, input.c, outH, outW])
            var y = [Double](repeating: 0, count: input.n * input.c * outH * outW)
            var argmax = [Int](repeating: -1, count: y.count)
            for i in 0..<input.n {
                for c in 0..<input.c {
                    for py in 0..<outH {
                        for px in 0..<outW {
                            let y0 = max(py * p.strideH - p.padH, 0), y1 = min(py * p.strideH - p.padH + p.kernelH, input.h)
                            let x0 = max(px * p.strideW - p.padW, 0), x1 = min(px * p.strideW - p.padW + p.kernelW, input.w)
                            var best = -Double.infinity, at = -1
                            for yy in y0..<y1 {
                                for xx in x0..<x1 where Double(x[input.at(i, c, yy, xx)]) > best {
                                    best = Double(x[input.at(i, c, yy, xx)])
                                    at = input.at(i, c, yy, xx)
                                }
                            }
                            y[out.at(i, c, py, px)] = best
                            argmax[out.at(i, c, py, px)] = at
                        }
                    }
                }
            }
            return (y, argmax)
        }

        func backward(dy: [Float], argmax: [Int]) -> [Double] {
            var dx = [Double](repeating: 0, count: input.n * input.c * input.h * input.w)
            for (j, at) in argmax.enumerated() where at >= 0 { dx[at] += Double(dy[j]) }
            return dx
        }
    }

    /// Caffe's ACROSS_CHANNELS LRN: scale = k + alpha / size * sum of squares over the window,
    /// y = x * scale^-beta.
    struct LRN {
        let p: LRNParams
        let input: Shape

        /// The channels whose squares enter channel `c`'s scale.
        private func window(_ c: Int) -> Range<Int> {
            let pre = (p.localSize - 1) / 2
            return max(c - pre, 0)..<min(c - pre + p.localSize, input.c)
        }

        func forward(x: [Float]) -> (y: [Double], scale: [Double]) {
            var y = [Double](repeating: 0, count: x.count)
            var scale = y
            for i in 0..<input.n {
                for c in 0..<input.c {
                    for yy in 0..<input.h {
                        for xx in 0..<input.w {
                            var s = 0.0
                            for cc in window(c) { let v = Double(x[input.at(i, cc, yy, xx)]); s += v * v }
                            let j = input.at(i, c, yy, xx)
                            scale[j] = Double(p.k) + Double(p.alpha) / Double(p.localSize) * s
                            y[j] = Double(x[j]) * pow(scale[j], -Double(p.beta))
                        }
                    }
                }
            }
            return (y, scale)
        }

        /// dx = dy * scale^-beta - 2 alpha beta / size * x * sum over the outputs whose window
        /// holds x of dy * y / scale.
        func backward(x: [Float], y: [Double], scale: [Double], dy: [Float]) -> [Double] {
            var dx = [Double](repeating: 0, count: x.count)
            let factor = 2 * Double(p.alpha) * Double(p.beta) / Double(p.localSize)
            for i in 0..<input.n {
                for c in 0..<input.c {
                    for yy in 0..<input.h {
                        for xx in 0..<input.w {
                            let j = input.at(i, c, yy, xx)
                            dx[j] += Double(dy[j]) * pow(scale[j], -Double(p.beta))
                            let ratio = Double(dy[j]) * y[j] / scale[j]
                            for cc in window(c) {
                                let k = input.at(i, cc, yy, xx)
                                dx[k] -= factor * Double(x[k]) * ratio
                            }
                        }
                    }
                }
            }
            return dx
        }
    }

    /// Mean over rows of -log softmax(x)[label], and its gradient (Caffe's VALID normalisation).
    static func softmaxLoss(x: [Float], labels: [Float], rows: Int, classes: Int) -> (loss: Double, dx: [Double]) {
        var dx = [Double](repeating: 0, count: x.count)
        var loss = 0.0
        for r in 0..<rows {
            let row = (0..<classes).map { Double(x[r * classes + $0]) }
            let top = row.max() ?? 0
            let exps = row.map { exp($0 - top) }
            let sum = exps.reduce(0, +)
            let label = Int(labels[r])
            loss -= log(max(exps[label] / sum, Double(Float.leastNormalMagnitude)))
            for c in 0..<classes {
                dx[r * classes + c] = (exps[c] / sum - (c == label ? 1 : 0)) / Double(rows)
            }
        }
        return (loss / Double(rows), dx)
    }
}
