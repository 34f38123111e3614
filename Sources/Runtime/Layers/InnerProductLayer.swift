import NetDSL

/// Caffe's InnerProduct: the input is a matrix of `M` rows (the axes before `axis`) by `K`
/// columns (the rest), and `top = bottom * W^T + bias` with weights `numOutput x K` (or
/// `top = bottom * W` with weights `K x numOutput` when `transpose`).
final class InnerProductLayer: Layer {
    func overwritesInputGradients(inputs: Int) -> Bool { true }
    let spec: LayerSpec
    let params: InnerProductParams
    private(set) var parameters: [Tensor] = []

    private var axis = 1
    /// Inputs per output, fixed by the weights.
    private var inputs = 0
    /// Rows in the current batch.
    private var rows = 0
    private let ones = Buffer(capacity: 1)
    private var onesCount = 0

    init(spec: LayerSpec, params: InnerProductParams) {
        self.spec = spec
        self.params = params
    }

    private var weights: Tensor { parameters[0] }
    private var bias: Tensor? { params.biasTerm ? parameters[1] : nil }

    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {
        try requireOneInputOneOutput(bottoms, tops)
        guard params.numOutput > 0 else {
            throw LayerError(spec, "num_output is \(params.numOutput); it must be positive")
        }
        let shape = bottoms[0].shape
        axis = try canonicalAxis(of: shape)
        inputs = bottoms[0].count(from: axis)
        let weightShape = params.transpose ? [inputs, params.numOutput] : [params.numOutput, inputs]
        let w = try store.parameter(for: spec, index: 0, shape: weightShape, filler: params.weightFiller)
        parameters = [w]
        if params.biasTerm {
            parameters.append(try store.parameter(for: spec, index: 1, shape: [params.numOutput], filler: params.biasFiller))
        }
    }

    /// `axis` counted from the front, as Caffe's CanonicalAxisIndex (negative counts from the end).
    private func canonicalAxis(of shape: [Int]) throws -> Int {
        let r = shape.count
        guard params.axis >= -r, params.axis < r else {
            throw LayerError(spec, "axis \(params.axis) is out of range for the \(r)-axis input \(shapeText(shape))")
        }
        return params.axis < 0 ? params.axis + r : params.axis
    }

    func reshape(bottoms: [Tensor], tops: [Tensor]) throws {
        let bottom = bottoms[0], top = tops[0]
        guard top !== bottom else { throw LayerError(spec, "cannot run in place; give it its own output") }
        let shape = bottom.shape
        axis = try canonicalAxis(of: shape)
        let k = bottom.count(from: axis)
        guard k == inputs else {
            throw LayerError(spec, "input \(shapeText(shape)) has \(k) values per row from axis \(axis), but the weights take \(inputs)")
        }
        rows = bottom.count(from: 0, to: axis)
        top.reshape(Array(shape[..<axis]) + [params.numOutput])
        if onesCount != rows {
            ones.reserve(rows)
            ones.pointer.update(repeating: 1, count: rows)
            onesCount = rows
        }
    }

    func forward(bottoms: [Tensor], tops: [Tensor]) throws {
        let n = params.numOutput
        if rows <= BLAS.smallBatchLimit && !params.transpose {
            // A few rows: bound by reading the weights, which this streams once on every core.
            BLAS.smallBatchProduct(m: rows, outputs: n, k: inputs, weights: weights.data, x: bottoms[0].data,
                                   bias: bias.map { UnsafePointer($0.data) }, y: tops[0].data)
            return
        }
        BLAS.gemm(transA: false, transB: !params.transpose, m: rows, n: n, k: inputs, alpha: 1,
                  a: bottoms[0].data, b: weights.data, beta: 0, c: tops[0].data)
        if let bias {
            BLAS.gemm(transA: false, transB: false, m: rows, n: n, k: 1, alpha: 1,
                      a: ones.pointer, b: bias.data, beta: 1, c: tops[0].data)
        }
    }

    func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor]) {
        let n = params.numOutput
        let dy = tops[0].diff
        if params.transpose {
            BLAS.gemm(transA: true, transB: false, m: inputs, n: n, k: rows, alpha: 1,
                      a: bottoms[0].data, b: dy, beta: 1, c: weights.diff)
        } else {
            BLAS.gemm(transA: true, transB: false, m: n, n: inputs, k: rows, alpha: 1,
                      a: dy, b: bottoms[0].data, beta: 1, c: weights.diff)
        }
        if let bias {
            BLAS.gemv(trans: true, m: rows, n: n, alpha: 1, a: dy, x: ones.pointer, beta: 1, y: bias.diff)
        }
        if propagateDown.first == true {
            BLAS.gemm(transA: false, transB: params.transpose, m: rows, n: inputs, k: n, alpha: 1,
                      a: dy, b: weights.data, beta: 0, c: bottoms[0].diff)
        }
    }
}
