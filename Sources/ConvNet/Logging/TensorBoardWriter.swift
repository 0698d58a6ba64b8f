import Foundation
import SwiftProtobuf

/// Writes a TensorBoard event file (`events.out.tfevents.<unix time>.<host>`, the name
/// TensorFlow gives its own) that `tensorboard --logdir DIR` shows: scalars and PNG images as
/// `tensorflow.Event` protobufs in TFRecord framing. The first record is the file version
/// `brain.Event:2`. Records collect in memory and reach the file on ``flush()`` (and, for a live
/// view inside long epochs, at most ``flushInterval`` seconds after they were added).
public final class TensorBoardWriter {
    /// The event file.
    public let path: String
    /// Seconds between automatic flushes while events are added.
    public var flushInterval: Double = 10
    private let descriptor: Int32
    private var pending = Data()
    private var lastFlush = Date()

    /// Creates `directory` (and its parents) if needed and checks that it is a folder this process
    /// may write in, so a bad `--tensorboard` fails before any work is done. A symbolic link is
    /// refused as for every output (see ``PathKind/requireWritableFolder(_:op:)``).
    /// - Throws: ``ConvNetError`` naming the path when it is not a folder or cannot be created or written.
    public static func prepare(directory: String) throws {
        guard !directory.isEmpty else { throw ConvNetError(op: "tensorboard", "the folder for event files must be named (it is empty)") }
        if try PathKind.requireWritableFolder(directory, op: "tensorboard") == .missing {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw ConvNetError(op: "tensorboard", "cannot create the folder \(directory): \(ConvNetError.systemReason(error))")
            }
        }
        guard access(directory, W_OK | X_OK) == 0 else {
            throw ConvNetError(op: "tensorboard", "cannot write in \(directory): \(String(cString: strerror(errno)))")
        }
    }

    /// Opens a new event file in `directory` (see ``prepare(directory:)``) and writes its
    /// version record. The file is created exclusively (`O_EXCL | O_NOFOLLOW`: an existing file
    /// or a link planted at its name is never opened); when the name is taken, this process's
    /// id and then a random part are appended.
    /// - Throws: ``ConvNetError`` naming the folder or file when it cannot be created or written.
    public init(directory: String, now: Date = Date()) throws {
        try Self.prepare(directory: directory)
        let host = ProcessInfo.processInfo.hostName.replacingOccurrences(of: "/", with: "_")
        let base = directory + "/events.out.tfevents.\(Int(now.timeIntervalSince1970)).\(host)"
        let candidates = [base, base + ".\(getpid())"] + (0..<4).map { _ in base + ".\(getpid()).\(UInt32.random(in: .min ... .max))" }
        var path = base
        var descriptor: Int32 = -1
        for candidate in candidates {
            path = candidate
            descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_APPEND | O_CLOEXEC, 0o666)
            if descriptor >= 0 || errno != EEXIST { break }
        }
        guard descriptor >= 0 else {
            throw ConvNetError(op: "tensorboard", "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        self.path = path
        self.descriptor = descriptor
        var event = Tensorflow_Event()
        event.wallTime = now.timeIntervalSince1970
        event.fileVersion = Self.fileVersion
        try add(event)
        try flush()
    }

    deinit {
        try? flush()
        close(descriptor)
    }

    /// The version string of the first record, which TensorBoard checks.
    public static let fileVersion = "brain.Event:2"

    /// Adds a scalar (a line in TensorBoard's Scalars tab) for `tag` at `step`.
    public func addScalar(_ tag: String, _ value: Double, step: Int, wallTime: Date = Date()) throws {
        var summaryValue = Tensorflow_Summary.Value()
        summaryValue.tag = tag
        summaryValue.simpleValue = Float(value)
        try add(summary: summaryValue, step: step, wallTime: wallTime)
    }

    /// Adds an image (TensorBoard's Images tab, one slider position per step) for `tag` at `step`,
    /// stored as a PNG.
    /// - Throws: ``ConvNetError`` when the image cannot be encoded or the file cannot be written.
    public func addImage(_ tag: String, _ image: Image, step: Int, wallTime: Date = Date()) throws {
        var picture = Tensorflow_Summary.Image()
        picture.height = Int32(image.height)
        picture.width = Int32(image.width)
        picture.colorspace = Int32(image.channels)
        picture.encodedImageString = try image.pngData()
        var summaryValue = Tensorflow_Summary.Value()
        summaryValue.tag = tag
        summaryValue.image = picture
        try add(summary: summaryValue, step: step, wallTime: wallTime)
    }

    /// Adds a session start at `step`: TensorBoard then drops the events it read before with a
    /// step of `step` or more (what a run that crashed after its last checkpoint logged).
    public func addSessionStart(step: Int, wallTime: Date = Date()) throws {
        var event = Tensorflow_Event()
        event.wallTime = wallTime.timeIntervalSince1970
        event.step = Int64(step)
        event.sessionLog.status = .start
        try add(event)
    }

    /// Writes every event added so far to the file (one `write`, no fsync: a crash loses at
    /// most the events since the last flush, never the file's earlier records).
    /// - Throws: ``ConvNetError`` naming the file when the write fails (a full disk).
    public func flush() throws {
        lastFlush = Date()
        guard !pending.isEmpty else { return }
        let failure: String? = pending.withUnsafeBytes { raw in
            var written = 0
            while written < raw.count {
                let n = write(descriptor, raw.baseAddress! + written, raw.count - written)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return String(cString: strerror(errno)) }
                written += n
            }
            return nil
        }
        pending.removeAll(keepingCapacity: true)
        if let failure { throw ConvNetError(op: "tensorboard", "cannot write \(path): \(failure)") }
    }

    private func add(summary value: Tensorflow_Summary.Value, step: Int, wallTime: Date) throws {
        var event = Tensorflow_Event()
        event.wallTime = wallTime.timeIntervalSince1970
        event.step = Int64(step)
        event.summary.value = [value]
        try add(event)
    }

    private func add(_ event: Tensorflow_Event) throws {
        pending.append(TFRecord.frame(try event.serializedBytes()))
        if Date().timeIntervalSince(lastFlush) >= flushInterval { try flush() }
    }
}
