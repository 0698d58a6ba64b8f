import Foundation

/// One line of `metrics.csv`.
public struct EpochMetrics: Codable, Sendable, Equatable {
    /// 1-based epoch number.
    public var epoch: Int
    public var trainLoss: Double
    /// Percent.
    public var trainAccuracy: Double
    public var testLoss: Double
    /// Percent.
    public var testAccuracy: Double
    /// Wall time of the epoch's training pass (evaluation excluded).
    public var seconds: Double

    /// `epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds`.
    public static let csvHeader = "epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds"

    public var csvRow: String {
        String(format: "%d,%.6f,%.4f,%.6f,%.4f,%.3f", epoch, trainLoss, trainAccuracy, testLoss, testAccuracy, seconds)
    }

    /// The whole CSV file for `rows`.
    public static func csv(_ rows: [EpochMetrics]) -> String {
        ([csvHeader] + rows.map(\.csvRow)).joined(separator: "\n") + "\n"
    }
}

extension EpochMetrics {
    /// The rows of a `metrics.csv` as ``csv(_:)`` writes it.
    /// - Throws: ``ConvNetError`` naming `source` and the line for another header, a row without
    ///   six numbers, or epochs that do not count up from 1.
    public static func parseCSV(_ text: String, source: String) throws -> [EpochMetrics] {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard lines.first == csvHeader else {
            throw ConvNetError(op: "metrics", "\(source): the first line is not \"\(csvHeader)\"")
        }
        return try lines.dropFirst().enumerated().map { i, line in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { Double($0) }
            guard fields.count == 6, fields.allSatisfy({ $0 != nil }), let epoch = Int(exactly: fields[0]!), epoch == i + 1 else {
                throw ConvNetError(op: "metrics", "\(source), line \(i + 2): expected epoch \(i + 1) and five numbers, got \"\(line.prefix(80))\"")
            }
            return EpochMetrics(epoch: epoch, trainLoss: fields[1]!, trainAccuracy: fields[2]!, testLoss: fields[3]!,
                                testAccuracy: fields[4]!, seconds: fields[5]!)
        }
    }
}
