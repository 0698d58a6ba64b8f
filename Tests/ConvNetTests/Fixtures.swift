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

extension Fixtures {
    /// The shared real data sets: `$CONVNET_DATA_DIR`, default `../shared/data` beside the package
    /// (MNIST, Fashion-MNIST, the CIFAR-10 sample).
    static var sharedData: URL {
        if let dir = ProcessInfo.processInfo.environment["CONVNET_DATA_DIR"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data")
    }

    /// The CIFAR-10 sample (the first 4,000 records of data_batch_1, gzipped).
    static var cifarSample: String { sharedData.appendingPathComponent("cifar-10-sample").path }

    /// A fresh temporary folder path (not created).
    static func temporaryFolder(_ name: String = "convnet") -> String {
        NSTemporaryDirectory() + "\(name)-\(UUID().uuidString)"
    }
}
