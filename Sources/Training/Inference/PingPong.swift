/// Which dataset frame supplies the head pose, torso and background of output frame `k` when
/// new speech is longer than the training video (DESIGN.md §3 "Inference"; ER-NeRF's and
/// TalkingGaussian's test loaders): the frames play forward, then backward, and so on, never
/// repeating the turning frame — 0, 1, …, n−1, n−2, …, 1, 0, 1, … (period 2n − 2), so poses stay
/// continuous with no jump back to frame 0.
///
///     m = k mod (2n − 2);  index = m < n ? m : 2n − 2 − m      (n = 1: always 0)
public func pingPongIndex(_ k: Int, count n: Int) -> Int {
    precondition(n > 0 && k >= 0, "pingPongIndex: need a frame count > 0 and k ≥ 0")
    guard n > 1 else { return 0 }
    let period = 2 * n - 2
    let m = k % period
    return m < n ? m : period - m
}
