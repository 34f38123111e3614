import NetDSL

/// A kernel: sets up its parameters once, sizes its outputs, and runs forward and backward over
/// explicit tensors.
///
/// Backward *accumulates* into parameter gradients (so `iter_size` batches add up) and
/// *overwrites* input gradients, as Caffe's layers do; the graph inserts a split where one blob
/// feeds several layers that send gradients back.
public protocol Layer: AnyObject {
    var spec: LayerSpec { get }
    /// Learnable blobs in Caffe's order (weights, then bias); empty for most layers.
    var parameters: [Tensor] { get }
    /// Creates parameters (through the store, which shares them by name and between phases) and
    /// checks what does not change with the batch size.
    func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws
    /// Sizes `tops` from `bottoms`; a shape that cannot fit throws a `LayerError`.
    func reshape(bottoms: [Tensor], tops: [Tensor]) throws
    func forward(bottoms: [Tensor], tops: [Tensor]) throws
    /// Whether backward writes every value of each input gradient it sends (rather than leaving
    /// it to a shared buffer), so the compiler may let gradient storage be reused; `inputs` is
    /// the number of inputs the layer reads.
    func overwritesInputGradients(inputs: Int) -> Bool
    /// `propagateDown[i]` says whether bottom `i` needs its gradient.
    func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor])
}

extension Layer {
    public var parameters: [Tensor] { [] }
    public func setUp(bottoms: [Tensor], tops: [Tensor], store: ParameterStore) throws {}
    public func backward(tops: [Tensor], propagateDown: [Bool], bottoms: [Tensor]) {}
}

extension Layer {
    /// The check most kernels start with: exactly one input blob and one output blob.
    func requireOneInputOneOutput(_ bottoms: [Tensor], _ tops: [Tensor]) throws {
        guard bottoms.count == 1, tops.count == 1 else {
            throw LayerError(spec, "takes one input and one output, not \(bottoms.count) and \(tops.count)")
        }
    }
}

extension Layer {
    /// The check for kernels that cannot write over their input.
    func requireOwnOutput(_ bottoms: [Tensor], _ tops: [Tensor]) throws {
        if tops.contains(where: { top in bottoms.contains { $0 === top } }) {
            throw LayerError(spec, "cannot run in place: give its output its own name")
        }
    }

    /// `axis` counted from the front, negative axes from the end (Caffe's CanonicalAxisIndex).
    func canonicalAxis(_ axis: Int, of shape: [Int]) throws -> Int {
        guard axis >= -shape.count, axis < shape.count else {
            throw LayerError(spec, "axis \(axis) is outside an input of shape \(shapeText(shape)) (\(shape.count) axes; negative axes count from the end)")
        }
        return axis < 0 ? axis + shape.count : axis
    }
}

/// A layer that cannot run as written: names the layer and its recipe line.
public struct LayerError: Error, CustomStringConvertible {
    public var layer: String
    public var location: SourceLocation
    public var message: String
    /// The error the layer met (a missing database, a bad record), for callers that act on it.
    public var underlying: Error?

    public init(_ spec: LayerSpec, _ message: String, underlying: Error? = nil) {
        layer = spec.label
        location = spec.location
        self.message = message
        self.underlying = underlying
    }

    public var description: String { "\(layer): \(message)" }
}

/// Shape text such as `64x20x24x24`, for messages.
func shapeText(_ shape: [Int]) -> String { shape.map(String.init).joined(separator: "x") }

/// A layer whose results depend on random draws (Dropout's masks, stochastic pooling's
/// choices): its generator's state is part of a snapshot, so a resumed run draws what the
/// uninterrupted run would have.
protocol DrawsRandomNumbers: AnyObject {
    var random: RandomGenerator { get set }
}
