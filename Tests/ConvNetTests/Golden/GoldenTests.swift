import ConvNet
import Foundation
import Testing

/// Runs every case of every JSON file in the golden folder, on both CPU backends.
/// A missing folder, a file without cases, an unknown op or attribute: each is a failure.
@Suite("PyTorch golden cases")
struct GoldenTests {
    /// What kind of case a JSON object is, from its keys.
    static func run(_ c: GoldenValue, backend: ComputeBackend) throws -> [String] {
        if c["op"] != nil { return try GoldenOpRunner.check(c, backend: backend) }
        if c["optimizer"] != nil { return try GoldenOptimizerRunner.check(c) }
        if c["parameters"] != nil { return try GoldenModelRunner.check(c, backend: backend) }
        throw GoldenError("\(c.path): neither an op, an optimizer nor a model case (keys: \(c.keys))")
    }

    /// Runs all cases of all files; returns (cases run, failure messages).
    static func runAll(backend: ComputeBackend, folder: URL = GoldenFiles.directory) throws -> (Int, [String]) {
        var count = 0
        var failures: [String] = []
        for file in try GoldenFiles.jsonFiles(in: folder) {
            let cases = try GoldenFiles.cases(in: file)
            if cases.isEmpty { failures.append("\(file.lastPathComponent): no cases") }
            for (i, raw) in cases.enumerated() {
                let c = GoldenValue(raw, path: "\(file.lastPathComponent)#\(i)")
                do {
                    failures += try run(c, backend: backend)
                } catch {
                    failures.append("\(c["name"]?.string ?? c.path): \(error)")
                }
                count += 1
            }
        }
        return (count, failures)
    }

    @Test("the golden folder exists and holds ops.json")
    func folderExists() throws {
        let files = try GoldenFiles.jsonFiles().map(\.lastPathComponent)
        #expect(files.contains("ops.json"), "no ops.json in \(GoldenFiles.directory.path)")
    }

    @Test("every golden case passes", arguments: ComputeBackend.allCases)
    func everyCasePasses(backend: ComputeBackend) throws {
        let (count, failures) = try Self.runAll(backend: backend)
        #expect(count > 0, "no golden cases found in \(GoldenFiles.directory.path)")
        for failure in failures { Issue.record("[\(backend)] \(failure)") }
    }

    @Test("further PyTorch cases of the same format pass too", arguments: ComputeBackend.allCases)
    func extraCasesPass(backend: ComputeBackend) throws {
        let (count, failures) = try Self.runAll(backend: backend, folder: GoldenFiles.extraDirectory)
        #expect(count >= 27)
        for failure in failures { Issue.record("[\(backend)] \(failure)") }
    }

    /// golden-next's operators that the library does not have yet: their cases are counted, not
    /// run. Implementing one means removing it from here (the runner parses names into ``Op/Kind``). Empty: every
    /// operator of golden-next runs (an op neither known nor listed here still fails).
    static let pendingNextOps: Set<String> = []

    static func runNext(backend: ComputeBackend) throws -> (ran: [String: Int], pending: [String: Int], failures: [String]) {
        var ran: [String: Int] = [:], pending: [String: Int] = [:], failures: [String] = []
        let files = try GoldenFiles.jsonFiles(in: GoldenFiles.nextDirectory)
        if files.isEmpty { failures.append("no JSON files in \(GoldenFiles.nextDirectory.path)") }
        for file in files {
            for (i, raw) in try GoldenFiles.cases(in: file).enumerated() {
                let c = GoldenValue(raw, path: "\(file.lastPathComponent)#\(i)")
                let name = c["name"]?.string ?? c.path
                guard let op = c["op"]?.string else { failures.append("\(name): not an operator case"); continue }
                if pendingNextOps.contains(op) { pending[op, default: 0] += 1; continue }
                guard GoldenOpRunner.Operation(op, description: "") != nil else {
                    failures.append("\(name): op \"\(op)\" is neither known to the runner nor pending")
                    continue
                }
                do {
                    failures += try GoldenOpRunner.check(c, backend: backend)
                } catch {
                    failures.append("\(name): \(error)")
                }
                ran[op, default: 0] += 1
            }
        }
        return (ran, pending, failures)
    }

