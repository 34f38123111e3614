import Foundation
import NetDSL
import Runtime

/// Makes the databases a recipe reads when Crema can make them by itself (Fashion-MNIST).
enum DataPreparation {
    /// Prepares Fashion-MNIST where a Data layer reads `.../fashion-mnist/{train,test}_lmdb`
    /// that is missing; other missing sources are left for the data layer to report.
    static func prepareMissing(for net: NetSpec, log: @escaping (String) -> Void) throws {
        var folders: Set<String> = []
        for layer in net.layers {
            guard case .data(let p) = layer.kind else { continue }
            let url = URL(fileURLWithPath: p.source)
            let folder = url.deletingLastPathComponent()
            guard folder.lastPathComponent == "fashion-mnist",
                  ["train_lmdb", "test_lmdb"].contains(url.lastPathComponent),
                  !FashionMNIST.isPrepared(at: folder) else { continue }
            folders.insert(folder.path)
        }
        for folder in folders.sorted() {
            log("Preparing Fashion-MNIST into \(folder) (once; `experiments prepare fashion-mnist` does the same)")
            let summary = try FashionMNIST.prepare(into: URL(fileURLWithPath: folder), progress: log)
            log("\(summary)")
        }
    }
}
