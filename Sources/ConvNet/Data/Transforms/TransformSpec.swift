import Foundation

/// Reads a pipeline written as torchvision calls, the syntax of `convnet train --augment`:
/// `RandomCrop(32, padding=4), RandomHorizontalFlip(), ColorJitter(0.4, 0.4, 0.4, 0.1)`.
/// The same text is valid Python: inside `T.Compose([…])` it builds torchvision's pipeline.
///
/// Names are torchvision's (any letter case): `RandomCrop`, `CenterCrop`, `Resize`,
/// `RandomResizedCrop`, `RandomHorizontalFlip`, `RandomVerticalFlip`, `ColorJitter`, `Pad`,
/// `Normalize`, and `Lighting(alphastd)` (AlexNet's PCA noise; `pca='dataset'` for the training
/// set's components). Arguments are positional or `name=value` as in torchvision; values are
/// numbers (`3/4` allowed), tuples `(a, b)`, strings (`'reflect'` or `reflect`) and
/// `True`/`False`. A crop's size may be left out: it is then the model's input size. Presets:
/// `cifar` (RandomCrop(size, padding=4), RandomHorizontalFlip()), `imagenet`
/// (RandomResizedCrop(size), RandomHorizontalFlip()) and `none`.
public enum TransformSpec {
    /// The named presets.
    public static let presets = ["none", "cifar", "imagenet"]

    /// What ``parse(_:imageSize:principalComponents:)`` needs from the training set, asked for only when used.
    public typealias PrincipalComponents = () throws -> (eigenvalues: [Float], eigenvectors: [[Float]])

    /// The pipeline `text` describes.
    /// - Parameters:
    ///   - imageSize: the size crops default to (the model's input).
    ///   - principalComponents: the training set's RGB eigen-decomposition, for `Lighting(pca='dataset')`.
    /// - Throws: ``ConvNetError`` naming `--augment`, the position and what was expected.
    public static func parse(_ text: String, imageSize: ImageSize? = nil,
                             principalComponents: PrincipalComponents? = nil) throws -> Compose {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        switch trimmed {
        case "", "none": return Compose([])
        case "cifar":
            return try parse("RandomCrop(padding=4), RandomHorizontalFlip()", imageSize: imageSize)
        case "imagenet":
            return try parse("RandomResizedCrop(), RandomHorizontalFlip()", imageSize: imageSize)
        default: break
        }
        var parser = Parser(text: text)
        var transforms: [any Transform] = []
        repeat {
            let call = try parser.call()
            do {
                transforms.append(try make(call, imageSize: imageSize, principalComponents: principalComponents))
            } catch let error as ConvNetError {
                throw ConvNetError(op: "`augment`", "\(call.name)(…): \(error.message)")
            }
        } while try parser.comma()
        try parser.end()
        return Compose(transforms)
    }

    // MARK: - Values

    enum Value: Equatable, CustomStringConvertible {
        case number(Double)
        case tuple([Value])
        case string(String)
        case bool(Bool)
        case none

        var description: String {
            switch self {
            case let .number(x): x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
            case let .tuple(items): "(" + items.map(\.description).joined(separator: ", ") + ")"
            case let .string(s): "'\(s)'"
            case let .bool(b): b ? "True" : "False"
            case .none: "None"
            }
        }
    }

    struct Call {
        var name: String
        var positional: [Value] = []
        var named: [(String, Value)] = []
    }

    /// The deepest nesting of tuples a value may have (torchvision's arguments nest at most 2
    /// deep): the reader recurses once per level, so the text cannot choose how deep it goes.
    public static let maximumNesting = 16

    /// A recursive-descent reader of the call list.
    struct Parser {
        let characters: [Character]
        var position = 0
        /// Tuples open around the current position.
        var depth = 0

        init(text: String) { characters = Array(text) }

        func fail(_ expected: String) -> ConvNetError {
            let found = position < characters.count ? "\"\(characters[position])\"" : "the end"
            return ConvNetError(op: "`augment`", "expected \(expected) at character \(position + 1), found \(found) in \(excerpt)")
        }

        /// The text around the current position, quoted, at most about 60 characters of it.
        var excerpt: String {
            guard characters.count > 60 else { return "\"\(String(characters))\"" }
            let start = max(0, min(position - 30, characters.count - 60)), end = min(characters.count, start + 60)
            return (start > 0 ? "…\"" : "\"") + String(characters[start..<end]) + (end < characters.count ? "\"…" : "\"")
        }

