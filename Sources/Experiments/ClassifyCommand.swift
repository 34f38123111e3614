import ArgumentParser
import Foundation
import NetDSL
import Runtime

/// Classifies image files with trained weights, preprocessing them as the recipe's TEST data.
struct ClassifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Top classes of image files, with trained weights (preprocessed as the recipe's TEST data).")

    @OptionGroup var options: RecipeOptions

    @Option(help: ArgumentHelp("The trained weights: a .caffemodel, or a run or snapshots folder (its newest snapshot).",
                               valueName: "PATH"))
    var weights: String

    @Argument(help: "JPEG or PNG files.")
    var images: [String]

    @Option(help: "Class names, one per line in label order (default: labels.txt beside the data, or synset_words.txt for 1000 classes).")
    var labels: String?

    @Option(help: "Size images are resized to before cropping, WxH (default: the mean image's or the database's).")
    var resize: String?

    @Option(help: "How many classes to show.")
    var top: Int = 5

    @Flag(help: "Average over Caffe's ten oversample crops (corners and centre, and their mirrors).")
    var oversample = false

    func run() throws {
        let results = try predictions { StandardError.write($0 + "\n") }
        for (path, best) in results {
            print("---------- Prediction for \(path) ----------")
            for (p, name) in best { print(String(format: "%.4f - \"%@\"", p, name)) }
        }
    }

    /// For each image, the `top` classes with their probabilities, best first.
    /// `note` hears, for each image that does not fit the net as it is, what was done to it.
    func predictions(note: (String) -> Void = { _ in }) throws -> [(String, [(Double, String)])] {
        guard !images.isEmpty else { throw CLIError("name at least one image file") }
        guard top > 0 else { throw CLIError("--top must be at least 1") }
        let (name, net, _, _) = try options.resolve()
        guard let dataIndex = net.dataLayerIndex(in: .test), case .data(let data) = net.layers[dataIndex].kind else {
            throw CLIError("recipe \(name) has no TEST Data layer to take the preprocessing from")
        }
        let mean = try data.transform.meanFile.map { try MeanFile.read(URL(fileURLWithPath: $0)) }
        let (channels, height, width) = try inputSize(data: data, mean: mean)
        let crop = data.transform.cropSize > 0 ? data.transform.cropSize : 0
        let outH = crop > 0 ? crop : height, outW = crop > 0 ? crop : width
        guard outH <= height, outW <= width else {
            throw CLIError("crop \(crop) is larger than the \(width)x\(height) input; pass a larger --resize")
        }
        let views = oversample ? 10 : 1

        let (spec, probabilityBlob) = try Self.deployNet(net, data: dataIndex, shape: [views, channels, outH, outW])
        let graph = try WeightsLocation.inferenceGraph(spec, weights: try WeightsLocation.resolve(weights), recipe: name)
        guard let input = graph.input, let prob = graph.blobs[probabilityBlob] else {
            throw CLIError("internal: the classification net lost its input or output")
        }
        let classes = prob.count / views
        let names = try classNames(data: data, classes: classes)

        var full = data.transform
        full.cropSize = 0
        full.mirror = false
        let transformer = try DataTransformer(params: full, phase: .test, mean: mean)
        var random = RandomGenerator(seed: 0)
        var results: [(String, [(Double, String)])] = []
        for path in images {
            let decoded = try ImageDecoder.decode(file: path)
            if let text = Self.preparation(of: decoded, channels: channels, width: width, height: height,
                                           crop: (outW, outH), views: views) {
                note("\(path): \(text)")
            }
            let image = try decoded.converted(toChannels: channels).resized(width: width, height: height)
            let datum = Caffe_Datum(channels: channels, height: height, width: width,
                                    bytes: image.caffeBytes(), label: 0)
            var whole = [Float](repeating: 0, count: channels * height * width)
            try whole.withUnsafeMutableBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return }
                try transformer.transform(datum, into: base, random: &random)
            }
            let offsets = oversample
                ? [(0, 0), (0, width - outW), (height - outH, 0), (height - outH, width - outW),
                   ((height - outH) / 2, (width - outW) / 2)]
                : [((height - outH) / 2, (width - outW) / 2)]
            var view = 0
            for mirror in oversample ? [false, true] : [false] {
                for (h0, w0) in offsets {
                    let out = input.data + view * channels * outH * outW
                    for c in 0..<channels {
                        for h in 0..<outH {
                            for w in 0..<outW {
                                let x = mirror ? outW - 1 - w : w
                                out[(c * outH + h) * outW + x] = whole[(c * height + h0 + h) * width + w0 + w]
                            }
                        }
                    }
                    view += 1
                }
            }
            try graph.forward()
            var scores = [Double](repeating: 0, count: classes)
            for v in 0..<views {
                for k in 0..<classes { scores[k] += Double(prob.data[v * classes + k]) / Double(views) }
            }
            let best = scores.indices.sorted { scores[$0] > scores[$1] }.prefix(top).map { (scores[$0], names[$0]) }
            results.append((path, best))
        }
        return results
    }

    /// What classify does to an image to fit the net's input, in words (`colour to grey,
    /// resized from 451x300 to 28x28`); nil when the image fits as it is.
    static func preparation(of image: Image, channels: Int, width: Int, height: Int,
                            crop: (width: Int, height: Int), views: Int) -> String? {
        var steps: [String] = []
        if image.channels != channels {
            steps.append("\(colourName(image.channels)) to \(colourName(channels))")
        }
        if image.width != width || image.height != height {
            steps.append("resized from \(image.width)x\(image.height) to \(width)x\(height)")
        }
        if crop.width != width || crop.height != height {
            steps.append(views > 1 ? "cut into \(views) crops of \(crop.width)x\(crop.height) (corners, centre and mirrors)"
                                   : "cropped to the centre \(crop.width)x\(crop.height)")
        }
        return steps.isEmpty ? nil : steps.joined(separator: ", ")
    }

    private static func colourName(_ channels: Int) -> String {
        switch channels {
        case 1: "grey"
        case 3: "colour"
        case 4: "colour with alpha"
        default: "\(channels) channels"
        }
    }

    /// The TEST net with its data layer replaced by an input of `shape`, losses and accuracy
    /// removed, and a Softmax on what the loss read. Returns the spec and the softmax's blob.
    static func deployNet(_ net: NetSpec, data: Int, shape: [Int]) throws -> (NetSpec, String) {
        let resolved = try net.resolved(for: .test)
        guard let loss = resolved.layers.last(where: { $0.kind.endsChain }), let scores = loss.bottoms.first else {
            throw CLIError("the recipe's TEST net has no loss or accuracy layer to find its class scores from")
        }
        var layers: [LayerSpec] = []
        for var layer in resolved.layers where !layer.kind.endsChain {
            if case .data = layer.kind {
                layer.kind = .input(InputParams(shapes: [shape]))
                // The images keep the blob name the net gave them; the labels have no place here.
                layer.tops = [layer.tops.first ?? "data"]
            }
            layer.phase = nil
            layers.append(layer)
        }
        layers.append(LayerSpec(name: "prob", kind: .softmax(SoftmaxParams()), bottoms: [scores], tops: ["prob"]))
        return (NetSpec(name: net.name, layers: layers), "prob")
    }

    private func inputSize(data: DataParams, mean: MeanImage?) throws -> (Int, Int, Int) {
        var channels = mean?.channels, height = mean?.height, width = mean?.width
        if channels == nil, FileManager.default.fileExists(atPath: data.source) {
            let cursor = try RecordDatabases.open(path: data.source).makeCursor()
            var datum = try Caffe_Datum(record: try cursor.next().value)
            if datum.encoded { datum = try datum.decoded() }
            (channels, height, width) = (datum.shape[0], datum.shape[1], datum.shape[2])
        }
        if let resize {
            let parts = resize.lowercased().split(separator: "x").compactMap { Int($0) }
            guard parts.count == 2, parts[0] > 0, parts[1] > 0 else {
                throw CLIError("--resize \(resize): expected WIDTHxHEIGHT, e.g. 256x256")
            }
            (width, height) = (parts[0], parts[1])
        }
        guard let c = channels, let h = height, let w = width else {
            throw CLIError("cannot tell the input size: neither the mean file nor the TEST database (\(data.source)) is here; pass --resize WxH")
        }
        return (c, h, w)
    }

    private func classNames(data: DataParams, classes: Int) throws -> [String] {
        var candidates: [String] = []
        if let labels { candidates.append(labels) }
        candidates.append(URL(fileURLWithPath: data.source).deletingLastPathComponent().appendingPathComponent("labels.txt").path)
        if classes == 1000 {
            candidates += ["data/ilsvrc12/synset_words.txt", "../shared/data/imagenet/synset_words.txt"]
        }
        for path in candidates where FileManager.default.fileExists(atPath: path) {
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
            guard lines.count >= classes else {
                throw CLIError("\(path) names \(lines.count) classes but the net has \(classes) outputs")
            }
            return lines
        }
        if let labels { throw CLIError("labels file \(labels) not found") }
        return (0..<classes).map { "class \($0)" }
    }
}
