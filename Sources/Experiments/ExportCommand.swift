import ArgumentParser
import Foundation
import NetDSL
import Runtime

/// Writes a trained run as a Caffe deploy net (deploy.prototxt + .caffemodel) that Caffe and
/// OpenCV's dnn module load.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a run (newest snapshot) or a snapshot as a Caffe deploy.prototxt and .caffemodel.")

    @Argument(help: "A run folder (results/<recipe>/<run>) or a .caffemodel in its snapshots/ folder.")
    var source: String

    @Option(help: ArgumentHelp("Folder to create with deploy.prototxt and the weights.", valueName: "OUT_DIR"))
    var deploy: String

    @Option(help: "Input shape N,C,H,W (default: 1 and the TEST data's channels and crop).")
    var inputShape: String?

    @Flag(help: "Write into OUT_DIR even if it exists.")
    var force = false

    func run() throws {
        let out = try export()
        print("Wrote \(out.appendingPathComponent("deploy.prototxt").path) and its weights")
    }

    /// Writes the deploy files; returns the output folder.
    @discardableResult
    func export() throws -> URL {
        let fm = FileManager.default
        let (runFolder, snapshot) = try locate()
        let recordData = try Data(contentsOf: runFolder.appendingPathComponent("recipe.json"))
        let record = try SpecJSON.decoder().decode(RunRecord.self, from: recordData)
        let net = record.net
        guard let dataIndex = net.dataLayerIndex(in: .test), case .data(let data) = net.layers[dataIndex].kind else {
            throw CLIError("the run's TEST net has no Data layer to take the input shape from")
        }
        let shape = try inputShape.map(Self.parseShape) ?? Self.testInputShape(data)
        let (spec, _) = try ClassifyCommand.deployNet(net, data: dataIndex, shape: shape)

        let stored = try CaffeModel.read(from: snapshot).layers
        var byName: [String: CaffeModelLayer] = [:]
        for layer in stored { byName[layer.name] = layer }
        var kept: [CaffeModelLayer] = []
        for layer in spec.layers {
            switch layer.kind {
            case .convolution, .innerProduct:
                guard let weights = byName[layer.name] else {
                    throw CLIError("\(snapshot.path) has no weights for layer \(layer.name)")
                }
                kept.append(weights)
            default: break
            }
        }

        let outURL = URL(fileURLWithPath: deploy)
        if fm.fileExists(atPath: outURL.path) {
            guard force else { throw CLIError("\(deploy) exists; pass --force to write into it") }
        } else {
            try fm.createDirectory(at: outURL, withIntermediateDirectories: true)
        }
        let text = try DeployPrototxt.text(for: spec)
        try writeAtomically(Data(text.utf8), to: outURL.appendingPathComponent("deploy.prototxt"))
        let modelName = snapshot.deletingPathExtension().lastPathComponent + ".caffemodel"
        try CaffeModel.write(netName: spec.name, layers: kept, to: outURL.appendingPathComponent(modelName))
        return outURL
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
        let snapshots = url.appendingPathComponent("snapshots")
        let names = (try? fm.contentsOfDirectory(atPath: snapshots.path)) ?? []
        let newest = names.filter { $0.hasSuffix(".caffemodel") }
            .compactMap { name -> (Int, String)? in
                guard let range = name.range(of: "_iter_", options: .backwards),
                      let n = Int(name[range.upperBound...].dropLast(".caffemodel".count)) else { return nil }
                return (n, name)
            }
            .max { $0.0 < $1.0 }
        guard let newest else { throw CLIError("\(source) has no snapshots to export") }
        return (url, snapshots.appendingPathComponent(newest.1))
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
            let cursor = try LMDBReader(path: data.source).makeCursor()
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
