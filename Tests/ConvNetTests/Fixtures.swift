import Foundation

/// The files in Tests/ConvNetTests/Fixtures, written by the PyTorch tools in Tools/.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The `cases` object of a JSON fixture (`torch-random.json`, `torch-training-steps.json`);
    /// empty if the file is missing or not such a fixture, so that each test's lookup fails.
    static func cases(_ file: String) -> [String: Any] {
        let data = try? Data(contentsOf: directory.appendingPathComponent(file))
        let json = data.flatMap { try? JSONSerialization.jsonObject(with: $0) } as? [String: Any]
        return json?["cases"] as? [String: Any] ?? [:]
    }
}
