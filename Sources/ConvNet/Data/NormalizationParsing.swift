import Foundation

/// Normalisations given from outside — `--mean`/`--std` options, an ONNX file's metadata —
/// checked before any image is normalised with them.
extension Normalization {
    /// The normalisation of `mean` and `std`, checked: as many of each (1 or 3, and `channels`
    /// when given), every value finite as a float, every std above zero.
    /// - Throws: ``ConvNetError`` for `op` naming `what` and the value at fault.
    public static func validated(mean: [Double], std: [Double], channels: Int? = nil, what: String, op: String) throws -> Normalization {
        guard mean.count == std.count, mean.count == 1 || mean.count == 3 else {
            throw ConvNetError(op: op, "\(what): \(mean.count) means and \(std.count) standard deviations; give one per channel (1 or 3) of each")
        }
        if let channels, mean.count != channels {
            throw ConvNetError(op: op, "\(what): \(mean.count) values per list but the model's input has \(channels) channels")
        }
        for (name, values) in [("mean", mean), ("std", std)] {
            for v in values where !Float(v).isFinite || (name == "std" && !(Float(v) > 0)) {
                throw ConvNetError(op: op, "\(what): \(name) \(v) must be \(name == "std" ? "a finite number above 0" : "a finite number")")
            }
        }
        return Normalization(mean: mean.map { Float($0) }, std: std.map { Float($0) })
    }

    /// `--mean 0.485,0.456,0.406 --std 0.229,0.224,0.225`: comma-separated numbers, checked as
    /// ``validated(mean:std:channels:what:op:)`` checks them.
    /// - Throws: ``ConvNetError`` naming the option and the text that is not a number.
    public static func parse(mean: String, std: String, channels: Int? = nil, op: String) throws -> Normalization {
        func numbers(_ text: String, _ option: String) throws -> [Double] {
            let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            guard parts.count <= 3 else { throw ConvNetError(op: op, "\(option): \(parts.count) values; give one per channel (1 or 3)") }
            return try parts.map { part in
                guard let v = Double(part.trimmingCharacters(in: .whitespaces)) else {
                    throw ConvNetError(op: op, "\(option) \(text.prefix(64)): \"\(part.prefix(32))\" is not a number (e.g. `mean` 0.485,0.456,0.406)")
                }
                return v
            }
        }
        return try validated(mean: try numbers(mean, "`mean`"), std: try numbers(std, "`std`"), channels: channels,
                             what: "`mean` \(mean.prefix(64)) `std` \(std.prefix(64))", op: op)
    }
}
