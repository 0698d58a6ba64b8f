/// A crop at a random place (torchvision's `RandomCrop`): pads first if asked, then draws the top
/// offset and the left offset with `torch.randint(0, H − h + 1)` and `torch.randint(0, W − w + 1)`
/// (nothing when the image already has the crop's size).
public struct RandomCrop: Transform {
    public let size: ImageSize
    public let padding: Padding?
    public let padIfNeeded: Bool
    public let mode: PaddingMode

    /// - Throws: ``ConvNetError`` for a size that is not positive.
    public init(_ size: ImageSize, padding: Padding? = nil, padIfNeeded: Bool = false, mode: PaddingMode = .constant(0)) throws {
        try size.validate("RandomCrop")
        (self.size, self.padding, self.padIfNeeded, self.mode) = (size, padding, padIfNeeded, mode)
    }

    /// A square crop of `side` pixels, `padding` on every side.
    public init(_ side: Int, padding: Int = 0, mode: PaddingMode = .constant(0)) throws {
        try self.init(ImageSize(side), padding: padding > 0 ? try Padding([padding]) : nil, mode: mode)
    }

    public func callAsFunction(_ image: FloatImage, generator: inout RandomGenerator) throws -> FloatImage {
        if let padding, mode == .constant(0), !padIfNeeded {
            // Zero padding then a crop is a crop that reads zeros outside the image: same draws, no padded copy.
            let (top, left) = try offsets(height: image.height + padding.top + padding.bottom,
                                          width: image.width + padding.left + padding.right, generator: &generator)
            return image.cropped(top: top - padding.top, left: left - padding.left, height: size.height, width: size.width)
        }
        var image = image
        if let padding { image = try image.padded(padding, mode: mode) }
        let (height, width) = (image.height, image.width)
        if padIfNeeded && width < size.width {
            image = try image.padded(Padding(left: size.width - width, top: 0, right: size.width - width, bottom: 0), mode: mode)
        }
        if padIfNeeded && height < size.height {
            image = try image.padded(Padding(left: 0, top: size.height - height, right: 0, bottom: size.height - height), mode: mode)
        }
        let (top, left) = try offsets(height: image.height, width: image.width, generator: &generator)
        if image.height == size.height && image.width == size.width { return image }
        return image.cropped(top: top, left: left, height: size.height, width: size.width)
    }

    /// torchvision's `RandomCrop.get_params` for a (padded) image of `height × width`: the top
    /// and left offsets, drawn with `randint` unless the image already has the crop's size.
    private func offsets(height: Int, width: Int, generator: inout RandomGenerator) throws -> (top: Int, left: Int) {
        guard height >= size.height, width >= size.width else {
            throw ConvNetError(op: "RandomCrop", "crop \(size.height)×\(size.width) is larger than the (padded) image \(height)×\(width)")
        }
        if height == size.height && width == size.width { return (0, 0) }
        return (generator.randomInteger(below: height - size.height + 1), generator.randomInteger(below: width - size.width + 1))
    }

    public var description: String {
        var text = "RandomCrop(\(size)"
        if let padding { text += ", padding=\(padding)" }
        if padIfNeeded { text += ", pad_if_needed=True" }
        if mode != .constant(0) { text += ", padding_mode=\(mode)" }
        return text + ")"
    }
}

/// The central region (torchvision's `CenterCrop`): offsets `round((H − h)/2)` with Python's
/// rounding (halves to even); an image smaller than the crop is padded with zeros first.
public struct CenterCrop: Transform {
    public let size: ImageSize

    /// - Throws: ``ConvNetError`` for a size that is not positive.
    public init(_ size: ImageSize) throws {
        try size.validate("CenterCrop")
        self.size = size
    }

    public func callAsFunction(_ image: FloatImage, generator: inout RandomGenerator) throws -> FloatImage {
        try Self.crop(image, to: size)
    }

    /// The deterministic crop itself.
    public static func crop(_ image: FloatImage, to size: ImageSize) throws -> FloatImage {
        var image = image
        let (ch, cw) = (size.height, size.width)
        if cw > image.width || ch > image.height {
            let padding = Padding(left: cw > image.width ? (cw - image.width) / 2 : 0,
                                  top: ch > image.height ? (ch - image.height) / 2 : 0,
                                  right: cw > image.width ? (cw - image.width + 1) / 2 : 0,
                                  bottom: ch > image.height ? (ch - image.height + 1) / 2 : 0)
            image = try image.padded(padding, mode: .constant(0))
            if image.width == cw && image.height == ch { return image }
        }
        let top = pythonRound(Double(image.height - ch) / 2), left = pythonRound(Double(image.width - cw) / 2)
        return image.cropped(top: top, left: left, height: ch, width: cw)
    }

    public var description: String { "CenterCrop(\(size))" }
}

/// Mirrors the image left to right with probability `p` (torchvision's `RandomHorizontalFlip`:
/// one `torch.rand(1) < p` per image).
public struct RandomHorizontalFlip: Transform {
    public let p: Double

    /// - Throws: ``ConvNetError`` unless `p` lies in [0, 1].
    public init(p: Double = 0.5) throws {
        guard (0...1).contains(p) else { throw ConvNetError(op: "RandomHorizontalFlip", "p \(p) must lie in [0, 1]") }
        self.p = p
    }

    public func callAsFunction(_ image: FloatImage, generator: inout RandomGenerator) throws -> FloatImage {
        generator.nextUniform() < Float(p) ? image.flippedHorizontally() : image
    }

    public var description: String { p == 0.5 ? "RandomHorizontalFlip()" : "RandomHorizontalFlip(p=\(p))" }
}

/// Mirrors the image top to bottom with probability `p` (torchvision's `RandomVerticalFlip`).
public struct RandomVerticalFlip: Transform {
    public let p: Double

    /// - Throws: ``ConvNetError`` unless `p` lies in [0, 1].
    public init(p: Double = 0.5) throws {
        guard (0...1).contains(p) else { throw ConvNetError(op: "RandomVerticalFlip", "p \(p) must lie in [0, 1]") }
        self.p = p
    }

    public func callAsFunction(_ image: FloatImage, generator: inout RandomGenerator) throws -> FloatImage {
        generator.nextUniform() < Float(p) ? image.flippedVertically() : image
    }

    public var description: String { p == 0.5 ? "RandomVerticalFlip()" : "RandomVerticalFlip(p=\(p))" }
}
