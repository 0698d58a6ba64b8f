/// A network that ``Trainer`` can build: its name (recorded in checkpoints and metrics), the
/// per-image input it was designed for, its classes, and how to make one.
///
/// The zoo's models are architectures (``ModelZoo/entry(_:)``); so is any user-written ``Module``:
///
/// ```swift
/// let tiny = ModelArchitecture(name: "tiny-cnn", inputShape: [1, 28, 28], classes: 10) { classes in
///     TinyCNN(classes: classes)
/// }
/// let trainer = try Trainer(options: options, architecture: tiny, dataDirectory: nil, outputDirectory: "runs/tiny")
/// ```
///
/// The trainer calls `make` once, with the dataset's number of classes, while its run's seeded
/// generator is the global one: initial weights drawn with ``GlobalGenerator`` (as every layer
/// of the library does) are the same for the same seed, and a resumed run rebuilds the same
/// network before loading its checkpoint.
public struct ModelArchitecture: Sendable {
    /// The name checkpoints record (``TrainingOptions/model``).
    public var name: String
    /// Per-image input shape `[C, H, W]` the architecture was designed for; the trainer loads the
    /// data with `C` channels (grey images are repeated to 3, colour ones averaged to 1).
    public var inputShape: [Int]
    /// Classes of the dataset it was designed for (ImageNet 1000, MNIST/CIFAR 10).
    public var classes: Int
    private let builder: @Sendable (_ classes: Int) throws -> Module

    /// An architecture called `name`, designed for `inputShape` images and `classes` classes,
    /// built by `make(classes)`.
    public init(name: String, inputShape: [Int], classes: Int,
                make: @escaping @Sendable (_ classes: Int) throws -> Module) {
        (self.name, self.inputShape, self.classes, builder) = (name, inputShape, classes, make)
    }

    /// A freshly initialised network (weights drawn from the global generator; seed it first).
    /// - Parameter classes: output classes; `nil` means the architecture's own.
    public func make(classes: Int? = nil) throws -> Module {
        try builder(classes ?? self.classes)
    }

    /// Checks the description: a non-empty name, `[C, H, W]` with positive sizes, positive classes.
    /// - Throws: ``ConvNetError`` naming what is wrong.
    public func validate() throws {
        func fail(_ what: String) -> ConvNetError { ConvNetError(op: "model", "architecture \"\(name)\": \(what)") }
        guard !name.isEmpty, !name.contains(where: \.isNewline) else { throw fail("the name must be one non-empty line") }
        guard inputShape.count == 3, inputShape.allSatisfy({ $0 >= 1 && $0 <= 1 << 20 }) else {
            throw fail("the input shape \(inputShape) must be [channels, height, width], each in 1…1,048,576")
        }
        guard classes >= 1 else { throw fail("it must have at least one class (got \(classes))") }
    }
}