    @Test("golden-next: every case passes (grouped and dilated conv2d, the modern activations, layer norm, channel shuffle), none pending",
          arguments: ComputeBackend.allCases)
    func nextCasesPass(backend: ComputeBackend) throws {
        let implemented = Set(Op.Kind.allCases.map(\.rawValue))
        #expect(Self.pendingNextOps.isDisjoint(with: implemented),
                "implemented operators still pending: \(Self.pendingNextOps.intersection(implemented).sorted())")
        let (ran, pending, failures) = try Self.runNext(backend: backend)
        let counts: [(Op.Kind, Int)] = [(.conv2d, 8), (.mul, 1), (.hardswish, 1), (.hardsigmoid, 1), (.silu, 1), (.relu6, 1),
                                         (.gelu, 2), (.layerNorm, 4), (.channelShuffle, 2)]
        for (kind, count) in counts {
            #expect((ran[kind.rawValue] ?? 0) >= count, "\(kind.rawValue) cases run: \(ran[kind.rawValue] ?? 0) in \(GoldenFiles.nextDirectory.path)")
        }
        #expect(pending.isEmpty, "pending: \(pending)")
        for failure in failures { Issue.record("[\(backend)] golden-next: \(failure)") }
        print("golden-next [\(backend)]: ran \(ran.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "));"
              + " pending \(pending.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
    }

    /// The runner must notice a wrong value anywhere: perturb one expected output and one expected
    /// gradient entry of every op case in turn (golden-next's too, where the op is not pending), and
    /// require a reported mismatch each time.
    @Test("the runner fails when an expected value is wrong")
    func runnerDetectsWrongValues() throws {
        for file in [GoldenFiles.directory.appendingPathComponent("ops.json"), GoldenFiles.nextDirectory.appendingPathComponent("ops.json")] {
            try Self.perturbEachCase(in: file)
        }
    }

    private static func perturbEachCase(in file: URL) throws {
        for (i, raw) in try GoldenFiles.cases(in: file).enumerated() where !pendingNextOps.contains(raw["op"] as? String ?? "") {
            for section in ["outputs", "grads"] {
                var dict = raw
                guard var tensors = dict[section] as? [String: Any],
                      let key = tensors.keys.sorted().first, var t = tensors[key] as? [String: Any],
                      var data = t["data"] as? [Double], !data.isEmpty else { continue }
                let index = (i * 7) % data.count
                data[index] += 1e-3 * max(abs(data[index]), 1) + 1e-3
                t["data"] = data
                tensors[key] = t
                dict[section] = tensors
                let c = GoldenValue(dict, path: "\(file.deletingLastPathComponent().lastPathComponent)/ops.json#\(i) (\(section).\(key)[\(index)] perturbed)")
                let failures = try GoldenOpRunner.check(c, backend: .reference)
                #expect(!failures.isEmpty, "perturbed \(c.path) was accepted")
            }
        }
    }

    /// The same for model and optimizer cases: a wrong gradient entry (the ResNet block's included,
    /// checked directly with the case's upstream) or a wrong parameter after a step must fail.
    @Test("model and optimizer checks fail when an expected value is wrong")
    func modelAndOptimizerRunnersDetectWrongValues() throws {
        for fileName in ["models.json", "optimizers.json"] {
            let file = GoldenFiles.directory.appendingPathComponent(fileName)
            for (i, raw) in try GoldenFiles.cases(in: file).enumerated() {
                var dict = raw
                let section = dict["after_each_step"] != nil ? "after_each_step" : "grads"
                var perturbedPath = ""
                if var steps = dict[section] as? [Any], var t = steps.last as? [String: Any], var data = t["data"] as? [Double] {
                    data[i % data.count] += 1e-2 * max(abs(data[i % data.count]), 1)
                    t["data"] = data
                    steps[steps.count - 1] = t
                    dict[section] = steps
                    perturbedPath = "\(section)[last][\(i % data.count)]"
                } else if var grads = dict[section] as? [String: Any] {
                    // The largest entry of the first gradient, so a single change is well above tolerance.
                    let key = grads.keys.sorted()[i % grads.count]
                    guard var t = grads[key] as? [String: Any], var data = t["data"] as? [Double] else { continue }
                    let index = data.indices.max { abs(data[$0]) < abs(data[$1]) }!
                    data[index] *= 1.01
                    t["data"] = data
                    grads[key] = t
                    dict[section] = grads
                    perturbedPath = "grads.\(key)[\(index)]"
                }
                let c = GoldenValue(dict, path: "\(fileName)#\(i) (\(perturbedPath) perturbed)")
                let failures = try Self.run(c, backend: .reference)
                #expect(!failures.isEmpty, "perturbed \(c.path) was accepted")
            }
        }
    }

    /// optimizers.json's `*_strong_decay` cases decay so strongly that AdamW's decoupled decay
    /// (p ← p·(1 − lr·λ)) and Adam's L2 decay (g ← g + λ·p) end far apart: each passes as given, and
    /// fails when run with the other variant or without decay. (The plain AdamW case could not tell:
    /// the wrong variant stayed within 0.2 % of the tolerance.)
    @Test("the strong-decay optimizer cases run and tell decoupled from L2 weight decay")
    func strongDecayCasesDiscriminate() throws {
        let file = GoldenFiles.directory.appendingPathComponent("optimizers.json")
        let strong = try GoldenFiles.cases(in: file).filter { ($0["name"] as? String)?.hasSuffix("_strong_decay") == true }
        let optimizers = Set(strong.compactMap { $0["optimizer"] as? String })
        #expect(optimizers.isSuperset(of: ["adamw", "adam", "sgd"]), "strong-decay cases for \(optimizers)")
        for raw in strong {
            let name = raw["name"] as? String ?? "?"
            #expect(try GoldenOptimizerRunner.check(GoldenValue(raw, path: name)).isEmpty, "\(name) fails as given")
            var variants: [(String, [String: Any])] = []
            var noDecay = raw
            var attrs = raw["attrs"] as? [String: Any] ?? [:]
            attrs["weight_decay"] = 0
            noDecay["attrs"] = attrs
            variants.append(("without weight decay", noDecay))
            if let optimizer = raw["optimizer"] as? String, let other = ["adam": "adamw", "adamw": "adam"][optimizer] {
                var swapped = raw
                swapped["optimizer"] = other
                variants.append(("as \(other)", swapped))
            }
            for (what, variant) in variants {
                #expect(!(try GoldenOptimizerRunner.check(GoldenValue(variant, path: "\(name) \(what)")).isEmpty),
                        "\(name) run \(what) still passes")
            }
        }
    }

    @Test("an unknown op is a failure, not a skip")
    func unknownOpFails() {
        let c = GoldenValue(["name": "mystery", "op": "mystery_op", "inputs": [String: Any](), "outputs": [String: Any]()],
                            path: "synthetic")
        #expect(throws: GoldenError.self) { try GoldenOpRunner.check(c, backend: .reference) }
    }
}
