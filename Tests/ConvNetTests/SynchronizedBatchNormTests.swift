import ConvNet
import Dispatch
import Foundation
import Testing

// Synchronized batch norm against the ordinary one: on one replica it must be `batchNorm` itself;
// on several replicas (threads here, MPI ranks in training) each holding a slice of a batch, the
// replicas' outputs and running statistics must be those of one batch norm over the whole batch,
// and their gradients those of the sum of the replicas' losses.

/// An allreduce between threads: replica `rank` deposits its buffer, waits for the others, and
/// every replica reads the same sum, added in rank order. Waits at most 30 s for a missing replica.
private final class ThreadReplicaSum: @unchecked Sendable {
    let replicas: Int
    private let condition = NSCondition()
    private var deposits: [[Double]]
    private var total: [Double] = []
    private var arrived = 0, leaving = 0
    private var mismatch: String?
    /// Completed allreduces.
    private(set) var rounds = 0

    init(replicas: Int) {
        self.replicas = replicas
        deposits = Array(repeating: [], count: replicas)
    }

    /// The ``ReplicaSum`` of replica `rank`.
    func sum(rank: Int) -> ReplicaSum { { try self.sum(rank: rank, $0) } }

    private func sum(rank: Int, _ buffer: UnsafeMutableBufferPointer<Double>) throws {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: 30)
        func wait(while blocked: () -> Bool) throws {
            while blocked() {
                guard condition.wait(until: deadline) else {
                    throw ConvNetError(op: "test allreduce", "replica \(rank) waited 30 s for the others")
                }
            }
        }
        try wait { leaving > 0 }  // the previous round's sum is still being read
        deposits[rank] = Array(buffer)
        arrived += 1
        if arrived == replicas {
            let lengths = Set(deposits.map(\.count))
            mismatch = lengths.count == 1 ? nil : "buffers of lengths \(lengths.sorted()) in one round"
            total = deposits[0]
            for r in 1..<replicas where mismatch == nil { for i in total.indices { total[i] += deposits[r][i] } }
            (arrived, leaving, rounds) = (0, replicas, rounds + 1)
            condition.broadcast()
        } else {
            try wait { leaving == 0 }
        }
        leaving -= 1
        if leaving == 0 { condition.broadcast() }
        if let mismatch { throw ConvNetError(op: "test allreduce", mismatch) }
        for i in buffer.indices { buffer[i] = total[i] }
    }
}

/// Runs `body(rank)` on `count` threads of their own at once (so replicas waiting for each other
/// cannot starve a thread pool) and returns the results in rank order.
private func onThreads<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) throws -> T) throws -> [T] {
    let results = LockedSlots<Result<T, any Error>>(count: count)
    let group = DispatchGroup()
    for rank in 0..<count {
        group.enter()
        Thread {
            results.set(rank, Result { try body(rank) })
            group.leave()
        }.start()
    }
    group.wait()
    return try (0..<count).map { try #require(results.get($0)).get() }
}

/// What one replica (or the single process) computed: output, running statistics, gradients.
private struct Outcome: Sendable {
    var y: [Float], runningMean: [Float], runningVar: [Float], dx: [Float], dGamma: [Float], dBeta: [Float]
}

/// Batch norm of `x` in training mode with copies of `gamma`, `beta` and the running statistics,
/// then the gradients of Σ y·upstream: through `synchronizedBatchNorm` when `sum` is given,
/// else `batchNorm` on the current backend.
private func normalize(_ x: [Float], shape: [Int], gamma: Tensor, beta: Tensor, mean: Tensor, variance: Tensor,
                       upstream: [Float], sum: ReplicaSum?) throws -> Outcome {
    let x = try Tensor(shape: shape, scalars: x, requiresGrad: true)
    let (g, b) = (gamma.copy(), beta.copy())
    g.requiresGrad = true
    b.requiresGrad = true
    let (rm, rv) = (mean.copy(), variance.copy())
    let y = try sum.map { try synchronizedBatchNorm(x, weight: g, bias: b, runningMean: rm, runningVar: rv, sumAcrossReplicas: $0) }
        ?? batchNorm(x, weight: g, bias: b, runningMean: rm, runningVar: rv, training: true)
    let grads = try gradients(of: y, withRespectTo: [x, g, b], upstream: Tensor(shape: shape, scalars: upstream))
    return Outcome(y: y.scalars, runningMean: rm.scalars, runningVar: rv.scalars, dx: grads[0].scalars,
                   dGamma: grads[1].scalars, dBeta: grads[2].scalars)
}

/// max |a − b| / max |b|: relative to the largest value, however small (the gradients are).
private func difference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    let scale = max(b.map(abs).max() ?? 0, .leastNormalMagnitude)
    return (zip(a, b).map { abs($0 - $1) }.max() ?? 0) / scale
}

