import Foundation

/// Averages a replica's gradients over every rank of a ``Communicator`` after each backward pass,
/// as PyTorch's `DistributedDataParallel` does.
///
/// The parameters are packed into buckets in reverse order (the order backward finishes them),
/// the first bucket holding at most ``firstBucketCapacity`` bytes and the others
/// ``bucketCapacity`` (DDP's 1 MB and 25 MB). During ``backward(_:)`` a bucket's sum starts as
/// soon as all of its gradients are final, while backward goes on with earlier layers; buckets
/// are started in bucket order on every rank, so every rank makes the same calls in the same
/// order. A parameter no path reaches counts as a zero gradient. The sums are divided by the
/// number of ranks, so each replica ends with the mean gradient: the gradient of the mean loss
/// over the global batch when every rank's loss is the mean over an equal share of it.
public final class DataParallel {
    public let communicator: any Communicator
    /// The parameters whose gradients are averaged.
    public let parameters: [Tensor]
    /// Indices into ``parameters`` of each bucket, in the order they are reduced.
    public let buckets: [[Int]]
    public static let bucketCapacity = 25 << 20
    public static let firstBucketCapacity = 1 << 20

    /// Each bucket's packed gradients: allocated once, and at a fixed address while a sum runs.
    private let storage: [UnsafeMutableBufferPointer<Float>]
    private var bucketOf: [ObjectIdentifier: Int] = [:]
    private var readyCount: [Int]
    private var pending: [(any PendingReduction)?]
    private var nextToStart = 0
    /// Seconds this object has spent in its own work since it was made: packing, starting and
    /// waiting for sums and unpacking them (what a step pays for averaging; a sum running while
    /// backward computes is not counted).
    public private(set) var communicationSeconds = 0.0

    /// - Parameters:
    ///   - bucketCapacity, firstBucketCapacity: bytes of gradients per bucket (a parameter larger
    ///     than that gets a bucket of its own).
    public init(parameters: [Tensor], communicator: any Communicator, bucketCapacity: Int = DataParallel.bucketCapacity,
                firstBucketCapacity: Int = DataParallel.firstBucketCapacity) {
        self.parameters = parameters
        self.communicator = communicator
        var buckets: [[Int]] = []
        var current: [Int] = [], bytes = 0
        for index in parameters.indices.reversed() {
            let size = parameters[index].count * MemoryLayout<Float>.size
            let capacity = buckets.isEmpty ? firstBucketCapacity : bucketCapacity
            if !current.isEmpty && bytes + size > capacity {
                buckets.append(current)
                (current, bytes) = ([], 0)
            }
            current.append(index)
            bytes += size
        }
        if !current.isEmpty { buckets.append(current) }
        self.buckets = buckets
        storage = buckets.map { bucket in
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: bucket.reduce(0) { $0 + parameters[$1].count })
            buffer.initialize(repeating: 0)
            return buffer
        }
        readyCount = Array(repeating: 0, count: buckets.count)
        pending = Array(repeating: nil, count: buckets.count)
        for (b, bucket) in buckets.enumerated() {
            for index in bucket { bucketOf[ObjectIdentifier(parameters[index])] = b }
        }
    }

    deinit {
        // A sum still running (backward threw) must finish before its buffer goes.
        for reduction in pending { try? reduction?.wait() }
        for buffer in storage { buffer.deallocate() }
    }

    /// Runs `loss.backward()` and leaves every parameter's ``Tensor/grad`` as the mean over all
    /// ranks, reducing each bucket while backward computes the rest.
    /// - Throws: ``ConvNetError`` from backward or from the communicator.
    public func backward(_ loss: Tensor) throws {
        readyCount = readyCount.map { _ in 0 }
        nextToStart = 0
        guard communicator.size > 1 else { return try loss.backward() }
        try loss.backward(gradientReady: { [unowned self] leaf in
            guard let b = bucketOf[ObjectIdentifier(leaf)] else { return }
            let start = Stopwatch.now()
            defer { communicationSeconds += Stopwatch.now() - start }
            readyCount[b] += 1
            try startCompleteBuckets()
            // MPI moves a started sum along only inside MPI calls: look in on the oldest one.
            if let oldest = pending[..<nextToStart].first(where: { $0 != nil }), let oldest { _ = try oldest.test() }
        })
        try finish()
    }

    /// Averages the gradients already computed (for a loop that ran backward itself): every
    /// bucket is reduced now, in order.
    public func averageGradients() throws {
        guard communicator.size > 1 else { return }
        nextToStart = 0
        readyCount = buckets.map(\.count)
        try finish()
    }

    /// Reduces every bucket not started yet (parameters backward never reached count as zeros),
    /// waits for each in order and writes the means back.
    private func finish() throws {
        let start = Stopwatch.now()
        defer { communicationSeconds += Stopwatch.now() - start }
        for b in buckets.indices { readyCount[b] = buckets[b].count }
        // Nothing is left to overlap: Open MPI's blocking sum is faster than its non-blocking one.
        try startCompleteBuckets(blocking: true)
        let scale = Float(communicator.size)
        for b in buckets.indices {
            try pending[b]?.wait()
            pending[b] = nil
            do {
                let packed = storage[b]
                var offset = 0
                for index in buckets[b] {
                    let parameter = parameters[index]
                    if parameter.grad == nil { parameter.grad = Tensor.zeros(parameter.shape) }
                    parameter.grad!.withUnsafeMutableBufferPointer { grad in
                        for i in 0..<grad.count { grad[i] = packed[offset + i] / scale }
                    }
                    offset += parameter.count
                }
            }
        }
    }

    /// Packs and starts, in bucket order, every bucket whose gradients are all final (or, with
    /// `blocking`, reduces it at once).
    private func startCompleteBuckets(blocking: Bool = false) throws {
        while nextToStart < buckets.count && readyCount[nextToStart] == buckets[nextToStart].count {
            let b = nextToStart
            do {
                let packed = storage[b]
                var offset = 0
                for index in buckets[b] {
                    let parameter = parameters[index]
                    let slot = UnsafeMutableBufferPointer(rebasing: packed[offset..<(offset + parameter.count)])
                    if let grad = parameter.grad {
                        grad.withUnsafeBufferPointer { _ = slot.update(fromContentsOf: $0) }
                    } else {
                        slot.update(repeating: 0)
                    }
                    offset += parameter.count
                }
                if blocking {
                    try communicator.allReduceSum(packed)
                } else {
                    pending[b] = try communicator.startAllReduceSum(packed)
                }
            }
            nextToStart += 1
        }
    }
}