        mutating func skipSpaces() { while position < characters.count && characters[position].isWhitespace { position += 1 } }

        mutating func take(_ c: Character) -> Bool {
            skipSpaces()
            if position < characters.count && characters[position] == c { position += 1; return true }
            return false
        }

        mutating func identifier() -> String? {
            skipSpaces()
            let start = position
            while position < characters.count && (characters[position].isLetter || characters[position].isNumber || characters[position] == "_" || characters[position] == ".") {
                position += 1
            }
            return position > start ? String(characters[start..<position]) : nil
        }

        mutating func comma() throws -> Bool { take(",") }

        mutating func end() throws {
            skipSpaces()
            if position < characters.count { throw fail("\",\" or the end") }
        }

        mutating func call() throws -> Call {
            guard var name = identifier(), name.first?.isLetter == true else { throw fail("a transform name such as RandomCrop") }
            if name.lowercased().hasPrefix("t.") { name = String(name.dropFirst(2)) }  // T.RandomCrop as in Python
            var call = Call(name: name)
            guard take("(") else { return call }
            if take(")") { return call }
            repeat {
                skipSpaces()
                let mark = position
                if let key = identifier(), take("=") {
                    call.named.append((key.lowercased(), try value()))
                } else {
                    position = mark
                    guard call.named.isEmpty else { throw fail("name=value (a positional argument after a named one)") }
                    call.positional.append(try value())
                }
            } while take(",")
            guard take(")") else { throw fail("\")\"") }
            return call
        }

        mutating func value() throws -> Value {
            skipSpaces()
            guard position < characters.count else { throw fail("a value") }
            let c = characters[position]
            if c == "(" || c == "[" {
                guard depth < TransformSpec.maximumNesting else {
                    throw ConvNetError(op: "`augment`", "tuples nested more than \(TransformSpec.maximumNesting) deep at character \(position + 1) in \(excerpt)")
                }
                depth += 1
                defer { depth -= 1 }
                position += 1
                let close: Character = c == "(" ? ")" : "]"
                var items: [Value] = []
                if take(close) { return .tuple(items) }
                repeat {
                    if take(close) { return .tuple(items) }  // trailing comma
                    items.append(try value())
                } while take(",")
                guard take(close) else { throw fail("\"\(close)\"") }
                return .tuple(items)
            }
            if c == "'" || c == "\"" {
                position += 1
                let start = position
                while position < characters.count && characters[position] != c { position += 1 }
                guard position < characters.count else { throw fail("a closing quote") }
                defer { position += 1 }
                return .string(String(characters[start..<position]))
            }
            if c.isNumber || c == "-" || c == "+" || c == "." {
                let first = try number()
                if take("/") {
                    let divisor = try number()
                    guard divisor != 0 else { throw fail("a non-zero divisor") }
                    return .number(first / divisor)
                }
                return .number(first)
            }
            guard let word = identifier() else { throw fail("a value") }
            switch word {
            case "True", "true": return .bool(true)
            case "False", "false": return .bool(false)
            case "None": return .none
            default: return .string(word)
            }
        }

        mutating func number() throws -> Double {
            skipSpaces()
            let start = position
            while position < characters.count && (characters[position].isNumber || "+-.eE".contains(characters[position])) {
                position += 1
            }
            guard let x = Double(String(characters[start..<position])), x.isFinite else {
                position = start
                throw fail("a number")
            }
            return x
        }
    }

    // MARK: - Building transforms

    /// The arguments of one call, matched to a torchvision signature.
    struct Arguments {
        let call: Call
        let parameters: [String]
        var values: [String: Value] = [:]

        init(_ call: Call, _ parameters: [String], aliases: [String: String] = [:]) throws {
            (self.call, self.parameters) = (call, parameters)
            guard call.positional.count <= parameters.count else {
                throw ConvNetError(op: call.name, "takes at most \(parameters.count) arguments (\(parameters.joined(separator: ", "))), got \(call.positional.count)")
            }
            for (name, value) in zip(parameters, call.positional) { values[name] = value }
            for (key, value) in call.named {
                let name = aliases[key] ?? key
                guard parameters.contains(name) else {
                    throw ConvNetError(op: call.name, "has no argument \"\(key)\" (it takes \(parameters.joined(separator: ", ")))")
                }
                guard values[name] == nil else { throw ConvNetError(op: call.name, "\"\(name)\" is given twice") }
                values[name] = value
            }
        }

