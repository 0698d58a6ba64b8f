import ConvNet

/// A tensor as the fixture tools summarise PyTorch's (`summarize` in Tools/reference_models.py):
/// its name, shape, first and last 8 values, sum and sum of magnitudes.
struct TensorSummary {
    let name: String
    let shape: [Int]
    /// The first 8 values, then the last 8.
    let ends: [Float]
    let sum: Double
    let absSum: Double

    /// The summaries of a fixture's list; `nil` if it is not one.
    static func list(_ json: Any?) -> [TensorSummary]? {
        guard let entries = json as? [[String: Any]] else { return nil }
        let summaries = entries.compactMap { entry -> TensorSummary? in
            guard let name = entry["name"] as? String, let shape = entry["shape"] as? [Int],
                  let first = entry["first"] as? [Double], let last = entry["last"] as? [Double],
                  let sum = entry["sum"] as? Double, let absSum = entry["abs_sum"] as? Double else { return nil }
            return TensorSummary(name: name, shape: shape, ends: (first + last).map(Float.init), sum: sum, absSum: absSum)
        }
        return summaries.count == entries.count ? summaries : nil
    }

    /// The values `ends` holds, taken from `values` (first 8, then last 8).
    static func ends(of values: [Float]) -> [Float] { Array(values.prefix(8) + values.suffix(8)) }

    /// The sum of `values` in double precision.
    static func sum(of values: [Float]) -> Double { values.reduce(0.0) { $0 + Double($1) } }
}
