/// A recipe that cannot become a net, naming the layer and the recipe line at fault.
public struct SpecError: Error, CustomStringConvertible, Equatable {
    public var layer: String
    public var location: SourceLocation
    public var message: String

    public init(layer: LayerSpec, _ message: String) {
        self.layer = layer.label
        self.location = layer.location
        self.message = message
    }

    public init(net: String, _ message: String) {
        self.layer = "net '\(net)'"
        self.location = .unknown
        self.message = message
    }

    public var description: String { "\(layer): \(message)" }
}
