import Foundation

/// Averages a replica's gradients over every rank of a ``Communicator`` in each backward pass,
/// as PyTorch's `DistributedDataParallel` does.
///
/// The parameters are grouped into buckets in reverse order (the order backward finishes them),
/// the first bucket holding at most ``firstBucketCapacity`` bytes and the others
/// ``bucketCapacity`` (DDP's 1 MB and 25 MB). Each parameter's gradient lives in its bucket: the
/// bucket's memory is where backward writes it (DDP's `gradient_as_bucket_view`), so nothing is
/// copied before or after the sums. ``backward(_:)`` seeds backward with 1/ranks instead of 1, so
/// the gradients come out divided and their sum is the mean. During backward a bucket's
/// `MPI_Iallreduce` starts as soon as all of its gradients are final, while backward goes on with
/// earlier layers; buckets start in bucket order on every rank, so every rank makes the same calls
/// in the same order. What is left when backward ends is summed with the blocking call. A
/// parameter no path reaches counts as a zero gradient.
///
/// With every rank's loss the mean over an equal share of the global batch, each replica ends
/// with the gradient of the mean loss over the global batch.
public final class DataParallel {
    /// The ranks whose gradients are averaged.
    public let communicator: any Communicator
    /// The parameters whose gradients are averaged.
    public let parameters: [Tensor]
    /// Indices into ``parameters`` of each bucket, in the order they are reduced.
    public let buckets: [[Int]]
    /// Bytes of gradients per bucket after the first (DDP's 25 MB).
    public static let bucketCapacity = 25 << 20
    /// Bytes of gradients in the first bucket, the one backward finishes first (DDP's 1 MB).
    public static let firstBucketCapacity = 1 << 20

    /// Each bucket's memory, holding its parameters' gradients one after another (each at a
    /// 64-byte boundary); the gradient tensors borrow it.
    private final class BucketMemory {
        let buffers: [UnsafeMutableBufferPointer<Float>]
        init(sizes: [Int]) {
            buffers = sizes.map { size in
                let buffer = UnsafeMutableBufferPointer<Float>(start: UnsafeMutablePointer<Float>.allocate(capacity: max(size, 1)), count: size)
                buffer.initialize(repeating: 0)
                return buffer
            }
        }
        deinit { for buffer in buffers { buffer.baseAddress?.deallocate() } }
    }

