import ArgumentParser
import Foundation
import NetDSL
import Runtime

/// Writes a trained run as a Caffe deploy net (deploy.prototxt + .caffemodel) that Caffe and
/// OpenCV's dnn module load, and/or as an ONNX model that ONNX runtimes load.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a run (newest snapshot) or a snapshot as a Caffe deploy.prototxt and .caffemodel, or as ONNX.")

    @Argument(help: "A run folder (results/<recipe>/<run>) or a .caffemodel in its snapshots/ folder.")
    var source: String

    @Option(help: ArgumentHelp("Folder to create with deploy.prototxt and the weights.", valueName: "OUT_DIR"))
    var deploy: String?

    @Option(help: ArgumentHelp("ONNX model to write (operator set 13; input \"data\", already preprocessed as the TEST data; output \"prob\").",
                               valueName: "OUT.onnx"))
    var onnx: String?

    @Option(help: "Input shape N,C,H,W (default: 1 and the TEST data's channels and crop).")
    var inputShape: String?

    @Flag(help: "Write into OUT_DIR, or over OUT.onnx, even if it exists.")
    var force = false

    func validate() throws {
        guard deploy != nil || onnx != nil else {
            throw ValidationError("say what to write: --deploy OUT_DIR, --onnx OUT.onnx, or both")
        }
    }

    func run() throws {
        var note: [String] = []
        for file in try export(inputNote: { note = $0 }) { print("Wrote \(file.path)") }
        if !note.isEmpty { print(note.joined(separator: "\n")) }
    }

    /// Writes the deploy files and/or the ONNX model; returns the files written. `inputNote`
    /// hears what the Input expects (the TEST transform), also written atop deploy.prototxt.
    @discardableResult
    func export(inputNote: ([String]) -> Void = { _ in }) throws -> [URL] {
        let fm = FileManager.default
        guard deploy != nil || onnx != nil else {
            throw CLIError("say what to write: --deploy OUT_DIR, --onnx OUT.onnx, or both")
        }
        // Refuse before writing anything, so an export never stops half done.
        if let deploy, fm.fileExists(atPath: deploy), !force {
            throw CLIError("\(deploy) exists; pass --force to write into it")
        }
        if let onnx, fm.fileExists(atPath: onnx), !force {
            throw CLIError("\(onnx) exists; pass --force to overwrite it")
        }
        let (runFolder, snapshot) = try locate()
        let recordData = try Data(contentsOf: runFolder.appendingPathComponent("recipe.json"))
        let record = try SpecJSON.decoder().decode(RunRecord.self, from: recordData)
        let net = record.net
        guard let dataIndex = net.dataLayerIndex(in: .test), case .data(let data) = net.layers[dataIndex].kind else {
            throw CLIError("the run's TEST net has no Data layer to take the input shape from")
        }
        let shape = try inputShape.map(Self.parseShape) ?? Self.testInputShape(data)
        let (spec, _) = try ClassifyCommand.deployNet(net, data: dataIndex, shape: shape)
        // A mean file that is here must read; one that is not is only named in the note.
        let mean = try data.transform.meanFile.flatMap { path in
            FileManager.default.fileExists(atPath: path) ? try MeanFile.read(URL(fileURLWithPath: path)) : nil
        }
        let note = DeployInputNote.lines(data: data, input: net.layers[dataIndex].tops.first ?? "data", shape: shape, mean: mean)
        // The net is compiled, with the snapshot's weights, before any file is written: a
        // recipe.json edited by hand into a net that cannot work (a negative size, a kernel
        // larger than its input) stops here, naming the layer, as does a net ONNX cannot express.
        let graph = try WeightsLocation.inferenceGraph(spec, weights: snapshot, recipe: record.recipe, runs: false)
        let onnxModel = try onnx.map { _ in try onnxBytes(graph, spec: spec, snapshot: snapshot, note: note) }
        var written: [URL] = []
        if let deploy { written += try writeDeploy(spec, snapshot: snapshot, to: URL(fileURLWithPath: deploy), note: note) }
        if let onnx, let onnxModel {
            let url = URL(fileURLWithPath: onnx)
            let folder = url.deletingLastPathComponent()
            if !fm.fileExists(atPath: folder.path) {
                try fm.createDirectory(at: folder, withIntermediateDirectories: true)
            }
            try writeAtomically(onnxModel, to: url)
            written.append(url)
        }
        inputNote(note)
        return written
    }

    /// deploy.prototxt and the snapshot's weights for it, in `outURL`.
    private func writeDeploy(_ spec: NetSpec, snapshot: URL, to outURL: URL, note: [String]) throws -> [URL] {
        let fm = FileManager.default
        let stored = try CaffeModel.read(from: snapshot).layers
        var byName: [String: CaffeModelLayer] = [:]
        for layer in stored { byName[layer.name] = layer }
        var kept: [CaffeModelLayer] = []
        for layer in spec.layers where !layer.kind.parameterBlobs(inputs: layer.bottoms.count).isEmpty {
            guard let weights = byName[layer.name] else {
                throw CLIError("\(snapshot.path) has no weights for layer \(layer.name)")
            }
            kept.append(weights)
        }

        if !fm.fileExists(atPath: outURL.path) {
            try fm.createDirectory(at: outURL, withIntermediateDirectories: true)
        }
        let text = try DeployPrototxt.text(for: spec, comments: note)
        let prototxt = outURL.appendingPathComponent("deploy.prototxt")
        try writeAtomically(Data(text.utf8), to: prototxt)
        let modelName = snapshot.deletingPathExtension().lastPathComponent + ".caffemodel"
        let weights = outURL.appendingPathComponent(modelName)
        try CaffeModel.write(netName: spec.name, layers: kept, to: weights)
        return [prototxt, weights]
    }

    /// The deploy net, compiled with the snapshot's weights, as a serialized ONNX model.
    private func onnxBytes(_ graph: Graph, spec: NetSpec, snapshot: URL, note: [String]) throws -> Foundation.Data {
        try ONNXExport.serializedModel(
            of: graph, docString: "\(spec.name) from \(snapshot.lastPathComponent), exported by Crema. " + note.joined(separator: "\n"))
    }

    /// The run folder and the snapshot to export.
    private func locate() throws -> (URL, URL) {
        let url = URL(fileURLWithPath: source).standardizedFileURL
        let fm = FileManager.default
        if url.pathExtension == "caffemodel" {
            guard fm.fileExists(atPath: url.path) else { throw CLIError("\(source) not found") }
            let run = url.deletingLastPathComponent().deletingLastPathComponent()
            guard fm.fileExists(atPath: run.appendingPathComponent("recipe.json").path) else {
                throw CLIError("\(source) is not inside a run's snapshots/ folder (no recipe.json two levels up)")
            }
            return (run, url)
        }
        guard fm.fileExists(atPath: url.appendingPathComponent("recipe.json").path) else {
            throw CLIError("\(source) is not a run folder: it has no recipe.json")
        }
        guard let newest = WeightsLocation.newestSnapshot(in: url.appendingPathComponent("snapshots")) else {
            throw CLIError("\(source) has no snapshots to export")
        }
        return (url, newest)
    }

    static func parseShape(_ text: String) throws -> [Int] {
        let dims = text.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard dims.count == 4, dims.allSatisfy({ $0 > 0 }) else {
            throw CLIError("--input-shape \(text): expected N,C,H,W, e.g. 1,3,227,227")
        }
        return dims
    }

    /// [1, C, crop, crop] from the mean file or the first record of the TEST database.
    static func testInputShape(_ data: DataParams) throws -> [Int] {
        var chw: [Int]?
        if let meanFile = data.transform.meanFile, FileManager.default.fileExists(atPath: meanFile) {
            let mean = try MeanFile.read(URL(fileURLWithPath: meanFile))
            chw = [mean.channels, mean.height, mean.width]
        } else if FileManager.default.fileExists(atPath: data.source) {
            let cursor = try RecordDatabases.open(path: data.source).makeCursor()
            var datum = try Caffe_Datum(record: try cursor.next().value)
            if datum.encoded { datum = try datum.decoded() }
            chw = Array(datum.shape.prefix(3))
        }
        guard let chw, chw.count == 3 else {
            throw CLIError("cannot tell the input shape: neither the mean file nor the TEST database (\(data.source)) is here; pass --input-shape N,C,H,W")
        }
        let crop = data.transform.cropSize
        return crop > 0 ? [1, chw[0], crop, crop] : [1, chw[0], chw[1], chw[2]]
    }
}
