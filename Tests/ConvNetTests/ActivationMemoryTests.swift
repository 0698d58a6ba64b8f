import ConvNet
import Foundation
import Testing

@Suite("frozen models: activations in memory planned once per input shape")
struct ActivationMemoryTests {
    @Test("resnet20's activations share memory: the planned block is a fraction of all activations, near the most alive at once")
    func resnet20Plan() throws {
        let model = try GlobalGenerator.seeded(0) { try ModelZoo.make("resnet20") }
        model.eval()
        let frozen = try model.frozen()
        var gen = RandomGenerator(seed: 1)
        let shape = [4, 3, 32, 32]
        for _ in 0..<4 {
            let x = Tensor.randn(shape, generator: &gen)
            let eager = try withNoGrad { try model(x) }
            #expect(relativeDifference(try frozen(x), eager) <= 1e-5)
        }
        let memory = try #require(frozen.activationMemory(for: shape))
        // A first-stage activation is 4·16·32·32 floats. The pass allocates many (convolutions that
        // add a residual write into its memory instead), but a basic block needs only its input,
        // the middle activation and its output at once.
        let stage1 = 4 * 16 * 32 * 32 * 4
        #expect(memory.tensors >= 19 && memory.totalBytes >= 8 * stage1, "\(memory)")
        #expect(memory.plannedBytes <= 4 * stage1 && memory.plannedBytes * 3 < memory.totalBytes, "\(memory)")
        #expect(memory.plannedBytes >= memory.peakLiveBytes / 2 && memory.peakLiveBytes <= memory.totalBytes, "\(memory)")
        #expect(memory.outliving >= 1, "the output outlives the pass: \(memory)")
    }

    /// Keeps its first convolution's output when asked, as a model that exposes features would.
    final class KeepsFeatures: Module {
        let conv1 = Conv2d(3, 8, kernelSize: 3, padding: 1), conv2 = Conv2d(8, 8, kernelSize: 3, padding: 1)
        let bn = BatchNorm2d(8)
        var keep = false
        var features: Tensor?
        func forward(_ x: Tensor) throws -> Tensor {
            let f = try conv1(x).relu()
            if keep { features = f }
            return try bn(conv2(f)).relu().mean()
        }
    }

    /// A frozen model runs its graph, not its forward function, after tracing a shape: what the
    /// forward function keeps, it keeps from the traced pass, and later passes (whose activations
    /// live in the arena) never overwrite it.
    @Test("a tensor the model keeps from the traced pass is never overwritten by the planned passes")
    func keptTensorsSurvive() throws {
        let model = GlobalGenerator.seeded(2) { KeepsFeatures() }
        model.eval()
        let frozen = try model.frozen()
        var gen = RandomGenerator(seed: 3)
        let inputs = (0..<6).map { _ in Tensor.randn([2, 3, 12, 12], generator: &gen) }
        model.keep = true
        _ = try frozen(inputs[0])  // traced (and probed): the forward function runs and keeps its features
        let kept = try #require(model.features)
        let before = kept.scalars
        model.keep = false
        for x in inputs[1...] {
            let eager = try withNoGrad { try model(x) }
            #expect(relativeDifference(try frozen(x), eager) <= 1e-5)
        }
        #expect(frozen.activationMemory(for: [2, 3, 12, 12]) != nil)
        #expect(kept.scalars == before)
    }

    @Test("threads sharing one frozen model get the eager results (one arena per concurrent pass)")
    func concurrentPasses() throws {
        let model = try GlobalGenerator.seeded(0) { try ModelZoo.make("resnet20") }
        model.eval()
        let frozen = try model.frozen()
        var gen = RandomGenerator(seed: 5)
        let inputs = (0..<4).map { _ in Tensor.randn([2, 3, 16, 16], generator: &gen) }
        let expected = try inputs.map { x in try withNoGrad { try model(x) } }
        _ = try frozen(inputs[0])
        let failures = Counter()
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for round in 0..<6 {
                let i = (thread + round) % inputs.count
                guard let y = try? frozen(inputs[i]), relativeDifference(y, expected[i]) <= 1e-5 else {
                    failures.add()
                    continue
                }
            }
        }
        #expect(failures.value == 0)
        #expect(frozen.activationMemory(for: [2, 3, 16, 16]) != nil)
    }
}

/// A count shared by threads.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
