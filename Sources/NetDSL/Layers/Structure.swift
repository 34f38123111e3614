/// Joins blobs along `axis` (channels by default); its inputs must be named.
public struct Concat: NetLayer {
    public var base: LayerSpec
    public var params: ConcatParams
    public var kind: LayerKind { .concat(params) }

    public init(_ name: String = "", _ inputs: String..., axis: Int = 1,
                fileID: String = #fileID, line: Int = #line) {
        params = ConcatParams(axis: axis)
        base = baseSpec(name, .concat(params), fileID, line)
        base.bottoms = inputs
    }
}

/// Element-wise sum (with coefficients), product or maximum of named blobs of one shape.
public struct Eltwise: NetLayer {
    public var base: LayerSpec
    public var params: EltwiseParams
    public var kind: LayerKind { .eltwise(params) }

    public init(_ name: String = "", _ operation: EltwiseOperation, _ inputs: String..., coeff: [Float] = [],
                fileID: String = #fileID, line: Int = #line) {
        params = EltwiseParams(operation: operation, coeff: coeff)
        base = baseSpec(name, .eltwise(params), fileID, line)
        base.bottoms = inputs
    }
}

/// Folds axes `axis...endAxis` into one (by default everything after the batch axis).
public struct Flatten: NetLayer {
    public var base: LayerSpec
    public var params: FlattenParams
    public var kind: LayerKind { .flatten(params) }

    public init(_ name: String = "", axis: Int = 1, endAxis: Int = -1,
                fileID: String = #fileID, line: Int = #line) {
        params = FlattenParams(axis: axis, endAxis: endAxis)
        base = baseSpec(name, .flatten(params), fileID, line)
    }
}
