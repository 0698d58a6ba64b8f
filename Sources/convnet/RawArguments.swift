import ConvNet
import Foundation

/// Command-line arguments as the bytes the shell passed. A file name that is not UTF-8 reaches
/// `CommandLine.arguments` (and so every option) with U+FFFD in place of its odd bytes, and would
/// then name no file: the argument's own bytes are looked up again in `argv`.
enum RawArguments {
    /// The path `argument` stands for: the bytes of the `argv` entry that decodes to it when it
    /// holds a replacement character, else its UTF-8.
    static func path(_ argument: String) -> RawPath {
        guard argument.contains("\u{FFFD}") else { return RawPath(argument) }
        for i in 0..<Int(CommandLine.argc) {
            guard let entry = CommandLine.unsafeArgv[i] else { continue }
            let bytes = Array(UnsafeRawBufferPointer(start: entry, count: strlen(entry)))
            if String(decoding: bytes, as: UTF8.self) == argument { return RawPath(bytes: bytes) }
        }
        return RawPath(argument)
    }
}
