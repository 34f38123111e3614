import Foundation
import NetDSL

/// Caffe's prototxt for a resolved deploy net (Input, compute layers, Softmax), so that Caffe
/// and OpenCV's dnn importer load what we trained. Each kind's settings are written by its
/// declaration.
public enum DeployPrototxt {
    /// The net in Caffe's prototxt text format; throws for layer kinds that have no place in a
    /// deploy net.
    /// `comments` open the file as `#` lines, which Caffe's text parser skips.
    public static func text(for net: NetSpec, comments: [String] = []) throws -> String {
        var lines = comments.map { "# " + $0 } + ["name: \(CaffeMessageWriter.quoted(net.name))"]
        for spec in net.layers {
            guard spec.kind.traits.deployable else {
                throw DeployPrototxtError("layer \(spec.name) (\(spec.kind.typeName)) has no place in a deploy net; export removes data, loss and accuracy layers first")
            }
            var layer = CaffeMessageWriter()
            layer.string("name", spec.name)
            layer.string("type", spec.kind.typeName)
            for bottom in spec.bottoms { layer.string("bottom", bottom) }
            for top in spec.tops { layer.string("top", top) }
            spec.kind.settings.write(caffe: &layer)
            lines += ["layer {"] + layer.lines(indent: 2) + ["}"]
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// A net that cannot be written as a deploy prototxt.
public struct DeployPrototxtError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
