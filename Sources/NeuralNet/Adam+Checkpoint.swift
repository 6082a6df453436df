/// Checkpoint support for `Adam` (a public way to rebuild a state read back from a file, so
/// another module can `restore` it and resume training bit-for-bit; the memberwise initializer
/// is internal).
extension Adam.State {
    /// A state of `rowWidth`-wide rows with first/second moments (same count) after `steps` steps.
    public init(rowWidth: Int, firstMoments m: [Float], secondMoments v: [Float], steps: Int) {
        precondition(m.count == v.count, "Adam.State: m has \(m.count) values, v has \(v.count)")
        self.init(width: rowWidth, m: m, v: v, step: steps)
    }
}
