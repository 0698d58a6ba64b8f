/// What a transform does to an image's size, known before any image is transformed: a pipeline
/// that would grow images past what memory holds (`Pad(8192)` twice) is refused from the sizes
/// alone, before its first image is made.
public struct TransformFootprint: Sendable, Equatable {
    /// The size of the output, for every draw of the transform's randomness.
    public var output: ImageSize
    /// The most pixels per channel the transform holds at once: its input, any padded copy, its output.
    public var pixels: Int

    public init(output: ImageSize, pixels: Int) { (self.output, self.pixels) = (output, pixels) }
}

extension ImageSize {
    /// height × width.
    var pixels: Int { height * width }

    /// `self` grown by `padding` on its sides.
    func padded(_ padding: Padding) -> ImageSize {
        ImageSize(height: height + padding.top + padding.bottom, width: width + padding.left + padding.right)
    }

    /// Throws unless both sides are within ``maximumSide`` (`what` became `self` from `input`).
    func requireWithinMaximum(_ op: String, from input: ImageSize) throws {
        guard height <= Self.maximumSide, width <= Self.maximumSide else {
            throw ConvNetError(op: op, "\(input.height)×\(input.width) would become \(height)×\(width), over \(Self.maximumSide) pixels a side")
        }
    }
}

extension Transform {
    /// A transform that keeps the size holds its input and its output.
    public func footprint(for input: ImageSize) throws -> TransformFootprint {
        TransformFootprint(output: input, pixels: 2 * input.pixels)
    }
}

extension Compose {
    /// The pipeline's output size and its largest step (each transform applied to the size the
    /// one before it makes).
    /// - Throws: ``ConvNetError`` naming `--augment` and the transform whose input size it cannot
    ///   take or would grow over ``ImageSize/maximumSide``.
    public func footprint(for input: ImageSize) throws -> TransformFootprint {
        var size = input, pixels = input.pixels
        for transform in transforms {
            do {
                let step = try transform.footprint(for: size)
                (size, pixels) = (step.output, max(pixels, step.pixels))
            } catch let error as ConvNetError {
                throw ConvNetError(op: "`augment`", "\(transform) on \(size.height)×\(size.width) images: \(error.message)")
            }
        }
        return TransformFootprint(output: size, pixels: pixels)
    }
}

extension Pad {
    public func footprint(for input: ImageSize) throws -> TransformFootprint {
        let output = input.padded(padding)
        try output.requireWithinMaximum("Pad", from: input)
        return TransformFootprint(output: output, pixels: input.pixels + output.pixels)
    }
}

extension RandomCrop {
    public func footprint(for input: ImageSize) throws -> TransformFootprint {
        var padded = padding.map { input.padded($0) } ?? input
        try padded.requireWithinMaximum("RandomCrop", from: input)
        if padIfNeeded {
            padded = ImageSize(height: padded.height < size.height ? 2 * size.height - padded.height : padded.height,
                               width: padded.width < size.width ? 2 * size.width - padded.width : padded.width)
        }
        guard padded.height >= size.height, padded.width >= size.width else {
            throw ConvNetError(op: "RandomCrop", "crop \(size.height)×\(size.width) is larger than the (padded) image \(padded.height)×\(padded.width)")
        }
        return TransformFootprint(output: size, pixels: input.pixels + padded.pixels + size.pixels)
    }
}

extension CenterCrop {
    public func footprint(for input: ImageSize) throws -> TransformFootprint {
        let padded = ImageSize(height: max(input.height, size.height), width: max(input.width, size.width))
        return TransformFootprint(output: size, pixels: input.pixels + padded.pixels + size.pixels)
    }
}

extension Resize {
    public func footprint(for input: ImageSize) throws -> TransformFootprint {
        let output = outputSize(height: input.height, width: input.width)
        try output.requireWithinMaximum("Resize", from: input)
        return TransformFootprint(output: output, pixels: input.pixels + output.pixels)
    }
}

extension RandomResizedCrop {
    public func footprint(for input: ImageSize) throws -> TransformFootprint {
        // The crop is at most the input; it is copied, then resized.
        TransformFootprint(output: size, pixels: 2 * input.pixels + size.pixels)
    }
}
