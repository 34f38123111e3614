import CDNNL

/// One argument of a primitive: the tensor as Crema holds it (plain Float, NCHW or OIHW) and,
/// where the primitive wants another layout or element type, its copy in that form with the
/// reorder between the two.
///
/// A transient copy lives only during one call, in the shared scratch (`bindCopy` before each
/// use); a kept one (weights, gradients of parameters) has its own storage.
final class OneDNNPort {
    enum Direction { case input, output }

    /// Crema's storage, bound to the tensor before each call.
    let plain: DNNLMemory
    /// The copy the primitive reads or writes; nil when it takes the plain memory itself.
    let copy: DNNLMemory?
    private let reorder: DNNLPrimitive?
    private let direction: Direction
    private let kept: Buffer?

    /// `accumulate` (outputs only): the result is added to Crema's values rather than written,
    /// which needs a copy even when the layouts agree.
    init(_ lib: OneDNNLibrary, plain plainDesc: DNNLDesc, wanted: DNNLDesc, _ direction: Direction,
         accumulate: Bool = false, transient: Bool) throws {
        self.direction = direction
        plain = try DNNLMemory(lib, plainDesc)
        if wanted.equals(plainDesc, lib) && !accumulate {
            copy = nil
            reorder = nil
            kept = nil
            return
        }
        let c = try DNNLMemory(lib, wanted)
        copy = c
        switch direction {
        case .input: reorder = try DNNLPrimitive.reorder(lib, from: plainDesc, to: wanted)
        case .output: reorder = try DNNLPrimitive.reorder(lib, from: wanted, to: plainDesc, accumulate: accumulate)
        }
        if transient {
            kept = nil
        } else {
            let buffer = Buffer(capacity: (c.byteCount + 3) / 4)
            try c.bind(UnsafeMutableRawPointer(buffer.pointer))
            kept = buffer
        }
    }

    /// What the primitive takes: the copy, or Crema's memory when no copy is needed.
    var memory: DNNLMemory { copy ?? plain }

    /// Scratch bytes this port needs during a call.
    var scratchBytes: Int { copy != nil && kept == nil ? copy?.byteCount ?? 0 : 0 }

    func bind(_ tensorStorage: UnsafeMutablePointer<Float>) throws {
        try plain.bind(UnsafeMutableRawPointer(tensorStorage))
    }

    /// Gives a transient copy its scratch region; kept copies and ports without one ignore it.
    func bindCopy(_ scratch: UnsafeMutableRawPointer) throws {
        guard let copy, kept == nil else { return }
        try copy.bind(scratch)
    }

    /// Inputs: Crema's values into the primitive's layout (nothing when it reads them in place).
    func load(_ stream: DNNLStream) throws {
        guard direction == .input, let reorder, let copy else { return }
        try reorder.execute(stream, [(Int32(CREMA_DNNL_ARG_FROM), plain), (Int32(CREMA_DNNL_ARG_TO), copy)])
    }

    /// Outputs: the primitive's result into Crema's layout (written, or added when accumulating).
    func store(_ stream: DNNLStream) throws {
        guard direction == .output, let reorder, let copy else { return }
        try reorder.execute(stream, [(Int32(CREMA_DNNL_ARG_FROM), copy), (Int32(CREMA_DNNL_ARG_TO), plain)])
    }
}
