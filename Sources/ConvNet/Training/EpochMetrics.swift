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
