import ConvNet
import Foundation
import Testing

/// ``Trainer`` trains any ``Module``, not only the zoo's: a network written in the test, with
/// the same loop, checkpoints and exact resume.
@Suite("training a user-written network", .serialized)
struct CustomModelTrainingTests {
    /// A small CNN as a library user writes one.
    final class TinyCNN: Module {
        let features: Sequential
        let classifier: Linear

        init(classes: Int) {
            features = Sequential(Conv2d(1, 8, kernelSize: 5, padding: 2), ReLU(), MaxPool2d(kernelSize: 4))
            classifier = Linear(8 * 7 * 7, classes)
        }

        func forward(_ x: Tensor) throws -> Tensor { try classifier(flatten(features(x))) }
    }

    static let tiny = ModelArchitecture(name: "tiny-cnn", inputShape: [1, 28, 28], classes: 10) { TinyCNN(classes: $0) }

    static func options(epochs: Int) -> TrainingOptions {
        var o = TrainingOptions()
        (o.epochs, o.trainLimit, o.testLimit, o.threads, o.learningRate, o.batchSize) = (epochs, 1280, 500, 2, 0.05, 64)
        return o
    }

    static func folder() -> String { NSTemporaryDirectory() + "convnet-custom-\(UUID().uuidString)" }

    @Test("a user-written CNN learns MNIST, and its checkpoint records its name and loads into a fresh one")
    func learns() throws {
        let out = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let trainer = try Trainer(options: Self.options(epochs: 2), architecture: Self.tiny, dataDirectory: TrainingTests.mnist,
                                  outputDirectory: out)
        #expect(trainer.options.model == "tiny-cnn")
        #expect(trainer.model is TinyCNN)
        #expect(try trainer.run() == .completed)
        #expect(trainer.history[1].trainLoss < trainer.history[0].trainLoss)
        #expect(trainer.history[1].testAccuracy > 60, "test accuracy \(trainer.history[1].testAccuracy) % (chance: 10 %)")
        let checkpoint = try Checkpoint.load(path: trainer.checkpointPath)
        #expect(checkpoint.options.model == "tiny-cnn")
        let fresh = TinyCNN(classes: 10)
        try fresh.loadStateDict(checkpoint.modelState.dictionary)
        for ((name, a), (_, b)) in zip(trainer.model.stateDict(), fresh.stateDict()) {
            #expect(a.scalars == b.scalars, "\(name) differs after loading the checkpoint")
        }
    }

    @Test("the same seed gives the same initial weights, and a run interrupted mid-epoch resumes to exactly the weights of one that was not")
    func exactResume() throws {
        let options = Self.options(epochs: 2)
        let straightDir = Self.folder(), resumedDir = Self.folder()
        defer {
            try? FileManager.default.removeItem(atPath: straightDir)
            try? FileManager.default.removeItem(atPath: resumedDir)
        }
        let straight = try Trainer(options: options, architecture: Self.tiny, dataDirectory: TrainingTests.mnist,
                                   outputDirectory: straightDir)
        do {  // (a trainer holds its folder's lock while it lives)
            let first = try Trainer(options: options, architecture: Self.tiny, dataDirectory: TrainingTests.mnist,
                                    outputDirectory: resumedDir)
            #expect(first.model.stateDict().map(\.tensor.scalars) == straight.model.stateDict().map(\.tensor.scalars))
            var polls = 0
            // 20 batches per epoch: the 25th poll comes 4 batches into epoch 2.
            first.stopRequested = { polls += 1; return polls == 25 }
            #expect(try first.run() == .interrupted(epoch: 2, batch: 4))
        }
        #expect(try straight.run() == .completed)
        let second = try Trainer(options: options, architecture: Self.tiny, dataDirectory: TrainingTests.mnist,
                                 outputDirectory: resumedDir)
        try second.resume()
        #expect(try second.run() == .completed)
        for ((name, a), (_, b)) in zip(straight.model.stateDict(), second.model.stateDict()) {
            #expect(a.scalars == b.scalars, "\(name) differs after resume")
        }
        #expect(straight.history.map(\.trainLoss) == second.history.map(\.trainLoss))

        // Resuming with another architecture's checkpoint is refused, naming both.
        let zoo = try Trainer(options: options, dataDirectory: TrainingTests.mnist, outputDirectory: resumedDir, overwrite: false)
        #expect(throws: ConvNetError.self) { try zoo.resume() }
    }

    @Test("an architecture that does not give one logit per class, or is described wrongly, is refused before training")
    func refused() throws {
        let out = Self.folder()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let wrongClasses = ModelArchitecture(name: "always-7", inputShape: [1, 28, 28], classes: 10) { _ in TinyCNN(classes: 7) }
        let error = #expect(throws: ConvNetError.self) {
            try Trainer(options: Self.options(epochs: 1), architecture: wrongClasses, dataDirectory: TrainingTests.mnist, outputDirectory: out)
        }
        #expect(error?.message.contains("[1, 10]") == true, "\(error?.message ?? "")")
        for bad in [ModelArchitecture(name: "", inputShape: [1, 28, 28], classes: 10) { TinyCNN(classes: $0) },
                    ModelArchitecture(name: "flat", inputShape: [784], classes: 10) { TinyCNN(classes: $0) },
                    ModelArchitecture(name: "none", inputShape: [1, 28, 28], classes: 0) { TinyCNN(classes: $0) }] {
            #expect(throws: ConvNetError.self) {
                try Trainer(options: Self.options(epochs: 1), architecture: bad, dataDirectory: TrainingTests.mnist, outputDirectory: out)
            }
        }
    }
}