        func has(_ name: String) -> Bool { values[name].map { $0 != .none } ?? false }

        func number(_ name: String, default fallback: Double) throws -> Double {
            switch values[name] {
            case nil, .none?: return fallback
            case let .number(x)?: return x
            case let other?: throw ConvNetError(op: call.name, "\(name) must be a number, not \(other)")
            }
        }

        func integer(_ name: String) throws -> Int? {
            switch values[name] {
            case nil, .none?: return nil
            case let .number(x)? where x == x.rounded() && abs(x) < 1e9: return Int(x)
            case let other?: throw ConvNetError(op: call.name, "\(name) must be a whole number, not \(other)")
            }
        }

        func numbers(_ name: String) throws -> [Double]? {
            switch values[name] {
            case nil, .none?: return nil
            case let .number(x)?: return [x]
            case let .tuple(items)?:
                return try items.map {
                    guard case let .number(x) = $0 else { throw ConvNetError(op: call.name, "\(name) must hold numbers, not \($0)") }
                    return x
                }
            case let other?: throw ConvNetError(op: call.name, "\(name) must be a number or a tuple of numbers, not \(other)")
            }
        }

        func integers(_ name: String) throws -> [Int]? {
            try numbers(name).map { list in
                try list.map {
                    guard $0 == $0.rounded(), abs($0) < 1e9 else { throw ConvNetError(op: call.name, "\(name) must hold whole numbers, not \($0)") }
                    return Int($0)
                }
            }
        }

        func pair(_ name: String, default fallback: (Double, Double)) throws -> (Double, Double) {
            guard let list = try numbers(name) else { return fallback }
            guard list.count == 2 else { throw ConvNetError(op: call.name, "\(name) must be a pair (low, high), not \(list)") }
            return (list[0], list[1])
        }

        func string(_ name: String) throws -> String? {
            switch values[name] {
            case nil, .none?: return nil
            case let .string(s)?: return s
            case let other?: throw ConvNetError(op: call.name, "\(name) must be a word such as 'reflect', not \(other)")
            }
        }

        func bool(_ name: String) throws -> Bool {
            switch values[name] {
            case nil, .none?: return false
            case let .bool(b)?: return b
            case let other?: throw ConvNetError(op: call.name, "\(name) must be True or False, not \(other)")
            }
        }

        /// A size: one number (square, or the shorter side for Resize) or (height, width); absent → `fallback`.
        func size(_ name: String, default fallback: ImageSize?) throws -> ImageSize {
            guard let list = try integers(name) else {
                guard let fallback else { throw ConvNetError(op: call.name, "needs a size (no model input size to default to)") }
                return fallback
            }
            switch list.count {
            case 1: return ImageSize(list[0])
            case 2: return ImageSize(height: list[0], width: list[1])
            default: throw ConvNetError(op: call.name, "\(name) must be one number or (height, width), not \(list)")
            }
        }

        func paddingMode() throws -> PaddingMode {
            let fill = try number("fill", default: 0)
            switch try string("padding_mode") ?? "constant" {
            case "constant": return .constant(Float(fill))
            case "edge": return .edge
            case "reflect": return .reflect
            case "symmetric": return .symmetric
            case let other: throw ConvNetError(op: call.name, "padding_mode \"\(other)\" is not one of constant, edge, reflect, symmetric")
            }
        }

        /// ColorJitter's amount: one number or a (min, max) range.
        func jitter(_ name: String) throws -> (amount: Double?, range: ClosedRange<Double>?) {
            guard let list = try numbers(name) else { return (0, nil) }
            if list.count == 1 { return (list[0], nil) }
            guard list.count == 2, list[0] <= list[1] else { throw ConvNetError(op: call.name, "\(name) must be a number or (min, max), not \(list)") }
            return (nil, list[0]...list[1])
        }
    }

