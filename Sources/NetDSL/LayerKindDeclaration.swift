/// Everything Crema knows about one layer kind, stated once, beside its settings: Caffe's type
/// name, the traits the compiler and the DSL read, the parameter blobs it keeps, how its
/// settings read from and write to a Caffe prototxt, and how a recipe writes it.
///
/// Each kind's settings type conforms (`ConvolutionParams`, `PReLUParams`, ...). `LayerKind`
/// lists the kinds; every other part of Crema asks a kind's declaration instead of switching
/// over kinds. No requirement has a default, so a new kind states each of them.
public protocol LayerKindDeclaration: Codable, Equatable, Sendable {
    /// Caffe's `type` string.
    static var typeName: String { get }
    /// Stem for the names of layers a recipe leaves unnamed (`relu1`, `pool2`, ...).
    static var nameStem: String { get }
    static var traits: LayerTraits { get }
    /// Where a spec's JSON keeps the settings: Caffe's name for the kind's settings message
    /// (`convolution_param`; SoftmaxWithLoss keeps its own in `loss_param`).
    static var settingsKey: String { get }
    /// The settings wrapped as a kind.
    var kind: LayerKind { get }
    /// The blobs the layer keeps in a `.caffemodel`, in Caffe's order, for a layer that reads
    /// `inputs` blobs.
    func parameterBlobs(inputs: Int) -> [ParameterBlob]
    /// The settings from a Caffe layer message (its `*_param` fields), Caffe's defaults where
    /// unset; nil after reporting a problem through `layer`.
    static func read(caffe layer: CaffeFields) -> Self?
    /// The settings as Caffe's `*_param` fields, for deploy prototxts.
    func write(caffe layer: inout CaffeMessageWriter)
    /// The layer as DSL source: its constructor and the modifiers for what differs from it.
    /// `name` holds the name literal, or nothing when the recipe may leave it to `Net`.
    func source(_ layer: LayerSpec, name: [String]) -> LayerSource
}

/// How a kind takes part in a net, as the compiler, the DSL and the importers need to know.
public struct LayerTraits: Sendable {
    /// Where the layer's inputs come from when a recipe does not name them.
    public enum Inputs: Sendable {
        /// A source: reads no blob (Data, Input).
        case none
        /// The previous layer's output.
        case previous
        /// The previous layer's output and `label` (losses, Accuracy).
        case previousAndLabel
        /// Only the blobs the recipe names, because the layer joins branches (Concat, Eltwise).
        case named
    }

    /// Whether the layer may write its output over its input.
    public enum InPlace: Sendable {
        /// Never: its output is a blob of its own.
        case never
        /// When the recipe or prototxt says so (`top` equal to `bottom`), as Caffe allows.
        case allowed
        /// By default, when no output is named (Caffe's in-place ReLU and Dropout).
        case byDefault
    }

    public var inputs: Inputs
    public var inPlace: InPlace
    /// Whether the next unnamed input skips over this layer's output (losses, Accuracy).
    public var endsChain: Bool
    /// The weight Caffe gives the first output in the loss by default (1 for losses).
    public var defaultLossWeight: Float
    /// Whether the layer writes any blob (Silence writes none).
    public var producesOutput: Bool
    /// A kind a net usually has once, named plainly ("data", "loss") rather than numbered.
    public var plainName: Bool
    /// Whether a written recipe may leave the layer's name to `Net` (sources and activations,
    /// as people write them); layers with parameters keep their names in the text.
    public var nameMayBeLeftOut: Bool
    /// Whether the layer belongs in a deploy net (Data, losses and Accuracy do not).
    public var deployable: Bool
    /// Whether the layer computes nothing at inference, its outputs being its inputs (Dropout,
    /// Split).
    public var identityAtInference: Bool

    public init(inputs: Inputs = .previous, inPlace: InPlace = .never, endsChain: Bool = false,
                defaultLossWeight: Float = 0, producesOutput: Bool = true, plainName: Bool = false, nameMayBeLeftOut: Bool = false,
                deployable: Bool = true, identityAtInference: Bool = false) {
        self.inputs = inputs
        self.inPlace = inPlace
        self.endsChain = endsChain
        self.defaultLossWeight = defaultLossWeight
        self.producesOutput = producesOutput
        self.plainName = plainName
        self.nameMayBeLeftOut = nameMayBeLeftOut
        self.deployable = deployable
        self.identityAtInference = identityAtInference
    }

    /// A computing layer that reads the previous output and writes its own blob.
    public static let plain = LayerTraits()
    /// An element-wise layer that may run in place where the net says so.
    public static let elementwise = LayerTraits(inPlace: .allowed, nameMayBeLeftOut: true)
}

/// One parameter blob a layer keeps.
public struct ParameterBlob: Equatable, Sendable {
    /// What the blob holds, for messages ("weights", "bias", "mean").
    public var role: String
    /// Whether the solver learns it from gradients (BatchNorm's statistics it does not).
    public var learned: Bool

    public init(_ role: String, learned: Bool = true) {
        self.role = role
        self.learned = learned
    }

    public static let weights = ParameterBlob("weights")
    public static let bias = ParameterBlob("bias")
}

/// A layer's source before layout: `head(arguments)` then `.modifier(...)`s.
public struct LayerSource: Sendable {
    public var head: String
    public var arguments: [String]
    public var modifiers: [String]
    /// Outputs the constructor gives the layer before any `.outputs(...)`.
    public var constructorTops: [String]
    /// Whether the constructor takes the input blobs (Concat, Eltwise).
    public var bottomsInConstructor: Bool
    /// A plain `LayerSpec` that states everything itself (the Split, which recipes do not write).
    public var rawSpec: Bool

    public init(head: String, arguments: [String], modifiers: [String] = [], constructorTops: [String] = [],
                bottomsInConstructor: Bool = false, rawSpec: Bool = false) {
        self.head = head
        self.arguments = arguments
        self.modifiers = modifiers
        self.constructorTops = constructorTops
        self.bottomsInConstructor = bottomsInConstructor
        self.rawSpec = rawSpec
    }

    func lines(indent: Int) -> [String] {
        SourceLayout.chain(SourceLayout.call(head, arguments, indent: indent), modifiers, indent: indent)
    }
}