    private let memory: BucketMemory
    /// Each parameter's gradient as a window into its bucket.
    private let views: [Tensor]
    private var bucketOf: [ObjectIdentifier: (bucket: Int, parameter: Int)] = [:]
    private var readyCount: [Int]
    private var pending: [(any PendingReduction)?]
    private var nextToStart = 0
    /// Seconds this object has spent in its own work since it was made: starting, progressing
    /// and waiting for sums (what a step pays for averaging; a sum running while backward
    /// computes is not counted).
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
        // Offsets rounded up to 16 floats: every gradient starts on a cache line, as allocated tensors do.
        func rounded(_ n: Int) -> Int { (n + 15) / 16 * 16 }
        var offsets = [Int](repeating: 0, count: parameters.count)
        let sizes = buckets.map { bucket in
            bucket.reduce(0) { offset, index in
                offsets[index] = offset
                return offset + rounded(parameters[index].count)
            }
        }
        let memory = BucketMemory(sizes: sizes)
        self.memory = memory
        var views = [Tensor?](repeating: nil, count: parameters.count)
        for (b, bucket) in buckets.enumerated() {
            for index in bucket {
                views[index] = Tensor.borrowing(memory.buffers[b].baseAddress! + offsets[index], shape: parameters[index].shape, owner: memory)
                bucketOf[ObjectIdentifier(parameters[index])] = (b, index)
            }
        }
        self.views = views.map { $0! }
        readyCount = Array(repeating: 0, count: buckets.count)
        pending = Array(repeating: nil, count: buckets.count)
        if communicator.size > 1 {
            for (parameter, view) in zip(parameters, self.views) { parameter.gradientDestination = view }
        }
    }

    deinit {
        // A sum still running (backward threw) must finish before its buffer goes.
        for reduction in pending { try? reduction?.wait() }
        for parameter in parameters { parameter.gradientDestination = nil }
    }

    /// Runs backward from `loss` (seeded with 1/ranks) and leaves every parameter's
    /// ``Tensor/grad`` as the mean over all ranks, summing each bucket while backward computes the rest.
    /// Zero the gradients before (`optimizer.zeroGrad()`): a gradient left from an earlier step
    /// would be summed over the ranks again.
    /// - Throws: ``ConvNetError`` from backward or from the communicator.
    public func backward(_ loss: Tensor) throws {
        let ranks = communicator.size
        guard ranks > 1 else { return try loss.backward() }
        for b in pending.indices where pending[b] != nil {  // left by a pass that threw
            try pending[b]?.wait()
            pending[b] = nil
        }
        readyCount = readyCount.map { _ in 0 }
        nextToStart = 0
        try loss.backward(Tensor.full(loss.shape, 1 / Float(ranks)), gradientReady: { [unowned self] leaf in
            guard let (b, index) = bucketOf[ObjectIdentifier(leaf)] else { return }
            let start = Stopwatch.now()
            defer { communicationSeconds += Stopwatch.now() - start }
            placeInBucket(index)
            readyCount[b] += 1
            try startCompleteBuckets()
            // MPI moves a started sum along only inside MPI calls: look in on the oldest one.
            if let oldest = pending[..<nextToStart].first(where: { $0 != nil }), let oldest { _ = try oldest.test() }
        })
        try finish(divide: false)
    }

    /// Averages gradients computed by a backward pass of the caller's own: every bucket is summed
    /// now, in order, and divided by the number of ranks unless `alreadyDivided` (backward was
    /// seeded with 1/ranks, as ``backward(_:)`` seeds it).
    ///
    /// Zero the gradients before each backward pass: a gradient left from an earlier step would
    /// be summed over the ranks again.
    public func averageGradients(alreadyDivided: Bool = false) throws {
        guard communicator.size > 1 else { return }
        for index in parameters.indices { placeInBucket(index) }
        readyCount = readyCount.map { _ in 0 }
        nextToStart = 0
        try finish(divide: !alreadyDivided)
    }

    /// Makes parameter `index`'s gradient its bucket window (copying a gradient that lives
    /// elsewhere, e.g. one set before this object existed; zeros for none).
    private func placeInBucket(_ index: Int) {
        let parameter = parameters[index], view = views[index]
        guard parameter.grad !== view else { return }
        view.withUnsafeMutableBufferPointer { slot in
            if let grad = parameter.grad {
                grad.withUnsafeBufferPointer { _ = slot.update(fromContentsOf: $0) }
            } else {
                slot.update(repeating: 0)
            }
        }
        parameter.grad = view
    }

    /// Sums every bucket not started yet (parameters backward never reached count as zeros),
    /// waits for each in order, and with `divide` divides the sums by the number of ranks.
    private func finish(divide: Bool) throws {
        let start = Stopwatch.now()
        defer { communicationSeconds += Stopwatch.now() - start }
        for (b, bucket) in buckets.enumerated() where readyCount[b] < bucket.count {
            for index in bucket { placeInBucket(index) }
            readyCount[b] = bucket.count
        }
        // Nothing is left to overlap: Open MPI's blocking sum is faster than its non-blocking one.
        try startCompleteBuckets(blocking: true)
        for b in buckets.indices {
            try pending[b]?.wait()
            pending[b] = nil
        }
        if divide {
            let scale = Float(communicator.size)
            for buffer in memory.buffers {
                for i in buffer.indices { buffer[i] /= scale }
            }
        }
    }

    /// Starts, in bucket order, the sum of every bucket whose gradients are all final (or, with
    /// `blocking`, computes it at once).
    private func startCompleteBuckets(blocking: Bool = false) throws {
        while nextToStart < buckets.count && readyCount[nextToStart] == buckets[nextToStart].count {
            let buffer = memory.buffers[nextToStart]
            if blocking {
                try communicator.allReduceSum(buffer)
            } else {
                pending[nextToStart] = try communicator.startAllReduceSum(buffer)
            }
            nextToStart += 1
        }
    }
}