    static func make(_ call: Call, imageSize: ImageSize?, principalComponents: PrincipalComponents?) throws -> any Transform {
        switch call.name.lowercased() {
        case "randomcrop":
            let a = try Arguments(call, ["size", "padding", "pad_if_needed", "fill", "padding_mode"])
            let padding = try a.integers("padding").map { try Padding($0) }
            return try RandomCrop(a.size("size", default: imageSize), padding: padding, padIfNeeded: a.bool("pad_if_needed"),
                                  mode: a.paddingMode())
        case "centercrop":
            let a = try Arguments(call, ["size"])
            return try CenterCrop(a.size("size", default: imageSize))
        case "resize":
            let a = try Arguments(call, ["size", "interpolation", "max_size", "antialias"])
            if let interpolation = try a.string("interpolation"), !interpolation.lowercased().hasSuffix("bilinear") {
                throw ConvNetError(op: call.name, "only bilinear interpolation is supported, not \(interpolation)")
            }
            guard !a.has("max_size") else { throw ConvNetError(op: call.name, "max_size is not supported") }
            if let list = try a.integers("size"), list.count == 1 { return try Resize(.shorterSide(list[0])) }
            return try Resize(.exactly(a.size("size", default: imageSize)))
        case "randomresizedcrop":
            let a = try Arguments(call, ["size", "scale", "ratio", "interpolation", "antialias"])
            if let interpolation = try a.string("interpolation"), !interpolation.lowercased().hasSuffix("bilinear") {
                throw ConvNetError(op: call.name, "only bilinear interpolation is supported, not \(interpolation)")
            }
            return try RandomResizedCrop(a.size("size", default: imageSize), scale: a.pair("scale", default: (0.08, 1)),
                                         ratio: a.pair("ratio", default: (3.0 / 4, 4.0 / 3)))
        case "randomhorizontalflip":
            return try RandomHorizontalFlip(p: Arguments(call, ["p"]).number("p", default: 0.5))
        case "randomverticalflip":
            return try RandomVerticalFlip(p: Arguments(call, ["p"]).number("p", default: 0.5))
        case "colorjitter":
            let a = try Arguments(call, ["brightness", "contrast", "saturation", "hue"])
            let (b, c, s, h) = try (a.jitter("brightness"), a.jitter("contrast"), a.jitter("saturation"), a.jitter("hue"))
            if b.range == nil && c.range == nil && s.range == nil && h.range == nil {
                return try ColorJitter(brightness: b.amount ?? 0, contrast: c.amount ?? 0, saturation: s.amount ?? 0, hue: h.amount ?? 0)
            }
            func range(_ j: (amount: Double?, range: ClosedRange<Double>?), center: Double, clip: Bool) throws -> ClosedRange<Double>? {
                if let r = j.range { return r }
                guard let x = j.amount, x != 0 else { return nil }
                guard x > 0 else { throw ConvNetError(op: call.name, "amounts must be non-negative, not \(x)") }
                return (clip ? max(0, center - x) : center - x)...(center + x)
            }
            return try ColorJitter(ranges: range(b, center: 1, clip: true), contrast: range(c, center: 1, clip: true),
                                   saturation: range(s, center: 1, clip: true), hue: range(h, center: 0, clip: false))
        case "pad":
            let a = try Arguments(call, ["padding", "fill", "padding_mode"])
            guard let padding = try a.integers("padding") else { throw ConvNetError(op: call.name, "needs a padding") }
            return Pad(try Padding(padding), mode: try a.paddingMode())
        case "normalize":
            let a = try Arguments(call, ["mean", "std", "inplace"])
            guard let mean = try a.numbers("mean"), let std = try a.numbers("std") else {
                throw ConvNetError(op: call.name, "needs mean and std")
            }
            return try Normalize(mean: mean.map { Float($0) }, std: std.map { Float($0) })
        case "lighting":
            let a = try Arguments(call, ["alphastd", "pca"], aliases: ["alpha_std": "alphastd"])
            let std = Float(try a.number("alphastd", default: 0.1))
            switch try a.string("pca") ?? "imagenet" {
            case "imagenet": return try Lighting(alphaStd: std)
            case "dataset":
                guard let principalComponents else { throw ConvNetError(op: call.name, "pca='dataset' needs a training set") }
                let (values, vectors) = try principalComponents()
                return try Lighting(alphaStd: std, eigenvalues: values, eigenvectors: vectors)
            case let other: throw ConvNetError(op: call.name, "pca must be 'imagenet' or 'dataset', not '\(other)'")
            }
        default:
            throw ConvNetError(op: "`augment`", "unknown transform \"\(call.name)\" (known: RandomCrop, CenterCrop, Resize, RandomResizedCrop, RandomHorizontalFlip, RandomVerticalFlip, ColorJitter, Pad, Normalize, Lighting; presets: \(presets.joined(separator: ", ")))")
        }
    }
}
