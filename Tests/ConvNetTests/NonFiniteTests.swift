import ConvNet
import Foundation
import Testing

/// NaN and infinity propagate as in PyTorch (the cases in golden-extra/ops-nonfinite.json, written by
/// Tools/generate_nonfinite_cases.py), on every implementation of an op, not only the one the
/// golden runner happens to pick.
@Suite("NaN and infinity propagate as in PyTorch")
struct NonFiniteTests {
    static var cases: [GoldenValue] {
        get throws {
            let file = GoldenFiles.extraDirectory.appendingPathComponent("ops-nonfinite.json")
            return try GoldenFiles.cases(in: file).enumerated().map { GoldenValue($1, path: "ops-nonfinite.json#\($0)") }
        }
    }

    @Test("the fused block's every path (portable C, AVX-512, the three ops) matches PyTorch on NaN and ±inf",
          arguments: [ConvPoolReLUPath.unfused, .fusedPortable, .fusedAVX512])
    func fusedBlockPaths(path: ConvPoolReLUPath) throws {
        if path == .fusedAVX512 && !ConvPoolReLUPath.avx512Available {
            print("note: this CPU has no AVX-512; the AVX-512 kernel's NaN handling was not checked here")
            return
        }
        // The fused kernels compute no input gradient: only the cases without one.
        let block = try Self.cases.filter { $0["op"]?.string == "conv_maxpool_relu" && $0["grads"]?["x"] == nil }
        #expect(!block.isEmpty)
        for backend in ComputeBackend.allCases where path != .unfused || true {
            for c in block {
                let failures = try GoldenOpRunner.$convPoolReLUPath.withValue(path) {
                    try GoldenOpRunner.check(c, backend: backend)
                }
                for failure in failures { Issue.record("[\(path), \(backend)] \(failure)") }
            }
        }
    }

    /// A convolution's output in oneDNN's blocked layout, holding NaN and ±inf (from a NaN pixel and
    /// ±inf biases), through ReLU and max pooling in that layout, forward and backward: the same
    /// values, bit for bit where non-finite, as the plain loops.
    @Test("ReLU and max pooling in oneDNN's layout keep NaN and ±inf as the plain loops do")
    func blockedLayout() throws {
        var gen = RandomGenerator(seed: 5)
        let x = Tensor.randn([2, 3, 9, 9], generator: &gen)
        x.withUnsafeMutableBufferPointer { $0[40] = .nan; $0[300] = .infinity }
        let w = Tensor.randn([6, 3, 3, 3], generator: &gen)
        let b = try Tensor(shape: [6], scalars: [0.1, .infinity, -.infinity, 0, .nan, -0.2])
        let upstream = Tensor.randn([2, 6, 4, 4], generator: &gen)
        func run(_ backend: ComputeBackend) throws -> (y: [Float], relu: [Float], dx: [Float]) {
            try Backend.with(backend) {
                let xv = try Tensor(shape: x.shape, scalars: x.scalars, requiresGrad: true)
                let c = try conv2d(xv, w, bias: b, padding: 1)
                if backend == .oneDNN { #expect(c.isInBackendLayout) }
                let r = try c.relu()
                let y = try maxPool2d(r, kernel: 2)
                let dx = try gradients(of: (y * upstream).sum(), withRespectTo: [xv])[0]
                return (y.scalars, r.scalars, dx.scalars)
            }
        }
        let (got, want) = (try run(.oneDNN), try run(.reference))
        #expect(want.y.contains { $0.isNaN } && want.y.contains { $0 == .infinity }, "the case holds NaN and inf")
        for (name, g, r) in [("relu", got.relu, want.relu), ("pooled", got.y, want.y), ("dX", got.dx, want.dx)] {
            let mismatches = zip(g, r).filter { a, b in
                a.isFinite || b.isFinite ? !(abs(a - b) <= 1e-4 * abs(b) + 1e-4) : !(a.isNaN ? b.isNaN : a == b)
            }
            if !mismatches.isEmpty {
                Issue.record("\(name): \(mismatches.count) of \(g.count) differ, e.g. \(mismatches.prefix(3))")
            }
        }
    }
}

/// Weights holding NaN or ±infinity are refused when loaded, unless asked for; outputs that are not
/// finite are reported as an error, never as an accuracy or a percentage.
@Suite("weights and outputs that are not finite", .serialized)
struct NonFiniteWeightTests {
    @Test("loadStateDict refuses NaN and ±inf, naming the tensors and counts; allowNonFinite loads them")
    func loadStateDict() throws {
        let model = try ModelZoo.make("lenet5")
        var state = model.stateDict().dictionary
        let poisoned = try Tensor(shape: state["conv1.weight"]!.shape, scalars: state["conv1.weight"]!.scalars)
        poisoned.withUnsafeMutableBufferPointer { $0[3] = .nan; $0[7] = .nan; $0[9] = -.infinity }
        state["conv1.weight"] = poisoned
        do {
            try model.loadStateDict(state)
            Issue.record("NaN weights were loaded")
        } catch let error as ConvNetError {
            #expect(error.message.contains("conv1.weight (2 NaN and 1 infinite of 150)"), "\(error)")
        }
        try model.loadStateDict(state, allowNonFinite: true)
        #expect(model.stateDict().dictionary["conv1.weight"]!.scalars[3].isNaN)
    }

