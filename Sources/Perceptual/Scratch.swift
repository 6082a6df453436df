/// A grow-only Float buffer owned by one session (allocated once, reused every call: no page faults
/// or allocation in the hot path). Not thread-safe to resize; workers write disjoint ranges.
final class FloatBuffer: @unchecked Sendable {
    private(set) var pointer: UnsafeMutablePointer<Float>
    private(set) var capacity: Int

    init(_ count: Int = 0) {
        capacity = max(count, 16)
        pointer = .allocate(capacity: capacity)
    }

    /// Makes room for `count` elements (contents are lost when it grows) and returns the pointer.
    @discardableResult
    func reserve(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity {
            pointer.deallocate()
            capacity = count
            pointer = .allocate(capacity: count)
        }
        return pointer
    }

    deinit { pointer.deallocate() }
}

/// Same as `FloatBuffer` for Int32 indices (max-pool argmax).
final class IndexBuffer: @unchecked Sendable {
    private(set) var pointer: UnsafeMutablePointer<Int32>
    private(set) var capacity: Int

    init() { capacity = 16; pointer = .allocate(capacity: 16) }

    @discardableResult
    func reserve(_ count: Int) -> UnsafeMutablePointer<Int32> {
        if count > capacity { pointer.deallocate(); capacity = count; pointer = .allocate(capacity: count) }
        return pointer
    }

    deinit { pointer.deallocate() }
}