/// Random input (mean 0.5, std 2), γ, β and running statistics for `c` channels.
private func problem(_ shape: [Int], seed: UInt64) -> (x: [Float], gamma: Tensor, beta: Tensor, mean: Tensor,
                                                      variance: Tensor, upstream: [Float]) {
    var gen = RandomGenerator(seed: seed)
    let c = shape[1]
    let x = Tensor.randn(shape, std: 2, generator: &gen).scalars.map { $0 + 0.5 }
    let gamma = Tensor.uniform([c], low: 0.5, high: 1.5, generator: &gen), beta = Tensor.randn([c], generator: &gen)
    let mean = Tensor.randn([c], std: 0.1, generator: &gen), variance = Tensor.uniform([c], low: 0.5, high: 1.5, generator: &gen)
    return (x, gamma, beta, mean, variance, Tensor.randn(shape, generator: &gen).scalars)
}

@Suite("synchronized batch norm")
struct SynchronizedBatchNormTests {
    @Test("one replica: batchNorm's output, running statistics and gradients",
          arguments: ComputeBackend.allCases)
    func oneReplica(backend: ComputeBackend) throws {
        for (k, shape) in [[4, 3, 5, 5], [1, 2, 3, 3], [6, 5], [3, 4, 7, 9]].enumerated() {
            let p = problem(shape, seed: UInt64(10 + k))
            let expected = try Backend.with(backend) {
                try normalize(p.x, shape: shape, gamma: p.gamma, beta: p.beta, mean: p.mean, variance: p.variance,
                              upstream: p.upstream, sum: nil)
            }
            let calls = LockedSlots<Int>(count: 1)
            calls.set(0, 0)
            let got = try normalize(p.x, shape: shape, gamma: p.gamma, beta: p.beta, mean: p.mean, variance: p.variance,
                                    upstream: p.upstream, sum: { _ in calls.set(0, calls.get(0)! + 1) })
            #expect(calls.get(0) == 3, "\(shape): two allreduces forward, one backward")
            for (name, a, b) in [("y", got.y, expected.y), ("running_mean", got.runningMean, expected.runningMean),
                                 ("running_var", got.runningVar, expected.runningVar), ("dx", got.dx, expected.dx),
                                 ("dγ", got.dGamma, expected.dGamma), ("dβ", got.dBeta, expected.dBeta)] {
                #expect(difference(a, b) <= 1e-5, "\(backend) \(shape) \(name): \(difference(a, b))")
            }
        }
    }

    @Test("finite differences of input, γ and β; without γ and β too")
    func finiteDifferences() throws {
        var gen = RandomGenerator(seed: 5)
        for shape in [[4, 3, 3, 2], [6, 5]] {
            let c = shape[1]
            let x = Tensor.randn(shape, generator: &gen)
            let gamma = Tensor.randn([c], generator: &gen), beta = Tensor.randn([c], generator: &gen)
            try FiniteDifference.check("sync batchnorm \(shape)", inputs: [x, gamma, beta]) { t in
                try synchronizedBatchNorm(t[0], weight: t[1], bias: t[2], runningMean: nil, runningVar: nil,
                                          sumAcrossReplicas: { _ in })
            }
            try FiniteDifference.check("sync batchnorm \(shape) without affine", inputs: [x]) { t in
                try synchronizedBatchNorm(t[0], weight: nil, bias: nil, runningMean: nil, runningVar: nil,
                                          sumAcrossReplicas: { _ in })
            }
        }
    }

