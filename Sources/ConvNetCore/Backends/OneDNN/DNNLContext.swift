import CDNNL
import Foundation

/// The process-wide oneDNN objects and the cache of ready-to-run plans.
///
/// Holds the CPU engine, the primitive attributes (a user-managed scratchpad, see
/// ``DNNLExecution``), the plans by key and the interned layouts. The cache's lock is held only
/// while looking up a plan or making one (``plan(_:_:)``); making a plan creates oneDNN objects
/// and nothing else, so no other lock is ever taken inside it. Running a plan takes that plan's
/// own lock (``DNNLPlan``), never this one.
final class DNNLContext: @unchecked Sendable {
    /// The CPU engine that owns primitives and memory (oneDNN engines are thread-safe).
    let engine: dnnl_engine_t
    /// Attributes for every primitive: `dnnl_scratchpad_mode_user`, so that temporary memory comes
    /// from the calling thread's scratchpad (allocated once, grown when needed) instead of each call.
    let attributes: dnnl_primitive_attr_t
    private let lock = NSLock()
    /// Guarded by `lock`, like `layouts` and `layoutCount`.
    private var plans: [AnyHashable: AnyObject] = [:]
    /// Interned layouts by dimensions (see ``DNNLBuilder/layout(_:what:)``).
    private var layouts: [[Int]: [DNNLLayout]] = [:]
    private var layoutCount = 0

    /// The shared context, created on first use; a creation error is rethrown by every ``plan(_:_:)``.
    private static let shared: Result<DNNLContext, ConvNetError> = {
        do { return .success(try DNNLContext()) } catch let error as ConvNetError { return .failure(error) } catch {
            return .failure(ConvNetError(op: "onednn setup", "\(error)"))
        }
    }()

    private init() throws {
        var engine: dnnl_engine_t?
        // dnnl_engine_create: the CPU engine (index 0) that owns primitives and memory.
        try dnnlCheck(dnnl_engine_create(&engine, dnnl_cpu, 0), "setup", "creating the CPU engine")
        var attr: dnnl_primitive_attr_t?
        try dnnlCheck(dnnl_primitive_attr_create(&attr), "setup", "creating primitive attributes")
        // dnnl_primitive_attr_set_scratchpad_mode: primitives take their scratchpad as an argument.
        try dnnlCheck(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user),
                      "setup", "selecting the user scratchpad mode")
        self.engine = engine!
        self.attributes = attr!
    }

    /// The cached plan for `key`, made by `make` on first use and kept for the process lifetime.
    /// `make` runs under the cache's lock, with a builder that creates oneDNN objects, interns
    /// layouts and looks up other plans.
    static func plan<Key: Hashable, Plan: AnyObject>(_ key: Key, _ make: (DNNLBuilder) throws -> Plan) throws -> Plan {
        let context = try shared.get()
        context.lock.lock()
        defer { context.lock.unlock() }
        return try DNNLBuilder(context: context).plan(key, make)
    }

    /// Runs `make` with a builder under the cache's lock, for objects that live elsewhere than in
    /// the plan cache (a frozen model's fused steps keep theirs).
    static func build<R>(_ make: (DNNLBuilder) throws -> R) throws -> R {
        let context = try shared.get()
        context.lock.lock()
        defer { context.lock.unlock() }
        return try make(DNNLBuilder(context: context))
    }

    /// The cached plan for `key` (cache lock held).
    fileprivate func cachedPlan<Key: Hashable, Plan: AnyObject>(_ key: Key, _ make: () throws -> Plan) rethrows -> Plan {
        if let plan = plans[AnyHashable(key)] as? Plan { return plan }
        let plan = try make()
        plans[AnyHashable(key)] = plan
        return plan
    }

    /// The interned layout equal to `desc` (cache lock held).
    fileprivate func internedLayout(_ desc: dnnl_memory_desc_t, _ make: (Int) throws -> DNNLLayout) rethrows -> DNNLLayout {
        let dims = DNNLDesc.dims(desc)
        if let known = layouts[dims]?.first(where: { DNNLDesc.same($0.desc, desc) }) { return known }
        layoutCount += 1
        let layout = try make(layoutCount)
        layouts[dims, default: []].append(layout)
        return layout
    }
}

/// What code that makes a plan is given: the engine and attributes to create oneDNN objects
/// with, layout interning, and the other cached plans. Only ``DNNLContext/plan(_:_:)`` makes one,
/// under the cache's lock, for the duration of one `make` call.
struct DNNLBuilder {
    fileprivate let context: DNNLContext

    var engine: dnnl_engine_t { context.engine }
    var attributes: dnnl_primitive_attr_t { context.attributes }

    /// The cached plan for `key`, made by `make` on first use (e.g. a backward plan needs its
    /// forward primitive as a hint).
    func plan<Key: Hashable, Plan: AnyObject>(_ key: Key, _ make: (DNNLBuilder) throws -> Plan) throws -> Plan {
        try context.cachedPlan(key) { try make(self) }
    }

    /// The interned layout equal to `desc` (dnnl_memory_desc_equal), created on first use with its
    /// reorder to plain, so that equal layouts share one ``DNNLLayout/id`` that plan keys can use.
    func layout(_ desc: dnnl_memory_desc_t, what: String) throws -> DNNLLayout {
        try context.internedLayout(desc) { id in try DNNLLayout(self, desc, id: id, what: what) }
    }
}
