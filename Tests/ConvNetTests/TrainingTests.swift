import ConvNet
import Foundation
import Testing

@Suite("training on real MNIST", .serialized)
struct TrainingTests {
    static func outputDirectory() -> String { NSTemporaryDirectory() + "convnet-train-\(UUID().uuidString)" }

    static var mnist: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Datasets/mnist").path
    }

    static func options(trainLimit: Int, epochs: Int) -> TrainingOptions {
        var o = TrainingOptions()
        o.epochs = epochs
        o.trainLimit = trainLimit
        o.testLimit = 1000
        o.threads = 2
        return o
    }

    @Test("LeNet-5 learns: a short run on 6,000 real images reaches > 85 % test accuracy")
    func learns() throws {
        let out = Self.outputDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let trainer = try Trainer(options: Self.options(trainLimit: 6000, epochs: 2), dataDirectory: Self.mnist, outputDirectory: out)
        #expect(try trainer.run() == .completed)
        let history = trainer.history
        #expect(history.count == 2)
        #expect(history[1].trainLoss < history[0].trainLoss)
        #expect(history[1].testAccuracy > 85, "test accuracy \(history[1].testAccuracy) %")
        let csv = try String(contentsOfFile: out + "/metrics.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.first == "epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds" && csv.count == 3)
        // The checkpoint evaluates to the same accuracy.
        let checkpoint = try Checkpoint.load(path: trainer.checkpointPath)
        #expect(checkpoint.completedEpochs == 2)
        let model = LeNet5()
        try model.loadStateDict(checkpoint.modelState.dictionary)
        let test = try DataLoader(MNIST.load(directory: Self.mnist, split: .test).prefix(1000), batchSize: 500,
                                  shuffle: false, normalization: .mnist)
        #expect(abs(try evaluate(model, on: test).accuracy - history[1].testAccuracy) < 1e-9)
    }

    @Test("ResNet-20 learns on the CIFAR sample with the cifar preset: held-out accuracy well above chance after 3 short epochs")
    func cifarLearns() throws {
        let out = Self.outputDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        var options = TrainingOptions()
        (options.model, options.dataset, options.augment, options.holdout) = ("resnet20", "cifar10", "cifar", "1000")
        (options.epochs, options.batchSize, options.learningRate, options.weightDecay) = (3, 64, 0.05, 5e-4)
        (options.trainLimit, options.threads) = (1536, 2)
        let trainer = try Trainer(options: options, dataDirectory: Fixtures.cifarSample, outputDirectory: out, workers: 2)
        #expect(trainer.data.evaluationName == "held-out" && trainer.testLoader.dataset.count == 1000)
        #expect(try trainer.run() == .completed)
        let history = trainer.history
        #expect(history[2].trainLoss < history[0].trainLoss)
        #expect(history[2].testAccuracy > 20, "held-out accuracy \(history[2].testAccuracy) % (chance: 10 %)")
        let checkpoint = try Checkpoint.load(path: trainer.checkpointPath)
        #expect(checkpoint.classNames == CIFAR.cifar10Names && checkpoint.normalization == .cifar10)
    }

    @Test("interrupted mid-epoch and resumed ends with exactly the weights of an uninterrupted run",
          arguments: [("sgd", "none"), ("adam", "none"), ("sgd", "RandomCrop(28, padding=3), RandomHorizontalFlip(), ColorJitter(0.4, 0.4)")])
    func exactResume(optimizer: String, augment: String) throws {
        var options = Self.options(trainLimit: 640, epochs: 2)
        options.optimizer = try #require(.init(rawValue: optimizer))
        options.augment = augment
        options.learningRate = optimizer == "sgd" ? 0.01 : 1e-3
        options.schedule = .oneCycle
        let straightDir = Self.outputDirectory(), resumedDir = Self.outputDirectory()
        defer {
            try? FileManager.default.removeItem(atPath: straightDir)
            try? FileManager.default.removeItem(atPath: resumedDir)
        }
        let straight = try Trainer(options: options, dataDirectory: Self.mnist, outputDirectory: straightDir)
        #expect(try straight.run() == .completed)

        do {  // (a trainer holds its folder's lock while it lives)
            let first = try Trainer(options: options, dataDirectory: Self.mnist, outputDirectory: resumedDir)
            var batches = 0
            // Polled after each of epoch 1's 10 batches, once after its evaluation, then per batch:
            // the 14th poll comes 3 batches into epoch 2.
            first.stopRequested = { batches += 1; return batches == 14 }
            #expect(try first.run() == .interrupted(epoch: 2, batch: 3))
        }
        let second = try Trainer(options: options, dataDirectory: Self.mnist, outputDirectory: resumedDir)
        try second.resume()
        #expect(try second.run() == .completed)

        for ((name, a), (_, b)) in zip(straight.model.stateDict(), second.model.stateDict()) {
            #expect(a.scalars == b.scalars, "\(name) differs after resume")
        }
        #expect(straight.history.map(\.trainLoss) == second.history.map(\.trainLoss))
        #expect(straight.history.map(\.testAccuracy) == second.history.map(\.testAccuracy))
    }

    @Test("one generator serves in PyTorch's order: the weights, then each epoch's shuffle")
    func generatorOrder() throws {
        let out = Self.outputDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        var options = TrainingOptions()
        options.testLimit = 1000
        let trainer = try Trainer(options: options, dataDirectory: Self.mnist, outputDirectory: out)
        trainer.stopRequested = { true }
        #expect(try trainer.run() == .interrupted(epoch: 1, batch: 1))
        let checkpoint = try Checkpoint.load(path: trainer.checkpointPath)
        // The state after building the weights from the seed, as in `torch.manual_seed(0); LeNet5()`.
        let afterWeights = SharedGenerator(seed: options.seed)
        _ = GlobalGenerator.using(afterWeights) { LeNet5() }
        #expect(checkpoint.epochGenerator == afterWeights.state)
        var afterShuffle = afterWeights.state
        _ = afterShuffle.permutation(60000)
        #expect(checkpoint.generator == afterShuffle)
    }

    @Test("a diverging run stops with a message naming epoch and batch, leaving the last checkpoint")
    func nonFiniteLoss() throws {
        let out = Self.outputDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        var options = Self.options(trainLimit: 640, epochs: 1)
        let checkpointPath = out + "/checkpoint.safetensors"
        _ = try Trainer(options: options, dataDirectory: Self.mnist, outputDirectory: out).run()
        let before = try Data(contentsOf: URL(fileURLWithPath: checkpointPath))
        options.epochs = 2
        options.learningRate = 1e9
        // A new run told to replace the first: it diverges before its first checkpoint.
        let bad = try Trainer(options: options, dataDirectory: Self.mnist, outputDirectory: out, overwrite: true)
        do {
            _ = try bad.run()
            Issue.record("a learning rate of 1e9 trained without a non-finite loss")
        } catch let error as ConvNetError {
            #expect(error.message.contains("epoch 1, batch") && error.message.contains("loss became"))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: checkpointPath)) == before)
    }

    @Test("--warmup-steps rises linearly to the rate, then the schedule runs the rest of the steps")
    func warmupOption() throws {
        var o = TrainingOptions()
        o.schedule = .cosine
        o.warmupSteps = 10
        try o.validate()
        let schedule = o.learningRateSchedule
        func rate(_ step: Int) -> Float { schedule.rate(base: 0.1, step: step, totalSteps: 110, stepsPerEpoch: 50) }
        #expect(abs(rate(0) - 0.01) < 1e-7 && abs(rate(4) - 0.05) < 1e-7 && abs(rate(9) - 0.1) < 1e-7)
        #expect(abs(rate(10) - 0.1) < 1e-7, "cosine starts at the base after the warm-up")
        #expect(abs(rate(60) - 0.05) < 1e-6, "halfway through the 100 cosine steps")
        o.warmupSteps = 0
        #expect(abs(o.learningRateSchedule.rate(base: 0.1, step: 0, totalSteps: 110, stepsPerEpoch: 50) - 0.1) < 1e-7)
        o.warmupSteps = -1
        #expect(throws: ConvNetError.self) { try o.validate() }
    }

    @Test("options survive a checkpoint's JSON, and a key an older checkpoint lacks takes its default")
    func optionsCoding() throws {
        var o = TrainingOptions()  // every field away from its default
        (o.model, o.dataset, o.epochs, o.batchSize, o.optimizer) = ("resnet20", "fashion-mnist", 7, 32, .adamW)
        (o.learningRate, o.momentum, o.nesterov, o.weightDecay, o.schedule) = (0.5, 0.8, true, 0.01, .cosine)
        (o.warmupSteps, o.seed, o.shuffle, o.threads, o.trainLimit, o.testLimit) = (9, 42, .dataLoader, 3, 100, 50)
        let data = try JSONEncoder().encode(o)
        #expect(try JSONDecoder().decode(TrainingOptions.self, from: data) == o)
        var json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        json["warmupSteps"] = nil
        json["shuffle"] = nil
        let older = try JSONDecoder().decode(TrainingOptions.self, from: JSONSerialization.data(withJSONObject: json))
        #expect(older.warmupSteps == 0 && older.shuffle == .randperm && older.seed == 42)
        #expect(json["optimizer"] as? String == "adamw" && json["schedule"] as? String == "cosine", "saved by name: \(json)")
        json["optimizer"] = "rmsprop"  // a name this version does not know
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(TrainingOptions.self, from: JSONSerialization.data(withJSONObject: json)) }
        json["optimizer"] = "adamw"
        json["seed"] = "not a number"
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(TrainingOptions.self, from: JSONSerialization.data(withJSONObject: json)) }
    }

    @Test("nonsensical options and mismatched or damaged checkpoints are refused")
    func badOptions() throws {
        var o = TrainingOptions()
        o.epochs = 0
        #expect(throws: ConvNetError.self) { try o.validate() }
        o = TrainingOptions()
        o.learningRate = -1
        #expect(throws: ConvNetError.self) { try o.validate() }
        o = TrainingOptions()
        o.model = "resnet9000"
        #expect(throws: ConvNetError.self) { try Trainer(options: o, dataDirectory: Self.mnist, outputDirectory: Self.outputDirectory()) }
        // LeNet-5's classifier needs 28×28: CIFAR's 32×32 (converted to gray) is refused before training, naming both.
        o = TrainingOptions()
        o.dataset = "cifar10"
        do {
            _ = try Trainer(options: o, dataDirectory: Fixtures.cifarSample, outputDirectory: Self.outputDirectory())
            Issue.record("lenet5 accepted 32×32 images")
        } catch let error as ConvNetError {
            #expect(error.message.contains("1×28×28") && error.message.contains("1×32×32") && error.message.contains("`imageSize`"),
                    "\(error.message)")
        }
        // With --image-size 28 it trains; a crop larger than the images is refused when the loader is made.
        o.imageSize = 28
        o.trainLimit = 64
        o.testLimit = 64
        _ = try Trainer(options: o, dataDirectory: Fixtures.cifarSample, outputDirectory: Self.outputDirectory())
        o.augment = "RandomCrop(32)"
        #expect(throws: ConvNetError.self) { try Trainer(options: o, dataDirectory: Fixtures.cifarSample, outputDirectory: Self.outputDirectory()) }
        o.augment = "RandomCrop(28, padding=4"
        #expect(throws: ConvNetError.self) { try Trainer(options: o, dataDirectory: Fixtures.cifarSample, outputDirectory: Self.outputDirectory()) }
        o = TrainingOptions()
        o.dataset = "fashion-mnist"
        #expect(throws: ConvNetError.self) { try Trainer(options: o, dataDirectory: nil, outputDirectory: Self.outputDirectory()) }

        let out = Self.outputDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        var options = Self.options(trainLimit: 128, epochs: 1)
        _ = try Trainer(options: options, dataDirectory: Self.mnist, outputDirectory: out).run()
        options.batchSize = 32
        options.shuffle = .dataLoader
        do {  // (a trainer holds its folder's lock until it runs or goes)
            let other = try Trainer(options: options, dataDirectory: Self.mnist, outputDirectory: out)
            try other.resume()
            Issue.record("a checkpoint of another run was resumed")
        } catch let error as ConvNetError {
            // Names what differs, and only that.
            #expect(error.message.contains("batchSize: 64 vs 32") && error.message.contains("shuffle: randperm vs dataloader"),
                    "\(error.message)")
            #expect(!error.message.contains("seed"), "\(error.message)")
        }
        // A truncated checkpoint.
        let path = out + "/checkpoint.safetensors"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count - 100).write(to: URL(fileURLWithPath: path))
        #expect(throws: ConvNetError.self) { try Checkpoint.load(path: path) }
        // Weights that are not a training checkpoint.
        try SafeTensors.write(.init(tensors: [("w", Tensor.ones([2]))]), to: path)
        #expect(throws: ConvNetError.self) { try Checkpoint.load(path: path) }
        // A checkpoint of the first format (its generator was xoshiro256**): named as such.
        try SafeTensors.write(.init(tensors: [("w", Tensor.ones([2]))], metadata: ["format": "swift-convnet-checkpoint/1"]), to: path)
        do {
            _ = try Checkpoint.load(path: path)
            Issue.record("a format-1 checkpoint was accepted")
        } catch let error as ConvNetError {
            #expect(error.message.contains("checkpoint/1") && error.message.contains("Classifier.weights(path:)"), "\(error.message)")
        }
        // A generator state that was cut short (a new run replaces the damaged one).
        _ = try Trainer(options: Self.options(trainLimit: 128, epochs: 1), dataDirectory: Self.mnist, outputDirectory: out, overwrite: true).run()
        var contents = try SafeTensors.read(path: path)
        contents.metadata["epoch_generator"] = contents.metadata["epoch_generator"].map { String($0.dropLast(30)) }
        try SafeTensors.write(contents, to: path)
        #expect(throws: ConvNetError.self) { try Checkpoint.load(path: path) }
    }
}
