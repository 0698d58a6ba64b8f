import Foundation

extension Checkpoint {
    /// The most classes a checkpoint may name (ImageNet-21k has 21,841): far beyond any model here,
    /// and a bound on every table sized by the class count.
    public static let maximumClasses = 1 << 20

    /// Checks every metadata field that commands act on, so that a damaged or forged checkpoint is
    /// refused where it is read, naming the field, instead of failing later inside a layer:
    /// `input_shape` is `[channels, height, width]` with 1 or 3 channels and sides of 1 to
    /// ``ImageSize/maximumSide`` pixels; `normalization` has one finite mean and one positive,
    /// finite standard deviation per channel; `class_names` are 1 to ``maximumClasses`` distinct,
    /// non-empty names; the options are ones `convnet train` accepts; the history numbers its
    /// epochs 1, 2, ….
    /// - Throws: the error `fail` makes of the reason.
    func validateMetadata(_ fail: (String) -> ConvNetError) throws {
        if let shape = inputShape {
            guard shape.count == 3 else {
                throw fail("metadata \"input_shape\" \(shape) is not [channels, height, width]")
            }
            guard shape[0] == 1 || shape[0] == 3 else {
                throw fail("metadata \"input_shape\" \(shape) has \(shape[0]) channels; images have 1 (gray) or 3 (RGB)")
            }
            guard shape[1...].allSatisfy({ (1...ImageSize.maximumSide).contains($0) }) else {
                throw fail("metadata \"input_shape\" \(shape) has a side outside 1…\(ImageSize.maximumSide) pixels")
            }
        }
        if let normalization {
            let (mean, std) = (normalization.mean, normalization.std)
            guard !mean.isEmpty, mean.count == std.count, mean.allSatisfy(\.isFinite), std.allSatisfy({ $0.isFinite && $0 > 0 }) else {
                throw fail("metadata \"normalization\" (mean \(mean), std \(std)) needs one finite mean and one positive, finite std per channel")
            }
            if let shape = inputShape, shape[0] != mean.count {
                throw fail("metadata \"normalization\" has \(mean.count) channels but \"input_shape\" \(shape) has \(shape[0])")
            }
        }
        if let classNames {
            guard (1...Self.maximumClasses).contains(classNames.count) else {
                throw fail("metadata \"class_names\" lists \(classNames.count) classes (1…\(Self.maximumClasses) allowed)")
            }
            var seen: [String: Int] = [:]
            for (index, name) in classNames.enumerated() {
                guard !name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                    throw fail("metadata \"class_names\" has an empty name for class \(index)")
                }
                if let earlier = seen[name] {
                    throw fail("metadata \"class_names\" names classes \(earlier) and \(index) both \"\(name)\"")
                }
                seen[name] = index
            }
        }
        do {
            try options.validate()
        } catch let error as ConvNetError {
            throw fail("metadata \"options\" are not ones convnet train accepts: \(error.message)")
        }
        guard history.enumerated().allSatisfy({ $0.element.epoch == $0.offset + 1 }) else {
            throw fail("metadata \"history\" does not number its epochs 1, 2, …")
        }
        // Progress (epochs, batches, steps, the interrupted epoch's totals) is checked against the
        // run's own batch count where it is used, on resume; negative counts are refused by decode.
    }

    /// Throws unless this run's data is the data the checkpoint was trained on, as far as its
    /// metadata tells: images of `shape` (`[C, H, W]` as the model takes them) and these classes.
    /// Said in those terms, before weights are loaded (not as a layer's shapes).
    /// - Throws: ``ConvNetError`` for `op` naming `source`.
    public func requireSameData(imageShape shape: [Int], classNames names: [String], source: String, op: String) throws {
        if let trained = inputShape, trained != shape {
            throw ConvNetError(op: op, "\(source) was trained on \(Self.size(trained)) images but this run's are \(Self.size(shape)) (channels×height×width): another dataset, or another `imageSize`")
        }
        if let trained = classNames, trained != names {
            let detail: String
            if trained.count != names.count {
                detail = "\(trained.count) classes but this run's data has \(names.count)"
            } else {
                let c = trained.indices.first { trained[$0] != names[$0] }!
                detail = "other classes than this run's data: class \(c) is \"\(trained[c])\" in the checkpoint but \"\(names[c])\" here"
            }
            throw ConvNetError(op: op, "\(source) was trained on \(detail) (another dataset?)")
        }
    }

    /// `1×28×28`.
    static func size(_ shape: [Int]) -> String { shape.map(String.init).joined(separator: "×") }
}