    @Test("two replicas with half a batch each, each loss the mean over its half: one batch norm over the batch")
    func twoReplicas() throws {
        let (n, shape) = (3, [6, 4, 5, 5])
        let p = problem(shape, seed: 21)
        let half = p.x.count / 2
        // The single process's loss is the mean of y·u over the batch: dL/dy = u/(2K), K = half.
        let whole = try normalize(p.x, shape: shape, gamma: p.gamma, beta: p.beta, mean: p.mean, variance: p.variance,
                                  upstream: p.upstream.map { $0 / Float(2 * half) }, sum: nil)
        // Replica r's loss is the mean of y·u over its half: dL_r/dy_r = u_r/K. Its dx is that of
        // L_0 + L_1 = 2L (the allreduce in the backward pass brings in the other replica's dy),
        // so twice the single process's; its dγ, dβ are local, and their mean is the single one's.
        let reducer = ThreadReplicaSum(replicas: 2)
        let replicas = try onThreads(2) { r in
            try normalize(Array(p.x[r * half..<(r + 1) * half]), shape: [n] + shape.dropFirst(), gamma: p.gamma,
                          beta: p.beta, mean: p.mean, variance: p.variance,
                          upstream: p.upstream[r * half..<(r + 1) * half].map { $0 / Float(half) }, sum: reducer.sum(rank: r))
        }
        #expect(reducer.rounds == 3)
        let checks: [(String, [Float], [Float])] = [
            ("y", replicas[0].y + replicas[1].y, whole.y),
            ("dx", (replicas[0].dx + replicas[1].dx).map { $0 / 2 }, whole.dx),
            ("dγ", zip(replicas[0].dGamma, replicas[1].dGamma).map { ($0 + $1) / 2 }, whole.dGamma),
            ("dβ", zip(replicas[0].dBeta, replicas[1].dBeta).map { ($0 + $1) / 2 }, whole.dBeta),
        ] + (0..<2).flatMap { r in
            [("replica \(r) running_mean", replicas[r].runningMean, whole.runningMean),
             ("replica \(r) running_var", replicas[r].runningVar, whole.runningVar)]
        }
        for (name, a, b) in checks { #expect(difference(a, b) <= 1e-5, "\(name): \(difference(a, b))") }
        // dx is not small: it is really compared.
        #expect((whole.dx.map(abs).max() ?? 0) > 1e-3)
    }

    @Test("three replicas holding 2, 0 and 5 samples: one batch norm over the 7", arguments: [[7, 3, 4, 4], [7, 5]])
    func unequalReplicas(shape: [Int]) throws {
        let splits = [0, 2, 2, 7]  // replica r holds samples splits[r]..<splits[r + 1]
        let p = problem(shape, seed: 31)
        let per = p.x.count / shape[0]
        let whole = try normalize(p.x, shape: shape, gamma: p.gamma, beta: p.beta, mean: p.mean, variance: p.variance,
                                  upstream: p.upstream, sum: nil)
        // Upstream u sliced: the sum of the replicas' losses is the single one's, so dx matches as is.
        let reducer = ThreadReplicaSum(replicas: 3)
        let replicas = try onThreads(3) { r in
            let range = splits[r] * per..<splits[r + 1] * per
            return try normalize(Array(p.x[range]), shape: [splits[r + 1] - splits[r]] + shape.dropFirst(),
                                 gamma: p.gamma, beta: p.beta, mean: p.mean, variance: p.variance,
                                 upstream: Array(p.upstream[range]), sum: reducer.sum(rank: r))
        }
        #expect(reducer.rounds == 3)
        let add = { (a: [Float], b: [Float]) in zip(a, b).map(+) }
        var checks: [(String, [Float], [Float])] = [
            ("y", replicas.flatMap(\.y), whole.y),
            ("dx", replicas.flatMap(\.dx), whole.dx),
            ("Σ dγ", replicas.map(\.dGamma).reduce([Float](repeating: 0, count: shape[1]), add), whole.dGamma),
            ("Σ dβ", replicas.map(\.dBeta).reduce([Float](repeating: 0, count: shape[1]), add), whole.dBeta),
        ]
        for r in 0..<3 {
            checks += [("replica \(r) running_mean", replicas[r].runningMean, whole.runningMean),
                       ("replica \(r) running_var", replicas[r].runningVar, whole.runningVar)]
        }
        for (name, a, b) in checks { #expect(difference(a, b) <= 1e-5, "\(shape) \(name): \(difference(a, b))") }
        #expect(replicas[1].dGamma.allSatisfy { $0 == 0 }, "the empty replica's local dγ")
    }

    @Test("one value per channel over all replicas is refused; one per replica on two replicas is not")
    func tooFewValues() throws {
        let x = try Tensor(shape: [1, 3], scalars: [1, 2, 3])
        #expect(throws: ConvNetError.self) {
            try synchronizedBatchNorm(x, weight: nil, bias: nil, runningMean: nil, runningVar: nil, sumAcrossReplicas: { _ in })
        }
        #expect(throws: ConvNetError.self) {
            try synchronizedBatchNorm(x, weight: Tensor.ones([4]), bias: nil, runningMean: nil, runningVar: nil,
                                      sumAcrossReplicas: { _ in })
        }
        let reducer = ThreadReplicaSum(replicas: 2)
        let ys = try onThreads(2) { r in
            let x = try Tensor(shape: [1, 3, 1, 1], scalars: [Float(r), 2 * Float(r), 5])
            return try synchronizedBatchNorm(x, weight: nil, bias: nil, runningMean: nil, runningVar: nil,
                                             sumAcrossReplicas: reducer.sum(rank: r)).scalars
        }
        // Channels 0 and 1 hold two different values (±1 after normalisation), channel 2 twice 5 (0).
        #expect(ys.map { $0.map { ($0 * 1000).rounded() / 1000 } } == [[-1, -1, 0], [1, 1, 0]])
    }

