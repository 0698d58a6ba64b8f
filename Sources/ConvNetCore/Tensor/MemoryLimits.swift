import Foundation

/// What this process may still allocate, from every limit Linux can put on it: the machine's
/// physical memory, the address-space and data-segment limits (`ulimit -v`, `ulimit -d`) less
/// what is already mapped, and the memory limit of the process's cgroup (v2 `memory.max`, v1
/// `memory.limit_in_bytes`, its own and every ancestor's) less what the cgroup already uses.
///
/// A container's user meets the cgroup limit, a shared machine's user `ulimit -v`, long before
/// physical memory: an allocation past them ends in a trap or the OOM killer, not in an error.
public struct MemoryLimit: Sendable, Equatable, CustomStringConvertible {
    /// Which limit, in words a user can act on (`the address-space limit (ulimit -v)`).
    public var name: String
    /// The limit itself in bytes.
    public var total: Int
    /// What is left of it now, in bytes (the limit less what is already used).
    public var available: Int

    /// `412.0 MiB left of the address-space limit (ulimit -v) of 768.0 MiB`.
    public var description: String {
        name == MemoryLimit.physicalName
            ? "this machine has \(MemoryBudget.format(total)) of memory"
            : "only \(MemoryBudget.format(max(available, 0))) is left under \(name) of \(MemoryBudget.format(total))"
    }

    static let physicalName = "physical memory"

    /// The limits that apply now, physical memory first. Usage is read afresh on each call.
    public static func current() -> [MemoryLimit] {
        var limits = [MemoryLimit(name: physicalName, total: MemoryBudget.physicalBytes, available: MemoryBudget.physicalBytes)]
        let status = ProcessStatus.read()
        if let bytes = resourceLimit(RLIMIT_AS) {
            limits.append(MemoryLimit(name: "this process's address-space limit (ulimit -v, RLIMIT_AS)", total: bytes,
                                      available: bytes - (status["VmSize"] ?? 0)))
        }
        if let bytes = resourceLimit(RLIMIT_DATA) {
            limits.append(MemoryLimit(name: "this process's data-segment limit (ulimit -d, RLIMIT_DATA)", total: bytes,
                                      available: bytes - (status["VmData"] ?? 0)))
        }
        limits += CgroupMemory.limits()
        return limits
    }

    /// A `setrlimit` resource's soft limit in bytes, nil when unlimited.
    #if os(Linux)
    private typealias Resource = __rlimit_resource
    #else
    private typealias Resource = Int32
    #endif

    private static func resourceLimit(_ resource: Resource) -> Int? {
        var limit = rlimit()
        #if os(Linux)
        guard getrlimit(__rlimit_resource_t(resource.rawValue), &limit) == 0 else { return nil }
        #else
        guard getrlimit(resource, &limit) == 0 else { return nil }
        #endif
        // RLIM_INFINITY is all ones, past Int.max.
        guard limit.rlim_cur < UInt64(Int.max) else { return nil }
        return Int(limit.rlim_cur)
    }
}

/// The `kB` figures of `/proc/self/status` (VmSize, VmData, …) in bytes.
enum ProcessStatus {
    static func read() -> [String: Int] {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return [:] }
        var values: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(whereSeparator: { $0 == ":" || $0 == " " || $0 == "\t" })
            guard parts.count == 3, parts[2] == "kB", let kib = Int(parts[1]) else { continue }
            values[String(parts[0])] = kib.multipliedReportingOverflow(by: 1024).overflow ? Int.max : kib * 1024
        }
        return values
    }
}

/// The memory limits of the cgroups this process is in, found through `/proc/self/cgroup` and the
/// cgroup file systems of `/proc/self/mountinfo` (so that a container whose cgroup is mounted as its
/// root, or a host whose hierarchy is mounted elsewhere, both work).
enum CgroupMemory {
    /// The limits with what the cgroups use now (the files are found once, read on each call).
    static func limits() -> [MemoryLimit] {
        files.compactMap { file in
            // v1 writes "unlimited" as a page-rounded 2⁶³ − 1; anything past a petabyte means no limit.
            guard let limit = number(file.limit), limit < 1 << 50 else { return nil }
            let usage = number(file.usage) ?? 0
            return MemoryLimit(name: "the memory limit of cgroup \(file.folder) (\(file.limit.split(separator: "/").last!))",
                               total: limit, available: limit - usage)
        }
    }

    /// Each memory cgroup this process is in (and its ancestors): its folder, limit and usage files.
    static let files: [(folder: String, limit: String, usage: String)] = {
        guard let membership = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8),
              let mounts = try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8) else { return [] }
        var result: [(String, String, String)] = []
        for line in membership.split(separator: "\n") {
            // "hierarchy-ID:controllers:path"; v2 is "0::path", v1's memory controller lists "memory".
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let version2 = fields[0] == "0" && fields[1].isEmpty
            guard version2 || fields[1].split(separator: ",").contains("memory") else { continue }
            for (mountPoint, mountRoot) in mountPoints(mounts, version2: version2) {
                result += folders(cgroup: String(fields[2]), mountPoint: mountPoint, mountRoot: mountRoot).map { folder in
                    version2 ? (folder, folder + "/memory.max", folder + "/memory.current")
                        : (folder, folder + "/memory.limit_in_bytes", folder + "/memory.usage_in_bytes")
                }
            }
        }
        return result
    }()

    /// Where the v2 (or v1 memory) hierarchy is mounted, and which cgroup is the mount's root.
    private static func mountPoints(_ mountinfo: String, version2: Bool) -> [(String, String)] {
        mountinfo.split(separator: "\n").compactMap { line in
            // "id parent major:minor root mount-point options … - fstype source super-options"
            let halves = line.components(separatedBy: " - ")
            guard halves.count == 2 else { return nil }
            let left = halves[0].split(separator: " "), right = halves[1].split(separator: " ")
            guard left.count >= 5, right.count >= 3 else { return nil }
            let type = right[0], superOptions = right[2].split(separator: ",")
            guard version2 ? type == "cgroup2" : (type == "cgroup" && superOptions.contains("memory")) else { return nil }
            return (unescape(String(left[4])), unescape(String(left[3])))
        }
    }

    /// The folders of `cgroup` and of each ancestor visible under the mount.
    private static func folders(cgroup: String, mountPoint: String, mountRoot: String) -> [String] {
        // The path below the mount: the cgroup's path less the mount's root (a container sees "/").
        var relative = cgroup
        if mountRoot != "/" {
            guard relative == mountRoot || relative.hasPrefix(mountRoot + "/") else { return [] }
            relative = String(relative.dropFirst(mountRoot.count))
        }
        var components = relative.split(separator: "/").map(String.init)
        var found: [String] = []
        while true {
            found.append(mountPoint + (components.isEmpty ? "" : "/" + components.joined(separator: "/")))
            if components.isEmpty { return found }
            components.removeLast()
        }
    }

    /// A file holding one decimal number ("max" and unreadable files give nil).
    private static func number(_ path: String) -> Int? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// mountinfo escapes space, tab, newline and backslash as octal (`\040`).
    private static func unescape(_ field: String) -> String {
        guard field.contains("\\") else { return field }
        var bytes: [UInt8] = [], utf8 = Array(field.utf8), i = 0
        while i < utf8.count {
            if utf8[i] == UInt8(ascii: "\\"), i + 4 <= utf8.count,
               let code = UInt8(String(decoding: utf8[(i + 1)..<(i + 4)], as: UTF8.self), radix: 8) {
                bytes.append(code)
                i += 4
            } else {
                bytes.append(utf8[i])
                i += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
