/// "Did you mean ...?" for a name typed by hand (a `--set` key, a recipe, a command): the
/// known names a few edits away, closest first.
public enum Suggestions {
    /// Known names within about a third of `word`'s length in edits (case ignored), or that
    /// contain it, closest first, at most `limit`.
    public static func closest(to word: String, among names: [String], limit: Int = 3) -> [String] {
        let typed = word.lowercased()
        guard !typed.isEmpty else { return [] }
        let allowed = max(1, typed.count / 3)
        let scored = names.compactMap { name -> (String, Int)? in
            let known = name.lowercased()
            if known == typed { return nil }
            let distance = editDistance(typed, known)
            if distance <= allowed { return (name, distance) }
            if typed.count >= 3 && known.contains(typed) { return (name, allowed + 1) }
            return nil
        }
        return scored.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.prefix(limit).map(\.0)
    }

    /// " Did you mean 'a' or 'b'?" (with a leading space), or "" when nothing is close.
    public static func didYouMean(_ word: String, among names: [String]) -> String {
        let close = closest(to: word, among: names)
        guard !close.isEmpty else { return "" }
        return " Did you mean " + close.map { "'\($0)'" }.joined(separator: " or ") + "?"
    }

    /// Levenshtein distance, with a swap of two neighbours counted as one edit.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        guard !x.isEmpty else { return y.count }
        guard !y.isEmpty else { return x.count }
        var previous2 = [Int](repeating: 0, count: y.count + 1)
        var previous = Array(0...y.count)
        var current = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                var best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] { best = min(best, previous2[j - 2] + 1) }
                current[j] = best
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[y.count]
    }
}
