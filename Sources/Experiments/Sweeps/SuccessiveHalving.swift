/// Successive halving, ASHA-style (Li et al. 2020, asynchronous): runs are judged at rungs, the
/// test passes at the first test iteration times 1, `rate`, `rate`², ...; at each rung a run goes
/// on only while its score is among the best 1/`rate` of the scores every run has reached there
/// with, so a wide sweep spends its time on the settings that are winning. Runs are never paused
/// for promotion: one that reaches a rung before `rate` runs have is let through.
struct SuccessiveHalving {
    var rate = 3

    /// Whether `iteration` is a rung for a run whose first test after iteration 0 came at `first`.
    func isRung(_ iteration: Int, first: Int) -> Bool {
        guard first > 0, iteration >= first, iteration % first == 0 else { return false }
        var step = iteration / first
        while step % rate == 0 { step /= rate }
        return step == 1
    }

    /// Whether a run with `score` at a rung goes on, given the scores others reached there.
    func continues(_ score: Double, others: [Double], lowerIsBetter: Bool) -> Bool {
        let n = others.count + 1
        guard n >= rate else { return true }
        let better = others.filter { lowerIsBetter ? $0 < score : $0 > score }.count
        return better < max(1, n / rate)
    }
}
