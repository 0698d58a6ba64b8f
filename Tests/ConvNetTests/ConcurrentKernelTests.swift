import ConvNet
import Dispatch
import Testing

// The oneDNN backend shares its plan cache between threads but no lock around a whole operation:
// each plan serialises its own calls, each thread has its own stream and scratchpad, and a tensor
// converts itself to plain under its own lock. These tests run the same small training steps on
// several threads at once, sharing weights and cached plans, and demand the answers of one thread.

/// conv → ReLU → max pool → conv → batch norm → + skip → ReLU, the loss Σ y, and its gradients
/// with respect to the input and both weights; every result read as plain at the end.
private func step(_ x: Tensor, _ w1: Tensor, _ w2: Tensor) throws -> [Tensor] {
    let h = try maxPool2d(conv2d(x, w1, padding: 1).relu(), kernel: 2)
    let c = try conv2d(h, w2, padding: 1)
    let b = try batchNorm(c, weight: nil, bias: nil, runningMean: nil, runningVar: nil, training: true)
    let y = try (b + c).relu()
    let grads = try gradients(of: y.sum(), withRespectTo: [x, w1, w2])
    return [y] + grads
}

@Suite("kernels on several threads at once")
struct ConcurrentKernelTests {
    @Test("threads sharing weights and cached plans get the single-threaded answers", arguments: [ComputeBackend.oneDNN])
    func sharedWeights(backend: ComputeBackend) throws {
        var gen = RandomGenerator(seed: 11)
        let w1 = Tensor.randn([16, 3, 3, 3], generator: &gen, requiresGrad: true)
        let w2 = Tensor.randn([16, 16, 3, 3], generator: &gen, requiresGrad: true)
        let inputs = (0..<4).map { _ in Tensor.randn([2, 3, 12, 12], generator: &gen, requiresGrad: true) }
        let expected = try Backend.with(backend) { try inputs.map { try step($0, w1, w2).map(\.scalars) } }

        let threads = 4, rounds = 6
        let results = LockedSlots<Result<[[Float]], ConvNetError>>(count: threads * rounds)
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            Backend.with(backend) {
                for r in 0..<rounds {
                    let result = Result { try step(inputs[(t + r) % inputs.count], w1, w2).map(\.scalars) }
                    results.set(t * rounds + r, result.mapError { $0 as? ConvNetError ?? ConvNetError(op: "test", "\($0)") })
                }
            }
        }
        for t in 0..<threads {
            for r in 0..<rounds {
                // Each call runs oneDNN with the same OpenMP team size, so its sums run in the same order.
                let got = try #require(results.get(t * rounds + r)).get()
                #expect(got == expected[(t + r) % inputs.count], "thread \(t), round \(r)")
            }
        }
    }
}
