import ConvNet
import Foundation

/// The PyTorch reference cases in `$CONVNET_GOLDEN_DIR` (default `../shared/golden` beside the
/// package): every `*.json` file there, each `{"generator", "seed", "cases": [...]}`; and the cases
/// of operators the open issues add, in `$CONVNET_GOLDEN_NEXT_DIR` (default `../shared/golden-next`).
enum GoldenFiles {
    /// The folder the runner reads.
    static var directory: URL { folder(environment: "CONVNET_GOLDEN_DIR", default: "golden") }

    /// The cases of operators being added (same format), read the same way: `make test` and
    /// `.ci/run` set neither variable, so both folders come from `../shared` beside the package.
    static var nextDirectory: URL { folder(environment: "CONVNET_GOLDEN_NEXT_DIR", default: "golden-next") }

    /// `$variable` when set, else `../shared/<name>` beside the package.
    private static func folder(environment variable: String, default name: String) -> URL {
        if let dir = ProcessInfo.processInfo.environment[variable], !dir.isEmpty {
            return URL(fileURLWithPath: dir)
        }
        // Tests/ConvNetTests/Golden/GoldenFile.swift → package root → ../shared/<name>
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return root.deletingLastPathComponent().appendingPathComponent("shared/\(name)")
    }

    /// Further cases written by Tools/generate_golden_cases.py (other strides, paddings, reductions…).
    static var extraDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/golden-extra")
    }

    /// Every JSON file in `folder` (default: the golden folder), sorted by name.
    static func jsonFiles(in folder: URL = directory) throws -> [URL] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        return names.filter { $0.hasSuffix(".json") }.sorted().map { folder.appendingPathComponent($0) }
    }

    /// The `cases` array of one file.
    static func cases(in file: URL) throws -> [[String: Any]] {
        let data = try Data(contentsOf: file)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let cases = object["cases"] as? [[String: Any]] else {
            throw GoldenError("\(file.lastPathComponent): not an object with a \"cases\" array")
        }
        return cases
    }
}

/// Something in a golden file that the runner cannot interpret: always a test failure.
struct GoldenError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Typed access to one case's JSON.
struct GoldenValue {
    let raw: Any
    let path: String

    init(_ raw: Any, path: String) {
        self.raw = raw
        self.path = path
    }

    subscript(key: String) -> GoldenValue? {
        guard let dict = raw as? [String: Any], let v = dict[key], !(v is NSNull) else { return nil }
        return GoldenValue(v, path: path + "." + key)
    }

    func required(_ key: String) throws -> GoldenValue {
        guard let v = self[key] else { throw GoldenError("\(path): missing \"\(key)\"") }
        return v
    }

    var keys: [String] { ((raw as? [String: Any])?.keys).map { Array($0).sorted() } ?? [] }
    var string: String? { raw as? String }

    func double() throws -> Double {
        guard let n = raw as? NSNumber else { throw GoldenError("\(path): expected a number") }
        return n.doubleValue
    }

    func bool() throws -> Bool {
        guard let n = raw as? NSNumber else { throw GoldenError("\(path): expected a boolean") }
        return n.boolValue
    }

    /// An int, or a pair `[h, w]` for kernel/stride/padding.
    func size2() throws -> Size2 {
        if let n = raw as? NSNumber { return Size2(n.intValue) }
        if let a = raw as? [NSNumber], a.count == 2 { return Size2(a[0].intValue, a[1].intValue) }
        if let a = raw as? [NSNumber], a.count == 1 { return Size2(a[0].intValue) }
        throw GoldenError("\(path): expected an integer or a pair of integers")
    }

    /// `{"shape": [...], "data": [...]}` as a tensor. JSON has no NaN or infinity: those are the
    /// strings "nan", "inf" and "-inf".
    func tensor(requiresGrad: Bool = false) throws -> Tensor {
        guard let dict = raw as? [String: Any], let shape = dict["shape"] as? [NSNumber],
              let data = dict["data"] as? [Any] else {
            throw GoldenError("\(path): expected {\"shape\": [...], \"data\": [...]}")
        }
        let scalars = try data.map { value -> Float in
            if let n = value as? NSNumber { return n.floatValue }
            switch value as? String {
            case "nan": return .nan
            case "inf": return .infinity
            case "-inf": return -.infinity
            default: throw GoldenError("\(path): \(value) is neither a number nor \"nan\", \"inf\", \"-inf\"")
            }
        }
        return try Tensor(shape: shape.map(\.intValue), scalars: scalars, requiresGrad: requiresGrad)
    }

    /// Integer class labels stored as a tensor.
    func labels() throws -> [Int] {
        guard let dict = raw as? [String: Any], let data = dict["data"] as? [NSNumber] else {
            if let a = raw as? [NSNumber] { return a.map(\.intValue) }
            throw GoldenError("\(path): expected integer labels")
        }
        return data.map(\.intValue)
    }
}

/// Compares tensors as the golden README prescribes.
enum GoldenCompare {
    /// Per element: |got − want| ≤ rtol·|want| + atol (operators: 1e-4, 1e-5). Where PyTorch gives
    /// NaN or ±infinity, exactly that is required; a non-finite value where PyTorch's is finite fails.
    static func elementwise(_ what: String, got: Tensor, want: Tensor, rtol: Float = 1e-4, atol: Float = 1e-5) -> String? {
        guard got.shape == want.shape else { return "\(what): shape \(got.shape), expected \(want.shape)" }
        let (g, w) = (got.scalars, want.scalars)
        for i in g.indices where !w[i].isFinite && !(w[i].isNaN ? g[i].isNaN : g[i] == w[i]) {
            return "\(what)[\(i)] = \(g[i]), expected \(w[i]) as PyTorch gives"
        }
        var worst: (index: Int, excess: Float)?
        for i in g.indices where w[i].isFinite {
            let limit = rtol * abs(w[i]) + atol
            let err = abs(g[i] - w[i])
            if !(err <= limit), err - limit > (worst?.excess ?? -1) || err.isNaN { worst = (i, err.isNaN ? .infinity : err - limit) }
        }
        guard let worst else { return nil }
        return "\(what)[\(worst.index)] = \(g[worst.index]), expected \(w[worst.index]) (tolerance \(rtol)·|want| + \(atol))"
    }

    /// Whole tensor: |got − want| ≤ rtol·max|want| (models and optimizers: 1e-4).
    static func relativeToLargest(_ what: String, got: Tensor, want: Tensor, rtol: Float = 1e-4) -> String? {
        guard got.shape == want.shape else { return "\(what): shape \(got.shape), expected \(want.shape)" }
        let (g, w) = (got.scalars, want.scalars)
        let scale = max(w.map(abs).max() ?? 0, 1e-6)
        for i in g.indices where !(abs(g[i] - w[i]) <= rtol * scale) {
            return "\(what)[\(i)] = \(g[i]), expected \(w[i]) (tolerance \(rtol)·max|want| = \(rtol * scale))"
        }
        return nil
    }
}
