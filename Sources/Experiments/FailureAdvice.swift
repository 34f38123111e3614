import Foundation
import NetDSL
import Runtime

/// What to do next when a run cannot start, for the failures a new user meets first.
enum FailureAdvice {
    static func nextSteps(after error: Error, recipe: String, net: NetSpec) -> String? {
        let data = error as? DataError ?? (error as? LayerError)?.underlying as? DataError
        guard case let .databaseMissing(path, _)? = data else {
            return nil
        }
        let phases = net.layers.compactMap { layer -> Phase? in
            guard case .data(let p) = layer.kind, p.source == path else { return nil }
            return layer.phase ?? .train
        }
        let key = "data.\((phases.first ?? .train).rawValue).source"
        var steps: [String] = []
        if path.contains("ilsvrc12") {
            steps.append("make it from ImageNet's images with `experiments prepare imagenet --train-root ... --val-root ... --train-list ... --val-list ...` (the README's \"Brewing ImageNet, step by step\")")
        } else {
            steps.append("make it from a folder of images and a list file with `experiments prepare imageset` (the README's \"Preparing images\")")
        }
        steps.append("point the recipe at a database you have: --set \(key)=PATH")
        steps.append("or see the net run on generated inputs, without data: `experiments time \(recipe)`")
        return "Next steps:\n" + steps.map { "  - " + $0 }.joined(separator: "\n")
    }
}
