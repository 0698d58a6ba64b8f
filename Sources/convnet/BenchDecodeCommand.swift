import ArgumentParser
import ConvNet
import Foundation

extension BenchCommand {
    /// `convnet bench decode FILES…`: images decoded per second, for Benchmarks/decode_pairs.sh.
    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Images decoded per second (PNG or JPEG, one thread), from bytes already in memory.",
            discussion: """
                The files are read first; then every file is decoded in turn (Image.decode, as \
                Image.read does after reading), and the median time of a pass over all of them is \
                reported. Example: convnet bench decode images/*.jpg
                """)

        @Option(help: "1 (gray) or 3 (RGB).") var channels = 3
        @Option(help: "Seconds to spend on timed passes (at least 3 passes).") var budget = 3.0
        @Argument(help: "PNG or JPEG files.") var files: [String]

        struct Result: Encodable {
            var files: Int, channels: Int, megapixels: Double, passMilliseconds: Double
            var imagesPerSecond: Double, megapixelsPerSecond: Double
        }

        func validate() throws {
            guard !files.isEmpty else { throw ValidationError("give at least one image file") }
            guard channels == 1 || channels == 3 else { throw ValidationError("--channels must be 1 or 3") }
        }

        func run() throws {
            let contents = try files.map { argument in
                let file = RawArguments.path(argument)
                return (file.description, try Image.readFile(file))
            }
            var pixels = 0
            for (path, data) in contents {
                let image = try Image.decode(data, channels: channels, source: path)
                pixels += image.width * image.height
            }
            let milliseconds = try Stopwatch.medianMilliseconds(budget: budget, minRepeats: 3, maxRepeats: 50) {
                for (path, data) in contents { _ = try Image.decode(data, channels: channels, source: path) }
            }
            let seconds = milliseconds / 1e3
            try printJSON(Result(files: files.count, channels: channels, megapixels: Double(pixels) / 1e6,
                                 passMilliseconds: milliseconds, imagesPerSecond: Double(files.count) / seconds,
                                 megapixelsPerSecond: Double(pixels) / 1e6 / seconds))
        }
    }
}
