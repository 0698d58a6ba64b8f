import ConvNet
/// Timings of gradient averaging over a ``Communicator`` (`convnet bench allreduce` under mpirun).
public enum DistributedBenchmarks {
    /// Median times, on this rank, of averaging a model's gradients.
    public struct AllReduceResult: Codable, Sendable {
        public var model: String
        public var ranks: Int
        public var floats: Int
        public var buckets: Int
        /// What a training step's backward leaves to ``DataParallel``: the gradients are already in
        /// its buckets and divided, and each bucket is summed (`averageGradients(alreadyDivided: true)`).
        public var bucketedMilliseconds: Double
        /// One `MPI_Allreduce` of all the floats in one buffer, nothing else.
        public var rawMilliseconds: Double
        /// Bucketed over raw, minus one, in percent.
        public var overheadPercent: Double
        public var rounds: Int

        enum CodingKeys: String, CodingKey {
            case model, ranks, floats, buckets, rounds
            case bucketedMilliseconds = "bucketed_ms", rawMilliseconds = "raw_allreduce_ms", overheadPercent = "overhead_percent"
        }
    }

    /// Times averaging `model`'s gradients (random values) both ways, alternating, `rounds` times
    /// each (a fixed count: every rank must make the same calls). Every rank must call it.
    public static func allReduce(model name: String, communicator: any Communicator, rounds: Int = 20) throws -> AllReduceResult {
        guard rounds >= 1, rounds <= 10_000 else { throw ConvNetError(op: "bench", "`rounds` \(rounds) must lie in 1…10,000") }
        let model = try ModelZoo.make(name, classes: try ModelZoo.entry(name).classes)
        let parameters = model.parameters
        var generator = RandomGenerator(seed: UInt64(communicator.rank))
        for p in parameters { p.grad = Tensor.randn(p.shape, generator: &generator) }
        let parallel = DataParallel(parameters: parameters, communicator: communicator)
        let floats = parameters.reduce(0) { $0 + $1.count }
        var flat = [Float](repeating: 1, count: floats)
        var bucketed: [Double] = [], raw: [Double] = []
        for round in 0..<(rounds + 1) {
            // Start together: a one-number sum works as a barrier.
            _ = try communicator.allReduceSum([0])
            var start = Stopwatch.now()
            try parallel.averageGradients(alreadyDivided: true)
            let b = Stopwatch.now() - start
            _ = try communicator.allReduceSum([0])
            start = Stopwatch.now()
            try flat.withUnsafeMutableBufferPointer { try communicator.allReduceSum($0) }
            let r = Stopwatch.now() - start
            if round > 0 { (bucketed, raw) = (bucketed + [b * 1000], raw + [r * 1000]) }  // the first round warms up
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        let (mb, mr) = (median(bucketed), median(raw))
        return AllReduceResult(model: name, ranks: communicator.size, floats: floats, buckets: parallel.buckets.count,
                               bucketedMilliseconds: mb, rawMilliseconds: mr, overheadPercent: 100 * (mb / mr - 1), rounds: rounds)
    }
}