    @Test("ResNet-20 with every batch norm synchronized by the identity: the same loss and gradients")
    func resnet20() throws {
        let model = try GlobalGenerator.seeded(7) { try CIFARResNet(depth: 20) }
        randomizeBatchNorms(model, seed: 8)
        var gen = RandomGenerator(seed: 9)
        let x = Tensor.randn([4, 3, 32, 32], generator: &gen)
        let labels = [3, 1, 4, 1]
        func step() throws -> (loss: Float, grads: [Tensor], buffers: [Tensor]) {
            let state = model.namedBuffers().map { $0.tensor.copy() }
            defer { for (b, saved) in zip(model.namedBuffers(), state) { try? b.tensor.assign(saved) } }
            let loss = try crossEntropy(model(x), labels: labels)
            let grads = try gradients(of: loss, withRespectTo: model.parameters)
            return (try loss.item(), grads, model.namedBuffers().map { $0.tensor.copy() })
        }
        let plain = try step()
        var calls = 0
        #expect(model.synchronizeBatchNorm(using: { _ in calls += 1 }) == 19)
        let synchronized = try step()
        #expect(calls == 19 * 3)
        #expect(abs(synchronized.loss - plain.loss) <= 1e-5 * max(1, abs(plain.loss)))
        for (k, (a, b)) in zip(synchronized.grads, plain.grads).enumerated() {
            #expect(relativeDifference(a, b) <= 1e-4, "parameter \(k): \(relativeDifference(a, b))")
        }
        for (k, (a, b)) in zip(synchronized.buffers, plain.buffers).enumerated() {
            #expect(relativeDifference(a, b) <= 1e-5, "buffer \(k): \(relativeDifference(a, b))")
        }
        #expect(model.synchronizeBatchNorm(using: nil) == 19)
        model.eval()
        let evaluated = try model(x)
        var evalCalls = 0
        model.synchronizeBatchNorm(using: { _ in evalCalls += 1 })
        #expect(try model(x).scalars == evaluated.scalars && evalCalls == 0, "evaluation ignores the synchronizer")
    }
}
