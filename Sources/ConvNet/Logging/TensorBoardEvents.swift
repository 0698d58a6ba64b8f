import Foundation
import SwiftProtobuf

/// One event of a TensorBoard event file, as ``TensorBoardEvents/read(path:)`` decodes it.
public struct TensorBoardEvent: Sendable, Equatable {
    /// A summary value: what TensorBoard plots or shows.
    public enum Value: Sendable, Equatable {
        case scalar(tag: String, value: Float)
        /// An encoded image (PNG for the files this library writes); `channels` is the colorspace.
        case image(tag: String, width: Int, height: Int, channels: Int, encoded: Data)
        /// A kind this library does not decode (histograms, tensors, audio).
        case other(tag: String)
    }

    /// Seconds since the Unix epoch.
    public var wallTime: Double
    public var step: Int
    /// Set on a file's first event (`brain.Event:2`).
    public var fileVersion: String?
    public var values: [Value]
}

/// Reads TensorBoard event files: TFRecord framing with both CRCs checked, then each record
/// decoded as a `tensorflow.Event` protobuf.
public enum TensorBoardEvents {
    /// The events of one file, in the order written.
    /// - Throws: ``ConvNetError`` naming the file for an unreadable file, a truncated record, a CRC
    ///   that does not match, or a record that is not an Event protobuf.
    public static func read(path: String) throws -> [TensorBoardEvent] {
        let data = try RegularFile.data(path, op: "tensorboard")
        return try TFRecord.records(in: data, name: path).enumerated().map { index, record in
            let event: Tensorflow_Event
            do {
                event = try Tensorflow_Event(serializedBytes: record)
            } catch {
                throw ConvNetError(op: "tensorboard", "\(path): record \(index + 1) is not an Event protobuf (\(error))")
            }
            return TensorBoardEvent(
                wallTime: event.wallTime, step: Int(event.step),
                fileVersion: event.what.flatMap { if case let .fileVersion(version) = $0 { version } else { nil } },
                values: event.summary.value.map { value in
                    switch value.value {
                    case let .simpleValue(scalar)?: .scalar(tag: value.tag, value: scalar)
                    case let .image(image)?:
                        .image(tag: value.tag, width: Int(image.width), height: Int(image.height),
                               channels: Int(image.colorspace), encoded: image.encodedImageString)
                    case nil: .other(tag: value.tag)
                    }
                })
        }
    }

    /// The event files (`*tfevents*`, as TensorBoard picks them) directly in `directory`, sorted by name.
    public static func files(in directory: String) throws -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw ConvNetError(op: "tensorboard", "cannot list \(directory) (\(ConvNetError.systemReason(error)))")
        }
        return names.filter { $0.contains("tfevents") }.sorted().map { directory + "/" + $0 }
    }
}
