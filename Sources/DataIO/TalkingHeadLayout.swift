import Foundation

/// File names of the ER-NeRF / TalkingGaussian talking-head dataset (DESIGN.md §4), relative to the
/// dataset folder. Frame files are named by the frame's `img_id`.
///
/// ```
/// transforms_train.json  transforms_val.json   cameras (CameraTransforms)
/// ori_imgs/<i>.jpg  ori_imgs/<i>.lms          video frame, 68 landmarks "x y"
/// parsing/<i>.png                             BGR-coded parts (ParsingMap)
/// gt_imgs/<i>.jpg                             frame with the background replaced by bc.jpg
/// torso_imgs/<i>.png                          RGBA torso + neck, transparent elsewhere
/// bc.jpg  aud.wav                             background, 16 kHz mono speech
/// aud_ds.npy | aud_eo.npy | aud_hu.npy | aud_ap.npy   per-frame audio features
/// ```
/// `.jpg` frames may also be `.png` (and vice versa): `image(_:_:)` returns whichever exists.
public struct TalkingHeadLayout: Sendable {
    public enum Split: String, Sendable, CaseIterable, Codable { case train, val }

    public var root: URL
    public init(_ root: URL) { self.root = root }

    public func transforms(_ split: Split) -> URL { root.appendingPathComponent("transforms_\(split.rawValue).json") }
    public var background: URL { root.appendingPathComponent("bc.jpg") }
    public var audio: URL { root.appendingPathComponent("aud.wav") }
    public func features(_ kind: AudioFeatureKind) -> URL { root.appendingPathComponent(kind.fileName) }

    public static let originalFolder = "ori_imgs", groundTruthFolder = "gt_imgs"
    public static let parsingFolder = "parsing", torsoFolder = "torso_imgs"
    public static let allFolders = [originalFolder, groundTruthFolder, parsingFolder, torsoFolder]

    /// `ori_imgs/<id>.jpg` (the `.png` when only that exists).
    public func originalImage(_ id: Int) -> URL { image(Self.originalFolder, id, preferred: "jpg") }
    public func groundTruthImage(_ id: Int) -> URL { image(Self.groundTruthFolder, id, preferred: "jpg") }
    public func landmarks(_ id: Int) -> URL { root.appendingPathComponent("\(Self.originalFolder)/\(id).lms") }
    public func parsing(_ id: Int) -> URL { image(Self.parsingFolder, id, preferred: "png") }
    public func torsoImage(_ id: Int) -> URL { image(Self.torsoFolder, id, preferred: "png") }

    /// `<folder>/<id>.<preferred>`, or the other of jpg/png when only that one exists.
    public func image(_ folder: String, _ id: Int, preferred: String) -> URL {
        let first = root.appendingPathComponent("\(folder)/\(id).\(preferred)")
        if FileManager.default.fileExists(atPath: first.path) { return first }
        let other = root.appendingPathComponent("\(folder)/\(id).\(preferred == "jpg" ? "png" : "jpg")")
        return FileManager.default.fileExists(atPath: other.path) ? other : first
    }
}

/// Which per-frame audio feature array a dataset carries.
public enum AudioFeatureKind: String, Sendable, CaseIterable, Codable {
    /// `aud_ap.npy` [N, 16, 32]: ours — AudioFeatures' log-mel windows (16 feature frames at 50 Hz
    /// around each 25 fps video frame, 32 mel bands, values in [0, 1]); computable for any new audio.
    case audioPlane = "ap"
    /// `aud_ds.npy` [N, 16, 29]: DeepSpeech character logits (ER-NeRF default).
    case deepSpeech = "ds"
    /// `aud_eo.npy` [N, 16, 44]: wav2vec (English) logits.
    case wav2vec = "eo"
    /// `aud_hu.npy` [N, 2, 1024]: HuBERT hidden states.
    case hubert = "hu"

    public var fileName: String { "aud_\(rawValue).npy" }
    /// Preference when several exist: ours first (new speech can be featurised the same way at
    /// inference time), then ER-NeRF's default DeepSpeech, wav2vec, HuBERT.
    public static let preference: [AudioFeatureKind] = [.audioPlane, .deepSpeech, .wav2vec, .hubert]
}
