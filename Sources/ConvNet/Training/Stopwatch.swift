import Foundation

/// Median wall time of repeated runs after warm-up, the way the PyTorch side of our benchmarks
/// (`shared/reference/torch_conv.py`) measures: 3 warm-up runs, then enough repetitions for about
/// `budget` seconds (at least 5, at most 50), and the median.
public enum Stopwatch {
    /// Seconds since an arbitrary start, monotonic.
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Median milliseconds of `body`.
    public static func medianMilliseconds(budget: Double = 2, minRepeats: Int = 5, maxRepeats: Int = 50,
                                          _ body: () throws -> Void) rethrows -> Double {
        for _ in 0..<3 { try body() }
        var t0 = now()
        try body()
        let one = now() - t0
        let repeats = max(minRepeats, min(maxRepeats, Int(budget / max(one, 1e-6))))
        var times: [Double] = []
        times.reserveCapacity(repeats)
        for _ in 0..<repeats {
            t0 = now()
            try body()
            times.append(now() - t0)
        }
        times.sort()
        let mid = times.count / 2
        let median = times.count % 2 == 1 ? times[mid] : (times[mid - 1] + times[mid]) / 2
        return median * 1e3
    }
}