    /// A trained LeNet-5 checkpoint with one value replaced, and `convnet` run on it.
    struct PoisonedRun {
        let folder: String, checkpoint: String, image: String

        init(_ name: String) throws {
            try #require(FileManager.default.isExecutableFile(atPath: SignalTests.executable))
            folder = Fixtures.temporaryFolder(name)
            var options = TrainingOptions()
            (options.trainLimit, options.testLimit, options.epochs, options.threads) = (64, 64, 1, 2)
            let trainer = try Trainer(options: options, dataDirectory: TrainingTests.mnist, outputDirectory: folder)
            _ = try trainer.run()
            checkpoint = trainer.checkpointPath
            image = folder + "/digit.png"
            try Image(width: 28, height: 28, channels: 1, pixels: (0..<784).map { UInt8($0 % 251) }).writePNG(path: image)
        }

        /// Replaces element 0 of `tensor` in the checkpoint.
        func poison(_ tensor: String, with value: Float) throws {
            let contents = try SafeTensors.read(path: checkpoint)
            let t = try #require(contents.dictionary[tensor])
            t.withUnsafeMutableBufferPointer { $0[0] = value }
            try SafeTensors.write(contents, to: checkpoint)
        }

        func convnet(_ arguments: [String]) throws -> (status: Int32, output: String) { try CommandLineTests.convnet(arguments) }
    }

    @Test("eval: a NaN weight is refused; allowed, its NaN outputs are an error, not an accuracy")
    func eval() throws {
        let run = try PoisonedRun("nan-eval")
        defer { try? FileManager.default.removeItem(atPath: run.folder) }
        try run.poison("conv1.weight", with: .nan)
        let eval = ["eval", "--checkpoint", run.checkpoint, "--data", TrainingTests.mnist, "--threads", "2"]
        let refused = try run.convnet(eval)
        #expect(refused.status != 0 && refused.output.contains("conv1.weight (1 NaN of 150)")
                && refused.output.contains("--allow-nonfinite"), "\(refused.output)")
        let allowed = try run.convnet(eval + ["--allow-nonfinite"])
        #expect(allowed.status != 0 && allowed.output.contains("NaN or infinite outputs"), "\(allowed.output)")
        #expect(!allowed.output.contains("accuracy") && !allowed.output.lowercased().contains("nan%"), "\(allowed.output)")
    }

    @Test("predict: an infinite bias is refused; allowed, the outputs are an error, never -nan%")
    func predict() throws {
        let run = try PoisonedRun("inf-predict")
        defer { try? FileManager.default.removeItem(atPath: run.folder) }
        let lastBias = try #require(ModelZoo.make("lenet5").namedParameters().last?.name)
        try run.poison(lastBias, with: .infinity)
        let predict = ["predict", "--model", "lenet5", "--weights", run.checkpoint, run.image]
        let refused = try run.convnet(predict)
        #expect(refused.status != 0 && refused.output.contains(lastBias) && refused.output.contains("infinite"), "\(refused.output)")
        let allowed = try run.convnet(predict + ["--allow-nonfinite"])
        #expect(allowed.status != 0 && allowed.output.contains("not finite"), "\(allowed.output)")
        #expect(!allowed.output.lowercased().contains("nan%"), "\(allowed.output)")
    }

    @Test("train --resume: NaN weights or optimizer state are refused; allowed, the NaN loss stops the run")
    func resume() throws {
        let run = try PoisonedRun("nan-resume")
        defer { try? FileManager.default.removeItem(atPath: run.folder) }
        try run.poison("optimizer.momentum_buffer.fc1.weight", with: .nan)
        let train = ["train", "--data", TrainingTests.mnist, "--train-limit", "64", "--test-limit", "64", "--epochs", "2",
                     "--threads", "2", "--out", run.folder, "--resume"]
        let refused = try run.convnet(train)
        #expect(refused.status != 0 && refused.output.contains("optimizer.momentum_buffer.fc1.weight"), "\(refused.output)")
        try run.poison("optimizer.momentum_buffer.fc1.weight", with: 0)
        try run.poison("conv2.weight", with: .nan)
        let stopped = try run.convnet(train + ["--allow-nonfinite"])
        #expect(stopped.status != 0 && stopped.output.contains("loss became NaN") && !stopped.output.contains("-nan"), "\(stopped.output)")
    }
}
